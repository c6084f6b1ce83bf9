//! The release of every repo, read in one GitHub GraphQL query per [`CHUNK`] repos
//! (the chunks run side by side): each repo's release head, how many commits of the
//! base branch it lacks, and its open release pull requests with body, labels and
//! reviews. Per repo only the compare for migrations stays REST (GraphQL has no
//! file list). Never judges on part of a list: more pull requests or labels than
//! one page holds is an error, and a pull request with more reviews than one page
//! holds is marked for the REST reviews, which follow every page. An error GraphQL
//! reports for one aliased repository is that repo's alone.

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use serde_json::{Map, Value, json};

use super::github::{GitHub, GraphqlError};
use super::rendered::release_notes;
use crate::facts::{PullRequest, Review};

/// Repos asked for in one query: far under GitHub's node limit (500,000) even at
/// full pages, and few queries for a large release.
pub const CHUNK: usize = 25;
/// Open pull requests from the release branch into the base, per repo.
const PULLS_PAGE: usize = 20;
const LABELS_PAGE: usize = 100;
const REVIEWS_PAGE: usize = 100;

/// What one repo's part of the query is about, for the repo's own error messages.
const PARTS: [&str; 3] = ["release", "base", "pullRequests"];

/// The fields asked of each repository. The repo, branches and page sizes travel as
/// variables: only the alias numbers are spliced into the text.
const FRAGMENT: &str = "fragment Release on Repository {
  release: ref(qualifiedName: $release) { target { oid } }
  base: ref(qualifiedName: $base) {
    compare(headRef: $release) { behindBy headTarget { oid } }
  }
  pullRequests(states: OPEN, headRefName: $releaseName, baseRefName: $baseName, first: $pulls) {
    totalCount
    pageInfo { hasNextPage }
    nodes {
      number url title body createdAt lastEditedAt isCrossRepository headRefOid
      labels(first: $labels) { totalCount nodes { name } }
      reviews(first: $reviews) {
        totalCount
        nodes { author { login } state submittedAt commit { oid } }
      }
    }
  }
}";

/// One repo's release as GitHub's GraphQL answered it. Each part carries its own
/// error, worded for the facts document.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    /// The head SHA of the release branch.
    pub head: Result<String, String>,
    /// Commits of the base branch that the release head lacks.
    pub behind_by: Result<u64, String>,
    /// Open release pull requests; `reviews` is `None` for one whose reviews did
    /// not fit one page (read them with [`GitHub::reviews`]).
    pub pulls: Result<Vec<PullRequest>, String>,
    /// How many reviews GitHub counts for each pull request whose reviews did not
    /// fit one page: the REST list must hold at least as many.
    pub review_totals: Vec<(u64, u64)>,
}

impl Release {
    fn failed(message: &str) -> Self {
        Self {
            head: Err(message.to_owned()),
            behind_by: Err(message.to_owned()),
            pulls: Err(message.to_owned()),
            review_totals: Vec::new(),
        }
    }
}

/// The text of the query for `n` repositories, aliased `r0`…
pub fn query(n: usize) -> String {
    let mut variables = String::from(
        "$release: String!, $releaseName: String!, $base: String!, $baseName: String!, \
         $pulls: Int!, $labels: Int!, $reviews: Int!",
    );
    let mut fields = String::new();
    for i in 0..n {
        variables.push_str(&format!(", $o{i}: String!, $n{i}: String!"));
        fields.push_str(&format!(
            "  r{i}: repository(owner: $o{i}, name: $n{i}) {{ ...Release }}\n"
        ));
    }
    format!("query Releases({variables}) {{\n{fields}}}\n{FRAGMENT}")
}

/// The variables of the query for `repos` ("owner/name").
pub fn variables(repos: &[&str], release: &str, base: &str) -> Value {
    let mut vars = Map::new();
    vars.insert("release".into(), json!(format!("refs/heads/{release}")));
    vars.insert("releaseName".into(), json!(release));
    vars.insert("base".into(), json!(format!("refs/heads/{base}")));
    vars.insert("baseName".into(), json!(base));
    vars.insert("pulls".into(), json!(PULLS_PAGE));
    vars.insert("labels".into(), json!(LABELS_PAGE));
    vars.insert("reviews".into(), json!(REVIEWS_PAGE));
    for (i, repo) in repos.iter().enumerate() {
        let (owner, name) = repo.split_once('/').unwrap_or((repo, ""));
        vars.insert(format!("o{i}"), json!(owner));
        vars.insert(format!("n{i}"), json!(name));
    }
    Value::Object(vars)
}

/// How many queries a release of `repos` repositories takes.
pub fn queries(repos: usize) -> usize {
    repos.div_ceil(CHUNK)
}

/// The release of each of `repos` ("owner/name"), in their order.
/// The pull requests as they stood at `as_of` (the end of time when live): one
/// created later did not exist, and notes edited later are unknown.
pub async fn fetch(
    gh: &GitHub,
    repos: &[&str],
    release: &str,
    base: &str,
    as_of: DateTime<Utc>,
) -> Vec<Release> {
    let chunks = join_all(
        repos
            .chunks(CHUNK)
            .map(|chunk| fetch_chunk(gh, chunk, release, base, as_of)),
    )
    .await;
    chunks.into_iter().flatten().collect()
}

async fn fetch_chunk(
    gh: &GitHub,
    repos: &[&str],
    release: &str,
    base: &str,
    as_of: DateTime<Utc>,
) -> Vec<Release> {
    match gh
        .graphql_partial(&query(repos.len()), variables(repos, release, base))
        .await
    {
        Ok((data, errors)) => repos
            .iter()
            .enumerate()
            .map(|(i, repo)| {
                let alias = format!("r{i}");
                let mine: Vec<&GraphqlError> = errors
                    .iter()
                    .filter(|e| e.path.first() == Some(&alias))
                    .collect();
                parse_repo(data.get(&alias), &mine, repo, release, base, as_of)
            })
            .collect(),
        Err(e) => {
            let message = e.to_string();
            repos.iter().map(|_| Release::failed(&message)).collect()
        }
    }
}

/// One repository's part of the answer (`node`), with the errors GraphQL reported
/// under its alias.
pub fn parse_repo(
    node: Option<&Value>,
    errors: &[&GraphqlError],
    repo: &str,
    release: &str,
    base: &str,
    as_of: DateTime<Utc>,
) -> Release {
    // An error about the repository itself (not one of its parts) fails all of it.
    let whole: Vec<&str> = errors
        .iter()
        .filter(|e| e.path.get(1).is_none_or(|p| !PARTS.contains(&p.as_str())))
        .map(|e| e.message.as_str())
        .collect();
    if !whole.is_empty() {
        return Release::failed(&format!("GraphQL: {}", whole.join("; ")));
    }
    let node = match node {
        Some(n) if n.is_object() => n,
        _ => return Release::failed(&format!("GitHub did not answer about {repo}")),
    };
    let part_error = |part: &str| -> Option<String> {
        let messages: Vec<&str> = errors
            .iter()
            .filter(|e| e.path.get(1).is_some_and(|p| p == part))
            .map(|e| e.message.as_str())
            .collect();
        (!messages.is_empty()).then(|| format!("GraphQL: {}", messages.join("; ")))
    };
    let head = match part_error("release") {
        Some(e) => Err(e),
        None => parse_head(node.get("release"), repo, release),
    };
    let behind_by = match (part_error("base"), &head) {
        (Some(e), _) => Err(e),
        (None, Ok(head)) => parse_behind(node.get("base"), head, repo, release, base),
        (None, Err(e)) => Err(e.clone()),
    };
    let pulls = match part_error("pullRequests") {
        Some(e) => Err(e),
        None => parse_pulls(node.get("pullRequests"), repo, release, base, as_of),
    };
    Release {
        head,
        behind_by,
        pulls,
        review_totals: review_totals(node.get("pullRequests")),
    }
}

fn is_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn parse_head(v: Option<&Value>, repo: &str, release: &str) -> Result<String, String> {
    match v {
        None | Some(Value::Null) => Err(format!("{repo} has no branch {release}")),
        Some(r) => match r.pointer("/target/oid").and_then(Value::as_str) {
            Some(oid) if is_sha(oid) => Ok(oid.to_owned()),
            _ => Err(format!(
                "the answer about branch {release} of {repo} holds no commit SHA"
            )),
        },
    }
}

/// `behindBy` of the compare base...release, only when that compare's head is the
/// release head read in the same answer (else the branch moved between the two).
fn parse_behind(
    v: Option<&Value>,
    head: &str,
    repo: &str,
    release: &str,
    base: &str,
) -> Result<u64, String> {
    let base_ref = match v {
        None | Some(Value::Null) => return Err(format!("{repo} has no branch {base}")),
        Some(b) => b,
    };
    let compare = base_ref
        .get("compare")
        .filter(|c| c.is_object())
        .ok_or_else(|| format!("GitHub gave no compare of {base}...{release} in {repo}"))?;
    let compared_head = compare.pointer("/headTarget/oid").and_then(Value::as_str);
    if compared_head != Some(head) {
        return Err(format!(
            "{release} of {repo} moved while it was read ({} then {}): check again",
            short(head),
            compared_head.map_or("nothing", short)
        ));
    }
    compare
        .get("behindBy")
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("no behindBy number in the compare of {base}...{release}"))
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

fn parse_pulls(
    v: Option<&Value>,
    repo: &str,
    release: &str,
    base: &str,
    as_of: DateTime<Utc>,
) -> Result<Vec<PullRequest>, String> {
    let conn = v
        .filter(|c| c.is_object())
        .ok_or_else(|| format!("GitHub gave no pull requests of {repo}"))?;
    let nodes = conn
        .get("nodes")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("no list of pull requests for {repo}"))?;
    let more = conn
        .pointer("/pageInfo/hasNextPage")
        .and_then(Value::as_bool)
        .ok_or_else(|| format!("no pageInfo in the pull requests of {repo}"))?;
    // As many as GitHub counts, and fewer than a page: the whole list.
    let counted = conn.get("totalCount").and_then(Value::as_u64);
    if counted != u64::try_from(nodes.len()).ok() {
        return Err(format!(
            "GitHub counts {} open pull requests from {release} into {base} in {repo} but listed {}: gatekeeper does not judge on part of them",
            counted.map_or_else(|| "no".to_owned(), |c| c.to_string()),
            nodes.len()
        ));
    }
    if more || nodes.len() >= PULLS_PAGE {
        return Err(format!(
            "{repo} has {PULLS_PAGE} or more open pull requests from {release} into {base}: \
             gatekeeper does not judge on part of them; close the extra ones"
        ));
    }
    nodes
        .iter()
        // A pull request from a fork's branch of the same name is not the release.
        .filter(|pr| pr.get("isCrossRepository").and_then(Value::as_bool) == Some(false))
        // One opened after the moment checked did not exist then.
        .filter(|pr| time(pr, "createdAt").is_none_or(|t| t <= as_of))
        .map(|pr| parse_pull(pr, repo, as_of))
        .collect()
}

/// (number, reviews GitHub counts) of each pull request whose reviews the answer
/// does not hold whole.
fn review_totals(pulls: Option<&Value>) -> Vec<(u64, u64)> {
    let nodes = pulls
        .and_then(|p| p.get("nodes"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    nodes
        .iter()
        .filter_map(|pr| {
            let number = pr.get("number").and_then(Value::as_u64)?;
            let total = pr.pointer("/reviews/totalCount").and_then(Value::as_u64)?;
            let held = pr
                .pointer("/reviews/nodes")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            (usize::try_from(total).ok() != Some(held)).then_some((number, total))
        })
        .collect()
}

/// One pull request node. `reviews` is `None` when they did not fit one page.
pub fn parse_pull(v: &Value, repo: &str, as_of: DateTime<Utc>) -> Result<PullRequest, String> {
    let number = v
        .get("number")
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("a pull request of {repo} without a number"))?;
    // Notes edited after the moment checked said something else then, unknown now.
    if as_of < DateTime::<Utc>::MAX_UTC {
        match v.get("lastEditedAt") {
            Some(Value::Null) => {}
            Some(edited) => match edited
                .as_str()
                .and_then(|s| s.parse::<DateTime<Utc>>().ok())
            {
                Some(t) if t <= as_of => {}
                Some(t) => {
                    return Err(format!(
                        "the notes of #{number} in {repo} were edited at {t}, after the moment checked ({as_of}): what they said then is unknown"
                    ));
                }
                None => return Err(format!("#{number} in {repo} has no readable lastEditedAt")),
            },
            None => {
                return Err(format!(
                    "#{number} in {repo} has no lastEditedAt: whether its notes changed after the moment checked is unknown"
                ));
            }
        }
    }
    let head_sha = v
        .get("headRefOid")
        .and_then(Value::as_str)
        .filter(|s| is_sha(s))
        .ok_or_else(|| format!("pull request #{number} of {repo} has no headRefOid"))?
        .to_owned();
    let labels = whole_page(v.get("labels"), &format!("labels of #{number} in {repo}"))?
        .iter()
        .map(|l| {
            l.get("name")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("a label of #{number} in {repo} without a name"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let reviews = match whole_page(v.get("reviews"), "") {
        Ok(nodes) => Some(
            nodes
                .iter()
                .map(|r| parse_review(r, number, repo))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        // More than one page: the REST list follows every page.
        Err(_) if v.pointer("/reviews/totalCount").is_some_and(Value::is_u64) => None,
        Err(e) => return Err(format!("reviews of #{number} in {repo}: {e}")),
    };
    let body = v.get("body").and_then(Value::as_str).unwrap_or("");
    Ok(PullRequest {
        number,
        url: v
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        title: v
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        head_sha,
        labels,
        release_notes: release_notes(body),
        reviews,
    })
}

/// The nodes of a connection, only when they are all of it (`totalCount` nodes).
fn whole_page<'a>(v: Option<&'a Value>, what: &str) -> Result<&'a Vec<Value>, String> {
    let nodes = v
        .and_then(|c| c.get("nodes"))
        .and_then(Value::as_array)
        .ok_or_else(|| format!("no list of {what}"))?;
    let total = v
        .and_then(|c| c.get("totalCount"))
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("no totalCount of {what}"))?;
    if usize::try_from(total).ok() != Some(nodes.len()) {
        return Err(format!(
            "{total} {what}, {} in the answer: gatekeeper does not judge on part of them",
            nodes.len()
        ));
    }
    Ok(nodes)
}

fn time(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    v.get(key)?.as_str()?.parse().ok()
}

fn parse_review(v: &Value, number: u64, repo: &str) -> Result<Review, String> {
    let state = v
        .get("state")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("a review of #{number} in {repo} without a state"))?;
    Ok(Review {
        user: v
            .pointer("/author/login")
            .and_then(Value::as_str)
            .map(str::to_owned),
        state: state.to_owned(),
        commit_id: v
            .pointer("/commit/oid")
            .and_then(Value::as_str)
            .map(str::to_owned),
        submitted_at: v
            .get("submittedAt")
            .and_then(Value::as_str)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&chrono::Utc)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/api/github")
            .join(rel);
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn apangea() -> Value {
        fixture("graphql-release-apangea.json")["data"]["r0"].clone()
    }

    fn parse(node: &Value) -> Release {
        parse_repo(
            Some(node),
            &[],
            "thinkthroughmath/apangea",
            "rc",
            "master",
            DateTime::<Utc>::MAX_UTC,
        )
    }

    #[test]
    fn the_query_splices_only_alias_numbers() {
        let q = query(2);
        assert!(q.starts_with("query Releases("), "{q}");
        assert!(q.contains("r1: repository(owner: $o1, name: $n1) { ...Release }"));
        assert!(!q.contains("thinkthroughmath"));
        let v = variables(&["a/b", "c/d"], "rc", "master");
        assert_eq!(v["o1"], "c");
        assert_eq!(v["n1"], "d");
        assert_eq!(v["release"], "refs/heads/rc");
        assert_eq!(v["baseName"], "master");
        assert_eq!(queries(0), 0);
        assert_eq!(queries(25), 1);
        assert_eq!(queries(26), 2);
    }

    #[test]
    fn a_green_repo_reads_head_behind_and_the_pull_with_its_reviews() {
        let r = parse(&apangea());
        assert_eq!(
            r.head.as_deref(),
            Ok("3f2a9c1e8b7d6a5f4e3d2c1b0a99887766554433")
        );
        assert_eq!(r.behind_by, Ok(0));
        let pulls = r.pulls.unwrap();
        assert_eq!(pulls.len(), 1);
        assert_eq!(pulls[0].number, 412);
        assert_eq!(pulls[0].labels, ["release"]);
        let texts: Vec<_> = pulls[0]
            .release_notes
            .dependencies
            .iter()
            .map(|d| d.text.as_str())
            .collect();
        // The #### sub-heading stays inside Dependencies; ### QA ends it.
        assert_eq!(
            texts,
            [
                "gradebook-service 2.3 deployed to production",
                "LAUNCH_GRADEBOOK flag created (off)",
                "old gradebook cache cleared"
            ]
        );
        let reviews = pulls[0].reviews.as_ref().unwrap();
        assert_eq!(reviews.last().unwrap().user.as_deref(), Some("tim"));
        assert_eq!(reviews.last().unwrap().state, "APPROVED");
    }

    /// At an earlier moment (`--at`): notes edited later are unknown, a pull
    /// request opened later did not exist; live, neither is asked.
    #[test]
    fn at_an_earlier_moment_later_edits_are_unknown_and_later_pulls_absent() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let node = apangea();
        let parse_at = |node: &Value, t: DateTime<Utc>| {
            parse_repo(Some(node), &[], "o/a", "rc", "master", t).pulls
        };
        // Edited at 09:12, judged at 12:00: known.
        assert_eq!(
            parse_at(&node, at("2026-11-24T12:00:00Z")).unwrap().len(),
            1
        );
        let err = parse_at(&node, at("2026-11-24T08:00:00Z")).unwrap_err();
        assert!(
            err.contains("edited at 2026-11-24 09:12:00 UTC, after the moment checked"),
            "{err}"
        );
        // Opened after the moment: not there yet.
        assert_eq!(parse_at(&node, at("2026-11-23T00:00:00Z")).unwrap(), []);
        // No edit time at an earlier moment: unknown; live, not asked.
        let mut bare = node.clone();
        bare["pullRequests"]["nodes"][0]
            .as_object_mut()
            .unwrap()
            .remove("lastEditedAt");
        assert!(parse_at(&bare, at("2026-11-24T19:00:00Z")).is_err());
        assert!(parse_at(&bare, DateTime::<Utc>::MAX_UTC).is_ok());
    }

    #[test]
    fn a_pull_request_from_a_fork_is_not_the_release() {
        let mut node = apangea();
        node["pullRequests"]["nodes"][0]["isCrossRepository"] = true.into();
        assert_eq!(parse(&node).pulls.unwrap(), []);
        // Unknown is not "same repository" either.
        node["pullRequests"]["nodes"][0]["isCrossRepository"] = Value::Null;
        assert_eq!(parse(&node).pulls.unwrap(), []);
    }

    #[test]
    fn a_full_page_of_pull_requests_or_labels_is_an_error() {
        let mut node = apangea();
        node["pullRequests"]["pageInfo"]["hasNextPage"] = true.into();
        assert!(parse(&node).pulls.unwrap_err().contains("close the extra"));
        let mut node = apangea();
        node["pullRequests"]["nodes"][0]["labels"]["totalCount"] = 101.into();
        assert!(
            parse(&node)
                .pulls
                .unwrap_err()
                .contains("does not judge on part")
        );
    }

    #[test]
    fn a_pull_request_list_shorter_than_its_count_or_a_full_page_is_an_error() {
        let mut node = apangea();
        node["pullRequests"]["totalCount"] = 2.into();
        assert!(
            parse(&node)
                .pulls
                .unwrap_err()
                .contains("counts 2 open pull requests")
        );
        let mut node = apangea();
        let pr = node["pullRequests"]["nodes"][0].clone();
        node["pullRequests"]["nodes"] = Value::Array(vec![pr; PULLS_PAGE]);
        node["pullRequests"]["totalCount"] = PULLS_PAGE.into();
        assert!(parse(&node).pulls.unwrap_err().contains("close the extra"));
    }

    #[test]
    fn reviews_beyond_one_page_are_left_for_rest() {
        let mut node = apangea();
        node["pullRequests"]["nodes"][0]["reviews"]["totalCount"] = 140.into();
        let pulls = parse(&node).pulls.unwrap();
        assert_eq!(pulls[0].reviews, None);
        // Without a count, nothing is known: an error, not an empty list.
        node["pullRequests"]["nodes"][0]["reviews"] = json!({"nodes": []});
        assert!(parse(&node).pulls.is_err());
    }

    #[test]
    fn a_missing_branch_or_a_moved_head_is_an_error() {
        let mut node = apangea();
        node["release"] = Value::Null;
        let r = parse(&node);
        assert!(r.head.unwrap_err().contains("has no branch rc"));
        assert!(r.behind_by.is_err());
        assert!(r.pulls.is_ok());
        let mut node = apangea();
        node["base"]["compare"]["headTarget"]["oid"] =
            "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c".into();
        let r = parse(&node);
        assert!(r.head.is_ok());
        assert!(r.behind_by.unwrap_err().contains("moved while it was read"));
        let mut node = apangea();
        node["base"]["compare"]["behindBy"] = "2".into();
        assert!(parse(&node).behind_by.is_err());
    }

    #[test]
    fn errors_under_an_alias_stay_with_its_part_or_its_repo() {
        let node = apangea();
        let on = |path: &[&str]| GraphqlError {
            message: "Something went wrong".into(),
            path: path.iter().map(|s| (*s).to_owned()).collect(),
        };
        let e = on(&["r0", "pullRequests", "nodes", "0", "reviews"]);
        let r = parse_repo(
            Some(&node),
            &[&e],
            "o/a",
            "rc",
            "master",
            DateTime::<Utc>::MAX_UTC,
        );
        assert!(r.head.is_ok() && r.behind_by.is_ok());
        assert!(r.pulls.unwrap_err().contains("Something went wrong"));
        let e = on(&["r0"]);
        let r = parse_repo(
            Some(&Value::Null),
            &[&e],
            "o/a",
            "rc",
            "master",
            DateTime::<Utc>::MAX_UTC,
        );
        assert!(r.head.is_err() && r.behind_by.is_err() && r.pulls.is_err());
        let r = parse_repo(None, &[], "o/a", "rc", "master", DateTime::<Utc>::MAX_UTC);
        assert!(r.head.unwrap_err().contains("did not answer about o/a"));
    }
}

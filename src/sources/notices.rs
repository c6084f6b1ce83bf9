//! Downtime notices: the open issues labelled `downtime-notice` in the notices repo,
//! read with their comments and edit times in one GitHub GraphQL query. Owns the
//! query, the body's fields (through `notice::parse_body`) and the comments'
//! commands. Reports every comment with its author and time: whether the author
//! may vet, and whether the vetting is recent enough, is the policy's call
//! (`settings.vetters`), never decided here. Never judges on part of a list: more
//! notices or comments than one page holds is an error.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use super::github::{GitHub, GithubError};
use crate::facts::{Notice, NoticeComment};
use crate::notice::{parse_body, strip_html_comments};

pub use crate::notice::LABEL;
const PROCEED: &str = "/proceed";
const RESCHEDULE: &str = "/reschedule";
/// Notices and comments read in one query; more is refused, not truncated.
const NOTICES_PAGE: u32 = 50;
const COMMENTS_PAGE: u32 = 100;
/// A comment's content edits read to confirm who edited it last (50 notices of
/// 100 comments of 20 edits stay far under GitHub's node limit); a comment edited
/// more often has no confirmed editor, so it is nobody's word.
const EDITS_PAGE: u32 = 20;

/// The open notices with every comment and edit time. Nothing is spliced into the
/// text: the repo and label travel as variables.
const QUERY: &str = "query Notices($owner: String!, $name: String!, $labels: [String!], $notices: Int!, $comments: Int!, $edits: Int!) {
  repository(owner: $owner, name: $name) {
    issues(labels: $labels, states: OPEN, first: $notices, orderBy: {field: CREATED_AT, direction: ASC}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id number url title body createdAt lastEditedAt
        author { login }
        labels(first: 20) { nodes { name } }
        comments(first: $comments) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes {
            id databaseId url author { login } editor { login } authorAssociation body createdAt lastEditedAt
            includesCreatedEdit isMinimized minimizedReason
            userContentEdits(first: $edits) { totalCount nodes { editedAt editor { login } } }
          }
        }
      }
    }
  }
}";

/// Every open notice of `repo` ("owner/name") as it stood at `now`: a notice or
/// comment created after `now` does not exist yet, and one edited after `now`
/// existed with a text that is unknown ([`Notice::as_of`]), so `--at` never judges
/// on words written later.
pub async fn fetch(
    github: &GitHub,
    repo: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<Notice>, GithubError> {
    let (owner, name) = repo.split_once('/').unwrap_or((repo, ""));
    let data = github
        .graphql(
            QUERY,
            json!({
                "owner": owner,
                "name": name,
                "labels": [LABEL],
                "notices": NOTICES_PAGE,
                "comments": COMMENTS_PAGE,
                "edits": EDITS_PAGE,
            }),
        )
        .await?;
    parse_notices(&data, tz, now).map_err(|message| GithubError::Parse {
        url: format!("the GraphQL answer about the notices of {repo}"),
        message,
    })
}

/// The answer holds every node its connection counts: a withdrawal among the
/// missing ones would go unseen.
fn whole(connection: &Value, nodes: &[Value], what: &str) -> Result<(), String> {
    match connection.get("totalCount").and_then(Value::as_u64) {
        Some(total) if usize::try_from(total).ok() == Some(nodes.len()) => Ok(()),
        Some(total) => Err(format!(
            "GitHub counts {total} {what} but answered {}: gatekeeper does not judge on part of them",
            nodes.len()
        )),
        None => Err(format!("no totalCount of the {what}")),
    }
}

/// The query's `data` as notices, oldest first, at `now`.
pub fn parse_notices(data: &Value, tz: Tz, now: DateTime<Utc>) -> Result<Vec<Notice>, String> {
    let issues = data
        .pointer("/repository/issues")
        .ok_or("no repository.issues (the repository was not found?)")?;
    if issues.pointer("/pageInfo/hasNextPage") != Some(&Value::Bool(false)) {
        return Err(format!(
            "more than {NOTICES_PAGE} open {LABEL} issues (or no pageInfo): gatekeeper judges all of them or none; close the notices that are done"
        ));
    }
    let nodes = issues
        .get("nodes")
        .and_then(Value::as_array)
        .ok_or("no issues.nodes list")?;
    whole(issues, nodes, &format!("open {LABEL} issues"))?;
    let mut notices = Vec::new();
    for node in nodes {
        if let Some(notice) = parse_notice(node, tz, now)? {
            notices.push(notice);
        }
    }
    Ok(notices)
}

/// One issue node as a [`Notice`] at `now` ([`Notice::as_of`]): `None` when it was
/// created after `now`.
pub fn parse_notice(node: &Value, tz: Tz, now: DateTime<Utc>) -> Result<Option<Notice>, String> {
    let number = node
        .get("number")
        .and_then(Value::as_u64)
        .ok_or("an issue without a number")?;
    let created_at =
        time(node, "createdAt").ok_or_else(|| format!("issue #{number} has no createdAt time"))?;
    let edited_at = edit_time(node, "lastEditedAt").map_err(|e| format!("issue #{number}: {e}"))?;
    let sent_at = edited_at.map_or(created_at, |e| e.max(created_at));
    let comments = node
        .pointer("/comments")
        .ok_or_else(|| format!("issue #{number} has no comments connection"))?;
    if comments.pointer("/pageInfo/hasNextPage") != Some(&Value::Bool(false)) {
        return Err(format!(
            "issue #{number} has more than {COMMENTS_PAGE} comments (or no pageInfo): the vetters' latest word may be beyond them; open a new notice"
        ));
    }
    let nodes = comments
        .get("nodes")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("issue #{number} has no comments.nodes list"))?;
    whole(comments, nodes, &format!("comments of issue #{number}"))?;
    let mut read = Vec::new();
    for c in nodes {
        read.push(parse_comment(c).map_err(|e| format!("a comment of issue #{number}: {e}"))?);
    }
    let text = |key: &str| node.get(key).and_then(Value::as_str).unwrap_or("");
    let body = parse_body(text("body"), tz);
    Ok(Notice {
        number,
        url: text("url").to_owned(),
        title: text("title").to_owned(),
        sent_at,
        sent_unix: sent_at.timestamp(),
        created_at,
        edited_at,
        target: body.target,
        start: body.start,
        start_unix: body.start.map(|s| s.timestamp()),
        start_local: body.start_local,
        minutes: body.minutes,
        end_unix: body.end.map(|e| e.timestamp()),
        nature: body.nature,
        affected: body.affected,
        experience: body.experience,
        problems: body.problems,
        text_known: true,
        comments: read,
    }
    .as_of(now))
}

/// One comment node, as it stands now.
fn parse_comment(c: &Value) -> Result<NoticeComment, String> {
    let created = time(c, "createdAt").ok_or("no createdAt time")?;
    let edited_at = edit_time(c, "lastEditedAt")?;
    let at = edited_at.map_or(created, |e| e.max(created));
    let body = c.get("body").and_then(Value::as_str).unwrap_or("");
    let commands = commands(body);
    Ok(NoticeComment {
        user: c
            .pointer("/author/login")
            .and_then(Value::as_str)
            .map(str::to_owned),
        at,
        at_unix: at.timestamp(),
        created_at: created,
        edited_at,
        editor: edited_at.and_then(|_| last_editor(c)),
        text_known: true,
        // Absent counts as hidden: the query asks for it.
        minimized: c.get("isMinimized") != Some(&Value::Bool(false)),
        proceed: commands.proceed,
        reschedule: commands.reschedule,
        not_commands: commands.not_commands,
    })
}

/// Who last edited an edited comment: GitHub's `editor`, when its content edits
/// are all in the answer and the latest of them is by the same login. `None`
/// (nobody's word) when GitHub names no one (a deleted account), or the edits
/// are more than one page, missing, or name someone else.
fn last_editor(c: &Value) -> Option<String> {
    let editor = c.pointer("/editor/login").and_then(Value::as_str)?;
    let edits = c.get("userContentEdits")?;
    let nodes = edits.get("nodes").and_then(Value::as_array)?;
    whole(edits, nodes, "content edits").ok()?;
    let latest = nodes
        .iter()
        .map(|e| {
            (
                time(e, "editedAt"),
                e.pointer("/editor/login").and_then(Value::as_str),
            )
        })
        .max_by_key(|(t, _)| *t)?;
    match latest {
        (Some(_), Some(login)) if login == editor => Some(editor.to_owned()),
        _ => None,
    }
}

fn time(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// `lastEditedAt`: null when never edited; anything else must be a time.
fn edit_time(v: &Value, key: &str) -> Result<Option<DateTime<Utc>>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => time(v, key)
            .map(Some)
            .ok_or_else(|| format!("{key} is not an RFC 3339 time")),
    }
}

/// The commands of a comment body.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Commands {
    pub proceed: bool,
    pub reschedule: bool,
    /// Lines that start with a command but say more.
    pub not_commands: Vec<String>,
}

/// A command is a line that is exactly `/proceed` or `/reschedule`, whitespace
/// aside, anywhere in the comment's own words: not in an HTML comment (GitHub
/// does not show it), a code block (an example: "to approve, type `/proceed`")
/// or a quote (someone else's words). A line that starts like one but has more
/// words (`/proceed NOT until support signs off`) is no command, and is kept to
/// say so.
pub fn commands(body: &str) -> Commands {
    let mut found = Commands::default();
    for line in own_lines(&strip_html_comments(body, &mut false)) {
        let line = line.trim();
        match line {
            PROCEED => found.proceed = true,
            RESCHEDULE => found.reschedule = true,
            _ => {
                let lower = line.to_ascii_lowercase();
                if lower.starts_with(PROCEED) || lower.starts_with(RESCHEDULE) {
                    found.not_commands.push(line.to_owned());
                }
            }
        }
    }
    found
}

/// The lines of a Markdown text outside its code blocks and quotes.
fn own_lines(text: &str) -> Vec<&str> {
    use pulldown_cmark::{Event, Parser, Tag};
    let quoted: Vec<std::ops::Range<usize>> = Parser::new(text)
        .into_offset_iter()
        .filter_map(|(event, range)| {
            matches!(event, Event::Start(Tag::CodeBlock(_) | Tag::BlockQuote(_))).then_some(range)
        })
        .collect();
    let mut start = 0;
    let mut lines = Vec::new();
    for line in text.split_inclusive('\n') {
        let end = start + line.len();
        if !quoted.iter().any(|r| r.start < end && start < r.end) {
            lines.push(line);
        }
        start = end;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;

    fn data(rel: &str) -> Value {
        let answer: Value = serde_json::from_str(
            &std::fs::read_to_string(format!(
                "{}/fixtures/api/github/{rel}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap(),
        )
        .unwrap();
        answer["data"].clone()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const LATER: &str = "2026-11-27T00:00:00Z";

    #[test]
    fn vetted_notice_reads_every_field_and_comment() {
        let notices =
            parse_notices(&data("graphql-notices-vetted.json"), New_York, at(LATER)).unwrap();
        let n = &notices[0];
        assert_eq!(n.number, 7);
        assert_eq!(n.target.as_deref(), Some("production"));
        assert_eq!(n.sent_at, at("2026-11-24T14:00:00Z"));
        assert_eq!(n.created_at, n.sent_at);
        assert_eq!(n.edited_at, None);
        assert_eq!(n.start_unix, Some(1795849200));
        assert_eq!(n.start_local.as_deref(), Some("2026-11-28T02:00:00-05:00"));
        assert_eq!(n.minutes, Some(120));
        assert_eq!(n.end_unix, Some(1795856400));
        assert_eq!(n.experience.as_deref(), Some("maintenance page"));
        assert!(n.problems.is_empty(), "{:?}", n.problems);
        let seen: Vec<_> = n
            .comments
            .iter()
            .map(|c| (c.user.as_deref().unwrap(), c.proceed, c.reschedule))
            .collect();
        // "Looks right … /proceed when tim agrees" has no command line.
        assert_eq!(
            seen,
            vec![
                ("dev", false, false),
                ("dev", true, false),
                ("jim", true, false)
            ]
        );
        assert_eq!(
            n.comments[2].at_unix,
            at("2026-11-24T18:21:40Z").timestamp()
        );
    }

    #[test]
    fn an_edited_notice_counts_as_sent_at_its_edit() {
        let notices =
            parse_notices(&data("graphql-notices-vetted.json"), New_York, at(LATER)).unwrap();
        let n = &notices[1];
        assert_eq!(n.number, 5);
        assert_eq!(n.created_at, at("2026-11-01T14:00:00Z"));
        assert_eq!(n.edited_at, Some(at("2026-11-01T14:05:12Z")));
        assert_eq!(n.sent_at, at("2026-11-01T14:05:12Z"));
        assert_eq!(n.problems.len(), 2, "{:?}", n.problems);
        assert_eq!(n.comments[0].user, None);
        assert!(n.comments[0].reschedule);
    }

    #[test]
    fn with_at_later_notices_and_comments_do_not_exist_yet() {
        let d = data("graphql-notices-vetted.json");
        // Before jim's /proceed: notice 7 is there, jim's comment is not.
        let notices = parse_notices(&d, New_York, at("2026-11-24T18:00:00Z")).unwrap();
        assert_eq!(notices.len(), 2);
        assert_eq!(notices[0].comments.len(), 2);
        // Before notice 7 was opened: only notice 5.
        let notices = parse_notices(&d, New_York, at("2026-11-24T13:59:59Z")).unwrap();
        assert_eq!(notices.iter().map(|n| n.number).collect::<Vec<_>>(), [5]);
    }

    #[test]
    fn a_notice_edited_after_the_moment_checked_has_its_text_unknown() {
        let d = data("graphql-notices-vetted.json");
        // Between notice 5's creation and its edit: it existed, its text then is unknown.
        let notices = parse_notices(&d, New_York, at("2026-11-01T14:01:00Z")).unwrap();
        assert_eq!(notices.len(), 1);
        let n = &notices[0];
        assert_eq!(n.number, 5);
        assert!(!n.text_known);
        assert_eq!(n.sent_at, at("2026-11-01T14:00:00Z"));
        assert_eq!(n.edited_at, Some(at("2026-11-01T14:05:12Z")));
        assert_eq!(
            (n.target.as_ref(), n.start, n.minutes, n.nature.as_ref()),
            (None, None, None, None)
        );
        assert!(n.problems.is_empty(), "{:?}", n.problems);
        // After the edit, the text is known.
        let notices = parse_notices(&d, New_York, at(LATER)).unwrap();
        assert!(notices.iter().all(|n| n.text_known));
    }

    #[test]
    fn an_edited_comment_counts_at_its_edit_and_is_sorted_by_it() {
        let mut d = data("graphql-notices-vetted.json");
        d["repository"]["issues"]["nodes"][0]["comments"]["nodes"][1]["lastEditedAt"] =
            json!("2026-11-25T09:00:00Z");
        let notices = parse_notices(&d, New_York, at(LATER)).unwrap();
        let c = &notices[0].comments;
        assert_eq!(c[2].at, at("2026-11-25T09:00:00Z"));
        assert_eq!(c[2].user.as_deref(), Some("dev"));
    }

    #[test]
    fn a_comment_edited_after_the_moment_checked_is_kept_with_its_text_unknown() {
        let mut d = data("graphql-notices-vetted.json");
        // jim's /proceed (created 18:21:40 on the 24th) edited the next morning.
        d["repository"]["issues"]["nodes"][0]["comments"]["nodes"][2]["lastEditedAt"] =
            json!("2026-11-25T09:00:00Z");
        let notices = parse_notices(&d, New_York, at("2026-11-25T08:00:00Z")).unwrap();
        let c = &notices[0].comments;
        assert_eq!(c.len(), 3);
        let jim = &c[2];
        assert_eq!(jim.user.as_deref(), Some("jim"));
        assert!(!jim.text_known);
        assert!(!jim.proceed && !jim.reschedule && jim.not_commands.is_empty());
        assert_eq!(jim.at, at("2026-11-24T18:21:40Z"));
        assert_eq!(jim.created_at, jim.at);
        assert_eq!(jim.edited_at, Some(at("2026-11-25T09:00:00Z")));
        assert!(c[..2].iter().all(|c| c.text_known));
        // After the edit its text counts, at the edit.
        let notices = parse_notices(&d, New_York, at(LATER)).unwrap();
        let jim = &notices[0].comments[2];
        assert!(jim.text_known && jim.proceed);
        assert_eq!(jim.at, at("2026-11-25T09:00:00Z"));
        // Before it was written it does not exist.
        let notices = parse_notices(&d, New_York, at("2026-11-24T18:00:00Z")).unwrap();
        assert_eq!(notices[0].comments.len(), 2);
    }

    /// jim's comment, edited last by `editor` at 18:30 (with GitHub's record of
    /// the edits: `edits` as (editor, editedAt)).
    fn jim_edited(editor: Value, edits: &[(&str, &str)]) -> Value {
        let mut d = data("graphql-notices-vetted.json");
        let jim = &mut d["repository"]["issues"]["nodes"][0]["comments"]["nodes"][2];
        jim["lastEditedAt"] = json!("2026-11-24T18:30:00Z");
        jim["editor"] = editor;
        let nodes: Vec<Value> = edits
            .iter()
            .map(|(login, at)| json!({"editedAt": at, "editor": {"login": login}}))
            .collect();
        jim["userContentEdits"] = json!({"totalCount": nodes.len(), "nodes": nodes});
        d
    }

    fn jim_editor(d: &Value) -> Option<String> {
        let notices = parse_notices(d, New_York, at(LATER)).unwrap();
        let jim = notices[0].comments.last().unwrap();
        assert_eq!(jim.user.as_deref(), Some("jim"));
        jim.editor.clone()
    }

    #[test]
    fn an_edited_comment_carries_its_confirmed_last_editor() {
        // Never edited: no editor, whatever GitHub says.
        let notices =
            parse_notices(&data("graphql-notices-vetted.json"), New_York, at(LATER)).unwrap();
        assert!(notices[0].comments.iter().all(|c| c.editor.is_none()));
        // The latest edit (in any order) is by GitHub's editor: confirmed.
        let edits = [
            ("jim", "2026-11-24T18:21:40Z"),
            ("dev", "2026-11-24T18:30:00Z"),
        ];
        let d = jim_edited(json!({"login": "dev"}), &edits);
        assert_eq!(jim_editor(&d).as_deref(), Some("dev"));
        let reversed = [edits[1], edits[0]];
        let d = jim_edited(json!({"login": "dev"}), &reversed);
        assert_eq!(jim_editor(&d).as_deref(), Some("dev"));
        // GitHub names no editor (a deleted account), the edits disagree, are
        // missing or are not all in the answer: no confirmed editor.
        assert_eq!(jim_editor(&jim_edited(Value::Null, &edits)), None);
        assert_eq!(
            jim_editor(&jim_edited(json!({"login": "jim"}), &edits)),
            None
        );
        let mut d = jim_edited(json!({"login": "dev"}), &edits);
        d["repository"]["issues"]["nodes"][0]["comments"]["nodes"][2]["userContentEdits"]["totalCount"] =
            json!(21);
        assert_eq!(jim_editor(&d), None);
        let mut d = jim_edited(json!({"login": "dev"}), &edits);
        d["repository"]["issues"]["nodes"][0]["comments"]["nodes"][2]
            .as_object_mut()
            .unwrap()
            .remove("userContentEdits");
        assert_eq!(jim_editor(&d), None);
        assert_eq!(jim_editor(&jim_edited(json!({"login": "dev"}), &[])), None);
        // The query asks for both, within GitHub's schema's names.
        assert!(QUERY.contains("editor { login }"));
        assert!(QUERY.contains("userContentEdits(first: $edits)"));
    }

    #[test]
    fn a_hidden_comment_is_marked_minimized() {
        let d = data("graphql-notices-vetted.json");
        let notices = parse_notices(&d, New_York, at(LATER)).unwrap();
        assert!(notices[0].comments.iter().all(|c| !c.minimized));
        let mut d = data("graphql-notices-vetted.json");
        let nodes = &mut d["repository"]["issues"]["nodes"][0]["comments"]["nodes"];
        nodes[2]["isMinimized"] = json!(true);
        nodes[2]["minimizedReason"] = json!("OUTDATED");
        // Not said: counts as hidden.
        nodes[1].as_object_mut().unwrap().remove("isMinimized");
        let notices = parse_notices(&d, New_York, at(LATER)).unwrap();
        let hidden: Vec<_> = notices[0].comments.iter().map(|c| c.minimized).collect();
        assert_eq!(hidden, [false, true, true]);
        // The command is still read: judging it is the policy's call.
        assert!(notices[0].comments[2].proceed);
    }

    #[test]
    fn a_second_page_of_notices_or_comments_is_refused() {
        let mut d = data("graphql-notices-vetted.json");
        d["repository"]["issues"]["pageInfo"]["hasNextPage"] = json!(true);
        let e = parse_notices(&d, New_York, at(LATER)).unwrap_err();
        assert!(
            e.contains("more than 50 open downtime-notice issues"),
            "{e}"
        );
        let mut d = data("graphql-notices-vetted.json");
        d["repository"]["issues"]["nodes"][0]["comments"]["pageInfo"]["hasNextPage"] = json!(true);
        let e = parse_notices(&d, New_York, at(LATER)).unwrap_err();
        assert!(e.contains("issue #7 has more than 100 comments"), "{e}");
    }

    #[test]
    fn no_notices_is_an_empty_list() {
        assert!(
            parse_notices(&data("graphql-notices-none.json"), New_York, at(LATER))
                .unwrap()
                .is_empty()
        );
        assert!(parse_notices(&json!({"repository": null}), New_York, at(LATER)).is_err());
    }

    #[test]
    fn a_command_is_a_line_of_its_own() {
        let c = commands("Field says OK.\n/proceed\n");
        assert!(c.proceed && !c.reschedule && c.not_commands.is_empty());
        let c = commands("  /proceed  \r\n");
        assert!(c.proceed);
        let c = commands("/proceed NOT until support signs off");
        assert!(!c.proceed);
        assert_eq!(c.not_commands, ["/proceed NOT until support signs off"]);
        let c = commands("Looks right to me. /proceed when tim agrees");
        assert_eq!(c, Commands::default());
        let c = commands("/reschedule\nnot Saturday\n/Proceed\n/proceeding later");
        assert!(c.reschedule && !c.proceed);
        assert_eq!(c.not_commands, ["/Proceed", "/proceeding later"]);
        let c = commands("/proceed\n/reschedule");
        assert!(c.proceed && c.reschedule);
        // Hidden in an HTML comment: not shown, so not given.
        let c = commands("Waiting on support.\n<!--\n/proceed\n-->\n");
        assert_eq!(c, Commands::default());
        let c = commands("<!-- draft -->\n/proceed");
        assert!(c.proceed);
        // An example in code, or someone else's words quoted: not given.
        for body in [
            "To approve, type:\n```\n/proceed\n```\n",
            "To approve, type:\n~~~\n/proceed\n~~~\n",
            "To approve, type:\n\n    /proceed\n",
            "tim wrote:\n> Support is ready.\n> /proceed\n",
            "> Support is ready.\n/proceed\n",
        ] {
            assert!(!commands(body).proceed, "{body}");
        }
        // After a code block, a line of one's own counts.
        let c = commands("```\nexample\n```\n/proceed\n");
        assert!(c.proceed);
    }
}

//! GitHub REST through octocrab: branch heads, every page of a pull request's
//! reviews and the migrations a compare adds (a release note's task items are
//! read by [`super::rendered`]); GraphQL queries
//! ([`GitHub::graphql`], [`GitHub::graphql_partial`] for the notices and the
//! batched release query of [`super::releases`]). octocrab is the
//! client, but its requests go through the shared transport
//! ([`crate::net::Transport`]: proxies, same-origin redirects, the body cap, the
//! deadline, one retry, the cap on requests in flight), plugged in as its service;
//! octocrab's own HTTP stack is not built. Reads raw answers (octocrab's `_get`) so
//! that the status, the rate-limit headers and the `Link` pages are ours to judge.
//! Owns the GitHub routes and field paths; never judges approval, dependencies or
//! downtime (the policy does).

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full};
use octocrab::{AuthState, OctoBody, Octocrab, OctocrabBuilder};
use serde_json::Value;

use crate::facts::Review;
use crate::net::{self, Answer, Call, Credential, HttpError, Service, Transport};

pub mod chatops;

/// GitHub lists at most this many files in a compare.
pub const COMPARE_FILE_CAP: usize = 300;
/// Pages followed at most for one list (100 entries each).
const MAX_PAGES: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    #[error("{0}")]
    Http(#[from] HttpError),
    #[error("github.url {url:?} cannot be used: {message}")]
    Setup { url: String, message: String },
    #[error("{url} did not answer what GitHub answers: {message}")]
    Parse { url: String, message: String },
    #[error(
        "{url} lists {files} files, GitHub's cap for a compare: migrations beyond it cannot be seen, so they count as unknown; deploy a smaller release or check db/migrate by hand"
    )]
    CompareCapped { url: String, files: usize },
    #[error(
        "{url} has more than {pages} pages: gatekeeper stops there rather than judge on part of the list"
    )]
    TooManyPages { url: String, pages: usize },
    #[error(
        "{url} answered the GraphQL query with errors: {message}; check the repository name and that the token in {token_env} (github.token_env) may read it"
    )]
    Graphql {
        url: String,
        message: String,
        token_env: String,
    },
    #[error(
        "GitHub rate limit: {left} left, resets at {resets}; this check needs about {needed} of them: try again after the reset"
    )]
    RateBudget {
        left: u64,
        resets: String,
        needed: u64,
    },
}

/// One entry of a GraphQL answer's `errors`: its message and where in `data` it
/// applies (empty when it applies to the whole query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphqlError {
    pub message: String,
    pub path: Vec<String>,
}

impl GraphqlError {
    fn of(v: &Value) -> Self {
        let message = crate::secrets::scrub(
            v.get("message")
                .and_then(Value::as_str)
                .unwrap_or("(no message)"),
        );
        let path = v
            .get("path")
            .and_then(Value::as_array)
            .map(|p| {
                p.iter()
                    .map(|step| match step {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self { message, path }
    }
}

/// What octocrab's raw calls answer.
type Raw = ::http::Response<http_body_util::combinators::BoxBody<bytes::Bytes, octocrab::Error>>;

/// The rate-limit budget GitHub reported in its first answers.
#[derive(Debug, Clone, Copy, Default)]
struct Budget {
    left: Option<u64>,
    reset: Option<i64>,
}

/// GitHub counts REST requests and GraphQL points against separate budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    Rest,
    Graphql,
}

impl Pool {
    fn index(self) -> usize {
        match self {
            Pool::Rest => 0,
            Pool::Graphql => 1,
        }
    }

    /// The pool an answer's budget is about: GitHub names it in
    /// `x-ratelimit-resource` (`core`, `graphql`, …); else the request's own.
    fn of(answer: &Answer, asked: Pool) -> Option<Pool> {
        match answer
            .headers
            .get("x-ratelimit-resource")
            .map(|v| v.to_str())
        {
            None => Some(asked),
            Some(Ok("graphql")) => Some(Pool::Graphql),
            Some(Ok("core")) => Some(Pool::Rest),
            // Another resource (search, …) is not what this run spends.
            Some(_) => None,
        }
    }
}

pub struct GitHub {
    client: Octocrab,
    base: String,
    /// The variable that holds the token, for messages.
    token_env: String,
    /// Requests (REST) and queries (GraphQL) this run expects to make; 0 when
    /// unknown.
    needed: [u64; 2],
    budget: Mutex<[Budget; 2]>,
}

/// octocrab's service: every request goes through the shared transport, with the
/// token only for GitHub's own origin.
#[derive(Clone)]
struct Through {
    transport: Transport,
    base: reqwest::Url,
    credential: Credential,
}

impl tower::Service<::http::Request<OctoBody>> for Through {
    type Response = ::http::Response<Full<Bytes>>;
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, HttpError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), HttpError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: ::http::Request<OctoBody>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.forward(request).await })
    }
}

impl Through {
    async fn forward(
        &self,
        request: ::http::Request<OctoBody>,
    ) -> Result<::http::Response<Full<Bytes>>, HttpError> {
        let (parts, body) = request.into_parts();
        let url = self.absolute(&parts.uri)?;
        let shown = shown_url(&url);
        let body = body
            .collect()
            .await
            .map_err(|e| HttpError::Setup {
                message: format!("cannot read the body of the request to {shown}: {e}"),
            })?
            .to_bytes();
        let idempotent = match parts.method {
            ::http::Method::GET | ::http::Method::HEAD => true,
            // A GraphQL query only reads; a mutation (or anything else) is sent once.
            ::http::Method::POST => url.path().ends_with("/graphql") && is_query(&body),
            _ => false,
        };
        let mut headers = parts.headers;
        headers
            .entry(::http::header::ACCEPT)
            .or_insert(::http::HeaderValue::from_static(
                "application/vnd.github+json",
            ));
        let call = Call {
            service: Service::GitHub,
            method: parts.method,
            url,
            credential: Some(&self.credential),
            headers,
            body: (!body.is_empty()).then_some(body),
            idempotent,
        };
        let answer = self.transport.send(call, &shown).await?;
        let mut response = ::http::Response::builder().status(answer.status);
        for (name, value) in &answer.headers {
            response = response.header(name, value);
        }
        response
            .body(Full::new(Bytes::from(answer.body)))
            .map_err(|e| HttpError::Body {
                url: shown,
                message: e.to_string(),
            })
    }

    /// A route ("/repos/…") under the base URL, or a whole URL (a `Link` page).
    fn absolute(&self, uri: &::http::Uri) -> Result<reqwest::Url, HttpError> {
        let text = if uri.scheme().is_some() {
            uri.to_string()
        } else {
            let route = uri.path_and_query().map_or("/", |p| p.as_str());
            format!("{}{route}", self.base.as_str().trim_end_matches('/'))
        };
        reqwest::Url::parse(&text).map_err(|e| HttpError::Setup {
            message: format!("{text:?} is no URL: {e}"),
        })
    }
}

/// Whether a GraphQL request body holds a query (not a mutation).
fn is_query(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("query")?
                .as_str()
                .map(str::trim_start)
                .map(str::to_owned)
        })
        .is_some_and(|q| !q.starts_with("mutation") && !q.starts_with("subscription"))
}

/// A URL as shown in messages: no query, no user or password.
fn shown_url(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

impl GitHub {
    /// The client of `url` with `token` (from the variable `token_env`), on
    /// `transport`. Needs a tokio runtime: octocrab spawns its request queue.
    pub fn new(
        url: &str,
        token: &str,
        token_env: &str,
        transport: &Transport,
    ) -> Result<Self, GithubError> {
        let setup = |message: String| GithubError::Setup {
            url: url.to_owned(),
            message,
        };
        let base = reqwest::Url::parse(url).map_err(|e| setup(e.to_string()))?;
        let credential = Credential::bearer(url, token).map_err(|e| setup(e.to_string()))?;
        let service = Through {
            transport: transport.clone(),
            base,
            credential,
        };
        let client = OctocrabBuilder::new_empty()
            .with_service(service)
            .with_auth(AuthState::None)
            .build()
            .map_err(|e| setup(e.to_string()))?;
        Ok(Self {
            client,
            base: url.trim_end_matches('/').to_owned(),
            token_env: token_env.to_owned(),
            needed: [0; 2],
            budget: Mutex::new([Budget::default(); 2]),
        })
    }

    /// Tells how many REST requests and GraphQL queries this run expects to make,
    /// so that a rate-limit budget too small for them stops the run early.
    pub fn expect_requests(&mut self, rest: u64, graphql: u64) {
        self.needed = [rest, graphql];
    }

    /// The URL as shown in messages (no query).
    fn shown(&self, route: &str) -> String {
        let path = route.split('?').next().unwrap_or(route);
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// Refuses to start a request the known budget of its pool cannot cover.
    fn within_budget(&self, pool: Pool) -> Result<(), GithubError> {
        let budget = self
            .budget
            .lock()
            .ok()
            .and_then(|b| b.get(pool.index()).copied())
            .unwrap_or_default();
        let needed = self.needed.get(pool.index()).copied().unwrap_or(0);
        match budget.left {
            Some(left) if needed > 0 && left < needed => {
                let resets = budget
                    .reset
                    .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
                    .map_or_else(
                        || "an unknown time".to_owned(),
                        |t| t.format("%H:%M UTC").to_string(),
                    );
                Err(GithubError::RateBudget {
                    left,
                    resets,
                    needed,
                })
            }
            _ => Ok(()),
        }
    }

    /// Remembers, per pool, the budget of the first answer that reports one.
    fn note_budget(&self, asked: Pool, answer: &Answer) {
        let Some(pool) = Pool::of(answer, asked) else {
            return;
        };
        let left = answer
            .ratelimit_remaining
            .as_deref()
            .and_then(|v| v.trim().parse::<u64>().ok());
        let reset = answer
            .ratelimit_reset
            .as_deref()
            .and_then(|v| v.trim().parse::<i64>().ok());
        if let (Some(left), Ok(mut budgets)) = (left, self.budget.lock())
            && let Some(budget) = budgets.get_mut(pool.index())
            && budget.left.is_none()
        {
            *budget = Budget {
                left: Some(left),
                reset,
            };
        }
    }

    /// One GET, read whole (the transport times, caps and retries it).
    pub(super) async fn get(&self, route: &str) -> Result<Answer, GithubError> {
        self.within_budget(Pool::Rest)?;
        let shown = self.shown(route);
        let answer = self.read(self.client._get(route).await, &shown).await?;
        self.note_budget(Pool::Rest, &answer);
        let hint = format!(
            "check the token in {} (github.token_env) and that it may read this repo",
            self.token_env
        );
        Ok(answer.require_ok(&shown, &hint)?)
    }

    /// An octocrab answer read whole into an [`Answer`]; the transport's own error
    /// when it failed.
    async fn read(
        &self,
        response: octocrab::Result<Raw>,
        shown: &str,
    ) -> Result<Answer, HttpError> {
        let response = response.map_err(|e| unwrap_error(e, shown))?;
        let mut answer = Answer::head(response.status().as_u16(), response.headers());
        answer.body = self
            .client
            .body_to_string(response)
            .await
            .map_err(|e| HttpError::Body {
                url: shown.to_owned(),
                message: format!("the answer broke off: {}", net::chain(&e)),
            })?;
        Ok(answer)
    }

    /// The GraphQL endpoint: `{api}/graphql` on github.com, `{host}/api/graphql` on
    /// GitHub Enterprise (whose REST base ends in `/api/v3`).
    fn graphql_url(&self) -> String {
        match self.base.strip_suffix("/api/v3") {
            Some(host) => format!("{host}/api/graphql"),
            None => format!("{}/graphql", self.base),
        }
    }

    /// One GraphQL query: its `data` object. GraphQL errors (which come with HTTP
    /// 200) are errors. A query may be retried; a mutation is sent once.
    pub async fn graphql(&self, query: &str, variables: Value) -> Result<Value, GithubError> {
        let (data, errors) = self.graphql_partial(query, variables).await?;
        if errors.is_empty() {
            return Ok(data);
        }
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        Err(GithubError::Graphql {
            url: self.graphql_url(),
            message: messages.join("; "),
            token_env: self.token_env.clone(),
        })
    }

    /// One GraphQL query whose errors may concern only part of the answer (one
    /// aliased repository of a batch): its `data` and the errors that name a
    /// `path` in it. An error without a path, an HTTP failure or an answer without
    /// a `data` object fails the whole query.
    pub async fn graphql_partial(
        &self,
        query: &str,
        variables: Value,
    ) -> Result<(Value, Vec<GraphqlError>), GithubError> {
        self.within_budget(Pool::Graphql)?;
        let url = self.graphql_url();
        let payload = serde_json::json!({"query": query, "variables": variables});
        let answer = self
            .read(self.client._post(url.as_str(), Some(&payload)).await, &url)
            .await?;
        self.note_budget(Pool::Graphql, &answer);
        let parsed: Result<Value, String> =
            serde_json::from_str(&answer.body).map_err(|e| format!("not JSON ({e})"));
        let errors: Vec<GraphqlError> = parsed
            .as_ref()
            .ok()
            .and_then(|v| v.get("errors"))
            .and_then(Value::as_array)
            .map(|list| list.iter().map(GraphqlError::of).collect())
            .unwrap_or_default();
        let status = answer.status;
        let whole = |errors: &[GraphqlError]| GithubError::Graphql {
            url: url.clone(),
            message: format!(
                "HTTP {status}: {}",
                errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            token_env: self.token_env.clone(),
        };
        if errors.iter().any(|e| e.path.is_empty()) {
            return Err(whole(&errors));
        }
        let hint = format!(
            "check the token in {} (github.token_env) and that it may read this repo",
            self.token_env
        );
        if !errors.is_empty() && !(200..300).contains(&answer.status) {
            return Err(whole(&errors));
        }
        answer.require_ok(&url, &hint)?;
        match parsed.map(|mut v| v.get_mut("data").map(Value::take)) {
            Ok(Some(data)) if data.is_object() => Ok((data, errors)),
            Ok(_) if !errors.is_empty() => Err(whole(&errors)),
            Ok(_) => Err(GithubError::Parse {
                url,
                message: "no data object in the answer".to_owned(),
            }),
            Err(message) => Err(GithubError::Parse { url, message }),
        }
    }

    /// Opens an issue in `repo` with `labels`: its number and page. Sent once (the
    /// transport never retries it): a repeated POST could open the issue twice.
    pub async fn create_issue(
        &self,
        repo: &str,
        title: &str,
        body: &str,
        labels: &[&str],
    ) -> Result<(u64, String), GithubError> {
        let route = format!("/repos/{repo}/issues");
        let shown = self.shown(&route);
        let payload = serde_json::json!({"title": title, "body": body, "labels": labels});
        let response = self.client._post(route.as_str(), Some(&payload)).await;
        let answer = self.read(response, &shown).await?;
        let hint = format!(
            "check the token in {} (github.token_env) and that it may open issues in {repo}",
            self.token_env
        );
        let answer = answer.require_ok(&shown, &hint)?;
        let created: Value = self.parsed(
            &route,
            serde_json::from_str(&answer.body).map_err(|e| format!("not JSON ({e})")),
        )?;
        let number = created.get("number").and_then(Value::as_u64);
        let url = str_at(&created, "/html_url");
        self.parsed(
            &route,
            number
                .zip(url)
                .map(|(n, u)| (n, u.to_owned()))
                .ok_or_else(|| "no issue number and html_url in the answer".to_owned()),
        )
    }

    /// One POST of `payload` to `route`, sent once (never retried: a repeat could
    /// create twice); the answer's JSON. `may` says what the token must be allowed.
    pub(super) async fn post_once(
        &self,
        route: &str,
        payload: &Value,
        may: &str,
    ) -> Result<Value, GithubError> {
        let shown = self.shown(route);
        let response = self.client._post(route, Some(payload)).await;
        let answer = self.read(response, &shown).await?;
        let hint = format!(
            "check the token in {} (github.token_env) and that it may {may}",
            self.token_env
        );
        let answer = answer.require_ok(&shown, &hint)?;
        self.parsed(
            route,
            serde_json::from_str(&answer.body).map_err(|e| format!("not JSON ({e})")),
        )
    }

    /// Every entry of a paginated list, following `Link: rel="next"`.
    async fn get_all(&self, route: &str) -> Result<Vec<Value>, GithubError> {
        let mut all = Vec::new();
        let mut next = Some(route.to_owned());
        let mut pages = 0;
        while let Some(route) = next.take() {
            pages += 1;
            let answer = self.get(&route).await?;
            let page = parse_list(&answer.body).map_err(|message| GithubError::Parse {
                url: self.shown(&route),
                message,
            })?;
            all.extend(page);
            next = net::next_link(answer.link.as_deref());
            // A truncated list could hide a later review that requests changes.
            if next.is_some() && pages >= MAX_PAGES {
                return Err(GithubError::TooManyPages {
                    url: self.shown(route.as_str()),
                    pages,
                });
            }
        }
        Ok(all)
    }

    fn parsed<T>(&self, route: &str, result: Result<T, String>) -> Result<T, GithubError> {
        result.map_err(|message| GithubError::Parse {
            url: self.shown(route),
            message,
        })
    }

    /// The head SHA of `branch` in `repo` ("owner/name").
    pub async fn branch_head(&self, repo: &str, branch: &str) -> Result<String, GithubError> {
        let route = format!("/repos/{repo}/branches/{branch}");
        let answer = self.get(&route).await?;
        self.parsed(&route, parse_branch_head(&answer.body))
    }

    /// Every review of pull request `number`, oldest first, all pages.
    pub async fn reviews(&self, repo: &str, number: u64) -> Result<Vec<Review>, GithubError> {
        let route = format!("/repos/{repo}/pulls/{number}/reviews?per_page=100");
        let list = self.get_all(&route).await?;
        self.parsed(&route, list.iter().map(parse_review).collect())
    }

    /// Files added under db/migrate/ from `base` to `head` (a compare); an error
    /// when the file list hit GitHub's cap.
    pub async fn migrations(
        &self,
        repo: &str,
        base: &str,
        head: &str,
    ) -> Result<Vec<String>, GithubError> {
        let route = format!("/repos/{repo}/compare/{base}...{head}");
        let answer = self.get(&route).await?;
        match self.parsed(&route, parse_compare(&answer.body))? {
            Compare::Files(files) => Ok(files),
            Compare::Capped(files) => Err(GithubError::CompareCapped {
                url: self.shown(&route),
                files,
            }),
        }
    }
}

/// The transport's error inside octocrab's, or octocrab's own in words.
fn unwrap_error(e: octocrab::Error, shown: &str) -> HttpError {
    if let octocrab::Error::Service { source, .. } = e {
        return match source.downcast::<HttpError>() {
            Ok(inner) => *inner,
            Err(other) => HttpError::Transport {
                url: shown.to_owned(),
                message: net::chain(other.as_ref()),
            },
        };
    }
    HttpError::Transport {
        url: shown.to_owned(),
        message: net::chain(&e),
    }
}

fn parse_list(text: &str) -> Result<Vec<Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(_) => Err("expected a JSON list".to_owned()),
        Err(e) => Err(format!("not JSON ({e})")),
    }
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn time_at(v: &Value, pointer: &str) -> Option<DateTime<Utc>> {
    str_at(v, pointer)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// `GET /repos/{o}/{r}/branches/{b}` → `commit.sha`.
pub fn parse_branch_head(text: &str) -> Result<String, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    str_at(&v, "/commit/sha")
        .map(str::to_owned)
        .ok_or_else(|| "no commit.sha in the branch".to_owned())
}

/// One entry of `GET /repos/{o}/{r}/pulls/{n}/reviews`.
pub fn parse_review(v: &Value) -> Result<Review, String> {
    Ok(Review {
        user: str_at(v, "/user/login").map(str::to_owned),
        state: str_at(v, "/state")
            .ok_or("a review without a state")?
            .to_owned(),
        commit_id: str_at(v, "/commit_id").map(str::to_owned),
        submitted_at: time_at(v, "/submitted_at"),
    })
}

pub enum Compare {
    /// Migrations added, in the compare's order.
    Files(Vec<String>),
    /// The file list hit GitHub's cap: how many it holds.
    Capped(usize),
}

/// `GET /repos/{o}/{r}/compare/{base}...{head}` → files added under db/migrate/
/// (renamed or copied into it count as added).
pub fn parse_compare(text: &str) -> Result<Compare, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let files = v
        .get("files")
        .and_then(Value::as_array)
        .ok_or("no files list in the compare")?;
    if files.len() >= COMPARE_FILE_CAP {
        return Ok(Compare::Capped(files.len()));
    }
    let mut migrations = Vec::new();
    for f in files {
        let (Some(name), Some(status)) = (str_at(f, "/filename"), str_at(f, "/status")) else {
            return Err("a file of the compare without a filename or status".to_owned());
        };
        // A renamed or copied migration has a new name, so a version that has not
        // run: it runs on deploy like an added one.
        let new = matches!(status, "added" | "renamed" | "copied");
        if new && is_migration(name) {
            migrations.push(name.to_owned());
        }
    }
    Ok(Compare::Files(migrations))
}

/// A file under a Rails migrations directory: `db/migrate/`, a multi-database
/// app's `db/NAME_migrate/`, or an engine's `…/db/migrate/`; not one under a
/// `spec/` or `test/` tree (fixtures of migration tests).
pub fn is_migration(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    segments
        .windows(3)
        .position(|w| {
            matches!(w, [db, dir, _] if *db == "db" && (*dir == "migrate" || dir.ends_with("_migrate")))
        })
        .is_some_and(|at| {
            !segments
                .iter()
                .take(at)
                .any(|s| matches!(*s, "spec" | "test"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/fixtures/api/github/{rel}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn branch_head_is_the_commit_sha() {
        assert_eq!(
            parse_branch_head(&fixture("branch-apangea-rc.json")).unwrap(),
            "3f2a9c1e8b7d6a5f4e3d2c1b0a99887766554433"
        );
        assert!(parse_branch_head("{\"message\":\"Branch not found\"}").is_err());
    }

    #[test]
    fn reviews_keep_null_users_and_order() {
        let list = parse_list(&fixture("reviews-apangea-412-page1.json")).unwrap();
        let reviews: Vec<_> = list.iter().map(|r| parse_review(r).unwrap()).collect();
        assert_eq!(reviews.len(), 3);
        assert_eq!(reviews[0].user, None);
        assert_eq!(reviews[1].user.as_deref(), Some("jim"));
    }

    #[test]
    fn compare_counts_added_and_renamed_into_migrations() {
        let Compare::Files(files) =
            parse_compare(&fixture("compare-apangea-migrations.json")).unwrap()
        else {
            panic!("capped")
        };
        assert_eq!(
            files,
            vec![
                "db/migrate/20261120120000_create_gradebook_entries.rb",
                "db/migrate/20261121093000_add_index_to_gradebook_entries.rb"
            ]
        );
        let Compare::Files(files) = parse_compare(&fixture("compare-apangea.json")).unwrap() else {
            panic!("capped")
        };
        assert!(files.is_empty(), "{files:?}");
    }

    #[test]
    fn migrations_of_every_database_and_engine_count_but_not_test_fixtures() {
        for path in [
            "db/migrate/20261124000000_add.rb",
            "db/analytics_migrate/20261124000000_add_events.rb",
            "engines/gradebook/db/migrate/20261124000000_add.rb",
            "components/a/db/reports_migrate/1_x.rb",
        ] {
            assert!(is_migration(path), "{path}");
        }
        for path in [
            "db/schema.rb",
            "db/migrate",
            "spec/db/migrate/helper_spec.rb",
            "test/dummy/db/migrate/1_x.rb",
            "app/models/migrate.rb",
            "db/migrations/1_x.rb",
        ] {
            assert!(!is_migration(path), "{path}");
        }
    }

    #[test]
    fn a_migration_renamed_to_a_new_version_or_without_status_counts() {
        let compare =
            |files: Value| parse_compare(&serde_json::json!({ "files": files }).to_string());
        let renamed = compare(serde_json::json!([{
            "filename": "db/migrate/20261124000000_add_gradebook.rb",
            "status": "renamed",
            "previous_filename": "db/migrate/20250101000000_add_gradebook.rb",
        }]));
        assert!(matches!(renamed, Ok(Compare::Files(f)) if f.len() == 1));
        // An entry that cannot be read could be a migration: the compare is unknown.
        assert!(compare(serde_json::json!([{"filename": "db/migrate/1_x.rb"}])).is_err());
        assert!(compare(serde_json::json!([{"status": "added"}])).is_err());
    }

    #[test]
    fn compare_at_the_file_cap_is_capped() {
        assert!(matches!(
            parse_compare(&fixture("compare-apangea-capped.json")).unwrap(),
            Compare::Capped(300)
        ));
    }

    async fn graphql_server(status: u16, answer: Value) -> wiremock::MockServer {
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::method("POST"))
            .and(wiremock::matchers::path("/api/graphql"))
            .and(wiremock::matchers::bearer_token("t0ken-value"))
            .respond_with(wiremock::ResponseTemplate::new(status).set_body_json(answer))
            .mount(&server)
            .await;
        server
    }

    fn client(server: &wiremock::MockServer) -> GitHub {
        let mut policy = net::Policy::new(5, 60, 8);
        policy.backoff = std::time::Duration::from_millis(1);
        let transport = Transport::new(policy).unwrap();
        let base = format!("{}/api/v3", server.uri());
        GitHub::new(&base, "t0ken-value", "T", &transport).unwrap()
    }

    /// GitHub counts REST requests and GraphQL points apart: a REST budget too
    /// small stops REST requests, not the GraphQL queries, and the reverse.
    #[tokio::test]
    async fn rest_and_graphql_budgets_are_kept_apart() {
        use wiremock::matchers::{method, path};
        use wiremock::{Mock, ResponseTemplate};
        let server = graphql_server(200, serde_json::json!({"data": {"ok": true}})).await;
        let budget = |left: &str, resource: &str| {
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"commit": {"sha": "abc"}}))
                .insert_header("x-ratelimit-remaining", left)
                .insert_header("x-ratelimit-reset", "1795550400")
                .insert_header("x-ratelimit-resource", resource)
        };
        Mock::given(method("GET"))
            .and(path("/api/v3/repos/o/a/branches/rc"))
            .respond_with(budget("1", "core"))
            .mount(&server)
            .await;
        let mut gh = client(&server);
        gh.expect_requests(3, 2);
        assert!(
            gh.branch_head("o/a", "rc").await.is_ok(),
            "no budget known yet"
        );
        let refused = gh.branch_head("o/a", "rc").await.unwrap_err().to_string();
        assert!(
            refused.contains("GitHub rate limit: 1 left, resets at 20:00 UTC"),
            "{refused}"
        );
        // The GraphQL pool knows no budget: its query goes out.
        assert!(gh.graphql("query { ok }", Value::Null).await.is_ok());
        // A budget reported for another resource (search) spends neither pool.
        let server = graphql_server(200, serde_json::json!({"data": {"ok": true}})).await;
        Mock::given(method("GET"))
            .and(path("/api/v3/repos/o/a/branches/rc"))
            .respond_with(budget("0", "search"))
            .mount(&server)
            .await;
        let mut gh = client(&server);
        gh.expect_requests(3, 2);
        for _ in 0..2 {
            assert!(gh.branch_head("o/a", "rc").await.is_ok());
        }
    }

    #[tokio::test]
    async fn graphql_returns_data_on_the_shared_transport() {
        let server = graphql_server(
            200,
            serde_json::json!({"data": {"viewer": {"login": "bot"}}}),
        )
        .await;
        let data = client(&server)
            .graphql(
                "query($n: Int) { viewer { login } }",
                serde_json::json!({"n": 1}),
            )
            .await
            .unwrap();
        assert_eq!(data, serde_json::json!({"viewer": {"login": "bot"}}));
        let sent = server.received_requests().await.unwrap();
        let body: Value = serde_json::from_slice(&sent[0].body).unwrap();
        assert_eq!(body["variables"], serde_json::json!({"n": 1}));
    }

    #[tokio::test]
    async fn graphql_errors_with_status_200_are_errors() {
        let server = graphql_server(
            200,
            serde_json::json!({"data": null, "errors": [{"message": "Field 'x' doesn't exist"}]}),
        )
        .await;
        let err = client(&server)
            .graphql("query { x }", Value::Null)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("Field 'x' doesn't exist"), "{err}");
    }

    #[tokio::test]
    async fn a_graphql_query_is_retried_and_a_mutation_is_not() {
        for (query, tries) in [("query { a }", 2), ("mutation { b }", 1)] {
            let server = graphql_server(503, serde_json::json!({"message": "busy"})).await;
            let _ = client(&server).graphql(query, Value::Null).await;
            assert_eq!(
                server.received_requests().await.unwrap().len(),
                tries,
                "{query}"
            );
        }
    }
}

//! A local stand-in for Jenkins, New Relic and GitHub, answering with the recorded
//! answers in `fixtures/api/{jenkins,newrelic,github}/`, for tests and benches.
//!
//! The API (stable: other test files and benches use it):
//!
//! - `start_green().await -> Services` (or `Services::start_green().await`): a wiremock
//!   server answering every endpoint of a green release of the two repos of the
//!   shipped `gatekeeper.toml` (thinkthroughmath/apangea with job `apangea-rc`,
//!   thinkthroughmath/lesson-content with job `lesson-content/job/rc`). Checked at
//!   [`GREEN_AT`] without downtime, it allows. `Services::start_green_delayed(d)` delays
//!   every answer by `d` (benches).
//! - `Services::green_blocking()`: the same for plain `#[test]` functions (never call
//!   it inside a tokio runtime). wiremock serves from its own thread, so the binary may
//!   be run synchronously (`Command::output`) even inside `#[tokio::test]`.
//! - `services.write_config(dir) -> PathBuf`: writes `dir/gatekeeper.toml` pointing
//!   jenkins/newrelic/github at the server (policies = this repo's `policies/`,
//!   audit_log in `dir`, timeout_seconds = 5). `write_config_with(dir, |toml| ...)`
//!   edits the text before it is written (e.g. replace `path = "../apangea"`, or
//!   `timeout_seconds = 5`).
//! - `Services::env()`: the token variables and their known test values, to pass to
//!   `Command::envs`; [`SECRETS`] lists the values, to search output for leaks.
//! - `services.answer(path, template).await` / `answer_blocking`: answer GET or POST
//!   on exactly `path` with `template` instead of the green fixture (overrides win).
//!   `services.answer_fixture(path, "jenkins/apangea-rc-old-sha.json").await` serves a
//!   fixture. `services.mount(mock).await` for anything else (give it `.with_priority(1)`).
//! - GitHub's GraphQL endpoint answers two queries, told apart by their operation
//!   name: the notices (`answer_notices`) and the batched release query, which the
//!   stand-in composes from one answer per repository, as GitHub would: each
//!   `rN: repository(owner: $oN, name: $nN)` gets the node stored for that repo
//!   (`release`, `set_release`, `edit_release`, `release_fixture` with a recorded
//!   single-repo answer `{"data": {"r0": …}}`); a repo without one is NOT_FOUND.
//!   `answer_releases(template)` answers the whole query instead.
//! - New Relic's NerdGraph answers the throughput NRQL (`newrelic/rpm.json`), the
//!   guard's figures (`newrelic/guard-baseline.json`, or `guard-series.json` for a
//!   `TIMESERIES` query), the
//!   app's entity search (`query Entity(`) and its open issues (`query OpenIssues(`,
//!   none; `answer_issues(template)` answers it instead).
//! - Paths of the endpoints: [`paths`]; fixture text: [`fixture_text`].
//!
//! This file stands alone (benches include it with `#[path]`): it never runs the
//! binary and never reads the real environment.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{basic_auth, bearer_token, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

/// A moment when the green release is checked: Tuesday 14:00 in New York, before any
/// downtime window, after every build and review in the fixtures.
pub const GREEN_AT: &str = "2026-11-24T19:00:00Z";

pub const JENKINS_USER: &str = "deploybot";
pub const JENKINS_TOKEN: &str = "jk-test-11f0e5c3a9d24b7e";
pub const NEW_RELIC_API_KEY: &str = "NRAK-TEST0SECRET0VALUE0XYZ";
pub const GITHUB_TOKEN: &str = "ghp_testSecretToken0123456789abcdef";
/// Every secret the test services expect: none may appear in any output.
pub const SECRETS: [&str; 3] = [JENKINS_TOKEN, NEW_RELIC_API_KEY, GITHUB_TOKEN];

/// Where each service lives under the server's address.
pub mod paths {
    pub const JENKINS: &str = "/jenkins";
    pub const NEWRELIC: &str = "/graphql";
    pub const GITHUB: &str = "/api/v3";

    pub const JENKINS_APANGEA: &str = "/jenkins/job/apangea-rc/lastCompletedBuild/api/json";
    pub const JENKINS_LESSON: &str =
        "/jenkins/job/lesson-content/job/rc/lastCompletedBuild/api/json";
    pub const PRODUCTION_BRANCH: &str =
        "/api/v3/repos/thinkthroughmath/aws-production/branches/master";
    pub const APANGEA_BRANCH: &str = "/api/v3/repos/thinkthroughmath/apangea/branches/rc";
    pub const LESSON_BRANCH: &str = "/api/v3/repos/thinkthroughmath/lesson-content/branches/rc";
    /// Read only when the release query says a pull request has more reviews than
    /// one page holds.
    pub const APANGEA_REVIEWS: &str = "/api/v3/repos/thinkthroughmath/apangea/pulls/412/reviews";
    pub const LESSON_REVIEWS: &str =
        "/api/v3/repos/thinkthroughmath/lesson-content/pulls/88/reviews";
    pub const APANGEA_COMPARE: &str = "/api/v3/repos/thinkthroughmath/apangea/compare/aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00...3f2a9c1e8b7d6a5f4e3d2c1b0a99887766554433";
    pub const LESSON_COMPARE: &str = "/api/v3/repos/thinkthroughmath/lesson-content/compare/master...5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c";
    /// GitHub's GraphQL endpoint beside the REST base `/api/v3` (GitHub Enterprise's shape).
    pub const GITHUB_GRAPHQL: &str = "/api/graphql";
}

/// The release repos of the shipped config.
pub const APANGEA: &str = "thinkthroughmath/apangea";
pub const LESSON: &str = "thinkthroughmath/lesson-content";

/// How a GraphQL request body names each of the two GitHub queries.
pub const RELEASES_QUERY: &str = "query Releases(";
pub const NOTICES_QUERY: &str = "query Notices(";
/// How a NerdGraph request body names the app's entity search and its open issues.
pub const ENTITY_QUERY: &str = "query Entity(";
pub const ISSUES_QUERY: &str = "query OpenIssues(";
/// What every NRQL query's body holds (throughput and the guard's figures).
pub const NRQL_FIELD: &str = "nrql(query:";

/// The recorded answer at `fixtures/api/REL`.
pub fn fixture_text(rel: &str) -> String {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/api")
        .join(rel);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("fixture {}: {e}", file.display()))
}

/// A 200 JSON answer with the fixture's text.
pub fn json_fixture(rel: &str) -> ResponseTemplate {
    json_fixture_status(200, rel)
}

/// A JSON answer with this status and the fixture's text.
pub fn json_fixture_status(status: u16, rel: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/json; charset=utf-8")
        .set_body_string(fixture_text(rel))
}

pub struct Services {
    server: MockServer,
    delay: Duration,
    releases: Releases,
}

/// The release query's stand-in: one stored node per repository ("owner/name").
#[derive(Clone, Default)]
struct Releases {
    repos: Arc<Mutex<HashMap<String, Value>>>,
    delay: Duration,
}

impl Respond for Releases {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let vars = &body["variables"];
        let repos = self.repos.lock().unwrap();
        let mut data = serde_json::Map::new();
        let mut errors = Vec::new();
        for i in 0.. {
            let (Some(owner), Some(name)) = (
                vars[format!("o{i}")].as_str(),
                vars[format!("n{i}")].as_str(),
            ) else {
                break;
            };
            let alias = format!("r{i}");
            let repo = format!("{owner}/{name}");
            match repos.get(&repo) {
                Some(node) if !node.is_null() => {
                    data.insert(alias, node.clone());
                }
                _ => {
                    data.insert(alias.clone(), Value::Null);
                    errors.push(json!({
                        "type": "NOT_FOUND",
                        "path": [alias],
                        "locations": [{"line": 2 + i, "column": 3}],
                        "message": format!("Could not resolve to a Repository with the name '{repo}'."),
                    }));
                }
            }
        }
        let mut answer = json!({ "data": data });
        if !errors.is_empty() {
            answer["errors"] = Value::Array(errors);
        }
        let template = ResponseTemplate::new(200)
            .insert_header("content-type", "application/json; charset=utf-8")
            .set_body_string(answer.to_string());
        if self.delay.is_zero() {
            template
        } else {
            template.set_delay(self.delay)
        }
    }
}

/// Whether `request` is the batched release query.
pub fn is_release_query(request: &wiremock::Request) -> bool {
    request.url.path() == paths::GITHUB_GRAPHQL
        && String::from_utf8_lossy(&request.body).contains(RELEASES_QUERY)
}

/// The node of a recorded single-repo release answer (`data.r0`).
pub fn release_node(rel: &str) -> Value {
    let answer: Value = serde_json::from_str(&fixture_text(rel)).unwrap();
    answer["data"]["r0"].clone()
}

/// A server answering every endpoint for a green release.
pub async fn start_green() -> Services {
    Services::start_green().await
}

impl Services {
    pub async fn start_green() -> Services {
        Self::start_green_delayed(Duration::ZERO).await
    }

    /// Every answer (overrides included) comes after `delay`.
    pub async fn start_green_delayed(delay: Duration) -> Services {
        let releases = Releases {
            delay,
            ..Releases::default()
        };
        for (repo, rel) in [
            (APANGEA, "github/graphql-release-apangea.json"),
            (LESSON, "github/graphql-release-lesson-content.json"),
        ] {
            releases
                .repos
                .lock()
                .unwrap()
                .insert(repo.to_owned(), release_node(rel));
        }
        let services = Services {
            server: MockServer::start().await,
            delay,
            releases,
        };
        for mock in services.green_mocks() {
            services.server.register(mock).await;
        }
        services
    }

    /// [`Services::start_green`] for tests without a runtime.
    pub fn green_blocking() -> Services {
        runtime().block_on(Self::start_green())
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// The token variables the config names, with their test values.
    pub fn env() -> [(&'static str, &'static str); 3] {
        [
            ("JENKINS_TOKEN", JENKINS_TOKEN),
            ("NEW_RELIC_API_KEY", NEW_RELIC_API_KEY),
            ("GITHUB_TOKEN", GITHUB_TOKEN),
        ]
    }

    /// The config text pointing at this server.
    pub fn config_text(&self) -> String {
        let uri = self.uri();
        let policies = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies");
        format!(
            r#"# Written by tests/it/support/server.rs for a local stand-in of the services.
timezone = "America/New_York"
policies = {policies:?}
audit_log = ".gatekeeper/audit.jsonl"
deploy_minutes = 60
timeout_seconds = 5

[jenkins]
url = "{uri}{jenkins}"
user = "{JENKINS_USER}"
token_env = "JENKINS_TOKEN"

[newrelic]
url = "{uri}{newrelic}"
account_id = 1234567
api_key_env = "NEW_RELIC_API_KEY"
window_minutes = 5

[github]
url = "{uri}{github}"
token_env = "GITHUB_TOKEN"

[targets.production]
app = "apangea"
deploy_repo = "thinkthroughmath/aws-production"
deploy_remote = "aws-production"
notices_repo = "thinkthroughmath/deploy-notices"
release_branch = "rc"
base_branch = "master"
smoke_urls = ["{uri}/up"]

[[targets.production.repos]]
github = "thinkthroughmath/apangea"
jenkins_job = "apangea-rc"
path = "../apangea"

[[targets.production.repos]]
github = "thinkthroughmath/lesson-content"
jenkins_job = "lesson-content/job/rc"
path = "../lesson-content"
"#,
            policies = policies.display().to_string(),
            jenkins = paths::JENKINS,
            newrelic = paths::NEWRELIC,
            github = paths::GITHUB,
        )
    }

    /// Writes `dir/gatekeeper.toml` and returns its path.
    pub fn write_config(&self, dir: &Path) -> PathBuf {
        self.write_config_with(dir, |_| {})
    }

    /// Writes `dir/gatekeeper.toml` after `edit` changed its text.
    pub fn write_config_with(&self, dir: &Path, edit: impl FnOnce(&mut String)) -> PathBuf {
        let mut text = self.config_text();
        edit(&mut text);
        let file = dir.join("gatekeeper.toml");
        std::fs::write(&file, text).unwrap();
        file
    }

    /// Answers any request on exactly `at` with `template`, ahead of the green answer.
    /// On New Relic's path only the NRQL queries (throughput, the guard's figures)
    /// are answered so: the entity and issues queries keep their own answers
    /// (`answer_issues`, `answer_entity`).
    pub async fn answer(&self, at: &str, template: ResponseTemplate) {
        let mock = Mock::given(path(at));
        let mock = if at == paths::NEWRELIC {
            mock.and(body_string_contains(NRQL_FIELD))
        } else {
            mock
        };
        self.mount(mock.respond_with(self.delayed(template))).await;
    }

    /// Answers New Relic's entity search for the app with `template`.
    pub async fn answer_entity(&self, template: ResponseTemplate) {
        self.mount(
            Mock::given(path(paths::NEWRELIC))
                .and(body_string_contains(ENTITY_QUERY))
                .respond_with(self.delayed(template)),
        )
        .await;
    }

    pub async fn answer_fixture(&self, at: &str, rel: &str) {
        self.answer(at, json_fixture(rel)).await;
    }

    pub fn answer_blocking(&self, at: &str, template: ResponseTemplate) {
        runtime().block_on(self.answer(at, template));
    }

    /// Answers the notices query (GraphQL) with `template`.
    pub async fn answer_notices(&self, template: ResponseTemplate) {
        self.answer_query(NOTICES_QUERY, template).await;
    }

    /// Answers New Relic's open-issues query (NerdGraph `aiIssues`) with `template`.
    pub async fn answer_issues(&self, template: ResponseTemplate) {
        self.mount(
            Mock::given(path(paths::NEWRELIC))
                .and(body_string_contains(ISSUES_QUERY))
                .respond_with(self.delayed(template)),
        )
        .await;
    }

    /// Answers the whole release query (every repo at once) with `template`.
    pub async fn answer_releases(&self, template: ResponseTemplate) {
        self.answer_query(RELEASES_QUERY, template).await;
    }

    async fn answer_query(&self, name: &str, template: ResponseTemplate) {
        self.mount(
            Mock::given(path(paths::GITHUB_GRAPHQL))
                .and(body_string_contains(name))
                .respond_with(self.delayed(template)),
        )
        .await;
    }

    /// The node the release query answers for `repo` ("owner/name").
    pub fn release(&self, repo: &str) -> Value {
        let repos = self.releases.repos.lock().unwrap();
        repos.get(repo).cloned().unwrap_or(Value::Null)
    }

    /// Answers the release query for `repo` with `node` (`null`: not found).
    pub fn set_release(&self, repo: &str, node: Value) {
        let mut repos = self.releases.repos.lock().unwrap();
        repos.insert(repo.to_owned(), node);
    }

    /// Changes the node the release query answers for `repo`.
    pub fn edit_release(&self, repo: &str, edit: impl FnOnce(&mut Value)) {
        let mut node = self.release(repo);
        edit(&mut node);
        self.set_release(repo, node);
    }

    /// Answers the release query for `repo` with the recorded answer `rel`.
    pub fn release_fixture(&self, repo: &str, rel: &str) {
        self.set_release(repo, release_node(rel));
    }

    /// Mounts `mock` ahead of the green answers (priority 1).
    pub async fn mount(&self, mock: Mock) {
        self.server.register(mock.with_priority(1)).await;
    }

    /// The requests received so far.
    pub async fn requests(&self) -> Vec<wiremock::Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    fn delayed(&self, template: ResponseTemplate) -> ResponseTemplate {
        if self.delay.is_zero() {
            template
        } else {
            template.set_delay(self.delay)
        }
    }

    fn green_mocks(&self) -> Vec<Mock> {
        let jenkins = |at: &str, rel: &str| {
            Mock::given(method("GET"))
                .and(path(at))
                .and(basic_auth(JENKINS_USER, JENKINS_TOKEN))
                .respond_with(self.delayed(json_fixture(rel)))
                .with_priority(5)
        };
        let github = |at: &str, rel: &str| {
            Mock::given(method("GET"))
                .and(path(at))
                .and(bearer_token(GITHUB_TOKEN))
                .respond_with(self.delayed(json_fixture(rel)))
                .with_priority(5)
        };
        vec![
            jenkins(paths::JENKINS_APANGEA, "jenkins/apangea-rc.json"),
            jenkins(paths::JENKINS_LESSON, "jenkins/lesson-content-rc.json"),
            Mock::given(method("POST"))
                .and(path(paths::NEWRELIC))
                .and(header("API-Key", NEW_RELIC_API_KEY))
                .respond_with(self.delayed(json_fixture("newrelic/rpm.json")))
                .with_priority(5),
            // The guard's figures: a single value (`guard-baseline.json`), or a row a
            // minute for a `TIMESERIES` query (`guard-series.json`).
            Mock::given(method("POST"))
                .and(path(paths::NEWRELIC))
                .and(body_string_contains("error_pct"))
                .and(body_string_contains("TIMESERIES"))
                .and(header("API-Key", NEW_RELIC_API_KEY))
                .respond_with(self.delayed(json_fixture("newrelic/guard-series.json")))
                .with_priority(3),
            Mock::given(method("POST"))
                .and(path(paths::NEWRELIC))
                .and(body_string_contains("error_pct"))
                .and(header("API-Key", NEW_RELIC_API_KEY))
                .respond_with(self.delayed(json_fixture("newrelic/guard-baseline.json")))
                .with_priority(4),
            Mock::given(method("POST"))
                .and(path(paths::NEWRELIC))
                .and(body_string_contains(ENTITY_QUERY))
                .and(header("API-Key", NEW_RELIC_API_KEY))
                .respond_with(self.delayed(json_fixture("newrelic/entity-apangea.json")))
                .with_priority(4),
            Mock::given(method("POST"))
                .and(path(paths::NEWRELIC))
                .and(body_string_contains(ISSUES_QUERY))
                .and(header("API-Key", NEW_RELIC_API_KEY))
                .respond_with(self.delayed(json_fixture("newrelic/issues-none.json")))
                .with_priority(4),
            github(
                paths::PRODUCTION_BRANCH,
                "github/branch-aws-production-master.json",
            ),
            github(paths::APANGEA_BRANCH, "github/branch-apangea-rc.json"),
            github(paths::LESSON_BRANCH, "github/branch-lesson-content-rc.json"),
            github(paths::APANGEA_REVIEWS, "github/reviews-apangea-412.json"),
            github(
                paths::LESSON_REVIEWS,
                "github/reviews-lesson-content-88.json",
            ),
            github(paths::APANGEA_COMPARE, "github/compare-apangea.json"),
            github(paths::LESSON_COMPARE, "github/compare-lesson-content.json"),
            Mock::given(method("POST"))
                .and(path(paths::GITHUB_GRAPHQL))
                .and(body_string_contains(NOTICES_QUERY))
                .and(bearer_token(GITHUB_TOKEN))
                .respond_with(self.delayed(json_fixture("github/graphql-notices-none.json")))
                .with_priority(5),
            Mock::given(method("POST"))
                .and(path(paths::GITHUB_GRAPHQL))
                .and(body_string_contains(RELEASES_QUERY))
                .and(bearer_token(GITHUB_TOKEN))
                .respond_with(self.releases.clone())
                .with_priority(5),
        ]
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

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
//!   `services.answer_fixture(path, "github/pulls-empty.json").await` serves a fixture.
//!   `services.mount(mock).await` for anything else (give it `.with_priority(1)`).
//! - Paths of the endpoints: [`paths`]; fixture text: [`fixture_text`].
//!
//! This file stands alone (benches include it with `#[path]`): it never runs the
//! binary and never reads the real environment.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use wiremock::matchers::{basic_auth, bearer_token, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

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
    pub const APANGEA_PULLS: &str = "/api/v3/repos/thinkthroughmath/apangea/pulls";
    pub const LESSON_PULLS: &str = "/api/v3/repos/thinkthroughmath/lesson-content/pulls";
    pub const APANGEA_REVIEWS: &str = "/api/v3/repos/thinkthroughmath/apangea/pulls/412/reviews";
    pub const LESSON_REVIEWS: &str =
        "/api/v3/repos/thinkthroughmath/lesson-content/pulls/88/reviews";
    pub const APANGEA_COMPARE: &str = "/api/v3/repos/thinkthroughmath/apangea/compare/aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00...3f2a9c1e8b7d6a5f4e3d2c1b0a99887766554433";
    /// The app's release head against its base branch (what rc lacks of master).
    pub const APANGEA_BASE_COMPARE: &str = "/api/v3/repos/thinkthroughmath/apangea/compare/master...3f2a9c1e8b7d6a5f4e3d2c1b0a99887766554433";
    pub const LESSON_COMPARE: &str = "/api/v3/repos/thinkthroughmath/lesson-content/compare/master...5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c";
    /// GitHub's GraphQL endpoint beside the REST base `/api/v3` (GitHub Enterprise's shape).
    pub const GITHUB_GRAPHQL: &str = "/api/graphql";
    /// The notices are one GraphQL query.
    pub const NOTICES: &str = GITHUB_GRAPHQL;
}

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
        let services = Services {
            server: MockServer::start().await,
            delay,
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
    pub async fn answer(&self, at: &str, template: ResponseTemplate) {
        self.mount(Mock::given(path(at)).respond_with(self.delayed(template)))
            .await;
    }

    pub async fn answer_fixture(&self, at: &str, rel: &str) {
        self.answer(at, json_fixture(rel)).await;
    }

    pub fn answer_blocking(&self, at: &str, template: ResponseTemplate) {
        runtime().block_on(self.answer(at, template));
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
            github(
                paths::PRODUCTION_BRANCH,
                "github/branch-aws-production-master.json",
            ),
            github(paths::APANGEA_BRANCH, "github/branch-apangea-rc.json"),
            github(paths::LESSON_BRANCH, "github/branch-lesson-content-rc.json"),
            // The release pull request is asked for by head and base.
            Mock::given(method("GET"))
                .and(path(paths::APANGEA_PULLS))
                .and(query_param("head", "thinkthroughmath:rc"))
                .and(query_param("base", "master"))
                .and(bearer_token(GITHUB_TOKEN))
                .respond_with(self.delayed(json_fixture("github/pulls-apangea.json")))
                .with_priority(5),
            Mock::given(method("GET"))
                .and(path(paths::LESSON_PULLS))
                .and(query_param("head", "thinkthroughmath:rc"))
                .and(query_param("base", "master"))
                .and(bearer_token(GITHUB_TOKEN))
                .respond_with(self.delayed(json_fixture("github/pulls-lesson-content.json")))
                .with_priority(5),
            github(paths::APANGEA_REVIEWS, "github/reviews-apangea-412.json"),
            github(
                paths::LESSON_REVIEWS,
                "github/reviews-lesson-content-88.json",
            ),
            github(paths::APANGEA_COMPARE, "github/compare-apangea.json"),
            github(paths::LESSON_COMPARE, "github/compare-lesson-content.json"),
            github(
                paths::APANGEA_BASE_COMPARE,
                "github/compare-apangea-master.json",
            ),
            Mock::given(method("POST"))
                .and(path(paths::NOTICES))
                .and(bearer_token(GITHUB_TOKEN))
                .respond_with(self.delayed(json_fixture("github/graphql-notices-none.json")))
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

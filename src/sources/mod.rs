//! Collects the facts document from every source at once: Jenkins, New Relic,
//! GitHub and the downtime notices (on GitHub) run concurrently, and inside each
//! source only the requests that need an earlier answer wait for it. A source that
//! fails leaves its section absent and records why in `errors`, with every secret
//! scrubbed. Sources never see policies and never judge a fact.

pub mod deployments;
pub mod github;
pub mod http;
pub mod jenkins;
pub mod newrelic;
pub mod notices;

use std::future::Future;

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use tokio::sync::OnceCell;

use crate::config::{Config, TargetConfig};
use crate::facts::{CiBuild, Facts, Production, PullRequest, RepoFacts, SCHEMA, Window};
use github::GitHub;
use http::{Credential, Env, Policy, Redactor, Transport};

/// What to collect, and for which moment and window.
pub struct Request<'a> {
    pub config: &'a Config,
    pub target: &'a str,
    pub now: DateTime<Utc>,
    pub window: Window,
    pub downtime_requested: bool,
    /// Told one line per HTTP try (`--verbose`), secrets already scrubbed.
    pub log: Option<http::Log>,
    /// Told the transport's counts once collection ends (benches).
    pub stats: Option<StatsSink>,
}

/// Receives the requests and peak in flight of each service.
pub type StatsSink = std::sync::Arc<dyn Fn(&[http::Stats]) + Send + Sync>;

/// Told when each source starts and ends, so that a terminal can show progress.
pub trait Progress: Sync {
    fn started(&self, _source: &str) {}
    fn finished(&self, _source: &str, _ok: bool) {}
}

/// Shows nothing.
pub struct Silent;
impl Progress for Silent {}

/// The source names used in `errors` and told to [`Progress`].
pub const JENKINS: &str = "jenkins";
pub const NEWRELIC: &str = "newrelic";
pub const GITHUB: &str = "github";
pub const NOTICES: &str = "notices";
pub const SOURCES: [&str; 4] = [JENKINS, NEWRELIC, GITHUB, NOTICES];

/// An error for the facts document: which repo it is about, if one, and why.
type Failure = (Option<String>, String);

pub async fn collect(request: &Request<'_>, progress: &dyn Progress) -> Facts {
    collect_with_env(request, progress, &http::process_env).await
}

/// [`collect`] with secrets read through `env` instead of the process environment
/// (benches and tests that cannot change their own environment).
pub async fn collect_with_env(
    request: &Request<'_>,
    progress: &dyn Progress,
    env: Env<'_>,
) -> Facts {
    let config = request.config;
    let target = config.targets.get(request.target);
    let mut facts = Facts {
        schema: SCHEMA,
        target: request.target.to_owned(),
        now: request.now,
        now_unix: request.now.timestamp(),
        timezone: config.timezone.clone(),
        window: request.window.clone(),
        downtime_requested: request.downtime_requested,
        overrides: Vec::new(),
        production: None,
        repos: target
            .map(|t| {
                t.repos
                    .iter()
                    .map(|r| RepoFacts {
                        name: r.github.clone(),
                        jenkins_job: r.jenkins_job.clone(),
                        release_branch: t.release_branch.clone(),
                        base_branch: t.base_branch.clone(),
                        release_sha: None,
                        ci: None,
                        pull_requests: None,
                        migrations: None,
                        migrations_base: None,
                        behind_by: None,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        throughput: None,
        notices: None,
        errors: Vec::new(),
    };
    let Some(target) = target else {
        for source in SOURCES {
            facts.add_error(
                source,
                format!("target {:?} is not in the config", request.target),
            );
        }
        return facts;
    };
    let redactor = redactor(config, env);
    let mut policy = Policy::of(config);
    if let Some(log) = request.log.clone() {
        let scrub = redactor.clone();
        policy.log = Some(std::sync::Arc::new(move |line: &str| {
            log(&scrub.scrub(line))
        }));
    }
    for source in SOURCES {
        progress.started(source);
    }
    let (ci, throughput, (gh, notices)) = match Transport::new(policy) {
        Ok(transport) => {
            let (ci, throughput, github) = tokio::join!(
                async {
                    let ci = collect_jenkins(config, target, &transport, env).await;
                    let ok = ci
                        .as_ref()
                        .is_ok_and(|builds| builds.iter().all(Result::is_ok));
                    progress.finished(JENKINS, ok);
                    ci
                },
                reported(
                    progress,
                    NEWRELIC,
                    collect_newrelic(config, target, &transport, env)
                ),
                collect_github(config, target, &transport, progress, env, request.now),
            );
            if let Some(stats) = &request.stats {
                stats(&transport.stats());
            }
            (ci, throughput, github)
        }
        Err(e) => {
            let e = e.to_string();
            for source in SOURCES {
                progress.finished(source, false);
            }
            (Err(e.clone()), Err(e.clone()), (Err(e.clone()), Err(e)))
        }
    };

    let mut failures: Vec<(&str, Failure)> = Vec::new();
    match ci {
        Ok(builds) => {
            for (repo, build) in facts.repos.iter_mut().zip(builds) {
                match build {
                    Ok(b) => repo.ci = Some(b),
                    Err(e) => failures.push((JENKINS, (Some(repo.name.clone()), e))),
                }
            }
        }
        Err(e) => failures.push((JENKINS, (None, e))),
    }
    match throughput {
        Ok(t) => facts.throughput = Some(t),
        Err(e) => failures.push((NEWRELIC, (None, e))),
    }
    match gh {
        Ok(gh) => {
            // A failed production SHA is named by the compare that needed it (the
            // app's migrations), not blamed on every check.
            if let Ok(sha) = gh.production {
                facts.production = Some(Production {
                    repo: target.deploy_repo.clone(),
                    branch: target.base_branch.clone(),
                    sha,
                });
            }
            for (repo, found) in facts.repos.iter_mut().zip(gh.repos) {
                repo.release_sha = found.release_sha;
                repo.pull_requests = found.pull_requests;
                repo.migrations = found.migrations;
                repo.migrations_base = found.migrations_base;
                repo.behind_by = found.behind_by;
                for e in found.errors {
                    failures.push((GITHUB, (Some(repo.name.clone()), e)));
                }
            }
        }
        Err(e) => failures.push((GITHUB, (None, e))),
    }
    match notices {
        Ok(n) => facts.notices = Some(n),
        Err(e) => failures.push((NOTICES, (None, e))),
    }
    for (source, (repo, message)) in failures {
        let message = redactor.scrub(&message);
        match repo {
            Some(repo) => facts.add_repo_error(source, &repo, message),
            None => facts.add_error(source, message),
        }
    }
    facts
}

/// Tells `progress` when `work` ends, and whether it went well.
async fn reported<T, E>(
    progress: &dyn Progress,
    source: &str,
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let result = work.await;
    progress.finished(source, result.is_ok());
    result
}

/// Every secret the config points at, to scrub from messages.
pub fn redactor(config: &Config, env: Env<'_>) -> Redactor {
    let mut vars: Vec<&str> = Vec::new();
    if let Some(j) = &config.jenkins
        && let Some(var) = &j.token_env
    {
        vars.push(var);
    }
    if let Some(n) = &config.newrelic {
        vars.push(&n.api_key_env);
    }
    if let Some(g) = &config.github {
        vars.push(&g.token_env);
    }
    let mut redactor = Redactor::from_env(env, &vars);
    if let Some(j) = &config.jenkins
        && let (Some(user), Some(var)) = (&j.user, &j.token_env)
        && let Some(token) = env(var)
    {
        redactor = redactor.with_basic(user, &token);
    }
    redactor
}

/// One line per secret variable the config names that is unset or empty, among
/// the `sections` a command uses ("jenkins", "newrelic", "github"): said before any
/// request, so that a missing token is never mistaken for a deny.
pub fn missing_secrets(config: &Config, env: Env<'_>, sections: &[&str]) -> Vec<String> {
    let mut wanted: Vec<(&str, &str, &str)> = Vec::new();
    if let Some(j) = &config.jenkins
        && let Some(var) = &j.token_env
    {
        wanted.push((var, "jenkins.token_env", "Jenkins API token"));
    }
    if let Some(n) = &config.newrelic {
        wanted.push((
            &n.api_key_env,
            "newrelic.api_key_env",
            "New Relic user API key",
        ));
    }
    if let Some(g) = &config.github {
        wanted.push((&g.token_env, "github.token_env", "GitHub token"));
    }
    wanted
        .into_iter()
        .filter(|(_, key, _)| sections.iter().any(|s| key.starts_with(&format!("{s}."))))
        .filter_map(|(var, key, what)| http::secret(env, var, key, what).err())
        .map(|e| e.to_string())
        .collect()
}

fn missing_section(config: &Config, section: &str, keys: &str) -> String {
    format!(
        "no [{section}] section in config {}: add one with {keys}",
        config.path.display()
    )
}

/// Each repo's last completed build; the outer error is about Jenkins as a whole.
async fn collect_jenkins(
    config: &Config,
    target: &TargetConfig,
    transport: &Transport,
    env: Env<'_>,
) -> Result<Vec<Result<CiBuild, String>>, String> {
    let jc = config
        .jenkins
        .as_ref()
        .ok_or_else(|| missing_section(config, "jenkins", "url, user and token_env"))?;
    let token = match &jc.token_env {
        Some(var) => Some(
            http::secret(env, var, "jenkins.token_env", "Jenkins API token")
                .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    let auth = match (&jc.user, token) {
        (Some(user), Some(token)) => {
            Some(Credential::basic(&jc.url, user, &token).map_err(|e| e.to_string())?)
        }
        (None, Some(_)) => {
            return Err(
                "jenkins.token_env is set but jenkins.user is not: Jenkins needs both for basic auth"
                    .to_owned(),
            );
        }
        _ => None,
    };
    let builds = join_all(target.repos.iter().map(|repo| {
        jenkins::last_build(
            transport,
            &jc.url,
            auth.as_ref(),
            &repo.github,
            &repo.jenkins_job,
        )
    }))
    .await;
    Ok(builds
        .into_iter()
        .map(|b| b.map_err(|e| e.to_string()))
        .collect())
}

async fn collect_newrelic(
    config: &Config,
    target: &TargetConfig,
    transport: &Transport,
    env: Env<'_>,
) -> Result<crate::facts::Throughput, String> {
    let nc = config
        .newrelic
        .as_ref()
        .ok_or_else(|| missing_section(config, "newrelic", "account_id and api_key_env"))?;
    let key = http::secret(
        env,
        &nc.api_key_env,
        "newrelic.api_key_env",
        "New Relic user API key",
    )
    .map_err(|e| e.to_string())?;
    let key = Credential::new(&nc.url, "API-Key", &key).map_err(|e| e.to_string())?;
    newrelic::throughput(
        transport,
        &nc.url,
        &key,
        nc.account_id,
        &target.app,
        nc.window_minutes,
    )
    .await
    .map_err(|e| e.to_string())
}

/// What GitHub told about the target.
struct GithubFacts {
    production: Result<String, String>,
    repos: Vec<RepoGithub>,
}

#[derive(Default)]
struct RepoGithub {
    release_sha: Option<String>,
    pull_requests: Option<Vec<PullRequest>>,
    migrations: Option<Vec<String>>,
    migrations_base: Option<String>,
    behind_by: Option<u64>,
    errors: Vec<String>,
}

type GithubResults = (
    Result<GithubFacts, String>,
    Result<Vec<crate::facts::Notice>, String>,
);

/// GitHub and the notices share one client and run side by side.
async fn collect_github(
    config: &Config,
    target: &TargetConfig,
    transport: &Transport,
    progress: &dyn Progress,
    env: Env<'_>,
    now: DateTime<Utc>,
) -> GithubResults {
    let client = match github_client(config, transport, env) {
        Ok(mut c) => {
            c.expect_requests(expected_github_requests(target));
            c
        }
        Err(e) => {
            progress.finished(GITHUB, false);
            progress.finished(NOTICES, false);
            return (Err(e.clone()), Err(e));
        }
    };
    let (gh, notices) = tokio::join!(
        async {
            let facts = github_facts(&client, target).await;
            let ok = facts.production.is_ok() && facts.repos.iter().all(|r| r.errors.is_empty());
            progress.finished(GITHUB, ok);
            Ok(facts)
        },
        reported(progress, NOTICES, async {
            notices::fetch(&client, &target.notices_repo, config.tz(), now)
                .await
                .map_err(|e| e.to_string())
        }),
    );
    (gh, notices)
}

/// The GitHub client of the config, with the token from the variable it names, on
/// `transport`. Needs a tokio runtime.
pub fn github_client(
    config: &Config,
    transport: &Transport,
    env: Env<'_>,
) -> Result<GitHub, String> {
    let gc = config
        .github
        .as_ref()
        .ok_or_else(|| missing_section(config, "github", "url and token_env"))?;
    let token = http::secret(env, &gc.token_env, "github.token_env", "GitHub token")
        .map_err(|e| e.to_string())?;
    GitHub::new(&gc.url, &token, &gc.token_env, transport).map_err(|e| e.to_string())
}

/// About how many GitHub requests a check of `target` makes: per repo its head,
/// pull requests, their reviews and a compare; then the production SHA and the
/// notices with their comments.
fn expected_github_requests(target: &TargetConfig) -> u64 {
    let repos = u64::try_from(target.repos.len()).unwrap_or(u64::MAX);
    repos.saturating_mul(4).saturating_add(4)
}

async fn github_facts(gh: &GitHub, target: &TargetConfig) -> GithubFacts {
    // The production SHA is wanted twice (the section, the app's compare): fetch once.
    let production: OnceCell<Result<String, String>> = OnceCell::new();
    let production_sha = || {
        production.get_or_init(|| async {
            gh.branch_head(&target.deploy_repo, &target.base_branch)
                .await
                .map_err(|e| format!("production SHA unknown: {e}"))
        })
    };
    let (production_result, repos) =
        tokio::join!(
            production_sha(),
            join_all(target.repos.iter().enumerate().map(|(i, repo)| {
                repo_github(gh, target, &repo.github, i == 0, production_sha)
            }))
        );
    GithubFacts {
        production: production_result.clone(),
        repos,
    }
}

/// A release repo's head, release pull requests with reviews, and migrations. The
/// first repo (the app) compares from the production SHA, the others from their
/// base branch.
async fn repo_github<'a, F, Fut>(
    gh: &GitHub,
    target: &TargetConfig,
    repo: &str,
    is_app: bool,
    production_sha: F,
) -> RepoGithub
where
    F: Fn() -> Fut,
    Fut: Future<Output = &'a Result<String, String>>,
{
    let head_and_migrations = async {
        let mut errors = Vec::new();
        let (head, base) = if is_app {
            let (head, production) = tokio::join!(
                gh.branch_head(repo, &target.release_branch),
                production_sha()
            );
            (head, production.clone())
        } else {
            (
                gh.branch_head(repo, &target.release_branch).await,
                Ok(target.base_branch.clone()),
            )
        };
        let head = match head {
            Ok(h) => Some(h),
            Err(e) => {
                errors.push(format!("head of {} unknown: {e}", target.release_branch));
                None
            }
        };
        // The app's compare starts at the production SHA: when that failed, its
        // error is the migrations' (and no other fact's).
        let base = match base {
            Ok(base) => Some(base),
            Err(e) => {
                errors.push(format!("migrations unknown: {e}"));
                None
            }
        };
        // The app's migrations count from the production SHA, but what the release
        // lacks counts from the base branch: one more compare. Other repos need one.
        let (migrations, behind): (Option<Result<_, String>>, Option<Result<_, String>>) =
            match (&head, &base) {
                (Some(head), Some(base)) if is_app => {
                    let (from_production, from_base) = tokio::join!(
                        gh.migrations(repo, base, head),
                        gh.compare(repo, &target.base_branch, head)
                    );
                    (
                        Some(from_production.map_err(|e| e.to_string())),
                        Some(from_base.map(|c| c.behind_by).map_err(|e| e.to_string())),
                    )
                }
                (Some(head), Some(base)) => match gh.compare(repo, base, head).await {
                    Ok(c) => (
                        Some(c.migrations.map_err(|e| e.to_string())),
                        Some(Ok(c.behind_by)),
                    ),
                    Err(e) => (Some(Err(e.to_string())), Some(Err(e.to_string()))),
                },
                (Some(head), None) => {
                    // The production SHA's own error is already the migrations'.
                    let from_base = gh.compare(repo, &target.base_branch, head).await;
                    (
                        None,
                        Some(from_base.map(|c| c.behind_by).map_err(|e| e.to_string())),
                    )
                }
                (None, _) => (None, None),
            };
        let migrations = match migrations {
            Some(Ok(m)) => Some(m),
            Some(Err(e)) => {
                errors.push(format!("migrations unknown: {e}"));
                None
            }
            None => None,
        };
        let behind_by = match behind {
            Some(Ok(n)) => Some(n),
            Some(Err(e)) => {
                errors.push(format!(
                    "commits of {} missing from {} unknown: {e}",
                    target.base_branch, target.release_branch
                ));
                None
            }
            None => None,
        };
        (head, base, migrations, behind_by, errors)
    };
    let pulls_and_reviews = async {
        let mut errors = Vec::new();
        let pulls = match gh
            .release_pulls(repo, &target.release_branch, &target.base_branch)
            .await
        {
            Ok(pulls) => pulls,
            Err(e) => {
                errors.push(format!("release pull request unknown: {e}"));
                return (None, errors);
            }
        };
        let reviews = join_all(pulls.iter().map(|pr| gh.reviews(repo, pr.number))).await;
        let pulls = pulls
            .into_iter()
            .zip(reviews)
            .map(|(mut pr, reviews)| {
                match reviews {
                    Ok(r) => pr.reviews = Some(r),
                    Err(e) => errors.push(format!("reviews of #{} unknown: {e}", pr.number)),
                }
                pr
            })
            .collect();
        (Some(pulls), errors)
    };
    let ((release_sha, base, migrations, behind_by, mut errors), (pull_requests, more)) =
        tokio::join!(head_and_migrations, pulls_and_reviews);
    errors.extend(more);
    RepoGithub {
        release_sha,
        pull_requests,
        migrations,
        migrations_base: base,
        behind_by,
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Remembers how each source finished.
    #[derive(Default)]
    struct Recorded(Mutex<Vec<(String, bool)>>);

    impl Progress for Recorded {
        fn finished(&self, source: &str, ok: bool) {
            self.0.lock().unwrap().push((source.to_owned(), ok));
        }
    }

    #[tokio::test]
    async fn a_source_whose_every_request_failed_is_reported_failed() {
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(wiremock::ResponseTemplate::new(500))
            .mount(&server)
            .await;
        let uri = server.uri();
        let text = format!(
            r#"timeout_seconds = 2
[jenkins]
url = "{uri}/jenkins"
[newrelic]
url = "{uri}/graphql"
account_id = 1
api_key_env = "K"
[github]
url = "{uri}"
token_env = "T"
[targets.production]
app = "a"
deploy_repo = "o/d"
deploy_remote = "d"
notices_repo = "o/n"
[[targets.production.repos]]
github = "o/r"
jenkins_job = "r"
"#
        );
        let config = Config::parse(&text, std::path::Path::new("gatekeeper.toml")).unwrap();
        let now = Utc::now();
        let request = Request {
            config: &config,
            target: "production",
            now,
            window: crate::facts::plan_window(now, 60, config.tz()),
            downtime_requested: false,
            log: None,
            stats: None,
        };
        let env = |var: &str| Some(format!("secret-of-{var}"));
        let progress = Recorded::default();
        let facts = collect_with_env(&request, &progress, &env).await;
        assert!(!facts.errors.is_empty());
        let finished = progress.0.lock().unwrap().clone();
        for source in SOURCES {
            assert!(
                finished.contains(&(source.to_owned(), false)),
                "{source}: {finished:?}"
            );
        }
    }
}

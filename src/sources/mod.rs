//! Collects the facts document from every source at once: Jenkins, New Relic,
//! GitHub and the downtime notices (on GitHub) run concurrently, and inside each
//! source only the requests that need an earlier answer wait for it. A source that
//! fails leaves its section absent and records why in `errors`, with every secret
//! scrubbed. Sources never see policies and never judge a fact.

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
use http::{Env, Policy, Redactor};

/// What to collect, and for which moment and window.
pub struct Request<'a> {
    pub config: &'a Config,
    pub target: &'a str,
    pub now: DateTime<Utc>,
    pub window: Window,
    pub downtime_requested: bool,
    /// Told one line per HTTP try (`--verbose`), secrets already scrubbed.
    pub log: Option<http::Log>,
}

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
    let mut policy = Policy::new(config.timeout_seconds);
    if let Some(log) = request.log.clone() {
        let scrub = redactor.clone();
        policy.log = Some(std::sync::Arc::new(move |line: &str| {
            log(&scrub.scrub(line))
        }));
    }
    for source in SOURCES {
        progress.started(source);
    }
    let (ci, throughput, (gh, notices)) = tokio::join!(
        reported(
            progress,
            JENKINS,
            collect_jenkins(config, target, &policy, env)
        ),
        reported(
            progress,
            NEWRELIC,
            collect_newrelic(config, target, &policy, env)
        ),
        collect_github(config, target, &policy, progress, env, request.now),
    );

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
            match gh.production {
                Ok(sha) => {
                    facts.production = Some(Production {
                        repo: target.deploy_repo.clone(),
                        branch: target.base_branch.clone(),
                        sha,
                    })
                }
                Err(e) => failures.push((GITHUB, (None, e))),
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
    Redactor::from_env(env, &vars)
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
    policy: &Policy,
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
        (Some(user), Some(token)) => Some(jenkins::Auth {
            user: user.clone(),
            token,
        }),
        (None, Some(_)) => {
            return Err(
                "jenkins.token_env is set but jenkins.user is not: Jenkins needs both for basic auth"
                    .to_owned(),
            );
        }
        _ => None,
    };
    let client = http::client().map_err(|e| e.to_string())?;
    let builds = join_all(target.repos.iter().map(|repo| {
        jenkins::last_build(
            &client,
            policy,
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
    policy: &Policy,
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
    let client = http::client().map_err(|e| e.to_string())?;
    newrelic::throughput(
        &client,
        policy,
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
    policy: &Policy,
    progress: &dyn Progress,
    env: Env<'_>,
    now: DateTime<Utc>,
) -> GithubResults {
    let client = match github_client(config, policy, env) {
        Ok(c) => c,
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

/// The GitHub client of the config, with the token from the variable it names.
pub fn github_client(config: &Config, policy: &Policy, env: Env<'_>) -> Result<GitHub, String> {
    let gc = config
        .github
        .as_ref()
        .ok_or_else(|| missing_section(config, "github", "url and token_env"))?;
    let token = http::secret(env, &gc.token_env, "github.token_env", "GitHub token")
        .map_err(|e| e.to_string())?;
    GitHub::new(&gc.url, &token, &gc.token_env, policy.clone()).map_err(|e| e.to_string())
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
            (head, production.as_ref().ok().cloned())
        } else {
            (
                gh.branch_head(repo, &target.release_branch).await,
                Some(target.base_branch.clone()),
            )
        };
        let head = match head {
            Ok(h) => Some(h),
            Err(e) => {
                errors.push(format!("head of {} unknown: {e}", target.release_branch));
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
                    errors.push(
                        "migrations unknown: the production SHA to compare from is unknown"
                            .to_owned(),
                    );
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

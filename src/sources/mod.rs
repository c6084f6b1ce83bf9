//! Collects the facts document from every source at once: Jenkins, New Relic,
//! GitHub and the downtime notices (on GitHub) run concurrently, and inside each
//! source only the requests that need an earlier answer wait for it. A source that
//! fails leaves its section absent and records why in `errors`, with every secret
//! scrubbed. Sources never see policies and never judge a fact.

pub mod deployments;
pub mod github;
pub mod jenkins;
pub mod newrelic;
pub mod notices;
pub mod releases;
pub mod rendered;

use std::future::Future;

use chrono::{DateTime, Utc};
use futures_util::future::join_all;

use crate::config::{Config, TargetConfig};
use crate::facts::{CiBuild, Facts, Production, PullRequest, RepoFacts, SCHEMA, Window};
use crate::net::{self, Credential, Policy, Transport};
use crate::secrets::{Env, Redactor};
use github::{GitHub, GithubError};

/// What to collect, and for which moment and window.
pub struct Collection<'a> {
    pub config: &'a Config,
    pub target: &'a str,
    pub now: DateTime<Utc>,
    /// `now` is not the clock (`--at`): what was created or edited after it did not
    /// exist yet. Live, everything a source answers exists, whatever its date.
    pub clock_moved: bool,
    pub window: Window,
    pub downtime_requested: bool,
    /// How the requests are timed: the run's limits and the collection's deadline
    /// ([`net::Network::policy`]).
    pub policy: Policy,
    /// Told one line per HTTP try (`--verbose`), secrets already scrubbed.
    pub log: Option<net::Log>,
    /// Told the transport's counts once collection ends (benches).
    pub stats: Option<StatsSink>,
}

/// Receives the requests and peak in flight of each service.
pub type StatsSink = std::sync::Arc<dyn Fn(&[net::Stats]) + Send + Sync>;

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

/// The repo facts an error can leave unknown (`errors[].fact`).
const CI: &str = "ci";
const RELEASE_SHA: &str = "release_sha";
const BEHIND_BY: &str = "behind_by";
const MIGRATIONS: &str = "migrations";
const PULL_REQUESTS: &str = "pull_requests";
const REVIEWS: &str = "reviews";
/// The top-level New Relic facts an error can leave unknown (`errors[].fact`).
const INCIDENTS: &str = "incidents";
const THROUGHPUT: &str = "throughput";

/// An error for the facts document: which repo it is about and which of its facts
/// it left unknown, if one, and why.
type UnknownFact = (Option<String>, Option<&'static str>, String);

pub async fn collect(request: &Collection<'_>, progress: &dyn Progress) -> Facts {
    collect_with_env(request, progress, &crate::secrets::process_env).await
}

/// [`collect`] with secrets read through `env` instead of the process environment
/// (benches and tests that cannot change their own environment).
pub async fn collect_with_env(
    request: &Collection<'_>,
    progress: &dyn Progress,
    env: Env<'_>,
) -> Facts {
    let config = request.config;
    let target = config.targets.get(request.target);
    let mut facts = unknown(request, target);
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
    let mut policy = request.policy.clone();
    if let Some(log) = request.log.clone() {
        let scrub = redactor.clone();
        policy.log = Some(std::sync::Arc::new(move |line: &str| {
            log(&scrub.scrub(line))
        }));
    }
    let found = ask(request, config, target, policy, progress, env).await;
    record(&mut facts, target, found, &redactor);
    scrubbed(facts, &redactor)
}

/// The facts of `request` with nothing known yet: each repo named, every fact unset.
fn unknown(request: &Collection<'_>, target: Option<&TargetConfig>) -> Facts {
    let config = request.config;
    Facts {
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
        incidents: None,
        notices: None,
        errors: Vec::new(),
        request: None,
    }
}

/// What each source answered, or why not.
type Found = (
    Result<Vec<Result<CiBuild, String>>, String>,
    Result<NewRelicFacts, String>,
    GithubResults,
);

/// Asks the three services side by side on one transport, each source's progress
/// said as it ends.
async fn ask(
    request: &Collection<'_>,
    config: &Config,
    target: &TargetConfig,
    policy: Policy,
    progress: &dyn Progress,
    env: Env<'_>,
) -> Found {
    for source in SOURCES {
        progress.started(source);
    }
    match Transport::new(policy) {
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
                async {
                    let found = collect_newrelic(config, target, &transport, env).await;
                    let ok = found.as_ref().is_ok_and(|(t, i)| t.is_ok() && i.is_ok());
                    progress.finished(NEWRELIC, ok);
                    found
                },
                collect_github(
                    config,
                    target,
                    &transport,
                    progress,
                    env,
                    if request.clock_moved {
                        request.now
                    } else {
                        DateTime::<Utc>::MAX_UTC
                    },
                ),
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
    }
}

/// Each answer into `facts`; each failure recorded against its source (and repo and
/// fact, when it is about one), without any secret.
fn record(facts: &mut Facts, target: &TargetConfig, found: Found, redactor: &Redactor) {
    let (ci, throughput, (gh, notices)) = found;
    let mut failures: Vec<(&str, UnknownFact)> = Vec::new();
    match ci {
        Ok(builds) => {
            for (repo, build) in facts.repos.iter_mut().zip(builds) {
                match build {
                    Ok(b) => repo.ci = Some(b),
                    Err(e) => failures.push((JENKINS, (Some(repo.name.clone()), Some(CI), e))),
                }
            }
        }
        Err(e) => failures.push((JENKINS, (None, None, e))),
    }
    match throughput {
        Ok((t, incidents)) => {
            match t {
                Ok(t) => facts.throughput = Some(t),
                Err(e) => failures.push((NEWRELIC, (None, Some(THROUGHPUT), e))),
            }
            match incidents {
                Ok(i) => facts.incidents = Some(i),
                Err(e) => failures.push((NEWRELIC, (None, Some(INCIDENTS), e))),
            }
        }
        // Explains both facts (the incidents' reason falls back to it).
        Err(e) => failures.push((NEWRELIC, (None, None, e))),
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
                for (fact, e) in found.errors {
                    failures.push((GITHUB, (Some(repo.name.clone()), Some(fact), e)));
                }
            }
        }
        Err(e) => failures.push((GITHUB, (None, None, e))),
    }
    match notices {
        Ok(n) => facts.notices = Some(n),
        Err(e) => failures.push((NOTICES, (None, None, e))),
    }
    for (source, (repo, fact, message)) in failures {
        let message = redactor.scrub(&message);
        match (repo, fact) {
            (Some(repo), _) => facts.add_repo_error(source, &repo, fact, message),
            (None, Some(fact)) => facts.add_fact_error(source, fact, message),
            (None, None) => facts.add_error(source, message),
        }
    }
}

/// `facts` with no secret in any string: a token pasted into a release note, or a
/// Jenkins URL that carries one, would otherwise reach every rendering and every
/// recorded document.
fn scrubbed(facts: Facts, redactor: &Redactor) -> Facts {
    fn walk(v: &mut serde_json::Value, redactor: &Redactor) -> bool {
        match v {
            serde_json::Value::String(s) => {
                let clean = redactor.scrub(s);
                let changed = clean != *s;
                *s = clean;
                changed
            }
            // Every item is walked: no short cut once one changed.
            serde_json::Value::Array(items) => {
                let mut changed = false;
                for item in items {
                    changed |= walk(item, redactor);
                }
                changed
            }
            serde_json::Value::Object(map) => {
                let mut changed = false;
                for item in map.values_mut() {
                    changed |= walk(item, redactor);
                }
                changed
            }
            _ => false,
        }
    }
    let Ok(mut value) = serde_json::to_value(&facts) else {
        return facts;
    };
    if !walk(&mut value, redactor) {
        return facts;
    }
    match serde_json::from_value(value) {
        Ok(clean) => clean,
        // Only when a secret was part of a date or another parsed string: the parts
        // that carry source text (builds, pull requests, notices) are dropped rather
        // than shown, and each check that needed them fails saying why.
        Err(e) => {
            let mut bare = facts;
            bare.repos.iter_mut().for_each(|r| {
                r.ci = None;
                r.pull_requests = None;
            });
            bare.notices = None;
            let why = format!("the answers held a secret and could not be scrubbed: {e}");
            for source in [JENKINS, GITHUB, NOTICES] {
                bare.add_error(source, why.clone());
            }
            bare
        }
    }
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
    config.redactor(env)
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
        .filter_map(|(var, key, what)| net::secret(env, var, key, what).err())
        .map(|e| e.to_string())
        .collect()
}

fn missing_section(config: &Config, section: &'static str, keys: &'static str) -> String {
    ConnectError::NoSection {
        section,
        keys,
        config: config.path.clone(),
    }
    .to_string()
}

/// Why a client of a service could not be set up, before any request: what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("no [{section}] section in config {}: add one with {keys}", config.display())]
    NoSection {
        section: &'static str,
        keys: &'static str,
        config: std::path::PathBuf,
    },
    #[error(transparent)]
    Http(#[from] net::HttpError),
    #[error(transparent)]
    Github(#[from] GithubError),
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
            net::secret(env, var, "jenkins.token_env", "Jenkins API token")
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

/// The throughput and the open issues, side by side; the outer error is about New
/// Relic as a whole (no section, no key).
async fn collect_newrelic(
    config: &Config,
    target: &TargetConfig,
    transport: &Transport,
    env: Env<'_>,
) -> Result<NewRelicFacts, String> {
    let nc = config
        .newrelic
        .as_ref()
        .ok_or_else(|| missing_section(config, "newrelic", "account_id and api_key_env"))?;
    let key = net::secret(
        env,
        &nc.api_key_env,
        "newrelic.api_key_env",
        "New Relic user API key",
    )
    .map_err(|e| e.to_string())?;
    let key = Credential::new(&nc.url, "API-Key", &key).map_err(|e| e.to_string())?;
    let (throughput, incidents) = tokio::join!(
        newrelic::throughput(
            transport,
            &nc.url,
            &key,
            nc.account_id,
            &target.app,
            nc.window_minutes,
        ),
        newrelic::issues::open_issues(transport, &nc.url, &key, nc.account_id, &target.app),
    );
    Ok((
        throughput.map_err(|e| e.to_string()),
        incidents.map_err(|e| format!("open issues unknown: {e}")),
    ))
}

type NewRelicFacts = (
    Result<crate::facts::Throughput, String>,
    Result<Vec<crate::facts::Incident>, String>,
);

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
    /// Each error with the fact it left unknown.
    errors: Vec<(&'static str, String)>,
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
    // The notices as they stood at this moment (the end of time when live).
    as_of: DateTime<Utc>,
) -> GithubResults {
    let client = match github_client(config, transport, env).map_err(|e| e.to_string()) {
        Ok(mut c) => {
            let (rest, graphql) = expected_github_requests(target);
            c.expect_requests(rest, graphql);
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
            let facts = github_facts(&client, target, as_of).await;
            let ok = facts.production.is_ok() && facts.repos.iter().all(|r| r.errors.is_empty());
            progress.finished(GITHUB, ok);
            Ok(facts)
        },
        reported(progress, NOTICES, async {
            notices::fetch(&client, &target.notices_repo, config.tz(), as_of)
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
) -> Result<GitHub, ConnectError> {
    let gc = config
        .github
        .as_ref()
        .ok_or_else(|| ConnectError::NoSection {
            section: "github",
            keys: "url and token_env",
            config: config.path.clone(),
        })?;
    let token = net::secret(env, &gc.token_env, "github.token_env", "GitHub token")?;
    Ok(GitHub::new(&gc.url, &token, &gc.token_env, transport)?)
}

/// About how many GitHub requests a check of `target` makes, REST and GraphQL
/// (each counted against its own budget): per repo one compare for its migrations
/// and the production SHA; the release queries (one per [`releases::CHUNK`] repos)
/// and the notices with their comments.
fn expected_github_requests(target: &TargetConfig) -> (u64, u64) {
    let repos = target.repos.len();
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    (
        count(repos.saturating_add(1)),
        count(releases::queries(repos).saturating_add(1)),
    )
}

/// The production SHA and the release queries go out at once; each repo's compare
/// (and the REST reviews of a pull request with more than one page of them) follow
/// as soon as both are back.
async fn github_facts(gh: &GitHub, target: &TargetConfig, as_of: DateTime<Utc>) -> GithubFacts {
    let names: Vec<&str> = target.repos.iter().map(|r| r.github.as_str()).collect();
    let (production, found) = tokio::join!(
        async {
            gh.branch_head(&target.deploy_repo, &target.base_branch)
                .await
                .map_err(|e| format!("production SHA unknown: {e}"))
        },
        releases::fetch(
            gh,
            &names,
            &target.release_branch,
            &target.base_branch,
            as_of
        ),
    );
    let repos = join_all(
        names
            .iter()
            .zip(found)
            .enumerate()
            .map(|(i, (repo, release))| {
                // The app's migrations count from the production SHA, the others' from
                // their base branch.
                let base = if i == 0 {
                    production.clone()
                } else {
                    Ok(target.base_branch.clone())
                };
                repo_github(gh, target, repo, release, base)
            }),
    )
    .await;
    GithubFacts { production, repos }
}

/// A release repo's facts from its part of the release query: the head, what it
/// lacks of the base branch, the pull requests with every review, and the
/// migrations from `base` (a compare, the one REST read per repo).
async fn repo_github(
    gh: &GitHub,
    target: &TargetConfig,
    repo: &str,
    release: releases::Release,
    base: Result<String, String>,
) -> RepoGithub {
    let mut errors = Vec::new();
    let head = match release.head {
        Ok(h) => Some(h),
        Err(e) => {
            errors.push((
                RELEASE_SHA,
                format!("head of {} unknown: {e}", target.release_branch),
            ));
            None
        }
    };
    let head_unknown = || format!("the head of {} is unknown", target.release_branch);
    let behind_by = match (release.behind_by, &head) {
        (Ok(n), _) => Some(n),
        (Err(e), found) => {
            let why = if found.is_some() { e } else { head_unknown() };
            errors.push((
                BEHIND_BY,
                format!(
                    "commits of {} missing from {} unknown: {why}",
                    target.base_branch, target.release_branch
                ),
            ));
            None
        }
    };
    // The app's compare starts at the production SHA: when that failed, its error
    // is the migrations' (and no other fact's).
    let base = match base {
        Ok(b) => Some(b),
        Err(e) => {
            errors.push((MIGRATIONS, format!("migrations unknown: {e}")));
            None
        }
    };
    if head.is_none() && base.is_some() {
        errors.push((
            MIGRATIONS,
            format!("migrations unknown: {}", head_unknown()),
        ));
    }
    let migrations = async {
        match (&head, &base) {
            (Some(head), Some(base)) => Some(
                gh.migrations(repo, base, head)
                    .await
                    .map_err(|e| format!("migrations unknown: {e}")),
            ),
            _ => None,
        }
    };
    let totals = release.review_totals;
    let pulls = async {
        match release.pulls {
            Ok(pulls) => Ok(with_reviews(gh, repo, pulls, &totals).await),
            Err(e) => Err(format!("release pull request unknown: {e}")),
        }
    };
    let (migrations, pulls) = tokio::join!(migrations, pulls);
    let migrations = match migrations {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            errors.push((MIGRATIONS, e));
            None
        }
        None => None,
    };
    let pull_requests = match pulls {
        Ok((pulls, more)) => {
            errors.extend(more.into_iter().map(|e| (REVIEWS, e)));
            Some(pulls)
        }
        Err(e) => {
            errors.push((PULL_REQUESTS, e));
            None
        }
    };
    RepoGithub {
        release_sha: head,
        pull_requests,
        migrations,
        migrations_base: base,
        behind_by,
        errors,
    }
}

/// `pulls` with the reviews the release query could not hold on one page read
/// from REST (every page), and an error for each that failed or came back with
/// fewer reviews than GitHub counted (`totals`: a lost `Link` page, say).
async fn with_reviews(
    gh: &GitHub,
    repo: &str,
    pulls: Vec<PullRequest>,
    totals: &[(u64, u64)],
) -> (Vec<PullRequest>, Vec<String>) {
    let read = join_all(pulls.into_iter().map(|mut pr| async move {
        if pr.reviews.is_some() {
            return (pr, None);
        }
        let Some(counted) = totals
            .iter()
            .find(|(number, _)| *number == pr.number)
            .map(|(_, total)| *total)
        else {
            // Reviews left for REST with no count to hold them to: no lower bound,
            // so no judgement on them.
            let e = format!("reviews of #{} unknown: GitHub gave no count of them", pr.number);
            return (pr, Some(e));
        };
        match gh.reviews(repo, pr.number).await {
            Ok(r) if (r.len() as u64) < counted => {
                let e = format!(
                    "reviews of #{} unknown: GitHub counts {counted} but listed {}: gatekeeper does not judge on part of them",
                    pr.number,
                    r.len()
                );
                (pr, Some(e))
            }
            Ok(r) => {
                pr.reviews = Some(r);
                (pr, None)
            }
            Err(e) => {
                let e = format!("reviews of #{} unknown: {e}", pr.number);
                (pr, Some(e))
            }
        }
    }))
    .await;
    let mut errors = Vec::new();
    let pulls = read
        .into_iter()
        .map(|(pr, e)| {
            errors.extend(e);
            pr
        })
        .collect();
    (pulls, errors)
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
        let request = Collection {
            config: &config,
            target: "production",
            now,
            clock_moved: false,
            window: crate::facts::plan_window(now, 60, config.tz()),
            downtime_requested: false,
            policy: Policy::new(1, 5, 4),
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

//! Collects the facts document from every source at once.

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::facts::{Facts, RepoFacts, SCHEMA, Window};

/// What to collect, and for which moment and window.
pub struct Request<'a> {
    pub config: &'a Config,
    pub target: &'a str,
    pub now: DateTime<Utc>,
    pub window: Window,
    pub downtime_requested: bool,
}

/// Told when each source starts and ends, so that a terminal can show progress.
pub trait Progress: Sync {
    fn started(&self, _source: &str) {}
    fn finished(&self, _source: &str, _ok: bool) {}
}

/// Shows nothing.
pub struct Silent;
impl Progress for Silent {}

pub async fn collect(request: &Request<'_>, _progress: &dyn Progress) -> Facts {
    let target = request.config.targets.get(request.target);
    let mut facts = Facts {
        schema: SCHEMA,
        target: request.target.to_owned(),
        now: request.now,
        now_unix: request.now.timestamp(),
        timezone: request.config.timezone.clone(),
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
                    })
                    .collect()
            })
            .unwrap_or_default(),
        throughput: None,
        notices: None,
        errors: Vec::new(),
    };
    for source in ["jenkins", "newrelic", "github", "notices"] {
        facts.add_error(source, "live collection is not built yet");
    }
    facts
}

//! The status of a target: the screen a release engineer opens first. What
//! production runs (the deploy remote's head, by `git ls-remote`) and the run that
//! put it there (its GitHub deployment created by gatekeeper under the token's login,
//! else the local audit log: who, when, from which machine or CI build); whether a
//! run holds the lock (holder, age, stale); what waits on the release branch (each
//! repo's head on GitHub) and whether a `check` in the local audit log decided on
//! exactly those heads; the New Relic issues open on the app ([`incidents`]).
//! Read-only, and decides nothing. [`table`] renders it for a person.

pub mod incidents;
pub mod table;

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::{AuditError, AuditLog, Event, Record, RunOutcome, Verdict};
use crate::config::{Config, TargetConfig};
use crate::net::Network;
use crate::render::hint::rollback_command;
use crate::rollout::shared;
use crate::runbook::Context;
use crate::runbook::git::Git;
use crate::runbook::lock::{self, Holder, longest_run};
use crate::sources::deployments::Deployment;

use incidents::OpenIssues;

/// What `status` shows of a target.
#[derive(Debug, Serialize)]
pub struct Screen {
    target: String,
    production: ProductionLine,
    lock: LockStatus,
    release: ReleaseLine,
    incidents: OpenIssues,
}

#[derive(Debug, Serialize)]
struct ProductionLine {
    remote: String,
    branch: String,
    sha: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// The run that put it there, when one is known.
    run: Option<RunOrigin>,
    /// Deployments of this SHA that gatekeeper's login did not create with its
    /// payload: shown, never credited.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    foreign: Vec<Foreign>,
}

#[derive(Debug, Serialize)]
struct Foreign {
    id: u64,
    creator: Option<String>,
    state: Option<String>,
    at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
struct RunOrigin {
    /// "github" (a deployment) or "audit log" (this machine's).
    source: &'static str,
    kind: String,
    run: Option<String>,
    by: String,
    at: DateTime<Utc>,
    host: Option<String>,
    log_url: Option<String>,
    /// How the run that left production here ended, when it did not end well
    /// (`failed`, `timed_out`, `aborted`), with the SHA it found, to go back to.
    #[serde(skip_serializing_if = "Option::is_none")]
    unfinished: Option<Unfinished>,
}

#[derive(Debug, Serialize)]
struct Unfinished {
    outcome: String,
    before_sha: Option<String>,
    /// The command that puts production back on `before_sha`.
    rollback: Option<String>,
}

#[derive(Debug, Serialize)]
struct LockStatus {
    held: bool,
    holder: Option<Holder>,
    age_seconds: Option<i64>,
    stale: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct ReleaseLine {
    branch: String,
    heads: Vec<Head>,
    /// The newest `check` of this machine that decided on exactly these heads.
    checked: Option<Checked>,
}

#[derive(Debug, Serialize)]
struct Head {
    repo: String,
    sha: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct Checked {
    at: DateTime<Utc>,
    allowed: bool,
    by: String,
    failing_checks: Vec<String>,
}

/// The status of target `name` (`target`, whose runbook view is `ctx`); the
/// rollback it offers names `config_path`. What cannot be read is said in it
/// ([`Screen::unknown`]); only an unreadable audit log is an error.
pub fn read(
    network: &Network,
    config: &Config,
    config_path: &Path,
    name: &str,
    target: &TargetConfig,
    ctx: &Context,
) -> Result<Screen, AuditError> {
    let records: Vec<Record> = AuditLog::of(config)
        .read()?
        .into_iter()
        .filter(|r| r.target == name)
        .collect();
    // The token's login tells gatekeeper's deployments from foreign ones.
    let shared = shared::connect_or_warn(network, config, target, true, &mut std::io::stderr());
    let login = shared.as_ref().and_then(|s| s.actor.github.clone());

    // A missing clone gets deploy's hint (the `git clone` to run), not git's.
    let missing: Option<String> = target
        .repos
        .first()
        .filter(|_| !ctx.app_dir().is_dir())
        .map(|repo| {
            crate::runbook::RunbookError::CloneMissing {
                repo: repo.github.clone(),
                dir: ctx.app_dir(),
                url: config.clone_url(repo),
            }
            .to_string()
        });
    let head = match missing.clone() {
        Some(hint) => Err(hint),
        None => Git::new(&ctx.programs.git, &ctx.app_dir(), &ctx.children)
            .remote_head(&target.deploy_remote, &target.base_branch)
            .map_err(|e| e.to_string()),
    }
    .and_then(|h| {
        h.ok_or_else(|| {
            format!(
                "{} has no branch {}",
                target.deploy_remote, target.base_branch
            )
        })
    });
    let listed = match shared.as_ref().map(|s| s.list(name)) {
        Some(Ok(listed)) => listed,
        Some(Err(e)) => {
            eprintln!(
                "warning: cannot read the deployments of {} on GitHub: {e}; the local audit log tells where production came from",
                name
            );
            Vec::new()
        }
        None => Vec::new(),
    };
    let production = ProductionLine {
        remote: target.deploy_remote.clone(),
        branch: target.base_branch.clone(),
        run: head
            .as_ref()
            .ok()
            .and_then(|sha| origin(sha, &listed, login.as_deref(), &records))
            .map(|mut o| {
                if let Some(u) = &mut o.unfinished {
                    u.rollback = u
                        .before_sha
                        .as_deref()
                        .map(|before| rollback_command(config_path, name, before));
                }
                o
            }),
        foreign: head
            .as_ref()
            .map(|sha| foreign(sha, &listed, login.as_deref()))
            .unwrap_or_default(),
        sha: head.as_ref().ok().cloned(),
        error: head.as_ref().err().cloned(),
    };

    let place = lock::place(
        &ctx.programs.git,
        &ctx.app_dir(),
        &target.deploy_remote,
        name,
        &ctx.children,
    );
    let mut lock = lock_status(&place);
    if let Some(hint) = missing {
        lock.error = Some(hint);
    }

    let repos: Vec<String> = target.repos.iter().map(|r| r.github.clone()).collect();
    let heads: Vec<Head> = match &shared {
        Some(shared) => repos
            .iter()
            .zip(shared.heads(&repos, &target.release_branch))
            .map(|(repo, head)| Head {
                repo: repo.clone(),
                sha: head.as_ref().ok().cloned(),
                error: head.err().map(|e| e.to_string()),
            })
            .collect(),
        None => repos
            .iter()
            .map(|repo| Head {
                repo: repo.clone(),
                sha: None,
                error: Some("GitHub cannot be reached".to_owned()),
            })
            .collect(),
    };
    let release = ReleaseLine {
        branch: target.release_branch.clone(),
        checked: checked(&heads, &records),
        heads,
    };

    let status = Screen {
        target: name.to_owned(),
        production,
        lock,
        release,
        incidents: incidents::read(network, config, &target.app),
    };
    Ok(status)
}

impl Screen {
    /// What could not be read of what production runs and of the lock: the
    /// status is incomplete when any.
    pub fn unknown(&self) -> Vec<String> {
        [
            self.production
                .error
                .as_ref()
                .map(|e| format!("what production runs: {e}")),
            self.lock.error.as_ref().map(|e| format!("the lock: {e}")),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// The deployments of `sha` that are not gatekeeper's (`login`'s, with its payload).
fn foreign(sha: &str, listed: &[Deployment], login: Option<&str>) -> Vec<Foreign> {
    listed
        .iter()
        .filter(|d| d.sha == sha && !shared::is_gatekeepers(d, login))
        .map(|d| Foreign {
            id: d.id,
            creator: d.creator.clone(),
            state: d.state.clone(),
            at: d.created_at,
        })
        .collect()
}

/// The run that left `sha` in production: its successful deployment created by
/// gatekeeper's login (`login`) with its payload, else the newest ok deploy or
/// rollback of the local log that left it.
fn origin(
    sha: &str,
    listed: &[Deployment],
    login: Option<&str>,
    records: &[Record],
) -> Option<RunOrigin> {
    let shared = listed
        .iter()
        .find(|d| d.succeeded() && d.sha == sha && shared::is_gatekeepers(d, login));
    if let Some(d) = shared {
        let payload = d.payload.clone().unwrap_or_default();
        let creator = d.creator.clone().unwrap_or_else(|| "?".to_owned());
        return Some(RunOrigin {
            source: "github",
            kind: if payload.kind.is_empty() {
                "deployment".to_owned()
            } else {
                payload.kind
            },
            run: payload.run,
            by: payload
                .actor
                .map_or_else(|| creator.clone(), |a| a.name_or(&creator)),
            at: d.created_at,
            host: payload.host,
            log_url: d.log_url.clone(),
            unfinished: None,
        });
    }
    records.iter().rev().find_map(|r| {
        let run = r.run_event()?;
        // A run that moved production and then failed left it here too: say so,
        // with the SHA to go back to, rather than "nothing recorded".
        let left = matches!(
            run.outcome,
            RunOutcome::Ok | RunOutcome::Failed | RunOutcome::TimedOut | RunOutcome::Aborted
        ) && matches!(r.event, Event::Deploy(_) | Event::Rollback(_))
            && run.after_sha.as_deref() == Some(sha);
        left.then(|| RunOrigin {
            source: "audit log",
            kind: r.command.clone(),
            run: r.run.clone(),
            by: run
                .actor
                .as_ref()
                .map_or_else(|| r.user.clone(), |a| a.name_or(&r.user)),
            at: r.time,
            host: Some(r.host.clone()),
            log_url: None,
            unfinished: (run.outcome != RunOutcome::Ok).then(|| Unfinished {
                outcome: serde_json::to_value(run.outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| format!("{:?}", run.outcome).to_lowercase()),
                before_sha: run.before_sha.clone(),
                rollback: None,
            }),
        })
    })
}

fn lock_status(place: &lock::Place) -> LockStatus {
    let mut status = LockStatus {
        held: false,
        holder: None,
        age_seconds: None,
        stale: false,
        error: None,
    };
    match place.current() {
        Ok(None) => {}
        Ok(Some(sha)) => {
            status.held = true;
            match place.holder(&sha) {
                Ok(holder) => {
                    let age = Utc::now().signed_duration_since(holder.started_at);
                    status.age_seconds = Some(age.num_seconds().max(0));
                    status.stale = age > longest_run();
                    status.holder = Some(holder);
                }
                Err(e) => status.error = Some(format!("the lock {sha} cannot be read: {e}")),
            }
        }
        Err(e) => status.error = Some(e.to_string()),
    }
    status
}

/// The newest check of this machine that decided on exactly `heads`, on live facts.
fn checked(heads: &[Head], records: &[Record]) -> Option<Checked> {
    let mut wanted: Vec<String> = heads
        .iter()
        .map(|h| Some(format!("{}@{}", h.repo, h.sha.as_deref()?)))
        .collect::<Option<_>>()?;
    wanted.sort();
    records.iter().rev().find_map(|r| {
        let Event::Check(gate) = &r.event else {
            return None;
        };
        // A rehearsal on recorded facts says nothing about these heads today.
        if gate.facts_source.as_deref() != Some("live") {
            return None;
        }
        let mut decided = gate.release_heads.clone();
        decided.sort();
        (decided == wanted).then(|| Checked {
            at: r.time,
            allowed: gate.decision == Verdict::Allow,
            by: r.user.clone(),
            failing_checks: gate.failing_checks.clone(),
        })
    })
}

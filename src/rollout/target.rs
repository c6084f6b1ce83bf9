//! Where a rollback puts production, derived from production itself. The deploy
//! remote's head names the run that put production there: the newest recorded run
//! (the local audit log, or a GitHub deployment created by gatekeeper's login with
//! its payload) whose after-SHA is that head, however it ended. That run's
//! before-SHA is the target. Any target, `--to` too, must be on the first-parent
//! history of the deploy remote's head (every deploy pushes a merge whose first
//! parent is the production before it), or have been the deploy remote's head in a
//! run of the local audit log (which read it from the remote with git). A
//! deployment on GitHub only names a candidate, never vouches for one: anyone whose
//! token can create deployments can write any payload. Only reads; never pushes.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::audit::{Event, Record, RunOutcome};
use crate::runbook::Context;
use crate::runbook::integrity::{self, FIRST_PARENT_LIMIT, IntegrityError, is_full_sha};
use crate::sources::deployments::Deployment;

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error(
        "{value:?}{claim} is not a full commit SHA (40 hex digits): refusing to check it out; pass --to with a SHA production ran before (`gatekeeper history` lists them)"
    )]
    BadRecord { value: String, claim: String },
    #[error(
        "{sha} is not a SHA production ran before as far as production itself shows: it is not on the first-parent history of {remote} {branch} (now {current}, {limit} commits read) and the local audit log {} never read it as {remote}'s head{claim}; that is a deploy: run `gatekeeper deploy`",
        log.display(), remote = production.0, branch = production.1, current = production.2
    )]
    NotProduction {
        sha: String,
        /// The deploy remote, its branch and its head.
        production: Box<(String, String, String)>,
        log: std::path::PathBuf,
        limit: usize,
        /// Who named it, when a record did.
        claim: String,
    },
    #[error(transparent)]
    Integrity(#[from] IntegrityError),
}

/// The run that put production on its current SHA.
#[derive(Debug, Clone, PartialEq)]
pub struct Undone {
    /// `deploy` or `rollback`.
    pub kind: String,
    pub run: Option<String>,
    pub time: DateTime<Utc>,
    pub by: String,
    /// How it ended (`ok`, `failed`, …, or a deployment's latest state).
    pub ended: String,
    /// "the local audit log" or "GitHub's deployments".
    pub source: &'static str,
    /// What production ran before it: the candidate target.
    pub before: String,
    /// What it left on production: the current SHA.
    pub after: String,
}

impl Undone {
    /// Where the target comes from, for the plan's heading.
    pub fn describe(&self) -> String {
        format!(
            "what production ran before the {} run {} of {} by {}, which put production on {} (from {})",
            self.kind,
            self.run.as_deref().unwrap_or("?"),
            self.time.format("%Y-%m-%d %H:%M:%SZ"),
            self.by,
            self.after.chars().take(10).collect::<String>(),
            self.source
        )
    }

    /// Who named its before-SHA, for a refusal.
    pub fn claim(&self) -> String {
        format!(
            " (the {} run {} in {} names it as what production ran before)",
            self.kind,
            self.run.as_deref().unwrap_or("?"),
            self.source
        )
    }
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The newest closing record of the local log of a deploy or rollback of `target`
/// that left `current` on production and found something else there, however it
/// ended.
pub fn from_log(records: &[Record], target: &str, current: &str) -> Option<Undone> {
    records
        .iter()
        .filter(|r| r.target == target)
        .filter_map(|r| {
            // A before-SHA that is no full SHA is still the candidate: refused by
            // [`vouch`], never skipped for an older run.
            let (kind, run) = match &r.event {
                Event::Deploy(run) if r.command == "deploy" => ("deploy", run),
                Event::Rollback(run) if r.command == "rollback" => ("rollback", run),
                _ => return None,
            };
            if run.outcome == RunOutcome::Started {
                return None;
            }
            let after = run.after_sha.as_deref().filter(|a| same(a, current))?;
            let before = run.before_sha.as_deref().filter(|b| !same(b, current))?;
            Some(Undone {
                kind: kind.to_owned(),
                run: r.run.clone(),
                time: r.time,
                by: run
                    .actor
                    .as_ref()
                    .map_or_else(|| r.user.clone(), |a| a.name_or(&r.user)),
                ended: run.outcome.as_str().to_owned(),
                source: "the local audit log",
                before: if is_full_sha(&before.to_ascii_lowercase()) {
                    before.to_ascii_lowercase()
                } else {
                    before.to_owned()
                },
                after: after.to_ascii_lowercase(),
            })
        })
        .max_by_key(|u| u.time)
}

/// The newest deployment on `current` that gatekeeper's login (`login`, the
/// token's) created with gatekeeper's payload naming a different previous SHA,
/// whatever its status. Without a login, none.
pub fn from_deployments(
    listed: &[Deployment],
    login: Option<&str>,
    current: &str,
) -> Option<Undone> {
    let login = login?;
    listed
        .iter()
        .filter(|d| same(&d.sha, current) && d.creator.as_deref() == Some(login))
        .filter_map(|d| {
            let payload = d.payload.as_ref()?;
            let before = payload
                .previous_sha
                .as_deref()
                .filter(|b| !same(b, current))?;
            Some(Undone {
                kind: payload.kind.clone(),
                run: payload.run.clone(),
                time: d.created_at,
                by: payload
                    .actor
                    .as_ref()
                    .map_or_else(|| login.to_owned(), |a| a.name_or(login)),
                ended: d.state.clone().unwrap_or_else(|| "unknown".to_owned()),
                source: "GitHub's deployments",
                before: before.to_ascii_lowercase(),
                after: d.sha.to_ascii_lowercase(),
            })
        })
        .max_by_key(|u| (u.time, u.run.clone()))
}

/// The newer of two candidates (the local log's on a tie: gatekeeper read its SHAs
/// itself).
pub fn newest(local: Option<Undone>, shared: Option<Undone>) -> Option<Undone> {
    match (local, shared) {
        (Some(l), Some(s)) if s.time > l.time => Some(s),
        (Some(l), _) => Some(l),
        (None, s) => s,
    }
}

/// Every SHA the local audit log read as the deploy remote's head for `target`: what
/// each deploy and rollback found there, and what each left there.
pub fn recorded_heads(records: &[Record], target: &str) -> Vec<String> {
    let mut heads: Vec<String> = Vec::new();
    for r in records.iter().filter(|r| r.target == target) {
        let shas = match &r.event {
            Event::Deploy(run) | Event::Rollback(run)
                if matches!(r.command.as_str(), "deploy" | "rollback") =>
            {
                vec![run.before_sha.as_ref(), run.after_sha.as_ref()]
            }
            Event::Step(step) => vec![step.before_sha.as_ref()],
            _ => Vec::new(),
        };
        for sha in shas.into_iter().flatten() {
            let sha = sha.to_ascii_lowercase();
            if is_full_sha(&sha) && !heads.contains(&sha) {
                heads.push(sha);
            }
        }
    }
    heads
}

/// How production vouches for a target (production's head itself counts: a
/// rollback onto it changes nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vouched {
    /// On the first-parent history of the deploy remote's head.
    FirstParent,
    /// The deploy remote's head in a run of the local audit log.
    Recorded,
}

/// Whether production vouches for `sha` (a full SHA, else refused) as a rollback target from
/// `current`, the deploy remote's head; `claim` says who named it, for the refusal.
pub fn vouch(
    ctx: &Context,
    sha: &str,
    current: &str,
    recorded: &[String],
    log: &Path,
    claim: &str,
) -> Result<Vouched, TargetError> {
    if !is_full_sha(sha) {
        return Err(TargetError::BadRecord {
            value: sha.to_owned(),
            claim: claim.to_owned(),
        });
    }
    if integrity::on_first_parent_history(ctx, current, sha)? {
        return Ok(Vouched::FirstParent);
    }
    if recorded.iter().any(|r| same(r, sha)) {
        return Ok(Vouched::Recorded);
    }
    Err(TargetError::NotProduction {
        sha: sha.to_owned(),
        production: Box::new((
            ctx.config.deploy_remote.clone(),
            ctx.config.base_branch.clone(),
            current.to_owned(),
        )),
        log: log.to_owned(),
        limit: FIRST_PARENT_LIMIT,
        claim: claim.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Run;
    use crate::sources::deployments::Payload;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "cccccccccccccccccccccccccccccccccccccccc";

    fn closing(outcome: RunOutcome, before: &str, after: &str, minute: u32) -> Record {
        let mut run = Run::new(outcome);
        run.before_sha = Some(before.to_owned());
        run.after_sha = Some(after.to_owned());
        let mut r = Record::new("deploy", "production", Event::Deploy(run));
        r.time = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 25, 10, minute, 0).unwrap();
        r
    }

    #[test]
    fn the_run_that_left_production_there_counts_whatever_its_end() {
        let records = [
            closing(RunOutcome::Ok, A, B, 1),
            closing(RunOutcome::Failed, B, C, 2),
        ];
        let undone = from_log(&records, "production", C).unwrap();
        assert_eq!(undone.before, B);
        assert_eq!(undone.ended, "failed");
        // A run that found production where it left it moved nothing.
        assert_eq!(
            from_log(&[closing(RunOutcome::Failed, C, C, 3)], "production", C),
            None
        );
        assert_eq!(recorded_heads(&records, "production"), [A, B, C]);
    }

    fn deployment(sha: &str, previous: &str, creator: &str, minute: u32) -> Deployment {
        Deployment {
            id: u64::from(minute),
            sha: sha.to_owned(),
            created_at: chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 25, 10, minute, 0)
                .unwrap(),
            creator: Some(creator.to_owned()),
            payload: Some(Payload {
                kind: "deploy".to_owned(),
                run: Some(format!("r{minute}")),
                previous_sha: Some(previous.to_owned()),
                ..Payload::default()
            }),
            state: Some("failure".to_owned()),
            description: None,
            log_url: None,
        }
    }

    #[test]
    fn only_the_tokens_login_names_a_candidate_on_github() {
        let listed = [
            deployment(C, A, "someone-else", 5),
            deployment(C, B, "deploy-bot", 2),
        ];
        let undone = from_deployments(&listed, Some("deploy-bot"), C).unwrap();
        assert_eq!(undone.before, B);
        assert_eq!(from_deployments(&listed, None, C), None);
        assert_eq!(from_deployments(&listed, Some("deploy-bot"), B), None);
    }
}

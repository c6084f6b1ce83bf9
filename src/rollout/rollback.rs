//! A rollback: a person's yes (or `--yes`), the `started` record naming the SHA it
//! restores, the rollback runbook, the closing record. Nothing is pushed before the
//! start is on disk.

use std::io::Write;

use crate::audit::{AuditLog, Event, Record, Run, RunOutcome};
use crate::runbook::{Context, PlannedStep};

use super::{On, Prompt, RolloutError, RunKind, RunReport, ended_early, execute};

/// What a rollback runs on.
pub struct Rollback<'a> {
    pub ctx: &'a Context,
    pub plan: &'a [PlannedStep],
    pub log: &'a AuditLog,
    pub run: &'a str,
    /// The SHA it puts production back on.
    pub sha: &'a str,
    /// Run without asking.
    pub yes: bool,
    /// Who runs it.
    pub actor: Option<crate::audit::Actor>,
    /// Why, when a person gave a reason (recorded with the start).
    pub reason: Option<&'a str>,
}

/// Runs the rollback. An error means nothing was changed: its start could not be
/// recorded.
pub fn run(
    rollback: Rollback<'_>,
    out: &mut dyn Write,
    prompt: &mut dyn Prompt,
) -> Result<RunReport, RolloutError> {
    let Rollback {
        ctx,
        plan,
        log,
        run,
        sha,
        yes,
        actor,
        reason,
    } = rollback;
    let with_sha = |mut report: RunReport| {
        report.restoring = Some(sha.to_owned());
        report
    };
    let on = On {
        kind: RunKind::Rollback,
        ctx,
        log,
        run,
    };
    let first = |outcome| {
        let mut run = Run::new(outcome);
        run.actor = actor.clone();
        run
    };
    let early =
        |outcome, reason: String| with_sha(ended_early(on, first(outcome), outcome, reason));
    if !yes && !prompt.confirm(&format!("\nRoll {} back to {sha} now?", ctx.target)) {
        return Ok(early(RunOutcome::Aborted, super::deploy::unconfirmed(ctx)));
    }
    if let Some(signal) = ctx.children.watch.received() {
        let reason = format!("interrupted by {} before any step", signal.name());
        return Ok(early(RunOutcome::Aborted, reason));
    }
    let mut template = first(RunOutcome::Started);
    template.message = Some(match reason {
        Some(why) => format!("restoring {sha}: {why}"),
        None => format!("restoring {sha}"),
    });
    let mut started = Record::new("rollback", &ctx.target, Event::Rollback(template.clone()));
    started.run = Some(run.to_owned());
    log.append(&started)?;
    template.message = Some(format!(
        "restored {}",
        sha.chars().take(10).collect::<String>()
    ));
    let _ = out.write_all(b"\n");
    Ok(with_sha(execute(on, plan, template, out, prompt)))
}

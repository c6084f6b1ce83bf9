//! A deploy after the gate allowed it: preflight, a person's yes (or `--yes`), the
//! `started` record, the runbook, the closing record. A denied deploy is only
//! recorded. Nothing is pushed before the preflight passed and the start is on disk.
//! A decision a person confirmed is made again after the yes (the `recheck`): a run
//! never goes on a decision older than the confirmation.

use std::io::Write;

use crate::audit::{AuditLog, Event, Record, Ruling, Run, RunOutcome};
use crate::runbook::{Context, Plan, preflight};

use super::{On, Prompt, RolloutError, RunKind, RunReport, ended_early, execute};

/// What a deploy runs on.
pub struct Deploy<'a> {
    pub ctx: &'a Context,
    /// The run's plan, built once: the preflight and the run both read it.
    pub plan: &'a Plan,
    pub log: &'a AuditLog,
    pub run: &'a str,
    /// The decision it runs on.
    pub gate: Ruling,
    /// Release heads shipped, "owner/name@sha".
    pub release_shas: Vec<String>,
    /// Run without asking.
    pub yes: bool,
    /// Who runs it.
    pub actor: Option<crate::audit::Actor>,
    /// After a person's yes: collects and decides again, and answers the decision
    /// to run on, or what changed while the question waited.
    pub recheck: Option<&'a mut dyn FnMut() -> Result<Ruling, super::judged::Recheck>>,
}

/// Records a deploy stopped at its decision, nothing touched (`denied`): by the
/// gate, or after an allow with `why` (heads other than the signed decision's, a
/// SHA other than the one confirmed in a comment) as its message; with who ran it.
pub fn denied(
    log: &AuditLog,
    target: &str,
    run: &str,
    gate: Ruling,
    actor: Option<crate::audit::Actor>,
    why: Option<&str>,
) -> Result<(), RolloutError> {
    let mut denied = Run::new(RunOutcome::Denied);
    denied.gate = Some(gate);
    denied.actor = actor;
    denied.message = why.map(str::to_owned);
    let mut record = Record::new("deploy", target, Event::Deploy(denied));
    record.run = Some(run.to_owned());
    log.append(&record)?;
    Ok(())
}

/// Runs the deploy. An error means nothing was changed: its start could not be
/// recorded.
pub fn run(
    deploy: Deploy<'_>,
    out: &mut dyn Write,
    prompt: &mut dyn Prompt,
) -> Result<RunReport, RolloutError> {
    let Deploy {
        ctx,
        plan,
        log,
        run,
        gate,
        release_shas,
        yes,
        actor,
        recheck,
    } = deploy;
    let mut template = Run::new(RunOutcome::Started);
    template.actor = actor;
    template.gate = Some(gate);
    template.release_shas = release_shas;
    let on = On {
        kind: RunKind::Deploy,
        ctx,
        log,
        run,
    };
    let early = |template: Run, outcome, reason: String| ended_early(on, template, outcome, reason);
    if let Some(signal) = ctx.children.watch.received() {
        let reason = format!("interrupted by {} before any step", signal.name());
        return Ok(early(template, RunOutcome::Aborted, reason));
    }
    if let Err(e) = preflight(ctx, plan) {
        return Ok(early(
            template,
            RunOutcome::Aborted,
            format!("preflight failed: {e}"),
        ));
    }
    if !yes && !prompt.confirm(&format!("\nDeploy {} now?", ctx.target)) {
        return Ok(early(template, RunOutcome::Aborted, unconfirmed(ctx)));
    }
    // The decision shown before the question is as old as the wait: decided again.
    if !yes && let Some(recheck) = recheck {
        let again = recheck();
        if let Some(signal) = ctx.children.watch.received() {
            let reason = format!("interrupted by {} before any step", signal.name());
            return Ok(early(template, RunOutcome::Aborted, reason));
        }
        match again {
            Ok(gate) => template.gate = Some(gate),
            Err(what) => {
                let reason = format!("while you confirmed, {what}");
                return Ok(early(template, RunOutcome::Aborted, reason));
            }
        }
    }
    if let Some(signal) = ctx.children.watch.received() {
        let reason = format!("interrupted by {} before any step", signal.name());
        return Ok(early(template, RunOutcome::Aborted, reason));
    }
    // On disk before anything changes: a deploy that cannot be recorded never starts.
    let mut started = Record::new("deploy", &ctx.target, Event::Deploy(template.clone()));
    started.run = Some(run.to_owned());
    log.append(&started)?;
    let _ = out.write_all(b"\n");
    Ok(execute(on, plan, template, out, prompt))
}

/// Why a question went unanswered: a person's no, or an interruption while it waited.
pub(super) fn unconfirmed(ctx: &Context) -> String {
    match ctx.children.watch.received() {
        Some(signal) => format!("interrupted by {} at the question", signal.name()),
        None => "not confirmed".to_owned(),
    }
}

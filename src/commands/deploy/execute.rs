//! The allowed deploy: its runbook printed, then (unless a dry run) the guard
//! armed, each step run after a person's yes with the facts judged again, the
//! report printed, the guard's watch and the run shared on GitHub.

use std::io::Write;

use crate::audit::{self, AuditLog};
use crate::cli::DeployArgs;
use crate::config::Config;
use crate::gate::Gate;
use crate::rollout::{self, Judged, Recheck, Session};
use crate::runbook::{self, signals::Watch};

use super::super::collect::{Collected, collect_or_interrupt};
use super::super::guard::AutoRollback;
use super::super::record::{TerminalPrompt, print_plan};
use super::super::{CommandError, EXIT_FAIL, EXIT_OK, Outcome, summary};
use super::judge::Allowed;
use super::prepare::Ready;

pub(super) fn run(
    args: &DeployArgs,
    config: &Config,
    ready: &mut Ready,
    session: &Session,
    allowed: Box<Allowed>,
    auto_rollback: &mut Option<AutoRollback>,
) -> Result<Outcome, CommandError> {
    let target = config.target(&args.target)?;
    let Allowed { judgement, verdict } = *allowed;
    let mut out = super::narration(args.format);
    // After a person's yes: the same allow on the same heads and production SHA,
    // on facts collected then (the window starts at the confirmation).
    let (release_shas, judged) =
        Judged::apply(&mut ready.ctx, &judgement.facts, &judgement.decision);
    ready.plan.judge(&ready.ctx);
    let (ctx, plan) = (&ready.ctx, &ready.plan);
    let ran = plan.iter().filter(|s| s.skip.is_none()).count();
    let title = format!(
        "\nRunbook for {} ({ran} of {} steps run):",
        args.target,
        plan.len()
    );
    print_plan(&mut out, &title, plan, ctx);
    // The guard's baseline is read before the first step.
    let guard = &ready.gate.policies();
    let armed = super::super::guard::arm(
        &ready.network,
        config,
        target,
        guard,
        args.no_guard,
        args.dry_run,
        &mut out,
    )?;
    if args.dry_run {
        return Ok(dry_run_end(
            &mut out,
            args.facts.as_deref(),
            ready.would_clone,
            ctx,
            plan,
        ));
    }
    let mut prompt_out = super::narration(args.format);
    let mut prompt = TerminalPrompt {
        out: &mut prompt_out,
        watch: ctx.children.watch.clone(),
    };
    let (log, verbose, watch) = (session.log(), args.config.verbose, &ctx.children.watch);
    let gate = &mut ready.gate;
    let mut recheck = || recheck(gate, verbose, watch, log, &judged);
    let mut report = rollout::deploy::run(
        rollout::deploy::Deploy {
            ctx,
            plan,
            log,
            run: session.id(),
            gate: verdict.clone(),
            release_shas,
            yes: args.yes,
            actor: session.actor(),
            recheck: (!args.yes).then_some(&mut recheck as &mut dyn FnMut() -> _),
        },
        &mut out,
        &mut prompt,
    )?;
    let printed = summary::print(
        &mut out,
        &report,
        &args.config.config,
        &config.programs.ttmscalr,
    );
    let mut guarded = None;
    if let Some(armed) = armed {
        let (exit, auto) = super::super::guard::watch(
            armed,
            &mut report,
            ready.gate.policies_mut(),
            &mut out,
            watch,
            log,
            session.id(),
            &args.config.config,
        );
        guarded = exit;
        *auto_rollback = auto;
    } else if args.no_guard && !report.steps.is_empty() {
        super::super::guard::record_skipped(log, &args.target, session.id());
    }
    session.share(&report, Some(&verdict));
    Ok(guarded.unwrap_or(printed))
}

/// After a person's yes: the facts collected and judged again, recorded, and held
/// to the allow the person saw.
fn recheck(
    gate: &mut Gate,
    verbose: bool,
    watch: &Watch,
    log: &AuditLog,
    judged: &Judged,
) -> Result<audit::Ruling, Recheck> {
    let facts = match collect_or_interrupt(gate.collector(), verbose, watch) {
        Collected::Facts(collected) => match *collected {
            Ok(facts) => facts,
            Err(e) => return Err(Recheck::Collect(e.to_string())),
        },
        Collected::Interrupted(signal) => return Err(Recheck::Interrupted(signal.name())),
    };
    let again = gate
        .decide(facts)
        .map_err(|e| Recheck::Decide(e.to_string()))?;
    super::super::record::append_or_warn(log, &again.record("deploy"));
    judged.still(&again.decision, &again.facts)?;
    eprintln!(
        "Decided again at {}: still allow on the same release heads and production SHA.",
        again.decision.evaluated_at
    );
    Ok(again.gate)
}

/// The end of a dry run, after the plan: on live facts the read-only preflight runs
/// too, so that the dry run meets what the real run would.
fn dry_run_end(
    out: &mut dyn Write,
    facts_file: Option<&std::path::Path>,
    would_clone: bool,
    ctx: &runbook::Context,
    plan: &runbook::Plan,
) -> Outcome {
    match facts_file {
        Some(file) => {
            let _ = write!(
                out,
                "\nDry run on the recorded facts {}: nothing was run.\n",
                file.display()
            );
        }
        None if would_clone => {
            let _ = write!(
                out,
                "\nThe preflight needs the clones the run would make first.\nDry run: nothing was run.\n"
            );
        }
        None => {
            if let Err(e) = runbook::preflight(ctx, plan) {
                let _ = write!(
                    out,
                    "\n✘ Preflight failed: {e}\nDry run: nothing was run.\n"
                );
                return EXIT_FAIL;
            }
            let _ = write!(out, "\nPreflight passed.\nDry run: nothing was run.\n");
        }
    }
    EXIT_OK
}

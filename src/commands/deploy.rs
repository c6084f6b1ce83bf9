//! `gatekeeper deploy TARGET`: decide on live facts, and only on an allow hand the
//! run to [`crate::rollout::deploy`] — after a read-only preflight and a person's
//! confirmation (or `--yes`) — then print its report. It never decides on recorded
//! facts or a pretend clock, never touches a repo on a deny, and never leaves the
//! lock or an unrecorded end behind: an error after the lock is recorded as
//! `aborted`. Collection only reads, so a signal cancels it at once (the run
//! ends `aborted`, 130/143, lock released); after a person's yes the facts are
//! collected and judged again, and the run goes on only on the same allow.

use std::io::Write;

use crate::cli::{DeployArgs, Format};
use crate::gate::{self, Gate};
use crate::render;
use crate::rollout::{self, Judged, RunKind, Session, deployments};
use crate::runbook::{self, steps};

use super::collect::{Collected, collect_or_interrupt};
use super::record::{TerminalPrompt, audit_log, print_plan, require_confirmable};
use super::{CommandError, EXIT_FAIL, EXIT_OK, Outcome, Stdout, stdout_style, summary};

pub fn run(args: DeployArgs) -> Result<Outcome, CommandError> {
    if args.facts.is_some() && !args.dry_run {
        return Err(CommandError::Usage(
            "deploy refuses --facts: a deploy is decided on live facts only; preview the plan with `gatekeeper deploy TARGET --dry-run --facts FILE`, or rehearse the decision with `gatekeeper check TARGET --facts FILE`".to_owned(),
        ));
    }
    if args.at.is_some() {
        return Err(CommandError::Usage(
            "deploy refuses --at: a deploy is decided on the real clock only; rehearse with `gatekeeper check TARGET --at TIME`".to_owned(),
        ));
    }
    let config = super::load_config(&args.config.config)?;
    let target = config.target(&args.target)?;
    require_confirmable("deploy", args.yes, args.dry_run)?;
    let mut ctx = super::runbook_context(&config, &args.target, target)?;
    let plan_configs = steps::target_steps(target);
    // Placeholders, the production SHA recorded first and smoke URLs to verify with
    // are checked before anything is collected or locked.
    let mut plan = runbook::Plan::deploy(&plan_configs, &ctx)?;
    let attended = args.dry_run || std::io::IsTerminal::is_terminal(&std::io::stdin());
    runbook::plan::require_attended(&plan_configs, &ctx, attended)?;
    let log = audit_log(&config);
    // Policies and overrides before the lock and the sources: a mistake stops here.
    // A deploy is decided at the real clock, its window starting now.
    let mut gate = Gate::with_config(
        Some(config.clone()),
        &gate::Request {
            target: &args.target,
            config: &args.config.config,
            policies: args.config.policies.as_deref(),
            facts_file: args.facts.as_deref(),
            planned: gate::Planned {
                minutes: args.minutes,
                downtime: args.downtime,
                ..gate::Planned::default()
            },
            overrides: &args.overrides,
            reason: args.reason.as_deref(),
            by: args.by.as_deref(),
            no_config: false,
            verbose: args.config.verbose,
        },
    )?;
    // The signing key before any source is asked: a bad key is found first.
    let signer = super::attest::signer(&args.attest)?;
    // Asked for in a comment: the request enters the facts and stamps the records.
    let request = super::chatops::read_request(args.chatops_request.as_deref())?;
    gate.set_request(request.clone());
    if args.facts.is_none() {
        // A missing secret stops the deploy before the lock and any request.
        gate::require_secrets(&config)?;
    }
    // Clones before the lock (which lives on the deploy remote, reached through the
    // app's clone): those in `workdir` are made, others must be there.
    let clones = runbook::clones::ensure(&config, target, &ctx, args.dry_run)?;
    for made in &clones.cloned {
        let verb = if args.dry_run {
            "would clone"
        } else {
            "cloned"
        };
        let _ = writeln!(std::io::stderr(), "{verb} {made}");
    }
    // A signed decision the target requires is checked before the lock.
    let required = super::attest::require(
        &config,
        &args.target,
        target,
        args.attestation.as_deref(),
        &ctx,
        args.dry_run,
        &mut std::io::stderr(),
    )?;
    if matches!(required, super::attest::Required::Refused) {
        return Ok(EXIT_FAIL);
    }
    // The merge commit needs a git identity: checked before the lock.
    runbook::preflight::require_git_identity(&ctx)?;
    // Who deploys (the token's login, asked once) and where the run is shared.
    let mut shared = (!args.dry_run)
        .then(|| deployments::connect_or_warn(&config, target, true, &mut std::io::stderr()))
        .flatten();
    if let Some(s) = shared.as_mut() {
        s.actor =
            crate::chatops::stamp(Some(s.actor.clone()), request.as_ref()).unwrap_or_default();
    }
    // An override is by the actor when known (the person CI names, the login).
    if let Some(shared) = &shared {
        gate.attribute_overrides(|by| shared.actor.name_or(by));
    }
    // `--wait`: decide until the allows hold, before anything is taken.
    let caught = match super::wait::before_lock(&args, &mut gate)? {
        super::wait::Before::Go(interrupts) => interrupts,
        super::wait::Before::Stop(outcome) => return Ok(outcome),
    };
    let mut session = if args.dry_run {
        Session::start(RunKind::Deploy, &mut ctx, log, shared, true)?
    } else {
        let (wait, interval) = (args.wait_for_lock, args.interval);
        match Session::start_after(
            RunKind::Deploy,
            &mut ctx,
            log,
            shared,
            caught,
            |ctx, watch| wait.and_then(|max| super::wait::for_lock(ctx, max, interval, watch)),
        )? {
            Ok(session) => session,
            Err(signal) => return Ok(Outcome::Interrupted(signal)),
        }
    };
    session.restamp_actor(|actor| crate::chatops::stamp(actor, request.as_ref()));
    let (log, run) = (session.log(), session.id());

    // From here every exit leaves a record when the lock was taken (the check and
    // the run's own, or `aborted` saying why), and the lock is released when `lock`
    // drops.
    let mut auto_rollback: Option<super::guard::AutoRollback> = None;
    let result = (|| -> Result<Outcome, CommandError> {
        // Recorded facts only reach here with --dry-run: they preview, never deploy.
        let collected = match &args.facts {
            Some(_) => super::facts(&gate, args.config.verbose)?,
            None => match collect_or_interrupt(
                gate.collector(),
                args.config.verbose,
                &ctx.children.watch,
            ) {
                Collected::Facts(facts) => (*facts)?,
                Collected::Interrupted(signal) => {
                    let report =
                        session.interrupted_while_reading(&ctx, signal, "the facts were collected");
                    return Ok(summary::print(
                        &mut Stdout,
                        &report,
                        &args.config.config,
                        &config.programs.ttmscalr,
                    ));
                }
            },
        };
        let mut judgement = gate.decide(collected)?;
        // Signed before the first step; its digest goes into every record of the run.
        let signing = super::attest::Signing {
            config: Some(&config),
            policies: gate.policies(),
            facts_file: args.facts.as_deref(),
            actor: super::attest::run_actor(session.actor()),
            run: Some(run.to_owned()),
        };
        judgement.gate.attestation_sha256 = super::attest::write_signed(
            &args.attest,
            signer.as_ref(),
            &judgement.decision,
            &judgement.facts,
            signing,
        )?;
        let (facts, decision) = (&judgement.facts, &judgement.decision);
        super::note_unneeded_overrides(&judgement);
        super::print_as(
            &render::render(decision, args.format, stdout_style())?,
            args.format,
        );
        // The narration goes where the decision document does not.
        let mut out: Box<dyn Write> = if args.format == Format::Table {
            Box::new(Stdout)
        } else {
            Box::new(std::io::stderr())
        };

        // Digested once (facts and every policy file): the check record and the run share it.
        let verdict = judgement.gate.clone();
        let check = judgement.record("deploy");
        if args.dry_run {
            super::record::append_or_warn(log, &check);
        } else {
            // Without its record a deploy cannot be rolled back: the log must work.
            log.append(&check)?;
        }
        if !decision.allow {
            if !args.dry_run {
                rollout::deploy::denied(log, &args.target, run, verdict)?;
            }
            let _ = write!(
                out,
                "\nDeploy of {} denied: nothing was changed.\n",
                args.target
            );
            return Ok(EXIT_FAIL);
        }
        if let Err(why) = super::attest::same_heads(&required, facts) {
            if !args.dry_run {
                rollout::deploy::denied(log, &args.target, run, verdict.clone())?;
            }
            let _ = write!(
                out,
                "\nDeploy of {} refused: {why}: nothing was changed.\n",
                args.target
            );
            return Ok(EXIT_FAIL);
        }
        // Confirmed in a comment: only the SHA its asker saw may ship.
        if let Err(why) = crate::chatops::hold_to_confirmed(request.as_ref(), facts) {
            if !args.dry_run {
                rollout::deploy::denied(log, &args.target, run, verdict)?;
            }
            let _ = write!(out, "\nDeploy of {} refused: {why}.\n", args.target);
            return Ok(EXIT_FAIL);
        }

        // After a person's yes: the same allow on the same heads and production SHA,
        // on facts collected then (the window starts at the confirmation).
        let (release_shas, judged) = Judged::apply(&mut ctx, facts, decision);
        plan.judge(&ctx);
        print_plan(
            &mut out,
            &format!(
                "\nRunbook for {} ({} of {} steps run):",
                args.target,
                plan.iter().filter(|s| s.skip.is_none()).count(),
                plan.len()
            ),
            &plan,
            &ctx,
        );
        if args.dry_run {
            super::guard::arm(
                &config,
                target,
                gate.policies(),
                args.no_guard,
                true,
                &mut out,
            )?;
            return Ok(dry_run_end(
                &mut out,
                args.facts.as_deref(),
                clones.would_clone,
                &ctx,
                &plan,
            ));
        }

        // The guard's baseline is read before the first step.
        let armed = super::guard::arm(
            &config,
            target,
            gate.policies(),
            args.no_guard,
            false,
            &mut out,
        )?;
        let mut prompt_out: Box<dyn Write> = if args.format == Format::Table {
            Box::new(Stdout)
        } else {
            Box::new(std::io::stderr())
        };
        let mut prompt = TerminalPrompt {
            out: &mut prompt_out,
            watch: ctx.children.watch.clone(),
        };
        let mut recheck = || -> Result<crate::audit::Gate, String> {
            let facts = match collect_or_interrupt(
                gate.collector(),
                args.config.verbose,
                &ctx.children.watch,
            ) {
                Collected::Facts(collected) => match *collected {
                    Ok(facts) => facts,
                    Err(e) => {
                        return Err(format!("the facts could not be collected again: {e}"));
                    }
                },
                Collected::Interrupted(signal) => {
                    return Err(format!("interrupted by {}", signal.name()));
                }
            };
            let again = gate
                .decide(facts)
                .map_err(|e| format!("the policies could not decide again: {e}"))?;
            super::record::append_or_warn(log, &again.record("deploy"));
            judged.still(&again.decision, &again.facts)?;
            eprintln!(
                "Decided again at {}: still allow on the same release heads and production SHA.",
                again.decision.evaluated_at
            );
            Ok(again.gate)
        };
        let mut report = rollout::deploy::run(
            rollout::deploy::Deploy {
                ctx: &ctx,
                plan: &plan,
                log,
                run,
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
            let (exit, auto) = super::guard::watch(
                armed,
                &mut report,
                gate.policies_mut(),
                &mut out,
                &ctx.children.watch,
                log,
                run,
                &args.config.config,
            );
            guarded = exit;
            auto_rollback = auto;
        } else if args.no_guard && !report.steps.is_empty() {
            super::guard::record_skipped(log, &args.target, run);
        }
        session.share(&report, Some(&verdict));
        Ok(guarded.unwrap_or(printed))
    })();
    // The guard's one automatic rollback runs under its own lock, after this
    // run's end has released the deploy's.
    if let Some(auto) = auto_rollback.take() {
        let (log, run) = (session.log().clone(), session.id().to_owned());
        if let Err(e) = super::record::end_run(session, result) {
            eprintln!("gatekeeper: error: {e}");
        }
        return Ok(super::guard::roll_back(
            auto,
            &args.config,
            &args.target,
            &log,
            &run,
        ));
    }
    super::record::end_run(session, result)
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

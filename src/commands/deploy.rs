//! `gatekeeper deploy TARGET`: decide on live facts, and only on an allow hand the
//! run to [`crate::rollout::deploy`] — after a read-only preflight and a person's
//! confirmation (or `--yes`) — then print its report. It never decides on recorded
//! facts or a pretend clock, never touches a repo on a deny, and never leaves the
//! lock or an unrecorded end behind: an error after the lock is recorded as
//! `aborted`. Collection only reads, so a signal cancels it at once (the run
//! ends `aborted`, 130/143, lock released); after a person's yes the facts are
//! collected and judged again, and the run goes on only on the same allow.

use std::io::Write;

use chrono::{SubsecRound, Utc};

use crate::audit::{Event, Record};
use crate::cli::{DeployArgs, Format, PlanArgs};
use crate::config::Config;
use crate::policy::PolicySet;
use crate::render;
use crate::rollout::{self, RunKind, deployments};
use crate::runbook::signals::{Interruption, Interrupts, Watch};
use crate::runbook::{self, steps};

use super::record::{TerminalPrompt, audit_log, gate, print_plan, require_confirmable};
use super::{
    CommandError, EXIT_FAIL, EXIT_OK, Outcome, Stdout, collect_live, gather, override_requests,
    print, stdout_style, summary,
};

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
    let config = Config::load(&args.config.config)?;
    let target = config.target(&args.target)?;
    require_confirmable("deploy", args.yes, args.dry_run)?;
    let mut ctx = super::runbook_context(&config, &args.target, target)?;
    let plan_configs = steps::target_steps(target);
    // Placeholders, the production SHA recorded first and smoke URLs to verify with
    // are checked before anything is collected or locked.
    runbook::plan(&plan_configs, &ctx)?;
    let attended = args.dry_run || std::io::IsTerminal::is_terminal(&std::io::stdin());
    runbook::plan::require_attended(&plan_configs, &ctx, attended)?;
    let log = audit_log(&config);
    // Policies and overrides before the lock and the sources: a mistake stops here.
    let dir = Config::policy_dir(Some(&config), args.config.policies.as_deref());
    let mut policies = PolicySet::load(&dir, false)?;
    let overrides = override_requests(
        &mut policies,
        &args.overrides,
        args.reason.as_deref(),
        args.by.as_deref(),
    )?;

    if args.facts.is_none() {
        // A missing secret stops the deploy before the lock and any request.
        super::require_secrets(&config)?;
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
    // The merge commit needs a git identity: checked before the lock.
    runbook::preflight::require_git_identity(&ctx)?;
    // Who deploys (the token's login, asked once) and where the run is shared.
    let shared = (!args.dry_run)
        .then(|| deployments::connect_or_warn(&config, target, true, &mut std::io::stderr()))
        .flatten();
    // An override is by the actor when known (the person CI names, the login).
    let mut overrides = overrides;
    if let Some(shared) = &shared {
        for o in &mut overrides {
            o.by = shared.actor.name_or(&o.by);
        }
    }
    let run = rollout::run_id();
    // The log must take records (a regular file, no link) before the lock is taken.
    let (lock, _interrupts) = if args.dry_run {
        (None, None)
    } else {
        log.ensure()?;
        // Signals are caught before the lock is taken: a Ctrl-C while the lock's push
        // runs must not kill gatekeeper and leave the lock behind unrecorded.
        let interrupts = Interrupts::catch().map_err(|e| {
            CommandError::Usage(format!("cannot catch SIGINT, SIGTERM and SIGHUP: {e}"))
        })?;
        let lock = rollout::lock(&ctx, &log, RunKind::Deploy, &run)?;
        ctx.children.watch = interrupts.watch();
        (Some(lock), Some(interrupts))
    };

    // From here every exit leaves a record when the lock was taken (the check and
    // the run's own, or `aborted` saying why), and the lock is released when `lock`
    // drops.
    let result = (|| -> Result<Outcome, CommandError> {
        let plan_args = PlanArgs {
            at: None,
            downtime: args.downtime,
            start: None,
            minutes: args.minutes,
        };
        // Recorded facts only reach here with --dry-run: they preview, never deploy.
        let collected = match &args.facts {
            Some(file) => gather(
                Some(&config),
                &args.target,
                &plan_args,
                Some(file),
                args.config.verbose,
            )?,
            None => match collect_or_interrupt(
                &config,
                &args.target,
                &plan_args,
                args.config.verbose,
                &ctx.children.watch,
            ) {
                Collected::Facts(facts) => (*facts)?,
                Collected::Interrupted(signal) => {
                    let report = rollout::interrupted_while_reading(
                        RunKind::Deploy,
                        &ctx,
                        &log,
                        &run,
                        deployments::run_actor(shared.as_ref()),
                        signal,
                        "the facts were collected",
                    );
                    return Ok(summary::print(
                        &mut Stdout,
                        &report,
                        &args.config.config,
                        &config.programs.ttmscalr,
                    ));
                }
            },
        };
        let mut facts = collected;
        facts.overrides = overrides.clone();
        let mut decision = policies.evaluate(&facts)?.decision;
        decision.mark_source_errors(facts.errors.iter().map(|e| e.message.as_str()));
        super::note_unneeded_overrides(&decision, &facts.overrides);
        print(&render::render(&decision, args.format, stdout_style())?);
        // The narration goes where the decision document does not.
        let mut out: Box<dyn Write> = if args.format == Format::Table {
            Box::new(Stdout)
        } else {
            Box::new(std::io::stderr())
        };

        let live = args.facts.is_none();
        // Digested once (facts and every policy file): the check record and the run share it.
        let gate = gate(&facts, policies.files(), &decision, live);
        let check = Record::new("deploy", &decision.target, Event::Check(gate.clone()));
        if args.dry_run {
            super::record::append_or_warn(&log, &check);
        } else {
            // Without its record a deploy cannot be rolled back: the log must work.
            log.append(&check)?;
        }
        if !decision.allow {
            if !args.dry_run {
                rollout::deploy::denied(&log, &args.target, &run, gate)?;
            }
            let _ = write!(
                out,
                "\nDeploy of {} denied: nothing was changed.\n",
                args.target
            );
            return Ok(EXIT_FAIL);
        }

        ctx.downtime = decision.downtime;
        // Unknown migrations count as pending: running deploy:migrate with none is harmless.
        ctx.migrations = facts
            .repos
            .iter()
            .any(|r| r.migrations.as_ref().is_none_or(|m| !m.is_empty()));
        for repo in &mut ctx.repos {
            repo.release_sha = facts
                .repos
                .iter()
                .find(|r| r.name == repo.name)
                .and_then(|r| r.release_sha.clone());
        }
        ctx.production = facts.production.as_ref().map(|p| p.sha.clone());
        let release_shas = ctx
            .repos
            .iter()
            .map(|r| format!("{}@{}", r.name, r.release_sha.as_deref().unwrap_or("?")))
            .collect();
        let plan = runbook::plan(&plan_configs, &ctx)?;
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
            match &args.facts {
                Some(file) => {
                    let _ = write!(
                        out,
                        "\nDry run on the recorded facts {}: nothing was run.\n",
                        file.display()
                    );
                }
                None if clones.would_clone => {
                    let _ = write!(
                        out,
                        "\nThe preflight needs the clones the run would make first.\nDry run: nothing was run.\n"
                    );
                }
                None => {
                    // On live facts the read-only preflight runs too: the dry run meets
                    // what the real run would.
                    if let Err(e) = runbook::preflight(&ctx) {
                        let _ = write!(
                            out,
                            "\n✘ Preflight failed: {e}\nDry run: nothing was run.\n"
                        );
                        return Ok(EXIT_FAIL);
                    }
                    let _ = write!(out, "\nPreflight passed.\nDry run: nothing was run.\n");
                }
            }
            return Ok(EXIT_OK);
        }

        let mut prompt_out: Box<dyn Write> = if args.format == Format::Table {
            Box::new(Stdout)
        } else {
            Box::new(std::io::stderr())
        };
        let mut prompt = TerminalPrompt {
            out: &mut prompt_out,
            watch: ctx.children.watch.clone(),
        };
        // After a person's yes: the same allow on the same heads and production SHA,
        // on facts collected then (the window starts at the confirmation).
        let judged = Judged {
            heads: ctx
                .repos
                .iter()
                .map(|r| (r.name.clone(), r.release_sha.clone()))
                .collect(),
            production: ctx.production.clone(),
            downtime: ctx.downtime,
        };
        let mut recheck = || -> Result<crate::audit::Gate, String> {
            let facts = match collect_or_interrupt(
                &config,
                &args.target,
                &plan_args,
                args.config.verbose,
                &ctx.children.watch,
            ) {
                Collected::Facts(collected) => match *collected {
                    Ok(mut facts) => {
                        facts.overrides = overrides.clone();
                        facts
                    }
                    Err(e) => {
                        return Err(format!("the facts could not be collected again: {e}"));
                    }
                },
                Collected::Interrupted(signal) => {
                    return Err(format!("interrupted by {}", signal.name()));
                }
            };
            let mut decision = policies
                .evaluate(&facts)
                .map_err(|e| format!("the policies could not decide again: {e}"))?
                .decision;
            decision.mark_source_errors(facts.errors.iter().map(|e| e.message.as_str()));
            let again = super::record::gate(&facts, policies.files(), &decision, true);
            super::record::append_or_warn(
                &log,
                &Record::new("deploy", &decision.target, Event::Check(again.clone())),
            );
            judged.still(&decision, &facts)?;
            eprintln!(
                "Decided again at {}: still allow on the same release heads and production SHA.",
                decision.evaluated_at
            );
            Ok(again)
        };
        let report = rollout::deploy::run(
            rollout::deploy::Deploy {
                ctx: &ctx,
                plan: &plan,
                log: &log,
                run: &run,
                gate: gate.clone(),
                release_shas,
                yes: args.yes,
                actor: deployments::run_actor(shared.as_ref()),
                recheck: (!args.yes).then_some(&mut recheck as &mut dyn FnMut() -> _),
            },
            &mut out,
            &mut prompt,
        )?;
        if let Some(shared) = &shared {
            shared.record(&report, &run, Some(&gate), &log, &mut std::io::stderr());
        }
        Ok(summary::print(
            &mut out,
            &report,
            &args.config.config,
            &config.programs.ttmscalr,
        ))
    })();
    super::record::end_run(
        RunKind::Deploy,
        &args.target,
        &run,
        &log,
        lock,
        || deployments::run_actor(shared.as_ref()),
        result,
    )
}

/// How a collection ended: its facts (or error), or a signal that cancelled it.
enum Collected {
    Facts(Box<Result<crate::facts::Facts, CommandError>>),
    Interrupted(Interruption),
}

/// Collects live facts at the real clock, given up on as soon as `watch` sees a
/// signal (collection only reads).
fn collect_or_interrupt(
    config: &Config,
    target: &str,
    plan: &PlanArgs,
    verbose: bool,
    watch: &Watch,
) -> Collected {
    let (config, target, plan) = (config.clone(), target.to_owned(), plan.clone());
    let read = move || {
        collect_live(
            &config,
            &target,
            Utc::now().trunc_subsecs(0),
            &plan,
            verbose,
        )
    };
    match rollout::until_interrupted(watch, read) {
        Ok(Some(facts)) => Collected::Facts(Box::new(facts)),
        Ok(None) => Collected::Facts(Box::new(Err(CommandError::Usage(
            "the collection of the facts stopped without an answer; run deploy again".to_owned(),
        )))),
        Err(signal) => Collected::Interrupted(signal),
    }
}

/// What a confirmed deploy was decided on, to hold the second decision against.
struct Judged {
    /// Each repo's release head.
    heads: Vec<(String, Option<String>)>,
    production: Option<String>,
    downtime: bool,
}

impl Judged {
    /// The second decision goes on only as an allow of the same run: or what changed.
    fn still(
        &self,
        decision: &crate::decision::Decision,
        facts: &crate::facts::Facts,
    ) -> Result<(), String> {
        let mut changed = Vec::new();
        if !decision.allow {
            let failing: Vec<&str> = decision.failing().map(|c| c.id.as_str()).collect();
            changed.push(format!(
                "the gate now denies (failing: {})",
                failing.join(", ")
            ));
        }
        for (name, head) in &self.heads {
            let now = facts
                .repos
                .iter()
                .find(|r| &r.name == name)
                .and_then(|r| r.release_sha.clone());
            if &now != head {
                changed.push(format!(
                    "{name}'s release head moved from {} to {}",
                    head.as_deref().unwrap_or("?"),
                    now.as_deref().unwrap_or("?")
                ));
            }
        }
        let production = facts.production.as_ref().map(|p| p.sha.clone());
        if production != self.production {
            changed.push(format!(
                "the production SHA moved from {} to {}",
                self.production.as_deref().unwrap_or("?"),
                production.as_deref().unwrap_or("?")
            ));
        }
        if decision.downtime != self.downtime {
            changed.push(format!(
                "the deploy now {} downtime",
                if decision.downtime {
                    "needs"
                } else {
                    "needs no"
                }
            ));
        }
        if changed.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{}: run `gatekeeper deploy` again",
                changed.join("; ")
            ))
        }
    }
}

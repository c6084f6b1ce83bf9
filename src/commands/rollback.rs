//! `gatekeeper rollback TARGET [--to SHA]`: put production back on a SHA it ran
//! before. Which one is derived from production itself ([`crate::rollout::target`]):
//! the deploy remote's head names the run that put it there, and that run's
//! before-SHA is restored, only when production's first-parent history (or the
//! local audit log's reading of the remote) vouches for it; `--to` obeys the same
//! rule and reads no history. The run itself is [`crate::rollout::rollback`],
//! recorded like a deploy under the same lock, after the same production-SHA
//! preflight (also with `--dry-run`); this command picks and validates the SHA,
//! shows the plan and prints the report. It never runs without a person's yes or
//! `--yes`, never without smoke URLs to verify with, and never leaves the lock or
//! an unrecorded end behind: an error after the lock is recorded as `aborted`.

use std::io::Write;

use crate::audit::{Event, Record, Run, RunOutcome};
use crate::cli::RollbackArgs;
use crate::config::{Config, TargetConfig};
use crate::render;
use crate::rollout::{self, RunKind, Session, deployments, target};
use crate::runbook::git::is_sha;
use crate::runbook::{self, RunbookError, integrity};
use crate::sources;

use super::record::{TerminalPrompt, audit_log, print_plan, require_confirmable};
use super::{CommandError, EXIT_FAIL, EXIT_OK, Outcome, Stdout, summary};

pub fn run(args: RollbackArgs) -> Result<Outcome, CommandError> {
    let config = super::load_config(&args.config.config)?;
    let target = config.target(&args.target)?;
    require_confirmable("rollback", args.yes, args.dry_run)?;
    let log = audit_log(&config);
    if let Some(other) = args.to.as_deref().filter(|to| !is_sha(to)) {
        return Err(CommandError::Usage(format!(
            "--to {other:?} is not a commit SHA (7 to 40 hex digits)"
        )));
    }
    let mut ctx = super::runbook_context(&config, &args.target, target)?;
    // Nothing could verify the rollback: refused before the lock and any clone.
    runbook::plan::require_smoke_urls(&ctx)?;
    // A rollback restores what is in the app's clone: it must be there (a clone in
    // `workdir` is made; a dry run only says so).
    let clones = runbook::clones::ensure(&config, target, &ctx, args.dry_run)?;
    for made in &clones.cloned {
        let verb = if args.dry_run {
            "would clone"
        } else {
            "cloned"
        };
        eprintln!("{verb} {made}");
    }
    let request = super::chatops::read_request(args.chatops_request.as_deref())?;
    let mut shared =
        deployments::connect_or_warn(&config, target, !args.dry_run, &mut std::io::stderr());
    if let Some(s) = shared.as_mut() {
        s.actor =
            crate::chatops::stamp(Some(s.actor.clone()), request.as_ref()).unwrap_or_default();
    }
    // The lock before the history is read, so no other run changes it meanwhile.
    let mut session = Session::start(RunKind::Rollback, &mut ctx, log, shared, args.dry_run)?;
    session.restamp_actor(|actor| crate::chatops::stamp(actor, request.as_ref()));
    let (log, run, shared) = (session.log(), session.id(), session.shared());
    // From here every exit leaves a record when the lock was taken (the run's
    // own, or `aborted` saying why), and the lock is released when `lock` drops.
    let result = (|| -> Result<Outcome, CommandError> {
        // Where production stands decides where it goes back to: the deploy remote's
        // head, the run that put it there, and that run's before-SHA, vouched for by
        // production's own first-parent history (or the local log's reading of it).
        let local = log.read()?;
        let current = integrity::remote_production(&ctx).map_err(RunbookError::from)?;
        let recorded = target::recorded_heads(&local, &args.target);
        // GitHub's deployments (only without --to: a given SHA needs no history) and
        // production SHA are only read: a signal gives up on them at once.
        let watch = ctx.children.watch.clone();
        let read = {
            let (config, target, name) = (config.clone(), target.clone(), args.target.clone());
            let list = shared.is_some() && args.to.is_none();
            let current = current.clone();
            move || {
                let listed = list.then(|| {
                    deployments::Shared::connect(
                        &config,
                        &target,
                        &sources::http::process_env,
                        false,
                    )
                    .and_then(|s| s.list_of_sha(&name, &current))
                });
                (listed, github_production(&config, &target))
            }
        };
        let (listed, github) = match rollout::until_interrupted(&watch, read) {
            Ok(Some(read)) => read,
            Ok(None) => {
                return Err(CommandError::Usage(format!(
                    "reading the deploy history of {} on GitHub stopped without an answer; run rollback again",
                    args.target
                )));
            }
            Err(signal) => {
                let report = session.interrupted_while_reading(
                    &ctx,
                    signal,
                    "the deploy history and the production SHA were read",
                );
                return Ok(summary::print(
                    &mut Stdout,
                    &report,
                    &args.config.config,
                    &config.programs.ttmscalr,
                ));
            }
        };
        let refuse = |e: target::TargetError| match e {
            target::TargetError::Integrity(e) => CommandError::from(RunbookError::from(e)),
            other => CommandError::Usage(other.to_string()),
        };
        let (sha, origin) = match &args.to {
            Some(to) => {
                let sha = integrity::resolve_commit(&ctx, to).map_err(RunbookError::from)?;
                let how = target::vouch(&ctx, &sha, &current, &recorded, log.path(), "")
                    .map_err(refuse)?;
                // Nothing this machine read from production knows the target: a
                // person's word, recorded with the reason.
                if recorded.is_empty() && args.reason.as_deref().is_none_or(|r| r.trim().is_empty())
                {
                    return Err(CommandError::Usage(format!(
                        "{to} is on the first-parent history of production ({} {}, now {current}), but the local audit log {} records no SHA production ran, so only your word says it ran {to}: say why with --reason (recorded)",
                        target.deploy_remote,
                        target.base_branch,
                        log.path().display()
                    )));
                }
                let why = match how {
                    target::Vouched::FirstParent => "on the first-parent history of production",
                    target::Vouched::Recorded => {
                        "production's head in a run of the local audit log"
                    }
                };
                (sha, format!("given with --to ({why})"))
            }
            None => {
                let listed = match listed {
                    Some(Ok(listed)) => listed,
                    Some(Err(e)) => {
                        eprintln!(
                            "warning: cannot read the deployments of {} on GitHub: {e}; the local audit log {} decides which run put production on {current}",
                            args.target,
                            log.path().display()
                        );
                        Vec::new()
                    }
                    None => Vec::new(),
                };
                let login = shared.and_then(|s| s.actor.github.as_deref());
                let trusted = deployments::trusted(&listed, login);
                if !listed.is_empty() && login.is_none() {
                    eprintln!(
                        "warning: the token's GitHub login is unknown, so no deployment of {} on GitHub can be told from another tool's: only the local audit log {} names the run that put production there",
                        args.target,
                        log.path().display()
                    );
                } else if listed.len() > trusted.len() {
                    eprintln!(
                        "note: {} deployment(s) of {} on {current} on GitHub were not created by gatekeeper under the token's login {}: they never name a rollback target (`gatekeeper history` shows them as foreign)",
                        listed.len() - trusted.len(),
                        args.target,
                        render::sanitize(login.unwrap_or("?"))
                    );
                }
                let undone = target::newest(
                    target::from_log(&local, &args.target, &current),
                    target::from_deployments(&trusted, login, &current),
                )
                .ok_or_else(|| {
                    CommandError::Usage(format!(
                        "no deploy of {} is recorded that put production ({} {}) on {current}: neither the local audit log {} nor the deployments gatekeeper created on GitHub name one, so nothing says what it ran before; give the SHA with --to (it must be on the first-parent history of {current}) and say why with --reason",
                        args.target,
                        target.deploy_remote,
                        target.base_branch,
                        log.path().display()
                    ))
                })?;
                target::vouch(
                    &ctx,
                    &undone.before,
                    &current,
                    &recorded,
                    log.path(),
                    &undone.claim(),
                )
                .map_err(refuse)?;
                (undone.before.clone(), undone.describe())
            }
        };
        integrity::require_in_clone(&ctx, &sha).map_err(RunbookError::from)?;

        let mut out = Stdout;
        let agreed = match (&github, &args.reason) {
            // GitHub down in an emergency: a person may roll back on the deploy
            // remote's word alone, saying why (recorded with the rollback).
            (Err(why), Some(reason)) if !reason.trim().is_empty() => {
                eprintln!(
                    "warning: GitHub's {} cannot confirm the production SHA ({why}); rolling back on the deploy remote's word alone, as --reason says",
                    target.deploy_repo
                );
                integrity::remote_production(&ctx)
            }
            _ => integrity::production_agrees(&ctx, github.as_deref().map_err(String::as_str)),
        };
        match agreed {
            Ok(production) => ctx.production = Some(production),
            Err(e) => {
                let hint = if github.is_err() {
                    "\nTo roll back now all the same, give the SHA with --to and say why with --reason (recorded).\n"
                } else {
                    ""
                };
                let _ = write!(
                    out,
                    "\n✘ Preflight failed: {e}\nNothing was changed.\n{hint}"
                );
                if !args.dry_run {
                    let mut aborted = Run::new(RunOutcome::Aborted);
                    aborted.message = Some(e.to_string());
                    let mut record =
                        Record::new("rollback", &args.target, Event::Rollback(aborted));
                    record.run = Some(run.to_owned());
                    log.append(&record)?;
                }
                return Ok(EXIT_FAIL);
            }
        }

        let plan = runbook::Plan::rollback(&sha, &ctx)?;
        // Every program the steps start can be started, before anything changes.
        runbook::preflight::require_programs(&plan, &ctx)?;
        print_plan(
            &mut out,
            &format!(
                "Rollback of {} to {sha} ({} steps):\nTarget: {origin}.",
                args.target,
                plan.len()
            ),
            &plan,
            &ctx,
        );
        if args.dry_run {
            let _ = write!(out, "\nDry run: the preflight passed; nothing was run.\n");
            return Ok(EXIT_OK);
        }
        let mut prompt_out = Stdout;
        let mut prompt = TerminalPrompt {
            out: &mut prompt_out,
            watch: ctx.children.watch.clone(),
        };
        let report = rollout::rollback::run(
            rollout::rollback::Rollback {
                ctx: &ctx,
                plan: &plan,
                log,
                run,
                sha: &sha,
                yes: args.yes,
                reason: args.reason.as_deref(),
                actor: session.actor(),
            },
            &mut out,
            &mut prompt,
        )?;
        session.share(&report, None);
        Ok(summary::print(
            &mut out,
            &report,
            &args.config.config,
            &config.programs.ttmscalr,
        ))
    })();
    super::record::end_run(session, result)
}

/// GitHub's head of the deploy repo's base branch (what `check` calls the
/// production SHA), or why it could not be read.
fn github_production(config: &Config, target: &TargetConfig) -> Result<String, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let transport = sources::http::Transport::new(sources::http::Policy::of(config))
            .map_err(|e| e.to_string())?;
        let gh = sources::github_client(config, &transport, &sources::http::process_env)?;
        gh.branch_head(&target.deploy_repo, &target.base_branch)
            .await
            .map_err(|e| e.to_string())
    })
}

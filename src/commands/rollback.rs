//! `gatekeeper rollback TARGET [--to SHA]`: put production back on a SHA it ran
//! before (the one the last deploy recorded, or `--to`). A SHA production never ran
//! is a deploy, and refused. The run itself is [`crate::rollout::rollback`],
//! recorded like a deploy under the same lock, after the same production-SHA
//! preflight (also with `--dry-run`); this command picks and validates the SHA,
//! shows the plan and prints the report. It never runs without a person's yes or
//! `--yes`, never without smoke URLs to verify with, and never leaves the lock or
//! an unrecorded end behind: an error after the lock is recorded as `aborted`.

use std::io::Write;

use crate::audit::{AuditLog, Event, Record, Run, RunOutcome};
use crate::cli::RollbackArgs;
use crate::config::{Config, TargetConfig};
use crate::rollout::{self, RunKind, Session, deployments};
use crate::runbook::git::is_sha;
use crate::runbook::{self, RunbookError, integrity};
use crate::sources;
use crate::sources::deployments::Deployment;

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
    let shared =
        deployments::connect_or_warn(&config, target, !args.dry_run, &mut std::io::stderr());
    // The lock before the history is read, so no other run changes it meanwhile.
    let session = Session::start(RunKind::Rollback, &mut ctx, log, shared, args.dry_run)?;
    let (log, run, shared) = (session.log(), session.id(), session.shared());
    // From here every exit leaves a record when the lock was taken (the run's
    // own, or `aborted` saying why), and the lock is released when `lock` drops.
    let result = (|| -> Result<Outcome, CommandError> {
        // Only what production ran before, by the deploy history: the local log and
        // the successful deployments on GitHub that gatekeeper wrote under this
        // token's login, merged by time; each SHA validated.
        let local = log.read()?;
        // GitHub's deployments and production SHA are only read: a signal gives up
        // on them at once.
        let watch = ctx.children.watch.clone();
        let read = {
            let (config, target, name) = (config.clone(), target.clone(), args.target.clone());
            let list = shared.is_some();
            move || {
                let listed = list.then(|| {
                    deployments::Shared::connect(
                        &config,
                        &target,
                        &sources::http::process_env,
                        false,
                    )
                    .and_then(|s| s.list(&name))
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
        let (sha, origin) = choose_sha(&args, log, shared, local, listed)?;
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

        let plan = runbook::rollback_plan(&sha, &ctx)?;
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

/// The SHA to roll back to and where it comes from. Only what production ran
/// before, by the deploy history: the local log (`local`) and the successful
/// deployments on GitHub (`listed`) that gatekeeper wrote under the token's login,
/// merged by time; with no history readable anywhere, only a person can say what
/// production ran: `--to` with `--reason`.
fn choose_sha(
    args: &RollbackArgs,
    log: &AuditLog,
    shared: Option<&deployments::Shared>,
    local: Vec<Record>,
    listed: Option<Result<Vec<Deployment>, String>>,
) -> Result<(String, String), CommandError> {
    if let Some(Err(e)) = &listed {
        eprintln!(
            "warning: cannot read the deployments of {} on GitHub: {e}; the local audit log {} decides what production ran before",
            args.target,
            log.path().display()
        );
    }
    let listed_ok = matches!(listed, Some(Ok(_)));
    let listed = listed.and_then(Result::ok).unwrap_or_default();
    let login = shared.and_then(|s| s.actor.github.as_deref());
    let trusted = deployments::trusted(&listed, login);
    if listed_ok && login.is_none() {
        eprintln!(
            "warning: the token's GitHub login is unknown, so no deployment of {} on GitHub can be told from another tool's: only the local audit log {} decides what production ran before",
            args.target,
            log.path().display()
        );
    } else if listed.len() > trusted.len() {
        eprintln!(
            "note: {} of the deployments of {} on GitHub were not written by gatekeeper under the token's login {}: they do not count as what production ran before (`gatekeeper history` shows them)",
            listed.len() - trusted.len(),
            args.target,
            login.unwrap_or("?")
        );
    }
    let mut sourced: Vec<(Record, &str)> = deployments::as_records(&trusted, &args.target)
        .into_iter()
        .map(|r| (r, "GitHub's deployments"))
        .collect();
    sourced.extend(local.into_iter().map(|r| (r, "the local audit log")));
    // Stable: of a run in both, the local record (later in the list) stays last.
    sourced.sort_by_key(|(r, _)| r.time);
    let records: Vec<Record> = sourced.iter().map(|(r, _)| r.clone()).collect();
    let requested = args.to.clone();
    let origin = match &args.to {
        Some(_) => "given with --to".to_owned(),
        None => undone_run(&sourced, &args.target),
    };
    // With no history readable anywhere (GitHub unreadable, nothing in the local
    // log), only a person can say what production ran: --to with --reason, recorded.
    let github_read = shared.is_some() && listed_ok;
    let blind = !github_read && integrity::production_history(&records, &args.target).is_empty();
    let chosen = match (&args.to, &args.reason) {
        (Some(to), Some(why)) if blind && !why.trim().is_empty() => {
            if !integrity::is_full_sha(to) {
                return Err(CommandError::Usage(format!(
                    "--to {to:?}: with no deploy history to resolve it against, give the full 40-digit SHA"
                )));
            }
            Ok(Some(to.clone()))
        }
        (Some(to), _) if blind => {
            return Err(CommandError::Usage(format!(
                "{to} is not a SHA production ran before as far as anything can tell (no deploy history of {} can be read: not GitHub's deployments, nothing in the local audit log {}): that is a deploy: run `gatekeeper deploy`. If you know production ran it, say why with --reason; the reason is recorded",
                args.target,
                log.path().display()
            )));
        }
        _ => integrity::rollback_sha(requested.as_deref(), &records, &args.target, log.path()),
    };
    let chosen = match chosen {
        Err(integrity::IntegrityError::NotFromHistory { sha, known, .. }) => {
            return Err(CommandError::Usage(format!(
                "{sha} is not a SHA production ran before (the local audit log {} and the deployments gatekeeper wrote on GitHub record {known}): that is a deploy: run `gatekeeper deploy`",
                log.path().display()
            )));
        }
        other => other,
    };
    let sha = chosen
        .map_err(RunbookError::from)?
        .ok_or_else(|| {
            CommandError::Usage(format!(
                "no deploy of {} is recorded in {} or on GitHub, so there is no SHA production ran before to roll back to; to ship something new, run `gatekeeper deploy`; to put back a SHA you know production ran, give it with --to and say why with --reason",
                args.target,
                log.path().display()
            ))
        })?;
    Ok((sha, origin))
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

/// Where the default rollback target comes from: the newest deploy that moved
/// production (ended ok, or pushed before it failed), across both sources merged by
/// time; its run, time, who, and which source says so.
fn undone_run(sourced: &[(Record, &str)], target: &str) -> String {
    let newest = sourced.iter().rev().find_map(|(r, source)| match &r.event {
        Event::Deploy(run)
            if r.target == target
                && r.command == "deploy"
                && run.before_sha.is_some()
                && run.moved_production() =>
        {
            Some((r, run, source))
        }
        _ => None,
    });
    match newest {
        Some((r, run, source)) => format!(
            "what production ran before the deploy run {} of {} by {} (from {source})",
            r.run.as_deref().unwrap_or("?"),
            r.time.format("%Y-%m-%d %H:%M:%SZ"),
            run.actor
                .as_ref()
                .map_or_else(|| r.user.clone(), |a| a.name_or(&r.user))
        ),
        None => "no deploy to undo is recorded".to_owned(),
    }
}

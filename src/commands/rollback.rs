//! `gatekeeper rollback TARGET [--to SHA]`: put production back on a SHA it ran
//! before (the one the last deploy recorded, or `--to`), recorded in the audit log
//! like a deploy. A SHA production never ran is a deploy, and refused. It takes the
//! same lock as deploy, runs the same production-SHA preflight (also with
//! `--dry-run`), and never runs without a person's yes or `--yes`.

use std::time::Duration;

use chrono::Utc;

use crate::audit::{Kind, Record};
use crate::cli::RollbackArgs;
use crate::config::{Config, TargetConfig};
use crate::runbook::git::{Git, is_sha};
use crate::runbook::{self, Context, RunbookError, integrity};
use crate::sources;

use super::deploy::{short, take_lock};
use super::record::{Progress, ask, audit_log, print_plan, require_confirmable, run_id};
use super::{CommandError, EXIT_FAIL, EXIT_OK, narrate};

pub fn run(args: RollbackArgs) -> Result<u8, CommandError> {
    let config = Config::load(&args.config.config)?;
    let target = config.target(&args.target)?;
    require_confirmable("rollback", args.yes, args.dry_run)?;
    let log = audit_log(&config);
    if let Some(other) = args.to.as_deref().filter(|to| !is_sha(to)) {
        return Err(CommandError::Usage(format!(
            "--to {other:?} is not a commit SHA (7 to 40 hex digits)"
        )));
    }
    let mut ctx = Context::new(
        &args.target,
        target,
        &config.programs,
        config.dir(),
        Duration::from_secs(config.timeout_seconds),
    )?;
    let _lock = if args.dry_run {
        None
    } else {
        Some(take_lock(
            &ctx,
            &target.deploy_remote,
            &args.target,
            "rollback",
        )?)
    };
    // Only what production ran before, by the deploy history; each SHA validated.
    let sha = integrity::rollback_sha(args.to.as_deref(), &log.read()?, &args.target, log.path())
        .map_err(RunbookError::from)?
        .ok_or_else(|| {
            CommandError::Usage(format!(
                "no deploy of {} is recorded in {}, so there is no SHA production ran before to roll back to (`rollback --to SHA` accepts only SHAs from that history); to ship something new, run `gatekeeper deploy`",
                args.target,
                log.path().display()
            ))
        })?;
    integrity::require_in_clone(&ctx, &sha).map_err(RunbookError::from)?;

    let run = run_id();
    let mut record = Record::new(Kind::Rollback, "rollback", &args.target);
    record.run = Some(run.clone());
    let github = github_production(&config, target);
    match integrity::production_agrees(&ctx, github.as_deref().map_err(String::as_str)) {
        Ok(production) => ctx.production = Some(production),
        Err(e) => {
            narrate(&format!(
                "\n✘ Preflight failed: {e}\nNothing was changed.\n"
            ));
            if !args.dry_run {
                record.outcome = Some("aborted".to_owned());
                record.message = Some(e.to_string());
                log.append(&record)?;
            }
            return Ok(EXIT_FAIL);
        }
    }

    let plan = runbook::rollback_plan(&sha, &ctx);
    print_plan(
        &format!(
            "Rollback of {} to {sha} ({} steps):",
            args.target,
            plan.len()
        ),
        &plan,
        &ctx,
    );
    if args.dry_run {
        narrate("\nDry run: the preflight passed; nothing was run.\n");
        return Ok(EXIT_OK);
    }
    if !args.yes && !ask(&format!("\nRoll {} back to {sha} now?", args.target)) {
        narrate("Not confirmed: nothing was changed.\n");
        record.outcome = Some("aborted".to_owned());
        record.message = Some("not confirmed".to_owned());
        log.append(&record)?;
        return Ok(EXIT_FAIL);
    }
    // A record that the rollback starts, before anything is pushed.
    record.outcome = Some("started".to_owned());
    record.message = Some(format!("restoring {sha}"));
    log.append(&record)?;

    narrate("\n");
    let mut progress = Progress {
        log: &log,
        command: "rollback",
        target: &args.target,
        run,
    };
    let report = runbook::run(&plan, &ctx, &mut progress);
    record.time = Utc::now();
    record.before_sha = report.production_before.clone();
    record.after_sha = Git::new(&ctx.programs.git, &ctx.app_dir())
        .remote_head(&target.deploy_remote, &target.base_branch)
        .ok()
        .flatten();
    record.outcome = Some(if report.ok() { "ok" } else { "failed" }.to_owned());
    record.message = Some(format!("restored {}", short(Some(&sha))));
    if let Some((step, message)) = &report.failed {
        record.step = Some(step.clone());
        record.message = message.lines().next().map(str::to_owned);
    }
    log.append(&record)?;
    match &report.failed {
        None => {
            narrate(&format!(
                "\n✔ Rolled {} back: {} → {}.\n",
                args.target,
                short(record.before_sha.as_deref()),
                short(record.after_sha.as_deref())
            ));
            Ok(EXIT_OK)
        }
        Some((step, _)) => {
            narrate(&format!(
                "\n✘ Rollback of {} FAILED at step \"{step}\"; {} is on {}. Fix the cause and run the same rollback again.\n",
                args.target,
                target.deploy_remote,
                short(record.after_sha.as_deref())
            ));
            Ok(EXIT_FAIL)
        }
    }
}

/// GitHub's head of the deploy repo's base branch (what `check` calls the
/// production SHA), or why it could not be read.
fn github_production(config: &Config, target: &TargetConfig) -> Result<String, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let policy = sources::http::Policy::new(config.timeout_seconds);
    runtime.block_on(async {
        let gh = sources::github_client(config, &policy, &sources::http::process_env)?;
        gh.branch_head(&target.deploy_repo, &target.base_branch)
            .await
            .map_err(|e| e.to_string())
    })
}

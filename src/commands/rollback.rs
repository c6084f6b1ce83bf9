//! `gatekeeper rollback TARGET [--to SHA]`: put production back on the SHA the last
//! deploy recorded (or `--to`), recorded in the audit log like a deploy. It takes
//! the same lock as deploy and never runs without a person's yes or `--yes`.

use std::time::Duration;

use chrono::Utc;

use crate::audit::{Kind, Record};
use crate::cli::RollbackArgs;
use crate::config::Config;
use crate::runbook::git::{Git, is_sha};
use crate::runbook::{self, Context};

use super::deploy::{short, take_lock};
use super::record::{Progress, ask, audit_log, print_plan, require_confirmable, run_id};
use super::{CommandError, EXIT_FAIL, EXIT_OK, narrate};

pub fn run(args: RollbackArgs) -> Result<u8, CommandError> {
    let config = Config::load(&args.config.config)?;
    let target = config.target(&args.target)?;
    require_confirmable("rollback", args.yes, args.dry_run)?;
    let log = audit_log(&config);
    let sha = match &args.to {
        Some(sha) if is_sha(sha) => sha.clone(),
        Some(other) => {
            return Err(CommandError::Usage(format!(
                "--to {other:?} is not a commit SHA (7 to 40 hex digits)"
            )));
        }
        None => log
            .last_deploy_before(&args.target)?
            .and_then(|r| r.before_sha)
            .ok_or_else(|| {
                CommandError::Usage(format!(
                    "no deploy of {} is recorded in {}: pass --to SHA",
                    args.target,
                    log.path().display()
                ))
            })?,
    };
    let ctx = Context::new(
        &args.target,
        target,
        &config.programs,
        config.dir(),
        Duration::from_secs(config.timeout_seconds),
    )?;
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
        narrate("\nDry run: nothing was run.\n");
        return Ok(EXIT_OK);
    }
    let _lock = take_lock(&ctx, &target.deploy_remote, &args.target, "rollback")?;
    let run = run_id();
    let mut record = Record::new(Kind::Rollback, "rollback", &args.target);
    record.run = Some(run.clone());
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

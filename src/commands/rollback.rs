//! `gatekeeper rollback TARGET [--to SHA]`: put production back on the SHA the last
//! deploy recorded (or `--to`). The run itself is [`crate::rollout::rollback`],
//! recorded like a deploy under the same lock; this command picks the SHA, shows
//! the plan and prints the report. It never runs without a person's yes or `--yes`.

use std::io::Write;
use std::time::Duration;

use crate::cli::RollbackArgs;
use crate::config::Config;
use crate::rollout::{self, RunKind};
use crate::runbook::git::is_sha;
use crate::runbook::signals::{Interrupts, Watch};
use crate::runbook::{self, Context};

use super::record::{TerminalPrompt, audit_log, print_plan, require_confirmable};
use super::{CommandError, EXIT_OK, Outcome, Stdout, summary};

pub fn run(args: RollbackArgs) -> Result<Outcome, CommandError> {
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
        None => log.last_deploy_before(&args.target)?.ok_or_else(|| {
            CommandError::Usage(format!(
                "no deploy of {} is recorded in {}: pass --to SHA",
                args.target,
                log.path().display()
            ))
        })?,
    };
    let mut ctx = Context::new(
        &args.target,
        target,
        &config.programs,
        config.dir(),
        Duration::from_secs(config.timeout_seconds),
        rollout::children(&config, Watch::never()),
    )?;
    let plan = runbook::rollback_plan(&sha, &ctx);
    let mut out = Stdout;
    print_plan(
        &mut out,
        &format!(
            "Rollback of {} to {sha} ({} steps):",
            args.target,
            plan.len()
        ),
        &plan,
        &ctx,
    );
    if args.dry_run {
        let _ = write!(out, "\nDry run: nothing was run.\n");
        return Ok(EXIT_OK);
    }
    log.ensure()?;
    let run = rollout::run_id();
    let _lock = rollout::lock(&ctx, &log, RunKind::Rollback, &run)?;
    let interrupts = Interrupts::catch().map_err(|e| {
        CommandError::Usage(format!("cannot catch SIGINT, SIGTERM and SIGHUP: {e}"))
    })?;
    ctx.children.watch = interrupts.watch();
    let mut prompt_out = Stdout;
    let mut prompt = TerminalPrompt {
        out: &mut prompt_out,
        watch: ctx.children.watch.clone(),
    };
    let report = rollout::rollback::run(
        rollout::rollback::Rollback {
            ctx: &ctx,
            plan: &plan,
            log: &log,
            run: &run,
            sha: &sha,
            yes: args.yes,
        },
        &mut out,
        &mut prompt,
    )?;
    Ok(summary::print(
        &mut out,
        &report,
        &args.config.config,
        &config.programs.ttmscalr,
    ))
}

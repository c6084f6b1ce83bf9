//! `gatekeeper deploy TARGET`: decide on live facts, and only on an allow run the
//! runbook — after a read-only preflight and a person's confirmation (or `--yes`).
//! It never decides on recorded facts or a pretend clock, and never touches a repo
//! on a deny.

use std::time::Duration;

use chrono::{SubsecRound, Utc};

use crate::audit::{Kind, Record};
use crate::cli::{DeployArgs, Format, PlanArgs};
use crate::config::Config;

use crate::policy::PolicySet;
use crate::render;
use crate::runbook::git::Git;
use crate::runbook::lock::{self, Holder, Lock, LockError};
use crate::runbook::{self, Context, steps};

use super::record::{
    Progress, append_or_warn, ask, audit_log, check_record, print_plan, require_confirmable,
    rollback_command, run_id,
};
use super::{
    CommandError, EXIT_FAIL, EXIT_OK, collect_live, gather, narrate, narrate_on_stderr,
    override_requests, print, stdout_style,
};

pub fn run(args: DeployArgs) -> Result<u8, CommandError> {
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
    let mut ctx = Context::new(
        &args.target,
        target,
        &config.programs,
        config.dir(),
        Duration::from_secs(config.timeout_seconds),
    )?;
    let plan_configs = steps::target_steps(target);
    // Placeholders are checked before anything is collected or locked.
    runbook::plan(&plan_configs, &ctx)?;
    let log = audit_log(&config);
    // Policies and overrides before the lock and the sources: a mistake stops here.
    let dir = Config::policy_dir(Some(&config), args.config.policies.as_deref());
    let mut policies = PolicySet::load(&dir, false)?;
    let overrides = override_requests(&mut policies, &args.overrides, args.reason.as_deref())?;

    let _lock = if args.dry_run {
        None
    } else {
        Some(take_lock(
            &ctx,
            &target.deploy_remote,
            &args.target,
            "deploy",
        )?)
    };

    let plan_args = PlanArgs {
        at: None,
        downtime: args.downtime,
        start: None,
        minutes: args.minutes,
    };
    // Recorded facts only reach here with --dry-run: they preview, never deploy.
    let mut facts = match &args.facts {
        Some(file) => gather(
            Some(&config),
            &args.target,
            &plan_args,
            Some(file),
            args.config.verbose,
        )?,
        None => collect_live(
            &config,
            &args.target,
            Utc::now().trunc_subsecs(0),
            &plan_args,
            args.config.verbose,
        )?,
    };
    facts.overrides = overrides;
    let decision = policies.evaluate(&facts)?.decision;
    if args.format != Format::Table {
        narrate_on_stderr(true);
    }
    print(&render::render(&decision, args.format, stdout_style())?);

    let check = check_record(
        "deploy",
        &facts,
        policies.files(),
        &decision,
        args.facts.is_none(),
    );
    let run = run_id();
    let mut record = Record {
        kind: Kind::Deploy,
        run: Some(run.clone()),
        ..check.clone()
    };
    if args.dry_run {
        append_or_warn(&log, &check);
    } else {
        // Without its record a deploy cannot be rolled back: the log must work.
        log.append(&check)?;
    }
    if !decision.allow {
        if !args.dry_run {
            record.outcome = Some("denied".to_owned());
            log.append(&record)?;
        }
        narrate(&format!(
            "\nDeploy of {} denied: nothing was changed.\n",
            args.target
        ));
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
    record.release_shas = ctx
        .repos
        .iter()
        .map(|r| format!("{}@{}", r.name, r.release_sha.as_deref().unwrap_or("?")))
        .collect();
    let plan = runbook::plan(&plan_configs, &ctx)?;
    print_plan(
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
            Some(file) => narrate(&format!(
                "\nDry run on the recorded facts {}: nothing was run.\n",
                file.display()
            )),
            None => {
                // On live facts the read-only preflight runs too: the dry run meets
                // what the real run would.
                if let Err(e) = runbook::preflight(&ctx) {
                    narrate(&format!(
                        "\n✘ Preflight failed: {e}\nDry run: nothing was run.\n"
                    ));
                    return Ok(EXIT_FAIL);
                }
                narrate("\nPreflight passed.\nDry run: nothing was run.\n");
            }
        }
        return Ok(EXIT_OK);
    }

    if let Err(e) = runbook::preflight(&ctx) {
        narrate(&format!(
            "\n✘ Preflight failed: {e}\nNothing was changed.\n"
        ));
        record.outcome = Some("aborted".to_owned());
        record.message = Some(e.to_string());
        log.append(&record)?;
        return Ok(EXIT_FAIL);
    }
    if !args.yes && !ask(&format!("\nDeploy {} now?", args.target)) {
        narrate("Not confirmed: nothing was changed.\n");
        record.outcome = Some("aborted".to_owned());
        record.message = Some("not confirmed".to_owned());
        log.append(&record)?;
        return Ok(EXIT_FAIL);
    }

    narrate("\n");
    let mut progress = Progress {
        log: &log,
        command: "deploy",
        target: &args.target,
        run,
    };
    let report = runbook::run(&plan, &ctx, &mut progress);
    record.time = Utc::now();
    record.before_sha = report.production_before.clone();
    if report.production_before.is_some() {
        record.after_sha = Git::new(&ctx.programs.git, &ctx.app_dir())
            .remote_head(&target.deploy_remote, &target.base_branch)
            .ok()
            .flatten();
    }
    record.outcome = Some(if report.ok() { "ok" } else { "failed" }.to_owned());
    if let Some((step, message)) = &report.failed {
        record.step = Some(step.clone());
        record.message = message.lines().next().map(str::to_owned);
    }
    log.append(&record)?;

    let Some((step, _)) = &report.failed else {
        narrate(&format!(
            "\n✔ Deployed {} to {}: {} → {}.\n",
            args.target,
            target.deploy_remote,
            short(record.before_sha.as_deref()),
            short(record.after_sha.as_deref()),
        ));
        return Ok(EXIT_OK);
    };
    let mut text = format!("\n✘ Deploy of {} FAILED at step \"{step}\".", args.target);
    let not_run: Vec<&str> = plan
        .iter()
        .skip(report.results.len())
        .filter(|s| s.skip.is_none())
        .map(|s| s.name.as_str())
        .collect();
    if !not_run.is_empty() {
        text.push_str(&format!(" Not run: {}.", not_run.join(", ")));
    }
    text.push('\n');
    if report.maintenance_on {
        text.push_str(&format!(
            "\n!!! MAINTENANCE IS STILL ON for {0}: users see the maintenance page.\n!!! Turn it off when production is sound: {1} maintenance off -f {0}\n",
            args.target, config.programs.ttmscalr
        ));
    }
    match &report.production_before {
        Some(sha) => text.push_str(&format!(
            "\nTo put production back on {sha}:\n    {}\n",
            rollback_command(&args.config.config, &args.target, sha)
        )),
        None => text.push_str(&format!(
            "\nThe production SHA was not recorded yet, so {} was not pushed: there is nothing to roll back.\n",
            target.deploy_remote
        )),
    }
    narrate(&text);
    Ok(EXIT_FAIL)
}

pub(crate) fn holder(command: &str, run_id: &str) -> Holder {
    Holder {
        pid: std::process::id(),
        user: crate::audit::user(),
        host: crate::audit::host(),
        command: command.to_owned(),
        started_at: Utc::now(),
        run_id: run_id.to_owned(),
    }
}

/// Takes the target's lock on the deploy remote, through the app's clone.
pub(crate) fn take_lock(
    ctx: &Context,
    remote: &str,
    target: &str,
    command: &str,
) -> Result<Lock, LockError> {
    let place = lock::place(&ctx.programs.git, &ctx.app_dir(), remote, target);
    Lock::acquire(&place, &holder(command, &run_id()), lock::longest_run())
}

pub(crate) fn short(sha: Option<&str>) -> String {
    sha.map_or_else(|| "?".to_owned(), |s| s.chars().take(10).collect())
}

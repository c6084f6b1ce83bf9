//! The rollback run: production's SHA checked against GitHub's (or, with GitHub
//! down and a `--reason`, the deploy remote's word alone), the plan shown, and the
//! run after a person's yes.

use std::io::Write;

use crate::cli::RollbackArgs;
use crate::config::Config;
use crate::rollout::{self, RunKind, Session};
use crate::runbook::{self, Context, integrity};

use super::super::record::{TerminalPrompt, print_plan};
use super::super::{CommandError, EXIT_FAIL, EXIT_OK, Outcome, Stdout, summary};
use super::read::Standing;

pub(super) fn run(
    args: &RollbackArgs,
    config: &Config,
    ctx: &mut Context,
    session: &Session,
    production: &Standing,
    sha: &str,
    origin: &str,
) -> Result<Outcome, CommandError> {
    let mut out = Stdout;
    if let Some(refused) = preflight(args, ctx, session, production, &mut out)? {
        return Ok(refused);
    }
    let ctx = &*ctx;
    let plan = runbook::Plan::rollback(sha, ctx)?;
    // Every program the steps start can be started, before anything changes.
    runbook::preflight::require_programs(&plan, ctx)?;
    let title = format!(
        "Rollback of {} to {sha} ({} steps):\nTarget: {origin}.",
        args.target,
        plan.len()
    );
    print_plan(&mut out, &title, &plan, ctx);
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
            ctx,
            plan: &plan,
            log: session.log(),
            run: session.id(),
            sha,
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
}

/// Production's SHA as the deploy remote and GitHub agree on it, set on `ctx`;
/// else the refusal printed (and, for a real run, recorded as aborted) and exit 1.
fn preflight(
    args: &RollbackArgs,
    ctx: &mut Context,
    session: &Session,
    production: &Standing,
    out: &mut dyn Write,
) -> Result<Option<Outcome>, CommandError> {
    let github = &production.github;
    let agreed = match (github, &args.reason) {
        // GitHub down in an emergency: a person may roll back on the deploy
        // remote's word alone, saying why (recorded with the rollback).
        (Err(why), Some(reason)) if !reason.trim().is_empty() => {
            eprintln!(
                "warning: GitHub's {} cannot confirm the production SHA ({why}); rolling back on the deploy remote's word alone, as --reason says",
                ctx.config.deploy_repo
            );
            integrity::remote_production(ctx)
        }
        _ => integrity::production_agrees(ctx, github.as_deref().map_err(String::as_str)),
    };
    // The target was picked and vouched for against the head read after the lock:
    // the run goes on only over that same head (a push from outside gatekeeper in
    // between is not overwritten by a target nobody checked against it).
    let picked_over = &production.current;
    let agreed = agreed.map_err(|e| e.to_string()).and_then(|now| {
        if &now == picked_over {
            Ok(now)
        } else {
            Err(format!(
                "production moved from {picked_over} to {now} while the rollback target was picked; run rollback again"
            ))
        }
    });
    let e = match agreed {
        Ok(production) => {
            ctx.production = Some(production);
            return Ok(None);
        }
        Err(e) => e,
    };
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
        let record = rollout::abandoned(
            RunKind::Rollback,
            &args.target,
            session.id(),
            session.actor(),
            &format!("preflight failed: {e}"),
        );
        session.log().append(&record)?;
    }
    Ok(Some(EXIT_FAIL))
}

//! The SHA a rollback goes back to, and why it is trusted: given with `--to` (on
//! production's first-parent history, or a head the local audit log recorded), or
//! the before-SHA of the run that put production where it is, named by the local
//! audit log or by the deployments gatekeeper created on GitHub.

use crate::cli::RollbackArgs;
use crate::render;
use crate::rollout::{Session, shared, target};
use crate::runbook::{Context, RunbookError, integrity};

use super::super::CommandError;
use super::read::Standing;

/// `(sha, why it is the target)`, the SHA in the app's clone.
pub(super) fn pick(
    args: &RollbackArgs,
    ctx: &Context,
    session: &Session,
    production: &Standing,
) -> Result<(String, String), CommandError> {
    let (sha, origin) = match &args.to {
        Some(to) => given(args, to, ctx, session, production)?,
        None => undo_last(args, ctx, session, production)?,
    };
    integrity::require_in_clone(ctx, &sha).map_err(RunbookError::from)?;
    Ok((sha, origin))
}

fn refuse(e: target::TargetError) -> CommandError {
    match e {
        target::TargetError::Integrity(e) => CommandError::from(RunbookError::from(e)),
        other => CommandError::Refused(other.to_string()),
    }
}

/// `--to`: vouched for by production's history or a recorded head; with neither
/// record on this machine, only with a person's `--reason`.
fn given(
    args: &RollbackArgs,
    to: &str,
    ctx: &Context,
    session: &Session,
    production: &Standing,
) -> Result<(String, String), CommandError> {
    let Standing {
        current, recorded, ..
    } = production;
    let log = session.log();
    let sha = integrity::resolve_commit(ctx, to).map_err(RunbookError::from)?;
    let how = target::vouch(ctx, &sha, current, recorded, log.path(), "").map_err(refuse)?;
    // Nothing this machine read from production knows the target: a person's word,
    // recorded with the reason.
    if recorded.is_empty() && args.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(CommandError::Refused(format!(
            "{to} is on the first-parent history of production ({} {}, now {current}), but the local audit log {} records no SHA production ran, so only your word says it ran {to}: say why with --reason (recorded)",
            ctx.config.deploy_remote,
            ctx.config.base_branch,
            log.path().display()
        )));
    }
    let why = match how {
        target::Vouched::FirstParent => "on the first-parent history of production",
        target::Vouched::Recorded => "production's head in a run of the local audit log",
    };
    Ok((sha, format!("given with --to ({why})")))
}

/// The run that put production on its current head, undone: its before-SHA.
fn undo_last(
    args: &RollbackArgs,
    ctx: &Context,
    session: &Session,
    production: &Standing,
) -> Result<(String, String), CommandError> {
    let Standing {
        local,
        current,
        recorded,
        listed,
        ..
    } = production;
    let log = session.log();
    let listed = match listed {
        Some(Ok(listed)) => listed.as_slice(),
        Some(Err(e)) => {
            eprintln!(
                "warning: cannot read the deployments of {} on GitHub: {e}; the local audit log {} decides which run put production on {current}",
                args.target,
                log.path().display()
            );
            &[]
        }
        None => &[],
    };
    let login = session.shared().and_then(|s| s.actor.github.as_deref());
    let trusted = shared::trusted(listed, login);
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
        target::from_log(local, &args.target, current),
        target::from_deployments(&trusted, login, current),
    )
    .ok_or_else(|| {
        CommandError::Refused(format!(
            "no deploy of {} is recorded that put production ({} {}) on {current}: neither the local audit log {} nor the deployments gatekeeper created on GitHub name one, so nothing says what it ran before; give the SHA with --to (it must be on the first-parent history of {current}) and say why with --reason",
            args.target,
            ctx.config.deploy_remote,
            ctx.config.base_branch,
            log.path().display()
        ))
    })?;
    target::vouch(
        ctx,
        &undone.before,
        current,
        recorded,
        log.path(),
        &undone.claim(),
    )
    .map_err(refuse)?;
    Ok((undone.before.clone(), undone.describe()))
}

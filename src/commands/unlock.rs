//! `gatekeeper unlock TARGET --reason …`: removes a deploy lock that a dead run left
//! on the deploy remote, after a person has judged that no run holds it. Recorded in
//! the audit log with who removed whose lock and why.

use crate::audit::{Event, Record, Run, RunOutcome};
use crate::cli::UnlockArgs;
use crate::config::Config;
use crate::runbook::lock::{self, LockError, describe_age};

use super::record::audit_log;
use super::{CommandError, EXIT_OK, print};

pub fn run(args: UnlockArgs) -> Result<super::Outcome, CommandError> {
    let reason = args.reason.trim();
    if reason.is_empty() {
        return Err(CommandError::Usage(
            "unlock needs a --reason that says why no run holds the lock".to_owned(),
        ));
    }
    let config = Config::load(&args.config.config)?;
    let target = config.target(&args.target)?;
    let ctx = super::runbook_context(&config, &args.target, target)?;
    // The lock is reached through the app's clone: one in `workdir` is made.
    crate::runbook::clones::ensure(&config, target, &ctx, false)?;
    let log = audit_log(&config);
    let place = lock::place(
        &ctx.programs.git,
        &ctx.app_dir(),
        &target.deploy_remote,
        &args.target,
        &ctx.children,
    );
    // The removal must be recordable before anything is removed.
    log.ensure()?;
    let removed = match lock::remove(&place) {
        Ok(removed) => removed,
        Err(LockError::NotLocked { .. }) => {
            print(&format!(
                "{} is not locked: nothing to remove.\n",
                args.target
            ));
            return Ok(EXIT_OK);
        }
        Err(e) => return Err(e.into()),
    };
    let whose = match &removed.holder {
        Some(h) => format!(
            "{h}, {} old",
            describe_age(chrono::Utc::now().signed_duration_since(h.started_at))
        ),
        None => format!("an unreadable lock ({})", removed.sha),
    };
    let mut unlock = Run::new(RunOutcome::Ok);
    unlock.message = Some(format!("removed the lock of {whose}: {reason}"));
    let mut record = Record::new("unlock", &args.target, Event::Unlock(unlock));
    record.run = removed.holder.as_ref().map(|h| h.run_id.clone());
    log.append(&record)?;
    print(&format!(
        "Removed the lock of {}: {whose}.\nRecorded in {} with your reason.\n",
        args.target,
        log.path().display()
    ));
    Ok(EXIT_OK)
}

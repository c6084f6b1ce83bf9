//! `gatekeeper unlock TARGET --reason … [--force]`: removes a deploy lock that a dead
//! run left on the deploy remote, after a person has judged that no run holds it.
//! The judgement and the record are [`crate::unlock`]'s.

use crate::cli::UnlockArgs;
use crate::unlock::{UnlockError, Unlocked, unlock};

use super::{CommandError, EXIT_OK, print};

pub fn run(args: UnlockArgs) -> Result<super::Outcome, CommandError> {
    let reason = args.reason.trim();
    if reason.is_empty() {
        return Err(CommandError::Usage(
            "unlock needs a --reason that says why no run holds the lock".to_owned(),
        ));
    }
    let config = super::load_config(&args.config.config)?;
    let target = config.target(&args.target)?;
    let ctx = super::runbook_context(&config, &args.target, target)?;
    match unlock(&config, &args.target, target, &ctx, reason, args.force)? {
        Unlocked::NotLocked => print(&format!(
            "{} is not locked: nothing to remove.\n",
            args.target
        )),
        Unlocked::Removed { whose, log } => print(&format!(
            "Removed the lock of {}: {whose}.\nRecorded in {} with your reason.\n",
            args.target,
            log.display()
        )),
    }
    Ok(EXIT_OK)
}

impl From<UnlockError> for CommandError {
    fn from(e: UnlockError) -> Self {
        match e {
            UnlockError::Stays { .. } => Self::Usage(e.to_string()),
            UnlockError::Runbook(e) => Self::Runbook(e),
            UnlockError::Lock(e) => Self::Lock(e),
            UnlockError::Audit(e) => Self::Audit(e),
        }
    }
}

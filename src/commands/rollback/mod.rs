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
//!
//! The stages, one file each: [`read`] (where production stands, after the lock),
//! [`pick`] (the SHA to go back to, and why it is trusted), [`execute`] (the
//! production-SHA preflight, the plan and the run).

mod execute;
mod pick;
mod read;

use crate::cli::RollbackArgs;
use crate::net::Network;
use crate::rollout::{RunKind, Session, shared};
use crate::runbook::git::is_sha;
use crate::runbook::{self};

use super::record::{audit_log, require_confirmable};
use super::{CommandError, Outcome};

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
    let verb = if args.dry_run {
        "would clone"
    } else {
        "cloned"
    };
    for made in &clones.cloned {
        eprintln!("{verb} {made}");
    }
    let request = super::chatops::read_request(args.chatops_request.as_deref())?;
    let network = Network::start(config.limits()).map_err(CommandError::Runtime)?;
    ctx.network = Some(network.clone());
    let mut shared = shared::connect_or_warn(
        &network,
        &config,
        target,
        !args.dry_run,
        &mut std::io::stderr(),
    );
    if let Some(s) = shared.as_mut() {
        s.actor =
            crate::chatops::stamp(Some(s.actor.clone()), request.as_ref()).unwrap_or_default();
    }
    // The lock before the history is read, so no other run changes it meanwhile.
    let mut session = Session::start(RunKind::Rollback, &mut ctx, log, shared, args.dry_run)?;
    session.restamp_actor(|actor| crate::chatops::stamp(actor, request.as_ref()));
    // From here every exit leaves a record when the lock was taken (the run's
    // own, or `aborted` saying why), and the lock is released when the session ends.
    let result = (|| -> Result<Outcome, CommandError> {
        let production = match read::production(&args, &config, &ctx, &session, &network)? {
            read::Read::Production(production) => production,
            read::Read::Interrupted(outcome) => return Ok(outcome),
        };
        // Confirmed in a comment: only the production its asker saw is rolled back.
        let held = crate::chatops::Held::Production(Some(&production.current));
        crate::chatops::hold_to_confirmed(request.as_ref(), held)
            .map_err(|why| CommandError::Refused(why.to_string()))?;
        let (sha, origin) = pick::pick(&args, &ctx, &session, &production)?;
        execute::run(
            &args,
            &config,
            &mut ctx,
            &session,
            &production,
            &sha,
            &origin,
        )
    })();
    super::record::end_run(session, result)
}

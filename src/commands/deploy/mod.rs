//! `gatekeeper deploy TARGET`: decide on live facts, and only on an allow hand the
//! run to [`crate::rollout::deploy`] — after a read-only preflight and a person's
//! confirmation (or `--yes`) — then print its report. It never decides on recorded
//! facts or a pretend clock, never touches a repo on a deny, and never leaves the
//! lock or an unrecorded end behind: an error after the lock is recorded as
//! `aborted`. Collection only reads, so a signal cancels it at once (the run
//! ends `aborted`, 130/143, lock released); after a person's yes the facts are
//! collected and judged again, and the run goes on only on the same allow.
//!
//! The stages, one file each: [`prepare`] (everything checked before the lock),
//! [`judge`] (collect, decide, sign, record, refuse), [`execute`] (the runbook,
//! the guard).

mod execute;
mod judge;
mod prepare;

use std::io::Write;

use crate::cli::{DeployArgs, Format};
use crate::gate;

use super::wait::Before;
use super::{CommandError, EXIT_FAIL, Outcome, Stdout};

pub fn run(args: DeployArgs) -> Result<Outcome, CommandError> {
    refuse_rehearsals(&args)?;
    let config = super::load_config(&args.config.config)?;
    let Some(mut ready) = prepare::prepare(&args, &config)? else {
        // The signed decision the target requires was refused: nothing changed.
        return Ok(EXIT_FAIL);
    };
    // `--wait`: decide until the allows hold, before anything is taken.
    let caught = match super::wait::before_lock(&args, &mut ready.gate)? {
        Before::Go(interrupts) => interrupts,
        Before::Stop(outcome) => return Ok(outcome),
    };
    let mut session = match prepare::lock(&args, &config, &mut ready, caught)? {
        Ok(session) => session,
        Err(signal) => return Ok(Outcome::Interrupted(signal)),
    };
    session.restamp_actor(|actor| crate::chatops::stamp(actor, ready.request.as_ref()));

    // From here every exit leaves a record when the lock was taken (the check and
    // the run's own, or `aborted` saying why), and the lock is released when the
    // session ends.
    let mut auto_rollback = None;
    let result =
        judge::decide(&args, &config, &mut ready, &session).and_then(|verdict| match verdict {
            judge::Decided::Stop(outcome) => Ok(outcome),
            judge::Decided::Go(allowed) => execute::run(
                &args,
                &config,
                &mut ready,
                &session,
                allowed,
                &mut auto_rollback,
            ),
        });
    // The guard's one automatic rollback runs under its own lock, after this
    // run's end has released the deploy's.
    if let Some(auto) = auto_rollback {
        let (log, run) = (session.log().clone(), session.id().to_owned());
        if let Err(e) = super::record::end_run(session, result) {
            eprintln!("gatekeeper: error: {e}");
        }
        return Ok(super::guard::roll_back(
            auto,
            &args.config,
            &args.target,
            &log,
            &run,
        ));
    }
    super::record::end_run(session, result)
}

/// Where the narration goes: stdout beside a table, stderr when stdout carries the
/// decision document (JSON and the other formats).
fn narration(format: Format) -> Box<dyn Write> {
    if format == Format::Table {
        Box::new(Stdout)
    } else {
        Box::new(std::io::stderr())
    }
}

/// A deploy is decided on live facts at the real clock; recorded facts and `--at`
/// rehearse, they never deploy.
fn refuse_rehearsals(args: &DeployArgs) -> Result<(), CommandError> {
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
    Ok(())
}

/// What the command line asks the gate: a window starting now, at the real clock.
pub(super) fn gate_request(args: &DeployArgs) -> gate::Case<'_> {
    gate::Case {
        target: &args.target,
        config: &args.config.config,
        policies: args.config.policies.as_deref(),
        facts_file: args.facts.as_deref(),
        planned: gate::Planned {
            minutes: args.minutes,
            downtime: args.downtime,
            ..gate::Planned::default()
        },
        overrides: &args.overrides,
        reason: args.reason.as_deref(),
        by: args.by.as_deref(),
        no_config: false,
        verbose: args.config.verbose,
    }
}

//! The waits of `deploy --wait` and `deploy --wait-for-lock`: deciding again until
//! the allows hold (paced by [`crate::wait`]), and waiting for another run's lock.
//! Both happen before anything is taken: a Ctrl-C while waiting ends the command
//! with nothing locked, changed or recorded as a run.

use std::time::Instant;

use crate::decision::Decision;
use crate::gate::Gate;
use crate::planner;
use crate::runbook::signals::{Interruption, Watch};
use crate::wait::{Next, Pacer, Pacing, line, show};

pub(crate) use crate::rollout::lock_wait::for_lock;

use super::CommandError;
use super::collect::{Collected, collect_or_interrupt};

/// How a wait for the gate ended.
pub(crate) enum Waited {
    /// The allows held: go on (the deploy decides once more under the lock).
    Go,
    /// The timeout passed: the last decision.
    TimedOut(Box<Decision>),
    Interrupted(Interruption),
}

/// Collects and decides through `gate` until the allows held for `pacing.steady`,
/// printing a short line per decision on stderr.
pub(crate) fn until_allowed(
    gate: &mut Gate,
    verbose: bool,
    pacing: Pacing,
    watch: &Watch,
) -> Result<Waited, CommandError> {
    let began = Instant::now();
    let mut pacer = Pacer::new(pacing);
    loop {
        let facts = match collect_or_interrupt(gate.collector(), verbose, watch) {
            Collected::Facts(facts) => (*facts)?,
            Collected::Interrupted(signal) => return Ok(interrupted(signal)),
        };
        let judgement = gate.decide_interim(facts)?;
        let decision = judgement.decision;
        let opens_in = if decision.allow {
            None
        } else {
            planner::opens_in(gate.policies_mut(), &judgement.facts, &decision)
        };
        let elapsed = began.elapsed();
        let next = pacer.next(elapsed, decision.allow, opens_in);
        eprintln!("{}", line(&decision, next, pacer.held(elapsed), pacing));
        match next {
            Next::Go => return Ok(Waited::Go),
            Next::GiveUp => return Ok(Waited::TimedOut(Box::new(decision))),
            Next::Sleep(d) => {
                if let Some(signal) = watch.sleep(d) {
                    return Ok(interrupted(signal));
                }
            }
        }
    }
}

fn interrupted(signal: Interruption) -> Waited {
    eprintln!(
        "gatekeeper: interrupted by {} while waiting: nothing was taken or changed",
        signal.name()
    );
    Waited::Interrupted(signal)
}

/// What `deploy` does after its wait for the gate.
pub(crate) enum Before {
    /// Go on to the lock; with `--wait` the signal handlers already caught.
    Go(Option<crate::runbook::signals::Interrupts>),
    /// End here: timed out (exit 1, the last decision printed) or interrupted.
    Stop(super::Outcome),
}

/// `deploy --wait`: decides until the allows held for `--steady`, before the lock.
/// Without `--wait`, goes on at once.
pub(crate) fn before_lock(
    args: &crate::cli::DeployArgs,
    gate: &mut Gate,
) -> Result<Before, CommandError> {
    if !args.wait {
        return Ok(Before::Go(None));
    }
    let interrupts = crate::runbook::signals::Interrupts::catch().map_err(CommandError::Signals)?;
    let pacing = Pacing {
        timeout: args.timeout,
        interval: args.interval,
        steady: args.steady,
    };
    match until_allowed(gate, args.config.verbose, pacing, &interrupts.watch())? {
        Waited::Go => Ok(Before::Go(Some(interrupts))),
        Waited::Interrupted(signal) => Ok(Before::Stop(super::Outcome::Interrupted(signal))),
        Waited::TimedOut(decision) => {
            super::print(&crate::render::render(
                &decision,
                args.format,
                super::stdout_style(),
            )?);
            eprintln!(
                "\nDeploy of {} still denied after waiting {}: nothing was changed.",
                args.target,
                show(args.timeout)
            );
            Ok(Before::Stop(super::EXIT_FAIL))
        }
    }
}

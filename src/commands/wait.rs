//! The waits of `deploy --wait` and `deploy --wait-for-lock`: deciding again until
//! the allows hold (paced by [`crate::wait`]), and waiting for another run's lock.
//! Both happen before anything is taken: a Ctrl-C while waiting ends the command
//! with nothing locked, changed or recorded as a run.

use std::time::{Duration, Instant};

use crate::decision::Decision;
use crate::facts::Facts;
use crate::gate::Gate;
use crate::planner::{self, Query};
use crate::policy::PolicySet;
use crate::runbook::lock;
use crate::runbook::signals::{Interruption, Watch};
use crate::wait::{Next, Pacer, Pacing, show};

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
            opens_in(gate.policies_mut(), &judgement.facts, &decision)
        };
        let elapsed = began.elapsed();
        let next = pacer.next(elapsed, decision.allow, opens_in);
        eprintln!("{}", line(&decision, next, pacer.held(elapsed), pacing));
        match next {
            Next::Go => return Ok(Waited::Go),
            Next::GiveUp => return Ok(Waited::TimedOut(Box::new(decision))),
            Next::Sleep(d) => {
                if let Some(signal) = sleep(d, watch) {
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

/// One decision's line: when, the verdict, what fails, and what happens next.
fn line(decision: &Decision, next: Next, held: Option<Duration>, pacing: Pacing) -> String {
    let at = &decision.evaluated_at;
    let verdict = if decision.allow {
        "allow".to_owned()
    } else {
        let failing: Vec<&str> = decision.failing().map(|c| c.id.as_str()).collect();
        format!("deny ({})", failing.join(", "))
    };
    let then = match next {
        Next::Go if pacing.steady.is_zero() => "going on".to_owned(),
        Next::Go => format!("allowed for {}: going on", show(pacing.steady)),
        Next::GiveUp => format!("gave up after {} (--timeout)", show(pacing.timeout)),
        Next::Sleep(d) => match held {
            Some(h) if decision.allow => format!(
                "allowed for {} of {} (--steady); deciding again in {}",
                show(h),
                show(pacing.steady),
                show(d)
            ),
            _ => format!("deciding again in {}", show(d)),
        },
    };
    format!("gatekeeper: {at} {} {verdict}; {then}", decision.target)
}

/// How far off the next allowed start is, when only time-dependent checks fail and
/// the window search finds one: the start `gatekeeper window` would print first.
fn opens_in(policies: &mut PolicySet, facts: &Facts, decision: &Decision) -> Option<Duration> {
    let timed = [planner::TEACHING, planner::NOTICE, planner::FREEZE];
    let mut failing = decision.failing().peekable();
    failing.peek()?;
    if !failing.all(|c| timed.contains(&c.id.as_str())) {
        return None;
    }
    let tz = crate::config::zone(&facts.timezone).ok()?;
    let settings = planner::read_settings(policies).ok()?;
    let query = Query {
        tz,
        minutes: facts.window.minutes,
        days: 14,
        settings,
    };
    let plan = planner::search(policies, facts, &query).ok()?;
    let spans = if plan.downtime {
        &plan.notice_allowed
    } else {
        &plan.outside_teaching
    };
    let next = spans
        .iter()
        .find(|s| s.last >= facts.now)?
        .first
        .max(facts.now);
    (next - facts.now).to_std().ok().filter(|d| !d.is_zero())
}

/// Sleeps `d`, or until a signal: the signal.
fn sleep(d: Duration, watch: &Watch) -> Option<Interruption> {
    let until = Instant::now() + d;
    loop {
        if let Some(signal) = watch.received() {
            return Some(signal);
        }
        let now = Instant::now();
        if now >= until {
            return None;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(100)));
    }
}

/// Waits up to `max` for a lock another run holds (its holder named once, and
/// again when it changes), looking every `interval`; the lock itself is taken by
/// the run. A signal ends the wait: the signal.
pub(crate) fn for_lock(
    ctx: &crate::runbook::Context,
    max: Duration,
    interval: Duration,
    watch: &Watch,
) -> Option<Interruption> {
    let place = lock::place(
        &ctx.programs.git,
        &ctx.app_dir(),
        &ctx.config.deploy_remote,
        &ctx.target,
        &ctx.children,
    );
    let began = Instant::now();
    let mut named: Option<String> = None;
    let mut timed_out = false;
    // A lock that cannot be read is left to the taking, which says why.
    while let Ok(Some(sha)) = place.current() {
        let holder = place.holder(&sha).map_or_else(
            |e| format!("a holder that cannot be read ({e})"),
            |h| h.to_string(),
        );
        if named.as_deref() != Some(holder.as_str()) {
            eprintln!(
                "gatekeeper: {} is locked by {holder}; waiting up to {} for it (--wait-for-lock)",
                ctx.target,
                show(max)
            );
            named = Some(holder);
        }
        let elapsed = began.elapsed();
        if elapsed >= max {
            eprintln!(
                "gatekeeper: still locked after {} (--wait-for-lock)",
                show(max)
            );
            timed_out = true;
            break;
        }
        if let Some(signal) = sleep(interval.min(max - elapsed), watch) {
            eprintln!(
                "gatekeeper: interrupted by {} while waiting for the lock: nothing was taken or changed",
                signal.name()
            );
            return Some(signal);
        }
    }
    if named.is_some() && !timed_out {
        eprintln!("gatekeeper: the lock of {} was released", ctx.target);
    }
    None
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
    let interrupts = crate::runbook::signals::Interrupts::catch().map_err(|e| {
        CommandError::Usage(format!("cannot catch SIGINT, SIGTERM and SIGHUP: {e}"))
    })?;
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

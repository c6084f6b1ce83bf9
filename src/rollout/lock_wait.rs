//! `deploy --wait-for-lock`: waiting for another run's lock before this run takes
//! it, the holder named once (and again when it changes). Nothing is taken while
//! waiting; a signal ends the wait.

use std::time::{Duration, Instant};

use crate::runbook::lock;
use crate::runbook::signals::{Interruption, Watch};
use crate::wait::show;

/// Waits up to `max` for a lock another run holds (its holder named once, and
/// again when it changes), looking every `interval`; the lock itself is taken by
/// the run. A signal ends the wait: the signal.
pub fn for_lock(
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
        if let Some(signal) = watch.sleep(interval.min(max - elapsed)) {
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

//! Live facts collected on a thread of their own, given up on at a signal: a
//! deploy's decisions (before and after a person's yes) and `deploy --wait`'s.

use crate::gate::Collector;
use crate::rollout;
use crate::runbook::signals::{Interruption, Watch};

use super::CommandError;

/// How a collection ended: its facts (or error), or a signal that cancelled it.
pub(super) enum Collected {
    Facts(Box<Result<crate::facts::Facts, CommandError>>),
    Interrupted(Interruption),
}

/// Collects live facts at the real clock, given up on as soon as `watch` sees a
/// signal (collection only reads).
pub(super) fn collect_or_interrupt(
    collector: &Collector,
    verbose: bool,
    watch: &Watch,
) -> Collected {
    let collector = collector.clone();
    let read = move || super::observed(true, verbose, |progress| collector.facts(progress));
    match rollout::until_interrupted(watch, read) {
        Ok(Some(facts)) => Collected::Facts(Box::new(facts)),
        Ok(None) => Collected::Facts(Box::new(Err(CommandError::Unread(
            "the collection of the facts stopped without an answer; run deploy again".to_owned(),
        )))),
        Err(signal) => Collected::Interrupted(signal),
    }
}

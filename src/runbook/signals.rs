//! Catching SIGINT, SIGTERM and SIGHUP while a deploy or rollback runs, so that an
//! interruption ends the running step's process group, gets recorded and releases
//! the lock instead of killing gatekeeper mid-step. It only notes what arrived (which
//! signal first, how many): what to do about it is the executor's business.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::thread::JoinHandle;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

/// A signal that interrupts a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    /// Ctrl-C.
    Int,
    /// A cancelled CI job, `kill`.
    Term,
    /// The terminal went away.
    Hup,
}

impl Interruption {
    fn from_raw(raw: i32) -> Option<Self> {
        match raw {
            SIGINT => Some(Self::Int),
            SIGTERM => Some(Self::Term),
            SIGHUP => Some(Self::Hup),
            _ => None,
        }
    }

    /// "SIGINT", as people and the audit log name it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Int => "SIGINT",
            Self::Term => "SIGTERM",
            Self::Hup => "SIGHUP",
        }
    }

    /// 128 + the signal number, as shells report a process ended by it.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Int => 130,
            Self::Term => 143,
            Self::Hup => 129,
        }
    }

    /// The same signal, to pass on to a step's process group.
    pub fn signal(self) -> rustix::process::Signal {
        match self {
            Self::Int => rustix::process::Signal::INT,
            Self::Term => rustix::process::Signal::TERM,
            Self::Hup => rustix::process::Signal::HUP,
        }
    }
}

#[derive(Debug, Default)]
struct Arrivals {
    /// The first signal's number, 0 while none arrived.
    first: AtomicI32,
    count: AtomicUsize,
}

/// What has arrived so far; cheap to clone and share with the executor.
#[derive(Debug, Clone, Default)]
pub struct Watch(Arc<Arrivals>);

impl Watch {
    /// A watch nothing ever arrives at (dry runs, unit tests).
    pub fn never() -> Self {
        Self::default()
    }

    /// The first interrupting signal, once one arrived.
    /// Sleeps `d`, or until a signal arrives: the signal.
    pub fn sleep(&self, d: std::time::Duration) -> Option<Interruption> {
        let until = std::time::Instant::now() + d;
        loop {
            if let Some(signal) = self.received() {
                return Some(signal);
            }
            let now = std::time::Instant::now();
            if now >= until {
                return None;
            }
            std::thread::sleep((until - now).min(std::time::Duration::from_millis(100)));
        }
    }

    pub fn received(&self) -> Option<Interruption> {
        Interruption::from_raw(self.0.first.load(Ordering::SeqCst))
    }

    /// How many interrupting signals arrived: a second Ctrl-C skips the grace period.
    pub fn count(&self) -> usize {
        self.0.count.load(Ordering::SeqCst)
    }

    /// As if signal `raw` had arrived.
    #[cfg(test)]
    pub(crate) fn note_for_tests(&self, raw: i32) {
        self.note(raw);
    }

    fn note(&self, raw: i32) {
        let _ = self
            .0
            .first
            .compare_exchange(0, raw, Ordering::SeqCst, Ordering::SeqCst);
        self.0.count.fetch_add(1, Ordering::SeqCst);
    }
}

/// The handlers, installed while it lives; dropping it stops listening.
pub struct Interrupts {
    watch: Watch,
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl Interrupts {
    /// Installs the handlers: from now on these signals no longer end the process.
    pub fn catch() -> std::io::Result<Self> {
        let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])?;
        let handle = signals.handle();
        let watch = Watch::default();
        let noted = watch.clone();
        let thread = std::thread::Builder::new()
            .name("gatekeeper-signals".to_owned())
            .spawn(move || {
                for raw in signals.forever() {
                    noted.note(raw);
                }
            })?;
        Ok(Self {
            watch,
            handle,
            thread: Some(thread),
        })
    }

    pub fn watch(&self) -> Watch {
        self.watch.clone()
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_signal_wins_and_every_one_counts() {
        let watch = Watch::never();
        assert_eq!(watch.received(), None);
        watch.note(SIGTERM);
        watch.note(SIGINT);
        assert_eq!(watch.received(), Some(Interruption::Term));
        assert_eq!(watch.count(), 2);
    }

    #[test]
    fn exit_codes_are_128_plus_the_signal_number() {
        for (raw, which) in [
            (SIGINT, Interruption::Int),
            (SIGTERM, Interruption::Term),
            (SIGHUP, Interruption::Hup),
        ] {
            assert_eq!(Interruption::from_raw(raw), Some(which));
            assert_eq!(i32::from(which.exit_code()), 128 + raw);
            assert_eq!(which.signal().as_raw(), raw);
        }
    }
}

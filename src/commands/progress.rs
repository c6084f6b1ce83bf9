//! A spinner line per source on stderr while facts are collected, with how long
//! each source took. Used only when stderr is a terminal; never writes to stdout.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use std::io::IsTerminal;

use crate::facts::Facts;
use crate::gate::{Gate, GateError};
use crate::sources::{self, Progress};

use super::CommandError;

pub struct Spinners {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, (ProgressBar, Instant)>>,
}

impl Spinners {
    pub fn new() -> Self {
        Self {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(HashMap::new()),
        }
    }
}

impl Progress for Spinners {
    fn started(&self, source: &str) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix:<9} {msg}") {
            bar.set_style(style);
        }
        bar.set_prefix(source.to_owned());
        bar.set_message("collecting…");
        bar.enable_steady_tick(Duration::from_millis(100));
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(source.to_owned(), (bar, Instant::now()));
        }
    }

    fn finished(&self, source: &str, ok: bool) {
        let Ok(bars) = self.bars.lock() else { return };
        if let Some((bar, since)) = bars.get(source) {
            let took = since.elapsed().as_secs_f64();
            let what = if ok { "done" } else { "FAILED" };
            if let Ok(style) = ProgressStyle::with_template("  {prefix:<9} {msg}") {
                bar.set_style(style);
            }
            bar.finish_with_message(format!("{what} in {took:.1} s"));
        }
    }
}

/// The facts the gate collects (or loads), with a spinner per source on a
/// terminal, or with `--verbose` a line per request on stderr instead.
pub(crate) fn facts(gate: &Gate, verbose: bool) -> Result<Facts, CommandError> {
    observed(gate.is_live(), verbose, |progress| gate.facts(progress))
}

/// Runs a collection with the progress a terminal shows when it is live.
pub(crate) fn observed(
    live: bool,
    verbose: bool,
    collect: impl FnOnce(&dyn sources::Progress) -> Result<Facts, GateError>,
) -> Result<Facts, CommandError> {
    if live && std::io::stderr().is_terminal() && !verbose {
        let spinners = Spinners::new();
        let facts = collect(&spinners);
        // The finished spinner lines stay; what follows starts on a line of its own.
        eprintln!();
        Ok(facts?)
    } else {
        Ok(collect(&sources::Silent)?)
    }
}

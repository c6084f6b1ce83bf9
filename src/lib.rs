//! gatekeeper: a preflight gate for production deploys.
//!
//! The data flows down this list, one module per stage: [`config`] → [`sources`]
//! (collect facts) → [`facts`] (the document) → [`policy`] (evaluate with regorus)
//! → [`decision`] → [`render`] and [`audit`] → [`rollout`] (deploy and rollback
//! runs) → [`runbook`] (their steps). [`commands`] binds the CLI to those stages and
//! alone knows terminals and exit codes.

/// std's `eprintln!` panics (exit 101) when stderr is closed or full
/// (`2>/dev/full`, `2>&1 | head`). Every module below uses this one instead: a
/// message that cannot be written is lost, and the exit code stays the documented one.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod audit;
pub mod build_info;
pub mod cli;
pub mod commands;
pub mod config;
pub mod decision;
pub mod facts;
mod keys;
pub mod notice;
pub mod planner;
pub mod policy;
pub mod render;
pub mod rollout;
pub mod runbook;
pub mod scaffold;
pub mod sources;

//! gatekeeper: a preflight gate for production deploys.
//!
//! The data flows up the layers below, one module per stage: [`config`] →
//! [`sources`] (collect facts) → [`facts`] (the document) → [`policy`] (evaluate
//! with regorus) → [`gate`] (the one decide step every command that decides calls)
//! → [`render`] and [`audit`]; a deploy or rollback is a [`rollout`] (the run object:
//! lock, records, GitHub deployment) of a [`runbook`] (its typed plan and steps).
//! [`commands`] binds the CLI to those stages and alone knows terminals and exit
//! codes. Plumbing ([`secrets`], [`net`]: the transport and a run's one runtime and
//! deadline) is on the ground floor.
//!
//! Layers, from the ground up (a file imports only from its own layer or one
//! below, and no files import each other in a circle; `tests/it/architecture.rs`
//! holds the code to this list):
//! 1. ground: build_info, field_names, cli, decision, secrets, net, wait, files
//! 2. config: config
//! 3. facts: facts
//! 4. audit: audit, archive
//! 5. sources: sources, notice
//! 6. policy: policy
//! 7. planner: planner, shadow
//! 8. gate: gate, chatops, impact
//! 9. render: render
//! 10. runbook: runbook, guard
//! 11. rollout: rollout, attest, chatops::answer, guard::hooks, status, unlock
//! 12. commands: commands, scaffold
//! 13. main: main

/// std's `eprintln!` panics (exit 101) when stderr is closed or full
/// (`2>/dev/full`, `2>&1 | head`). Every module below uses this one instead: a
/// message that cannot be written is lost, and the exit code stays the documented one.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod archive;
pub mod attest;
pub mod audit;
pub mod build_info;
pub mod chatops;
pub mod cli;
pub mod commands;
pub mod config;
pub mod decision;
pub mod facts;
mod field_names;
pub mod files;
pub mod gate;
pub mod guard;
pub mod impact;
pub mod net;
pub mod notice;
pub mod planner;
pub mod policy;
pub mod render;
pub mod rollout;
pub mod runbook;
pub mod scaffold;
pub mod secrets;
pub mod shadow;
pub mod sources;
pub mod status;
pub mod unlock;
pub mod wait;

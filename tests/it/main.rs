//! Integration tests, compiled as one test binary: each runs the real `gatekeeper`
//! binary the way a user or CI would, in a hermetic environment.

// The whole binary is test code: helpers outside #[test] fns may unwrap, index and panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod architecture;
mod attest;
mod base_branch;
mod browser;
mod calendar;
mod chatops;
mod check;
mod ci;
mod ci_output;
mod clean_env;
mod clones;
mod closed_streams;
mod config_slips;
mod contracts;
mod deploy;
mod examples;
mod exceptions;
mod facts_file;
mod fail_closed;
mod formats;
mod graphql_schema;
mod guard;
mod help;
mod incidents;
mod init;
mod integrity;
mod lock;
mod messages;
mod notice;
mod policy_test;
mod readme;
mod release_notes;
mod replay;
mod resilience;
mod rollback_trust;
mod rollout_slips;
mod runbook_slips;
mod settings;
mod shared_record;
mod source_failures;
mod sources;
mod status_after;
mod support;
mod transport;
mod vetting;
mod wait;
mod window;

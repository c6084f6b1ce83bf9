//! Integration tests, compiled as one test binary: each runs the real `gatekeeper`
//! binary the way a user or CI would, in a hermetic environment.

// The whole binary is test code: helpers outside #[test] fns may unwrap, index and panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod check;
mod deploy;
mod examples;
mod exceptions;
mod formats;
mod help;
mod lock;
mod notice;
mod resilience;
mod sources;
mod support;
mod window;

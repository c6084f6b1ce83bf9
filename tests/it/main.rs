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
mod ci;
mod contracts;
mod deploy;
mod exceptions;
mod formats;
mod help;
mod messages;
mod notice;
mod sources;
mod support;
mod window;

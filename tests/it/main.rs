//! Integration tests, compiled as one test binary: each runs the real `gatekeeper`
//! binary the way a user or CI would, in a hermetic environment.

// Test helpers outside #[test] fns may unwrap and index too: a broken fixture should stop the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod check;
mod formats;
mod help;
mod notice;
mod support;
mod window;

//! Integration tests, compiled as one test binary: each runs the real `gatekeeper`
//! binary the way a user or CI would, in a hermetic environment.

// Test code may panic: clippy.toml allows it in #[test] functions only, not in helpers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod check;
mod deploy;
mod sources;
mod support;

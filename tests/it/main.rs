//! Integration tests, compiled as one test binary: each runs the real `gatekeeper`
//! binary the way a user or CI would, in a hermetic environment.

// Test code may stop at the first surprise: a panic is a failed test, not a bug.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod check;
mod exceptions;
mod support;

//! Integration tests, compiled as one test binary: each runs the real `gatekeeper`
//! binary the way a user or CI would, in a hermetic environment.

mod check;
mod formats;
mod help;
mod notice;
mod window;
mod support;

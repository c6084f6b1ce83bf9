//! A live decision: `check production --format json` against the stand-in services
//! (`support::server`), through the real binary, with the services' tokens; no
//! secret may show in either stream.

use std::path::Path;

use serde_json::Value;

use crate::support::server::{GREEN_AT, SECRETS, Services};
use crate::support::{assert_exit, check, failing, gatekeeper_in};

pub struct Run {
    pub code: i32,
    pub decision: Value,
    pub stderr: String,
}

/// Runs `check production --format json --at AT ARGS` with `DIR/gatekeeper.toml`
/// (written for `services` unless there), with the test tokens (minus `unset`),
/// and asserts that no secret appears in stdout or stderr.
pub fn decide_at(services: &Services, dir: &Path, at: &str, args: &[&str], unset: &[&str]) -> Run {
    let config = dir.join("gatekeeper.toml");
    if !config.exists() {
        services.write_config(dir);
    }
    let mut cmd = gatekeeper_in(dir);
    cmd.args(["check", "production", "--format", "json", "--config"])
        .arg(&config)
        .args(["--at", at])
        .args(args);
    for (var, value) in Services::env() {
        if !unset.contains(&var) {
            cmd.env(var, value);
        }
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_no_secret(&stdout, &stderr);
    let decision = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not a decision ({e})\nstdout:\n{stdout}\nstderr:\n{stderr}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        decision,
        stderr,
    }
}

/// [`decide_at`] pinned at GREEN_AT.
pub fn decide_with(services: &Services, dir: &Path, args: &[&str], unset: &[&str]) -> Run {
    decide_at(services, dir, GREEN_AT, args, unset)
}

/// [`decide_with`] in a throw-away directory, with every token.
pub fn decide(services: &Services, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    decide_with(services, dir.path(), args, &[])
}

pub fn assert_no_secret(stdout: &str, stderr: &str) {
    for secret in SECRETS {
        assert!(!stdout.contains(secret), "secret in stdout:\n{stdout}");
        assert!(!stderr.contains(secret), "secret in stderr:\n{stderr}");
    }
}

/// Exit 1, exactly these failing checks, and each detail carries its reason.
#[track_caller]
pub fn assert_denied(run: &Run, failing_ids: &[&str], reasons: &[(&str, &str)]) {
    assert_exit!(run.code, 1, "{}\n{}", run.decision, run.stderr);
    assert_eq!(run.decision["allow"], false);
    assert_eq!(failing(&run.decision), failing_ids, "{:#}", run.decision);
    for (id, reason) in reasons {
        let detail = check(&run.decision, id)["detail"].as_str().unwrap();
        assert!(
            detail.contains(reason),
            "{id}: {reason:?} not in {detail:?}"
        );
    }
}

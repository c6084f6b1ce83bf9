//! Every decision can be replayed: one verdict under any Rego engine (`policy check`
//! finds `not f(x)` over a possibly undefined `x`), the facts archive, `policy
//! impact`, and shadow policies.

use crate::support::{edited_policies, gatekeeper};

#[test]
fn no_shipped_policy_negates_a_builtin_over_a_maybe_missing_field() {
    let out = gatekeeper()
        .args(["policy", "check", "--strict"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("OPA evaluates"), "{stdout}");
    assert_eq!(out.status.code(), Some(0), "{stdout}");
}

#[test]
fn policy_check_warns_about_an_engine_dependent_not_and_strict_fails() {
    let dir = edited_policies(
        "gatekeeper.rego",
        &[(
            "labelled_downtime(repo) if not prs_readable(repo)",
            "labelled_downtime(repo) if not is_array(repo.pull_requests)",
        )],
    );
    let run = |strict: bool| {
        let mut cmd = gatekeeper();
        cmd.args(["policy", "check", "--policies"]).arg(dir.path());
        if strict {
            cmd.arg("--strict");
        }
        cmd.output().unwrap()
    };
    let out = run(false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| {
            l.contains(
                "OPA evaluates `not f(x)` with `x` undefined as undefined; write a helper rule",
            )
        })
        .unwrap_or_else(|| panic!("no warning in:\n{stdout}"));
    assert!(line.starts_with("warning "), "{line}");
    assert!(line.contains("gatekeeper.rego:"), "{line}");
    assert!(
        line.contains("`not is_array(repo.pull_requests)`"),
        "{line}"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "a warning alone passes:\n{stdout}"
    );
    assert_eq!(run(true).status.code(), Some(1), "--strict fails on it");
}

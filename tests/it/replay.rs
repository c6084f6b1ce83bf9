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

/// The shipped config in a fresh directory with this repo's policies, and `extra`
/// lines added at the top level.
pub(crate) fn config_dir(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(crate::support::root().join("gatekeeper.toml"))
        .unwrap()
        .replace(
            "policies = \"policies\"",
            &format!(
                "policies = {:?}\n{extra}",
                crate::support::policies().display().to_string()
            ),
        );
    std::fs::write(dir.path().join("gatekeeper.toml"), text).unwrap();
    dir
}

fn audit_checks(dir: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join(".gatekeeper/audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["kind"] == "check")
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_archived_facts_hash_to_the_audit_records_digest_and_are_stored_once() {
    let dir = config_dir("");
    for _ in 0..2 {
        let out = crate::support::gatekeeper_in(dir.path())
            .args(["check", "production", "--facts"])
            .arg(crate::support::fixture("facts/green.json"))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let records = audit_checks(dir.path());
    assert_eq!(records.len(), 2);
    let digest = records[0]["facts_sha256"].as_str().unwrap();
    assert_eq!(records[1]["facts_sha256"], digest);
    let archive = dir.path().join(".gatekeeper/facts");
    let files: Vec<_> = std::fs::read_dir(&archive)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "identical facts are stored once: {files:?}");
    assert_eq!(
        files[0].file_name().unwrap().to_str().unwrap(),
        format!("sha256-{digest}.json")
    );
    assert_eq!(sha256_hex(&std::fs::read(&files[0]).unwrap()), digest);
}

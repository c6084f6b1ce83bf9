//! `gatekeeper policy test` like `opa test`: `--run REGEX` selects tests by name,
//! only failures are listed unless `--verbose`, `--format json` is one document.

use predicates::prelude::*;

use crate::support::assert_exit;
use crate::support::{edited_policies, gatekeeper};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = gatekeeper()
        .args(["policy", "test"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn listed(stdout: &str, verdict: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix(verdict))
        .map(|l| l.split(' ').next().unwrap().to_owned())
        .collect()
}

#[test]
fn passing_tests_are_not_listed_without_verbose() {
    let (code, stdout, _) = run(&[]);
    assert_exit!(code, 0);
    assert!(listed(&stdout, "PASS ").is_empty(), "{stdout}");
    assert!(
        predicate::str::is_match(r"(?m)^\d+ passed, 0 failed$")
            .unwrap()
            .eval(&stdout),
        "{stdout}"
    );
}

#[test]
fn verbose_lists_every_passing_test() {
    let (code, stdout, _) = run(&["--verbose"]);
    assert_exit!(code, 0);
    let passed = listed(&stdout, "PASS ");
    assert!(passed.len() > 50, "{stdout}");
    assert!(stdout.contains(&format!("{} passed, 0 failed", passed.len())));
}

#[test]
fn run_selects_tests_by_regex_on_the_full_name() {
    let (code, stdout, _) = run(&["--run", "throughput_test|rpm", "--verbose"]);
    assert_exit!(code, 0, "{stdout}");
    let passed = listed(&stdout, "PASS ");
    assert!(!passed.is_empty());
    assert!(passed.iter().all(|n| n.contains("rpm")), "{passed:?}");
    assert!(passed.contains(&"data.gatekeeper_test.test_exactly_15000_rpm_fails".to_owned()));
    assert!(!stdout.contains("test_approval_on_head_passes"));

    let (code, stdout, _) = run(&[
        "--run",
        r"^data\.gatekeeper_test\.test_exactly_15000_rpm_fails$",
    ]);
    assert_exit!(code, 0);
    assert!(stdout.contains("1 of "), "{stdout}");
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
}

#[test]
fn run_matching_no_test_fails() {
    let (code, stdout, _) = run(&["--run", "no_such_test"]);
    assert_exit!(code, 1);
    assert!(
        stdout.contains("matches --run \"no_such_test\""),
        "{stdout}"
    );
}

#[test]
fn run_with_a_bad_regex_is_a_usage_error() {
    let (code, stdout, stderr) = run(&["--run", "test_("]);
    assert_exit!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("--run \"test_(\" is not a regular expression"),
        "{stderr}"
    );
}

#[test]
fn only_failures_are_listed_with_their_reason() {
    // A valid edit: only the test that pins the team's own limit disagrees, and it
    // names the condition with the value expected and the value got.
    let dir = edited_policies(
        "settings.rego",
        &[(
            "throughput_limit_rpm := 15000",
            "throughput_limit_rpm := 9000",
        )],
    );
    let (code, stdout, _) = run(&[dir.path().to_str().unwrap()]);
    assert_exit!(code, 1);
    let failed = listed(&stdout, "FAIL ");
    assert_eq!(
        failed,
        vec!["data.gatekeeper_settings_test.test_the_throughput_limit".to_owned()]
    );
    assert!(listed(&stdout, "PASS ").is_empty(), "{stdout}");
    assert!(
        stdout.contains("`settings.throughput_limit_rpm == 15000` did not hold"),
        "{stdout}"
    );
    assert!(stdout.contains("expected: 15000"), "{stdout}");
    assert!(stdout.contains("got:      9000"), "{stdout}");
}

#[test]
fn a_rule_test_failure_shows_expected_against_got() {
    let dir = edited_policies(
        "approval_test.rego",
        &[(
            "\tinp := with_reviews([review_by(\"tim\", \"APPROVED\", old_sha)])\n\tstatus(inp, \"approval\") == \"fail\"",
            "\tinp := with_reviews([review_by(\"tim\", \"APPROVED\", old_sha)])\n\tstatus(inp, \"approval\") == \"pass\"",
        )],
    );
    let (code, stdout, _) = run(&[dir.path().to_str().unwrap(), "--run", "stale_commit"]);
    assert_exit!(code, 1, "{stdout}");
    assert!(
        stdout.contains("test_approval_on_stale_commit_fails"),
        "{stdout}"
    );
    assert!(stdout.contains("expected: \"pass\""), "{stdout}");
    assert!(stdout.contains("got:      \"fail\""), "{stdout}");
}

#[test]
fn editing_the_settings_changes_no_rule_test() {
    // A team's own values: only settings_test.rego, which pins them, disagrees.
    let dir = edited_policies(
        "settings.rego",
        &[
            (
                "throughput_limit_rpm := 15000",
                "throughput_limit_rpm := 20000",
            ),
            ("approvers := [\"tim\"]", "approvers := [\"ada\"]"),
            (
                "vetters := [\"tim\", \"jim\"]",
                "vetters := [\"ada\", \"grace\"]",
            ),
            ("teaching_start := \"07:00\"", "teaching_start := \"08:00\""),
        ],
    );
    let (code, stdout, _) = run(&[dir.path().to_str().unwrap()]);
    assert_exit!(code, 1);
    let failed = listed(&stdout, "FAIL ");
    assert!(
        failed
            .iter()
            .all(|t| t.starts_with("data.gatekeeper_settings_test.")),
        "{stdout}"
    );
    assert_eq!(failed.len(), 4, "{stdout}");
}

#[test]
fn json_format_is_one_document_with_every_test() {
    let dir = edited_policies(
        "settings_test.rego",
        &[(
            "settings.throughput_limit_rpm == 15000",
            "settings.throughput_limit_rpm == 9000",
        )],
    );
    let (code, stdout, _) = run(&[
        dir.path().to_str().unwrap(),
        "--format",
        "json",
        "--run",
        "quiet|throughput_limit",
        "--coverage",
    ]);
    assert_exit!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let tests = doc["tests"].as_array().unwrap();
    let summary = &doc["summary"];
    assert_eq!(summary["selected"], tests.len());
    assert!(summary["total"].as_u64().unwrap() > tests.len() as u64);
    assert_eq!(
        summary["passed"].as_u64().unwrap() + summary["failed"].as_u64().unwrap(),
        tests.len() as u64
    );
    assert_eq!(doc["run"], "quiet|throughput_limit");
    let quiet = tests
        .iter()
        .find(|t| t["rule"] == "test_the_throughput_limit")
        .unwrap();
    assert_eq!(
        quiet["name"],
        "data.gatekeeper_settings_test.test_the_throughput_limit"
    );
    assert_eq!(quiet["package"], "data.gatekeeper_settings_test");
    assert_eq!(quiet["passed"], false);
    assert!(quiet["failure"].as_str().unwrap().contains("undefined"));
    assert!(
        quiet["file"]
            .as_str()
            .unwrap()
            .ends_with("settings_test.rego")
    );
    assert!(quiet["duration_ms"].is_number());
    let passing = tests.iter().find(|t| t["passed"] == true).unwrap();
    assert!(passing["failure"].is_null());
    assert!(doc["coverage"]["percent"].is_number());
    assert!(doc["coverage"]["files"].as_array().unwrap().len() > 1);
}

#[test]
fn a_threshold_that_is_not_a_percentage_is_refused() {
    for bad in ["nan", "inf", "101", "1e9"] {
        let (code, _, stderr) = run(&["--coverage", "--threshold", bad]);
        assert_exit!(code, 2, "{bad}: {stderr}");
        assert!(
            stderr.contains("not a percentage from 0 to 100"),
            "{bad}: {stderr}"
        );
    }
}

//! `gatekeeper check` on recorded facts: decisions, formats, re-planned windows, and
//! every way to end without a decision (exit 2).

use crate::support::{ExitAssert, assert_exit};
use crate::support::{check, decide, failing, fixture, gatekeeper, gatekeeper_in};
use predicates::prelude::*;

fn check_facts(name: &str) -> assert_cmd::Command {
    let mut cmd = gatekeeper();
    cmd.args(["check", "production", "--format", "json", "--facts"])
        .arg(fixture(&format!("facts/{name}.json")));
    cmd
}

#[test]
fn recorded_fixtures_decide_right() {
    // (fixture, exit code, downtime, failing check ids)
    let table: &[(&str, i32, bool, &[&str])] = &[
        ("green", 0, false, &[]),
        ("too-busy", 1, false, &["throughput"]),
        (
            "migrations-weekday-no-notice",
            1,
            true,
            &["teaching_hours", "downtime_notice"],
        ),
        ("migrations-saturday-vetted", 0, true, &[]),
        (
            "source-down",
            1,
            false,
            &["tests", "throughput", "no_open_incident"],
        ),
        ("incident-critical", 1, false, &["no_open_incident"]),
    ];
    for (name, code, downtime, fails) in table {
        let (got_code, decision) = decide(&mut check_facts(name));
        assert_exit!(got_code, *code, "{name}: {decision:#}");
        assert_eq!(decision["allow"], *code == 0, "{name}");
        assert_eq!(decision["downtime"], *downtime, "{name}");
        assert_eq!(failing(&decision), *fails, "{name}");
    }
}

#[test]
fn json_is_the_decision_document_of_the_design() {
    let (_, d) = decide(&mut check_facts("too-busy"));
    let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "allow",
            "checks",
            "downtime",
            "evaluated_at",
            "schema",
            "target"
        ]
    );
    assert_eq!(d["target"], "production");
    assert_eq!(d["evaluated_at"], "2026-11-24T19:00:00Z");
    let ids: Vec<&str> = d["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "tests",
            "release_dependencies",
            "approval",
            "throughput",
            "teaching_hours",
            "downtime_notice",
            "freeze",
            "no_open_incident"
        ]
    );
    let throughput = check(&d, "throughput");
    assert_eq!(throughput["status"], "fail");
    assert_eq!(throughput["title"], "New Relic throughput under 15000 rpm");
    assert!(
        throughput["detail"]
            .as_str()
            .unwrap()
            .starts_with("17250 rpm over the last 5 minutes (limit 15000)"),
        "{throughput}"
    );
    for c in d["checks"].as_array().unwrap() {
        assert!(
            ["pass", "fail", "skip"].contains(&c["status"].as_str().unwrap()),
            "{c}"
        );
    }
}

#[test]
fn source_down_fails_its_checks_with_the_reason() {
    let (code, d) = decide(&mut check_facts("source-down"));
    assert_exit!(code, 1);
    let tests = check(&d, "tests")["detail"].as_str().unwrap().to_owned();
    assert!(tests.contains("503 Service Unavailable"), "{tests}");
    let rpm = check(&d, "throughput")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(rpm.contains("BAD_API_KEY"), "{rpm}");
}

#[test]
fn table_starts_with_the_verdict_and_lists_every_check() {
    gatekeeper()
        .args(["check", "production", "--facts"])
        .arg(fixture("facts/too-busy.json"))
        .assert()
        .exits(1)
        .stdout(predicate::str::starts_with(
            "DENY production (zero-downtime deploy)",
        ))
        .stdout(predicate::str::contains("✘ fail"))
        .stdout(predicate::str::contains(
            "New Relic throughput under 15000 rpm",
        ))
        .stdout(predicate::str::contains("\x1b[").not());
    gatekeeper()
        .args(["check", "production", "--facts"])
        .arg(fixture("facts/migrations-saturday-vetted.json"))
        .assert()
        .exits(0)
        .stdout(predicate::str::starts_with(
            "ALLOW production (downtime deploy)",
        ));
}

#[test]
fn output_file_gets_the_format_while_the_table_goes_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports/decision.json");
    gatekeeper()
        .args(["check", "production", "--format", "json", "--output"])
        .arg(&out)
        .arg("--facts")
        .arg(fixture("facts/green.json"))
        .assert()
        .exits(0)
        .stdout(predicate::str::starts_with("ALLOW production"));
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written["allow"], true);
}

/// The window re-planned with --downtime/--start/--minutes on recorded facts; the
/// local times come from chrono-tz, so summer and winter differ.
fn teaching_status(start: &str, minutes: &str) -> String {
    let (_, d) = decide(
        gatekeeper()
            .args([
                "check",
                "production",
                "--format",
                "json",
                "--downtime",
                // A clock before every window judged here: a window already over
                // is no decision.
                "--at",
                "2025-12-01T00:00:00Z",
                "--start",
                start,
                "--minutes",
                minutes,
            ])
            .arg("--facts")
            .arg(fixture("facts/green.json")),
    );
    assert_eq!(d["downtime"], true);
    check(&d, "teaching_hours")["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn window_from_2030_for_60_minutes_overlaps_teaching_hours() {
    assert_eq!(teaching_status("2026-11-24T20:30:00-05:00", "60"), "fail");
    assert_eq!(teaching_status("2026-11-24T21:00:00-05:00", "60"), "pass");
}

#[test]
fn early_morning_window_is_judged_in_local_time_winter_and_summer() {
    // 06:30 EST and 06:30 EDT are both before 07:00 local.
    assert_eq!(teaching_status("2026-01-13T11:30:00Z", "20"), "pass");
    assert_eq!(teaching_status("2026-07-14T10:30:00Z", "20"), "pass");
    // 11:30 UTC is 06:30 in winter but 07:30 in summer.
    assert_eq!(teaching_status("2026-07-14T11:30:00Z", "20"), "fail");
}

#[test]
fn at_moves_the_clock_and_the_window() {
    let (_, d) = decide(
        gatekeeper()
            .args([
                "check",
                "production",
                "--format",
                "json",
                "--at",
                "2026-11-28T02:00:00-05:00",
            ])
            .arg("--facts")
            .arg(fixture("facts/migrations-weekday-no-notice.json")),
    );
    assert_eq!(d["evaluated_at"], "2026-11-28T07:00:00Z");
    assert_eq!(check(&d, "teaching_hours")["status"], "pass");
    assert_eq!(check(&d, "downtime_notice")["status"], "fail");
}

#[test]
fn downtime_flag_applies_the_downtime_checks() {
    let (code, d) = decide(check_facts("green").arg("--downtime"));
    assert_exit!(code, 1);
    assert_eq!(failing(&d), ["teaching_hours", "downtime_notice"]);
}

// --- exit 2: no decision could be made ---

fn undecided(args: &[&str]) -> String {
    let out = gatekeeper().args(args).output().unwrap();
    crate::support::assert_exit!(out, 2);
    assert!(out.stdout.is_empty(), "no decision may be printed");
    String::from_utf8(out.stderr).unwrap()
}

fn green() -> String {
    fixture("facts/green.json").display().to_string()
}

#[test]
fn policy_with_a_syntax_error_names_file_and_line() {
    let err = undecided(&[
        "check",
        "production",
        "--facts",
        &green(),
        "--policies",
        "fixtures/policies/broken-syntax",
    ]);
    assert!(
        err.contains("fixtures/policies/broken-syntax/gatekeeper.rego:5:1"),
        "{err}"
    );
    assert!(err.contains("does not parse"), "{err}");
}

#[test]
fn decision_that_breaks_the_contract_is_undecided() {
    let err = undecided(&[
        "check",
        "production",
        "--facts",
        &green(),
        "--policies",
        "fixtures/policies/bad-contract",
    ]);
    assert!(err.contains("breaks the contract"), "{err}");
    assert!(err.contains("status \"ok\""), "{err}");
}

#[test]
fn policy_calling_an_unknown_function_is_undecided_with_its_place() {
    let err = undecided(&[
        "check",
        "production",
        "--facts",
        &green(),
        "--policies",
        "fixtures/policies/misspelled",
    ]);
    assert!(err.contains("sprintff"), "{err}");
    assert!(err.contains("gatekeeper.rego:10"), "{err}");
}

#[test]
fn missing_decision_rule_is_undecided() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("other.rego"), "package other\n\nx := 1\n").unwrap();
    let err = undecided(&[
        "check",
        "production",
        "--facts",
        &green(),
        "--policies",
        dir.path().to_str().unwrap(),
    ]);
    assert!(
        err.contains("data.gatekeeper.decision is undefined"),
        "{err}"
    );
}

#[test]
fn policy_dir_without_policies_is_undecided() {
    let dir = tempfile::tempdir().unwrap();
    let err = undecided(&[
        "check",
        "production",
        "--facts",
        &green(),
        "--policies",
        dir.path().to_str().unwrap(),
    ]);
    assert!(err.contains("no *.rego files"), "{err}");
}

#[test]
fn malformed_facts_file_is_undecided_and_says_how_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("facts.json");
    std::fs::write(
        &bad,
        "{\"schema\": 3, \"target\": \"production\", \"now\": ",
    )
    .unwrap();
    let err = undecided(&["check", "production", "--facts", bad.to_str().unwrap()]);
    assert!(err.contains(bad.to_str().unwrap()), "{err}");
    assert!(err.contains("gatekeeper facts TARGET"), "{err}");
}

#[test]
fn facts_file_of_another_shape_is_undecided() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("facts.json");
    std::fs::write(&bad, r#"{"schema": 4, "target": "production"}"#).unwrap();
    let err = undecided(&["check", "production", "--facts", bad.to_str().unwrap()]);
    assert!(err.contains("missing field"), "{err}");
}

#[test]
fn facts_file_of_another_schema_or_target_is_undecided() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.json");
    std::fs::write(&old, r#"{"schema": 1, "target": "production"}"#).unwrap();
    let err = undecided(&["check", "production", "--facts", old.to_str().unwrap()]);
    assert!(err.contains("schema 1"), "{err}");
    let err = undecided(&["check", "staging", "--facts", &green()]);
    assert!(
        err.contains("is for target \"production\", not \"staging\""),
        "{err}"
    );
}

#[test]
fn unreadable_facts_file_is_undecided() {
    let err = undecided(&["check", "production", "--facts", "fixtures/facts/nope.json"]);
    assert!(
        err.contains("cannot read facts file fixtures/facts/nope.json"),
        "{err}"
    );
}

#[test]
fn malformed_config_is_undecided_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("gatekeeper.toml");
    std::fs::write(&config, "timezone = \"America/New_York\"\n[jenkins\n").unwrap();
    let out = gatekeeper_in(dir.path())
        .args(["check", "production", "--facts", &green(), "--policies"])
        .arg(crate::support::policies())
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("gatekeeper.toml is not valid TOML"), "{err}");
}

#[test]
fn invalid_config_values_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(crate::support::root().join("gatekeeper.toml"))
        .unwrap()
        .replace("America/New_York", "Mars/Olympus")
        .replace("https://jenkins.example.com:8080", "jenkins.example.com");
    std::fs::write(dir.path().join("gatekeeper.toml"), text).unwrap();
    let out = gatekeeper_in(dir.path())
        .args(["check", "production"])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("2 problem(s)"), "{err}");
    assert!(
        err.contains("Mars/Olympus") && err.contains("jenkins.url"),
        "{err}"
    );
}

#[test]
fn missing_config_without_facts_is_undecided() {
    let dir = tempfile::tempdir().unwrap();
    let out = gatekeeper_in(dir.path())
        .args(["check", "production"])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cannot read config gatekeeper.toml"), "{err}");
}

#[test]
fn bad_flag_values_are_undecided() {
    let err = undecided(&[
        "check",
        "production",
        "--facts",
        &green(),
        "--at",
        "tuesday",
    ]);
    assert!(err.contains("RFC 3339"), "{err}");
    undecided(&[
        "check",
        "production",
        "--facts",
        &green(),
        "--format",
        "yaml",
    ]);
    undecided(&["check", "production", "--facts", &green(), "--minutes", "0"]);
}

// --- policy test ---

#[test]
fn shipped_policy_tests_pass() {
    gatekeeper()
        .args(["policy", "test", "--verbose"])
        .assert()
        .exits(0)
        .stdout(predicate::str::contains(
            "PASS data.gatekeeper_test.test_exactly_15000_rpm_fails",
        ))
        .stdout(predicate::str::is_match(r"(?m)^\d+ passed, 0 failed$").unwrap());
}

#[test]
fn failing_policy_test_exits_1_and_is_named() {
    // A release manager lowers the limit: the test pinning the team's limit names it.
    let dir = crate::support::edited_policies(
        "settings.rego",
        &[(
            "throughput_limit_rpm := 15000",
            "throughput_limit_rpm := 9000",
        )],
    );
    gatekeeper()
        .args(["policy", "test"])
        .arg(dir.path())
        .assert()
        .exits(1)
        .stdout(predicate::str::contains(
            "FAIL data.gatekeeper_settings_test.test_the_throughput_limit",
        ))
        .stdout(predicate::str::is_match(r"(?m)^\d+ passed, 1 failed$").unwrap());
}

/// `check` on a pseudo-terminal (util-linux `script`), with or without NO_COLOR.
fn check_at_terminal(no_color: bool) -> String {
    let bin = assert_cmd::cargo::cargo_bin("gatekeeper");
    let line = format!(
        "{} check production --facts {}",
        bin.display(),
        fixture("facts/green.json").display()
    );
    let mut cmd = crate::support::program_in("script", &crate::support::root());
    cmd.args(["-qec", &line, "/dev/null"])
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::null());
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd.output().expect("util-linux script runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let coloured = check_at_terminal(false);
    assert!(coloured.contains("\x1b[1;32mALLOW"), "{coloured:?}");
    let plain = check_at_terminal(true);
    assert!(plain.contains("ALLOW production"), "{plain:?}");
    assert!(!plain.contains("\x1b[1;32m"), "{plain:?}");
}

/// A check may be waved through only by a recorded override the settings allow:
/// a policy edit that skips one (to "disable it for the week"), or that calls a
/// downtime deploy zero-downtime, is exit 2, never an allow.
#[test]
fn a_policy_edit_that_skips_a_check_or_hides_downtime_is_no_allow() {
    // (files edited, from, to, facts, reason)
    let cases: [(&[&str], &str, &str, &str, &str); 5] = [
        // Mark any failing overridable check overridden, asked for or not.
        (
            &["gatekeeper.rego"],
            "\tsome o in input.overrides\n\to.check == c.id\n",
            "\to := {\"reason\": \"x\", \"by\": \"policy\"}\n",
            "too-busy",
            "nobody asked for that override",
        ),
        (
            &["throughput.rego"],
            "check_throughput := result(",
            "check_throughput := skipped(\"throughput\", \"off for the sale\")\n\nunused_throughput := result(",
            "too-busy",
            "\"throughput\" is skipped",
        ),
        (
            &["freeze.rego"],
            "check_freeze := result(",
            "check_freeze := skipped(\"freeze\", \"off\")\n\nunused_freeze := result(",
            "green",
            "\"freeze\" is skipped",
        ),
        // Skip the downtime checks unless --downtime was given: the facts show
        // migrations, the decision says downtime, and both checks skip.
        (
            &["teaching_hours.rego", "downtime_notice.rego"],
            "\tnot downtime",
            "\tnot input.downtime_requested",
            "migrations-weekday-no-notice",
            "skipped on a downtime deploy",
        ),
        // Decide "no downtime" whatever the migrations say.
        (
            &["gatekeeper.rego"],
            "default downtime := true",
            "default downtime := false",
            "migrations-weekday-no-notice",
            "has pending migrations",
        ),
    ];
    for (files, from, to, facts, reason) in cases {
        let dir = crate::support::edited_policies(files[0], &[(from, to)]);
        for file in &files[1..] {
            let path = dir.path().join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.contains(from), "{file} has no {from:?}");
            std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        }
        let out = check_facts(facts)
            .arg("--policies")
            .arg(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        crate::support::assert_exit!(out, 2);
        assert!(stderr.contains(reason), "{files:?}: {stderr}");
        // `policy check` holds the recorded fixtures to the same contract.
        let lint = gatekeeper()
            .args(["policy", "check", "--policies"])
            .arg(dir.path())
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&lint.stdout);
        crate::support::assert_exit!(lint, 1);
        assert!(report.contains(reason), "{files:?}: {report}");
    }
}

#[test]
fn a_policy_edit_that_waves_approval_through_is_no_allow() {
    // Skipping approval (or tests) is not a rule change a release manager may make:
    // an allow without them breaks the contract, exit 2, never 0.
    for (file, from, to) in [
        (
            "approval.rego",
            "check_approval := result(",
            "check_approval := skipped(\"approval\", \"waved through\")\n\nunused_approval := result(",
        ),
        (
            "tests.rego",
            "check_tests := result(",
            "check_tests := skipped(\"tests\", \"waved through\")\n\nunused_tests := result(",
        ),
    ] {
        let dir = crate::support::edited_policies(file, &[(from, to)]);
        let out = check_facts("green")
            .arg("--policies")
            .arg(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        crate::support::assert_exit!(out, 2);
        assert!(stderr.contains("it must pass"), "{file}: {stderr}");
    }
}

/// The shipped config in a fresh directory with this repo's policies and `audit_log`
/// at `audit` (relative to the directory).
fn config_with_audit_log(audit: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(crate::support::root().join("gatekeeper.toml"))
        .unwrap()
        .replace(
            "policies = \"policies\"",
            &format!(
                "policies = {:?}",
                crate::support::policies().display().to_string()
            ),
        )
        .replace(
            "audit_log = \".gatekeeper/audit.jsonl\"",
            &format!("audit_log = {audit:?}"),
        );
    std::fs::write(dir.path().join("gatekeeper.toml"), text).unwrap();
    dir
}

/// A break-glass must be on the record: when its record cannot be written the
/// override decides nothing (exit 2). An audit log that is a link is exit 2 for any
/// check, as documented; a plain write failure without an override only warns.
#[test]
fn a_check_whose_record_cannot_be_kept_is_no_allow() {
    let run = |dir: &std::path::Path, facts: &str, extra: &[&str]| {
        gatekeeper_in(dir)
            .args(["check", "production", "--facts"])
            .arg(fixture(&format!("facts/{facts}.json")))
            .args(extra)
            .output()
            .unwrap()
    };
    // `audit_log` below a regular file cannot be written.
    let dir = config_with_audit_log("blocked/audit.jsonl");
    std::fs::write(dir.path().join("blocked"), "a file, not a directory").unwrap();
    let out = run(
        dir.path(),
        "too-busy",
        &["--override", "throughput", "--reason", "sale ends at 9"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 2);
    assert!(stderr.contains("cannot write the audit log"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("ALLOW"));
    let out = run(dir.path(), "green", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 0);
    assert!(
        stderr.contains("warning: cannot write the audit log"),
        "{stderr}"
    );

    let dir = config_with_audit_log("audit.jsonl");
    std::os::unix::fs::symlink(
        dir.path().join("elsewhere.jsonl"),
        dir.path().join("audit.jsonl"),
    )
    .unwrap();
    let out = run(dir.path(), "green", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 2);
    assert!(stderr.contains("audit.jsonl is a"), "{stderr}");
    assert!(!dir.path().join("elsewhere.jsonl").exists());
}

/// A planned window that is already over is a stale plan, not a deploy: exit 2,
/// where the same facts judged "now" deny.
#[test]
fn a_planned_window_already_over_is_no_decision() {
    let out = check_facts("migrations-saturday-vetted")
        .args([
            "--at",
            "2026-12-01T15:00:00Z",
            "--start",
            "2026-11-28T07:00:00Z",
        ])
        .args(["--minutes", "120"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 2);
    assert!(
        stderr.contains("ended before the moment judged"),
        "{stderr}"
    );
    // A window still ahead is judged as before.
    let out = check_facts("migrations-saturday-vetted")
        .args([
            "--at",
            "2026-11-28T06:00:00Z",
            "--start",
            "2026-11-28T07:00:00Z",
        ])
        .args(["--minutes", "120"])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
}

//! Break-glass overrides, `--explain`, policy coverage and `policy check`.

use crate::support::{ExitAssert, assert_exit};
use crate::support::{check, decide, edited_policies, failing, fixture, gatekeeper, policies};
use predicates::prelude::*;

fn too_busy() -> assert_cmd::Command {
    let mut cmd = gatekeeper();
    cmd.env("USER", "tim")
        .args(["check", "production", "--facts"])
        .arg(fixture("facts/too-busy.json"));
    cmd
}

#[test]
fn override_of_an_overridable_check_allows_and_is_visible() {
    let (code, d) = decide(too_busy().args([
        "--format",
        "json",
        "--override",
        "throughput",
        "--reason",
        "bot traffic, INC-88",
    ]));
    assert_exit!(code, 0);
    assert_eq!(d["allow"], true);
    let t = check(&d, "throughput");
    assert_eq!(t["status"], "fail", "an overridden check keeps its status");
    assert_eq!(t["overridden"]["reason"], "bot traffic, INC-88");
    assert_eq!(t["overridden"]["by"], "tim");
    assert_eq!(failing(&d), ["throughput"]);

    too_busy()
        .args([
            "--override",
            "throughput",
            "--reason",
            "bot traffic, INC-88",
        ])
        .assert()
        .exits(0)
        .stdout(predicate::str::contains("1 check(s) overridden"))
        .stdout(predicate::str::contains("overridden by tim"));
}

#[test]
fn override_of_a_check_that_may_not_be_overridden_is_refused() {
    let out = too_busy()
        .args(["--override", "tests", "--reason", "flaky"])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("check \"tests\" may not be overridden"),
        "{err}"
    );
    assert!(err.contains("`overridable` in"), "{err}");
    assert!(err.contains("settings.rego"), "{err}");
}

#[test]
fn override_needs_a_reason() {
    too_busy()
        .args(["--override", "throughput"])
        .assert()
        .exits(2);
    too_busy()
        .args(["--override", "throughput", "--reason", "  "])
        .assert()
        .exits(2)
        .stderr(predicate::str::contains("--override needs --reason"));
}

#[test]
fn override_does_not_allow_when_another_check_fails() {
    let (code, d) = decide(
        gatekeeper()
            .args(["check", "production", "--format", "json", "--downtime"])
            .args([
                "--override",
                "throughput",
                "--reason",
                "spike",
                "--by",
                "tim",
            ])
            .arg("--facts")
            .arg(fixture("facts/too-busy.json")),
    );
    assert_exit!(code, 1);
    assert_eq!(
        failing(&d),
        ["throughput", "teaching_hours", "downtime_notice"]
    );
}

#[test]
fn recorded_overrides_do_not_carry_over() {
    let dir = tempfile::tempdir().unwrap();
    let mut facts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("facts/too-busy.json")).unwrap())
            .unwrap();
    facts["overrides"] = serde_json::json!([{"check": "throughput", "reason": "old", "by": "tim"}]);
    let path = dir.path().join("facts.json");
    std::fs::write(&path, facts.to_string()).unwrap();
    let (code, _) = decide(
        gatekeeper()
            .args(["check", "production", "--format", "json", "--facts"])
            .arg(&path),
    );
    assert_exit!(code, 1);
}

#[test]
fn explain_shows_the_evidence_of_failing_checks() {
    let out = gatekeeper()
        .args(["check", "production", "--explain", "--downtime", "--facts"])
        .arg(fixture("facts/too-busy.json"))
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 1);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let why = &stdout[stdout.find("\nWhy:").expect("a Why section")..];
    insta::assert_snapshot!("explain_too_busy_downtime", why);
}

#[test]
fn explain_shows_policy_prints() {
    let dir = edited_policies(
        "throughput.rego",
        &[(
            "\tinput.throughput.rpm >= settings.throughput_limit_rpm\n",
            "\tinput.throughput.rpm >= settings.throughput_limit_rpm\n\tprint(\"rpm seen:\", input.throughput.rpm)\n",
        )],
    );
    too_busy()
        .arg("--explain")
        .arg("--policies")
        .arg(dir.path())
        .assert()
        .exits(1)
        .stdout(predicate::str::contains("Policy print() output:"))
        .stdout(predicate::str::contains("rpm seen: 17250.9"));
}

#[test]
fn json_always_carries_evidence() {
    let (_, d) = decide(too_busy().args(["--format", "json"]));
    let e = &check(&d, "throughput")["evidence"];
    assert_eq!(e["rpm"], 17250.9);
    assert_eq!(e["limit"], 15000);
    let approval = &check(&d, "approval")["evidence"][0]["standing"]["tim"];
    assert_eq!(approval["state"], "APPROVED");
}

#[test]
fn policy_coverage_is_reported_and_meets_the_ci_threshold() {
    gatekeeper()
        .args(["policy", "test", "--coverage", "--threshold", "90"])
        .assert()
        .exits(0)
        .stdout(predicate::str::contains("policies/approval.rego"))
        .stdout(predicate::str::is_match(r"(?m)^\s+\d+\.\d%\s+total$").unwrap())
        .stdout(predicate::str::contains("meets the threshold 90%"));
}

#[test]
fn coverage_below_the_threshold_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    // One test for a policy with an untested branch.
    std::fs::write(
        dir.path().join("gatekeeper.rego"),
        "package gatekeeper\n\nlimit := 10\n\nbusy if input.rpm >= limit\n\nquiet if {\n\tinput.rpm < limit\n\tinput.rpm >= 0\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("gatekeeper_test.rego"),
        "package gatekeeper\n\ntest_busy if busy with input as {\"rpm\": 12}\n",
    )
    .unwrap();
    gatekeeper()
        .args(["policy", "test", "--coverage", "--threshold", "95"])
        .arg(dir.path())
        .assert()
        .exits(1)
        .stdout(predicate::str::contains("is below the threshold 95%"))
        .stdout(predicate::str::contains("not covered: lines 8-9"))
        .stdout(predicate::str::contains("1 passed, 0 failed"));
}

#[test]
fn policy_check_passes_the_shipped_policies_on_every_fixture() {
    gatekeeper()
        .args(["policy", "check"])
        .assert()
        .exits(0)
        .stdout(predicate::str::contains(
            "ok      fixtures/facts/green.json: allow, 8 checks",
        ))
        .stdout(predicate::str::contains("6 passed, 0 failed, 0 warnings"));
}

#[test]
fn policy_check_finds_a_misspelled_builtin() {
    gatekeeper()
        .args([
            "policy",
            "check",
            "--policies",
            "fixtures/policies/misspelled",
        ])
        .arg(fixture("facts/green.json"))
        .assert()
        .exits(1)
        .stdout(predicate::str::contains("could not find function sprintff"))
        .stdout(predicate::str::contains("misspelled/gatekeeper.rego:10"));
}

#[test]
fn policy_check_warns_about_the_wall_clock() {
    let dir = edited_policies("settings.rego", &[]);
    std::fs::write(
        dir.path().join("clock.rego"),
        "package gatekeeper\n\nnow_hour := time.clock([time.now_ns(), \"UTC\"])[0]\n",
    )
    .unwrap();
    gatekeeper()
        .args(["policy", "check", "--policies"])
        .arg(dir.path())
        .arg(fixture("facts/green.json"))
        .assert()
        .exits(0)
        .stdout(predicate::str::contains(
            "clock.rego:3: reads the wall clock",
        ));
}

#[test]
fn override_reason_and_user_are_in_the_audit_record() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        crate::support::root().join("gatekeeper.toml"),
        dir.path().join("gatekeeper.toml"),
    )
    .unwrap();
    crate::support::gatekeeper_in(dir.path())
        .env("USER", "tim")
        .args(["check", "production", "--policies"])
        .arg(policies())
        .arg("--facts")
        .arg(fixture("facts/too-busy.json"))
        .args([
            "--override",
            "throughput",
            "--reason",
            "bot traffic, INC-88",
        ])
        .assert()
        .exits(0);
    let log = std::fs::read_to_string(dir.path().join(".gatekeeper/audit.jsonl")).unwrap();
    let record: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(record["decision"], "allow");
    assert_eq!(record["user"], "tim");
    assert_eq!(
        record["overrides"],
        serde_json::json!([{"check": "throughput", "reason": "bot traffic, INC-88", "by": "tim"}])
    );
}

/// The shipped policies, copied, with `settings.rego` edited as a release manager would.
fn policies_with_settings(edit: &[(&str, &str)]) -> tempfile::TempDir {
    edited_policies("settings.rego", edit)
}

#[test]
fn a_freeze_added_to_the_settings_denies_any_deploy_in_it() {
    let dir = policies_with_settings(&[(
        "freezes := []",
        r#"freezes := [{"from": "2026-11-23", "to": "2026-11-25", "reason": "state testing week"}]"#,
    )]);
    let (code, d) = decide(
        gatekeeper()
            .args(["check", "production", "--format", "json", "--policies"])
            .arg(dir.path())
            .arg("--facts")
            .arg(fixture("facts/green.json")),
    );
    assert_exit!(code, 1);
    assert_eq!(failing(&d), ["freeze"]);
    let detail = check(&d, "freeze")["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.contains("state testing week") && detail.contains("2026-11-25"),
        "{detail}"
    );
}

#[test]
fn a_holiday_added_to_the_settings_lifts_teaching_hours() {
    let thanksgiving = |dir: &std::path::Path| {
        let (_, d) = decide(
            gatekeeper()
                .args(["check", "production", "--format", "json", "--downtime"])
                .args([
                    "--start",
                    "2026-11-26T10:00:00-05:00",
                    "--minutes",
                    "60",
                    "--policies",
                ])
                .arg(dir)
                .arg("--facts")
                .arg(fixture("facts/green.json")),
        );
        check(&d, "teaching_hours")["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(thanksgiving(&policies()), "fail");
    let dir = policies_with_settings(&[("holidays := set()", r#"holidays := {"2026-11-26"}"#)]);
    assert_eq!(thanksgiving(dir.path()), "pass");
}

#[test]
fn an_override_names_the_person_given_with_by() {
    let (code, d) = decide(too_busy().args([
        "--format",
        "json",
        "--override",
        "throughput",
        "--reason",
        "bot traffic, INC-88",
        "--by",
        "ada",
    ]));
    assert_exit!(code, 0);
    assert_eq!(check(&d, "throughput")["overridden"]["by"], "ada");
}

#[test]
fn an_override_by_nobody_known_is_refused_naming_by() {
    let out = too_busy()
        .env_remove("USER")
        .env_remove("USERNAME")
        .env_remove("LOGNAME")
        .args([
            "--format",
            "json",
            "--override",
            "throughput",
            "--reason",
            "bot traffic, INC-88",
        ])
        .output()
        .unwrap();
    assert_exit!(out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--by NAME"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("unknown"));
}

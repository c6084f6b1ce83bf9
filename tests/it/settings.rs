//! Slips a release manager could make in `settings.rego`: none may turn a deny into
//! an allow. Each is refused before evaluation (exit 2, naming the key) or, when the
//! edit is valid after all, the decision stays a deny.

use std::path::{Path, PathBuf};

use crate::support::assert_exit;
use crate::support::{edited_policies, failing, fixture, gatekeeper};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn check(policies: &Path, facts: &Path, extra: &[&str]) -> Run {
    let out = gatekeeper()
        .args(["check", "production", "--format", "json", "--policies"])
        .arg(policies)
        .arg("--facts")
        .arg(facts)
        .args(extra)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Exit 2 naming the key, with no decision printed.
fn assert_refused(run: &Run, key: &str, case: &str) {
    assert_exit!(
        run.code,
        2,
        "{case}: expected exit 2\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{case}: no decision may be printed");
    assert!(
        run.stderr.contains(&format!("`{key}")),
        "{case}: the error must name `{key}`:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("settings"),
        "{case}: the error must say it is about the settings:\n{}",
        run.stderr
    );
}

const LIMIT: &str = "throughput_limit_rpm := 15000";
const LEAD: &str = "notice_lead_hours := 72";
const APPROVERS: &str = r#"approvers := ["tim"]"#;
const VETTERS: &str = r#"vetters := ["tim", "jim"]"#;
const DAYS: &str = r#"teaching_days := ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]"#;
const START: &str = r#"teaching_start := "07:00""#;
const END: &str = r#"teaching_end := "21:00""#;
const HOLIDAYS: &str = "holidays := set()";
const FREEZES: &str = "freezes := []";
const OVERRIDABLE: &str = r#"overridable := {"throughput", "teaching_hours", "no_open_incident"}"#;

/// (what the slip is, the edit, the key the refusal must name)
const SLIPS: &[(&str, (&str, &str), &str)] = &[
    (
        "quoted limit",
        (LIMIT, r#"throughput_limit_rpm := "15000""#),
        "throughput_limit_rpm",
    ),
    (
        "limit with a unit",
        (LIMIT, r#"throughput_limit_rpm := "15k""#),
        "throughput_limit_rpm",
    ),
    (
        "limit of zero",
        (LIMIT, "throughput_limit_rpm := 0"),
        "throughput_limit_rpm",
    ),
    (
        "limit of a billion",
        (LIMIT, "throughput_limit_rpm := 1000000000"),
        "throughput_limit_rpm",
    ),
    (
        "limit as a list",
        (LIMIT, "throughput_limit_rpm := [15000]"),
        "throughput_limit_rpm",
    ),
    (
        "quoted lead",
        (LEAD, r#"notice_lead_hours := "72""#),
        "notice_lead_hours",
    ),
    (
        "lead in days",
        (LEAD, r#"notice_lead_hours := "3d""#),
        "notice_lead_hours",
    ),
    (
        "fractional lead",
        (LEAD, "notice_lead_hours := 71.5"),
        "notice_lead_hours",
    ),
    (
        "empty approver",
        (APPROVERS, r#"approvers := [""]"#),
        "approvers[0]",
    ),
    (
        "approver as a string",
        (APPROVERS, r#"approvers := "tim""#),
        "approvers",
    ),
    ("no approvers", (APPROVERS, "approvers := []"), "approvers"),
    (
        "approver with a space",
        (APPROVERS, r#"approvers := ["tim "]"#),
        "approvers[0]",
    ),
    (
        "empty vetter",
        (VETTERS, r#"vetters := ["tim", ""]"#),
        "vetters[1]",
    ),
    (
        "vetter as a number",
        (VETTERS, r#"vetters := ["tim", 7]"#),
        "vetters[1]",
    ),
    (
        "lowercase days",
        (
            DAYS,
            r#"teaching_days := ["monday", "tuesday", "wednesday", "thursday", "friday"]"#,
        ),
        "teaching_days",
    ),
    (
        "abbreviated days",
        (
            DAYS,
            r#"teaching_days := ["Mon", "Tue", "Wed", "Thu", "Fri"]"#,
        ),
        "teaching_days",
    ),
    (
        "days as one string",
        (DAYS, r#"teaching_days := "Monday-Friday""#),
        "teaching_days",
    ),
    (
        "no teaching days",
        (DAYS, "teaching_days := []"),
        "teaching_days",
    ),
    (
        "one-digit hour",
        (START, r#"teaching_start := "7:00""#),
        "teaching_start",
    ),
    (
        "seconds",
        (START, r#"teaching_start := "07:00:00""#),
        "teaching_start",
    ),
    (
        "time as a number",
        (START, "teaching_start := 700"),
        "teaching_start",
    ),
    (
        "12-hour clock",
        (END, r#"teaching_end := "9:00 PM""#),
        "teaching_end",
    ),
    (
        "end before start",
        (END, r#"teaching_end := "06:00""#),
        "teaching_end",
    ),
    (
        "US holiday",
        (HOLIDAYS, r#"holidays := {"11/26/2026"}"#),
        "holidays[0]",
    ),
    (
        "holiday that does not exist",
        (HOLIDAYS, r#"holidays := {"2026-11-31"}"#),
        "holidays[0]",
    ),
    (
        "holidays as a string",
        (HOLIDAYS, r#"holidays := "2026-11-26""#),
        "holidays",
    ),
    (
        "freeze with form",
        (
            FREEZES,
            r#"freezes := [{"form": "2026-11-20", "to": "2026-11-30", "reason": "testing"}]"#,
        ),
        "freezes[0]",
    ),
    (
        "freeze with US dates",
        (
            FREEZES,
            r#"freezes := [{"from": "11/20/2026", "to": "11/30/2026", "reason": "testing"}]"#,
        ),
        "freezes[0].from",
    ),
    (
        "freeze from after to",
        (
            FREEZES,
            r#"freezes := [{"from": "2026-11-30", "to": "2026-11-20", "reason": "testing"}]"#,
        ),
        "freezes[0]",
    ),
    (
        "freeze without a reason",
        (
            FREEZES,
            r#"freezes := [{"from": "2026-11-20", "to": "2026-11-30"}]"#,
        ),
        "freezes[0]",
    ),
    (
        "freeze with an empty reason",
        (
            FREEZES,
            r#"freezes := [{"from": "2026-11-20", "to": "2026-11-30", "reason": ""}]"#,
        ),
        "freezes[0].reason",
    ),
    (
        "freeze not in a list",
        (
            FREEZES,
            r#"freezes := {"from": "2026-11-20", "to": "2026-11-30", "reason": "testing"}"#,
        ),
        "freezes",
    ),
    (
        "freeze as a sentence",
        (FREEZES, r#"freezes := ["2026-11-20 to 2026-11-30"]"#),
        "freezes[0]",
    ),
    (
        "unknown check overridable",
        (OVERRIDABLE, r#"overridable := {"throughput", "thruput"}"#),
        "overridable[1]",
    ),
    (
        "tests overridable",
        (OVERRIDABLE, r#"overridable := {"throughput", "tests"}"#),
        "overridable",
    ),
    (
        "approval overridable",
        (OVERRIDABLE, r#"overridable := {"approval"}"#),
        "overridable[0]",
    ),
    ("missing key", (LEAD, ""), "notice_lead_hours"),
    (
        "extra key",
        (LEAD, "notice_lead_hours := 72\n\nnotice_lead_days := 3"),
        "notice_lead_days",
    ),
    (
        "misspelled key",
        (VETTERS, r#"vetter := ["tim", "jim"]"#),
        "vetter",
    ),
];

/// The deny fixtures: a throughput deny, and a downtime deny (teaching hours, notice).
fn denials() -> [PathBuf; 2] {
    [
        fixture("facts/too-busy.json"),
        fixture("facts/migrations-weekday-no-notice.json"),
    ]
}

#[test]
fn no_slip_in_the_settings_turns_a_deny_into_an_allow() {
    for (case, (from, to), key) in SLIPS {
        let dir = edited_policies("settings.rego", &[(from, to)]);
        for facts in denials() {
            let run = check(dir.path(), &facts, &[]);
            assert_refused(&run, key, &format!("{case} on {}", facts.display()));
        }
    }
}

#[test]
fn every_problem_of_the_settings_is_reported_at_once() {
    let dir = edited_policies(
        "settings.rego",
        &[
            (LIMIT, r#"throughput_limit_rpm := "15000""#),
            (START, r#"teaching_start := "7:00""#),
            (
                FREEZES,
                r#"freezes := [{"form": "2026-11-20", "to": "2026-11-30", "reason": "x"}]"#,
            ),
        ],
    );
    let run = check(dir.path(), &fixture("facts/green.json"), &[]);
    for key in ["throughput_limit_rpm", "teaching_start", "freezes[0]"] {
        assert_refused(&run, key, "three slips");
    }
    assert!(
        run.stderr
            .contains(r#"is "15000", which is not an unquoted number"#),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(r#"is "7:00", which is not a local time "HH:MM""#),
        "{}",
        run.stderr
    );
}

/// Valid edits that mean the same are no slips: the deny stays a deny.
#[test]
fn equivalent_valid_edits_keep_the_deny() {
    let edits = [
        (
            DAYS,
            r#"teaching_days := {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}"#,
        ),
        (LIMIT, "throughput_limit_rpm := 15000.0"),
        (
            OVERRIDABLE,
            r#"overridable := ["throughput", "teaching_hours"]"#,
        ),
    ];
    for edit in edits {
        let dir = edited_policies("settings.rego", &[edit]);
        let run = check(dir.path(), &fixture("facts/too-busy.json"), &[]);
        assert_exit!(run.code, 1, "{edit:?}: {}", run.stderr);
        let d: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(failing(&d), ["throughput"], "{edit:?}");
    }
}

// --- the examples of the issue, each an ALLOW before the settings were validated ---

#[test]
fn quoted_limit_does_not_let_17250_rpm_through() {
    let dir = edited_policies(
        "settings.rego",
        &[(LIMIT, r#"throughput_limit_rpm := "15000""#)],
    );
    let run = check(dir.path(), &fixture("facts/too-busy.json"), &[]);
    assert_refused(&run, "throughput_limit_rpm", "quoted limit at 17250 rpm");
}

/// The vetted Saturday fixture moved to Tuesday 2026-12-01 14:00-15:00 EST, with its
/// notice announcing exactly that window: only teaching hours stand in the way.
fn tuesday_afternoon_downtime(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture("facts/migrations-saturday-vetted.json")).unwrap();
    let mut facts: serde_json::Value = serde_json::from_str(&text).unwrap();
    let notice = &mut facts["notices"][0];
    notice["start"] = "2026-12-01T19:00:00Z".into();
    notice["start_unix"] = 1_796_151_600.into();
    notice["start_local"] = "2026-12-01T14:00:00-05:00".into();
    notice["minutes"] = 60.into();
    notice["end_unix"] = 1_796_155_200.into();
    let path = dir.join("tuesday.json");
    std::fs::write(&path, facts.to_string()).unwrap();
    path
}

const TUESDAY: [&str; 4] = ["--start", "2026-12-01T14:00:00-05:00", "--minutes", "60"];

#[test]
fn tuesday_afternoon_downtime_fails_only_teaching_hours_with_the_shipped_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let facts = tuesday_afternoon_downtime(tmp.path());
    let dir = edited_policies("settings.rego", &[]);
    let run = check(dir.path(), &facts, &TUESDAY);
    assert_exit!(run.code, 1, "{}", run.stderr);
    let d: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(d["downtime"], true);
    assert_eq!(failing(&d), ["teaching_hours"]);
}

#[test]
fn teaching_hours_slips_do_not_let_a_tuesday_afternoon_downtime_through() {
    let tmp = tempfile::tempdir().unwrap();
    let facts = tuesday_afternoon_downtime(tmp.path());
    let slips = [
        (START, r#"teaching_start := "7:00""#, "teaching_start"),
        (
            DAYS,
            r#"teaching_days := ["monday", "tuesday", "wednesday", "thursday", "friday"]"#,
            "teaching_days",
        ),
        (
            DAYS,
            r#"teaching_days := ["Mon", "Tue", "Wed", "Thu", "Fri"]"#,
            "teaching_days",
        ),
    ];
    for (from, to, key) in slips {
        let dir = edited_policies("settings.rego", &[(from, to)]);
        let run = check(dir.path(), &facts, &TUESDAY);
        assert_refused(&run, key, to);
    }
}

#[test]
fn freeze_slips_do_not_let_a_deploy_in_the_freeze_through() {
    let green = fixture("facts/green.json");
    // The window is Tuesday 2026-11-24; a valid freeze over it denies.
    let valid = r#"freezes := [{"from": "2026-11-20", "to": "2026-11-30", "reason": "testing"}]"#;
    let dir = edited_policies("settings.rego", &[(FREEZES, valid)]);
    let run = check(dir.path(), &green, &[]);
    assert_exit!(run.code, 1, "{}", run.stderr);
    let d: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(failing(&d), ["freeze"]);

    let slips = [
        (
            r#"freezes := [{"form": "2026-11-20", "to": "2026-11-30", "reason": "testing"}]"#,
            "freezes[0]",
        ),
        (
            r#"freezes := [{"from": "11/20/2026", "to": "11/30/2026", "reason": "testing"}]"#,
            "freezes[0].from",
        ),
    ];
    for (to, key) in slips {
        let dir = edited_policies("settings.rego", &[(FREEZES, to)]);
        assert_refused(&check(dir.path(), &green, &[]), key, to);
    }
}

// --- the same refusal everywhere the settings are read ---

#[test]
fn policy_check_reports_the_same_problems() {
    let dir = edited_policies(
        "settings.rego",
        &[
            (LIMIT, r#"throughput_limit_rpm := "15000""#),
            (
                DAYS,
                r#"teaching_days := ["Mon", "Tue", "Wed", "Thu", "Fri"]"#,
            ),
        ],
    );
    let out = gatekeeper()
        .args(["policy", "check", "--policies"])
        .arg(dir.path())
        .arg(fixture("facts/green.json"))
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 1);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("error   "), "{stdout}");
    assert!(
        stdout.contains(r#"`throughput_limit_rpm` is "15000""#),
        "{stdout}"
    );
    assert!(stdout.contains("`teaching_days` is [\"Mon\""), "{stdout}");
    assert!(
        !stdout.contains("ok      "),
        "nothing is evaluated: {stdout}"
    );
}

#[test]
fn window_and_policy_test_refuse_settings_with_a_slip() {
    let dir = edited_policies("settings.rego", &[(START, r#"teaching_start := "7:00""#)]);
    let out = gatekeeper()
        .args(["window", "production", "--downtime", "--facts"])
        .arg(fixture("facts/green.json"))
        .arg("--policies")
        .arg(dir.path())
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("`teaching_start`"));

    let out = gatekeeper()
        .args(["policy", "test"])
        .arg(dir.path())
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("`teaching_start`"));
}

/// Builtins are strict: a type error is no decision, not an undefined that drops a
/// failure reason and lets the check pass.
#[test]
fn a_builtin_given_the_wrong_type_is_undecided() {
    let dir = edited_policies(
        "throughput.rego",
        &[(
            "throughput_failures contains msg if {\n\tnot input.throughput\n",
            "throughput_failures contains \"busier than the old limit\" if {\n\tinput.throughput.rpm >= to_number(\"15,000\")\n}\n\nthroughput_failures contains msg if {\n\tnot input.throughput\n",
        )],
    );
    let run = check(dir.path(), &fixture("facts/green.json"), &[]);
    assert_exit!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("to_number"), "{}", run.stderr);
}

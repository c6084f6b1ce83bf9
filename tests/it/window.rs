//! `gatekeeper window` on recorded facts at known instants, across DST changes.

use serde_json::Value;

use crate::support::{ExitAssert, assert_exit};
use crate::support::{fixture, gatekeeper};

fn facts(name: &str) -> String {
    fixture(&format!("facts/{name}.json")).display().to_string()
}

/// Runs `window --format json` and returns the plan.
fn plan(args: &[&str]) -> Value {
    let out = gatekeeper()
        .arg("window")
        .arg("production")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    crate::support::assert_exit!(out, 0);
    serde_json::from_str(&stdout).unwrap()
}

fn text(args: &[&str]) -> String {
    let out = gatekeeper()
        .arg("window")
        .arg("production")
        .args(args)
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    String::from_utf8(out.stdout).unwrap()
}

fn span(plan: &Value, list: &str, i: usize) -> (String, String, Option<String>) {
    let s = &plan[list][i];
    (
        s["first"].as_str().unwrap().to_owned(),
        s["last"].as_str().unwrap().to_owned(),
        s["basis"].as_str().map(str::to_owned),
    )
}

#[test]
fn tuesday_afternoon_downtime_is_outside_teaching_at_21_and_needs_a_notice_until_friday() {
    let p = plan(&[
        "--facts",
        &facts("migrations-weekday-no-notice"),
        "--at",
        "2026-11-24T14:00:00-05:00",
        "--minutes",
        "60",
        "--downtime",
    ]);
    assert_eq!(p["downtime"], true);
    assert_eq!(p["from"], "2026-11-24T19:00:00Z");
    // 21:00 EST that evening; the last start that ends by 07:00 is 06:00.
    let first = span(&p, "outside_teaching", 0);
    assert_eq!(
        (first.0.as_str(), first.1.as_str()),
        ("2026-11-25T02:00:00Z", "2026-11-25T11:00:00Z")
    );
    // 72 h after Tuesday 14:00 is Friday 14:00, inside teaching hours: Friday 21:00.
    let (start, last, basis) = span(&p, "notice_allowed", 0);
    assert_eq!(start, "2026-11-28T02:00:00Z");
    // Through the weekend until Monday 06:00 EST.
    assert_eq!(last, "2026-11-30T11:00:00Z");
    assert!(basis.unwrap().contains("notice sent now"));
}

#[test]
fn the_table_shows_local_times_with_zone_and_offset_and_utc() {
    let out = text(&[
        "--facts",
        &facts("migrations-weekday-no-notice"),
        "--at",
        "2026-11-24T14:00:00-05:00",
        "--minutes",
        "60",
    ]);
    assert!(out.contains("Tue 2026-11-24 21:00 EST (-05:00)"), "{out}");
    assert!(out.contains("2026-11-25 02:00Z"), "{out}");
    assert!(out.contains("Fri 2026-11-27 21:00 EST (-05:00)"), "{out}");
}

#[test]
fn a_vetted_notice_opens_exactly_its_announced_window() {
    // Notice #7 announces Saturday 02:00 EST for 120 minutes: a 60-minute deploy may
    // start from 02:00 to 03:00.
    let p = plan(&[
        "--facts",
        &facts("migrations-saturday-vetted"),
        "--at",
        "2026-11-24T14:00:00-05:00",
        "--minutes",
        "60",
    ]);
    let spans = p["notice_allowed"].as_array().unwrap();
    let seven = spans
        .iter()
        .find(|s| s["basis"].as_str().unwrap_or("").contains("notice #7"))
        .unwrap_or_else(|| panic!("no window from notice #7 in {p}"));
    assert_eq!(seven["first"], "2026-11-28T07:00:00Z");
    assert_eq!(seven["last"], "2026-11-28T08:00:00Z");
}

#[test]
fn a_window_as_long_as_the_notice_has_one_start() {
    let p = plan(&[
        "--facts",
        &facts("migrations-saturday-vetted"),
        "--at",
        "2026-11-24T14:00:00-05:00",
        "--minutes",
        "120",
    ]);
    let seven = p["notice_allowed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["basis"].as_str().unwrap_or("").contains("notice #7"))
        .unwrap_or_else(|| panic!("no window from notice #7 in {p}"))
        .clone();
    assert_eq!(seven["first"], "2026-11-28T07:00:00Z");
    assert_eq!(seven["last"], "2026-11-28T07:00:00Z");
}

#[test]
fn spring_forward_weekend_runs_from_friday_est_to_monday_edt() {
    // 2027-03-14 02:00 EST becomes 03:00 EDT.
    let args = [
        "--facts",
        &facts("migrations-weekday-no-notice"),
        "--at",
        "2027-03-12T14:00:00-05:00",
        "--minutes",
        "60",
        "--downtime",
    ];
    let p = plan(&args);
    let (first, last, _) = span(&p, "outside_teaching", 0);
    assert_eq!(first, "2027-03-13T02:00:00Z", "Friday 21:00 EST");
    assert_eq!(last, "2027-03-15T10:00:00Z", "Monday 06:00 EDT");
    // 72 h later is Monday 15:00 EDT (19:00Z): real hours, so Monday 21:00 EDT.
    let (notice_first, _, _) = span(&p, "notice_allowed", 0);
    assert_eq!(notice_first, "2027-03-16T01:00:00Z");
    let out = text(&args);
    assert!(out.contains("Fri 2027-03-12 21:00 EST (-05:00)"), "{out}");
    assert!(out.contains("Mon 2027-03-15 06:00 EDT (-04:00)"), "{out}");
    assert!(out.contains("2027-03-15 10:00Z"), "{out}");
    assert!(out.contains("Mon 2027-03-15 21:00 EDT (-04:00)"), "{out}");
}

#[test]
fn fall_back_weekend_runs_from_friday_edt_to_monday_est() {
    // 2026-11-01 02:00 EDT becomes 01:00 EST.
    let args = [
        "--facts",
        &facts("migrations-weekday-no-notice"),
        "--at",
        "2026-10-30T14:00:00-04:00",
        "--minutes",
        "60",
        "--downtime",
    ];
    let p = plan(&args);
    let (first, last, _) = span(&p, "outside_teaching", 0);
    assert_eq!(first, "2026-10-31T01:00:00Z", "Friday 21:00 EDT");
    assert_eq!(last, "2026-11-02T11:00:00Z", "Monday 06:00 EST");
    let out = text(&args);
    assert!(out.contains("Fri 2026-10-30 21:00 EDT (-04:00)"), "{out}");
    assert!(out.contains("2026-10-31 01:00Z"), "{out}");
    assert!(out.contains("Mon 2026-11-02 06:00 EST (-05:00)"), "{out}");
}

#[test]
fn failing_checks_that_do_not_depend_on_time_are_ignored() {
    // Throughput fails in these facts; it says nothing about when to deploy.
    let p = plan(&[
        "--facts",
        &facts("too-busy"),
        "--at",
        "2026-11-24T14:00:00-05:00",
        "--downtime",
    ]);
    let (first, _, _) = span(&p, "outside_teaching", 0);
    assert_eq!(first, "2026-11-25T02:00:00Z");
}

#[test]
fn a_zero_downtime_deploy_may_start_now() {
    let p = plan(&[
        "--facts",
        &facts("green"),
        "--at",
        "2026-11-24T14:00:00-05:00",
    ]);
    assert_eq!(p["downtime"], false);
    let s = &p["outside_teaching"][0];
    assert_eq!(s["first"], "2026-11-24T19:00:00Z");
    assert_eq!(s["open_end"], true);
    assert_eq!(p["notice_allowed"][0]["basis"], "no notice needed");
}

#[test]
fn a_freeze_in_the_policies_closes_its_days() {
    let dir = crate::support::edited_policies(
        "settings.rego",
        &[(
            "freezes := []",
            r#"freezes := [{"from": "2026-11-24", "to": "2026-11-27", "reason": "Thanksgiving"}]"#,
        )],
    );
    let policies = dir.path().display().to_string();
    let p = plan(&[
        "--facts",
        &facts("migrations-weekday-no-notice"),
        "--at",
        "2026-11-24T14:00:00-05:00",
        "--downtime",
        "--policies",
        &policies,
    ]);
    // The first start whose window lies wholly after the freeze's last local date.
    let (first, _, _) = span(&p, "outside_teaching", 0);
    assert_eq!(first, "2026-11-28T05:00:00Z", "Saturday 00:00 EST");
}

#[test]
fn junit_is_refused_for_windows() {
    gatekeeper()
        .args([
            "window",
            "production",
            "--facts",
            &facts("green"),
            "--format",
            "junit",
        ])
        .assert()
        .exits(2);
}

/// The windows are judged on what could be read: a source that failed is said on
/// stderr, or "needs a notice" would read as "there is none".
#[test]
fn window_says_which_source_could_not_be_read() {
    let out = gatekeeper()
        .args(["window", "production", "--downtime", "--facts"])
        .arg(facts("source-down"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 0);
    assert!(
        stderr.contains("gatekeeper: warning: newrelic could not be read"),
        "{stderr}"
    );
    assert!(stderr.contains("judged without it"), "{stderr}");
}

/// A policy edit that calls every deploy zero-downtime cannot make `window` plan a
/// downtime deploy as if teaching hours did not apply: exit 2, as `check`.
#[test]
fn window_holds_the_policies_downtime_verdict_to_the_facts() {
    let dir = crate::support::edited_policies(
        "gatekeeper.rego",
        &[("default downtime := true", "default downtime := false")],
    );
    let out = gatekeeper()
        .args([
            "window",
            "production",
            "--config",
            "/nonexistent.toml",
            "--facts",
        ])
        .arg(facts("migrations-weekday-no-notice"))
        .arg("--policies")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 2);
    assert!(stderr.contains("has pending migrations"), "{stderr}");
}

/// Notices that could not be read: the empty notice list names that cause first,
/// and the same failure met at several URLs is one warning line.
#[test]
fn unreadable_notices_are_named_as_the_cause_and_each_failure_warned_once() {
    let mut facts: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(crate::support::fixture(
            "facts/migrations-weekday-no-notice.json",
        ))
        .unwrap(),
    )
    .unwrap();
    facts["notices"] = serde_json::Value::Null;
    facts["errors"] = serde_json::json!([
        {"source": "notices", "message": "POST https://api.github.com/graphql answered 502 Bad Gateway, also on the retry"},
        {"source": "jenkins", "message": "GET https://j.example/job/a/api/json: dns error", "repo": "thinkthroughmath/apangea"},
        {"source": "jenkins", "message": "GET https://j.example/job/b/api/json: dns error", "repo": "thinkthroughmath/lesson-content"}
    ]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("facts.json");
    std::fs::write(&file, facts.to_string()).unwrap();
    let out = crate::support::gatekeeper()
        .args([
            "window",
            "production",
            "--downtime",
            "--days",
            "2",
            "--facts",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert_exit!(out, 0);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stdout.contains("none known: the downtime notices could not be read"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("none in the search: try --days"),
        "{stdout}"
    );
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(
        stderr.contains(
            "jenkins (thinkthroughmath/apangea, thinkthroughmath/lesson-content) could not be read"
        ),
        "{stderr}"
    );
}

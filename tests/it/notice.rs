//! `gatekeeper notice`: the drafted e-mail and issue, the 72 h refusal, and `--create`
//! against a local GitHub stand-in.

use std::path::Path;

use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::assert_exit;
use crate::support::{gatekeeper_in, policies};

const TOKEN: &str = "ghp_test_token_4f9a2c";

fn config(dir: &Path, github_url: &str) {
    let text = format!(
        r#"timezone = "America/New_York"

[github]
url = "{github_url}"
token_env = "GK_NOTICE_TOKEN"

[targets.production]
app = "apangea"
deploy_repo = "thinkthroughmath/aws-production"
deploy_remote = "aws-production"
notices_repo = "thinkthroughmath/deploy-notices"
notice_to = "field-team@imaginelearning.com"
notice_cc = ["tier2@imaginelearning.com"]

[[targets.production.repos]]
github = "thinkthroughmath/apangea"
jenkins_job = "apangea-rc"
"#
    );
    std::fs::write(dir.join("gatekeeper.toml"), text).unwrap();
}

#[test]
fn a_config_without_notice_to_has_no_recipient_and_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "https://api.github.com");
    let file = dir.path().join("gatekeeper.toml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("notice_to = \"field-team@imaginelearning.com\"\n", "")
        .replace("notice_cc = [\"tier2@imaginelearning.com\"]\n", "");
    std::fs::write(&file, text).unwrap();
    let (code, stdout, stderr) = output(&mut notice(dir.path(), "2026-11-28T02:00:00-05:00"));
    assert_exit!(code, 2, "{stdout}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("targets.production.notice_to is not set"),
        "{stderr}"
    );
    assert!(stderr.contains("notice_to = \"ADDRESS\""), "{stderr}");
    assert!(!stderr.contains("imaginelearning"), "{stderr}");
}

fn notice(dir: &Path, start: &str) -> assert_cmd::Command {
    notice_with(dir, start, &policies())
}

fn notice_with(dir: &Path, start: &str, policy_dir: &Path) -> assert_cmd::Command {
    notice_for(dir, start, "120", policy_dir)
}

fn notice_for(dir: &Path, start: &str, minutes: &str, policy_dir: &Path) -> assert_cmd::Command {
    let mut cmd = gatekeeper_in(dir);
    cmd.env_remove("GK_NOTICE_TOKEN")
        .args([
            "notice",
            "production",
            "--start",
            start,
            "--minutes",
            minutes,
        ])
        .args(["--nature", "database migrations for the new gradebook"])
        .args([
            "--affected",
            "all users",
            "--experience",
            "maintenance page",
        ])
        .args(["--at", "2026-11-24T14:00:00-05:00"])
        .arg("--policies")
        .arg(policy_dir);
    cmd
}

fn output(cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const BODY: &str = "Target: production\nStart: 2026-11-28T02:00:00-05:00\nLength: 120 minutes\n\
Nature: database migrations for the new gradebook\nAffected: all users\nExperience: maintenance page\n\n\
To vet this notice, a vetter (tim, jim) comments with a line /proceed on its own to let the deploy go ahead, \
or a line /reschedule on its own to withdraw it.\n";

#[test]
fn draft_of_a_saturday_notice() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "https://api.github.com");
    let (code, stdout, stderr) = output(&mut notice(dir.path(), "2026-11-28T02:00:00-05:00"));
    assert_exit!(code, 0, "{stderr}");
    assert!(stdout.contains(BODY), "{stdout}");
    assert!(stdout.contains("To: field-team@imaginelearning.com\nCc: tier2@imaginelearning.com\n"));
    assert!(stdout.contains("meets the 72 h notice deadline, Wednesday 2026-11-25 02:00 EST"));
    insta::assert_snapshot!("notice_draft", stdout);
}

#[test]
fn start_given_in_utc_is_announced_in_the_configured_zone() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "https://api.github.com");
    let (code, stdout, _) = output(&mut notice(dir.path(), "2026-11-28T07:00:00Z"));
    assert_exit!(code, 0);
    assert!(
        stdout.contains("Start: 2026-11-28T02:00:00-05:00\n"),
        "{stdout}"
    );
    assert!(stdout.contains("Saturday 2026-11-28 02:00 EST (2026-11-28 07:00 UTC)"));
}

#[test]
fn a_start_less_than_72_hours_away_is_refused_with_the_earliest_allowed_start() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "https://api.github.com");
    let (code, stdout, stderr) = output(&mut notice(dir.path(), "2026-11-27T02:00:00-05:00"));
    assert_exit!(code, 2);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("earliest start a notice sent now allows is Friday 2026-11-27 14:00 EST (2026-11-27 19:00 UTC)"),
        "{stderr}"
    );
    assert!(stderr.contains("--force"), "{stderr}");
}

#[test]
fn force_drafts_it_and_says_it_misses_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "https://api.github.com");
    let (code, stdout, _) = output(notice(dir.path(), "2026-11-27T02:00:00-05:00").arg("--force"));
    assert_exit!(code, 0);
    assert!(
        stdout.contains("MISSES the 72 h notice deadline"),
        "{stdout}"
    );
}

#[test]
fn the_lead_comes_from_the_policy_settings() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "https://api.github.com");
    let pol = crate::support::edited_policies(
        "settings.rego",
        &[("notice_lead_hours := 72", "notice_lead_hours := 24")],
    );
    let (code, stdout, stderr) = output(&mut notice_with(
        dir.path(),
        "2026-11-26T02:00:00-05:00",
        pol.path(),
    ));
    assert_exit!(code, 0, "{stderr}");
    assert!(
        stdout.contains("meets the 24 h notice deadline"),
        "{stdout}"
    );
}

#[test]
fn a_window_in_teaching_hours_is_refused_with_the_reason_and_the_next_allowed_starts() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "https://api.github.com");
    // A Tuesday afternoon, two weeks ahead: the lead is met, teaching hours are not.
    let (code, stdout, stderr) = output(&mut notice_for(
        dir.path(),
        "2026-12-08T14:00:00-05:00",
        "90",
        &policies(),
    ));
    assert_exit!(code, 1, "{stdout}{stderr}");
    assert!(stdout.starts_with("REFUSED: the gate would deny a 90-minute downtime deploy of production from Tuesday 2026-12-08 14:00 EST"), "{stdout}");
    assert!(
        stdout.contains("teaching_hours: the window on Tuesday 2026-12-08, 14:00 to 15:30 EST, overlaps live teaching hours"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("freeze:") && !stdout.contains("downtime_notice:"),
        "{stdout}"
    );
    // 72 h after Tuesday 14:00 is Friday 14:00: the first allowed start is Friday 21:00,
    // the last of that run Monday 05:30 (90 minutes end at 07:00).
    assert!(
        stdout.contains(
            "from Fri 2026-11-27 21:00 EST (-05:00) to Mon 2026-11-30 05:30 EST (-05:00)\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("--force"), "{stdout}");
    assert!(!stdout.contains("Subject:"), "no draft: {stdout}");
}

#[test]
fn a_window_in_a_freeze_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "https://api.github.com");
    let pol = crate::support::edited_policies(
        "settings.rego",
        &[(
            "freezes := []",
            r#"freezes := [{"from": "2026-11-28", "to": "2026-11-29", "reason": "state testing"}]"#,
        )],
    );
    let (code, stdout, stderr) = output(&mut notice_with(
        dir.path(),
        "2026-11-28T02:00:00-05:00",
        pol.path(),
    ));
    assert_exit!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "freeze: the window falls in the freeze \"state testing\" (2026-11-28 to 2026-11-29)"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("teaching_hours:"), "{stdout}");
    // Monday is a teaching day: the first start after the freeze is Monday 21:00.
    assert!(
        stdout.contains("from Mon 2026-11-30 21:00 EST (-05:00)"),
        "{stdout}"
    );
    assert!(!stdout.contains("Subject:"), "no draft: {stdout}");
}

#[test]
fn force_drafts_a_window_the_gate_would_deny_and_says_so_in_the_draft() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "https://api.github.com");
    let (code, stdout, stderr) = output(
        notice_for(dir.path(), "2026-12-08T14:00:00-05:00", "90", &policies()).arg("--force"),
    );
    assert_exit!(code, 0, "{stderr}");
    let warning = "WARNING, drafted with --force: on the day the gate will deny this window";
    // Once in the e-mail, once in the issue.
    assert_eq!(stdout.matches(warning).count(), 2, "{stdout}");
    assert_eq!(
        stdout
            .matches("- teaching_hours: the window on Tuesday 2026-12-08")
            .count(),
        2,
        "{stdout}"
    );
    assert!(
        stdout.contains("Start: 2026-12-08T14:00:00-05:00\n"),
        "{stdout}"
    );
}

#[test]
fn an_allowed_window_is_drafted_without_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "https://api.github.com");
    let (code, stdout, stderr) = output(&mut notice_for(
        dir.path(),
        "2026-12-08T21:00:00-05:00",
        "90",
        &policies(),
    ));
    assert_exit!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Start: 2026-12-08T21:00:00-05:00\n"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("WARNING") && !stdout.contains("REFUSED"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_opens_the_labelled_issue_with_the_token_and_never_prints_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/thinkthroughmath/deploy-notices/issues"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "id": 1, "number": 12, "state": "open",
            "html_url": "https://github.com/thinkthroughmath/deploy-notices/issues/12",
            "title": "Downtime", "labels": [{"name": "downtime-notice"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), &server.uri());
    let mut cmd = notice(dir.path(), "2026-11-28T02:00:00-05:00");
    cmd.env("GK_NOTICE_TOKEN", TOKEN).arg("--create");
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .unwrap();
    assert_exit!(code, 0, "{stderr}");
    assert!(stdout.contains(
        "Opened notice #12: https://github.com/thinkthroughmath/deploy-notices/issues/12"
    ));
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["labels"], serde_json::json!(["downtime-notice"]));
    assert_eq!(body["body"], BODY);
    assert_eq!(
        body["title"],
        "Downtime: production, Saturday 2026-11-28 02:00 EST, 120 minutes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_failure_exits_1_with_the_reason_and_no_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "message": "Bad credentials",
            "documentation_url": "https://docs.github.com/rest"
        })))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), &server.uri());
    let mut cmd = notice(dir.path(), "2026-11-28T02:00:00-05:00");
    cmd.env("GK_NOTICE_TOKEN", TOKEN).arg("--create");
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .unwrap();
    assert_exit!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("Bad credentials"), "{stderr}");
    assert!(
        stderr.contains("thinkthroughmath/deploy-notices"),
        "{stderr}"
    );
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
}

#[test]
fn create_without_the_token_variable_names_it_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "http://127.0.0.1:9");
    let (code, _, stderr) = output(notice(dir.path(), "2026-11-28T02:00:00-05:00").arg("--create"));
    assert_exit!(code, 2);
    assert!(stderr.contains("GK_NOTICE_TOKEN"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_is_not_retried_so_a_notice_is_never_opened_twice() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(502)
                .set_body_string("<html><title>502 Bad Gateway</title></html>"),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), &server.uri());
    let mut cmd = notice(dir.path(), "2026-11-28T02:00:00-05:00");
    cmd.env("GK_NOTICE_TOKEN", TOKEN).arg("--create");
    let (code, _, stderr) = tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .unwrap();
    assert_exit!(code, 1, "{stderr}");
    assert!(stderr.contains("502"), "{stderr}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[test]
fn html_writes_the_calendar_with_the_announced_window_highlighted() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "https://api.github.com");
    let page = dir.path().join("calendar.html");
    let (code, _, stderr) = output(
        notice(dir.path(), "2026-11-28T02:00:00-05:00")
            .arg("--html")
            .arg(&page),
    );
    assert_exit!(code, 0, "{stderr}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("id=\"announced\""), "{html}");
    // 120 minutes from Saturday 02:00 EST (07:00Z): the 02:00 and 03:00 cells.
    let announced: Vec<&str> = html
        .split("data-announced=\"yes\"")
        .skip(1)
        .map(|rest| {
            let start = rest.split("data-start=\"").nth(1).unwrap();
            &start[..20]
        })
        .collect();
    assert_eq!(announced, ["2026-11-28T07:00:00Z", "2026-11-28T08:00:00Z"]);
    // The announced hours are allowed starts.
    assert!(html.contains(
        "ann\" data-announced=\"yes\" data-state=\"allowed\" data-start=\"2026-11-28T07:00:00Z\""
    ));
}

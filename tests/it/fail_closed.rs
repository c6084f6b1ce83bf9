//! The runbook's fail-open leftovers, closed: a target without smoke URLs is never
//! deployed or rolled back (and verify never passes on nothing), a URL that
//! redirects, fails or is slow fails verify with the reason, a runbook that could
//! change production before recording it is refused, and every run that took the
//! lock leaves a record and no lock, whichever way it ends.

use std::path::Path;

use wiremock::ResponseTemplate;

use crate::support::assert_exit;
use crate::support::git::{git, ttmscalr_runs};
use crate::support::release::record_deploy;
use crate::support::world::{World, audit_records, last_of, run};

/// The refs under `refs/gatekeeper/` on the deploy remote (the lock).
fn locks(deploy_remote: &Path) -> String {
    git(deploy_remote, &["for-each-ref", "refs/gatekeeper/"])
}

fn without_smoke_urls(config: &Path, replacement: &str) {
    let text = std::fs::read_to_string(config).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("smoke_urls"))
        .unwrap()
        .to_owned();
    std::fs::write(config, text.replace(&line, replacement)).unwrap();
}

#[test]
fn without_smoke_urls_deploy_and_rollback_are_refused_before_the_lock() {
    for replacement in ["", "smoke_urls = []"] {
        let w = World::offline();
        let release = &w.release;
        let log = &w.ttmscalr_log;
        without_smoke_urls(&w.config, replacement);
        let old = release.production_sha.clone();
        for args in [
            &["deploy", "production", "--yes"][..],
            &["deploy", "production", "--dry-run"][..],
            &["rollback", "production", "--to", &old, "--yes"][..],
            &["rollback", "production", "--to", &old, "--dry-run"][..],
        ] {
            let (code, stdout, stderr) = w.run(args);
            assert_exit!(
                code,
                2,
                "{args:?} with {replacement:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
            );
            assert!(
                stderr.contains("targets.production.smoke_urls is missing or empty")
                    && stderr.contains("smoke_urls = [\"https://"),
                "{args:?}: {stderr}"
            );
        }
        // Refused before the lock and before anything else: no run record, no
        // lock, nothing run, production where it was.
        let records = audit_records(&release.work.join(".gatekeeper/audit.jsonl"));
        assert!(
            !records
                .iter()
                .any(|r| r["kind"] == "deploy" || r["kind"] == "rollback"),
            "{records:#?}"
        );
        assert_eq!(locks(&release.deploy_remote), "");
        assert!(ttmscalr_runs(log).is_empty());
        assert_eq!(release.deploy_head(), old);
    }
}

#[tokio::test]
async fn verify_fails_on_a_redirect_an_error_status_a_slow_answer_and_says_why() {
    let s = World::with_config(false, |text| {
        let uri = text
            .lines()
            .find_map(|l| l.strip_prefix("smoke_urls = [\""))
            .and_then(|rest| rest.strip_suffix("/up\"]"))
            .unwrap()
            .to_owned();
        *text = text
            .replace(
                &format!("smoke_urls = [\"{uri}/up\"]"),
                &format!(
                    "smoke_urls = [\"{uri}/up\", \"{uri}/moved\", \"{uri}/broken\", \"{uri}/slow\"]"
                ),
            )
            .replace("timeout_seconds = 5", "timeout_seconds = 1");
    })
    .await;
    // The redirect lands on a page that answers 200 (a maintenance page, say):
    // followed, it would pass. It starts after the preflight asked (which refuses
    // a redirect before anything changes: see the next test).
    s.services
        .mount(
            wiremock::Mock::given(wiremock::matchers::path("/moved"))
                .respond_with(ResponseTemplate::new(200))
                .up_to_n_times(1),
        )
        .await;
    s.services
        .answer(
            "/moved",
            ResponseTemplate::new(302).insert_header("location", "/maintenance"),
        )
        .await;
    s.services
        .answer("/maintenance", ResponseTemplate::new(200))
        .await;
    s.services
        .answer("/broken", ResponseTemplate::new(503))
        .await;
    s.services
        .answer(
            "/slow",
            ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(3)),
        )
        .await;
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("FAILED at step \"verify\""), "{stdout}");
    let deploy = last_of(&s.audit(), "deploy").clone();
    assert_eq!(deploy["outcome"], "failed");
    assert_eq!(deploy["step"], "verify");
    let message = deploy["message"].as_str().unwrap();
    assert!(
        message.contains("/moved answered HTTP 302 (a redirect to /maintenance), not 200"),
        "{message}"
    );
    assert!(
        message.contains("/broken answered HTTP 503, not 200"),
        "{message}"
    );
    assert!(
        message.contains("/slow did not answer") && message.contains("within 1 s"),
        "{message}"
    );
    assert!(
        !message.contains("/up "),
        "the good URL is no reason: {message}"
    );
}

/// A smoke URL that redirects is the config's mistake: the preflight (and the dry
/// run) say so, with where it leads, before anything changes, instead of verify
/// failing after production moved.
#[tokio::test]
async fn a_redirecting_smoke_url_stops_the_deploy_before_anything_changes() {
    let s = World::with_config(false, |text| {
        *text = text.replace("/up\"]", "/old-up\"]");
    })
    .await;
    s.services
        .answer(
            "/old-up",
            ResponseTemplate::new(301).insert_header("location", "https://www.example.com/up"),
        )
        .await;
    let master = s.release.apangea.origin_head("master");
    for (args, exit) in [
        (&["deploy", "production", "--dry-run"][..], 1),
        (&["deploy", "production", "--yes"], 1),
    ] {
        let (code, stdout, stderr) = run(&mut s.gatekeeper(args));
        let shown = format!("{stdout}{stderr}");
        assert_exit!(code, exit, "{args:?}: {shown}");
        assert!(
            shown.contains("/old-up answered HTTP 301 (a redirect to https://www.example.com/up)"),
            "{args:?}: {shown}"
        );
        assert!(s.ttmscalr().is_empty(), "{args:?}: nothing ran");
    }
    assert_eq!(
        s.release.apangea.origin_head("master"),
        master,
        "nothing pushed"
    );
}

/// Sets a case up in the release and its audit log; gives the command's arguments.
type Arrange = dyn Fn(&crate::support::git::Release, &Path) -> Vec<String>;

/// The last rollback or deploy record ended the run as `aborted`, saying `why`,
/// and the lock it took is gone.
fn assert_aborted_and_unlocked(audit: &Path, deploy_remote: &Path, kind: &str, why: &str) {
    // Read like gatekeeper does: a line that is not a record is skipped.
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&std::fs::read(audit).unwrap())
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let last = last_of(&records, kind);
    assert_eq!(last["outcome"], "aborted", "{records:#?}");
    let message = last["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("nothing was run: ") && message.contains(why),
        "{message}"
    );
    assert!(
        last["run"].as_str().is_some_and(|r| !r.is_empty()),
        "{last}"
    );
    // The build that wrote it, as `--version` says it (with `-dirty` when it was).
    let version = crate::support::gatekeeper()
        .arg("--version")
        .output()
        .unwrap()
        .stdout;
    let version = String::from_utf8(version).unwrap();
    assert_eq!(
        Some(version.trim_end().trim_start_matches("gatekeeper ")),
        last["gatekeeper"].as_str(),
        "{last}"
    );
    assert_eq!(locks(deploy_remote), "", "the lock is released");
}

#[test]
fn a_rollback_that_cannot_resolve_its_sha_after_the_lock_leaves_a_record_and_no_lock() {
    // Resolved after the lock (so that no other run changes the history meanwhile),
    // each of these exits 2 with nothing run.
    let absent = "0123456789abcdef0123456789abcdef01234567";
    let cases: [(&str, &Arrange); 5] = [
        ("cannot read the audit log", &|release, audit| {
            // A log that is no text: the history cannot be read (the record of
            // why is appended all the same).
            std::fs::create_dir_all(audit.parent().unwrap()).unwrap();
            std::fs::write(audit, b"\xff\xfe not utf-8\n").unwrap();
            let old = release.production_sha.clone();
            vec![
                "rollback".into(),
                "production".into(),
                "--to".into(),
                old,
                "--yes".into(),
            ]
        }),
        ("no deploy of production is recorded", &|_, _| {
            vec!["rollback".into(), "production".into(), "--yes".into()]
        }),
        ("say why with --reason", &|release, _| {
            // No history anywhere: a SHA on a person's word needs a reason.
            let old = release.production_sha.clone();
            vec![
                "rollback".into(),
                "production".into(),
                "--to".into(),
                old,
                "--yes".into(),
            ]
        }),
        ("not a SHA production ran", &|release, audit| {
            let old = release.production_sha.clone();
            record_deploy(audit, &old, &old);
            // The release head: never production's.
            let rc = release.apangea.origin_head("rc");
            vec![
                "rollback".into(),
                "production".into(),
                "--to".into(),
                rc,
                "--yes".into(),
            ]
        }),
        (absent, &|release, audit| {
            // Production ran it by the log, but the app's clone lacks it.
            record_deploy(audit, absent, &release.production_sha);
            vec![
                "rollback".into(),
                "production".into(),
                "--to".into(),
                absent.into(),
                "--yes".into(),
            ]
        }),
    ];
    for (why, arrange) in cases {
        let w = World::offline();
        let release = &w.release;
        let log = &w.ttmscalr_log;
        let audit = release.work.join(".gatekeeper/audit.jsonl");
        let args = arrange(release, &audit);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let head = release.deploy_head();
        let (code, stdout, stderr) = w.run(&args);
        assert_exit!(code, 2, "{why}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        assert!(stderr.contains(why), "{why}: {stderr}");
        assert_aborted_and_unlocked(&audit, &release.deploy_remote, "rollback", why);
        assert_eq!(release.deploy_head(), head, "{why}: nothing changed");
        assert!(ttmscalr_runs(log).is_empty(), "{why}");
    }
}

#[tokio::test]
async fn a_deploy_that_cannot_decide_after_the_lock_leaves_a_record_and_no_lock() {
    // Policies that load but whose decision breaks the contract: found only when
    // evaluated on the live facts, after the lock.
    let policies = crate::support::edited_policies(
        "tests.rego",
        &[(
            "check_tests := result(",
            "check_tests := skipped(\"tests\", \"waved through\")\n\nunused_tests := result(",
        )],
    );
    let s = World::new(false).await;
    let before = s.release.deploy_head();
    let mut cmd = s.gatekeeper(&["deploy", "production", "--yes"]);
    cmd.arg("--policies").arg(policies.path());
    let (code, stdout, stderr) = run(&mut cmd);
    assert_exit!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("it must pass"), "{stderr}");
    assert_aborted_and_unlocked(&s.audit, &s.release.deploy_remote, "deploy", "it must pass");
    assert_eq!(s.release.deploy_head(), before);
    assert!(s.ttmscalr().is_empty());
}

/// A clone without the deploy remote is one mistake with one message and one exit,
/// dry run or not: how to add the remote, before the lock, nothing changed.
#[tokio::test]
async fn a_clone_without_the_deploy_remote_says_how_to_add_it() {
    let s = World::new(false).await;
    crate::support::git::git(
        &s.release.apangea.clone,
        &["remote", "remove", "aws-production"],
    );
    for args in [
        &["deploy", "production", "--dry-run"][..],
        &["deploy", "production", "--yes"],
    ] {
        let (code, stdout, stderr) = run(&mut s.gatekeeper(args));
        assert_exit!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("has no remote aws-production: add it with `git -C ")
                && stderr.contains("remote add aws-production URL`"),
            "{args:?}: {stderr}"
        );
        assert!(s.ttmscalr().is_empty(), "{args:?}: nothing ran");
    }
}

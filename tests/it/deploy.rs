//! `deploy`, `rollback` and `history` through the real binary: real git on throw-away
//! repos (`support::git`), the recording `ttmscalr` stand-in first on PATH, and the
//! stand-in services (`support::server`) reporting the real rc SHAs
//! (`support::release`).

use std::path::Path;

use serde_json::Value;

use crate::support::assert_exit;
use crate::support::gatekeeper_in;
use crate::support::git::{git, parents, rev, ttmscalr_runs};
use crate::support::release::{mount_vetted_notice_now, record_deploy};
use crate::support::server::{self, Services, paths};
use crate::support::world::{World, audit_records, last_of, run};

/// The base branch of a repo's origin is a merge commit whose second parent is `rc`.
fn assert_merged(origin: &Path, rc: &str) {
    let master = rev(origin, "master");
    let parents = parents(origin, &master);
    assert_eq!(parents.len(), 2, "master {master} is not a merge commit");
    assert_eq!(parents[1], rc, "master does not merge the checked rc head");
}

#[tokio::test]
async fn green_deploy_merges_both_repos_and_pushes_the_app() {
    let s = World::new(false).await;
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");

    assert_merged(&s.release.apangea.origin, &s.apangea_rc);
    assert_merged(&s.release.lesson.origin, &s.lesson_rc);
    let new_master = s.release.apangea.origin_head("master");
    assert_eq!(
        s.release.deploy_head(),
        new_master,
        "deploy remote is on the new master"
    );

    // Zero downtime: no maintenance, no migrate; only the deploy ran (the default
    // runbook holds no team's own tasks).
    let runs = s.ttmscalr();
    assert_eq!(runs, ["deploy production"]);
    assert!(stdout.contains("maintenance on — skipped"), "{stdout}");
    assert!(
        stdout.contains("[1/8] record the production SHA"),
        "{stdout}"
    );
    assert!(stdout.contains("[3/8] merge rc into master"), "{stdout}");
    assert!(
        stdout.contains("$ git pull --no-ff --no-edit origin rc"),
        "{stdout}"
    );
    assert!(stdout.contains("✔ Deployed production"), "{stdout}");

    let records = s.audit();
    let deploy = last_of(&records, "deploy");
    assert_eq!(deploy["outcome"], "ok");
    assert_eq!(deploy["decision"], "allow");
    assert_eq!(deploy["before_sha"], s.release.production_sha.as_str());
    assert_eq!(deploy["after_sha"], new_master.as_str());
    assert_eq!(deploy["facts_source"], "live");
    assert_eq!(deploy["facts_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(deploy["policies_sha256"].as_str().unwrap().len(), 64);
    let record_step = records
        .iter()
        .find(|r| r["kind"] == "step" && r["step"] == "record the production SHA")
        .unwrap();
    assert_eq!(record_step["before_sha"], s.release.production_sha.as_str());
    assert!(records.iter().any(|r| r["kind"] == "check"));
    // Never a secret in output or log.
    let log_text = std::fs::read_to_string(&s.audit).unwrap();
    for secret in server::SECRETS {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
        assert!(!log_text.contains(secret));
    }
}

#[tokio::test]
async fn downtime_deploy_wraps_migrate_in_maintenance() {
    let s = World::new(true).await;
    mount_vetted_notice_now(&s.services).await;
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("downtime deploy"), "{stdout}");
    let runs = s.ttmscalr();
    assert_eq!(runs.first().unwrap(), "maintenance on -f production");
    assert_eq!(runs.get(1).unwrap(), "deploy:migrate production");
    assert_eq!(runs.get(2).unwrap(), "deploy production");
    assert_eq!(runs.last().unwrap(), "maintenance off -f production");
    assert_eq!(runs.len(), 4, "{runs:?}");
}

#[tokio::test]
async fn denied_deploy_touches_nothing() {
    let s = World::new(false).await;
    s.services
        .answer_fixture(paths::NEWRELIC, "newrelic/rpm-busy.json")
        .await;
    let master_before = s.release.apangea.origin_head("master");
    let clone_before = rev(&s.release.apangea.clone, "HEAD");
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("DENY production"), "{stdout}");
    assert!(stdout.contains("nothing was changed"), "{stdout}");
    assert!(s.ttmscalr().is_empty());
    assert_eq!(s.release.apangea.origin_head("master"), master_before);
    assert_eq!(rev(&s.release.apangea.clone, "HEAD"), clone_before);
    assert_eq!(s.release.deploy_head(), s.release.production_sha);
    let records = s.audit();
    let deploy = last_of(&records, "deploy");
    assert_eq!(deploy["outcome"], "denied");
    assert!(
        deploy["failing_checks"]
            .as_array()
            .unwrap()
            .contains(&Value::from("throughput")),
        "{deploy}"
    );
    assert!(!records.iter().any(|r| r["kind"] == "step"));
}

#[tokio::test]
async fn failing_ttmscalr_deploy_stops_and_names_the_rollback() {
    let s = World::new(false).await;
    let (code, stdout, stderr) = run(s
        .gatekeeper(&["deploy", "production", "--yes"])
        .env("TTMSCALR_FAIL", "deploy"));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("FAILED at step \"deploy\""), "{stdout}");
    assert!(stdout.contains("stand-in: deploy failed"), "{stdout}");
    // Nothing after it ran.
    assert_eq!(s.ttmscalr(), ["deploy production"]);
    assert!(stdout.contains("Not run: verify."), "{stdout}");
    let expected = format!(
        "gatekeeper rollback production --to {} --config {}",
        s.release.production_sha,
        s.config.display()
    );
    assert!(
        stdout.trim_end().ends_with(&expected),
        "ends without `{expected}`:\n{stdout}"
    );
    assert!(!stdout.contains("MAINTENANCE IS STILL ON"), "{stdout}");
    let deploy = last_of(&s.audit(), "deploy").clone();
    assert_eq!(deploy["outcome"], "failed");
    assert_eq!(deploy["step"], "deploy");
}

#[tokio::test]
async fn failure_with_maintenance_on_says_so_loudly() {
    let s = World::new(true).await;
    mount_vetted_notice_now(&s.services).await;
    let (code, stdout, _) = run(s
        .gatekeeper(&["deploy", "production", "--yes"])
        .env("TTMSCALR_FAIL", "deploy:migrate"));
    assert_exit!(code, 1, "{stdout}");
    assert!(
        stdout.contains("MAINTENANCE IS STILL ON for production"),
        "{stdout}"
    );
    assert!(
        !s.ttmscalr()
            .iter()
            .any(|r| r.starts_with("maintenance off"))
    );
}

#[tokio::test]
async fn rollback_restores_the_recorded_sha() {
    let s = World::new(false).await;
    let (code, stdout, _) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 0, "{stdout}");
    assert_ne!(s.release.deploy_head(), s.release.production_sha);

    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["rollback", "production", "--yes"]));
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(s.release.deploy_head(), s.release.production_sha);
    assert!(
        stdout.contains(&format!(
            "git checkout -B rollback {}",
            s.release.production_sha
        )),
        "{stdout}"
    );
    assert_eq!(s.ttmscalr().last().unwrap(), "deploy production");
    let rollback = last_of(&s.audit(), "rollback").clone();
    assert_eq!(rollback["outcome"], "ok");
    assert_eq!(rollback["after_sha"], s.release.production_sha.as_str());

    let (code, stdout, _) = run(&mut s.gatekeeper(&["history", "production"]));
    assert_exit!(code, 0);
    let rows: Vec<&str> = stdout.lines().filter(|l| l.contains("tester@")).collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    assert!(
        rows[0].contains("rollback") && rows[1].contains("deploy"),
        "{stdout}"
    );
}

#[tokio::test]
async fn rc_moved_after_the_check_stops_before_any_push() {
    let s = World::new(false).await;
    // GitHub (the check) still reports the old head; origin has a new one.
    let moved = s.release.apangea.move_rc(&s.release.root);
    let master_before = s.release.apangea.origin_head("master");
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("moved since the check"), "{stdout}");
    assert!(
        stdout.contains(&s.apangea_rc) && stdout.contains(&moved),
        "{stdout}"
    );
    assert_eq!(s.release.apangea.origin_head("master"), master_before);
    assert_eq!(
        s.release.lesson.origin_head("master"),
        rev(&s.release.lesson.origin, "master")
    );
    assert_eq!(s.release.deploy_head(), s.release.production_sha);
    assert!(s.ttmscalr().is_empty());
    assert_eq!(last_of(&s.audit(), "deploy")["outcome"], "aborted");
}

#[tokio::test]
async fn dry_run_deploy_prints_the_plan_and_runs_nothing() {
    let s = World::new(false).await;
    let master_before = s.release.apangea.origin_head("master");
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--dry-run"]));
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("Dry run: nothing was run."), "{stdout}");
    assert!(
        stdout.contains("$ git push aws-production master:master"),
        "{stdout}"
    );
    assert!(s.ttmscalr().is_empty());
    assert_eq!(s.release.apangea.origin_head("master"), master_before);
    assert_eq!(s.release.deploy_head(), s.release.production_sha);
    assert!(
        !s.audit()
            .iter()
            .any(|r| r["kind"] == "deploy" || r["kind"] == "step")
    );
}

#[tokio::test]
async fn dry_run_deploy_with_json_keeps_stdout_a_decision_document() {
    let s = World::new(false).await;
    let (code, stdout, stderr) =
        run(&mut s.gatekeeper(&["deploy", "production", "--dry-run", "--format", "json"]));
    assert_exit!(code, 0, "stderr:\n{stderr}");
    let decision: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(decision["allow"], true);
    assert!(stderr.contains("Dry run: nothing was run."), "{stderr}");
}

#[tokio::test]
async fn deploy_without_a_terminal_or_yes_is_refused() {
    let s = World::new(false).await;
    let (code, _, stderr) = run(&mut s.gatekeeper(&["deploy", "production"]));
    assert_exit!(code, 2, "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");
    assert!(s.ttmscalr().is_empty());
}

#[test]
fn deploy_refuses_recorded_facts_and_a_pretend_clock() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, value, said) in [
        ("--facts", "facts.json", "live facts only"),
        ("--at", "2026-11-24T19:00:00Z", "real clock only"),
    ] {
        let out = gatekeeper_in(dir.path())
            .args(["deploy", "production", "--yes", flag, value])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        crate::support::assert_exit!(out, 2);
        assert!(stderr.contains(said), "{flag}: {stderr}");
    }
}

#[test]
fn rollback_to_a_given_sha_force_pushes_it() {
    let w = World::offline();
    let release = &w.release;
    let log = &w.ttmscalr_log;
    // Production moves on; then we roll back to where it was.
    let old = release.production_sha.clone();
    let app = &release.apangea.clone;
    git(app, &["checkout", "-q", "rc"]);
    git(app, &["push", "-q", "aws-production", "rc:master"]);
    assert_ne!(release.deploy_head(), old);
    let audit = release.work.join(".gatekeeper/audit.jsonl");
    record_deploy(&audit, &old, &release.deploy_head());

    let (code, stdout, stderr) = w.run(&["rollback", "production", "--to", &old, "--yes"]);
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(release.deploy_head(), old);
    assert_eq!(ttmscalr_runs(log), ["deploy production"]);
    let records = audit_records(&release.work.join(".gatekeeper/audit.jsonl"));
    let rollback = last_of(&records, "rollback");
    assert_eq!(rollback["outcome"], "ok");
    assert_eq!(rollback["after_sha"], old.as_str());
    assert_ne!(rollback["before_sha"], old.as_str());
}

#[test]
fn rollback_dry_run_runs_nothing_and_refuses_a_non_sha() {
    let w = World::offline();
    let release = &w.release;
    let log = &w.ttmscalr_log;
    let audit = release.work.join(".gatekeeper/audit.jsonl");
    let sha = release.production_sha.clone();
    record_deploy(&audit, &sha, &release.apangea.origin_head("rc"));
    let before = std::fs::read_to_string(&audit).unwrap();
    let (code, stdout, _) = w.run(&["rollback", "production", "--to", &sha[..7], "--dry-run"]);
    assert_exit!(code, 0, "{stdout}");
    // The force-push, leased on the production SHA the run judged.
    assert!(
        stdout.contains("git push --force-with-lease=master:")
            && stdout.contains(" aws-production rollback:master"),
        "{stdout}"
    );
    assert!(ttmscalr_runs(log).is_empty());
    assert_eq!(std::fs::read_to_string(&audit).unwrap(), before);

    let (code, _, stderr) = w.run(&["rollback", "production", "--to", "--force", "--yes"]);
    assert_exit!(code, 2, "{stderr}");
}

#[test]
fn rollback_without_a_recorded_deploy_asks_for_to() {
    let w = World::offline();
    let (code, _, stderr) = w.run(&["rollback", "production", "--yes"]);
    assert_exit!(code, 2, "{stderr}");
    assert!(
        stderr.contains("with --to") && stderr.contains("with --reason"),
        "{stderr}"
    );
}

#[test]
fn with_no_history_readable_a_rollback_needs_to_and_a_reason_and_records_it() {
    let w = World::offline();
    let release = &w.release;
    // Production moves on; nothing recorded it and GitHub has no deployments to read.
    let old = release.production_sha.clone();
    let app = &release.apangea.clone;
    git(app, &["checkout", "-q", "rc"]);
    git(app, &["push", "-q", "aws-production", "rc:master"]);
    let (code, _, stderr) = w.run(&["rollback", "production", "--to", &old, "--yes"]);
    assert_exit!(code, 2, "{stderr}");
    assert!(stderr.contains("--reason"), "{stderr}");
    assert_ne!(release.deploy_head(), old, "refused: nothing changed");

    let why = "audit disk lost; production ran it on Monday per the CI log";
    let (code, stdout, stderr) = w.run(&[
        "rollback",
        "production",
        "--to",
        &old,
        "--reason",
        why,
        "--yes",
    ]);
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(release.deploy_head(), old);
    let audit = std::fs::read_to_string(release.work.join(".gatekeeper/audit.jsonl")).unwrap();
    assert!(audit.contains(why), "{audit}");
}

#[test]
fn history_without_records_says_so() {
    let w = World::offline();
    let (code, stdout, _) = w.run(&["history", "production"]);
    assert_exit!(code, 0);
    assert!(
        stdout.contains("No deploys of production recorded"),
        "{stdout}"
    );
}

#[test]
fn check_appends_a_check_record_with_digests() {
    let dir = tempfile::tempdir().unwrap();
    let services = Services::green_blocking();
    let config = services.write_config(dir.path());
    let out = gatekeeper_in(dir.path())
        .args(["check", "production", "--config"])
        .arg(&config)
        .arg("--facts")
        .arg(crate::support::fixture("facts/green.json"))
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    let records = audit_records(&dir.path().join(".gatekeeper/audit.jsonl"));
    assert_eq!(records.len(), 1);
    let check = &records[0];
    assert_eq!(check["kind"], "check");
    assert_eq!(check["decision"], "allow");
    assert_eq!(check["facts_source"], "file");
    assert_eq!(check["facts_sha256"].as_str().unwrap().len(), 64);
}

/// Runs gatekeeper on a pseudo-terminal (util-linux `script`), typing `answer` at
/// its prompt: the way a person at a terminal confirms a deploy.
fn at_terminal(s: &World, args: &[&str], answer: &str) -> (i32, String) {
    use std::io::Write;
    let bin = assert_cmd::cargo::cargo_bin("gatekeeper");
    let mut line = format!("{} ", bin.display());
    for arg in args {
        line.push_str(arg);
        line.push(' ');
    }
    line.push_str(&format!("--config {}", s.config.display()));
    let mut child = s
        .program("script", &s.machine(), "tester")
        .args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux script runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn at_a_terminal_deploy_asks_and_no_changes_nothing() {
    let s = World::new(false).await;
    let master_before = s.release.apangea.origin_head("master");
    let (code, screen) = at_terminal(&s, &["deploy", "production"], "n\n");
    assert!(screen.contains("Deploy production now? (y/N)"), "{screen}");
    assert!(
        screen.contains("Not confirmed: nothing was changed."),
        "{screen}"
    );
    assert_exit!(code, 1, "{screen}");
    assert!(s.ttmscalr().is_empty());
    assert_eq!(s.release.apangea.origin_head("master"), master_before);
    assert_eq!(s.release.deploy_head(), s.release.production_sha);
}

#[tokio::test(flavor = "multi_thread")]
async fn at_a_terminal_deploy_runs_after_yes() {
    let s = World::new(false).await;
    let (code, screen) = at_terminal(&s, &["deploy", "production"], "y\n");
    // On a terminal each source gets a spinner line that ends with its time.
    for source in ["jenkins", "newrelic", "github", "notices"] {
        let done = format!("{source:<9} done in ");
        assert!(
            screen.contains(&done),
            "no finished spinner for {source}:\n{screen}"
        );
    }
    // The decision starts on a line of its own, after the spinners.
    assert!(
        screen.lines().any(|l| l.starts_with("ALLOW production")),
        "{screen}"
    );
    assert!(screen.contains("Deploy production now? (y/N)"), "{screen}");
    assert_exit!(code, 0, "{screen}");
    assert!(screen.contains("✔ Deployed production"), "{screen}");
    assert_merged(&s.release.apangea.origin, &s.apangea_rc);
    assert_eq!(
        s.ttmscalr().first().map(String::as_str),
        Some("deploy production")
    );
}

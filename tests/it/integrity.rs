//! Exactly what was checked ships, through the real binary on throw-away repos
//! (`support::git`): one production SHA per target, no unchecked commit in the
//! merge, rollbacks only to what production ran before, and the dry runs. Each
//! test is a way unchecked code reached production before these rules.

use std::path::Path;

use serde_json::Value;

use crate::support::assert_exit;
use crate::support::fixture;
use crate::support::git::{git, rev};
use crate::support::release::{FIXTURE_PRODUCTION_SHA, record_deploy};
use crate::support::server::paths;
use crate::support::world::{World, last_of};

/// Nothing reached origin's master of either repo, the deploy remote, or ttmscalr.
fn assert_nothing_shipped(s: &World, apangea_master: &str, lesson_master: &str) {
    assert_eq!(s.release.apangea.origin_head("master"), apangea_master);
    assert_eq!(s.release.lesson.origin_head("master"), lesson_master);
    assert_eq!(s.release.deploy_head(), s.release.production_sha);
    assert!(s.ttmscalr().is_empty(), "{:?}", s.ttmscalr());
}

/// The heads of origin's master of both repos.
fn masters(s: &World) -> (String, String) {
    (
        s.release.apangea.origin_head("master"),
        s.release.lesson.origin_head("master"),
    )
}

/// Commits a file in a scratch clone of `origin`'s `branch` and pushes it there;
/// returns the new commit.
fn push_commit(origin: &Path, branch: &str, scratch: &Path, file: &str, message: &str) -> String {
    let work = scratch.join(format!("push-{file}"));
    git(
        scratch,
        &[
            "clone",
            "-q",
            "-b",
            branch,
            origin.to_str().unwrap(),
            work.to_str().unwrap(),
        ],
    );
    std::fs::write(work.join(file), format!("{message}\n")).unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", message]);
    git(&work, &["push", "-q", "origin", branch]);
    rev(origin, branch)
}

#[tokio::test]
async fn a_local_unpushed_commit_on_the_clone_base_branch_stops_the_preflight() {
    let s = World::new(false).await;
    let (apangea, lesson) = masters(&s);
    let clone = &s.release.apangea.clone;
    git(clone, &["checkout", "-q", "master"]);
    std::fs::write(clone.join("hotfix.txt"), "unreviewed\n").unwrap();
    git(clone, &["add", "."]);
    git(clone, &["commit", "-q", "-m", "Unreviewed local hotfix"]);

    let (code, stdout, stderr) = s.run(&["deploy", "production", "--yes"]);
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("Preflight failed"), "{stdout}");
    assert!(
        stdout.contains("commits on master that origin does not have")
            && stdout.contains("Unreviewed local hotfix"),
        "{stdout}"
    );
    assert_nothing_shipped(&s, &apangea, &lesson);
    assert_eq!(last_of(&s.audit(), "deploy")["outcome"], "aborted");
}

#[tokio::test]
async fn a_commit_pushed_to_origin_master_after_the_check_never_reaches_production() {
    let s = World::new(false).await;
    let (_, lesson) = masters(&s);
    // GitHub (the check) knows nothing of it: it came after the check.
    let late = push_commit(
        &s.release.apangea.origin,
        "master",
        &s.release.root,
        "late.txt",
        "Late unchecked change on master",
    );

    let (code, stdout, stderr) = s.run(&["deploy", "production", "--yes"]);
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("does not ship exactly the checked release head")
            && stdout.contains(&s.apangea_rc),
        "{stdout}"
    );
    assert!(
        stdout.contains("Late unchecked change on master") && stdout.contains("late.txt"),
        "the extra commit and file are listed:\n{stdout}"
    );
    // Nothing was pushed anywhere: origin's master is still the late commit, not a merge.
    assert_nothing_shipped(&s, &late, &lesson);
    let deploy = last_of(&s.audit(), "deploy").clone();
    assert_eq!(deploy["outcome"], "failed");
    assert_eq!(deploy["step"], "merge rc into master");
}

#[tokio::test]
async fn github_and_the_deploy_remote_disagreeing_on_production_stops_the_deploy() {
    let s = World::new(false).await;
    let (apangea, lesson) = masters(&s);
    // GitHub's deploy repo says production runs another SHA (the remote points
    // elsewhere, or someone pushed in between): migrations were judged against it.
    s.services
        .answer_fixture(
            paths::PRODUCTION_BRANCH,
            "github/branch-aws-production-master.json",
        )
        .await;

    // The dry run meets the same preflight.
    let (code, stdout, stderr) = s.run(&["deploy", "production", "--dry-run"]);
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("Preflight failed: two production SHAs"),
        "{stdout}"
    );

    let (code, stdout, stderr) = s.run(&["deploy", "production", "--yes"]);
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("two production SHAs"), "{stdout}");
    assert!(
        stdout.contains(FIXTURE_PRODUCTION_SHA) && stdout.contains(&s.release.production_sha),
        "both SHAs are named:\n{stdout}"
    );
    assert_nothing_shipped(&s, &apangea, &lesson);
    assert_eq!(last_of(&s.audit(), "deploy")["outcome"], "aborted");
}

#[tokio::test]
async fn a_hotfix_only_on_the_deploy_remote_stops_before_the_merge_is_pushed() {
    let s = World::new(false).await;
    let (apangea, lesson) = masters(&s);
    // Both copies agree on it, but the release merge does not contain it.
    let hotfix = push_commit(
        &s.release.deploy_remote,
        "master",
        &s.release.root,
        "hotfix.txt",
        "Hotfix straight to production",
    );

    let (code, stdout, stderr) = s.run(&["deploy", "production", "--yes"]);
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains(&format!("does not contain {hotfix}"))
            && stdout.contains("Hotfix straight to production"),
        "{stdout}"
    );
    assert_eq!(s.release.apangea.origin_head("master"), apangea);
    assert_eq!(s.release.lesson.origin_head("master"), lesson);
    assert_eq!(s.release.deploy_head(), hotfix);
    assert!(s.ttmscalr().is_empty());
}

#[tokio::test]
async fn rollback_to_the_release_head_the_gate_denied_is_refused() {
    let s = World::new(false).await;
    s.services
        .answer_fixture(paths::NEWRELIC, "newrelic/rpm-busy.json")
        .await;
    let (code, stdout, _) = s.run(&["deploy", "production", "--yes"]);
    assert_exit!(code, 1, "{stdout}");
    assert!(stdout.contains("DENY production"), "{stdout}");
    let (apangea, lesson) = masters(&s);

    for extra in ["--yes", "--dry-run"] {
        let (code, stdout, stderr) =
            s.run(&["rollback", "production", "--to", &s.apangea_rc, extra]);
        assert_exit!(code, 2, "{extra}: stdout:\n{stdout}\nstderr:\n{stderr}");
        assert!(
            stderr.contains("that is a deploy: run `gatekeeper deploy`"),
            "{extra}: {stderr}"
        );
        assert_nothing_shipped(&s, &apangea, &lesson);
    }
    // The run that took the lock (not the dry run) is on record as aborted, saying why.
    let rollbacks: Vec<Value> = s
        .audit()
        .into_iter()
        .filter(|r| r["kind"] == "rollback")
        .collect();
    assert_eq!(rollbacks.len(), 1, "{rollbacks:#?}");
    assert_eq!(rollbacks[0]["outcome"], "aborted");
    assert!(
        rollbacks[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("that is a deploy")),
        "{rollbacks:#?}"
    );
}

#[tokio::test]
async fn an_audit_record_holding_origin_rc_is_refused_not_checked_out() {
    let s = World::new(false).await;
    let (apangea, lesson) = masters(&s);
    record_deploy(&s.audit, "origin/rc", &s.release.production_sha);

    for extra in ["--yes", "--dry-run"] {
        let (code, stdout, stderr) = s.run(&["rollback", "production", extra]);
        assert_exit!(code, 2, "{extra}: stdout:\n{stdout}\nstderr:\n{stderr}");
        assert!(
            stderr.contains("\"origin/rc\"") && stderr.contains("not a full commit SHA"),
            "{extra}: {stderr}"
        );
        assert!(!stdout.contains("checkout"), "{stdout}");
        assert_nothing_shipped(&s, &apangea, &lesson);
    }
    let branches = git(&s.release.apangea.clone, &["branch", "--list", "rollback"]);
    assert!(
        branches.is_empty(),
        "a rollback branch was made: {branches}"
    );
}

#[tokio::test]
async fn a_recorded_sha_missing_from_the_clone_is_refused() {
    let s = World::new(false).await;
    let (apangea, lesson) = masters(&s);
    let unknown = "0123456789abcdef0123456789abcdef01234567";
    record_deploy(&s.audit, unknown, &s.release.production_sha);
    let (code, _, stderr) = s.run(&["rollback", "production", "--yes"]);
    assert_exit!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("{unknown} is not a commit in the clone")),
        "{stderr}"
    );
    assert_nothing_shipped(&s, &apangea, &lesson);
}

#[tokio::test]
async fn rollback_to_an_abbreviation_of_a_previous_production_sha_restores_it() {
    let s = World::new(false).await;
    let (code, stdout, _) = s.run(&["deploy", "production", "--yes"]);
    assert_exit!(code, 0, "{stdout}");
    let before = s.release.production_sha.clone();
    assert_ne!(s.release.deploy_head(), before);

    let (code, stdout, stderr) = s.run(&["rollback", "production", "--to", &before[..10], "--yes"]);
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains(&format!("git checkout -B rollback {before}")),
        "the full SHA is checked out:\n{stdout}"
    );
    assert_eq!(s.release.deploy_head(), before);
}

#[tokio::test]
async fn rollback_stops_when_github_and_the_deploy_remote_disagree() {
    let s = World::new(false).await;
    let (code, stdout, _) = s.run(&["deploy", "production", "--yes"]);
    assert_exit!(code, 0, "{stdout}");
    let deployed = s.release.deploy_head();
    s.services
        .answer_fixture(
            paths::PRODUCTION_BRANCH,
            "github/branch-aws-production-master.json",
        )
        .await;
    let runs_before = s.ttmscalr().len();

    for extra in ["--dry-run", "--yes"] {
        let (code, stdout, stderr) = s.run(&["rollback", "production", extra]);
        assert_exit!(code, 1, "{extra}: stdout:\n{stdout}\nstderr:\n{stderr}");
        assert!(
            stdout.contains("two production SHAs")
                && stdout.contains(FIXTURE_PRODUCTION_SHA)
                && stdout.contains(&deployed),
            "{extra}: {stdout}"
        );
        assert_eq!(s.release.deploy_head(), deployed);
        assert_eq!(s.ttmscalr().len(), runs_before);
    }
    let rollback = s
        .audit()
        .into_iter()
        .rev()
        .find(|r| r["kind"] == "rollback")
        .unwrap();
    assert_eq!(rollback["outcome"], "aborted");
}

#[tokio::test]
async fn rollback_dry_run_runs_the_preflight_and_changes_nothing() {
    let s = World::new(false).await;
    let (code, stdout, _) = s.run(&["deploy", "production", "--yes"]);
    assert_exit!(code, 0, "{stdout}");
    let deployed = s.release.deploy_head();
    let records = s.audit().len();
    let runs = s.ttmscalr().len();

    let (code, stdout, stderr) = s.run(&["rollback", "production", "--dry-run"]);
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "Rollback of production to {}",
            s.release.production_sha
        )),
        "{stdout}"
    );
    assert!(stdout.contains("the preflight passed"), "{stdout}");
    assert_eq!(s.release.deploy_head(), deployed);
    assert_eq!(s.ttmscalr().len(), runs);
    assert_eq!(s.audit().len(), records);
}

#[tokio::test]
async fn deploy_dry_run_previews_recorded_facts_and_changes_nothing() {
    let s = World::new(false).await;
    let (apangea, lesson) = masters(&s);
    let green = fixture("facts/green.json");
    let (code, stdout, stderr) = s.run(&[
        "deploy",
        "production",
        "--dry-run",
        "--facts",
        green.to_str().unwrap(),
    ]);
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("ALLOW production"), "{stdout}");
    assert!(
        stdout.contains("$ git push aws-production master:master"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Dry run on the recorded facts") && stdout.contains("nothing was run"),
        "{stdout}"
    );
    // Decided on the file: no service was asked, nothing changed, no deploy recorded.
    assert!(s.services.requests().await.is_empty());
    assert_nothing_shipped(&s, &apangea, &lesson);
    let records = s.audit();
    assert!(
        !records
            .iter()
            .any(|r| r["kind"] == "deploy" || r["kind"] == "step"),
        "{records:#?}"
    );
    assert!(records.iter().all(|r| r["facts_source"] == "file"));

    // A denial on recorded facts: exit 1, nothing changed.
    let denied = fixture("facts/migrations-weekday-no-notice.json");
    let (code, stdout, _) = s.run(&[
        "deploy",
        "production",
        "--dry-run",
        "--facts",
        denied.to_str().unwrap(),
    ]);
    assert_exit!(code, 1, "{stdout}");
    assert!(stdout.contains("DENY production"), "{stdout}");
    assert_nothing_shipped(&s, &apangea, &lesson);

    // Without --dry-run recorded facts stay refused.
    let (code, _, stderr) = s.run(&[
        "deploy",
        "production",
        "--yes",
        "--facts",
        green.to_str().unwrap(),
    ]);
    assert_exit!(code, 2, "{stderr}");
    assert!(stderr.contains("live facts only"), "{stderr}");
    assert_nothing_shipped(&s, &apangea, &lesson);
}

#[tokio::test]
async fn a_dirty_clone_stops_the_preflight() {
    let s = World::new(false).await;
    let (apangea, lesson) = masters(&s);
    std::fs::write(s.release.lesson.clone.join("README.md"), "edited\n").unwrap();
    let (code, stdout, stderr) = s.run(&["deploy", "production", "--yes"]);
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("has uncommitted changes"), "{stdout}");
    assert_nothing_shipped(&s, &apangea, &lesson);
}

#[tokio::test]
async fn a_runbook_that_changes_production_before_recording_it_is_refused() {
    // Configured steps that push to production before the record step: a deploy
    // that stopped after the push would leave no SHA to roll back to.
    let late = r#"
[[targets.production.steps]]
name = "merge"
builtin = "merge"

[[targets.production.steps]]
name = "someone else pushes to production"
command = ["git", "push", "--force", "-q", "{deploy_remote}", "origin/{release_branch}:{base_branch}"]

[[targets.production.steps]]
name = "record the production SHA"
builtin = "record_production"

[[targets.production.steps]]
name = "push"
command = ["git", "push", "{deploy_remote}", "{base_branch}:{base_branch}"]
"#;
    let twice = r#"
[[targets.production.steps]]
name = "record the production SHA"
builtin = "record_production"

[[targets.production.steps]]
name = "push"
command = ["git", "push", "{deploy_remote}", "{base_branch}:{base_branch}"]

[[targets.production.steps]]
name = "record again"
builtin = "record_production"
"#;
    let extra = r#"
[[targets.production.extra_steps]]
name = "record late"
builtin = "record_production"
"#;
    for (steps, said) in [
        (
            late,
            "targets.production.steps runs \"merge\" before `builtin = \"record_production\"`",
        ),
        (
            twice,
            "targets.production.steps records the production SHA 2 times",
        ),
        (
            extra,
            "targets.production.extra_steps has a `builtin = \"record_production\"` step",
        ),
    ] {
        let s = World::new(false).await;
        let (apangea, lesson) = masters(&s);
        std::fs::write(
            &s.config,
            std::fs::read_to_string(&s.config).unwrap() + steps,
        )
        .unwrap();
        for args in [
            &["deploy", "production", "--yes"][..],
            &["deploy", "production", "--dry-run"][..],
        ] {
            let (code, stdout, stderr) = s.run(args);
            assert_exit!(code, 2, "{args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
            assert!(stderr.contains(said), "{stderr}");
            assert!(
                stderr.contains("before any step can change production"),
                "{stderr}"
            );
        }
        assert_nothing_shipped(&s, &apangea, &lesson);
        assert!(
            !s.audit().iter().any(|r| r["kind"] == "deploy"),
            "refused before any run: {:#?}",
            s.audit()
        );
    }
}

#[tokio::test]
async fn with_github_down_a_rollback_goes_ahead_only_on_a_recorded_reason() {
    let s = World::new(false).await;
    let (code, stdout, _) = s.run(&["deploy", "production", "--yes"]);
    assert_exit!(code, 0, "{stdout}");
    let deployed = s.release.deploy_head();
    let before = s.release.production_sha.clone();
    // GitHub cannot say what production runs any more.
    s.services
        .answer(
            paths::PRODUCTION_BRANCH,
            wiremock::ResponseTemplate::new(503).set_body_string("unavailable"),
        )
        .await;

    let (code, stdout, stderr) = s.run(&["rollback", "production", "--to", &before, "--yes"]);
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("--reason"), "{stdout}");
    assert_eq!(s.release.deploy_head(), deployed, "nothing changed");
    // Stopped after taking the lock: on record as aborted, saying why, and unlocked.
    let records = s.audit();
    let aborted = records
        .iter()
        .rev()
        .find(|r| r["kind"] == "rollback")
        .unwrap();
    assert_eq!(aborted["outcome"], "aborted", "{aborted}");
    assert!(
        aborted["message"]
            .as_str()
            .is_some_and(|m| m.contains("cannot confirm") || m.contains("GitHub")),
        "{aborted}"
    );
    assert_eq!(
        git(
            &s.release.deploy_remote,
            &["for-each-ref", "refs/gatekeeper/"]
        ),
        ""
    );

    let why = "GitHub is down and the release breaks checkout";
    let (code, stdout, stderr) = s.run(&[
        "rollback",
        "production",
        "--to",
        &before,
        "--reason",
        why,
        "--yes",
    ]);
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("deploy remote's word alone"), "{stderr}");
    assert_eq!(s.release.deploy_head(), before);
    assert!(
        s.audit()
            .iter()
            .any(|r| r["kind"] == "rollback"
                && r["message"].as_str().is_some_and(|m| m.contains(why))),
        "the reason is on the record"
    );
}

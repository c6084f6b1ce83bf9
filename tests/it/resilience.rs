//! What CI and people do to a running deploy or rollback, done to the real binary on
//! real git repos with the recording `ttmscalr` stand-in: real signals mid-step
//! (SIGINT, SIGTERM, a second Ctrl-C), a hung step, the audit log becoming
//! unwritable mid-run, a symlinked audit log, a rejected push to the deploy remote,
//! a held lock; and that steps never see or repeat a token.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::git::{git, ttmscalr_runs};
use crate::support::server::{GITHUB_TOKEN, SECRETS, Services};
use crate::support::world::{World, audit_records, last_of, plant_lock, run};
use crate::support::{assert_exit, signal};

/// Grace period in the configs of these tests: SIGKILL comes one second after SIGTERM.
fn short_grace(text: &mut String) {
    *text = text.replace(
        "timeout_seconds = 5",
        "timeout_seconds = 5\nstep_grace_seconds = 1",
    );
}

/// `gatekeeper deploy production --yes` started in the background, with `env` added.
fn spawn_deploy(s: &World, env: &[(&str, &str)]) -> Child {
    let mut cmd = s.binary(&s.machine(), "tester", &["deploy", "production", "--yes"]);
    cmd.envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().unwrap()
}

/// Waits until the stand-in recorded a run starting with `line` (the step is running).
fn wait_for_run(log: &Path, line: &str) {
    let give_up = Instant::now() + Duration::from_secs(120);
    while !ttmscalr_runs(log).iter().any(|l| l.starts_with(line)) {
        assert!(Instant::now() < give_up, "ttmscalr never ran `{line}`");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn finish(child: Child) -> (i32, String, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The lock is a ref on the deploy remote; `exists()` says whether it is still there.
struct LockRef(std::path::PathBuf);

impl LockRef {
    fn exists(&self) -> bool {
        std::process::Command::new("git")
            .args([
                "rev-parse",
                "--verify",
                "-q",
                "refs/gatekeeper/locks/production",
            ])
            .current_dir(&self.0)
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success()
    }
}

fn lock_file(s: &World) -> LockRef {
    LockRef(s.release.deploy_remote.clone())
}

fn history(s: &World) -> String {
    let (code, stdout, _) = run(&mut s.gatekeeper(&["history", "production"]));
    assert_exit!(code, 0, "{stdout}");
    stdout
}

/// A signal while `ttmscalr deploy` runs: the step's group gets it, the run is
/// recorded as aborted naming the step, the way back is printed, the lock is gone.
async fn interrupted_mid_step(name: &str, code: i32) {
    let s = World::with_config(false, short_grace).await;
    let child = spawn_deploy(&s, &[("TTMSCALR_SLEEP", "deploy")]);
    wait_for_run(&s.ttmscalr_log, "deploy production");
    signal(&child, name);
    let (exit, stdout, stderr) = finish(child);
    assert_exit!(exit, code, "stdout:\n{stdout}\nstderr:\n{stderr}");

    // The step's process group got the same signal and ended; nothing after it ran.
    assert_eq!(
        s.ttmscalr(),
        [
            "deploy production".to_owned(),
            format!("signal deploy {name}")
        ]
    );
    assert!(
        stdout.contains(&format!("INTERRUPTED by SIG{name} during step \"deploy\"")),
        "{stdout}"
    );
    assert!(stdout.contains("Not run: verify."), "{stdout}");
    // Production moved (the push went through before deploy): the way back is printed.
    assert!(stdout.contains("aws-production moved from"), "{stdout}");
    let expected = format!(
        "gatekeeper rollback production --to {} --config {}",
        s.release.production_sha,
        s.config.display()
    );
    assert!(stdout.trim_end().ends_with(&expected), "{stdout}");
    assert!(!lock_file(&s).exists(), "the lock was left behind");

    let records = s.audit();
    let deploy = last_of(&records, "deploy");
    assert_eq!(deploy["outcome"], "aborted", "{deploy}");
    assert_eq!(deploy["step"], "deploy");
    assert_eq!(deploy["signal"], format!("SIG{name}"));
    assert_eq!(deploy["before_sha"], s.release.production_sha.as_str());
    let step = last_of(&records, "step");
    assert_eq!(step["step"], "deploy");
    assert_eq!(step["outcome"], "interrupted");
    assert!(history(&s).contains("aborted"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_step_is_recorded_unlocked_and_exits_143() {
    interrupted_mid_step("TERM", 143).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_mid_step_is_recorded_unlocked_and_exits_130() {
    interrupted_mid_step("INT", 130).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_mid_step_is_recorded_unlocked_and_exits_129() {
    interrupted_mid_step("HUP", 129).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_that_ignores_sigterm_is_killed_after_the_grace_period() {
    let s = World::with_config(false, short_grace).await;
    let child = spawn_deploy(&s, &[("TTMSCALR_STUBBORN", "deploy")]);
    wait_for_run(&s.ttmscalr_log, "deploy production");
    signal(&child, "TERM");
    let (exit, stdout, stderr) = finish(child);
    assert_exit!(exit, 143, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(last_of(&s.audit(), "deploy")["outcome"], "aborted");
    assert!(!lock_file(&s).exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_ctrl_c_skips_the_grace_period_but_still_records_and_unlocks() {
    // A grace period no test would wait out: only the second Ctrl-C ends the step.
    let s = World::with_config(false, |text| {
        *text = text.replace(
            "timeout_seconds = 5",
            "timeout_seconds = 5\nstep_grace_seconds = 3600",
        );
    })
    .await;
    let child = spawn_deploy(&s, &[("TTMSCALR_STUBBORN", "deploy")]);
    wait_for_run(&s.ttmscalr_log, "deploy production");
    signal(&child, "INT");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "INT");
    let (exit, stdout, stderr) = finish(child);
    assert_exit!(exit, 130, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let deploy = last_of(&s.audit(), "deploy").clone();
    assert_eq!(deploy["outcome"], "aborted");
    assert_eq!(deploy["signal"], "SIGINT");
    assert!(!lock_file(&s).exists());
    assert!(
        stdout.contains("gatekeeper rollback production --to"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hung_step_times_out_and_the_run_stops_with_the_way_back() {
    let s = World::with_config(false, |text| {
        short_grace(text);
        text.push_str(
            "\n[[targets.production.extra_steps]]\nname = \"warm up\"\ncommand = [\"ttmscalr\", \"warm-up\"]\ntimeout_minutes = 0.01\n",
        );
    })
    .await;
    let (code, stdout, stderr) = run(s
        .gatekeeper(&["deploy", "production", "--yes"])
        .env("TTMSCALR_STUBBORN", "warm-up"));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("TIMED OUT at step \"warm up\""), "{stdout}");
    assert!(stdout.contains("Not run: verify."), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "gatekeeper rollback production --to {}",
            s.release.production_sha
        )),
        "{stdout}"
    );
    let records = s.audit();
    let step = last_of(&records, "step");
    assert_eq!(step["step"], "warm up");
    assert_eq!(step["outcome"], "timed_out");
    let deploy = last_of(&records, "deploy");
    assert_eq!(deploy["outcome"], "timed_out");
    assert_eq!(deploy["step"], "warm up");
    assert!(!lock_file(&s).exists());
    assert!(history(&s).contains("timed out"));
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_log_unwritable_mid_run_starts_no_further_step() {
    let s = World::new(false).await;
    let audit = s.audit.display().to_string();
    let (code, stdout, stderr) = run(s
        .gatekeeper(&["deploy", "production", "--yes"])
        .env("TTMSCALR_BREAK_AUDIT", &audit));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    // The cache steps change production: they never started.
    assert_eq!(s.ttmscalr(), ["deploy production"]);
    assert!(
        stdout.contains("STOPPED at step \"deploy\": the audit log cannot be written"),
        "{stdout}"
    );
    // The unwritten records are on stderr, one JSON line each.
    let unwritten: Vec<Value> = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        unwritten
            .iter()
            .any(|r| r["kind"] == "step" && r["step"] == "deploy" && r["outcome"] == "ok"),
        "{stderr}"
    );
    let closing = unwritten.iter().find(|r| r["kind"] == "deploy").unwrap();
    assert_eq!(closing["outcome"], "failed");
    assert_eq!(closing["before_sha"], s.release.production_sha.as_str());
    // The outcome, the previous SHA and the way back.
    assert!(
        stdout.contains(&format!(
            "aws-production moved from {}",
            s.release.production_sha
        )),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with(&format!(
            "gatekeeper rollback production --to {} --config {}",
            s.release.production_sha,
            s.config.display()
        )),
        "{stdout}"
    );
    assert!(!lock_file(&s).exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn steps_never_see_a_token_and_what_they_print_is_scrubbed() {
    let s = World::new(false).await;
    let env_log = s.release.root.join("ttmscalr-env.log");
    let (code, stdout, stderr) = run(s
        .gatekeeper(&["deploy", "production", "--yes"])
        .env("TTMSCALR_ENV_LOG", &env_log)
        .env("TTMSCALR_SAY", format!("the token is {GITHUB_TOKEN}"))
        .env("TTMSCALR_FAIL", "deploy"));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let env = std::fs::read_to_string(&env_log).unwrap();
    assert!(
        env.contains("TTMSCALR_LOG="),
        "the stand-in recorded no environment"
    );
    // TTMSCALR_SAY carries a token's value on purpose (to be printed); nothing else may.
    let env: Vec<&str> = env
        .lines()
        .filter(|l| !l.starts_with("TTMSCALR_SAY="))
        .collect();
    for (var, value) in Services::env() {
        assert!(
            !env.iter().any(|l| l.starts_with(&format!("{var}="))),
            "{var} reached a step"
        );
        assert!(
            !env.iter().any(|l| l.contains(value)),
            "the value of {var} reached a step"
        );
    }
    // The failing step's last lines are shown, scrubbed.
    assert!(stdout.contains("the token is [REDACTED]"), "{stdout}");
    let log = std::fs::read_to_string(&s.audit).unwrap();
    for secret in SECRETS {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
        assert!(!log.contains(secret));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_push_to_the_deploy_remote_offers_no_rollback() {
    let s = World::new(false).await;
    let hook = s.release.deploy_remote.join("hooks/pre-receive");
    // Only production's branch is closed (other refs, such as a lock, still go through).
    std::fs::write(
        &hook,
        "#!/bin/sh\nwhile read old new ref; do\n  if [ \"$ref\" = refs/heads/master ]; then\n    echo 'deploys are closed' >&2\n    exit 1\n  fi\ndone\n",
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(s.release.deploy_head(), s.release.production_sha);
    assert!(
        stdout.contains("FAILED at step \"push to aws-production\""),
        "{stdout}"
    );
    // Per repo, what was pushed where: origin's master was, the deploy remote was not.
    assert!(
        stdout.contains("thinkthroughmath/apangea: master to origin\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("thinkthroughmath/lesson-content: master to origin\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "aws-production did not move; it is still on {}",
            s.release.production_sha
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("gatekeeper rollback"), "{stdout}");
    let deploy = last_of(&s.audit(), "deploy").clone();
    assert_eq!(deploy["outcome"], "failed");
    assert_eq!(deploy["after_sha"], s.release.production_sha.as_str());
    assert_eq!(deploy["pushed"].as_array().unwrap().len(), 2, "{deploy}");
}

#[test]
fn a_symlinked_audit_log_is_refused_before_anything_changes() {
    let w = World::offline();
    let release = &w.release;
    let log = &w.ttmscalr_log;
    let audit = release.work.join(".gatekeeper/audit.jsonl");
    std::fs::create_dir_all(audit.parent().unwrap()).unwrap();
    let elsewhere = release.root.join("elsewhere.txt");
    std::fs::write(&elsewhere, "not an audit log\n").unwrap();
    std::os::unix::fs::symlink(&elsewhere, &audit).unwrap();
    // Production moved on; a rollback would push.
    git(&release.apangea.clone, &["checkout", "-q", "rc"]);
    git(
        &release.apangea.clone,
        &["push", "-q", "aws-production", "rc:master"],
    );
    let moved = release.deploy_head();
    let (code, stdout, stderr) = w.run(&[
        "rollback",
        "production",
        "--to",
        &release.production_sha,
        "--yes",
    ]);
    assert_exit!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(release.deploy_head(), moved, "the rollback pushed");
    assert!(ttmscalr_runs(log).is_empty());
    assert_eq!(
        std::fs::read_to_string(&elsewhere).unwrap(),
        "not an audit log\n"
    );
    assert!(
        std::process::Command::new("git")
            .args([
                "rev-parse",
                "--verify",
                "-q",
                "refs/gatekeeper/locks/production"
            ])
            .current_dir(&release.deploy_remote)
            .status()
            .unwrap()
            .code()
            != Some(0),
        "the lock was left behind"
    );
}

#[test]
fn a_lock_refusal_is_recorded() {
    let w = World::offline();
    let release = &w.release;
    // Another run holds the lock: a lock commit naming it, on the deploy remote.
    let commit = plant_lock(
        release,
        "user: tim\nhost: laptop\npid: 1\n",
        chrono::Duration::zero(),
        "run_id: r1\n",
    );
    let (code, _, stderr) = w.run(&[
        "rollback",
        "production",
        "--to",
        &release.production_sha,
        "--yes",
    ]);
    assert_exit!(code, 2, "{stderr}");
    let records = audit_records(&release.work.join(".gatekeeper/audit.jsonl"));
    let refused = last_of(&records, "rollback");
    assert_eq!(refused["outcome"], "refused");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("locked by deploy"),
        "{refused}"
    );
    assert!(
        refused["gatekeeper"]
            .as_str()
            .unwrap()
            .starts_with(env!("CARGO_PKG_VERSION")),
        "{refused}"
    );
    assert_eq!(
        git(
            &release.deploy_remote,
            &["rev-parse", "refs/gatekeeper/locks/production"]
        ),
        commit,
        "someone else's lock was removed"
    );
}

#[test]
fn a_stdout_that_cannot_be_written_is_exit_2_but_a_closed_pipe_keeps_the_decision() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = crate::support::binary_in(&crate::support::root())
        .args(["check", "production", "--facts"])
        .arg(crate::support::fixture("facts/green.json"))
        .stdout(full)
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot write to stdout"),
        "{out:?}"
    );

    // A reader that stops early: the deny is still exit 1.
    let mut child = crate::support::binary_in(&crate::support::root())
        .args(["check", "production", "--facts"])
        .arg(crate::support::fixture("facts/too-busy.json"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    assert_exit!(child.wait().unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_at_the_confirmation_question_changes_nothing_and_exits_130() {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    let s = World::new(false).await;
    let bin = assert_cmd::cargo::cargo_bin("gatekeeper");
    let line = format!(
        "{} deploy production --config {}",
        bin.display(),
        s.config.display()
    );
    // On a pseudo-terminal (util-linux `script`): the ^C typed there is the
    // terminal's SIGINT, sent to gatekeeper's process group.
    let mut child = s
        .program("script", &s.machine(), "tester")
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("util-linux script runs");
    let screen = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let shown = Arc::clone(&screen);
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            shown
                .lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let give_up = Instant::now() + Duration::from_secs(120);
    while !screen
        .lock()
        .unwrap()
        .contains("Deploy production now? (y/N)")
    {
        assert!(
            Instant::now() < give_up,
            "no question:\n{}",
            screen.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\x03").unwrap();
    stdin.flush().unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    reader.join().unwrap();
    let screen = screen.lock().unwrap().clone();
    assert_exit!(status, 130, "{screen}");
    assert!(screen.contains("interrupted by SIGINT"), "{screen}");
    assert!(s.ttmscalr().is_empty());
    assert_eq!(s.release.deploy_head(), s.release.production_sha);
    assert_eq!(last_of(&s.audit(), "deploy")["outcome"], "aborted");
    assert!(!lock_file(&s).exists());
}

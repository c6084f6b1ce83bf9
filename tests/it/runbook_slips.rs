//! World slips and environment accidents around a deploy, through the real binary on
//! real git: a step that leaves a process holding its output, a remote that wants a
//! credential, a step program that is not installed, a manual step with nobody to
//! confirm it, a lock that cannot be released at the end, and an audit log that
//! fills up or holds a torn line. None may hang the run, half-run it or lose a record.

use std::path::Path;
use std::process::Stdio;

use wiremock::matchers::path_regex;
use wiremock::{Mock, ResponseTemplate};

use crate::support::assert_exit;
use crate::support::git::{git, rev};
use crate::support::world::{World, run};

const LOCK_REF: &str = "refs/gatekeeper/locks/production";

fn has_lock(remote: &Path) -> bool {
    std::process::Command::new("git")
        .args(["rev-parse", "--verify", "-q", LOCK_REF])
        .current_dir(remote)
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// A step's own process ends but leaves a child holding stdout: the step ends with
/// its process, says the rest of its output is not shown, and the run goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_step_that_leaves_a_process_holding_its_output_ends_with_its_process() {
    let gate = tempfile::tempdir().unwrap();
    let gate = gate.path().join("gate");
    // The leftover holds stdout until the gate exists (at most 60 s): without the
    // bounded wait, the step would wait for it and print no note.
    let script = format!(
        "(i=0; while [ ! -e {g} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done) & echo started",
        g = gate.display()
    );
    let s = World::with_config(false, |text| {
        text.push_str(&format!(
            "\n[[targets.production.extra_steps]]\nname = \"tail the logs\"\ncommand = [\"sh\", \"-c\", {script:?}]\n"
        ));
    })
    .await;
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    std::fs::write(&gate, "").unwrap();
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("output after the step ended is not shown"),
        "{stdout}"
    );
    assert!(stdout.contains("✔ Deployed production"), "{stdout}");
    assert!(!has_lock(&s.release.deploy_remote));
}

/// A deploy remote that asks for a password: git is told never to prompt, so the
/// run stops at once before anything changed, naming authentication as the cause.
#[tokio::test(flavor = "multi_thread")]
async fn a_remote_that_wants_a_credential_fails_at_once_naming_it() {
    let s = World::new(false).await;
    Mock::given(path_regex("^/auth/"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", "Basic realm=\"git\"")
                .set_body_string("auth"),
        )
        .mount(s.services.server())
        .await;
    let url = format!("{}/auth/aws-production.git", s.services.uri());
    git(
        &s.release.apangea.clone,
        &["remote", "set-url", "aws-production", &url],
    );
    let before = rev(&s.release.apangea.origin, "master");
    let (code, stdout, stderr) = run(s
        .gatekeeper(&["deploy", "production", "--yes"])
        .env("GIT_ASKPASS", "/bin/echo")
        .env("SSH_ASKPASS", "/bin/echo"));
    assert_exit!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stderr.contains("cannot authenticate to aws-production"),
        "{stderr}"
    );
    assert!(stderr.contains("credential helper"), "{stderr}");
    assert!(stderr.contains("terminal prompts disabled"), "{stderr}");
    assert_eq!(rev(&s.release.apangea.origin, "master"), before);
    assert!(s.ttmscalr().is_empty());
}

/// A release repo's origin that wants a credential: the git question fails at once
/// and the message says what to set up, before anything changed.
#[tokio::test(flavor = "multi_thread")]
async fn an_origin_that_wants_a_credential_is_named_before_anything_changes() {
    let s = World::new(false).await;
    Mock::given(path_regex("^/auth/"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", "Basic realm=\"git\"")
                .set_body_string("auth"),
        )
        .mount(s.services.server())
        .await;
    let url = format!("{}/auth/lesson-content.git", s.services.uri());
    git(
        &s.release.lesson.clone,
        &["remote", "set-url", "origin", &url],
    );
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--dry-run"]));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("Preflight failed"), "{stdout}");
    assert!(
        stdout.contains("cannot authenticate to the remote without a prompt"),
        "{stdout}"
    );
    assert!(stdout.contains("set up a credential helper"), "{stdout}");
}

/// No `ttmscalr` on PATH: the dry run's preflight fails, and the real run stops
/// before the first push, naming the program and the `[programs]` key.
#[tokio::test(flavor = "multi_thread")]
async fn a_step_program_that_is_not_installed_stops_the_run_before_any_push() {
    let s = World::new(false).await;
    let path = std::env::var("PATH").unwrap();
    let (code, stdout, stderr) = run(s
        .gatekeeper(&["deploy", "production", "--dry-run"])
        .env("PATH", &path));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("Preflight failed"), "{stdout}");
    assert!(
        stdout.contains("runs ttmscalr, which is not on PATH"),
        "{stdout}"
    );
    assert!(
        stdout.contains("`ttmscalr = \"/full/path/to/ttmscalr\"` under [programs]"),
        "{stdout}"
    );

    let apangea = rev(&s.release.apangea.origin, "master");
    let lesson = rev(&s.release.lesson.origin, "master");
    let (code, stdout, stderr) = run(s
        .gatekeeper(&["deploy", "production", "--yes"])
        .env("PATH", &path));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let both = format!("{stdout}{stderr}");
    assert!(
        both.contains("runs ttmscalr, which is not on PATH"),
        "{both}"
    );
    assert_eq!(rev(&s.release.apangea.origin, "master"), apangea);
    assert_eq!(rev(&s.release.lesson.origin, "master"), lesson);
    assert_eq!(s.release.deploy_head(), s.release.production_sha);
    assert!(!has_lock(&s.release.deploy_remote));
}

/// A manual step with stdin not a terminal: refused before the lock, exit 2.
#[tokio::test(flavor = "multi_thread")]
async fn a_manual_step_with_nobody_to_confirm_it_is_refused_before_the_lock() {
    let s = World::with_config(false, |text| {
        text.push_str(
            "\n[[targets.production.extra_steps]]\nname = \"post in #releases\"\nmanual = true\n",
        );
    })
    .await;
    let (code, stdout, stderr) = run(s
        .gatekeeper(&["deploy", "production", "--yes"])
        .write_stdin(""));
    assert_exit!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stderr.contains("step \"post in #releases\" is manual and nobody can confirm it here"),
        "{stderr}"
    );
    assert!(stderr.contains("remove the manual step for CI"), "{stderr}");
    assert!(s.ttmscalr().is_empty());
    assert_eq!(s.release.deploy_head(), s.release.production_sha);
    assert!(!s.audit().iter().any(|r| r["kind"] == "deploy"));
}

/// The deploy remote is gone when the run ends: the lock stays, and stderr says so
/// with the exact `unlock` command.
#[tokio::test(flavor = "multi_thread")]
async fn a_lock_that_cannot_be_released_is_reported_with_the_unlock_command() {
    let remote = tempfile::tempdir().unwrap();
    let moved = remote.path().join("moved");
    let mut from = std::path::PathBuf::new();
    let s = World::with_config(false, |text| {
        // The last step before verify takes the deploy remote away.
        text.push_str("\n[[targets.production.extra_steps]]\nname = \"lose the remote\"\ncommand = [\"sh\", \"-c\", \"mv \\\"$FROM\\\" \\\"$TO\\\"\"]\n");
    })
    .await;
    from.push(&s.release.deploy_remote);
    let (code, stdout, stderr) = run(s
        .gatekeeper(&["deploy", "production", "--yes"])
        .env("FROM", &from)
        .env("TO", &moved));
    assert!(moved.exists(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    std::fs::rename(&moved, &from).unwrap();
    assert!(
        stderr.contains("LOCK NOT RELEASED"),
        "code {code}\n{stderr}"
    );
    assert!(
        stderr.contains("`gatekeeper unlock production --reason \"run "),
        "{stderr}"
    );
    assert!(has_lock(&s.release.deploy_remote));
    // A lock left behind stops every later deploy: the run is no success, the
    // audit log says so, and where production stands is never a bare "?".
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(!stdout.contains("→ ?"), "{stdout}");
    let audit = std::fs::read_to_string(&s.audit).unwrap();
    assert!(audit.contains("\"release the lock\""), "{audit}");
}

/// A valid check record, as an earlier gatekeeper wrote it.
const RECORD: &str = r#"{"kind":"check","time":"2026-11-25T11:40:00Z","user":"tim","host":"ops1","target":"production","command":"check","decision":"deny","failing_checks":["tests"],"facts_source":"file"}"#;

/// The log's file system is full in the middle of a record: the part written is
/// taken back, so the log holds no torn line.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_leaves_no_torn_audit_line() {
    let s = World::new(false).await;
    std::fs::create_dir_all(s.audit.parent().unwrap()).unwrap();
    // 11 records fill all but a few bytes of 2 KiB, the file size limit below.
    let before = format!("{RECORD}\n").repeat(11);
    assert!(before.len() < 2048 && before.len() > 2048 - 200);
    std::fs::write(&s.audit, &before).unwrap();
    let mut cmd = s.program("bash", &s.machine(), "tester");
    cmd.args(["-c", "trap '' XFSZ; ulimit -f 2; exec \"$0\" \"$@\""])
        .arg(assert_cmd::cargo::cargo_bin("gatekeeper"))
        .args(["check", "production", "--config"])
        .arg(&s.config);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("File too large"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&s.audit).unwrap(), before);
}

/// A torn line already in the log (an older gatekeeper, a crash): the next record
/// starts a line of its own, and reading the log warns about the torn one.
#[tokio::test(flavor = "multi_thread")]
async fn a_record_after_a_torn_line_is_kept_and_the_torn_line_is_reported() {
    let s = World::new(false).await;
    std::fs::create_dir_all(s.audit.parent().unwrap()).unwrap();
    let torn = &RECORD[..RECORD.len() / 2];
    std::fs::write(&s.audit, format!("{RECORD}\n{torn}")).unwrap();
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["check", "production"]));
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let text = std::fs::read_to_string(&s.audit).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[1], torn);
    let last: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(last["kind"], "check");
    assert_eq!(last["decision"], "allow");

    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["history", "production"]));
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stderr.contains("skips 1 line(s) that are not records"),
        "{stderr}"
    );
}

/// A clone without a git identity: the merge commit would fail after maintenance
/// went on, so the deploy is refused before the lock, naming the clone and the fix.
#[tokio::test(flavor = "multi_thread")]
async fn a_clone_without_a_git_identity_is_refused_before_the_lock() {
    let s = World::new(false).await;
    let clone = &s.release.lesson.clone;
    git(clone, &["config", "--unset", "user.name"]);
    git(clone, &["config", "--unset", "user.email"]);
    // No guess from the host's name: only a configured identity counts.
    git(clone, &["config", "user.useConfigOnly", "true"]);
    let apangea = rev(&s.release.apangea.origin, "master");
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("has no git identity"), "{stderr}");
    assert!(stderr.contains("config user.email"), "{stderr}");
    assert!(!has_lock(&s.release.deploy_remote));
    assert_eq!(rev(&s.release.apangea.origin, "master"), apangea);
}

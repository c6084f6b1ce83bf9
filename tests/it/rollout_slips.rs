//! What `rollback`, `unlock` and a confirmed `deploy` may trust, through the real
//! binary on real git: a deployment on GitHub that gatekeeper did not write (or
//! wrote under another login) never makes a SHA "one production ran"; the default
//! rollback target comes from the newest deploy in either the local log or GitHub.

use serde_json::json;

use crate::support::assert_exit;
use crate::support::deployments::{self, LOGIN};
use crate::support::git::{git, rev};
use crate::support::world::{Machine, World};

/// A deploy on `machine` that leaves its GitHub deployment.
fn deploy(machine: &Machine, w: &World) {
    let out = w
        .on(machine, "jenkins", &["deploy", "production", "--yes"])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployment_gatekeeper_did_not_write_never_makes_a_sha_one_production_ran() {
    let w = World::new(false).await;
    let (release, services) = (&w.release, &w.services);
    let store = deployments::mount(services).await;
    let agent = w.machine();
    deploy(&agent, &w);
    let shipped = rev(&release.deploy_remote, "master");
    // The rc head: merged by the deploy, but never what production ran.
    let rc = rev(&release.apangea.clone, "origin/rc");
    assert_ne!(rc, shipped);

    // A GitHub Actions job's deployment of it, a forged gatekeeper payload without
    // a run, and one with a run but created by another login: none counts.
    store.insert(
        json!({"ref": rc, "environment": "production", "payload": {}}),
        "success",
        "github-actions[bot]",
    );
    store.insert(
        json!({"ref": rc, "environment": "production",
               "payload": {"gatekeeper": {"kind": "deploy", "previous_sha": rc}}}),
        "success",
        LOGIN,
    );
    store.insert(
        json!({"ref": rc, "environment": "production",
               "payload": {"gatekeeper": {"kind": "deploy", "run": "r-x", "previous_sha": rc}}}),
        "success",
        "mallory",
    );

    let out = w
        .on(
            &agent,
            "tim",
            &["rollback", "production", "--to", &rc, "--yes"],
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 2);
    // Production's own history decides, not any deployment.
    assert!(
        stderr.contains("is not a SHA production ran before")
            && stderr.contains("first-parent history"),
        "the refusal says why: {stderr}"
    );
    assert_eq!(rev(&release.deploy_remote, "master"), shipped);

    // The default target is what production ran before the trusted deploy, not a
    // foreign payload's previous SHA.
    let out = w
        .on(&agent, "tim", &["rollback", "production", "--dry-run"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    crate::support::assert_exit!(out, 0);
    assert!(
        stdout.contains(&format!(
            "Rollback of production to {}",
            release.production_sha
        )),
        "{stdout}"
    );

    // history shows the foreign ones, marked.
    let out = w
        .on(&agent, "tim", &["history", "production"])
        .env("COLUMNS", "250")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("not written by gatekeeper"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rollback_target_is_from_the_newest_deploy_in_either_the_log_or_github() {
    let w = World::new(false).await;
    let (release, services) = (&w.release, &w.services);
    deployments::mount(services).await;
    let agent = w.machine();
    deploy(&agent, &w);
    let p1 = rev(&release.deploy_remote, "master");
    // A newer deploy P1 -> P2 whose GitHub deployment could not be written: only
    // the local log has it.
    let app = &release.apangea.clone;
    let tree = git(app, &["rev-parse", &format!("{p1}^{{tree}}")]);
    let p2 = git(app, &["commit-tree", &tree, "-p", &p1, "-m", "release 2"]);
    git(
        app,
        &[
            "push",
            "-q",
            "aws-production",
            &format!("{p2}:refs/heads/master"),
        ],
    );
    let line = json!({
        "kind": "deploy", "time": (chrono::Utc::now() + chrono::Duration::seconds(2)).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "user": "tim", "host": "ops1", "run": "r-newest",
        "target": "production", "command": "deploy", "decision": "allow",
        "before_sha": p1, "after_sha": p2, "outcome": "ok",
    });
    let log = agent.work.join(".gatekeeper/audit.jsonl");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str(&format!("{line}\n"));
    std::fs::write(&log, text).unwrap();

    let out = w
        .on(&agent, "tim", &["rollback", "production", "--dry-run"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    crate::support::assert_exit!(out, 0);
    assert!(
        stdout.contains(&format!("Rollback of production to {p1}")),
        "one release back, not two: {stdout}"
    );
    assert!(
        stdout.contains("before the deploy run r-newest")
            && stdout.contains("by tim")
            && stdout.contains("from the local audit log"),
        "the plan says where the target came from: {stdout}"
    );
}

/// `gatekeeper deploy production` on a terminal (`script` gives it one), with
/// stdin to answer the question and stdout read as it comes.
fn deploy_on_a_terminal(
    machine: &Machine,
    w: &World,
) -> (
    std::process::Child,
    std::sync::Arc<std::sync::Mutex<String>>,
) {
    use std::io::Read;
    let bin = assert_cmd::cargo::cargo_bin("gatekeeper");
    let line = format!(
        "'{}' deploy production --config '{}'",
        bin.display(),
        machine.config.display()
    );
    let mut cmd = w.program("script", machine, "tim");
    cmd.args(["-qfec", &line, "/dev/null"])
        .env("SHELL", "/bin/sh")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    (child, text)
}

/// Waits (bounded) until `text` holds `wanted`.
fn wait_for(text: &std::sync::Mutex<String>, wanted: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !text.lock().unwrap().contains(wanted) {
        assert!(
            std::time::Instant::now() < deadline,
            "never saw {wanted:?}:\n{}",
            text.lock().unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_request_made_while_the_question_waits_stops_the_confirmed_deploy() {
    use std::io::Write;
    let w = World::new(false).await;
    let (release, services) = (&w.release, &w.services);
    let agent = w.machine();
    let (mut child, text) = deploy_on_a_terminal(&agent, &w);
    wait_for(&text, "Deploy production now? (y/N)");
    assert!(
        text.lock().unwrap().contains("ALLOW"),
        "{}",
        text.lock().unwrap()
    );

    // An approver requests changes while the question waits.
    services.edit_release(crate::support::server::APANGEA, |node| {
        let reviews = &mut node["pullRequests"]["nodes"][0]["reviews"];
        let head = reviews["nodes"][0]["commit"]["oid"].clone();
        reviews["nodes"].as_array_mut().unwrap().push(json!({
            "author": {"login": "jim"}, "state": "CHANGES_REQUESTED",
            "submittedAt": "2026-11-24T18:59:00Z", "commit": {"oid": head}
        }));
        let total = reviews["totalCount"].as_u64().unwrap();
        reviews["totalCount"] = json!(total + 1);
    });
    child.stdin.as_mut().unwrap().write_all(b"y\n").unwrap();
    let status = child.wait().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let out = text.lock().unwrap().clone();
    assert_exit!(status, 1, "{out}");
    assert!(
        out.contains("while you confirmed, the gate now denies")
            && out.contains("run `gatekeeper deploy` again"),
        "{out}"
    );
    assert_eq!(
        rev(&release.deploy_remote, "master"),
        release.production_sha
    );
    assert!(crate::support::git::ttmscalr_runs(&w.ttmscalr_log).is_empty());
    assert!(
        agent.audit().contains("while you confirmed"),
        "{}",
        agent.audit()
    );
    assert_eq!(crate::support::world::lock_on(&release.deploy_remote), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signal_while_the_facts_are_collected_ends_the_deploy_at_once_recorded_and_unlocked() {
    let w = World::new(false).await;
    let (release, services) = (&w.release, &w.services);
    let agent = w.machine();
    // New Relic answers long after any cancel.
    services
        .mount(
            wiremock::Mock::given(wiremock::matchers::path("/graphql"))
                .respond_with(
                    wiremock::ResponseTemplate::new(200)
                        .set_delay(std::time::Duration::from_secs(60)),
                )
                .with_priority(1),
        )
        .await;
    let child = background(&agent, &w, &["deploy", "production", "--yes"])
        .spawn()
        .unwrap();
    // Bounded wait until the lock is held and New Relic was asked.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let asked = services
            .requests()
            .await
            .iter()
            .any(|r| r.url.path() == "/graphql");
        if asked && crate::support::world::lock_on(&release.deploy_remote).is_some() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never collecting");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    crate::support::signal(&child, "TERM");
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    crate::support::assert_exit!(out, 143);
    assert!(
        stdout.contains("interrupted by SIGTERM while the facts were collected"),
        "{stdout}"
    );
    assert_eq!(crate::support::world::lock_on(&release.deploy_remote), None);
    assert!(
        agent.audit().contains("\"outcome\":\"aborted\""),
        "{}",
        agent.audit()
    );
    assert_eq!(
        rev(&release.deploy_remote, "master"),
        release.production_sha
    );
}

/// `gatekeeper ARGS` on `machine`, to spawn (and signal) in the background.
fn background(machine: &Machine, w: &World, args: &[&str]) -> std::process::Command {
    let mut cmd = w.binary(machine, "jenkins", args);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signal_while_a_rollback_reads_its_history_ends_it_at_once_recorded_and_unlocked() {
    let w = World::new(false).await;
    let (release, services) = (&w.release, &w.services);
    let agent = w.machine();
    // GitHub's deployments answer long after any cancel.
    services
        .mount(
            wiremock::Mock::given(wiremock::matchers::path(
                "/api/v3/repos/thinkthroughmath/apangea/deployments",
            ))
            .respond_with(
                wiremock::ResponseTemplate::new(200)
                    .set_body_json(json!([]))
                    .set_delay(std::time::Duration::from_secs(60)),
            )
            .with_priority(1),
        )
        .await;
    let child = background(&agent, &w, &["rollback", "production", "--yes"])
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let asked =
            services.requests().await.iter().any(|r| {
                r.method.as_str() == "GET" && r.url.path().ends_with("/apangea/deployments")
            });
        if asked && crate::support::world::lock_on(&release.deploy_remote).is_some() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never reading");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    crate::support::signal(&child, "INT");
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    crate::support::assert_exit!(out, 130);
    assert!(
        stdout.contains(
            "interrupted by SIGINT while the deploy history and the production SHA were read"
        ),
        "{stdout}"
    );
    assert_eq!(crate::support::world::lock_on(&release.deploy_remote), None);
    assert!(
        agent.audit().contains("\"outcome\":\"aborted\""),
        "{}",
        agent.audit()
    );
}

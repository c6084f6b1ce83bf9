//! What `rollback`, `unlock` and a confirmed `deploy` may trust, through the real
//! binary on real git: a deployment on GitHub that gatekeeper did not write (or
//! wrote under another login) never makes a SHA "one production ran"; the default
//! rollback target comes from the newest deploy in either the local log or GitHub.

use serde_json::json;

use crate::lock::{Machine, cmd, setup};
use crate::support::deployments::{self, LOGIN};
use crate::support::git::rev;

/// A deploy on `machine` that leaves its GitHub deployment.
fn deploy(machine: &Machine, env: &crate::lock::Env) {
    let out = cmd(machine, env, "jenkins", &["deploy", "production", "--yes"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployment_gatekeeper_did_not_write_never_makes_a_sha_one_production_ran() {
    let tmp = tempfile::tempdir().unwrap();
    let (release, services, env) = setup(tmp.path()).await;
    let store = deployments::mount(&services).await;
    let agent = Machine::first(&release, &services);
    deploy(&agent, &env);
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

    let out = cmd(
        &agent,
        &env,
        "tim",
        &["rollback", "production", "--to", &rc, "--yes"],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is not a SHA production ran before")
            && stderr.contains("the deployments gatekeeper wrote on GitHub"),
        "the refusal names both sources: {stderr}"
    );
    assert!(
        stderr.contains(
            "3 of the deployments of production on GitHub were not written by gatekeeper"
        ),
        "{stderr}"
    );
    assert_eq!(rev(&release.deploy_remote, "master"), shipped);

    // The default target is what production ran before the trusted deploy, not a
    // foreign payload's previous SHA.
    let out = cmd(
        &agent,
        &env,
        "tim",
        &["rollback", "production", "--dry-run"],
    )
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "Rollback of production to {}",
            release.production_sha
        )),
        "{stdout}"
    );

    // history shows the foreign ones, marked.
    let out = cmd(&agent, &env, "tim", &["history", "production"])
        .env("COLUMNS", "250")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("not written by gatekeeper"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rollback_target_is_from_the_newest_deploy_in_either_the_log_or_github() {
    let tmp = tempfile::tempdir().unwrap();
    let (release, services, env) = setup(tmp.path()).await;
    deployments::mount(&services).await;
    let agent = Machine::first(&release, &services);
    deploy(&agent, &env);
    let p1 = rev(&release.deploy_remote, "master");
    // A newer deploy P1 -> P2 whose GitHub deployment could not be written: only
    // the local log has it.
    let p2 = "2".repeat(40);
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

    let out = cmd(
        &agent,
        &env,
        "tim",
        &["rollback", "production", "--dry-run"],
    )
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
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

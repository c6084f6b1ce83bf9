//! GitHub Deployments as the record every machine shares, through the real binary
//! on real git, against a stand-in of the Deployments API that keeps what is
//! POSTed: a deploy on one "machine" leaves a deployment of the SHA it shipped
//! (`in_progress`, then `success`, with the CI build as `log_url`, the actor in
//! the payload); a rollback on a second machine (its own clones and audit log)
//! restores the SHA production ran before it; `history` on either shows both runs
//! with their actors; `status` on either names what production runs, the run that
//! put it there and who holds the lock.

use crate::support::assert_exit;
use crate::support::deployments::{self, LOGIN};
use crate::support::git::rev;
use crate::support::world::{Machine, World, held_deploy};

#[tokio::test(flavor = "multi_thread")]
async fn a_rollback_on_a_second_machine_restores_what_the_first_shipped() {
    let w = World::new(false).await;
    let (release, services) = (&w.release, &w.services);
    let store = deployments::mount(services).await;
    let agent = w.machine();
    let laptop = w.another_machine("laptop");

    let out = w
        .on(&agent, "jenkins", &["deploy", "production", "--yes"])
        .env("BUILD_USER_ID", "alice")
        .env("BUILD_URL", "https://ci.example/job/deploy/7/")
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    let shipped = rev(&release.deploy_remote, "master");
    assert_ne!(shipped, release.production_sha);

    // One deployment of the merge commit pushed, moved to in_progress then success.
    let all = store.all();
    assert_eq!(all.len(), 1, "{all:?}");
    let deployment = &all[0];
    assert_eq!(deployment.body["ref"], shipped.as_str());
    assert_eq!(deployment.body["environment"], "production");
    assert_eq!(deployment.body["auto_merge"], false);
    assert_eq!(deployment.body["required_contexts"], serde_json::json!([]));
    let payload = &deployment.body["payload"]["gatekeeper"];
    assert_eq!(payload["previous_sha"], release.production_sha.as_str());
    assert_eq!(payload["actor"]["github"], LOGIN);
    assert_eq!(payload["actor"]["ci"], "alice");
    assert!(payload["facts_sha256"].is_string(), "{payload}");
    let states: Vec<&str> = deployment
        .statuses
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["in_progress", "success"]);
    assert_eq!(
        deployment.statuses[1]["log_url"],
        "https://ci.example/job/deploy/7/"
    );
    // The local record carries the actor too.
    assert!(
        agent
            .audit()
            .contains(r#""actor":{"github":"deploy-bot","ci":"alice"}"#),
        "{}",
        agent.audit()
    );

    // The laptop never deployed: its own log knows nothing, GitHub does.
    assert!(!laptop.audit().contains("\"kind\":\"deploy\""));
    let out = w
        .on(&laptop, "tim", &["rollback", "production", "--yes"])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    assert_eq!(
        rev(&release.deploy_remote, "master"),
        release.production_sha,
        "the rollback restores what production ran before the first machine's deploy"
    );
    let all = store.all();
    assert_eq!(all.len(), 2, "the rollback leaves its deployment too");
    assert_eq!(all[1].body["ref"], release.production_sha.as_str());
    assert_eq!(all[1].body["payload"]["gatekeeper"]["kind"], "rollback");
    assert_eq!(all[1].statuses.last().unwrap()["state"], "success");

    // history on either machine shows both runs, each with its actor.
    for machine in [&agent, &laptop] {
        let out = w
            .on(machine, "someone", &["history", "production"])
            .env("COLUMNS", "250")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        crate::support::assert_exit!(out, 0);
        let deploys = text.lines().filter(|l| l.contains(" deploy ")).count();
        let rollbacks = text.lines().filter(|l| l.contains(" rollback ")).count();
        assert_eq!((deploys, rollbacks), (1, 1), "one row per run:\n{text}");
        assert!(text.contains("alice"), "the deploy's person:\n{text}");
        assert!(text.contains(LOGIN), "the token's login:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployment_that_cannot_be_written_neither_stops_nor_hides_the_deploy() {
    let w = World::new(false).await;
    let (release, services) = (&w.release, &w.services);
    // No Deployments stand-in: GitHub answers 404 to the POST.
    let agent = w.machine();
    let out = w
        .on(&agent, "jenkins", &["deploy", "production", "--yes"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 0);
    assert_ne!(
        rev(&release.deploy_remote, "master"),
        release.production_sha
    );
    assert!(
        stderr.contains("its GitHub deployment on thinkthroughmath/apangea could not be written"),
        "{stderr}"
    );
    assert!(
        agent.audit().contains(r#""kind":"deployment""#),
        "{}",
        agent.audit()
    );
    // Sent once: a failed POST is never repeated.
    let posts = services
        .requests()
        .await
        .into_iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path().ends_with("/deployments"))
        .count();
    assert_eq!(posts, 1);
}

#[test]
fn an_override_is_by_the_person_ci_names_not_the_agents_account() {
    let (code, d) = crate::support::decide(
        crate::support::gatekeeper()
            .env("USER", "jenkins")
            .env("BUILD_USER_ID", "alice")
            .args(["check", "production", "--facts"])
            .arg(crate::support::fixture("facts/too-busy.json"))
            .args(["--format", "json", "--override", "throughput"])
            .args(["--reason", "bot traffic, INC-88"]),
    );
    assert_exit!(code, 0);
    assert_eq!(
        crate::support::check(&d, "throughput")["overridden"]["by"],
        "alice"
    );
}

fn status(machine: &Machine, w: &World) -> serde_json::Value {
    let out = w
        .on(
            machine,
            "someone",
            &["status", "production", "--format", "json"],
        )
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn status_on_either_machine_names_production_its_run_and_the_locks_holder() {
    let w = World::new(false).await;
    let (release, services) = (&w.release, &w.services);
    deployments::mount(services).await;
    let agent = w.machine();
    let laptop = w.another_machine("laptop");

    let first = held_deploy(&w, &agent);
    for machine in [&agent, &laptop] {
        let s = status(machine, &w);
        assert_eq!(
            s["production"]["sha"],
            rev(&release.deploy_remote, "master").as_str()
        );
        assert_eq!(s["lock"]["held"], true, "{s}");
        assert_eq!(s["lock"]["holder"]["user"], "jenkins");
        assert_eq!(s["lock"]["holder"]["command"], "deploy");
        assert_eq!(s["lock"]["stale"], false);
    }
    std::fs::write(&w.gate, "").unwrap();
    let out = first.wait_with_output().unwrap();
    crate::support::assert_exit!(out, 0);
    let shipped = rev(&release.deploy_remote, "master");

    for machine in [&agent, &laptop] {
        let s = status(machine, &w);
        assert_eq!(s["production"]["sha"], shipped.as_str());
        assert_eq!(s["lock"]["held"], false, "{s}");
        let run = &s["production"]["run"];
        assert_eq!(run["source"], "github", "{s}");
        assert_eq!(run["kind"], "deploy");
        assert!(run["by"].as_str().unwrap().contains(LOGIN), "{s}");
        assert_eq!(s["release"]["heads"].as_array().unwrap().len(), 2, "{s}");
    }
    // The deploy's own check decided on exactly the heads waiting: the agent knows.
    assert_eq!(status(&agent, &w)["release"]["checked"]["allowed"], true);
    assert!(status(&laptop, &w)["release"]["checked"].is_null());

    // The table says the same in words.
    let out = w
        .on(&laptop, "someone", &["status", "production"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&shipped), "{text}");
    assert!(text.contains("Lock: free"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn status_without_a_readable_deploy_remote_exits_2() {
    let w = World::new(false).await;
    let release = &w.release;
    let agent = w.machine();
    std::fs::remove_dir_all(&release.deploy_remote).unwrap();
    let out = w
        .on(&agent, "someone", &["status", "production"])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read what production runs"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_longer_than_the_collection_deadline_is_still_recorded_on_github() {
    let w = World::new(false).await;
    let services = &w.services;
    let store = deployments::mount(services).await;
    let agent = w.machine();
    // The collection's one deadline is short; the deploy then outlasts it.
    let text = std::fs::read_to_string(&agent.config).unwrap();
    std::fs::write(&agent.config, format!("deadline_seconds = 3\n{text}")).unwrap();

    let first = held_deploy(&w, &agent);
    std::thread::sleep(std::time::Duration::from_secs(4));
    std::fs::write(&w.gate, "").unwrap();
    let out = first.wait_with_output().unwrap();
    crate::support::assert_exit!(out, 0);
    let all = store.all();
    assert_eq!(all.len(), 1, "the deployment was written: {all:?}");
    let states: Vec<&str> = all[0]
        .statuses
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["in_progress", "success"]);
}

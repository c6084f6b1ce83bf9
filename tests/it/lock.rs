//! The deploy lock on the deploy remote, through the real binary on real git: two
//! "machines" (separate clones, configs and audit logs) race for one bare deploy
//! remote; a run killed with SIGKILL leaves a lock that the next run reports, and
//! `unlock --reason` frees it.

use crate::support::git::{git, rev};
use crate::support::world::{LOCK_REF, World, held_deploy, lock_on, plant_lock};

#[tokio::test(flavor = "multi_thread")]
async fn two_machines_race_for_one_deploy_remote_and_exactly_one_deploys() {
    let w = World::new(false).await;
    let release = &w.release;
    let agent = w.machine();
    let laptop = w.another_machine("laptop");

    let first = held_deploy(&w, &agent);
    let held = lock_on(&release.deploy_remote).expect("the running deploy holds a lock ref");

    // The laptop, with its own clones and its own local state, is refused.
    let out = w
        .on(&laptop, "tim", &["deploy", "production", "--yes"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 2);
    assert!(
        stderr.contains("production is locked by deploy by jenkins"),
        "the refusal names the holder: {stderr}"
    );
    // So is a rollback from the laptop.
    let out = w
        .on(
            &laptop,
            "tim",
            &[
                "rollback",
                "production",
                "--to",
                &release.production_sha,
                "--yes",
            ],
        )
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    assert_eq!(
        lock_on(&release.deploy_remote).as_deref(),
        Some(held.as_str())
    );
    // The lock is a ref of its own: production's branch never points at it.
    assert_ne!(rev(&release.deploy_remote, "master"), held);

    std::fs::write(&w.gate, "").unwrap();
    let out = first.wait_with_output().unwrap();
    crate::support::assert_exit!(out, 0);
    assert_eq!(
        lock_on(&release.deploy_remote),
        None,
        "released after the run"
    );
    assert_ne!(
        rev(&release.deploy_remote, "master"),
        release.production_sha
    );
    // The laptop's refusal is recorded, and nothing else of a deploy.
    let audit = laptop.audit();
    assert!(audit.contains("\"outcome\":\"refused\""), "{audit}");
    assert!(!audit.contains("\"outcome\":\"started\""), "{audit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_deploy_leaves_a_lock_that_only_unlock_with_a_reason_removes() {
    let w = World::new(false).await;
    let release = &w.release;
    let agent = w.machine();
    let laptop = w.another_machine("laptop");

    let mut first = held_deploy(&w, &agent);
    first.kill().unwrap(); // SIGKILL: nothing can clean up
    first.wait().unwrap();
    assert!(
        lock_on(&release.deploy_remote).is_some(),
        "a killed run leaves its lock"
    );

    let out = w
        .on(&laptop, "tim", &["deploy", "production", "--yes"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 2);
    assert!(stderr.contains("locked by deploy by jenkins"), "{stderr}");

    // unlock insists on a reason.
    let out = w
        .on(&laptop, "tim", &["unlock", "production"])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    assert!(lock_on(&release.deploy_remote).is_some());

    let out = w
        .on(
            &laptop,
            "tim",
            &[
                "unlock",
                "production",
                "--reason",
                "agent 7 was killed; production checked by hand",
            ],
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    crate::support::assert_exit!(out, 0);
    assert!(stdout.contains("deploy by jenkins"), "{stdout}");
    assert_eq!(lock_on(&release.deploy_remote), None);
    let audit = laptop.audit();
    assert!(
        audit.contains("\"kind\":\"unlock\"")
            && audit.contains("agent 7 was killed; production checked by hand")
            && audit.contains("\"user\":\"tim\""),
        "{audit}"
    );
    let history = w
        .on(&laptop, "tim", &["history", "production"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&history.stdout).contains("unlock"));

    // Unlocking again says there is nothing to remove.
    let out = w
        .on(
            &laptop,
            "tim",
            &["unlock", "production", "--reason", "again"],
        )
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("not locked"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_older_than_any_run_is_reported_stale_with_its_age_and_never_taken_over() {
    let w = World::new(false).await;
    let release = &w.release;
    let agent = w.machine();
    // A lock commit from a run that started a day ago, planted on the remote.
    let sha = plant_lock(
        release,
        "user: jim\nhost: old-agent\npid: 7\n",
        chrono::Duration::hours(25),
        "run_id: r-7\n",
    );

    let out = w
        .on(&agent, "tim", &["deploy", "production", "--yes"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 2);
    assert!(
        stderr.contains("stale lock")
            && stderr.contains("deploy by jim on old-agent")
            && stderr.contains("25 h")
            && stderr.contains("gatekeeper unlock production --reason"),
        "{stderr}"
    );
    assert_eq!(
        lock_on(&release.deploy_remote).as_deref(),
        Some(sha.as_str())
    );
    assert_eq!(
        rev(&release.deploy_remote, "master"),
        release.production_sha
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unlock_never_removes_the_lock_of_a_run_alive_on_this_machine() {
    let w = World::new(false).await;
    let release = &w.release;
    let agent = w.machine();
    let laptop = w.another_machine("laptop");

    let first = held_deploy(&w, &agent);
    let held = lock_on(&release.deploy_remote).expect("the running deploy holds a lock ref");
    for force in [false, true] {
        let mut args = vec!["unlock", "production", "--reason", "looks stuck"];
        if force {
            args.push("--force");
        }
        let out = w.on(&laptop, "tim", &args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        crate::support::assert_exit!(out, 2);
        let pid = first.id().to_string();
        assert!(
            stderr.contains("is alive on this machine") && stderr.contains(&format!("kill {pid}")),
            "the refusal names the pid to stop: {stderr}"
        );
        assert_eq!(
            lock_on(&release.deploy_remote).as_deref(),
            Some(held.as_str())
        );
    }
    assert!(!laptop.audit().contains("\"kind\":\"unlock\""));

    std::fs::write(&w.gate, "").unwrap();
    let out = first.wait_with_output().unwrap();
    crate::support::assert_exit!(out, 0);
    assert_eq!(lock_on(&release.deploy_remote), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_young_lock_from_another_machine_needs_force_to_be_removed() {
    let w = World::new(false).await;
    let release = &w.release;
    let agent = w.machine();
    let sha = plant_lock(
        release,
        "user: jim\nhost: agent-7\npid: 4242\n",
        chrono::Duration::minutes(20),
        "run_id: r-7\n",
    );

    let out = w
        .on(
            &agent,
            "tim",
            &["unlock", "production", "--reason", "agent 7 looks stuck"],
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 2);
    assert!(
        stderr.contains("deploy by jim on agent-7")
            && stderr.contains("20 min")
            && stderr.contains("--force"),
        "says who holds it, for how long, and what to do: {stderr}"
    );
    assert_eq!(
        lock_on(&release.deploy_remote).as_deref(),
        Some(sha.as_str())
    );

    let out = w
        .on(
            &agent,
            "tim",
            &[
                "unlock",
                "production",
                "--reason",
                "agent 7 was rebooted",
                "--force",
            ],
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    crate::support::assert_exit!(out, 0);
    assert!(stdout.contains("deploy by jim on agent-7"), "{stdout}");
    assert_eq!(lock_on(&release.deploy_remote), None);
    assert!(agent.audit().contains("agent 7 was rebooted"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_whose_lock_was_removed_under_it_says_so_at_its_end() {
    let w = World::new(false).await;
    let release = &w.release;
    let agent = w.machine();
    let first = held_deploy(&w, &agent);
    assert!(lock_on(&release.deploy_remote).is_some());
    // Someone elsewhere removes the lock while the run goes on.
    git(&release.deploy_remote, &["update-ref", "-d", LOCK_REF]);

    std::fs::write(&w.gate, "").unwrap();
    let out = first.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("this run's lock of production could not be released"),
        "{stderr}"
    );
    assert!(
        stderr.contains("was gone at its end")
            && stderr.contains("another run may have deployed meanwhile"),
        "{stderr}"
    );
    // Nothing is left behind: the deploy's own outcome stands, and the audit log
    // says the lock was gone.
    crate::support::assert_exit!(out, 0);
    assert!(
        agent.audit().contains("release the lock"),
        "{}",
        agent.audit()
    );
}

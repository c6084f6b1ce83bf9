//! Rollback derives its target from production itself, through the real binary on
//! real git and the Deployments stand-in (paged as GitHub pages, `Link` headers
//! with the server's full URL): the run that put the deploy remote's head there
//! is the one rolled back, however it ended; a deployment only names a candidate,
//! which production's first-parent history must vouch for; every page is read.

use serde_json::json;

use crate::support::assert_exit;
use crate::support::deployments::{self, LOGIN, Store};
use crate::support::git::{git, rev};
use crate::support::world::{World, plant_lock, printed};

/// A deploy as the deploy remote sees it: a merge whose first parent is `parent`
/// (made in the app's clone `app` and pushed to the deploy remote); its SHA.
fn push_merge(app: &std::path::Path, parent: &str, what: &str) -> String {
    let tree = git(app, &["rev-parse", &format!("{parent}^{{tree}}")]);
    let side = git(app, &["commit-tree", &tree, "-p", parent, "-m", what]);
    let merge = git(
        app,
        &[
            "commit-tree",
            &tree,
            "-p",
            parent,
            "-p",
            &side,
            "-m",
            &format!("Merge {what}"),
        ],
    );
    git(
        app,
        &[
            "push",
            "-q",
            "--force",
            "aws-production",
            &format!("{merge}:refs/heads/master"),
        ],
    );
    merge
}

/// A deployment as gatekeeper writes it, by `creator`, ending in `state`.
fn deployment(store: &Store, sha: &str, previous: &str, run: &str, state: &str, creator: &str) {
    store.insert(
        json!({
            "ref": sha,
            "environment": "production",
            "payload": {"gatekeeper": {
                "kind": "deploy", "run": run, "previous_sha": previous,
                "actor": {"github": creator, "ci": "alice"}
            }},
        }),
        state,
        creator,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_that_pushed_then_failed_is_the_one_undone_on_a_machine_without_the_log() {
    let w = World::new(false).await;
    let (release, services) = (&w.release, &w.services);
    let store = deployments::mount(services).await;
    let app = &release.apangea.clone;
    let p0 = release.production_sha.clone();
    // Release 1 shipped; release 2 was pushed, then a later step failed.
    let m1 = push_merge(app, &p0, "release 1");
    deployment(&store, &m1, &p0, "r1", "success", LOGIN);
    let m2 = push_merge(app, &m1, "release 2");
    deployment(&store, &m2, &m1, "r2", "failure", LOGIN);

    // A fresh CI agent: nothing in its local log.
    let agent = w.machine();
    let text = w.said(&agent, "tim", &["rollback", "production", "--yes"], 0);
    assert_eq!(
        rev(&release.deploy_remote, "master"),
        m1,
        "one release undone, not two:\n{text}"
    );
    assert!(text.contains("deploy run r2"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_deployment_never_steers_a_rollback_off_productions_history() {
    let w = World::new(false).await;
    let (release, services) = (&w.release, &w.services);
    let store = deployments::mount(services).await;
    let app = &release.apangea.clone;
    let p0 = release.production_sha.clone();
    // A commit production never ran, with an unreviewed file, in the clone.
    std::fs::write(app.join("unreviewed.txt"), "never reviewed\n").unwrap();
    git(app, &["add", "unreviewed.txt"]);
    let tree = git(app, &["write-tree"]);
    git(app, &["reset", "-q", "HEAD", "unreviewed.txt"]);
    std::fs::remove_file(app.join("unreviewed.txt")).unwrap();
    let evil = git(app, &["commit-tree", &tree, "-p", &p0, "-m", "unreviewed"]);
    // Created with the token's login and gatekeeper's payload: it names the
    // unreviewed commit as what production ran before the SHA it runs.
    deployment(&store, &p0, &evil, "r-forged", "success", LOGIN);

    let agent = w.machine();
    for args in [
        &["rollback", "production", "--yes"][..],
        &[
            "rollback",
            "production",
            "--to",
            &evil,
            "--reason",
            "the deployment says so",
            "--yes",
        ][..],
    ] {
        let text = w.said(&agent, "tim", args, 2);
        assert!(
            text.contains(&format!("{evil} is not a SHA production ran before"))
                && text.contains("first-parent history"),
            "the refusal says why: {text}"
        );
        assert_eq!(rev(&release.deploy_remote, "master"), p0, "{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deployments_of_another_login_on_the_first_pages_hide_nothing() {
    let w = World::new(false).await;
    let (release, services) = (&w.release, &w.services);
    let store = deployments::mount(services).await;
    let app = &release.apangea.clone;
    let p0 = release.production_sha.clone();
    let m1 = push_merge(app, &p0, "release 1");
    deployment(&store, &m1, &p0, "r1", "success", LOGIN);
    // Newer deployments of the same SHA by another tool, more than a page holds.
    for i in 0..120 {
        deployment(
            &store,
            &m1,
            &p0,
            &format!("other-{i}"),
            "success",
            "other-bot",
        );
    }
    let agent = w.machine();

    // A person who knows the SHA needs no history at all.
    w.said(
        &agent,
        "tim",
        &[
            "rollback",
            "production",
            "--to",
            &p0,
            "--reason",
            "release 1 breaks logins",
            "--yes",
        ],
        0,
    );
    assert_eq!(rev(&release.deploy_remote, "master"), p0);

    // Production back on release 1 (by hand), on a machine without the log: the
    // default rollback reads every page to find gatekeeper's own deployment.
    git(
        app,
        &[
            "push",
            "-q",
            "--force",
            "aws-production",
            &format!("{m1}:refs/heads/master"),
        ],
    );
    let laptop = w.another_machine("laptop");
    git(
        &w.dir().join("laptop/apangea"),
        &["fetch", "-q", "aws-production"],
    );
    let text = w.said(&laptop, "tim", &["rollback", "production", "--yes"], 0);
    assert_eq!(rev(&release.deploy_remote, "master"), p0, "{text}");
    assert!(text.contains("deploy run r1"), "{text}");
    let pages = services
        .requests()
        .await
        .into_iter()
        .filter(|r| r.url.path().ends_with("/deployments") && r.method.as_str() == "GET")
        .filter(|r| r.url.query().is_some_and(|q| q.contains("page=2")))
        .count();
    assert!(pages >= 1, "the second page was read");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_whose_pid_now_belongs_to_another_process_can_be_removed() {
    let w = World::new(false).await;
    let release = &w.release;
    let agent = w.machine();
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .unwrap()
        .trim()
        .to_owned();
    // pid 1 runs (it always does), but not the run that took the lock: once the
    // lock is of an earlier boot, once of this boot but a process that started
    // at another time.
    for (boot_id, start) in [
        ("0b5e55ed-0000-4000-8000-000000000000", 1),
        (boot.as_str(), u64::MAX),
    ] {
        // pid 1 of this host, of the boot `boot_id`, started at `start`.
        let host = hostname::get().unwrap().into_string().unwrap();
        plant_lock(
            release,
            &format!("user: jim\nhost: {host}\npid: 1\n"),
            chrono::Duration::minutes(5),
            &format!("run_id: r-7\nboot_id: {boot_id}\npid_start: {start}\n"),
        );
        let out = w
            .on(
                &agent,
                "tim",
                &[
                    "unlock",
                    "production",
                    "--reason",
                    "the agent rebooted",
                    "--force",
                ],
            )
            .output()
            .unwrap();
        assert_exit!(out, 0, "{boot_id}");
        let text = printed(&out);
        assert!(!text.contains("kill 1"), "{text}");
        assert_eq!(
            crate::support::world::lock_on(&release.deploy_remote),
            None,
            "{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_deployment_is_shown_as_foreign_never_credited_and_escaped() {
    let w = World::new(false).await;
    let (release, services) = (&w.release, &w.services);
    let store = deployments::mount(services).await;
    let p0 = release.production_sha.clone();
    // Another login's deployment of what production runs, with a gatekeeper-like
    // payload that names a person, and escape sequences in every field.
    store.insert(
        json!({
            "ref": p0, "environment": "production",
            "description": "ok \u{1b}[2J",
            "payload": {"gatekeeper": {
                "kind": "deploy", "run": "r-m", "previous_sha": p0,
                "actor": {"github": LOGIN, "ci": "ceo\u{1b}[31m"}, "host": "ci\u{1b}]0;x\u{7}"
            }},
        }),
        "success",
        "mallory\u{1b}[1m",
    );
    let agent = w.machine();

    let text = w.said(&agent, "tim", &["status", "production"], 0);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(!text.contains("ceo"), "nobody is credited: {text}");
    assert!(
        text.contains("foreign deployment 1 by mallory\\u{1b}[1m")
            && text.contains("never credited"),
        "{text}"
    );

    let out = w
        .on(&agent, "tim", &["status", "production", "--format", "json"])
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        status["production"]["run"],
        serde_json::Value::Null,
        "{status}"
    );
    assert_eq!(
        status["production"]["foreign"][0]["creator"],
        "mallory\u{1b}[1m"
    );

    let out = w
        .on(&agent, "tim", &["history", "production"])
        .env("COLUMNS", "250")
        .output()
        .unwrap();
    assert_exit!(out, 0);
    let text = printed(&out);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(!text.contains("ceo"), "nobody is credited: {text}");
    assert!(text.contains("foreign, never credited"), "{text}");
}

/// A rollback confirmed in a comment undoes only the production its asker saw: a
/// request confirming another production SHA is refused, before any target is
/// picked or any step runs, and so is a deploy's confirmation handed to a rollback.
#[tokio::test(flavor = "multi_thread")]
async fn a_rollback_confirmed_for_another_production_is_refused() {
    let w = World::new(false).await;
    let before = w.release.deploy_head();
    for (command, says) in [
        (
            "/rollback production confirm 0000000",
            "but @alice confirmed 0000000",
        ),
        (
            "/deploy production confirm 0000000",
            "confirms another kind of run",
        ),
    ] {
        let request = w.release.root.join("request.json");
        std::fs::write(
            &request,
            json!({
                "via": "chatops",
                "actor": "alice",
                "role": "write",
                "comment_url": "https://github.com/thinkthroughmath/apangea/pull/412#issuecomment-23",
                "command": command,
            })
            .to_string(),
        )
        .unwrap();
        let (code, stdout, stderr) = w.run(&[
            "rollback",
            "production",
            "--yes",
            "--chatops-request",
            request.to_str().unwrap(),
        ]);
        assert_exit!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
        assert!(stderr.contains(says), "{command}: {stderr}");
    }
    assert!(w.ttmscalr().is_empty(), "no step ran");
    assert_eq!(w.release.deploy_head(), before);
}

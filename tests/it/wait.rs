//! `deploy --wait` and `deploy --wait-for-lock` through the real binary, on real git
//! with the stand-in services (`support::world::World`): New Relic answers busy for a number
//! of samples, then quiet; a lock planted on the deploy remote is released while the
//! deploy waits for it. Intervals are a second, so that the tests stay short.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use wiremock::matchers::{body_string_contains, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::support::assert_exit;
use crate::support::git::git;
use crate::support::server::{json_fixture, paths};
use crate::support::world::{LOCK_REF, World, lock_on, plant_lock, run};

/// New Relic busy (17,250 rpm, over the limit) for the first `busy` samples, then
/// quiet (9,800 rpm).
#[derive(Clone)]
struct Throughput {
    busy: usize,
    asked: Arc<AtomicUsize>,
}

impl Respond for Throughput {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.asked.fetch_add(1, Ordering::SeqCst) < self.busy {
            json_fixture("newrelic/rpm-busy.json")
        } else {
            json_fixture("newrelic/rpm.json")
        }
    }
}

async fn throughput(s: &World, busy: usize) -> Arc<AtomicUsize> {
    let asked = Arc::new(AtomicUsize::new(0));
    s.services
        // Only the throughput NRQL: the open-issues queries keep their answers.
        .mount(
            Mock::given(path(paths::NEWRELIC))
                .and(body_string_contains("FROM Transaction"))
                .respond_with(Throughput {
                    busy,
                    asked: asked.clone(),
                }),
        )
        .await;
    asked
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_deploys_once_throughput_stayed_under_the_limit_for_the_steady_period() {
    let s = World::new(false).await;
    let asked = throughput(&s, 2).await;
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&[
        "deploy",
        "production",
        "--yes",
        "--wait",
        "--interval",
        "1s",
        "--steady",
        "2s",
        "--timeout",
        "60s",
    ]));
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("gatekeeper: ") && l.contains(" production "))
        .collect();
    // Two samples over the limit, then allows until they held for 2 s.
    assert!(lines.len() >= 4, "{lines:#?}");
    assert!(
        lines[0].contains("deny (throughput); deciding again in 1s"),
        "{lines:#?}"
    );
    assert!(lines[1].contains("deny (throughput)"), "{lines:#?}");
    assert!(
        lines[2].contains("allow; allowed for 0s of 2s (--steady)"),
        "{lines:#?}"
    );
    let last = lines.last().unwrap();
    assert!(
        last.contains("allow; allowed for 2s: going on"),
        "{lines:#?}"
    );
    assert!(!lines[2..].iter().any(|l| l.contains("deny")), "{lines:#?}");
    // Then the deploy itself decided once more, under the lock, and ran.
    assert!(asked.load(Ordering::SeqCst) >= 6);
    assert_eq!(
        s.ttmscalr().first().map(String::as_str),
        Some("deploy production")
    );
    assert_eq!(
        s.release.deploy_head(),
        s.release.apangea.origin_head("master")
    );
    assert!(stdout.contains("✔ Deployed production"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_gives_up_at_the_timeout_with_exit_1_the_last_decision_and_nothing_taken() {
    let s = World::new(false).await;
    throughput(&s, usize::MAX).await;
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&[
        "deploy",
        "production",
        "--yes",
        "--wait",
        "--interval",
        "1s",
        "--timeout",
        "3s",
    ]));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("gave up after 3s (--timeout)"), "{stderr}");
    assert!(
        stderr.contains("Deploy of production still denied after waiting 3s: nothing was changed."),
        "{stderr}"
    );
    // The last decision, as deploy prints one.
    assert!(stdout.contains("DENY"), "{stdout}");
    assert!(stdout.contains("throughput"), "{stdout}");
    assert!(s.ttmscalr().is_empty());
    assert!(
        lock_on(&s.release.deploy_remote).is_none(),
        "no lock was taken"
    );
    assert!(
        !s.audit().iter().any(|r| r["kind"] == "deploy"),
        "no run was recorded"
    );
    assert_eq!(s.release.deploy_head(), s.release.production_sha);
    // Decisions made while waiting are recorded nowhere, so they are not archived
    // either: an hour of polls leaves no facts file per poll.
    let archive = s.audit.parent().unwrap().join("facts");
    let archived = std::fs::read_dir(&archive).map_or(0, |d| d.count());
    assert_eq!(archived, 0, "{}", archive.display());
}

fn spawn(s: &World, args: &[&str]) -> Child {
    let mut cmd = s.binary(&s.machine(), "tester", args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.spawn().unwrap()
}

/// Reads `child`'s stderr until a line holds `text`: the lines read.
fn read_until(
    child: &mut Child,
    text: &str,
) -> (Vec<String>, BufReader<std::process::ChildStderr>) {
    let mut reader = BufReader::new(child.stderr.take().unwrap());
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).unwrap();
        assert!(n > 0, "the run ended before saying {text:?}: {lines:#?}");
        lines.push(line.clone());
        if line.contains(text) {
            return (lines, reader);
        }
    }
}

fn rest(mut reader: BufReader<std::process::ChildStderr>) -> String {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut reader, &mut text).unwrap();
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_for_lock_names_the_holder_and_deploys_after_it_releases() {
    let s = World::new(false).await;
    // Another run's lock, as `deploy` on another machine takes it.
    plant_lock(
        &s.release,
        "user: jim\nhost: ops2\npid: 4242\n",
        chrono::Duration::zero(),
        "run_id: r-other\n",
    );

    let mut child = spawn(
        &s,
        &[
            "deploy",
            "production",
            "--yes",
            "--wait-for-lock",
            "60s",
            "--interval",
            "1s",
        ],
    );
    let (lines, reader) = read_until(&mut child, "waiting up to 1m");
    let waiting = lines.last().unwrap();
    assert!(
        waiting.contains("production is locked by deploy by jim on ops2 (pid 4242, run r-other)"),
        "{waiting}"
    );
    assert!(
        s.ttmscalr().is_empty(),
        "nothing runs while the lock is held"
    );
    // The holder finishes.
    git(&s.release.deploy_remote, &["update-ref", "-d", LOCK_REF]);
    let stderr = rest(reader);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_exit!(out, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stderr.contains("the lock of production was released"),
        "{stderr}"
    );
    assert_eq!(
        s.ttmscalr().first().map(String::as_str),
        Some("deploy production")
    );
    assert!(
        lock_on(&s.release.deploy_remote).is_none(),
        "its own lock is released at the end"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_while_waiting_ends_with_nothing_taken() {
    let s = World::new(false).await;
    throughput(&s, usize::MAX).await;
    let mut child = spawn(
        &s,
        &[
            "deploy",
            "production",
            "--yes",
            "--wait",
            "--interval",
            "1m",
            "--timeout",
            "10m",
        ],
    );
    let (_, reader) = read_until(&mut child, "deny (throughput)");
    crate::support::signal(&child, "INT");
    let stderr = rest(reader);
    let out = child.wait_with_output().unwrap();
    assert_exit!(out, 130, "{stderr}");
    assert!(
        stderr.contains("interrupted by SIGINT while waiting: nothing was taken or changed"),
        "{stderr}"
    );
    assert!(lock_on(&s.release.deploy_remote).is_none());
    assert!(s.ttmscalr().is_empty());
    assert!(!s.audit().iter().any(|r| r["kind"] == "deploy"));
}

//! The guard after a deploy, on real git with the `ttmscalr` stand-in: New Relic's
//! stand-in answers the baseline and then each sample in turn (NRQL through
//! NerdGraph, with apdex's object and the counts as noise); samples come each
//! second (`guard.interval_seconds = 1`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::support::assert_exit;
use crate::support::server::paths;
use crate::support::world::{World, last_of, run};

/// One NRQL answer of the guard's figures (null figures: no data).
fn figures(error_pct: Option<f64>, apdex: Option<f64>) -> Value {
    let count = if error_pct.is_some() { 9700 } else { 0 };
    json!({"data": {"actor": {"account": {"nrql": {"results": [{
        "error_pct": error_pct,
        "apdex": {"score": apdex, "s": 9100, "t": 420, "f": 180, "count": count},
        "requests": count,
    }]}}}}})
}

/// Answers the guard's queries in turn: the baseline first, then each sample; the
/// last answer repeats.
#[derive(Clone)]
struct InTurn {
    answers: Arc<Vec<Value>>,
    asked: Arc<AtomicUsize>,
}

impl Respond for InTurn {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let i = self.asked.fetch_add(1, Ordering::SeqCst);
        let answer = &self.answers[i.min(self.answers.len() - 1)];
        ResponseTemplate::new(200)
            .insert_header("content-type", "application/json")
            .set_body_string(answer.to_string())
    }
}

async fn guarded(auto_rollback: bool, answers: Vec<Value>) -> (World, Arc<AtomicUsize>) {
    guarded_with(auto_rollback, answers, "/up").await
}

/// With the smoke URL at `up` on the stand-in.
async fn guarded_with(
    auto_rollback: bool,
    answers: Vec<Value>,
    up: &str,
) -> (World, Arc<AtomicUsize>) {
    guarded_edited(auto_rollback, answers, up, |_| {}).await
}

/// With the smoke URL at `up` on the stand-in, and the config edited by `edit`.
async fn guarded_edited(
    auto_rollback: bool,
    answers: Vec<Value>,
    up: &str,
    edit: impl FnOnce(&mut String),
) -> (World, Arc<AtomicUsize>) {
    let s = World::with_config(false, |text| {
        edit(text);
        *text = text.replace("/up\"]", &format!("{up}\"]"));
        if auto_rollback {
            *text = text.replace(
                "app = \"apangea\"",
                "app = \"apangea\"\nauto_rollback = true",
            );
        }
        text.push_str("\n[guard]\nminutes = 3\nbaseline_minutes = 30\ninterval_seconds = 1\n");
    })
    .await;
    let asked = Arc::new(AtomicUsize::new(0));
    s.services
        .mount(
            Mock::given(path(paths::NEWRELIC))
                .and(body_string_contains("error_pct"))
                .respond_with(InTurn {
                    answers: Arc::new(answers),
                    asked: asked.clone(),
                }),
        )
        .await;
    (s, asked)
}

fn flat() -> Vec<Value> {
    vec![
        figures(Some(0.42), Some(0.94)),
        figures(Some(0.5), Some(0.93)),
    ]
}

fn rising() -> Vec<Value> {
    vec![
        figures(Some(0.42), Some(0.94)),
        figures(Some(0.5), Some(0.93)),
        figures(Some(6.25), Some(0.93)),
    ]
}

fn guard_record(records: &[Value]) -> Value {
    last_of(records, "guard").clone()
}

#[tokio::test]
async fn a_flat_deploy_passes_the_guard() {
    let (s, asked) = guarded(false, flat()).await;
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(
        asked.load(Ordering::SeqCst),
        4,
        "the baseline and 3 samples"
    );
    assert!(
        stdout.contains("guard 3/3: error rate 0.50% (baseline 0.42%), apdex 0.93 (baseline 0.94)"),
        "{stdout}"
    );
    assert!(stdout.contains("✔ Guard passed"), "{stdout}");
    let g = guard_record(&s.audit());
    assert_eq!(g["outcome"], "passed");
    assert_eq!(g["samples"].as_array().unwrap().len(), 3);
    assert_ne!(s.release.deploy_head(), s.release.production_sha);
}

#[tokio::test]
async fn a_watch_that_outlasts_deadline_seconds_still_reads_every_sample() {
    // The last sample comes 3 s or more after the baseline: each read is held to a
    // deadline of its own, not to one that started when the guard was armed.
    let (s, asked) = guarded_edited(false, flat(), "/up", |text| {
        *text = text.replace(
            "timeout_seconds = 5\n",
            "timeout_seconds = 5\ndeadline_seconds = 2\n",
        );
    })
    .await;
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(
        asked.load(Ordering::SeqCst),
        4,
        "the baseline and 3 samples"
    );
    assert!(stdout.contains("✔ Guard passed"), "{stdout}");
    assert!(!stdout.contains("deadline_seconds"), "{stdout}");
}

#[tokio::test]
async fn a_rising_error_rate_stops_with_the_rollback_command_without_auto_rollback() {
    let (s, _) = guarded(false, rising()).await;
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("GUARD FAILED"), "{stdout}");
    assert!(
        stdout.contains(
            "minute 2: error rate 6.25% is 5.83 points above the baseline 0.42% (limit 2)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "gatekeeper rollback production --to {}",
            s.release.production_sha
        )),
        "{stdout}"
    );
    // Nothing was rolled back: production runs the new release.
    assert_ne!(s.release.deploy_head(), s.release.production_sha);
    let records = s.audit();
    assert!(
        !records.iter().any(|r| r["kind"] == "rollback"),
        "{records:#?}"
    );
    let g = guard_record(&records);
    assert_eq!(g["outcome"], "failed");
    assert_eq!(g["rolled_back_automatically"], false);
    assert_eq!(
        g["samples"].as_array().unwrap().len(),
        2,
        "it stops at the first failing minute"
    );
}

#[tokio::test]
async fn a_rising_error_rate_is_rolled_back_once_automatically() {
    let (s, _) = guarded(true, rising()).await;
    let store = crate::support::deployments::mount(&s.services).await;
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("GUARD FAILED"), "{stderr}");
    assert!(
        stdout.contains("Rolling back automatically, once"),
        "{stdout}"
    );
    assert!(
        stdout.contains("automatic rollback put production back"),
        "{stdout}"
    );
    assert_eq!(s.release.deploy_head(), s.release.production_sha);
    let records = s.audit();
    let g = guard_record(&records);
    assert_eq!(g["outcome"], "failed");
    assert_eq!(g["rolled_back_automatically"], true);
    assert_eq!(g["rollback_to"], s.release.production_sha.as_str());
    assert_eq!(g["samples"][1]["error_pct"], 6.25);
    assert!(
        g["reasons"][0]
            .as_str()
            .unwrap()
            .contains("error rate 6.25%")
    );
    let rollbacks: Vec<&Value> = records
        .iter()
        .filter(|r| r["kind"] == "rollback" && r["outcome"] != "started")
        .collect();
    assert_eq!(rollbacks.len(), 1, "{records:#?}");
    assert_eq!(rollbacks[0]["outcome"], "ok");
    // The deploy's GitHub deployment says why it failed.
    let deployed = store
        .all()
        .into_iter()
        .find(|d| d.body["payload"]["gatekeeper"]["kind"] == "deploy")
        .unwrap();
    let last = deployed.statuses.last().unwrap();
    assert_eq!(last["state"], "failure");
    assert!(
        last["description"]
            .as_str()
            .unwrap()
            .contains("guard failed"),
        "{last}"
    );
}

#[tokio::test]
async fn missing_metrics_fail_the_guard() {
    let (s, _) = guarded(
        false,
        vec![figures(Some(0.42), Some(0.94)), figures(None, None)],
    )
    .await;
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("minute 1: no data from New Relic"),
        "{stdout}"
    );
    assert_eq!(guard_record(&s.audit())["outcome"], "failed");
}

#[tokio::test]
async fn an_unreadable_baseline_deploys_nothing() {
    let (s, _) = guarded(false, vec![figures(None, None)]).await;
    let master = s.release.deploy_head();
    let (code, _, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 2, "{stderr}");
    assert!(stderr.contains("--no-guard"), "{stderr}");
    assert_eq!(s.release.deploy_head(), master);
    // --no-guard deploys, and says so in the record.
    let (code, stdout, _) =
        run(&mut s.gatekeeper(&["deploy", "production", "--yes", "--no-guard"]));
    assert_exit!(code, 0, "{stdout}");
    assert_eq!(guard_record(&s.audit())["outcome"], "skipped");
}

#[tokio::test]
async fn a_failure_during_the_automatic_rollback_starts_no_other() {
    let (s, asked) = guarded_with(true, rising(), "/up-once").await;
    // The smoke URL answers until the guard's first sample, then fails: the
    // rollback's verify fails.
    s.services
        .mount(
            Mock::given(path("/up-once")).respond_with(move |_: &Request| {
                if asked.load(Ordering::SeqCst) < 2 {
                    ResponseTemplate::new(200)
                } else {
                    ResponseTemplate::new(503)
                }
            }),
        )
        .await;
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("did not succeed; no other is started"),
        "{stdout}"
    );
    let records = s.audit();
    let started = records
        .iter()
        .filter(|r| r["kind"] == "rollback" && r["outcome"] == "started")
        .count();
    assert_eq!(started, 1, "{records:#?}");
    assert_eq!(last_of(&records, "rollback")["outcome"], "failed");
    let deploys = s
        .ttmscalr()
        .iter()
        .filter(|l| *l == "deploy production")
        .count();
    assert_eq!(
        deploys,
        2,
        "the deploy and one rollback: {:?}",
        s.ttmscalr()
    );
}

#[tokio::test]
async fn the_dry_run_shows_the_guard_and_its_thresholds() {
    let (s, asked) = guarded(true, flat()).await;
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--dry-run"]));
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("Guard: after the deploy, 3 sample(s)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("more than 2 points, an apdex drop of more than 0.05"),
        "{stdout}"
    );
    assert!(stdout.contains("one automatic rollback"), "{stdout}");
    assert_eq!(
        asked.load(Ordering::SeqCst),
        0,
        "a dry run reads no figures"
    );
}

#[tokio::test]
async fn a_signal_during_the_guard_ends_it_like_a_step() {
    // A long guard, flat figures: only the signal ends it.
    let (s, asked) = guarded(true, flat()).await;
    let config = std::fs::read_to_string(&s.config)
        .unwrap()
        .replace("minutes = 3\n", "minutes = 60\n");
    std::fs::write(&s.config, config).unwrap();
    let child = s
        .binary(&s.machine(), "tester", &["deploy", "production", "--yes"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Bounded wait until the guard took its first sample.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while asked.load(Ordering::SeqCst) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the guard never sampled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    crate::support::signal(&child, "INT");
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_exit!(out, 130, "{stdout}");
    assert!(stdout.contains("interrupted by SIGINT"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "gatekeeper rollback production --to {}",
            s.release.production_sha
        )),
        "{stdout}"
    );
    let records = s.audit();
    assert_eq!(guard_record(&records)["outcome"], "aborted");
    assert!(
        !records.iter().any(|r| r["kind"] == "rollback"),
        "an interrupted guard rolls nothing back"
    );
    assert_eq!(
        crate::support::world::lock_on(&s.release.deploy_remote),
        None
    );
}

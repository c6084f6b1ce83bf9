//! Live collection at scale: a release of 2, 10, 50 and 100 repos against a local
//! stand-in of Jenkins, New Relic and GitHub that delays every answer by 0.3 s and,
//! like GitHub, refuses (403, secondary rate limit) a request that would make more
//! than 100 GitHub requests in flight. For each size it prints the requests per
//! source, the wall time in units of one answer's delay, the peak of requests in
//! flight per service (as the transport and as the server saw them), and whether
//! the green release was allowed; then criterion times the 10-repo collection.
//!
//! `cargo bench --bench collect`. Targets at 100 repos: allowed; wall at most 6
//! answer delays; GitHub requests at most 2 per repo plus a constant.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../tests/it/support/server.rs"]
mod server;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use gatekeeper::config::Config;
use gatekeeper::facts::plan_window;
use gatekeeper::net::{Policy, Stats};
use gatekeeper::policy::PolicySet;
use gatekeeper::sources::{self, Collection, Silent};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

const DELAY: Duration = Duration::from_millis(300);
/// GitHub's limit on concurrent requests per token.
const GITHUB_CONCURRENCY: usize = 100;
const SIZES: [usize; 4] = [2, 10, 50, 100];

/// What the stand-in saw.
#[derive(Default)]
struct Seen {
    per_source: HashMap<&'static str, usize>,
    /// Arrival times of GitHub requests still being answered (each takes DELAY).
    github_open: VecDeque<Instant>,
    github_peak: usize,
    refused: usize,
}

/// Answers every route of a green release of any number of repos, from the
/// recorded answers of `thinkthroughmath/apangea`.
#[derive(Clone)]
struct Stand {
    seen: Arc<Mutex<Seen>>,
    answers: Arc<HashMap<&'static str, String>>,
    release: Arc<serde_json::Value>,
}

impl Stand {
    fn new() -> Self {
        let mut answers = HashMap::new();
        for (key, rel) in [
            ("build", "jenkins/apangea-rc.json"),
            ("rpm", "newrelic/rpm.json"),
            ("production", "github/branch-aws-production-master.json"),
            ("compare", "github/compare-apangea.json"),
            ("notices", "github/graphql-notices-none.json"),
        ] {
            answers.insert(key, server::fixture_text(rel));
        }
        Self {
            seen: Arc::default(),
            answers: Arc::new(answers),
            release: Arc::new(server::release_node("github/graphql-release-apangea.json")),
        }
    }

    /// The release query's answer: the app's recorded node for every repo asked.
    fn releases(&self, request: &wiremock::Request) -> ResponseTemplate {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        let mut data = serde_json::Map::new();
        for i in 0.. {
            let Some(name) = body["variables"][format!("n{i}")].as_str() else {
                break;
            };
            let mut node = (*self.release).clone();
            node["nameWithOwner"] = format!("thinkthroughmath/{name}").into();
            data.insert(format!("r{i}"), node);
        }
        ResponseTemplate::new(200)
            .insert_header("content-type", "application/json")
            .set_body_json(serde_json::json!({ "data": data }))
            .set_delay(DELAY)
    }

    fn json(&self, key: &str, repo: &str) -> ResponseTemplate {
        let text = self.answers[key].replace("thinkthroughmath/apangea", repo);
        ResponseTemplate::new(200)
            .insert_header("content-type", "application/json")
            .set_body_string(text)
            .set_delay(DELAY)
    }
}

impl Respond for Stand {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let path = request.url.path().to_owned();
        let source = if path.starts_with("/jenkins") {
            "jenkins"
        } else if path.starts_with("/graphql") {
            "newrelic"
        } else {
            "github"
        };
        {
            let mut seen = self.seen.lock().unwrap();
            *seen.per_source.entry(source).or_default() += 1;
            if source == "github" {
                let now = Instant::now();
                while seen.github_open.front().is_some_and(|t| now - *t >= DELAY) {
                    seen.github_open.pop_front();
                }
                if seen.github_open.len() >= GITHUB_CONCURRENCY {
                    seen.refused += 1;
                    return ResponseTemplate::new(403)
                        .insert_header("retry-after", "60")
                        .set_body_string(
                            r#"{"message":"You have exceeded a secondary rate limit."}"#,
                        );
                }
                seen.github_open.push_back(now);
                seen.github_peak = seen.github_peak.max(seen.github_open.len());
            }
        }
        // The repo a route is about: /jenkins/job/repo-7/…, /api/v3/repos/o/repo-7/…
        let repo = path
            .split('/')
            .find(|s| s.starts_with("repo-"))
            .map(|name| format!("thinkthroughmath/{name}"))
            .unwrap_or_else(|| "thinkthroughmath/apangea".to_owned());
        if source == "github"
            && String::from_utf8_lossy(&request.body).contains(server::RELEASES_QUERY)
        {
            return self.releases(request);
        }
        let key = if source == "jenkins" {
            "build"
        } else if source == "newrelic" {
            "rpm"
        } else if path.contains("/aws-production/branches/") {
            "production"
        } else if path.contains("/compare/") {
            "compare"
        } else {
            "notices"
        };
        self.json(key, &repo)
    }
}

/// The test config with `n` release repos named thinkthroughmath/repo-1….
fn config_for(uri: &str, dir: &std::path::Path, n: usize) -> Config {
    let services_text = server_config_text(uri);
    let head = services_text
        .split("[[targets.production.repos]]")
        .next()
        .unwrap()
        .to_owned();
    let mut text = head;
    for i in 1..=n {
        text.push_str(&format!(
            "[[targets.production.repos]]\ngithub = \"thinkthroughmath/repo-{i}\"\njenkins_job = \"repo-{i}\"\n\n"
        ));
    }
    let file = dir.join("gatekeeper.toml");
    std::fs::write(&file, text).unwrap();
    Config::load(&file).unwrap()
}

/// The config text of the support server, pointed at `uri`.
fn server_config_text(uri: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let services = runtime.block_on(server::Services::start_green());
    services.config_text().replace(&services.uri(), uri)
}

struct Measured {
    allowed: bool,
    wall: Duration,
    per_source: HashMap<&'static str, usize>,
    transport: Vec<Stats>,
    github_peak_seen: usize,
    refused: usize,
}

fn measure(runtime: &tokio::runtime::Runtime, n: usize) -> Measured {
    let stand = Stand::new();
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(stand.clone())
            .mount(&server)
            .await;
        server
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&server.uri(), dir.path(), n);
    let env: HashMap<&str, &str> = server::Services::env().into_iter().collect();
    let lookup = move |var: &str| env.get(var).map(|v| (*v).to_owned());
    let now: DateTime<Utc> = server::GREEN_AT.parse().unwrap();
    let stats: Arc<Mutex<Vec<Stats>>> = Arc::default();
    let sink = stats.clone();
    let request = Collection {
        config: &config,
        target: "production",
        now,
        // The green release's answers are dated before GREEN_AT, as recorded.
        clock_moved: true,
        window: plan_window(now, 60, config.tz()),
        downtime_requested: false,
        // The deadline runs from here, as a collection's does from its start.
        policy: Policy::new(
            config.timeout_seconds,
            config.deadline_seconds,
            config.max_in_flight,
        ),
        log: None,
        stats: Some(Arc::new(move |s: &[Stats]| {
            *sink.lock().unwrap() = s.to_vec();
        })),
    };
    let started = Instant::now();
    let facts = runtime.block_on(sources::collect_with_env(&request, &Silent, &lookup));
    let wall = started.elapsed();
    let mut policies =
        PolicySet::load(&config.resolve(config.policies.as_ref().unwrap()), false).unwrap();
    let allowed = policies.evaluate(&facts).unwrap().decision.allow;
    let seen = stand.seen.lock().unwrap();
    let transport = stats.lock().unwrap().clone();
    Measured {
        allowed,
        wall,
        per_source: seen.per_source.clone(),
        transport,
        github_peak_seen: seen.github_peak,
        refused: seen.refused,
    }
}

fn collect(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    eprintln!(
        "repos |        decision | wall (x {} ms) | jenkins / newrelic / github requests | github per repo | peak in flight jenkins / newrelic / github (server saw) | refused",
        DELAY.as_millis()
    );
    for n in SIZES {
        let m = measure(&runtime, n);
        let peak = |name: &str| {
            m.transport
                .iter()
                .find(|s| s.service.name() == name)
                .map_or(0, |s| s.peak_in_flight)
        };
        let count = |name: &str| m.per_source.get(name).copied().unwrap_or(0);
        eprintln!(
            "{n:>5} | {:>15} | {:>14.1} | {:>4} / {} / {:>4} | {:>15.2} | {:>3} / {} / {:>3} ({:>3}) | {}",
            if m.allowed { "allowed" } else { "DENIED" },
            m.wall.as_secs_f64() / DELAY.as_secs_f64(),
            count("jenkins"),
            count("newrelic"),
            count("github"),
            count("github") as f64 / n as f64,
            peak("jenkins"),
            peak("newrelic"),
            peak("github"),
            m.github_peak_seen,
            m.refused,
        );
    }

    let mut group = c.benchmark_group("collect");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("10 repos, answers delayed 300 ms", |b| {
        b.iter(|| measure(&runtime, 10))
    });
    group.finish();
}

criterion_group!(benches, collect);
criterion_main!(benches);

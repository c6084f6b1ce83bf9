//! Collection runs every source at once: with every answer delayed by the test
//! server, its wall time is about the longest chain of dependent requests (two
//! answers: production SHA / release head → compare, pull requests → reviews,
//! notices → comments), not the sum of all requests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/it/support/server.rs"]
mod server;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use gatekeeper::config::Config;
use gatekeeper::facts::plan_window;
use gatekeeper::sources::{self, Request, Silent};

const DELAY: Duration = Duration::from_millis(200);

fn collect(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let services = runtime.block_on(server::Services::start_green_delayed(DELAY));
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(&services.write_config(dir.path())).unwrap();
    let env: HashMap<&str, &str> = server::Services::env().into_iter().collect();
    let lookup = move |var: &str| env.get(var).map(|v| (*v).to_owned());
    let now: DateTime<Utc> = server::GREEN_AT.parse().unwrap();
    let request = Request {
        config: &config,
        target: "production",
        now,
        window: plan_window(now, 60, config.tz()),
        downtime_requested: false,
        log: None,
        stats: None,
    };

    // One run up front: how many requests, and their sum if made one after another.
    let before = runtime.block_on(services.requests()).len();
    let started = Instant::now();
    let facts = runtime.block_on(sources::collect_with_env(&request, &Silent, &lookup));
    let took = started.elapsed();
    assert!(facts.errors.is_empty(), "{:?}", facts.errors);
    let requests = runtime.block_on(services.requests()).len() - before;
    eprintln!(
        "collect: {requests} requests, each answered after {} ms: {:.0} ms if sequential, {:.0} ms measured",
        DELAY.as_millis(),
        (DELAY * u32::try_from(requests).unwrap()).as_secs_f64() * 1000.0,
        took.as_secs_f64() * 1000.0
    );

    let mut group = c.benchmark_group("collect");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("all sources, answers delayed 200 ms", |b| {
        b.iter(|| runtime.block_on(sources::collect_with_env(&request, &Silent, &lookup)))
    });
    group.finish();
}

criterion_group!(benches, collect);
criterion_main!(benches);

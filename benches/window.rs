//! `gatekeeper window`'s search over 14 days on recorded facts, with the shipped
//! policies: the target is under 1 s in a release build.

#![allow(clippy::unwrap_used)] // a bench that cannot load its fixtures should stop at once

use std::path::Path;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use gatekeeper::facts::Facts;
use gatekeeper::planner::{Query, read_settings, search};
use gatekeeper::policy::PolicySet;

fn window_search(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let policies = PolicySet::load(&root.join("policies"), false).unwrap();
    let mut facts = Facts::load(
        &root.join("fixtures/facts/migrations-weekday-no-notice.json"),
        "production",
    )
    .unwrap();
    let now: DateTime<Utc> = "2026-11-24T19:00:00Z".parse().unwrap();
    let tz = chrono_tz::America::New_York;
    facts.replan(now, None, 60, tz);
    let query = Query {
        tz,
        minutes: 60,
        days: 14,
        settings: read_settings(&mut policies.clone()).unwrap(),
    };
    let mut group = c.benchmark_group("window");
    group.sample_size(10);
    group.bench_function("search_14_days_downtime", |b| {
        b.iter(|| {
            let mut p = policies.clone();
            search(&mut p, &facts, &query).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, window_search);
criterion_main!(benches);

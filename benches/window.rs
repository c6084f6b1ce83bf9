//! `gatekeeper window`'s 14-day search on recorded facts with the shipped policies,
//! for a release of 2 and of 100 repos. Target: at most 50 ms, and no slower with
//! 100 repos than with 2 (the facts that do not depend on the time are encoded once
//! and the checks that read every repo are not evaluated per candidate start).

#![allow(clippy::unwrap_used)] // a bench that cannot load its fixtures should stop at once

use std::hint::black_box;
use std::path::Path;

use chrono::{DateTime, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gatekeeper::facts::Facts;
use gatekeeper::planner::{Query, read_settings, search};
use gatekeeper::policy::PolicySet;

/// The recorded downtime facts with their repos repeated up to `repos`.
fn facts_with(root: &Path, repos: usize) -> Facts {
    let mut facts = Facts::load(
        &root.join("fixtures/facts/migrations-weekday-no-notice.json"),
        "production",
    )
    .unwrap();
    let recorded = facts.repos.clone();
    facts.repos = recorded
        .iter()
        .cycle()
        .take(repos)
        .enumerate()
        .map(|(i, repo)| {
            let mut repo = repo.clone();
            repo.name = format!("{}-{i}", repo.name);
            repo
        })
        .collect();
    let now: DateTime<Utc> = "2026-11-24T19:00:00Z".parse().unwrap();
    facts.replan(now, None, 60, chrono_tz::America::New_York);
    facts
}

fn window_search(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let policies = PolicySet::load(&root.join("policies"), false).unwrap();
    let query = Query {
        tz: chrono_tz::America::New_York,
        minutes: 60,
        days: 14,
        settings: read_settings(&mut policies.clone()).unwrap(),
    };
    let mut group = c.benchmark_group("window_14_days_downtime");
    group.sample_size(20);
    for repos in [2, 100] {
        let facts = facts_with(root, repos);
        group.bench_with_input(BenchmarkId::new("repos", repos), &facts, |b, facts| {
            b.iter(|| {
                let mut p = policies.clone();
                search(&mut p, black_box(facts), &query).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, window_search);
criterion_main!(benches);

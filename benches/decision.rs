//! Evaluating the shipped policies on a recorded facts document, the engine prepared
//! once (target: under 1 ms per decision), and loading them from disk for comparison.

// A bench that cannot load the shipped policies has nothing to measure: stop loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use gatekeeper::facts::Facts;
use gatekeeper::policy::PolicySet;

fn decision(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let policies = root.join("policies");
    let mut set = PolicySet::load(&policies, false).expect("shipped policies load");
    for name in ["green", "migrations-saturday-vetted"] {
        let facts = Facts::load(
            &root.join(format!("fixtures/facts/{name}.json")),
            "production",
        )
        .expect("fixture loads");
        c.bench_function(&format!("evaluate prepared policies on {name}"), |b| {
            b.iter(|| set.evaluate(black_box(&facts)).expect("decides"))
        });
    }
    c.bench_function("load and parse the shipped policies", |b| {
        b.iter(|| PolicySet::load(black_box(&policies), false).expect("loads"))
    });
}

criterion_group!(benches, decision);
criterion_main!(benches);

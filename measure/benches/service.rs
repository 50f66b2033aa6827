//! Criterion group `service`: the service's own work, natively, with no process or runtime
//! around it: rendering the JSON, routing `GET /api/time`, and writing a WAGI response.
//!
//! `cargo bench -p measure --bench service`; results land in
//! `target/criterion/service/<bench>/new/` and `measure run` reads them (probe `criterion`).

use criterion::{criterion_group, criterion_main, Criterion};
use moscow_time::{respond, wagi, MoscowTime};
use std::hint::black_box;

/// A fixed instant, so every run formats the same date.
const NOW: i64 = 1_700_000_000;

fn service(c: &mut Criterion) {
    let now = MoscowTime::from_unix(NOW);
    let response = respond("GET", "/api/time", now);
    assert_eq!(
        response.body.trim_end(),
        now.to_json(),
        "GET /api/time is not the Moscow JSON"
    );

    let mut group = c.benchmark_group("service");
    group.bench_function("json_render", |b| {
        b.iter(|| MoscowTime::from_unix(black_box(NOW)).to_json())
    });
    group.bench_function("route_api_time", |b| {
        b.iter(|| respond(black_box("GET"), black_box("/api/time"), black_box(now)))
    });
    // One buffer, cleared each time: the figure is routing and writing, not the allocator
    // growing a fresh Vec.
    let mut out = Vec::with_capacity(1024);
    group.bench_function("wagi_write", |b| {
        b.iter(|| {
            out.clear();
            let response = respond(black_box("GET"), black_box("/api/time"), black_box(now));
            wagi::write_response(&mut out, "GET", &response).expect("writing to a Vec");
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, service);
criterion_main!(benches);

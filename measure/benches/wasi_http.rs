//! Criterion group `wasi_http`: where one request's time goes in the embedded wasi:http
//! host, in process and without a socket (`wasmlab_hosts::wasi_http`): instantiating the
//! pre-instantiated component in a fresh store from the pooling allocator, running the
//! guest's handler to its end, dropping the store (teardown), and the three together; and
//! the handler alone in an instance that has served requests before (`handler_reused`:
//! what a request costs when instances are reused, instantiation and teardown then paid
//! once per instance).
//!
//! The component is `$WASI_HTTP_COMPONENT` (the Makefile exports it). Without it the group
//! is skipped with a message. `measure run` imports the results (probe `criterion`) as
//! `criterion.wasi_http.<bench>`.

use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::Empty;
use hyper::body::Bytes;
use std::time::{Duration, Instant};
use wasmlab_hosts::wasi_http::{self, Allocator, Guest, Prepared};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

fn request() -> hyper::Request<Empty<Bytes>> {
    hyper::Request::get("http://127.0.0.1:8080/api/time")
        .body(Empty::new())
        .expect("request")
}

/// The times of one request's three parts.
fn one(runtime: &tokio::runtime::Runtime, pre: &ProxyPre<Guest>) -> [Duration; 3] {
    let (prepared, answer) = wasi_http::prepare(pre, request()).expect("prepare");
    let Prepared {
        mut store,
        request,
        outparam,
    } = prepared;
    let start = Instant::now();
    let proxy = runtime
        .block_on(wasi_http::instantiate(pre, &mut store))
        .expect("instantiate");
    let instantiated = start.elapsed();
    let start = Instant::now();
    runtime
        .block_on(wasi_http::call(&proxy, &mut store, request, outparam))
        .expect("handle");
    let handled = start.elapsed();
    // The instance lives in the store (`proxy` is a handle): dropping the store is the
    // teardown.
    let start = Instant::now();
    drop(store);
    let torn_down = start.elapsed();
    let response = answer.blocking_recv().expect("a response").expect("a 200");
    assert_eq!(response.status(), 200);
    [instantiated, handled, torn_down]
}

fn bench(c: &mut Criterion) {
    let Some(component) = std::env::var_os("WASI_HTTP_COMPONENT").filter(|p| !p.is_empty()) else {
        eprintln!(
            "wasi_http benches skipped: WASI_HTTP_COMPONENT is not set (run `make bench`, or set it to target/wasm32-wasip2/dist/moscow-time.wasm)"
        );
        return;
    };
    let engine = wasi_http::engine(Allocator::Pooling).expect("engine");
    let loaded = wasi_http::load(&engine, component.as_ref(), false).expect("component");
    let pre = wasi_http::pre_instantiate_0_2(&engine, &loaded).expect("pre-instantiate");
    // One thread, as the host has.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut group = c.benchmark_group("wasi_http");
    for (name, part) in [
        ("instantiate", Some(0)),
        ("handler", Some(1)),
        ("teardown", Some(2)),
        ("request", None),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let parts = one(&runtime, &pre);
                        part.map_or_else(|| parts.iter().sum(), |i| parts[i])
                    })
                    .sum()
            })
        });
    }
    group.bench_function("handler_reused", |b| {
        let (prepared, _) = wasi_http::prepare(&pre, request()).expect("prepare");
        let mut store = prepared.store;
        let proxy = runtime
            .block_on(wasi_http::instantiate(&pre, &mut store))
            .expect("instantiate");
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let (request, outparam, answer) =
                        wasi_http::place(&mut store, request()).expect("place");
                    let start = Instant::now();
                    runtime
                        .block_on(wasi_http::call(&proxy, &mut store, request, outparam))
                        .expect("handle in a reused instance");
                    let handled = start.elapsed();
                    let response = answer.blocking_recv().expect("a response").expect("a 200");
                    assert_eq!(response.status(), 200);
                    handled
                })
                .sum()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Criterion group `wagi`: one request through the embedded WAGI host, in process and
//! without a socket: route, CGI environment, a fresh instance from the pooling allocator,
//! `_start`, stdout parsed into the response (`wasmlab_hosts::wagi::Host::handle`).
//!
//! The module is `$WASM_MODULE` (the Makefile exports it), served through a manifest that
//! is `$SPIN_TOML`'s routes pointed at that module. Without it the group is skipped with a
//! message. `cargo bench -p measure --bench wagi`; `measure run` imports the results
//! (probe `criterion`) as `criterion.wagi.<bench>`.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{criterion_group, criterion_main, Criterion};
use std::path::PathBuf;
use wasmlab_hosts::wagi::cgi::Peers;
use wasmlab_hosts::wagi::manifest::single_route;
use wasmlab_hosts::wagi::Host;

/// A spin.toml with the service's one WAGI route, serving `module`.
fn manifest(dir: &std::path::Path, module: &std::path::Path) -> PathBuf {
    let path = dir.join("spin.toml");
    std::fs::write(&path, single_route(module)).expect("write spin.toml");
    path
}

fn request(path: &str) -> Request<Body> {
    Request::get(path)
        .header("Host", "127.0.0.1:3000")
        .body(Body::empty())
        .expect("request")
}

fn wagi(c: &mut Criterion) {
    let Some(module) = std::env::var_os("WASM_MODULE").filter(|p| !p.is_empty()) else {
        eprintln!(
            "wagi benches skipped: WASM_MODULE is not set (run `make bench`, or set it to target/wasm32-wasip1/dist/moscow-time.wasm)"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let host = Host::load(&manifest(dir.path(), &PathBuf::from(module)))
        .unwrap_or_else(|e| panic!("{e:#}"));
    // The host is async (wasmtime's async calls); one thread, as a pinned server has.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let peers = Peers {
        client: "127.0.0.1:40000".parse().expect("address"),
        local: "127.0.0.1:3000".parse().expect("address"),
    };
    let answer = |path: &str| {
        runtime.block_on(async {
            let response = host.handle(request(path), peers).await;
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .expect("body");
            (status, body)
        })
    };
    // No figure is taken of a host that answers something else.
    let (status, body) = answer("/api/time");
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("\"moscow_time\""), "not the JSON: {text}");
    assert_eq!(answer("/missing").0, StatusCode::NOT_FOUND);

    let mut group = c.benchmark_group("wagi");
    group.bench_function("request_api_time", |b| b.iter(|| answer("/api/time")));
    group.bench_function("request_page", |b| b.iter(|| answer("/")));
    group.finish();
}

criterion_group!(benches, wagi);
criterion_main!(benches);

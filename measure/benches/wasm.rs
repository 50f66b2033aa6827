//! Criterion group `wasm`: the phases of running the service module in the embedded
//! wasmtime, with the same engine configuration `measure` uses (`wasmlab_hosts::wasm`).
//!
//! The module is `$WASM_MODULE` (the Makefile exports it; a relative path is taken from
//! `measure/`, where cargo runs benches). Without it the group is skipped with a message.
//! `cargo bench -p measure --bench wasm`; results land in `target/criterion/wasm/<bench>/new/`
//! and `measure run` reads them (probe `criterion`).
//!
//! Each iteration times its operation alone: dropping the module, store or instance it made
//! happens outside the clock, as in the `phase` probe, and nothing piles up in memory.

use criterion::{criterion_group, criterion_main, Criterion};
use moscow_time::MoscowTime;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use wasmlab_hosts::wasm::{self, Host, Stdio};
use wasmtime::Module;

/// `args` and environment of every instance: the service's one-shot CLI mode.
fn args() -> Vec<String> {
    vec!["moscow-time.wasm".to_owned()]
}

fn env() -> Vec<(String, String)> {
    vec![("MODE".to_owned(), "once".to_owned())]
}

/// Times `op` alone on each of `iters` iterations; what it returns is dropped untimed.
fn timed<T>(iters: u64, mut op: impl FnMut() -> T) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let made = black_box(op());
        total += start.elapsed();
        drop(made);
    }
    total
}

/// Instantiates `module` with MODE=once and runs `_start` to a zero exit; the store is
/// returned so that the caller drops it (outside the clock).
fn run_once(host: &Host, module: &Module) -> impl Sized {
    let mut instance = host
        .instantiate(module, &args(), &env(), Stdio::Capture)
        .expect("instantiate");
    let status = instance.run().expect("run _start");
    assert_eq!(status, 0, "_start exited {status}");
    instance
}

/// Runs `module` once and checks it prints the Moscow Time JSON, so no figure is taken of a
/// module that does something else.
fn check(host: &Host, module: &Module, what: &str) {
    let mut instance = host
        .instantiate(module, &args(), &env(), Stdio::Capture)
        .expect("instantiate");
    let status = instance.run().expect("run _start");
    let output = &instance.output;
    let stdout = output.stdout_text();
    assert_eq!(
        status,
        0,
        "{what}: _start exited {status}: {}",
        output.stderr_text().trim()
    );
    let value: serde_json::Value = serde_json::from_str(stdout.trim_end())
        .unwrap_or_else(|e| panic!("{what}: stdout is not JSON ({e}): {stdout:?}"));
    let ts = value["timestamp"].as_i64();
    let shown = value["moscow_time"].as_str();
    assert!(
        ts.is_some_and(|ts| shown == Some(MoscowTime::from_unix(ts).formatted().as_str())),
        "{what}: not the Moscow Time JSON: {stdout:?}"
    );
}

fn wasm_path() -> Option<PathBuf> {
    match std::env::var_os("WASM_MODULE") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => None,
    }
}

fn wasm(c: &mut Criterion) {
    let Some(path) = wasm_path() else {
        eprintln!(
            "wasm benches skipped: WASM_MODULE is not set (run `make bench`, or set it to target/wasm32-wasip1/dist/moscow-time.wasm)"
        );
        return;
    };
    let engine = wasm::engine().expect("engine");
    let bytes = wasm::read(&path).unwrap_or_else(|e| {
        panic!("{e:#}: build it with `cargo build --profile dist --target wasm32-wasip1 -p moscow-time --bin moscow-time`")
    });
    let host = Host::new(&engine).expect("WASI linker");
    let module = wasm::compile(&engine, &bytes).expect("compile");
    let dir = tempfile::tempdir().expect("temporary directory");
    let cwasm = dir.path().join("moscow-time.cwasm");
    wasm::precompile(&engine, &path, &cwasm).expect("precompile");
    let precompiled = wasm::load_precompiled(&engine, &cwasm).expect("load precompiled");
    check(&host, &module, "JIT-compiled module");
    check(&host, &precompiled, "precompiled module");

    let mut group = c.benchmark_group("wasm");
    group.bench_function("compile", |b| {
        b.iter_custom(|iters| timed(iters, || wasm::compile(&engine, &bytes).expect("compile")))
    });
    group.bench_function("load_precompiled", |b| {
        b.iter_custom(|iters| {
            timed(iters, || {
                wasm::load_precompiled(&engine, &cwasm).expect("load precompiled")
            })
        })
    });
    group.bench_function("instantiate", |b| {
        b.iter_custom(|iters| {
            timed(iters, || {
                host.instantiate(&module, &args(), &env(), Stdio::Capture)
                    .expect("instantiate")
            })
        })
    });
    group.bench_function("run_once", |b| {
        b.iter_custom(|iters| timed(iters, || run_once(&host, &module)))
    });
    group.bench_function("run_once_precompiled", |b| {
        b.iter_custom(|iters| timed(iters, || run_once(&host, &precompiled)))
    });
    group.finish();
}

criterion_group!(benches, wasm);
criterion_main!(benches);

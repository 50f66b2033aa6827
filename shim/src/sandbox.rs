//! The `Sandbox` half of the shim: runs a container's WASI preview 1 module.
//!
//! `run_wasi` runs in the container process, a clone of the shim's zygote, after
//! libcontainer has set up namespaces and pivoted into the rootfs: `/` is the container's
//! root and stdio are the container's.

use std::sync::OnceLock;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use containerd_shim_wasm::sandbox::context::{Entrypoint, RuntimeContext, WasmBinaryType};
use containerd_shim_wasm::sandbox::Sandbox;
use wasmlab_shim_contract::ShimEngine;
use wasmtime::{Config, Engine, Linker, Module, Store, Strategy};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

use crate::cache::Cache;

/// The compilation cache, opened by `main` on the host before the zygote forks (see
/// `cache.rs` for why), or the reason there is none. Unset means caching is off.
pub static CACHE: OnceLock<Result<Cache, String>> = OnceLock::new();

/// The engine, chosen by `main` from the binary's name. Unset means cranelift.
pub static ENGINE: OnceLock<&'static ShimEngine> = OnceLock::new();

#[derive(Default)]
pub struct WasmtimeSandbox;

impl Sandbox for WasmtimeSandbox {
    async fn run_wasi(&self, ctx: &impl RuntimeContext) -> Result<i32> {
        exit_on_panic();
        let result = async {
            exit_on_termination_signals()?;
            run(ctx).await
        }
        .await;
        // The library only logs the error to the shim log and exits 137; say why on the
        // container's stderr too, where whoever ran the container can see it.
        if let Err(err) = &result {
            eprintln!("containerd-shim-wasmtime: {err:#}");
        }
        result
    }
}

/// Ends the process on a panic instead of unwinding: this process is a clone of a
/// multi-threaded zygote, and an unwinding panic here blocks forever, so the task never
/// exits and `ctr run` (and containerd's wait) hang.
fn exit_on_panic() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("containerd-shim-wasmtime: {info}");
        std::process::exit(101);
    }));
}

/// Exits on SIGTERM/SIGINT as if killed by them (128 + signal). The container process is
/// PID 1 of its pid namespace, and the kernel drops signals PID 1 has no handler for; a
/// WASI preview 1 guest cannot install one. Without this, `ctr task kill`, a pod's
/// graceful stop or an interrupted `ctr run` (which forwards signals) would be ignored
/// until SIGKILL.
fn exit_on_termination_signals() -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    for kind in [SignalKind::terminate(), SignalKind::interrupt()] {
        let mut stream = signal(kind).context("installing a signal handler")?;
        // A runtime worker thread runs this while the guest runs on the calling thread.
        tokio::spawn(async move {
            if stream.recv().await.is_some() {
                std::process::exit(128 + kind.as_raw_value());
            }
        });
    }
    Ok(())
}

async fn run(ctx: &impl RuntimeContext) -> Result<i32> {
    let Entrypoint { func, source, .. } = ctx.entrypoint();
    let wasm = source.as_bytes()?;
    match WasmBinaryType::from_bytes(&wasm) {
        Some(WasmBinaryType::Module) => {}
        Some(WasmBinaryType::Component) => bail!("components are not supported by this shim"),
        None => bail!("the entrypoint is not a wasm binary"),
    }

    let engine = Engine::new(&config(ENGINE.get().map_or("cranelift", |e| e.engine))?)?;
    let module = load_module(&engine, &wasm)?;

    // The OCI spec's `KEY=VALUE` strings; args include arg0 (the entrypoint), as a
    // command line would.
    let envs: Vec<(&str, &str)> = ctx
        .envs()
        .iter()
        .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
        .collect();
    let wasi = WasiCtxBuilder::new()
        .args(ctx.args())
        .envs(&envs)
        .inherit_stdio()
        // The container's rootfs: isolation is the container's job, not WASI's.
        .preopened_dir("/", "/", FsPerms::ReadWrite)?
        .build_p1();

    let mut store = Store::new(&engine, wasi);
    let mut linker = Linker::<WasiP1Ctx>::new(&engine);
    // Async: `run_wasi` already runs on a tokio runtime, and the sync WASI API would
    // start a runtime of its own inside it and panic.
    p1::add_to_linker_async(&mut linker, |cx| cx)?;
    let instance = linker.instantiate_async(&mut store, &module).await?;
    let start = instance
        .get_typed_func::<(), ()>(&mut store, &func)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("module has no export {func:?} of type () -> ()"))?;

    match start.call_async(&mut store, ()).await {
        Ok(()) => Ok(0),
        // `proc_exit(n)` unwinds the guest as this error; it is an exit, not a failure.
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(&I32Exit(code)) => Ok(code),
            None => Err(err.into()),
        },
    }
}

/// wasmtime's configuration for `engine`: its defaults (like the wasmtime CLI: cranelift,
/// parallel compilation) but for the compiler. The cache key covers these settings, so
/// engines never share a compiled module.
fn config(engine: &str) -> Result<Config> {
    let mut config = Config::new();
    match engine {
        "cranelift" => {}
        "winch" => {
            config.strategy(Strategy::Winch);
        }
        "pulley" => {
            config.target("pulley64")?;
        }
        other => bail!("unknown engine {other:?}"),
    }
    Ok(config)
}

/// The module compiled for `engine`: from the cache if it is there, otherwise compiled
/// and stored. Cache trouble is a warning, never a failure to run.
fn load_module(engine: &Engine, wasm: &[u8]) -> Result<Module> {
    let start = Instant::now();
    let cache = match CACHE.get() {
        Some(Ok(cache)) => Some(cache),
        Some(Err(why)) => {
            eprintln!("containerd-shim-wasmtime: warning: compilation cache disabled: {why}");
            None
        }
        None => None,
    };
    let key = Cache::key(engine, wasm);
    if let Some(cache) = cache {
        match cache.load(engine, &key) {
            Ok(Some(module)) => {
                log::info!("loaded cached module {key} in {:?}", start.elapsed());
                return Ok(module);
            }
            Ok(None) => {}
            Err(err) => eprintln!(
                "containerd-shim-wasmtime: warning: ignoring cached module {key}: {err:#}"
            ),
        }
    }

    let module = Module::new(engine, wasm)?;
    log::info!("compiled module {key} in {:?}", start.elapsed());
    if let Some(Err(err)) = cache.map(|cache| cache.store(&key, &module)) {
        eprintln!("containerd-shim-wasmtime: warning: not caching the compiled module: {err:#}");
    }
    Ok(module)
}

//! The `Sandbox` half of the shim: runs a container's entrypoint, a core module or a
//! component (see `detect.rs` for which does what).
//!
//! `run_wasi` runs in the container process, a clone of the shim's zygote, after
//! libcontainer has set up namespaces and pivoted into the rootfs: `/` is the container's
//! root and stdio are the container's.

use std::sync::OnceLock;

use anyhow::{Context, Result};
use containerd_shim_wasm::sandbox::context::{Entrypoint, RuntimeContext};
use containerd_shim_wasm::sandbox::Sandbox;
use wasmlab_shim_contract::ShimEngine;
use wasmtime::component::Component;
use wasmtime::Module;

use crate::cache::Cache;
use crate::detect::Role;
use crate::{command, engine, http_proxy};

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
        let result = run(ctx).await;
        // The library only logs the error to the shim log and exits 137; say why on the
        // container's stderr too, where whoever ran the container can see it.
        if let Err(err) = &result {
            eprintln!("containerd-shim-wasmtime: {err:#}");
        }
        result
    }

    /// Every spec that is not a Linux program's. runwasi answers a refusal here with
    /// "can't handle spec: unknown" and gives the reason only to containerd's log; `run`
    /// says on the container's stderr what is wrong with the entrypoint instead (missing,
    /// not wasm, a component that neither serves nor runs).
    async fn can_handle(&self, _ctx: &impl RuntimeContext) -> Result<()> {
        Ok(())
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
/// WASI guest cannot install one. Without this, `ctr task kill`, a pod's
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
    let Entrypoint {
        func, source, arg0, ..
    } = ctx.entrypoint();
    let entry = arg0.map_or_else(|| "(none)".into(), |p| p.display().to_string());
    let wasm = source.as_bytes().with_context(|| {
        format!(
            "cannot read the entrypoint {entry}: the image's Entrypoint must name its .wasm file"
        )
    })?;
    let role = crate::detect::role(&wasm).with_context(|| format!("entrypoint {entry}"))?;
    if role != Role::Module && func != "_start" {
        anyhow::bail!(
            "`#{func}` in the entrypoint names a function of a core module; \
             a component runs by its exports"
        );
    }
    let engine = engine::new(ENGINE.get().map_or("cranelift", |e| e.engine), role)?;
    match role {
        Role::Module => {
            exit_on_termination_signals()?;
            let module: Module = engine::load(&engine, &wasm)?;
            command::run_module(ctx, &engine, &module, &func).await
        }
        Role::Command => {
            exit_on_termination_signals()?;
            let component: Component = engine::load(&engine, &wasm)?;
            command::run_component(ctx, &engine, &component).await
        }
        // The server stops gracefully on these signals instead.
        Role::HttpProxy => http_proxy::serve(ctx, engine, &wasm).await,
    }
}

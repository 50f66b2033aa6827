//! Entrypoints that run once, to an exit code: a core module (WASI preview 1) and a
//! component exporting `wasi:cli/run` (WASI 0.2). Both see the container's arguments,
//! environment, stdio and root filesystem.
//!
//! Async throughout: `run_wasi` already runs on a tokio runtime, and the sync WASI API
//! would start a runtime of its own inside it and panic.

use anyhow::{Context, Result};
use containerd_shim_wasm::sandbox::context::RuntimeContext;
use wasmtime::component::{Component, ResourceTable};
use wasmtime::{Engine, Linker, Module, Store};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::p2::bindings::Command;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// Runs `module`'s `func` (`_start` unless the entrypoint names another).
pub async fn run_module(
    ctx: &impl RuntimeContext,
    engine: &Engine,
    module: &Module,
    func: &str,
) -> Result<i32> {
    let mut store = Store::new(engine, wasi(ctx)?.build_p1());
    let mut linker = Linker::<WasiP1Ctx>::new(engine);
    p1::add_to_linker_async(&mut linker, |cx| cx)?;
    let instance = linker.instantiate_async(&mut store, module).await?;
    let start = instance
        .get_typed_func::<(), ()>(&mut store, func)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("module has no export {func:?} of type () -> ()"))?;
    exit_code(start.call_async(&mut store, ()).await)
}

/// Runs `component`'s `wasi:cli/run`.
pub async fn run_component(
    ctx: &impl RuntimeContext,
    engine: &Engine,
    component: &Component,
) -> Result<i32> {
    let state = CommandState {
        wasi: wasi(ctx)?.inherit_network().build(),
        table: ResourceTable::new(),
    };
    let mut store = Store::new(engine, state);
    let mut linker = wasmtime::component::Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    let command = Command::instantiate_async(&mut store, component, &linker)
        .await
        .map_err(anyhow::Error::from)
        .context("instantiating the component as a wasi:cli command")?;
    match command.wasi_cli_run().call_run(&mut store).await {
        Ok(Ok(())) => Ok(0),
        // `run` returned its error result: the command failed, as `exit(1)` says.
        Ok(Err(())) => Ok(1),
        Err(err) => exit_code(Err(err)),
    }
}

/// The container's arguments (arg0 is the entrypoint, as on a command line), environment
/// (the OCI spec's `KEY=VALUE` strings), stdio and root filesystem.
fn wasi(ctx: &impl RuntimeContext) -> Result<WasiCtxBuilder> {
    let mut builder = WasiCtxBuilder::new();
    builder
        .args(ctx.args())
        .envs(&split_envs(ctx.envs()))
        .inherit_stdio()
        // The container's rootfs: isolation is the container's job, not WASI's.
        .preopened_dir("/", "/", FsPerms::ReadWrite)?;
    Ok(builder)
}

/// `KEY=VALUE` strings as pairs; a string without `=` is a variable with an empty value.
pub fn split_envs(envs: &[String]) -> Vec<(&str, &str)> {
    envs.iter()
        .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
        .collect()
}

/// The exit code of a command that ended with `result`: `proc_exit(n)` (or
/// `wasi:cli/exit`) unwinds the guest as an `I32Exit` error, an exit, not a failure.
fn exit_code(result: wasmtime::Result<()>) -> Result<i32> {
    match result {
        Ok(()) => Ok(0),
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(&I32Exit(code)) => Ok(code),
            None => Err(err.into()),
        },
    }
}

struct CommandState {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for CommandState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

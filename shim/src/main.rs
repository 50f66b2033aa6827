//! `containerd-shim-wasmtime-v1`: a containerd shim that runs WASI modules and components
//! with wasmtime, for containers created with runtime `io.containerd.wasmtime.v1`.
//!
//! runwasi's `containerd-shim-wasm` does the containerd and container plumbing; this
//! crate supplies the rest: what an entrypoint is (`detect.rs`), the engine and its
//! compilation cache (`engine.rs`, `cache.rs`), running commands (`command.rs`) and
//! serving `wasi:http` components (`http_proxy.rs`), tied together in `sandbox.rs`.

mod cache;
mod command;
mod detect;
mod engine;
mod http_proxy;
mod sandbox;

use containerd_shim_wasm::shim::{version, Cli, Config, Shim, Version};

use crate::sandbox::{WasmtimeSandbox, CACHE, ENGINE};
use wasmlab_shim_contract::{ShimEngine, SHIM_ENGINES};

struct WasmtimeShim;

impl Shim for WasmtimeShim {
    type Sandbox = WasmtimeSandbox;

    /// containerd maps runtime `io.containerd.<name>.v1` to the binary
    /// `containerd-shim-<name>-v1` on its PATH; one name per engine, so each engine's
    /// containers also get a state directory of their own.
    fn name() -> &'static str {
        engine().shim_name()
    }

    fn version() -> Version {
        version!()
    }
}

fn main() {
    // containerd-shim-wasm parses its flags the Go way (`-v`, `-info`, ...) and panics on
    // any other, so the usual spelling is answered here, as `-v` is.
    if std::env::args_os()
        .skip(1)
        .any(|arg| arg == "--version" || arg == "-version")
    {
        std::process::exit(print_version());
    }

    // The shim runs in containerd's environment, where RUST_BACKTRACE=1 (left by a
    // developer's shell) would make every error value anyhow and wasmtime create capture
    // a backtrace, which a server pays on each request (several percent of its
    // throughput). Only captured backtraces are turned off: panics keep theirs. Set while
    // the process has one thread, as `set_var` requires.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }

    // Must happen before `run`, which forks the zygote that every container process is
    // cloned from: containers inherit this open directory and, inside their own mount
    // namespace, could not reach the host's cache directory by path. Failure is kept,
    // not fatal: containers then run uncached and say so on their stderr.
    let cache = cache::Cache::open(&cache::dir_from_env()).map_err(|err| format!("{err:#}"));
    let _ = CACHE.set(cache);
    let _ = ENGINE.set(engine());

    let _log_reader = hold_log_fifo_open();
    WasmtimeShim::run(Config::default());
}

/// For the `delete` action, the bundle's `log` FIFO opened read-write, kept open until
/// the process ends. containerd-shimkit's logger opens that FIFO write-only, which blocks
/// until someone reads it; containerd reads it while it runs a shim, but when it calls
/// `delete` on a bundle left by a containerd that died (while loading tasks at start),
/// nobody does: the open, the `delete`, and containerd's start with it, would wait
/// forever, and `ctr` would find no socket listening. With this process as a reader the
/// open returns; the few lines `delete` logs fit in the pipe. (containerd's own shims open
/// the FIFO read-write for the same reason.) Opening a FIFO read-write never blocks on
/// Linux; a bundle without one is left as it is.
fn hold_log_fifo_open() -> Option<std::fs::File> {
    use std::os::unix::fs::FileTypeExt as _;
    let deleting = std::env::args_os()
        .next_back()
        .is_some_and(|a| a == "delete");
    let is_fifo = std::fs::metadata("log").is_ok_and(|m| m.file_type().is_fifo());
    (deleting && is_fifo)
        .then(|| {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("log")
                .ok()
        })
        .flatten()
}

/// The engine this binary runs modules with, from the name it was started as (containerd
/// starts it by the name it derives from the runtime name, and it re-executes itself by
/// the same path). Any other name runs cranelift, wasmtime's default.
fn engine() -> &'static ShimEngine {
    std::env::args_os()
        .next()
        .and_then(|argv0| ShimEngine::by_binary(&argv0.to_string_lossy()))
        .unwrap_or(&SHIM_ENGINES[0])
}

/// What `-v` prints (containerd-shimkit's format); the exit status.
fn print_version() -> i32 {
    use std::io::Write as _;
    let argv0 = std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let version = WasmtimeShim::version();
    let text = format!(
        "{argv0}:\n  Runtime: {}\n  Version: {}\n  Revision: {}\n\n",
        WasmtimeShim::name(),
        version.version,
        version.revision
    );
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{argv0}: cannot write to stdout: {e}");
            1
        }
    }
}

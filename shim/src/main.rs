//! `containerd-shim-wasmtime-v1`: a containerd shim that runs WASI preview 1 modules
//! with wasmtime, for containers created with runtime `io.containerd.wasmtime.v1`.
//!
//! runwasi's `containerd-shim-wasm` does the containerd and container plumbing; this
//! crate supplies the wasm engine (`sandbox.rs`) and a compilation cache (`cache.rs`).

mod cache;
mod sandbox;

use containerd_shim_wasm::shim::{version, Cli, Config, Shim, Version};

use crate::sandbox::{WasmtimeSandbox, CACHE};

struct WasmtimeShim;

impl Shim for WasmtimeShim {
    type Sandbox = WasmtimeSandbox;

    /// containerd maps runtime `io.containerd.<name>.v1` to the binary
    /// `containerd-shim-<name>-v1` on its PATH.
    fn name() -> &'static str {
        "wasmtime"
    }

    fn version() -> Version {
        version!()
    }
}

fn main() {
    // Must happen before `run`, which forks the zygote that every container process is
    // cloned from: containers inherit this open directory and, inside their own mount
    // namespace, could not reach the host's cache directory by path. Failure is kept,
    // not fatal: containers then run uncached and say so on their stderr.
    let cache = cache::Cache::open(&cache::dir_from_env()).map_err(|err| format!("{err:#}"));
    let _ = CACHE.set(cache);

    WasmtimeShim::run(Config::default());
}

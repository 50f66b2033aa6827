//! wasmtime's engine for an entrypoint, and its compiled form (from the cache when it is
//! there).

use std::time::Instant;

use anyhow::{bail, Result};
use wasmtime::{Config, Engine, PoolingAllocationConfig, Strategy};

use crate::cache::{Artifact, Cache};
use crate::detect::Role;
use crate::sandbox::CACHE;

/// Bytes of each slot kept resident between instances: a freed slot's dirty pages are
/// zeroed in place up to this much instead of being returned to the kernel, so the next
/// instance takes no page faults there (the same settings as measure's embedded host).
const POOL_KEEP_RESIDENT: usize = 1 << 20;

/// The engine to run `role` with, compiling with `compiler` (`cranelift`, `winch` or
/// `pulley`). The cache key covers these settings, so engines never share an artifact.
pub fn new(compiler: &str, role: Role) -> Result<Engine> {
    let mut config = base_config(compiler)?;
    if role != Role::HttpProxy {
        // Modules and commands: wasmtime's defaults, as the wasmtime CLI runs them.
        return Ok(Engine::new(&config)?);
    }
    // A request's deadline is enforced by epoch interruption (see http_proxy.rs): the
    // compiled code checks the epoch at loop headers and function entries.
    wasmlab_serve_http::configure(&mut config);
    pooled_or_not(config, pooling())
}

/// An engine of `config` with the pooling allocator `pool`, or without it if the pool
/// cannot be had: it is one large reservation of address space, which a limit on it
/// (`ulimit -v`, overcommit settings) can refuse; instances then cost an mmap and a
/// munmap each, slower but correct.
fn pooled_or_not(config: Config, pool: PoolingAllocationConfig) -> Result<Engine> {
    let mut pooled = config.clone();
    pooled.allocation_strategy(pool);
    match Engine::new(&pooled) {
        Ok(engine) => Ok(engine),
        Err(err) => {
            eprintln!(
                "containerd-shim-wasmtime: warning: the pooling allocator is unavailable \
                 ({err}); allocating instances on demand"
            );
            Ok(Engine::new(&config)?)
        }
    }
}

/// wasmtime's defaults (like the CLI: cranelift, parallel compilation) but for the
/// compiler.
fn base_config(compiler: &str) -> Result<Config> {
    let mut config = Config::new();
    match compiler {
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

/// The pool: memories keep wasmtime's limit (4 GiB), which costs nothing extra, since
/// each slot reserves the engine's memory reservation (4 GiB of address space, so bounds
/// checks can be elided) whatever the limit; the slab is one terabyte of `PROT_NONE`
/// address space, committed only where instances touch it.
fn pooling() -> PoolingAllocationConfig {
    let mut pool = wasmlab_serve_http::pool();
    pool.linear_memory_keep_resident(POOL_KEEP_RESIDENT)
        .table_keep_resident(POOL_KEEP_RESIDENT);
    pool
}

/// `wasm` compiled for `engine` as a `T` (a module or a component): from the cache if it
/// is there, otherwise compiled and stored. Cache trouble is a warning, never a failure
/// to run.
pub fn load<T: Artifact>(engine: &Engine, wasm: &[u8]) -> Result<T> {
    let start = Instant::now();
    let kind = T::KIND;
    let cache = match CACHE.get() {
        Some(Ok(cache)) => Some(cache),
        Some(Err(why)) => {
            eprintln!("containerd-shim-wasmtime: warning: compilation cache disabled: {why}");
            None
        }
        None => None,
    };
    let key = Cache::key::<T>(engine, wasm);
    if let Some(cache) = cache {
        match cache.load::<T>(engine, &key) {
            Ok(Some(artifact)) => {
                log::info!("loaded cached {kind} {key} in {:?}", start.elapsed());
                return Ok(artifact);
            }
            Ok(None) => {}
            Err(err) => eprintln!(
                "containerd-shim-wasmtime: warning: ignoring cached {kind} {key}: {err:#}"
            ),
        }
    }

    let artifact = T::compile(engine, wasm)?;
    log::info!("compiled {kind} {key} in {:?}", start.elapsed());
    if let Some(Err(err)) = cache.map(|cache| cache.store(&key, &artifact)) {
        eprintln!("containerd-shim-wasmtime: warning: not caching the compiled {kind}: {err:#}");
    }
    Ok(artifact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_engine_serves_with_epochs_and_a_pool() {
        for compiler in ["cranelift", "winch", "pulley"] {
            for role in [Role::Module, Role::Command, Role::HttpProxy] {
                new(compiler, role).unwrap_or_else(|e| panic!("{compiler} {role:?}: {e:#}"));
            }
        }
        assert!(new("v8", Role::Module).is_err());
    }

    #[test]
    fn a_pool_that_cannot_be_reserved_falls_back_to_on_demand() {
        // More address space than a 64-bit process has: 2^32 slots of 4 GiB.
        let mut impossible = pooling();
        impossible.total_memories(u32::MAX);
        let mut config = base_config("cranelift").unwrap();
        wasmlab_serve_http::configure(&mut config);
        assert!(Engine::new(config.clone().allocation_strategy(impossible.clone())).is_err());
        let engine = pooled_or_not(config, impossible).unwrap();
        // It runs instances all the same.
        let wasm = wat::parse_str("(module (memory 1))").unwrap();
        let module = wasmtime::Module::new(&engine, wasm).unwrap();
        let mut store = wasmtime::Store::new(&engine, ());
        store.set_epoch_deadline(1);
        wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
    }

    #[test]
    fn a_served_component_is_compiled_apart_from_a_command() {
        // Epoch checks change the code, so the compatibility hash (and the key) differ.
        let wasm = wat::parse_str("(component)").unwrap();
        let key = |role| {
            Cache::key::<wasmtime::component::Component>(&new("cranelift", role).unwrap(), &wasm)
        };
        assert_ne!(key(Role::Command), key(Role::HttpProxy));
    }
}

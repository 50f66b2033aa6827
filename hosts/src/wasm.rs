//! The embedded wasmtime: one engine configuration per strategy for compiling, precompiling
//! and loading, so a precompiled module always matches the engine that runs it, and WASI
//! preview 1 for the guest. Phases are separate functions so they can be timed one by one.

use crate::engine::Engine as Kind;
use anyhow::{Context as _, Result};
use std::path::Path;
use wasmtime::{Config, Engine, Linker, Module, Store, StoreLimits, StoreLimitsBuilder, Strategy};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

/// The engine every wasm figure of the report is taken with: wasmtime's defaults
/// (cranelift, parallel compilation), no compilation cache, so "JIT" always compiles.
pub fn engine() -> Result<Engine> {
    engine_for(Kind::Cranelift)
}

/// wasmtime's defaults but for how it turns wasm into code: cranelift (the default), Winch
/// (its baseline compiler) or Pulley (its interpreter's bytecode, for a portable target).
pub fn engine_for(kind: Kind) -> Result<Engine> {
    let mut config = Config::new();
    match kind {
        Kind::Cranelift => {}
        Kind::Winch => {
            config.strategy(Strategy::Winch);
        }
        Kind::Pulley => {
            config.target("pulley64")?;
        }
        Kind::Wasmi => anyhow::bail!("wasmi is not a wasmtime engine"),
    }
    Engine::new(&config)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot create the wasmtime engine ({})", kind.name()))
}

/// Compiles a module from its bytes (with the engine's compiler).
pub fn compile(engine: &Engine, bytes: &[u8]) -> Result<Module> {
    Module::new(engine, bytes).map_err(|e| anyhow::anyhow!("{}", one_line(&e.into())))
}

/// An error with its causes on one line. wasmparser pretty-prints the byte arrays of a bad
/// header (`expected=[\n    0x0,\n ...`) over several lines, which a one-line error output
/// (and a log grepped by line) cannot take.
pub fn one_line(e: &anyhow::Error) -> String {
    let text = format!("{e:#}");
    let mut out = String::with_capacity(text.len());
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.is_empty() && !out.ends_with('[') && !line.starts_with(']') {
            out.push(' ');
        }
        out.push_str(line);
    }
    out.replace(",]", "]")
}

/// That `path` is a file, or an error saying what it is instead.
pub fn check_file(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(meta) if meta.is_dir() => anyhow::bail!("{} is a directory, not a file", path.display()),
        Ok(_) => anyhow::bail!("{} is not a regular file", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            anyhow::bail!("{} not found: run `make build`", path.display())
        }
        Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
    }
}

/// Compiles `wasm` ahead of time into `out`, loadable with [`load_precompiled`].
pub fn precompile(engine: &Engine, wasm: &Path, out: &Path) -> Result<()> {
    let bytes = read(wasm)?;
    let compiled = engine.precompile_module(&bytes)?;
    std::fs::write(out, compiled).with_context(|| format!("cannot write {}", out.display()))
}

/// Loads a module precompiled by [`precompile`].
pub fn load_precompiled(engine: &Engine, path: &Path) -> Result<Module> {
    // SAFETY: wasmtime requires that the file be a trusted artifact of a compatible engine.
    // It is written by `measure` itself with `engine()`'s configuration, and wasmtime
    // checks its version and settings header, rejecting a mismatch with an error.
    let module = unsafe { Module::deserialize_file(engine, path) }
        .map_err(anyhow::Error::from)
        .with_context(|| {
            format!(
                "{} is not a module precompiled by this measure",
                path.display()
            )
        })?;
    Ok(module)
}

/// Reads a file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    wasmlab_model::files::read_regular(path, wasmlab_model::files::MAX_MODULE_BYTES, "wasm module")
}

/// What the guest sees and where its output goes.
pub enum Stdio {
    /// The host process's stdin, stdout and stderr.
    Inherit,
    /// Stdout and stderr kept in memory (up to 1 MiB each) for checking.
    Capture,
}

/// A guest's captured output.
#[derive(Default)]
pub struct Output {
    pub stdout: Option<MemoryOutputPipe>,
    pub stderr: Option<MemoryOutputPipe>,
}

impl Output {
    pub fn stdout_text(&self) -> String {
        Self::text(&self.stdout)
    }

    pub fn stderr_text(&self) -> String {
        Self::text(&self.stderr)
    }

    fn text(pipe: &Option<MemoryOutputPipe>) -> String {
        pipe.as_ref()
            .map(|p| String::from_utf8_lossy(&p.contents()).into_owned())
            .unwrap_or_default()
    }
}

/// The most linear memory a guest of the embedded hosts may grow to, whatever the engine:
/// a guest that grows without end gets a failed `memory.grow` (and, as a rule, a trap)
/// instead of taking the machine's memory. The service needs a few MiB, a Go module tens.
pub const MAX_GUEST_MEMORY: usize = 1 << 30;

/// A guest's store data: its WASI context and the bound on its memory.
pub struct Guest {
    wasi: WasiP1Ctx,
    limits: StoreLimits,
}

/// A WASI preview 1 host: a linker built once, then any number of fresh instances.
pub struct Host {
    linker: Linker<Guest>,
}

impl Host {
    pub fn new(engine: &Engine) -> Result<Self> {
        let mut linker = Linker::new(engine);
        p1::add_to_linker_sync(&mut linker, |guest: &mut Guest| &mut guest.wasi)?;
        Ok(Self { linker })
    }

    /// A fresh store and instance of `module` with `args` (the first is the program name)
    /// and exactly the environment `env`.
    pub fn instantiate(
        &self,
        module: &Module,
        args: &[String],
        env: &[(String, String)],
        stdio: Stdio,
    ) -> Result<Instance> {
        let mut builder = WasiCtxBuilder::new();
        builder.args(args).envs(env);
        let mut output = Output::default();
        match stdio {
            Stdio::Inherit => {
                builder.inherit_stdio();
            }
            Stdio::Capture => {
                let (out, err) = (
                    MemoryOutputPipe::new(1 << 20),
                    MemoryOutputPipe::new(1 << 20),
                );
                builder.stdout(out.clone()).stderr(err.clone());
                output = Output {
                    stdout: Some(out),
                    stderr: Some(err),
                };
            }
        }
        let guest = Guest {
            wasi: builder.build_p1(),
            limits: StoreLimitsBuilder::new()
                .memory_size(MAX_GUEST_MEMORY)
                .build(),
        };
        let mut store = Store::new(module.engine(), guest);
        store.limiter(|guest| &mut guest.limits);
        let instance = self.linker.instantiate(&mut store, module)?;
        Ok(Instance {
            store,
            instance,
            output,
        })
    }
}

/// An instance with its store and captured output.
pub struct Instance {
    store: Store<Guest>,
    instance: wasmtime::Instance,
    pub output: Output,
}

impl Instance {
    /// Runs the command's `_start` and returns its exit status (0 when it returns normally).
    pub fn run(&mut self) -> Result<i32> {
        let store = &mut self.store;
        let start = self
            .instance
            .get_typed_func::<(), ()>(&mut *store, "_start")
            .map_err(anyhow::Error::from)
            .context("the module has no `_start`: it is not a WASI command")?;
        match start.call(&mut *store, ()) {
            Ok(()) => Ok(0),
            Err(e) => match e.downcast_ref::<I32Exit>() {
                Some(exit) => Ok(exit.0),
                None => Err(anyhow::Error::from(e).context("the guest trapped")),
            },
        }
    }

    /// Size of the exported linear memory, in bytes (the guest's heap as the runtime sees
    /// it).
    pub fn linear_memory_bytes(&mut self) -> u64 {
        self.instance
            .get_memory(&mut self.store, "memory")
            .map_or(0, |m| m.data_size(&self.store) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_header_is_one_line_with_its_bytes() {
        let e = compile(&engine().unwrap(), b"not wasm at all").unwrap_err();
        let text = format!("{e:#}");
        assert!(!text.contains('\n'), "{text}");
        assert!(text.contains("magic"), "{text}");
        assert!(text.contains("[0x0, 0x61, 0x73, 0x6d]"), "{text}");
    }

    #[test]
    fn one_line_joins_lines_and_brackets() {
        let e = anyhow::anyhow!("expected=[\n    0x0,\n    0x61,\n] actual=x").context("outer");
        assert_eq!(one_line(&e), "outer: expected=[0x0, 0x61] actual=x");
    }
}

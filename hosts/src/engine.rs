//! The engines the embedded host can run the module with: wasmtime with each of its three
//! ways to turn wasm into something to execute, and wasmi, an interpreter. One interface
//! over all four (compile, load precompiled, instantiate, run), so the startup, phase and
//! memory probes take every engine the same way.

use crate::wasm::{self, Stdio};
use crate::wasmi_host;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use wasmlab_model::metric::EngineVariants;

/// The wasmtime and wasmi versions built in (pinned in measure's Cargo.toml; a unit test
/// checks them against Cargo.lock), for the provenance of every engine figure.
pub const WASMTIME_VERSION: &str = "48.0.8";
pub const WASMI_VERSION: &str = "2.0.0";

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// wasmtime's optimizing compiler, its default.
    Cranelift,
    /// wasmtime's baseline compiler: one pass, quicker to compile, slower code.
    Winch,
    /// wasmtime's interpreter: the module is compiled to Pulley bytecode.
    Pulley,
    /// wasmi, an interpreter with no ahead-of-time form.
    Wasmi,
}

impl Engine {
    pub const ALL: [Engine; 4] = [Self::Cranelift, Self::Winch, Self::Pulley, Self::Wasmi];

    pub fn name(self) -> &'static str {
        match self {
            Self::Cranelift => "cranelift",
            Self::Winch => "winch",
            Self::Pulley => "pulley",
            Self::Wasmi => "wasmi",
        }
    }

    /// What the engine is, with its crate's version.
    pub fn describe(self) -> String {
        match self {
            Self::Cranelift => {
                format!("wasmtime {WASMTIME_VERSION}, cranelift (optimizing compiler)")
            }
            Self::Winch => format!("wasmtime {WASMTIME_VERSION}, Winch (baseline compiler)"),
            Self::Pulley => format!("wasmtime {WASMTIME_VERSION}, Pulley (interpreter, pulley64)"),
            Self::Wasmi => {
                format!("wasmi {WASMI_VERSION} (interpreter), wasmi_wasi {WASMI_VERSION}")
            }
        }
    }

    /// Whether the engine has a precompiled form (wasmtime's `.cwasm`); wasmi translates
    /// the module at every load.
    pub fn precompiles(self) -> bool {
        self != Self::Wasmi
    }

    /// The variants its figures are named by: a start that compiles (or, for wasmi,
    /// translates), a start from the precompiled module, its in-process phases, and its
    /// shim's: the catalogue's row of the same name (every engine has one, tested).
    pub fn variants(self) -> &'static EngineVariants {
        EngineVariants::of(self.name()).expect("every engine has its row in the catalogue")
    }

    /// Where the module precompiled for this engine is kept, beside `wasm`. Cranelift keeps
    /// the name it always had (`moscow-time.cwasm`).
    pub fn precompiled_path(self, wasm: &Path) -> PathBuf {
        match self {
            Self::Cranelift => wasm.with_extension("cwasm"),
            other => wasm.with_extension(format!("{}.cwasm", other.name())),
        }
    }
}

/// A compiled (or, for wasmi, translated and validated) module.
pub enum Module {
    Wasmtime(wasmtime::Module),
    Wasmi(wasmi::Module),
}

/// A fresh instance of a module with its WASI context, ready to run `_start`.
pub enum Instance {
    Wasmtime(Box<wasm::Instance>),
    Wasmi(Box<wasmi_host::Instance>),
}

/// An engine set up to host modules: configured once, then any number of modules and
/// instances.
pub enum EngineHost {
    Wasmtime(wasmtime::Engine, wasm::Host),
    Wasmi(wasmi_host::Host),
}

impl EngineHost {
    pub fn new(engine: Engine) -> Result<Self> {
        Ok(match engine {
            Engine::Wasmi => Self::Wasmi(wasmi_host::Host::new()?),
            wasmtime => {
                let engine = wasm::engine_for(wasmtime)?;
                let host = wasm::Host::new(&engine)?;
                Self::Wasmtime(engine, host)
            }
        })
    }

    /// Compiles (wasmtime) or translates and validates (wasmi) the module's bytes.
    pub fn compile(&self, bytes: &[u8]) -> Result<Module> {
        Ok(match self {
            Self::Wasmtime(engine, _) => Module::Wasmtime(wasm::compile(engine, bytes)?),
            Self::Wasmi(host) => Module::Wasmi(host.compile(bytes)?),
        })
    }

    /// Compiles `wasm` ahead of time into `out`.
    pub fn precompile(&self, wasm_file: &Path, out: &Path) -> Result<()> {
        match self {
            Self::Wasmtime(engine, _) => wasm::precompile(engine, wasm_file, out),
            Self::Wasmi(_) => bail!("wasmi has no precompiled form: it translates at every load"),
        }
    }

    /// Loads a module [`Self::precompile`] wrote.
    pub fn load_precompiled(&self, path: &Path) -> Result<Module> {
        match self {
            Self::Wasmtime(engine, _) => {
                Ok(Module::Wasmtime(wasm::load_precompiled(engine, path)?))
            }
            Self::Wasmi(_) => bail!("wasmi has no precompiled form: it translates at every load"),
        }
    }

    /// A fresh instance of `module` with `args` (the first is the program name) and exactly
    /// the environment `env`.
    pub fn instantiate(
        &self,
        module: &Module,
        args: &[String],
        env: &[(String, String)],
        stdio: Stdio,
    ) -> Result<Instance> {
        Ok(match (self, module) {
            (Self::Wasmtime(_, host), Module::Wasmtime(module)) => {
                Instance::Wasmtime(Box::new(host.instantiate(module, args, env, stdio)?))
            }
            (Self::Wasmi(host), Module::Wasmi(module)) => {
                Instance::Wasmi(Box::new(host.instantiate(module, args, env, stdio)?))
            }
            _ => bail!("a module of one engine given to another"),
        })
    }
}

impl Instance {
    /// Runs `_start`; its exit status (0 when it returns normally).
    pub fn run(&mut self) -> Result<i32> {
        match self {
            Self::Wasmtime(i) => i.run(),
            Self::Wasmi(i) => i.run(),
        }
    }

    /// Size of the exported linear memory, in bytes.
    pub fn linear_memory_bytes(&mut self) -> u64 {
        match self {
            Self::Wasmtime(i) => i.linear_memory_bytes(),
            Self::Wasmi(i) => i.linear_memory_bytes(),
        }
    }

    /// The guest's captured stdout and stderr (empty unless instantiated with
    /// [`Stdio::Capture`]).
    pub fn output(&self) -> (String, String) {
        match self {
            Self::Wasmtime(i) => (i.output.stdout_text(), i.output.stderr_text()),
            Self::Wasmi(i) => i.output(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_lists_the_engines_in_their_order() {
        let names: Vec<&str> = wasmlab_model::metric::ENGINES
            .iter()
            .map(|e| e.engine)
            .collect();
        let ours: Vec<&str> = Engine::ALL.iter().map(|e| e.name()).collect();
        assert_eq!(names, ours);
        assert_eq!(Engine::Wasmi.variants().engine, "wasmi");
    }

    #[test]
    fn the_reported_versions_are_the_built_ones() {
        let lock =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock")).unwrap();
        for (name, version) in [
            ("wasmtime", WASMTIME_VERSION),
            ("wasmi", WASMI_VERSION),
            ("wasmi_wasi", WASMI_VERSION),
        ] {
            let entry = format!("name = \"{name}\"\nversion = \"{version}\"\n");
            assert!(lock.contains(&entry), "Cargo.lock has no {name} {version}");
        }
    }

    #[test]
    fn engines_have_distinct_precompiled_files() {
        let wasm = Path::new("/x/moscow-time.wasm");
        assert_eq!(
            Engine::Cranelift.precompiled_path(wasm),
            Path::new("/x/moscow-time.cwasm")
        );
        assert_eq!(
            Engine::Winch.precompiled_path(wasm),
            Path::new("/x/moscow-time.winch.cwasm")
        );
    }
}

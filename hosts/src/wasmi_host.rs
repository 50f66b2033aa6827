//! wasmi, an interpreter, as a WASI preview 1 host: the fourth engine of `measure exec` and
//! of the phase and memory probes. It has no compile step to cache: `Module::new`
//! validates and translates the module to wasmi's own bytecode at every load.

use crate::wasm::Stdio;
use anyhow::{anyhow, Context as _, Result};
use std::io::Cursor;
use std::sync::{Arc, RwLock};
use wasmi_wasi::wasi_common::pipe::WritePipe;
use wasmi_wasi::{WasiCtx, WasiCtxBuilder};

type Buffer = Arc<RwLock<Cursor<Vec<u8>>>>;

/// A guest's store data: its WASI context and the same bound on its memory as wasmtime's
/// guests have ([`crate::wasm::MAX_GUEST_MEMORY`]).
pub struct Guest {
    wasi: WasiCtx,
    limits: wasmi::StoreLimits,
}

/// An engine and a WASI linker, built once.
pub struct Host {
    engine: wasmi::Engine,
    linker: wasmi::Linker<Guest>,
}

impl Host {
    pub fn new() -> Result<Self> {
        let engine = wasmi::Engine::default();
        let mut linker = wasmi::Linker::new(&engine);
        wasmi_wasi::add_to_linker(&mut linker, |guest: &mut Guest| &mut guest.wasi)
            .map_err(|e| anyhow!("cannot add WASI to wasmi's linker: {e}"))?;
        Ok(Self { engine, linker })
    }

    /// Validates and translates the module.
    pub fn compile(&self, bytes: &[u8]) -> Result<wasmi::Module> {
        wasmi::Module::new(&self.engine, bytes).map_err(|e| anyhow!("wasmi: {e}"))
    }

    /// A fresh store and instance of `module` with `args` (the first is the program name)
    /// and exactly the environment `env`.
    pub fn instantiate(
        &self,
        module: &wasmi::Module,
        args: &[String],
        env: &[(String, String)],
        stdio: Stdio,
    ) -> Result<Instance> {
        let mut builder = WasiCtxBuilder::new();
        builder
            .args(args)
            .and_then(|b| b.envs(env))
            .map_err(|e| anyhow!("wasmi's WASI context: {e}"))?;
        let mut captured = None;
        match stdio {
            Stdio::Inherit => {
                builder.inherit_stdio();
            }
            Stdio::Capture => {
                let (out, err): (Buffer, Buffer) = Default::default();
                builder
                    .stdout(Box::new(WritePipe::from_shared(out.clone())))
                    .stderr(Box::new(WritePipe::from_shared(err.clone())));
                captured = Some((out, err));
            }
        }
        let guest = Guest {
            wasi: builder.build(),
            limits: wasmi::StoreLimitsBuilder::new()
                .memory_size(crate::wasm::MAX_GUEST_MEMORY)
                .build(),
        };
        let mut store = wasmi::Store::new(&self.engine, guest);
        store.limiter(|guest| &mut guest.limits);
        let instance = self
            .linker
            .instantiate_and_start(&mut store, module)
            .map_err(|e| anyhow!("wasmi cannot instantiate the module: {e}"))?;
        Ok(Instance {
            store,
            instance,
            captured,
        })
    }
}

/// An instance with its store and, when captured, its output buffers.
pub struct Instance {
    store: wasmi::Store<Guest>,
    instance: wasmi::Instance,
    captured: Option<(Buffer, Buffer)>,
}

impl Instance {
    /// Runs `_start`; its exit status (0 when it returns normally).
    pub fn run(&mut self) -> Result<i32> {
        let start = self
            .instance
            .get_typed_func::<(), ()>(&self.store, "_start")
            .context("the module has no `_start`: it is not a WASI command")?;
        match start.call(&mut self.store, ()) {
            Ok(()) => Ok(0),
            Err(e) => match e.i32_exit_status() {
                Some(status) => Ok(status),
                None => Err(anyhow!("the guest trapped: {e}")),
            },
        }
    }

    pub fn linear_memory_bytes(&mut self) -> u64 {
        self.instance
            .get_memory(&self.store, "memory")
            .map_or(0, |m| m.data_size(&self.store) as u64)
    }

    /// Captured stdout and stderr, empty when inherited.
    pub fn output(&self) -> (String, String) {
        let text = |buffer: &Buffer| {
            buffer
                .read()
                .map(|b| String::from_utf8_lossy(b.get_ref()).into_owned())
                .unwrap_or_default()
        };
        self.captured
            .as_ref()
            .map(|(out, err)| (text(out), text(err)))
            .unwrap_or_default()
    }
}

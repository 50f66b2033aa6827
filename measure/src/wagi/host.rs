//! One request, one fresh instance: the WAGI executor. Modules are compiled once when the
//! host starts; every request gets a new store and instance from a pre-linked
//! `InstancePre`, its CGI environment, the body on stdin and stdout in memory.

use super::cgi::{self, Peers};
use super::manifest::App;
use anyhow::{Context as _, Result};
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use std::path::Path;
use tokio::sync::Semaphore;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module,
    PoolingAllocationConfig, Store,
};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

/// Instances alive at once: the pooling allocator's slots. A request waits for a slot
/// rather than fail when all are taken.
const SLOTS: u32 = 128;
/// Largest request body passed to the guest, and largest stdout taken from it.
const MAX_BODY: usize = 16 << 20;
const MAX_STDOUT: usize = 16 << 20;

/// A loaded application, ready to serve requests.
pub struct Host {
    app: App,
    /// One per component of the app, in the same order.
    components: Vec<InstancePre<WasiP1Ctx>>,
    slots: Semaphore,
}

/// The engine of the WAGI host: wasmtime's defaults (cranelift, async calls) plus a
/// pooling allocator, which makes the per-request instance cheap (slots are reused, not
/// mapped and unmapped each time).
pub fn engine() -> Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_core_instances(SLOTS)
        .total_memories(SLOTS)
        .total_tables(SLOTS)
        .total_stacks(SLOTS);
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config)
        .map_err(anyhow::Error::from)
        .context("cannot create the WAGI host's wasmtime engine")
}

impl Host {
    /// Reads the manifest and compiles every component (cranelift).
    pub fn load(manifest: &Path) -> Result<Self> {
        let app = App::load(manifest)?;
        let engine = engine()?;
        let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
        p1::add_to_linker_async(&mut linker, |ctx| ctx)?;
        let components = app
            .components
            .iter()
            .map(|c| {
                let bytes = crate::wasm::read(&c.source)?;
                let module = Module::new(&engine, &bytes).map_err(|e| {
                    anyhow::anyhow!(
                        "{} is not a wasm module: {}",
                        c.source.display(),
                        crate::wasm::one_line(&e.into())
                    )
                })?;
                linker
                    .instantiate_pre(&module)
                    .map_err(anyhow::Error::from)
                    .with_context(|| {
                        format!(
                            "component {:?} needs imports a WASI preview 1 host does not have",
                            c.id
                        )
                    })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            app,
            components,
            slots: Semaphore::new(SLOTS as usize),
        })
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// Answers one request. Every failure is a response (404 without a route, 500 when
    /// the guest fails, 502 when its output is not CGI), logged on stderr in one line.
    pub async fn handle(&self, request: Request<Body>, peers: Peers) -> Response<Body> {
        match self.answer(request, peers).await {
            Ok(response) => response,
            Err((status, why)) => {
                eprintln!("measure wagi: {status}: {why}");
                let mut response = Response::new(Body::from(format!("{why}\n")));
                *response.status_mut() = status;
                response
            }
        }
    }

    async fn answer(
        &self,
        request: Request<Body>,
        peers: Peers,
    ) -> Result<Response<Body>, (StatusCode, String)> {
        let path = request.uri().path().to_owned();
        let route = self.app.route(&path).ok_or_else(|| {
            (
                StatusCode::NOT_FOUND,
                format!("no route of {} matches {path}", self.app.name),
            )
        })?;
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|e| (StatusCode::PAYLOAD_TOO_LARGE, format!("request body: {e}")))?;
        let component = &self.app.components[route.component];
        let mut env = cgi::environment(&parts, body.len(), route, peers);
        env.extend(component.environment.iter().cloned());
        let args = cgi::arguments(&component.argv, route.script_name(), parts.uri.query());
        let stdout = self
            .run(route.component, &args, &env, body.to_vec())
            .await
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")))?;
        let cgi = cgi::parse_response(&stdout).map_err(|why| {
            (
                StatusCode::BAD_GATEWAY,
                format!("component {:?}: {why}", component.id),
            )
        })?;
        let mut response = Response::new(Body::from(cgi.body));
        *response.status_mut() = cgi.status;
        response.headers_mut().extend(cgi.headers);
        Ok(response)
    }

    /// Runs component `index` once in a fresh instance and returns what it printed.
    async fn run(
        &self,
        index: usize,
        args: &[String],
        env: &[(String, String)],
        stdin: Vec<u8>,
    ) -> Result<Vec<u8>> {
        let _slot = self.slots.acquire().await?;
        let component = &self.app.components[index];
        let pre = &self.components[index];
        let stdout = MemoryOutputPipe::new(MAX_STDOUT);
        let mut wasi = WasiCtxBuilder::new();
        wasi.args(args)
            .envs(env)
            .stdin(MemoryInputPipe::new(stdin))
            .stdout(stdout.clone())
            .inherit_stderr();
        let mut store = Store::new(pre.module().engine(), wasi.build_p1());
        let instance = pre.instantiate_async(&mut store).await?;
        let entry = instance
            .get_typed_func::<(), ()>(&mut store, &component.entrypoint)
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!(
                    "component {:?} exports no `{}` function",
                    component.id, component.entrypoint
                )
            })?;
        if let Err(e) = entry.call_async(&mut store, ()).await {
            match e.downcast_ref::<I32Exit>() {
                Some(I32Exit(0)) => {}
                Some(I32Exit(code)) => {
                    anyhow::bail!("component {:?} exited with status {code}", component.id)
                }
                None => {
                    return Err(anyhow::Error::from(e)
                        .context(format!("component {:?} trapped", component.id)))
                }
            }
        }
        drop(store);
        Ok(stdout.contents().to_vec())
    }
}

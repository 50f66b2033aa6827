//! One request, one fresh instance: the WAGI executor. Modules are compiled once when the
//! host starts; every request gets a new store and instance from a pre-linked
//! `InstancePre`, its CGI environment, the body on stdin and stdout in memory.
//!
//! A guest is bounded in time: the engine interrupts wasm at every epoch tick (a thread of
//! the host's advances the epoch), where the guest yields to the async runtime, so a guest
//! that loops holds no worker thread; a guest still running at its deadline is dropped with
//! its instance and its client gets a 504.

use super::cgi::{self, Peers};
use super::manifest::App;
use anyhow::{Context as _, Result};
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use std::path::Path;
use std::time::Duration;
use tokio::sync::Semaphore;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module,
    PoolingAllocationConfig, Store, UpdateDeadline,
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
/// How long a request's body may take to arrive, once its head has: a client that stalls
/// mid-body (a Content-Length it never sends) gets 408, its connection is closed, and it
/// holds no slot, since the guest starts only once the body is whole.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the epoch advances: how long a guest runs before it yields its worker, and how
/// late past its deadline it can be stopped. A wakeup every 10 ms costs the host nothing
/// measurable; a normal request (about a millisecond) rarely sees a tick at all.
const TICK: Duration = Duration::from_millis(10);

/// What a guest may use of the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time from the start of instantiation to the end of the entry point.
    pub guest_timeout: Duration,
}

impl Limits {
    pub const DEFAULT_GUEST_TIMEOUT: Duration = Duration::from_secs(5);
    /// A request that needs longer than this is not what a WAGI handler is for.
    pub const MAX_GUEST_TIMEOUT: Duration = Duration::from_secs(300);
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            guest_timeout: Self::DEFAULT_GUEST_TIMEOUT,
        }
    }
}

/// A loaded application, ready to serve requests.
pub struct Host {
    app: App,
    /// One per component of the app, in the same order.
    components: Vec<InstancePre<WasiP1Ctx>>,
    slots: Semaphore,
    limits: Limits,
}

/// The engine of the WAGI host: wasmtime's defaults (cranelift, async calls) plus a
/// pooling allocator, which makes the per-request instance cheap (slots are reused, not
/// A request body that could not be read: 413 when it is longer than [`MAX_BODY`], 400
/// when it is malformed (a bad chunk size, a connection closed mid-body).
fn body_error_status(e: &axum::Error) -> StatusCode {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<http_body_util::LengthLimitError>() {
            return StatusCode::PAYLOAD_TOO_LARGE;
        }
        cause = c.source();
    }
    StatusCode::BAD_REQUEST
}

/// mapped and unmapped each time), and epoch interruption, which bounds a guest.
pub fn engine() -> Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_core_instances(SLOTS)
        .total_memories(SLOTS)
        .total_tables(SLOTS)
        .total_stacks(SLOTS);
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    config.epoch_interruption(true);
    Engine::new(&config)
        .map_err(anyhow::Error::from)
        .context("cannot create the WAGI host's wasmtime engine")
}

/// Advances `engine`'s epoch every [`TICK`] for as long as the engine exists.
fn start_ticker(engine: &Engine) -> Result<()> {
    let engine = engine.weak();
    std::thread::Builder::new()
        .name("wagi-epoch".into())
        .spawn(move || loop {
            std::thread::sleep(TICK);
            match engine.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => return,
            }
        })
        .context("cannot start the WAGI host's epoch thread")?;
    Ok(())
}

impl Host {
    /// Reads the manifest and compiles every component (cranelift), with the default limits.
    pub fn load(manifest: &Path) -> Result<Self> {
        Self::load_with(manifest, Limits::default())
    }

    /// Reads the manifest and compiles every component (cranelift).
    pub fn load_with(manifest: &Path, limits: Limits) -> Result<Self> {
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
        start_ticker(&engine)?;
        Ok(Self {
            app,
            components,
            slots: Semaphore::new(SLOTS as usize),
            limits,
        })
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// Answers one request. Every failure is a response (400 for a path with a control
    /// character, 404 without a route, 500 when the guest fails, 502 when its output is not
    /// CGI, 504 when it runs out of time), logged on stderr in one line.
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
        // The guest gets the decoded path in its environment, where a NUL would end it
        // early (`/api/time%00junk` read as `/api/time`): such a request never reaches it.
        if cgi::has_control_character(&path) {
            return Err((
                StatusCode::BAD_REQUEST,
                format!("the path {path} has a control character once percent-decoded"),
            ));
        }
        let route = self.app.route(&path).ok_or_else(|| {
            (
                StatusCode::NOT_FOUND,
                format!("no route of {} matches {path}", self.app.name),
            )
        })?;
        let (parts, body) = request.into_parts();
        let body = tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY))
            .await
            .map_err(|_| {
                (
                    StatusCode::REQUEST_TIMEOUT,
                    format!("request body: not complete within {BODY_TIMEOUT:?}"),
                )
            })?
            .map_err(|e| (body_error_status(&e), format!("request body: {e}")))?;
        let component = &self.app.components[route.component];
        let mut env = cgi::environment(&parts, body.len(), route, peers);
        env.extend(component.environment.iter().cloned());
        let args = cgi::arguments(&component.argv, route.script_name(), parts.uri.query());
        // A request waiting for a slot is not yet the guest's time.
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
        let limit = self.limits.guest_timeout;
        let run = self.run(route.component, &args, &env, body.to_vec());
        // Dropping the run at the deadline drops the store and its instance, whether the
        // guest is computing (it yields at every tick) or waiting in a host call.
        let stdout = tokio::time::timeout(limit, run)
            .await
            .map_err(|_| {
                (
                    StatusCode::GATEWAY_TIMEOUT,
                    format!(
                        "component {:?} did not finish within {} s (--guest-timeout); it was stopped",
                        component.id,
                        limit.as_secs_f64()
                    ),
                )
            })?
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
        // At every epoch tick the guest yields its worker thread to other requests; its
        // deadline is kept by the caller's timeout, not here.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|_| {
            Ok(UpdateDeadline::YieldCustom(
                1,
                Box::pin(tokio::task::yield_now()),
            ))
        });
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

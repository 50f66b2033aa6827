//! The embedded `wasi:http` host (`measure serve-http`): the service built for WASI 0.2 as a
//! component that exports `wasi:http/incoming-handler`, served with wasmtime-wasi-http on
//! hyper and tokio. The component is compiled (or loaded precompiled) once and
//! pre-instantiated once; every request gets a fresh store and instance, which is the
//! isolation the component model promises.

use anyhow::{Context as _, Result};
use hyper::server::conn::http1;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, PoolingAllocationConfig, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

/// How instances get their memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Allocator {
    /// Slots reserved up front and reused: an instance costs no mmap/munmap.
    Pooling,
    /// wasmtime's default: memory mapped per instance and unmapped after it.
    OnDemand,
}

/// Instances the pool holds at once: more than the connections any probe opens.
const POOL_INSTANCES: u32 = 256;
/// Bytes of each slot kept resident between instances: all the service touches (its
/// 64 KiB stack, data and a small heap).
const KEEP_RESIDENT: usize = 1 << 20;

/// The engine of the host, and of the precompiling done for it, with the chosen allocator. A precompiled component must come from the same configuration.
pub fn engine(allocator: Allocator) -> Result<Engine> {
    let mut config = Config::new();
    if allocator == Allocator::Pooling {
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(POOL_INSTANCES)
            .total_core_instances(POOL_INSTANCES)
            .total_memories(POOL_INSTANCES)
            .total_tables(POOL_INSTANCES)
            // The guest's heap stays far below this; the default (4 GiB of address space
            // per slot) would reserve a terabyte for the pool.
            .max_memory_size(64 << 20)
            // A freed slot's dirty pages are zeroed in place up to this much instead of
            // being returned to the kernel, so the next instance in it takes no page
            // faults; for a guest this small the faults cost more than the zeroing.
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(KEEP_RESIDENT);
        config.allocation_strategy(pool);
    }
    Engine::new(&config)
        .map_err(anyhow::Error::from)
        .context("cannot create the wasmtime engine")
}

/// Compiles `wasm` (a component) ahead of time into `out`, for `serve --precompiled`.
pub fn precompile(engine: &Engine, wasm: &Path, out: &Path) -> Result<()> {
    let bytes = crate::wasm::read(wasm)?;
    let compiled = engine.precompile_component(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a WASI 0.2 component ({}); build it with `make build`",
            wasm.display(),
            crate::wasm::one_line(&e.into())
        )
    })?;
    std::fs::write(out, compiled).with_context(|| format!("cannot write {}", out.display()))
}

/// The component at `path`: compiled here, or loaded as precompiled by [`precompile`].
pub fn load(engine: &Engine, path: &Path, precompiled: bool) -> Result<Component> {
    crate::wasm::check_file(path)?;
    let loaded = if precompiled {
        // SAFETY: wasmtime requires a trusted artifact of a compatible engine; it is
        // written by `measure` with `engine()`'s configuration, and wasmtime checks its
        // version and settings header, rejecting a mismatch with an error.
        unsafe { Component::deserialize_file(engine, path) }
    } else {
        Component::from_file(engine, path)
    };
    // `{:#}`: wasmtime's own message ("failed to parse WebAssembly module") says little
    // without its cause.
    loaded.map_err(|e| {
        anyhow::anyhow!(
            "{} is not a WASI 0.2 component this host can load: {}",
            path.display(),
            crate::wasm::one_line(&e.into())
        )
    })
}

/// Links the component against WASI 0.2 and wasi:http, and pre-instantiates it.
pub fn pre_instantiate(engine: &Engine, component: &Component) -> Result<ProxyPre<Guest>> {
    let mut linker = Linker::new(engine);
    // A guest built with the Rust standard library also imports wasi:cli interfaces.
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    let pre = linker
        .instantiate_pre(component)
        .map_err(anyhow::Error::from)
        .context("the component does not fit wasi:http/proxy")?;
    ProxyPre::new(pre)
        .map_err(anyhow::Error::from)
        .context("the component does not export wasi:http/incoming-handler")
}

/// Per-request state of one instance.
pub struct Guest {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: Defaults,
}

/// wasi:http's default behaviour, except that outgoing requests are denied: the service
/// makes none, so the crate's client (and its TLS stack) is left out of the build.
struct Defaults;

/// What a guest's outgoing request resolves to.
type Sent = Box<
    dyn std::future::Future<
            Output = wasmtime_wasi_http::Result<(
                hyper::Response<wasmtime_wasi_http::WasiBody>,
                Box<dyn std::future::Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for Defaults {
    fn send_request(
        &mut self,
        _request: hyper::Request<wasmtime_wasi_http::WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _io: Box<dyn std::future::Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Sent {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

impl Guest {
    pub fn new() -> Self {
        Self {
            wasi: WasiCtx::builder().inherit_stderr().build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: Defaults,
        }
    }
}

impl Default for Guest {
    fn default() -> Self {
        Self::new()
    }
}

impl WasiView for Guest {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Guest {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// A request made ready for a fresh instance: its store, and the request and the place the
/// guest puts its response, as wasi:http resources in it.
pub struct Prepared {
    pub store: Store<Guest>,
    pub request: wasmtime::component::Resource<wasmtime_wasi_http::p2::types::HostIncomingRequest>,
    pub outparam:
        wasmtime::component::Resource<wasmtime_wasi_http::p2::types::HostResponseOutparam>,
}

/// Where the guest's response arrives.
pub type Answer = tokio::sync::oneshot::Receiver<
    Result<
        hyper::Response<HyperOutgoingBody>,
        wasmtime_wasi_http::p2::bindings::http::types::ErrorCode,
    >,
>;

/// A fresh store for `request`, with the request and the response place in it.
pub fn prepare<B>(pre: &ProxyPre<Guest>, request: hyper::Request<B>) -> Result<(Prepared, Answer)>
where
    B: hyper::body::Body<Data = hyper::body::Bytes> + Send + 'static,
    B::Error: Into<wasmtime_wasi_http::Error>,
{
    let mut store = Store::new(pre.engine(), Guest::new());
    let (sender, response) = tokio::sync::oneshot::channel();
    let request = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, request)
        .map_err(anyhow::Error::from)?;
    let outparam = store
        .data_mut()
        .http()
        .new_response_outparam(sender)
        .map_err(anyhow::Error::from)?;
    Ok((
        Prepared {
            store,
            request,
            outparam,
        },
        response,
    ))
}

/// A fresh instance of `pre` in the prepared store.
pub async fn instantiate(
    pre: &ProxyPre<Guest>,
    store: &mut Store<Guest>,
) -> Result<wasmtime_wasi_http::p2::bindings::Proxy> {
    pre.instantiate_async(store)
        .await
        .map_err(anyhow::Error::from)
}

/// Runs the guest's handler on the prepared request, to its end.
pub async fn call(
    proxy: &wasmtime_wasi_http::p2::bindings::Proxy,
    store: &mut Store<Guest>,
    request: wasmtime::component::Resource<wasmtime_wasi_http::p2::types::HostIncomingRequest>,
    outparam: wasmtime::component::Resource<wasmtime_wasi_http::p2::types::HostResponseOutparam>,
) -> Result<()> {
    proxy
        .wasi_http_incoming_handler()
        .call_handle(store, request, outparam)
        .await
        .map_err(anyhow::Error::from)
}

impl Prepared {
    /// Instantiates and runs the handler; the store (and instance) is dropped at the end,
    /// which is the teardown.
    pub async fn run(self, pre: ProxyPre<Guest>) -> Result<()> {
        let Prepared {
            mut store,
            request,
            outparam,
        } = self;
        let proxy = instantiate(&pre, &mut store).await?;
        call(&proxy, &mut store, request, outparam).await
    }
}

/// Handles one request in a fresh store and instance of `pre`.
pub async fn handle(
    pre: &ProxyPre<Guest>,
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<HyperOutgoingBody>> {
    let (prepared, receiver) = prepare(pre, request)?;
    // The guest may go on writing the body after it has set the response, so it runs in a
    // task of its own while the response is handed to hyper.
    let task = tokio::task::spawn(prepared.run(pre.clone()));
    match receiver.await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(code)) => Err(code.into()),
        Err(_) => {
            let why = match task.await {
                Ok(Ok(())) => anyhow::anyhow!("the guest set no response"),
                Ok(Err(e)) => e,
                Err(e) => e.into(),
            };
            Err(why.context("the guest set no response"))
        }
    }
}

/// Serves `component` on `listen` until SIGTERM or SIGINT.
pub fn serve(
    component: &Path,
    precompiled: bool,
    listen: SocketAddr,
    allocator: Allocator,
) -> Result<()> {
    let engine = engine(allocator)?;
    let component = load(&engine, component, precompiled)?;
    let pre = Arc::new(pre_instantiate(&engine, &component)?);
    // One thread: the bench pins the host to one core, and the load generator has the other.
    crate::http::serve_on(
        listen,
        tokio::runtime::Builder::new_current_thread(),
        |listener| async move {
            let stop = crate::http::stop_signal();
            tokio::pin!(stop);
            loop {
                let (client, _) = tokio::select! {
                    accepted = listener.accept() => accepted?,
                    _ = &mut stop => return Ok(()),
                };
                let pre = pre.clone();
                tokio::task::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let pre = pre.clone();
                        async move { handle(&pre, request).await }
                    });
                    // A client that goes away mid-request is its own business.
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(client), service)
                        .await;
                });
            }
        },
    )
}

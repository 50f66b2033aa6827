//! What a guest instance lives in: its store's data (WASI context, wasi:http resources),
//! the linker that gives it WASI 0.2 and wasi:http, and the epoch settings that let its
//! deadline fire.

use anyhow::{Context as _, Result};
use std::future::Future;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, PoolingAllocationConfig, Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::handler::ProxyPre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

/// What an engine that serves needs: epoch interruption, by which a request's deadline
/// stops a computing guest (the compiled code checks the epoch at loop headers and
/// function entries). And the component model's async ABI, which a `wasi:http@0.3`
/// handler is exported with. A component precompiled for serving must come from such an
/// engine.
pub fn configure(config: &mut Config) {
    config.epoch_interruption(true);
    config.wasm_component_model_async(true);
}

/// How many instances are live at once, at most: a request beyond waits for one to end
/// instead of failing, and a pool made by [`pool`] has a slot for each.
pub const INSTANCES: usize = 256;
/// Core instances and tables of one component instance the pool has room for: a
/// component built by wit-component instantiates its module and the shim and fixup
/// modules that lower its imports (the service's takes three core instances; with room
/// for one per component, the pool ran out at its 86th instance).
const CORE_PER_COMPONENT: u32 = 4;

/// A pooling allocator with room for [`INSTANCES`] instances of a component with one
/// memory; the caller adds its memory limits.
pub fn pool() -> PoolingAllocationConfig {
    let instances = INSTANCES as u32;
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(instances)
        .total_core_instances(instances * CORE_PER_COMPONENT)
        .total_memories(instances)
        .total_tables(instances * CORE_PER_COMPONENT);
    pool
}

/// Links the component against WASI and wasi:http, 0.2 and 0.3, and pre-instantiates it:
/// the work left per instance is then only instantiation. A component exporting
/// `wasi:http/handler@0.3` is served as 0.3 (an instance may take several requests at
/// once), one exporting `wasi:http/incoming-handler@0.2` as 0.2.
pub fn pre_instantiate(engine: &Engine, component: &Component) -> Result<ProxyPre<Guest>> {
    let mut linker = Linker::new(engine);
    // Guests built with a language's standard library import wasi:cli and friends too,
    // not only what the proxy world names; a 0.3 guest built with Rust's wasm32-wasip2
    // standard library imports WASI 0.2 for it.
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    wasmtime_wasi::p3::add_to_linker(&mut linker)?;
    wasmtime_wasi_http::p3::add_to_linker(&mut linker)?;
    let pre = linker
        .instantiate_pre(component)
        .map_err(anyhow::Error::from)
        .context("the component's imports are not all WASI or wasi:http (0.2 or 0.3)")?;
    if let Ok(service) = wasmtime_wasi_http::p3::bindings::ServicePre::new(pre.clone()) {
        return Ok(ProxyPre::P3(service));
    }
    wasmtime_wasi_http::p2::bindings::ProxyPre::new(pre)
        .map(ProxyPre::P2)
        .map_err(anyhow::Error::from)
        .context(
            "the component exports neither wasi:http/incoming-handler (0.2) nor \
             wasi:http/handler (0.3)",
        )
}

/// A store for one instance of `guest`, on an engine made with [`configure`]. At each
/// epoch tick a guest still computing yields to the runtime, so other requests are
/// served beside it and its deadline can fire. tokio's `yield_now`, not wasmtime's own
/// yield: a task woken by it waits until the runtime has polled sockets and timers, while
/// one that wakes itself at once can hold them off for dozens of polls when several
/// guests compute.
pub fn store(engine: &Engine, guest: Guest) -> Store<Guest> {
    let mut store = Store::new(engine, guest);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|_| {
        Ok(UpdateDeadline::YieldCustom(
            1,
            Box::pin(tokio::task::yield_now()),
        ))
    });
    store
}

/// One instance's state: its WASI context and its wasi:http resources.
pub struct Guest {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: RefuseOutgoing,
}

impl Guest {
    /// A guest with these arguments and environment, writing to the server's stdout and
    /// stderr; it gets no stdin, files or sockets (as under runwasi's shim).
    pub fn new(args: &[String], env: &[(String, String)]) -> Self {
        let wasi = WasiCtx::builder()
            .args(args)
            .envs(env)
            .inherit_stdout()
            .inherit_stderr()
            .build();
        Self {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: RefuseOutgoing,
        }
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

/// wasi:http's defaults but for outgoing requests, which are refused.
struct RefuseOutgoing;

/// What an outgoing request resolves to (`WasiHttpHooks::send_request`).
type Sent = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                hyper::Response<wasmtime_wasi_http::WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for RefuseOutgoing {
    fn send_request(
        &mut self,
        _request: hyper::Request<wasmtime_wasi_http::WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _io: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Sent {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

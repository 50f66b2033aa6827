//! The embedded `wasi:http` host (`measure serve-http`): the service built as a component
//! that exports `wasi:http/incoming-handler` (WASI 0.2) or `wasi:http/handler` (0.3), served as the containerd shim
//! serves it (`wasmlab-serve-http`), from this host's engine. The component is compiled
//! (or loaded precompiled) once and pre-instantiated once; each request gets a fresh
//! instance (the isolation the component model promises) or, with `reuse` above 1, an
//! instance that has served others before it. The steps of one request are public for
//! the in-process bench, which times them apart.

use anyhow::{Context as _, Result};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use wasmtime::component::Component;
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView;

/// How instances get their memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Allocator {
    /// Slots reserved up front and reused: an instance costs no mmap/munmap.
    Pooling,
    /// wasmtime's default: memory mapped per instance and unmapped after it.
    OnDemand,
}

/// Bytes of each slot kept resident between instances: all the service touches (its
/// 64 KiB stack, data and a small heap).
const KEEP_RESIDENT: usize = 1 << 20;

/// The engine of the host, and of the precompiling done for it, with the chosen allocator. A precompiled component must come from the same configuration.
pub fn engine(allocator: Allocator) -> Result<Engine> {
    let mut config = Config::new();
    wasmlab_serve_http::configure(&mut config);
    if allocator == Allocator::Pooling {
        let mut pool = wasmlab_serve_http::pool();
        // The guest's heap stays far below this; the default (4 GiB of address space
        // per slot) would reserve a terabyte for the pool.
        pool.max_memory_size(64 << 20)
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
            "{} is not a wasi:http component ({}); build it with `make build`",
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
            "{} is not a wasi:http component this host can load: {}",
            path.display(),
            crate::wasm::one_line(&e.into())
        )
    })
}

pub use wasmlab_serve_http::{pre_instantiate, Guest};

/// The component at hand pre-instantiated as a 0.2 one, whose request the steps below
/// take apart (a 0.3 handler's call is driven by the concurrent event loop, not by them).
pub fn pre_instantiate_0_2(engine: &Engine, component: &Component) -> Result<ProxyPre<Guest>> {
    match pre_instantiate(engine, component)? {
        wasmtime_wasi_http::handler::ProxyPre::P2(pre) => Ok(pre),
        wasmtime_wasi_http::handler::ProxyPre::P3(_) => {
            anyhow::bail!("a wasi:http@0.3 component: its request is not split into steps here")
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
    let mut store = wasmlab_serve_http::store(pre.engine(), Guest::new(&[], &[]));
    let (request, outparam, response) = place(&mut store, request)?;
    Ok((
        Prepared {
            store,
            request,
            outparam,
        },
        response,
    ))
}

/// The request and the response place as resources in `store`, which may hold an
/// instance that has served requests before.
pub fn place<B>(
    store: &mut Store<Guest>,
    request: hyper::Request<B>,
) -> Result<(
    wasmtime::component::Resource<wasmtime_wasi_http::p2::types::HostIncomingRequest>,
    wasmtime::component::Resource<wasmtime_wasi_http::p2::types::HostResponseOutparam>,
    Answer,
)>
where
    B: hyper::body::Body<Data = hyper::body::Bytes> + Send + 'static,
    B::Error: Into<wasmtime_wasi_http::Error>,
{
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
    Ok((request, outparam, response))
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

/// How long one request may take before its client gets 504 (as in the shim).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How instances serve: up to `reuse` requests each (1: a fresh instance per request),
/// `at_once` of them at a time (a 0.3 component only).
#[derive(Debug, Clone, Copy)]
pub struct Reuse {
    pub reuse: usize,
    pub at_once: usize,
}

/// Serves `component` on `listen` until SIGTERM or SIGINT, its instances reused as `reuse`
/// says.
pub fn serve(
    component: &Path,
    precompiled: bool,
    listen: SocketAddr,
    allocator: Allocator,
    reuse: Reuse,
) -> Result<()> {
    let engine = engine(allocator)?;
    let component = load(&engine, component, precompiled)?;
    let pre = pre_instantiate(&engine, &component)?;
    let options = wasmlab_serve_http::Options {
        timeout: REQUEST_TIMEOUT,
        reuse: reuse.reuse,
        at_once: reuse.at_once,
        args: vec![],
        env: vec![],
        grace: crate::http::GRACE,
        name: "measure serve-http",
    };
    // One thread: the bench pins the host to one core, and the load generator has the other.
    crate::http::serve_on(
        listen,
        tokio::runtime::Builder::new_current_thread(),
        |listener| async move {
            let stop = wasmlab_serve_http::stop_signal()?;
            wasmlab_serve_http::serve(listener, pre, options, stop).await
        },
    )
}

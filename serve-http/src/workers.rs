//! Requests to instances. With a fresh instance per request, the instance is made and run
//! here; with reuse, wasmtime-wasi-http's `ProxyHandler` keeps workers, each one instance,
//! and gives each request to a worker that may take it, and this module decides how many
//! requests an instance takes and when it expires. Either way, this module decides what
//! the client is told when the guest fails or runs out of time.

use crate::guest::{store, Guest, INSTANCES};
use anyhow::{Context as _, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::component::GuestTaskId;
use wasmtime::{Engine, StoreContextMut};
use wasmtime_wasi_http::handler::{
    HandlerState, Instance, ProxyHandler, ProxyPre, ShouldAccept, WorkerExpiration, WorkerState,
    WorkerStatus,
};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::{WasiBody, WasiHttpCtxView, WasiHttpView};

/// How long an instance that may take more requests waits for the next before it is
/// dropped (`wasmtime serve`'s default).
pub const IDLE_INSTANCE: Duration = Duration::from_secs(1);
/// How often the epoch advances. A guest that computes yields to the runtime at every
/// tick, so its deadline is met to within a tick.
const TICK: Duration = Duration::from_millis(10);

/// How a server serves.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// How long one request may run: past it the client gets 504 and the instance that
    /// ran it is dropped.
    pub timeout: Duration,
    /// How many requests one instance serves before it is dropped: 1 is a fresh instance
    /// per request.
    pub reuse: usize,
    /// How many of them it serves at once: a `wasi:http@0.3` handler is async and may be
    /// entered again while a request waits; a 0.2 handler takes one at a time whatever
    /// this says.
    pub at_once: usize,
    /// The guest's arguments and environment.
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// After the stop signal, how long requests in progress get before the server is gone.
    pub grace: Duration,
    /// What prefixes the server's lines on stderr.
    pub name: &'static str,
}

/// Serves `pre` on `listener` until `stop` resolves (see [`crate::serve_connections`]).
/// The engine must have been made with [`crate::configure`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    pre: ProxyPre<Guest>,
    options: Options,
    stop: impl Future<Output = ()>,
) -> Result<()> {
    serve_with(listener, Handler::new(pre, options), stop).await
}

/// [`serve`] with `handler`, which the tests keep to count its instances.
pub(crate) async fn serve_with(
    listener: tokio::net::TcpListener,
    handler: Arc<Handler>,
    stop: impl Future<Output = ()>,
) -> Result<()> {
    let _ticker = EpochTicker::start(&handler.workers.state().engine)?;
    let options = &handler.workers.state().options;
    let (grace, name) = (options.grace, options.name);
    crate::serve_connections(
        listener,
        move |_client| {
            let handler = handler.clone();
            hyper::service::service_fn(move |request| handler.clone().handle(request))
        },
        stop,
        grace,
        name,
    )
    .await;
    Ok(())
}

/// Answers requests through the workers.
pub(crate) struct Handler {
    workers: ProxyHandler<Workers>,
}

impl Handler {
    pub(crate) fn new(pre: ProxyPre<Guest>, options: Options) -> Arc<Self> {
        let engine = match &pre {
            ProxyPre::P2(pre) => pre.engine(),
            ProxyPre::P3(pre) => pre.engine(),
        };
        Arc::new(Self {
            workers: ProxyHandler::new(Workers {
                engine: engine.clone(),
                pre,
                options,
                instances: AtomicUsize::new(0),
                most_at_once: Arc::new(AtomicUsize::new(0)),
                live: Arc::new(Semaphore::new(INSTANCES)),
            }),
        })
    }

    /// How many instances have been made so far.
    #[cfg(test)]
    pub(crate) fn instances(&self) -> usize {
        self.workers.state().instances.load(Ordering::Relaxed)
    }

    /// The most requests one instance has taken at once so far.
    #[cfg(test)]
    pub(crate) fn most_at_once(&self) -> usize {
        self.workers.state().most_at_once.load(Ordering::Relaxed)
    }

    async fn handle(
        self: Arc<Self>,
        request: Request<Incoming>,
    ) -> Result<Response<WasiBody>, Infallible> {
        let workers = self.workers.state();
        Ok(match &workers.pre {
            ProxyPre::P2(pre) if workers.options.reuse == 1 => self.fresh(pre, request).await,
            _ => self.reused(request).await,
        })
    }

    /// A fresh instance for `request`, made and run here rather than by a worker of
    /// `ProxyHandler`: as runwasi's shim serves, and measurably quicker (the worker's
    /// queue and concurrent event loop cost more than they save when an instance takes
    /// one request).
    async fn fresh(
        &self,
        pre: &wasmtime_wasi_http::p2::bindings::ProxyPre<Guest>,
        request: Request<Incoming>,
    ) -> Response<WasiBody> {
        let workers = self.workers.state();
        let options = &workers.options;
        let (name, timeout) = (options.name, options.timeout);
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let slot = workers.slot().await;
        workers.instances.fetch_add(1, Ordering::Relaxed);
        let mut store = store(&workers.engine, Guest::new(&options.args, &options.env));
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let resources = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)
            .and_then(|request| {
                let outparam = store.data_mut().http().new_response_outparam(sender)?;
                Ok((request, outparam))
            });
        let (request, outparam) = match resources {
            Ok(resources) => resources,
            Err(err) => {
                eprintln!("{name}: {method} {uri}: {}", one_line(err));
                return status(StatusCode::INTERNAL_SERVER_ERROR);
            }
        };
        // The guest runs in a task of its own: it may go on writing the body after it
        // has handed over the response, which hyper then streams.
        let pre = pre.clone();
        let (guest_method, guest_uri) = (method.clone(), uri.clone());
        let guest = tokio::spawn(async move {
            let (method, uri) = (guest_method, guest_uri);
            let run = async {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, request, outparam)
                    .await
            };
            // Dropping the guest's future at the deadline stops it where it is; the
            // store (instance, memory, resources) goes with it.
            let outcome = match tokio::time::timeout(timeout, run).await {
                Ok(Ok(())) => Outcome::Finished,
                Ok(Err(err)) => {
                    eprintln!("{name}: {method} {uri}: {}", one_line(err));
                    Outcome::Failed
                }
                Err(_) => {
                    eprintln!("{name}: {method} {uri}: stopped at its deadline ({timeout:?})");
                    Outcome::Deadline
                }
            };
            // The slot is free only once the instance is gone.
            drop(store);
            drop(slot);
            outcome
        });
        match receiver.await {
            Ok(Ok(response)) => response,
            // The guest answered with a wasi:http error code instead of a response.
            Ok(Err(code)) => {
                eprintln!("{name}: {method} {uri}: the guest failed: {code:?}");
                status(StatusCode::INTERNAL_SERVER_ERROR)
            }
            // No response and the store is gone: the guest's run says why.
            Err(_) => match guest.await {
                Ok(Outcome::Deadline) => status(StatusCode::GATEWAY_TIMEOUT),
                Ok(Outcome::Finished) => {
                    eprintln!("{name}: {method} {uri}: the guest returned without a response");
                    status(StatusCode::INTERNAL_SERVER_ERROR)
                }
                Ok(Outcome::Failed) | Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
            },
        }
    }

    /// `request` to a worker of `ProxyHandler`, whose instance may have served others.
    async fn reused(&self, request: Request<Incoming>) -> Response<WasiBody> {
        let options = &self.workers.state().options;
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let request =
            request.map(|body| body.map_err(wasmtime_wasi_http::Error::from).boxed_unsync());
        // The client's answer is decided here; the instance's fate by its expiration,
        // which drops it at the same deadline.
        let answer = tokio::time::timeout(options.timeout, self.workers.handle((), request)).await;
        match answer {
            Ok(Ok(response)) => response,
            Ok(Err(err)) => {
                eprintln!("{}: {method} {uri}: {}", options.name, one_line(err));
                status(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Err(_) => {
                eprintln!(
                    "{}: {method} {uri}: stopped at its deadline ({:?})",
                    options.name, options.timeout
                );
                status(StatusCode::GATEWAY_TIMEOUT)
            }
        }
    }
}

/// How a fresh instance's run for one request ended.
enum Outcome {
    Finished,
    Failed,
    Deadline,
}

/// Makes the instances.
struct Workers {
    /// The pre-instance's engine.
    engine: Engine,
    pre: ProxyPre<Guest>,
    options: Options,
    instances: AtomicUsize,
    /// The most requests an instance has taken at once (the tests read it).
    most_at_once: Arc<AtomicUsize>,
    /// A permit per live instance.
    live: Arc<Semaphore>,
}

impl Workers {
    /// Waits until fewer than [`INSTANCES`] instances are live, so a burst of requests
    /// queues for the pool's slots instead of failing for want of one.
    async fn slot(&self) -> OwnedSemaphorePermit {
        // The semaphore is never closed, so the wait ends only with a permit.
        self.live
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is open")
    }
}

fn http_view(guest: &mut Guest) -> WasiHttpCtxView<'_> {
    guest.http()
}

impl HandlerState for Workers {
    type StoreData = Guest;
    type WorkerExpiration = Expiration;
    type WorkerState = Worker;

    async fn instantiate(&self) -> wasmtime::Result<Instance<Guest, Expiration, Worker>> {
        let options = &self.options;
        let slot = self.slot().await;
        self.instances.fetch_add(1, Ordering::Relaxed);
        let mut store = store(&self.engine, Guest::new(&options.args, &options.env));
        let proxy = self.pre.instantiate_async(&mut store).await?;
        let at_once = match self.pre {
            ProxyPre::P2(_) => 1,
            ProxyPre::P3(_) => options.at_once.max(1),
        };
        Ok(Instance {
            store,
            proxy,
            view: http_view,
            expiration: Expiration::new(options.timeout),
            state: Worker {
                reuse: options.reuse,
                at_once,
                most_at_once: self.most_at_once.clone(),
                timeout: options.timeout,
                _slot: slot,
            },
        })
    }
}

/// One instance: how many requests it takes, and for how long each.
struct Worker {
    reuse: usize,
    at_once: usize,
    most_at_once: Arc<AtomicUsize>,
    timeout: Duration,
    /// Freed with the instance, which the worker state goes with.
    _slot: OwnedSemaphorePermit,
}

impl WorkerState for Worker {
    type StoreData = Guest;
    type RequestData = ();

    fn should_accept_request(&self, concurrent: usize, total: usize) -> ShouldAccept {
        if total >= self.reuse {
            ShouldAccept::Never
        } else if concurrent < self.at_once {
            self.most_at_once
                .fetch_max(concurrent + 1, Ordering::Relaxed);
            ShouldAccept::Yes
        } else {
            // Full (a 0.2 handler cannot be entered twice at once): the next request
            // waits for a turn here or goes to another instance.
            ShouldAccept::No
        }
    }

    fn on_request_start(
        &self,
        _store: StoreContextMut<'_, Guest>,
        _data: (),
        _task: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + Sync>> {
        Box::pin(tokio::time::sleep(self.timeout))
    }

    fn drop(&self, _store: wasmtime::Store<Guest>, _result: wasmtime::Result<()>) {
        // A trap or a deadline has been told to its client already.
    }
}

/// When an instance is dropped: a request past its deadline (a guest computing holds
/// the store, so the worker's own timers cannot fire; this is polled from outside), or
/// no request for [`IDLE_INSTANCE`].
struct Expiration {
    timeout: Duration,
    timer: Pin<Box<tokio::time::Sleep>>,
}

impl Expiration {
    fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            timer: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

impl WorkerExpiration for Expiration {
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        status: WorkerStatus,
        start: Instant,
    ) -> Poll<()> {
        let limit = match status {
            WorkerStatus::Idle => IDLE_INSTANCE,
            WorkerStatus::Requests | WorkerStatus::PostReturn => self.timeout,
        };
        let deadline = tokio::time::Instant::from_std(start + limit);
        if self.timer.deadline() != deadline {
            self.timer.as_mut().reset(deadline);
        }
        self.timer.as_mut().poll(cx)
    }
}

/// Advances `engine`'s epoch every [`TICK`] on a thread of its own, for as long as it
/// lives. One for all requests: a ticker per request would cost a thread (or timer) per
/// request, and once cut `wasmtime serve`'s throughput by orders of magnitude. A thread,
/// not a task: it must tick while guests occupy every runtime worker.
struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    fn start(engine: &Engine) -> Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let (engine, stopped) = (engine.clone(), stop.clone());
        std::thread::Builder::new()
            .name("epoch-ticker".to_owned())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                }
            })
            .context("starting the epoch ticker")?;
        Ok(Self { stop })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A response of the server's own: the status and its reason as plain text.
fn status(code: StatusCode) -> Response<WasiBody> {
    let body = Full::new(Bytes::from(format!("{code}\n")))
        .map_err(|never: Infallible| match never {})
        .boxed_unsync();
    let mut response = Response::new(body);
    *response.status_mut() = code;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// An error with its causes on one line of stderr; for a trap, only what trapped (its
/// wasm backtrace names functions by index, and a panicking guest has printed its own
/// message just before).
fn one_line(err: wasmtime::Error) -> String {
    let text = match err.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => trap.to_string(),
        None => format!("{:#}", anyhow::Error::from(err)),
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

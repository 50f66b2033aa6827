//! Serving a component that exports `wasi:http/incoming-handler`, with the contract of
//! runwasi's wasmtime shim, so an image runs alike under either: HTTP/1 with keep-alive
//! on `WASMTIME_HTTP_PROXY_SOCKET_ADDR` from the container's environment (default
//! `0.0.0.0:8080`), a fresh instance per request from one pre-instance.
//!
//! What this shim adds: a deadline per request (a guest computing past it is stopped and
//! the client gets 504 while other requests go on being served), 500 and a line on
//! stderr when the guest fails, a header timeout, and a graceful stop on SIGTERM that
//! ends within [`GRACE`] whatever clients do. Outgoing HTTP requests of the guest are
//! refused (the HTTP client and its TLS stack are left out of the build).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use containerd_shim_wasm::sandbox::context::RuntimeContext;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpSocket};
use wasmlab_shim_contract::{
    DEFAULT_HTTP_PROXY_ADDR, DEFAULT_REQUEST_TIMEOUT_SECS, HTTP_BACKLOG_ENVS, HTTP_PROXY_ADDR_ENV,
    REQUEST_TIMEOUT_ENV,
};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use crate::command::split_envs;

/// The listen backlog when neither of [`HTTP_BACKLOG_ENVS`] is set (runwasi's).
const DEFAULT_BACKLOG: u32 = 100;
/// How long a connection may take to send a complete request head, counted from when
/// the server starts reading one: a stalled client, an idle kept-alive connection or a
/// half-sent request is closed after this (hyper has no limit unless told).
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// After SIGTERM, how long requests in progress (and heads still being sent) get before
/// the server is gone: within the 5 s a stop is promised, whatever clients do.
const GRACE: Duration = Duration::from_secs(4);
/// How often the epoch advances. A guest that computes yields to the runtime at every
/// tick, so its deadline can fire and other requests are served beside it; the deadline
/// is met to within a tick.
const TICK: Duration = Duration::from_millis(10);

/// Serves the component `wasm` until SIGTERM or SIGINT; the exit code.
pub async fn serve(ctx: &impl RuntimeContext, engine: Engine, wasm: &[u8]) -> Result<i32> {
    let settings = Settings::from_env(ctx.envs())?;
    // Before compiling, which takes a while: PID 1 without a handler loses a SIGTERM,
    // while this one is kept and stops the server as soon as it is up.
    let stop = stop_signal()?;
    let component: Component = crate::engine::load(&engine, wasm)?;
    let pre = pre_instantiate(&engine, &component)?;
    let listener = listen(settings.addr, settings.backlog)?;
    eprintln!(
        "containerd-shim-wasmtime: serving wasi:http on http://{}",
        listener.local_addr()?
    );
    let _ticker = EpochTicker::start(&engine)?;
    let handler = Handler {
        pre,
        args: ctx.args().to_vec(),
        env: settings.guest_env,
        timeout: settings.timeout,
    };
    run(listener, Arc::new(handler), stop, GRACE).await;
    Ok(0)
}

/// The server's settings, from the container's environment.
#[derive(Debug, PartialEq)]
pub struct Settings {
    pub addr: SocketAddr,
    pub backlog: u32,
    pub timeout: Duration,
    /// The rest of the environment, which the guest sees, in order.
    pub guest_env: Vec<(String, String)>,
}

impl Settings {
    /// Reads and removes the server's variables from `envs` (`KEY=VALUE` strings); a
    /// malformed value is an error naming the variable, not a silent default.
    pub fn from_env(envs: &[String]) -> Result<Self> {
        let (mut addr, mut backlog, mut backlog_alias, mut timeout) = (None, None, None, None);
        let mut guest_env = Vec::new();
        for (key, value) in split_envs(envs) {
            let slot = match key {
                HTTP_PROXY_ADDR_ENV => &mut addr,
                _ if key == HTTP_BACKLOG_ENVS[0] => &mut backlog,
                _ if key == HTTP_BACKLOG_ENVS[1] => &mut backlog_alias,
                REQUEST_TIMEOUT_ENV => &mut timeout,
                _ => {
                    guest_env.push((key.to_owned(), value.to_owned()));
                    continue;
                }
            };
            *slot = Some((key, value));
        }
        let addr = match addr {
            Some((key, value)) => value
                .parse()
                .ok()
                .with_context(|| format!("{key}={value:?} is not an address like 0.0.0.0:8080"))?,
            None => DEFAULT_HTTP_PROXY_ADDR.parse()?,
        };
        let backlog = match backlog.or(backlog_alias) {
            Some((key, value)) => value
                .parse()
                .ok()
                .with_context(|| format!("{key}={value:?} is not a number of connections"))?,
            None => DEFAULT_BACKLOG,
        };
        let timeout = match timeout {
            Some((key, value)) => value
                .parse::<f64>()
                .ok()
                .filter(|secs| *secs > 0.0)
                .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
                .with_context(|| {
                    format!("{key}={value:?} is not a number of seconds above 0, like 5 or 0.5")
                })?,
            None => Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECS),
        };
        Ok(Self {
            addr,
            backlog,
            timeout,
            guest_env,
        })
    }
}

/// Links the component against WASI 0.2 and wasi:http, and pre-instantiates it: the
/// per-request work is then only instantiation.
pub fn pre_instantiate(engine: &Engine, component: &Component) -> Result<ProxyPre<Guest>> {
    let mut linker = Linker::new(engine);
    // Guests built with a language's standard library import wasi:cli and friends too,
    // not only what the proxy world names.
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    let pre = linker
        .instantiate_pre(component)
        .map_err(anyhow::Error::from)
        .context("the component's imports are not all WASI 0.2 or wasi:http")?;
    ProxyPre::new(pre)
        .map_err(anyhow::Error::from)
        .context("the component's wasi:http/incoming-handler export is not the proxy world's")
}

fn listen(addr: SocketAddr, backlog: u32) -> Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }?;
    // A restarted server can bind again while the old one's connections are in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr).with_context(|| {
        format!("cannot listen on {addr}; set {HTTP_PROXY_ADDR_ENV} to a free address")
    })?;
    Ok(socket.listen(backlog)?)
}

/// Resolves on the first SIGTERM or SIGINT (`ctr task kill`, an interrupted `ctr run`).
/// The handlers are installed at the call, so a signal is never lost.
fn stop_signal() -> Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("installing a signal handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing a signal handler")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

/// Serves HTTP/1 on `listener` until `stop` resolves; then closes idle connections at
/// once and gives the others up to `grace`.
async fn run(
    listener: TcpListener,
    handler: Arc<Handler>,
    stop: impl Future<Output = ()>,
    grace: Duration,
) {
    tokio::pin!(stop);
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(true);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    pause_after(&err).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let handler = handler.clone();
        let service = hyper::service::service_fn(move |request| handler.clone().handle(request));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that goes away or times out is its own business.
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
}

/// After a failed accept: a connection reset before it was accepted costs nothing, but
/// running out of file descriptors would spin the loop, so that waits a moment.
async fn pause_after(err: &std::io::Error) {
    use std::io::ErrorKind;
    let per_connection = matches!(
        err.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    );
    if !per_connection {
        eprintln!("containerd-shim-wasmtime: accept failed: {err}");
        tokio::time::sleep(Duration::from_millis(100)).await;
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

/// Answers requests, each in a fresh instance of the component.
struct Handler {
    pre: ProxyPre<Guest>,
    /// The container's arguments and environment (without the server's variables).
    args: Vec<String>,
    env: Vec<(String, String)>,
    timeout: Duration,
}

/// How a guest's run for one request ended.
enum Outcome {
    Finished,
    Failed,
    Deadline,
}

impl Handler {
    async fn handle(
        self: Arc<Self>,
        request: Request<Incoming>,
    ) -> Result<Response<HyperOutgoingBody>, Infallible> {
        let method = request.method().clone();
        let uri = request.uri().clone();
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let mut store = Store::new(self.pre.engine(), Guest::new(&self.args, &self.env));
        // At each tick from now on, a guest still computing yields to the runtime; its
        // deadline is the timeout around it below. tokio's `yield_now`, not wasmtime's
        // own yield: a task woken by it waits until the runtime has polled sockets and
        // timers, while one that wakes itself at once can hold them off for dozens of
        // polls (tens of ticks) when several guests compute.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|_| {
            Ok(UpdateDeadline::YieldCustom(
                1,
                Box::pin(tokio::task::yield_now()),
            ))
        });
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
                eprintln!(
                    "containerd-shim-wasmtime: {method} {uri}: {}",
                    one_line(err)
                );
                return Ok(status(StatusCode::INTERNAL_SERVER_ERROR));
            }
        };

        // The guest runs in a task of its own: it may go on writing the body after it
        // has handed over the response, which hyper then streams.
        let handler = self.clone();
        let (guest_method, guest_uri) = (method.clone(), uri.clone());
        let guest = tokio::spawn(async move {
            let (method, uri) = (guest_method, guest_uri);
            let run = async {
                let proxy = handler.pre.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, request, outparam)
                    .await
            };
            // Dropping the guest's future at the deadline stops it where it is; the
            // store (instance, memory, resources) goes with it.
            match tokio::time::timeout(handler.timeout, run).await {
                Ok(Ok(())) => Outcome::Finished,
                Ok(Err(err)) => {
                    eprintln!(
                        "containerd-shim-wasmtime: {method} {uri}: {}",
                        one_line(err)
                    );
                    Outcome::Failed
                }
                Err(_) => {
                    eprintln!(
                        "containerd-shim-wasmtime: {method} {uri}: stopped at its deadline ({:?}, {REQUEST_TIMEOUT_ENV})",
                        handler.timeout
                    );
                    Outcome::Deadline
                }
            }
        });

        Ok(match receiver.await {
            Ok(Ok(response)) => response,
            // The guest answered with a wasi:http error code instead of a response.
            Ok(Err(code)) => {
                eprintln!("containerd-shim-wasmtime: {method} {uri}: the guest failed: {code:?}");
                status(StatusCode::INTERNAL_SERVER_ERROR)
            }
            // No response and the store is gone: the guest's run says why.
            Err(_) => match guest.await {
                Ok(Outcome::Deadline) => status(StatusCode::GATEWAY_TIMEOUT),
                Ok(Outcome::Finished) => {
                    eprintln!("containerd-shim-wasmtime: {method} {uri}: the guest returned without a response");
                    status(StatusCode::INTERNAL_SERVER_ERROR)
                }
                Ok(Outcome::Failed) | Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
            },
        })
    }
}

/// A response of the server's own: the status and its reason as plain text.
fn status(code: StatusCode) -> Response<HyperOutgoingBody> {
    let text = format!("{code}\n");
    let body = Full::new(Bytes::from(text))
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

/// One request's state: its WASI context and its wasi:http resources.
pub struct Guest {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: RefuseOutgoing,
}

impl Guest {
    /// The container's arguments and environment, and its stdout and stderr: a guest
    /// gets no stdin, files or sockets, as under runwasi's shim.
    fn new(args: &[String], env: &[(String, String)]) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Role;
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Instant;

    fn envs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_when_the_environment_says_nothing() {
        let settings = Settings::from_env(&envs(&["PATH=/bin", "EMPTY"])).unwrap();
        assert_eq!(
            settings,
            Settings {
                addr: "0.0.0.0:8080".parse().unwrap(),
                backlog: 100,
                timeout: Duration::from_secs(5),
                guest_env: pairs(&[("PATH", "/bin"), ("EMPTY", "")]),
            }
        );
    }

    #[test]
    fn the_servers_variables_are_read_and_hidden_from_the_guest() {
        let settings = Settings::from_env(&envs(&[
            "A=1",
            "WASMTIME_HTTP_PROXY_SOCKET_ADDR=127.0.0.1:9000",
            "WASMTIME_HTTP_PROXY_BACKLOG=7",
            "WASMLAB_REQUEST_TIMEOUT=0.25",
            "B=2=3",
        ]))
        .unwrap();
        assert_eq!(settings.addr, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(settings.backlog, 7);
        assert_eq!(settings.timeout, Duration::from_millis(250));
        assert_eq!(settings.guest_env, pairs(&[("A", "1"), ("B", "2=3")]));

        let v6 = Settings::from_env(&envs(&["WASMTIME_HTTP_PROXY_SOCKET_ADDR=[::1]:80"])).unwrap();
        assert_eq!(v6.addr, "[::1]:80".parse().unwrap());
    }

    #[test]
    fn both_backlog_names_are_read_and_runwasis_own_wins() {
        for (env, backlog) in [
            (&["WASMTIME_HTTP_BACKLOG=5"][..], 5),
            (&["WASMTIME_HTTP_PROXY_BACKLOG=6"], 6),
            (
                &["WASMTIME_HTTP_PROXY_BACKLOG=6", "WASMTIME_HTTP_BACKLOG=5"],
                5,
            ),
            (
                &["WASMTIME_HTTP_BACKLOG=5", "WASMTIME_HTTP_PROXY_BACKLOG=6"],
                5,
            ),
        ] {
            let settings = Settings::from_env(&envs(env)).unwrap();
            assert_eq!(settings.backlog, backlog, "{env:?}");
            assert!(settings.guest_env.is_empty(), "{env:?}");
        }
    }

    #[test]
    fn malformed_values_are_errors_naming_the_variable() {
        for bad in [
            "WASMTIME_HTTP_PROXY_SOCKET_ADDR=localhost:8080",
            "WASMTIME_HTTP_PROXY_SOCKET_ADDR=8080",
            "WASMTIME_HTTP_BACKLOG=-1",
            "WASMTIME_HTTP_PROXY_BACKLOG=many",
            "WASMLAB_REQUEST_TIMEOUT=0",
            "WASMLAB_REQUEST_TIMEOUT=5s",
            "WASMLAB_REQUEST_TIMEOUT=inf",
            "WASMLAB_REQUEST_TIMEOUT=NaN",
        ] {
            let err = format!("{:#}", Settings::from_env(&envs(&[bad])).unwrap_err());
            let (name, _) = bad.split_once('=').unwrap();
            assert!(err.starts_with(name), "{bad}: {err}");
        }
    }

    /// A component exporting `wasi:http/incoming-handler@0.2.0` whose handler reads the
    /// request's method and then runs `on_get` for GET and `otherwise` for the others
    /// (core wasm instructions); it never sets a response. Versions older than the
    /// host's on purpose: the host must link them as runwasi's does.
    fn handler(on_get: &str, otherwise: &str) -> Vec<u8> {
        wat::parse_str(format!(
            r#"(component
              (import "wasi:http/types@0.2.0" (instance $types
                (export "incoming-request" (type $request (sub resource)))
                (export "response-outparam" (type (sub resource)))
                (type $m (variant (case "get") (case "head") (case "post") (case "put")
                  (case "delete") (case "connect") (case "options") (case "trace")
                  (case "patch") (case "other" string)))
                (export "method" (type $method (eq $m)))
                (export "[method]incoming-request.method"
                  (func (param "self" (borrow $request)) (result $method)))))
              (alias export $types "incoming-request" (type $request))
              (alias export $types "response-outparam" (type $outparam))
              (alias export $types "[method]incoming-request.method" (func $method))
              (core module $libc
                (memory (export "memory") 1)
                (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024))
              (core instance $libc (instantiate $libc))
              (alias core export $libc "memory" (core memory $memory))
              (alias core export $libc "realloc" (core func $realloc))
              (core func $method-lowered (canon lower (func $method) (memory $memory) (realloc $realloc)))
              (core module $guest
                (import "libc" "memory" (memory 1))
                (import "http" "method" (func $method (param i32 i32)))
                (func (export "handle") (param $request i32) (param $outparam i32)
                  (call $method (local.get $request) (i32.const 0))
                  (if (i32.eqz (i32.load8_u (i32.const 0)))
                    (then {on_get})
                    (else {otherwise}))))
              (core instance $guest (instantiate $guest
                (with "libc" (instance $libc))
                (with "http" (instance (export "method" (func $method-lowered))))))
              (func $handle (param "request" (own $request)) (param "response-out" (own $outparam))
                (canon lift (core func $guest "handle")))
              (instance $handler (export "handle" (func $handle)))
              (export "wasi:http/incoming-handler@0.2.0" (instance $handler)))"#
        ))
        .unwrap()
    }

    const LOOP: &str = "(loop $forever (br $forever))";
    const TRAP: &str = "unreachable";
    const RETURN: &str = "nop";

    /// A server on a loopback port, on a runtime with one thread: a guest that never
    /// yielded would starve everything else on it.
    struct Server {
        addr: SocketAddr,
        stop: Option<tokio::sync::oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl Server {
        fn start(wasm: &[u8], timeout: Duration) -> Self {
            let engine = crate::engine::new("cranelift", Role::HttpProxy).unwrap();
            let component = Component::new(&engine, wasm).unwrap();
            let pre = pre_instantiate(&engine, &component).unwrap();
            let handler = Arc::new(Handler {
                pre,
                args: vec![],
                env: vec![],
                timeout,
            });
            let (addr_sender, addr) = std::sync::mpsc::channel();
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let thread = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let _ticker = EpochTicker::start(&engine).unwrap();
                    let listener = listen("127.0.0.1:0".parse().unwrap(), 16).unwrap();
                    addr_sender.send(listener.local_addr().unwrap()).unwrap();
                    let stopped = async {
                        let _ = stopped.await;
                    };
                    run(listener, handler, stopped, GRACE).await;
                });
            });
            Self {
                addr: addr.recv().unwrap(),
                stop: Some(stop),
                thread: Some(thread),
            }
        }

        /// Stops the server as SIGTERM does; how long it took to be gone.
        fn stop(mut self) -> Duration {
            let start = Instant::now();
            let _ = self.stop.take().unwrap().send(());
            self.thread.take().unwrap().join().unwrap();
            start.elapsed()
        }
    }

    /// `method /path` on a connection of its own: the response's status and body.
    fn request(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
        let body = response
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body)
            .to_owned();
        (status, body)
    }

    #[test]
    fn a_guest_looping_past_its_deadline_gets_504_while_others_are_served() {
        let deadline = Duration::from_millis(600);
        let server = Server::start(&handler(LOOP, TRAP), deadline);
        let addr = server.addr;
        let start = Instant::now();
        let loopers: Vec<_> = (0..3)
            .map(|_| std::thread::spawn(move || (request(addr, "GET", "/"), start.elapsed())))
            .collect();
        std::thread::sleep(Duration::from_millis(100));

        // Beside three looping guests, on the server's only thread: a trap is a 500 at
        // once, not after the loops' deadlines.
        let (status, body) = request(addr, "POST", "/");
        assert_eq!(
            (status, body.as_str()),
            (500, "500 Internal Server Error\n")
        );
        assert!(start.elapsed() < deadline, "{:?}", start.elapsed());

        // Each looping guest is stopped at its own deadline, not one after the other.
        for looper in loopers {
            let ((status, body), took) = looper.join().unwrap();
            assert_eq!((status, body.as_str()), (504, "504 Gateway Timeout\n"));
            assert!(took >= deadline && took < deadline * 2, "{took:?}");
        }
        // And the server goes on serving.
        assert_eq!(request(addr, "POST", "/").0, 500);
        server.stop();
    }

    #[test]
    fn a_guest_that_sets_no_response_gets_500() {
        let server = Server::start(&handler(RETURN, TRAP), Duration::from_secs(5));
        assert_eq!(request(server.addr, "GET", "/").0, 500);
        assert_eq!(request(server.addr, "GET", "/").0, 500);
        server.stop();
    }

    #[test]
    fn a_stop_closes_idle_connections_at_once() {
        let server = Server::start(&handler(RETURN, TRAP), Duration::from_secs(5));
        let _idle = TcpStream::connect(server.addr).unwrap();
        let mut kept_alive = TcpStream::connect(server.addr).unwrap();
        write!(kept_alive, "GET / HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
        let mut answered = [0; 12];
        kept_alive.read_exact(&mut answered).unwrap();
        assert_eq!(&answered, b"HTTP/1.1 500");
        let took = server.stop();
        assert!(took < Duration::from_millis(500), "{took:?}");
    }

    #[test]
    fn a_request_head_never_finished_is_dropped_at_the_header_timeout() {
        let server = Server::start(&handler(RETURN, TRAP), Duration::from_secs(5));
        let mut stalled = TcpStream::connect(server.addr).unwrap();
        let start = Instant::now();
        write!(stalled, "GET / HTTP/1.1\r\nHost: te").unwrap();
        stalled.set_read_timeout(Some(HEADER_TIMEOUT * 2)).unwrap();
        // Closed (hyper answers 408 first or not at all), not left open.
        let mut answer = Vec::new();
        let _ = stalled.read_to_end(&mut answer);
        let took = start.elapsed();
        assert!(
            answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
            "{:?}",
            String::from_utf8_lossy(&answer)
        );
        assert!(
            took >= HEADER_TIMEOUT && took < HEADER_TIMEOUT + Duration::from_secs(1),
            "{took:?}"
        );
        server.stop();
    }

    #[test]
    fn a_stop_ends_within_the_grace_whatever_clients_do() {
        let server = Server::start(&handler(LOOP, TRAP), Duration::from_secs(30));
        // A request head that is never finished, and a guest that never finishes.
        let mut half_sent = TcpStream::connect(server.addr).unwrap();
        write!(half_sent, "GET / HTTP/1.1\r\nHost: te").unwrap();
        let mut looping = TcpStream::connect(server.addr).unwrap();
        write!(looping, "GET / HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(200));
        // The grace period, then the runtime's teardown: within the 5 s promised.
        let took = server.stop();
        assert!(took >= GRACE && took < Duration::from_secs(5), "{took:?}");
    }

    /// The service's wasm32-wasip2 build, served as the shim serves it.
    #[test]
    fn the_service_component_answers_its_routes() {
        let wasm = crate::detect::service_component();
        assert_eq!(crate::detect::role(&wasm).unwrap(), Role::HttpProxy);
        let server = Server::start(&wasm, Duration::from_secs(5));
        let (status, body) = request(server.addr, "GET", "/api/time");
        assert_eq!(status, 200, "{body}");
        assert!(
            body.starts_with('{') && body.contains("\"moscow_time\""),
            "{body}"
        );
        let (status, body) = request(server.addr, "GET", "/");
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("<html"), "{body}");
        assert_eq!(request(server.addr, "GET", "/nowhere").0, 404);
        server.stop();
    }
}

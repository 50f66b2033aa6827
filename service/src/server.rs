//! The HTTP server context (native builds only): hyper's HTTP/1 on a single-threaded tokio
//! runtime, the same routes as the WAGI handler, and a graceful stop on SIGTERM or SIGINT
//! so that `docker stop` returns at once instead of waiting for its kill timeout.
//!
//! hyper directly rather than axum: one fallback route needs no router, and axum's `serve`
//! sets no timer, so a client that never finishes its headers would hold a connection (and
//! a graceful stop) for ever.

use crate::routes::{respond, Status, ALLOWED_METHODS};
use crate::MoscowTime;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};

/// How long a connection may wait for a complete request head, counted from the moment the
/// server starts reading one: an idle kept-alive connection or a half-sent request is
/// closed after this.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// After SIGTERM, how long requests in progress may take to finish before their connections
/// are dropped. With `HEADER_TIMEOUT`, the process is gone within this of the signal
/// whatever its clients do, well inside `docker stop`'s 10 s.
pub const GRACE: Duration = Duration::from_secs(5);

/// Serves until SIGTERM or SIGINT. Errors say what to change (for example a busy port).
pub fn serve(addr: SocketAddr) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    // Connections still open when `run` returns are dropped with the runtime.
    runtime.block_on(run(addr))
}

async fn run(addr: SocketAddr) -> Result<(), String> {
    let port = addr.port();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| match e.kind() {
            io::ErrorKind::AddrInUse => {
                format!("port {port} is already in use; set PORT to a free port")
            }
            _ => format!("cannot listen on {addr}: {e}"),
        })?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("moscow-time listening on http://{local}");
    let stop = stop_signal().map_err(|e| format!("cannot watch for SIGTERM/SIGINT: {e}"))?;
    tokio::pin!(stop);
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    pause_after(&e).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let connection = graceful
            .watch(http.serve_connection(TokioIo::new(stream), hyper::service::service_fn(handle)));
        tokio::spawn(async move {
            // A client that goes away or times out is its own business.
            let _ = connection.await;
        });
    }
    drop(listener);
    // Idle connections close at once; requests in progress get the grace period.
    let _ = tokio::time::timeout(GRACE, graceful.shutdown()).await;
    Ok(())
}

/// After a failed accept: a connection reset before it was accepted costs nothing, but
/// running out of file descriptors would spin the loop, so that waits a moment.
async fn pause_after(e: &io::Error) {
    let per_connection = matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    );
    if !per_connection {
        eprintln!("moscow-time: accept failed: {e}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Resolves on the first SIGTERM or SIGINT. The handlers are installed before serving so a
/// signal that arrives during start-up is not lost.
fn stop_signal() -> io::Result<impl std::future::Future<Output = ()>> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    })
}

async fn handle(request: Request<Incoming>) -> Result<Response<String>, Infallible> {
    let answer = respond(
        request.method().as_str(),
        request.uri().path(),
        MoscowTime::now(),
    );
    let mut response = Response::new(answer.body);
    *response.status_mut() =
        StatusCode::from_u16(answer.status.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(answer.content_type),
    );
    if answer.status == Status::MethodNotAllowed {
        headers.insert(header::ALLOW, HeaderValue::from_static(ALLOWED_METHODS));
    }
    Ok(response)
}

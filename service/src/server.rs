//! The HTTP server context (native builds only): axum on a single-threaded tokio runtime,
//! the same routes as the WAGI handler, and a graceful stop on SIGTERM or SIGINT so that
//! `docker stop` returns at once instead of waiting for its kill timeout.

use crate::routes::{respond, Status, ALLOWED_METHODS};
use crate::MoscowTime;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use tokio::signal::unix::{signal, SignalKind};

/// Serves until SIGTERM or SIGINT. Errors say what to change (for example a busy port).
pub fn serve(port: u16) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(run(port))
}

async fn run(port: u16) -> Result<(), String> {
    let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
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
    axum::serve(listener, Router::new().fallback(handle))
        .with_graceful_shutdown(stop)
        .await
        .map_err(|e| format!("server error: {e}"))
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

async fn handle(method: Method, uri: Uri) -> Response {
    let answer = respond(method.as_str(), uri.path(), MoscowTime::now());
    let status =
        StatusCode::from_u16(answer.status.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        [(header::CONTENT_TYPE, answer.content_type)],
        answer.body,
    )
        .into_response();
    if answer.status == Status::MethodNotAllowed {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(ALLOWED_METHODS));
    }
    response
}

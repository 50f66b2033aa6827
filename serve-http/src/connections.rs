//! HTTP/1 connections: the listener, the accept loop with its header timeout, and the
//! bounded graceful stop.

use anyhow::{Context as _, Result};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};

/// How long a connection may take to send a complete request head, counted from when the
/// server starts reading one: a stalled client, an idle kept-alive connection or a
/// half-sent request is closed after this (hyper has no limit unless told).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// A listener on `addr` with room for `backlog` connections not yet accepted. The error
/// is the OS's; the caller says which setting chose the address.
pub fn listen(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }?;
    // A restarted server can bind again while the old one's connections are in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// Resolves on the first SIGTERM or SIGINT (`ctr task kill`, `kill`, Ctrl-C). The
/// handlers are installed at the call, so a signal that comes before the server is up
/// is kept, not lost.
pub fn stop_signal() -> Result<impl Future<Output = ()>> {
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

/// Serves HTTP/1 on `listener` until `stop` resolves, with `service(client address)`
/// answering each connection's requests; then closes idle connections at once and gives
/// the others up to `grace`. `name` prefixes the lines it writes to stderr.
pub async fn serve_connections<F, S, B>(
    listener: TcpListener,
    mut service: F,
    stop: impl Future<Output = ()>,
    grace: Duration,
    name: &str,
) where
    F: FnMut(SocketAddr) -> S,
    S: hyper::service::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = hyper::Response<B>,
            Error = std::convert::Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    tokio::pin!(stop);
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(true);
    loop {
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    pause_after(&err, name).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let connection =
            graceful.watch(http.serve_connection(TokioIo::new(stream), service(client)));
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
async fn pause_after(err: &std::io::Error, name: &str) {
    use std::io::ErrorKind;
    let per_connection = matches!(
        err.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    );
    if !per_connection {
        eprintln!("{name}: accept failed: {err}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

//! The little HTTP a probe needs to know that a server answers: one GET over loopback,
//! and waiting until the first one succeeds; and what the embedded hosts (`measure wagi`,
//! `measure serve-http`) share: a runtime with a bound listener, and the grace of a stop.

use anyhow::{bail, Context as _, Result};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// One `GET path` with `Connection: close`; the status code and the body.
pub fn get(addr: SocketAddr, path: &str, timeout: Duration) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .with_context(|| format!("no answer from {addr}"))?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("not an HTTP response from {addr}: {head:?}"))?;
    Ok((code, body.to_owned()))
}

/// Polls `GET path` until it answers 200, or `within` has passed; `alive` is asked between
/// tries so a server that died is reported at once.
pub fn wait_ready(
    addr: SocketAddr,
    path: &str,
    within: Duration,
    mut alive: impl FnMut() -> Result<()>,
) -> Result<()> {
    let start = Instant::now();
    let mut last = String::from("no attempt");
    while start.elapsed() < within {
        match get(addr, path, Duration::from_secs(2)) {
            Ok((200, _)) => return Ok(()),
            Ok((code, _)) => last = format!("status {code}"),
            Err(e) => last = format!("{e:#}"),
        }
        alive()?;
        std::thread::sleep(Duration::from_millis(5));
    }
    bail!("{addr} did not answer {path} with 200 within {within:?} (last: {last})")
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> Result<u16> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// Binds `listen` on a runtime from `runtime` and serves with `serve` until it returns.
/// A port that cannot be bound is one line naming `--listen`.
pub fn serve_on<F, Fut>(
    listen: SocketAddr,
    mut runtime: tokio::runtime::Builder,
    serve: F,
) -> Result<()>
where
    F: FnOnce(tokio::net::TcpListener) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let runtime = runtime
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| {
                format!("cannot listen on {listen}; choose a free port with --listen")
            })?;
        serve(listener).await
    });
    // Tasks still running are dropped; a blocking one (a file write of a guest) cannot
    // be, so it is not waited for long.
    runtime.shutdown_timeout(Duration::from_millis(100));
    served
}

/// After the stop signal, how long requests in progress may take to finish before their
/// connections are dropped; with the header timeout, the server is gone within this of
/// the signal whatever its clients do.
pub const GRACE: Duration = Duration::from_secs(5);

//! The embedded WAGI host: serves a Spin manifest's WAGI components over HTTP the way
//! Spin's WAGI executor does (wasmtime + axum, one fresh instance per request, the CGI
//! environment, stdout parsed into the response), for machines without the `spin` CLI.
//! `measure wagi` runs it as a process of its own, so its memory can be read and it can
//! be pinned to a core like any other server.

pub mod cgi;
pub mod host;
pub mod manifest;

pub use host::Host;

use anyhow::{Context as _, Result};
use axum::extract::{ConnectInfo, State};
use axum::http::Request;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The manifest served when none is named: `$SPIN_TOML` (the Makefile sets it), else the
/// service's own.
pub fn default_manifest() -> PathBuf {
    std::env::var_os("SPIN_TOML")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../service/spin.toml"))
        })
}

/// Serves `manifest` on `listen` until SIGTERM or SIGINT, then stops gracefully.
pub fn serve(manifest: &Path, listen: SocketAddr) -> Result<()> {
    // Compiled before the port opens: a client that connects gets an answer at once.
    let host = Arc::new(Host::load(manifest)?);
    crate::http::serve_on(
        listen,
        tokio::runtime::Builder::new_multi_thread(),
        |listener| async move {
            let local = listener.local_addr()?;
            eprintln!(
                "measure wagi: serving {} ({}) on http://{local}",
                host.app().name,
                manifest.display()
            );
            let app = axum::Router::new()
                .fallback(handle)
                .with_state(Served { host, local });
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(crate::http::stop_signal())
            .await
            .context("the WAGI host's server failed")
        },
    )
}

/// What every request handler shares.
#[derive(Clone)]
struct Served {
    host: Arc<Host>,
    /// The address the listener is bound to (`SERVER_NAME`/`SERVER_PORT` without a Host).
    local: SocketAddr,
}

async fn handle(
    State(served): State<Served>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request<axum::body::Body>,
) -> axum::response::Response {
    let peers = cgi::Peers {
        client,
        local: served.local,
    };
    served.host.handle(request, peers).await
}

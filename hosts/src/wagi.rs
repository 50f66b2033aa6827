//! The embedded WAGI host: serves a Spin manifest's WAGI components over HTTP the way
//! Spin's WAGI executor does (wasmtime + axum, one fresh instance per request, the CGI
//! environment, stdout parsed into the response), for machines without the `spin` CLI.
//! `measure wagi` runs it as a process of its own, so its memory can be read and it can
//! be pinned to a core like any other server.

pub mod cgi;
pub mod host;
pub mod manifest;

pub use host::{Host, Limits};

use anyhow::Result;
use axum::http::Request;
use hyper::body::Incoming;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The manifest served when none is named: `$SPIN_TOML` (the Makefile sets it), else the
/// service's own, relative to the working directory (never the build directory, so a
/// copied or installed `measure` works from a checkout's root).
pub fn default_manifest() -> PathBuf {
    std::env::var_os("SPIN_TOML")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("service/spin.toml"), PathBuf::from)
}

/// Serves `manifest` on `listen` until SIGTERM or SIGINT, then stops gracefully (within
/// [`crate::http::GRACE`]); each guest may run for `limits.guest_timeout`.
pub fn serve(manifest: &Path, listen: SocketAddr, limits: Limits) -> Result<()> {
    // Compiled before the port opens: a client that connects gets an answer at once.
    let host = Arc::new(Host::load_with(manifest, limits)?);
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
            let stop = wasmlab_serve_http::stop_signal()?;
            let service = |client| {
                let host = host.clone();
                let peers = cgi::Peers { client, local };
                hyper::service::service_fn(move |request: Request<Incoming>| {
                    let host = host.clone();
                    async move {
                        let request = request.map(axum::body::Body::new);
                        Ok::<_, Infallible>(host.handle(request, peers).await)
                    }
                })
            };
            let grace = crate::http::GRACE;
            wasmlab_serve_http::serve_connections(listener, service, stop, grace, "measure wagi")
                .await;
            Ok(())
        },
    )
}

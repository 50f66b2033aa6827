//! Serving a component that exports `wasi:http/incoming-handler` (WASI 0.2) or
//! `wasi:http/handler` (WASI 0.3) over HTTP/1 with keep-alive, in one place for the
//! containerd shim (in a container) and for `measure serve-http` (a process), so both
//! serve alike and are measured alike.
//!
//! - Instances come from one pre-instance through wasmtime-wasi-http's `ProxyHandler`:
//!   a fresh one per request (reuse 1: runwasi's, Spin's and `wasmtime serve`'s way with
//!   0.2 components) or one reused for up to N requests, which saves the instantiation
//!   and teardown but lets a guest's state (globals, heap) carry from one request to the
//!   next. A 0.2 instance takes them one after another; a 0.3 one up to M at once (its
//!   handler is async), so a request that waits does not hold an instance alone.
//! - A deadline per request: a guest still computing at it is stopped (epoch
//!   interruption) and its client gets 504, while other requests go on being served; a
//!   trap or a guest that sets no response is a 500 and one line on stderr.
//! - A header timeout, and a graceful stop that ends within the grace given, whatever
//!   clients do.
//! - Outgoing HTTP requests of the guest are refused (the crate's HTTP client and its TLS
//!   stack are left out of the build).

mod connections;
mod guest;
mod workers;

pub use connections::{listen, serve_connections, stop_signal, HEADER_TIMEOUT};
pub use guest::{configure, pool, pre_instantiate, store, Guest, INSTANCES};
pub use workers::{serve, Options, IDLE_INSTANCE};

#[cfg(test)]
mod tests;

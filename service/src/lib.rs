//! Moscow Time: the lab's small service, built natively and to WebAssembly from one source.
//!
//! The library holds everything a context needs (the clock, the routes, the WAGI writer and,
//! natively, the HTTP server); `main.rs` only decides which context it runs in.

pub mod clock;
pub mod context;
pub mod routes;
#[cfg(not(target_family = "wasm"))]
pub mod server;
pub mod wagi;
#[cfg(all(target_os = "wasi", target_env = "p2"))]
pub mod wasi_http;
#[cfg(all(target_os = "wasi", target_env = "p2", feature = "wasi-http-p3"))]
pub mod wasi_http_p3;

pub use clock::MoscowTime;
pub use context::Context;
pub use routes::{respond, Response, Status};

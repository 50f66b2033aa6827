//! One entry point, three contexts, decided at run time (see `Context`):
//! `MODE=once` prints a JSON line; under a WAGI host (`REQUEST_METHOD` set) it answers
//! `PATH_INFO` on stdout; otherwise it serves HTTP on `PORT` (default 8080).
//!
//! Built for WASI 0.2 (`wasm32-wasip2`) the same routes are a `wasi:http` component: its
//! host owns the sockets, so there is no context to decide (see `wasi_http` below). With
//! the `wasi-http-p3` feature they are a WASI 0.3 `wasi:http` service instead, whose
//! handler is exported with no `main` at all.

#![cfg_attr(
    all(target_os = "wasi", target_env = "p2", feature = "wasi-http-p3"),
    no_main
)]

#[cfg(not(all(target_os = "wasi", target_env = "p2")))]
use moscow_time::{respond, wagi, Context, MoscowTime};
#[cfg(not(all(target_os = "wasi", target_env = "p2")))]
use std::io::{self, Write};
#[cfg(not(all(target_os = "wasi", target_env = "p2")))]
use std::process::ExitCode;

#[cfg(all(target_os = "wasi", target_env = "p2", feature = "wasi-http-p3"))]
use moscow_time::wasi_http_p3::Service;
#[cfg(all(target_os = "wasi", target_env = "p2", feature = "wasi-http-p3"))]
wasip3::http::service::export!(Service);

#[cfg(all(target_os = "wasi", target_env = "p2", not(feature = "wasi-http-p3")))]
#[wstd::http_server]
async fn main(
    request: wstd::http::Request<wstd::http::Body>,
) -> Result<wstd::http::Response<wstd::http::Body>, wstd::http::Error> {
    moscow_time::wasi_http::handle(&request)
}

#[cfg(not(all(target_os = "wasi", target_env = "p2")))]
fn main() -> ExitCode {
    let context = match Context::from_env() {
        Ok(context) => context,
        Err(message) => return fail(&message),
    };
    match context {
        Context::Once => {
            let line = MoscowTime::now().to_json() + "\n";
            finish(io::stdout().lock().write_all(line.as_bytes()))
        }
        Context::Wagi { method, path } => {
            let response = respond(&method, &path, MoscowTime::now());
            finish(wagi::write_response(
                &mut io::stdout().lock(),
                &method,
                &response,
            ))
        }
        Context::Server { addr } => serve(addr),
    }
}

#[cfg(not(target_family = "wasm"))]
fn serve(addr: std::net::SocketAddr) -> ExitCode {
    match moscow_time::server::serve(addr) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

#[cfg(all(target_family = "wasm", not(target_env = "p2")))]
fn serve(_addr: std::net::SocketAddr) -> ExitCode {
    eprintln!(
        "moscow-time: server mode needs TCP sockets, which WASI preview 1 does not provide; \
         set MODE=once for the CLI, or serve this module as a WAGI handler \
         (Spin's wagi executor, or `measure spin`)"
    );
    ExitCode::from(2)
}

/// A write to a closed stdout is reported, not a panic.
#[cfg(not(all(target_os = "wasi", target_env = "p2")))]
fn finish(written: io::Result<()>) -> ExitCode {
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("cannot write to stdout: {e}")),
    }
}

#[cfg(not(all(target_os = "wasi", target_env = "p2")))]
fn fail(message: &str) -> ExitCode {
    eprintln!("moscow-time: {message}");
    ExitCode::FAILURE
}

//! One entry point, three contexts, decided at run time (see `Context`):
//! `MODE=once` prints a JSON line; under a WAGI host (`REQUEST_METHOD` set) it answers
//! `PATH_INFO` on stdout; otherwise it serves HTTP on `PORT` (default 8080).

use moscow_time::{respond, wagi, Context, MoscowTime};
use std::io::{self, Write};
use std::process::ExitCode;

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
        Context::Server { port } => serve(port),
    }
}

#[cfg(not(target_family = "wasm"))]
fn serve(port: u16) -> ExitCode {
    match moscow_time::server::serve(port) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

#[cfg(target_family = "wasm")]
fn serve(_port: u16) -> ExitCode {
    eprintln!(
        "moscow-time: server mode needs TCP sockets, which WASI preview 1 does not provide; \
         set MODE=once for the CLI, or serve this module as a WAGI handler \
         (Spin's wagi executor, or `measure spin`)"
    );
    ExitCode::from(2)
}

/// A write to a closed stdout is reported, not a panic.
fn finish(written: io::Result<()>) -> ExitCode {
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("cannot write to stdout: {e}")),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("moscow-time: {message}");
    ExitCode::FAILURE
}

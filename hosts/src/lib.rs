//! The embedded WebAssembly hosts: the engines a module can run with (wasmtime with
//! cranelift, Winch or Pulley, and the wasmi interpreter, behind one interface in
//! `engine`), the WAGI host that serves a Spin manifest (`wagi`) and the `wasi:http` host
//! that serves a component (`wasi_http`). `measure` drives them; nothing here measures.

pub mod engine;
pub mod http;
pub mod wagi;
pub mod wasi_http;
pub mod wasm;
pub mod wasmi_host;

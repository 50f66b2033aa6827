//! The wasmlab bench as a library: the CLI (`main.rs`), the criterion benches and the tests
//! share these modules.

pub mod cleanup;
pub mod ctx;
pub mod curl;
pub mod engine;
pub mod expect;
pub mod format;
pub mod http;
pub mod load;
pub mod metric;
pub mod oci;
pub mod probe;
pub mod procfs;
pub mod provenance;
pub mod render;
pub mod results;
pub mod runner;
pub mod runtime;
pub mod stats;
pub mod templates;
pub mod tools;
pub mod wagi;
pub mod wasi_http;
pub mod wasm;
pub mod wasmi_host;

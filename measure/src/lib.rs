//! The wasmlab bench as a library: the CLI (`main.rs`), the criterion benches and the tests
//! share these modules. The catalogue and results live in `wasmlab-model`, the
//! embedded engines and hosts in `wasmlab-hosts`, the write-up in `wasmlab-render`.

pub mod app;
pub mod cleanup;
pub mod ctx;
pub mod curl;
pub mod expect;
pub mod load;
pub mod oci;
pub mod probe;
pub mod procfs;
pub mod provenance;
pub mod runner;
pub mod runtime;
pub mod tools;

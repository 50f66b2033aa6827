//! What every other wasmlab crate agrees on, with no wasm engine, container client or
//! template engine behind it: the catalogue of metrics and variants (`metric`), the
//! results.json schema (`results`), the statistics of a series (`stats`) and how numbers
//! are written (`format`).

pub mod files;
pub mod format;
pub mod metric;
pub mod results;
pub mod stats;

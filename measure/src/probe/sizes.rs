//! File sizes of what each build ships: the native binary, the wasm module, the WASI 0.2
//! component of the server context, and the module compiled ahead of time.

use super::Probe;
use crate::ctx::Ctx;
use crate::results::{Kind, Observation, Unit};
use std::path::Path;

pub struct Sizes;

impl Probe for Sizes {
    fn id(&self) -> &'static str {
        "size"
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        vec![
            file_size(
                "size.binary.native",
                "native binary (static, musl)",
                &ctx.native,
            ),
            file_size("size.binary.wasm", "wasm module (wasm32-wasip1)", &ctx.wasm),
            file_size(
                "size.binary.wasi-http-component",
                "wasi:http component (wasm32-wasip2, server context)",
                &ctx.component,
            ),
            file_size(
                "size.binary.wasm-precompiled",
                "wasm module precompiled (cranelift, x86-64)",
                &ctx.precompiled,
            ),
        ]
    }
}

fn file_size(id: &str, label: &str, path: &Path) -> Observation {
    let command = format!("stat --format=%s {}", path.display());
    match std::fs::metadata(path) {
        Ok(meta) => Observation::measured(
            id,
            label,
            Kind::Size,
            Unit::Bytes,
            command,
            vec![meta.len() as f64],
        ),
        Err(e) => Observation::failed(
            id,
            label,
            Kind::Size,
            Unit::Bytes,
            command,
            format!("cannot read {}: {e}", path.display()),
            vec![],
        ),
    }
}

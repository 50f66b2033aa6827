//! File sizes of what each build ships: the native binary, the wasm module, the WASI 0.2
//! component of the server context, the module compiled ahead of time, and a Go app's
//! TinyGo module.

use super::{Claim, Probe};
use crate::app::TinyGo;
use crate::ctx::Ctx;
use std::path::Path;
use wasmlab_model::metric::{
    Variant, NATIVE_BINARY, SIZE_BINARY, TINYGO_MODULE, WASI_HTTP_COMPONENT, WASM_MODULE,
    WASM_PRECOMPILED,
};
use wasmlab_model::results::Observation;

pub struct SizeProbe;

impl Probe for SizeProbe {
    fn id(&self) -> &'static str {
        "size"
    }

    fn claims(&self) -> &'static [Claim] {
        &[Claim::All(&SIZE_BINARY)]
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        vec![
            file_size(&NATIVE_BINARY, &ctx.native),
            file_size(&WASM_MODULE, &ctx.wasm),
            match &ctx.no_component {
                Some(reason) => SIZE_BINARY
                    .of(&WASI_HTTP_COMPONENT)
                    .label(WASI_HTTP_COMPONENT.label)
                    .skipped(
                        format!("stat --format=%s {}", ctx.component.display()),
                        reason,
                    ),
                None => file_size(&WASI_HTTP_COMPONENT, &ctx.component),
            },
            file_size(&WASM_PRECOMPILED, &ctx.precompiled),
        ]
        .into_iter()
        .chain(ctx.tinygo.as_ref().map(|built| {
            match built {
                TinyGo::Built(path) => file_size(&TINYGO_MODULE, path),
                TinyGo::Skipped(reason) => SIZE_BINARY
                    .of(&TINYGO_MODULE)
                    .label(TINYGO_MODULE.label)
                    .skipped("stat --format=%s tinygo.wasm", reason),
            }
        }))
        .collect()
    }
}

fn file_size(artifact: &'static Variant, path: &Path) -> Observation {
    let app = crate::app::current();
    // The catalogue's label names the Rust service's build (musl).
    let label = if *artifact == NATIVE_BINARY && !app.is_default() {
        format!("native binary (static, {})", app.language)
    } else {
        artifact.label.to_owned()
    };
    let subject = SIZE_BINARY.of(artifact).label(label);
    let command = format!("stat --format=%s {}", path.display());
    match std::fs::metadata(path) {
        Ok(meta) => subject.measured(command, vec![meta.len() as f64]),
        Err(e) => subject.failed(command, format!("cannot read {}: {e}", path.display())),
    }
}

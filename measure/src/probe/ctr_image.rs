//! The images under containerd: the wasm and the native image written as OCI layout tars,
//! imported with `ctr images import`, and sized from their manifest and from
//! `ctr images ls`.

use super::{Claim, Probe};
use crate::ctx::Ctx;
use crate::runtime::containerd::{self, Runtime};
use wasmlab_model::metric::{CTR_NATIVE_IMAGE, CTR_WASM_IMAGE, SIZE_IMAGE};
use wasmlab_model::results::Observation;

pub struct CtrImageProbe;

impl Probe for CtrImageProbe {
    fn id(&self) -> &'static str {
        "ctr-image"
    }

    fn claims(&self) -> &'static [Claim] {
        &[Claim::Variants(
            &SIZE_IMAGE,
            &[&CTR_WASM_IMAGE, &CTR_NATIVE_IMAGE],
        )]
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        [
            (
                Runtime::WASMTIME,
                &CTR_WASM_IMAGE,
                "wasm image (OCI layout, one uncompressed layer): manifest + config + layer",
            ),
            (
                Runtime::Runc,
                &CTR_NATIVE_IMAGE,
                "native image (OCI layout, one uncompressed layer): manifest + config + layer",
            ),
        ]
        .into_iter()
        .map(|(runtime, image, label)| {
            let subject = SIZE_IMAGE.of(image).label(label);
            let command = format!(
                "ctr images import --platform {} {}; ctr images ls name=={}",
                runtime.platform().as_ctr(),
                containerd::image_tar(ctx, runtime).display(),
                runtime.image()
            );
            if let Err(reason) = containerd::containerd() {
                return ctx.unavailable(subject, command, reason);
            }
            match containerd::image_size(ctx, runtime) {
                Ok((bytes, shown)) => subject
                    .measured(command, vec![bytes])
                    .with_shown(format!("{shown} (ctr images ls)")),
                Err(e) => subject.failed(command, e),
            }
        })
        .collect()
    }
}

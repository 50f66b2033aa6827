//! The images: the wasm and the native image written as OCI layout tars, imported with
//! `ctr images import`, and sized from their manifest and from `ctr images ls`.

use super::*;

/// The images: written as OCI layouts from the built artifacts, imported, sized.
pub struct CtrImages;

impl Probe for CtrImages {
    fn id(&self) -> &'static str {
        "ctr-image"
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        [
            (
                Runtime::Wasmtime,
                "size.image.ctr-wasm",
                "wasm image (OCI layout, one uncompressed layer): manifest + config + layer",
            ),
            (
                Runtime::Runc,
                "size.image.ctr-native",
                "native image (OCI layout, one uncompressed layer): manifest + config + layer",
            ),
        ]
        .into_iter()
        .map(|(runtime, id, label)| {
            let command = format!(
                "ctr images import --platform {} {}; ctr images ls name=={}",
                runtime.platform().as_ctr(),
                image_tar(ctx, runtime).display(),
                runtime.image()
            );
            if let Err(reason) = containerd() {
                return ctx.unavailable(id, label, Kind::Size, Unit::Bytes, command, reason);
            }
            match image_size(ctx, runtime) {
                Ok((bytes, shown)) => {
                    Observation::measured(id, label, Kind::Size, Unit::Bytes, command, vec![bytes])
                        .with_shown(format!("{shown} (ctr images ls)"))
                }
                Err(e) => {
                    Observation::failed(id, label, Kind::Size, Unit::Bytes, command, e, vec![])
                }
            }
        })
        .collect()
    }
}

/// Imports the image and returns its bytes (manifest + config + layer) and ctr's SIZE,
/// checked to agree.
fn image_size(ctx: &Ctx, runtime: Runtime) -> Result<(f64, String), String> {
    let info = ensure_image(ctx, runtime, true)?;
    let listed = listed(runtime.image())?
        .ok_or_else(|| format!("ctr images ls does not list {}", runtime.image()))?;
    let bytes = info.content_bytes() as f64;
    let shown = parse_ctr_size(&listed.size)
        .ok_or_else(|| format!("ctr images ls printed the size {:?}", listed.size))?;
    // ctr prints one decimal of the largest binary unit.
    if (shown - bytes).abs() > shown.max(1.0) * 0.01 + 52.0 {
        return Err(format!(
            "ctr images ls shows {} but manifest + config + layer are {bytes} bytes",
            listed.size
        ));
    }
    Ok((bytes, listed.size))
}

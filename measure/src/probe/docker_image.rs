//! The traditional image (the lab's Task 2): built from a context holding only the binary,
//! then sized as `docker image inspect` and `docker images` report it.

use super::{Claim, Probe};
use crate::ctx::Ctx;
use crate::runner::describe;
use crate::runtime::docker;
use wasmlab_model::metric::{BUILD_IMAGE, DOCKER, SIZE_IMAGE};
use wasmlab_model::results::Observation;

pub struct DockerImageProbe;

impl Probe for DockerImageProbe {
    fn id(&self) -> &'static str {
        "docker-image"
    }

    fn claims(&self) -> &'static [Claim] {
        &[
            Claim::All(&BUILD_IMAGE),
            Claim::Variants(&SIZE_IMAGE, &[&DOCKER]),
        ]
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let build = BUILD_IMAGE
            .of(&DOCKER)
            .label("docker build of the scratch image (no cache)");
        let size = SIZE_IMAGE.of(&DOCKER).label("native image (FROM scratch)");
        let build_cmd = docker::build_command(ctx);
        let size_cmd = format!(
            "docker image inspect --format '{{{{.Size}}}}' {}",
            docker::IMAGE
        );
        if let Err(reason) = ctx.docker() {
            return vec![
                ctx.unavailable(build, describe(&build_cmd), reason),
                ctx.unavailable(size, size_cmd, reason),
            ];
        }
        let build = match docker::build(ctx, build_cmd) {
            Ok((command, run)) => build.measured(command, vec![run.wall.as_secs_f64()]),
            Err((command, e)) => build.failed(command, e),
        };
        let size = match docker::image_size() {
            Ok((bytes, shown)) => size
                .measured(size_cmd, vec![bytes])
                .with_shown(format!("{shown} (docker images)")),
            Err(e) => size.failed(size_cmd, format!("{e:#}")),
        };
        vec![build, size]
    }
}

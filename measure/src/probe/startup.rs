//! CLI startup, spawn to exit, as the lab asks: every runtime runs the service with
//! `MODE=once` and nothing else in its environment, interleaved, beside the floor (a static
//! binary that does nothing).

use super::{Claim, Probe};
use crate::ctx::Ctx;
use crate::runner::{bench, describe};
use crate::runtime::cli;
use wasmlab_model::metric;
use wasmlab_model::results::Observation;

pub struct StartupProbe;

impl Probe for StartupProbe {
    fn id(&self) -> &'static str {
        "startup"
    }

    /// Every runtime's and engine's start but the cross-check's two, which `crosscheck`
    /// writes.
    fn claims(&self) -> &'static [Claim] {
        use metric::*;
        &[Claim::AllBut(
            &STARTUP_CLI,
            &[&NATIVE_PROCESS_ALONE, &NATIVE_PROCESS_HYPERFINE],
        )]
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let (mut variants, failed) = cli::local(ctx);
        let mut not_run: Vec<Observation> = failed
            .into_iter()
            .map(|(v, why)| v.subject.failed(describe(&v.command), why))
            .collect();
        let elsewhere = cli::ctr(ctx).into_iter().chain([cli::docker(ctx)]);
        for variant in elsewhere {
            match variant {
                Ok(variant) => variants.push(variant),
                Err(u) => not_run.push(ctx.unavailable(u.subject, u.command, &u.reason)),
            }
        }
        match cli::tinygo(ctx) {
            Ok(tinygo) => variants.extend(tinygo),
            // An optional extra of the app's: skipped, never failed.
            Err(not_built) => not_run.extend(
                not_built
                    .into_iter()
                    .map(|u| u.subject.skipped(u.command, &u.reason)),
            ),
        }
        let (wasmtime_cli, not_here) = cli::wasmtime_cli(ctx);
        variants.extend(wasmtime_cli);
        not_run.extend(not_here);
        let mut observations = bench(variants, ctx.plan());
        observations.extend(not_run);
        observations
    }
}

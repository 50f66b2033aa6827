//! In-process phases of running the wasm module in the embedded host, per engine, timed
//! inside `measure` itself: what a spawn-to-exit figure hides. Not comparable with spawn-to-exit
//! timings, and never shown in one column with them.

use super::{Claim, Probe};
use crate::ctx::Ctx;
use crate::expect;
use crate::runner::schedule;
use anyhow::{bail, Context as _, Result};
use std::time::Instant;
use wasmlab_hosts::engine::{Engine, EngineHost};
use wasmlab_hosts::wasm::{self, Stdio};
use wasmlab_model::metric::{
    Metric, MEMORY_HOST_RSS_GROWTH, MEMORY_LINEAR, PHASE_COMPILE, PHASE_INSTANTIATE,
    PHASE_LOAD_PRECOMPILED, PHASE_RUN,
};
use wasmlab_model::results::Observation;

pub struct PhaseProbe;

/// The phases, in the order one round takes them, with what each times.
const PHASES: [(&Metric, &str); 4] = [
    (
        &PHASE_COMPILE,
        "Module::new(engine, wasm bytes) (wasmi: validate and translate)",
    ),
    (
        &PHASE_LOAD_PRECOMPILED,
        "Module::deserialize_file(engine, cwasm)",
    ),
    (
        &PHASE_INSTANTIATE,
        "Linker::instantiate(fresh store, module)",
    ),
    (&PHASE_RUN, "_start() on a fresh instance"),
];

impl Probe for PhaseProbe {
    fn id(&self) -> &'static str {
        "phase"
    }

    fn claims(&self) -> &'static [Claim] {
        &[
            Claim::All(&PHASE_COMPILE),
            Claim::All(&PHASE_LOAD_PRECOMPILED),
            Claim::All(&PHASE_INSTANTIATE),
            Claim::All(&PHASE_RUN),
            Claim::All(&MEMORY_LINEAR),
            // What one instance costs the host process in resident memory (its store,
            // linear memory pages touched, WASI context), beside the guest's own view.
            Claim::All(&MEMORY_HOST_RSS_GROWTH),
        ]
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        Engine::ALL
            .into_iter()
            .flat_map(|engine| engine_phases(ctx, engine))
            .collect()
    }
}

/// The phases of one engine, each a row named by the engine's variant. wasmi has no
/// precompiled form, so no load-precompiled row.
fn engine_phases(ctx: &Ctx, engine: Engine) -> Vec<Observation> {
    let mut samples: [Vec<f64>; 4] = Default::default();
    let mut linear_memory = Vec::new();
    let mut rss_growth = Vec::new();
    let outcome = rounds(
        ctx,
        engine,
        &mut samples,
        &mut linear_memory,
        &mut rss_growth,
    );
    let error = outcome.err().map(|e| format!("{e:#}"));
    let variant = engine.variants().phases;
    let finish = |metric: &'static Metric, label: String, command: &str, samples| {
        metric
            .of(variant)
            .label(label)
            .concluded(command, samples, error.clone())
    };
    let mut observations: Vec<Observation> = PHASES
        .iter()
        .zip(samples)
        .filter(|((metric, _), _)| engine.precompiles() || *metric != &PHASE_LOAD_PRECOMPILED)
        .map(|((metric, command), taken)| {
            finish(
                metric,
                format!("{}: {}", variant.label, metric.label),
                command,
                taken,
            )
        })
        .collect();
    observations.push(finish(
        &MEMORY_LINEAR,
        format!("{}: {}", variant.label, MEMORY_LINEAR.label),
        "Memory::data_size after _start",
        linear_memory,
    ));
    observations.push(finish(
        &MEMORY_HOST_RSS_GROWTH,
        format!("{}: {}", variant.label, MEMORY_HOST_RSS_GROWTH.label),
        "/proc/self/statm resident pages after _start minus before instantiate",
        rss_growth,
    ));
    observations
}

/// Resident bytes of this process now (`/proc/self/statm`, second field, in pages).
fn resident_bytes() -> Result<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .context("unreadable /proc/self/statm")?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Ok(pages * page as f64)
}

/// Warmup rounds, then `ctx.runs` rounds of the phases, each on fresh objects.
fn rounds(
    ctx: &Ctx,
    engine: Engine,
    samples: &mut [Vec<f64>; 4],
    linear_memory: &mut Vec<f64>,
    rss_growth: &mut Vec<f64>,
) -> Result<()> {
    let runtime = EngineHost::new(engine)?;
    let bytes = wasm::read(&ctx.wasm)?;
    let precompiled = match engine.precompiles() {
        true => Some(ctx.precompiled_for(engine).map_err(anyhow::Error::msg)?),
        false => None,
    };
    let args = vec!["moscow-time.wasm".to_owned()];
    let env = vec![("MODE".to_owned(), "once".to_owned())];
    for step in schedule(1, ctx.warmup, ctx.runs) {
        let mut timed = [0.0; 4];

        let t = Instant::now();
        let module = runtime.compile(&bytes)?;
        timed[0] = t.elapsed().as_secs_f64();

        if let Some(path) = &precompiled {
            let t = Instant::now();
            drop(runtime.load_precompiled(path)?);
            timed[1] = t.elapsed().as_secs_f64();
        }

        let rss_before = resident_bytes()?;
        let t = Instant::now();
        let mut instance = runtime.instantiate(&module, &args, &env, Stdio::Capture)?;
        timed[2] = t.elapsed().as_secs_f64();

        let t = Instant::now();
        let status = instance.run()?;
        timed[3] = t.elapsed().as_secs_f64();
        let rss_after = resident_bytes()?;

        let (stdout, stderr) = instance.output();
        if status != 0 {
            bail!("_start exited {status}: {}", stderr.trim());
        }
        expect::cli_output(&stdout).map_err(anyhow::Error::msg)?;
        if !step.warmup {
            for (taken, value) in samples.iter_mut().zip(timed) {
                taken.push(value);
            }
            linear_memory.push(instance.linear_memory_bytes() as f64);
            rss_growth.push(rss_after - rss_before);
        }
    }
    Ok(())
}

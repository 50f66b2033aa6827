//! In-process phases of running the wasm module in the embedded wasmtime, timed inside
//! `measure` itself: what a spawn-to-exit figure hides. Not comparable with spawn-to-exit
//! timings, and never shown in one column with them.

use super::expect;
use super::Probe;
use crate::ctx::Ctx;
use crate::results::{Kind, Observation, Unit};
use crate::runner::schedule;
use crate::wasm::{self, Host, Stdio};
use anyhow::{bail, Result};
use std::time::Instant;

pub struct Phases;

/// The phases, in the order one round takes them.
const PHASES: [(&str, &str, &str); 4] = [
    (
        "phase.compile.embedded-wasmtime",
        "compile (cranelift)",
        "Module::new(engine, wasm bytes)",
    ),
    (
        "phase.load-precompiled.embedded-wasmtime",
        "load precompiled",
        "Module::deserialize_file(engine, cwasm)",
    ),
    (
        "phase.instantiate.embedded-wasmtime",
        "instantiate (WASI preview 1)",
        "Linker::instantiate(fresh store, module)",
    ),
    (
        "phase.run.embedded-wasmtime",
        "run _start with MODE=once",
        "_start() on a fresh instance",
    ),
];

const LINEAR_MEMORY_ID: &str = "memory.linear.embedded-wasmtime";

impl Probe for Phases {
    fn id(&self) -> &'static str {
        "phase"
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let mut samples: [Vec<f64>; 4] = Default::default();
        let mut linear_memory = Vec::new();
        let outcome = rounds(ctx, &mut samples, &mut linear_memory);
        let mut observations: Vec<Observation> = PHASES
            .iter()
            .zip(samples)
            .map(|((id, label, command), taken)| {
                finish(
                    &outcome,
                    id,
                    label,
                    Kind::InProcess,
                    Unit::Seconds,
                    command,
                    taken,
                )
            })
            .collect();
        observations.push(finish(
            &outcome,
            LINEAR_MEMORY_ID,
            "linear memory after _start",
            Kind::Memory,
            Unit::Bytes,
            "Memory::data_size after _start",
            linear_memory,
        ));
        observations
    }
}

fn finish(
    outcome: &Result<()>,
    id: &str,
    label: &str,
    kind: Kind,
    unit: Unit,
    command: &str,
    samples: Vec<f64>,
) -> Observation {
    match outcome {
        Ok(()) => Observation::measured(id, label, kind, unit, command.to_owned(), samples),
        Err(e) => Observation::failed(
            id,
            label,
            kind,
            unit,
            command.to_owned(),
            format!("{e:#}"),
            samples,
        ),
    }
}

/// Warmup rounds, then `ctx.runs` rounds of the four phases, each on fresh objects.
fn rounds(ctx: &Ctx, samples: &mut [Vec<f64>; 4], linear_memory: &mut Vec<f64>) -> Result<()> {
    let engine = wasm::engine()?;
    let bytes = wasm::read(&ctx.wasm)?;
    let host = Host::new(&engine)?;
    let args = vec!["moscow-time.wasm".to_owned()];
    let env = vec![("MODE".to_owned(), "once".to_owned())];
    for step in schedule(1, ctx.warmup, ctx.runs) {
        let mut timed = [0.0; 4];

        let t = Instant::now();
        let module = wasm::compile(&engine, &bytes)?;
        timed[0] = t.elapsed().as_secs_f64();

        let t = Instant::now();
        drop(wasm::load_precompiled(&engine, &ctx.precompiled)?);
        timed[1] = t.elapsed().as_secs_f64();

        let t = Instant::now();
        let (mut store, instance, output) =
            host.instantiate(&module, &args, &env, Stdio::Capture)?;
        timed[2] = t.elapsed().as_secs_f64();

        let t = Instant::now();
        let status = Host::run(&mut store, &instance)?;
        timed[3] = t.elapsed().as_secs_f64();

        if status != 0 {
            bail!("_start exited {status}: {}", output.stderr_text().trim());
        }
        expect::moscow_json(&output.stdout_text()).map_err(anyhow::Error::msg)?;
        if !step.warmup {
            for (taken, value) in samples.iter_mut().zip(timed) {
                taken.push(value);
            }
            linear_memory.push(wasm::linear_memory_bytes(&mut store, &instance) as f64);
        }
    }
    Ok(())
}

//! In-process phases of running the wasm module in the embedded wasmtime, timed inside
//! `measure` itself: what a spawn-to-exit figure hides. Not comparable with spawn-to-exit
//! timings, and never shown in one column with them.

use super::expect;
use super::Probe;
use crate::ctx::Ctx;
use crate::results::{Kind, Observation, Unit};
use crate::runner::schedule;
use crate::wasm::{self, Host, Stdio};
use anyhow::{bail, Context as _, Result};
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
/// What one instance costs the host process in resident memory (its store, linear memory
/// pages touched, WASI context), beside the guest's own view of its linear memory.
const RSS_GROWTH_ID: &str = "memory.host-rss-growth.embedded-wasmtime";

impl Probe for Phases {
    fn id(&self) -> &'static str {
        "phase"
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let mut samples: [Vec<f64>; 4] = Default::default();
        let mut linear_memory = Vec::new();
        let mut rss_growth = Vec::new();
        let outcome = rounds(ctx, &mut samples, &mut linear_memory, &mut rss_growth);
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
        observations.push(finish(
            &outcome,
            RSS_GROWTH_ID,
            "host RSS growth of the embedded wasmtime: instantiate and _start",
            Kind::Memory,
            Unit::Bytes,
            "/proc/self/statm resident pages after _start minus before instantiate",
            rss_growth,
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
    let error = outcome.as_ref().err().map(|e| format!("{e:#}"));
    Observation::concluded(id, label, kind, unit, command.to_owned(), samples, error)
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

/// Warmup rounds, then `ctx.runs` rounds of the four phases, each on fresh objects.
fn rounds(
    ctx: &Ctx,
    samples: &mut [Vec<f64>; 4],
    linear_memory: &mut Vec<f64>,
    rss_growth: &mut Vec<f64>,
) -> Result<()> {
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

        let rss_before = resident_bytes()?;
        let t = Instant::now();
        let (mut store, instance, output) =
            host.instantiate(&module, &args, &env, Stdio::Capture)?;
        timed[2] = t.elapsed().as_secs_f64();

        let t = Instant::now();
        let status = Host::run(&mut store, &instance)?;
        timed[3] = t.elapsed().as_secs_f64();
        let rss_after = resident_bytes()?;

        if status != 0 {
            bail!("_start exited {status}: {}", output.stderr_text().trim());
        }
        expect::moscow_json(&output.stdout_text()).map_err(anyhow::Error::msg)?;
        if !step.warmup {
            for (taken, value) in samples.iter_mut().zip(timed) {
                taken.push(value);
            }
            linear_memory.push(wasm::linear_memory_bytes(&mut store, &instance) as f64);
            rss_growth.push(rss_after - rss_before);
        }
    }
    Ok(())
}

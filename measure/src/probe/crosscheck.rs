//! An independent timing of the native CLI startup by hyperfine, taken in the same run, so
//! a reader can see that `measure`'s own clock agrees with a tool they already trust.
//! hyperfine runs one command back to back, so `measure` times the same command back to
//! back here too: in the interleaved startup table every native run follows a heavier
//! variant, whose cache and scheduler footprint makes it measurably slower.

use super::Probe;
use crate::ctx::Ctx;
use crate::results::{Kind, Observation, Unit};
use crate::runner::{bench, describe, run_once, Exit, Variant};
use anyhow::{bail, Context as _, Result};
use serde::Deserialize;
use std::process::Command;

pub const ID: &str = "startup.cli.native-process-hyperfine";
const LABEL: &str = "native process, back to back, timed by hyperfine (cross-check)";
/// The same command timed by `measure`, back to back.
pub const ALONE_ID: &str = "startup.cli.native-process-alone";

pub struct Crosscheck;

impl Probe for Crosscheck {
    fn id(&self) -> &'static str {
        "crosscheck"
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let alone = Variant {
            id: ALONE_ID.into(),
            label: "native process, back to back, timed by measure (cross-check)".into(),
            command: super::startup::service_command(&ctx.native),
            check: super::expect::moscow_json_run,
            before_each: None,
        };
        let mut observations = bench(vec![alone], ctx.warmup, ctx.runs, ctx.timeout);
        observations.push(hyperfine(ctx));
        observations
    }
}

fn hyperfine(ctx: &Ctx) -> Observation {
    let Ok(hyperfine) = which::which("hyperfine") else {
        let command = format!("MODE=once hyperfine -N {}", ctx.native.display());
        let reason = "hyperfine not found on PATH; as root, `make setup` installs it".to_owned();
        return Observation::skipped(ID, LABEL, Kind::SpawnToExit, Unit::Seconds, command, reason);
    };
    let export = match tempfile::NamedTempFile::new() {
        Ok(file) => file,
        Err(e) => {
            return Observation::failed(
                ID,
                LABEL,
                Kind::SpawnToExit,
                Unit::Seconds,
                String::new(),
                e.to_string(),
                vec![],
            )
        }
    };
    // hyperfine passes its own environment to the command, so MODE=once is set on it
    // and nothing else; -N runs the command without a shell, as `measure` does.
    let mut cmd = Command::new(hyperfine);
    cmd.env_clear()
        .env("MODE", "once")
        .args([
            "-N",
            "--style",
            "none",
            "--warmup",
            &ctx.warmup.to_string(),
            "--runs",
            &ctx.runs.to_string(),
            "--export-json",
        ])
        .arg(export.path())
        .arg(&ctx.native);
    let command = describe(&cmd).replace(&export.path().display().to_string(), "OUT.json");
    match times(&mut cmd, ctx, export.path()) {
        Ok(samples) => Observation::measured(
            ID,
            LABEL,
            Kind::SpawnToExit,
            Unit::Seconds,
            command,
            samples,
        ),
        Err(e) => Observation::failed(
            ID,
            LABEL,
            Kind::SpawnToExit,
            Unit::Seconds,
            command,
            format!("{e:#}"),
            vec![],
        ),
    }
}

#[derive(Deserialize)]
struct Export {
    results: Vec<Benchmark>,
}

#[derive(Deserialize)]
struct Benchmark {
    times: Vec<f64>,
}

fn times(cmd: &mut Command, ctx: &Ctx, export: &std::path::Path) -> Result<Vec<f64>> {
    let limit = ctx.timeout * (ctx.runs + ctx.warmup + 1) as u32;
    let run = run_once(cmd, limit)?;
    if run.exit != Exit::Code(0) {
        bail!("hyperfine: {}: {}", run.exit, run.stderr_tail());
    }
    let text = std::fs::read_to_string(export).context("hyperfine wrote no export")?;
    let parsed: Export =
        serde_json::from_str(&text).context("hyperfine's JSON export has an unknown shape")?;
    parsed
        .results
        .into_iter()
        .next()
        .map(|b| b.times)
        .context("hyperfine exported no result")
}

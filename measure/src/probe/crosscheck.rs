//! An independent timing of the native CLI startup by hyperfine, taken in the same run, so
//! a reader can see that `measure`'s own clock agrees with a tool they already trust.
//! hyperfine runs one command back to back, so `measure` times the same command back to
//! back here too: in the interleaved startup table every native run follows a heavier
//! variant, whose cache and scheduler footprint makes it measurably slower.

use super::{Claim, Probe};
use crate::ctx::Ctx;
use crate::metric::{NATIVE_PROCESS_ALONE, NATIVE_PROCESS_HYPERFINE, STARTUP_CLI};
use crate::results::Observation;
use crate::runner::{bench, describe, run_once, Exit};
use crate::runtime::cli;
use anyhow::{bail, Context as _, Result};
use serde::Deserialize;
use std::process::Command;

pub struct Crosscheck;

impl Probe for Crosscheck {
    fn id(&self) -> &'static str {
        "crosscheck"
    }

    fn claims(&self) -> &'static [Claim] {
        &[Claim::Variants(
            &STARTUP_CLI,
            &[&NATIVE_PROCESS_ALONE, &NATIVE_PROCESS_HYPERFINE],
        )]
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let alone = STARTUP_CLI
            .of(&NATIVE_PROCESS_ALONE)
            .label("native process, back to back, timed by measure (cross-check)");
        let mut observations = bench(vec![cli::native(alone, ctx)], ctx.plan());
        observations.push(hyperfine(ctx));
        observations
    }
}

fn hyperfine(ctx: &Ctx) -> Observation {
    let subject = STARTUP_CLI
        .of(&NATIVE_PROCESS_HYPERFINE)
        .label("native process, back to back, timed by hyperfine (cross-check)");
    let Ok(hyperfine) = which::which("hyperfine") else {
        let command = format!("MODE=once hyperfine -N {}", ctx.native.display());
        let reason = "hyperfine not found on PATH; as root, `make setup` installs it";
        return ctx.unavailable(subject, command, reason);
    };
    let export = match tempfile::NamedTempFile::new() {
        Ok(file) => file,
        Err(e) => {
            return subject.failed("hyperfine", format!("cannot create its export file: {e}"))
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
    let samples = times(&mut cmd, ctx, export.path()).map_err(|e| format!("{e:#}"));
    subject.outcome(command, samples)
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
    let rounds = ctx.runs.saturating_add(ctx.warmup).saturating_add(1);
    let limit = ctx
        .timeout
        .saturating_mul(u32::try_from(rounds).unwrap_or(u32::MAX));
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

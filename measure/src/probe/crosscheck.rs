//! An independent timing of the native CLI startup by hyperfine, taken in the same run, so
//! a reader can see that `measure`'s own clock agrees with a tool they already trust.
//! hyperfine runs one command back to back, so `measure` times the same command back to
//! back here too: in the interleaved startup table every native run follows a heavier
//! variant, whose cache and scheduler footprint makes it measurably slower.
//!
//! The two tools take turns in short batches rather than one long series each: on these
//! virtual machines the time of one exec drifts by 10–20% over a few seconds, so two series
//! taken one after the other disagree by that drift alone, whichever clock is right.

use super::{Claim, Probe};
use crate::ctx::Ctx;
use crate::runner::{bench, describe, run_once, Exit, Plan};
use crate::runtime::cli;
use crate::tools;
use anyhow::{bail, Context as _, Result};
use serde::Deserialize;
use std::path::Path;
use std::process::Command;
use wasmlab_model::metric::{NATIVE_PROCESS_ALONE, NATIVE_PROCESS_HYPERFINE, STARTUP_CLI};
use wasmlab_model::results::Observation;

/// Runs per tool in one turn.
const BATCH: usize = 5;

pub struct CrosscheckProbe;

impl Probe for CrosscheckProbe {
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
        let ours = STARTUP_CLI
            .of(&NATIVE_PROCESS_ALONE)
            .label("native process, back to back, timed by measure (cross-check)");
        let theirs = STARTUP_CLI
            .of(&NATIVE_PROCESS_HYPERFINE)
            .label("native process, back to back, timed by hyperfine (cross-check)");
        let Ok(hyperfine) = tools::HYPERFINE.which() else {
            let command = format!("MODE=once hyperfine -N {}", ctx.native.display());
            let tool = &tools::HYPERFINE;
            return vec![
                ctx.without(tool, ours, describe(&cli::service_command(&ctx.native))),
                ctx.without(tool, theirs, command),
            ];
        };
        let export = match tempfile::NamedTempFile::new() {
            Ok(file) => file,
            Err(e) => {
                let error = format!("cannot create hyperfine's export file: {e}");
                return vec![
                    ours.failed("hyperfine", error.clone()),
                    theirs.failed("hyperfine", error),
                ];
            }
        };
        let (mut mine, mut its) = (Taken::default(), Taken::default());
        let mut our_command = String::new();
        let mut their_command = String::new();
        for (turn, runs) in turns(ctx.runs).enumerate() {
            // Both warm up on the first turn alone, as one series would.
            let warmup = if turn == 0 { ctx.warmup } else { 0 };
            if mine.error.is_none() {
                let plan = Plan {
                    warmup,
                    runs,
                    timeout: ctx.timeout,
                };
                let o = bench(vec![cli::native(ours.clone(), ctx)], plan).remove(0);
                our_command = o.command.clone();
                mine.add(o.samples, error_of(&o.status));
            }
            if its.error.is_none() {
                let mut cmd = hyperfine_command(&hyperfine, ctx, warmup, runs, export.path());
                their_command = describe(&cmd)
                    .replace(&export.path().display().to_string(), "OUT.json")
                    .replace(&format!("--runs {runs}"), &format!("--runs {BATCH}"));
                match times(&mut cmd, ctx, export.path()) {
                    Ok(samples) => its.add(samples, None),
                    Err(e) => its.add(Vec::new(), Some(format!("{e:#}"))),
                }
            }
        }
        let turns = format!(
            " ({} runs in turns of {BATCH}, alternating with the other tool)",
            ctx.runs
        );
        vec![
            ours.concluded(our_command + &turns, mine.samples, mine.error),
            theirs.concluded(their_command + &turns, its.samples, its.error),
        ]
    }
}

/// The samples of one tool over all turns, and the first error that stopped it.
#[derive(Default)]
struct Taken {
    samples: Vec<f64>,
    error: Option<String>,
}

impl Taken {
    fn add(&mut self, samples: Vec<f64>, error: Option<String>) {
        self.samples.extend(samples);
        self.error = self.error.take().or(error);
    }
}

fn error_of(status: &wasmlab_model::results::Status) -> Option<String> {
    match status {
        wasmlab_model::results::Status::Failed { error } => Some(error.clone()),
        _ => None,
    }
}

/// `runs` split into turns of at most [`BATCH`].
fn turns(runs: usize) -> impl Iterator<Item = usize> {
    (0..runs.div_ceil(BATCH)).map(move |t| BATCH.min(runs - t * BATCH))
}

/// hyperfine passes its own environment to the command, so MODE=once is set on it and
/// nothing else; -N runs the command without a shell, as `measure` does.
fn hyperfine_command(
    hyperfine: &Path,
    ctx: &Ctx,
    warmup: usize,
    runs: usize,
    export: &Path,
) -> Command {
    let mut cmd = Command::new(hyperfine);
    cmd.env_clear()
        .env("MODE", "once")
        .args(["-N", "--style", "none", "--warmup", &warmup.to_string()])
        .args(["--runs", &runs.to_string(), "--export-json"])
        .arg(export)
        .arg(&ctx.native);
    cmd
}

#[derive(Deserialize)]
struct Export {
    results: Vec<Benchmark>,
}

#[derive(Deserialize)]
struct Benchmark {
    times: Vec<f64>,
}

fn times(cmd: &mut Command, ctx: &Ctx, export: &Path) -> Result<Vec<f64>> {
    let rounds = ctx.warmup.saturating_add(BATCH).saturating_add(1);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_split_into_turns_that_add_up() {
        assert_eq!(turns(12).collect::<Vec<_>>(), [5, 5, 2]);
        assert_eq!(turns(5).collect::<Vec<_>>(), [5]);
        assert_eq!(turns(1).collect::<Vec<_>>(), [1]);
        assert_eq!(turns(0).count(), 0);
    }
}

//! Peak resident set size of each CLI run, taken by GNU time in runs of their own (never
//! in the timed runs). Not from `measure`'s own `wait4`: a child spawned from a large
//! process inherits that process's high-water mark at exec, so its rusage would report
//! `measure`'s memory; GNU time forks the command from its own small process instead.

use super::{Claim, Probe};
use crate::ctx::Ctx;
use crate::runner::{describe, run_once, TimedCommand};
use crate::runtime::cli;
use crate::tools;
use anyhow::{Context as _, Result};
use std::path::Path;
use std::process::Command;
use wasmlab_model::metric::MEMORY_CLI_PEAK_RSS;
use wasmlab_model::results::Observation;

const GNU_TIME: &str = tools::GNU_TIME.name;

pub struct PeakRssProbe;

impl Probe for PeakRssProbe {
    fn id(&self) -> &'static str {
        "peak-rss"
    }

    fn claims(&self) -> &'static [Claim] {
        &[Claim::All(&MEMORY_CLI_PEAK_RSS)]
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let (variants, failed) = cli::local(ctx);
        let subject = |variant: &TimedCommand| {
            MEMORY_CLI_PEAK_RSS.named(
                &variant.subject.id.variant,
                format!("{}: peak RSS of one CLI run", variant.subject.label),
            )
        };
        let command =
            |variant: &TimedCommand| format!("{GNU_TIME} -f %M {}", describe(&variant.command));
        let not_run: Vec<Observation> = failed
            .iter()
            .map(|(v, why)| subject(v).failed(command(v), why.clone()))
            .collect();
        variants
            .into_iter()
            .map(|variant| {
                let (subject, command) = (subject(&variant), command(&variant));
                if !Path::new(GNU_TIME).is_file() {
                    return ctx.without(&tools::GNU_TIME, subject, command);
                }
                subject.outcome(
                    command,
                    samples(&variant, ctx).map_err(|e| format!("{e:#}")),
                )
            })
            .chain(not_run)
            .collect()
    }
}

/// `ctx.runs` runs of `variant` under GNU time, each checked like a timed run.
fn samples(variant: &TimedCommand, ctx: &Ctx) -> Result<Vec<f64>> {
    let report = tempfile::NamedTempFile::new()?;
    let inner = &variant.command;
    let mut cmd = Command::new(GNU_TIME);
    cmd.env_clear()
        .envs(inner.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .args(["-f", "%M", "-o"])
        .arg(report.path())
        .arg(inner.get_program())
        .args(inner.get_args());
    (0..ctx.runs)
        .map(|_| {
            let run = run_once(&mut cmd, ctx.timeout)?;
            (variant.check)(&run).map_err(anyhow::Error::msg)?;
            let text = std::fs::read_to_string(report.path())?;
            let kib: f64 = text
                .trim()
                .parse()
                .with_context(|| format!("GNU time wrote {text:?}"))?;
            Ok(kib * 1024.0)
        })
        .collect()
}

//! The server context, started and stopped under each runtime: time until it first
//! answers, its memory while serving, and how long a graceful stop takes. Cycles are
//! interleaved across runtimes.

use super::{Claim, Probe};
use crate::ctx::Ctx;
use crate::expect;
use crate::runtime::server::{self, start_ready, Server};
use anyhow::{bail, Result};
use std::time::{Duration, Instant};
use wasmlab_hosts::http;
use wasmlab_model::metric::{
    Metric, MEMORY_SERVER_CGROUP, MEMORY_SERVER_CONTAINER_TOTAL, MEMORY_SERVER_DOCKER_STATS,
    MEMORY_SERVER_PEAK_RSS, MEMORY_SERVER_RSS, MEMORY_SERVER_SHIM_RSS, READY_SERVER, STOP_SERVER,
};
use wasmlab_model::results::Observation;

/// Server cycles per runtime: each start costs seconds (docker stats alone takes ~1 s), so
/// no more than the fewest samples an interval is drawn from.
const MAX_CYCLES: usize = wasmlab_model::stats::MIN_INTERVAL_SAMPLES;

pub struct ServerProbe;

impl Probe for ServerProbe {
    fn id(&self) -> &'static str {
        "server"
    }

    fn claims(&self) -> &'static [Claim] {
        &[
            Claim::All(&READY_SERVER),
            Claim::All(&STOP_SERVER),
            Claim::All(&MEMORY_SERVER_RSS),
            Claim::All(&MEMORY_SERVER_PEAK_RSS),
            Claim::All(&MEMORY_SERVER_DOCKER_STATS),
            Claim::All(&MEMORY_SERVER_CGROUP),
            Claim::All(&MEMORY_SERVER_SHIM_RSS),
            Claim::All(&MEMORY_SERVER_CONTAINER_TOTAL),
        ]
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let mut servers = server::all();
        let mut observations = Vec::new();
        servers.retain(|server| match server.unavailable(ctx) {
            None => true,
            Some(reason) => {
                let subject = READY_SERVER.of(server.variant());
                let command = server.command(ctx);
                observations.push(server::not_here(
                    server.as_ref(),
                    ctx,
                    subject,
                    command,
                    &reason,
                ));
                false
            }
        });
        let mut taken: Vec<Taken> = servers
            .iter_mut()
            .map(|server| Taken {
                error: server.prepare(ctx).err().map(|e| format!("{e:#}")),
                ..Taken::default()
            })
            .collect();
        for _ in 0..ctx.runs.min(MAX_CYCLES) {
            for (server, got) in servers.iter_mut().zip(taken.iter_mut()) {
                if got.error.is_none() {
                    if let Err(e) = cycle(server.as_mut(), ctx, got) {
                        got.error = Some(format!("{e:#}"));
                    }
                }
            }
        }
        for (server, got) in servers.iter().zip(taken) {
            observations.extend(got.into_observations(server.as_ref(), &server.command(ctx)));
        }
        observations
    }
}

/// Memory readings of one metric: (label, samples, as shown).
type Readings = (String, Vec<f64>, Option<String>);

#[derive(Default)]
struct Taken {
    ready: Vec<f64>,
    stop: Vec<f64>,
    /// In the order first read.
    memory: Vec<(&'static Metric, Readings)>,
    error: Option<String>,
}

/// Start, wait for the first 200, one more request, read memory, stop: one sample each.
fn cycle(server: &mut dyn Server, ctx: &Ctx, got: &mut Taken) -> Result<()> {
    server.before_start(ctx)?;
    let started = Instant::now();
    let addr = start_ready(server, ctx)?;
    let ready = started.elapsed();
    let path = crate::app::timed_path();
    let (code, body) = http::get(addr, path, Duration::from_secs(5))?;
    if code != 200 {
        bail!("GET {path} answered {code}");
    }
    expect::cli_output(&body).map_err(anyhow::Error::msg)?;
    let readings = server.memory()?;
    let t = Instant::now();
    server.stop(ctx)?;
    got.stop.push(t.elapsed().as_secs_f64());
    got.ready.push(ready.as_secs_f64());
    for r in readings {
        let slot = match got.memory.iter().position(|(m, _)| *m == r.metric) {
            Some(i) => &mut got.memory[i].1,
            None => {
                got.memory
                    .push((r.metric, (r.label.clone(), Vec::new(), None)));
                &mut got.memory.last_mut().expect("just pushed").1
            }
        };
        slot.1.push(r.bytes);
        if r.shown.is_some() {
            slot.2 = r.shown;
        }
    }
    Ok(())
}

impl Taken {
    fn into_observations(self, server: &dyn Server, command: &str) -> Vec<Observation> {
        let variant = server.variant();
        let error = &self.error;
        let mut out = vec![
            READY_SERVER
                .of(variant)
                .concluded(command, self.ready, error.clone()),
            STOP_SERVER
                .of(variant)
                .concluded(command, self.stop, error.clone()),
        ];
        for (metric, (label, samples, shown)) in self.memory {
            let o = metric
                .of(variant)
                .label(label)
                .concluded(command, samples, error.clone());
            out.push(match shown {
                Some(s) => o.with_shown(s),
                None => o,
            });
        }
        out
    }
}

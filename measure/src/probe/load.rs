//! The server context under load on loopback: requests per second and latency quantiles
//! at a few concurrency levels, for every runtime that serves it. The server is pinned to
//! one core and wrk to the other, so the load generator does not steal the server's CPU.
//! Every server is started once and warmed up, then each cell (server × concurrency) is
//! loaded in [`ROUNDS`] short rounds that take turns across the servers, so that drift in
//! the machine falls on all of them alike and each cell has the runs an interval needs.

use super::{Claim, Probe};
use crate::app::timed_path;
use crate::ctx::Ctx;
use crate::load::{wrk, Load, SERVER_CPU};
use crate::runtime::server::{all, start_ready, Server};
use crate::tools;
use anyhow::Result;
use std::net::SocketAddr;
use std::time::Duration;
use wasmlab_model::metric::{Metric, LOAD_ERRORS, LOAD_LATENCY_P50, LOAD_LATENCY_P99, LOAD_RPS};
use wasmlab_model::results::Observation;

/// Connections per run (one wrk thread each time).
pub const CONNECTIONS: [usize; 3] = [1, 10, 50];
/// Rounds per cell: the fewest samples an interval is drawn from.
const ROUNDS: usize = wasmlab_model::stats::MIN_INTERVAL_SAMPLES;

/// What each wrk run yields, per server and concurrency: `load.<metric>-c<N>.<variant>`.
/// Errors are socket errors plus non-2xx/3xx answers, per second of the run (a rate, so
/// runs of different lengths compare; the count is in `shown`).
const METRICS: [&Metric; 4] = [
    &LOAD_RPS,
    &LOAD_LATENCY_P50,
    &LOAD_LATENCY_P99,
    &LOAD_ERRORS,
];

fn value(metric: &Metric, load: &Load) -> f64 {
    if metric == &LOAD_RPS {
        load.requests_per_second
    } else if metric == &LOAD_LATENCY_P50 {
        load.p50
    } else if metric == &LOAD_LATENCY_P99 {
        load.p99
    } else {
        load.errors as f64 / load.seconds.max(f64::MIN_POSITIVE)
    }
}

/// The counts behind the rates, as wrk printed them, summed over the rounds.
fn shown(metric: &Metric, runs: &[Load], o: Observation) -> Observation {
    if metric == &LOAD_RPS || metric == &LOAD_ERRORS {
        let requests: u64 = runs.iter().map(|l| l.requests).sum();
        let errors: u64 = runs.iter().map(|l| l.errors).sum();
        o.with_shown(format!(
            "{requests} requests, {errors} errors in {} rounds",
            runs.len()
        ))
    } else {
        o
    }
}

/// The qualifier of a concurrency: `c10`.
fn at(connections: usize) -> String {
    format!("c{connections}")
}

pub struct LoadProbe;

impl Probe for LoadProbe {
    fn id(&self) -> &'static str {
        "load"
    }

    fn claims(&self) -> &'static [Claim] {
        &[
            Claim::All(&LOAD_RPS),
            Claim::All(&LOAD_LATENCY_P50),
            Claim::All(&LOAD_LATENCY_P99),
            Claim::All(&LOAD_ERRORS),
        ]
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let command = format!(
            "wrk --threads 1 --connections N --duration {}s --latency http://ADDR{}, \
             {ROUNDS} rounds taking turns across the servers",
            ctx.load_duration.as_secs(),
            timed_path()
        );
        let mut observations = Vec::new();
        let mut loaded: Vec<Loaded> = Vec::new();
        for server in all().into_iter().filter(|s| !s.only_for_starts()) {
            // wrk is required in CI even where the server is an optional extra.
            let missing = match tools::WRK.which() {
                Err(reason) => Some((true, reason)),
                Ok(_) => server
                    .unavailable(ctx)
                    .map(|reason| (!server.optional(), reason)),
            };
            match missing {
                Some((required, reason)) => {
                    let v = server.variant();
                    for c in CONNECTIONS {
                        for metric in METRICS {
                            let subject = metric.at(at(c)).of(v);
                            let command = command.clone();
                            observations.push(ctx.lacking(required, subject, command, &reason));
                        }
                    }
                }
                None => loaded.push(Loaded::start(server, ctx)),
            }
        }
        for _ in 0..ROUNDS {
            for server in &mut loaded {
                server.round(ctx);
            }
        }
        for server in loaded {
            observations.extend(server.finish(ctx, &command));
        }
        observations
    }
}

/// One server under load: where it listens (or why it could not start), and each
/// concurrency's runs so far, or the error that ended them.
struct Loaded {
    server: Box<dyn Server>,
    addr: Result<SocketAddr, String>,
    runs: Vec<(Vec<Load>, Option<String>)>,
}

impl Loaded {
    /// Starts the server, pins it and warms it up for a second.
    fn start(mut server: Box<dyn Server>, ctx: &Ctx) -> Self {
        let addr = start_ready(server.as_mut(), ctx)
            .and_then(|addr| {
                server.pin(SERVER_CPU)?;
                wrk(addr, timed_path(), 10, Duration::from_secs(1))?;
                Ok(addr)
            })
            .map_err(|e| format!("{e:#}"));
        Self {
            server,
            addr,
            runs: CONNECTIONS.iter().map(|_| (Vec::new(), None)).collect(),
        }
    }

    /// One wrk run per concurrency; a cell that failed once is not run again.
    fn round(&mut self, ctx: &Ctx) {
        let Ok(addr) = self.addr else { return };
        for (c, (runs, error)) in CONNECTIONS.iter().zip(&mut self.runs) {
            if error.is_some() {
                continue;
            }
            match wrk(addr, timed_path(), *c, ctx.load_duration) {
                Ok(load) => runs.push(load),
                Err(e) => *error = Some(format!("round {}: {e:#}", runs.len() + 1)),
            }
        }
    }

    /// Stops the server and turns each cell's rounds into its observations: one sample
    /// per round, the counts summed in `shown`; a cell that failed keeps the rounds it had.
    fn finish(mut self, ctx: &Ctx, command: &str) -> Vec<Observation> {
        let _ = self.server.stop(ctx);
        let v = self.server.variant();
        let mut observations = Vec::new();
        for (c, (runs, error)) in CONNECTIONS.iter().zip(self.runs) {
            let plural = if *c == 1 { "" } else { "s" };
            let command = runs.first().map_or(command.to_owned(), |l| {
                format!(
                    "{}, {ROUNDS} rounds taking turns across the servers",
                    l.command
                )
            });
            // A server that did not start fails every cell; a cell that failed, itself.
            let error = self.addr.as_ref().err().or(error.as_ref());
            for metric in METRICS {
                let subject = metric.at(at(*c)).of(v).label(format!(
                    "{}, {c} connection{plural}: {}",
                    v.label, metric.label
                ));
                let samples: Vec<f64> = runs.iter().map(|l| value(metric, l)).collect();
                observations.push(match error {
                    Some(e) => subject.failed_after(command.clone(), e.clone(), samples),
                    None => shown(metric, &runs, subject.measured(command.clone(), samples)),
                });
            }
        }
        observations
    }
}

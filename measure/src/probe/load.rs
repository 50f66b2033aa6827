//! The server context under load on loopback: requests per second and latency quantiles
//! at a few concurrency levels, for every runtime that serves it. The server is pinned to
//! one core and wrk to the other, so the load generator does not steal the server's CPU.

use super::{Claim, Probe};
use crate::ctx::Ctx;
use crate::load::{wrk, Load, SERVER_CPU};
use crate::runtime::server::{all, start_ready, Server};
use crate::tools;
use anyhow::Result;
use std::time::Duration;
use wasmlab_model::metric::{Metric, LOAD_ERRORS, LOAD_LATENCY_P50, LOAD_LATENCY_P99, LOAD_RPS};
use wasmlab_model::results::Observation;

/// Connections per run (one wrk thread each time).
pub const CONNECTIONS: [usize; 3] = [1, 10, 50];
const PATH: &str = "/api/time";

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

/// The counts behind the rates, as wrk printed them.
fn shown(metric: &Metric, load: &Load, o: Observation) -> Observation {
    if metric == &LOAD_RPS || metric == &LOAD_ERRORS {
        o.with_shown(format!(
            "{} requests, {} errors",
            load.requests, load.errors
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
        let mut observations = Vec::new();
        for mut server in all() {
            let command = format!(
                "wrk --threads 1 --connections N --duration {}s --latency http://ADDR{PATH}",
                ctx.load_duration.as_secs()
            );
            let v = server.variant();
            // wrk is required in CI even where the server is an optional extra.
            let missing = match tools::WRK.which() {
                Err(reason) => Some((true, reason)),
                Ok(_) => server
                    .unavailable(ctx)
                    .map(|reason| (!server.optional(), reason)),
            };
            if let Some((required, reason)) = missing {
                for c in CONNECTIONS {
                    for metric in METRICS {
                        let subject = metric.at(at(c)).of(v);
                        let command = command.clone();
                        observations.push(ctx.lacking(required, subject, command, &reason));
                    }
                }
                continue;
            }
            let runs = drive(server.as_mut(), ctx);
            for (c, outcome) in CONNECTIONS.iter().zip(runs) {
                let plural = if *c == 1 { "" } else { "s" };
                for metric in METRICS {
                    let subject = metric.at(at(*c)).of(v).label(format!(
                        "{}, {c} connection{plural}: {}",
                        v.label, metric.label
                    ));
                    observations.push(match &outcome {
                        Ok(load) => shown(
                            metric,
                            load,
                            subject.measured(load.command.clone(), vec![value(metric, load)]),
                        ),
                        Err(e) => subject.failed(command.clone(), format!("{e:#}")),
                    });
                }
            }
        }
        observations
    }
}

/// Starts the server, pins it, warms it up for a second, then one wrk run per concurrency.
/// A failure to start fails every level; the server is stopped (or removed) either way.
fn drive(server: &mut dyn Server, ctx: &Ctx) -> Vec<Result<Load>> {
    let started = start_ready(server, ctx).and_then(|addr| {
        server.pin(SERVER_CPU)?;
        wrk(addr, PATH, 10, Duration::from_secs(1))?;
        Ok(addr)
    });
    let addr = match started {
        Ok(addr) => addr,
        Err(e) => {
            let message = format!("{e:#}");
            return CONNECTIONS
                .iter()
                .map(|_| Err(anyhow::anyhow!(message.clone())))
                .collect();
        }
    };
    let runs = CONNECTIONS
        .iter()
        .map(|c| wrk(addr, PATH, *c, ctx.load_duration))
        .collect();
    let _ = server.stop(ctx);
    runs
}

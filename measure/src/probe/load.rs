//! The server context under load on loopback: requests per second and latency quantiles
//! at a few concurrency levels, for every runtime that serves it. The server is pinned to
//! one core and wrk to the other, so the load generator does not steal the server's CPU.

use super::server::{all, start_ready, Server};
use super::Probe;
use crate::ctx::Ctx;
use crate::load::{wrk, Load, SERVER_CPU};
use crate::results::{Kind, Observation, Unit};
use anyhow::Result;
use std::time::Duration;

/// Connections per run (one wrk thread each time).
pub const CONNECTIONS: [usize; 3] = [1, 10, 50];
const PATH: &str = "/api/time";

/// What each wrk run yields, per server and concurrency: `load.<metric>-c<N>.<variant>`.
/// Errors are socket errors plus non-2xx/3xx answers, per second of the run (a rate, so
/// runs of different lengths compare; the count is in `shown`).
const METRICS: [(&str, Unit, &str); 4] = [
    ("rps", Unit::PerSecond, "requests/s"),
    ("latency-p50", Unit::Seconds, "latency p50"),
    ("latency-p99", Unit::Seconds, "latency p99"),
    ("errors", Unit::PerSecond, "errors/s (socket, non-2xx/3xx)"),
];

fn id(metric: &str, connections: usize, variant: &str) -> String {
    format!("load.{metric}-c{connections}.{variant}")
}

fn value(metric: &str, load: &Load) -> f64 {
    match metric {
        "rps" => load.requests_per_second,
        "latency-p50" => load.p50,
        "latency-p99" => load.p99,
        _ => load.errors as f64 / load.seconds.max(f64::MIN_POSITIVE),
    }
}

/// The counts behind the rates, as wrk printed them.
fn shown(metric: &str, load: &Load, o: Observation) -> Observation {
    match metric {
        "rps" | "errors" => o.with_shown(format!(
            "{} requests, {} errors",
            load.requests, load.errors
        )),
        _ => o,
    }
}

pub struct LoadProbe;

impl Probe for LoadProbe {
    fn id(&self) -> &'static str {
        "load"
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let mut observations = Vec::new();
        for mut server in all() {
            let command = format!(
                "wrk --threads 1 --connections N --duration {}s --latency http://ADDR{PATH}",
                ctx.load_duration.as_secs()
            );
            let v = server.variant();
            if let Some(reason) = server.unavailable(ctx).or_else(|| {
                which::which("wrk")
                    .err()
                    .map(|_| "wrk not found on PATH; as root, `make setup` installs it".to_owned())
            }) {
                for c in CONNECTIONS {
                    for (metric, unit, _) in METRICS {
                        observations.push(ctx.unavailable(
                            &id(metric, c, v),
                            server.label(),
                            Kind::Load,
                            unit,
                            command.clone(),
                            &reason,
                        ));
                    }
                }
                continue;
            }
            let runs = drive(server.as_mut(), ctx);
            for (c, outcome) in CONNECTIONS.iter().zip(runs) {
                let label = |what: &str| {
                    format!(
                        "{}, {c} connection{}: {what}",
                        server.label(),
                        if *c == 1 { "" } else { "s" }
                    )
                };
                for (metric, unit, what) in METRICS {
                    let id = id(metric, *c, v);
                    observations.push(match &outcome {
                        Ok(load) => shown(
                            metric,
                            load,
                            Observation::measured(
                                &id,
                                &label(what),
                                Kind::Load,
                                unit,
                                load.command.clone(),
                                vec![value(metric, load)],
                            ),
                        ),
                        Err(e) => Observation::failed(
                            &id,
                            &label("load"),
                            Kind::Load,
                            unit,
                            command.clone(),
                            format!("{e:#}"),
                            vec![],
                        ),
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

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
            let ids = |c: usize| {
                [
                    format!("load.rps-c{c}.{v}"),
                    format!("load.latency-p50-c{c}.{v}"),
                    format!("load.latency-p99-c{c}.{v}"),
                ]
            };
            if let Some(reason) = server.unavailable(ctx).or_else(|| {
                which::which("wrk")
                    .err()
                    .map(|_| "wrk not found on PATH; as root, `make setup` installs it".to_owned())
            }) {
                for c in CONNECTIONS {
                    for (id, unit) in
                        ids(c)
                            .iter()
                            .zip([Unit::PerSecond, Unit::Seconds, Unit::Seconds])
                    {
                        observations.push(ctx.unavailable(
                            id,
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
                let [rps, p50, p99] = ids(*c);
                let label = |what: &str| {
                    format!(
                        "{}, {c} connection{}: {what}",
                        server.label(),
                        if *c == 1 { "" } else { "s" }
                    )
                };
                match outcome {
                    Ok(load) => {
                        let shown = format!("{} requests, {} errors", load.requests, load.errors);
                        observations.push(
                            Observation::measured(
                                &rps,
                                &label("requests/s"),
                                Kind::Load,
                                Unit::PerSecond,
                                load.command.clone(),
                                vec![load.requests_per_second],
                            )
                            .with_shown(shown),
                        );
                        observations.push(Observation::measured(
                            &p50,
                            &label("latency p50"),
                            Kind::Load,
                            Unit::Seconds,
                            load.command.clone(),
                            vec![load.p50],
                        ));
                        observations.push(Observation::measured(
                            &p99,
                            &label("latency p99"),
                            Kind::Load,
                            Unit::Seconds,
                            load.command,
                            vec![load.p99],
                        ));
                    }
                    Err(e) => {
                        for (id, unit) in [rps, p50, p99].iter().zip([
                            Unit::PerSecond,
                            Unit::Seconds,
                            Unit::Seconds,
                        ]) {
                            observations.push(Observation::failed(
                                id,
                                &label("load"),
                                Kind::Load,
                                unit,
                                command.clone(),
                                format!("{e:#}"),
                                vec![],
                            ));
                        }
                    }
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

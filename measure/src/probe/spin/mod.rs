//! The lab's Spin bonus task (`measure spin`): the wasm module served through Spin's WAGI
//! executor, timed with curl the way the lab does it, beside the native server.
//!
//! Local hosts: `spin up` when Spin is on PATH, the embedded WAGI host (`measure wagi`)
//! always, and every other server the server probe knows (native process, docker).
//! For each: *cold start*, launch to the first correct 200 (a fresh process each time);
//! then with all of them running, pinned to one core and curl to the other, *cold*
//! requests (cache-busted, spaced), *warm* requests (spaced) and *warm keep-alive*
//! requests (back to back on one connection), interleaved across hosts. The same series
//! run against `$SPIN_URL` when it is set, and `spin deploy` is timed when asked for.

mod hosts;
mod series;

pub use hosts::{ChildServer, Embedded, SpinUp, WagiServer, EMBEDDED, SPIN};

use super::server::{self, Server};
use super::Probe;
use crate::ctx::Ctx;
use crate::curl;
use crate::load::{LOAD_CPU, SERVER_CPU};
use crate::results::{Kind, Observation, Unit};
use crate::runner::{describe, run_once, Exit};
use anyhow::{bail, Result};
use series::{Target, COLD, KEEPALIVE, WARM};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long a host may take from launch to its first correct answer.
const READY_WITHIN: Duration = Duration::from_secs(30);
/// The variant of the remote deployment's ids.
pub const REMOTE: &str = "remote";
/// The id of the deploy time.
pub const DEPLOY_ID: &str = "spin.deploy.spin";
/// Longest `spin deploy` may take.
const DEPLOY_WITHIN: Duration = Duration::from_secs(900);

/// What `measure spin` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The Spin manifest every WAGI host serves.
    pub manifest: PathBuf,
    /// Process cold starts per local host.
    pub starts: usize,
    /// Spacing of cold and of warm requests to a local host.
    pub cold_interval: Duration,
    pub warm_interval: Duration,
    /// The same against the remote deployment (the lab's 5 s and 1 s).
    pub remote_cold_interval: Duration,
    pub remote_warm_interval: Duration,
    /// `$SPIN_URL`: the deployed application.
    pub remote: Option<String>,
    /// Time `spin deploy` (it publishes the app).
    pub deploy: bool,
    /// Only these hosts (`spin`, `embedded-wagi`, `native-process`, `docker`, `remote`);
    /// all when empty.
    pub hosts: Vec<String>,
    /// Longest one request may take.
    pub request_timeout: Duration,
}

/// Every host `--host` may name.
pub fn known_hosts() -> Vec<&'static str> {
    let servers = server::all();
    let others = servers
        .iter()
        .map(|s| s.variant())
        .filter(|v| *v != EMBEDDED);
    [SPIN, EMBEDDED]
        .into_iter()
        .chain(others)
        .chain([REMOTE])
        .collect()
}

pub struct SpinProbe {
    pub options: Options,
}

impl Probe for SpinProbe {
    fn id(&self) -> &'static str {
        "spin"
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let o = &self.options;
        let mut observations = Vec::new();
        let local = self.local_hosts(ctx, &mut observations);
        if !local.is_empty() {
            observations.extend(self.measure_local(ctx, local));
        }
        if self.wanted(REMOTE) {
            observations.extend(self.measure_remote(ctx));
        }
        if self.wanted(SPIN) {
            observations.push(deploy(o));
        }
        observations
    }
}

impl SpinProbe {
    fn wanted(&self, variant: &str) -> bool {
        self.options.hosts.is_empty() || self.options.hosts.iter().any(|h| h == variant)
    }

    fn curl(&self) -> curl::Options {
        curl::Options {
            max_time: self.options.request_timeout,
            cpu: Some(LOAD_CPU),
        }
    }

    /// The local hosts that can run here; the others become observations with the reason.
    fn local_hosts(&self, ctx: &Ctx, out: &mut Vec<Observation>) -> Vec<Box<dyn Server>> {
        let manifest = self.options.manifest.clone();
        let mut hosts: Vec<Box<dyn Server>> = vec![
            Box::new(ChildServer::new(SpinUp {
                manifest: manifest.clone(),
            })),
            Box::new(ChildServer::new(Embedded { manifest })),
        ];
        hosts.extend(
            server::all()
                .into_iter()
                .filter(|s| s.variant() != EMBEDDED),
        );
        hosts.retain(|h| self.wanted(h.variant()));
        hosts.retain(|host| {
            let reason = match host.variant() {
                // Spin is not installable from this machine's package sources: its absence
                // is a skip even when runtimes are required.
                SPIN => host.unavailable(ctx).map(|r| (r, false)),
                // The daemon may answer without the image having been built.
                "docker" => host
                    .unavailable(ctx)
                    .or_else(|| {
                        let missing = super::docker::cli_variant(ctx).err()?;
                        Some(format!(
                            "{missing}; `measure run --probe docker-image` builds it"
                        ))
                    })
                    .map(|r| (r, true)),
                _ => host.unavailable(ctx).map(|r| (r, true)),
            };
            let Some((reason, runtime)) = reason else {
                return true;
            };
            let command = host.command(ctx);
            for (id, label) in local_ids(host.variant(), host.label()) {
                out.push(if runtime {
                    ctx.unavailable(
                        &id,
                        &label,
                        Kind::Operation,
                        Unit::Seconds,
                        command.clone(),
                        &reason,
                    )
                } else {
                    Observation::skipped(
                        &id,
                        &label,
                        Kind::Operation,
                        Unit::Seconds,
                        command.clone(),
                        reason.clone(),
                    )
                });
            }
            false
        });
        hosts
    }

    fn measure_local(&self, ctx: &Ctx, mut hosts: Vec<Box<dyn Server>>) -> Vec<Observation> {
        let o = &self.options;
        let mut out = Vec::new();
        // Process cold starts, interleaved across hosts; a host stops at its first failure.
        let mut starts: Vec<(Vec<f64>, Option<String>)> =
            hosts.iter().map(|_| Default::default()).collect();
        for _ in 0..o.starts {
            for (host, (samples, error)) in hosts.iter_mut().zip(starts.iter_mut()) {
                if error.is_none() {
                    match cold_start(host.as_mut(), ctx, self.curl()) {
                        Ok(s) => samples.push(s),
                        Err(e) => *error = Some(format!("{e:#}")),
                    }
                }
            }
        }
        for (host, (samples, error)) in hosts.iter().zip(starts) {
            out.push(Observation::concluded(
                &format!("spin.cold-start.{}", host.variant()),
                &format!(
                    "{}: cold start, launch to the first correct 200",
                    host.label()
                ),
                Kind::Operation,
                Unit::Seconds,
                format!(
                    "{}, then curl until GET /api/time answers 200",
                    host.command(ctx)
                ),
                samples,
                error,
            ));
        }

        // The request series, with every host running at once.
        let mut targets = Vec::new();
        let mut running = Vec::new();
        for mut host in hosts {
            let started = server::start_ready(host.as_mut(), ctx).and_then(|addr| {
                host.pin(SERVER_CPU)?;
                Ok(addr)
            });
            let target = Target {
                variant: host.variant().to_owned(),
                label: host.label().to_owned(),
                base: String::new(),
            };
            match started {
                Ok(addr) => {
                    targets.push(Target {
                        base: format!("http://{addr}"),
                        ..target
                    });
                    running.push(host);
                }
                Err(e) => {
                    let why = format!("could not start: {e:#}");
                    out.extend(failed_series(&target, &host.command(ctx), &why));
                }
            }
        }
        out.extend(self.series(ctx, &targets, o.cold_interval, o.warm_interval));
        for mut host in running {
            let _ = host.stop(ctx);
        }
        out
    }

    fn measure_remote(&self, ctx: &Ctx) -> Vec<Observation> {
        let o = &self.options;
        let label = "remote Spin deployment ($SPIN_URL)";
        let Some(url) = o.remote.as_deref().filter(|u| !u.trim().is_empty()) else {
            let skip = |(id, label): (String, String)| {
                let (command, why) = ("curl $SPIN_URL/api/time".into(), "SPIN_URL not set".into());
                Observation::skipped(&id, &label, Kind::Operation, Unit::Seconds, command, why)
            };
            return series_ids(REMOTE, label).into_iter().map(skip).collect();
        };
        let target = Target {
            variant: REMOTE.to_owned(),
            label: label.to_owned(),
            base: url.trim().trim_end_matches('/').to_owned(),
        };
        self.series(
            ctx,
            &[target],
            o.remote_cold_interval,
            o.remote_warm_interval,
        )
    }

    /// Cold, warm and keep-alive series of `targets`, `ctx.runs` requests each,
    /// interleaved across targets.
    fn series(
        &self,
        ctx: &Ctx,
        targets: &[Target],
        cold: Duration,
        warm: Duration,
    ) -> Vec<Observation> {
        let n = ctx.runs;
        let curl = self.curl();
        let mut out = Vec::new();
        let taken = series::spaced(targets, n, cold, true, false, curl);
        for (target, got) in targets.iter().zip(taken) {
            let what = format!("cold request (cache-busted, one every {})", seconds(cold));
            out.extend(got.observations(COLD, target, &what, &series::command(target, COLD, curl)));
        }
        let taken = series::spaced(targets, n, warm, false, true, curl);
        for (target, got) in targets.iter().zip(taken) {
            let what = format!("warm request (one every {})", seconds(warm));
            out.extend(got.observations(WARM, target, &what, &series::command(target, WARM, curl)));
        }
        for target in targets {
            let got = series::keepalive(target, n, curl);
            let what = "warm request on a kept-alive connection (back to back)";
            out.extend(got.observations(
                KEEPALIVE,
                target,
                what,
                &series::command(target, KEEPALIVE, curl),
            ));
        }
        out
    }
}

/// Every id the curl series of `variant` write (the TLS split only over https, so only
/// for the remote host), with its label.
fn series_ids(variant: &str, label: &str) -> Vec<(String, String)> {
    [COLD, WARM, KEEPALIVE]
        .into_iter()
        .flat_map(|s| {
            series::metrics(s, variant, variant == REMOTE)
                .into_iter()
                .map(move |m| (m.id, format!("{label}: {s} request, {}", m.what)))
        })
        .collect()
}

/// The ids of a local host: its cold start, then its series.
fn local_ids(variant: &str, label: &str) -> Vec<(String, String)> {
    let start = (
        format!("spin.cold-start.{variant}"),
        format!("{label}: cold start, launch to the first correct 200"),
    );
    std::iter::once(start)
        .chain(series_ids(variant, label))
        .collect()
}

/// The series of a host that could not be started: failed, with the reason.
fn failed_series(target: &Target, command: &str, why: &str) -> Vec<Observation> {
    let fail = |(id, label): (String, String)| {
        let (command, why) = (command.to_owned(), why.to_owned());
        Observation::failed(
            &id,
            &label,
            Kind::Operation,
            Unit::Seconds,
            command,
            why,
            vec![],
        )
    };
    series_ids(&target.variant, &target.label)
        .into_iter()
        .map(fail)
        .collect()
}

/// Launches `host` and times it to its first correct answer: the time curl was started
/// after the launch plus curl's own time_total (curl's exec is not counted). The port is
/// polled with plain connects first, so curl runs only once something listens.
fn cold_start(host: &mut dyn Server, ctx: &Ctx, options: curl::Options) -> Result<f64> {
    let launched = Instant::now();
    let addr = host.start(ctx)?;
    let first = first_answer(host, addr, launched, options);
    let stopped = host.stop(ctx);
    let sample = first?;
    stopped?;
    Ok(sample)
}

fn first_answer(
    host: &mut dyn Server,
    addr: SocketAddr,
    launched: Instant,
    options: curl::Options,
) -> Result<f64> {
    let url = format!("http://{addr}/api/time");
    let mut last = "nothing listened".to_owned();
    while launched.elapsed() < READY_WITHIN {
        if TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
            let asked = launched.elapsed();
            let transfers = curl::fetch(std::slice::from_ref(&url), options)?;
            let transfer = transfers
                .first()
                .map(|t| (t, t.check(super::expect::moscow_json)));
            match transfer {
                Some((t, Ok(()))) => return Ok(asked.as_secs_f64() + t.timings.total),
                Some((_, Err(why))) => last = why,
                None => last = "curl reported no transfer".to_owned(),
            }
        }
        host.alive()?;
        std::thread::sleep(Duration::from_millis(1));
    }
    bail!("no correct answer within {READY_WITHIN:?} of the launch (last: {last})")
}

/// `spin deploy`, timed end to end, only when asked for: it publishes the application.
fn deploy(o: &Options) -> Observation {
    let label = "spin deploy, end to end";
    let mut cmd = Command::new("spin");
    cmd.env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LOG")
        .args(["deploy", "--from"])
        .arg(&o.manifest);
    let command = describe(&cmd);
    let skipped = |why: &str| {
        Observation::skipped(
            DEPLOY_ID,
            label,
            Kind::Operation,
            Unit::Seconds,
            command.clone(),
            why.to_owned(),
        )
    };
    if which::which("spin").is_err() {
        return skipped("spin not on PATH: install Spin 3 or later and log in to deploy");
    }
    if !o.deploy {
        return skipped(
            "opt-in, as it publishes the application: pass --deploy (spin must be logged in)",
        );
    }
    match run_once(&mut cmd, DEPLOY_WITHIN) {
        Ok(run) if run.exit == Exit::Code(0) => {
            let url = run
                .stdout
                .lines()
                .find(|l| l.contains("://"))
                .unwrap_or_default()
                .trim()
                .to_owned();
            Observation::measured(
                DEPLOY_ID,
                label,
                Kind::Operation,
                Unit::Seconds,
                command,
                vec![run.wall.as_secs_f64()],
            )
            .with_shown(url)
        }
        Ok(run) => Observation::failed(
            DEPLOY_ID,
            label,
            Kind::Operation,
            Unit::Seconds,
            command,
            format!("{}: {}", run.exit, run.stderr_tail()),
            vec![],
        ),
        Err(e) => Observation::failed(
            DEPLOY_ID,
            label,
            Kind::Operation,
            Unit::Seconds,
            command,
            format!("{e:#}"),
            vec![],
        ),
    }
}

fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

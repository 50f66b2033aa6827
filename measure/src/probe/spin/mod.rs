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

mod series;

use super::{Claim, Probe};
use crate::ctx::Ctx;
use crate::curl;
use crate::expect;
use crate::load::{LOAD_CPU, SERVER_CPU};
use crate::runner::{describe, run_once, Exit};
use crate::runtime::server::{self, Server};
use crate::runtime::{docker, wagi_hosts};
use crate::tools;
use anyhow::{bail, Result};
use series::{Target, SERIES};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};
use wasmlab_model::metric::{
    self, Subject, Variant, SPIN_COLD, SPIN_COLD_START, SPIN_DEPLOY, SPIN_KEEPALIVE, SPIN_WARM,
};
use wasmlab_model::results::Observation;

/// How long a host may take from launch to its first correct answer.
const READY_WITHIN: Duration = Duration::from_secs(30);
/// The probe's name, as `measure run --probe` takes it.
pub const ID: &str = "spin";
/// Longest `spin deploy` may take.
const DEPLOY_WITHIN: Duration = Duration::from_secs(900);

/// What `measure spin` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The Spin manifest every WAGI host serves.
    pub manifest: PathBuf,
    /// The Spin manifest of the wasi:http component.
    pub http_manifest: PathBuf,
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

impl Default for Options {
    /// What `measure spin` takes when given no options.
    fn default() -> Self {
        Self {
            manifest: wasmlab_hosts::wagi::default_manifest(),
            http_manifest: wagi_hosts::default_http_manifest(),
            starts: 5,
            cold_interval: Duration::from_millis(500),
            warm_interval: Duration::from_secs(1),
            remote_cold_interval: Duration::from_secs(5),
            remote_warm_interval: Duration::from_secs(1),
            remote: None,
            deploy: false,
            hosts: Vec::new(),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Spin's own hosts: its WAGI executor and its wasi:http one.
const SPIN_HOSTS: [&Variant; 2] = [&metric::SPIN, &metric::SPIN_HTTP];

/// Every host `--host` may name: Spin, then every server, then the remote deployment.
pub fn known_hosts() -> Vec<&'static str> {
    SPIN_HOSTS
        .into_iter()
        .chain(server::variants())
        .chain([&metric::REMOTE])
        .map(|v| v.name)
        .collect()
}

#[derive(Default)]
pub struct SpinProbe {
    pub options: Options,
}

impl Probe for SpinProbe {
    fn id(&self) -> &'static str {
        ID
    }

    fn claims(&self) -> &'static [Claim] {
        &[
            Claim::All(&SPIN_COLD_START),
            Claim::All(&SPIN_COLD),
            Claim::All(&SPIN_WARM),
            Claim::All(&SPIN_KEEPALIVE),
            Claim::All(&SPIN_DEPLOY),
        ]
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let o = &self.options;
        let mut observations = Vec::new();
        if tools::CURL.which().is_err() {
            // Every figure but the deploy is curl's: none of them can be taken.
            let command = "curl --write-out '%{json}' URL";
            let hosts = SPIN_HOSTS
                .into_iter()
                .chain(server::variants())
                .filter(|v| self.wanted(v));
            let remote = if self.wanted(&metric::REMOTE) {
                series_subjects(&metric::REMOTE)
            } else {
                Vec::new()
            };
            let subjects = hosts.flat_map(local_subjects).chain(remote);
            observations.extend(subjects.map(|s| ctx.without(&tools::CURL, s, command)));
        } else {
            let local = self.local_hosts(ctx, &mut observations);
            if !local.is_empty() {
                observations.extend(self.measure_local(ctx, local));
            }
            if self.wanted(&metric::REMOTE) {
                observations.extend(self.measure_remote(ctx));
            }
        }
        if self.wanted(&metric::SPIN) {
            observations.push(deploy(o));
        }
        observations
    }
}

impl SpinProbe {
    fn wanted(&self, variant: &Variant) -> bool {
        self.options.hosts.is_empty() || self.options.hosts.iter().any(|h| h == variant.name)
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
            Box::new(wagi_hosts::spin_up(manifest.clone())),
            Box::new(wagi_hosts::spin_up_http(self.options.http_manifest.clone())),
            Box::new(wagi_hosts::embedded(manifest)),
        ];
        hosts.extend(
            server::all()
                .into_iter()
                .filter(|s| s.variant() != &metric::EMBEDDED_WAGI && !s.only_for_starts()),
        );
        hosts.retain(|h| self.wanted(h.variant()));
        hosts.retain(|host| {
            let reason = host.unavailable(ctx).or_else(|| {
                // The daemon may answer without the image having been built.
                let docker = host.variant() == &metric::DOCKER;
                let missing = docker.then(|| docker::cli_command(ctx).err()).flatten()?;
                Some(format!(
                    "{missing}; `measure run --probe docker-image` builds it"
                ))
            });
            let Some(reason) = reason else {
                return true;
            };
            let command = host.command(ctx);
            for subject in local_subjects(host.variant()) {
                out.push(server::not_here(
                    host.as_ref(),
                    ctx,
                    subject,
                    command.clone(),
                    &reason,
                ));
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
            let command = format!(
                "{}, then curl until GET /api/time answers 200",
                host.command(ctx)
            );
            out.push(
                SPIN_COLD_START
                    .of(host.variant())
                    .concluded(command, samples, error),
            );
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
                variant: host.variant(),
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
        let Some(url) = o.remote.as_deref().filter(|u| !u.trim().is_empty()) else {
            return series_subjects(&metric::REMOTE)
                .into_iter()
                .map(|s| s.skipped("curl $SPIN_URL/api/time", "SPIN_URL not set"))
                .collect();
        };
        let target = Target {
            variant: &metric::REMOTE,
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
        for series in SERIES {
            let (what, taken) = if series == &SPIN_COLD {
                let what = format!("cold request (cache-busted, one every {})", seconds(cold));
                (what, series::spaced(targets, n, cold, true, false, curl))
            } else if series == &SPIN_WARM {
                let what = format!("warm request (one every {})", seconds(warm));
                (what, series::spaced(targets, n, warm, false, true, curl))
            } else {
                let what = "warm request on a kept-alive connection (back to back)".to_owned();
                let taken = targets
                    .iter()
                    .map(|t| series::keepalive(t, n, curl))
                    .collect();
                (what, taken)
            };
            for (target, got) in targets.iter().zip(taken) {
                let command = series::command(target, series, curl);
                out.extend(got.observations(series, target, &what, &command));
            }
        }
        out
    }
}

/// What the curl series of `variant` write (the TLS split only over https, so only for
/// the remote host).
fn series_subjects(variant: &'static Variant) -> Vec<Subject> {
    SERIES
        .into_iter()
        .flat_map(|s| {
            series::splits(s, variant, variant == &metric::REMOTE)
                .into_iter()
                .map(move |split| {
                    let label = format!("{}: {}, {}", variant.label, s.label, split.what);
                    split.subject.label(label)
                })
        })
        .collect()
}

/// What a local host writes: its cold start, then its series.
fn local_subjects(variant: &'static Variant) -> Vec<Subject> {
    std::iter::once(SPIN_COLD_START.of(variant))
        .chain(series_subjects(variant))
        .collect()
}

/// The series of a host that could not be started: failed, with the reason.
fn failed_series(target: &Target, command: &str, why: &str) -> Vec<Observation> {
    series_subjects(target.variant)
        .into_iter()
        .map(|s| s.failed(command, why))
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
            let transfer = transfers.first().map(|t| (t, t.check(expect::cli_output)));
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
    let subject = SPIN_DEPLOY.of(&metric::SPIN).label(SPIN_DEPLOY.label);
    let mut cmd = Command::new("spin");
    cmd.env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LOG")
        .args(["deploy", "--from"])
        .arg(&o.manifest);
    let command = describe(&cmd);
    if let Some(why) = wagi_hosts::spin_unfit(&o.manifest) {
        return subject.skipped(command, format!("{why}, and log in to deploy"));
    }
    if !o.deploy {
        return subject.skipped(
            command,
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
            subject
                .measured(command, vec![run.wall.as_secs_f64()])
                .with_shown(url)
        }
        Ok(run) => subject.failed(command, format!("{}: {}", run.exit, run.stderr_tail())),
        Err(e) => subject.failed(command, format!("{e:#}")),
    }
}

fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

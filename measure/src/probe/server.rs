//! The server context, started and stopped under each runtime: time until it first
//! answers, its memory while serving, and how long a graceful stop takes. Cycles are
//! interleaved across runtimes.

use super::Probe;
use crate::ctx::Ctx;
use crate::http;
use crate::results::{Kind, Observation, Unit};
use crate::runner::{reap, tail, wait_exit};
use anyhow::{bail, Context as _, Result};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to answer its first request.
const READY_WITHIN: Duration = Duration::from_secs(30);
/// Server cycles per runtime: each start costs seconds (docker stats alone takes ~1 s).
const MAX_CYCLES: usize = 5;

/// One memory figure of a running server.
pub struct Reading {
    /// Metric part of the observation id (`server-rss`, `server-docker-stats`, ...).
    pub metric: &'static str,
    pub label: String,
    pub bytes: f64,
    /// As the tool printed it, when it printed one.
    pub shown: Option<String>,
}

/// The service's server context under one runtime. Dropping it removes whatever it started.
pub trait Server {
    /// Variant part of the observation ids.
    fn variant(&self) -> &'static str;
    fn label(&self) -> &'static str;
    /// What is run, for the report.
    fn command(&self, ctx: &Ctx) -> String;
    /// Why it cannot run here, if it cannot.
    fn unavailable(&self, ctx: &Ctx) -> Option<String>;
    /// Work done once before any timed start (compiling ahead of time), so no start
    /// sample pays for it.
    fn prepare(&mut self, _ctx: &Ctx) -> Result<()> {
        Ok(())
    }
    /// Starts the server; returns where it listens.
    fn start(&mut self, ctx: &Ctx) -> Result<SocketAddr>;
    /// Fails if the server is no longer running.
    fn alive(&mut self) -> Result<()>;
    /// Memory readings while it runs.
    fn memory(&mut self) -> Result<Vec<Reading>>;
    /// Restricts the running server to one CPU core (so a load generator can have the other).
    fn pin(&mut self, cpu: usize) -> Result<()>;
    /// Asks it to stop gracefully and returns once it has.
    fn stop(&mut self, ctx: &Ctx) -> Result<()>;
}

pub struct ServerProbe;

/// Every runtime the server context runs under.
pub fn all() -> Vec<Box<dyn Server>> {
    vec![
        Box::new(NativeServer::default()),
        Box::new(super::docker::DockerServer::default()),
        Box::new(super::spin::WagiServer::default()),
        Box::new(super::wasi_http::pooling()),
        Box::new(super::wasi_http::on_demand()),
        Box::new(super::wasi_http::wasmtime_serve()),
    ]
}

/// Starts `server` and waits until it answers `/api/time` with 200.
pub fn start_ready(server: &mut dyn Server, ctx: &Ctx) -> Result<SocketAddr> {
    let addr = server.start(ctx)?;
    http::wait_ready(addr, "/api/time", READY_WITHIN, || server.alive())?;
    Ok(addr)
}

impl Probe for ServerProbe {
    fn id(&self) -> &'static str {
        "server"
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let mut servers = all();
        let mut observations = Vec::new();
        servers.retain(|server| match server.unavailable(ctx) {
            None => true,
            Some(reason) => {
                let id = format!("ready.server.{}", server.variant());
                observations.push(ctx.unavailable(
                    &id,
                    server.label(),
                    Kind::Operation,
                    Unit::Seconds,
                    server.command(ctx),
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

#[derive(Default)]
struct Taken {
    ready: Vec<f64>,
    stop: Vec<f64>,
    /// metric -> (label, samples, shown)
    memory: BTreeMap<&'static str, (String, Vec<f64>, Option<String>)>,
    error: Option<String>,
}

/// Start, wait for the first 200, one more request, read memory, stop: one sample each.
fn cycle(server: &mut dyn Server, ctx: &Ctx, got: &mut Taken) -> Result<()> {
    let started = Instant::now();
    let addr = start_ready(server, ctx)?;
    let ready = started.elapsed();
    let (code, body) = http::get(addr, "/api/time", Duration::from_secs(5))?;
    if code != 200 {
        bail!("GET /api/time answered {code}");
    }
    super::expect::moscow_json(&body).map_err(anyhow::Error::msg)?;
    let readings = server.memory()?;
    let t = Instant::now();
    server.stop(ctx)?;
    got.stop.push(t.elapsed().as_secs_f64());
    got.ready.push(ready.as_secs_f64());
    for r in readings {
        let slot = got
            .memory
            .entry(r.metric)
            .or_insert_with(|| (r.label.clone(), Vec::new(), None));
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
        let finish = |id: String, label: String, kind, unit, samples: Vec<f64>| {
            let (command, error) = (command.to_owned(), self.error.clone());
            Observation::concluded(&id, &label, kind, unit, command, samples, error)
        };
        let mut out = vec![
            finish(
                format!("ready.server.{variant}"),
                format!("{}: start until the first 200", server.label()),
                Kind::Operation,
                Unit::Seconds,
                self.ready.clone(),
            ),
            finish(
                format!("stop.server.{variant}"),
                format!("{}: graceful stop", server.label()),
                Kind::Operation,
                Unit::Seconds,
                self.stop.clone(),
            ),
        ];
        for (metric, (label, samples, shown)) in &self.memory {
            let o = finish(
                format!("memory.{metric}.{variant}"),
                label.clone(),
                Kind::Memory,
                Unit::Bytes,
                samples.clone(),
            );
            out.push(match shown {
                Some(s) => o.with_shown(s.clone()),
                None => o,
            });
        }
        out
    }
}

/// The static binary as a plain process on a free loopback port.
#[derive(Default)]
pub struct NativeServer {
    child: Option<(Child, File)>,
}

impl Server for NativeServer {
    fn variant(&self) -> &'static str {
        "native-process"
    }

    fn label(&self) -> &'static str {
        "native server process"
    }

    fn command(&self, ctx: &Ctx) -> String {
        format!("PORT=<free port> {}", ctx.native.display())
    }

    fn unavailable(&self, _ctx: &Ctx) -> Option<String> {
        None
    }

    fn start(&mut self, ctx: &Ctx) -> Result<SocketAddr> {
        let port = http::free_port()?;
        let log = tempfile::tempfile()?;
        let child = Command::new(&ctx.native)
            .env_clear()
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log.try_clone()?)
            .spawn()
            .with_context(|| format!("cannot start {}", ctx.native.display()))?;
        crate::cleanup::track(child.id() as libc::pid_t);
        self.child = Some((child, log));
        Ok(SocketAddr::from(([127, 0, 0, 1], port)))
    }

    fn alive(&mut self) -> Result<()> {
        match &mut self.child {
            Some((child, log)) => match child.try_wait()? {
                None => Ok(()),
                Some(status) => bail!("the server exited ({status}): {}", read_tail(log)),
            },
            None => bail!("the server is not running"),
        }
    }

    fn memory(&mut self) -> Result<Vec<Reading>> {
        let (child, _) = self.child.as_ref().context("the server is not running")?;
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))?;
        let kib = |field: &str| -> Option<f64> {
            let line = status.lines().find(|l| l.starts_with(field))?;
            line.split_whitespace()
                .nth(1)?
                .parse::<f64>()
                .ok()
                .map(|k| k * 1024.0)
        };
        Ok(vec![
            Reading {
                metric: "server-rss",
                label: "native server: resident set (VmRSS)".into(),
                bytes: kib("VmRSS:").context("no VmRSS")?,
                shown: None,
            },
            Reading {
                metric: "server-peak-rss",
                label: "native server: peak resident set (VmHWM)".into(),
                bytes: kib("VmHWM:").context("no VmHWM")?,
                shown: None,
            },
        ])
    }

    fn pin(&mut self, cpu: usize) -> Result<()> {
        let (child, _) = self.child.as_ref().context("the server is not running")?;
        crate::load::pin(child.id(), cpu)
    }

    fn stop(&mut self, ctx: &Ctx) -> Result<()> {
        let (child, log) = self.child.take().context("the server is not running")?;
        let pid = child.id() as libc::pid_t;
        // SAFETY: kill(2) on our own child, not yet reaped.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let exited = wait_exit(pid, ctx.timeout)?;
        if !exited {
            // SAFETY: as above.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        let exit = reap(pid);
        crate::cleanup::untrack(pid);
        let exit = exit?;
        if !exited {
            bail!(
                "the server ignored SIGTERM for {:?} and was killed",
                ctx.timeout
            );
        }
        if exit != crate::runner::Exit::Code(0) {
            let mut log = log;
            bail!("the server stopped with {exit}: {}", read_tail(&mut log));
        }
        Ok(())
    }
}

impl Drop for NativeServer {
    fn drop(&mut self) {
        if let Some((mut child, _)) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
            crate::cleanup::untrack(child.id() as libc::pid_t);
        }
    }
}

fn read_tail(file: &mut File) -> String {
    let mut text = String::new();
    file.rewind().ok();
    file.read_to_string(&mut text).ok();
    tail(&text)
}

//! A server that runs as a child process of `measure` (the native binary, the embedded WAGI
//! and wasi:http hosts, `spin up`, `wasmtime serve`), in a process group of its own, behind
//! the `Server` trait: what differs between them is how each is launched and stopped
//! ([`Launch`]).

use crate::ctx::Ctx;
use crate::procfs;
use crate::runner::{describe, reap, tail, wait_exit, Exit};
use crate::runtime::server::{reading, Reading, Server, PROCESS_MEMORY};
use anyhow::{bail, Context as _, Result};
use std::fs::File;
use std::io::{Read as _, Seek as _};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};
use wasmlab_hosts::http;
use wasmlab_model::metric::{self, Variant};

/// How one kind of host is started and stopped.
pub trait Launch {
    fn variant(&self) -> &'static Variant;
    /// The command serving on `listen` (`127.0.0.1:PORT`).
    fn command(&self, ctx: &Ctx, listen: &str) -> Command;
    /// Why it cannot run here, if it cannot.
    fn unavailable(&self, _ctx: &Ctx) -> Option<String> {
        None
    }
    /// Checks made before each start, so a bad setup is one clear error.
    fn prepare(&self, _ctx: &Ctx) -> Result<()> {
        Ok(())
    }
    /// A tool of others (`spin up`, `wasmtime serve`) rather than the service or one of
    /// measure's hosts: an optional extra (see [`Server::optional`]), asked to stop with
    /// Ctrl-C's SIGINT as a person would (Spin forwards it to its trigger process), and
    /// stopped whatever status it then reports. Ours stop on SIGTERM and must finish their
    /// graceful shutdown with exit 0.
    fn foreign(&self) -> bool {
        false
    }
}

/// A host running as a child process in a process group of its own (Spin's trigger runs
/// in a second process), its output kept in a file for error messages. Memory and pinning
/// cover every process of the group.
pub struct ChildServer<L> {
    launch: L,
    child: Option<(Child, File)>,
}

impl<L: Launch> ChildServer<L> {
    pub fn new(launch: L) -> Self {
        Self {
            launch,
            child: None,
        }
    }

    fn running(&mut self) -> Result<&mut (Child, File)> {
        self.child.as_mut().context("the server is not running")
    }
}

impl<L: Launch> Server for ChildServer<L> {
    fn variant(&self) -> &'static Variant {
        self.launch.variant()
    }

    fn command(&self, ctx: &Ctx) -> String {
        describe(&self.launch.command(ctx, "127.0.0.1:<free port>"))
    }

    fn unavailable(&self, ctx: &Ctx) -> Option<String> {
        self.launch.unavailable(ctx)
    }

    fn optional(&self) -> bool {
        self.launch.foreign()
    }

    fn prepare(&mut self, ctx: &Ctx) -> Result<()> {
        self.launch.prepare(ctx)
    }

    fn start(&mut self, ctx: &Ctx) -> Result<SocketAddr> {
        self.launch.prepare(ctx)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], http::free_port()?));
        let mut cmd = self.launch.command(ctx, &addr.to_string());
        crate::runner::die_with_parent(&mut cmd);
        let log = tempfile::tempfile()?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log.try_clone()?)
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot start {}", describe(&cmd)))?;
        crate::cleanup::track(child.id() as libc::pid_t);
        self.child = Some((child, log));
        Ok(addr)
    }

    fn alive(&mut self) -> Result<()> {
        let (child, log) = self.running()?;
        if let Some(status) = child.try_wait()? {
            let why = log_tail(log);
            crate::cleanup::untrack(child.id() as libc::pid_t);
            self.child = None;
            bail!("the server exited ({status}): {why}");
        }
        Ok(())
    }

    fn memory(&mut self) -> Result<Vec<Reading>> {
        let pid = self.running()?.0.id();
        let members = procfs::group(pid)?;
        let variant = self.launch.variant();
        PROCESS_MEMORY
            .into_iter()
            .map(|(metric, field)| {
                let kib: Option<f64> = members.iter().map(|p| procfs::status_kib(*p, field)).sum();
                let kib = kib.with_context(|| format!("no {field} for process group {pid}"))?;
                Ok(reading(metric, variant, kib * 1024.0))
            })
            .collect()
    }

    /// Every thread of every process of the group, not only the main one: threads created
    /// before the pinning (the host's tokio workers) do not inherit it.
    fn pin(&mut self, cpu: usize) -> Result<()> {
        let pid = self.running()?.0.id();
        for process in procfs::group(pid)? {
            let Ok(tasks) = std::fs::read_dir(format!("/proc/{process}/task")) else {
                continue; // it exited meanwhile
            };
            for task in tasks {
                let tid = task?.file_name().to_string_lossy().parse::<u32>()?;
                crate::load::pin(tid, cpu)?;
            }
        }
        Ok(())
    }

    fn stop(&mut self, ctx: &Ctx) -> Result<()> {
        let (child, mut log) = self.child.take().context("the server is not running")?;
        let pid = child.id() as libc::pid_t;
        let signal = if self.launch.foreign() {
            libc::SIGINT
        } else {
            libc::SIGTERM
        };
        // SAFETY: kill(2) on our own child, which has not been reaped.
        unsafe { libc::kill(pid, signal) };
        let stopped = wait_exit(pid, ctx.timeout);
        // Whatever is left of the group goes too, so no process outlives the host.
        // SAFETY: kill(2) on the process group our child leads.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        // Forgotten before it is reaped: from then on its pid may be another process's.
        crate::cleanup::untrack(pid);
        let exit = reap(pid);
        match (stopped?, exit?) {
            (false, _) => bail!(
                "the server ignored the stop signal for {:?}; killed",
                ctx.timeout
            ),
            (true, exit) if self.launch.foreign() || exit == Exit::Code(0) => Ok(()),
            (true, exit) => bail!("the server stopped with {exit}: {}", log_tail(&mut log)),
        }
    }
}

impl<L> Drop for ChildServer<L> {
    fn drop(&mut self) {
        if let Some((mut child, _)) = self.child.take() {
            // SAFETY: kill(2) on the process group our child leads; it is not reaped yet.
            unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
            crate::cleanup::untrack(child.id() as libc::pid_t);
            let _ = child.wait();
        }
    }
}

fn log_tail(log: &mut File) -> String {
    let mut text = String::new();
    let _ = log.rewind();
    let _ = log.read_to_string(&mut text);
    tail(&text)
}

/// The static native binary, serving on `PORT`.
pub struct Native;

impl Launch for Native {
    fn variant(&self) -> &'static Variant {
        &metric::NATIVE_PROCESS
    }

    fn command(&self, ctx: &Ctx, listen: &str) -> Command {
        let port = listen.rsplit(':').next().unwrap_or(listen);
        let mut cmd = Command::new(&ctx.native);
        // Loopback only: a server measure starts is never reachable from outside.
        let port_env = &crate::app::checks().server.port_env;
        cmd.env_clear().env("HOST", "127.0.0.1").env(port_env, port);
        cmd
    }
}

//! The two WAGI hosts as servers of the `Server` trait, so the server, load and Spin probes
//! start, read, pin and stop them like the native server: `spin up` when the Spin CLI is
//! on PATH, and `measure wagi` (the embedded host) always. Both are child processes on a
//! free loopback port, serving the same spin.toml.

use crate::ctx::Ctx;
use crate::http;
use crate::probe::server::{Reading, Server};
use crate::runner::{describe, reap, tail, wait_exit, Exit};
use crate::wagi::manifest::App;
use anyhow::{bail, Context as _, Result};
use std::fs::File;
use std::io::{Read as _, Seek as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// Variant of the embedded host's observation ids.
pub const EMBEDDED: &str = "embedded-wagi";
/// Variant of `spin up`'s observation ids.
pub const SPIN: &str = "spin";

/// How one kind of WAGI host is started.
pub trait Launch {
    fn variant(&self) -> &'static str;
    fn label(&self) -> &'static str;
    /// The command serving on `listen` (`127.0.0.1:PORT`).
    fn command(&self, ctx: &Ctx, listen: &str) -> Command;
    /// Why it cannot run here, if it cannot.
    fn unavailable(&self) -> Option<String>;
    /// Checks made before each start, so a bad setup is one clear error.
    fn prepare(&self, ctx: &Ctx) -> Result<()>;
}

/// `measure wagi MANIFEST`: the embedded WAGI host.
pub struct Embedded {
    pub manifest: PathBuf,
}

/// `spin up --from MANIFEST`: Spin itself.
pub struct SpinUp {
    pub manifest: PathBuf,
}

impl Launch for Embedded {
    fn variant(&self) -> &'static str {
        EMBEDDED
    }

    fn label(&self) -> &'static str {
        "embedded WAGI host (measure wagi, not Spin)"
    }

    fn command(&self, ctx: &Ctx, listen: &str) -> Command {
        let mut cmd = Command::new(&ctx.measure);
        // Nothing inherited: no RUST_BACKTRACE (wasmtime is slower with it), no RUST_LOG.
        cmd.env_clear()
            .arg("wagi")
            .arg(&self.manifest)
            .args(["--listen", listen]);
        cmd
    }

    fn unavailable(&self) -> Option<String> {
        None
    }

    /// The manifest as the host will read it: a malformed one or a missing module fails
    /// here with the host's own one-line message, not as a server that died.
    fn prepare(&self, _ctx: &Ctx) -> Result<()> {
        App::load(&self.manifest).map(drop)
    }
}

impl Launch for SpinUp {
    fn variant(&self) -> &'static str {
        SPIN
    }

    fn label(&self) -> &'static str {
        "Spin (spin up, WAGI executor)"
    }

    fn command(&self, ctx: &Ctx, listen: &str) -> Command {
        let mut cmd = Command::new("spin");
        // Spin needs HOME and PATH (plugins, its data directory); what changes its speed
        // is removed: a backtrace on every internal error, debug logging.
        cmd.env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LOG")
            .args(["up", "--listen", listen, "--from"])
            .arg(&self.manifest)
            .arg("--log-dir")
            .arg(ctx.work_dir.join("spin-logs"));
        cmd
    }

    fn unavailable(&self) -> Option<String> {
        which::which("spin").err().map(|_| {
            "spin not on PATH: install Spin 3 or later to measure it; the embedded WAGI host \
             serves the same spin.toml (embedded-wagi)"
                .to_owned()
        })
    }

    fn prepare(&self, ctx: &Ctx) -> Result<()> {
        let logs = ctx.work_dir.join("spin-logs");
        std::fs::create_dir_all(&logs).with_context(|| format!("cannot create {}", logs.display()))
    }
}

/// A host running as a child process, its stderr kept in a file for error messages.
pub struct ChildServer<L> {
    launch: L,
    child: Option<(Child, File)>,
}

/// The embedded host serving `$SPIN_TOML` (or the service's spin.toml).
pub type WagiServer = ChildServer<Embedded>;

impl Default for WagiServer {
    fn default() -> Self {
        Self::new(Embedded {
            manifest: crate::wagi::default_manifest(),
        })
    }
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
    fn variant(&self) -> &'static str {
        self.launch.variant()
    }

    fn label(&self) -> &'static str {
        self.launch.label()
    }

    fn command(&self, ctx: &Ctx) -> String {
        describe(&self.launch.command(ctx, "127.0.0.1:<free port>"))
    }

    fn unavailable(&self, _ctx: &Ctx) -> Option<String> {
        self.launch.unavailable()
    }

    fn start(&mut self, ctx: &Ctx) -> Result<SocketAddr> {
        self.launch.prepare(ctx)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], http::free_port()?));
        let mut cmd = self.launch.command(ctx, &addr.to_string());
        let log = tempfile::tempfile()?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log.try_clone()?)
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
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let label = self.launch.label();
        [
            ("server-rss", "VmRSS:", "resident set (VmRSS)"),
            ("server-peak-rss", "VmHWM:", "peak resident set (VmHWM)"),
        ]
        .into_iter()
        .map(|(metric, field, what)| {
            Ok(Reading {
                metric,
                label: format!("{label}: {what}"),
                bytes: status_kib(&status, field).with_context(|| format!("no {field}"))? * 1024.0,
                shown: None,
            })
        })
        .collect()
    }

    /// Every thread of the process, not only its main one: the host's tokio workers were
    /// created before it was pinned and do not inherit a later affinity.
    fn pin(&mut self, cpu: usize) -> Result<()> {
        let pid = self.running()?.0.id();
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
            .with_context(|| format!("cannot list the threads of {pid}"))?;
        for task in tasks {
            let tid = task?.file_name().to_string_lossy().parse::<u32>()?;
            crate::load::pin(tid, cpu)?;
        }
        Ok(())
    }

    fn stop(&mut self, ctx: &Ctx) -> Result<()> {
        let (child, mut log) = self.child.take().context("the server is not running")?;
        let pid = child.id() as libc::pid_t;
        // SAFETY: kill(2) on our own child, which has not been reaped.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let stopped = wait_exit(pid, ctx.timeout);
        if !matches!(stopped, Ok(true)) {
            // SAFETY: as above.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        let exit = reap(pid);
        crate::cleanup::untrack(pid);
        match (stopped?, exit?) {
            (false, _) => bail!("the server ignored SIGTERM for {:?}; killed", ctx.timeout),
            (true, Exit::Code(0)) => Ok(()),
            (true, exit) => bail!("the server stopped with {exit}: {}", log_tail(&mut log)),
        }
    }
}

impl<L> Drop for ChildServer<L> {
    fn drop(&mut self) {
        if let Some((mut child, _)) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            crate::cleanup::untrack(child.id() as libc::pid_t);
        }
    }
}

/// A `/proc/PID/status` field in KiB.
fn status_kib(status: &str, field: &str) -> Option<f64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn log_tail(log: &mut File) -> String {
    let mut text = String::new();
    let _ = log.rewind();
    let _ = log.read_to_string(&mut text);
    tail(&text)
}

//! The two WAGI hosts as servers of the `Server` trait, so the server, load and Spin probes
//! start, read, pin and stop them like the native server: `spin up` when the Spin CLI is
//! on PATH, and `measure wagi` (the embedded host) always. Both are child processes on a
//! free loopback port, serving the same spin.toml.

use super::child_server::{ChildServer, Launch};
use crate::ctx::Ctx;
use crate::metric::{self, Variant};
use crate::wagi::manifest::App;
use anyhow::{Context as _, Result};
use std::path::PathBuf;
use std::process::Command;

/// `measure wagi MANIFEST`: the embedded WAGI host.
pub struct Embedded {
    pub manifest: PathBuf,
}

/// `spin up --from MANIFEST`: Spin itself.
pub struct SpinUp {
    pub manifest: PathBuf,
}

impl Launch for Embedded {
    fn variant(&self) -> &'static Variant {
        &metric::EMBEDDED_WAGI
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

    /// The manifest as the host will read it: a malformed one or a missing module fails
    /// here with the host's own one-line message, not as a server that died.
    fn prepare(&self, _ctx: &Ctx) -> Result<()> {
        App::load(&self.manifest).map(drop)
    }
}

impl Launch for SpinUp {
    fn variant(&self) -> &'static Variant {
        &metric::SPIN
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

    fn unavailable(&self, _ctx: &Ctx) -> Option<String> {
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

    /// Spin reports its trigger's death by signal as a failure of `spin up`; either way it
    /// has stopped.
    fn foreign(&self) -> bool {
        true
    }
}

/// The embedded host serving `manifest`.
pub fn embedded(manifest: PathBuf) -> ChildServer<Embedded> {
    ChildServer::new(Embedded { manifest })
}

/// `spin up` serving `manifest`.
pub fn spin_up(manifest: PathBuf) -> ChildServer<SpinUp> {
    ChildServer::new(SpinUp { manifest })
}

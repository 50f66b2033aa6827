//! The two WAGI hosts as servers of the `Server` trait, so the server, load and Spin probes
//! start, read, pin and stop them like the native server: `spin up` when the Spin CLI is
//! on PATH, and `measure wagi` (the embedded host) always. Both are child processes on a
//! free loopback port, serving the same spin.toml.

use crate::ctx::Ctx;
pub use crate::probe::child_server::{ChildServer, Launch};
use crate::runner::Exit;
use crate::wagi::manifest::App;
use anyhow::{Context as _, Result};
use std::path::PathBuf;
use std::process::Command;

/// Variant of the embedded host's observation ids.
pub const EMBEDDED: &str = "embedded-wagi";
/// Variant of `spin up`'s observation ids.
pub const SPIN: &str = "spin";

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

    fn unavailable(&self, _ctx: &Ctx) -> Option<String> {
        None
    }

    /// The manifest as the host will read it: a malformed one or a missing module fails
    /// here with the host's own one-line message, not as a server that died.
    fn prepare(&self, _ctx: &Ctx) -> Result<()> {
        App::load(&self.manifest).map(drop)
    }

    fn stop_signal(&self) -> libc::c_int {
        libc::SIGTERM
    }

    /// Our own host must finish its graceful shutdown and exit 0.
    fn stopped_cleanly(&self, exit: Exit) -> bool {
        exit == Exit::Code(0)
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

    /// `spin up` runs its trigger as a child process and forwards Ctrl-C to it as SIGTERM.
    fn stop_signal(&self) -> libc::c_int {
        libc::SIGINT
    }

    /// Spin reports its trigger's death by signal as a failure of `spin up`; either way it
    /// has stopped.
    fn stopped_cleanly(&self, _exit: Exit) -> bool {
        true
    }
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

//! The two WAGI hosts as servers of the `Server` trait, so the server, load and Spin probes
//! start, read, pin and stop them like the native server: `spin up` when the Spin CLI is
//! on PATH, and `measure wagi` (the embedded host) always. Both are child processes on a
//! free loopback port, serving the same spin.toml.

use super::child_server::{ChildServer, Launch};
use crate::ctx::Ctx;
use crate::tools;
use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use wasmlab_hosts::wagi::manifest::{self, App};
use wasmlab_model::metric::{self, Variant};

/// `measure wagi MANIFEST`: the embedded WAGI host.
pub struct Embedded {
    pub manifest: PathBuf,
}

/// `spin up --from MANIFEST`: Spin itself, with the WAGI manifest or the wasi:http one.
pub struct SpinUp {
    pub manifest: PathBuf,
    variant: &'static Variant,
    /// What serves the same guest when Spin cannot.
    stand_in: &'static str,
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
        self.variant
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
        spin_unfit(&self.manifest).map(|why| format!("{why}; {}", self.stand_in))
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

/// `spin up` serving the WAGI `manifest` (service/spin.toml).
pub fn spin_up(manifest: PathBuf) -> ChildServer<SpinUp> {
    ChildServer::new(SpinUp {
        manifest,
        variant: &metric::SPIN,
        stand_in: "the embedded WAGI host serves the same spin.toml (embedded-wagi)",
    })
}

/// `spin up` serving the wasi:http `manifest` (service/spin-http.toml).
pub fn spin_up_http(manifest: PathBuf) -> ChildServer<SpinUp> {
    ChildServer::new(SpinUp {
        manifest,
        variant: &metric::SPIN_HTTP,
        stand_in: "the embedded wasi:http host serves the same component (wasi-http-pooling)",
    })
}

/// The wasi:http manifest: `$SPIN_HTTP_TOML`, else service/spin-http.toml.
pub fn default_http_manifest() -> PathBuf {
    std::env::var_os("SPIN_HTTP_TOML")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("service/spin-http.toml"), PathBuf::from)
}

/// The oldest Spin (major version) each manifest version is served with here. Version 2
/// came with Spin 2, but this project's manifest and `spin up` flags were checked with
/// Spin 3 and later only, which is what the README promises.
const SPIN_FOR_MANIFEST: [(i64, u64); 1] = [(2, 3)];
/// What a message asks for when the manifest's version cannot be read.
const SPIN_WANTED: u64 = 3;

/// Why the `spin` on PATH cannot serve (or deploy) `manifest`: it is missing, its version
/// cannot be read, or it is older than the manifest needs. `None` when it can.
pub fn spin_unfit(manifest: &Path) -> Option<String> {
    let found = tools::find(&tools::SPIN);
    if found.path.is_none() {
        return Some(tools::SPIN.missing());
    }
    let version = manifest::version(manifest);
    let needed = SPIN_FOR_MANIFEST
        .iter()
        .find(|(v, _)| Some(*v) == version)
        .map(|(_, spin)| *spin);
    let install = format!("install Spin {} or later", needed.unwrap_or(SPIN_WANTED));
    let shown = match found.version {
        Ok(shown) => shown,
        Err(why) => return Some(format!("`spin --version` failed ({why}): {install}")),
    };
    let Some(major) = spin_major(&shown) else {
        return Some(format!(
            "no version in `spin --version`'s answer {shown:?}: {install}"
        ));
    };
    match (needed, version) {
        (Some(needed), Some(version)) if major < needed => Some(format!(
            "{shown} is older than the Spin {needed} that {} (manifest version {version}) \
             needs: {install}",
            manifest.display()
        )),
        _ => None,
    }
}

/// The major version in `spin --version`'s answer: "spin 3.1.0 (c2a4c4d 2024-12-02)" → 3,
/// "spin 4.1.0-pre0 (...)" → 4.
fn spin_major(answer: &str) -> Option<u64> {
    let mut words = answer.split_whitespace();
    if words.next()? != "spin" {
        return None;
    }
    words.next()?.split(['.', '-']).next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::spin_major;

    #[test]
    fn spin_versions_are_read_from_its_answer() {
        assert_eq!(spin_major("spin 3.1.0 (c2a4c4d 2024-12-02)"), Some(3));
        assert_eq!(spin_major("spin 4.1.0-pre0 (0fdf 2025-10-01)"), Some(4));
        assert_eq!(spin_major("spin 2.7.0"), Some(2));
        for unreadable in ["", "spin", "spin version three", "wasmtime 48.0.8"] {
            assert_eq!(spin_major(unreadable), None, "{unreadable:?}");
        }
    }
}

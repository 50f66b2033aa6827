//! The server context as a `wasi:http` component, as child servers, so the server and load
//! probes measure it like every other server: with `measure serve-http` (the embedded
//! host: the 0.2 component with wasmtime's pooling allocator and with its default
//! on-demand one, fresh or reused, and the 0.3 component reused several requests at once)
//! and with `wasmtime serve` when the wasmtime CLI is on PATH.

use super::child_server::Launch;
use crate::ctx::Ctx;
use crate::tools;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, PoisonError};
use wasmlab_hosts::wasi_http::{self, Allocator};
use wasmlab_model::metric::{self, Variant};

/// `measure serve-http --allocator A --reuse N --at-once M`, on the component precompiled
/// for that allocator.
pub struct Embedded {
    pub allocator: Allocator,
    /// Requests per instance: 1 is a fresh instance per request.
    pub reuse: usize,
    /// The wasi:http@0.3 build, its instances taking [`metric::REQUESTS_AT_ONCE`] at once;
    /// else the 0.2 one, taking them in turn.
    pub p3: bool,
}

/// `wasmtime serve -S cli`: the runtime's own server. `-S cli` links the wasi:cli
/// interfaces a guest built with the Rust standard library imports.
pub struct WasmtimeServe;

impl Embedded {
    /// A fresh instance per request, from `allocator`.
    pub fn fresh(allocator: Allocator) -> Self {
        Self {
            allocator,
            reuse: 1,
            p3: false,
        }
    }

    /// An instance reused for up to [`metric::REUSED_REQUESTS`], from the pool.
    pub fn reusing() -> Self {
        Self {
            allocator: Allocator::Pooling,
            reuse: metric::REUSED_REQUESTS,
            p3: false,
        }
    }

    /// The wasi:http@0.3 component, an instance reused for up to
    /// [`metric::REUSED_REQUESTS`], [`metric::REQUESTS_AT_ONCE`] at once, from the pool.
    pub fn concurrent() -> Self {
        Self {
            p3: true,
            ..Self::reusing()
        }
    }

    fn at_once(&self) -> usize {
        if self.p3 {
            metric::REQUESTS_AT_ONCE
        } else {
            1
        }
    }

    /// The component it serves, or why it cannot.
    fn component(&self, ctx: &Ctx) -> Result<PathBuf, String> {
        if self.p3 {
            return ctx.built_component_p3().map(Path::to_path_buf);
        }
        match ctx.component_missing() {
            Some(why) => Err(why),
            None => Ok(ctx.component.clone()),
        }
    }

    fn precompiled(&self, ctx: &Ctx) -> PathBuf {
        let build = if self.p3 { "component-p3" } else { "component" };
        let allocator = match self.allocator {
            Allocator::Pooling => "pooling",
            Allocator::OnDemand => "on-demand",
        };
        ctx.work_dir
            .join(format!("moscow-time.{build}.{allocator}.cwasm"))
    }
}

/// The components this process has precompiled, per allocator: each is compiled once per
/// `measure` run, before any timed start, so a rebuilt component, another
/// `WASI_HTTP_COMPONENT` or changed engine settings are never served from a stale file.
static COMPILED: Mutex<Vec<(Allocator, PathBuf)>> = Mutex::new(Vec::new());

/// A server's environment: nothing inherited, so no RUST_BACKTRACE (wasmtime captures a
/// backtrace on an internal error path of every request with it) and no RUST_LOG.
fn bare(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    cmd
}

impl Launch for Embedded {
    fn variant(&self) -> &'static Variant {
        match (self.p3, self.allocator, self.reuse) {
            (true, ..) => &metric::WASI_HTTP_P3,
            (false, Allocator::Pooling, 1) => &metric::WASI_HTTP_POOLING,
            (false, Allocator::OnDemand, 1) => &metric::WASI_HTTP_ONDEMAND,
            (false, ..) => &metric::WASI_HTTP_REUSE,
        }
    }

    fn command(&self, ctx: &Ctx, listen: &str) -> Command {
        let allocator = match self.allocator {
            Allocator::Pooling => "pooling",
            Allocator::OnDemand => "on-demand",
        };
        let mut cmd = bare(&ctx.measure);
        cmd.arg("serve-http").arg(self.precompiled(ctx)).args([
            "--precompiled",
            "--allocator",
            allocator,
            "--listen",
            listen,
            "--reuse",
            &self.reuse.to_string(),
            "--at-once",
            &self.at_once().to_string(),
        ]);
        cmd
    }

    fn unavailable(&self, ctx: &Ctx) -> Option<String> {
        self.component(ctx).err()
    }

    /// Compiles the component for this allocator's engine (see [`COMPILED`]), so every
    /// start loads it precompiled, as a deployment would.
    fn prepare(&self, ctx: &Ctx) -> Result<()> {
        let component = self.component(ctx).map_err(anyhow::Error::msg)?;
        let key = (self.allocator, component.clone());
        let mut compiled = COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
        if compiled.contains(&key) {
            return Ok(());
        }
        std::fs::create_dir_all(&ctx.work_dir)?;
        // Written aside and renamed, so a host another `measure` process starts meanwhile
        // never loads half a file.
        let partial = tempfile::NamedTempFile::new_in(&ctx.work_dir)?;
        let engine = wasi_http::engine(self.allocator)?;
        wasi_http::precompile(&engine, &component, partial.path())?;
        partial.persist(self.precompiled(ctx))?;
        compiled.push(key);
        Ok(())
    }
}

impl Launch for WasmtimeServe {
    fn variant(&self) -> &'static Variant {
        &metric::WASMTIME_SERVE
    }

    fn command(&self, ctx: &Ctx, listen: &str) -> Command {
        // Found on this PATH: the child's environment is cleared, PATH with it.
        let mut cmd = bare(which::which("wasmtime").unwrap_or_else(|_| "wasmtime".into()));
        // HOME locates wasmtime's compile cache, which `serve` uses by default.
        if let Some(home) = std::env::var_os("HOME") {
            cmd.env("HOME", home);
        }
        cmd.args(["serve", "-S", "cli", "--addr", listen])
            .arg(&ctx.component);
        cmd
    }

    fn unavailable(&self, ctx: &Ctx) -> Option<String> {
        ctx.component_missing()
            .or_else(|| tools::WASMTIME.which().err())
    }

    fn prepare(&self, ctx: &Ctx) -> Result<()> {
        match ctx.component_missing() {
            Some(why) => bail!(why),
            None => Ok(()),
        }
    }

    /// `wasmtime serve` ends on Ctrl-C by exiting; how it reports that is its own affair.
    fn foreign(&self) -> bool {
        true
    }
}

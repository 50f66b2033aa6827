//! The service's server context in a container under containerd, one server container
//! against another: the native image under runc, and the wasi:http component's image under
//! the wasmtime shim (which serves a component exporting `wasi:http/incoming-handler` on
//! `WASMTIME_HTTP_PROXY_SOCKET_ADDR`, as runwasi's shim does). Both run detached on the
//! host's network (`--net-host`), listening on a free loopback port, and their memory is read
//! the same way: the container's cgroup and, outside it, its shim's resident set.

use super::containerd::{
    self, cgroup_file, container_name, ctr, task_status, Cleanup, Image, Runtime,
};
use super::server::{reading, Reading, Server};
use crate::ctx::Ctx;
use crate::procfs;
use anyhow::{anyhow, bail, Context as _, Result};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use wasmlab_hosts::http;
use wasmlab_model::metric::{
    self, Variant, MEMORY_SERVER_CGROUP, MEMORY_SERVER_CONTAINER_TOTAL, MEMORY_SERVER_SHIM_RSS,
};

/// One server container; dropping it removes the container and its task.
pub struct CtrServer {
    runtime: Runtime,
    /// Whether each start follows an emptied compile cache: a first start.
    first: bool,
    /// Whether the shim reuses an instance for [`metric::REUSED_REQUESTS`] requests.
    reuse: bool,
    /// Whether it serves the wasi:http@0.3 component's image, its reused instances taking
    /// [`metric::REQUESTS_AT_ONCE`] at once.
    p3: bool,
    running: Option<Cleanup>,
}

impl CtrServer {
    /// The native image under runc.
    pub fn runc() -> Self {
        Self::new(Runtime::Runc, false, false)
    }

    /// The component's image under the wasmtime shim (cranelift), its compiled form cached.
    pub fn wasmtime() -> Self {
        Self::new(Runtime::WASMTIME, false, false)
    }

    /// The same, with an instance reused for up to [`metric::REUSED_REQUESTS`] requests.
    pub fn wasmtime_reusing() -> Self {
        Self::new(Runtime::WASMTIME, false, true)
    }

    /// The wasi:http@0.3 component's image, an instance reused for up to
    /// [`metric::REUSED_REQUESTS`] requests, [`metric::REQUESTS_AT_ONCE`] at once.
    pub fn wasmtime_concurrent() -> Self {
        Self {
            p3: true,
            ..Self::wasmtime_reusing()
        }
    }

    /// The same, each start after the shim's compile cache was emptied: a first start,
    /// which compiles the component.
    pub fn wasmtime_first() -> Self {
        Self::new(Runtime::WASMTIME, true, false)
    }

    fn new(runtime: Runtime, first: bool, reuse: bool) -> Self {
        Self {
            runtime,
            first,
            reuse,
            p3: false,
            running: None,
        }
    }

    fn image(&self) -> Image {
        match (self.runtime, self.p3) {
            (Runtime::Runc, _) => Image::Native,
            (Runtime::Shim(_), false) => Image::Component,
            (Runtime::Shim(_), true) => Image::ComponentP3,
        }
    }

    /// What tells the service, or the shim, where to listen (and how to serve).
    fn env(&self, addr: &str) -> Vec<String> {
        match self.runtime {
            Runtime::Runc => {
                let port = addr.rsplit(':').next().unwrap_or(addr);
                let port_env = &crate::app::checks().server.port_env;
                vec!["HOST=127.0.0.1".into(), format!("{port_env}={port}")]
            }
            Runtime::Shim(_) => {
                let mut env = vec![format!(
                    "{}={addr}",
                    wasmlab_shim_contract::HTTP_PROXY_ADDR_ENV
                )];
                if self.reuse {
                    env.push(format!(
                        "{}={}",
                        wasmlab_shim_contract::INSTANCE_REUSE_ENV,
                        metric::REUSED_REQUESTS
                    ));
                }
                if self.p3 {
                    env.push(format!(
                        "{}={}",
                        wasmlab_shim_contract::INSTANCE_AT_ONCE_ENV,
                        metric::REQUESTS_AT_ONCE
                    ));
                }
                env
            }
        }
    }

    fn args(&self, name: &str, addr: &str) -> Vec<String> {
        let mut args: Vec<String> = ["run", "-d", "--null-io", "--net-host"]
            .map(String::from)
            .into();
        args.extend(self.runtime.run_flags().into_iter().map(String::from));
        for kv in self.env(addr) {
            args.extend(["--env".into(), kv]);
        }
        args.extend([self.image().name().to_owned(), name.to_owned()]);
        args
    }

    fn name(&self) -> Result<&str> {
        self.running
            .as_ref()
            .and_then(|c| c.names().first())
            .map(String::as_str)
            .context("no container")
    }

    /// The container's processes (its cgroup's) and, outside the cgroup, its shim and the
    /// shim's children.
    fn processes(name: &str) -> Result<(Vec<u32>, Vec<u32>)> {
        let inside = std::fs::read_to_string(cgroup_file(name, "cgroup.procs", "cgroup.procs"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect::<Vec<u32>>();
        let family = containerd::shim_family(name)
            .map_err(|e| anyhow!(e))?
            .into_iter()
            .filter(|p| !inside.contains(p))
            .collect();
        Ok((inside, family))
    }
}

impl Server for CtrServer {
    fn variant(&self) -> &'static Variant {
        match (self.runtime, self.first, self.reuse) {
            (Runtime::Runc, ..) => &metric::CTR_RUNC,
            _ if self.p3 => &metric::CTR_WASMTIME_P3,
            (Runtime::Shim(_), true, _) => &metric::CTR_WASMTIME_FIRST,
            (Runtime::Shim(_), false, true) => &metric::CTR_WASMTIME_REUSE,
            (Runtime::Shim(_), false, false) => &metric::CTR_WASMTIME,
        }
    }

    fn before_start(&mut self, ctx: &Ctx) -> Result<()> {
        if self.first {
            containerd::empty_shim_cache().map_err(|e| anyhow!(e))?;
        } else if self.image() == Image::ComponentP3 {
            // Each round's first start empties the shim's cache and leaves only the 0.2
            // component compiled in it: one untimed start compiles this image's, so the
            // timed one is a cached start like the other shim servers'.
            super::server::start_ready(self, ctx)?;
            self.stop(ctx)?;
        }
        Ok(())
    }

    fn only_for_starts(&self) -> bool {
        self.first
    }

    fn command(&self, _ctx: &Ctx) -> String {
        format!("ctr {}", self.args("<name>", "127.0.0.1:<port>").join(" "))
    }

    fn unavailable(&self, ctx: &Ctx) -> Option<String> {
        if let Some(reason) = self.runtime.unavailable() {
            return Some(reason);
        }
        match self.image() {
            Image::Component => return ctx.component_missing(),
            Image::ComponentP3 => return ctx.built_component_p3().err(),
            _ => {}
        }
        None
    }

    fn prepare(&mut self, ctx: &Ctx) -> Result<()> {
        containerd::ensure(ctx, self.image(), false)
            .map(drop)
            .map_err(|e| anyhow!(e))
    }

    fn start(&mut self, ctx: &Ctx) -> Result<SocketAddr> {
        let name = container_name(&format!("serve-{}", self.variant().name));
        let guard = Cleanup::new(vec![name.clone()]);
        guard.remove_all().map_err(|e| anyhow!(e))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], http::free_port()?));
        let args = self.args(&name, &addr.to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ctr(&args, ctx.timeout).map_err(|e| anyhow!(e))?;
        self.running = Some(guard);
        Ok(addr)
    }

    fn alive(&mut self) -> Result<()> {
        let name = self.name()?;
        match task_status(name, Duration::from_secs(10)).map_err(|e| anyhow!(e))? {
            Some(status) if status == "RUNNING" => Ok(()),
            other => bail!(
                "the container's task is {}",
                other.as_deref().unwrap_or("gone")
            ),
        }
    }

    fn memory(&mut self) -> Result<Vec<Reading>> {
        let name = self.name()?.to_owned();
        let variant = self.variant();
        let path = cgroup_file(&name, "memory.current", "memory.usage_in_bytes");
        let cgroup: f64 = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .trim()
            .parse()
            .with_context(|| format!("{} holds no number", path.display()))?;
        let (_, family) = Self::processes(&name)?;
        let shim: f64 = family
            .iter()
            .filter_map(|pid| procfs::status_kib(*pid, "VmRSS:"))
            .sum::<f64>()
            * 1024.0;
        Ok(vec![
            reading(&MEMORY_SERVER_CGROUP, variant, cgroup),
            reading(&MEMORY_SERVER_SHIM_RSS, variant, shim),
            reading(&MEMORY_SERVER_CONTAINER_TOTAL, variant, cgroup + shim),
        ])
    }

    fn pin(&mut self, cpu: usize) -> Result<()> {
        if crate::load::cores() < 2 {
            return Ok(());
        }
        let (inside, family) = Self::processes(self.name()?)?;
        for pid in inside.into_iter().chain(family) {
            procfs::pin(pid, cpu)?;
        }
        Ok(())
    }

    fn stop(&mut self, ctx: &Ctx) -> Result<()> {
        let name = self.name()?.to_owned();
        ctr(&["task", "kill", &name], ctx.timeout).map_err(|e| anyhow!(e))?;
        let deadline = Instant::now() + ctx.timeout;
        while task_status(&name, ctx.timeout)
            .map_err(|e| anyhow!(e))?
            .is_some_and(|s| s == "RUNNING")
        {
            if Instant::now() > deadline {
                bail!("{name} still running {:?} after ctr task kill", ctx.timeout);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        // Dropping the guard deletes the stopped task and the container.
        self.running = None;
        Ok(())
    }
}

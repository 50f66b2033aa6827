//! The service's server context under one runtime, behind one trait, so the server, load
//! and Spin probes start, read, pin and stop every server alike.

use crate::ctx::Ctx;
use anyhow::Result;
use std::net::SocketAddr;
use std::time::Duration;
use wasmlab_hosts::http;
use wasmlab_model::metric::{self, Metric, Variant};

/// How long a server may take to answer its first request.
pub const READY_WITHIN: Duration = Duration::from_secs(30);

/// One memory figure of a running server.
pub struct Reading {
    pub metric: &'static Metric,
    pub label: String,
    pub bytes: f64,
    /// As the tool printed it, when it printed one.
    pub shown: Option<String>,
}

/// The service's server context under one runtime. Dropping it removes whatever it started.
pub trait Server {
    fn variant(&self) -> &'static Variant;
    /// What is run, for the report.
    fn command(&self, ctx: &Ctx) -> String;
    /// Why it cannot run here, if it cannot.
    fn unavailable(&self, ctx: &Ctx) -> Option<String>;
    /// An optional extra (the wasmtime CLI, Spin): its absence is a skip even when
    /// runtimes are required, since no package source here installs it.
    fn optional(&self) -> bool {
        false
    }
    /// Work done once before any timed start (compiling ahead of time), so no start
    /// sample pays for it.
    fn prepare(&mut self, _ctx: &Ctx) -> Result<()> {
        Ok(())
    }
    /// Work done before each timed start and outside its timing (emptying a compile
    /// cache, so that every start is a first one).
    fn before_start(&mut self, _ctx: &Ctx) -> Result<()> {
        Ok(())
    }
    /// A variant that differs from another only in how it starts: the server probe times
    /// its starts, stops and memory; the load and request probes leave it to the other,
    /// which serves the same way once up.
    fn only_for_starts(&self) -> bool {
        false
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

/// Every runtime the server context runs under, in the order the probes visit them.
/// `spin up` is the Spin probe's own (it needs the manifest it was given).
pub fn all() -> Vec<Box<dyn Server>> {
    use super::child_server::ChildServer;
    use super::wasi_http_hosts::{Embedded, WasmtimeServe};
    use wasmlab_hosts::wasi_http::Allocator;
    vec![
        Box::new(ChildServer::new(super::child_server::Native)),
        Box::new(super::docker::DockerServer::default()),
        // A server container against a server container, under one containerd.
        Box::new(super::ctr_server::CtrServer::runc()),
        // First starts before cached ones: each round's first start leaves the compiled
        // component cached for the cached one.
        Box::new(super::ctr_server::CtrServer::wasmtime_first()),
        Box::new(super::ctr_server::CtrServer::wasmtime()),
        Box::new(super::ctr_server::CtrServer::wasmtime_reusing()),
        Box::new(super::ctr_server::CtrServer::wasmtime_concurrent()),
        Box::new(super::wagi_hosts::embedded(
            wasmlab_hosts::wagi::default_manifest(),
        )),
        Box::new(ChildServer::new(Embedded::fresh(Allocator::Pooling))),
        Box::new(ChildServer::new(Embedded::fresh(Allocator::OnDemand))),
        Box::new(ChildServer::new(Embedded::reusing())),
        Box::new(ChildServer::new(Embedded::concurrent())),
        Box::new(ChildServer::new(WasmtimeServe)),
    ]
}

/// The observation of `subject` when `server` cannot run here: skipped, or failed when
/// runtimes are required and the server is not an optional extra.
pub fn not_here(
    server: &dyn Server,
    ctx: &Ctx,
    subject: wasmlab_model::metric::Subject,
    command: impl Into<String>,
    reason: &str,
) -> wasmlab_model::results::Observation {
    ctx.lacking(!server.optional(), subject, command, reason)
}

/// Starts `server` and waits until it answers the app's timed path with 200.
pub fn start_ready(server: &mut dyn Server, ctx: &Ctx) -> Result<SocketAddr> {
    let addr = server.start(ctx)?;
    http::wait_ready(addr, crate::app::timed_path(), READY_WITHIN, || {
        server.alive()
    })?;
    Ok(addr)
}

/// The variants of the servers that serve requests (not those only timed starting), for
/// the Bonus probe's list of hosts.
pub fn variants() -> Vec<&'static Variant> {
    all()
        .iter()
        .filter(|s| !s.only_for_starts())
        .map(|s| s.variant())
        .collect()
}

/// A memory figure of a process group: `metric` of every process in it.
pub fn reading(metric: &'static Metric, variant: &Variant, bytes: f64) -> Reading {
    Reading {
        metric,
        label: format!("{}: {}", variant.label, metric.label),
        bytes,
        shown: None,
    }
}

/// The two readings every process server gives: resident set and its peak.
pub const PROCESS_MEMORY: [(&Metric, &str); 2] = [
    (&metric::MEMORY_SERVER_RSS, "VmRSS:"),
    (&metric::MEMORY_SERVER_PEAK_RSS, "VmHWM:"),
];

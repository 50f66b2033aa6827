//! The catalogue: every quantity `measure` records and every runtime variant it records it
//! for, as typed constants. Probes make their observations through it and the report finds
//! them through it, so the two never name an id by hand, never import each other, and a
//! renamed metric is a compile error instead of a quiet "not recorded in this run".
//!
//! An observation id is `<prefix>.<name>[-<qualifier>].<variant>`: `startup.cli.docker`,
//! `load.rps-c10.native-process` (qualifier `c10`), `spin.cold-dns.spin` (qualifier `dns`),
//! `criterion.wasm.compile` (criterion's metrics are named by their group alone).

use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of figure an observation is; the report never mixes kinds in one column.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Size of a file or image.
    Size,
    /// A whole process timed from spawn to exit (what the lab asks for startup).
    SpawnToExit,
    /// A phase timed inside `measure`'s own process; not comparable with spawn-to-exit.
    InProcess,
    /// Memory of a process, container or instance.
    Memory,
    /// A one-off operation timed as a whole (an image build, a container stop).
    Operation,
    /// A server under load: rate or latency.
    Load,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Bytes,
    /// Seconds (samples keep nanosecond precision).
    Seconds,
    /// Events (requests, errors) per second.
    PerSecond,
}

/// Which way a figure improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Lower,
    Higher,
}

/// One measured quantity.
#[derive(Debug, PartialEq, Eq)]
pub struct Metric {
    /// The first part of the id: what kind of figure (`startup`, `size`, `memory`, ...).
    pub prefix: &'static str,
    /// The second part (`cli`, `binary`, ...); empty when the qualifier alone names it.
    pub name: &'static str,
    /// Whether ids of this metric carry a qualifier (`-c10`, `-dns`, a criterion group).
    pub qualified: bool,
    pub kind: Kind,
    pub unit: Unit,
    pub better: Better,
    /// What a reader sees: "CLI startup, spawn to exit".
    pub label: &'static str,
}

/// One runtime (or artifact) a metric is recorded for: the last part of the id.
#[derive(Debug, PartialEq, Eq)]
pub struct Variant {
    pub name: &'static str,
    /// Short, for tables and plots: "ctr + runc".
    pub label: &'static str,
}

/// A typed id of one observation, made from catalogue constants (so it can sit in a
/// `const` table of the report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub metric: &'static Metric,
    pub qualifier: Option<&'static str>,
    pub variant: &'static Variant,
}

/// An observation id as text splits it: metric part (`load.rps-c10`) and variant part
/// (`native-process`, or `native.text` for a section).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Id {
    pub metric: String,
    pub variant: String,
}

/// Anything that names one observation id.
pub trait Named {
    /// Whether `id` is the id this names.
    fn is(&self, id: &str) -> bool;
}

impl<T: Named + ?Sized> Named for &T {
    fn is(&self, id: &str) -> bool {
        (**self).is(id)
    }
}

impl Named for str {
    fn is(&self, id: &str) -> bool {
        self == id
    }
}

impl Named for String {
    fn is(&self, id: &str) -> bool {
        self == id
    }
}

impl Named for Id {
    fn is(&self, id: &str) -> bool {
        id.strip_prefix(self.metric.as_str())
            .and_then(|rest| rest.strip_prefix('.'))
            == Some(self.variant.as_str())
    }
}

impl Named for Key {
    fn is(&self, id: &str) -> bool {
        let Some(rest) = id
            .strip_prefix(self.metric.prefix)
            .and_then(|r| r.strip_prefix('.'))
        else {
            return false;
        };
        let rest = match (self.metric.name, self.qualifier) {
            ("", Some(q)) => rest.strip_prefix(q),
            (name, Some(q)) => rest
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix('-'))
                .and_then(|r| r.strip_prefix(q)),
            (name, None) => rest.strip_prefix(name),
        };
        rest.and_then(|r| r.strip_prefix('.')) == Some(self.variant.name)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.metric, self.variant)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}",
            self.metric.metric_id(self.qualifier),
            self.variant.name
        )
    }
}

impl std::str::FromStr for Id {
    type Err = String;

    /// `a.b.c` → metric `a.b`, variant `c`; the variant may hold further dots.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.splitn(3, '.');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(p), Some(m), Some(v)) if [p, m, v].iter().all(|x| !x.is_empty()) => Ok(Id {
                metric: format!("{p}.{m}"),
                variant: v.to_owned(),
            }),
            _ => Err(format!(
                "{s:?} is not an id of the form <probe>.<metric>.<variant>"
            )),
        }
    }
}

impl Id {
    /// The catalogue's metric of this id, if any.
    pub fn catalogued(&self) -> Option<&'static Metric> {
        ALL.iter()
            .copied()
            .find(|m| m.metric_id(None) == self.metric)
            .or_else(|| {
                ALL.iter()
                    .copied()
                    .filter(|m| m.qualified)
                    .find(|m| m.qualifier_of(&self.metric).is_some())
            })
    }
}

/// The catalogue's metric of an id written as text.
pub fn lookup(id: &str) -> Option<&'static Metric> {
    id.parse::<Id>().ok()?.catalogued()
}

impl Metric {
    /// The metric part of an id: `startup.cli`, `load.rps-c10`, `criterion.wasm`.
    pub fn metric_id(&self, qualifier: Option<&str>) -> String {
        match (self.name, qualifier) {
            ("", Some(q)) => format!("{}.{q}", self.prefix),
            (name, Some(q)) => format!("{}.{name}-{q}", self.prefix),
            (name, None) => format!("{}.{name}", self.prefix),
        }
    }

    /// The qualifier of `metric_part` when it is this metric's, qualified.
    pub fn qualifier_of<'a>(&self, metric_part: &'a str) -> Option<&'a str> {
        let rest = metric_part.strip_prefix(self.prefix)?.strip_prefix('.')?;
        let q = if self.name.is_empty() {
            rest
        } else {
            rest.strip_prefix(self.name)?.strip_prefix('-')?
        };
        (!q.is_empty()).then_some(q)
    }

    /// Whether observation `id` is of this metric, with any qualifier and variant.
    pub fn owns(&self, id: &str) -> bool {
        id.parse::<Id>()
            .ok()
            .and_then(|id| id.catalogued())
            .is_some_and(|m| m == self)
    }

    pub const fn key(&'static self, variant: &'static Variant) -> Key {
        Key {
            metric: self,
            qualifier: None,
            variant,
        }
    }

    pub const fn key_at(&'static self, qualifier: &'static str, variant: &'static Variant) -> Key {
        Key {
            metric: self,
            qualifier: Some(qualifier),
            variant,
        }
    }

    /// The id of this metric for a variant named at run time.
    pub fn id(&self, qualifier: Option<&str>, variant: &str) -> Id {
        Id {
            metric: self.metric_id(qualifier),
            variant: variant.to_owned(),
        }
    }

    /// What an observation of `variant` is about; labelled "<variant>: <metric>".
    pub fn of(&'static self, variant: &Variant) -> Subject {
        self.named(variant.name, format!("{}: {}", variant.label, self.label))
    }

    /// The same, for a variant named at run time (a section, a criterion bench).
    pub fn named(&'static self, variant: impl AsRef<str>, label: impl Into<String>) -> Subject {
        self.subject(None, variant.as_ref(), label.into())
    }

    /// The same metric qualified (`c10`, `dns`, a criterion group).
    pub fn at(&'static self, qualifier: impl Into<String>) -> Qualified {
        Qualified {
            metric: self,
            qualifier: qualifier.into(),
        }
    }

    fn subject(&'static self, qualifier: Option<&str>, variant: &str, label: String) -> Subject {
        Subject {
            id: self.id(qualifier, variant),
            label,
            metric: self,
        }
    }
}

/// A qualified metric (`load.rps-c10`), on its way to a [`Subject`].
pub struct Qualified {
    metric: &'static Metric,
    qualifier: String,
}

impl Qualified {
    pub fn of(&self, variant: &Variant) -> Subject {
        self.named(
            variant.name,
            format!("{}: {}", variant.label, self.metric.label),
        )
    }

    pub fn named(&self, variant: impl AsRef<str>, label: impl Into<String>) -> Subject {
        self.metric
            .subject(Some(&self.qualifier), variant.as_ref(), label.into())
    }
}

/// What one observation is about (its id, label, kind and unit), before its outcome is
/// known: the one way an [`Observation`] is made.
#[derive(Debug, Clone)]
pub struct Subject {
    pub id: Id,
    pub label: String,
    pub metric: &'static Metric,
}

impl Subject {
    /// The same subject with the label a reader sees in a table.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }
}

macro_rules! metrics {
    ($($(#[$doc:meta])* $name:ident = $prefix:literal . $metric:literal $(, $q:ident)?: $kind:ident, $unit:ident, $better:ident, $label:literal;)*) => {
        $($(#[$doc])* pub const $name: Metric = Metric {
            prefix: $prefix,
            name: $metric,
            qualified: metrics!(@q $($q)?),
            kind: Kind::$kind,
            unit: Unit::$unit,
            better: Better::$better,
            label: $label,
        };)*
        /// Every metric of the catalogue.
        pub const ALL: &[&Metric] = &[$(&$name),*];
    };
    (@q qualified) => { true };
    (@q) => { false };
}

macro_rules! variants {
    ($($(#[$doc:meta])* $name:ident = $id:literal, $label:literal;)*) => {
        $($(#[$doc])* pub const $name: Variant = Variant { name: $id, label: $label };)*
        /// Every variant the catalogue names (sections and criterion benches are named at
        /// run time).
        pub const VARIANTS: &[&Variant] = &[$(&$name),*];
    };
}

metrics! {
    /// File size of a built artifact.
    SIZE_BINARY = "size"."binary": Size, Bytes, Lower, "file size";
    /// An image as its tool sizes it.
    SIZE_IMAGE = "size"."image": Size, Bytes, Lower, "image size";
    /// One section of an artifact; the variant is `<artifact>.<section>`.
    SIZE_SECTION = "size"."section": Size, Bytes, Lower, "section size";
    /// `docker build --no-cache` of the scratch image.
    BUILD_IMAGE = "build"."image": Operation, Seconds, Lower, "image build";
    /// The lab's startup: one `MODE=once` run, spawn to exit.
    STARTUP_CLI = "startup"."cli": SpawnToExit, Seconds, Lower, "CLI startup, spawn to exit";
    /// Peak RSS of one CLI run, by GNU time.
    MEMORY_CLI_PEAK_RSS = "memory"."cli-peak-rss": Memory, Bytes, Lower, "peak RSS of one CLI run";
    /// Peak of a container's memory cgroup during one CLI run.
    MEMORY_CLI_PEAK = "memory"."cli-peak": Memory, Bytes, Lower, "container cgroup peak of one CLI run";
    /// Peak resident set of the shim process serving one CLI container, outside its cgroup.
    MEMORY_CLI_SHIM_PEAK = "memory"."cli-shim-peak": Memory, Bytes, Lower, "shim peak RSS of one CLI run";
    /// The container cgroup's peak and its shim's together: one CLI container as a whole.
    MEMORY_CLI_CONTAINER_TOTAL = "memory"."cli-container-total": Memory, Bytes, Lower, "container + shim peak memory of one CLI run";
    /// A server's resident set, all its processes, after it answered.
    MEMORY_SERVER_RSS = "memory"."server-rss": Memory, Bytes, Lower, "server resident set (VmRSS)";
    MEMORY_SERVER_PEAK_RSS = "memory"."server-peak-rss": Memory, Bytes, Lower, "server peak resident set (VmHWM)";
    /// `docker stats` MEM USAGE of the server container.
    MEMORY_SERVER_DOCKER_STATS = "memory"."server-docker-stats": Memory, Bytes, Lower, "server MEM USAGE (docker stats)";
    MEMORY_SERVER_CGROUP = "memory"."server-cgroup": Memory, Bytes, Lower, "server container cgroup memory";
    /// The guest's linear memory after `_start`.
    MEMORY_LINEAR = "memory"."linear": Memory, Bytes, Lower, "linear memory after _start";
    /// What one instance adds to the host's resident memory.
    MEMORY_HOST_RSS_GROWTH = "memory"."host-rss-growth": Memory, Bytes, Lower, "host RSS growth per instance";
    /// Launch to the first 200 of a server.
    READY_SERVER = "ready"."server": Operation, Seconds, Lower, "start until the first 200";
    STOP_SERVER = "stop"."server": Operation, Seconds, Lower, "graceful stop";
    /// wrk at a concurrency (qualifier `c<N>`).
    LOAD_RPS = "load"."rps", qualified: Load, PerSecond, Higher, "requests/s";
    LOAD_LATENCY_P50 = "load"."latency-p50", qualified: Load, Seconds, Lower, "latency p50";
    LOAD_LATENCY_P99 = "load"."latency-p99", qualified: Load, Seconds, Lower, "latency p99";
    /// Socket errors and non-2xx/3xx answers per second of a wrk run.
    LOAD_ERRORS = "load"."errors", qualified: Load, PerSecond, Lower, "errors/s (socket, non-2xx/3xx)";
    /// In-process phases of the embedded wasmtime.
    PHASE_COMPILE = "phase"."compile": InProcess, Seconds, Lower, "compile (or translate, for wasmi)";
    PHASE_LOAD_PRECOMPILED = "phase"."load-precompiled": InProcess, Seconds, Lower, "load precompiled";
    PHASE_INSTANTIATE = "phase"."instantiate": InProcess, Seconds, Lower, "instantiate (WASI preview 1)";
    PHASE_RUN = "phase"."run": InProcess, Seconds, Lower, "run _start with MODE=once";
    /// The preview 1 module started in its server context under ctr: until it exits.
    SERVER_CONTEXT_EXIT = "server-context"."exit": Operation, Seconds, Lower, "server context, ctr run until it exits";
    /// Back-to-back container starts: each start's duration.
    THROUGHPUT_CONTAINER_STARTS = "throughput"."container-starts": Operation, Seconds, Lower, "ctr run --rm back to back";
    /// Launch to the first correct 200, a fresh process each time.
    SPIN_COLD_START = "spin"."cold-start": Operation, Seconds, Lower, "cold start, launch to the first correct 200";
    /// Cache-busted requests, spaced; qualified by a curl phase (`dns`, `connect`, ...).
    SPIN_COLD = "spin"."cold", qualified: Operation, Seconds, Lower, "cold request";
    SPIN_WARM = "spin"."warm", qualified: Operation, Seconds, Lower, "warm request";
    SPIN_KEEPALIVE = "spin"."warm-keepalive": Operation, Seconds, Lower, "warm request on a kept-alive connection";
    SPIN_DEPLOY = "spin"."deploy": Operation, Seconds, Lower, "spin deploy, end to end";
    /// Concurrent task starts through containerd's API (runwasi's stress test), C in flight:
    /// qualifier `c<C>`.
    STRESS_TASKS_PER_SECOND = "stress"."tasks-per-second", qualified: Load, PerSecond, Higher, "tasks/s (create, start, wait, delete)";
    STRESS_START_LATENCY = "stress"."start-latency", qualified: Load, Seconds, Lower, "one task, create to deleted";
    /// One run of the service in each of its contexts, its output kept (`shown`).
    CONTEXT_CLI = "context"."cli": Operation, Seconds, Lower, "MODE=once: the JSON line";
    CONTEXT_WAGI_PAGE = "context"."wagi-page": Operation, Seconds, Lower, "WAGI GET /: the page";
    CONTEXT_WAGI_NOT_FOUND = "context"."wagi-not-found": Operation, Seconds, Lower, "WAGI GET /no-such-page: 404";
    /// A criterion bench: qualifier its group, variant its name.
    CRITERION = "criterion"."", qualified: InProcess, Seconds, Lower, "criterion bench";
}

variants! {
    // Artifacts.
    NATIVE_BINARY = "native", "native binary (static, musl)";
    WASM_MODULE = "wasm", "wasm module (wasm32-wasip1)";
    WASI_HTTP_COMPONENT = "wasi-http-component", "wasi:http component (wasm32-wasip2)";
    WASM_PRECOMPILED = "wasm-precompiled", "wasm module precompiled (cranelift, x86-64)";
    // Images.
    CTR_WASM_IMAGE = "ctr-wasm", "wasm image in containerd";
    CTR_NATIVE_IMAGE = "ctr-native", "native image in containerd";
    // Processes and runtimes.
    FLOOR = "floor", "floor: static binary that does nothing";
    NATIVE_PROCESS = "native-process", "native process";
    NATIVE_PROCESS_ALONE = "native-process-alone", "native process, back to back, timed by measure";
    NATIVE_PROCESS_HYPERFINE = "native-process-hyperfine", "native process, back to back, timed by hyperfine";
    EMBEDDED_WASMTIME = "embedded-wasmtime", "embedded wasmtime (cranelift)";
    EMBEDDED_WASMTIME_JIT = "embedded-wasmtime-jit", "wasm, embedded wasmtime (cranelift), JIT";
    EMBEDDED_WASMTIME_AOT = "embedded-wasmtime-aot", "wasm, embedded wasmtime (cranelift), precompiled";
    // The other engines of the embedded host; no engine in an id means cranelift.
    EMBEDDED_WINCH = "embedded-winch", "embedded wasmtime with Winch";
    EMBEDDED_WINCH_JIT = "embedded-winch-jit", "wasm, embedded wasmtime with Winch, compiled at start";
    EMBEDDED_WINCH_AOT = "embedded-winch-aot", "wasm, embedded wasmtime with Winch, precompiled";
    EMBEDDED_PULLEY = "embedded-pulley", "embedded wasmtime with the Pulley interpreter";
    EMBEDDED_PULLEY_JIT = "embedded-pulley-jit", "wasm, embedded wasmtime with Pulley, compiled to bytecode at start";
    EMBEDDED_PULLEY_AOT = "embedded-pulley-aot", "wasm, embedded wasmtime with Pulley, precompiled bytecode";
    EMBEDDED_WASMI = "embedded-wasmi", "wasm, embedded wasmi (interpreter)";
    WASMTIME_CLI = "wasmtime-cli", "wasm, wasmtime CLI, its defaults";
    WASMTIME_CLI_JIT = "wasmtime-cli-jit", "wasm, wasmtime CLI, cache off";
    WASMTIME_CLI_AOT = "wasmtime-cli-aot", "wasm, wasmtime CLI, precompiled";
    DOCKER = "docker", "docker";
    CTR_RUNC = "ctr-runc", "ctr + runc";
    CTR_WASMTIME = "ctr-wasmtime", "ctr + wasmtime shim";
    CTR_WASMTIME_FIRST = "ctr-wasmtime-first", "ctr + wasmtime shim, first start";
    CTR_WASMTIME_CACHED = "ctr-wasmtime-cached", "ctr + wasmtime shim, module cached";
    CTR_WASMTIME_WINCH = "ctr-wasmtime-winch", "ctr + wasmtime shim (Winch)";
    CTR_WASMTIME_WINCH_FIRST = "ctr-wasmtime-winch-first", "ctr + wasmtime shim (Winch), first start";
    CTR_WASMTIME_WINCH_CACHED = "ctr-wasmtime-winch-cached", "ctr + wasmtime shim (Winch), module cached";
    CTR_WASMTIME_PULLEY = "ctr-wasmtime-pulley", "ctr + wasmtime shim (Pulley)";
    CTR_WASMTIME_PULLEY_FIRST = "ctr-wasmtime-pulley-first", "ctr + wasmtime shim (Pulley), first start";
    CTR_WASMTIME_PULLEY_CACHED = "ctr-wasmtime-pulley-cached", "ctr + wasmtime shim (Pulley), module cached";
    // Servers.
    EMBEDDED_WAGI = "embedded-wagi", "embedded WAGI host (measure wagi, not Spin)";
    SPIN = "spin", "Spin (spin up, WAGI executor)";
    WASI_HTTP_POOLING = "wasi-http-pooling", "wasi:http component, embedded host (pooling allocator)";
    WASI_HTTP_ONDEMAND = "wasi-http-ondemand", "wasi:http component, embedded host (on-demand allocator)";
    WASMTIME_SERVE = "wasmtime-serve", "wasi:http component, wasmtime serve (its defaults)";
    REMOTE = "remote", "remote Spin deployment ($SPIN_URL)";
}

/// One engine's variants: in the embedded host (a start that compiles or translates, one
/// from the precompiled module, its in-process phases) and, for wasmtime's engines, under
/// the containerd shim. The one place that ties an engine to its ids.
pub struct EngineVariants {
    /// The engine's name, as `measure exec --engine` and the shim's handler take it.
    pub engine: &'static str,
    pub label: &'static str,
    pub start: &'static Variant,
    pub precompiled: Option<&'static Variant>,
    pub phases: &'static Variant,
    pub shim: Option<ShimVariants>,
}

/// An engine's variants under the containerd shim.
pub struct ShimVariants {
    /// The runtime itself (its stress figures and back-to-back starts).
    pub runtime: &'static Variant,
    /// A first start (compile cache emptied) and a cached one.
    pub first: &'static Variant,
    pub cached: &'static Variant,
}

/// Every engine, cranelift first: wasmtime's default and the lab's own figures.
pub const ENGINES: [EngineVariants; 4] = [
    EngineVariants {
        engine: "cranelift",
        label: "wasmtime, cranelift",
        start: &EMBEDDED_WASMTIME_JIT,
        precompiled: Some(&EMBEDDED_WASMTIME_AOT),
        phases: &EMBEDDED_WASMTIME,
        shim: Some(ShimVariants {
            runtime: &CTR_WASMTIME,
            first: &CTR_WASMTIME_FIRST,
            cached: &CTR_WASMTIME_CACHED,
        }),
    },
    EngineVariants {
        engine: "winch",
        label: "wasmtime, Winch",
        start: &EMBEDDED_WINCH_JIT,
        precompiled: Some(&EMBEDDED_WINCH_AOT),
        phases: &EMBEDDED_WINCH,
        shim: Some(ShimVariants {
            runtime: &CTR_WASMTIME_WINCH,
            first: &CTR_WASMTIME_WINCH_FIRST,
            cached: &CTR_WASMTIME_WINCH_CACHED,
        }),
    },
    EngineVariants {
        engine: "pulley",
        label: "wasmtime, Pulley",
        start: &EMBEDDED_PULLEY_JIT,
        precompiled: Some(&EMBEDDED_PULLEY_AOT),
        phases: &EMBEDDED_PULLEY,
        shim: Some(ShimVariants {
            runtime: &CTR_WASMTIME_PULLEY,
            first: &CTR_WASMTIME_PULLEY_FIRST,
            cached: &CTR_WASMTIME_PULLEY_CACHED,
        }),
    },
    EngineVariants {
        engine: "wasmi",
        label: "wasmi",
        start: &EMBEDDED_WASMI,
        precompiled: None,
        phases: &EMBEDDED_WASMI,
        shim: None,
    },
];

impl EngineVariants {
    /// The engine named `name`.
    pub fn of(name: &str) -> Option<&'static EngineVariants> {
        ENGINES.iter().find(|e| e.engine == name)
    }

    /// Every variant of the engine.
    pub fn all(&self) -> impl Iterator<Item = &'static Variant> {
        let shim = self
            .shim
            .iter()
            .flat_map(|s| [s.runtime, s.first, s.cached]);
        [self.start, self.phases]
            .into_iter()
            .chain(self.precompiled)
            .chain(shim)
            .collect::<Vec<_>>()
            .into_iter()
    }
}

/// The section name of what no section of an artifact covers (headers, padding, section
/// tables), so an artifact's `SIZE_SECTION` rows sum to its file size.
pub const SECTION_UNCOVERED: &str = "headers-and-padding";

/// The variant of the catalogue named `name`.
pub fn variant(name: &str) -> Option<&'static Variant> {
    VARIANTS.iter().copied().find(|v| v.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_ids_are_unique_and_variants_too() {
        let mut ids: Vec<String> = ALL.iter().map(|m| m.metric_id(None)).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "a metric id is declared twice");
        let mut names: Vec<&str> = VARIANTS.iter().map(|v| v.name).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "a variant is declared twice");
    }

    #[test]
    fn keys_print_and_match_the_ids_they_name() {
        let k = STARTUP_CLI.key(&CTR_RUNC);
        assert_eq!(k.to_string(), "startup.cli.ctr-runc");
        assert!(k.is("startup.cli.ctr-runc"));
        assert!(!k.is("startup.cli.ctr-runc-x"));
        assert!(!k.is("startup.clix.ctr-runc"));
        let k = LOAD_RPS.key_at("c10", &DOCKER);
        assert_eq!(k.to_string(), "load.rps-c10.docker");
        assert!(k.is("load.rps-c10.docker"));
        assert!(!k.is("load.rps-c1.docker"));
        let id = CRITERION.id(Some("wasm"), "compile");
        assert_eq!(id.to_string(), "criterion.wasm.compile");
        assert!(id.is("criterion.wasm.compile"));
    }

    #[test]
    fn ids_parse_back_to_their_metric() {
        for (id, metric) in [
            ("startup.cli.docker", &STARTUP_CLI),
            ("memory.cli-peak-rss.floor", &MEMORY_CLI_PEAK_RSS),
            ("memory.cli-peak.ctr-runc", &MEMORY_CLI_PEAK),
            ("load.rps-c50.docker", &LOAD_RPS),
            ("load.errors-c1.spin", &LOAD_ERRORS),
            ("spin.cold.spin", &SPIN_COLD),
            ("spin.cold-dns.remote", &SPIN_COLD),
            ("spin.cold-start.spin", &SPIN_COLD_START),
            ("spin.warm-keepalive.spin", &SPIN_KEEPALIVE),
            ("size.section.native.text", &SIZE_SECTION),
            ("criterion.wasm.compile", &CRITERION),
        ] {
            assert_eq!(lookup(id), Some(metric), "{id}");
        }
        assert_eq!(lookup("nothing.here.at-all"), None);
        assert!("a.b".parse::<Id>().is_err());
        let id: Id = "size.section.native.text".parse().unwrap();
        assert_eq!(
            (id.metric.as_str(), id.variant.as_str()),
            ("size.section", "native.text")
        );
    }
}

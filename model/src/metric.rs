//! The catalogue: every quantity `measure` records and every runtime variant it records it
//! for, as typed constants. Probes make their observations through it and the report finds
//! them through it, so the two never name an id by hand, never import each other, and a
//! renamed metric is a compile error instead of a quiet "not recorded in this run".
//!
//! An observation id is `<prefix>.<name>[-<qualifier>].<variant>`: `startup.cli.docker`,
//! `load.rps-c10.native-process` (qualifier `c10`), `spin.cold-dns.spin` (qualifier `dns`),
//! `criterion.wasm.compile` (criterion's metrics are named by their group alone). One type,
//! [`Id`], holds it; text is parsed by exact lookup in the catalogue, each metric saying
//! which qualifiers and variants it takes, so no id depends on the order of a search.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// What kind of figure an observation is; the report never mixes kinds in one column.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Bytes,
    /// Seconds (samples keep nanosecond precision).
    Seconds,
    /// Events (requests, errors) per second.
    PerSecond,
}

/// Which way a figure improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Lower,
    Higher,
}

/// One measured quantity.
#[derive(Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Metric {
    /// The first part of the id: what kind of figure (`startup`, `size`, `memory`, ...).
    pub prefix: &'static str,
    /// The second part (`cli`, `binary`, ...); empty when the qualifier alone names it.
    pub name: &'static str,
    /// Which qualifiers its ids may carry (`-c10`, `-dns`, a criterion group), if any.
    pub qualifiers: Qualifiers,
    /// Which variants its ids may name.
    pub variants: Variants,
    pub kind: Kind,
    pub unit: Unit,
    pub better: Better,
    /// What a reader sees: "CLI startup, spawn to exit".
    pub label: &'static str,
}

/// The qualifiers a metric's ids may carry after its name (`load.rps-c10`): the rule that
/// also tells two metrics apart when one's name begins with another's (`spin.cold-start`
/// is not `spin.cold` at a qualifier "start", since "start" is no curl phase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Qualifiers {
    /// None: the id is `<prefix>.<name>.<variant>`.
    None,
    /// Optionally, a concurrency `c<N>` (N ≥ 1): wrk's connections, tasks in flight.
    Concurrency,
    /// Optionally, one of curl's phases ([`CURL_PHASES`]); without one, the whole request.
    CurlPhase,
    /// Always, a criterion group (lower-case letters, digits, `_`), for a metric with no
    /// name of its own: `criterion.<group>.<bench>`.
    Group,
}

/// The phases curl's `-w '%{json}'` splits a request into, as id qualifiers.
pub const CURL_PHASES: [&str; 4] = ["dns", "connect", "tls", "first-byte"];

impl Qualifiers {
    fn accepts(self, q: &str) -> bool {
        match self {
            Self::None => false,
            Self::Concurrency => q
                .strip_prefix('c')
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n >= 1 && q[1..] == n.to_string()),
            Self::CurlPhase => CURL_PHASES.contains(&q),
            Self::Group => is_name(q, |c| c == '_'),
        }
    }

    /// Whether an id may leave the qualifier out.
    fn optional(self) -> bool {
        self != Self::Group
    }
}

/// The variants a metric's ids may name: the last part of the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variants {
    /// One of the catalogue's [`VARIANTS`].
    Catalogue,
    /// A section of an artifact: `<artifact variant>.<section>` (`native.text`).
    Section,
    /// A criterion bench, named by the bench itself (lower-case, digits, `_`, `-`).
    Bench,
}

impl Variants {
    fn accepts(self, v: &str) -> bool {
        match self {
            Self::Catalogue => variant(v).is_some(),
            Self::Section => v.split_once('.').is_some_and(|(artifact, section)| {
                variant(artifact).is_some() && is_name(section, |c| "_-.$".contains(c))
            }),
            Self::Bench => is_name(v, |c| c == '_' || c == '-'),
        }
    }
}

/// Non-empty, lower-case ASCII letters and digits, and the characters `extra` allows.
fn is_name(s: &str, extra: impl Fn(char) -> bool) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra(c))
}

/// One runtime (or artifact) a metric is recorded for: the last part of the id.
#[derive(Debug, PartialEq, Eq)]
pub struct Variant {
    pub name: &'static str,
    /// Short, for tables and plots: "ctr + runc".
    pub label: &'static str,
}

/// A name that is a catalogue constant or made at run time (a section, a bench).
pub type Name = Cow<'static, str>;

/// The id of one observation: a metric of the catalogue, its qualifier, its variant. Made
/// from catalogue constants (`STARTUP_CLI.id(&DOCKER)`, usable in a `const` table), or
/// parsed from text by exact lookup ([`Id::from_str`](std::str::FromStr)); written as text
/// only in `results.json`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id {
    pub metric: &'static Metric,
    pub qualifier: Option<Name>,
    pub variant: Name,
}

impl Id {
    /// Whether this is an id of `metric` at `qualifier` (None: unqualified).
    pub fn is_of(&self, metric: &Metric, qualifier: Option<&str>) -> bool {
        self.metric == metric && self.qualifier.as_deref() == qualifier
    }

    /// The concurrency of a `c<N>` qualifier.
    pub fn concurrency(&self) -> Option<u32> {
        match self.metric.qualifiers {
            Qualifiers::Concurrency => self.qualifier.as_deref()?.strip_prefix('c')?.parse().ok(),
            _ => None,
        }
    }

    /// The catalogue's variant this id names, when it is one (not a section or a bench).
    pub fn catalogued_variant(&self) -> Option<&'static Variant> {
        variant(&self.variant)
    }

    /// The artifact and the section of a section's id (`size.section.native.text`: the
    /// native binary, `text`); None for an id whose variants are not sections.
    pub fn section(&self) -> Option<(&'static Variant, &str)> {
        if self.metric.variants != Variants::Section {
            return None;
        }
        let (artifact, section) = self.variant.split_once('.')?;
        Some((variant(artifact)?, section))
    }

    /// The metric part of the id as text: `startup.cli`, `load.rps-c10`, `criterion.wasm`.
    pub fn metric_part(&self) -> String {
        self.metric.metric_part(self.qualifier.as_deref())
    }
}

impl fmt::Display for Id {
    /// Padded as a string is (`{:<45}` lines ids up in a listing).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{}.{}", self.metric_part(), self.variant))
    }
}

/// Why a text is no id of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdError(String);

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for IdError {}

impl std::str::FromStr for Id {
    type Err = IdError;

    /// By exact lookup: the one metric whose prefix, name, qualifier rule and variant rule
    /// all accept `s`. None is an unknown id, two an ambiguous one (a unit test keeps the
    /// catalogue free of those); both are errors, never a guess.
    fn from_str(s: &str) -> Result<Self, IdError> {
        let found: Vec<Id> = ALL.iter().filter_map(|m| m.parse(s)).collect();
        match found.len() {
            1 => Ok(found.into_iter().next().expect("one")),
            0 => Err(IdError(format!(
                "{s:?} is not an observation id of this catalogue (<prefix>.<metric>[-<qualifier>].<variant>)"
            ))),
            _ => Err(IdError(format!(
                "{s:?} is ambiguous: it reads as {}",
                found
                    .iter()
                    .map(|id| format!("{} at {:?}", id.metric.label, id.qualifier))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ))),
        }
    }
}

impl Serialize for Id {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Metric {
    /// The metric part of an id: `startup.cli`, `load.rps-c10`, `criterion.wasm`.
    fn metric_part(&self, qualifier: Option<&str>) -> String {
        match (self.name, qualifier) {
            ("", Some(q)) => format!("{}.{q}", self.prefix),
            (name, Some(q)) => format!("{}.{name}-{q}", self.prefix),
            (name, None) => format!("{}.{name}", self.prefix),
        }
    }

    /// The pattern of this metric's ids, for the docs: `load.rps[-<qualifier>].<variant>`.
    pub fn pattern(&self) -> String {
        match (self.name, self.qualifiers) {
            (_, Qualifiers::None) => format!("{}.{}.<variant>", self.prefix, self.name),
            ("", _) => format!("{}.<group>.<bench>", self.prefix),
            (name, _) => format!("{}.{name}[-<qualifier>].<variant>", self.prefix),
        }
    }

    /// `s` as an id of this metric, when its rules accept it.
    fn parse(&'static self, s: &str) -> Option<Id> {
        let rest = s.strip_prefix(self.prefix)?.strip_prefix('.')?;
        let (qualifier, variant) = if self.name.is_empty() {
            let (q, v) = rest.split_once('.')?;
            (Some(q), v)
        } else {
            let rest = rest.strip_prefix(self.name)?;
            match rest.strip_prefix('.') {
                Some(v) => (None, v),
                None => {
                    let (q, v) = rest.strip_prefix('-')?.split_once('.')?;
                    (Some(q), v)
                }
            }
        };
        let qualified = match qualifier {
            Some(q) => self.qualifiers.accepts(q),
            None => self.qualifiers.optional(),
        };
        (qualified && self.variants.accepts(variant)).then(|| Id {
            metric: self,
            qualifier: qualifier.map(|q| Cow::Owned(q.to_owned())),
            variant: Cow::Owned(variant.to_owned()),
        })
    }

    /// The id of this metric for a catalogue variant.
    pub const fn id(&'static self, variant: &'static Variant) -> Id {
        Id {
            metric: self,
            qualifier: None,
            variant: Cow::Borrowed(variant.name),
        }
    }

    /// The same, qualified (`c10`, `dns`).
    pub const fn id_at(&'static self, qualifier: &'static str, variant: &'static Variant) -> Id {
        Id {
            metric: self,
            qualifier: Some(Cow::Borrowed(qualifier)),
            variant: Cow::Borrowed(variant.name),
        }
    }

    /// The id of this metric for a qualifier and variant named at run time (a section, a
    /// criterion group and bench, a concurrency).
    pub fn id_named(&'static self, qualifier: Option<&str>, variant: &str) -> Id {
        Id {
            metric: self,
            qualifier: qualifier.map(|q| Cow::Owned(q.to_owned())),
            variant: Cow::Owned(variant.to_owned()),
        }
    }

    /// What an observation of `variant` is about; labelled "<variant>: <metric>".
    pub fn of(&'static self, variant: &'static Variant) -> Subject {
        Subject::new(
            self.id(variant),
            format!("{}: {}", variant.label, self.label),
        )
    }

    /// The same, for a variant named at run time (a section, a criterion bench).
    pub fn named(&'static self, variant: impl AsRef<str>, label: impl Into<String>) -> Subject {
        Subject::new(self.id_named(None, variant.as_ref()), label)
    }

    /// The same metric qualified (`c10`, `dns`, a criterion group).
    pub fn at(&'static self, qualifier: impl Into<String>) -> Qualified {
        Qualified {
            metric: self,
            qualifier: qualifier.into(),
        }
    }
}

/// The qualifier of a concurrency: `c10`.
pub fn concurrency(n: usize) -> String {
    format!("c{n}")
}

/// A qualified metric (`load.rps-c10`), on its way to a [`Subject`].
pub struct Qualified {
    metric: &'static Metric,
    qualifier: String,
}

impl Qualified {
    pub fn of(&self, variant: &'static Variant) -> Subject {
        self.named(
            variant.name,
            format!("{}: {}", variant.label, self.metric.label),
        )
    }

    pub fn named(&self, variant: impl AsRef<str>, label: impl Into<String>) -> Subject {
        Subject::new(
            self.metric
                .id_named(Some(&self.qualifier), variant.as_ref()),
            label,
        )
    }
}

/// What one observation is about (its id and label), before its outcome is known: the
/// one way an [`Observation`](crate::results::Observation) is made (its outcomes are in
/// `results`, beside the observation they make).
#[derive(Debug, Clone)]
pub struct Subject {
    pub id: Id,
    pub label: String,
}

impl Subject {
    pub fn new(id: Id, label: impl Into<String>) -> Self {
        Self {
            id,
            label: label.into(),
        }
    }

    /// The same subject with the label a reader sees in a table.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }
}

macro_rules! metrics {
    ($($(#[$doc:meta])* $name:ident = $prefix:literal . $metric:literal $([$q:ident])? $(<$v:ident>)?: $kind:ident, $unit:ident, $better:ident, $label:literal;)*) => {
        $($(#[$doc])* pub const $name: Metric = Metric {
            prefix: $prefix,
            name: $metric,
            qualifiers: metrics!(@q $($q)?),
            variants: metrics!(@v $($v)?),
            kind: Kind::$kind,
            unit: Unit::$unit,
            better: Better::$better,
            label: $label,
        };)*
        /// Every metric of the catalogue.
        pub const ALL: &[&Metric] = &[$(&$name),*];
    };
    (@q $q:ident) => { Qualifiers::$q };
    (@q) => { Qualifiers::None };
    (@v $v:ident) => { Variants::$v };
    (@v) => { Variants::Catalogue };
}

macro_rules! variants {
    ($($(#[$doc:meta])* $name:ident = $id:literal, $label:literal;)*) => {
        $($(#[$doc])* pub const $name: Variant = Variant { name: $id, label: $label };)*
        /// Every variant of the catalogue but the engines' (see [`all_variants`]).
        pub const VARIANTS: &[&Variant] = &[$(&$name),*];
    };
}

metrics! {
    /// File size of a built artifact.
    SIZE_BINARY = "size"."binary": Size, Bytes, Lower, "file size";
    /// An image as its tool sizes it.
    SIZE_IMAGE = "size"."image": Size, Bytes, Lower, "image size";
    /// One section of an artifact; the variant is `<artifact>.<section>`.
    SIZE_SECTION = "size"."section" <Section>: Size, Bytes, Lower, "section size";
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
    /// The resident set of a server container's shim and its children, outside the cgroup.
    MEMORY_SERVER_SHIM_RSS = "memory"."server-shim-rss": Memory, Bytes, Lower, "server container's shim resident set (VmRSS)";
    /// A server container as a whole: its cgroup and its shim's resident set.
    MEMORY_SERVER_CONTAINER_TOTAL = "memory"."server-container-total": Memory, Bytes, Lower, "server container cgroup + its shim's RSS";
    /// The guest's linear memory after `_start`.
    MEMORY_LINEAR = "memory"."linear": Memory, Bytes, Lower, "linear memory after _start";
    /// What one instance adds to the host's resident memory.
    MEMORY_HOST_RSS_GROWTH = "memory"."host-rss-growth": Memory, Bytes, Lower, "host RSS growth per instance";
    /// Launch to the first 200 of a server.
    READY_SERVER = "ready"."server": Operation, Seconds, Lower, "start until the first 200";
    STOP_SERVER = "stop"."server": Operation, Seconds, Lower, "graceful stop";
    /// wrk at a concurrency (qualifier `c<N>`).
    LOAD_RPS = "load"."rps" [Concurrency]: Load, PerSecond, Higher, "requests/s";
    LOAD_LATENCY_P50 = "load"."latency-p50" [Concurrency]: Load, Seconds, Lower, "latency p50";
    LOAD_LATENCY_P99 = "load"."latency-p99" [Concurrency]: Load, Seconds, Lower, "latency p99";
    /// Socket errors and non-2xx/3xx answers per second of a wrk run.
    LOAD_ERRORS = "load"."errors" [Concurrency]: Load, PerSecond, Lower, "errors/s (socket, non-2xx/3xx)";
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
    SPIN_COLD = "spin"."cold" [CurlPhase]: Operation, Seconds, Lower, "cold request";
    SPIN_WARM = "spin"."warm" [CurlPhase]: Operation, Seconds, Lower, "warm request";
    SPIN_KEEPALIVE = "spin"."warm-keepalive": Operation, Seconds, Lower, "warm request on a kept-alive connection";
    SPIN_DEPLOY = "spin"."deploy": Operation, Seconds, Lower, "spin deploy, end to end";
    /// Concurrent task starts through containerd's API (runwasi's stress test), C in flight:
    /// qualifier `c<C>`.
    STRESS_TASKS_PER_SECOND = "stress"."tasks-per-second" [Concurrency]: Load, PerSecond, Higher, "tasks/s (create, start, wait, delete)";
    STRESS_START_LATENCY = "stress"."start-latency" [Concurrency]: Load, Seconds, Lower, "one task, create to deleted";
    /// One run of the service in each of its contexts, its output kept (`shown`).
    CONTEXT_CLI = "context"."cli": Operation, Seconds, Lower, "MODE=once: the JSON line";
    CONTEXT_WAGI_PAGE = "context"."wagi-page": Operation, Seconds, Lower, "WAGI GET /: the page";
    CONTEXT_WAGI_NOT_FOUND = "context"."wagi-not-found": Operation, Seconds, Lower, "WAGI GET /no-such-page: 404";
    /// The server context as a client sees it: `curl -i` of its two routes, timed together.
    CONTEXT_SERVER = "context"."server": Operation, Seconds, Lower, "HTTP server: curl -i /api/time, then /";
    /// A criterion bench: qualifier its group, variant its name.
    CRITERION = "criterion"."" [Group] <Bench>: InProcess, Seconds, Lower, "criterion bench";
}

variants! {
    // Artifacts.
    NATIVE_BINARY = "native", "native binary (static, musl)";
    WASM_MODULE = "wasm", "wasm module (wasm32-wasip1)";
    WASI_HTTP_COMPONENT = "wasi-http-component", "wasi:http component (wasm32-wasip2)";
    WASM_PRECOMPILED = "wasm-precompiled", "wasm module precompiled (cranelift, x86-64)";
    /// A Go app's module built with TinyGo, the lab's own compiler, beside standard Go's.
    TINYGO_MODULE = "tinygo", "wasm module (TinyGo, wasip1)";
    // Images.
    CTR_WASM_IMAGE = "ctr-wasm", "wasm image in containerd";
    CTR_NATIVE_IMAGE = "ctr-native", "native image in containerd";
    // Processes and runtimes.
    FLOOR = "floor", "floor: static binary that does nothing";
    NATIVE_PROCESS = "native-process", "native process";
    NATIVE_PROCESS_ALONE = "native-process-alone", "native process, back to back, timed by measure";
    NATIVE_PROCESS_HYPERFINE = "native-process-hyperfine", "native process, back to back, timed by hyperfine";
    WASMTIME_CLI = "wasmtime-cli", "wasm, wasmtime CLI, its defaults";
    WASMTIME_CLI_JIT = "wasmtime-cli-jit", "wasm, wasmtime CLI, cache off";
    WASMTIME_CLI_AOT = "wasmtime-cli-aot", "wasm, wasmtime CLI, precompiled";
    DOCKER = "docker", "docker";
    CTR_RUNC = "ctr-runc", "ctr + runc";
    CTR_WASMTIME_REUSE = "ctr-wasmtime-reuse", "ctr + wasmtime shim, an instance reused for up to 128 requests";
    /// The wasi:http@0.3 component's image under the shim, instances taking several
    /// requests at once.
    CTR_WASMTIME_P3 = "ctr-wasmtime-p3", "ctr + wasmtime shim, wasi:http@0.3 component, an instance reused for up to 128 requests, up to 16 at once";
    TINYGO_EMBEDDED_WASMTIME = "tinygo-embedded-wasmtime-jit", "TinyGo module, embedded wasmtime (cranelift), compiled at start";
    TINYGO_EMBEDDED_WASMI = "tinygo-embedded-wasmi", "TinyGo module, embedded wasmi (interpreter)";
    // Servers.
    EMBEDDED_WAGI = "embedded-wagi", "embedded WAGI host (measure wagi, not Spin)";
    SPIN = "spin", "Spin (spin up, WAGI executor)";
    SPIN_HTTP = "spin-http", "Spin (spin up, wasi:http component)";
    WASI_HTTP_POOLING = "wasi-http-pooling", "wasi:http component, embedded host (pooling allocator)";
    WASI_HTTP_ONDEMAND = "wasi-http-ondemand", "wasi:http component, embedded host (on-demand allocator)";
    WASI_HTTP_REUSE = "wasi-http-reuse", "wasi:http component, embedded host, an instance reused for up to 128 requests";
    /// The service built for wasi:http@0.3, whose async handler an instance may run
    /// several times at once.
    WASI_HTTP_P3 = "wasi-http-p3", "wasi:http@0.3 component, embedded host, an instance reused for up to 128 requests, up to 16 at once";
    WASMTIME_SERVE = "wasmtime-serve", "wasi:http component, wasmtime serve (its defaults)";
    REMOTE = "remote", "remote Spin deployment ($SPIN_URL)";
}

/// How many requests an instance serves in the reusing variants ([`WASI_HTTP_REUSE`],
/// [`CTR_WASMTIME_REUSE`]; their labels say it): `wasmtime serve`'s default for WASI 0.3
/// components. With 0.2 components they are served one after another.
pub const REUSED_REQUESTS: usize = 128;

/// How many requests a reused instance of a wasi:http@0.3 component serves at once
/// ([`WASI_HTTP_P3`], [`CTR_WASMTIME_P3`]): `wasmtime serve`'s default.
pub const REQUESTS_AT_ONCE: usize = 16;

/// One engine's variants: in the embedded host (a start that compiles or translates, one
/// from the precompiled module, its in-process phases) and, for wasmtime's engines, under
/// the containerd shim. Made by [`engines!`] from one row per engine.
pub struct EngineVariants {
    /// The engine's name, as `measure exec --engine` and the shim's contract take it.
    pub engine: &'static str,
    /// Its name in a sentence: "cranelift", "Winch".
    pub name: &'static str,
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

/// The engine table: one row per engine, from which its variants' constants, ids and labels
/// follow, and [`ENGINES`] lists them in row order.
///
/// A row: `CONST = "engine" "Name", "label", host "<as a label names it>", id "<in ids>"`, the
/// constants of its phases, start and precompiled start (`embedded (PHASES, START, AOT)`;
/// an engine with no precompiled form and no compile step gives one constant, used for
/// its start and its phases), and for an engine of the shim its constants there (`shim
/// "<id suffix>" "<label suffix>" (RUNTIME, FIRST, CACHED)`). Ids: `embedded-<id>`,
/// `embedded-<id>-jit`, `embedded-<id>-aot`, `ctr-wasmtime<suffix>[-first|-cached]`.
macro_rules! engines {
    ($($(#[$doc:meta])* $row:ident = $engine:literal $name:literal, $label:literal, host $host:literal, id $id:literal,
        embedded ($phases:ident $(, $start:ident, $aot:ident)?)
        $(, shim $suffix:literal $shim_label:literal ($runtime:ident, $first:ident, $cached:ident))?;)*) => {
        $(
            engines!(@embedded $host, $id, $phases $(, $start, $aot)?);
            $(
                pub const $runtime: Variant = Variant {
                    name: concat!("ctr-wasmtime", $suffix),
                    label: concat!("ctr + wasmtime shim", $shim_label),
                };
                pub const $first: Variant = Variant {
                    name: concat!("ctr-wasmtime", $suffix, "-first"),
                    label: concat!("ctr + wasmtime shim", $shim_label, ", first start"),
                };
                pub const $cached: Variant = Variant {
                    name: concat!("ctr-wasmtime", $suffix, "-cached"),
                    label: concat!("ctr + wasmtime shim", $shim_label, ", module cached"),
                };
            )?
            $(#[$doc])*
            pub const $row: EngineVariants = EngineVariants {
                engine: $engine,
                name: $name,
                label: $label,
                start: engines!(@start $phases $(, $start)?),
                precompiled: engines!(@aot $($aot)?),
                phases: &$phases,
                shim: engines!(@shim $($runtime, $first, $cached)?),
            };
        )*
        /// Every engine, in the table's order: cranelift first (wasmtime's default and the
        /// lab's own figures).
        pub const ENGINES: &[EngineVariants] = &[$($row),*];
    };
    (@embedded $host:literal, $id:literal, $phases:ident, $start:ident, $aot:ident) => {
        pub const $phases: Variant = Variant {
            name: concat!("embedded-", $id),
            label: concat!("embedded ", $host),
        };
        pub const $start: Variant = Variant {
            name: concat!("embedded-", $id, "-jit"),
            label: concat!("wasm, embedded ", $host, ", compiled at start"),
        };
        pub const $aot: Variant = Variant {
            name: concat!("embedded-", $id, "-aot"),
            label: concat!("wasm, embedded ", $host, ", precompiled"),
        };
    };
    (@embedded $host:literal, $id:literal, $phases:ident) => {
        pub const $phases: Variant = Variant {
            name: concat!("embedded-", $id),
            label: concat!("wasm, embedded ", $host),
        };
    };
    (@start $phases:ident, $start:ident) => { &$start };
    (@start $phases:ident) => { &$phases };
    (@aot $aot:ident) => { Some(&$aot) };
    (@aot) => { None };
    (@shim $runtime:ident, $first:ident, $cached:ident) => {
        Some(ShimVariants { runtime: &$runtime, first: &$first, cached: &$cached })
    };
    (@shim) => { None };
}

engines! {
    /// wasmtime's optimizing compiler, its default. An id without an engine's name is
    /// cranelift's (`embedded-wasmtime-jit`, `ctr-wasmtime-first`).
    CRANELIFT = "cranelift" "cranelift", "wasmtime, cranelift", host "wasmtime (cranelift)", id "wasmtime",
        embedded (EMBEDDED_WASMTIME, EMBEDDED_WASMTIME_JIT, EMBEDDED_WASMTIME_AOT),
        shim "" "" (CTR_WASMTIME, CTR_WASMTIME_FIRST, CTR_WASMTIME_CACHED);
    /// wasmtime's baseline compiler: one pass, quicker to compile, slower code.
    WINCH = "winch" "Winch", "wasmtime, Winch", host "wasmtime with Winch", id "winch",
        embedded (EMBEDDED_WINCH, EMBEDDED_WINCH_JIT, EMBEDDED_WINCH_AOT),
        shim "-winch" " (Winch)" (CTR_WASMTIME_WINCH, CTR_WASMTIME_WINCH_FIRST, CTR_WASMTIME_WINCH_CACHED);
    /// wasmtime's interpreter: the module is compiled to Pulley bytecode, cached like
    /// machine code.
    PULLEY = "pulley" "Pulley", "wasmtime, Pulley", host "wasmtime with Pulley", id "pulley",
        embedded (EMBEDDED_PULLEY, EMBEDDED_PULLEY_JIT, EMBEDDED_PULLEY_AOT),
        shim "-pulley" " (Pulley)" (CTR_WASMTIME_PULLEY, CTR_WASMTIME_PULLEY_FIRST, CTR_WASMTIME_PULLEY_CACHED);
    /// wasmi, an interpreter: no compile step, no precompiled form, no shim.
    WASMI = "wasmi" "wasmi", "wasmi", host "wasmi (interpreter)", id "wasmi",
        embedded (EMBEDDED_WASMI);
}

impl EngineVariants {
    /// The engine named `name`.
    pub fn of(name: &str) -> Option<&'static EngineVariants> {
        ENGINES.iter().find(|e| e.engine == name)
    }

    /// Every variant of the engine, each once (an engine with no compile step starts and
    /// runs its phases under one variant).
    pub fn all(&self) -> impl Iterator<Item = &'static Variant> {
        let shim = self
            .shim
            .iter()
            .flat_map(|s| [s.runtime, s.first, s.cached]);
        let start = (!std::ptr::eq(self.start, self.phases)).then_some(self.start);
        start
            .into_iter()
            .chain([self.phases])
            .chain(self.precompiled)
            .chain(shim)
            .collect::<Vec<_>>()
            .into_iter()
    }
}

/// Every variant the catalogue names: [`VARIANTS`] and the engines' (sections and criterion
/// benches are named at run time).
pub fn all_variants() -> impl Iterator<Item = &'static Variant> {
    VARIANTS
        .iter()
        .copied()
        .chain(ENGINES.iter().flat_map(|e| e.all()))
}

/// The section name of what no section of an artifact covers (headers, padding, section
/// tables), so an artifact's `SIZE_SECTION` rows sum to its file size.
pub const SECTION_UNCOVERED: &str = "headers-and-padding";

/// The variant of the catalogue named `name`: one of [`VARIANTS`] or of an engine's.
pub fn variant(name: &str) -> Option<&'static Variant> {
    all_variants().find(|v| v.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reusing_variants_say_how_many_requests_an_instance_serves() {
        let reusing = [
            &WASI_HTTP_REUSE,
            &CTR_WASMTIME_REUSE,
            &WASI_HTTP_P3,
            &CTR_WASMTIME_P3,
        ];
        for variant in reusing {
            let said = format!("up to {REUSED_REQUESTS} requests");
            assert!(variant.label.contains(&said), "{}", variant.label);
        }
        for variant in [&WASI_HTTP_P3, &CTR_WASMTIME_P3] {
            let said = format!("up to {REQUESTS_AT_ONCE} at once");
            assert!(variant.label.contains(&said), "{}", variant.label);
        }
    }

    #[test]
    fn metric_ids_are_unique_and_variants_too() {
        let mut ids: Vec<String> = ALL.iter().map(|m| m.metric_part(None)).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "a metric id is declared twice");
        let mut names: Vec<&str> = all_variants().map(|v| v.name).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "a variant is declared twice");
    }

    /// Every id each metric can make, with a sample of each of its qualifiers and variants.
    fn samples(m: &'static Metric) -> Vec<Id> {
        let qualifiers: Vec<Option<&str>> = match m.qualifiers {
            Qualifiers::None => vec![None],
            Qualifiers::Concurrency => vec![None, Some("c1"), Some("c64")],
            Qualifiers::CurlPhase => std::iter::once(None)
                .chain(CURL_PHASES.iter().copied().map(Some))
                .collect(),
            Qualifiers::Group => vec![Some("wasm"), Some("wasi_http")],
        };
        let variants: Vec<String> = match m.variants {
            Variants::Catalogue => all_variants().map(|v| v.name.to_owned()).collect(),
            Variants::Section => vec!["native.text".into(), "wasm.custom".into()],
            Variants::Bench => vec!["compile".into(), "one_request".into()],
        };
        qualifiers
            .iter()
            .flat_map(|q| variants.iter().map(move |v| m.id_named(*q, v)))
            .collect()
    }

    #[test]
    fn every_id_of_every_metric_parses_back_to_it_alone() {
        for metric in ALL {
            for id in samples(metric) {
                let text = id.to_string();
                assert_eq!(text.parse::<Id>(), Ok(id.clone()), "{text}");
            }
        }
    }

    /// Two metrics of one prefix where one's name begins with the other's and a `-`
    /// (`spin.cold` and `spin.cold-start`) are told apart only by the shorter one's
    /// qualifier rule refusing the rest of the longer name; this holds for every such pair,
    /// so a new metric cannot be filed under an older one by the order of a search.
    #[test]
    fn no_metric_name_is_another_qualified_unless_the_catalogue_parts_them() {
        for a in ALL {
            for b in ALL {
                if a == b || a.prefix != b.prefix {
                    continue;
                }
                let rest = if a.name.is_empty() {
                    Some(b.name)
                } else {
                    b.name
                        .strip_prefix(a.name)
                        .and_then(|r| r.strip_prefix('-'))
                };
                if let Some(rest) = rest {
                    assert!(
                        !a.qualifiers.accepts(rest),
                        "{} reads as {} at qualifier {rest:?}",
                        b.metric_part(None),
                        a.metric_part(None)
                    );
                }
            }
        }
    }

    #[test]
    fn ids_print_and_parse_as_the_file_writes_them() {
        assert_eq!(
            STARTUP_CLI.id(&CTR_RUNC).to_string(),
            "startup.cli.ctr-runc"
        );
        assert_eq!(
            LOAD_RPS.id_at("c10", &DOCKER).to_string(),
            "load.rps-c10.docker"
        );
        let id = CRITERION.id_named(Some("wasm"), "compile");
        assert_eq!(id.to_string(), "criterion.wasm.compile");
        for (text, metric, qualifier) in [
            ("startup.cli.docker", &STARTUP_CLI, None),
            ("memory.cli-peak-rss.floor", &MEMORY_CLI_PEAK_RSS, None),
            ("memory.cli-peak.ctr-runc", &MEMORY_CLI_PEAK, None),
            ("load.rps-c50.docker", &LOAD_RPS, Some("c50")),
            ("load.errors-c1.spin", &LOAD_ERRORS, Some("c1")),
            ("spin.cold.spin", &SPIN_COLD, None),
            ("spin.cold-dns.remote", &SPIN_COLD, Some("dns")),
            ("spin.cold-start.spin", &SPIN_COLD_START, None),
            ("spin.warm-keepalive.spin", &SPIN_KEEPALIVE, None),
            ("size.section.native.text", &SIZE_SECTION, None),
            ("criterion.wasm.compile", &CRITERION, Some("wasm")),
        ] {
            let id: Id = text.parse().unwrap();
            assert!(id.is_of(metric, qualifier), "{text}");
            assert_eq!(id.to_string(), text);
        }
        let section: Id = "size.section.native.text".parse().unwrap();
        assert_eq!(section.variant, "native.text");
        assert_eq!(section.section(), Some((&NATIVE_BINARY, "text")));
        let dotted: Id = "size.section.wasm.custom.name".parse().unwrap();
        assert_eq!(dotted.section(), Some((&WASM_MODULE, "custom.name")));
        assert_eq!(STARTUP_CLI.id(&DOCKER).section(), None);
        assert_eq!(
            "load.rps-c16.docker".parse::<Id>().unwrap().concurrency(),
            Some(16)
        );
    }

    /// The engine table derives the ids earlier results files hold.
    #[test]
    fn engine_rows_make_the_ids_of_earlier_runs() {
        let names = |e: &EngineVariants| e.all().map(|v| v.name).collect::<Vec<_>>();
        assert_eq!(
            names(&CRANELIFT),
            [
                "embedded-wasmtime-jit",
                "embedded-wasmtime",
                "embedded-wasmtime-aot",
                "ctr-wasmtime",
                "ctr-wasmtime-first",
                "ctr-wasmtime-cached"
            ]
        );
        assert_eq!(names(&WINCH)[4], "ctr-wasmtime-winch-first");
        assert_eq!(names(&WASMI), ["embedded-wasmi"]);
        assert_eq!(
            ENGINES.iter().map(|e| e.engine).collect::<Vec<_>>(),
            ["cranelift", "winch", "pulley", "wasmi"]
        );
    }

    #[test]
    fn unknown_and_malformed_ids_are_errors() {
        for text in [
            "nothing.here.at-all",
            "a.b",
            "startup.cli.no-such-runtime",
            "load.rps-c0.docker",
            "load.rps-c01.docker",
            "load.rps-x.docker",
            "spin.cold-start-dns.spin",
            "criterion.wasm",
            "size.section.nowhere.text",
            "startup.cli-c10.docker",
        ] {
            let err = text.parse::<Id>().expect_err(text);
            assert!(err.to_string().contains(text), "{err}");
        }
    }
}

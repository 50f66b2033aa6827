//! What the write-up shows, named through the catalogue: the figures each lab section lists,
//! the pairs the comparison, the analysis and the decision matrix weigh, and the reading of
//! an observation id into its metric, qualifier and variant. Every id the report names comes
//! from here or from `wasmlab_model::metric`, so a renamed metric is a compile error.

use wasmlab_model::metric::{
    EngineVariants, Id, Metric, Variant, BUILD_IMAGE, CONTEXT_CLI, CONTEXT_SERVER,
    CONTEXT_WAGI_NOT_FOUND, CONTEXT_WAGI_PAGE, CTR_NATIVE_IMAGE, CTR_RUNC, CTR_WASMTIME,
    CTR_WASMTIME_CACHED, CTR_WASMTIME_FIRST, CTR_WASM_IMAGE, DOCKER, EMBEDDED_WAGI,
    EMBEDDED_WASMTIME, EMBEDDED_WASMTIME_AOT, EMBEDDED_WASMTIME_JIT, ENGINES, FLOOR,
    LOAD_LATENCY_P50, LOAD_RPS, MEMORY_CLI_CONTAINER_TOTAL, MEMORY_CLI_PEAK, MEMORY_CLI_PEAK_RSS,
    MEMORY_CLI_SHIM_PEAK, MEMORY_HOST_RSS_GROWTH, MEMORY_LINEAR, MEMORY_SERVER_CGROUP,
    MEMORY_SERVER_CONTAINER_TOTAL, MEMORY_SERVER_DOCKER_STATS, MEMORY_SERVER_PEAK_RSS,
    MEMORY_SERVER_RSS, MEMORY_SERVER_SHIM_RSS, NATIVE_BINARY, NATIVE_PROCESS, NATIVE_PROCESS_ALONE,
    NATIVE_PROCESS_HYPERFINE, PHASE_COMPILE, PHASE_INSTANTIATE, PHASE_LOAD_PRECOMPILED, PHASE_RUN,
    READY_SERVER, SERVER_CONTEXT_EXIT, SIZE_BINARY, SIZE_IMAGE, SPIN, SPIN_COLD, SPIN_COLD_START,
    SPIN_DEPLOY, SPIN_KEEPALIVE, SPIN_WARM, STARTUP_CLI, STOP_SERVER, THROUGHPUT_CONTAINER_STARTS,
    WASI_HTTP_ONDEMAND, WASI_HTTP_POOLING, WASMTIME_CLI, WASMTIME_CLI_AOT, WASMTIME_CLI_JIT,
    WASMTIME_SERVE, WASM_MODULE,
};
use wasmlab_model::results::{Observation, Results};

/// The measured observations of `metric` at `qualifier`, each with its variant, in the
/// order of the results file.
pub fn measured_series<'a>(
    results: &'a Results,
    metric: &'a Metric,
    qualifier: Option<&'a str>,
) -> impl Iterator<Item = (&'a Observation, String)> + 'a {
    results
        .observations
        .iter()
        .filter(|o| o.is_measured() && o.summary.is_some())
        .filter(move |o| o.id.is_of(metric, qualifier))
        .map(|o| (o, o.id.variant.to_string()))
}

/// The catalogue's name of an id's variant, or the id's own when it has none (a section,
/// a bench): what tables, charts and sentences call a runtime or server.
pub fn variant_label(id: &Id) -> String {
    id.catalogued_variant()
        .map_or_else(|| id.variant.to_string(), |v| v.label.to_owned())
}

/// The metrics of the Spin (HTTP request) probe, which tables of their own show.
#[cfg(test)]
const SPIN_METRICS: [&Metric; 5] = [
    &SPIN_COLD_START,
    &SPIN_COLD,
    &SPIN_WARM,
    &SPIN_KEEPALIVE,
    &SPIN_DEPLOY,
];

/// The series whose totals the report shows; curl's phases of them are qualified
/// (`spin.cold-dns.<host>`).
pub const SPIN_TOTALS: [&Metric; 4] = [&SPIN_COLD_START, &SPIN_COLD, &SPIN_WARM, &SPIN_KEEPALIVE];

/// The series whose requests curl splits into phases (`spin.cold-dns.<host>`).
pub const SPIN_PHASED: [&Metric; 2] = [&SPIN_COLD, &SPIN_WARM];

/// The memory readings as the page tables them: one CLI run, a serving server, and inside
/// the runtime; every memory metric of the catalogue is in one of them.
pub const MEMORY_TABLES: [(&str, &[&Metric]); 3] = [
    (
        "One CLI run",
        &[
            &MEMORY_CLI_PEAK_RSS,
            &MEMORY_CLI_PEAK,
            &MEMORY_CLI_SHIM_PEAK,
            &MEMORY_CLI_CONTAINER_TOTAL,
        ],
    ),
    (
        "A server, after it answered",
        &[
            &MEMORY_SERVER_RSS,
            &MEMORY_SERVER_PEAK_RSS,
            &MEMORY_SERVER_CGROUP,
            &MEMORY_SERVER_SHIM_RSS,
            &MEMORY_SERVER_CONTAINER_TOTAL,
            &MEMORY_SERVER_DOCKER_STATS,
        ],
    ),
    (
        "Inside the runtime",
        &[&MEMORY_LINEAR, &MEMORY_HOST_RSS_GROWTH],
    ),
];

/// One-off operations timed whole, a matrix per kind of subject, so no matrix is mostly
/// empty: a server's image build, start and stop; the preview 1 server context under ctr
/// and back-to-back container starts.
pub const OPERATIONS: [&[&Metric]; 2] = [
    &[&BUILD_IMAGE, &READY_SERVER, &STOP_SERVER],
    &[&SERVER_CONTEXT_EXIT, &THROUGHPUT_CONTAINER_STARTS],
];

/// The series of a Spin total (cold start, cold, warm, kept alive), or None for another id,
/// including the per-phase splits.
pub fn spin_total(id: &Id) -> Option<&'static Metric> {
    (id.qualifier.is_none() && SPIN_TOTALS.contains(&id.metric)).then_some(id.metric)
}

/// The in-process phases, in the order they happen: a column each in the engine × phase
/// matrix.
pub const PHASES: [&Metric; 4] = [
    &PHASE_COMPILE,
    &PHASE_LOAD_PRECOMPILED,
    &PHASE_INSTANTIATE,
    &PHASE_RUN,
];

/// The floor's startup, the reference of the "× floor" column.
pub const FLOOR_STARTUP: Id = STARTUP_CLI.id(&FLOOR);

/// The variants of the engines besides cranelift (wasmtime's default, the lab's own
/// figures): their section shows them, the lab's tables and charts do not.
fn other_engines() -> impl Iterator<Item = &'static Variant> {
    ENGINES[1..].iter().flat_map(EngineVariants::all)
}

/// A startup figure the engines chart shows: every engine's, beside the native process
/// and runc.
pub fn is_engine_startup(id: &Id) -> bool {
    startup_variant(id).is_some_and(|v| {
        ENGINES
            .iter()
            .flat_map(EngineVariants::all)
            .chain([&NATIVE_PROCESS, &CTR_RUNC])
            .any(|o| o.name == v)
    })
}

/// A figure, of any metric, of an engine other than cranelift: the lab's own sections leave
/// it to the engines section, which weighs the engines against each other.
pub fn is_other_engine(id: &Id) -> bool {
    other_engines().any(|o| o.name == id.variant)
}

fn startup_variant(id: &Id) -> Option<&str> {
    id.is_of(&STARTUP_CLI, None).then_some(&*id.variant)
}

/// The native binary timed back to back by `measure` and by hyperfine: the cross-check.
pub const CROSSCHECK: [Id; 2] = [
    STARTUP_CLI.id(&NATIVE_PROCESS_ALONE),
    STARTUP_CLI.id(&NATIVE_PROCESS_HYPERFINE),
];
/// The preview 1 module started in its server context under ctr: its exit and message.
pub const P1_SERVER: Id = SERVER_CONTEXT_EXIT.id(&CTR_WASMTIME);
/// `spin deploy`, end to end.
pub const SPIN_DEPLOY_TIME: Id = SPIN_DEPLOY.id(&SPIN);
/// The remote Spin deployment's cold series, skipped without `$SPIN_URL`.
pub const SPIN_REMOTE_COLD: Id = SPIN_COLD.id(&wasmlab_model::metric::REMOTE);
/// The traditional server's first 200.
pub const DOCKER_READY: Id = READY_SERVER.id(&DOCKER);
/// Server-ready observations of the WASM servers, when their probes ran.
pub const WASI_HTTP_READY: &[Id] = &[
    READY_SERVER.id(&WASI_HTTP_POOLING),
    READY_SERVER.id(&WASI_HTTP_ONDEMAND),
    READY_SERVER.id(&WASMTIME_SERVE),
];
pub const WAGI_READY: &[Id] = &[READY_SERVER.id(&EMBEDDED_WAGI), READY_SERVER.id(&SPIN)];
/// The native server process's resident set.
pub const NATIVE_SERVER_RSS: Id = MEMORY_SERVER_RSS.id(&NATIVE_PROCESS);
/// The concurrency the comparison and the analysis quote a server's rate at.
pub const AT_C10: &str = "c10";

/// Two sides of a comparison: candidate keys per side, the first measured stands for it.
pub struct Pair {
    pub traditional: &'static [Id],
    pub wasm: &'static [Id],
}

impl Pair {
    /// The first measured observation of each side, when both sides have one.
    pub fn measured<'a>(&self, results: &'a Results) -> Option<(&'a Observation, &'a Observation)> {
        Some((
            results.measured(self.traditional)?,
            results.measured(self.wasm)?,
        ))
    }
}

pub const BINARY_SIZE: Pair = Pair {
    traditional: &[SIZE_BINARY.id(&NATIVE_BINARY)],
    wasm: &[SIZE_BINARY.id(&WASM_MODULE)],
};
pub const IMAGE_SIZE: Pair = Pair {
    traditional: &[SIZE_IMAGE.id(&DOCKER)],
    wasm: &[SIZE_IMAGE.id(&CTR_WASM_IMAGE)],
};
pub const IMAGES_IN_CONTAINERD: Pair = Pair {
    traditional: &[SIZE_IMAGE.id(&CTR_NATIVE_IMAGE)],
    wasm: &[SIZE_IMAGE.id(&CTR_WASM_IMAGE)],
};
pub const STARTUP_AS_THE_LAB_RUNS_IT: Pair = Pair {
    traditional: &[STARTUP_CLI.id(&DOCKER)],
    wasm: &[
        STARTUP_CLI.id(&CTR_WASMTIME_CACHED),
        STARTUP_CLI.id(&CTR_WASMTIME_FIRST),
    ],
};
pub const STARTUP_FIRST: Pair = Pair {
    traditional: &[STARTUP_CLI.id(&CTR_RUNC)],
    wasm: &[STARTUP_CLI.id(&CTR_WASMTIME_FIRST)],
};
pub const STARTUP_CACHED: Pair = Pair {
    traditional: &[STARTUP_CLI.id(&CTR_RUNC)],
    wasm: &[STARTUP_CLI.id(&CTR_WASMTIME_CACHED)],
};
pub const STARTUP_NO_CONTAINER: Pair = Pair {
    traditional: &[STARTUP_CLI.id(&NATIVE_PROCESS)],
    wasm: &[STARTUP_CLI.id(&EMBEDDED_WASMTIME_AOT)],
};
/// Both bare processes on loopback, under the same wrk and pinning: the native server
/// against the wasi:http component in the embedded host. The docker server is not a side
/// here: its requests also cross docker's port forwarding, which no wasm server did.
pub const THROUGHPUT: Pair = Pair {
    traditional: &[LOAD_RPS.id_at(AT_C10, &NATIVE_PROCESS)],
    wasm: &[
        LOAD_RPS.id_at(AT_C10, &WASI_HTTP_POOLING),
        LOAD_RPS.id_at(AT_C10, &WASMTIME_SERVE),
    ],
};
/// One request at a time (wrk's median latency at one connection), the same two servers.
pub const LATENCY_ONE_CONNECTION: Pair = Pair {
    traditional: &[LOAD_LATENCY_P50.id_at(AT_C1, &NATIVE_PROCESS)],
    wasm: &[
        LOAD_LATENCY_P50.id_at(AT_C1, &WASI_HTTP_POOLING),
        LOAD_LATENCY_P50.id_at(AT_C1, &WASMTIME_SERVE),
    ],
};
/// A server container against a server container under one containerd, both on the host's
/// network: the native image under runc against the wasi:http component under the shim.
pub const THROUGHPUT_CONTAINER: Pair = Pair {
    traditional: &[LOAD_RPS.id_at(AT_C10, &CTR_RUNC)],
    wasm: &[LOAD_RPS.id_at(AT_C10, &CTR_WASMTIME)],
};
/// The same two containers' memory while serving: the cgroup and, outside it, the shim.
pub const MEMORY_SERVING_CONTAINER: Pair = Pair {
    traditional: &[MEMORY_SERVER_CONTAINER_TOTAL.id(&CTR_RUNC)],
    wasm: &[MEMORY_SERVER_CONTAINER_TOTAL.id(&CTR_WASMTIME)],
};
/// The docker server's rate, shown beside the like-for-like row and weighed against nothing.
pub const THROUGHPUT_DOCKER: Pair = Pair {
    traditional: &[LOAD_RPS.id_at(AT_C10, &DOCKER)],
    wasm: &[],
};
/// The same reading on both sides: VmRSS of every process of the serving group.
pub const MEMORY_SERVING: Pair = Pair {
    traditional: &[MEMORY_SERVER_RSS.id(&NATIVE_PROCESS)],
    wasm: &[MEMORY_SERVER_RSS.id(&WASI_HTTP_POOLING)],
};
/// `docker stats` of the docker server, as the lab asks: no wasm server ran under docker.
pub const MEMORY_SERVING_DOCKER_STATS: Pair = Pair {
    traditional: &[MEMORY_SERVER_DOCKER_STATS.id(&DOCKER)],
    wasm: &[],
};
/// One CLI container as a whole (its cgroup's peak plus its shim's peak RSS), runc against
/// the wasm shim with its module cached.
pub const MEMORY_CLI: Pair = Pair {
    traditional: &[MEMORY_CLI_CONTAINER_TOTAL.id(&CTR_RUNC)],
    wasm: &[MEMORY_CLI_CONTAINER_TOTAL.id(&CTR_WASMTIME_CACHED)],
};
/// The same, the shim compiling the module.
pub const MEMORY_CLI_FIRST: Pair = Pair {
    traditional: &[MEMORY_CLI_CONTAINER_TOTAL.id(&CTR_RUNC)],
    wasm: &[MEMORY_CLI_CONTAINER_TOTAL.id(&CTR_WASMTIME_FIRST)],
};
/// The cgroups alone, which hold different parts of the work on the two sides.
pub const MEMORY_CLI_CGROUP: Pair = Pair {
    traditional: &[MEMORY_CLI_PEAK.id(&CTR_RUNC)],
    wasm: &[MEMORY_CLI_PEAK.id(&CTR_WASMTIME_CACHED)],
};

/// Task 1: the three contexts, each run natively and as WebAssembly, output kept; with the
/// two ways each was run (the server context as the native server and the wasi:http
/// component, since the wasip1 module cannot listen).
pub const CONTEXTS: [(&Metric, [&Variant; 2]); 4] = [
    (&CONTEXT_CLI, PROCESS_RUNNERS),
    (&CONTEXT_WAGI_PAGE, PROCESS_RUNNERS),
    (&CONTEXT_WAGI_NOT_FOUND, PROCESS_RUNNERS),
    (&CONTEXT_SERVER, [&NATIVE_PROCESS, &WASI_HTTP_POOLING]),
];
/// The CLI and WAGI contexts: the native binary and the wasm module in the embedded wasmtime.
const PROCESS_RUNNERS: [&Variant; 2] = [&NATIVE_PROCESS, &EMBEDDED_WASMTIME];

/// Two probes that measure one quantity each their own way: the server probe's start until
/// the first 200 and the Spin probe's cold start; wrk's median latency at one connection
/// and curl's kept-alive and fresh-connection requests.
pub const READY_TWICE: [&Metric; 2] = [&READY_SERVER, &SPIN_COLD_START];
pub const LATENCY_P50: &Metric = &LOAD_LATENCY_P50;
/// The wrk concurrency comparable with one curl request at a time.
pub const AT_C1: &str = "c1";

/// One figure a lab section lists, and whether the hand-in write-up (lab12.md, which keeps
/// to what the lab asks) lists it too; the page lists every one.
pub struct Listed {
    pub key: Id,
    pub hand_in: bool,
}

/// Listed on the page and in the hand-in.
const fn both(key: Id) -> Listed {
    Listed { key, hand_in: true }
}

/// Listed on the page only.
const fn page(key: Id) -> Listed {
    Listed {
        key,
        hand_in: false,
    }
}

/// 2. The traditional container.
pub const TRADITIONAL: &[Listed] = &[
    both(SIZE_BINARY.id(&NATIVE_BINARY)),
    both(SIZE_IMAGE.id(&DOCKER)),
    page(BUILD_IMAGE.id(&DOCKER)),
    both(STARTUP_CLI.id(&DOCKER)),
    both(MEMORY_SERVER_DOCKER_STATS.id(&DOCKER)),
    page(MEMORY_SERVER_CGROUP.id(&DOCKER)),
    page(DOCKER_READY),
    both(STOP_SERVER.id(&DOCKER)),
];

/// 3. The WASM container, beside runc on the same containerd and the runtimes without one.
pub const WASM: &[Listed] = &[
    both(SIZE_BINARY.id(&WASM_MODULE)),
    both(SIZE_IMAGE.id(&CTR_WASM_IMAGE)),
    page(SIZE_IMAGE.id(&CTR_NATIVE_IMAGE)),
    both(STARTUP_CLI.id(&CTR_WASMTIME_FIRST)),
    both(STARTUP_CLI.id(&CTR_WASMTIME_CACHED)),
    both(STARTUP_CLI.id(&CTR_RUNC)),
    page(MEMORY_CLI_CONTAINER_TOTAL.id(&CTR_WASMTIME_FIRST)),
    both(MEMORY_CLI_CONTAINER_TOTAL.id(&CTR_WASMTIME_CACHED)),
    both(MEMORY_CLI_CONTAINER_TOTAL.id(&CTR_RUNC)),
    page(MEMORY_CLI_PEAK.id(&CTR_WASMTIME_CACHED)),
    page(MEMORY_CLI_SHIM_PEAK.id(&CTR_WASMTIME_CACHED)),
    page(MEMORY_CLI_PEAK.id(&CTR_RUNC)),
    page(MEMORY_CLI_SHIM_PEAK.id(&CTR_RUNC)),
    page(MEMORY_LINEAR.id(&EMBEDDED_WASMTIME)),
    page(THROUGHPUT_CONTAINER_STARTS.id(&CTR_WASMTIME)),
    page(THROUGHPUT_CONTAINER_STARTS.id(&CTR_RUNC)),
    page(STARTUP_CLI.id(&WASMTIME_CLI_JIT)),
    page(STARTUP_CLI.id(&WASMTIME_CLI)),
    page(STARTUP_CLI.id(&WASMTIME_CLI_AOT)),
    page(STARTUP_CLI.id(&EMBEDDED_WASMTIME_JIT)),
    page(STARTUP_CLI.id(&EMBEDDED_WASMTIME_AOT)),
    page(STARTUP_CLI.id(&NATIVE_PROCESS)),
];

#[cfg(test)]
mod tests {
    use super::*;
    use wasmlab_model::metric::EMBEDDED_WINCH_JIT;

    #[test]
    fn spin_totals_and_other_engines_are_told_by_their_ids() {
        assert_eq!(THROUGHPUT.wasm[0].metric, &LOAD_RPS);
        let cold_dns = SPIN_COLD.id_at("dns", &DOCKER);
        assert_eq!(spin_total(&SPIN_COLD.id(&DOCKER)), Some(&SPIN_COLD));
        assert_eq!(spin_total(&cold_dns), None);
        assert_eq!(spin_total(&STARTUP_CLI.id(&DOCKER)), None);
        assert!(is_other_engine(&STARTUP_CLI.id(&EMBEDDED_WINCH_JIT)));
        assert!(!is_other_engine(&STARTUP_CLI.id(&EMBEDDED_WASMTIME_JIT)));
    }

    #[test]
    fn every_memory_and_operation_metric_has_its_table() {
        use wasmlab_model::metric::{
            Kind, ALL, CONTEXT_CLI, CONTEXT_SERVER, CONTEXT_WAGI_NOT_FOUND, CONTEXT_WAGI_PAGE,
        };
        let tabled: Vec<&Metric> = MEMORY_TABLES
            .iter()
            .flat_map(|(_, m)| m.iter().copied())
            .collect();
        let elsewhere = [
            &CONTEXT_CLI,
            &CONTEXT_WAGI_PAGE,
            &CONTEXT_WAGI_NOT_FOUND,
            &CONTEXT_SERVER,
        ];
        for m in ALL {
            match m.kind {
                Kind::Memory => assert!(tabled.contains(m), "{} has no memory table", m.label),
                Kind::Operation if !SPIN_METRICS.contains(m) && !elsewhere.contains(m) => {
                    assert!(
                        OPERATIONS.iter().any(|t| t.contains(m)),
                        "{} is in no table",
                        m.label
                    )
                }
                _ => {}
            }
        }
    }

    #[test]
    fn every_key_the_report_names_is_the_catalogue_s() {
        let pairs = [
            BINARY_SIZE,
            IMAGE_SIZE,
            IMAGES_IN_CONTAINERD,
            STARTUP_AS_THE_LAB_RUNS_IT,
            STARTUP_FIRST,
            STARTUP_CACHED,
            STARTUP_NO_CONTAINER,
            THROUGHPUT,
            LATENCY_ONE_CONNECTION,
            THROUGHPUT_DOCKER,
            THROUGHPUT_CONTAINER,
            MEMORY_SERVING_CONTAINER,
            MEMORY_SERVING,
            MEMORY_SERVING_DOCKER_STATS,
            MEMORY_CLI,
            MEMORY_CLI_FIRST,
            MEMORY_CLI_CGROUP,
        ];
        let listed = TRADITIONAL.iter().chain(WASM).map(|l| l.key.clone());
        let paired = pairs
            .iter()
            .flat_map(|p| p.traditional.iter().chain(p.wasm));
        for key in listed
            .chain(paired.cloned())
            .chain([
                FLOOR_STARTUP,
                P1_SERVER,
                SPIN_DEPLOY_TIME,
                SPIN_REMOTE_COLD,
                DOCKER_READY,
                NATIVE_SERVER_RSS,
            ])
            .chain(WASI_HTTP_READY.iter().chain(WAGI_READY).cloned())
            .chain(CROSSCHECK)
        {
            let text = key.to_string();
            assert_eq!(text.parse::<Id>(), Ok(key), "{text} is not the catalogue's");
        }
        for section in [TRADITIONAL, WASM] {
            let mut ids: Vec<String> = section.iter().map(|l| l.key.to_string()).collect();
            let n = ids.len();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), n, "a section lists a figure twice");
        }
    }
}

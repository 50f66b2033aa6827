//! The lab's comparison table: one row per metric, the traditional container beside the
//! WASM one, and the difference computed as a ratio of medians with its interval, phrased
//! from the WASM side ("3.2× smaller", "1.4× slower", "no measurable difference").

use super::keys::{self, Pair};
use super::quoted::Quoted;
use super::status;
use super::verdict::{value_of, verdict, Winner};
use serde::Serialize;
use wasmlab_model::metric::Id;
use wasmlab_model::results::{Observation, Results};

/// One metric of the table: candidate observations per side, the first measured wins.
struct Spec {
    metric: &'static str,
    pair: Pair,
    /// What each side's figure contains, and how it was taken.
    notes: &'static str,
    /// Why the two sides are not the same quantity taken the same way, when they are not:
    /// the row then shows both figures and draws no verdict.
    unlike: Option<&'static str>,
    /// What stands in a side that has no counterpart of this reading.
    no_counterpart: Option<&'static str>,
    /// Id of the reference's figure in the quoted data file.
    quoted: Option<&'static str>,
}

/// A spec that weighs its two sides.
const fn weighed(
    metric: &'static str,
    pair: Pair,
    notes: &'static str,
    quoted: Option<&'static str>,
) -> Spec {
    Spec {
        metric,
        pair,
        notes,
        unlike: None,
        no_counterpart: None,
        quoted,
    }
}

/// The prefix of every refused verdict, so a reader (and a test) finds them alike.
pub const NO_VERDICT: &str = "no verdict";

const SPECS: &[Spec] = &[
    weighed(
        "Binary size",
        keys::BINARY_SIZE,
        "file length in bytes on both sides: the static musl binary vs the wasm32-wasip1 module",
        Some("binary-size"),
    ),
    Spec {
        metric: "Image size, as each tool reports it",
        pair: keys::IMAGE_SIZE,
        notes: "docker image inspect (the unpacked layer) vs ctr images ls (manifest, config \
                and layer as stored), as the lab asks for each",
        unlike: Some(
            "the two tools count different things; the next row measures both images the \
             same way",
        ),
        no_counterpart: None,
        quoted: Some("image-size"),
    },
    weighed(
        "Image size, both in containerd",
        keys::IMAGES_IN_CONTAINERD,
        "ctr images ls on both sides: manifest, config and one layer, written by the same \
         OCI layout writer and imported with ctr",
        None,
    ),
    weighed(
        "CLI startup, as the lab runs it",
        keys::STARTUP_AS_THE_LAB_RUNS_IT,
        "median spawn to exit of the lab's command on both sides: docker run --rm (docker \
         client, dockerd, containerd, runc, a network namespace) vs ctr run --rm with the \
         wasmtime shim (ctr, containerd, the shim); the rows below take docker out",
        Some("startup"),
    ),
    weighed(
        "CLI startup, same containerd, first start",
        keys::STARTUP_FIRST,
        "ctr run --rm on both sides, runc vs the wasmtime shim with its compile cache emptied",
        None,
    ),
    weighed(
        "CLI startup, same containerd, module cached",
        keys::STARTUP_CACHED,
        "ctr run --rm on both sides, runc vs the wasmtime shim loading its cached compiled \
         module",
        None,
    ),
    weighed(
        "CLI startup, no container",
        keys::STARTUP_NO_CONTAINER,
        "spawn to exit on both sides: the bare native process vs the module precompiled, in \
         an embedded wasmtime",
        None,
    ),
    weighed(
        "Memory, one CLI run, whole container (module cached)",
        keys::MEMORY_CLI,
        "the same reading on both sides, per run: the container cgroup's peak (runc's \
         includes runc init) plus the peak RSS of the container's shim process, which runs \
         the module on the wasm side",
        None,
    ),
    weighed(
        "Memory, one CLI run, whole container (first start)",
        keys::MEMORY_CLI_FIRST,
        "as above, the wasm shim compiling the module with cranelift",
        None,
    ),
    Spec {
        metric: "Memory, one CLI run, container cgroup alone",
        pair: keys::MEMORY_CLI_CGROUP,
        notes: "peak of the container's memory cgroup under ctr",
        unlike: Some(
            "the cgroups hold different parts of the work: runc's holds the service and runc \
             init, the wasm shim's leaves out the shim process that runs the module; the \
             whole-container rows above add the shim to both",
        ),
        no_counterpart: None,
        quoted: None,
    },
    weighed(
        "Server throughput, 10 connections",
        keys::THROUGHPUT,
        "wrk on loopback, server and wrk pinned to their own cores, both bare processes (no \
         container): the native server vs the wasi:http component in the embedded host \
         (pooling allocator)",
        None,
    ),
    Spec {
        metric: "Server throughput, 10 connections, in docker",
        pair: keys::THROUGHPUT_DOCKER,
        notes: "the native server in docker, under the same wrk; its requests also cross \
                docker's port forwarding",
        unlike: Some("no wasm server ran in docker, so nothing was measured the same way"),
        no_counterpart: Some("no wasm server in docker"),
        quoted: None,
    },
    weighed(
        "Memory, serving (resident set)",
        keys::MEMORY_SERVING,
        "the same reading on both sides: VmRSS of every process of the serving group, after \
         an answer: the native server vs the wasi:http host (runtime and compiled component \
         included)",
        None,
    ),
    Spec {
        metric: "Memory, serving, docker stats",
        pair: keys::MEMORY_SERVING_DOCKER_STATS,
        notes: "docker stats MEM USAGE of the server container, as the lab asks (its cgroup's \
                usage, page cache included)",
        unlike: Some(
            "docker stats reads a container's cgroup, and no wasm server ran in docker; the \
             resident-set row above compares the two servers the same way",
        ),
        no_counterpart: Some("no docker stats reading: no wasm server ran in docker"),
        quoted: Some("server-memory"),
    },
];

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub metric: String,
    pub traditional: String,
    pub wasm: String,
    /// The computed difference, or why there is none.
    pub improvement: String,
    pub winner: Option<Winner>,
    pub notes: String,
    /// Ids behind the two cells, so a reader can find the raw samples.
    pub ids: Vec<String>,
    /// Why this row draws no verdict, when its sides are not the same quantity taken the
    /// same way.
    pub refused: Option<String>,
    /// The reference write-up's figures for this metric, labelled as quoted.
    pub quoted: Option<String>,
}

/// The comparison table, including the rows that are facts of the build rather than
/// measurements (base image, source), and the server mode as the probes found it.
pub fn table(results: &Results, quoted: &Quoted) -> Vec<Row> {
    let mut rows: Vec<Row> = SPECS
        .iter()
        .map(|spec| row(results, quoted, spec))
        .collect();
    const BUILD: &str = "a fact of the build, not a measurement";
    rows.push(fact(
        "Base image",
        "scratch (one layer: the binary)".into(),
        "none (one layer: the module)".into(),
        BUILD,
        "service/Dockerfile; the wasi/wasm image written by measure",
    ));
    rows.push(fact(
        "Source code",
        "service/src/main.rs".into(),
        "service/src/main.rs".into(),
        BUILD,
        "one source; the context is chosen at run time, the target at build time",
    ));
    rows.push(server_mode(results));
    rows
}

fn row(results: &Results, quoted: &Quoted, spec: &Spec) -> Row {
    let (tk, wk) = (spec.pair.traditional, spec.pair.wasm);
    let (t, w) = (results.measured(tk), results.measured(wk));
    let cell = |o: Option<&Observation>, keys: &[Id]| match (o, spec.no_counterpart) {
        (Some(o), _) => value_of(o),
        (None, Some(none)) if keys.is_empty() => none.to_owned(),
        (None, _) => format!("not measured ({})", why_not(results, keys)),
    };
    let refused = spec.unlike.map(|why| format!("{NO_VERDICT}: {why}"));
    let improvement = match refused {
        Some(_) => None,
        None => t.zip(w).and_then(|(t, w)| verdict(t, w)),
    };
    Row {
        metric: spec.metric.into(),
        traditional: cell(t, tk),
        wasm: cell(w, wk),
        improvement: match (&refused, &improvement) {
            (Some(why), _) => why.clone(),
            (None, Some(v)) => v.phrase(),
            (None, None) => "—".to_owned(),
        },
        winner: improvement.map(|v| v.winner),
        notes: spec.notes.into(),
        ids: [t, w].iter().flatten().map(|o| o.id.to_string()).collect(),
        refused,
        quoted: spec.quoted.and_then(|key| quoted.pair(key)),
    }
}

/// A row whose cells are facts of the build or of the probes' outcomes, not a ratio.
fn fact(metric: &str, traditional: String, wasm: String, improvement: &str, notes: &str) -> Row {
    Row {
        metric: metric.into(),
        traditional,
        wasm,
        improvement: improvement.into(),
        winner: None,
        notes: notes.into(),
        ids: Vec::new(),
        refused: None,
        quoted: None,
    }
}

/// Does the server context run, and where: from the probes' outcomes, not assumed.
fn server_mode(results: &Results) -> Row {
    let ready = [keys::DOCKER_READY];
    let traditional = match results.measured(&ready) {
        Some(o) => format!("serves HTTP (first 200 after {})", value_of(o)),
        None => format!("not measured ({})", why_not(results, &ready)),
    };
    let p1 = results.get(&keys::P1_SERVER);
    let mut wasm = match p1.and_then(|o| o.shown.as_deref()) {
        Some(shown) => format!("not under ctr (WASI preview 1 has no sockets: {shown})"),
        None => "under ctr: not measured".to_owned(),
    };
    for (keys, how) in [
        (keys::WASI_HTTP_READY, "as a wasi:http component"),
        (
            keys::WAGI_READY,
            "through WAGI, a fresh instance per request in one process",
        ),
    ] {
        if let Some(o) = results.measured(keys) {
            wasm.push_str(&format!("; serves {how} (first 200 after {})", value_of(o)));
        }
    }
    fact(
        "Server mode",
        traditional,
        wasm,
        "see the server-mode section",
        "from the server and ctr probes of this run",
    )
}

/// Why none of `keys` was measured: the first recorded reason, or that no probe wrote it.
pub fn why_not(results: &Results, keys: &[Id]) -> String {
    keys.iter()
        .filter_map(|key| results.get(key))
        .find_map(|o| status::text(&o.status))
        .unwrap_or_else(|| "no probe recorded it in this run".to_owned())
}

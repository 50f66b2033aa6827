//! The lab's comparison table: one row per metric, the traditional container beside the
//! WASM one, and the difference computed as a ratio of medians with its interval, phrased
//! from the WASM side ("3.2× smaller", "1.4× slower", "no measurable difference").

use super::keys::{self, Pair};
use super::quoted::Quoted;
use super::status;
use super::verdict::{value_of, verdict, Winner};
use crate::metric::Key;
use crate::results::{Observation, Results};
use serde::Serialize;

/// One metric of the table: candidate observations per side, the first measured wins.
struct Spec {
    metric: &'static str,
    pair: Pair,
    notes: &'static str,
    /// Key of the reference's figure in the quoted data file.
    quoted: Option<&'static str>,
}

const SPECS: &[Spec] = &[
    Spec {
        metric: "Binary size",
        pair: keys::BINARY_SIZE,
        notes: "file length in bytes: the static musl binary vs the wasm32-wasip1 module",
        quoted: Some("binary-size"),
    },
    Spec {
        metric: "Image size",
        pair: keys::IMAGE_SIZE,
        notes: "docker image inspect vs the wasi/wasm image's manifest, config and layer",
        quoted: Some("image-size"),
    },
    Spec {
        metric: "Image size, both in containerd",
        pair: keys::IMAGES_IN_CONTAINERD,
        notes: "the same OCI layout writer for both images, imported with ctr",
        quoted: None,
    },
    Spec {
        metric: "CLI startup, as the lab runs it",
        pair: keys::STARTUP_AS_THE_LAB_RUNS_IT,
        notes: "median spawn to exit of docker run --rm vs ctr run --rm with the wasmtime shim",
        quoted: Some("startup"),
    },
    Spec {
        metric: "CLI startup, same containerd, first start",
        pair: keys::STARTUP_FIRST,
        notes: "ctr run --rm, runc vs the wasmtime shim with its compile cache emptied",
        quoted: None,
    },
    Spec {
        metric: "CLI startup, same containerd, module cached",
        pair: keys::STARTUP_CACHED,
        notes: "ctr run --rm, runc vs the wasmtime shim loading its cached compiled module",
        quoted: None,
    },
    Spec {
        metric: "CLI startup, no container",
        pair: keys::STARTUP_NO_CONTAINER,
        notes: "the bare process vs the module precompiled, in an embedded wasmtime",
        quoted: None,
    },
    Spec {
        metric: "Server throughput, 10 connections",
        pair: keys::THROUGHPUT,
        notes: "wrk on loopback: the native server in docker vs the wasi:http component in \
                the embedded host (pooling allocator), server and wrk on their own cores",
        quoted: None,
    },
    Spec {
        metric: "Memory, serving",
        pair: keys::MEMORY_SERVING,
        notes: "docker stats MEM USAGE of the server container vs the resident set of the \
                wasi:http host process (runtime and compiled component included)",
        quoted: None,
    },
    Spec {
        metric: "Memory, one CLI run",
        pair: keys::MEMORY_CLI,
        notes: "peak of the container's memory cgroup during a MODE=once run under ctr",
        quoted: Some("memory"),
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
    let cell = |o: Option<&Observation>, keys: &[Key]| match o {
        Some(o) => value_of(o),
        None => format!("not measured ({})", why_not(results, keys)),
    };
    let improvement = t.zip(w).and_then(|(t, w)| verdict(t, w));
    Row {
        metric: spec.metric.into(),
        traditional: cell(t, tk),
        wasm: cell(w, wk),
        improvement: improvement
            .as_ref()
            .map_or_else(|| "—".to_owned(), |v| v.phrase.clone()),
        winner: improvement.map(|v| v.winner),
        notes: spec.notes.into(),
        ids: [t, w].iter().flatten().map(|o| o.id.clone()).collect(),
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
        quoted: None,
    }
}

/// Does the server context run, and where: from the probes' outcomes, not assumed.
fn server_mode(results: &Results) -> Row {
    let ready = [keys::DOCKER_READY];
    let traditional = match results.measured(&ready) {
        Some(o) => format!("serves HTTP (axum; first 200 after {})", value_of(o)),
        None => format!("not measured ({})", why_not(results, &ready)),
    };
    let p1 = results.get(&keys::P1_SERVER);
    let mut wasm = match p1.and_then(|o| o.shown.as_deref()) {
        Some(shown) => format!("not under ctr (WASI preview 1 has no sockets: {shown})"),
        None => "under ctr: not measured".to_owned(),
    };
    for (keys, how) in [
        (keys::WASI_HTTP_READY, "as a wasi:http component"),
        (keys::WAGI_READY, "through WAGI, a process per request"),
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
fn why_not(results: &Results, keys: &[Key]) -> String {
    keys.iter()
        .filter_map(|key| results.get(key))
        .find_map(|o| status::text(&o.status))
        .unwrap_or_else(|| "no probe recorded it in this run".to_owned())
}

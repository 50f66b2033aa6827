//! The lab's comparison table: one row per metric, the traditional container beside the
//! WASM one, and the difference computed as a ratio of medians with its interval, phrased
//! from the WASM side ("3.2× smaller", "1.4× slower", "no measurable difference").

use super::figure::value_of;
use super::keys::{self, Pair};
use super::quoted::Quoted;
use super::status;
use super::verdict::{verdict, Winner};
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
        "file length in bytes on both sides: the static native binary vs the wasm32-wasip1 module",
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
    weighed(
        "Server throughput, 10 connections, in a container",
        keys::THROUGHPUT_CONTAINER,
        "wrk on loopback against a server container under one containerd, both `ctr run -d \
         --net-host`, pinned to their own core: the native image under runc vs the wasi:http \
         component's image under the wasmtime shim (a fresh instance per request)",
        None,
    ),
    weighed(
        "Memory, serving, in a container",
        keys::MEMORY_SERVING_CONTAINER,
        "the same reading on both sides, after an answer: the container cgroup's usage plus the \
         resident set of its shim outside the cgroup (runc's shim, or the wasmtime shim)",
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
    let source = crate::view::AppView::of(results).source;
    rows.push(fact(
        "Source code",
        source.clone(),
        source,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{around, measured, results};
    use crate::templates::Templates;
    use wasmlab_model::metric::{
        CTR_NATIVE_IMAGE, CTR_RUNC, CTR_WASMTIME, CTR_WASMTIME_CACHED, CTR_WASM_IMAGE, DOCKER,
        EMBEDDED_WAGI, LOAD_RPS, NATIVE_BINARY, READY_SERVER, SERVER_CONTEXT_EXIT, SIZE_BINARY,
        SIZE_IMAGE, STARTUP_CLI, WASI_HTTP_POOLING, WASM_MODULE,
    };

    fn row_of<'a>(table: &'a [Row], metric: &str) -> &'a Row {
        table
            .iter()
            .find(|r| r.metric == metric)
            .unwrap_or_else(|| panic!("no row {metric}"))
    }

    fn quoted() -> Quoted {
        Quoted::load(&Templates::Embedded).unwrap()
    }

    #[test]
    fn a_like_for_like_row_weighs_its_sides_and_quotes_the_reference() {
        let r = results([
            SIZE_BINARY
                .of(&NATIVE_BINARY)
                .measured("stat", vec![733_880.0]),
            SIZE_BINARY
                .of(&WASM_MODULE)
                .measured("stat", vec![63_186.0]),
            measured(&STARTUP_CLI, &CTR_RUNC, around(0.180)),
            measured(&STARTUP_CLI, &CTR_WASMTIME_CACHED, around(0.250)),
        ]);
        let table = table(&r, &quoted());
        let size = row_of(&table, "Binary size");
        assert_eq!(
            (size.improvement.as_str(), size.winner),
            ("11.6× smaller", Some(Winner::Wasm))
        );
        assert_eq!(size.wasm, "61.7 KiB (63,186 B)");
        assert_eq!(size.ids, ["size.binary.native", "size.binary.wasm"]);
        assert_eq!(size.quoted.as_deref(), Some("4.5MB vs 2.4MB"));
        let cached = row_of(&table, "CLI startup, same containerd, module cached");
        assert!(cached.improvement.starts_with("1.39× slower (95% interval"));
        assert_eq!(cached.winner, Some(Winner::Traditional));
        assert_eq!(cached.traditional, "180 ms (median of 11)");
    }

    #[test]
    fn a_row_of_unlike_quantities_shows_both_and_refuses_a_verdict() {
        let r = results([
            SIZE_IMAGE
                .of(&DOCKER)
                .measured("docker image inspect", vec![733_880.0]),
            SIZE_IMAGE
                .of(&CTR_WASM_IMAGE)
                .measured("ctr images ls", vec![65_617.0]),
        ]);
        let row = row_of(
            &table(&r, &Quoted::default()),
            "Image size, as each tool reports it",
        )
        .clone();
        assert!(
            row.improvement.starts_with(NO_VERDICT),
            "{}",
            row.improvement
        );
        assert_eq!(row.refused.as_deref(), Some(row.improvement.as_str()));
        assert_eq!(row.winner, None);
        assert_eq!(
            (row.traditional.as_str(), row.wasm.as_str()),
            ("717 KiB (733,880 B)", "64.1 KiB (65,617 B)")
        );
    }

    #[test]
    fn a_side_not_measured_says_why_and_one_without_a_counterpart_says_so() {
        let r = results([
            SIZE_IMAGE
                .of(&CTR_NATIVE_IMAGE)
                .measured("ctr images ls", vec![736_335.0]),
            SIZE_IMAGE
                .of(&CTR_WASM_IMAGE)
                .failed("ctr images import", "content digest mismatch"),
            LOAD_RPS
                .at("c10")
                .of(&DOCKER)
                .measured("wrk", vec![20_000.0]),
        ]);
        let table = table(&r, &Quoted::default());
        let images = row_of(&table, "Image size, both in containerd");
        assert_eq!(
            images.wasm,
            "not measured (failed: content digest mismatch)"
        );
        assert_eq!((images.improvement.as_str(), images.winner), ("—", None));
        assert_eq!(images.ids, ["size.image.ctr-native"]);
        let docker = row_of(&table, "Server throughput, 10 connections, in docker");
        assert_eq!(docker.wasm, "no wasm server in docker");
        assert_eq!(docker.traditional, "20,000 req/s");
        let startup = row_of(&table, "CLI startup, as the lab runs it");
        assert_eq!(
            startup.traditional,
            "not measured (no probe recorded it in this run)"
        );
    }

    #[test]
    fn the_server_mode_row_states_what_served_where() {
        let r = results([
            READY_SERVER
                .of(&DOCKER)
                .measured("docker run -d", vec![0.4]),
            READY_SERVER
                .of(&WASI_HTTP_POOLING)
                .measured("measure serve", vec![0.02]),
            READY_SERVER
                .of(&EMBEDDED_WAGI)
                .measured("measure wagi", vec![0.09]),
            SERVER_CONTEXT_EXIT
                .of(&CTR_WASMTIME)
                .measured("ctr run", vec![0.2])
                .with_shown("exit 2"),
        ]);
        let table = table(&r, &Quoted::default());
        let row = table.last().unwrap();
        assert_eq!(row.metric, "Server mode");
        assert_eq!(row.traditional, "serves HTTP (first 200 after 400 ms)");
        assert_eq!(
            row.wasm,
            "not under ctr (WASI preview 1 has no sockets: exit 2); serves as a wasi:http \
             component (first 200 after 20.0 ms); serves through WAGI, a fresh instance per \
             request in one process (first 200 after 90.0 ms)"
        );
        let none = table_of_nothing();
        let row = none.last().unwrap();
        assert_eq!(
            row.traditional,
            "not measured (no probe recorded it in this run)"
        );
        assert_eq!(row.wasm, "under ctr: not measured");
    }

    fn table_of_nothing() -> Vec<Row> {
        table(&results([]), &Quoted::default())
    }

    #[test]
    fn every_row_is_there_when_nothing_was_measured() {
        let table = table_of_nothing();
        assert_eq!(table.len(), SPECS.len() + 3);
        assert!(table.iter().all(|r| r.winner.is_none() && r.ids.is_empty()));
    }

    #[test]
    fn why_not_gives_the_first_recorded_reason() {
        let r = results([STARTUP_CLI
            .of(&CTR_WASMTIME_CACHED)
            .skipped("ctr run", "no shim")]);
        let keys = [
            STARTUP_CLI.id(&DOCKER),
            STARTUP_CLI.id(&CTR_WASMTIME_CACHED),
        ];
        assert_eq!(why_not(&r, &keys), "skipped: no shim");
        assert_eq!(why_not(&r, &keys[..1]), "no probe recorded it in this run");
    }
}

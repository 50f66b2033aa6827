//! The same lab, several apps: `compare.html` sets each app's results side by side (sizes,
//! CLI starts per runtime and engine, one CLI container's memory, the server's rate and
//! memory), each column the app's own results file and the machine that gave it, and the
//! reference's quoted Go/TinyGo figures beside them, labelled quoted. Nothing is computed
//! across files: two runs (often two machines) are not one measurement, so the page gives
//! each figure as its file has it, never a ratio between columns.

use crate::figure::value_of;
use crate::quoted::Quoted;
use crate::status;
use crate::view::AppView;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use wasmlab_model::metric::{
    Id, Metric, Variant, CTR_NATIVE_IMAGE, CTR_RUNC, CTR_WASMTIME_CACHED, CTR_WASMTIME_FIRST,
    CTR_WASMTIME_PULLEY_CACHED, CTR_WASMTIME_PULLEY_FIRST, CTR_WASMTIME_WINCH_CACHED,
    CTR_WASMTIME_WINCH_FIRST, CTR_WASM_IMAGE, DOCKER, EMBEDDED_WASMI, EMBEDDED_WASMTIME_AOT,
    EMBEDDED_WASMTIME_JIT, EMBEDDED_WINCH_JIT, LOAD_RPS, MEMORY_CLI_CONTAINER_TOTAL,
    MEMORY_SERVER_CONTAINER_TOTAL, MEMORY_SERVER_DOCKER_STATS, NATIVE_BINARY, NATIVE_PROCESS,
    SIZE_BINARY, SIZE_IMAGE, STARTUP_CLI, TINYGO_EMBEDDED_WASMI, TINYGO_EMBEDDED_WASMTIME,
    TINYGO_MODULE, WASM_MODULE, WASM_PRECOMPILED,
};
use wasmlab_model::results::Results;

/// The page's file name, beside the default app's notebook (`report/compare.html`).
pub const FILE: &str = "compare.html";

/// One app's column: what was measured, where, and from which file.
#[derive(Serialize)]
pub struct Column {
    pub app: AppView,
    /// "Intel(R) Xeon(R) Processor (2 cores), 2026-12-04T03:13:39Z".
    pub machine: String,
    /// The results file, as given.
    pub results: String,
    /// Its notebook, relative to the comparison page.
    pub notebook: String,
}

/// One quantity: its figure in each app's file, and the reference's, when it quotes one.
#[derive(Serialize)]
pub struct Row {
    pub what: String,
    pub cells: Vec<String>,
    pub quoted: Option<String>,
}

#[derive(Serialize)]
pub struct Group {
    pub title: &'static str,
    pub rows: Vec<Row>,
}

#[derive(Serialize)]
pub struct Comparison {
    pub columns: Vec<Column>,
    pub groups: Vec<Group>,
    /// Where the quoted figures come from, and what they are.
    pub quoted_source: String,
    pub quoted_note: String,
}

/// One row: a metric of a variant (at a qualifier, for load), and the reference's figure
/// (`key/side` in quoted.json) when it quotes one.
struct Quantity {
    metric: &'static Metric,
    at: Option<&'static str>,
    variant: &'static Variant,
    quoted: Option<&'static str>,
    /// What the row says, when the catalogue's labels name one app's build (musl).
    named: Option<&'static str>,
}

const fn of(metric: &'static Metric, variant: &'static Variant) -> Quantity {
    Quantity {
        metric,
        at: None,
        variant,
        quoted: None,
        named: None,
    }
}

const fn quoting(q: Quantity, key: &'static str) -> Quantity {
    Quantity {
        quoted: Some(key),
        ..q
    }
}

impl Quantity {
    fn id(&self) -> Id {
        match self.at {
            Some(at) => self.metric.id_at(at, self.variant),
            None => self.metric.id(self.variant),
        }
    }
}

/// The rows, in their groups.
const GROUPS: &[(&str, &[Quantity])] = &[
    (
        "Sizes",
        &[
            Quantity {
                named: Some("file size: native binary (static)"),
                ..quoting(of(&SIZE_BINARY, &NATIVE_BINARY), "binary-size/traditional")
            },
            quoting(of(&SIZE_BINARY, &WASM_MODULE), "binary-size/wasm"),
            // The reference's module was TinyGo's: quoted here when one was measured.
            quoting(of(&SIZE_BINARY, &TINYGO_MODULE), "binary-size/wasm"),
            of(&SIZE_BINARY, &WASM_PRECOMPILED),
            quoting(of(&SIZE_IMAGE, &DOCKER), "image-size/traditional"),
            of(&SIZE_IMAGE, &CTR_NATIVE_IMAGE),
            quoting(of(&SIZE_IMAGE, &CTR_WASM_IMAGE), "image-size/wasm"),
        ],
    ),
    (
        "CLI start (MODE=once), spawn to exit",
        &[
            of(&STARTUP_CLI, &NATIVE_PROCESS),
            quoting(of(&STARTUP_CLI, &DOCKER), "startup/traditional"),
            of(&STARTUP_CLI, &CTR_RUNC),
            of(&STARTUP_CLI, &CTR_WASMTIME_FIRST),
            quoting(of(&STARTUP_CLI, &CTR_WASMTIME_CACHED), "startup/wasm"),
            of(&STARTUP_CLI, &CTR_WASMTIME_WINCH_FIRST),
            of(&STARTUP_CLI, &CTR_WASMTIME_WINCH_CACHED),
            of(&STARTUP_CLI, &CTR_WASMTIME_PULLEY_FIRST),
            of(&STARTUP_CLI, &CTR_WASMTIME_PULLEY_CACHED),
            of(&STARTUP_CLI, &EMBEDDED_WASMTIME_JIT),
            of(&STARTUP_CLI, &EMBEDDED_WINCH_JIT),
            of(&STARTUP_CLI, &EMBEDDED_WASMTIME_AOT),
            of(&STARTUP_CLI, &EMBEDDED_WASMI),
            of(&STARTUP_CLI, &TINYGO_EMBEDDED_WASMTIME),
            of(&STARTUP_CLI, &TINYGO_EMBEDDED_WASMI),
        ],
    ),
    (
        "Memory of one CLI container (cgroup peak + its shim's peak RSS)",
        &[
            of(&MEMORY_CLI_CONTAINER_TOTAL, &CTR_RUNC),
            of(&MEMORY_CLI_CONTAINER_TOTAL, &CTR_WASMTIME_FIRST),
            of(&MEMORY_CLI_CONTAINER_TOTAL, &CTR_WASMTIME_CACHED),
        ],
    ),
    (
        "The server",
        &[
            Quantity {
                at: Some("c10"),
                ..of(&LOAD_RPS, &NATIVE_PROCESS)
            },
            Quantity {
                at: Some("c10"),
                ..of(&LOAD_RPS, &CTR_RUNC)
            },
            of(&MEMORY_SERVER_CONTAINER_TOTAL, &CTR_RUNC),
            quoting(
                of(&MEMORY_SERVER_DOCKER_STATS, &DOCKER),
                "server-memory/traditional",
            ),
        ],
    ),
];

/// The comparison of the apps whose results are in `files`, with `quoted` beside it; each
/// notebook is looked for beside its results file, linked relative to `out`.
pub fn compare(files: &[PathBuf], out: &Path, quoted: &Quoted) -> Result<Comparison> {
    if files.len() < 2 {
        bail!("--compare needs two results files or more, one per app");
    }
    let mut loaded = Vec::new();
    for file in files {
        let results = Results::load(file).with_context(|| file.display().to_string())?;
        loaded.push((file, results));
    }
    let columns: Vec<Column> = loaded
        .iter()
        .map(|(file, results)| {
            let provenance = results.provenance().cloned().unwrap_or_default();
            Column {
                app: AppView::of(results),
                machine: format!(
                    "{} ({} cores), {}",
                    provenance.cpu_model, provenance.cores, provenance.date
                ),
                results: file.display().to_string(),
                notebook: link(&file.with_file_name("index.html"), out),
            }
        })
        .collect();
    let mut names: Vec<&str> = columns.iter().map(|c| c.app.name.as_str()).collect();
    names.sort_unstable();
    if let Some(twice) = names.windows(2).find(|w| w[0] == w[1]) {
        bail!(
            "two results files are of the app {:?}: give one file per app",
            twice[0]
        );
    }
    // The reference's wasm size stands beside a measured TinyGo module when there is one,
    // else beside the app's own module, never twice.
    let tinygo = loaded
        .iter()
        .any(|(_, r)| r.measured(&[SIZE_BINARY.id(&TINYGO_MODULE)]).is_some());
    let quote_here = |q: &Quantity| {
        if *q.variant == TINYGO_MODULE {
            tinygo
        } else {
            !(tinygo && *q.variant == WASM_MODULE && *q.metric == SIZE_BINARY)
        }
    };
    let groups = GROUPS
        .iter()
        .map(|(title, rows)| Group {
            title,
            rows: rows
                .iter()
                // A row no file has (TinyGo's, for apps without that build) is left out.
                .filter(|q| loaded.iter().any(|(_, r)| r.get(&q.id()).is_some()))
                .map(|q| {
                    let id = q.id();
                    let at = q.at.map(|a| format!(" ({a})")).unwrap_or_default();
                    Row {
                        what: q.named.map_or_else(
                            || format!("{}{at}: {}", q.metric.label, q.variant.label),
                            str::to_owned,
                        ),
                        cells: loaded.iter().map(|(_, r)| cell(r, &id)).collect(),
                        quoted: q.quoted.filter(|_| quote_here(q)).and_then(|key| {
                            let (key, side) = key.split_once('/')?;
                            quoted.figures.get(key)?.get(side).cloned()
                        }),
                    }
                })
                .collect(),
        })
        .collect();
    Ok(Comparison {
        columns,
        groups,
        quoted_source: quoted.source.clone(),
        quoted_note: quoted.note.clone(),
    })
}

/// A figure as its file has it: the median and its count, or its status and reason.
fn cell(results: &Results, id: &Id) -> String {
    match results.get(id) {
        Some(o) if o.is_measured() => value_of(o),
        Some(o) => status::text(&o.status).unwrap_or_default(),
        None => "not in this file".into(),
    }
}

/// `file` as a link from a page in `out`: relative when both are under one folder.
fn link(file: &Path, out: &Path) -> String {
    let absolute = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (file, out) = (absolute(file), absolute(out));
    match file.strip_prefix(&out) {
        Ok(inside) => inside.display().to_string(),
        Err(_) => file.display().to_string(),
    }
}

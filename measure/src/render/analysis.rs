//! The answers to the lab's questions, each a sentence filled from this run's data, with a
//! branch for every case the data can take (WASM better, worse, or within noise), and the
//! decision matrix whose cells cite the measured trade-offs. No conclusion is written here
//! that the numbers did not produce.

use super::keys::{self, Pair};
use super::status;
use super::verdict::{value_of, verdict, Winner};
use crate::format::{format_value, group, times};
use crate::metric::{
    Key, Metric, CRITERION, CTR_RUNC, DOCKER, EMBEDDED_WASMTIME, EMBEDDED_WASMTIME_AOT,
    EMBEDDED_WASMTIME_JIT, LOAD_LATENCY_P99, LOAD_RPS, MEMORY_HOST_RSS_GROWTH, MEMORY_LINEAR,
    MEMORY_SERVER_RSS, NATIVE_BINARY, NATIVE_PROCESS, PHASE_COMPILE, PHASE_INSTANTIATE,
    PHASE_LOAD_PRECOMPILED, PHASE_RUN, SECTION_UNCOVERED, SIZE_BINARY, SIZE_SECTION, SPIN_COLD,
    SPIN_COLD_START, SPIN_KEEPALIVE, SPIN_WARM, STARTUP_CLI, WASI_HTTP_COMPONENT, WASM_MODULE,
    WASM_PRECOMPILED,
};
use crate::results::{Observation, Results, Status, Unit};
use serde::Serialize;

const RUNC: &[Key] = &[STARTUP_CLI.key(&CTR_RUNC)];
const DOCKER_STARTUP: &[Key] = &[STARTUP_CLI.key(&DOCKER)];
const NATIVE: &[Key] = &[STARTUP_CLI.key(&NATIVE_PROCESS)];
const FLOOR_STARTUP: &[Key] = &[keys::FLOOR_STARTUP];
const JIT: &[Key] = &[STARTUP_CLI.key(&EMBEDDED_WASMTIME_JIT)];
const AOT: &[Key] = &[STARTUP_CLI.key(&EMBEDDED_WASMTIME_AOT)];
/// The criterion group that splits one wasi:http request, and its benches.
const WASI_HTTP_GROUP: &str = "wasi_http";

/// One question of the lab and its computed answer.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub question: String,
    pub sentences: Vec<String>,
}

/// One row of the decision matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub need: String,
    /// "WASM container", "traditional container" or "either".
    pub choice: String,
    /// The measured figures behind the choice.
    pub because: String,
}

pub fn answers(results: &Results) -> Vec<Answer> {
    vec![
        Answer {
            question: "Why is the WASM binary smaller, and what was left out?".into(),
            sentences: sizes(results),
        },
        Answer {
            question: "Why does one start faster than the other?".into(),
            sentences: startup(results),
        },
        Answer {
            question: "What does a traditional container pay at start?".into(),
            sentences: container_overhead(results),
        },
        Answer {
            question: "How much memory does each take?".into(),
            sentences: memory(results),
        },
        Answer {
            question: "Does server mode work in WebAssembly, and what does it cost?".into(),
            sentences: server_mode(results),
        },
        Answer {
            question: "Bonus: how do cold and warm requests compare under Spin (WAGI)?".into(),
            sentences: spin(results),
        },
    ]
}

fn median(results: &Results, keys: &[Key]) -> Option<f64> {
    results.median(keys)
}

/// The median of the first of `ids` measured, formatted.
fn shown<N: crate::metric::Named>(results: &Results, ids: &[N]) -> Option<String> {
    let o = results.measured(ids)?;
    Some(format_value(o.summary.as_ref()?.median, o.unit))
}

/// The verdict's winner, its short phrase, and its interval with a separator before
/// whatever follows in the same parentheses ("95% interval 1.1–1.3×; ").
fn versus(t: &Observation, w: &Observation) -> Option<(Winner, String, String)> {
    let v = verdict(t, w)?;
    let interval = if v.interval.is_empty() {
        String::new()
    } else {
        format!("{}; ", v.interval)
    };
    Some((v.winner, v.short, interval))
}

fn sizes(results: &Results) -> Vec<String> {
    let mut out = Vec::new();
    let Some((native, wasm)) = keys::BINARY_SIZE.measured(results) else {
        out.push("The two binaries were not both measured in this run.".into());
        return out;
    };
    if let Some((_, phrase, _)) = versus(native, wasm) {
        out.push(format!(
            "The wasm module is {phrase} than the native binary: {} B against {} B.",
            group(wasm.samples[0]),
            group(native.samples[0])
        ));
    }
    if let Some(component) = results.measured(&[SIZE_BINARY.key(&WASI_HTTP_COMPONENT)]) {
        out.push(format!(
            "The server context built for WASI 0.2 as a wasi:http component is {} B, {}× the \
             preview 1 module: it carries the component's HTTP bindings and an async executor \
             (wstd), where the preview 1 module has no server at all.",
            group(component.samples[0]),
            times(component.samples[0] / wasm.samples[0])
        ));
    }
    let section = |artifact: &str, names: &[&str]| -> f64 {
        names
            .iter()
            .filter_map(|n| results.median(&[SIZE_SECTION.id(None, &format!("{artifact}.{n}"))]))
            .sum()
    };
    let (native_artifact, wasm_artifact) = (NATIVE_BINARY.name, WASM_MODULE.name);
    let (n_total, w_total) = (native.samples[0], wasm.samples[0]);
    let text = section(native_artifact, &["text", "init", "fini"]);
    let code = section(wasm_artifact, &["code"]);
    if text > 0.0 && code > 0.0 {
        out.push(format!(
            "Machine code is {} B of the native binary ({:.0}%); the module's code section is {} B \
             ({:.0}%) of WebAssembly bytecode, a compact stack-machine encoding that becomes \
             machine code only when a runtime compiles it: compiled ahead of time by the embedded \
             wasmtime it takes {}.",
            group(text),
            100.0 * text / n_total,
            group(code),
            100.0 * code / w_total,
            shown(results, &[SIZE_BINARY.key(&WASM_PRECOMPILED)])
                .unwrap_or_else(|| "an unmeasured size".into())
        ));
    }
    let unwind = section(
        native_artifact,
        &["eh-frame", "eh-frame-hdr", "gcc-except-table"],
    );
    let rodata = section(native_artifact, &["rodata"]);
    let headers = section(native_artifact, &[SECTION_UNCOVERED]);
    if text > 0.0 {
        out.push(format!(
            "Beyond code, the native binary carries {} B of read-only data, {} B of unwind tables \
             and {} B of ELF headers and padding; it links musl's libc statically, and in the \
             native build the HTTP server context (axum on tokio) as well.",
            group(rodata),
            group(unwind),
            group(headers)
        ));
    }
    let imports = section(wasm_artifact, &["import"]);
    let custom: f64 = results
        .observations
        .iter()
        .filter(|o| {
            o.id.starts_with(
                &SIZE_SECTION
                    .id(None, &format!("{wasm_artifact}.custom"))
                    .to_string(),
            )
        })
        .filter_map(|o| o.summary.as_ref().map(|s| s.median))
        .sum();
    if code > 0.0 {
        let custom = if custom > 0.0 {
            format!(
                "Its custom sections (names, producers) take {} B.",
                group(custom)
            )
        } else {
            "It carries no custom sections (no names, no producers): they were stripped.".into()
        };
        out.push(format!(
            "What the wasm build leaves out: the server context entirely (WASI preview 1 has no \
             sockets, so the module is built without axum and tokio), any libc beyond the WASI \
             calls it imports ({} B of import section), and unwind tables: the runtime owns a wasm \
             module's stack, so it carries none. {custom}",
            group(imports)
        ));
    }
    out
}

fn startup(results: &Results) -> Vec<String> {
    let mut out = Vec::new();
    let same_containerd = |pair: Pair, when: &str| -> Option<String> {
        let (t, w) = pair.measured(results)?;
        let (winner, phrase, interval) = versus(t, w)?;
        let how = match winner {
            Winner::Wasm | Winner::Traditional => format!("starts {phrase} than"),
            Winner::Neither => format!("shows {phrase} against"),
        };
        Some(format!(
            "Under the same containerd, the wasm container {when} {how} the runc container \
             ({interval}{} against {}, medians from the spawn of ctr to its exit).",
            shown(results, pair.wasm)?,
            shown(results, pair.traditional)?
        ))
    };
    out.extend(same_containerd(
        keys::STARTUP_FIRST,
        "on a first start (module compiled by the shim)",
    ));
    out.extend(same_containerd(
        keys::STARTUP_CACHED,
        "with its compiled module cached",
    ));
    let phases: Vec<String> = [
        (
            "compiling the module",
            PHASE_COMPILE.key(&EMBEDDED_WASMTIME),
        ),
        (
            "loading it precompiled",
            PHASE_LOAD_PRECOMPILED.key(&EMBEDDED_WASMTIME),
        ),
        (
            "instantiating it",
            PHASE_INSTANTIATE.key(&EMBEDDED_WASMTIME),
        ),
        ("running _start", PHASE_RUN.key(&EMBEDDED_WASMTIME)),
    ]
    .iter()
    .filter_map(|(what, key)| Some(format!("{what} {}", shown(results, &[key])?)))
    .collect();
    if !phases.is_empty() {
        out.push(format!(
            "runc prepares a Linux process (namespaces, cgroup, root filesystem mount) and execs \
             it; the shim instead runs the module inside its own process, where the in-process \
             phases cost: {}. Compilation is why a first start differs from a cached one.",
            phases.join(", ")
        ));
    }
    if let Some((native, aot)) = keys::STARTUP_NO_CONTAINER.measured(results) {
        if let Some((winner, phrase, interval)) = versus(native, aot) {
            let jit = shown(results, JIT)
                .map(|j| format!(", and {j} when it must compile the module first"))
                .unwrap_or_default();
            let (verb, than) = if winner == Winner::Neither {
                ("shows", "against")
            } else {
                ("is", "than")
            };
            out.push(format!(
                "Without containers, the precompiled module in an embedded wasmtime {verb} {phrase} \
                 {than} the native process ({interval}{} against {}){jit}: the runtime, not the module, \
                 sets the cost of a wasm start.",
                shown(results, AOT).unwrap_or_default(),
                shown(results, NATIVE).unwrap_or_default()
            ));
        }
    }
    if out.is_empty() {
        out.push("No pair of startup figures was measured in this run.".into());
    }
    out
}

fn container_overhead(results: &Results) -> Vec<String> {
    let mut out = Vec::new();
    let (floor, native) = (median(results, FLOOR_STARTUP), median(results, NATIVE));
    let (runc, docker) = (median(results, RUNC), median(results, DOCKER_STARTUP));
    if let (Some(floor), Some(native)) = (floor, native) {
        out.push(format!(
            "Creating a process and exec'ing a static binary that does nothing costs {} here (the \
             floor); the service's own work in the native process adds {}.",
            format_value(floor, Unit::Seconds),
            signed(native - floor)
        ));
    }
    if let (Some(native), Some(runc)) = (native, runc) {
        out.push(format!(
            "ctr with runc adds {} to the bare process ({:.0}% of its {}): the ctr client, a shim \
             process, namespaces, a cgroup, the root filesystem snapshot and mount, and the task's \
             bookkeeping in containerd.",
            signed(runc - native),
            100.0 * (runc - native) / runc,
            format_value(runc, Unit::Seconds)
        ));
    }
    if let (Some(runc), Some(docker)) = (runc, docker) {
        let share = 100.0 * (docker - runc) / docker;
        out.push(if docker > runc {
            format!(
                "docker run adds {} on top of containerd and runc ({share:.0}% of its {}): the \
                 API round trips of the docker client, network namespace and bridge setup, and \
                 the log driver.",
                signed(docker - runc),
                format_value(docker, Unit::Seconds)
            )
        } else {
            format!(
                "docker run ({}) came out no slower than ctr with runc ({}): its extra layers cost \
                 less here than ctr's own client and task setup.",
                format_value(docker, Unit::Seconds),
                format_value(runc, Unit::Seconds)
            )
        });
    }
    if out.is_empty() {
        out.push("The container startup figures were not measured in this run.".into());
    }
    out
}

fn memory(results: &Results) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((t, w)) = keys::MEMORY_CLI.measured(results) {
        if let Some((_, phrase, interval)) = versus(t, w) {
            out.push(format!(
                "At the peak of one CLI run, the wasm container's memory cgroup holds {phrase} than \
                 the runc container's ({interval}{} against {}); the reference wrote N/A here.",
                format_value(w.summary.as_ref().map_or(0.0, |s| s.median), Unit::Bytes),
                format_value(t.summary.as_ref().map_or(0.0, |s| s.median), Unit::Bytes)
            ));
        }
    }
    if let Some(linear) = shown(results, &[MEMORY_LINEAR.key(&EMBEDDED_WASMTIME)]) {
        let resident = shown(results, &[MEMORY_HOST_RSS_GROWTH.key(&EMBEDDED_WASMTIME)])
            .map(|r| {
                format!(
                    "; the host process's resident memory grows by {r} per instance, since only \
                     the pages the guest touches become resident"
                )
            })
            .unwrap_or_default();
        out.push(format!(
            "Inside the runtime, the instance's linear memory (the guest's whole heap and stack) \
             is {linear} after _start{resident}."
        ));
    }
    if let (Some(stats), Some(rss)) = (
        results.measured(keys::MEMORY_SERVING.traditional),
        shown(results, &[keys::NATIVE_SERVER_RSS]),
    ) {
        out.push(format!(
            "Serving, the container shows {} in docker stats{}, against {rss} resident for the \
             same binary as a bare process.",
            format_value(
                stats.summary.as_ref().map_or(0.0, |s| s.median),
                Unit::Bytes
            ),
            stats
                .shown
                .as_deref()
                .map(|s| format!(" (its last reading printed as {s})"))
                .unwrap_or_default()
        ));
    }
    if out.is_empty() {
        out.push("No memory figure was measured in this run.".into());
    }
    out
}

/// Every server measured under load at 10 connections, against the native process.
fn server_mode(results: &Results) -> Vec<String> {
    let at = Some(keys::AT_C10);
    let native = results.measured(&[LOAD_RPS.key_at(keys::AT_C10, &NATIVE_PROCESS)]);
    let mut out: Vec<String> = keys::measured_series(results, &LOAD_RPS, at)
        .filter(|(o, _)| Some(o.id.as_str()) != native.map(|n| n.id.as_str()))
        .map(|(o, variant)| {
            let p99 = shown(results, &[LOAD_LATENCY_P99.id(at, &variant)])
                .map(|p| format!(", p99 latency {p}"))
                .unwrap_or_default();
            let rss = shown(results, &[MEMORY_SERVER_RSS.id(None, &variant)])
                .map(|r| format!(", {r} resident"))
                .unwrap_or_default();
            let against = native
                .and_then(|n| crate::stats::ratio_of_medians(&o.samples, &n.samples))
                .map(|r| format!(" ({}× the native server's rate)", times(r.value)))
                .unwrap_or_default();
            format!("{}: {}{against}{p99}{rss}.", o.label, value_of(o))
        })
        .collect();
    if let Some(n) = native {
        out.insert(
            0,
            format!(
                "At 10 connections the native server process answered {}{}; each server below \
                 ran the same routes under the same load generator, pinned apart.",
                value_of(n),
                shown(results, &[keys::NATIVE_SERVER_RSS])
                    .map(|r| format!(" with {r} resident"))
                    .unwrap_or_default()
            ),
        );
    }
    let bench = |name: &str| CRITERION.id(Some(WASI_HTTP_GROUP), name);
    let split: Vec<String> = [
        ("instantiating a fresh instance", "instantiate"),
        ("the guest's handler", "handler"),
        ("tearing the store down", "teardown"),
    ]
    .iter()
    .filter_map(|(what, name)| Some(format!("{what} {}", shown(results, &[bench(name)])?)))
    .collect();
    if let Some(whole) = shown(results, &[bench("request")]) {
        out.push(format!(
            "In process (criterion, no socket), one wasi:http request costs {whole}: {}.",
            split.join(", ")
        ));
    }
    if let Some(p1) = results
        .get(&keys::P1_SERVER)
        .and_then(|o| o.shown.as_deref())
    {
        out.push(format!(
            "Under ctr, the wasm32-wasip1 module cannot serve at all (WASI preview 1 has no \
             sockets): {p1}."
        ));
    }
    if out.is_empty() {
        out.push("No server was measured under load in this run.".into());
    }
    out
}

/// Per host: how long it takes to come up, and cold requests against warm ones. The hosts
/// are those the Spin probe measured, named as its observations name them.
fn spin(results: &Results) -> Vec<String> {
    let mut hosts: Vec<(String, &str)> = Vec::new();
    for o in results.observations.iter().filter(|o| o.is_measured()) {
        let Some(host) = keys::parts(&o.id)
            .filter(|p| p.are(&SPIN_COLD_START, None) || p.are(&SPIN_COLD, None))
            .map(|p| p.variant)
        else {
            continue;
        };
        if hosts.iter().all(|(h, _)| *h != host) {
            let name = o
                .label
                .split_once(": ")
                .map_or(o.label.as_str(), |(n, _)| n);
            hosts.push((host, name));
        }
    }
    let mut out = Vec::new();
    for (host, name) in hosts {
        let get = |series: &Metric| results.measured(&[series.id(None, &host)]);
        let mut parts = Vec::new();
        if let Some(start) = get(&SPIN_COLD_START) {
            parts.push(format!("first 200 {} after launch", value_of(start)));
        }
        if let (Some(cold), Some(warm)) = (get(&SPIN_COLD), get(&SPIN_WARM)) {
            // `verdict` reads "wasm vs traditional"; here warm plays the first role.
            if let Some(v) = verdict(warm, cold) {
                let how = match v.winner {
                    Winner::Neither => format!("show {} from warm ones", v.short),
                    _ => format!("are {} than warm ones", v.short),
                };
                parts.push(format!(
                    "cache-busted cold requests ({}) {how} ({})",
                    value_of(cold),
                    value_of(warm)
                ));
            }
        }
        if let Some(kept) = get(&SPIN_KEEPALIVE) {
            parts.push(format!(
                "on a kept-alive connection a request takes {}",
                value_of(kept)
            ));
        }
        if !parts.is_empty() {
            out.push(format!("{name}: {}.", parts.join("; ")));
        }
    }
    if let Some(reason) = results
        .get(&keys::SPIN_REMOTE_COLD)
        .filter(|o| matches!(o.status, Status::Skipped { .. }))
        .and_then(|o| status::reason(&o.status))
    {
        out.push(format!("The remote series was not taken: {reason}."));
    }
    if out.is_empty() {
        out.push("The Spin series were not measured in this run (make bench-spin).".into());
    }
    out
}

/// A duration difference with its sign: "+1.2 ms", "−0.3 ms".
fn signed(seconds: f64) -> String {
    let text = format_value(seconds.abs(), Unit::Seconds);
    if seconds < 0.0 {
        format!("−{text}")
    } else {
        format!("+{text}")
    }
}

/// When to pick which, each cell from this run's figures.
pub fn decisions(results: &Results) -> Vec<Decision> {
    let mut out = Vec::new();
    let pick = |need: &str, pair: Pair, out: &mut Vec<Decision>| {
        let Some((to, wo)) = pair.measured(results) else {
            return;
        };
        let Some(v) = verdict(to, wo) else {
            return;
        };
        let choice = match v.winner {
            Winner::Wasm => "WASM container",
            Winner::Traditional => "traditional container",
            Winner::Neither => "either",
        };
        out.push(Decision {
            need: need.into(),
            choice: choice.into(),
            because: format!(
                "WASM {}: {} against {}",
                v.phrase,
                value_of(wo),
                value_of(to)
            ),
        });
    };
    pick(
        "smallest artifact to ship and pull",
        keys::IMAGES_IN_CONTAINERD,
        &mut out,
    );
    pick(
        "fastest first start after a deploy",
        keys::STARTUP_FIRST,
        &mut out,
    );
    pick(
        "fastest repeated start (scale to zero, one task per request)",
        keys::STARTUP_CACHED,
        &mut out,
    );
    pick(
        "least memory per short-lived task",
        keys::MEMORY_CLI,
        &mut out,
    );
    // The ctr probe records the server context's exit as measured when the module ended
    // instead of serving; what it printed says why.
    if let Some(shown) = results
        .get(&keys::P1_SERVER)
        .filter(|o| o.is_measured())
        .and_then(|o| o.shown.as_deref())
    {
        out.push(Decision {
            need: "a long-running server under plain containerd (sockets)".into(),
            choice: "traditional container".into(),
            because: format!("the wasm32-wasip1 module cannot listen there: {shown}"),
        });
    }
    pick(
        "highest HTTP throughput at 10 connections",
        keys::THROUGHPUT,
        &mut out,
    );
    out
}

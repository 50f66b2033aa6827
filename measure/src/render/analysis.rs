//! The answers to the lab's questions, each a sentence filled from this run's data, with a
//! branch for every case the data can take (WASM better, worse, or within noise), and the
//! decision matrix whose cells cite the measured trade-offs. No conclusion is written here
//! that the numbers did not produce.

use super::compare::{verdict, Noun, Winner};
use crate::format::format_value;
use crate::format::{group, times};
use crate::metric::{SECTION_UNCOVERED, SIZE_SECTION};
use crate::results::{Observation, Results, Unit};
use serde::Serialize;

/// The p1 module's server context under ctr: its exit status and message.
pub const P1_SERVER_ID: &str = "server-context.exit.ctr-wasmtime";
/// Server-ready observations of the WASM servers, when their probes ran.
pub const WASI_HTTP_READY: &[&str] = &[
    "ready.server.wasi-http-pooling",
    "ready.server.wasi-http-ondemand",
    "ready.server.wasmtime-serve",
];
pub const WAGI_READY: &[&str] = &["ready.server.embedded-wagi", "ready.server.spin"];

const RUNC: &[&str] = &["startup.cli.ctr-runc"];
const WASM_FIRST: &[&str] = &["startup.cli.ctr-wasmtime-first"];
const WASM_CACHED: &[&str] = &["startup.cli.ctr-wasmtime-cached"];
const DOCKER: &[&str] = &["startup.cli.docker"];
const NATIVE: &[&str] = &["startup.cli.native-process"];
const FLOOR: &[&str] = &["startup.cli.floor"];
const JIT: &[&str] = &["startup.cli.embedded-wasmtime-jit"];
const AOT: &[&str] = &["startup.cli.embedded-wasmtime-aot"];

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

fn median(results: &Results, ids: &[&str]) -> Option<f64> {
    results.median(ids)
}

fn shown(results: &Results, ids: &[&str]) -> Option<String> {
    let o = results.measured(ids)?;
    Some(format_value(o.summary.as_ref()?.median, o.unit))
}

/// The verdict's winner, its short phrase, and its interval with a separator before
/// whatever follows in the same parentheses ("95% interval 1.1–1.3×; ").
fn versus(t: &Observation, w: &Observation, noun: Noun) -> Option<(Winner, String, String)> {
    let v = verdict(t, w, noun)?;
    let interval = if v.interval.is_empty() {
        String::new()
    } else {
        format!("{}; ", v.interval)
    };
    Some((v.winner, v.short, interval))
}

fn sizes(results: &Results) -> Vec<String> {
    let mut out = Vec::new();
    let (Some(native), Some(wasm)) = (
        results.measured(&["size.binary.native"]),
        results.measured(&["size.binary.wasm"]),
    ) else {
        out.push("The two binaries were not both measured in this run.".into());
        return out;
    };
    if let Some((_, phrase, _)) = versus(native, wasm, Noun::Size) {
        out.push(format!(
            "The wasm module is {phrase} than the native binary: {} B against {} B.",
            group(wasm.samples[0]),
            group(native.samples[0])
        ));
    }
    if let Some(component) = results.measured(&["size.binary.wasi-http-component"]) {
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
    let (n_total, w_total) = (native.samples[0], wasm.samples[0]);
    let text = section("native", &["text", "init", "fini"]);
    let code = section("wasm", &["code"]);
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
            shown(results, &["size.binary.wasm-precompiled"])
                .unwrap_or_else(|| "an unmeasured size".into())
        ));
    }
    let unwind = section("native", &["eh-frame", "eh-frame-hdr", "gcc-except-table"]);
    let rodata = section("native", &["rodata"]);
    let headers = section("native", &[SECTION_UNCOVERED]);
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
    let imports = section("wasm", &["import"]);
    let custom: f64 = results
        .observations
        .iter()
        .filter(|o| {
            o.id.starts_with(&SIZE_SECTION.id(None, "wasm.custom").to_string())
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
    let same_containerd = |wasm_ids: &[&str], when: &str| -> Option<String> {
        let (t, w) = (results.measured(RUNC)?, results.measured(wasm_ids)?);
        let (winner, phrase, interval) = versus(t, w, Noun::Time)?;
        let how = match winner {
            Winner::Wasm | Winner::Traditional => format!("starts {phrase} than"),
            Winner::Neither => format!("shows {phrase} against"),
        };
        Some(format!(
            "Under the same containerd, the wasm container {when} {how} the runc container \
             ({interval}{} against {}, medians from the spawn of ctr to its exit).",
            shown(results, wasm_ids)?,
            shown(results, RUNC)?
        ))
    };
    out.extend(same_containerd(
        WASM_FIRST,
        "on a first start (module compiled by the shim)",
    ));
    out.extend(same_containerd(
        WASM_CACHED,
        "with its compiled module cached",
    ));
    let phases: Vec<String> = [
        ("compiling the module", "phase.compile.embedded-wasmtime"),
        (
            "loading it precompiled",
            "phase.load-precompiled.embedded-wasmtime",
        ),
        ("instantiating it", "phase.instantiate.embedded-wasmtime"),
        ("running _start", "phase.run.embedded-wasmtime"),
    ]
    .iter()
    .filter_map(|(what, id)| Some(format!("{what} {}", shown(results, &[id])?)))
    .collect();
    if !phases.is_empty() {
        out.push(format!(
            "runc prepares a Linux process (namespaces, cgroup, root filesystem mount) and execs \
             it; the shim instead runs the module inside its own process, where the in-process \
             phases cost: {}. Compilation is why a first start differs from a cached one.",
            phases.join(", ")
        ));
    }
    if let (Some(native), Some(aot)) = (results.measured(NATIVE), results.measured(AOT)) {
        if let Some((winner, phrase, interval)) = versus(native, aot, Noun::Time) {
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
    let (floor, native) = (median(results, FLOOR), median(results, NATIVE));
    let (runc, docker) = (median(results, RUNC), median(results, DOCKER));
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
    let runc = results.measured(&["memory.cli-peak.ctr-runc"]);
    let wasm = results.measured(&["memory.cli-peak.ctr-wasmtime-cached"]);
    if let (Some(t), Some(w)) = (runc, wasm) {
        if let Some((_, phrase, interval)) = versus(t, w, Noun::Memory) {
            out.push(format!(
                "At the peak of one CLI run, the wasm container's memory cgroup holds {phrase} than \
                 the runc container's ({interval}{} against {}); the reference wrote N/A here.",
                format_value(w.summary.as_ref().map_or(0.0, |s| s.median), Unit::Bytes),
                format_value(t.summary.as_ref().map_or(0.0, |s| s.median), Unit::Bytes)
            ));
        }
    }
    if let Some(linear) = shown(results, &["memory.linear.embedded-wasmtime"]) {
        let resident = shown(results, &["memory.host-rss-growth.embedded-wasmtime"])
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
        results.measured(&["memory.server-docker-stats.docker"]),
        shown(results, &["memory.server-rss.native-process"]),
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
    const AT: &str = "load.rps-c10.";
    let native = results.measured(&["load.rps-c10.native-process"]);
    let mut out: Vec<String> = results
        .observations
        .iter()
        .filter(|o| o.id.starts_with(AT) && o.is_measured() && o.summary.is_some())
        .filter(|o| Some(o.id.as_str()) != native.map(|n| n.id.as_str()))
        .map(|o| {
            let variant = &o.id[AT.len()..];
            let p99 = shown(results, &[&format!("load.latency-p99-c10.{variant}")])
                .map(|p| format!(", p99 latency {p}"))
                .unwrap_or_default();
            let rss = shown(results, &[&format!("memory.server-rss.{variant}")])
                .map(|r| format!(", {r} resident"))
                .unwrap_or_default();
            let against = native
                .and_then(|n| crate::stats::ratio_of_medians(&o.samples, &n.samples))
                .map(|r| format!(" ({}× the native server's rate)", times(r.value)))
                .unwrap_or_default();
            format!(
                "{}: {}{against}{p99}{rss}.",
                o.label,
                super::compare::value_of(o)
            )
        })
        .collect();
    if let Some(n) = native {
        out.insert(
            0,
            format!(
                "At 10 connections the native server process answered {}{}; each server below \
                 ran the same routes under the same load generator, pinned apart.",
                super::compare::value_of(n),
                shown(results, &["memory.server-rss.native-process"])
                    .map(|r| format!(" with {r} resident"))
                    .unwrap_or_default()
            ),
        );
    }
    let split: Vec<String> = [
        (
            "instantiating a fresh instance",
            "criterion.wasi_http.instantiate",
        ),
        ("the guest's handler", "criterion.wasi_http.handler"),
        ("tearing the store down", "criterion.wasi_http.teardown"),
    ]
    .iter()
    .filter_map(|(what, id)| Some(format!("{what} {}", shown(results, &[id])?)))
    .collect();
    if let Some(whole) = shown(results, &["criterion.wasi_http.request"]) {
        out.push(format!(
            "In process (criterion, no socket), one wasi:http request costs {whole}: {}.",
            split.join(", ")
        ));
    }
    if let Some(p1) = results.get(P1_SERVER_ID).and_then(|o| o.shown.as_deref()) {
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
    let mut hosts: Vec<(&str, &str)> = Vec::new();
    for o in results.observations.iter().filter(|o| o.is_measured()) {
        let Some(host) = ["spin.cold-start.", "spin.cold."]
            .iter()
            .find_map(|prefix| o.id.strip_prefix(prefix))
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
        let get = |series: &str| results.measured(&[&format!("spin.{series}.{host}")]);
        let mut parts = Vec::new();
        if let Some(start) = get("cold-start") {
            parts.push(format!(
                "first 200 {} after launch",
                super::compare::value_of(start)
            ));
        }
        if let (Some(cold), Some(warm)) = (get("cold"), get("warm")) {
            // `verdict` reads "wasm vs traditional"; here warm plays the first role.
            if let Some(v) = verdict(warm, cold, Noun::Time) {
                let how = match v.winner {
                    Winner::Neither => format!("show {} from warm ones", v.short),
                    _ => format!("are {} than warm ones", v.short),
                };
                parts.push(format!(
                    "cache-busted cold requests ({}) {how} ({})",
                    super::compare::value_of(cold),
                    super::compare::value_of(warm)
                ));
            }
        }
        if let Some(kept) = get("warm-keepalive") {
            parts.push(format!(
                "on a kept-alive connection a request takes {}",
                super::compare::value_of(kept)
            ));
        }
        if !parts.is_empty() {
            out.push(format!("{name}: {}.", parts.join("; ")));
        }
    }
    if let Some(reason) = results
        .get("spin.cold.remote")
        .and_then(|o| match &o.status {
            crate::results::Status::Skipped { reason } => Some(reason.clone()),
            _ => None,
        })
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
    let pick = |need: &str, t: &[&str], w: &[&str], noun: Noun, out: &mut Vec<Decision>| {
        let (Some(to), Some(wo)) = (results.measured(t), results.measured(w)) else {
            return;
        };
        let Some(v) = verdict(to, wo, noun) else {
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
                super::compare::value_of(wo),
                super::compare::value_of(to)
            ),
        });
    };
    pick(
        "smallest artifact to ship and pull",
        &["size.image.ctr-native"],
        &["size.image.ctr-wasm"],
        Noun::Size,
        &mut out,
    );
    pick(
        "fastest first start after a deploy",
        RUNC,
        WASM_FIRST,
        Noun::Time,
        &mut out,
    );
    pick(
        "fastest repeated start (scale to zero, one task per request)",
        RUNC,
        WASM_CACHED,
        Noun::Time,
        &mut out,
    );
    pick(
        "least memory per short-lived task",
        &["memory.cli-peak.ctr-runc"],
        &["memory.cli-peak.ctr-wasmtime-cached"],
        Noun::Memory,
        &mut out,
    );
    // The ctr probe records the server context's exit as measured when the module ended
    // instead of serving; what it printed says why.
    if let Some(shown) = results
        .get(P1_SERVER_ID)
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
        &["load.rps-c10.docker", "load.rps-c10.native-process"],
        &[
            "load.rps-c10.wasi-http-pooling",
            "load.rps-c10.wasmtime-serve",
        ],
        Noun::Rate,
        &mut out,
    );
    out
}

//! The answers to the lab's questions, each a sentence filled from this run's data, with a
//! branch for every case the data can take (WASM better, worse, or within noise), and the
//! decision matrix whose cells cite the measured trade-offs. No conclusion is written here
//! that the numbers did not produce.

use super::figure::{value_of, Figure};
use super::keys::{self, Pair};
use super::quoted::Quoted;
use super::status;
use super::verdict::{verdict, Winner};
use serde::Serialize;
use wasmlab_model::format::{format_value, group, times};
use wasmlab_model::metric::{
    Id, Metric, CRITERION, CTR_RUNC, CTR_WASMTIME, CTR_WASMTIME_CACHED, CTR_WASMTIME_P3,
    CTR_WASMTIME_REUSE, DOCKER, EMBEDDED_WAGI, EMBEDDED_WASMTIME, EMBEDDED_WASMTIME_AOT,
    EMBEDDED_WASMTIME_JIT, LOAD_LATENCY_P50, LOAD_LATENCY_P99, LOAD_RPS, MEMORY_CLI_PEAK,
    MEMORY_CLI_SHIM_PEAK, MEMORY_HOST_RSS_GROWTH, MEMORY_LINEAR, MEMORY_SERVER_RSS, NATIVE_BINARY,
    NATIVE_PROCESS, PHASE_COMPILE, PHASE_INSTANTIATE, PHASE_LOAD_PRECOMPILED, PHASE_RUN,
    REQUESTS_AT_ONCE, REUSED_REQUESTS, SECTION_UNCOVERED, SIZE_BINARY, SIZE_SECTION, SPIN,
    SPIN_COLD, SPIN_COLD_START, SPIN_KEEPALIVE, SPIN_WARM, STARTUP_CLI,
    THROUGHPUT_CONTAINER_STARTS, WASI_HTTP_COMPONENT, WASI_HTTP_P3, WASI_HTTP_POOLING,
    WASI_HTTP_REUSE, WASM_MODULE, WASM_PRECOMPILED,
};
use wasmlab_model::results::{setting, Observation, Results, Status, Unit};

const RUNC: &[Id] = &[STARTUP_CLI.id(&CTR_RUNC)];
const DOCKER_STARTUP: &[Id] = &[STARTUP_CLI.id(&DOCKER)];
const NATIVE: &[Id] = &[STARTUP_CLI.id(&NATIVE_PROCESS)];
const FLOOR_STARTUP: &[Id] = &[keys::FLOOR_STARTUP];
const JIT: &[Id] = &[STARTUP_CLI.id(&EMBEDDED_WASMTIME_JIT)];
const AOT: &[Id] = &[STARTUP_CLI.id(&EMBEDDED_WASMTIME_AOT)];
/// The criterion group that splits one wasi:http request, and its benches.
const WASI_HTTP_GROUP: &str = "wasi_http";

/// One question of the lab and its computed answer.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub question: String,
    /// A question of the bonus task, which the Spin section answers.
    pub bonus: bool,
    pub sentences: Vec<String>,
    /// The answer in brief, which lab12.md hands in: its first sentences.
    pub lead: Vec<String>,
}

/// One row of the decision matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub need: String,
    /// "WASM container", "traditional container" or "either": a name of the decision
    /// matrix's, never made from figures, so the summary groups the needs by it.
    pub choice: &'static str,
    /// The measured figures behind the choice.
    pub because: String,
}

/// The lab's analysis questions, then the bonus task's.
pub fn answers(results: &Results, quoted: &Quoted) -> Vec<Answer> {
    // The hand-in keeps, of each answer, the sentences that answer the question asked; the
    // page shows them all.
    let answer = |question: String, bonus: bool, sentences: Vec<String>, lead: Lead| Answer {
        question,
        bonus,
        lead: sentences
            .iter()
            .enumerate()
            .filter(|(i, s)| lead(*i, s))
            .map(|(_, s)| s.clone())
            .collect(),
        sentences,
    };
    let lab = |question: &str, sentences, lead| answer(question.into(), false, sentences, lead);
    let bonus = |question: &str, sentences, lead| {
        answer(format!("Bonus: {question}"), true, sentences, lead)
    };
    vec![
        lab(
            "Why is the WASM binary smaller, and what was left out?",
            sizes(results),
            |_, s| s.starts_with("The wasm module is") || s.starts_with("What the wasm build"),
        ),
        lab(
            "Why does one start faster than the other?",
            startup(results),
            |_, s| s.contains("with its compiled module cached") || s.starts_with("runc prepares"),
        ),
        lab(
            "What does a traditional container pay at start?",
            container_overhead(results),
            |_, s| s.starts_with("ctr with runc") || s.starts_with("docker run"),
        ),
        lab(
            "How much memory does each take?",
            memory(results),
            |_, s| s.starts_with("One CLI container as a whole, with its module cached"),
        ),
        lab(
            "Does server mode work in WebAssembly, and what does it cost?",
            server_mode(results),
            |_, s| s.starts_with("Yes, as a wasi:http component") || s.starts_with("Under ctr,"),
        ),
        bonus(
            "how do cold and warm requests compare?",
            spin(results),
            |i, _| i == 0,
        ),
        bonus(
            "would you use Spin for production workloads?",
            production(results, quoted),
            |i, _| i < 2,
        ),
        bonus(
            "how does this compare to traditional serverless (AWS Lambda, Cloud Functions)?",
            serverless(results, quoted),
            |i, _| i == 0,
        ),
    ]
}

/// Which of an answer's sentences (by position and text) the hand-in keeps.
type Lead = fn(usize, &str) -> bool;

fn median(results: &Results, keys: &[Id]) -> Option<f64> {
    results.median(keys)
}

/// The median of the first of `ids` measured, formatted.
fn shown(results: &Results, ids: &[Id]) -> Option<String> {
    median_text(results.measured(ids)?)
}

/// The median of a measured observation, formatted; None when it has none.
fn median_text(o: &Observation) -> Option<String> {
    Figure::median_of(o).map(|f| f.text())
}

/// The first of `ids` measured, with its median.
fn with_median<'a>(results: &'a Results, ids: &[Id]) -> Option<(&'a Observation, f64)> {
    let o = results.measured(ids)?;
    Some((o, o.median()?))
}

/// The verdict's winner, its phrase before what it is weighed against ("1.2× slower
/// than", "within noise of"), and its interval with a separator before whatever follows in
/// the same parentheses ("95% interval 1.1–1.3×; ").
fn versus(t: &Observation, w: &Observation) -> Option<(Winner, String, String)> {
    let v = verdict(t, w)?;
    let interval = v.interval().map(|i| format!("{i}; ")).unwrap_or_default();
    Some((v.winner, v.than(), interval))
}

fn sizes(results: &Results) -> Vec<String> {
    let mut out = Vec::new();
    let Some((native, wasm)) = keys::BINARY_SIZE.measured(results) else {
        out.push("The two binaries were not both measured in this run.".into());
        return out;
    };
    if let Some((_, phrase, _)) = versus(native, wasm) {
        out.push(format!(
            "The wasm module is {phrase} the native binary: {} B against {} B.",
            group(wasm.samples[0]),
            group(native.samples[0])
        ));
    }
    if let Some(component) = results.measured(&[SIZE_BINARY.id(&WASI_HTTP_COMPONENT)]) {
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
            .filter_map(|n| {
                results.median(&[SIZE_SECTION.id_named(None, &format!("{artifact}.{n}"))])
            })
            .sum()
    };
    let (native_artifact, wasm_artifact) = (NATIVE_BINARY.name, WASM_MODULE.name);
    let (n_total, w_total) = (native.samples[0], wasm.samples[0]);
    let text = section(native_artifact, &["text", "init", "fini"]);
    let code = section(wasm_artifact, &["code"]);
    if text > 0.0 && code > 0.0 {
        out.push(format!(
            "Machine code (the text, init and fini sections together) is {} B of the native \
             binary ({:.0}%); the module's code section is {} B \
             ({:.0}%) of WebAssembly bytecode, a compact stack-machine encoding that becomes \
             machine code only when a runtime compiles it: compiled ahead of time by the embedded \
             wasmtime it takes {}.",
            group(text),
            100.0 * text / n_total,
            group(code),
            100.0 * code / w_total,
            shown(results, &[SIZE_BINARY.id(&WASM_PRECOMPILED)])
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
        // What else it links is known of the Rust service only.
        let links = if crate::view::AppView::of(results).default {
            "; it links musl's libc statically, and in the native build the HTTP server \
             context (hyper on tokio) as well"
        } else {
            ""
        };
        out.push(format!(
            "Beyond code, the native binary carries {} B of read-only data, {} B of unwind tables \
             and {} B of ELF headers and padding{links}.",
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
            o.id.section().is_some_and(|(artifact, section)| {
                *artifact == WASM_MODULE && section.starts_with("custom")
            })
        })
        .filter_map(Observation::median)
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
        // How the Rust service's build differs is known of it alone.
        let server = if crate::view::AppView::of(results).default {
            "the server context entirely (WASI preview 1 has no sockets, so the module is built \
             without hyper and tokio), "
        } else {
            ""
        };
        out.push(format!(
            "What the wasm build leaves out: {server}any libc beyond the WASI calls it imports \
             ({} B of import section), and unwind tables: the runtime owns a wasm module's \
             stack, so it carries none. {custom}",
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
            Winner::Wasm | Winner::Traditional => format!("starts {phrase}"),
            Winner::Neither | Winner::Unweighed => format!("is {phrase}"),
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
        ("compiling the module", PHASE_COMPILE.id(&EMBEDDED_WASMTIME)),
        (
            "loading it precompiled",
            PHASE_LOAD_PRECOMPILED.id(&EMBEDDED_WASMTIME),
        ),
        ("instantiating it", PHASE_INSTANTIATE.id(&EMBEDDED_WASMTIME)),
        ("running _start", PHASE_RUN.id(&EMBEDDED_WASMTIME)),
    ]
    .iter()
    .filter_map(|(what, key)| {
        Some(format!(
            "{what} {}",
            shown(results, std::slice::from_ref(key))?
        ))
    })
    .collect();
    if !phases.is_empty() {
        out.push(format!(
            "runc prepares a Linux process (namespaces, cgroup, root filesystem mount) and execs \
             it; the shim instead runs the module inside its own process, where the in-process \
             phases cost: {}. {}",
            phases.join(", "),
            compiling(results)
        ));
    }
    out.extend(back_to_back(results));
    if let Some((native, aot)) = keys::STARTUP_NO_CONTAINER.measured(results) {
        if let Some((_, phrase, interval)) = versus(native, aot) {
            let jit = shown(results, JIT)
                .map(|j| format!(", and {j} when it must compile the module first"))
                .unwrap_or_default();
            out.push(format!(
                "Without containers, the precompiled module in an embedded wasmtime is {phrase} \
                 the native process ({interval}{} against {}){jit}: the runtime, not the module, \
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

/// What one start costs beyond another, when their interval shows it costs anything: the
/// two medians and their difference, or the ratio that shows no difference.
enum Beyond {
    Adds { base: f64, more: f64 },
    NoDifference(String),
}

/// `more` against `base`, both start figures: their medians' difference is stated only when
/// the ratio's interval excludes 1 (and has both sides' six runs); with too few runs for an
/// interval, nothing is said of them (None).
fn beyond(results: &Results, base: &[Id], more: &[Id]) -> Option<Beyond> {
    let (b, m) = (results.measured(base)?, results.measured(more)?);
    let r = wasmlab_model::stats::ratio_of_medians(&m.samples, &b.samples)?;
    r.interval?;
    let (base, more) = (b.median()?, m.median()?);
    Some(if r.is_significant() {
        Beyond::Adds { base, more }
    } else {
        Beyond::NoDifference(crate::figure::ratio_text(&r))
    })
}

/// The same `ctr run --rm` timed a second way, back to back, as a check of the interleaved
/// figure: which one the page uses, and how far apart they came out.
fn back_to_back(results: &Results) -> Vec<String> {
    [
        (&CTR_WASMTIME_CACHED, &CTR_WASMTIME, "the cached wasm image"),
        (&CTR_RUNC, &CTR_RUNC, "the native image under runc"),
    ]
    .into_iter()
    .filter_map(|(interleaved, batch, what)| {
        let i = results.measured(&[STARTUP_CLI.id(interleaved)])?;
        let b = results.measured(&[THROUGHPUT_CONTAINER_STARTS.id(batch)])?;
        let r = wasmlab_model::stats::ratio_of_medians(&b.samples, &i.samples)?;
        Some(format!(
            "A check of the same command for {what}: back to back, each start right after the \
             previous container's removal, `ctr run --rm` takes {} against {} interleaved with \
             the other runtimes ({}); the figures above are the interleaved ones, taken the \
             same way for every runtime.",
            value_of(b),
            value_of(i),
            crate::figure::ratio_text(&r)
        ))
    })
    .collect()
}

/// What compiling accounts for in a first start, checked before it is said: the in-process
/// compile is a part of a whole start that compiles, so it cannot exceed it; and it is
/// named as the cause of a first start's extra time only when the first and cached starts
/// differ beyond noise and compiling is of the same size as that difference.
fn compiling(results: &Results) -> String {
    let compile_id = [PHASE_COMPILE.id(&EMBEDDED_WASMTIME)];
    let (Some(compile), Some(jit)) = (median(results, &compile_id), median(results, JIT)) else {
        return "Compiling was not timed in process beside a whole start in this run.".into();
    };
    if compile > jit {
        return format!(
            "The in-process compile ({}) exceeds a whole embedded start that compiles ({}): one \
             of the two is not what it says in this run, so no cause is drawn from them.",
            format_value(compile, Unit::Seconds),
            format_value(jit, Unit::Seconds)
        );
    }
    let compiled = format_value(compile, Unit::Seconds);
    match beyond(results, keys::STARTUP_CACHED.wasm, keys::STARTUP_FIRST.wasm) {
        None => String::new(),
        Some(Beyond::NoDifference(ratio)) => format!(
            "A first start shows {ratio} against a cached one, so compiling ({compiled} in \
             process) costs nothing measurable in a container start here."
        ),
        Some(Beyond::Adds { base, more }) if more <= base => format!(
            "A first start came out faster than a cached one, so compiling ({compiled} in \
             process) costs nothing measurable in a container start here."
        ),
        Some(Beyond::Adds { base, more }) if (0.5..=1.5).contains(&(compile / (more - base))) => {
            format!(
                "Compiling ({compiled} in process) accounts for a first start's extra {} over \
                 a cached one.",
                format_value(more - base, Unit::Seconds)
            )
        }
        Some(Beyond::Adds { base, more }) => format!(
            "A first start takes {} more than a cached one, and compiling takes {compiled} in \
             process: compiling alone does not account for the difference.",
            format_value(more - base, Unit::Seconds)
        ),
    }
}

fn container_overhead(results: &Results) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(floor) = median(results, FLOOR_STARTUP) {
        let service = match beyond(results, FLOOR_STARTUP, NATIVE) {
            Some(Beyond::Adds { base, more }) if more > base => {
                format!(
                    "the service's own work in the native process adds {}",
                    signed(more - base)
                )
            }
            Some(Beyond::Adds { base, more }) => format!(
                "the native process came out {} faster than it: the floor is this machine's \
                 reference for an exec, not a bound every start stays above",
                format_value(base - more, Unit::Seconds)
            ),
            Some(Beyond::NoDifference(ratio)) => format!(
                "the native service shows {ratio} from it: its own work is within that noise"
            ),
            None => "the native process was not measured beside it".to_owned(),
        };
        out.push(format!(
            "Creating a process and exec'ing a static binary that does nothing costs {} here (the \
             floor); {service}.",
            format_value(floor, Unit::Seconds),
        ));
    }
    match beyond(results, NATIVE, RUNC) {
        Some(Beyond::Adds { base, more }) => out.push(format!(
            "ctr with runc adds {} to the bare process ({} of its {}): the ctr client, a shim \
             process, namespaces, a cgroup, the root filesystem snapshot and mount, and the task's \
             bookkeeping in containerd.",
            signed(more - base),
            share(more - base, more),
            format_value(more, Unit::Seconds)
        )),
        Some(Beyond::NoDifference(ratio)) => out.push(format!(
            "ctr with runc shows {ratio} against the bare process."
        )),
        None => {}
    }
    match beyond(results, RUNC, DOCKER_STARTUP) {
        Some(Beyond::Adds { base, more }) if more > base => out.push(format!(
            "docker run adds {} on top of containerd and runc ({} of its {}): the \
             API round trips of the docker client, network namespace and bridge setup, and \
             the log driver.",
            signed(more - base),
            share(more - base, more),
            format_value(more, Unit::Seconds)
        )),
        Some(Beyond::Adds { base, more }) => out.push(format!(
            "docker run ({}) came out faster than ctr with runc ({}): its extra layers cost \
             less here than ctr's own client and task setup.",
            format_value(more, Unit::Seconds),
            format_value(base, Unit::Seconds)
        )),
        Some(Beyond::NoDifference(ratio)) => out.push(format!(
            "docker run shows {ratio} against ctr with runc: its extra layers cost nothing \
             measurable here."
        )),
        None => {}
    }
    if out.is_empty() {
        out.push("The container startup figures were not measured in this run.".into());
    }
    out
}

fn memory(results: &Results) -> Vec<String> {
    let mut out = Vec::new();
    for (pair, when) in [
        (keys::MEMORY_CLI, "with its module cached"),
        (
            keys::MEMORY_CLI_FIRST,
            "on a first start (the shim compiling)",
        ),
    ] {
        let Some((t, w)) = pair.measured(results) else {
            continue;
        };
        let (Some((_, phrase, interval)), Some(wb), Some(tb)) =
            (versus(t, w), median_text(w), median_text(t))
        else {
            continue;
        };
        let part = |metric: &'static wasmlab_model::metric::Metric, o: &Observation| {
            shown(results, &[metric.id_named(None, &o.id.variant)])
        };
        let split =
            |o: &Observation| match (part(&MEMORY_CLI_PEAK, o), part(&MEMORY_CLI_SHIM_PEAK, o)) {
                (Some(cgroup), Some(shim)) => {
                    format!(" ({cgroup} in the cgroup, {shim} in the shim)")
                }
                _ => String::new(),
            };
        out.push(format!(
            "One CLI container as a whole, {when}: its cgroup's peak plus the peak RSS of the \
             shim process that serves it, read the same way on both sides. The wasm container \
             takes {phrase} the runc container ({interval}{wb}{} against {tb}{}); the \
             reference wrote N/A here.",
            split(w),
            split(t)
        ));
    }
    let pair = keys::MEMORY_CLI_CGROUP.measured(results);
    if let Some((wb, tb)) = pair.and_then(|(t, w)| median_text(w).zip(median_text(t))) {
        out.push(format!(
            "The container cgroups alone read {wb} for the wasm container and {tb} for runc's, \
             but they hold different parts of the work (runc's includes runc init; the wasm \
             shim runs the module in its own process, outside the cgroup), so no verdict is \
             drawn from them."
        ));
    }
    if let Some(linear) = shown(results, &[MEMORY_LINEAR.id(&EMBEDDED_WASMTIME)]) {
        let resident = shown(results, &[MEMORY_HOST_RSS_GROWTH.id(&EMBEDDED_WASMTIME)])
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
    if let Some((t, w)) = keys::MEMORY_SERVING.measured(results) {
        if let (Some((_, phrase, interval)), Some(wb), Some(tb)) =
            (versus(t, w), median_text(w), median_text(t))
        {
            out.push(format!(
                "Serving, read the same way on both sides (VmRSS of the serving processes), the \
                 wasi:http host holds {phrase} the native server ({interval}{wb} against \
                 {tb}): it carries wasmtime, the compiled component and its instance pool."
            ));
        }
    }
    let stats = results.measured(keys::MEMORY_SERVING_DOCKER_STATS.traditional);
    if let Some((stats, using)) = stats.and_then(|o| Some((o, median_text(o)?))) {
        out.push(format!(
            "docker stats, as the lab asks, shows the server container using {using}{}; it reads \
             the container's cgroup, and no wasm server ran in docker, so it is weighed against \
             nothing.",
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
/// The server in a container against the server in a container, the same containerd: its
/// rate at 10 connections and its memory while serving, each weighed.
fn in_containers(results: &Results) -> Option<String> {
    let (rt, rw) = keys::THROUGHPUT_CONTAINER.measured(results)?;
    let rate = verdict(rt, rw)?;
    let memory = keys::MEMORY_SERVING_CONTAINER
        .measured(results)
        .and_then(|(mt, mw)| {
            let v = verdict(mt, mw)?;
            Some(format!(
                ", and holds {} while serving, {} runc's {} ({})",
                value_of(mw),
                v.than(),
                value_of(mt),
                v.interval().unwrap_or_default()
            ))
        })
        .unwrap_or_default();
    Some(format!(
        "Yes, as a wasi:http component: in a container under the shim it serves {} at 10 \
         connections, {} the native server container under runc, {} ({}){memory}.",
        value_of(rw),
        rate.than(),
        value_of(rt),
        rate.interval().unwrap_or_default()
    ))
}

/// What reusing instances changes: each reusing server against its fresh-instance twin at
/// 10 connections, the 0.3 component's concurrent reuse against the 0.2 one's serial reuse,
/// and what the guest's handler costs of a request in a reused instance.
fn reuse(results: &Results) -> Option<String> {
    let at = keys::AT_C10;
    const FRESH: &str = "a fresh instance per request";
    const SERIAL: &str = "the 0.2 component's instances reused one request at a time";
    let pairs = [
        (
            "the embedded host",
            &WASI_HTTP_POOLING,
            FRESH,
            &WASI_HTTP_REUSE,
        ),
        (
            "in a container, the shim",
            &CTR_WASMTIME,
            FRESH,
            &CTR_WASMTIME_REUSE,
        ),
        (
            "the embedded host with the wasi:http@0.3 build",
            &WASI_HTTP_REUSE,
            SERIAL,
            &WASI_HTTP_P3,
        ),
        (
            "in a container, the shim with the wasi:http@0.3 build",
            &CTR_WASMTIME_REUSE,
            SERIAL,
            &CTR_WASMTIME_P3,
        ),
    ];
    let compared: Vec<String> = pairs
        .iter()
        .filter_map(|(host, base, base_name, reused)| {
            let base = results.measured(&[LOAD_RPS.id_at(at, base)])?;
            let reused = results.measured(&[LOAD_RPS.id_at(at, reused)])?;
            let ratio = wasmlab_model::stats::ratio_of_medians(&reused.samples, &base.samples)?;
            let label = crate::figure::label();
            let weighed = match (ratio.interval, ratio.is_significant()) {
                (Some(i), true) => format!(
                    "{}× the rate of {base_name}, {} ({label} {}–{}×)",
                    times(ratio.value),
                    value_of(base),
                    wasmlab_model::format::bound(i.low),
                    wasmlab_model::format::bound(i.high)
                ),
                (Some(i), false) => format!(
                    "no measurable difference from {base_name}, {} (ratio {}, {label} {}–{})",
                    value_of(base),
                    times(ratio.value),
                    times(i.low),
                    times(i.high)
                ),
                (None, _) => format!(
                    "beside {} with {base_name} (not weighed: an interval needs six runs a \
                     side)",
                    value_of(base)
                ),
            };
            Some(format!("{host} serves {}, {weighed}", value_of(reused)))
        })
        .collect();
    if compared.is_empty() {
        return None;
    }
    let handler = results.measured(&[CRITERION.id_named(Some(WASI_HTTP_GROUP), "handler_reused")]);
    // The best reusing variant of the embedded host, by its median rate.
    let best = [&WASI_HTTP_REUSE, &WASI_HTTP_P3]
        .into_iter()
        .filter_map(|v| {
            let o = results.measured(&[LOAD_RPS.id_at(at, v)])?;
            Some((v, o, o.median()?))
        })
        .max_by(|a, b| a.2.total_cmp(&b.2));
    let limit = match handler.zip(best) {
        Some((h, (variant, b, rate))) if rate > 0.0 => {
            let handler_s = h.median().unwrap_or_default();
            // The host runs on one pinned core, so a rate is at most one request per
            // this much of that core.
            let per_request = 1.0 / rate;
            format!(
                " What limits the best of them ({}): at {} the host's one core has {} per \
                 request, and in process the guest's handler alone (the 0.2 build, in a \
                 reused instance, no socket) takes {}, {:.0}% of that; the rest is hyper and wasi:http around the \
                 guest.",
                variant.label,
                value_of(b),
                format_value(per_request, Unit::Seconds),
                value_of(h),
                100.0 * handler_s / per_request
            )
        }
        _ => String::new(),
    };
    let concurrent = match results.get(&LOAD_RPS.id_at(at, &WASI_HTTP_P3)) {
        Some(o) if o.is_measured() => format!(
            "Several requests at once in one instance (concurrent reuse, `wasmtime serve`'s \
             default for WASI 0.3) needs a wasi:http@0.3 component, whose handler is async: \
             the service's 0.3 build, its instances reused for up to {REUSED_REQUESTS} \
             requests, up to {REQUESTS_AT_ONCE} at once, is measured beside the others (in \
             the embedded host and, where containerd runs, in a container). Taking \
             requests at once saves only while a request waits (on a backend, a timer): \
             the service's handler computes its answer without waiting, so its requests \
             have nothing to overlap, and a guest that computes holds its instance, so a \
             request looping to its deadline delays the others sharing that instance."
        ),
        Some(o) => {
            let why = match &o.status {
                Status::Skipped { reason } => format!("skipped: {reason}"),
                Status::Failed { error } => format!("failed: {error}"),
                Status::Measured => String::new(),
            };
            format!(
                "Several requests at once in one instance (concurrent reuse) needs a \
                 wasi:http@0.3 component; the service's 0.3 build was not measured in this \
                 run ({why})."
            )
        }
        None => "Several requests at once in one instance (concurrent reuse) needs a \
                 wasi:http@0.3 component; this run did not measure one."
            .to_owned(),
    };
    Some(format!(
        "Reusing an instance for up to {REUSED_REQUESTS} requests, one after another (a \
         fresh one per request is what runwasi, Spin and `wasmtime serve` do for WASI 0.2 \
         components): {}. What it changes for an application: its globals and heap carry \
         from one request to the next, so a request can see what an earlier one left, \
         which a fresh instance rules out. {concurrent}{limit}",
        compared.join("; ")
    ))
}

fn server_mode(results: &Results) -> Vec<String> {
    let at = Some(keys::AT_C10);
    let native = results.measured(&[LOAD_RPS.id_at(keys::AT_C10, &NATIVE_PROCESS)]);
    let mut out: Vec<String> = keys::measured_series(results, &LOAD_RPS, at)
        .filter(|(o, _)| Some(&o.id) != native.map(|n| &n.id))
        .map(|(o, variant)| {
            let p99 = shown(results, &[LOAD_LATENCY_P99.id_named(at, &variant)])
                .map(|p| format!(", p99 latency {p}"))
                .unwrap_or_default();
            let rss = shown(results, &[MEMORY_SERVER_RSS.id_named(None, &variant)])
                .map(|r| format!(", {r} resident"))
                .unwrap_or_default();
            let against = native
                .and_then(|n| wasmlab_model::stats::ratio_of_medians(&o.samples, &n.samples))
                .map(|r| format!(" ({}× the native server's rate)", times(r.value)))
                .unwrap_or_default();
            format!("{}: {}{against}{p99}{rss}.", o.label, value_of(o))
        })
        .collect();
    if let Some(n) = native {
        out.insert(
            0,
            format!(
                "Out of containers, at 10 connections the native server process answered {}{}; each server below \
                 ran the same routes under the same load generator, pinned apart.",
                value_of(n),
                shown(results, &[keys::NATIVE_SERVER_RSS])
                    .map(|r| format!(" with {r} resident"))
                    .unwrap_or_default()
            ),
        );
    }
    let bench = |name: &str| CRITERION.id_named(Some(WASI_HTTP_GROUP), name);
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
    out.extend(reuse(results));
    if let Some(sentence) = in_containers(results) {
        out.insert(0, sentence);
    }
    if let Some(p1) = results
        .get(&keys::P1_SERVER)
        .and_then(|o| o.shown.as_deref())
    {
        // The exit status; the service's own message is in the notebook's table.
        let exit = p1.split(':').next().unwrap_or(p1);
        out.push(format!(
            "Under ctr, the wasm32-wasip1 module cannot serve at all (WASI preview 1 has no \
             sockets): {exit}."
        ));
    }
    if out.is_empty() {
        out.push("No server was measured under load in this run.".into());
    }
    out
}

/// The spacing of the cold and warm series, from the settings of the invocation that took
/// them; None when that invocation did not record it.
pub fn spacing(results: &Results) -> Option<(f64, f64)> {
    let o = results
        .observations
        .iter()
        .find(|o| o.is_measured() && o.id.is_of(&SPIN_COLD, None))?;
    Some((
        results.setting_of(o, setting::COLD_INTERVAL)?,
        results.setting_of(o, setting::WARM_INTERVAL)?,
    ))
}

/// Per host: how long it takes to come up, and cold requests against warm ones. The hosts
/// are those the Spin probe measured, named as the catalogue names their variants.
fn spin(results: &Results) -> Vec<String> {
    let mut hosts: Vec<(String, String)> = Vec::new();
    for o in results.observations.iter().filter(|o| o.is_measured()) {
        if !(o.id.is_of(&SPIN_COLD_START, None) || o.id.is_of(&SPIN_COLD, None)) {
            continue;
        }
        let host = o.id.variant.to_string();
        if hosts.iter().all(|(h, _)| *h != host) {
            hosts.push((host, keys::variant_label(&o.id)));
        }
    }
    let mut out = Vec::new();
    // Hosts whose warm median came out above the cold one, and of those, measurably.
    let (mut compared, mut warm_slower, mut measurably) = (0, Vec::new(), 0);
    for (host, name) in hosts {
        let get = |series: &'static Metric| results.measured(&[series.id_named(None, &host)]);
        let mut parts = Vec::new();
        if let Some(start) = get(&SPIN_COLD_START) {
            parts.push(format!("first 200 {} after launch", value_of(start)));
        }
        if let (Some(cold), Some(warm)) = (get(&SPIN_COLD), get(&SPIN_WARM)) {
            // `verdict` reads "wasm vs traditional"; here warm plays the first role.
            if let Some(v) = verdict(warm, cold) {
                compared += 1;
                if warm.median() > cold.median() {
                    warm_slower.push(name.clone());
                    if v.winner == Winner::Wasm {
                        measurably += 1;
                    }
                }
                let how = match v.winner {
                    Winner::Neither => format!("show {} from warm ones", v.short()),
                    Winner::Unweighed => {
                        "cannot be weighed against warm ones (too few runs)".into()
                    }
                    _ => format!("are {} than warm ones", v.short()),
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
    if !warm_slower.is_empty() {
        let measurably = match measurably {
            0 => "none of them measurably (every interval contains 1)".to_owned(),
            k => format!("{k} of them measurably"),
        };
        out.push(format!(
            "Warm requests read slower than cold ones on {} of {compared} hosts ({}), {measurably}: \
             these hosts cache nothing a cache-busting query could miss (each request gets a \
             fresh instance or a server that keeps no per-URL state), so cold and warm differ \
             only by noise and by what the spacing leaves in the machine's caches.",
            warm_slower.len(),
            warm_slower.join(", ")
        ));
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

/// The WAGI host the bonus answers speak for: Spin when it was measured, else the embedded
/// host that serves the same manifest the same way; with its name and, for the stand-in,
/// a note saying so.
fn wagi_host(
    results: &Results,
) -> Option<(
    &'static wasmlab_model::metric::Variant,
    &'static str,
    &'static str,
)> {
    [
        (&SPIN, "Spin", ""),
        // The page says once, up front, that this host stands in for Spin.
        (&EMBEDDED_WAGI, "the embedded WAGI host", ""),
    ]
    .into_iter()
    .find(|(v, _, _)| results.measured(&[SPIN_COLD_START.id(v)]).is_some())
}

/// Would Spin serve production work: its measured start, per-request cost, memory and
/// throughput against the native server's, each from this run.
fn production(results: &Results, quoted: &Quoted) -> Vec<String> {
    let Some((host, name, note)) = wagi_host(results) else {
        return vec![
            "Not answered from data: no WAGI host's cold start was measured in this run (make \
             bench-spin)."
                .into(),
        ];
    };
    let mut out = Vec::new();
    let get = |key: Id| with_median(results, &[key]);
    let start = get(SPIN_COLD_START.id(host));
    let rate = get(LOAD_RPS.id_at(keys::AT_C10, host));
    let native_rate = get(LOAD_RPS.id_at(keys::AT_C10, &NATIVE_PROCESS));
    let rss = get(MEMORY_SERVER_RSS.id(host));
    let native_rss = get(keys::NATIVE_SERVER_RSS);
    let p50 = get(LOAD_LATENCY_P50.id_at(keys::AT_C1, host));
    let mut facts = Vec::new();
    if let Some((s, _)) = start {
        facts.push(format!(
            "it comes up in {} (launch to the first 200)",
            value_of(s)
        ));
    }
    if let Some((p, _)) = p50 {
        facts.push(format!(
            "answers one request at a time in {} (wrk's median at one connection; a fresh \
             instance per request)",
            value_of(p)
        ));
    }
    let mut rate_ratio = None;
    if let (Some((r, rm)), Some((n, nm))) = (rate, native_rate) {
        let ratio = rm / nm;
        rate_ratio = Some(ratio);
        facts.push(format!(
            "serves {} at 10 connections, {}× the native server's {}",
            value_of(r),
            times(ratio),
            value_of(n)
        ));
    }
    if let (Some((_, m)), Some((_, n))) = (rss, native_rss) {
        facts.push(format!(
            "holds {} resident against the native server's {}",
            format_value(m, Unit::Bytes),
            format_value(n, Unit::Bytes)
        ));
    }
    // The host was chosen for its measured start, so there is always a fact to state.
    out.push(format!(
        "Measured here, {name}{note}: {}.",
        facts.join("; ")
    ));
    let lambda_low = quoted.public(LAMBDA_COLD_START).and_then(|p| p.low_seconds);
    let fast_start = start.zip(lambda_low).map(|((_, s), low)| s < low);
    let verdict = match (fast_start, rate_ratio) {
        (Some(true), Some(r)) if r < 0.5 => format!(
            "So: yes for request-driven work that scales to zero or idles (a start in the \
             fastest part of the range AWS quotes for Lambda's cold starts costs little), not \
             for a throughput-bound service, where the native server did {}× the work per core \
             here.",
            times(1.0 / r)
        ),
        (Some(true), _) => "So: yes: it starts in the fastest part of the range AWS quotes for \
             Lambda's cold starts and keeps at least half the native server's rate here."
            .to_owned(),
        (Some(false), _) => "So: only where its start is acceptable: it came up slower than the \
             fastest part of the range AWS quotes for Lambda's cold starts."
            .to_owned(),
        (None, _) => "So: the start was not measured against a quoted figure; decide on the \
             rate and memory above."
            .to_owned(),
    };
    out.push(verdict);
    out.push(
        "Not measured here, and what a production decision also needs: a cloud deployment \
         (SPIN_URL), its latency over a real network, and operational features (logs, \
         metrics, secrets) that a local run cannot show."
            .into(),
    );
    out
}

/// Keys of the public statements in quoted.json the serverless answer compares against.
const LAMBDA_COLD_START: &str = "lambda-cold-start";
const LAMBDA_MEMORY: &str = "lambda-memory";
const CLOUD_FUNCTIONS_MEMORY: &str = "cloud-functions-memory";
const CLOUD_FUNCTIONS_CONCURRENCY: &str = "cloud-functions-concurrency";

/// The measured WAGI host against the public figures of AWS Lambda and Cloud Functions,
/// each quoted figure named as quoted.
fn serverless(results: &Results, quoted: &Quoted) -> Vec<String> {
    let Some((host, name, note)) = wagi_host(results) else {
        return vec!["Not answered from data: no WAGI host was measured in this run.".into()];
    };
    let mut out = Vec::new();
    let get = |key: Id| with_median(results, &[key]);
    if let (Some((start, measured)), Some(lambda)) = (
        get(SPIN_COLD_START.id(host)),
        quoted.public(LAMBDA_COLD_START),
    ) {
        let against = lambda.low_seconds.map_or_else(String::new, |low| {
            // The quote's range is open below ("under 100 ms"): a faster start lies in its
            // fastest part, not below it.
            if measured < low {
                format!(
                    ", in the fastest part of that range (under {})",
                    format_value(low, Unit::Seconds)
                )
            } else {
                ", within that range, above its fastest part".to_owned()
            }
        });
        out.push(format!(
            "Cold start: {name}{note} came up in {} on this machine (measured), against AWS's \
             own statement \"{}\" (quoted: {}){against}. A WAGI \
             host pays its start once per process, and each request then gets a fresh \
             instance in that process, where Lambda starts an execution environment per \
             concurrent request.",
            value_of(start),
            lambda.quote.trim_end_matches('.'),
            lambda.source
        ));
    }
    if let Some((_, rss)) = get(MEMORY_SERVER_RSS.id(host)) {
        let floors: Vec<String> = [LAMBDA_MEMORY, CLOUD_FUNCTIONS_MEMORY]
            .iter()
            .filter_map(|k| quoted.public(k))
            .filter_map(|p| {
                Some(format!(
                    "{} allocates at least {} per instance (quoted: {})",
                    p.platform,
                    format_value(p.low_bytes?, Unit::Bytes),
                    p.source
                ))
            })
            .collect();
        if !floors.is_empty() {
            out.push(format!(
                "Memory: the whole host, serving every request, held {} resident (measured); {}.",
                format_value(rss, Unit::Bytes),
                floors.join("; ")
            ));
        }
    }
    if let (Some((rate, _)), Some(concurrency)) = (
        get(LOAD_RPS.id_at(keys::AT_C10, host)),
        quoted.public(CLOUD_FUNCTIONS_CONCURRENCY),
    ) {
        out.push(format!(
            "Concurrency: {name}, one process, served {} at 10 connections (measured), each \
             request in its own instance; Cloud Functions documents that \"{}\" (quoted: {}), \
             so the same load takes as many instances as there are requests in flight.",
            value_of(rate),
            concurrency.quote.trim_end_matches('.'),
            concurrency.source
        ));
    }
    if out.is_empty() {
        out.push(format!(
            "Not answered from data: {name}'s start, memory and rate were not all measured."
        ));
    } else {
        out.push(
            "These are not one quantity measured the same way: the quoted figures are the \
             providers' statements for their platforms, reached over a network; the measured \
             ones are this machine over loopback. They compare orders of magnitude, not \
             winners."
                .into(),
        );
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

/// `part` as a share of `whole`, without more precision than a share needs: "62%",
/// "nearly all".
fn share(part: f64, whole: f64) -> String {
    let p = 100.0 * part / whole;
    if p >= 99.5 {
        "nearly all".to_owned()
    } else {
        format!("{p:.0}%")
    }
}

/// When to pick which, each cell from this run's figures.
pub fn decisions(results: &Results) -> Vec<Decision> {
    const CONTAINERS: [&str; 2] = ["traditional container", "WASM container"];
    let mut out = Vec::new();
    let pick = |need: &str, pair: Pair, names: [&'static str; 2], out: &mut Vec<Decision>| {
        let Some((to, wo)) = pair.measured(results) else {
            return;
        };
        let Some(v) = verdict(to, wo) else {
            return;
        };
        let choice = match v.winner {
            Winner::Wasm => names[1],
            Winner::Traditional => names[0],
            Winner::Neither => "either",
            Winner::Unweighed => "not decided (too few runs)",
        };
        // "WASM container 1.46× faster", or "WASM container against traditional container:
        // no measurable difference" when no side wins.
        let said = match v.winner {
            Winner::Wasm | Winner::Traditional => format!("{} {}", names[1], v.phrase()),
            Winner::Neither | Winner::Unweighed => {
                format!("{} against {}: {}", names[1], names[0], v.phrase())
            }
        };
        out.push(Decision {
            need: need.into(),
            choice,
            because: format!("{said}: {} against {}", value_of(wo), value_of(to)),
        });
    };
    pick(
        "smallest artifact to ship and pull",
        keys::IMAGES_IN_CONTAINERD,
        CONTAINERS,
        &mut out,
    );
    pick(
        "fastest first start after a deploy",
        keys::STARTUP_FIRST,
        CONTAINERS,
        &mut out,
    );
    pick(
        "fastest repeated start (scale to zero, one task per request)",
        keys::STARTUP_CACHED,
        CONTAINERS,
        &mut out,
    );
    pick(
        "least memory per short-lived task (container and its shim)",
        keys::MEMORY_CLI,
        CONTAINERS,
        &mut out,
    );
    // The ctr probe records the server context's exit as measured when the module ended
    // instead of serving; what it printed says why.
    if let Some(shown) = results
        .get(&keys::P1_SERVER)
        .filter(|o| o.is_measured())
        .and_then(|o| o.shown.as_deref())
    {
        let exit = shown.split(':').next().unwrap_or(shown);
        let component = if crate::view::AppView::of(results).component {
            "; the same source built as a wasi:http component serves in a WASM container (the \
             next rows)"
        } else {
            "; the app has no wasi:http component"
        };
        out.push(Decision {
            need: "a server from the CLI's own wasm32-wasip1 build".into(),
            choice: CONTAINERS[0],
            because: format!("the wasm32-wasip1 module cannot listen ({exit}){component}"),
        });
    }
    // The server rows weigh a server container against a server container, under one
    // containerd: what a deployment would run.
    pick(
        "highest HTTP throughput at 10 connections, in a container",
        keys::THROUGHPUT_CONTAINER,
        CONTAINERS,
        &mut out,
    );
    pick(
        "least memory while serving, in a container",
        keys::MEMORY_SERVING_CONTAINER,
        CONTAINERS,
        &mut out,
    );
    out
}

/// One test per branch of each answer: WASM better, worse, within noise, and not measured,
/// on small results built in memory.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{around, measured, results};
    use crate::templates::Templates;
    use wasmlab_model::metric::{
        Variant, CTR_WASMTIME_FIRST, FLOOR, MEMORY_CLI_CONTAINER_TOTAL, MEMORY_SERVER_DOCKER_STATS,
        REMOTE, SERVER_CONTEXT_EXIT, WASI_HTTP_POOLING, WASMTIME_SERVE, WASM_MODULE,
    };

    fn quoted() -> Quoted {
        Quoted::load(&Templates::Embedded).unwrap()
    }

    /// The cached start under ctr against runc's 180 ms.
    fn cached_start(seconds: f64) -> Results {
        results([
            measured(&STARTUP_CLI, &CTR_RUNC, around(0.180)),
            measured(&STARTUP_CLI, &CTR_WASMTIME_CACHED, around(seconds)),
        ])
    }

    fn one(sentences: Vec<String>) -> String {
        assert_eq!(sentences.len(), 1, "{sentences:#?}");
        sentences.into_iter().next().unwrap()
    }

    /// A size (one exact reading) or a memory figure (six readings around `bytes`).
    fn size(metric: &'static Metric, variant: &'static Variant, bytes: f64) -> Observation {
        match metric.kind {
            wasmlab_model::metric::Kind::Size => measured(metric, variant, vec![bytes]),
            _ => crate::fixtures::reading(metric.of(variant), bytes),
        }
    }

    fn section(artifact: &str, name: &str, bytes: f64) -> Observation {
        SIZE_SECTION
            .named(format!("{artifact}.{name}"), format!("{artifact}: {name}"))
            .measured("section headers", vec![bytes])
    }

    #[test]
    fn sizes_say_smaller_larger_or_not_measured() {
        let smaller = results([
            size(&SIZE_BINARY, &NATIVE_BINARY, 733_880.0),
            size(&SIZE_BINARY, &WASM_MODULE, 63_186.0),
        ]);
        assert_eq!(
            sizes(&smaller),
            ["The wasm module is 11.6× smaller than the native binary: 63,186 B against 733,880 B."]
        );
        let larger = results([
            size(&SIZE_BINARY, &NATIVE_BINARY, 100_000.0),
            size(&SIZE_BINARY, &WASM_MODULE, 140_000.0),
        ]);
        assert!(sizes(&larger)[0].starts_with("The wasm module is 1.40× larger than"));
        let alone = results([size(&SIZE_BINARY, &NATIVE_BINARY, 733_880.0)]);
        assert_eq!(
            sizes(&alone),
            ["The two binaries were not both measured in this run."]
        );
    }

    #[test]
    fn sizes_split_the_binaries_and_say_what_the_wasm_build_leaves_out() {
        let mut r = results([
            size(&SIZE_BINARY, &NATIVE_BINARY, 700_000.0),
            size(&SIZE_BINARY, &WASM_MODULE, 70_000.0),
            size(&SIZE_BINARY, &WASI_HTTP_COMPONENT, 280_000.0),
            section("native", "text", 350_000.0),
            section("native", "rodata", 80_000.0),
            section("native", "eh-frame", 60_000.0),
            section("native", SECTION_UNCOVERED, 4_000.0),
            section("wasm", "code", 35_000.0),
            section("wasm", "import", 700.0),
        ]);
        let text = sizes(&r);
        assert_eq!(text.len(), 5, "{text:#?}");
        assert!(
            text[1].contains("280,000 B, 4.0× the preview 1 module"),
            "{}",
            text[1]
        );
        assert!(
            text[2].starts_with("Machine code (the text, init and fini sections together) is 350,000 B of the native binary (50%); the module's code section is 35,000 B (50%)"),
            "{}",
            text[2]
        );
        // The precompiled module was not measured: said so, not zero.
        assert!(
            text[2].ends_with("it takes an unmeasured size."),
            "{}",
            text[2]
        );
        assert!(
            text[3].contains(
                "80,000 B of read-only data, 60,000 B of unwind tables and 4,000 B of ELF headers"
            ),
            "{}",
            text[3]
        );
        assert!(text[4].contains("(700 B of import section)"), "{}", text[4]);
        assert!(text[4].ends_with("they were stripped."), "{}", text[4]);
        r.merge(section("wasm", "custom-producers", 90.0));
        r.merge(section("wasm", "custom-name", 10.0));
        assert!(sizes(&r)[4].ends_with("Its custom sections (names, producers) take 100 B."));
    }

    #[test]
    fn a_start_under_containerd_is_faster_slower_or_no_measurable_difference() {
        let faster = one(startup(&cached_start(0.130)));
        assert!(
            faster.starts_with(
                "Under the same containerd, the wasm container with its compiled module cached \
                 starts 1.38× faster than the runc container (95% interval 1."
            ),
            "{faster}"
        );
        assert!(
            faster.ends_with("130 ms against 180 ms, medians from the spawn of ctr to its exit).")
        );
        let slower = one(startup(&cached_start(0.250)));
        assert!(
            slower.contains("starts 1.39× slower than the runc container"),
            "{slower}"
        );
        let same = one(startup(&cached_start(0.180)));
        assert!(
            same.contains("is within noise of the runc container (ratio 1.00 (traditional ÷ WASM), 95% interval"),
            "{same}"
        );
        let none = results([measured(&STARTUP_CLI, &CTR_RUNC, around(0.180))]);
        assert_eq!(
            startup(&none),
            ["No pair of startup figures was measured in this run."]
        );
    }

    #[test]
    fn a_start_lists_the_phases_and_weighs_the_module_without_containers() {
        let mut r = results([
            measured(&PHASE_COMPILE, &EMBEDDED_WASMTIME, around(0.030)),
            measured(&PHASE_RUN, &EMBEDDED_WASMTIME, around(0.000_1)),
            measured(&STARTUP_CLI, &NATIVE_PROCESS, around(0.001)),
            measured(&STARTUP_CLI, &EMBEDDED_WASMTIME_AOT, around(0.006)),
        ]);
        let text = startup(&r);
        assert!(
            text[0].contains("phases cost: compiling the module 30.0 ms, running _start 100 µs."),
            "{}",
            text[0]
        );
        assert!(
            text[1].starts_with("Without containers, the precompiled module in an embedded wasmtime is 6.0× slower than the native process (95% interval"),
            "{}",
            text[1]
        );
        assert!(
            text[1].contains("6.00 ms against 1.00 ms): the runtime"),
            "{}",
            text[1]
        );
        r.merge(measured(
            &STARTUP_CLI,
            &EMBEDDED_WASMTIME_JIT,
            around(0.040),
        ));
        assert!(startup(&r)[1].contains("), and 40.0 ms when it must compile the module first: "));
        let same = results([
            measured(&STARTUP_CLI, &NATIVE_PROCESS, around(0.001)),
            measured(&STARTUP_CLI, &EMBEDDED_WASMTIME_AOT, around(0.001)),
        ]);
        let same = one(startup(&same));
        assert!(
            same.contains("embedded wasmtime is within noise of the native process"),
            "{same}"
        );
    }

    /// A part cannot exceed its whole: an in-process compile longer than a whole start that
    /// compiles is said as a broken measurement, never as a cause; compiling is named as the
    /// cause of a first start's extra time only when it is of that size.
    /// One quantity, one value: the back-to-back batch is said as a check of the
    /// interleaved figure, both medians and their ratio, never as a second figure.
    #[test]
    fn back_to_back_starts_are_a_check_of_the_interleaved_figure() {
        let r = results([
            measured(&STARTUP_CLI, &CTR_WASMTIME_CACHED, around(0.101)),
            measured(&THROUGHPUT_CONTAINER_STARTS, &CTR_WASMTIME, around(0.153)),
        ]);
        let said = back_to_back(&r);
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].contains("takes 153 ms (median of 11) against 101 ms (median of 11) interleaved")
                && said[0].contains("1.51× [")
                && said[0].ends_with("the figures above are the interleaved ones, taken the same way for every runtime."),
            "{}",
            said[0]
        );
    }

    #[test]
    fn compiling_is_named_a_cause_only_when_the_parts_add_up() {
        let run = |compile: f64, jit: f64, first: f64| {
            compiling(&results([
                measured(&PHASE_COMPILE, &EMBEDDED_WASMTIME, around(compile)),
                measured(&STARTUP_CLI, &EMBEDDED_WASMTIME_JIT, around(jit)),
                measured(&STARTUP_CLI, &CTR_WASMTIME_FIRST, around(first)),
                measured(&STARTUP_CLI, &CTR_WASMTIME_CACHED, around(0.120)),
            ]))
        };
        assert_eq!(
            run(0.0867, 0.0539, 0.190),
            "The in-process compile (86.7 ms) exceeds a whole embedded start that compiles (53.9 ms): one of the two is not what it says in this run, so no cause is drawn from them."
        );
        assert_eq!(
            run(0.056, 0.063, 0.190),
            "Compiling (56.0 ms in process) accounts for a first start's extra 70.0 ms over a cached one."
        );
        assert!(run(0.010, 0.063, 0.190)
            .ends_with("compiling alone does not account for the difference."));
        assert!(
            run(0.056, 0.063, 0.120).starts_with("A first start shows no measurable difference [")
        );
    }

    #[test]
    fn container_overhead_is_stated_only_beyond_noise_and_docker_may_come_out_faster() {
        let r = results([
            measured(&STARTUP_CLI, &FLOOR, around(0.000_5)),
            measured(&STARTUP_CLI, &NATIVE_PROCESS, around(0.000_7)),
            measured(&STARTUP_CLI, &CTR_RUNC, around(0.180)),
            measured(&STARTUP_CLI, &DOCKER, around(0.500)),
        ]);
        let text = container_overhead(&r);
        assert!(text[0].contains("costs 500 µs here (the floor); the service's own work in the native process adds +200 µs."), "{}", text[0]);
        assert!(
            text[1].starts_with(
                "ctr with runc adds +179 ms to the bare process (nearly all of its 180 ms)"
            ),
            "{}",
            text[1]
        );
        assert!(
            text[2].starts_with(
                "docker run adds +320 ms on top of containerd and runc (64% of its 500 ms)"
            ),
            "{}",
            text[2]
        );
        let quick_docker = results([
            measured(&STARTUP_CLI, &CTR_RUNC, around(0.180)),
            measured(&STARTUP_CLI, &DOCKER, around(0.150)),
        ]);
        assert_eq!(
            container_overhead(&quick_docker),
            ["docker run (150 ms) came out faster than ctr with runc (180 ms): its extra layers cost less here than ctr's own client and task setup."]
        );
        let faster_than_the_floor = results([
            measured(&STARTUP_CLI, &FLOOR, around(0.000_8)),
            measured(&STARTUP_CLI, &NATIVE_PROCESS, around(0.000_7)),
        ]);
        assert!(container_overhead(&faster_than_the_floor)[0]
            .ends_with("the native process came out 100 µs faster than it: the floor is this machine's reference for an exec, not a bound every start stays above."));
        // A difference within noise is said as none, with its ratio: no cost is stated.
        let within = results([
            measured(
                &STARTUP_CLI,
                &FLOOR,
                vec![0.92e-3, 1.3e-3, 1.0e-3, 0.95e-3, 1.2e-3, 1.05e-3],
            ),
            measured(
                &STARTUP_CLI,
                &NATIVE_PROCESS,
                vec![1.0e-3, 1.25e-3, 0.9e-3, 1.1e-3, 0.97e-3, 1.02e-3],
            ),
        ]);
        let said = &container_overhead(&within)[0];
        assert!(
            said.contains("the native service shows no measurable difference ["),
            "{said}"
        );
        assert!(!said.contains("adds"), "{said}");
        assert_eq!(
            container_overhead(&results([])),
            ["The container startup figures were not measured in this run."]
        );
    }

    fn container_memory(runc: f64, wasm: f64) -> Vec<Observation> {
        vec![
            size(&MEMORY_CLI_CONTAINER_TOTAL, &CTR_RUNC, runc),
            size(&MEMORY_CLI_CONTAINER_TOTAL, &CTR_WASMTIME_CACHED, wasm),
        ]
    }

    #[test]
    fn memory_weighs_the_whole_container_and_the_serving_hosts() {
        let mut r = results(container_memory(15_100_000.0, 28_950_000.0));
        let more = one(memory(&r));
        assert!(
            more.contains("The wasm container takes 1.92× more memory than the runc container (95% interval 1.91–1.92×; 27.6 MiB against 14.4 MiB); the reference wrote N/A here."),
            "{more}"
        );
        for o in [
            size(&MEMORY_CLI_PEAK, &CTR_RUNC, 2_100_000.0),
            size(&MEMORY_CLI_SHIM_PEAK, &CTR_RUNC, 13_000_000.0),
            size(&MEMORY_CLI_PEAK, &CTR_WASMTIME_CACHED, 950_000.0),
            size(&MEMORY_CLI_SHIM_PEAK, &CTR_WASMTIME_CACHED, 28_000_000.0),
            size(&MEMORY_SERVER_RSS, &NATIVE_PROCESS, 741_376.0),
            size(&MEMORY_SERVER_RSS, &WASI_HTTP_POOLING, 14_958_592.0),
            size(&MEMORY_LINEAR, &EMBEDDED_WASMTIME, 1_114_112.0),
            size(&MEMORY_HOST_RSS_GROWTH, &EMBEDDED_WASMTIME, 204_800.0),
            size(&MEMORY_SERVER_DOCKER_STATS, &DOCKER, 733_184.0).with_shown("716KiB"),
        ] {
            r.merge(o);
        }
        let text = memory(&r);
        assert_eq!(text.len(), 5, "{text:#?}");
        assert!(text[0].contains("(95% interval 1.91–1.92×; 27.6 MiB (928 KiB in the cgroup, 26.7 MiB in the shim) against 14.4 MiB (2.00 MiB in the cgroup, 12.4 MiB in the shim))"), "{}", text[0]);
        assert!(text[1].starts_with("The container cgroups alone read 928 KiB for the wasm container and 2.00 MiB for runc's"), "{}", text[1]);
        assert_eq!(text[2], "Inside the runtime, the instance's linear memory (the guest's whole heap and stack) is 1.06 MiB after _start; the host process's resident memory grows by 200 KiB per instance, since only the pages the guest touches become resident.");
        assert!(text[3].contains("the wasi:http host holds 20× more memory than the native server (95% interval 20–20×; 14.3 MiB against 724 KiB)"), "{}", text[3]);
        assert!(text[4].starts_with("docker stats, as the lab asks, shows the server container using 716 KiB (its last reading printed as 716KiB)"), "{}", text[4]);
        let less = one(memory(&results(container_memory(
            28_950_000.0,
            15_100_000.0,
        ))));
        assert!(
            less.contains("takes 1.92× less memory than the runc container"),
            "{less}"
        );
    }

    #[test]
    fn a_memory_figure_not_measured_is_no_sentence_never_zero() {
        let failed = MEMORY_CLI_CONTAINER_TOTAL
            .of(&CTR_WASMTIME_CACHED)
            .failed_after("ctr run", "the shim exited", vec![28_950_000.0]);
        let r = results([
            size(&MEMORY_CLI_CONTAINER_TOTAL, &CTR_RUNC, 15_100_000.0),
            failed,
        ]);
        assert_eq!(memory(&r), ["No memory figure was measured in this run."]);
        let first = results([
            size(&MEMORY_CLI_CONTAINER_TOTAL, &CTR_RUNC, 15_100_000.0),
            size(
                &MEMORY_CLI_CONTAINER_TOTAL,
                &CTR_WASMTIME_FIRST,
                40_000_000.0,
            ),
        ]);
        assert!(one(memory(&first))
            .starts_with("One CLI container as a whole, on a first start (the shim compiling)"));
    }

    /// Eleven rounds of wrk around `value`: enough for an interval.
    fn rate(variant: &'static Variant, at: &str, value: f64) -> Observation {
        LOAD_RPS.at(at).of(variant).measured("wrk", around(value))
    }

    #[test]
    fn reuse_is_weighed_against_fresh_instances_and_says_what_it_changes() {
        let r = results([
            rate(&WASI_HTTP_POOLING, "c10", 10_000.0),
            rate(&WASI_HTTP_REUSE, "c10", 20_000.0),
            CRITERION
                .at(WASI_HTTP_GROUP)
                .named("handler_reused", "handler_reused")
                .measured("bench", around(25e-6)),
        ]);
        let text = reuse(&r).unwrap();
        assert!(text.contains("the embedded host serves 20,000 req/s (median of 11), 2.0× the rate of a fresh instance per request, 10,000 req/s (median of 11) (95% interval"), "{text}");
        assert!(
            text.contains("carry from one request to the next"),
            "{text}"
        );
        // 20,000 req/s on one core: 50 µs a request, half of it the guest's handler.
        assert!(
            text.contains("has 50.0 µs per request")
                && text.contains("takes 25.0 µs (median of 11), 50% of that"),
            "{text}"
        );
        // No container pair measured: no container clause.
        assert!(!text.contains("in a container"), "{text}");
        // Nothing to weigh: no sentence.
        assert_eq!(
            reuse(&results([rate(&WASI_HTTP_REUSE, "c10", 20_000.0)])),
            None
        );
    }

    #[test]
    fn concurrent_reuse_is_weighed_against_serial_reuse_or_its_absence_explained() {
        let serial = || rate(&WASI_HTTP_REUSE, "c10", 20_000.0);
        let handler = || {
            CRITERION
                .at(WASI_HTTP_GROUP)
                .named("handler_reused", "handler_reused")
                .measured("bench", around(10e-6))
        };
        let r = results([
            rate(&WASI_HTTP_POOLING, "c10", 10_000.0),
            serial(),
            rate(&WASI_HTTP_P3, "c10", 40_000.0),
            handler(),
        ]);
        let text = reuse(&r).unwrap();
        assert!(text.contains("the embedded host with the wasi:http@0.3 build serves 40,000 req/s (median of 11), 2.0× the rate of the 0.2 component's instances reused one request at a time, 20,000 req/s (median of 11) (95% interval"), "{text}");
        assert!(
            text.contains("up to 16 at once, is measured beside the others"),
            "{text}"
        );
        // The best of the reusing variants is the one whose limit is told: 25 µs a request.
        assert!(
            text.contains(&format!(
                "What limits the best of them ({})",
                WASI_HTTP_P3.label
            )) && text.contains("has 25.0 µs per request"),
            "{text}"
        );
        let skipped = LOAD_RPS
            .at("c10")
            .of(&WASI_HTTP_P3)
            .skipped("wrk", "no wasi:http@0.3 component at x: run `make build`");
        let r = results([rate(&WASI_HTTP_POOLING, "c10", 10_000.0), serial(), skipped]);
        let text = reuse(&r).unwrap();
        assert!(text.contains("the service's 0.3 build was not measured in this run (skipped: no wasi:http@0.3 component at x: run `make build`)"), "{text}");
        assert!(!text.contains("is measured beside the others"), "{text}");
    }

    #[test]
    fn server_mode_puts_each_server_against_the_native_rate() {
        let r = results([
            rate(&NATIVE_PROCESS, "c10", 47_683.88),
            rate(&WASI_HTTP_POOLING, "c10", 10_080.69),
            LOAD_LATENCY_P99
                .at("c10")
                .of(&WASI_HTTP_POOLING)
                .measured("wrk", vec![0.003]),
            size(&MEMORY_SERVER_RSS, &NATIVE_PROCESS, 741_376.0),
            size(&MEMORY_SERVER_RSS, &WASI_HTTP_POOLING, 14_958_592.0),
            CRITERION
                .at(WASI_HTTP_GROUP)
                .named("request", "request")
                .measured("bench", around(50e-6)),
            CRITERION
                .at(WASI_HTTP_GROUP)
                .named("handler", "handler")
                .measured("bench", around(15e-6)),
            measured(&SERVER_CONTEXT_EXIT, &CTR_WASMTIME, vec![0.2])
                .with_shown("exit 2: no sockets"),
        ]);
        let text = server_mode(&r);
        assert_eq!(text[0], "Out of containers, at 10 connections the native server process answered 47,700 req/s (median of 11) with 724 KiB resident; each server below ran the same routes under the same load generator, pinned apart.");
        assert_eq!(text[1], format!("{}: requests/s: 10,100 req/s (median of 11) (0.21× the native server's rate), p99 latency 3.00 ms, 14.3 MiB resident.", WASI_HTTP_POOLING.label));
        assert_eq!(text[2], "In process (criterion, no socket), one wasi:http request costs 50.0 µs: the guest's handler 15.0 µs.");
        assert_eq!(text[3], "Under ctr, the wasm32-wasip1 module cannot serve at all (WASI preview 1 has no sockets): exit 2.");
        let alone = results([rate(&WASMTIME_SERVE, "c10", 9_000.0)]);
        assert_eq!(
            server_mode(&alone),
            [format!(
                "{}: requests/s: 9,000 req/s (median of 11).",
                WASMTIME_SERVE.label
            )]
        );
        assert_eq!(
            server_mode(&results([])),
            ["No server was measured under load in this run."]
        );
    }

    fn series(metric: &'static Metric, host: &'static Variant, samples: Vec<f64>) -> Observation {
        metric.of(host).measured("curl", samples)
    }

    #[test]
    fn cold_against_warm_is_faster_slower_or_no_measurable_difference() {
        let hosts = |cold: f64, warm: f64| {
            results([
                series(&SPIN_COLD_START, &SPIN, vec![0.05, 0.051, 0.052]),
                series(&SPIN_COLD, &SPIN, around(cold)),
                series(&SPIN_WARM, &SPIN, around(warm)),
            ])
        };
        let text = spin(&hosts(0.002, 0.001));
        assert_eq!(text, [format!("{}: first 200 51.0 ms (median of 3) after launch; cache-busted cold requests (2.00 ms (median of 11)) are 2.0× slower than warm ones (1.00 ms (median of 11)).", SPIN.label)]);
        let text = spin(&hosts(0.001, 0.0015));
        assert!(
            text[0].contains("are 1.50× faster than warm ones"),
            "{}",
            text[0]
        );
        assert!(text[1].starts_with(&format!("Warm requests read slower than cold ones on 1 of 1 hosts ({}), 1 of them measurably:", SPIN.label)), "{}", text[1]);
        // Warm a hair slower, within noise: said, and counted as not measurably.
        let text = spin(&hosts(0.001, 0.001_000_1));
        assert!(text[0].contains("cold requests (1.00 ms (median of 11)) show no measurable difference from warm ones"), "{}", text[0]);
        assert!(
            text[1].contains("none of them measurably (every interval contains 1)"),
            "{}",
            text[1]
        );
        let mut none = results([SPIN_COLD
            .of(&REMOTE)
            .skipped("curl", "$SPIN_URL is not set")]);
        assert_eq!(
            spin(&none),
            ["The remote series was not taken: $SPIN_URL is not set."]
        );
        none.observations.clear();
        assert_eq!(
            spin(&none),
            ["The Spin series were not measured in this run (make bench-spin)."]
        );
    }

    /// A WAGI host that comes up in `start` seconds and serves `rps` at 10 connections,
    /// against the native server's 40,000.
    fn wagi(host: &'static Variant, start: f64, rps: f64) -> Results {
        results([
            series(
                &SPIN_COLD_START,
                host,
                vec![start * 0.98, start, start * 1.02],
            ),
            rate(host, "c10", rps),
            rate(&NATIVE_PROCESS, "c10", 40_000.0),
            size(&MEMORY_SERVER_RSS, host, 24_707_072.0),
            size(&MEMORY_SERVER_RSS, &NATIVE_PROCESS, 741_376.0),
        ])
    }

    #[test]
    fn production_is_answered_from_the_start_and_the_rate() {
        let q = quoted();
        let slow_rate = production(&wagi(&EMBEDDED_WAGI, 0.082, 8_000.0), &q);
        assert!(
            slow_rate[0].starts_with(
                "Measured here, the embedded WAGI host: it comes up in 82.0 ms (median of 3)"
            ),
            "{}",
            slow_rate[0]
        );
        assert!(slow_rate[0].contains("serves 8,000 req/s (median of 11) at 10 connections, 0.20× the native server's 40,000 req/s (median of 11); holds 23.6 MiB resident against the native server's 724 KiB."), "{}", slow_rate[0]);
        assert!(
            slow_rate[1].starts_with("So: yes for request-driven work")
                && slow_rate[1].contains("the native server did 5.0× the work"),
            "{}",
            slow_rate[1]
        );
        let fast = production(&wagi(&SPIN, 0.050, 30_000.0), &q);
        assert!(
            fast[0].starts_with("Measured here, Spin: it comes up in 50.0 ms"),
            "{}",
            fast[0]
        );
        assert!(
            fast[1].starts_with("So: yes: it starts in the fastest part"),
            "{}",
            fast[1]
        );
        let slow_start = production(&wagi(&SPIN, 0.150, 30_000.0), &q);
        assert!(
            slow_start[1].starts_with("So: only where its start is acceptable"),
            "{}",
            slow_start[1]
        );
        let unquoted = production(&wagi(&SPIN, 0.050, 30_000.0), &Quoted::default());
        assert!(
            unquoted[1].starts_with("So: the start was not measured against a quoted figure"),
            "{}",
            unquoted[1]
        );
        assert_eq!(production(&results([]), &q), ["Not answered from data: no WAGI host's cold start was measured in this run (make bench-spin)."]);
    }

    #[test]
    fn serverless_sets_measured_figures_beside_quoted_ones() {
        let q = quoted();
        let below = serverless(&wagi(&SPIN, 0.050, 30_000.0), &q);
        assert_eq!(below.len(), 4, "{below:#?}");
        assert!(below[0].starts_with("Cold start: Spin came up in 50.0 ms (median of 3) on this machine (measured), against AWS's own statement \"The duration of a cold start varies from under 100 ms to over 1 second\" (quoted: AWS Compute Blog"), "{}", below[0]);
        assert!(
            below[0].contains(", in the fastest part of that range (under 100 ms)."),
            "{}",
            below[0]
        );
        assert!(below[1].starts_with("Memory: the whole host, serving every request, held 23.6 MiB resident (measured); AWS Lambda allocates at least 128 MiB per instance"), "{}", below[1]);
        assert!(
            below[2].starts_with(
                "Concurrency: Spin, one process, served 30,000 req/s (median of 11) at 10 connections (measured)"
            ),
            "{}",
            below[2]
        );
        assert!(below[3].ends_with("They compare orders of magnitude, not winners."));
        let within = serverless(&wagi(&SPIN, 0.150, 30_000.0), &q);
        assert!(
            within[0].contains(", within that range, above its fastest part."),
            "{}",
            within[0]
        );
        assert_eq!(
            serverless(&wagi(&SPIN, 0.050, 30_000.0), &Quoted::default()),
            ["Not answered from data: Spin's start, memory and rate were not all measured."]
        );
        assert_eq!(
            serverless(&results([]), &q),
            ["Not answered from data: no WAGI host was measured in this run."]
        );
    }

    #[test]
    fn the_decision_matrix_picks_the_winner_or_either() {
        let choice = |r: &Results, need: &str| {
            decisions(r)
                .into_iter()
                .find(|d| d.need.starts_with(need))
                .map(|d| (d.choice, d.because))
        };
        let (pick, because) = choice(&cached_start(0.130), "fastest repeated start").unwrap();
        assert_eq!(pick, "WASM container");
        assert!(
            because.starts_with("WASM container 1.38× faster (95% interval"),
            "{because}"
        );
        assert!(
            because.ends_with(": 130 ms (median of 11) against 180 ms (median of 11)"),
            "{because}"
        );
        assert_eq!(
            choice(&cached_start(0.250), "fastest repeated start")
                .unwrap()
                .0,
            "traditional container"
        );
        assert_eq!(
            choice(&cached_start(0.180), "fastest repeated start")
                .unwrap()
                .0,
            "either"
        );
        assert_eq!(choice(&results([]), "fastest repeated start"), None);
        let p1 =
            results(
                [measured(&SERVER_CONTEXT_EXIT, &CTR_WASMTIME, vec![0.2]).with_shown("exit 2")],
            );
        assert_eq!(
            choice(&p1, "a server from the CLI's own wasm32-wasip1 build"),
            Some((
                "traditional container",
                "the wasm32-wasip1 module cannot listen (exit 2); the same source built as a wasi:http component serves in a WASM container (the next rows)".to_owned()
            ))
        );
        // The server rows weigh containers, not bare processes.
        let servers = results([
            rate(&CTR_RUNC, "c10", 40_000.0),
            rate(&CTR_WASMTIME, "c10", 10_000.0),
            rate(&NATIVE_PROCESS, "c10", 5_000.0),
            rate(&WASI_HTTP_POOLING, "c10", 90_000.0),
        ]);
        assert_eq!(
            choice(
                &servers,
                "highest HTTP throughput at 10 connections, in a container"
            )
            .unwrap()
            .0,
            "traditional container"
        );
    }

    #[test]
    fn the_bonus_questions_are_flagged_not_found_by_their_text() {
        let answers = answers(&results([]), &Quoted::default());
        let bonus: Vec<bool> = answers.iter().map(|a| a.bonus).collect();
        assert_eq!(bonus, [false, false, false, false, false, true, true, true]);
        assert!(answers
            .iter()
            .all(|a| a.bonus == a.question.starts_with("Bonus: ")));
    }
}

//! The key findings at the top of both write-ups: one line for each question a reader
//! arrives with (how much smaller, how fast a start, what a request costs, what memory an
//! instance takes, and which to choose), each weighed through the same verdicts as the
//! comparison table, with its interval, and pointing at the section that holds the detail.
//! A finding whose figures were not measured says so, with the recorded reason.

use super::analysis::Decision;
use super::compare::why_not;
use super::keys::{self, Pair};
use super::slot;
use super::verdict::{value_of, verdict, Verdict};
use serde::Serialize;
use wasmlab_model::metric::{
    Id, CRITERION, EMBEDDED_WASMTIME, MEMORY_HOST_RSS_GROWTH, MEMORY_LINEAR,
};
use wasmlab_model::results::{Observation, Results};

/// One line of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// "Size", "Startup", ...: what the line answers.
    pub topic: &'static str,
    pub text: String,
    /// The id of the page section with the detail.
    pub section: &'static str,
}

/// The in-process cost of one wasi:http request (criterion, no socket).
const REQUEST_IN_PROCESS: (&str, &str) = ("wasi_http", "request");

pub fn findings(results: &Results, decisions: &[Decision]) -> Vec<Finding> {
    vec![
        Finding {
            topic: "Size",
            text: size(results),
            section: "app",
        },
        Finding {
            topic: "Startup",
            text: startup(results),
            section: "startup",
        },
        Finding {
            topic: "Requests",
            text: requests(results),
            section: "server-mode",
        },
        Finding {
            topic: "Memory",
            text: memory(results),
            section: "memory",
        },
        Finding {
            topic: "Decision",
            text: decision(decisions),
            section: "decisions",
        },
    ]
}

/// Both sides of `pair` and their verdict, or why they cannot be weighed.
fn weigh<'a>(
    results: &'a Results,
    pair: &Pair,
) -> Result<(&'a Observation, &'a Observation, Verdict), String> {
    let side = |keys: &[Id]| results.measured(keys).ok_or_else(|| why_not(results, keys));
    let (t, w) = (side(pair.traditional)?, side(pair.wasm)?);
    let v = verdict(t, w).ok_or_else(|| "too few samples to weigh".to_owned())?;
    Ok((t, w, v))
}

/// "not measured (skipped: …)".
fn unmeasured(why: &str) -> String {
    format!("not measured ({why})")
}

fn size(results: &Results) -> String {
    let binaries = match weigh(results, &keys::BINARY_SIZE) {
        Ok((t, w, v)) => format!(
            "the wasm module is {} than the native binary: {} against {}",
            v.phrase(),
            value_of(w),
            value_of(t)
        ),
        Err(why) => format!("the two binaries were {}", unmeasured(&why)),
    };
    let images = match weigh(results, &keys::IMAGES_IN_CONTAINERD) {
        Ok((t, w, v)) => format!(
            "; as images in one containerd, {} ({} against {})",
            v.phrase(),
            value_of(w),
            value_of(t)
        ),
        Err(_) => String::new(),
    };
    capitalised(&format!("{binaries}{images}."))
}

fn startup(results: &Results) -> String {
    let against_runc = |pair: &Pair, when: &str| match weigh(results, pair) {
        Ok((t, w, v)) => format!(
            "{when} {}, {} than runc's {}",
            value_of(w),
            v.phrase(),
            value_of(t)
        ),
        Err(why) => format!("{when} {}", unmeasured(&why)),
    };
    let docker = match weigh(results, &keys::STARTUP_AS_THE_LAB_RUNS_IT) {
        Ok((t, _, v)) => format!(
            "; docker run, the lab's command, takes {}, and the wasm container is {} than it",
            value_of(t),
            v.phrase()
        ),
        Err(why) => format!("; docker run {}", unmeasured(&why)),
    };
    format!(
        "Under the same containerd, a wasm container starts {}; {}{docker}.",
        against_runc(&keys::STARTUP_CACHED, "with its module cached in"),
        against_runc(
            &keys::STARTUP_FIRST,
            "on a first start (the shim compiles) in"
        )
    )
}

fn requests(results: &Results) -> String {
    let rate = match weigh(results, &keys::THROUGHPUT) {
        Ok((t, w, v)) => format!(
            "At 10 connections the wasi:http component serves {}, {} than the native server's {}",
            value_of(w),
            v.short(),
            value_of(t)
        ),
        Err(why) => format!(
            "Throughput against the native server was {}",
            unmeasured(&why)
        ),
    };
    let latency = match weigh(results, &keys::LATENCY_ONE_CONNECTION) {
        Ok((t, w, v)) => format!(
            "; one request at a time takes {} against {} ({}, wrk's median)",
            value_of(w),
            value_of(t),
            v.short()
        ),
        Err(why) => format!("; latency at one connection {}", unmeasured(&why)),
    };
    let (group, bench) = REQUEST_IN_PROCESS;
    let in_process = results
        .measured(&[CRITERION.id_named(Some(group), bench)])
        .map(|o| {
            format!(
                "; in process, without a socket, one request costs {} (instantiate, handle, tear down)",
                value_of(o)
            )
        })
        .unwrap_or_default();
    format!("{rate}{latency}{in_process}.")
}

fn memory(results: &Results) -> String {
    let instance = match results.measured(&[MEMORY_HOST_RSS_GROWTH.id(&EMBEDDED_WASMTIME)]) {
        Some(o) => {
            let linear = results
                .measured(&[MEMORY_LINEAR.id(&EMBEDDED_WASMTIME)])
                .map(|l| format!(" (its linear memory is {}, mostly untouched)", value_of(l)))
                .unwrap_or_default();
            format!(
                "Each wasm instance adds {} to its host's resident memory{linear}",
                value_of(o)
            )
        }
        None => {
            let key = [MEMORY_HOST_RSS_GROWTH.id(&EMBEDDED_WASMTIME)];
            format!(
                "The memory of one instance was {}",
                unmeasured(&why_not(results, &key))
            )
        }
    };
    let fixed = match weigh(results, &keys::MEMORY_SERVING) {
        Ok((t, w, v)) => format!(
            "; the runtime is the fixed cost: the wasi:http host holds {} resident while serving, \
             {} than the native server's {}",
            value_of(w),
            v.short(),
            value_of(t)
        ),
        Err(why) => format!("; the serving hosts were {}", unmeasured(&why)),
    };
    let container = match weigh(results, &keys::MEMORY_CLI) {
        Ok((t, w, v)) => format!(
            "; one CLI container as a whole takes {} against runc's {} ({})",
            value_of(w),
            value_of(t),
            v.phrase()
        ),
        Err(_) => String::new(),
    };
    format!("{instance}{fixed}{container}.")
}

/// The decision matrix in one line: which choice each need led to.
fn decision(decisions: &[Decision]) -> String {
    let mut by_choice: Vec<(&str, Vec<&str>)> = Vec::new();
    for d in decisions {
        let i = slot(
            &mut by_choice,
            |(c, _)| *c == d.choice,
            || (d.choice, Vec::new()),
        );
        by_choice[i].1.push(&d.need);
    }
    if by_choice.is_empty() {
        return "No trade-off was measured on both sides in this run, so none is decided."
            .to_owned();
    }
    let parts: Vec<String> = by_choice
        .iter()
        .map(|(choice, needs)| format!("{choice} for {}", needs.join(", ")))
        .collect();
    format!("From this run: {}.", parts.join("; "))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

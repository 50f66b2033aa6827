//! The key findings at the top of both write-ups: one line for each question a reader
//! arrives with (how much smaller, how fast a start, what a request costs, what memory an
//! instance takes, and which to choose), each weighed through the same verdicts as the
//! comparison table, with its interval, and pointing at the section that holds the detail.
//! A finding whose figures were not measured says so, with the recorded reason.

use super::analysis::Decision;
use super::compare::why_not;
use super::figure::{value_of, Figure};
use super::keys::{self, Pair};
use super::slot;
use super::verdict::{verdict, Verdict, Winner};
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
    /// lab12.md opens with it too: the lab's two cases; the rest are the page's.
    pub hand_in: bool,
}

/// The in-process cost of one wasi:http request (criterion, no socket).
const REQUEST_IN_PROCESS: (&str, &str) = ("wasi_http", "request");

pub fn findings(results: &Results, decisions: &[Decision]) -> Vec<Finding> {
    vec![
        Finding {
            topic: "A CLI tool",
            text: answer(results, &CLI_TOOL),
            section: "comparison",
            hand_in: true,
        },
        Finding {
            topic: "A web server",
            text: answer(results, &WEB_SERVER),
            section: "server-mode",
            hand_in: true,
        },
        Finding {
            topic: "Size",
            text: size(results),
            section: "app",
            hand_in: false,
        },
        Finding {
            topic: "Startup",
            text: startup(results),
            section: "startup",
            hand_in: false,
        },
        Finding {
            topic: "Requests",
            text: requests(results),
            section: "server-mode",
            hand_in: false,
        },
        Finding {
            topic: "Memory",
            text: memory(results),
            section: "memory",
            hand_in: false,
        },
        Finding {
            topic: "Decision",
            text: decision(decisions),
            section: "decisions",
            hand_in: false,
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

/// The lab's two cases answered first, from the like-for-like rows alone: each need the
/// case has, which side this run's figures favour on it, then the figures.
struct Case {
    /// What a side winning these needs is called ("a WASM container").
    wasm: &'static str,
    traditional: &'static str,
    /// Each need's name and the pair that weighs it.
    needs: &'static [(&'static str, &'static Pair)],
}

const CLI_TOOL: Case = Case {
    wasm: "a WASM container (the shim, wasmtime)",
    traditional: "a traditional container (runc)",
    needs: &[
        ("cached start", &keys::STARTUP_CACHED),
        ("first start", &keys::STARTUP_FIRST),
        ("memory of one container", &keys::MEMORY_CLI),
        ("image size", &keys::IMAGES_IN_CONTAINERD),
    ],
};

const WEB_SERVER: Case = Case {
    wasm: "a WASM container (the shim serving the wasi:http component)",
    traditional: "a traditional container (runc, the native server)",
    needs: &[
        ("requests/s at 10 connections", &keys::THROUGHPUT_CONTAINER),
        ("memory while serving", &keys::MEMORY_SERVING_CONTAINER),
    ],
};

/// Which needs each side wins and which are a tie, then each need's figures; a need not
/// measured says why.
fn answer(results: &Results, case: &Case) -> String {
    let mut wins: [(&str, Vec<&str>); 4] = [
        (case.wasm, Vec::new()),
        (case.traditional, Vec::new()),
        ("neither", Vec::new()),
        ("too few runs", Vec::new()),
    ];
    let mut figures = Vec::new();
    for (need, pair) in case.needs {
        match weigh(results, pair) {
            Ok((t, w, v)) => {
                let side = match v.winner {
                    Winner::Wasm => 0,
                    Winner::Traditional => 1,
                    Winner::Neither => 2,
                    Winner::Unweighed => 3,
                };
                wins[side].1.push(need);
                // The median alone: the phrase after it says how sure the ratio is (after a
                // comma: the phrase has parentheses of its own).
                let median = |o: &Observation| {
                    Figure::median_of(o).map_or_else(|| value_of(o), |f| f.text())
                };
                figures.push(format!(
                    "{need} {} against {}, {}",
                    median(w),
                    median(t),
                    v.phrase()
                ));
            }
            Err(why) => figures.push(format!("{need} {}", unmeasured(&why))),
        }
    }
    let [wasm, traditional, neither, unweighed] = &wins;
    let mut choice: Vec<String> = [wasm, traditional]
        .iter()
        .filter(|(_, needs)| !needs.is_empty())
        .map(|(side, needs)| format!("{side} for {}", and_list(needs)))
        .collect();
    if !neither.1.is_empty() {
        choice.push(format!(
            "no measurable difference in {}",
            and_list(&neither.1)
        ));
    }
    if !unweighed.1.is_empty() {
        choice.push(format!("too few runs to weigh {}", and_list(&unweighed.1)));
    }
    if choice.is_empty() {
        return format!(
            "Not decided: no need was measured on both sides in this run ({}).",
            figures.join("; ")
        );
    }
    capitalised(&format!(
        "{}. WASM against traditional: {}.",
        choice.join("; "),
        figures.join("; ")
    ))
}

fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
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
            "{when} in {}, {} than runc's {}",
            value_of(w),
            v.phrase(),
            value_of(t)
        ),
        Err(why) => format!("{when}: {}", unmeasured(&why)),
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
        against_runc(&keys::STARTUP_CACHED, "with its module cached"),
        against_runc(&keys::STARTUP_FIRST, "on a first start (the shim compiles)")
    )
}

fn requests(results: &Results) -> String {
    let rate = match weigh(results, &keys::THROUGHPUT) {
        Ok((t, w, v)) => format!(
            "At 10 connections the wasi:http component serves {}, {} the native server's {}",
            value_of(w),
            v.than(),
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
             {} the native server's {}",
            value_of(w),
            v.than(),
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

/// Each finding for WASM better, worse, within noise and not measured, on small results
/// built in memory.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::decisions;
    use crate::fixtures::{around, measured, results};
    use wasmlab_model::metric::{
        Variant, CTR_NATIVE_IMAGE, CTR_RUNC, CTR_WASMTIME, CTR_WASMTIME_CACHED, CTR_WASMTIME_FIRST,
        CTR_WASM_IMAGE, DOCKER, LOAD_LATENCY_P50, LOAD_RPS, MEMORY_CLI_CONTAINER_TOTAL,
        MEMORY_SERVER_CONTAINER_TOTAL, MEMORY_SERVER_RSS, NATIVE_BINARY, NATIVE_PROCESS,
        SIZE_BINARY, SIZE_IMAGE, STARTUP_CLI, WASI_HTTP_POOLING, WASM_MODULE,
    };

    /// A size (one exact reading) or a memory figure (six readings around `b`).
    fn bytes(
        metric: &'static wasmlab_model::metric::Metric,
        variant: &'static Variant,
        b: f64,
    ) -> Observation {
        match metric.kind {
            wasmlab_model::metric::Kind::Size => measured(metric, variant, vec![b]),
            _ => crate::fixtures::reading(metric.of(variant), b),
        }
    }

    fn starts(cached: f64, first: f64) -> Vec<Observation> {
        vec![
            measured(&STARTUP_CLI, &CTR_RUNC, around(0.180)),
            measured(&STARTUP_CLI, &CTR_WASMTIME_CACHED, around(cached)),
            measured(&STARTUP_CLI, &CTR_WASMTIME_FIRST, around(first)),
        ]
    }

    #[test]
    fn size_is_weighed_with_the_images_or_says_why_not() {
        let r = results([
            bytes(&SIZE_BINARY, &NATIVE_BINARY, 733_880.0),
            bytes(&SIZE_BINARY, &WASM_MODULE, 63_186.0),
            bytes(&SIZE_IMAGE, &CTR_NATIVE_IMAGE, 736_335.0),
            bytes(&SIZE_IMAGE, &CTR_WASM_IMAGE, 65_617.0),
        ]);
        assert_eq!(
            size(&r),
            "The wasm module is 11.6× smaller than the native binary: 61.7 KiB (63,186 B) against 717 KiB (733,880 B); as images in one containerd, 11.2× smaller (64.1 KiB (65,617 B) against 719 KiB (736,335 B))."
        );
        let skipped = results([
            bytes(&SIZE_BINARY, &NATIVE_BINARY, 733_880.0),
            SIZE_BINARY
                .of(&WASM_MODULE)
                .skipped("stat", "no wasm32-wasip1 target"),
        ]);
        assert_eq!(
            size(&skipped),
            "The two binaries were not measured (skipped: no wasm32-wasip1 target)."
        );
        assert_eq!(
            size(&results([])),
            "The two binaries were not measured (no probe recorded it in this run)."
        );
    }

    #[test]
    fn startup_is_faster_slower_or_not_measured_per_kind_of_start() {
        let mut r = results(starts(0.130, 0.250));
        r.merge(measured(&STARTUP_CLI, &DOCKER, around(0.500)));
        let text = startup(&r);
        assert!(
            text.starts_with("Under the same containerd, a wasm container starts with its module cached in 130 ms (median of 11), 1.38× faster (95% interval"),
            "{text}"
        );
        assert!(text.contains("on a first start (the shim compiles) in 250 ms (median of 11), 1.39× slower (95% interval"), "{text}");
        assert!(text.contains("; docker run, the lab's command, takes 500 ms (median of 11), and the wasm container is 3.8× faster (95% interval"), "{text}");
        let same = startup(&results(starts(0.180, 0.180)));
        assert!(
            same.contains("in 180 ms (median of 11), no measurable difference (ratio 1.00"),
            "{same}"
        );
        assert_eq!(
            startup(&results([])),
            "Under the same containerd, a wasm container starts with its module cached: not measured (no probe recorded it in this run); on a first start (the shim compiles): not measured (no probe recorded it in this run); docker run not measured (no probe recorded it in this run)."
        );
    }

    #[test]
    fn requests_weigh_rate_and_latency_against_the_native_server() {
        let at = |m: &'static wasmlab_model::metric::Metric,
                  q: &str,
                  v: &'static Variant,
                  x: f64| { m.at(q).of(v).measured("wrk", around(x)) };
        let r = results([
            at(&LOAD_RPS, "c10", &NATIVE_PROCESS, 47_683.88),
            at(&LOAD_RPS, "c10", &WASI_HTTP_POOLING, 10_080.69),
            at(&LOAD_LATENCY_P50, "c1", &NATIVE_PROCESS, 0.000_1),
            at(&LOAD_LATENCY_P50, "c1", &WASI_HTTP_POOLING, 0.000_2),
            CRITERION
                .at("wasi_http")
                .named("request", "request")
                .measured("bench", around(50e-6)),
        ]);
        assert_eq!(
            requests(&r),
            "At 10 connections the wasi:http component serves 10,100 req/s (median of 11), 4.7× fewer requests/s than the native server's 47,700 req/s (median of 11); one request at a time takes 200 µs (median of 11) against 100 µs (median of 11) (2.0× slower, wrk's median); in process, without a socket, one request costs 50.0 µs (median of 11) (instantiate, handle, tear down)."
        );
        assert_eq!(
            requests(&results([])),
            "Throughput against the native server was not measured (no probe recorded it in this run); latency at one connection not measured (no probe recorded it in this run)."
        );
    }

    #[test]
    fn memory_states_the_instance_the_runtime_and_the_container() {
        let r = results([
            bytes(&MEMORY_HOST_RSS_GROWTH, &EMBEDDED_WASMTIME, 204_800.0),
            bytes(&MEMORY_LINEAR, &EMBEDDED_WASMTIME, 1_114_112.0),
            bytes(&MEMORY_SERVER_RSS, &NATIVE_PROCESS, 741_376.0),
            bytes(&MEMORY_SERVER_RSS, &WASI_HTTP_POOLING, 14_958_592.0),
            bytes(&MEMORY_CLI_CONTAINER_TOTAL, &CTR_RUNC, 28_950_000.0),
            bytes(
                &MEMORY_CLI_CONTAINER_TOTAL,
                &CTR_WASMTIME_CACHED,
                15_100_000.0,
            ),
        ]);
        assert_eq!(
            memory(&r),
            "Each wasm instance adds 200 KiB (median of 6) to its host's resident memory (its linear memory is 1.06 MiB (median of 6), mostly untouched); the runtime is the fixed cost: the wasi:http host holds 14.3 MiB (median of 6) resident while serving, 20× more memory than the native server's 724 KiB (median of 6); one CLI container as a whole takes 14.4 MiB (median of 6) against runc's 27.6 MiB (median of 6) (1.92× less memory (95% interval 1.91–1.92×))."
        );
        let failed = results([MEMORY_HOST_RSS_GROWTH
            .of(&EMBEDDED_WASMTIME)
            .failed("wasm instance", "the instance trapped")]);
        assert_eq!(
            memory(&failed),
            "The memory of one instance was not measured (failed: the instance trapped); the serving hosts were not measured (no probe recorded it in this run)."
        );
    }

    /// The lab's two cases lead the page: each names the side its measured needs favour,
    /// a tie as a tie, and a need not measured as not measured.
    #[test]
    fn the_cli_tool_and_web_server_verdicts_name_a_side_per_need() {
        let mut r = results(starts(0.130, 0.250));
        r.merge(bytes(&SIZE_IMAGE, &CTR_NATIVE_IMAGE, 736_335.0));
        r.merge(bytes(&SIZE_IMAGE, &CTR_WASM_IMAGE, 65_617.0));
        let cli = answer(&r, &CLI_TOOL);
        assert!(
            cli.starts_with("A WASM container (the shim, wasmtime) for cached start and image size; a traditional container (runc) for first start. WASM against traditional: cached start 130 ms"),
            "{cli}"
        );
        assert!(
            cli.contains("memory of one container not measured (no probe recorded it in this run)"),
            "{cli}"
        );
        let at = |v: &'static Variant, x: f64| LOAD_RPS.at("c10").of(v).measured("wrk", around(x));
        let served = results([
            at(&CTR_RUNC, 90_000.0),
            at(&CTR_WASMTIME, 90_000.0),
            bytes(&MEMORY_SERVER_CONTAINER_TOTAL, &CTR_RUNC, 13_000_000.0),
            bytes(&MEMORY_SERVER_CONTAINER_TOTAL, &CTR_WASMTIME, 33_000_000.0),
        ]);
        let server = answer(&served, &WEB_SERVER);
        assert!(
            server.starts_with("A traditional container (runc, the native server) for memory while serving; no measurable difference in requests/s at 10 connections. WASM against traditional: requests/s at 10 connections 90,000 req/s"),
            "{server}"
        );
        assert!(answer(&results([]), &WEB_SERVER)
            .starts_with("Not decided: no need was measured on both sides in this run"),);
    }

    #[test]
    fn the_decision_line_groups_the_needs_by_choice() {
        assert_eq!(
            decision(&[]),
            "No trade-off was measured on both sides in this run, so none is decided."
        );
        let mut r = results(starts(0.130, 0.250));
        r.merge(bytes(&SIZE_IMAGE, &CTR_NATIVE_IMAGE, 736_335.0));
        r.merge(bytes(&SIZE_IMAGE, &CTR_WASM_IMAGE, 65_617.0));
        assert_eq!(
            decision(&decisions(&r)),
            "From this run: WASM container for smallest artifact to ship and pull, fastest repeated start (scale to zero, one task per request); traditional container for fastest first start after a deploy."
        );
    }
}

//! "What a WASM start costs, per engine": the startup of each engine in the embedded host
//! and under the containerd shim beside runc, what each pays in memory, and how many tasks
//! a second containerd starts through its API at each concurrency. Every sentence is
//! computed here from the run's figures, with the interval of each comparison; an engine
//! or runtime without a figure is named as such, never skipped in silence.

use super::figure::Figure;
use super::quoted::{Public, Quoted};
use super::verdict::{verdict, Winner};
use serde::Serialize;
use wasmlab_model::format::format_value;
use wasmlab_model::metric::{
    concurrency, Metric, ShimVariants, Variant, CTR_RUNC, ENGINES, MEMORY_CLI_CONTAINER_TOTAL,
    MEMORY_CLI_PEAK_RSS, NATIVE_PROCESS, PHASE_COMPILE, STARTUP_CLI, STRESS_START_LATENCY,
    STRESS_TASKS_PER_SECOND,
};
use wasmlab_model::results::{Observation, Results};

/// The concurrencies (tasks in flight) the stress probe may have used, in order; those
/// with no figure in the run are left out of the table.
const CONCURRENCY: [u32; 8] = [1, 2, 4, 8, 16, 32, 48, 64];

/// One engine's row of the startup table: each cell the median, or none (a dash).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub engine: &'static str,
    /// Embedded host, compiling (or translating) at start.
    pub start: Option<Figure>,
    /// Embedded host, from the precompiled module.
    pub precompiled: Option<Figure>,
    /// The compile (or translate) phase alone, in process.
    pub compile: Option<Figure>,
    /// Peak RSS of one embedded start (compiling).
    pub peak_rss: Option<Figure>,
    /// Under the shim: first start (cache emptied) and cached.
    pub ctr_first: Option<Figure>,
    pub ctr_cached: Option<Figure>,
    /// Container cgroup + shim peak memory of one cached start.
    pub ctr_memory: Option<Figure>,
}

/// One runtime's tasks/s and median task latency at each concurrency of the stress probe.
#[derive(Debug, Clone, Serialize)]
pub struct StressRow {
    pub runtime: &'static str,
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct View {
    pub rows: Vec<Row>,
    /// runwasi's own stress-test figures, quoted with their source.
    pub quoted: Vec<Public>,
    /// runc's own figures beside the engines (`ctr run` start and memory).
    pub runc: Row,
    pub sentences: Vec<String>,
    /// The concurrencies measured, the stress table's columns.
    pub levels: Vec<u32>,
    pub stress: Vec<StressRow>,
}

/// A metric, with the stress probe's concurrency where it has one.
#[derive(Clone, Copy)]
struct At(&'static Metric, Option<u32>);

/// The measured observation of `at` for `variant`, with its samples.
fn get<'a>(results: &'a Results, at: At, variant: &'static Variant) -> Option<&'a Observation> {
    let qualifier = at.1.map(|c| concurrency(c as usize));
    results.measured(&[at.0.id_named(qualifier.as_deref(), variant.name)])
}

fn cell(results: &Results, at: At, variant: Option<&'static Variant>) -> Option<Figure> {
    Figure::median_of(get(results, at, variant?)?)
}

/// A cell's text: the median, or a dash.
fn text(figure: Option<Figure>) -> String {
    figure.map_or_else(|| "—".into(), |f| f.text())
}

/// The keys of runwasi's stress-test figures in `quoted.json`.
const QUOTED: [&str; 2] = ["runwasi-stress-wasmtime", "runwasi-stress-engines"];

pub fn build(results: &Results, quoted: &Quoted) -> View {
    let rows = ENGINES
        .iter()
        .map(|e| {
            let shim = |pick: fn(&ShimVariants) -> &'static Variant| e.shim.as_ref().map(pick);
            Row {
                engine: e.label,
                start: cell(results, At(&STARTUP_CLI, None), Some(e.start)),
                precompiled: cell(results, At(&STARTUP_CLI, None), e.precompiled),
                compile: cell(results, At(&PHASE_COMPILE, None), Some(e.phases)),
                peak_rss: cell(results, At(&MEMORY_CLI_PEAK_RSS, None), Some(e.start)),
                ctr_first: cell(results, At(&STARTUP_CLI, None), shim(|s| s.first)),
                ctr_cached: cell(results, At(&STARTUP_CLI, None), shim(|s| s.cached)),
                ctr_memory: cell(
                    results,
                    At(&MEMORY_CLI_CONTAINER_TOTAL, None),
                    shim(|s| s.cached),
                ),
            }
        })
        .collect();
    let runc = Row {
        engine: "runc (native image)",
        start: cell(results, At(&STARTUP_CLI, None), Some(&NATIVE_PROCESS)),
        precompiled: None,
        compile: None,
        peak_rss: cell(
            results,
            At(&MEMORY_CLI_PEAK_RSS, None),
            Some(&NATIVE_PROCESS),
        ),
        ctr_first: cell(results, At(&STARTUP_CLI, None), Some(&CTR_RUNC)),
        ctr_cached: None,
        ctr_memory: cell(
            results,
            At(&MEMORY_CLI_CONTAINER_TOTAL, None),
            Some(&CTR_RUNC),
        ),
    };
    let levels: Vec<u32> = CONCURRENCY
        .into_iter()
        .filter(|c| {
            stress_runtimes()
                .iter()
                .any(|(_, v)| get(results, At(&STRESS_TASKS_PER_SECOND, Some(*c)), v).is_some())
        })
        .collect();
    let stress = stress_runtimes()
        .into_iter()
        .map(|(runtime, variant)| StressRow {
            runtime,
            cells: levels
                .iter()
                .map(|c| {
                    let rate = get(results, At(&STRESS_TASKS_PER_SECOND, Some(*c)), variant)
                        .and_then(Observation::median)
                        .map_or_else(|| "—".to_owned(), |r| format!("{}/s", tasks(r)));
                    let latency = cell(results, At(&STRESS_START_LATENCY, Some(*c)), Some(variant));
                    format!("{rate} · {}", text(latency))
                })
                .collect(),
        })
        .collect();
    View {
        rows,
        quoted: QUOTED
            .iter()
            .filter_map(|k| quoted.public(k).cloned())
            .collect(),
        runc,
        sentences: sentences(results, &levels),
        levels,
        stress,
    }
}

/// runc, then the shim under each engine: the stress probe's runtimes.
fn stress_runtimes() -> Vec<(&'static str, &'static Variant)> {
    std::iter::once(("runc", &CTR_RUNC))
        .chain(
            ENGINES
                .iter()
                .filter_map(|e| Some((e.label, e.shim.as_ref()?.runtime))),
        )
        .collect()
}

fn sentences(results: &Results, levels: &[u32]) -> Vec<String> {
    let mut out = Vec::new();
    for (start, pick) in [
        (
            "a first start (compile cache emptied)",
            (|s: &ShimVariants| s.first) as fn(&ShimVariants) -> &'static Variant,
        ),
        ("a cached start", |s: &ShimVariants| s.cached),
    ] {
        out.push(against_runc(results, start, pick));
    }
    out.extend(embedded(results));
    out.extend(memory(results));
    out.extend(stress(results, levels));
    out
}

/// Which shim engines start a wasm container faster than runc, for one kind of start.
fn against_runc(
    results: &Results,
    start: &str,
    pick: fn(&ShimVariants) -> &'static Variant,
) -> String {
    let Some(runc) = get(results, At(&STARTUP_CLI, None), &CTR_RUNC) else {
        return format!("runc's `ctr run` start was not measured in this run, so {start} of a wasm container has nothing to be weighed against.");
    };
    let mut faster = Vec::new();
    let mut others = Vec::new();
    let mut missing = Vec::new();
    for e in ENGINES {
        let Some(shim) = &e.shim else { continue };
        match get(results, At(&STARTUP_CLI, None), pick(shim)).and_then(|w| verdict(runc, w)) {
            Some(v) if v.winner == Winner::Wasm => {
                faster.push(format!("{} ({})", e.label, v.phrase()))
            }
            Some(v) => others.push(format!("{}: {}", e.label, v.phrase())),
            None => missing.push(e.label),
        }
    }
    let mut sentence = if faster.is_empty() {
        format!("On {start}, no engine starts a wasm container faster than runc here")
    } else {
        format!("On {start}, faster than runc: {}", faster.join("; "))
    };
    if !others.is_empty() {
        sentence.push_str(&format!("; {}", others.join("; ")));
    }
    if !missing.is_empty() {
        sentence.push_str(&format!("; not measured: {}", missing.join(", ")));
    }
    sentence.push('.');
    sentence
}

/// The cheapest embedded start, and what compiling costs each wasmtime engine.
fn embedded(results: &Results) -> Option<String> {
    let mut starts: Vec<(&str, f64)> = ENGINES
        .iter()
        .flat_map(|e| {
            [Some(e.start), e.precompiled]
                .into_iter()
                .flatten()
                .map(move |v| (e, v))
        })
        .filter_map(|(e, v)| Some((e.label, get(results, At(&STARTUP_CLI, None), v)?.median()?)))
        .collect();
    starts.sort_by(|a, b| a.1.total_cmp(&b.1));
    let native = get(results, At(&STARTUP_CLI, None), &NATIVE_PROCESS)?;
    let native_median = native.median()?;
    let (best, median) = starts.first()?;
    let times = median / native_median;
    let compiles: Vec<String> = ENGINES
        .iter()
        .filter_map(|e| {
            let compile = cell(results, At(&PHASE_COMPILE, None), Some(e.phases))?;
            Some(format!("{} {}", e.label, compile.text()))
        })
        .collect();
    Some(format!(
        "Without containers, the cheapest wasm start here is {best} at {} ({times:.1}× the native process's {}); compiling or translating the module in process takes {}.",
        format_value(*median, native.unit),
        format_value(native_median, native.unit),
        compiles.join(", ")
    ))
}

/// What each engine pays in memory: one cached container start beside runc's, and the
/// peak RSS of one embedded start.
fn memory(results: &Results) -> Option<String> {
    let runc = get(results, At(&MEMORY_CLI_CONTAINER_TOTAL, None), &CTR_RUNC)?;
    let each: Vec<String> = ENGINES
        .iter()
        .filter_map(|e| {
            let w = get(
                results,
                At(&MEMORY_CLI_CONTAINER_TOTAL, None),
                e.shim.as_ref()?.cached,
            )?;
            Some(format!("{}: {}", e.label, verdict(runc, w)?.phrase()))
        })
        .collect();
    if each.is_empty() {
        return None;
    }
    Some(format!(
        "In memory, one cached wasm container (its cgroup peak plus its shim's peak RSS) against runc's {}: {}.",
        format_value(runc.median()?, runc.unit),
        each.join("; ")
    ))
}

/// A rate of tasks, as the stress probe's table and sentences show it.
fn tasks(per_second: f64) -> String {
    format!("{per_second:.1}")
}

/// At each concurrency, the most tasks a second, and each shim engine against runc.
fn stress(results: &Results, levels: &[u32]) -> Vec<String> {
    levels
        .iter()
        .filter_map(|c| {
            let metric = At(&STRESS_TASKS_PER_SECOND, Some(*c));
            let runc = get(results, metric, &CTR_RUNC)?;
            let each: Vec<String> = ENGINES
                .iter()
                .filter_map(|e| {
                    let w = get(results, metric, e.shim.as_ref()?.runtime)?;
                    let v = verdict(runc, w)?;
                    Some(format!("{} {}", e.label, v.phrase()))
                })
                .collect();
            Some(format!(
                "With {} in flight, runc starts {} tasks/s through containerd's API; against it: {}.",
                c,
                tasks(runc.median()?),
                if each.is_empty() { "no shim engine was measured".to_owned() } else { each.join("; ") }
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmlab_model::metric::{
        CTR_WASMTIME, CTR_WASMTIME_CACHED, CTR_WASMTIME_FIRST, CTR_WASMTIME_WINCH_FIRST,
        EMBEDDED_WASMI, EMBEDDED_WASMTIME_AOT,
    };
    use wasmlab_model::results::Provenance;

    fn around(median: f64) -> Vec<f64> {
        (0..11)
            .map(|i| median * (1.0 + (i as f64 - 5.0) / 500.0))
            .collect()
    }

    fn fixture() -> Results {
        let mut r = Results::new(Provenance::default());
        for (variant, seconds) in [
            (&CTR_RUNC, 0.200),
            (&CTR_WASMTIME_FIRST, 0.400),
            (&CTR_WASMTIME_CACHED, 0.150),
            (&CTR_WASMTIME_WINCH_FIRST, 0.180),
            (&NATIVE_PROCESS, 0.001),
            (&EMBEDDED_WASMI, 0.010),
            (&EMBEDDED_WASMTIME_AOT, 0.006),
        ] {
            r.merge(STARTUP_CLI.of(variant).measured("run", around(seconds)));
        }
        for (variant, rate) in [(&CTR_RUNC, 10.0), (&CTR_WASMTIME, 20.0)] {
            r.merge(
                STRESS_TASKS_PER_SECOND
                    .at("c4")
                    .of(variant)
                    .measured("api", around(rate)),
            );
        }
        r
    }

    #[test]
    fn the_first_start_names_the_engine_that_beats_runc_and_what_was_not_measured() {
        let view = build(&fixture(), &Quoted::default());
        let first = &view.sentences[0];
        assert!(first.starts_with("On a first start"), "{first}");
        assert!(
            first.contains("faster than runc: wasmtime, Winch (1.1"),
            "{first}"
        );
        assert!(
            first.contains("wasmtime, cranelift: 2.0× slower"),
            "{first}"
        );
        assert!(first.contains("not measured: wasmtime, Pulley"), "{first}");
        let cached = &view.sentences[1];
        assert!(
            cached.contains("faster than runc: wasmtime, cranelift (1.3"),
            "{cached}"
        );
    }

    #[test]
    fn the_cheapest_embedded_start_and_the_stress_levels_come_from_the_data() {
        let view = build(&fixture(), &Quoted::default());
        assert!(
            view.sentences
                .iter()
                .any(|s| s.contains("cheapest wasm start here is wasmtime, cranelift at 6.00 ms")),
            "{:?}",
            view.sentences
        );
        assert_eq!(view.levels, [4]);
        let stress = view.sentences.last().unwrap();
        assert!(
            stress.starts_with("With 4 in flight, runc starts 10.0"),
            "{stress}"
        );
        assert!(
            stress.contains("wasmtime, cranelift 2.0× more tasks/s"),
            "{stress}"
        );
    }

    #[test]
    fn without_runc_a_start_is_not_weighed() {
        let view = build(&Results::new(Provenance::default()), &Quoted::default());
        assert!(view.sentences[0].contains("runc's `ctr run` start was not measured"));
        assert!(view.levels.is_empty());
    }
}

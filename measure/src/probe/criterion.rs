//! Criterion's micro-benchmarks (`measure/benches/`, `make bench`) as observations. This
//! probe runs nothing: it reads what the last `cargo bench` left under
//! `target/criterion/<group>/<bench>/new/`, so the figures join results.json and the report.
//!
//! Each bench becomes `criterion.<group>.<bench>`, in-process, in seconds, whose samples are
//! criterion's own: one per criterion sample, its time divided by its iterations.
//! Criterion's median and its confidence interval go in `shown`.

use super::{Claim, Probe};
use crate::ctx::Ctx;
use anyhow::{bail, Context as _, Result};
use serde::Deserialize;
use std::fs;
use std::path::{Path, PathBuf};
use wasmlab_model::format::format_value;
use wasmlab_model::metric::{Subject, Unit, CRITERION};
use wasmlab_model::results::Observation;

pub struct CriterionProbe;

/// The one observation written when there are no results to read.
fn missing() -> Subject {
    CRITERION
        .at("benches")
        .named("missing", "criterion benches")
}

impl Probe for CriterionProbe {
    fn id(&self) -> &'static str {
        "criterion"
    }

    fn claims(&self) -> &'static [Claim] {
        &[Claim::All(&CRITERION)]
    }

    fn run(&self, _ctx: &Ctx) -> Vec<Observation> {
        let app = crate::app::current();
        if !app.is_default() {
            return vec![missing().skipped(
                BENCH_COMMAND,
                format!(
                    "the in-process benches drive the Rust service's own code; the app {:?} \
                     ({}) has none",
                    app.name, app.language
                ),
            )];
        }
        observations(&results_dir())
    }
}

/// Where criterion writes, found the way criterion finds it: `$CRITERION_HOME`, else
/// `criterion` in `$CARGO_TARGET_DIR`, else in `target` of the working directory (the
/// workspace's root, where `make` runs; never the build directory compiled in, so an
/// installed `measure` looks where it is run).
pub fn results_dir() -> PathBuf {
    let set = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    set("CRITERION_HOME").unwrap_or_else(|| {
        set("CARGO_TARGET_DIR")
            .unwrap_or_else(|| PathBuf::from("target"))
            .join("criterion")
    })
}

/// One observation per bench found under `dir`, in path order; a single skipped one when
/// there is none.
fn observations(dir: &Path) -> Vec<Observation> {
    let mut benches = Vec::new();
    if dir.is_dir() {
        if let Err(e) = find_benches(dir, &mut benches) {
            return vec![missing().failed(format!("read {}", dir.display()), format!("{e:#}"))];
        }
    }
    if benches.is_empty() {
        return vec![missing().skipped(
            BENCH_COMMAND,
            format!(
                "no criterion results under {}; run `make bench` ({BENCH_COMMAND})",
                dir.display()
            ),
        )];
    }
    benches.sort();
    benches.iter().map(|bench| observe(dir, bench)).collect()
}

const BENCH_COMMAND: &str = "cargo bench -p measure";

/// Collects every directory below `dir` that holds a `new/` (criterion's latest run).
/// Criterion's own `report/` directories and other baselines are not benches.
fn find_benches(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if !path.is_dir() || path.file_name().is_some_and(|n| n == "report") {
            continue;
        }
        if path.join("new").is_dir() {
            out.push(path);
        } else {
            find_benches(&path, out)?;
        }
    }
    Ok(())
}

/// `sample.json`: criterion's raw measurements; sample `i` took `times[i]` nanoseconds for
/// `iters[i]` iterations.
#[derive(Deserialize)]
struct Sample {
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// The part of `estimates.json` used here.
#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    /// Nanoseconds.
    point_estimate: f64,
    confidence_interval: ConfidenceInterval,
}

#[derive(Deserialize)]
struct ConfidenceInterval {
    confidence_level: f64,
    lower_bound: f64,
    upper_bound: f64,
}

/// `benchmark.json`: the bench's id as written in the bench (`group/function`).
#[derive(Deserialize)]
struct Benchmark {
    full_id: String,
}

fn observe(root: &Path, bench: &Path) -> Observation {
    let parts: Vec<String> = bench
        .strip_prefix(root)
        .unwrap_or(bench)
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let new = bench.join("new");
    // The id as the bench spelled it, unsanitized; the directory path if it cannot be read.
    let full_id = read_json::<Benchmark>(&new.join("benchmark.json"))
        .map(|b| b.full_id)
        .unwrap_or_else(|_| parts.join("/"));
    let subject = subject(&parts).label(format!("criterion: {full_id}"));
    let command = match parts.first() {
        Some(group) => format!("cargo bench -p measure --bench {group} -- --exact {full_id}"),
        None => BENCH_COMMAND.to_owned(),
    };
    let read = || -> Result<(Vec<f64>, String)> {
        let samples =
            per_iteration_seconds(read_json(&new.join("sample.json"))?).with_context(|| {
                format!(
                    "{} is not a criterion sample",
                    new.join("sample.json").display()
                )
            })?;
        let estimates: Estimates = read_json(&new.join("estimates.json"))?;
        Ok((samples, shown(&estimates.median)))
    };
    match read() {
        Ok((samples, shown)) => subject.measured(command, samples).with_shown(shown),
        Err(e) => subject.failed(command, format!("{e:#}")),
    }
}

/// `criterion.<group>.<bench>`, each part reduced to `[a-z0-9_-]`; a bench with a parameter
/// (`group/function/param`) joins the rest with `-`, one outside any group is `ungrouped`.
fn subject(parts: &[String]) -> Subject {
    let (group, bench) = match parts {
        [] => ("ungrouped".to_owned(), "unnamed".to_owned()),
        [bench] => ("ungrouped".to_owned(), sanitize(bench)),
        [group, rest @ ..] => (
            sanitize(group),
            rest.iter()
                .map(|p| sanitize(p))
                .collect::<Vec<_>>()
                .join("-"),
        ),
    };
    CRITERION.at(group).named(bench, "criterion bench")
}

fn sanitize(part: &str) -> String {
    part.chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_' | '-') => c,
            _ => '-',
        })
        .collect()
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is malformed", path.display()))
}

/// Seconds per iteration of each criterion sample.
fn per_iteration_seconds(sample: Sample) -> Result<Vec<f64>> {
    if sample.iters.len() != sample.times.len() {
        bail!(
            "{} iteration counts for {} times",
            sample.iters.len(),
            sample.times.len()
        );
    }
    if sample.iters.is_empty() {
        bail!("no samples");
    }
    sample
        .iters
        .iter()
        .zip(&sample.times)
        .map(|(&iters, &ns)| {
            if iters > 0.0 && ns.is_finite() && ns >= 0.0 {
                Ok(ns / iters / 1e9)
            } else {
                bail!("a sample of {iters} iterations took {ns} ns")
            }
        })
        .collect()
}

/// Criterion's median with its interval: `1.234 ms (95% CI 1.200 ms – 1.300 ms, criterion)`.
fn shown(median: &Estimate) -> String {
    let s = |ns: f64| format_value(ns / 1e9, Unit::Seconds);
    let ci = &median.confidence_interval;
    format!(
        "{} ({:.0}% CI {} – {}, criterion median)",
        s(median.point_estimate),
        ci.confidence_level * 100.0,
        s(ci.lower_bound),
        s(ci.upper_bound)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmlab_model::metric::Kind;
    use wasmlab_model::results::Status;

    const ESTIMATES: &str = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1},
        "median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1900.0,"upper_bound":2100.0},"point_estimate":2000.0,"standard_error":50.0},
        "median_abs_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1},
        "slope":null,
        "std_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1}}"#;

    fn write_bench(root: &Path, rel: &str, sample: &str, full_id: Option<&str>) {
        let new = root.join(rel).join("new");
        fs::create_dir_all(&new).unwrap();
        fs::write(new.join("sample.json"), sample).unwrap();
        fs::write(new.join("estimates.json"), ESTIMATES).unwrap();
        if let Some(full_id) = full_id {
            let benchmark = format!(
                r#"{{"group_id":"x","function_id":null,"value_str":null,"throughput":null,"full_id":"{full_id}","directory_name":"{rel}","title":"{full_id}"}}"#
            );
            fs::write(new.join("benchmark.json"), benchmark).unwrap();
        }
    }

    #[test]
    fn reads_every_bench_as_seconds_per_iteration() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // 2000 ns over 1 iteration, 6000 ns over 3, 10000 ns over 4: 2 µs, 2 µs, 2.5 µs.
        let sample =
            r#"{"sampling_mode":"Linear","iters":[1.0,3.0,4.0],"times":[2000.0,6000.0,10000.0]}"#;
        write_bench(root, "wasm/compile", sample, Some("wasm/compile"));
        write_bench(root, "service/Json Render", sample, None);
        write_bench(root, "group/function/42", sample, Some("group/function/42"));
        fs::create_dir_all(root.join("wasm/report")).unwrap();
        fs::create_dir_all(root.join("wasm/compile/base")).unwrap();

        let obs = observations(root);
        let ids: Vec<String> = obs.iter().map(|o| o.id.to_string()).collect();
        assert_eq!(
            ids,
            [
                "criterion.group.function-42",
                "criterion.service.json-render",
                "criterion.wasm.compile"
            ]
        );
        let compile = &obs[2];
        assert_eq!(compile.status, Status::Measured);
        assert_eq!(compile.kind, Kind::InProcess);
        assert_eq!(compile.unit, Unit::Seconds);
        assert_eq!(compile.label, "criterion: wasm/compile");
        assert_eq!(
            compile.command,
            "cargo bench -p measure --bench wasm -- --exact wasm/compile"
        );
        let expected = [2e-6, 2e-6, 2.5e-6];
        assert_eq!(compile.samples.len(), expected.len());
        for (got, want) in compile.samples.iter().zip(expected) {
            assert!((got - want).abs() < 1e-15, "{got} != {want}");
        }
        let summary = compile.summary.as_ref().unwrap();
        assert_eq!(summary.n, 3);
        assert!((summary.median - 2e-6).abs() < 1e-15);
        assert_eq!(
            compile.shown.as_deref(),
            Some("2.00 µs (95% CI 1.90 µs – 2.10 µs, criterion median)")
        );
        // Without benchmark.json the label is the directory path.
        assert_eq!(obs[1].label, "criterion: service/Json Render");
    }

    #[test]
    fn no_results_is_one_skipped_observation() {
        let dir = tempfile::tempdir().unwrap();
        for root in [dir.path().join("absent"), dir.path().to_path_buf()] {
            let obs = observations(&root);
            assert_eq!(obs.len(), 1);
            assert_eq!(obs[0].id.to_string(), "criterion.benches.missing");
            match &obs[0].status {
                Status::Skipped { reason } => {
                    assert!(reason.contains(&root.display().to_string()), "{reason}");
                    assert!(reason.contains("make bench"), "{reason}");
                }
                other => panic!("expected skipped, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_malformed_file_fails_that_bench_alone_and_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let good = r#"{"iters":[1.0],"times":[5.0]}"#;
        write_bench(root, "g/estimates", good, None);
        write_bench(root, "g/truncated", "{\"iters\":[1.0]", None);
        write_bench(
            root,
            "g/uneven",
            r#"{"iters":[1.0,2.0],"times":[5.0]}"#,
            None,
        );
        write_bench(root, "g/zero", r#"{"iters":[0.0],"times":[5.0]}"#, None);
        fs::write(root.join("g/estimates/new/estimates.json"), "[]").unwrap();
        write_bench(root, "g/fine", good, None);

        let obs = observations(root);
        let by_id = |id: &str| obs.iter().find(|o| o.id.to_string() == id).unwrap();
        assert!(by_id("criterion.g.fine").is_measured());
        for (id, file) in [
            ("criterion.g.estimates", "estimates/new/estimates.json"),
            ("criterion.g.truncated", "truncated/new/sample.json"),
            ("criterion.g.uneven", "uneven/new/sample.json"),
            ("criterion.g.zero", "zero/new/sample.json"),
        ] {
            match &by_id(id).status {
                Status::Failed { error } => assert!(error.contains(file), "{id}: {error}"),
                other => panic!("{id}: expected failed, got {other:?}"),
            }
        }
    }

    #[test]
    fn ids_are_sanitized() {
        let parts = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            subject(&parts(&["Wasm", "run once/x"])).id.to_string(),
            "criterion.wasm.run-once-x"
        );
        assert_eq!(
            subject(&parts(&["solo"])).id.to_string(),
            "criterion.ungrouped.solo"
        );
    }
}

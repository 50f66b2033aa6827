//! What the templates see: observations grouped by section, numbers already formatted, so
//! templates hold prose and layout only.

use super::analysis::{Answer, Decision};
use super::baseline::Change;
use super::plot::Plot;
use super::quoted::Quoted;
use crate::format::format_value;
use crate::metric::{
    Key, FLOOR, NATIVE_PROCESS_ALONE, NATIVE_PROCESS_HYPERFINE, SIZE_SECTION, STARTUP_CLI,
};
use crate::results::{Kind, Observation, Provenance, Results, Status};
use crate::stats::{ratio_of_medians, CONFIDENCE, NOISY_CV};
use serde::Serialize;
use std::collections::BTreeMap;

/// Id of the floor's startup observation, the reference of the "× floor" column.
pub const FLOOR_ID: Key = STARTUP_CLI.key(&FLOOR);
const ALONE_ID: Key = STARTUP_CLI.key(&NATIVE_PROCESS_ALONE);
const HYPERFINE_ID: Key = STARTUP_CLI.key(&NATIVE_PROCESS_HYPERFINE);

#[derive(Serialize)]
pub struct View {
    pub provenance: Provenance,
    pub sizes: Vec<Row>,
    pub startup: Vec<Row>,
    pub phases: Vec<Row>,
    pub memory: Vec<Row>,
    /// One-off operations timed whole: image build, server ready, graceful stop.
    pub operations: Vec<Row>,
    /// Servers under load: rates and latency quantiles.
    pub load: Vec<Row>,
    /// Skipped and failed observations, with the reason.
    pub not_measured: Vec<Row>,
    /// Sections of the native binary and of the wasm module (`size.section.*`).
    pub sections: Vec<Row>,
    /// The Spin/WAGI series: cold starts and curl totals (`spin.<series>.<host>`).
    pub spin: Vec<Row>,
    /// The phases of those requests (DNS, connect, TLS, first byte).
    pub spin_phases: Vec<Row>,
    /// Every observation by id, measured or not, so prose in a template can cite one.
    pub by_id: BTreeMap<String, Row>,
    /// The lab's comparison table.
    pub comparison: Vec<super::compare::Row>,
    pub answers: Vec<Answer>,
    pub decisions: Vec<Decision>,
    pub quoted: Quoted,
    /// The results file compared against, when `--baseline` was given.
    pub baseline: Option<String>,
    pub plots: Vec<Plot>,
    /// How `measure`'s clock compares with hyperfine's on the same command.
    pub crosscheck: Option<String>,
    pub results_link: String,
    pub confidence_percent: f64,
    pub noisy_cv_percent: f64,
}

#[derive(Serialize)]
pub struct Row {
    pub id: String,
    pub label: String,
    pub command: String,
    /// measured, skipped or failed.
    pub status: &'static str,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// What prose shows: the median, or the status and its reason.
    pub figure: String,
    pub taken_at: String,
    pub n: usize,
    pub median: String,
    pub min: String,
    pub max: String,
    pub mean: String,
    pub stddev: String,
    pub p95: String,
    pub ci: String,
    pub cv_percent: String,
    pub noisy: bool,
    pub outliers: usize,
    /// Median over the floor's median, with its interval, for spawn-to-exit timings.
    pub vs_floor: Option<String>,
    /// The exact value in the unit of results.json (bytes for sizes).
    pub raw: String,
    /// The value as the tool printed it, if recorded.
    pub shown: Option<String>,
    /// Change of the median against the baseline run, when one was given.
    pub change: Option<Change>,
}

/// What a view is built from besides the results.
pub struct Inputs {
    pub plots: Vec<Plot>,
    pub results_link: String,
    pub quoted: Quoted,
    /// The previous run and how to name it.
    pub baseline: Option<(Results, String)>,
}

impl View {
    pub fn build(results: &Results, inputs: Inputs) -> Self {
        let floor = results.get(&FLOOR_ID).filter(|o| o.is_measured());
        let old = inputs.baseline.as_ref().map(|(r, _)| r);
        let row = |o: &Observation| Row::of(o, floor, old);
        let rows = |keep: &dyn Fn(&Observation) -> bool| -> Vec<Row> {
            results
                .observations
                .iter()
                .filter(|o| o.is_measured() && keep(o))
                .map(row)
                .collect()
        };
        let is_section = |o: &Observation| SIZE_SECTION.owns(&o.id);
        let is_spin = |o: &Observation| o.id.starts_with("spin.");
        let is_total = |o: &Observation| spin_series(&o.id).is_some();
        Self {
            provenance: results.provenance().cloned().unwrap_or_default(),
            sizes: rows(&|o| o.kind == Kind::Size && !is_section(o)),
            startup: rows(&|o| o.kind == Kind::SpawnToExit),
            phases: rows(&|o| o.kind == Kind::InProcess),
            memory: rows(&|o| o.kind == Kind::Memory),
            operations: rows(&|o| o.kind == Kind::Operation && !is_spin(o)),
            load: rows(&|o| o.kind == Kind::Load && !is_spin(o)),
            sections: rows(&is_section),
            spin: rows(&|o| is_total(o)),
            spin_phases: rows(&|o| is_spin(o) && !is_total(o)),
            not_measured: results
                .observations
                .iter()
                .filter(|o| !o.is_measured())
                .map(row)
                .collect(),
            by_id: results
                .observations
                .iter()
                .map(|o| (o.id.clone(), row(o)))
                .collect(),
            comparison: super::compare::table(results, &inputs.quoted),
            answers: super::analysis::answers(results),
            decisions: super::analysis::decisions(results),
            quoted: inputs.quoted,
            baseline: inputs.baseline.map(|(_, name)| name),
            plots: inputs.plots,
            crosscheck: crosscheck(results),
            results_link: inputs.results_link,
            confidence_percent: CONFIDENCE * 100.0,
            noisy_cv_percent: NOISY_CV * 100.0,
        }
    }
}

/// The series of a Spin total (`cold-start`, `cold`, `warm`, `warm-keepalive`), or None for
/// another id, including the per-phase splits (`spin.cold-dns.<host>`).
pub fn spin_series(id: &str) -> Option<&str> {
    const TOTALS: [&str; 4] = ["cold-start", "cold", "warm", "warm-keepalive"];
    let series = id.strip_prefix("spin.")?.split_once('.')?.0;
    TOTALS.contains(&series).then_some(series)
}

/// One sentence comparing `measure`'s back-to-back median with hyperfine's, computed.
fn crosscheck(results: &Results) -> Option<String> {
    let ours = results.get(&ALONE_ID).filter(|o| o.is_measured())?;
    let theirs = results.get(&HYPERFINE_ID).filter(|o| o.is_measured())?;
    let r = ratio_of_medians(&ours.samples, &theirs.samples)?;
    let (a, b) = (
        ours.summary.as_ref()?.median,
        theirs.summary.as_ref()?.median,
    );
    let verdict = if r.is_significant() {
        format!("differ by {:+.1}%", (r.value - 1.0) * 100.0)
    } else {
        "show no measurable difference".to_owned()
    };
    Some(format!(
        "Timing the native binary back to back, measure's median {} and hyperfine's {} {verdict} \
         (ratio {:.3}, {:.0}% interval {:.3} to {:.3}).",
        format_value(a, ours.unit),
        format_value(b, theirs.unit),
        r.value,
        r.interval.confidence * 100.0,
        r.interval.low,
        r.interval.high
    ))
}

impl Row {
    fn of(o: &Observation, floor: Option<&Observation>, baseline: Option<&Results>) -> Self {
        let (status, reason) = match &o.status {
            Status::Measured => ("measured", None),
            Status::Skipped { reason } => ("skipped", Some(reason.clone())),
            Status::Failed { error } => ("failed", Some(error.clone())),
        };
        let f = |v: f64| format_value(v, o.unit);
        let s = o.summary.as_ref();
        let vs_floor = floor
            .filter(|fl| fl.id != o.id && o.kind == Kind::SpawnToExit)
            .and_then(|fl| {
                let r = ratio_of_medians(&o.samples, &fl.samples)?;
                let interval = format!("[{:.2}, {:.2}]", r.interval.low, r.interval.high);
                Some(if r.is_significant() {
                    format!("{:.2}× {interval}", r.value)
                } else {
                    format!("no measurable difference {interval}")
                })
            });
        let figure = match (&reason, s) {
            (Some(why), _) => format!("{status}: {why}"),
            (None, Some(s)) => f(s.median),
            (None, None) => "no samples".to_owned(),
        };
        Self {
            id: o.id.clone(),
            label: o.label.clone(),
            command: o.command.clone(),
            status,
            reason,
            figure,
            taken_at: o.taken_at.clone(),
            n: s.map_or(0, |s| s.n),
            median: s.map_or_else(String::new, |s| f(s.median)),
            min: s.map_or_else(String::new, |s| f(s.min)),
            max: s.map_or_else(String::new, |s| f(s.max)),
            mean: s.map_or_else(String::new, |s| f(s.mean)),
            stddev: s.map_or_else(String::new, |s| f(s.stddev)),
            p95: s.map_or_else(String::new, |s| f(s.p95)),
            ci: s.map_or_else(String::new, |s| {
                format!(
                    "{} – {} ({:.1}%)",
                    f(s.median_ci.low),
                    f(s.median_ci.high),
                    s.median_ci.confidence * 100.0
                )
            }),
            cv_percent: s.map_or_else(String::new, |s| format!("{:.1}%", s.cv * 100.0)),
            noisy: s.is_some_and(|s| s.noisy),
            outliers: s.map_or(0, |s| s.outliers.len()),
            vs_floor,
            raw: s.map_or_else(String::new, |s| format!("{}", s.median)),
            shown: o.shown.clone(),
            change: baseline.and_then(|old| super::baseline::change(o, old)),
        }
    }
}

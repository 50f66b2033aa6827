//! What the templates see: observations grouped by section, numbers already formatted, so
//! templates hold prose and layout only.

use super::analysis::{self, Answer, Decision};
use super::baseline::{self, Change};
use super::compare;
use super::keys::{self, Listed};
use super::plot::Plot;
use super::quoted::Quoted;
use super::status;
use crate::format::format_value;
use crate::metric::{Key, SIZE_SECTION};
use crate::results::{Kind, Observation, Provenance, Results};
use crate::stats::{ratio_of_medians, CONFIDENCE, NOISY_CV};
use serde::Serialize;

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
    /// Sections of the native binary and of the wasm module ([`SIZE_SECTION`]).
    pub binary_sections: Vec<Row>,
    /// The Spin/WAGI series: cold starts and curl totals (`spin.<series>.<host>`).
    pub spin: Vec<Row>,
    /// The phases of those requests (DNS, connect, TLS, first byte).
    pub spin_phases: Vec<Row>,
    /// The figures each lab section lists, the same for the page and lab12.md.
    pub sections: Sections,
    /// The lab's comparison table.
    pub comparison: Vec<compare::Row>,
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

/// The figures of the lab's sections, in order, measured or not: both write-ups list these.
#[derive(Serialize)]
pub struct Sections {
    /// 2. The traditional container.
    pub traditional: Vec<Listing>,
    /// 3. The WASM container.
    pub wasm: Vec<Listing>,
    /// 3. The preview 1 module started in its server context under ctr.
    pub p1_server: Row,
    /// Bonus: `spin deploy`.
    pub spin_deploy: Row,
}

/// One figure of a section's list.
#[derive(Serialize)]
pub struct Listing {
    #[serde(flatten)]
    pub row: Row,
    /// lab12.md lists it too (it keeps to what the lab asks); the page lists them all.
    pub hand_in: bool,
}

#[derive(Serialize)]
pub struct Row {
    pub id: String,
    pub label: String,
    pub command: String,
    /// measured, skipped, failed, or missing (no probe recorded it).
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
        let floor = results
            .get(&keys::FLOOR_STARTUP)
            .filter(|o| o.is_measured());
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
        let is_section = |o: &Observation| keys::is_of(&o.id, &SIZE_SECTION);
        let is_spin = |o: &Observation| keys::is_spin(&o.id);
        let is_total = |o: &Observation| keys::spin_total(&o.id).is_some();
        let figure = |key: &Key| match results.get(key) {
            Some(o) => row(o),
            None => Row::missing(key.to_string()),
        };
        let listings = |listed: &[Listed]| -> Vec<Listing> {
            listed
                .iter()
                .map(|l| Listing {
                    row: figure(&l.key),
                    hand_in: l.hand_in,
                })
                .collect()
        };
        Self {
            provenance: results.provenance().cloned().unwrap_or_default(),
            sizes: rows(&|o| o.kind == Kind::Size && !is_section(o)),
            startup: rows(&|o| o.kind == Kind::SpawnToExit),
            phases: rows(&|o| o.kind == Kind::InProcess),
            memory: rows(&|o| o.kind == Kind::Memory),
            operations: rows(&|o| o.kind == Kind::Operation && !is_spin(o)),
            load: rows(&|o| o.kind == Kind::Load && !is_spin(o)),
            binary_sections: rows(&is_section),
            spin: rows(&|o| is_total(o)),
            spin_phases: rows(&|o| is_spin(o) && !is_total(o)),
            not_measured: results
                .observations
                .iter()
                .filter(|o| !o.is_measured())
                .map(row)
                .collect(),
            sections: Sections {
                traditional: listings(keys::TRADITIONAL),
                wasm: listings(keys::WASM),
                p1_server: figure(&keys::P1_SERVER),
                spin_deploy: figure(&keys::SPIN_DEPLOY_TIME),
            },
            comparison: compare::table(results, &inputs.quoted),
            answers: analysis::answers(results),
            decisions: analysis::decisions(results),
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

/// One sentence comparing `measure`'s back-to-back median with hyperfine's, computed.
fn crosscheck(results: &Results) -> Option<String> {
    let [alone, hyperfine] = &keys::CROSSCHECK;
    let ours = results.get(alone).filter(|o| o.is_measured())?;
    let theirs = results.get(hyperfine).filter(|o| o.is_measured())?;
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
        let figure = match (status::text(&o.status), s) {
            (Some(text), _) => text,
            (None, Some(s)) => f(s.median),
            (None, None) => "no samples".to_owned(),
        };
        Self {
            id: o.id.clone(),
            label: o.label.clone(),
            command: o.command.clone(),
            status: status::word(&o.status),
            reason: status::reason(&o.status).map(str::to_owned),
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
            change: baseline.and_then(|old| baseline::change(o, old)),
        }
    }

    /// A figure no probe recorded in this run: it says so, under its id.
    fn missing(id: String) -> Self {
        Self {
            label: id.clone(),
            status: status::MISSING,
            figure: status::not_recorded(&id),
            id,
            command: String::new(),
            reason: None,
            taken_at: String::new(),
            n: 0,
            median: String::new(),
            min: String::new(),
            max: String::new(),
            mean: String::new(),
            stddev: String::new(),
            p95: String::new(),
            ci: String::new(),
            cv_percent: String::new(),
            noisy: false,
            outliers: 0,
            vs_floor: None,
            raw: String::new(),
            shown: None,
            change: None,
        }
    }
}

//! What the templates see: observations grouped by section, numbers already formatted, so
//! templates hold prose and layout only.

use super::analysis::{self, Answer, Decision};
use super::baseline::{self, Change};
use super::compare;
use super::engines;
use super::findings::{self, Finding};
use super::keys::{self, Listed};
use super::pivot::{self, Cell, Column, Pivot};
use super::plot::Plot;
use super::quoted::Quoted;
use super::slot;
use super::status;
use serde::Serialize;
use std::collections::BTreeMap;
use wasmlab_model::format::{format_value, times};
use wasmlab_model::metric::{
    Id, Metric, Unit, CRITERION, LOAD_ERRORS, LOAD_LATENCY_P50, LOAD_LATENCY_P99, LOAD_RPS,
    SIZE_SECTION, SPIN_KEEPALIVE, SPIN_WARM,
};
use wasmlab_model::results::{Kind, Observation, Provenance, Results};
use wasmlab_model::stats::{ratio_of_medians, Interval, Summary, CONFIDENCE, NOISY_CV};

/// The cross-check passes when measure's median over hyperfine's lies in this range: the
/// two clocks then agree within 10% on the same command.
pub const CROSSCHECK_AGREES: (f64, f64) = (0.90, 1.10);
/// How many lines of a context's captured output the page shows (the page's head).
const CONTEXT_LINES: usize = 12;

#[derive(Serialize)]
pub struct View {
    /// The summary at the top: each finding with its interval and its section.
    pub findings: Vec<Finding>,
    /// What a wasm start costs per engine, beside runc; containerd's tasks per second.
    pub engines: engines::View,
    /// The machine and software of the latest invocation (the header's one line).
    pub provenance: Provenance,
    /// Every measuring command whose figures are in the file, oldest first.
    pub invocations: Vec<InvocationView>,
    /// "2026-11-27T06:36:35Z to 2026-11-27T06:37:37Z", or the one date.
    pub measured_when: String,
    /// Task 1: what each context printed, natively and as the wasm module.
    pub contexts: Vec<ContextView>,
    /// Quantities two probes measure, each its own way, side by side.
    pub twice: Vec<Twice>,
    /// How far apart cold and warm requests were sent, from the recorded settings.
    pub spin_spacing: String,
    pub sizes: Vec<Row>,
    pub startup: Vec<Row>,
    /// The in-process phases, engine × phase.
    pub phase_matrix: Pivot,
    /// criterion's benches (in-process too, but not in the catalogue).
    pub phases: Vec<Row>,
    /// Memory as matrices of variant × reading ([`keys::MEMORY_TABLES`]).
    pub memory: Vec<Titled>,
    /// One-off operations timed whole: image build, server ready, graceful stop.
    pub operations: Vec<Pivot>,
    /// Servers under load: per server, its rate and latency quantiles at each concurrency.
    pub servers: Vec<ServerLoad>,
    /// Every concurrency some server was loaded at, ascending: the matrix's columns.
    pub load_levels: Vec<String>,
    /// Skipped and failed observations, grouped by their reason.
    pub not_measured: Vec<NotMeasured>,
    /// Per artifact, its sections ([`SIZE_SECTION`]) largest first, as one line.
    pub binary_sections: Vec<Composition>,
    /// The Spin/WAGI series: cold starts and curl totals (`spin.<series>.<host>`).
    pub spin: Vec<Row>,
    /// The same as host × series.
    pub spin_matrix: Pivot,
    /// The phases of those requests (DNS, connect, TLS, first byte), host × phase.
    pub spin_phases: Pivot,
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
    /// How `measure`'s clock compares with hyperfine's on the same command, as a check.
    pub crosscheck: Option<Crosscheck>,
    pub results_link: String,
    pub confidence_percent: f64,
    pub noisy_cv_percent: f64,
}

/// A matrix with its heading.
#[derive(Serialize)]
pub struct Titled {
    pub title: &'static str,
    #[serde(flatten)]
    pub pivot: Pivot,
}

/// What one artifact is made of.
#[derive(Serialize)]
pub struct Composition {
    pub artifact: String,
    /// "text 517,936 B · eh_frame 69,712 B · ...", largest first.
    pub sections: String,
}

/// One server under load: a row per concurrency, its command once.
#[derive(Serialize)]
pub struct ServerLoad {
    pub server: String,
    /// The load command of its runs, what differs between them (the connections) as `<N>`.
    pub command: String,
    /// Why the server has no rows, when it was not measured.
    pub not_measured: Option<String>,
    pub rows: Vec<LoadRow>,
}

/// One concurrency of one server.
#[derive(Serialize)]
pub struct LoadRow {
    pub connections: String,
    pub rps: String,
    pub p50: String,
    pub p99: String,
    pub errors: String,
    /// What the load generator counted: "6142 requests, 0 errors".
    pub requests: String,
    /// Rate, latencies and errors in one text, lines apart.
    pub cell: String,
    /// The rate's change against the baseline run, when one was given.
    pub change: Option<Change>,
}

impl LoadRow {
    /// The row as one cell of the server × concurrency matrix: rate, latencies, errors.
    fn cell(&self) -> String {
        let errors = if self.requests.is_empty() {
            format!("errors {}", self.errors)
        } else {
            self.requests.clone()
        };
        format!(
            "{}\np50 {} · p99 {}\n{errors}",
            self.rps, self.p50, self.p99
        )
    }
}

/// Observations not measured for one reason.
#[derive(Serialize)]
pub struct NotMeasured {
    /// skipped or failed.
    pub status: &'static str,
    pub reason: String,
    pub ids: Vec<String>,
    /// The distinct commands they would have run.
    pub commands: Vec<String>,
}

/// One measuring command and the figures it wrote.
#[derive(Serialize)]
pub struct InvocationView {
    pub number: u32,
    #[serde(flatten)]
    pub provenance: Provenance,
    /// Observations in the file that this invocation took.
    pub observations: usize,
    /// Per id prefix (`startup`, `spin`, ...): how many, and the sample counts they have.
    pub figures: Vec<FigureGroup>,
}

#[derive(Serialize)]
pub struct FigureGroup {
    pub prefix: String,
    pub count: usize,
    /// "n = 20", "n = 1–20", or "none measured".
    pub n: String,
}

/// The cross-check's outcome: pass or fail, and the sentence behind it.
#[derive(Serialize)]
pub struct Crosscheck {
    pub passed: bool,
    /// "pass" or "fail".
    pub verdict: &'static str,
    pub line: String,
}

/// One context of the service, run both ways.
#[derive(Serialize)]
pub struct ContextView {
    pub what: String,
    pub runs: Vec<ContextRun>,
}

#[derive(Serialize)]
pub struct ContextRun {
    pub runner: String,
    pub command: String,
    /// What it printed (the head of it for the page), or why it was not run.
    pub output: String,
    pub measured: bool,
}

/// The quantities two probes each take their own way, for one server.
#[derive(Serialize)]
pub struct Twice {
    pub server: String,
    /// Start until the first 200: each way's name and value.
    pub start: Vec<(String, String)>,
    /// One request: each way's name and value.
    pub request: Vec<(String, String)>,
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
    /// The median's interval, its coverage said when it falls short of the nominal level:
    /// "95% interval 1.20 ms – 1.30 ms", "one run".
    pub ci: String,
    /// The mean with its interval: "1.25 ms (95% interval 1.20 ms – 1.30 ms)".
    pub mean_ci: String,
    /// "median of 20", "one run".
    pub samples_note: String,
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
        let is_section = |o: &Observation| o.id.metric == &SIZE_SECTION;
        let of_other_engine = |o: &Observation| keys::is_other_engine(&o.id);
        let is_total = |o: &Observation| keys::spin_total(&o.id).is_some();
        let columns = |metrics: &[&'static Metric]| metrics.iter().map(|m| Column::of(m)).collect();
        let servers = servers(results, old);
        let figure = |key: &Id| match results.get(key) {
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
        let answers = analysis::answers(results, &inputs.quoted);
        let decisions = analysis::decisions(results);
        Self {
            findings: findings::findings(results, &decisions),
            engines: engines::build(results, &inputs.quoted),
            provenance: results.provenance().cloned().unwrap_or_default(),
            invocations: invocations(results),
            measured_when: measured_when(results),
            contexts: contexts(results),
            twice: twice(results),
            spin_spacing: spin_spacing(results),
            sizes: rows(&|o| o.kind == Kind::Size && !is_section(o)),
            startup: rows(&|o| o.kind == Kind::SpawnToExit && !of_other_engine(o)),
            phase_matrix: pivot::pivot(results, columns(&keys::PHASES), Cell::Interval),
            phases: rows(&|o| o.id.metric == &CRITERION),
            memory: keys::MEMORY_TABLES
                .iter()
                .map(|(title, metrics)| Titled {
                    title,
                    pivot: pivot::pivot_of(
                        results.observations.iter().filter(|o| !of_other_engine(o)),
                        columns(metrics),
                        Cell::Interval,
                    ),
                })
                .collect(),
            operations: keys::OPERATIONS
                .iter()
                .map(|metrics| pivot::pivot(results, columns(metrics), Cell::Interval))
                .collect(),
            load_levels: levels(&servers),
            servers,
            binary_sections: compositions(&rows(&is_section)),
            spin: rows(&|o| is_total(o)),
            spin_matrix: pivot::pivot(results, columns(&keys::SPIN_TOTALS), Cell::Interval),
            spin_phases: pivot::pivot(
                results,
                pivot::qualified_columns(results, &keys::SPIN_PHASED),
                Cell::Brief,
            )
            .fold_qualifiers(),
            not_measured: not_measured(results),
            sections: Sections {
                traditional: listings(keys::TRADITIONAL),
                wasm: listings(keys::WASM),
                p1_server: figure(&keys::P1_SERVER),
                spin_deploy: figure(&keys::SPIN_DEPLOY_TIME),
            },
            comparison: compare::table(results, &inputs.quoted),
            answers,
            decisions,
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

/// What wrk reads of a server at one concurrency: a matrix's columns.
const SERVER_LOAD: [&Metric; 4] = [
    &LOAD_RPS,
    &LOAD_LATENCY_P50,
    &LOAD_LATENCY_P99,
    &LOAD_ERRORS,
];

/// The load probe's observations as one matrix: a server per block, a row per concurrency
/// (`c<N>`), rate and latency quantiles as columns, in the order of the results file.
fn servers(results: &Results, baseline: Option<&Results>) -> Vec<ServerLoad> {
    let mut out: Vec<ServerLoad> = Vec::new();
    let mut commands: Vec<Vec<&str>> = Vec::new();
    for o in &results.observations {
        // By metric, not by kind: the stress probe's rates are load too, but of containerd.
        if !SERVER_LOAD.contains(&o.id.metric) {
            continue;
        }
        let name = server_name(o);
        let i = slot(
            &mut out,
            |s| s.server == name,
            || ServerLoad {
                server: name.clone(),
                command: String::new(),
                not_measured: None,
                rows: Vec::new(),
            },
        );
        commands.resize_with(out.len(), Vec::new);
        let server = &mut out[i];
        if !commands[i].contains(&o.command.as_str()) {
            commands[i].push(&o.command);
        }
        if let Some(why) = status::text(&o.status) {
            server.not_measured.get_or_insert(why);
            continue;
        }
        let connections =
            o.id.concurrency()
                .map(|c| c.to_string())
                .unwrap_or_default();
        let r = slot(
            &mut server.rows,
            |r| r.connections == connections,
            || LoadRow {
                connections: connections.clone(),
                rps: String::new(),
                p50: String::new(),
                p99: String::new(),
                errors: String::new(),
                requests: String::new(),
                cell: String::new(),
                change: None,
            },
        );
        let row = &mut server.rows[r];
        let value = value_of_median(o);
        if o.id.metric == &LOAD_RPS {
            row.rps = value;
            row.requests = o.shown.clone().unwrap_or_default();
            row.change = baseline.and_then(|old| baseline::change(o, old));
        } else if o.id.metric == &LOAD_LATENCY_P50 {
            row.p50 = value;
        } else if o.id.metric == &LOAD_LATENCY_P99 {
            row.p99 = value;
        } else if o.id.metric == &LOAD_ERRORS {
            row.errors = value;
        }
    }
    for row in out.iter_mut().flat_map(|s| s.rows.iter_mut()) {
        row.cell = row.cell();
    }
    for (server, commands) in out.iter_mut().zip(commands) {
        server.command = common_form(&commands);
        // A server measured at some concurrencies shows those; its skipped ones are listed
        // with the other skipped figures.
        if !server.rows.is_empty() {
            server.not_measured = None;
        }
    }
    out
}

/// The concurrencies of every server's rows, ascending by number.
fn levels(servers: &[ServerLoad]) -> Vec<String> {
    let mut levels: Vec<String> = Vec::new();
    for r in servers.iter().flat_map(|s| &s.rows) {
        slot(
            &mut levels,
            |l| *l == r.connections,
            || r.connections.clone(),
        );
    }
    levels.sort_by_key(|l| l.parse::<u64>().unwrap_or(u64::MAX));
    levels
}

/// Section rows (`<artifact>: <section>`) as one line per artifact, largest first.
fn compositions(sections: &[Row]) -> Vec<Composition> {
    let mut out: Vec<(String, Vec<(f64, String)>)> = Vec::new();
    for r in sections {
        let (artifact, section) = r.label.split_once(": ").unwrap_or(("", &r.label));
        let bytes: f64 = r.raw.parse().unwrap_or(0.0);
        let i = slot(
            &mut out,
            |(a, _)| a == artifact,
            || (artifact.to_owned(), Vec::new()),
        );
        out[i].1.push((
            bytes,
            format!("{section} {} B", wasmlab_model::format::group(bytes)),
        ));
    }
    out.into_iter()
        .map(|(artifact, mut parts)| {
            parts.sort_by(|a, b| b.0.total_cmp(&a.0));
            Composition {
                artifact,
                sections: parts
                    .into_iter()
                    .map(|(_, p)| p)
                    .collect::<Vec<_>>()
                    .join(" · "),
            }
        })
        .collect()
}

/// Commands that differ only in some words, written once with those words as `<N>`; when
/// they differ in length, the first.
fn common_form(commands: &[&str]) -> String {
    let split: Vec<Vec<&str>> = commands.iter().map(|c| c.split(' ').collect()).collect();
    let Some(first) = split.first() else {
        return String::new();
    };
    if split.iter().any(|words| words.len() != first.len()) {
        return first.join(" ");
    }
    (0..first.len())
        .map(|i| {
            if split.iter().all(|words| words[i] == first[i]) {
                first[i]
            } else {
                "<N>"
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Skipped and failed observations grouped by status and reason, in the order of the file.
fn not_measured(results: &Results) -> Vec<NotMeasured> {
    let mut out: Vec<NotMeasured> = Vec::new();
    for o in results.observations.iter().filter(|o| !o.is_measured()) {
        let (word, reason) = (status::word(&o.status), status::reason(&o.status));
        let reason = reason.unwrap_or_default().to_owned();
        let i = slot(
            &mut out,
            |g| g.status == word && g.reason == reason,
            || NotMeasured {
                status: word,
                reason: reason.clone(),
                ids: Vec::new(),
                commands: Vec::new(),
            },
        );
        let group = &mut out[i];
        group.ids.push(o.id.to_string());
        if !o.command.is_empty() && !group.commands.contains(&o.command) {
            group.commands.push(o.command.clone());
        }
    }
    out
}

/// The cross-check as a check: measure's back-to-back median over hyperfine's on the same
/// command passes within [`CROSSCHECK_AGREES`]; a failure says how far apart they are.
fn crosscheck(results: &Results) -> Option<Crosscheck> {
    let [alone, hyperfine] = &keys::CROSSCHECK;
    let ours = results.get(alone).filter(|o| o.is_measured())?;
    let theirs = results.get(hyperfine).filter(|o| o.is_measured())?;
    let r = ratio_of_medians(&ours.samples, &theirs.samples)?;
    let (a, b) = (
        ours.summary.as_ref()?.median,
        theirs.summary.as_ref()?.median,
    );
    let (low, high) = CROSSCHECK_AGREES;
    let passed = (low..=high).contains(&r.value);
    let n = |o: &Observation| o.summary.as_ref().map_or(0, |s| s.n);
    let facts = format!(
        "measure's median {} against hyperfine's {} for the same command back to back (n = {} \
         and {}): ratio {} ({:.0}% interval {}–{})",
        format_value(a, ours.unit),
        format_value(b, theirs.unit),
        n(ours),
        n(theirs),
        times(r.value),
        r.interval.confidence * 100.0,
        times(r.interval.low),
        times(r.interval.high)
    );
    let line = if passed {
        format!(
            "{facts}, within {}–{}: the two clocks agree on this command.",
            times(low),
            times(high)
        )
    } else {
        let way = if r.value > 1.0 { "slower" } else { "faster" };
        format!(
            "{facts}, outside {}–{}: measure read the same command {:.0}% {way} than \
             hyperfine in this run, so every spawn-to-exit figure on this page may carry a bias \
             of that size; ratios between variants timed alike are less affected than absolute \
             values.",
            times(low),
            times(high),
            (r.value - 1.0).abs() * 100.0
        )
    };
    Some(Crosscheck {
        passed,
        verdict: if passed { "pass" } else { "fail" },
        line,
    })
}

/// One view per invocation, with the figures in the file that each one took.
fn invocations(results: &Results) -> Vec<InvocationView> {
    results
        .invocations
        .iter()
        .map(|i| {
            let mine: Vec<&Observation> = results
                .observations
                .iter()
                .filter(|o| o.invocation == i.number)
                .collect();
            let mut groups: BTreeMap<&str, (usize, Vec<usize>)> = BTreeMap::new();
            for o in &mine {
                let prefix = o.id.metric.prefix;
                let group = groups.entry(prefix).or_default();
                group.0 += 1;
                if let Some(s) = o.summary.as_ref().filter(|_| o.is_measured()) {
                    group.1.push(s.n);
                }
            }
            let figures = groups
                .into_iter()
                .map(|(prefix, (count, ns))| FigureGroup {
                    prefix: prefix.to_owned(),
                    count,
                    n: match (ns.iter().min(), ns.iter().max()) {
                        (Some(lo), Some(hi)) if lo == hi => format!("n = {lo}"),
                        (Some(lo), Some(hi)) => format!("n = {lo}–{hi}"),
                        _ => "none measured".to_owned(),
                    },
                })
                .collect();
            InvocationView {
                number: i.number,
                provenance: i.provenance.clone(),
                observations: mine.len(),
                figures,
            }
        })
        .collect()
}

fn measured_when(results: &Results) -> String {
    match (results.invocations.first(), results.invocations.last()) {
        (Some(a), Some(b)) if a.number != b.number => format!(
            "in {} invocations, {} to {}",
            results.invocations.len(),
            a.provenance.date,
            b.provenance.date
        ),
        (Some(a), _) => a.provenance.date.clone(),
        _ => String::new(),
    }
}

/// The head of `text`: its first `lines` lines, and how many were left out.
fn head(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    if all.len() <= lines {
        return text.trim_end().to_owned();
    }
    format!(
        "{}\n… ({} more lines)",
        all[..lines].join("\n"),
        all.len() - lines
    )
}

fn contexts(results: &Results) -> Vec<ContextView> {
    keys::CONTEXTS
        .iter()
        .map(|metric| ContextView {
            what: metric.label.to_owned(),
            runs: keys::CONTEXT_RUNNERS
                .iter()
                .map(|runner| {
                    let key = metric.id(runner);
                    match results.get(&key) {
                        Some(o) => ContextRun {
                            runner: runner.label.to_owned(),
                            command: o.command.clone(),
                            output: match (status::text(&o.status), o.shown.as_deref()) {
                                (Some(text), _) => text,
                                (None, Some(shown)) => head(shown, CONTEXT_LINES),
                                (None, None) => "no output recorded".to_owned(),
                            },
                            measured: o.is_measured(),
                        },
                        None => ContextRun {
                            runner: runner.label.to_owned(),
                            command: String::new(),
                            output: status::not_recorded(&key.to_string()),
                            measured: false,
                        },
                    }
                })
                .collect(),
        })
        .collect()
}

/// Servers whose ready time, or per-request latency, two probes took: both values side by
/// side, so the page can say how each was taken.
fn twice(results: &Results) -> Vec<Twice> {
    let value = |metric: &'static Metric, at: Option<&str>, variant: &str| {
        let o = results.measured(&[metric.id_named(at, variant)])?;
        Some(format_value(o.summary.as_ref()?.median, o.unit))
    };
    let mut out: Vec<Twice> = Vec::new();
    // The row of `o`'s server, a new one when it has none yet.
    fn of<'a>(out: &'a mut Vec<Twice>, o: &Observation) -> &'a mut Twice {
        let server = server_name(o);
        let i = slot(
            out,
            |t| t.server == server,
            || Twice {
                server: server.clone(),
                start: Vec::new(),
                request: Vec::new(),
            },
        );
        &mut out[i]
    }
    let [ready, cold_start] = keys::READY_TWICE;
    for (o, variant) in keys::measured_series(results, ready, None) {
        if let Some(start) = value(cold_start, None, &variant) {
            of(&mut out, o).start = vec![
                ("server probe".into(), value_of_median(o)),
                ("Spin probe".into(), start),
            ];
        }
    }
    for (o, variant) in keys::measured_series(results, keys::LATENCY_P50, Some(keys::AT_C1)) {
        let kept = value(&SPIN_KEEPALIVE, None, &variant);
        let fresh = value(&SPIN_WARM, None, &variant);
        if kept.is_none() && fresh.is_none() {
            continue;
        }
        let request = &mut of(&mut out, o).request;
        request.push(("wrk, p50 at 1 connection".into(), value_of_median(o)));
        request.extend(kept.map(|k| ("curl, kept-alive".into(), k)));
        request.extend(fresh.map(|f| ("curl, new connection (warm)".into(), f)));
    }
    out
}

/// The server an observation is of, as the catalogue names its variant.
fn server_name(o: &Observation) -> String {
    o.id.catalogued_variant()
        .map_or_else(|| o.id.variant.to_string(), |v| v.label.to_owned())
}

fn value_of_median(o: &Observation) -> String {
    o.summary
        .as_ref()
        .map_or_else(String::new, |s| format_value(s.median, o.unit))
}

/// How far apart cold and warm requests were sent, from the settings the Spin invocation
/// recorded; said plainly when they were the same.
fn spin_spacing(results: &Results) -> String {
    let seconds = |s: f64| format_value(s, Unit::Seconds);
    match analysis::spacing(results) {
        Some((cold, warm)) if (cold - warm).abs() < 1e-9 => format!(
            "In this run cold and warm requests were both sent one every {}, so they differ only \
             by the cache-busting query and by the unrecorded request before each warm series.",
            seconds(cold)
        ),
        Some((cold, warm)) => format!(
            "In this run cold requests were sent one every {} and warm ones one every {}.",
            seconds(cold),
            seconds(warm)
        ),
        None => "This run's settings do not record the spacing of the series; each series' \
                 label states the one it used."
            .to_owned(),
    }
}

/// The median's interval as a phrase that states its real coverage: order statistics of
/// fewer than six samples cannot reach the nominal level, so it says what they reach.
pub fn interval_text(s: &Summary, unit: Unit) -> String {
    let f = |v: f64| format_value(v, unit);
    let ci = &s.median_ci;
    if s.n <= 1 {
        return "one run".to_owned();
    }
    if ci.confidence + 1e-9 >= CONFIDENCE {
        format!(
            "{:.0}% interval {} – {}",
            CONFIDENCE * 100.0,
            f(ci.low),
            f(ci.high)
        )
    } else {
        format!(
            "{:.0}% interval {} – {} (min to max: n = {} is too few for {:.0}%)",
            ci.confidence * 100.0,
            f(ci.low),
            f(ci.high),
            s.n,
            CONFIDENCE * 100.0
        )
    }
}

/// The mean beside its Student-t interval; a summary from before that interval existed
/// gets it from the samples.
fn mean_text(s: &Summary, samples: &[f64], unit: Unit) -> String {
    let f = |v: f64| format_value(v, unit);
    let interval: Option<Interval> = s
        .mean_ci
        .or_else(|| wasmlab_model::stats::mean_interval(samples));
    // A few skewed samples can put the t-interval's low end below zero, which no duration
    // or size can be: it is cut at zero, where the samples allow no less.
    let floor = if samples.iter().all(|x| *x >= 0.0) {
        0.0
    } else {
        f64::NEG_INFINITY
    };
    match interval {
        Some(i) => format!(
            "{} ({:.0}% interval {} – {})",
            f(s.mean),
            i.confidence * 100.0,
            f(i.low.max(floor)),
            f(i.high)
        ),
        None => f(s.mean),
    }
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
            id: o.id.to_string(),
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
            ci: s.map_or_else(String::new, |s| interval_text(s, o.unit)),
            mean_ci: s.map_or_else(String::new, |s| mean_text(s, &o.samples, o.unit)),
            samples_note: s.map_or_else(String::new, |s| match s.n {
                1 => "one run".to_owned(),
                n => format!("median of {n}"),
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
            mean_ci: String::new(),
            samples_note: String::new(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasmlab_model::metric::{CTR_RUNC, NATIVE_PROCESS, STRESS_TASKS_PER_SECOND};
    use wasmlab_model::results::Provenance;

    #[test]
    fn the_server_matrix_takes_wrk_s_figures_only() {
        let mut r = Results::new(Provenance::default());
        r.merge(
            LOAD_RPS
                .at("c10")
                .of(&NATIVE_PROCESS)
                .measured("wrk", vec![9000.0]),
        );
        // containerd's tasks/s are a rate at a concurrency too, but of no server.
        r.merge(
            STRESS_TASKS_PER_SECOND
                .at("c4")
                .of(&CTR_RUNC)
                .measured("api", vec![10.0, 11.0]),
        );
        let servers = servers(&r, None);
        let names: Vec<&str> = servers.iter().map(|s| s.server.as_str()).collect();
        assert_eq!(names, [NATIVE_PROCESS.label]);
        assert_eq!(levels(&servers), ["10"]);
    }
}

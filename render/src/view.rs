//! What the templates see: observations grouped by section, their numbers typed
//! ([`Figure`], [`State`], [`Change`], ratios), so nothing is read back from display text;
//! the templates write them through the filters of `export::filters`, and hold prose and
//! layout only. The sentences (analysis, findings, engines) arrive written.

use super::analysis::{self, Answer, Decision};
use super::baseline::{self, Change};
use super::compare;
use super::engines;
use super::figure::Figure;
use super::findings::{self, Finding};
use super::keys::{self, Listed};
use super::pivot::{self, Column, Pivot, Style};
use super::plot::Plot;
use super::quoted::Quoted;
use super::slot;
use super::status::{self, State};
use serde::Serialize;
use std::collections::BTreeMap;
use wasmlab_model::format::{format_value, times};
use wasmlab_model::metric::{
    Id, Metric, Unit, CRITERION, EMBEDDED_WAGI, LOAD_ERRORS, LOAD_LATENCY_P50, LOAD_LATENCY_P99,
    LOAD_RPS, REMOTE, SIZE_BINARY, SIZE_SECTION, SPIN, SPIN_KEEPALIVE, SPIN_WARM, TINYGO_MODULE,
    WASI_HTTP_COMPONENT,
};
use wasmlab_model::results::{App, Kind, Observation, Provenance, Results};
use wasmlab_model::stats::{ratio_of_medians, Ratio, CONFIDENCE, NOISY_CV};

/// The cross-check passes when measure's median over hyperfine's lies in this range: the
/// two clocks then agree within 10% on the same command.
pub const CROSSCHECK_AGREES: (f64, f64) = (0.90, 1.10);
/// How many lines of a context's captured output the page shows (the page's head; the
/// server context's two `curl -i` responses fit).
const CONTEXT_LINES: usize = 20;

#[derive(Serialize)]
pub struct View {
    /// The summary at the top: each finding with its interval and its section.
    pub findings: Vec<Finding>,
    /// What this run puts in place of what the lab names, said before any figure.
    pub substitutions: Vec<String>,
    /// What a wasm start costs per engine, beside runc; containerd's tasks per second.
    pub engines: engines::View,
    /// The machine and software of the latest invocation (the header's one line).
    pub provenance: Provenance,
    /// The app measured, with the toolchain that built it.
    pub app: AppView,
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
    pub load_levels: Vec<u32>,
    /// Skipped and failed observations, grouped by their reason.
    pub not_measured: Vec<NotMeasured>,
    /// Per artifact, its sections ([`SIZE_SECTION`]) largest first, as one line.
    pub binary_sections: Vec<Composition>,
    /// The Spin/WAGI series: cold starts and curl totals (`spin.<series>.<host>`).
    pub spin: Vec<Row>,
    /// Of those, the Bonus's own: Spin's, or the embedded WAGI host's in its place, and the
    /// deployment's; the other servers' series are the notebook's.
    pub bonus_series: Vec<Row>,
    /// The same as host × series.
    pub spin_matrix: Pivot,
    /// The phases of those requests (DNS, connect, TLS, first byte), host × phase.
    pub spin_phases: Pivot,
    /// The figures each lab section lists, the same for the page and lab12.md.
    pub listings: Listings,
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
    /// The page setting this app beside others (`compare.html`), when there is one.
    pub compare_link: Option<String>,
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
    /// Its sections, largest first.
    pub sections: Vec<Part>,
}

/// One section of an artifact and its size.
#[derive(Serialize)]
pub struct Part {
    /// The section as its id names it (`text`, `eh-frame`).
    pub name: String,
    pub bytes: f64,
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

/// One concurrency of one server: wrk's medians, each None when not taken.
#[derive(Serialize)]
pub struct LoadRow {
    pub connections: u32,
    pub rps: Option<Figure>,
    pub p50: Option<Figure>,
    pub p99: Option<Figure>,
    pub errors: Option<Figure>,
    /// What the load generator counted: "6142 requests, 0 errors".
    pub requests: Option<String>,
    /// The rate's change against the baseline run, when one was given.
    pub change: Option<Change>,
}

/// Observations not measured for one reason.
#[derive(Serialize)]
pub struct NotMeasured {
    /// skipped or failed.
    pub status: State,
    pub reason: String,
    pub ids: Vec<String>,
    /// The distinct commands they would have run.
    pub commands: Vec<String>,
}

/// The app the results are of: the latest invocation's (the default app, the Rust
/// service, when the file records none).
#[derive(Serialize)]
pub struct AppView {
    pub name: String,
    pub language: String,
    pub source: String,
    /// Its toolchain's version as it printed it; the Rust service's is rustc's.
    pub toolchain: String,
    /// The Rust service, whose size profile and component this project builds.
    pub default: bool,
    /// It has a wasi:http component: its size was taken (or failed), not skipped for
    /// having none.
    pub component: bool,
    /// Its TinyGo module was built and its size taken (a Go app with `tinygo` on PATH).
    pub tinygo: bool,
}

impl AppView {
    pub fn of(results: &Results) -> Self {
        let provenance = results.provenance();
        let app = provenance
            .and_then(|p| p.app.clone())
            .unwrap_or_else(App::rust_service);
        let rustc = || {
            provenance
                .and_then(|p| p.tools.get("rustc"))
                .cloned()
                .unwrap_or_else(|| "rustc".to_owned())
        };
        let default = app.is_default();
        let toolchain = if app.toolchain.is_empty() {
            rustc()
        } else {
            app.toolchain
        };
        let component = results
            .get(&SIZE_BINARY.id(&WASI_HTTP_COMPONENT))
            .is_none_or(|o| !matches!(o.status, wasmlab_model::results::Status::Skipped { .. }));
        let tinygo = results
            .measured(&[SIZE_BINARY.id(&TINYGO_MODULE)])
            .is_some();
        Self {
            component,
            tinygo,
            default,
            name: app.name,
            language: app.language,
            source: app.source,
            toolchain,
        }
    }
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
    /// The fewest and the most samples of its measured figures; None when none was.
    pub n: Option<Span>,
}

/// The least and the greatest of some counts.
#[derive(Serialize)]
pub struct Span {
    pub low: usize,
    pub high: usize,
}

/// The cross-check's outcome: pass or fail, and the sentence behind it.
#[derive(Serialize)]
pub struct Crosscheck {
    pub verdict: Check,
    pub line: String,
}

/// A check's outcome, as the page names it (and styles it, by that name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    Pass,
    Fail,
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
    /// Start until the first 200: each way's name and median.
    pub start: Vec<(String, Figure)>,
    /// One request: each way's name and median.
    pub request: Vec<(String, Figure)>,
}

/// The figures of the lab's sections, in order, measured or not: both write-ups list these.
#[derive(Serialize)]
pub struct Listings {
    /// 2. The traditional container.
    pub traditional: Vec<Listing>,
    /// 3. The WASM container.
    pub wasm: Vec<Listing>,
    /// 3. The preview 1 module started in its server context under ctr.
    pub p1_server: Row,
    /// Bonus: `spin deploy`.
    pub spin_deploy: Row,
    /// Bonus: the deployed application's cold series, whose command names its URL.
    pub spin_remote: Row,
}

/// One figure of a section's list.
#[derive(Serialize)]
pub struct Listing {
    #[serde(flatten)]
    pub row: Row,
    /// lab12.md lists it too (it keeps to what the lab asks); the page lists them all.
    pub hand_in: bool,
}

/// One figure as the tables and lists show it: its outcome, its statistics in its unit,
/// and how it compares. Every number is typed; the `figure` filter writes what prose shows
/// of it (the median, or the status and its reason).
#[derive(Serialize)]
pub struct Row {
    pub id: Id,
    pub label: String,
    pub command: String,
    pub status: State,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    pub n: usize,
    /// The median with its interval; None when not measured or without samples.
    pub median: Option<Figure>,
    /// The mean with its interval (cut at zero for figures that cannot be negative).
    pub mean: Option<Figure>,
    pub min: Option<Figure>,
    pub max: Option<Figure>,
    pub stddev: Option<Figure>,
    /// The coefficient of variation, as a fraction.
    pub cv: Option<f64>,
    pub noisy: bool,
    pub outliers: usize,
    /// Median over the floor's median, with its interval, for spawn-to-exit timings.
    pub vs_floor: Option<Ratio>,
    /// The value as the tool printed it, if recorded.
    pub shown: Option<String>,
    /// Change of the median against the baseline run, when one was given.
    pub change: Option<Change>,
}

/// What a view is built from besides the results.
pub struct Inputs {
    pub plots: Vec<Plot>,
    pub results_link: String,
    pub compare_link: Option<String>,
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
            None => Row::missing(key.clone()),
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
            substitutions: crate::substitutions::substitutions(results),
            engines: engines::build(results, &inputs.quoted),
            provenance: results.provenance().cloned().unwrap_or_default(),
            app: AppView::of(results),
            invocations: invocations(results),
            measured_when: measured_when(results),
            contexts: contexts(results),
            twice: twice(results),
            spin_spacing: spin_spacing(results),
            sizes: rows(&|o| o.kind == Kind::Size && !is_section(o)),
            startup: rows(&|o| o.kind == Kind::SpawnToExit && !of_other_engine(o)),
            phase_matrix: pivot::pivot(results, columns(&keys::PHASES), Style::Interval),
            phases: rows(&|o| o.id.metric == &CRITERION),
            memory: keys::MEMORY_TABLES
                .iter()
                .map(|(title, metrics)| Titled {
                    title,
                    pivot: pivot::pivot_of(
                        results.observations.iter().filter(|o| !of_other_engine(o)),
                        columns(metrics),
                        Style::Interval,
                    ),
                })
                .collect(),
            operations: keys::OPERATIONS
                .iter()
                .map(|metrics| pivot::pivot(results, columns(metrics), Style::Interval))
                .collect(),
            load_levels: levels(&servers),
            servers,
            binary_sections: compositions(results),
            spin: rows(&|o| is_total(o)),
            bonus_series: rows(&|o| {
                let hosts = [&SPIN, &EMBEDDED_WAGI, &REMOTE];
                is_total(o) && hosts.iter().any(|h| o.id.variant == h.name)
            }),
            spin_matrix: pivot::pivot(results, columns(&keys::SPIN_TOTALS), Style::Interval),
            spin_phases: pivot::pivot(
                results,
                pivot::qualified_columns(results, &keys::SPIN_PHASED),
                Style::Brief,
            )
            .fold_qualifiers(),
            not_measured: not_measured(results),
            listings: Listings {
                traditional: listings(keys::TRADITIONAL),
                wasm: listings(keys::WASM),
                p1_server: figure(&keys::P1_SERVER),
                spin_deploy: figure(&keys::SPIN_DEPLOY_TIME),
                spin_remote: figure(&keys::SPIN_REMOTE_COLD),
            },
            comparison: compare::table(results, &inputs.quoted),
            answers,
            decisions,
            quoted: inputs.quoted,
            baseline: inputs.baseline.map(|(_, name)| name),
            plots: inputs.plots,
            crosscheck: crosscheck(results),
            results_link: inputs.results_link,
            compare_link: inputs.compare_link,
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
        // Every id of these metrics names its concurrency; one without is no row of the
        // matrix.
        let Some(connections) = o.id.concurrency() else {
            continue;
        };
        let r = slot(
            &mut server.rows,
            |r| r.connections == connections,
            || LoadRow {
                connections,
                rps: None,
                p50: None,
                p99: None,
                errors: None,
                requests: None,
                change: None,
            },
        );
        let row = &mut server.rows[r];
        let value = Figure::median_of(o);
        if o.id.metric == &LOAD_RPS {
            row.rps = value;
            row.requests = o.shown.clone();
            row.change = baseline.and_then(|old| baseline::change(o, old));
        } else if o.id.metric == &LOAD_LATENCY_P50 {
            row.p50 = value;
        } else if o.id.metric == &LOAD_LATENCY_P99 {
            row.p99 = value;
        } else if o.id.metric == &LOAD_ERRORS {
            row.errors = value;
        }
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

/// The concurrencies of every server's rows, ascending.
fn levels(servers: &[ServerLoad]) -> Vec<u32> {
    let mut levels: Vec<u32> = servers
        .iter()
        .flat_map(|s| s.rows.iter().map(|r| r.connections))
        .collect();
    levels.sort_unstable();
    levels.dedup();
    levels
}

/// The measured sections of each artifact ([`SIZE_SECTION`], `<artifact>.<section>`), the
/// artifact named as its size row names it (the app's build), else as the catalogue does,
/// its sections largest first.
fn compositions(results: &Results) -> Vec<Composition> {
    let mut out: Vec<Composition> = Vec::new();
    for o in &results.observations {
        let (Some((artifact, section)), Some(bytes)) = (o.id.section(), o.median()) else {
            continue;
        };
        let label = results
            .get(&SIZE_BINARY.id(artifact))
            .map_or(artifact.label, |size| size.label.as_str());
        let i = slot(
            &mut out,
            |c| c.artifact == label,
            || Composition {
                artifact: label.to_owned(),
                sections: Vec::new(),
            },
        );
        out[i].sections.push(Part {
            name: section.to_owned(),
            bytes,
        });
    }
    for c in &mut out {
        c.sections.sort_by(|a, b| b.bytes.total_cmp(&a.bytes));
    }
    out
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

/// Skipped and failed observations grouped by status and reason, in the order of the file;
/// with them, measured figures whose later run did not measure (the figure is kept from its
/// own run, and the id says which).
fn not_measured(results: &Results) -> Vec<NotMeasured> {
    let mut out: Vec<NotMeasured> = Vec::new();
    let outcomes = results
        .observations
        .iter()
        .filter_map(|o| match &o.later_attempt {
            _ if !o.is_measured() => Some((&o.status, &o.command, o.id.to_string())),
            Some(later) => Some((
                &later.status,
                &later.command,
                format!(
                    "{} (in invocation {}; its figure is kept from invocation {})",
                    o.id, later.invocation, o.invocation
                ),
            )),
            None => None,
        });
    for (status, command, id) in outcomes {
        let state = State::of(status);
        let reason = status::reason(status).unwrap_or_default().to_owned();
        let i = slot(
            &mut out,
            |g| g.status == state && g.reason == reason,
            || NotMeasured {
                status: state,
                reason: reason.clone(),
                ids: Vec::new(),
                commands: Vec::new(),
            },
        );
        let group = &mut out[i];
        group.ids.push(id);
        if !command.is_empty() && !group.commands.contains(command) {
            group.commands.push(command.clone());
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
    let (a, b) = (ours.median()?, theirs.median()?);
    let (low, high) = CROSSCHECK_AGREES;
    let passed = (low..=high).contains(&r.value);
    let n = |o: &Observation| o.summary.as_ref().map_or(0, |s| s.n);
    let interval = r
        .interval
        .map(|i| {
            format!(
                " ({} {}–{})",
                crate::figure::label(),
                times(i.low),
                times(i.high)
            )
        })
        .unwrap_or_default();
    let facts = format!(
        "measure's median {} against hyperfine's {} for the same command back to back (n = {} \
         and {}): ratio {}{interval}",
        format_value(a, ours.unit),
        format_value(b, theirs.unit),
        n(ours),
        n(theirs),
        times(r.value),
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
        verdict: if passed { Check::Pass } else { Check::Fail },
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
                    n: ns
                        .iter()
                        .min()
                        .zip(ns.iter().max())
                        .map(|(low, high)| Span {
                            low: *low,
                            high: *high,
                        }),
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
        .map(|(metric, runners)| ContextView {
            what: metric.label.to_owned(),
            runs: runners
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
        Figure::median_of(results.measured(&[metric.id_named(at, variant)])?)
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
        if let (Some(ready), Some(start)) =
            (Figure::median_of(o), value(cold_start, None, &variant))
        {
            of(&mut out, o).start = vec![
                ("server probe".into(), ready),
                ("Bonus probe".into(), start),
            ];
        }
    }
    for (o, variant) in keys::measured_series(results, keys::LATENCY_P50, Some(keys::AT_C1)) {
        let kept = value(&SPIN_KEEPALIVE, None, &variant);
        let fresh = value(&SPIN_WARM, None, &variant);
        let Some(wrk) = Figure::median_of(o).filter(|_| kept.is_some() || fresh.is_some()) else {
            continue;
        };
        let request = &mut of(&mut out, o).request;
        request.push(("wrk, p50 at 1 connection".into(), wrk));
        request.extend(kept.map(|k| ("curl, kept-alive".into(), k)));
        request.extend(fresh.map(|f| ("curl, new connection (warm)".into(), f)));
    }
    out
}

/// The server an observation is of, as the catalogue names its variant.
fn server_name(o: &Observation) -> String {
    keys::variant_label(&o.id)
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

impl Row {
    fn of(o: &Observation, floor: Option<&Observation>, baseline: Option<&Results>) -> Self {
        let s = o.summary.as_ref();
        let of = |v: fn(&wasmlab_model::stats::Summary) -> f64| {
            s.map(|s| Figure::plain(v(s), o.unit, s.n))
        };
        let vs_floor = floor
            .filter(|fl| fl.id != o.id && o.kind == Kind::SpawnToExit)
            .and_then(|fl| ratio_of_medians(&o.samples, &fl.samples));
        Self {
            id: o.id.clone(),
            label: o.label.clone(),
            command: o.command.clone(),
            status: State::of(&o.status),
            reason: status::reason(&o.status).map(str::to_owned),
            n: s.map_or(0, |s| s.n),
            median: s.map(|s| Figure::median(s, o.unit)),
            mean: s.map(|s| Figure::mean(s, &o.samples, o.unit)),
            min: of(|s| s.min),
            max: of(|s| s.max),
            stddev: of(|s| s.stddev),
            cv: s.map(|s| s.cv),
            noisy: s.is_some_and(|s| s.noisy),
            outliers: s.map_or(0, |s| s.outliers.len()),
            vs_floor,
            shown: o.shown.clone(),
            change: baseline.and_then(|old| baseline::change(o, old)),
        }
    }

    /// A figure no probe recorded in this run: it says so, under its id.
    fn missing(id: Id) -> Self {
        Self {
            label: id.to_string(),
            id,
            status: State::Missing,
            command: String::new(),
            reason: None,
            n: 0,
            median: None,
            mean: None,
            min: None,
            max: None,
            stddev: None,
            cv: None,
            noisy: false,
            outliers: 0,
            vs_floor: None,
            shown: None,
            change: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmlab_model::metric::{CTR_RUNC, NATIVE_PROCESS, STARTUP_CLI, STRESS_TASKS_PER_SECOND};
    use wasmlab_model::results::Provenance;

    /// Every figure of the view, wherever it sits, as JSON: an object with `n` and
    /// `interval` (a [`Figure`]), and each ratio's interval.
    fn intervals_from_too_few(value: &serde_json::Value, path: &str, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                let n = map.get("n").and_then(serde_json::Value::as_u64);
                let has_interval = map.get("interval").is_some_and(|i| !i.is_null());
                if let (Some(n), true) = (n, has_interval) {
                    if n < wasmlab_model::stats::MIN_INTERVAL_SAMPLES as u64 {
                        found.push(format!("{path}: n = {n}"));
                    }
                }
                for (k, v) in map {
                    intervals_from_too_few(v, &format!("{path}.{k}"), found);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    intervals_from_too_few(v, &format!("{path}[{i}]"), found);
                }
            }
            _ => {}
        }
    }

    /// No interval from fewer than six samples anywhere in the view of a full run (the
    /// page and lab12.md write only what the view holds).
    #[test]
    fn no_figure_of_a_full_run_carries_an_interval_from_fewer_than_six_samples() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/full-run.json");
        let results = Results::load(std::path::Path::new(path)).unwrap();
        let view = View::build(
            &results,
            Inputs {
                plots: Vec::new(),
                results_link: "results.json".into(),
                compare_link: None,
                quoted: Quoted::default(),
                baseline: None,
            },
        );
        let json = serde_json::to_value(&view).unwrap();
        let mut found = Vec::new();
        intervals_from_too_few(&json, "view", &mut found);
        assert!(
            found.is_empty(),
            "intervals from too few samples: {found:#?}"
        );
        let small = results
            .observations
            .iter()
            .filter(|o| o.summary.as_ref().is_some_and(|s| (2..6).contains(&s.n)))
            .count();
        assert!(
            small > 0,
            "the full run has no figure of 2 to 5 samples to check"
        );
        for a in &view.answers {
            assert!(
                !a.lead.is_empty(),
                "the hand-in answers {:?} with nothing",
                a.question
            );
        }
    }

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
        assert_eq!(levels(&servers), [10]);
    }

    /// A figure whose later run failed stays measured on the page, and the skipped and
    /// failed list says which run failed and which run the figure comes from.
    #[test]
    fn a_figure_kept_from_an_earlier_run_says_both_runs() {
        let mut r = Results::new(Provenance::default());
        r.merge(
            STARTUP_CLI
                .of(&CTR_RUNC)
                .measured("ctr run", vec![0.1, 0.2, 0.15]),
        );
        r.invocations.push(wasmlab_model::results::Invocation {
            number: 2,
            provenance: Provenance {
                command_line: "measure run --probe startup".into(),
                ..Provenance::default()
            },
        });
        r.merge(STARTUP_CLI.of(&CTR_RUNC).failed("ctr run", "interrupted"));
        let groups = not_measured(&r);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].reason, "interrupted");
        assert_eq!(
            groups[0].ids,
            ["startup.cli.ctr-runc (in invocation 2; its figure is kept from invocation 1)"]
        );
    }
}

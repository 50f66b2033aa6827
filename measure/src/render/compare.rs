//! The lab's comparison table: one row per metric, the traditional container beside the
//! WASM one, and the difference computed as a ratio of medians with its interval, phrased
//! from the WASM side ("3.2× smaller", "1.4× slower", "no measurable difference").

use super::quoted::Quoted;
use crate::format::{format_value, group, times};
use crate::results::{Observation, Results};
use crate::stats::ratio_of_medians;
use serde::Serialize;

/// What a metric measures, which decides the words of its verdict, and which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Noun {
    Size,
    Time,
    Memory,
    /// Requests per second: the only one where higher is better.
    Rate,
}

impl Noun {
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Noun::Size => ("smaller", "larger"),
            Noun::Time => ("faster", "slower"),
            Noun::Memory => ("less memory", "more memory"),
            Noun::Rate => ("more requests/s", "fewer requests/s"),
        }
    }
}

/// Which side a comparison favours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Winner {
    Wasm,
    Traditional,
    /// The interval of the ratio contains 1.
    Neither,
}

/// `traditional` against `wasm`, as a phrase about the WASM side.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub winner: Winner,
    /// How many times better the winner is (≥ 1); 1 when neither.
    pub factor: f64,
    /// "3.2× smaller", "1.40× slower", "no measurable difference".
    pub short: String,
    /// "95% interval 1.31–1.52×", empty for exact figures.
    pub interval: String,
    /// The short form with its interval in parentheses.
    pub phrase: String,
}

impl Verdict {
    fn new(winner: Winner, factor: f64, short: String, interval: String) -> Self {
        let phrase = if interval.is_empty() {
            short.clone()
        } else {
            format!("{short} ({interval})")
        };
        Self {
            winner,
            factor,
            short,
            interval,
            phrase,
        }
    }
}

/// Compares two observations, phrased from the WASM side.
pub fn verdict(traditional: &Observation, wasm: &Observation, noun: Noun) -> Option<Verdict> {
    // r > 1 means WASM is better: the traditional figure over the WASM one when lower is
    // better, the other way round for a rate.
    let r = if noun == Noun::Rate {
        ratio_of_medians(&wasm.samples, &traditional.samples)?
    } else {
        ratio_of_medians(&traditional.samples, &wasm.samples)?
    };
    let (better, worse) = noun.words();
    let exact = r.interval.low == r.interval.high;
    let percent = r.interval.confidence * 100.0;
    if !r.is_significant() {
        return Some(Verdict::new(
            Winner::Neither,
            1.0,
            "no measurable difference".into(),
            format!(
                "ratio {:.2}, {percent:.0}% interval {:.2}–{:.2}",
                r.value, r.interval.low, r.interval.high
            ),
        ));
    }
    // From the loser's side the ratio and its interval invert.
    let (winner, factor, low, high, word) = if r.value > 1.0 {
        (
            Winner::Wasm,
            r.value,
            r.interval.low,
            r.interval.high,
            better,
        )
    } else {
        let inv = |x: f64| 1.0 / x;
        (
            Winner::Traditional,
            inv(r.value),
            inv(r.interval.high),
            inv(r.interval.low),
            worse,
        )
    };
    // A size is exact; any other single figure per side has no interval to show.
    let interval = if exact && traditional.unit == crate::results::Unit::Bytes {
        String::new()
    } else if exact {
        "one run each: no interval".to_owned()
    } else {
        format!("{percent:.0}% interval {}–{}×", times(low), times(high))
    };
    Some(Verdict::new(
        winner,
        factor,
        format!("{}× {word}", times(factor)),
        interval,
    ))
}

/// One metric of the table: candidate observation ids per side, the first measured wins.
struct Spec {
    metric: &'static str,
    traditional: &'static [&'static str],
    wasm: &'static [&'static str],
    noun: Noun,
    notes: &'static str,
    /// Key of the reference's figure in the quoted data file.
    quoted: Option<&'static str>,
}

const SPECS: &[Spec] = &[
    Spec {
        metric: "Binary size",
        traditional: &["size.binary.native"],
        wasm: &["size.binary.wasm"],
        noun: Noun::Size,
        notes: "file length in bytes: the static musl binary vs the wasm32-wasip1 module",
        quoted: Some("binary-size"),
    },
    Spec {
        metric: "Image size",
        traditional: &["size.image.docker"],
        wasm: &["size.image.ctr-wasm"],
        noun: Noun::Size,
        notes: "docker image inspect vs the wasi/wasm image's manifest, config and layer",
        quoted: Some("image-size"),
    },
    Spec {
        metric: "Image size, both in containerd",
        traditional: &["size.image.ctr-native"],
        wasm: &["size.image.ctr-wasm"],
        noun: Noun::Size,
        notes: "the same OCI layout writer for both images, imported with ctr",
        quoted: None,
    },
    Spec {
        metric: "CLI startup, as the lab runs it",
        traditional: &["startup.cli.docker"],
        wasm: &[
            "startup.cli.ctr-wasmtime-cached",
            "startup.cli.ctr-wasmtime-first",
        ],
        noun: Noun::Time,
        notes: "median spawn to exit of docker run --rm vs ctr run --rm with the wasmtime shim",
        quoted: Some("startup"),
    },
    Spec {
        metric: "CLI startup, same containerd, first start",
        traditional: &["startup.cli.ctr-runc"],
        wasm: &["startup.cli.ctr-wasmtime-first"],
        noun: Noun::Time,
        notes: "ctr run --rm, runc vs the wasmtime shim with its compile cache emptied",
        quoted: None,
    },
    Spec {
        metric: "CLI startup, same containerd, module cached",
        traditional: &["startup.cli.ctr-runc"],
        wasm: &["startup.cli.ctr-wasmtime-cached"],
        noun: Noun::Time,
        notes: "ctr run --rm, runc vs the wasmtime shim loading its cached compiled module",
        quoted: None,
    },
    Spec {
        metric: "CLI startup, no container",
        traditional: &["startup.cli.native-process"],
        wasm: &["startup.cli.embedded-wasmtime-aot"],
        noun: Noun::Time,
        notes: "the bare process vs the module precompiled, in an embedded wasmtime",
        quoted: None,
    },
    Spec {
        metric: "Server throughput, 10 connections",
        traditional: &["load.rps-c10.docker", "load.rps-c10.native-process"],
        wasm: &[
            "load.rps-c10.wasi-http-pooling",
            "load.rps-c10.wasmtime-serve",
        ],
        noun: Noun::Rate,
        notes: "wrk on loopback: the native server in docker vs the wasi:http component in \
                the embedded host (pooling allocator), server and wrk on their own cores",
        quoted: None,
    },
    Spec {
        metric: "Memory, serving",
        traditional: &["memory.server-docker-stats.docker"],
        wasm: &["memory.server-rss.wasi-http-pooling"],
        noun: Noun::Memory,
        notes: "docker stats MEM USAGE of the server container vs the resident set of the \
                wasi:http host process (runtime and compiled component included)",
        quoted: None,
    },
    Spec {
        metric: "Memory, one CLI run",
        traditional: &["memory.cli-peak.ctr-runc"],
        wasm: &["memory.cli-peak.ctr-wasmtime-cached"],
        noun: Noun::Memory,
        notes: "peak of the container's memory cgroup during a MODE=once run under ctr",
        quoted: Some("memory"),
    },
];

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub metric: String,
    pub traditional: String,
    pub wasm: String,
    /// The computed difference, or why there is none.
    pub improvement: String,
    pub winner: Option<Winner>,
    pub notes: String,
    /// Ids behind the two cells, so a reader can find the raw samples.
    pub ids: Vec<String>,
    /// The reference write-up's figures for this metric, labelled as quoted.
    pub quoted: Option<String>,
}

/// The comparison table, including the rows that are facts of the build rather than
/// measurements (base image, source), and the server mode as the probes found it.
pub fn table(results: &Results, quoted: &Quoted) -> Vec<Row> {
    let mut rows: Vec<Row> = SPECS
        .iter()
        .map(|spec| row(results, quoted, spec))
        .collect();
    rows.push(fact(
        "Base image",
        "scratch (one layer: the binary)",
        "none (one layer: the module)",
        "service/Dockerfile; the wasi/wasm image written by measure",
    ));
    rows.push(fact(
        "Source code",
        "service/src/main.rs",
        "service/src/main.rs",
        "one source; the context is chosen at run time, the target at build time",
    ));
    rows.push(server_mode(results));
    rows
}

fn row(results: &Results, quoted: &Quoted, spec: &Spec) -> Row {
    let t = results.measured(spec.traditional);
    let w = results.measured(spec.wasm);
    let cell = |o: Option<&Observation>, ids: &[&str]| match o {
        Some(o) => value_of(o),
        None => format!("not measured ({})", why_not(results, ids)),
    };
    let improvement = match (t, w) {
        (Some(t), Some(w)) => verdict(t, w, spec.noun),
        _ => None,
    };
    Row {
        metric: spec.metric.into(),
        traditional: cell(t, spec.traditional),
        wasm: cell(w, spec.wasm),
        improvement: improvement
            .as_ref()
            .map_or_else(|| "—".to_owned(), |v| v.phrase.clone()),
        winner: improvement.map(|v| v.winner),
        notes: spec.notes.into(),
        ids: [t, w].iter().flatten().map(|o| o.id.clone()).collect(),
        quoted: spec.quoted.and_then(|key| quoted.pair(key)),
    }
}

fn fact(metric: &str, traditional: &str, wasm: &str, notes: &str) -> Row {
    Row {
        metric: metric.into(),
        traditional: traditional.into(),
        wasm: wasm.into(),
        improvement: "a fact of the build, not a measurement".into(),
        winner: None,
        notes: notes.into(),
        ids: Vec::new(),
        quoted: None,
    }
}

/// Does the server context run, and where: from the probes' outcomes, not assumed.
fn server_mode(results: &Results) -> Row {
    let traditional = match results.measured(&["ready.server.docker"]) {
        Some(o) => format!("serves HTTP (axum; first 200 after {})", value_of(o)),
        None => format!(
            "not measured ({})",
            why_not(results, &["ready.server.docker"])
        ),
    };
    let p1 = results.get(super::analysis::P1_SERVER_ID);
    let mut wasm = match p1.and_then(|o| o.shown.as_deref()) {
        Some(shown) => format!("not under ctr (WASI preview 1 has no sockets: {shown})"),
        None => "under ctr: not measured".to_owned(),
    };
    for (ids, how) in [
        (super::analysis::WASI_HTTP_READY, "as a wasi:http component"),
        (
            super::analysis::WAGI_READY,
            "through WAGI, a process per request",
        ),
    ] {
        if let Some(o) = results.measured(ids) {
            wasm.push_str(&format!("; serves {how} (first 200 after {})", value_of(o)));
        }
    }
    Row {
        metric: "Server mode".into(),
        traditional,
        wasm,
        improvement: "see the server-mode section".into(),
        winner: None,
        notes: "from the server and ctr probes of this run".into(),
        ids: Vec::new(),
        quoted: None,
    }
}

/// A measured value as a reader wants it: the median, exact bytes for a single size.
pub fn value_of(o: &Observation) -> String {
    let Some(s) = &o.summary else {
        return "—".into();
    };
    match (s.n, o.unit) {
        (1, crate::results::Unit::Bytes) => {
            format!("{} ({} B)", format_value(s.median, o.unit), group(s.median))
        }
        (1, _) => format_value(s.median, o.unit),
        _ => format!("{} (median of {})", format_value(s.median, o.unit), s.n),
    }
}

/// Why none of `ids` was measured: the first recorded reason, or that no probe wrote it.
pub fn why_not(results: &Results, ids: &[&str]) -> String {
    ids.iter()
        .filter_map(|id| results.get(id))
        .find_map(|o| match &o.status {
            crate::results::Status::Skipped { reason } => Some(format!("skipped: {reason}")),
            crate::results::Status::Failed { error } => Some(format!("failed: {error}")),
            crate::results::Status::Measured => None,
        })
        .unwrap_or_else(|| "no probe recorded it in this run".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Kind, Unit};

    fn obs(samples: &[f64], unit: Unit) -> Observation {
        Observation::measured(
            "x.y.z",
            "x",
            Kind::Size,
            unit,
            String::new(),
            samples.to_vec(),
        )
    }

    #[test]
    fn sizes_are_phrased_from_the_wasm_side() {
        let v = verdict(
            &obs(&[733_880.0], Unit::Bytes),
            &obs(&[63_186.0], Unit::Bytes),
            Noun::Size,
        )
        .unwrap();
        assert_eq!(
            (v.winner, v.phrase.as_str()),
            (Winner::Wasm, "11.6× smaller")
        );
        let v = verdict(
            &obs(&[100.0], Unit::Bytes),
            &obs(&[140.0], Unit::Bytes),
            Noun::Size,
        )
        .unwrap();
        assert_eq!(
            (v.winner, v.phrase.as_str()),
            (Winner::Traditional, "1.40× larger")
        );
    }

    #[test]
    fn overlapping_timings_are_no_difference() {
        let a = [1.0, 1.1, 0.9, 1.05, 0.95, 1.0, 1.02];
        let b = [1.01, 0.98, 1.07, 0.93, 1.0, 1.04, 0.97];
        let v = verdict(&obs(&a, Unit::Seconds), &obs(&b, Unit::Seconds), Noun::Time).unwrap();
        assert_eq!(v.winner, Winner::Neither);
        assert!(
            v.phrase.starts_with("no measurable difference"),
            "{}",
            v.phrase
        );
    }

    #[test]
    fn a_slower_wasm_is_called_slower_with_an_inverted_interval() {
        let a = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98];
        let b = [2.0, 2.02, 1.98, 2.0, 2.04, 1.96];
        let v = verdict(&obs(&a, Unit::Seconds), &obs(&b, Unit::Seconds), Noun::Time).unwrap();
        assert_eq!(v.winner, Winner::Traditional);
        assert!(
            v.phrase.starts_with("2.0× slower (95% interval"),
            "{}",
            v.phrase
        );
        assert!((v.factor - 2.0).abs() < 1e-9);
    }

    #[test]
    fn a_lower_rate_is_fewer_requests() {
        let native = [100_000.0];
        let wasm = [20_000.0];
        let v = verdict(
            &obs(&native, Unit::PerSecond),
            &obs(&wasm, Unit::PerSecond),
            Noun::Rate,
        )
        .unwrap();
        assert_eq!(
            (v.winner, v.short.as_str()),
            (Winner::Traditional, "5.0× fewer requests/s")
        );
    }
}

//! One figure against another: the ratio of their medians with its interval, phrased from
//! the WASM side ("3.2× smaller", "1.4× slower", "no measurable difference"). Which way is
//! better is the catalogue's (`Metric::better`); the words follow from what the metric
//! measures. The comparison table, the analysis and the decision matrix all weigh through
//! here.

use serde::Serialize;
use wasmlab_model::format::{bound, times};
use wasmlab_model::metric::{Better, Kind, Metric, Unit, STRESS_TASKS_PER_SECOND};
use wasmlab_model::results::Observation;
use wasmlab_model::stats::{ratio_of_medians, Ratio};

/// Which side a comparison favours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Winner {
    Wasm,
    Traditional,
    /// The interval of the ratio contains 1.
    Neither,
    /// A side has fewer runs than an interval needs: the ratio is a reading, not a
    /// difference, and no side is named.
    Unweighed,
}

/// `traditional` against `wasm`, weighed: which side wins, by what factor, and how sure
/// the figures make it; its phrases are written from these alone.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub winner: Winner,
    /// The ratio of the medians, oriented so that above 1 means WASM is better, with its
    /// interval.
    pub ratio: Ratio,
    /// The word for the winner's side ("faster", "more memory"); none when neither wins.
    word: &'static str,
    /// How sure the ratio is: an interval, or exact sizes, or one run on each side.
    evidence: Evidence,
    /// Which figure is over which in `ratio`, said beside a bare ratio so that it cannot
    /// be read the other way round: "traditional ÷ WASM" for times and sizes.
    orientation: &'static str,
}

/// What backs a ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// A bootstrap interval of several runs each.
    Interval,
    /// Sizes: exact, one sample each.
    Exact,
    /// Fewer runs than an interval needs on a side of a figure that varies (runs of the
    /// traditional side, of the WASM side).
    TooFewRuns(usize, usize),
}

impl Verdict {
    /// How many times better the winner is (≥ 1); 1 when neither.
    pub fn factor(&self) -> f64 {
        match self.winner {
            Winner::Wasm => self.ratio.value,
            Winner::Traditional => 1.0 / self.ratio.value,
            Winner::Neither | Winner::Unweighed => 1.0,
        }
    }

    /// "3.2× smaller", "1.40× slower", "no measurable difference", "not weighed".
    pub fn short(&self) -> String {
        match self.winner {
            Winner::Neither => "no measurable difference".to_owned(),
            Winner::Unweighed => format!("not weighed ({})", self.runs()),
            _ => format!("{}× {}", times(self.factor()), self.word),
        }
    }

    /// The short form before what it is weighed against: "4.7× fewer requests/s than",
    /// "within noise of", "not weighed (too few runs) against".
    pub fn than(&self) -> String {
        match self.winner {
            Winner::Neither => "within noise of".to_owned(),
            Winner::Unweighed => "not weighed, beside".to_owned(),
            _ => format!("{} than", self.short()),
        }
    }

    /// "95% interval 1.31–1.52×", or nothing for exact figures; for no difference, the
    /// ratio and its interval; for too few runs, the ratio and the runs it is of.
    pub fn interval(&self) -> Option<String> {
        let label = crate::figure::label();
        match (self.evidence, self.ratio.interval) {
            (Evidence::Exact, _) => None,
            (Evidence::TooFewRuns(..), _) => Some(format!(
                "ratio {:.2}, {}, from {}, short of the six runs a side an interval needs",
                self.ratio.value,
                self.orientation,
                self.runs()
            )),
            (Evidence::Interval, Some(i)) if self.winner == Winner::Neither => Some(format!(
                "ratio {:.2} ({}), {label} {:.2}–{:.2}",
                self.ratio.value, self.orientation, i.low, i.high
            )),
            (Evidence::Interval, Some(i)) => {
                // From the winner's side: inverted for the traditional one.
                let (low, high) = match self.winner {
                    Winner::Traditional => (1.0 / i.high, 1.0 / i.low),
                    _ => (i.low, i.high),
                };
                // The bound next to 1 never prints as 1: the interval excludes it.
                Some(format!("{label} {}–{}×", bound(low), bound(high)))
            }
            (Evidence::Interval, None) => None,
        }
    }

    /// "one run each", "3 runs against 20".
    fn runs(&self) -> String {
        match self.evidence {
            Evidence::TooFewRuns(1, 1) => "one run each".to_owned(),
            Evidence::TooFewRuns(a, b) if a == b => format!("{a} runs each"),
            Evidence::TooFewRuns(a, b) => format!("{} against {}", runs(a), runs(b)),
            _ => String::new(),
        }
    }

    /// The short form with its interval in parentheses; unweighed, what there is instead,
    /// after a colon (the phrase is often itself in parentheses: no nesting).
    pub fn phrase(&self) -> String {
        match self.interval() {
            Some(interval) if self.winner == Winner::Unweighed => {
                format!("not weighed: {interval}")
            }
            Some(interval) => format!("{} ({interval})", self.short()),
            None => self.short(),
        }
    }
}

/// "one run", "5 runs".
fn runs(n: usize) -> String {
    match n {
        1 => "one run".to_owned(),
        n => format!("{n} runs"),
    }
}

/// The words for a figure of `metric` that came out lower, and higher.
fn words(metric: &Metric) -> (&'static str, &'static str) {
    match (metric.kind, metric.unit) {
        (Kind::Memory, _) => ("less memory", "more memory"),
        (_, Unit::Bytes) => ("smaller", "larger"),
        (_, Unit::Seconds) => ("faster", "slower"),
        (_, Unit::PerSecond) if *metric == STRESS_TASKS_PER_SECOND => {
            ("fewer tasks/s", "more tasks/s")
        }
        (_, Unit::PerSecond) => ("fewer requests/s", "more requests/s"),
    }
}

/// Compares two observations of metrics that improve the same way, phrased from the WASM
/// side; None when either has too few samples.
pub fn verdict(traditional: &Observation, wasm: &Observation) -> Option<Verdict> {
    let metric = traditional.id.metric;
    if wasm.id.metric.better != metric.better {
        return None;
    }
    // r > 1 means WASM is better: the traditional figure over the WASM one when lower is
    // better, the other way round when higher is.
    let (lower, higher) = words(metric);
    let (ratio, better, worse, orientation) = match metric.better {
        Better::Lower => (
            ratio_of_medians(&traditional.samples, &wasm.samples)?,
            lower,
            higher,
            "traditional ÷ WASM",
        ),
        Better::Higher => (
            ratio_of_medians(&wasm.samples, &traditional.samples)?,
            higher,
            lower,
            "WASM ÷ traditional",
        ),
    };
    // A size is exact and weighed by its value; a figure that varies (a time, a rate, a
    // memory reading) is weighed only by an interval, which needs six runs a side.
    let exact = metric.kind == Kind::Size;
    let (evidence, winner, word) = match ratio.differs(exact) {
        None => (
            Evidence::TooFewRuns(traditional.samples.len(), wasm.samples.len()),
            Winner::Unweighed,
            "",
        ),
        Some(differs) => {
            let evidence = match ratio.interval {
                Some(_) => Evidence::Interval,
                None => Evidence::Exact,
            };
            match differs {
                false => (evidence, Winner::Neither, ""),
                true if ratio.value > 1.0 => (evidence, Winner::Wasm, better),
                true => (evidence, Winner::Traditional, worse),
            }
        }
    };
    Some(Verdict {
        winner,
        ratio,
        word,
        evidence,
        orientation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmlab_model::metric::{
        CTR_RUNC, CTR_WASMTIME_CACHED, DOCKER, LOAD_RPS, NATIVE_BINARY, SIZE_BINARY, STARTUP_CLI,
        WASI_HTTP_POOLING, WASM_MODULE,
    };

    fn size(native: f64, wasm: f64) -> Option<Verdict> {
        verdict(
            &SIZE_BINARY
                .of(&NATIVE_BINARY)
                .measured("stat", vec![native]),
            &SIZE_BINARY.of(&WASM_MODULE).measured("stat", vec![wasm]),
        )
    }

    fn startup(runc: &[f64], wasm: &[f64]) -> Option<Verdict> {
        verdict(
            &STARTUP_CLI.of(&CTR_RUNC).measured("ctr run", runc.to_vec()),
            &STARTUP_CLI
                .of(&CTR_WASMTIME_CACHED)
                .measured("ctr run", wasm.to_vec()),
        )
    }

    #[test]
    fn sizes_are_phrased_from_the_wasm_side() {
        let v = size(733_880.0, 63_186.0).unwrap();
        assert_eq!(
            (v.winner, v.phrase()),
            (Winner::Wasm, "11.6× smaller".into())
        );
        assert_eq!(v.interval(), None);
        let v = size(100.0, 140.0).unwrap();
        assert_eq!(
            (v.winner, v.phrase()),
            (Winner::Traditional, "1.40× larger".into())
        );
    }

    #[test]
    fn overlapping_timings_are_no_difference() {
        let a = [1.0, 1.1, 0.9, 1.05, 0.95, 1.0, 1.02];
        let b = [1.01, 0.98, 1.07, 0.93, 1.0, 1.04, 0.97];
        let v = startup(&a, &b).unwrap();
        assert_eq!(v.winner, Winner::Neither);
        assert_eq!(v.factor(), 1.0);
        assert!(
            v.phrase().starts_with("no measurable difference (ratio "),
            "{}",
            v.phrase()
        );
    }

    #[test]
    fn a_slower_wasm_is_called_slower_with_an_inverted_interval() {
        let a = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98];
        let b = [2.0, 2.02, 1.98, 2.0, 2.04, 1.96];
        let v = startup(&a, &b).unwrap();
        assert_eq!(v.winner, Winner::Traditional);
        assert!(
            v.phrase().starts_with("2.0× slower (95% interval"),
            "{}",
            v.phrase()
        );
        assert!((v.factor() - 2.0).abs() < 1e-9);
    }

    #[test]
    fn a_lower_rate_is_fewer_requests() {
        let rate = |variant, samples| LOAD_RPS.at("c10").of(variant).measured("wrk", samples);
        for (docker, wasm, winner, short) in [
            (
                100_000.0,
                20_000.0,
                Winner::Traditional,
                "5.0× fewer requests/s",
            ),
            (20_000.0, 100_000.0, Winner::Wasm, "5.0× more requests/s"),
        ] {
            let six = |v: f64| {
                (0..6)
                    .map(|i| v * (1.0 + i as f64 * 1e-3))
                    .collect::<Vec<_>>()
            };
            let v = verdict(
                &rate(&DOCKER, six(docker)),
                &rate(&WASI_HTTP_POOLING, six(wasm)),
            )
            .unwrap();
            assert_eq!((v.winner, v.short()), (winner, short.to_owned()));
        }
    }

    /// A cost is stated only when its interval excludes 1, and no interval comes from
    /// fewer than six runs: one run each, however far apart, names no side.
    #[test]
    fn fewer_than_six_runs_a_side_name_no_winner() {
        let rate =
            |variant, samples: Vec<f64>| LOAD_RPS.at("c10").of(variant).measured("wrk", samples);
        let v = verdict(
            &rate(&DOCKER, vec![100_000.0]),
            &rate(&WASI_HTTP_POOLING, vec![20_000.0]),
        )
        .unwrap();
        assert_eq!(
            (v.winner, v.short()),
            (Winner::Unweighed, "not weighed (one run each)".into())
        );
        assert_eq!(v.factor(), 1.0);
        assert_eq!(
            v.phrase(),
            "not weighed: ratio 0.20, WASM ÷ traditional, from one run each, short of the six \
             runs a side an interval needs"
        );
        let five = verdict(
            &startup_of(&[1.0, 1.01, 0.99, 1.0, 1.02]),
            &startup_of(&[2.0, 2.02, 1.98, 2.0, 2.04]),
        )
        .unwrap();
        assert_eq!(five.winner, Winner::Unweighed);
    }

    fn startup_of(samples: &[f64]) -> Observation {
        STARTUP_CLI
            .of(&CTR_RUNC)
            .measured("ctr run", samples.to_vec())
    }

    #[test]
    fn a_rate_of_tasks_is_said_in_tasks() {
        use wasmlab_model::metric::{CTR_WASMTIME, STRESS_TASKS_PER_SECOND};
        let tasks = |variant, samples: &[f64]| {
            STRESS_TASKS_PER_SECOND
                .at("c4")
                .of(variant)
                .measured("api", samples.to_vec())
        };
        let v = verdict(
            &tasks(&CTR_RUNC, &[10.0, 10.1, 9.9, 10.0, 10.05, 10.02]),
            &tasks(&CTR_WASMTIME, &[20.0, 20.2, 19.8, 20.0, 20.1, 20.05]),
        )
        .unwrap();
        assert_eq!(
            (v.winner, v.short()),
            (Winner::Wasm, "2.0× more tasks/s".into())
        );
    }

    #[test]
    fn figures_that_improve_opposite_ways_are_not_weighed() {
        let time = STARTUP_CLI.of(&DOCKER).measured("docker run", vec![1.0]);
        let rate = LOAD_RPS.at("c10").of(&DOCKER).measured("wrk", vec![1.0]);
        assert!(verdict(&time, &rate).is_none());
    }
}

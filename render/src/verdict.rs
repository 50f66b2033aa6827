//! One figure against another: the ratio of their medians with its interval, phrased from
//! the WASM side ("3.2× smaller", "1.4× slower", "no measurable difference"). Which way is
//! better is the catalogue's (`Metric::better`); the words follow from what the metric
//! measures. The comparison table, the analysis and the decision matrix all weigh through
//! here.

use serde::Serialize;
use wasmlab_model::format::times;
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
}

/// What backs a ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// A bootstrap interval of several runs each.
    Interval,
    /// Sizes: exact, one sample each.
    Exact,
    /// One run on each side of a figure that varies: no interval to show.
    OneRunEach,
}

impl Verdict {
    /// How many times better the winner is (≥ 1); 1 when neither.
    pub fn factor(&self) -> f64 {
        match self.winner {
            Winner::Wasm => self.ratio.value,
            Winner::Traditional => 1.0 / self.ratio.value,
            Winner::Neither => 1.0,
        }
    }

    /// The ratio's interval from the winner's side: inverted for the traditional one.
    fn winner_interval(&self) -> (f64, f64) {
        let i = &self.ratio.interval;
        match self.winner {
            Winner::Traditional => (1.0 / i.high, 1.0 / i.low),
            _ => (i.low, i.high),
        }
    }

    /// "3.2× smaller", "1.40× slower", "no measurable difference".
    pub fn short(&self) -> String {
        match self.winner {
            Winner::Neither => "no measurable difference".to_owned(),
            _ => format!("{}× {}", times(self.factor()), self.word),
        }
    }

    /// "95% interval 1.31–1.52×", "one run each: no interval", or nothing for exact
    /// figures; for no difference, the ratio and its interval.
    pub fn interval(&self) -> Option<String> {
        let i = &self.ratio.interval;
        let percent = i.confidence * 100.0;
        if self.winner == Winner::Neither {
            return Some(format!(
                "ratio {:.2}, {percent:.0}% interval {:.2}–{:.2}",
                self.ratio.value, i.low, i.high
            ));
        }
        match self.evidence {
            Evidence::Exact => None,
            Evidence::OneRunEach => Some("one run each: no interval".to_owned()),
            Evidence::Interval => {
                let (low, high) = self.winner_interval();
                Some(format!(
                    "{percent:.0}% interval {}–{}×",
                    times(low),
                    times(high)
                ))
            }
        }
    }

    /// The short form with its interval in parentheses.
    pub fn phrase(&self) -> String {
        match self.interval() {
            Some(interval) => format!("{} ({interval})", self.short()),
            None => self.short(),
        }
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
    let (ratio, better, worse) = match metric.better {
        Better::Lower => (
            ratio_of_medians(&traditional.samples, &wasm.samples)?,
            lower,
            higher,
        ),
        Better::Higher => (
            ratio_of_medians(&wasm.samples, &traditional.samples)?,
            higher,
            lower,
        ),
    };
    let (winner, word) = if !ratio.is_significant() {
        (Winner::Neither, "")
    } else if ratio.value > 1.0 {
        (Winner::Wasm, better)
    } else {
        (Winner::Traditional, worse)
    };
    // A size is exact; any other single figure per side has no interval to show.
    let evidence = match (ratio.interval.low == ratio.interval.high, traditional.unit) {
        (false, _) => Evidence::Interval,
        (true, Unit::Bytes) => Evidence::Exact,
        (true, _) => Evidence::OneRunEach,
    };
    Some(Verdict {
        winner,
        ratio,
        word,
        evidence,
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
        let rate = |variant, value| LOAD_RPS.at("c10").of(variant).measured("wrk", vec![value]);
        for (docker, wasm, winner, short) in [
            (
                100_000.0,
                20_000.0,
                Winner::Traditional,
                "5.0× fewer requests/s",
            ),
            (20_000.0, 100_000.0, Winner::Wasm, "5.0× more requests/s"),
        ] {
            let v = verdict(&rate(&DOCKER, docker), &rate(&WASI_HTTP_POOLING, wasm)).unwrap();
            assert_eq!((v.winner, v.short()), (winner, short.to_owned()));
            assert_eq!(v.interval().as_deref(), Some("one run each: no interval"));
        }
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
            &tasks(&CTR_RUNC, &[10.0, 10.1, 9.9, 10.0, 10.05]),
            &tasks(&CTR_WASMTIME, &[20.0, 20.2, 19.8, 20.0, 20.1]),
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

//! One figure against another: the ratio of their medians with its interval, phrased from
//! the WASM side ("3.2× smaller", "1.4× slower", "no measurable difference"). Which way is
//! better is the catalogue's (`Metric::better`); the words follow from what the metric
//! measures. The comparison table, the analysis and the decision matrix all weigh through
//! here.

use serde::Serialize;
use wasmlab_model::format::{format_value, group, times};
use wasmlab_model::metric::{Better, Kind, Metric, Unit};
use wasmlab_model::results::Observation;
use wasmlab_model::stats::ratio_of_medians;

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

/// The words for a figure of `metric` that came out lower, and higher.
fn words(metric: &Metric) -> (&'static str, &'static str) {
    match (metric.kind, metric.unit) {
        (Kind::Memory, _) => ("less memory", "more memory"),
        (_, Unit::Bytes) => ("smaller", "larger"),
        (_, Unit::Seconds) => ("faster", "slower"),
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
    let (r, better, worse) = match metric.better {
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
    let interval = if exact && traditional.unit == Unit::Bytes {
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

/// A measured value as a reader wants it: the median, exact bytes for a single size.
pub fn value_of(o: &Observation) -> String {
    let Some(s) = &o.summary else {
        return "—".into();
    };
    match (s.n, o.unit) {
        (1, Unit::Bytes) => {
            format!("{} ({} B)", format_value(s.median, o.unit), group(s.median))
        }
        (1, _) => format_value(s.median, o.unit),
        _ => format!("{} (median of {})", format_value(s.median, o.unit), s.n),
    }
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
            (v.winner, v.phrase.as_str()),
            (Winner::Wasm, "11.6× smaller")
        );
        let v = size(100.0, 140.0).unwrap();
        assert_eq!(
            (v.winner, v.phrase.as_str()),
            (Winner::Traditional, "1.40× larger")
        );
    }

    #[test]
    fn overlapping_timings_are_no_difference() {
        let a = [1.0, 1.1, 0.9, 1.05, 0.95, 1.0, 1.02];
        let b = [1.01, 0.98, 1.07, 0.93, 1.0, 1.04, 0.97];
        let v = startup(&a, &b).unwrap();
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
        let v = startup(&a, &b).unwrap();
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
            assert_eq!((v.winner, v.short.as_str()), (winner, short));
        }
    }

    #[test]
    fn figures_that_improve_opposite_ways_are_not_weighed() {
        let time = STARTUP_CLI.of(&DOCKER).measured("docker run", vec![1.0]);
        let rate = LOAD_RPS.at("c10").of(&DOCKER).measured("wrk", vec![1.0]);
        assert!(verdict(&time, &rate).is_none());
    }
}

//! The numbers the view carries, typed, and the one place each becomes text. A [`Figure`]
//! is a value in its unit with its interval and n; the templates write it through the
//! filters of `export::filters`, which call the functions here, and the sentences call them
//! directly, so a median reads the same in a table, a cell and a sentence.

use crate::status::{self, State};
use serde::{Deserialize, Serialize};
use wasmlab_model::format::{format_value, group};
use wasmlab_model::metric::Unit;
use wasmlab_model::results::Observation;
use wasmlab_model::stats::{mean_interval, Interval, Ratio, Summary, CONFIDENCE};

/// One figure: a value in its unit, the interval it carries (the median's order-statistic
/// interval, or the mean's t-interval), and how many samples it is of.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub value: f64,
    pub unit: Unit,
    pub interval: Option<Interval>,
    pub n: usize,
    /// The lowest and highest sample, which stand in for an interval below six samples.
    pub range: Option<(f64, f64)>,
}

impl Figure {
    /// A value without an interval (a bound, a spread, one reading).
    pub fn plain(value: f64, unit: Unit, n: usize) -> Self {
        Self {
            value,
            unit,
            interval: None,
            n,
            range: None,
        }
    }

    /// The median of `s` with its interval.
    pub fn median(s: &Summary, unit: Unit) -> Self {
        Self {
            value: s.median,
            unit,
            interval: s.median_interval(),
            n: s.n,
            range: Some((s.min, s.max)),
        }
    }

    /// The median of a measured observation; None when it has none.
    pub fn median_of(o: &Observation) -> Option<Self> {
        o.summary
            .as_ref()
            .filter(|_| o.is_measured())
            .map(|s| Self::median(s, o.unit))
    }

    /// The mean of `s` beside its Student-t interval; a summary from before that interval
    /// existed gets it from the samples. A few skewed samples can put the interval's low
    /// end below zero, which no duration or size can be: it is cut at zero, where the
    /// samples allow no less.
    pub fn mean(s: &Summary, samples: &[f64], unit: Unit) -> Self {
        let floor = if samples.iter().all(|x| *x >= 0.0) {
            0.0
        } else {
            f64::NEG_INFINITY
        };
        let interval = s
            .mean_interval()
            .or_else(|| mean_interval(samples))
            .map(|i| Interval {
                low: i.low.max(floor),
                ..i
            });
        Self {
            value: s.mean,
            unit,
            interval,
            n: s.n,
            range: Some((s.min, s.max)),
        }
    }

    /// The value in its unit, for reading: "1.23 ms", "717 KiB".
    pub fn text(&self) -> String {
        format_value(self.value, self.unit)
    }

    /// The exact value in the unit of results.json (bytes for sizes): "733880".
    pub fn exact(&self) -> String {
        format!("{}", self.value)
    }

    /// The median's interval as a phrase: "95% interval 1.20 ms – 1.30 ms". Every interval
    /// on the page is labelled with the one nominal level, which the order statistics
    /// reach or exceed from six samples on; with fewer there is none, and the phrase says
    /// so with the lowest and highest run: "n = 3, too few for an interval: 1.20 ms –
    /// 1.30 ms", "one run".
    pub fn interval_text(&self) -> String {
        let f = |v: f64| format_value(v, self.unit);
        match (self.n, &self.interval, self.range) {
            (0 | 1, _, _) => "one run".to_owned(),
            (_, Some(ci), _) => format!("{} {} – {}", label(), f(ci.low), f(ci.high)),
            (n, None, Some((low, high))) => {
                format!("n = {n}, too few for an interval: {} – {}", f(low), f(high))
            }
            (n, None, None) => format!("n = {n}, too few for an interval"),
        }
    }

    /// The value with its interval in parentheses: "1.25 ms (95% interval 1.20 ms –
    /// 1.30 ms)"; the value alone when it has none.
    pub fn with_interval(&self) -> String {
        let f = |v: f64| format_value(v, self.unit);
        match &self.interval {
            Some(i) => format!(
                "{} ({} {} – {})",
                f(self.value),
                label(),
                f(i.low),
                f(i.high)
            ),
            None => f(self.value),
        }
    }

    /// The interval in a table cell's width with n beside it: "95% interval 1.20 ms –
    /// 1.30 ms (n = 20)", "n = 3: 1.20 ms – 1.30 ms", "one run".
    pub fn interval_brief(&self) -> String {
        let f = |v: f64| format_value(v, self.unit);
        match (self.n, &self.interval, self.range) {
            (0 | 1, _, _) => "one run".to_owned(),
            (n, Some(ci), _) => format!("{} {} – {} (n = {n})", label(), f(ci.low), f(ci.high)),
            (n, None, Some((low, high))) => format!("n = {n}: {} – {}", f(low), f(high)),
            (n, None, None) => format!("n = {n}"),
        }
    }
}

/// How every interval is labelled: by the one nominal level, which each interval shown
/// reaches (the median's order statistics from six samples on, at or above it).
pub fn label() -> String {
    format!("{:.0}% interval", CONFIDENCE * 100.0)
}

/// A measured value as sentences and the comparison table give it: the median and how
/// many runs it is of, exact bytes for a single size; a dash when it has no samples.
pub fn value_of(o: &Observation) -> String {
    match Figure::median_of(o) {
        None => "—".into(),
        Some(m) => match (m.n, m.unit) {
            (1, Unit::Bytes) => format!("{} ({} B)", m.text(), group(m.value)),
            (1, _) => m.text(),
            (n, _) => format!("{} (median of {n})", m.text()),
        },
    }
}

/// What prose shows for a figure: its median, or its status and the reason, or that no
/// probe recorded `id`.
pub fn outcome_text(
    state: State,
    reason: Option<&str>,
    median: Option<&Figure>,
    id: &str,
) -> String {
    match (state, reason, median) {
        (State::Missing, _, _) => status::not_recorded(id),
        (State::Skipped | State::Failed, why, _) => {
            format!("{}: {}", state.word(), why.unwrap_or_default())
        }
        (State::Measured, _, Some(m)) => m.text(),
        (State::Measured, _, None) => "no samples".to_owned(),
    }
}

/// A ratio against the floor: "1.33× [1.31, 1.35]", or "no measurable difference [0.98,
/// 1.03]" when its interval contains 1, or "1.33× (too few runs to weigh)" without one.
pub fn ratio_text(r: &Ratio) -> String {
    let Some(i) = r.interval else {
        return format!("{:.2}× (too few runs to weigh)", r.value);
    };
    let interval = format!("[{:.2}, {:.2}]", i.low, i.high);
    if r.is_significant() {
        format!("{:.2}× {interval}", r.value)
    } else {
        format!("no measurable difference {interval}")
    }
}

/// A fraction as a percentage with one decimal: 0.123 → "12.3%".
pub fn percent(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmlab_model::stats::Summary;

    fn summary(samples: &[f64]) -> Summary {
        Summary::of(samples).unwrap()
    }

    #[test]
    fn a_median_reads_in_its_unit_with_the_coverage_its_n_reaches() {
        let eleven: Vec<f64> = (0..11).map(|i| 0.18 + i as f64 * 1e-3).collect();
        let m = Figure::median(&summary(&eleven), Unit::Seconds);
        assert_eq!(m.text(), "185 ms");
        assert_eq!(m.interval_text(), "95% interval 181 ms – 189 ms");
        let five = Figure::median(
            &summary(&[1e-3, 1.01e-3, 1.02e-3, 0.99e-3, 1e-3]),
            Unit::Seconds,
        );
        assert_eq!(
            five.interval_text(),
            "n = 5, too few for an interval: 990 µs – 1.02 ms"
        );
        assert_eq!(five.interval_brief(), "n = 5: 990 µs – 1.02 ms");
        assert_eq!(five.with_interval(), "1.00 ms");
        // Twenty runs' order statistics cover 95.9%: labelled by the one level, 95%.
        let twenty: Vec<f64> = (0..20).map(|i| 1.0 + i as f64 * 1e-2).collect();
        let m = Figure::median(&summary(&twenty), Unit::Seconds);
        assert!(
            m.interval_brief().starts_with("95% interval"),
            "{}",
            m.interval_brief()
        );
        let one = Figure::median(&summary(&[733_880.0]), Unit::Bytes);
        assert_eq!(
            (
                one.text(),
                one.exact(),
                one.interval_text(),
                one.interval_brief()
            ),
            (
                "717 KiB".into(),
                "733880".into(),
                "one run".into(),
                "one run".into()
            )
        );
    }

    #[test]
    fn a_mean_interval_is_cut_at_zero_for_positive_samples() {
        let skewed = [0.001, 0.001, 0.001, 0.001, 0.001, 0.5];
        let mean = Figure::mean(&summary(&skewed), &skewed, Unit::Seconds);
        assert_eq!(mean.interval.unwrap().low, 0.0);
        assert!(
            mean.with_interval()
                .starts_with("84.2 ms (95% interval 0 ns – "),
            "{}",
            mean.with_interval()
        );
        let single = Figure::mean(&summary(&[2.0]), &[2.0], Unit::Seconds);
        assert_eq!(single.with_interval(), "2.00 s");
    }

    #[test]
    fn a_value_says_its_runs_or_its_exact_bytes_and_a_dash_when_not_measured() {
        use wasmlab_model::metric::{DOCKER, SIZE_BINARY, STARTUP_CLI, WASM_MODULE};
        let size = SIZE_BINARY
            .of(&WASM_MODULE)
            .measured("stat", vec![63_186.0]);
        assert_eq!(value_of(&size), "61.7 KiB (63,186 B)");
        let once = STARTUP_CLI.of(&DOCKER).measured("docker run", vec![0.5]);
        assert_eq!(value_of(&once), "500 ms");
        let runs = STARTUP_CLI
            .of(&DOCKER)
            .measured("docker run", vec![0.4, 0.5, 0.6]);
        assert_eq!(value_of(&runs), "500 ms (median of 3)");
        let failed = STARTUP_CLI
            .of(&DOCKER)
            .failed_after("docker run", "exit 125", vec![0.5]);
        assert_eq!(value_of(&failed), "—");
    }

    #[test]
    fn an_outcome_is_its_median_or_says_why_there_is_none() {
        let m = Figure::plain(0.5, Unit::Seconds, 3);
        assert_eq!(outcome_text(State::Measured, None, Some(&m), "x"), "500 ms");
        assert_eq!(outcome_text(State::Measured, None, None, "x"), "no samples");
        assert_eq!(
            outcome_text(State::Skipped, Some("no docker"), None, "x"),
            "skipped: no docker"
        );
        assert_eq!(
            outcome_text(State::Missing, None, None, "stop.server.docker"),
            "not recorded in this run (stop.server.docker)"
        );
    }

    #[test]
    fn a_ratio_to_the_floor_says_when_it_is_no_difference() {
        let r = |value, low, high| Ratio {
            value,
            interval: Some(Interval {
                low,
                high,
                confidence: CONFIDENCE,
            }),
        };
        assert_eq!(ratio_text(&r(1.333, 1.31, 1.35)), "1.33× [1.31, 1.35]");
        assert_eq!(
            ratio_text(&r(1.0, 0.98, 1.03)),
            "no measurable difference [0.98, 1.03]"
        );
        assert_eq!(percent(0.1234), "12.3%");
    }
}

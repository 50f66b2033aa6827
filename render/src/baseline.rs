//! Comparison with a previous run (`measure render --baseline OLD.json`): the change of each
//! median, flagged only when it is beyond noise, as criterion does: the interval of the
//! ratio must exclude 1 and the change must exceed a noise threshold.

use serde::{Deserialize, Serialize};
use wasmlab_model::metric::Better;
use wasmlab_model::results::{Observation, Results};
use wasmlab_model::stats::ratio_of_medians;

/// Changes smaller than this are called noise even when the interval excludes 1
/// (criterion's default noise threshold).
pub const NOISE_THRESHOLD: f64 = 0.05;

/// How a median moved against the baseline's.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Change {
    /// The new median over the old, less one: 0.123 is 12.3% higher.
    pub delta: f64,
    pub verdict: Drift,
}

/// Whether a change is beyond noise, and which way the metric's catalogue calls better.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Drift {
    #[serde(rename = "improved")]
    Improved,
    #[serde(rename = "regressed")]
    Regressed,
    #[serde(rename = "within noise")]
    WithinNoise,
    /// A side has fewer runs than an interval needs: the change is shown, not judged.
    #[serde(rename = "not weighed")]
    TooFewRuns,
}

impl Drift {
    pub fn word(self) -> &'static str {
        match self {
            Self::Improved => "improved",
            Self::Regressed => "regressed",
            Self::WithinNoise => "within noise",
            Self::TooFewRuns => "not weighed (too few runs)",
        }
    }
}

impl Change {
    /// "+12.3%", "−4.0%".
    pub fn percent(&self) -> String {
        let sign = if self.delta < 0.0 { "−" } else { "+" };
        format!("{sign}{:.1}%", self.delta.abs() * 100.0)
    }

    /// "+12.3% regressed", as the page shows a change.
    pub fn text(&self) -> String {
        format!("{} {}", self.percent(), self.verdict.word())
    }
}

/// How `now` moved against the same observation in `old`, when both were measured and the
/// catalogue says which way its metric improves.
pub fn change(now: &Observation, old: &Results) -> Option<Change> {
    let before = old.measured(std::slice::from_ref(&now.id))?;
    if !now.is_measured() || before.unit != now.unit {
        return None;
    }
    let better = now.id.metric.better;
    let r = ratio_of_medians(&now.samples, &before.samples)?;
    let delta = r.value - 1.0;
    // A size is exact: one reading each is enough to judge it.
    let verdict = match r.differs(now.id.metric.kind == wasmlab_model::metric::Kind::Size) {
        None => Drift::TooFewRuns,
        Some(false) => Drift::WithinNoise,
        Some(true) if delta.abs() < NOISE_THRESHOLD => Drift::WithinNoise,
        Some(true) if (delta > 0.0) == (better == Better::Higher) => Drift::Improved,
        Some(true) => Drift::Regressed,
    };
    Some(Change { delta, verdict })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmlab_model::metric::{Subject, DOCKER, LOAD_RPS, SIZE_BINARY, STARTUP_CLI, WASM_MODULE};
    use wasmlab_model::results::Provenance;

    fn results(now: &Observation) -> Results {
        let mut r = Results::new(Provenance::default());
        r.merge(now.clone());
        r
    }

    fn pair(subject: fn() -> Subject, old: &[f64], now: &[f64]) -> (Results, Observation) {
        (
            results(&subject().measured("run", old.to_vec())),
            subject().measured("run", now.to_vec()),
        )
    }

    fn startup() -> Subject {
        STARTUP_CLI.of(&DOCKER)
    }

    /// The verdict on `now` against `old`, both of `subject`.
    fn verdict_of(subject: fn() -> Subject, old: &[f64], now: &[f64]) -> Drift {
        let (old, now) = pair(subject, old, now);
        change(&now, &old).unwrap().verdict
    }

    #[test]
    fn a_slower_time_is_a_regression_and_a_higher_rate_an_improvement() {
        let (old, now) = pair(
            startup,
            &[1.0, 1.01, 0.99, 1.0, 1.02, 1.0],
            &[1.5, 1.51, 1.49, 1.5, 1.52, 1.5],
        );
        let c = change(&now, &old).unwrap();
        assert_eq!(c.verdict, Drift::Regressed);
        assert_eq!(c.text(), "+50.0% regressed");
        let rate = || LOAD_RPS.at("c10").of(&DOCKER);
        let six = |v: f64| [v, v * 1.001, v * 0.999, v, v * 1.002, v * 0.998];
        assert_eq!(verdict_of(rate, &six(100.0), &six(150.0)), Drift::Improved);
        // One run a side is shown, not judged.
        assert_eq!(verdict_of(rate, &[100.0], &[150.0]), Drift::TooFewRuns);
    }

    #[test]
    fn small_or_uncertain_changes_are_noise() {
        let spread = [1.0, 1.2, 0.8, 1.1, 0.9, 1.0];
        let shifted = [1.05, 0.85, 1.15, 0.95, 1.0, 1.0];
        assert_eq!(verdict_of(startup, &spread, &shifted), Drift::WithinNoise);
        let size = || SIZE_BINARY.of(&WASM_MODULE);
        assert_eq!(verdict_of(size, &[1000.0], &[1020.0]), Drift::WithinNoise);
        let (old, now) = pair(size, &[1000.0], &[960.0]);
        assert_eq!(change(&now, &old).unwrap().percent(), "−4.0%");
    }
}

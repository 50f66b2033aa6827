//! Comparison with a previous run (`measure render --baseline OLD.json`): the change of each
//! median, flagged only when it is beyond noise, as criterion does: the interval of the
//! ratio must exclude 1 and the change must exceed a noise threshold.

use crate::results::{Observation, Results, Unit};
use crate::stats::ratio_of_medians;
use serde::Serialize;

/// Changes smaller than this are called noise even when the interval excludes 1
/// (criterion's default noise threshold).
pub const NOISE_THRESHOLD: f64 = 0.05;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    /// "+12.3%", "−4.0%".
    pub percent: String,
    /// "improved", "regressed" or "within noise".
    pub verdict: &'static str,
}

/// How `now` moved against the same observation in `old`, when both were measured.
pub fn change(now: &Observation, old: &Results) -> Option<Change> {
    let before = old.measured(&[now.id.as_str()])?;
    if !now.is_measured() || before.unit != now.unit {
        return None;
    }
    let r = ratio_of_medians(&now.samples, &before.samples)?;
    let delta = r.value - 1.0;
    // Rates are better higher; times, sizes and memory lower.
    let higher_is_better = now.unit == Unit::PerSecond;
    let verdict = if !r.is_significant() || delta.abs() < NOISE_THRESHOLD {
        "within noise"
    } else if (delta > 0.0) == higher_is_better {
        "improved"
    } else {
        "regressed"
    };
    let sign = if delta < 0.0 { "−" } else { "+" };
    Some(Change {
        percent: format!("{sign}{:.1}%", delta.abs() * 100.0),
        verdict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Kind, Provenance};

    fn obs(id: &str, unit: Unit, samples: &[f64]) -> Observation {
        Observation::measured(id, id, Kind::Load, unit, String::new(), samples.to_vec())
    }

    fn results(id: &str, unit: Unit, samples: &[f64]) -> Results {
        let mut r = Results::new(Provenance::default());
        r.merge(obs(id, unit, samples));
        r
    }

    #[test]
    fn a_slower_time_is_a_regression_and_a_higher_rate_an_improvement() {
        let old = results("a.b.c", Unit::Seconds, &[1.0, 1.01, 0.99, 1.0, 1.02]);
        let now = obs("a.b.c", Unit::Seconds, &[1.5, 1.51, 1.49, 1.5, 1.52]);
        assert_eq!(
            change(&now, &old).unwrap(),
            Change {
                percent: "+50.0%".into(),
                verdict: "regressed"
            }
        );
        let old = results("r.p.s", Unit::PerSecond, &[100.0]);
        let now = obs("r.p.s", Unit::PerSecond, &[150.0]);
        assert_eq!(change(&now, &old).unwrap().verdict, "improved");
    }

    #[test]
    fn small_or_uncertain_changes_are_noise() {
        let old = results("a.b.c", Unit::Seconds, &[1.0, 1.2, 0.8, 1.1, 0.9]);
        let now = obs("a.b.c", Unit::Seconds, &[1.05, 0.85, 1.15, 0.95, 1.0]);
        assert_eq!(change(&now, &old).unwrap().verdict, "within noise");
        let old = results("x.y.z", Unit::Bytes, &[1000.0]);
        let now = obs("x.y.z", Unit::Bytes, &[1020.0]);
        assert_eq!(change(&now, &old).unwrap().verdict, "within noise");
    }
}

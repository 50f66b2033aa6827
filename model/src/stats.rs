//! Summary statistics of raw samples: location, spread, outliers and intervals, the way
//! hyperfine and criterion report them.

use serde::{Deserialize, Serialize};

/// Coefficient of variation above which a measurement is flagged as noisy.
pub const NOISY_CV: f64 = 0.15;
/// Modified z-score above which a sample is an outlier (Iglewicz and Hoaglin; hyperfine uses
/// the same rule).
pub const OUTLIER_Z: f64 = 3.5;
/// Confidence level of the intervals.
pub const CONFIDENCE: f64 = 0.95;
/// The fewest samples an interval, a band or a bootstrap is drawn from. Below six, the
/// median's order-statistic interval cannot reach 95% (five samples give [min, max] at
/// 93.75%) and a resampled median takes only a handful of values, so the page shows the
/// samples themselves instead.
pub const MIN_INTERVAL_SAMPLES: usize = 6;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
    /// The interval's actual coverage (below `CONFIDENCE` when there are too few samples).
    pub confidence: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub median: f64,
    /// Sample standard deviation (n - 1); 0 for one sample.
    pub stddev: f64,
    pub p95: f64,
    /// Median absolute deviation (unscaled).
    pub mad: f64,
    /// stddev / mean.
    pub cv: f64,
    /// Distribution-free interval of the median from order statistics.
    pub median_ci: Interval,
    /// Student-t interval of the mean; None below two samples. Absent from files written
    /// before it existed, so it is optional there too.
    #[serde(default)]
    pub mean_ci: Option<Interval>,
    /// Indices (into the samples) of outliers by the MAD rule.
    pub outliers: Vec<usize>,
    /// `cv` above `NOISY_CV`.
    pub noisy: bool,
}

impl Summary {
    /// The summary of `samples`, or `None` when there are none (or any is not finite).
    pub fn of(samples: &[f64]) -> Option<Self> {
        if samples.is_empty() || samples.iter().any(|x| !x.is_finite()) {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let stddev = if n > 1 {
            (sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        let median = quantile(&sorted, 0.5);
        let mad = {
            let mut deviations: Vec<f64> = sorted.iter().map(|x| (x - median).abs()).collect();
            deviations.sort_by(f64::total_cmp);
            quantile(&deviations, 0.5)
        };
        let outliers = if mad > 0.0 {
            samples
                .iter()
                .enumerate()
                .filter(|(_, x)| 0.6745 * (*x - median).abs() / mad > OUTLIER_Z)
                .map(|(i, _)| i)
                .collect()
        } else {
            Vec::new()
        };
        let cv = if mean != 0.0 {
            stddev / mean.abs()
        } else {
            0.0
        };
        Some(Self {
            n,
            min: sorted[0],
            max: sorted[n - 1],
            mean,
            median,
            stddev,
            p95: quantile(&sorted, 0.95),
            mad,
            cv,
            median_ci: median_interval(&sorted),
            mean_ci: mean_interval(samples),
            outliers,
            noisy: cv > NOISY_CV,
        })
    }

    /// The median's interval, when there are enough samples to state one.
    pub fn median_interval(&self) -> Option<Interval> {
        (self.n >= MIN_INTERVAL_SAMPLES).then_some(self.median_ci)
    }

    /// The mean's interval, when there are enough samples to state one.
    pub fn mean_interval(&self) -> Option<Interval> {
        self.mean_ci.filter(|_| self.n >= MIN_INTERVAL_SAMPLES)
    }
}

/// Quantile `q` of sorted data by linear interpolation between order statistics
/// (Hyndman and Fan's type 7, the default of R and NumPy).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// The order-statistic interval of the median: [x(j), x(n+1-j)] with the largest j whose
/// binomial tail P(B(n, 1/2) < j) is at most (1 - CONFIDENCE) / 2. It needs no assumption
/// about the distribution; with fewer than 6 samples it is [min, max] at a lower coverage.
fn median_interval(sorted: &[f64]) -> Interval {
    let n = sorted.len();
    let alpha = (1.0 - CONFIDENCE) / 2.0;
    // P(B = k) in log space so a large n does not underflow; `tail` is P(B <= j - 1).
    let mut ln_pmf = n as f64 * 0.5f64.ln();
    let mut tail = ln_pmf.exp();
    let mut j = 1;
    for k in 1..=n / 2 {
        ln_pmf += ((n - k + 1) as f64).ln() - (k as f64).ln();
        let next = tail + ln_pmf.exp();
        if next > alpha {
            break;
        }
        tail = next;
        j = k + 1;
    }
    let coverage = 1.0 - 2.0 * tail;
    Interval {
        low: sorted[j - 1],
        high: sorted[n - j],
        confidence: coverage.max(0.0),
    }
}

/// Two-sided 97.5% points of Student's t for 1 to 30 degrees of freedom (the tables'
/// values to three decimals).
const T_975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// The 97.5% point of Student's t with `df` degrees of freedom: the table up to 30, then
/// the Cornish-Fisher expansion around the normal's 1.960, good to three decimals there.
fn t_975(df: usize) -> f64 {
    match df {
        0 => f64::INFINITY,
        1..=30 => T_975[df - 1],
        _ => {
            let (z, n) = (1.959_964f64, df as f64);
            z + (z.powi(3) + z) / (4.0 * n)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
        }
    }
}

/// The 95% interval of the mean, mean ± t·s/√n (Student's t, n − 1 degrees of freedom):
/// the average the lab asks for, with its uncertainty. None below
/// [`MIN_INTERVAL_SAMPLES`].
pub fn mean_interval(samples: &[f64]) -> Option<Interval> {
    let n = samples.len();
    if n < MIN_INTERVAL_SAMPLES || samples.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let mean = samples.iter().sum::<f64>() / n as f64;
    let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t_975(n - 1) * (var / n as f64).sqrt();
    Some(Interval {
        low: mean - half,
        high: mean + half,
        confidence: CONFIDENCE,
    })
}

/// The ratio of two medians, `a / b`, with a percentile-bootstrap interval when both sides
/// have [`MIN_INTERVAL_SAMPLES`] or more.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Ratio {
    pub value: f64,
    pub interval: Option<Interval>,
}

impl Ratio {
    /// True when the interval excludes 1: the two differ measurably. Without an interval
    /// nothing is measurable.
    pub fn is_significant(&self) -> bool {
        self.interval.is_some_and(|i| i.low > 1.0 || i.high < 1.0)
    }

    /// Whether the two figures differ: by the interval when there is one; for `exact`
    /// figures (sizes, one reading each) by the value; None when neither can say (a figure
    /// that varies, with too few runs for an interval).
    pub fn differs(&self, exact: bool) -> Option<bool> {
        match (self.interval, exact) {
            (Some(_), _) => Some(self.is_significant()),
            (None, true) => Some(self.value != 1.0),
            (None, false) => None,
        }
    }
}

/// Number of bootstrap resamples; 2,000 keeps the 2.5% and 97.5% points stable to a few
/// thousandths for the sample sizes used here.
const RESAMPLES: usize = 2000;

/// `median(a) / median(b)` with a 95% percentile-bootstrap interval, none when either side
/// has fewer than [`MIN_INTERVAL_SAMPLES`]. The generator is seeded so a report re-rendered
/// from the same samples shows the same interval.
pub fn ratio_of_medians(a: &[f64], b: &[f64]) -> Option<Ratio> {
    let median_of = |xs: &mut Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        quantile(xs, 0.5)
    };
    let (ma, mb) = (median_of(&mut a.to_vec()), median_of(&mut b.to_vec()));
    if a.is_empty() || b.is_empty() || mb == 0.0 || !ma.is_finite() || !mb.is_finite() {
        return None;
    }
    if a.len().min(b.len()) < MIN_INTERVAL_SAMPLES {
        return Some(Ratio {
            value: ma / mb,
            interval: None,
        });
    }
    let mut rng = fastrand::Rng::with_seed(0x5EED);
    let mut resample = |xs: &[f64]| -> f64 {
        let mut picked: Vec<f64> = (0..xs.len()).map(|_| xs[rng.usize(..xs.len())]).collect();
        median_of(&mut picked)
    };
    let mut ratios: Vec<f64> = (0..RESAMPLES)
        .filter_map(|_| {
            let (ra, rb) = (resample(a), resample(b));
            (rb != 0.0).then(|| ra / rb)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let alpha = (1.0 - CONFIDENCE) / 2.0;
    Some(Ratio {
        value: ma / mb,
        interval: Some(Interval {
            low: quantile(&ratios, alpha),
            high: quantile(&ratios, 1.0 - alpha),
            confidence: CONFIDENCE,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_samples() {
        let s = Summary::of(&[5.0, 1.0, 4.0, 2.0, 3.0]).unwrap();
        assert_eq!(
            (s.n, s.min, s.max, s.median, s.mean),
            (5, 1.0, 5.0, 3.0, 3.0)
        );
        assert!((s.stddev - 2.5f64.sqrt()).abs() < 1e-12);
        assert!((s.p95 - 4.8).abs() < 1e-12);
        assert_eq!(s.mad, 1.0);
        assert!(s.outliers.is_empty());
    }

    #[test]
    fn even_count_median_interpolates() {
        assert_eq!(Summary::of(&[1.0, 2.0, 3.0, 10.0]).unwrap().median, 2.5);
    }

    #[test]
    fn mad_flags_the_far_sample_only() {
        let mut xs = vec![10.0, 10.1, 9.9, 10.2, 9.8, 10.0, 10.1, 9.9];
        xs.push(30.0);
        let s = Summary::of(&xs).unwrap();
        assert_eq!(s.outliers, vec![8]);
        assert!(s.noisy, "cv {}", s.cv);
    }

    #[test]
    fn median_interval_matches_binomial_tables() {
        // For n = 20 the 95% interval is [x(6), x(15)], coverage 95.86%.
        let xs: Vec<f64> = (1..=20).map(f64::from).collect();
        let ci = Summary::of(&xs).unwrap().median_ci;
        assert_eq!((ci.low, ci.high), (6.0, 15.0));
        assert!((ci.confidence - 0.9586).abs() < 1e-4, "{}", ci.confidence);
        // Five samples cannot reach 95%: [min, max] at 93.75%.
        let ci = Summary::of(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap().median_ci;
        assert_eq!((ci.low, ci.high), (1.0, 5.0));
        assert!((ci.confidence - 0.9375).abs() < 1e-9);
    }

    #[test]
    fn mean_interval_is_student_t() {
        // 1..=10: mean 5.5, s = 3.0277, t(9) = 2.262, half-width 2.166.
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        let ci = Summary::of(&xs).unwrap().mean_ci.unwrap();
        assert!((ci.low - 3.334).abs() < 1e-3, "{}", ci.low);
        assert!((ci.high - 7.666).abs() < 1e-3, "{}", ci.high);
        assert_eq!(ci.confidence, CONFIDENCE);
        assert!(Summary::of(&[1.0]).unwrap().mean_ci.is_none());
        // Past the table the expansion meets the normal's 1.96 from above.
        assert!((t_975(30) - 2.042).abs() < 1e-3 && (t_975(31) - 2.040).abs() < 1e-3);
        assert!(t_975(10_000) > 1.96 && t_975(10_000) < 1.961);
    }

    #[test]
    fn empty_or_non_finite_has_no_summary() {
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[1.0, f64::NAN]).is_none());
    }

    #[test]
    fn ratio_interval_contains_value_and_detects_difference() {
        let a: Vec<f64> = (0..30).map(|i| 2.0 + (i % 5) as f64 * 0.01).collect();
        let b: Vec<f64> = (0..30).map(|i| 1.0 + (i % 5) as f64 * 0.01).collect();
        let r = ratio_of_medians(&a, &b).unwrap();
        assert!((r.value - 2.02 / 1.02).abs() < 1e-9);
        let i = r.interval.unwrap();
        assert!(i.low <= r.value && r.value <= i.high);
        assert!(r.is_significant());
        let same = ratio_of_medians(&b, &b).unwrap();
        assert!(!same.is_significant());
    }

    /// No interval, band or bootstrap from fewer than six samples: a ratio of five runs
    /// against thirty, however far apart, has a value and no interval, and is not called
    /// a difference; neither median nor mean of five has an interval.
    #[test]
    fn fewer_than_six_samples_give_no_interval_and_no_difference() {
        let five = [2.0, 2.01, 2.02, 2.03, 2.04];
        let thirty: Vec<f64> = (0..30).map(|i| 1.0 + (i % 5) as f64 * 0.01).collect();
        let r = ratio_of_medians(&five, &thirty).unwrap();
        assert!((r.value - 2.02 / 1.02).abs() < 1e-9);
        assert_eq!(r.interval, None);
        assert!(!r.is_significant());
        let s = Summary::of(&five).unwrap();
        assert_eq!((s.median_interval(), s.mean_interval()), (None, None));
        let six = Summary::of(&[2.0, 2.01, 2.02, 2.03, 2.04, 2.05]).unwrap();
        assert!(six.median_interval().is_some() && six.mean_interval().is_some());
        assert!(ratio_of_medians(&six_of(&five), &thirty)
            .unwrap()
            .is_significant());
    }

    /// A size (exact) differs by its value alone; a figure that varies only by an interval.
    #[test]
    fn exact_figures_differ_by_value_and_others_by_their_interval() {
        let one = ratio_of_medians(&[2.0], &[1.0]).unwrap();
        assert_eq!((one.differs(true), one.differs(false)), (Some(true), None));
        let same = ratio_of_medians(&[1.0], &[1.0]).unwrap();
        assert_eq!(same.differs(true), Some(false));
        let six = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98];
        let r = ratio_of_medians(&six, &six).unwrap();
        assert_eq!(
            (r.differs(true), r.differs(false)),
            (Some(false), Some(false))
        );
    }

    fn six_of(xs: &[f64]) -> Vec<f64> {
        xs.iter().chain(&xs[..1]).copied().collect()
    }
}

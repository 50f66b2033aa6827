//! The lab's curl series against a running host: cold (cache-busted requests spaced
//! apart), warm (the same URL, spaced apart, after one unrecorded request) and warm on a
//! kept-alive connection (one curl process, many URLs). Every transfer is checked (curl's
//! exit 0, status 200, the Moscow Time JSON); a series stops at its first failure and keeps
//! the samples taken before it.

use crate::app::timed_path;
use crate::curl::{self, Phases, Transfer};
use crate::expect;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wasmlab_model::metric::{Metric, Subject, Variant, SPIN_COLD, SPIN_KEEPALIVE, SPIN_WARM};
use wasmlab_model::results::Observation;

/// A host the series are run against.
pub struct Target {
    /// The host: the last part of the observation ids.
    pub variant: &'static Variant,
    /// `http://127.0.0.1:PORT` or `$SPIN_URL`, without a trailing slash.
    pub base: String,
}

impl Target {
    fn url(&self, cache_bust: bool) -> String {
        if cache_bust {
            // Nanoseconds since the epoch: unique per request, as the lab's `?_cold=$(date +%s%N)`.
            let ns = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            format!("{}{}?_cold={ns}", self.base, timed_path())
        } else {
            format!("{}{}", self.base, timed_path())
        }
    }

    fn https(&self) -> bool {
        self.base.starts_with("https://")
    }
}

/// Reads one figure of a transfer.
type Read = fn(&Phases) -> f64;

/// The phases curl splits a transfer into, beside its total: id part, meaning, reader.
const SPLITS: [(&str, &str, Read); 4] = [
    ("dns", "DNS lookup", |p| p.dns),
    ("connect", "TCP connect", |p| p.connect),
    ("tls", "TLS handshake", |p| p.tls.unwrap_or(0.0)),
    ("first-byte", "request sent to first byte", |p| p.first_byte),
];

/// One observation of a series: what it is about, what it measures, how a sample is read.
pub struct Split {
    pub subject: Subject,
    pub what: &'static str,
    value: Read,
}

/// The observations of series `series` of `variant`: the total, and for cold and warm
/// requests the phases (TLS only over https).
pub fn splits(series: &'static Metric, variant: &'static Variant, https: bool) -> Vec<Split> {
    let mut splits = vec![Split {
        subject: series.of(variant),
        what: "curl time_total",
        value: |p| p.total,
    }];
    if series != &SPIN_KEEPALIVE {
        splits.extend(
            SPLITS
                .iter()
                .filter(|(name, ..)| https || *name != "tls")
                .map(|(name, what, value)| Split {
                    subject: series.at(*name).of(variant),
                    what,
                    value: *value,
                }),
        );
    }
    splits
}

/// The three series, in the order they run.
pub const SERIES: [&Metric; 3] = [&SPIN_COLD, &SPIN_WARM, &SPIN_KEEPALIVE];

/// What one series of one host took.
#[derive(Default)]
pub struct Taken {
    phases: Vec<Phases>,
    error: Option<String>,
    /// Transfers that went over an already open connection.
    reused: usize,
}

impl Taken {
    /// Records `transfer` if it is correct; otherwise the series ends with the reason.
    fn record(&mut self, transfer: &Transfer) {
        match transfer.check(expect::cli_output) {
            Ok(()) => {
                self.phases.push(transfer.timings.phases());
                self.reused += usize::from(transfer.num_connects == 0);
            }
            Err(why) => self.fail(format!("request {}: {why}", self.phases.len() + 1)),
        }
    }

    fn fail(&mut self, why: String) {
        self.error.get_or_insert(why);
    }

    fn going(&self) -> bool {
        self.error.is_none()
    }

    /// Checks a transfer that is not recorded (a warm-up, a connection's opening).
    fn check_unrecorded(&mut self, transfer: Option<&Transfer>, what: &str) {
        match transfer.map(|t| t.check(expect::cli_output)) {
            Some(Ok(())) => {}
            Some(Err(why)) => self.fail(format!("{what}: {why}")),
            None => self.fail(format!("{what}: curl reported no transfer")),
        }
    }

    /// The observations of series `series` of `target`: one per split of [`splits`].
    pub fn observations(
        self,
        series: &'static Metric,
        target: &Target,
        what: &str,
        command: &str,
    ) -> Vec<Observation> {
        let n = self.phases.len();
        splits(series, target.variant, target.https())
            .into_iter()
            .map(|split| {
                let samples: Vec<f64> = self.phases.iter().map(split.value).collect();
                let label = format!("{}: {what}, {}", target.variant.label, split.what);
                let o = split
                    .subject
                    .label(label)
                    .concluded(command, samples, self.error.clone());
                if series == &SPIN_KEEPALIVE {
                    o.with_shown(format!("{} of {n} reused the connection", self.reused))
                } else {
                    o
                }
            })
            .collect()
    }
}

/// `n` rounds, one every `interval`; in each, one request to every target in turn (so drift
/// hits all alike). `cache_bust` gives every request a URL of its own; `warm_up` sends one
/// unrecorded request to each target first.
pub fn spaced(
    targets: &[Target],
    n: usize,
    interval: Duration,
    cache_bust: bool,
    warm_up: bool,
    options: curl::Options,
) -> Vec<Taken> {
    let mut taken: Vec<Taken> = targets.iter().map(|_| Taken::default()).collect();
    let request = |target: &Target, got: &mut Taken, record: bool| match curl::fetch(
        &[target.url(cache_bust)],
        options,
    ) {
        Ok(transfers) if record => transfers.iter().for_each(|t| got.record(t)),
        Ok(transfers) => got.check_unrecorded(transfers.first(), "warm-up request"),
        Err(e) => got.fail(format!("{e:#}")),
    };
    if warm_up {
        for (target, got) in targets.iter().zip(taken.iter_mut()) {
            request(target, got, false);
        }
    }
    let start = Instant::now();
    for round in 0..n {
        // With no target going (none was up, or every one failed) the remaining rounds
        // would only sleep.
        if !taken.iter().any(Taken::going) {
            break;
        }
        let at = start + interval * round as u32;
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
        for (target, got) in targets.iter().zip(taken.iter_mut()) {
            if got.going() {
                request(target, got, true);
            }
        }
    }
    taken
}

/// `n` requests back to back on one kept-alive connection: one curl process given `n + 1`
/// URLs; the first transfer opens the connection and is not recorded.
pub fn keepalive(target: &Target, n: usize, options: curl::Options) -> Taken {
    let mut got = Taken::default();
    let urls = vec![target.url(false); n + 1];
    match curl::fetch(&urls, options) {
        Ok(transfers) => {
            got.check_unrecorded(transfers.first(), "first request");
            for t in transfers.iter().skip(1) {
                if got.going() {
                    got.record(t);
                }
            }
        }
        Err(e) => got.fail(format!("{e:#}")),
    }
    got
}

/// The curl command of a series, for the report.
pub fn command(target: &Target, series: &Metric, options: curl::Options) -> String {
    let url = if series == &SPIN_COLD {
        format!("{}{}?_cold=<ns>", target.base, timed_path())
    } else {
        format!("{}{}", target.base, timed_path())
    };
    let one = curl::command_line(&url, options);
    if series == &SPIN_KEEPALIVE {
        format!("{one} (the URL given N+1 times to one curl process)")
    } else {
        one
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use wasmlab_model::metric::{DOCKER, REMOTE, SPIN};

    #[test]
    fn ids_split_cold_and_warm_but_not_keepalive() {
        let cold: Vec<String> = splits(&SPIN_COLD, &SPIN, false)
            .into_iter()
            .map(|s| s.subject.id.to_string())
            .collect();
        assert_eq!(
            cold,
            [
                "spin.cold.spin",
                "spin.cold-dns.spin",
                "spin.cold-connect.spin",
                "spin.cold-first-byte.spin"
            ]
        );
        assert_eq!(splits(&SPIN_WARM, &REMOTE, true).len(), 5);
        assert_eq!(splits(&SPIN_KEEPALIVE, &DOCKER, true).len(), 1);
    }

    #[test]
    fn a_series_with_no_host_up_ends_at_once() {
        let options = curl::Options {
            max_time: Duration::from_secs(1),
            cpu: None,
        };
        let started = Instant::now();
        let taken = spaced(&[], 20, Duration::from_secs(1), true, true, options);
        assert!(taken.is_empty());
        assert!(started.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn cold_urls_are_each_their_own() {
        let t = Target {
            variant: &DOCKER,
            base: "http://127.0.0.1:1".into(),
        };
        let (a, b) = (t.url(true), t.url(true));
        assert!(a.starts_with("http://127.0.0.1:1/api/time?_cold="), "{a}");
        assert_ne!(a, b);
        assert_eq!(t.url(false), "http://127.0.0.1:1/api/time");
    }
}

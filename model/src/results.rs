//! The `results.json` schema, owned here alone: what every probe writes and all that
//! `render` reads. Saved atomically and merged by observation id, so a partial run keeps
//! what it measured and a single probe can be re-run without losing the others.

use crate::metric::{Id, Subject};
pub use crate::metric::{Kind, Unit};
use crate::stats::Summary;
use anyhow::{bail, Context as _, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// Bumped on any change that an older `render` would misread. 2: one provenance record
/// per invocation (`invocations`), and each observation names the one that took it.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Results {
    pub schema_version: u32,
    /// Every measuring command (`measure run`, `measure spin`, ...) whose observations are
    /// in this file, oldest first; the last is the one writing now.
    pub invocations: Vec<Invocation>,
    pub observations: Vec<Observation>,
}

/// One measuring command: its number in this file and where and how it ran.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Invocation {
    pub number: u32,
    #[serde(flatten)]
    pub provenance: Provenance,
}

/// Names of settings an invocation records beside runs and warmups, written by the command
/// that used them and read by the report.
pub mod setting {
    /// Seconds between two cache-busted ("cold") requests of the Spin probe.
    pub const COLD_INTERVAL: &str = "cold interval (s)";
    /// Seconds between two warm requests of the Spin probe.
    pub const WARM_INTERVAL: &str = "warm interval (s)";
    /// The same two for the remote deployment.
    pub const REMOTE_COLD_INTERVAL: &str = "remote cold interval (s)";
    pub const REMOTE_WARM_INTERVAL: &str = "remote warm interval (s)";
    /// Process cold starts per host.
    pub const STARTS: &str = "starts";
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Provenance {
    /// RFC 3339, UTC.
    pub date: String,
    pub measure_version: String,
    pub command_line: String,
    pub git_commit: Option<String>,
    pub kernel: String,
    pub cpu_model: String,
    pub cores: usize,
    /// Tool name → its version line, for the tools found.
    pub tools: BTreeMap<String, String>,
    /// Variables that change performance (`RUST_BACKTRACE`, ...) → value, or "unset".
    pub environment: BTreeMap<String, String>,
    /// Runs, warmups and timeout in force.
    pub settings: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Status {
    Measured,
    Skipped { reason: String },
    Failed { error: String },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Observation {
    /// `<prefix>.<metric>[-<qualifier>].<variant>`, stable across runs; a text the
    /// catalogue does not know is an error when the file is read.
    pub id: Id,
    /// What a reader sees in a table.
    pub label: String,
    pub kind: Kind,
    pub unit: Unit,
    /// The exact command (or operation) measured.
    pub command: String,
    pub status: Status,
    /// Every raw sample, in the order taken.
    pub samples: Vec<f64>,
    pub summary: Option<Summary>,
    /// The value as the tool itself printed it (`docker images` shows "734kB"), when the
    /// lab asks for that form too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown: Option<String>,
    /// When this observation was taken (RFC 3339).
    pub taken_at: String,
    /// The number of the invocation that took it (see [`Results::invocations`]).
    pub invocation: u32,
}

/// The outcomes of a [`Subject`]: the one way an [`Observation`] is made.
impl Subject {
    /// Measured: the summary is computed from the samples.
    pub fn measured(self, command: impl Into<String>, samples: Vec<f64>) -> Observation {
        let summary = Summary::of(&samples);
        self.observation(command.into(), Status::Measured, samples, summary)
    }

    pub fn skipped(self, command: impl Into<String>, reason: impl Into<String>) -> Observation {
        let reason = reason.into();
        self.observation(command.into(), Status::Skipped { reason }, Vec::new(), None)
    }

    /// Failed before any valid sample.
    pub fn failed(self, command: impl Into<String>, error: impl Into<String>) -> Observation {
        self.failed_after(command, error, Vec::new())
    }

    /// Failed, keeping the samples that were valid before the failure.
    pub fn failed_after(
        self,
        command: impl Into<String>,
        error: impl Into<String>,
        samples: Vec<f64>,
    ) -> Observation {
        let error = error.into();
        self.observation(command.into(), Status::Failed { error }, samples, None)
    }

    /// Measured when no error stopped the series, otherwise failed with the samples that
    /// were valid before the error.
    pub fn concluded(
        self,
        command: impl Into<String>,
        samples: Vec<f64>,
        error: Option<String>,
    ) -> Observation {
        match error {
            None => self.measured(command, samples),
            Some(error) => self.failed_after(command, error, samples),
        }
    }

    /// A measurement from one fallible step: measured with its samples, or failed.
    pub fn outcome<E: std::fmt::Display>(
        self,
        command: impl Into<String>,
        outcome: Result<Vec<f64>, E>,
    ) -> Observation {
        match outcome {
            Ok(samples) => self.measured(command, samples),
            Err(e) => self.failed(command, e.to_string()),
        }
    }

    fn observation(
        self,
        command: String,
        status: Status,
        samples: Vec<f64>,
        summary: Option<Summary>,
    ) -> Observation {
        Observation {
            kind: self.id.metric.kind,
            unit: self.id.metric.unit,
            id: self.id,
            label: self.label,
            command,
            status,
            samples,
            summary,
            shown: None,
            taken_at: now_rfc3339(),
            invocation: 0,
        }
    }
}

/// Now, as RFC 3339 in UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Observation {
    /// The same observation, with the value as the tool showed it.
    pub fn with_shown(mut self, shown: impl Into<String>) -> Self {
        self.shown = Some(shown.into());
        self
    }

    pub fn is_measured(&self) -> bool {
        self.status == Status::Measured
    }

    /// The median of a measured observation with samples; None otherwise, never a
    /// stand-in number: a figure not measured is not zero.
    pub fn median(&self) -> Option<f64> {
        self.summary
            .as_ref()
            .filter(|_| self.is_measured())
            .map(|s| s.median)
    }
}

impl Results {
    /// An empty file whose first invocation is the one described by `provenance`.
    pub fn new(provenance: Provenance) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            invocations: vec![Invocation {
                number: 1,
                provenance,
            }],
            observations: Vec::new(),
        }
    }

    /// Where and how the latest invocation ran.
    pub fn provenance(&self) -> Option<&Provenance> {
        self.invocations.last().map(|i| &i.provenance)
    }

    /// The invocation that took `o`.
    pub fn invocation_of(&self, o: &Observation) -> Option<&Invocation> {
        self.invocations.iter().find(|i| i.number == o.invocation)
    }

    /// The setting `name` of the invocation that took `o`, read as a number.
    pub fn setting_of(&self, o: &Observation, name: &str) -> Option<f64> {
        self.invocation_of(o)?
            .provenance
            .settings
            .get(name)?
            .parse()
            .ok()
    }

    /// Starts a new invocation: what is merged from now on is its.
    fn begin(&mut self, provenance: Provenance) {
        let number = self.invocations.iter().map(|i| i.number).max().unwrap_or(0) + 1;
        self.invocations.push(Invocation { number, provenance });
    }

    pub fn get(&self, id: &Id) -> Option<&Observation> {
        self.observations.iter().find(|o| o.id == *id)
    }

    /// The first of `ids` that was measured and has samples.
    pub fn measured(&self, ids: &[Id]) -> Option<&Observation> {
        ids.iter()
            .filter_map(|id| self.get(id))
            .find(|o| o.is_measured() && o.summary.is_some())
    }

    /// The median of the first of `ids` that was measured.
    pub fn median(&self, ids: &[Id]) -> Option<f64> {
        self.measured(ids)?.median()
    }

    /// Replaces the observation with the same id, or adds it; others are kept. It is the
    /// latest invocation's; an earlier invocation none of whose observations is left goes.
    pub fn merge(&mut self, mut observation: Observation) {
        observation.invocation = self.invocations.last().map_or(0, |i| i.number);
        match self
            .observations
            .iter_mut()
            .find(|o| o.id == observation.id)
        {
            Some(slot) => *slot = observation,
            None => self.observations.push(observation),
        }
        let observations = &self.observations;
        let latest = self.invocations.last().map(|i| i.number);
        self.invocations.retain(|i| {
            Some(i.number) == latest || observations.iter().any(|o| o.invocation == i.number)
        });
    }

    /// Reads `path`. Errors name the file and what to do.
    pub fn load(path: &Path) -> Result<Self> {
        if path.is_dir() {
            bail!(
                "{} is a directory, not a results file: name the results.json inside it \
                 (--results)",
                path.display()
            );
        }
        let text = fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read {}: run `make report` (or `measure run`) first",
                path.display()
            )
        })?;
        Self::parse(&text)
            .with_context(|| format!("{} is not a wasmlab results file", path.display()))
    }

    /// Reads `path` if it exists, so a new run merges into it; a missing file is an empty
    /// result set, a malformed one an error (it is never silently overwritten).
    pub fn load_or_new(path: &Path, provenance: Provenance) -> Result<Self> {
        if !path.exists() {
            return Ok(Self::new(provenance));
        }
        let mut results = Self::load(path).context("move it away or delete it to start afresh")?;
        results.begin(provenance);
        Ok(results)
    }

    fn parse(text: &str) -> Result<Self> {
        #[derive(Deserialize)]
        struct Version {
            schema_version: u32,
        }
        let version: Version = serde_json::from_str(text).context("no schema_version")?;
        if version.schema_version != SCHEMA_VERSION {
            bail!(
                "schema_version {} is not the {} this measure reads; re-measure with `make report`",
                version.schema_version,
                SCHEMA_VERSION
            );
        }
        serde_json::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "{e} (written by another version of measure? re-measure with `make report`)"
            )
        })
    }

    /// Writes to a temporary file beside `path`, then renames it over `path`, so a reader
    /// (or an interruption) never sees half a file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut file = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        serde_json::to_writer_pretty(&mut file, self)?;
        file.write_all(b"\n")?;
        // The temporary file is private (0600); the results are for everyone to read, as
        // the file they replace was (its mode is kept when there is one).
        let mode = fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
        file.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set the mode of {}", file.path().display()))?;
        file.as_file().sync_all()?;
        file.persist(path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::{Better, DOCKER, FLOOR, LOAD_ERRORS, NATIVE_PROCESS, STARTUP_CLI};

    fn sample() -> Results {
        let mut r = Results::new(Provenance {
            kernel: "6.1".into(),
            cores: 2,
            ..Provenance::default()
        });
        r.merge(
            STARTUP_CLI
                .of(&NATIVE_PROCESS)
                .measured("MODE=once ./moscow-time", vec![0.001, 0.002, 0.0015]),
        );
        r.merge(
            STARTUP_CLI
                .of(&DOCKER)
                .skipped("docker run", "docker not found on PATH"),
        );
        r
    }

    #[test]
    fn a_saved_file_is_readable_by_all_or_keeps_the_mode_it_had() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        sample().save(&path).unwrap();
        assert_eq!(mode(&path), 0o644);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        sample().save(&path).unwrap();
        assert_eq!(mode(&path), 0o640);
    }

    #[test]
    fn a_directory_is_no_results_file_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        for e in [
            Results::load(dir.path()).unwrap_err(),
            Results::load_or_new(dir.path(), Provenance::default()).unwrap_err(),
        ] {
            let e = format!("{e:#}");
            assert!(
                e.contains("is a directory") && e.contains("--results"),
                "{e}"
            );
            assert!(!e.contains("make report"), "{e}");
        }
    }

    #[test]
    fn round_trips_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        let r = sample();
        r.save(&path).unwrap();
        assert_eq!(Results::load(&path).unwrap(), r);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(r#""status": "skipped""#), "{text}");
    }

    #[test]
    fn each_invocation_keeps_its_provenance_while_it_has_observations() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        sample().save(&path).unwrap();
        let spin = Provenance {
            command_line: "measure spin".into(),
            ..Provenance::default()
        };
        let mut r = Results::load_or_new(&path, spin).unwrap();
        r.merge(STARTUP_CLI.of(&FLOOR).measured("floor", vec![1e-4]));
        assert_eq!(r.invocations.len(), 2);
        let floor = r.get(&STARTUP_CLI.id(&FLOOR)).unwrap();
        let native = r.get(&STARTUP_CLI.id(&NATIVE_PROCESS)).unwrap();
        assert_eq!(
            r.invocation_of(floor).unwrap().provenance.command_line,
            "measure spin"
        );
        assert_eq!(r.invocation_of(native).unwrap().provenance.kernel, "6.1");
        // Once the first invocation's observations are all replaced, its record goes.
        r.merge(STARTUP_CLI.of(&NATIVE_PROCESS).measured("n", vec![1e-3]));
        r.merge(STARTUP_CLI.of(&DOCKER).measured("d", vec![0.2]));
        assert_eq!(r.invocations.len(), 1);
        assert_eq!(r.invocations[0].number, 2);
        r.save(&path).unwrap();
        assert_eq!(Results::load(&path).unwrap(), r);
    }

    #[test]
    fn merge_replaces_by_id_and_keeps_others() {
        let mut r = sample();
        r.merge(STARTUP_CLI.of(&DOCKER).failed("docker run", "exit 125"));
        assert_eq!(r.observations.len(), 2);
        assert!(matches!(
            r.get(&STARTUP_CLI.id(&DOCKER)).unwrap().status,
            Status::Failed { .. }
        ));
        assert!(r
            .get(&STARTUP_CLI.id(&NATIVE_PROCESS))
            .unwrap()
            .is_measured());
    }

    #[test]
    fn only_a_measured_observation_has_a_median() {
        let measured = STARTUP_CLI
            .of(&DOCKER)
            .measured("docker run", vec![0.2, 0.4, 0.3]);
        assert_eq!(measured.median(), Some(0.3));
        let failed = STARTUP_CLI
            .of(&DOCKER)
            .failed_after("docker run", "exit 125", vec![0.2]);
        assert_eq!(failed.median(), None);
        let skipped = STARTUP_CLI.of(&DOCKER).skipped("docker run", "no docker");
        assert_eq!(skipped.median(), None);
        let mut r = sample();
        r.merge(failed);
        assert_eq!(r.median(&[STARTUP_CLI.id(&DOCKER)]), None);
    }

    #[test]
    fn refuses_other_versions_and_malformed_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        fs::write(&path, r#"{"schema_version": 99}"#).unwrap();
        let err = format!("{:#}", Results::load(&path).unwrap_err());
        assert!(err.contains("schema_version 99"), "{err}");
        fs::write(&path, "{not json").unwrap();
        let err = format!("{:#}", Results::load(&path).unwrap_err());
        assert!(err.contains("results.json"), "{err}");
        assert!(Results::load_or_new(&path, Provenance::default()).is_err());
    }

    #[test]
    fn subjects_make_observations_with_the_metric_kind_and_unit() {
        let o = LOAD_ERRORS.at("c10").of(&DOCKER).measured("wrk", vec![0.0]);
        assert_eq!(o.id.to_string(), "load.errors-c10.docker");
        assert_eq!((o.kind, o.unit), (Kind::Load, Unit::PerSecond));
        assert_eq!(o.id.metric.better, Better::Lower);
        let o = STARTUP_CLI.of(&FLOOR).label("floor").failed("x", "gone");
        assert!(matches!(o.status, Status::Failed { .. }));
        assert_eq!(o.label, "floor");
    }
}

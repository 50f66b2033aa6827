//! The `results.json` schema, owned here alone: what every probe writes and all that
//! `render` reads. Saved atomically and merged by observation id, so a partial run keeps
//! what it measured and a single probe can be re-run without losing the others.

use crate::files;
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
/// per invocation (`invocations`), and each observation names the one that took it. 3: an
/// observation may carry a later attempt that did not measure (`later_attempt`).
pub const SCHEMA_VERSION: u32 = 3;
/// Older versions this one reads as they are (what they lack is optional here).
const READS_ALSO: &[u32] = &[2];

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
    /// The app measured; none in files written before apps had manifests (the Rust
    /// service, the default app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<App>,
}

/// An app as its manifest describes it, and the toolchain that built it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct App {
    /// Its name, the folder of its results (`report/<name>/`) and part of its image names.
    pub name: String,
    /// The language it is written in ("Rust", "Go").
    pub language: String,
    /// The toolchain's version as it prints it (`go version`, `rustc --version`).
    pub toolchain: String,
    /// Its source, as the manifest names it (`service/src/main.rs`, `apps/go/main.go`).
    pub source: String,
}

impl App {
    /// The name of the app of files that record none: the Rust service.
    pub const DEFAULT_NAME: &'static str = "moscow-time";

    /// The default app, the Rust service, as `service/app.toml` describes it; its toolchain
    /// is recorded with the other tools (rustc), so it is left empty here.
    pub fn rust_service() -> Self {
        Self {
            name: Self::DEFAULT_NAME.to_owned(),
            language: "Rust".to_owned(),
            toolchain: String::new(),
            source: "service/src/main.rs".to_owned(),
        }
    }

    /// Whether this is the default app, whose build this project knows (musl, its
    /// component, its in-process benches).
    pub fn is_default(&self) -> bool {
        self.name == Self::DEFAULT_NAME
    }

    /// The app of `provenance`'s invocation: the default app's name when it records none.
    pub fn name_of(provenance: &Provenance) -> &str {
        provenance
            .app
            .as_ref()
            .map_or(Self::DEFAULT_NAME, |a| a.name.as_str())
    }
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
    /// A later run of the same observation that was skipped, failed or interrupted: the
    /// measured figure above is kept, and this says what happened since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub later_attempt: Option<Attempt>,
}

/// What a later run of a measured observation came to, when it did not measure.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Attempt {
    pub status: Status,
    pub command: String,
    pub taken_at: String,
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
            later_attempt: None,
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
    /// latest invocation's. A measured observation is never replaced by one that did not
    /// measure: it stays, with the new outcome beside it as its `later_attempt`. An earlier
    /// invocation nothing refers to any more goes.
    pub fn merge(&mut self, observation: Observation) {
        let number = self.invocations.last().map_or(0, |i| i.number);
        self.merge_as(number, observation);
    }

    fn merge_as(&mut self, number: u32, mut observation: Observation) {
        observation.invocation = number;
        match self
            .observations
            .iter_mut()
            .find(|o| o.id == observation.id)
        {
            Some(kept) if kept.is_measured() && !observation.is_measured() => {
                kept.later_attempt = Some(Attempt {
                    status: observation.status,
                    command: observation.command,
                    taken_at: observation.taken_at,
                    invocation: number,
                });
            }
            Some(slot) => *slot = observation,
            None => self.observations.push(observation),
        }
        let observations = &self.observations;
        let latest = self.invocations.last().map(|i| i.number);
        self.invocations.retain(|i| {
            Some(i.number) == latest
                || observations.iter().any(|o| {
                    o.invocation == i.number
                        || o.later_attempt
                            .as_ref()
                            .is_some_and(|a| a.invocation == i.number)
                })
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
        if !path.exists() {
            bail!(
                "{} does not exist: run `make report` (or `measure run`) first",
                path.display()
            );
        }
        let text = files::read_regular_text(path, files::MAX_RESULTS_BYTES, "results file")?;
        Self::parse(&text)
            .with_context(|| format!("{} is not a wasmlab results file", path.display()))
    }

    /// Reads `path` if it exists, so a new run merges into it; a missing file is an empty
    /// result set, a malformed one an error (it is never silently overwritten).
    pub fn load_or_new(path: &Path, provenance: Provenance) -> Result<Self> {
        Self::read_or_new(path, provenance).map(|(results, _)| results)
    }

    /// The same, and the number of `provenance`'s invocation in it: the one already there
    /// when this process wrote before, a new one otherwise.
    fn read_or_new(path: &Path, provenance: Provenance) -> Result<(Self, u32)> {
        if !path.exists() {
            return Ok((Self::new(provenance), 1));
        }
        let mut results = Self::load(path).context("move it away or delete it to start afresh")?;
        let app = App::name_of(&provenance);
        if let Some(other) = results
            .invocations
            .iter()
            .map(|i| App::name_of(&i.provenance))
            .find(|name| *name != app)
        {
            bail!(
                "{} holds the results of the app {other:?}, not {app:?}: one file holds one app's \
                 results; name another with --results (make report APP=... writes report/<app>/)",
                path.display()
            );
        }
        if let Some(mine) = results
            .invocations
            .iter()
            .find(|i| i.provenance == provenance)
        {
            let number = mine.number;
            return Ok((results, number));
        }
        results.begin(provenance);
        let number = results.invocations.last().map_or(1, |i| i.number);
        Ok((results, number))
    }

    fn parse(text: &str) -> Result<Self> {
        #[derive(Deserialize)]
        struct Version {
            schema_version: u32,
        }
        let version: Version = serde_json::from_str(text).context("no schema_version")?;
        if version.schema_version != SCHEMA_VERSION && !READS_ALSO.contains(&version.schema_version)
        {
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
    /// (or an interruption) never sees half a file. Through a symlink, the file it points to
    /// is the one replaced (the link stays a link).
    pub fn save(&self, path: &Path) -> Result<()> {
        let resolved;
        let path = if path.is_symlink() {
            resolved = fs::canonicalize(path).with_context(|| {
                format!(
                    "{} is a symlink to a file that is not there",
                    path.display()
                )
            })?;
            resolved.as_path()
        } else {
            path
        };
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

/// A results file that several `measure` processes may write at once: every write reads
/// the file afresh, merges into it and saves it under an exclusive lock, so each writer's
/// observations and provenance survive the others'.
pub struct ResultsFile {
    path: std::path::PathBuf,
    provenance: Provenance,
}

impl ResultsFile {
    /// `path`, written on behalf of the invocation `provenance` describes. The file is read
    /// once now, so a malformed one is refused before anything is measured.
    pub fn open(path: &Path, provenance: Provenance) -> Result<Self> {
        Results::load_or_new(path, provenance.clone())?;
        Ok(Self {
            path: path.to_owned(),
            provenance,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Merges `observations` into the file as it is now, under the lock.
    pub fn merge(&self, observations: Vec<Observation>) -> Result<()> {
        let _lock = Lock::take(&self.path)?;
        let (mut results, number) = Results::read_or_new(&self.path, self.provenance.clone())?;
        for o in observations {
            results.merge_as(number, o);
        }
        results.save(&self.path)
    }
}

/// An exclusive lock on a results file: `.<name>.lock` beside it (the file itself is
/// replaced by a rename at every save, so it cannot carry the lock), holding the pid of
/// its holder for whoever waits.
struct Lock(fs::File);

impl Lock {
    fn take(path: &Path) -> Result<Self> {
        let name = path
            .file_name()
            .map_or("results".into(), |n| n.to_string_lossy());
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let lock_path = dir.join(format!(".{name}.lock"));
        let mut file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .with_context(|| format!("cannot open {}", lock_path.display()))?;
        if file.try_lock().is_err() {
            let holder = fs::read_to_string(&lock_path).unwrap_or_default();
            eprintln!(
                "measure: waiting for process {} to finish writing {}",
                holder.trim(),
                path.display()
            );
            file.lock()
                .with_context(|| format!("cannot lock {}", lock_path.display()))?;
        }
        file.set_len(0)?;
        write!(file, "{}", std::process::id())?;
        Ok(Self(file))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.0.set_len(0);
        let _ = self.0.unlock();
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

    /// A file holding an id this catalogue retired (or never had) is refused whole, on one
    /// line that names the id and the fix, never half-read.
    #[test]
    fn refuses_a_file_with_an_id_the_catalogue_does_not_know() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        let mut r = Results::new(Provenance::default());
        r.merge(STARTUP_CLI.of(&FLOOR).measured("floor", vec![0.001]));
        r.save(&path).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        fs::write(
            &path,
            text.replace("startup.cli.floor", "startup.cli.retired-runtime"),
        )
        .unwrap();
        let err = format!("{:#}", Results::load(&path).unwrap_err());
        assert!(err.contains("startup.cli.retired-runtime"), "{err}");
        assert!(err.contains("make report"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
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

    /// A re-run that does not measure (skipped, failed, interrupted) keeps the measured
    /// figure, with what happened beside it; a measured re-run replaces it.
    #[test]
    fn a_failed_re_run_keeps_the_measured_figure_and_says_what_happened() {
        let mut r = sample();
        r.begin(Provenance {
            command_line: "measure run --probe startup".into(),
            ..Provenance::default()
        });
        r.merge(STARTUP_CLI.of(&NATIVE_PROCESS).failed("run", "interrupted"));
        let kept = r.get(&STARTUP_CLI.id(&NATIVE_PROCESS)).unwrap();
        assert!(kept.is_measured());
        let later = kept.later_attempt.as_ref().expect("the failure beside it");
        assert_eq!(
            later.status,
            Status::Failed {
                error: "interrupted".into()
            }
        );
        assert_eq!(later.invocation, 2);
        // Both invocations stay: the figure's and the failure's.
        assert_eq!(r.invocations.len(), 2);
        // A skipped re-run (its runtime gone) keeps the figure alike.
        r.merge(
            STARTUP_CLI
                .of(&NATIVE_PROCESS)
                .skipped("run", "dockerd is down"),
        );
        let kept = r.get(&STARTUP_CLI.id(&NATIVE_PROCESS)).unwrap();
        assert!(kept.is_measured());
        assert_eq!(
            kept.later_attempt.as_ref().map(|a| &a.status),
            Some(&Status::Skipped {
                reason: "dockerd is down".into()
            })
        );
        r.merge(STARTUP_CLI.of(&NATIVE_PROCESS).measured("run", vec![0.002]));
        let now = r.get(&STARTUP_CLI.id(&NATIVE_PROCESS)).unwrap();
        assert_eq!((now.invocation, now.later_attempt.is_none()), (2, true));
    }

    /// Two writers at once (threads here; processes lock alike) each keep every
    /// observation and its own invocation.
    #[test]
    fn concurrent_writers_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        let writer = |variant: &'static crate::metric::Variant, line: &str| {
            let file = ResultsFile::open(
                &path,
                Provenance {
                    command_line: line.into(),
                    ..Provenance::default()
                },
            )
            .unwrap();
            move || {
                for i in 0..20 {
                    let o = STARTUP_CLI
                        .of(variant)
                        .measured("run", vec![i as f64 + 1.0]);
                    file.merge(vec![o]).unwrap();
                }
            }
        };
        let a = std::thread::spawn(writer(&FLOOR, "measure run --probe a"));
        let b = std::thread::spawn(writer(&DOCKER, "measure run --probe b"));
        a.join().unwrap();
        b.join().unwrap();
        let r = Results::load(&path).unwrap();
        assert_eq!(r.observations.len(), 2);
        assert_eq!(r.invocations.len(), 2, "each writer's provenance is kept");
        assert!(r.observations.iter().all(|o| o.samples == [20.0]));
    }

    /// One file holds one app's results: a second app's invocation is refused with the fix,
    /// and the file stays as it was. A file that records no app is the default app's.
    #[test]
    fn a_second_app_is_refused_in_one_results_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        let app = |name: &str| Provenance {
            command_line: format!("measure run --app {name}"),
            app: Some(App {
                name: name.into(),
                language: "Go".into(),
                ..App::default()
            }),
            ..Provenance::default()
        };
        ResultsFile::open(&path, Provenance::default())
            .unwrap()
            .merge(vec![STARTUP_CLI
                .of(&NATIVE_PROCESS)
                .measured("run", vec![0.002])])
            .unwrap();
        let before = fs::read(&path).unwrap();
        let err = format!("{:#}", ResultsFile::open(&path, app("go")).err().unwrap());
        assert!(
            err.contains("\"moscow-time\"") && err.contains("\"go\""),
            "{err}"
        );
        assert!(err.contains("--results"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), before);
        let named = Provenance {
            app: Some(App {
                name: App::DEFAULT_NAME.into(),
                ..App::default()
            }),
            ..Provenance::default()
        };
        assert!(ResultsFile::open(&path, named).is_ok());
    }

    /// Saving through a symlink replaces the file it points to; the link stays a link.
    #[test]
    fn a_symlinked_results_path_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.json");
        let link = dir.path().join("results.json");
        sample().save(&target).unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let mut r = Results::load(&link).unwrap();
        r.merge(STARTUP_CLI.of(&FLOOR).measured("floor", vec![0.0003]));
        r.save(&link).unwrap();
        assert!(link.is_symlink());
        assert_eq!(Results::load(&target).unwrap().observations.len(), 3);
        let err = format!("{:#}", Results::load(Path::new("/dev/zero")).unwrap_err());
        assert!(err.contains("not a regular file"), "{err}");
    }
}

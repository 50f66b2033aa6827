//! What every probe is given: the built artifacts, the run options, and which runtimes
//! answer.

use crate::tools;
use anyhow::{bail, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;
use wasmlab_hosts::engine::{Engine, EngineHost};
use wasmlab_model::metric::Subject;
use wasmlab_model::results::Observation;

pub struct Ctx {
    /// The static native service binary.
    pub native: PathBuf,
    /// The service compiled to wasm32-wasip1.
    pub wasm: PathBuf,
    /// The service compiled to wasm32-wasip2, a wasi:http component. Optional: the probes
    /// that serve it fail with the fix when it is missing.
    pub component: PathBuf,
    /// The service built as a wasi:http@0.3 component, or why there is none (an app's
    /// build makes none). Optional as the component is.
    pub component_p3: Result<PathBuf, String>,
    /// The same module compiled ahead of time by the embedded wasmtime with cranelift
    /// (written by `run`, as are the other engines' beside it).
    pub precompiled: PathBuf,
    /// The engines `run` could not precompile the module for, with the error.
    pub precompile_errors: Vec<(Engine, String)>,
    /// A static binary that does nothing: the floor of spawn-to-exit timings.
    pub floor: PathBuf,
    /// The Dockerfile of the traditional image.
    pub dockerfile: PathBuf,
    /// Where `measure` keeps what it derives from the artifacts (docker build context, ...).
    pub work_dir: PathBuf,
    /// This executable, which runs wasm modules as processes (`measure exec`).
    pub measure: PathBuf,
    pub runs: usize,
    pub warmup: usize,
    /// Longest a single run may take before it is killed and the variant fails.
    pub timeout: Duration,
    /// How long each load run lasts.
    pub load_duration: Duration,
    /// A missing runtime is an error rather than a skip (`REQUIRE_RUNTIMES=1`, set in CI).
    pub require_runtimes: bool,
    /// The stress probe's counts.
    pub stress: Stress,
    /// Why the component's probes are skipped: the app has none.
    pub no_component: Option<String>,
    /// The app's TinyGo module, or why it was not built; `None` when it names none.
    pub tinygo: Option<crate::app::TinyGo>,
    docker: OnceLock<Result<String, String>>,
}

/// The built artifacts a run measures.
pub struct Artifacts {
    pub native: PathBuf,
    pub wasm: PathBuf,
    pub floor: PathBuf,
    pub dockerfile: PathBuf,
    /// This executable (`measure exec`, `measure wagi`, `measure serve-http`).
    pub measure: PathBuf,
    /// The wasi:http component; beside the wasm module's target directory when `None`.
    pub component: Option<PathBuf>,
    /// The wasi:http@0.3 component; beside the component, under `dist-p3`, when `None`.
    pub component_p3: Option<PathBuf>,
}

/// How a run measures.
#[derive(Debug, Clone)]
pub struct Options {
    pub runs: usize,
    pub warmup: usize,
    pub timeout: Duration,
    pub require_runtimes: bool,
    pub load_duration: Duration,
    pub stress: Stress,
}

/// How many tasks the stress probe runs through containerd's API: per runtime and
/// concurrency level, `rounds` rounds of `tasks` tasks with at most `level` in flight.
/// `measure run` bounds each count when it parses its flags (see [`Stress::MAX_TASKS`] and
/// the others), so the probe's time stays bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stress {
    pub tasks: usize,
    pub rounds: usize,
    pub concurrency: Vec<usize>,
}

impl Stress {
    pub const MAX_TASKS: usize = 200;
    pub const MAX_ROUNDS: usize = 10;
    pub const MAX_CONCURRENCY: usize = 64;
    pub const MAX_LEVELS: usize = 4;

    /// Each round holds at least as many tasks as the highest level keeps in flight, or
    /// the level would name a concurrency never reached.
    pub fn check(&self) -> Result<()> {
        if let Some(level) = self.concurrency.iter().find(|c| **c > self.tasks) {
            bail!(
                "--stress-concurrency {level} is above --stress-tasks {}: raise the task count \
                 or lower the level",
                self.tasks
            );
        }
        Ok(())
    }

    /// As provenance records it.
    pub fn setting(&self) -> String {
        format!(
            "{} tasks x {} rounds at concurrency {:?}",
            self.tasks, self.rounds, self.concurrency
        )
    }
}

impl Default for Stress {
    /// About a minute on 2 cores for runc and the shim's three engines.
    fn default() -> Self {
        Self {
            tasks: 16,
            rounds: 3,
            concurrency: vec![1, 4, 16],
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            runs: 20,
            warmup: 3,
            timeout: Duration::from_secs(60),
            require_runtimes: false,
            load_duration: Duration::from_secs(5),
            stress: Stress::default(),
        }
    }
}

impl Ctx {
    pub fn new(artifacts: Artifacts, options: Options) -> Self {
        let Artifacts {
            native,
            wasm,
            floor,
            dockerfile,
            measure,
            component,
            component_p3,
        } = artifacts;
        let work_dir = native
            .parent()
            .map_or_else(|| PathBuf::from("target/measure"), |d| d.join("measure"));
        // target/wasm32-wasip1/dist/x.wasm → target/wasm32-wasip2/dist/x.wasm
        let component = component.unwrap_or_else(|| {
            wasm.iter()
                .map(|part| match part.to_str() {
                    Some("wasm32-wasip1") => std::ffi::OsStr::new("wasm32-wasip2"),
                    _ => part,
                })
                .collect()
        });
        // target/wasm32-wasip2/dist/x.wasm → target/wasm32-wasip2/dist-p3/x.wasm
        let component_p3 = component_p3.unwrap_or_else(|| {
            let profiles = component.parent().and_then(|dist| dist.parent());
            let name = component.file_name().unwrap_or_default();
            profiles.map_or_else(PathBuf::new, |dir| dir.join("dist-p3").join(name))
        });
        Self {
            precompiled: Engine::Cranelift.precompiled_path(&wasm),
            precompile_errors: Vec::new(),
            component,
            component_p3: Ok(component_p3),
            native,
            wasm,
            floor,
            dockerfile,
            work_dir,
            measure,
            runs: options.runs,
            warmup: options.warmup,
            timeout: options.timeout,
            require_runtimes: options.require_runtimes,
            load_duration: options.load_duration,
            stress: options.stress,
            no_component: None,
            tinygo: None,
            docker: OnceLock::new(),
        }
    }

    /// Why the wasi:http component cannot be served: the app has none, or it is not built.
    pub fn component_missing(&self) -> Option<String> {
        if let Some(reason) = &self.no_component {
            return Some(reason.clone());
        }
        (!self.component.is_file()).then(|| {
            format!(
                "no wasi:http component at {}: run `make build` (or set WASI_HTTP_COMPONENT)",
                self.component.display()
            )
        })
    }

    /// The wasi:http@0.3 component, or why it cannot be served: the app has none, or it is
    /// not built.
    pub fn built_component_p3(&self) -> Result<&Path, String> {
        if let Some(reason) = &self.no_component {
            return Err(reason.clone());
        }
        match &self.component_p3 {
            Err(reason) => Err(reason.clone()),
            Ok(path) if !path.is_file() => Err(format!(
                "no wasi:http@0.3 component at {}: run `make build` (or set \
                 WASI_HTTP_P3_COMPONENT)",
                path.display()
            )),
            Ok(path) => Ok(path),
        }
    }

    /// Checks that the artifacts exist, so a missing build is one clear error up front.
    pub fn check_artifacts(&self) -> Result<()> {
        for path in [&self.native, &self.wasm, &self.floor] {
            if !path.is_file() {
                bail!("{} not found: run `make build` first", path.display());
            }
        }
        if self.runs == 0 {
            bail!("--runs must be at least 1");
        }
        Ok(())
    }

    /// Warmups, runs and timeout of a benchmark.
    pub fn plan(&self) -> crate::runner::Plan {
        crate::runner::Plan {
            warmup: self.warmup,
            runs: self.runs,
            timeout: self.timeout,
        }
    }

    /// The settings recorded in provenance.
    pub fn settings(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("runs".to_owned(), self.runs.to_string()),
            ("warmup".to_owned(), self.warmup.to_string()),
            ("timeout".to_owned(), format!("{:?}", self.timeout)),
            (
                "require runtimes".to_owned(),
                self.require_runtimes.to_string(),
            ),
        ])
    }

    /// The docker daemon's version when it answers, else why not and how to fix it.
    /// Asked once per run: a client on PATH without a daemon does not count.
    pub fn docker(&self) -> Result<&str, &str> {
        self.docker
            .get_or_init(|| {
                tools::DOCKER.which()?;
                tools::query(Command::new("docker").args(["info", "--format", "{{.ServerVersion}}"]))
                    .map_err(|e| format!("the docker daemon does not answer ({e}); as root, `make setup` starts dockerd"))
            })
            .as_deref()
            .map_err(String::as_str)
    }

    /// Precompiles the module for every wasmtime engine, stale files removed first. A
    /// failure of cranelift's (the lab's own AOT figures) ends the run; another engine's is
    /// kept, and its precompiled rows fail with it.
    pub fn precompile(&mut self) -> Result<()> {
        for engine in Engine::ALL.into_iter().filter(|e| e.precompiles()) {
            let out = engine.precompiled_path(&self.wasm);
            let _ = std::fs::remove_file(&out);
            let done = EngineHost::new(engine).and_then(|r| r.precompile(&self.wasm, &out));
            match done {
                Ok(()) => {}
                Err(e) if engine == Engine::Cranelift => return Err(e),
                Err(e) => self.precompile_errors.push((engine, format!("{e:#}"))),
            }
        }
        Ok(())
    }

    /// The module precompiled for `engine`, or why there is none.
    pub fn precompiled_for(&self, engine: Engine) -> Result<PathBuf, String> {
        match self.precompile_errors.iter().find(|(e, _)| *e == engine) {
            Some((_, error)) => Err(format!(
                "precompiling for {} failed: {error}",
                engine.name()
            )),
            None if !engine.precompiles() => {
                Err(format!("{} has no precompiled form", engine.name()))
            }
            None => Ok(engine.precompiled_path(&self.wasm)),
        }
    }

    /// The observation for something that could not be measured because a runtime is
    /// missing: skipped with the reason, or failed when runtimes are required or when it
    /// is containerd that stopped answering during this run (it was there: the run failed).
    pub fn unavailable(
        &self,
        subject: Subject,
        command: impl Into<String>,
        reason: &str,
    ) -> Observation {
        if crate::runtime::containerd::stopped().is_err_and(|stopped| reason.contains(&stopped)) {
            return subject.failed(command, reason);
        }
        self.lacking(true, subject, command, reason)
    }

    /// The observation for something that needs `tool`, which is not on PATH: as
    /// [`Ctx::unavailable`] when CI requires the tool, skipped with its fix when it is an
    /// optional extra, so every probe treats a missing tool alike.
    pub fn without(
        &self,
        tool: &tools::Known,
        subject: Subject,
        command: impl Into<String>,
    ) -> Observation {
        self.lacking(tool.required, subject, command, &tool.missing())
    }

    /// Something `required` (by CI) is missing for `subject`: failed under
    /// REQUIRE_RUNTIMES, skipped otherwise; an optional one is always skipped, and so is
    /// a row the app has nothing for (no wasi:http component).
    pub fn lacking(
        &self,
        required: bool,
        subject: Subject,
        command: impl Into<String>,
        reason: &str,
    ) -> Observation {
        // Not a runtime that is missing: the app has nothing to run there.
        let not_applicable = self.no_component.as_deref() == Some(reason)
            || self.component_p3.as_ref().err().map(String::as_str) == Some(reason);
        if required && self.require_runtimes && !not_applicable {
            subject.failed(command, format!("REQUIRE_RUNTIMES is set and {reason}"))
        } else {
            subject.skipped(command, reason)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Stress;

    #[test]
    fn a_stress_level_above_the_task_count_is_refused_with_the_fix() {
        assert!(Stress::default().check().is_ok());
        let stress = Stress {
            tasks: 4,
            rounds: 1,
            concurrency: vec![1, 16],
        };
        let err = stress
            .check()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("--stress-concurrency 16"), "{err}");
        assert!(err.contains("--stress-tasks 4"), "{err}");
    }
}

//! What every probe is given: the built artifacts, the run options, and which runtimes
//! answer.

use crate::results::{Kind, Observation, Unit};
use crate::tools;
use anyhow::{bail, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// Tag of the traditional (native, `FROM scratch`) image.
pub const DOCKER_IMAGE: &str = "wasmlab/moscow-time:latest";
/// Label on every container `measure` starts, so a person (and a test) can find them all.
pub const CONTAINER_LABEL: &str = "wasmlab=1";

/// Label of the containers of this `measure` process, so its cleanup removes its own and
/// never those of another run going on at the same time.
pub fn run_label() -> String {
    format!("wasmlab.run={}", std::process::id())
}

pub struct Ctx {
    /// The static native service binary.
    pub native: PathBuf,
    /// The service compiled to wasm32-wasip1.
    pub wasm: PathBuf,
    /// The service compiled to wasm32-wasip2, a wasi:http component. Optional: the probes
    /// that serve it fail with the fix when it is missing.
    pub component: PathBuf,
    /// The same module compiled ahead of time by the embedded wasmtime (written by `run`).
    pub precompiled: PathBuf,
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
    docker: OnceLock<Result<String, String>>,
}

impl Ctx {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        native: PathBuf,
        wasm: PathBuf,
        floor: PathBuf,
        dockerfile: PathBuf,
        measure: PathBuf,
        runs: usize,
        warmup: usize,
        timeout: Duration,
        require_runtimes: bool,
    ) -> Self {
        let work_dir = native
            .parent()
            .map_or_else(|| PathBuf::from("target/measure"), |d| d.join("measure"));
        // target/wasm32-wasip1/dist/x.wasm → target/wasm32-wasip2/dist/x.wasm
        let component = wasm
            .iter()
            .map(|part| match part.to_str() {
                Some("wasm32-wasip1") => std::ffi::OsStr::new("wasm32-wasip2"),
                _ => part,
            })
            .collect();
        Self {
            precompiled: wasm.with_extension("cwasm"),
            component,
            native,
            wasm,
            floor,
            dockerfile,
            work_dir,
            measure,
            runs,
            warmup,
            timeout,
            require_runtimes,
            load_duration: Duration::from_secs(5),
            docker: OnceLock::new(),
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
                if which::which("docker").is_err() {
                    return Err("docker not found on PATH; as root, `make setup` installs docker.io".into());
                }
                tools::query(Command::new("docker").args(["info", "--format", "{{.ServerVersion}}"]))
                    .map_err(|e| format!("the docker daemon does not answer ({e}); as root, `make setup` starts dockerd"))
            })
            .as_deref()
            .map_err(String::as_str)
    }

    /// The observation for something that could not be measured because a runtime is
    /// missing: skipped with the reason, or failed when runtimes are required.
    pub fn unavailable(
        &self,
        id: &str,
        label: &str,
        kind: Kind,
        unit: Unit,
        command: String,
        reason: &str,
    ) -> Observation {
        if self.require_runtimes {
            let error = format!("REQUIRE_RUNTIMES is set and {reason}");
            Observation::failed(id, label, kind, unit, command, error, Vec::new())
        } else {
            Observation::skipped(id, label, kind, unit, command, reason.to_owned())
        }
    }
}

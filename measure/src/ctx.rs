//! What every probe is given: the built artifacts and the run options.

use anyhow::{bail, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub struct Ctx {
    /// The static native service binary.
    pub native: PathBuf,
    /// The service compiled to wasm32-wasip1.
    pub wasm: PathBuf,
    /// The same module compiled ahead of time by the embedded wasmtime (written by `run`).
    pub precompiled: PathBuf,
    /// A static binary that does nothing: the floor of spawn-to-exit timings.
    pub floor: PathBuf,
    /// This executable, which runs wasm modules as processes (`measure exec`).
    pub measure: PathBuf,
    pub runs: usize,
    pub warmup: usize,
    /// Longest a single run may take before it is killed and the variant fails.
    pub timeout: Duration,
}

impl Ctx {
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
        ])
    }
}

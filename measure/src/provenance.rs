//! Where a measurement was taken: machine, software, settings and the environment
//! variables known to change performance.

use crate::tools;
use std::collections::BTreeMap;
use std::process::Command;
use wasmlab_hosts::engine::Engine;
use wasmlab_model::results::{now_rfc3339, Provenance};

/// Variables that change what is measured: backtrace capture and debug logging slow
/// wasmtime and the shim; allocator and loader variables change every process.
const PERFORMANCE_VARIABLES: &[&str] = &[
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
    "RUST_LOG",
    "WASMTIME_BACKTRACE_DETAILS",
    "WASMTIME_LOG",
    "MALLOC_ARENA_MAX",
    "LD_PRELOAD",
];

/// The provenance of a run made now with `settings`.
pub fn collect(settings: BTreeMap<String, String>) -> Provenance {
    let mut environment: BTreeMap<String, String> = PERFORMANCE_VARIABLES
        .iter()
        .map(|name| {
            (
                name.to_string(),
                std::env::var(name).unwrap_or_else(|_| "unset".into()),
            )
        })
        .collect();
    if let Some(governor) = read_trimmed("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") {
        environment.insert("cpu frequency governor".into(), governor);
    }
    Provenance {
        date: now_rfc3339(),
        measure_version: env!("CARGO_PKG_VERSION").to_owned(),
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
        git_commit: git_commit(),
        kernel: read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".into()),
        cpu_model: cpu_model().unwrap_or_else(|| "unknown".into()),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        tools: tools::discover()
            .into_iter()
            .filter_map(|t| Some((t.name.to_owned(), t.version.ok()?)))
            // The engines built into measure, each figure's engine named with its version.
            .chain(Engine::ALL.map(|e| (format!("engine {}", e.name()), e.describe())))
            .collect(),
        environment,
        settings,
        app: Some(crate::app::current().clone()),
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    Some(std::fs::read_to_string(path).ok()?.trim().to_owned())
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("model name"))?;
    Some(line.split_once(':')?.1.trim().to_owned())
}

/// The commit of the working tree, with `-dirty` when it has uncommitted changes.
fn git_commit() -> Option<String> {
    let commit = tools::query(Command::new("git").args(["rev-parse", "HEAD"])).ok()?;
    let dirty =
        tools::query(Command::new("git").args(["status", "--porcelain", "--untracked-files=no"]))
            .map(|s| !s.is_empty())
            .unwrap_or(false);
    Some(if dirty {
        format!("{commit}-dirty")
    } else {
        commit
    })
}

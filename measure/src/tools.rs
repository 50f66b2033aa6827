//! The tools and runtimes `measure` can use, found on PATH with `which`, with their versions.
//! A daemon counts as present only when it answers, not when its client is installed.

use crate::runner::{run_once, Exit};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// How long a version query may take before the tool is reported as not answering.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// A tool the bench knows, and how to ask its version.
pub struct Known {
    pub name: &'static str,
    pub version_args: &'static [&'static str],
    /// What the tool is for in this project, and how to get it.
    pub note: &'static str,
    /// The version query exits non-zero even when it works (wrk prints its version with
    /// its usage).
    pub version_exits_nonzero: bool,
    /// Reads the version from the query's output; its first line when `None`.
    pub read: Option<fn(&str) -> Option<String>>,
}

const fn known(
    name: &'static str,
    version_args: &'static [&'static str],
    note: &'static str,
) -> Known {
    Known {
        name,
        version_args,
        note,
        version_exits_nonzero: false,
        read: None,
    }
}

/// The `Version:` lines of a report in sections (`Client:`, `Server:`), as
/// "client 1.6.20, server 1.6.20": ctr and the shim answer this way.
fn sectioned_versions(text: &str) -> Option<String> {
    let mut section = "";
    let mut found = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if !line.starts_with(char::is_whitespace) && trimmed.ends_with(':') {
            section = trimmed.trim_end_matches(':');
        } else if let Some(version) = trimmed.strip_prefix("Version:") {
            found.push(format!("{} {}", section.to_lowercase(), version.trim()));
        }
    }
    (!found.is_empty()).then(|| found.join(", "))
}

pub const KNOWN: &[Known] = &[
    known("rustc", &["--version"], "builds everything (rustup)"),
    known("cargo", &["--version"], "builds everything (rustup)"),
    known(
        "docker",
        &[
            "version",
            "--format",
            "client {{.Client.Version}}, daemon {{.Server.Version}}",
        ],
        "traditional container (apt-get install docker.io; make setup starts dockerd)",
    ),
    Known {
        read: Some(sectioned_versions),
        ..known(
            "ctr",
            &["--connect-timeout", "2s", "version"],
            "containerd client (apt-get install containerd; make setup starts containerd)",
        )
    },
    known(
        "runc",
        &["--version"],
        "OCI runtime for native containers (apt-get install runc)",
    ),
    // The shim's command line is containerd-shim-wasm's: `-v` prints its version.
    Known {
        read: Some(sectioned_versions),
        ..known(
            "containerd-shim-wasmtime-v1",
            &["-v"],
            "wasm containers under containerd (built by make setup)",
        )
    },
    known(
        "wasmtime",
        &["--version"],
        "standalone wasmtime CLI (make setup-extras)",
    ),
    known(
        "spin",
        &["--version"],
        "Spin CLI (not installable from package registries here)",
    ),
    known(
        "hyperfine",
        &["--version"],
        "cross-check of startup timings (apt-get install hyperfine)",
    ),
    Known {
        version_exits_nonzero: true,
        ..known(
            "wrk",
            &["--version"],
            "HTTP load generator (apt-get install wrk)",
        )
    },
    known(
        "curl",
        &["--version"],
        "request timing (apt-get install curl)",
    ),
];

/// What was found of one tool.
#[derive(Debug, Clone)]
pub struct Found {
    pub name: &'static str,
    pub path: Option<PathBuf>,
    /// First line of its version output; `Err` says why there is none.
    pub version: Result<String, String>,
}

/// Looks up every known tool.
pub fn discover() -> Vec<Found> {
    KNOWN.iter().map(find).collect()
}

/// Looks up one known tool.
pub fn find(known: &Known) -> Found {
    let path = which::which(known.name).ok();
    let version = match &path {
        None => Err(format!("{} not found on PATH", known.name)),
        Some(path) => {
            let mut cmd = Command::new(path);
            cmd.args(known.version_args);
            match known.read {
                Some(read) => output(&mut cmd).and_then(|text| {
                    read(&text).ok_or_else(|| format!("no version in {:?}", first_line(&text)))
                }),
                None if known.version_exits_nonzero => output_line(&mut cmd),
                None => query(&mut cmd),
            }
        }
    };
    Found {
        name: known.name,
        path,
        version,
    }
}

/// Runs a version (or liveness) query; its first non-empty output line, or why it failed.
pub fn query(cmd: &mut Command) -> Result<String, String> {
    match run_once(cmd, QUERY_TIMEOUT) {
        Ok(run) if run.exit == Exit::Code(0) => Ok(first_line(&run.stdout)
            .or_else(|| first_line(&run.stderr))
            .unwrap_or_default()),
        Ok(run) => Err(format!("{}: {}", run.exit, run.stderr_tail())),
        Err(e) => Err(e.to_string()),
    }
}

/// The whole standard output of `cmd`, which must exit 0.
fn output(cmd: &mut Command) -> Result<String, String> {
    match run_once(cmd, QUERY_TIMEOUT) {
        Ok(run) if run.exit == Exit::Code(0) => Ok(run.stdout),
        Ok(run) => Err(format!("{}: {}", run.exit, run.stderr_tail())),
        Err(e) => Err(e.to_string()),
    }
}

/// The first output line of `cmd`, whatever its exit status.
fn output_line(cmd: &mut Command) -> Result<String, String> {
    let run = run_once(cmd, QUERY_TIMEOUT).map_err(|e| e.to_string())?;
    first_line(&run.stdout)
        .or_else(|| first_line(&run.stderr))
        .ok_or_else(|| format!("{}: no output", run.exit))
}

fn first_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::sectioned_versions;

    #[test]
    fn ctr_and_the_shim_answer_in_sections() {
        let ctr = "Client:\n  Version:  1.6.20~ds1\n  Revision: x\n\nServer:\n  Version:  1.6.20~ds1\n  UUID: u\n";
        assert_eq!(
            sectioned_versions(ctr).as_deref(),
            Some("client 1.6.20~ds1, server 1.6.20~ds1")
        );
        let shim = "containerd-shim-wasmtime-v1:\n  Runtime: wasmtime\n  Version: 0.1.0\n  Revision: c6ada97\n";
        assert_eq!(
            sectioned_versions(shim).as_deref(),
            Some("containerd-shim-wasmtime-v1 0.1.0")
        );
        assert_eq!(sectioned_versions("Client:\n"), None);
    }
}

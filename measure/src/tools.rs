//! The tools and runtimes `measure` can use, found on PATH with `which`, with their versions.
//! A daemon counts as present only when it answers, not when its client is installed.

use crate::runner::{run_once, Exit};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use wasmlab_shim_contract::{ShimEngine, SHIM_ENGINES};

/// How long a version query may take before the tool is reported as not answering.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// A tool the bench knows, and how to ask its version.
#[derive(Clone, Copy)]
pub struct Known {
    pub name: &'static str,
    pub version_args: &'static [&'static str],
    /// What the tool is for in this project.
    pub note: &'static str,
    /// Whether CI needs it: with `REQUIRE_RUNTIMES=1` a probe that cannot run without it
    /// fails. An optional extra (no Debian package installs it) is skipped with its fix
    /// wherever it is missing, whatever `REQUIRE_RUNTIMES` says.
    pub required: bool,
    /// How to get it, as the second half of "X not found on PATH; <fix>".
    pub fix: &'static str,
    /// The Debian package that installs it, when one does (`scripts/setup.sh` or
    /// `.ci/run` installs every required one).
    pub package: Option<&'static str>,
    /// The version query exits non-zero even when it works (wrk prints its version with
    /// its usage).
    pub version_exits_nonzero: bool,
    /// Reads the version from the query's output; its first line when `None`.
    pub read: Option<fn(&str) -> Option<String>>,
}

/// A tool CI requires (`make setup` or `.ci/run` installs it as root); an optional extra
/// sets `required: false`.
const fn known(
    name: &'static str,
    version_args: &'static [&'static str],
    note: &'static str,
    fix: &'static str,
) -> Known {
    Known {
        name,
        version_args,
        note,
        required: true,
        fix,
        package: None,
        version_exits_nonzero: false,
        read: None,
    }
}

impl Known {
    /// Why a probe cannot use it, with the fix: "wrk not found on PATH; as root, ...".
    pub fn missing(&self) -> String {
        format!("{} not found on PATH; {}", self.name, self.fix)
    }

    /// Where it is on PATH, or [`Known::missing`].
    pub fn which(&self) -> Result<PathBuf, String> {
        which::which(self.name).map_err(|_| self.missing())
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

const SETUP: &str = "as root, `make setup` installs it";

pub const RUSTC: Known = known(
    "rustc",
    &["--version"],
    "builds everything",
    "install Rust with rustup",
);
pub const CARGO: Known = known(
    "cargo",
    &["--version"],
    "builds everything",
    "install Rust with rustup",
);
pub const DOCKER: Known = Known {
    package: Some("docker.io"),
    ..known(
        "docker",
        &[
            "version",
            "--format",
            "client {{.Client.Version}}, daemon {{.Server.Version}}",
        ],
        "traditional container (Debian's docker.io; make setup starts dockerd)",
        "as root, `make setup` installs docker.io",
    )
};
pub const CTR: Known = Known {
    read: Some(sectioned_versions),
    package: Some("containerd"),
    ..known(
        "ctr",
        &["--connect-timeout", "2s", "version"],
        "containerd client (Debian's containerd; make setup starts containerd)",
        "as root, `make setup` installs containerd",
    )
};
pub const RUNC: Known = Known {
    package: Some("runc"),
    ..known(
        "runc",
        &["--version"],
        "OCI runtime for native containers (Debian's runc)",
        SETUP,
    )
};
// The shim's command line is containerd-shim-wasm's: `-v` prints its version.
pub const SHIM: Known = Known {
    read: Some(sectioned_versions),
    ..known(
        wasmlab_shim_contract::SHIM_BINARY,
        &["-v"],
        "wasm containers under containerd (built from shim/)",
        "as root, `make setup` builds and installs it",
    )
};
/// The same shim installed under the binary name of `engine` (one runtime name per
/// engine, see `wasmlab_shim_contract::SHIM_ENGINES`).
pub const fn shim_of(engine: &ShimEngine) -> Known {
    Known {
        name: engine.binary,
        ..SHIM
    }
}

pub const HYPERFINE: Known = Known {
    package: Some("hyperfine"),
    ..known(
        "hyperfine",
        &["--version"],
        "cross-check of startup timings (Debian's hyperfine)",
        SETUP,
    )
};
pub const WRK: Known = Known {
    version_exits_nonzero: true,
    package: Some("wrk"),
    ..known(
        "wrk",
        &["--version"],
        "HTTP load generator (Debian's wrk)",
        SETUP,
    )
};
pub const CURL: Known = Known {
    package: Some("curl"),
    ..known(
        "curl",
        &["--version"],
        "request timing (Debian's curl)",
        SETUP,
    )
};
/// GNU time by its path: the shell's `time` keyword does not report peak memory.
pub const GNU_TIME: Known = Known {
    package: Some("time"),
    ..known(
        "/usr/bin/time",
        &["--version"],
        "GNU time: peak RSS of one CLI run (Debian's time)",
        "as root, `make setup` installs Debian's time",
    )
};
pub const CHROMIUM: Known = Known {
    package: Some("chromium"),
    ..known(
        "chromium",
        &["--version"],
        "headless check of the rendered page in `make test` (Debian's chromium)",
        "as root, `apt-get install chromium` (.ci/run installs it)",
    )
};
pub const WASMTIME: Known = Known {
    required: false,
    ..known(
        "wasmtime",
        &["--version"],
        "standalone wasmtime CLI: its startup rows and `wasmtime serve`",
        "`make setup-extras` installs it",
    )
};
pub const SPIN: Known = Known {
    required: false,
    ..known(
        "spin",
        &["--version"],
        "Spin CLI: `spin up` and `spin deploy` (Spin 3 or later)",
        "install Spin 3 or later (no package source here has it)",
    )
};

/// Every tool the bench knows: what `measure env` lists, and the one list of what
/// `REQUIRE_RUNTIMES` requires (`required`) and what stays optional. [`SHIM`] stands for the
/// shim under every engine's name ([`listed`]).
const KNOWN: &[&Known] = &[
    &RUSTC, &CARGO, &DOCKER, &CTR, &RUNC, &SHIM, &HYPERFINE, &WRK, &CURL, &GNU_TIME, &CHROMIUM,
    &WASMTIME, &SPIN,
];

/// What was found of one tool.
#[derive(Debug, Clone)]
pub struct Found {
    pub name: &'static str,
    pub path: Option<PathBuf>,
    /// First line of its version output; `Err` says why there is none.
    pub version: Result<String, String>,
}

/// Every tool the bench knows, in [`KNOWN`]'s order, the shim once per engine.
pub fn listed() -> Vec<Known> {
    KNOWN
        .iter()
        .flat_map(|k| match k.name == SHIM.name {
            true => SHIM_ENGINES.iter().map(shim_of).collect(),
            false => vec![**k],
        })
        .collect()
}

/// Looks up every known tool.
pub fn discover() -> Vec<Found> {
    listed().iter().map(find).collect()
}

/// Looks up one known tool.
pub fn find(known: &Known) -> Found {
    let path = which::which(known.name).ok();
    let version = match &path {
        None => Err(known.missing()),
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
    use super::*;

    /// The one list CI relies on: changing it is a decision, made here and in the docs.
    #[test]
    fn required_and_optional_tools_are_one_explicit_list() {
        let names = |required: bool| -> Vec<&str> {
            listed()
                .iter()
                .filter(|k| k.required == required)
                .map(|k| k.name)
                .collect()
        };
        assert_eq!(
            names(true),
            [
                "rustc",
                "cargo",
                "docker",
                "ctr",
                "runc",
                "containerd-shim-wasmtime-v1",
                "containerd-shim-wasmtime-winch-v1",
                "containerd-shim-wasmtime-pulley-v1",
                "hyperfine",
                "wrk",
                "curl",
                "/usr/bin/time",
                "chromium"
            ]
        );
        assert_eq!(names(false), ["wasmtime", "spin"]);
    }

    /// A fresh Debian machine gets every required tool from `make setup` and `make test`
    /// (which installs the page check's browser): each one's Debian package is named in
    /// scripts/setup.sh, scripts/install-browser.sh or .ci/run.
    #[test]
    fn setup_and_ci_install_every_required_package() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
        let scripts = [
            read("scripts/setup.sh"),
            read("scripts/install-browser.sh"),
            read(".ci/run"),
        ]
        .concat();
        let names: Vec<&str> = scripts
            .split(|c: char| !(c.is_ascii_alphanumeric() || ".-".contains(c)))
            .collect();
        for known in listed().iter().filter(|k| k.required) {
            if let Some(package) = known.package {
                assert!(
                    names.contains(&package),
                    "{} is required but no setup script installs {package}",
                    known.name
                );
            }
        }
        // The two without a package: rustup's, and the shim, built by install-shim.sh.
        assert!(read("scripts/install-shim.sh").contains("bin=containerd-shim-wasmtime-v1"));
        assert!(read("Makefile").contains("@bash scripts/install-shim.sh"));
        assert!(read("Makefile").contains("@bash scripts/install-browser.sh"));
    }

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

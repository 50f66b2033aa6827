//! The app under measurement, as its manifest (`app.toml` in its folder) describes it: its
//! name and language, how its artifacts are built (shell commands run from its folder), and
//! what its CLI context must print. The Rust service is the default app
//! (`service/app.toml`); `apps/go/` is the lab's own program in Go.
//!
//! `measure app build DIR` runs the builds and writes `app.json` beside the artifacts: the
//! app as results record it, with the toolchain's version. `measure run --app that.json`
//! measures that app; without `--app` the default app is measured.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use wasmlab_model::files::{read_regular_text, MAX_MANIFEST_BYTES};
use wasmlab_model::results::App;

/// `app.toml`, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The folder of its results (`report/<name>/`) and part of its image names: lowercase
    /// letters, digits and `-`.
    pub name: String,
    pub language: String,
    /// Its source as a reader should find it (`apps/go/main.go`).
    pub source: String,
    pub toolchain: Toolchain,
    pub build: Build,
    #[serde(default)]
    pub check: Check,
    /// The traditional image, when not the lab's (`FROM scratch` with the binary alone).
    #[serde(default)]
    pub image: Option<ImageSpec>,
}

/// The app's own image.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    /// A Dockerfile, relative to the app's folder. Its build context holds the native
    /// binary alone, named `moscow-time` as in the lab's (`service/Dockerfile`); nothing
    /// can be pulled here, so it builds `FROM scratch`.
    pub dockerfile: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toolchain {
    /// Run first, from the app's folder: makes the toolchain available (installs it when
    /// missing) and prints, as its last line, a folder to put first on PATH (or nothing).
    #[serde(default)]
    pub setup: Option<String>,
    /// Prints the toolchain's version (`go version`), recorded with the results.
    pub version: String,
    /// Set for the version command and every build.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// Shell commands run from the app's folder; each writes its artifact to the path in
/// `$NATIVE_OUT`, `$WASM_OUT` or `$COMPONENT_OUT`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// A static native binary (the traditional image holds it alone).
    pub native: String,
    /// A `wasm32-wasip1` command module.
    pub wasm: String,
    /// A `wasi:http` component (optional: its probes are skipped without one).
    #[serde(default)]
    pub component: Option<String>,
    /// A second `wasm32-wasip1` module, built with TinyGo (the lab's own compiler) to
    /// `$TINYGO_OUT`: run when `tinygo` is on PATH, its rows skipped with that reason
    /// otherwise (optional).
    #[serde(default)]
    pub tinygo: Option<String>,
}

/// The TinyGo module of an app whose manifest names one: built, or why not.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum TinyGo {
    Built(PathBuf),
    Skipped(String),
}

/// Why the TinyGo module is not built when `tinygo` is missing.
pub const NO_TINYGO: &str = "tinygo is not on PATH: TinyGo, the lab's compiler, builds this \
                             module when it is (install it to add its rows; standard Go's \
                             module stands in)";

/// What the app's contexts must do for a run to count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    #[serde(default)]
    pub cli: CliCheck,
    #[serde(default)]
    pub wagi: WagiCheck,
    #[serde(default)]
    pub server: ServerCheck,
}

/// The WAGI context (`REQUEST_METHOD=GET`, the path in `PATH_INFO`): a page it must answer
/// with `Status: 200` and HTML, and a path it must answer with `Status: 404`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct WagiCheck {
    #[serde(default = "default_page")]
    pub page: String,
    #[serde(default = "default_missing")]
    pub missing: String,
}

impl Default for WagiCheck {
    fn default() -> Self {
        Self {
            page: default_page(),
            missing: default_missing(),
        }
    }
}

/// The server context (neither `MODE` nor `REQUEST_METHOD` set): the variable it reads
/// its port from (`HOST`, its address, is set beside it), the path that is timed (the
/// first answer, wrk, the Spin series; its body must pass the CLI check) and a page; both
/// must answer 200.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ServerCheck {
    #[serde(default = "default_port_env")]
    pub port_env: String,
    #[serde(default = "default_timed")]
    pub timed: String,
    #[serde(default = "default_page")]
    pub page: String,
}

impl Default for ServerCheck {
    fn default() -> Self {
        Self {
            port_env: default_port_env(),
            timed: default_timed(),
            page: default_page(),
        }
    }
}

// The lab's routes and port variable, which the Rust service and apps/go serve.
fn default_page() -> String {
    "/".into()
}
fn default_missing() -> String {
    "/no-such-page".into()
}
fn default_timed() -> String {
    "/api/time".into()
}
fn default_port_env() -> String {
    "PORT".into()
}

impl Check {
    /// The first field that is not what it must be, named as in the manifest.
    fn invalid(&self) -> Option<String> {
        if let CliCheck::Regex(pattern) = &self.cli {
            if regex::Regex::new(pattern).is_err() {
                return Some("check.cli.regex is not a regular expression".into());
            }
        }
        let paths = [
            ("check.wagi.page", &self.wagi.page),
            ("check.wagi.missing", &self.wagi.missing),
            ("check.server.timed", &self.server.timed),
            ("check.server.page", &self.server.page),
        ];
        for (field, path) in paths {
            let printable = path.chars().all(|c| c.is_ascii_graphic());
            if !path.starts_with('/') || !printable || path.contains(['?', '#']) {
                return Some(format!(
                    "{field} {path:?} must be a path: '/' then printable characters, no query"
                ));
            }
        }
        if self.wagi.page == self.wagi.missing {
            return Some("check.wagi.missing must differ from check.wagi.page".into());
        }
        let name = &self.server.port_env;
        let name_ok = name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !name_ok || name == "HOST" {
            return Some(format!(
                "check.server.port-env {name:?} must be an environment variable's name \
                 (uppercase letters, digits, '_'), not HOST"
            ));
        }
        None
    }
}

/// What the CLI context (`MODE=once`) must print on stdout, with exit status 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum CliCheck {
    /// One line of the Moscow Time JSON, its text the timestamp in UTC+3.
    #[default]
    MoscowTimeJson,
    /// Anything: exit 0 is enough.
    ExitZero,
    /// A regular expression stdout must match.
    Regex(String),
}

/// What `measure app build` writes beside the artifacts, and `measure run --app` reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Built {
    pub app: App,
    pub check: Check,
    pub native: PathBuf,
    pub wasm: PathBuf,
    pub component: Option<PathBuf>,
    /// Its TinyGo module, when its manifest names one.
    #[serde(default)]
    pub tinygo: Option<TinyGo>,
    /// The app's own Dockerfile; the lab's when None.
    #[serde(default)]
    pub dockerfile: Option<PathBuf>,
}

/// The name of the file [`Built`] is written to.
pub const BUILT_FILE: &str = "app.json";
/// The Spin manifest written beside it, serving the module as a WAGI handler.
pub const SPIN_FILE: &str = "spin.toml";

impl Manifest {
    /// `dir/app.toml`, parsed and checked; errors name the file and the field.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join("app.toml");
        if !path.exists() {
            bail!(
                "{} not found: an app's folder holds its manifest, app.toml (docs/apps.md \
                 describes it; apps/go/app.toml is one)",
                path.display()
            );
        }
        let text = read_regular_text(&path, MAX_MANIFEST_BYTES, "app manifest")?;
        let manifest: Manifest = toml::from_str(&text).map_err(|e| {
            let message = e.message().to_owned();
            anyhow::anyhow!("{}: {message}", path.display())
        })?;
        let name_ok = !manifest.name.is_empty()
            && manifest
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !name_ok {
            bail!(
                "{}: name {:?} must be lowercase letters, digits and '-' (it names a folder \
                 and images)",
                path.display(),
                manifest.name
            );
        }
        if let Some(why) = manifest.check.invalid() {
            bail!("{}: {why}", path.display());
        }
        if let Some(image) = &manifest.image {
            if !dir.join(&image.dockerfile).is_file() {
                bail!(
                    "{}: image.dockerfile {:?} is not a file in {} (a path relative to the \
                     app's folder)",
                    path.display(),
                    image.dockerfile,
                    dir.display()
                );
            }
        }
        Ok(manifest)
    }

    /// Runs the toolchain's setup, then each build into `out`; the app as built.
    pub fn build(&self, dir: &Path, out: &Path) -> Result<Built> {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let out = out
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", out.display()))?;
        let path = self.toolchain_path(dir)?;
        let shell = |script: &str, what: &str| -> Result<String> {
            let mut cmd = Command::new("sh");
            cmd.args(["-c", script])
                .current_dir(dir)
                .envs(&self.toolchain.env)
                .env("PATH", &path)
                .env("NATIVE_OUT", out.join("native"))
                .env("WASM_OUT", out.join("module.wasm"))
                .env("COMPONENT_OUT", out.join("component.wasm"))
                .env("TINYGO_OUT", out.join("tinygo.wasm"));
            let done = cmd
                .output()
                .with_context(|| format!("cannot run sh for {what}"))?;
            if !done.status.success() {
                let stderr = String::from_utf8_lossy(&done.stderr);
                let last = stderr.lines().last().unwrap_or_default();
                bail!("{what} (`{script}`) failed with {}: {last}", done.status);
            }
            Ok(String::from_utf8_lossy(&done.stdout).trim().to_owned())
        };
        let mut toolchain = shell(&self.toolchain.version, "the toolchain's version")?;
        let build = |script: &str, what: &str, file: &str| -> Result<PathBuf> {
            eprintln!("measure app build: {what}: {script}");
            shell(script, what)?;
            let artifact = out.join(file);
            if !artifact.is_file() {
                bail!("{what} (`{script}`) wrote no {}", artifact.display());
            }
            Ok(artifact)
        };
        let native = build(&self.build.native, "build.native", "native")?;
        let wasm = build(&self.build.wasm, "build.wasm", "module.wasm")?;
        let component = match &self.build.component {
            Some(script) => Some(build(script, "build.component", "component.wasm")?),
            None => None,
        };
        let tinygo = match &self.build.tinygo {
            Some(script) if which::which_in("tinygo", Some(&path), dir).is_ok() => {
                let version = shell("tinygo version", "TinyGo's version")?;
                toolchain = format!("{toolchain}; {version}");
                Some(TinyGo::Built(build(script, "build.tinygo", "tinygo.wasm")?))
            }
            Some(_) => {
                eprintln!("measure app build: build.tinygo skipped: {NO_TINYGO}");
                Some(TinyGo::Skipped(NO_TINYGO.to_owned()))
            }
            None => None,
        };
        let built = Built {
            app: App {
                name: self.name.clone(),
                language: self.language.clone(),
                toolchain,
                source: self.source.clone(),
            },
            check: self.check.clone(),
            native,
            wasm,
            component,
            tinygo,
            dockerfile: match &self.image {
                Some(image) => Some(dir.join(&image.dockerfile).canonicalize().with_context(
                    || format!("cannot resolve image.dockerfile {:?}", image.dockerfile),
                )?),
                None => None,
            },
        };
        // The WAGI context as Spin's manifest serves it (`measure wagi`, `spin up`).
        let spin = format!(
            "# Written by `measure app build`: the app's module as a WAGI handler.\n\
             spin_manifest_version = 2\n\n[application]\nname = \"{name}\"\n\n\
             [[trigger.http]]\nroute = \"/...\"\ncomponent = \"{name}\"\n\
             executor = {{ type = \"wagi\" }}\n\n[component.{name}]\nsource = \"module.wasm\"\n",
            name = self.name
        );
        let spin_toml = out.join(SPIN_FILE);
        std::fs::write(&spin_toml, spin)
            .with_context(|| format!("cannot write {}", spin_toml.display()))?;
        let json = serde_json::to_string_pretty(&built)?;
        let file = out.join(BUILT_FILE);
        std::fs::write(&file, json + "\n")
            .with_context(|| format!("cannot write {}", file.display()))?;
        Ok(built)
    }

    /// PATH for the builds: the folder the toolchain's setup prints, first.
    fn toolchain_path(&self, dir: &Path) -> Result<std::ffi::OsString> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let Some(setup) = &self.toolchain.setup else {
            return Ok(path);
        };
        let done = Command::new("sh")
            .args(["-c", setup])
            .current_dir(dir)
            .stderr(std::process::Stdio::inherit())
            .output()
            .context("cannot run sh for toolchain.setup")?;
        if !done.status.success() {
            bail!("toolchain.setup (`{setup}`) failed with {}", done.status);
        }
        let printed = String::from_utf8_lossy(&done.stdout);
        let Some(bin) = printed
            .lines()
            .last()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        else {
            return Ok(path);
        };
        let bin = dir.join(bin);
        if !bin.is_dir() {
            bail!(
                "toolchain.setup (`{setup}`) printed {}, which is not a folder",
                bin.display()
            );
        }
        let mut dirs = vec![bin];
        dirs.extend(std::env::split_paths(&path));
        std::env::join_paths(dirs).context("the toolchain's folder cannot go on PATH")
    }
}

impl Built {
    /// `path` (an `app.json` that `measure app build` wrote).
    pub fn read(path: &Path) -> Result<Self> {
        let text = read_regular_text(path, MAX_MANIFEST_BYTES, "built app (app.json)")?;
        serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: {e}; `measure app build` writes it (make report APP=...)",
                path.display()
            )
        })
    }
}

/// The app this process measures, chosen once by `main`; the default app otherwise.
static CURRENT: OnceLock<(App, Check)> = OnceLock::new();

/// Chooses the app this process measures; the first choice holds.
pub fn choose(app: App, check: Check) {
    let _ = CURRENT.set((app, check));
}

/// The app this process measures.
pub fn current() -> &'static App {
    &CURRENT.get_or_init(default).0
}

/// What its contexts must do.
pub fn checks() -> &'static Check {
    &CURRENT.get_or_init(default).1
}

/// The path its server is timed and loaded on (the first answer, wrk, the Spin series).
pub fn timed_path() -> &'static str {
    &checks().server.timed
}

/// What its CLI context must print.
pub fn cli_check() -> &'static CliCheck {
    &checks().cli
}

/// The Rust service and its checks, as `service/app.toml` describes them (a test holds
/// the two together).
fn default() -> (App, Check) {
    (App::rust_service(), Check::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn the_service_manifest_is_the_default_app() {
        let manifest = Manifest::read(&repo().join("service")).unwrap();
        let (app, check) = default();
        assert_eq!(manifest.name, app.name);
        assert_eq!(manifest.language, app.language);
        assert_eq!(manifest.source, app.source);
        assert_eq!(manifest.check, check);
        assert!(manifest.build.component.is_some());
    }

    #[test]
    fn the_go_manifest_reads() {
        let manifest = Manifest::read(&repo().join("apps/go")).unwrap();
        assert_eq!(manifest.name, "go");
        assert_eq!(manifest.language, "Go");
        assert_eq!(
            manifest.check,
            Check::default(),
            "the lab's routes, as the service's"
        );
        assert!(manifest.build.component.is_none());
    }

    #[test]
    fn a_malformed_manifest_names_the_file_and_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let write = |text: &str| std::fs::write(dir.path().join("app.toml"), text).unwrap();
        let base = "name = \"x\"\nlanguage = \"C\"\nsource = \"x.c\"\n\
                    [toolchain]\nversion = \"cc --version\"\n[build]\nnative = \"true\"\n";
        write(base);
        let err = format!("{:#}", Manifest::read(dir.path()).unwrap_err());
        assert!(err.contains("app.toml") && err.contains("wasm"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        write(&format!(
            "{base}wasm = \"true\"\n[check]\ncli = \"exit-one\"\n"
        ));
        let err = format!("{:#}", Manifest::read(dir.path()).unwrap_err());
        assert!(
            err.contains("exit-one") && err.contains("exit-zero"),
            "{err}"
        );
        write(&format!(
            "{base}wasm = \"true\"\n[check]\ncli = {{ regex = \"(\" }}\n"
        ));
        let err = format!("{:#}", Manifest::read(dir.path()).unwrap_err());
        assert!(err.contains("check.cli.regex"), "{err}");
        for (section, field, value) in [
            ("wagi", "page", "\"no-slash\""),
            ("wagi", "missing", "\"/\""),
            ("server", "timed", "\"/api/time?x=1\""),
            ("server", "port-env", "\"port\""),
            ("server", "port-env", "\"HOST\""),
        ] {
            write(&format!(
                "{base}wasm = \"true\"\n[check.{section}]\n{field} = {value}\n"
            ));
            let err = format!("{:#}", Manifest::read(dir.path()).unwrap_err());
            assert!(
                err.contains(&format!("check.{section}.{field}")) && err.contains("app.toml"),
                "{err}"
            );
            assert_eq!(err.lines().count(), 1, "{err}");
        }
        write(&format!(
            "{base}wasm = \"true\"\n[check.server]\nport-env = \"LISTEN_PORT\"\ntimed = \"/now\"\n"
        ));
        let manifest = Manifest::read(dir.path()).unwrap();
        assert_eq!(manifest.check.server.port_env, "LISTEN_PORT");
        assert_eq!(manifest.check.server.timed, "/now");
        assert_eq!(
            manifest.check.server.page, "/",
            "unset fields keep the lab's"
        );
        write(
            &base
                .replace("\"x\"", "\"My App\"")
                .replace("native", "wasm = \"true\"\nnative"),
        );
        let err = format!("{:#}", Manifest::read(dir.path()).unwrap_err());
        assert!(err.contains("lowercase"), "{err}");
        let err = format!(
            "{:#}",
            Manifest::read(&dir.path().join("missing")).unwrap_err()
        );
        assert!(
            err.contains("not found") && err.contains("app.toml"),
            "{err}"
        );
    }
}

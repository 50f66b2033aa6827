//! The part of a Spin manifest (version 2) that a WAGI host needs: HTTP routes, each to a
//! component whose source is a local wasm file and whose executor is WAGI. Whatever else
//! Spin accepts (build, files, variables, ...) is left to Spin; what this host cannot serve
//! is an error that says so, never a silent guess.

use anyhow::{bail, Context as _, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wasmlab_model::files;

/// Spin's WAGI defaults: `argv` is the script name then the query's `&`-separated words,
/// and the entry point is the WASI command's `_start`.
const DEFAULT_ARGV: &str = "${SCRIPT_NAME} ${ARGS}";
const DEFAULT_ENTRYPOINT: &str = "_start";

/// An application as the host serves it.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub name: String,
    pub routes: Vec<Route>,
    pub components: Vec<Component>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// As written in the manifest (`/...`, `/api/...`, `/exact`).
    pub pattern: String,
    pub matcher: Matcher,
    /// Index into [`App::components`].
    pub component: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    /// `route = "/path"`: that path only.
    Exact(String),
    /// `route = "/prefix/..."`: the prefix and everything below it (`""` for `/...`).
    Prefix(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub id: String,
    /// Resolved against the manifest's directory.
    pub source: PathBuf,
    pub environment: Vec<(String, String)>,
    /// With `${SCRIPT_NAME}` and `${ARGS}` placeholders.
    pub argv: String,
    pub entrypoint: String,
}

impl Route {
    /// The route's script name (CGI `SCRIPT_NAME`): the part of the path the route claims.
    pub fn script_name(&self) -> &str {
        match &self.matcher {
            Matcher::Exact(path) | Matcher::Prefix(path) => path,
        }
    }

    /// How specific a match is, for picking the best route (exact beats any prefix).
    fn matches(&self, path: &str) -> Option<usize> {
        match &self.matcher {
            Matcher::Exact(exact) => (path == exact).then_some(usize::MAX),
            Matcher::Prefix(prefix) => {
                let below = path
                    .strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
                below.then_some(prefix.len())
            }
        }
    }
}

impl App {
    /// Reads and checks `path`, including that every component's wasm file exists.
    pub fn load(path: &Path) -> Result<Self> {
        let text = read(path)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let app = Self::parse(&text, dir).with_context(|| path.display().to_string())?;
        for component in &app.components {
            if component.source.is_dir() {
                bail!(
                    "{}: component {:?} source {} is a directory: name the wasm file in `source`",
                    path.display(),
                    component.id,
                    component.source.display()
                );
            }
            if !component.source.exists() {
                bail!(
                    "{}: component {:?} source {} not found: run `make build` (or fix `source`)",
                    path.display(),
                    component.id,
                    component.source.display()
                );
            }
            if !component.source.is_file() {
                bail!(
                    "{}: component {:?} source {} is not a regular file: name the wasm file in \
                     `source`",
                    path.display(),
                    component.id,
                    component.source.display()
                );
            }
        }
        Ok(app)
    }

    /// Parses manifest text; relative sources are taken from `dir`.
    pub fn parse(text: &str, dir: &Path) -> Result<Self> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| one_line(text, &e))?;
        match raw.spin_manifest_version {
            Some(toml::Value::Integer(2)) => {}
            Some(other) => bail!(
                "spin_manifest_version = {} is not supported: write spin_manifest_version = 2 (Spin 2 and later)",
                shown(&other)
            ),
            None => bail!("no spin_manifest_version: add spin_manifest_version = 2"),
        }
        let name = raw
            .application
            .and_then(|a| a.name)
            .context("no [application] name: add one, Spin requires it")?;
        if raw.trigger.http.is_empty() {
            bail!("no [[trigger.http]]: add one with a route, a component and executor = {{ type = \"wagi\" }}");
        }
        let mut components: Vec<Component> = Vec::new();
        let mut routes = Vec::new();
        for trigger in raw.trigger.http {
            let pattern = match trigger.route {
                toml::Value::String(route) => route,
                // A private route is reachable only from other components: nothing to serve.
                toml::Value::Table(t) if t.get("private") == Some(&toml::Value::Boolean(true)) => {
                    continue
                }
                other => bail!("route {} is not a path such as \"/...\"", shown(&other)),
            };
            let id = match trigger.component {
                Some(toml::Value::String(id)) => id,
                Some(_) => bail!("route {pattern:?}: an inline component table is not supported here; name a [component.<id>]"),
                None => bail!("route {pattern:?} names no component"),
            };
            let (argv, entrypoint) = match trigger.executor {
                Some(RawExecutor { kind, argv, entrypoint }) if kind == "wagi" => (
                    argv.unwrap_or_else(|| DEFAULT_ARGV.to_owned()),
                    entrypoint.unwrap_or_else(|| DEFAULT_ENTRYPOINT.to_owned()),
                ),
                Some(RawExecutor { kind, .. }) => bail!("route {pattern:?} uses executor {kind:?}; this host serves WAGI only: set executor = {{ type = \"wagi\" }}"),
                None => bail!("route {pattern:?} has no executor; this host serves WAGI only: set executor = {{ type = \"wagi\" }}"),
            };
            let raw_component = raw.component.get(&id).with_context(|| {
                format!(
                    "route {pattern:?} names component {id:?}, but there is no [component.{id}]"
                )
            })?;
            let source = match &raw_component.source {
                toml::Value::String(file) => dir.join(file),
                _ => bail!("component {id:?}: source must be a local wasm file; this host downloads nothing"),
            };
            let component = Component {
                id: id.clone(),
                source,
                environment: raw_component
                    .environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                argv,
                entrypoint,
            };
            // One component may serve several routes; it is compiled once.
            let index = match components.iter().position(|c| *c == component) {
                Some(index) => index,
                None => {
                    components.push(component);
                    components.len() - 1
                }
            };
            if routes.iter().any(|r: &Route| r.pattern == pattern) {
                bail!("route {pattern:?} is listed twice: each route serves one component");
            }
            routes.push(Route {
                matcher: matcher(&pattern)?,
                pattern,
                component: index,
            });
        }
        if routes.is_empty() {
            bail!("every route is private: nothing to serve");
        }
        Ok(Self {
            name,
            routes,
            components,
        })
    }

    /// The route serving `path`: an exact route first, else the longest matching prefix.
    pub fn route(&self, path: &str) -> Option<&Route> {
        self.routes
            .iter()
            .filter_map(|r| Some((r.matches(path)?, r)))
            .max_by_key(|(specificity, _)| *specificity)
            .map(|(_, r)| r)
    }
}

/// A manifest like `service/spin.toml`, serving the module at `source` on `/...` through
/// WAGI: for benches and tests that serve a module built somewhere else.
pub fn single_route(source: &Path) -> String {
    // Debug quoting of a path is a valid TOML basic string for the paths a build writes.
    format!(
        "spin_manifest_version = 2\n[application]\nname = \"moscow-time\"\n\
         [[trigger.http]]\nroute = \"/...\"\ncomponent = \"moscow-time\"\n\
         executor = {{ type = \"wagi\" }}\n[component.moscow-time]\nsource = {:?}\n",
        source.display().to_string()
    )
}

fn matcher(pattern: &str) -> Result<Matcher> {
    if !pattern.starts_with('/') {
        bail!("route {pattern:?} must start with '/'");
    }
    Ok(match pattern.strip_suffix("/...") {
        Some(prefix) => Matcher::Prefix(prefix.to_owned()),
        None => Matcher::Exact(pattern.to_owned()),
    })
}

/// A TOML value as it would be written, or its type when it is not a scalar.
fn shown(value: &toml::Value) -> String {
    match value {
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::String(s) => format!("{s:?}"),
        other => format!("a {}", other.type_str()),
    }
}

/// toml's message spans several lines (with a caret drawing); a one-line error names the
/// line and column instead.
fn one_line(text: &str, e: &toml::de::Error) -> anyhow::Error {
    let message = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            anyhow::anyhow!("line {line}, column {column}: {message}")
        }
        None => anyhow::anyhow!("{message}"),
    }
}

/// What names the manifest, for errors: the default is relative to the working directory.
pub const NAMED_BY: &str = "`measure wagi MANIFEST`, `measure spin --manifest` or SPIN_TOML; \
                            the default service/spin.toml is relative to the working directory";

/// The manifest's text; a missing file is one line naming how to give another.
fn read(path: &Path) -> Result<String> {
    if !path.exists() {
        bail!(
            "{} not found: name a spin.toml ({NAMED_BY})",
            path.display()
        );
    }
    files::read_regular_text(path, files::MAX_MANIFEST_BYTES, "spin.toml")
        .map_err(|e| anyhow::anyhow!("{e:#} ({NAMED_BY})"))
}

/// `spin_manifest_version` of the manifest at `path`, when it is readable and an integer
/// (the rest of the file is not checked here).
pub fn version(path: &Path) -> Option<i64> {
    #[derive(Deserialize)]
    struct Head {
        spin_manifest_version: Option<toml::Value>,
    }
    let head: Head = toml::from_str(&read(path).ok()?).ok()?;
    head.spin_manifest_version?.as_integer()
}

#[derive(Deserialize)]
struct RawManifest {
    spin_manifest_version: Option<toml::Value>,
    application: Option<RawApplication>,
    #[serde(default)]
    trigger: RawTriggers,
    #[serde(default)]
    component: BTreeMap<String, RawComponent>,
}

#[derive(Deserialize)]
struct RawApplication {
    name: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<RawHttpTrigger>,
}

#[derive(Deserialize)]
struct RawHttpTrigger {
    route: toml::Value,
    component: Option<toml::Value>,
    executor: Option<RawExecutor>,
}

#[derive(Deserialize)]
struct RawExecutor {
    #[serde(rename = "type")]
    kind: String,
    argv: Option<String>,
    entrypoint: Option<String>,
}

#[derive(Deserialize)]
struct RawComponent {
    source: toml::Value,
    #[serde(default)]
    environment: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
spin_manifest_version = 2
[application]
name = "moscow-time"
[[trigger.http]]
route = "/..."
component = "moscow-time"
executor = { type = "wagi" }
[[trigger.http]]
route = "/admin"
component = "admin"
executor = { type = "wagi", argv = "${SCRIPT_NAME} -v ${ARGS}", entrypoint = "serve" }
[component.moscow-time]
source = "../target/moscow-time.wasm"
environment = { GREETING = "hi" }
[component.admin]
source = "/abs/admin.wasm"
[component.admin.build]
command = "make"
"#;

    fn error(text: &str) -> String {
        format!("{:#}", App::parse(text, Path::new("/m")).unwrap_err())
    }

    #[test]
    fn reads_routes_components_and_wagi_settings() {
        let app = App::parse(GOOD, Path::new("/repo/service")).unwrap();
        assert_eq!(app.name, "moscow-time");
        assert_eq!(app.components.len(), 2);
        let main = &app.components[0];
        assert_eq!(
            main.source,
            Path::new("/repo/service/../target/moscow-time.wasm")
        );
        assert_eq!(main.argv, DEFAULT_ARGV);
        assert_eq!(main.entrypoint, "_start");
        assert_eq!(main.environment, vec![("GREETING".into(), "hi".into())]);
        assert_eq!(app.components[1].source, Path::new("/abs/admin.wasm"));
        assert_eq!(app.components[1].entrypoint, "serve");
    }

    #[test]
    fn exact_routes_win_then_the_longest_prefix() {
        let app = App::parse(GOOD, Path::new("/")).unwrap();
        assert_eq!(app.route("/admin").unwrap().pattern, "/admin");
        assert_eq!(app.route("/admin/x").unwrap().pattern, "/...");
        assert_eq!(app.route("/api/time").unwrap().script_name(), "");
        let prefix = Route {
            pattern: "/api/...".into(),
            matcher: matcher("/api/...").unwrap(),
            component: 0,
        };
        assert_eq!(prefix.matches("/api"), Some(4));
        assert_eq!(prefix.matches("/api/time"), Some(4));
        assert_eq!(prefix.matches("/apix"), None);
    }

    #[test]
    fn what_this_host_cannot_serve_is_a_one_line_error_naming_the_fix() {
        let cases = [
            ("spin_manifest_version = 2\n[application\n", "line 2"),
            (&GOOD.replace("= 2", "= \"1\""), "spin_manifest_version = 2"),
            (
                &GOOD.replace("type = \"wagi\" }\n[[", "type = \"spin\" }\n[["),
                "WAGI only",
            ),
            (
                &GOOD.replace("component = \"admin\"", "component = \"missing\""),
                "no [component.missing]",
            ),
            (
                &GOOD.replace("\"/abs/admin.wasm\"", "{ url = \"x\", digest = \"y\" }"),
                "local wasm file",
            ),
            (
                "spin_manifest_version = 2\n[application]\nname = \"x\"\n",
                "no [[trigger.http]]",
            ),
            (
                &GOOD.replace("route = \"/admin\"", "route = \"/...\""),
                "listed twice",
            ),
        ];
        for (text, expected) in cases {
            let e = error(text);
            assert!(e.contains(expected), "{e:?} should contain {expected:?}");
            assert!(!e.contains('\n'), "{e:?} is not one line");
        }
    }

    #[test]
    fn a_single_route_manifest_parses_back() {
        let app = App::parse(&single_route(Path::new("/m/x.wasm")), Path::new("/")).unwrap();
        assert_eq!(app.components[0].source, Path::new("/m/x.wasm"));
        assert_eq!(app.route("/api/time").unwrap().pattern, "/...");
    }

    #[test]
    fn a_missing_source_file_names_the_build() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("spin.toml");
        std::fs::write(&manifest, GOOD.replace("/abs/admin.wasm", "admin.wasm")).unwrap();
        let e = format!("{:#}", App::load(&manifest).unwrap_err());
        assert!(e.contains("not found: run `make build`"), "{e}");
    }
}

//! `measure`: the wasmlab bench. `run` measures and writes results.json, `spin` adds the
//! Spin bonus task's curl series, `render` turns it into the write-up, `exec` runs a wasm
//! module as a process, `wagi` serves a Spin manifest with the embedded WAGI host,
//! `serve-http` serves the wasi:http component (0.2 or 0.3) with the embedded wasi:http host, `env` lists
//! what was found.

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};
use measure::{app, cleanup, ctx, probe, provenance, runtime, tools};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use wasmlab_hosts::engine::{self, Engine};
use wasmlab_hosts::{wagi, wasi_http, wasm};
use wasmlab_model::results;
use wasmlab_render::{self as render, templates};

#[derive(Parser)]
#[command(
    version,
    about = "Measure the Moscow Time service natively and in WebAssembly, and render the lab write-up"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum AppCmd {
    /// Runs the app's toolchain setup and builds (from its folder), and writes `app.json`
    /// beside the artifacts, for `measure run --app`.
    Build {
        /// The app's folder, holding `app.toml`.
        dir: PathBuf,
        /// Where the artifacts and `app.json` go (default: target/apps/<name>).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum Cmd {
    /// Take measurements and merge them into the results file.
    Run(RunArgs),
    /// The Spin bonus task: curl series (cold start, cold, warm, kept-alive) against Spin or
    /// the embedded WAGI host, the native server and $SPIN_URL, merged into the results file.
    Spin(SpinArgs),
    /// Render the report from the results file alone.
    Render {
        #[arg(long, default_value = "report/results.json")]
        results: PathBuf,
        /// Directory that receives index.html and plots/.
        #[arg(long, default_value = "report")]
        out: PathBuf,
        /// A directory of templates laid out as the repository's templates/ (default: the
        /// copies built into measure).
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
        /// An earlier results.json: every figure also shows its change against it.
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// Instead of a notebook, write compare.html into --out: the apps whose results
        /// files are given (two or more, one per app), side by side.
        #[arg(long, num_args = 2.., value_name = "RESULTS", conflicts_with = "baseline")]
        compare: Vec<PathBuf>,
    },
    /// Run a wasm module (WASI preview 1) in the embedded host, as this process: its
    /// stdio, its environment and its exit status.
    Exec {
        file: PathBuf,
        /// The engine: wasmtime with cranelift (its optimizing compiler), Winch (its
        /// baseline compiler) or Pulley (its interpreter), or wasmi (an interpreter).
        #[arg(long, value_enum, default_value_t = Engine::Cranelift)]
        engine: Engine,
        /// FILE was precompiled for ENGINE by `measure run` (nothing compiled at start;
        /// not for wasmi).
        #[arg(long)]
        precompiled: bool,
        /// Arguments for the module.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// List the tools and runtimes found, with versions, and what is missing.
    Env,
    /// An app's manifest (`app.toml` in its folder): `measure app build DIR` builds it.
    App {
        #[command(subcommand)]
        command: AppCmd,
    },
    /// Remove what runs that are gone left behind (what `measure run` does at its start):
    /// containers and tasks under containerd, the stress namespace, shim processes, docker
    /// containers; and list this project's processes still running.
    Clean {
        /// Fail when anything was left behind or is still running (for `make test`: the
        /// tests left nothing).
        #[arg(long)]
        check: bool,
    },
    /// Serve a Spin manifest's WAGI components with the embedded host (wasmtime + axum,
    /// a fresh instance per request) until SIGTERM or Ctrl-C.
    Wagi {
        /// The Spin manifest (version 2).
        #[arg(default_value_os_t = wagi::default_manifest())]
        manifest: PathBuf,
        /// Address to listen on, as `spin up --listen` takes it.
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: std::net::SocketAddr,
        /// Seconds one request's guest may run (more than 0, at most 300); a guest still
        /// running then is stopped and its client gets 504.
        #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = guest_timeout)]
        guest_timeout: Duration,
    },
    /// Serve a component that exports wasi:http/incoming-handler (WASI 0.2) or
    /// wasi:http/handler (0.3) with the embedded host (wasmtime-wasi-http on hyper, as the shim serves it) until SIGTERM or Ctrl-C.
    ServeHttp {
        /// The component (`make build` writes target/wasm32-wasip2/dist/moscow-time.wasm).
        component: PathBuf,
        /// COMPONENT was precompiled by `measure run` for the same allocator.
        #[arg(long)]
        precompiled: bool,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        #[arg(long, value_enum, default_value = "pooling")]
        allocator: wasi_http::Allocator,
        /// Requests an instance serves before it is dropped: 1 (the default, as runwasi,
        /// Spin and `wasmtime serve` serve 0.2 components) is a fresh instance per
        /// request; more saves instantiating, but a guest's state then carries from one
        /// request to the next.
        #[arg(long, default_value = "1", value_parser = clap::value_parser!(u32).range(1..))]
        reuse: u32,
        /// Of those, how many an instance serves at once: a 0.3 component's handler is
        /// async and may take more than one; a 0.2 one takes them one after another
        /// whatever this says.
        #[arg(long, default_value = "1", value_parser = clap::value_parser!(u32).range(1..))]
        at_once: u32,
    },
}

/// What every measuring command takes: the artifacts, the run options and the results file.
#[derive(clap::Args)]
struct Common {
    /// The app to measure: the `app.json` that `measure app build` wrote beside its
    /// artifacts, which then stand in for --native, --wasm and --component (default: the
    /// Rust service, from those flags).
    #[arg(long, env = "APP_BUILT", value_name = "APP_JSON")]
    app: Option<PathBuf>,
    /// Static native service binary.
    #[arg(long, env = "NATIVE_BIN", required_unless_present = "app")]
    native: Option<PathBuf>,
    /// Service compiled to wasm32-wasip1.
    #[arg(long, env = "WASM_MODULE", required_unless_present = "app")]
    wasm: Option<PathBuf>,
    /// Static binary that does nothing (the floor).
    #[arg(long, env = "FLOOR_BIN")]
    floor: PathBuf,
    /// Service built for wasm32-wasip2 as a wasi:http component (default: beside --wasm's
    /// target directory, under wasm32-wasip2).
    #[arg(long, env = "WASI_HTTP_COMPONENT")]
    component: Option<PathBuf>,
    /// The same built as a wasi:http@0.3 component (default: beside --component, under
    /// the `dist-p3` profile's folder).
    #[arg(long, env = "WASI_HTTP_P3_COMPONENT")]
    component_p3: Option<PathBuf>,
    /// Dockerfile of the traditional image (a relative path is from the working directory).
    #[arg(long, env = "DOCKERFILE", default_value = "service/Dockerfile")]
    dockerfile: PathBuf,
    /// Treat a missing runtime (docker, containerd) as an error instead of a skip.
    #[arg(long, env = "REQUIRE_RUNTIMES", value_parser = clap::builder::BoolishValueParser::new(), default_value = "false")]
    require_runtimes: bool,
    /// Measured runs per variant (1 to 10000).
    #[arg(long, default_value = "20", value_parser = runs)]
    runs: usize,
    /// Unrecorded runs per variant before measuring (0 to 1000).
    #[arg(long, default_value = "3", value_parser = warmups)]
    warmup: usize,
    /// Seconds a single run may take before it is killed (at most 3600).
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = seconds)]
    timeout: Duration,
    #[arg(long, default_value = "report/results.json")]
    results: PathBuf,
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    common: Common,
    /// Seconds one load round (one wrk run) lasts, per server and concurrency; each cell
    /// takes six rounds, in turns across the servers (1 to 600).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=600))]
    load_seconds: u64,
    /// Tasks per round of the stress probe, per runtime and concurrency level (1 to 200).
    #[arg(long, default_value = "16", value_parser = stress_tasks)]
    stress_tasks: usize,
    /// Rounds of the stress probe per runtime and concurrency level; one tasks/s sample
    /// each (1 to 10).
    #[arg(long, default_value = "3", value_parser = stress_rounds)]
    stress_rounds: usize,
    /// The stress probe's concurrency levels: tasks in flight at once, comma-separated
    /// (each 1 to 64, at most 4 levels, none above --stress-tasks).
    #[arg(long, value_name = "C,C,...", default_value = "1,4,16", value_parser = stress_levels)]
    stress_concurrency: Levels,
    /// Run only these probes (by name: size, startup, phase, spin, ...); when absent,
    /// every probe but spin (which `measure spin` runs with its own options).
    #[arg(long = "probe")]
    probes: Vec<String>,
}

#[derive(clap::Args)]
struct SpinArgs {
    /// `--runs` is the number of requests in each curl series.
    #[command(flatten)]
    common: Common,
    /// The Spin manifest served by `spin up` and by the embedded WAGI host.
    #[arg(long, env = "SPIN_TOML", default_value_os_t = wagi::default_manifest())]
    manifest: PathBuf,
    /// The Spin manifest of the wasi:http component, served by `spin up` (Spin's default
    /// executor; without Spin the embedded wasi:http host serves the component instead).
    #[arg(long, env = "SPIN_HTTP_TOML", default_value_os_t = measure::runtime::wagi_hosts::default_http_manifest())]
    http_manifest: PathBuf,
    /// Process cold starts (launch to the first 200) per local host (1 to 1000).
    #[arg(long, default_value = "5", value_parser = starts)]
    starts: usize,
    /// Seconds between cold (cache-busted) requests to a local host (at most 3600).
    #[arg(long, value_name = "SECONDS", default_value = "0.5", value_parser = seconds)]
    cold_interval: Duration,
    /// Seconds between warm requests to a local host (at most 3600).
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = seconds)]
    warm_interval: Duration,
    /// Seconds between cold requests to $SPIN_URL (the lab's 5 s; at most 3600).
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = seconds)]
    remote_cold_interval: Duration,
    /// Seconds between warm requests to $SPIN_URL (the lab's 1 s; at most 3600).
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = seconds)]
    remote_warm_interval: Duration,
    /// The deployed application; its series are skipped when unset.
    #[arg(long, env = "SPIN_URL")]
    spin_url: Option<String>,
    /// Also time `spin deploy` (it publishes the application; spin must be logged in).
    #[arg(long)]
    deploy: bool,
    /// Only these hosts (repeatable): spin, spin-http, native-process, docker, ctr-runc,
    /// ctr-wasmtime, ctr-wasmtime-reuse, ctr-wasmtime-p3, embedded-wagi, wasi-http-pooling,
    /// wasi-http-ondemand, wasi-http-reuse, wasi-http-p3, wasmtime-serve, remote.
    #[arg(long = "host", value_parser = host)]
    hosts: Vec<String>,
    /// Seconds one request may take (at most 3600).
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = seconds)]
    request_timeout: Duration,
}

/// Exit status for a failure of `measure exec` itself, distinct from the guest's statuses.
const EXEC_HOST_FAILURE: u8 = 125;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Cmd::Run(args) => run(args),
        Cmd::Spin(args) => spin(args),
        Cmd::Render {
            results,
            out,
            templates,
            baseline,
            compare,
        } => {
            let templates = templates::Templates::from_option(templates);
            if compare.is_empty() {
                render::render(&results, &out, &templates, baseline.as_deref())
            } else {
                render::render_comparison(&compare, &out, &templates)
            }
        }
        Cmd::Exec {
            file,
            engine,
            precompiled,
            args,
        } => {
            return match exec(&file, engine, precompiled, args) {
                Ok(status) => ExitCode::from(u8::try_from(status).unwrap_or(1)),
                Err(e) => {
                    eprintln!("measure exec: {e:#}");
                    ExitCode::from(EXEC_HOST_FAILURE)
                }
            };
        }
        Cmd::Env => print_env(),
        Cmd::App {
            command: AppCmd::Build { dir, out },
        } => build_app(&dir, out),
        Cmd::Clean { check } => clean(check),
        Cmd::Wagi {
            manifest,
            listen,
            guest_timeout,
        } => wagi::serve(&manifest, listen, wagi::Limits { guest_timeout }),
        Cmd::ServeHttp {
            component,
            precompiled,
            listen,
            allocator,
            reuse,
            at_once,
        } => {
            let reuse = wasi_http::Reuse {
                reuse: reuse as usize,
                at_once: at_once as usize,
            };
            wasi_http::serve(&component, precompiled, listen, allocator, reuse)
        }
    };
    // Returning would end the process while an interruption still removes what is left.
    cleanup::wait_if_stopping();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("measure: {e:#}");
            ExitCode::FAILURE
        }
    }
}

impl Common {
    fn ctx(&self, load_duration: Duration) -> Result<ctx::Ctx> {
        let built = self.app.as_deref().map(app::Built::read).transpose()?;
        let (native, wasm, component) = match &built {
            Some(built) => (
                built.native.clone(),
                built.wasm.clone(),
                built.component.clone(),
            ),
            None => (
                self.native.clone().unwrap_or_default(),
                self.wasm.clone().unwrap_or_default(),
                self.component.clone(),
            ),
        };
        let artifacts = ctx::Artifacts {
            native,
            wasm,
            floor: self.floor.clone(),
            dockerfile: built
                .as_ref()
                .and_then(|b| b.dockerfile.clone())
                .unwrap_or_else(|| self.dockerfile.clone()),
            measure: std::env::current_exe().context("cannot find this executable")?,
            component,
            component_p3: self.component_p3.clone(),
        };
        let options = ctx::Options {
            runs: self.runs,
            warmup: self.warmup,
            timeout: self.timeout,
            require_runtimes: self.require_runtimes,
            load_duration,
            stress: ctx::Stress::default(),
        };
        let mut ctx = ctx::Ctx::new(artifacts, options);
        if let Some(built) = built {
            if built.component.is_none() {
                ctx.no_component = Some(format!(
                    "the app {:?} has no wasi:http component (its app.toml names no \
                     build.component)",
                    built.app.name
                ));
            }
            ctx.component_p3 = Err(format!(
                "the app {:?} has no wasi:http@0.3 component (only the Rust service is built \
                 as one)",
                built.app.name
            ));
            ctx.tinygo = built.tinygo;
            app::choose(built.app, built.check);
        }
        ctx.check_artifacts()?;
        Ok(ctx)
    }
}

/// `--guest-timeout`: checked when the arguments are parsed, so a bad value stops `measure
/// wagi` before it compiles anything.
fn guest_timeout(text: &str) -> Result<Duration, String> {
    seconds_up_to(text, wagi::Limits::MAX_GUEST_TIMEOUT.as_secs_f64())
}

/// The largest values the measuring options take. Each is checked when the arguments are
/// parsed, so a slip of the finger is one line at once, never hours of work or gigabytes.
const MAX_RUNS: usize = 10_000;
const MAX_WARMUP: usize = 1_000;
const MAX_STARTS: usize = 1_000;
const MAX_SECONDS: f64 = 3_600.0;

/// A whole number from `min` to `max`.
fn count(text: &str, min: usize, max: usize) -> Result<usize, String> {
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| format!("expected a whole number from {min} to {max}"))
}

fn runs(text: &str) -> Result<usize, String> {
    count(text, 1, MAX_RUNS)
}

fn warmups(text: &str) -> Result<usize, String> {
    count(text, 0, MAX_WARMUP)
}

fn starts(text: &str) -> Result<usize, String> {
    count(text, 1, MAX_STARTS)
}

fn stress_tasks(text: &str) -> Result<usize, String> {
    count(text, 1, ctx::Stress::MAX_TASKS)
}

fn stress_rounds(text: &str) -> Result<usize, String> {
    count(text, 1, ctx::Stress::MAX_ROUNDS)
}

/// `--stress-concurrency`: distinct levels, as one value so their number is bounded too.
#[derive(Debug, Clone)]
struct Levels(Vec<usize>);

fn stress_levels(text: &str) -> Result<Levels, String> {
    let levels = text
        .split(',')
        .map(|level| count(level, 1, ctx::Stress::MAX_CONCURRENCY))
        .collect::<Result<Vec<usize>, String>>()?;
    let mut distinct = levels.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != levels.len() || levels.len() > ctx::Stress::MAX_LEVELS {
        return Err(format!(
            "expected at most {} distinct levels, comma-separated",
            ctx::Stress::MAX_LEVELS
        ));
    }
    Ok(Levels(levels))
}

/// A number of seconds from [`MIN_SECONDS`] to [`MAX_SECONDS`].
fn seconds(text: &str) -> Result<Duration, String> {
    seconds_up_to(text, MAX_SECONDS)
}

/// The shortest duration any option takes: below a millisecond, a deadline or interval is
/// a slip, not a setting (and rounds to nothing at a clock's resolution).
const MIN_SECONDS: f64 = 0.001;

/// A number of seconds from [`MIN_SECONDS`] to `max`: one rule for every duration option.
fn seconds_up_to(text: &str, max: f64) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| (MIN_SECONDS..=max).contains(s))
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("expected a number of seconds from {MIN_SECONDS} to {max}"))
}

/// A host `measure spin --host` knows.
fn host(text: &str) -> Result<String, String> {
    let known = probe::spin::known_hosts();
    if known.contains(&text) {
        Ok(text.to_owned())
    } else {
        Err(format!("choose from {}", known.join(", ")))
    }
}

fn run(args: RunArgs) -> Result<()> {
    let mut ctx = args.common.ctx(Duration::from_secs(args.load_seconds))?;
    ctx.stress = ctx::Stress {
        tasks: args.stress_tasks,
        rounds: args.stress_rounds,
        concurrency: args.stress_concurrency.0,
    };
    ctx.stress.check()?;
    let registry = probe::registry();
    if let Some(unknown) = args
        .probes
        .iter()
        .find(|p| !registry.iter().any(|r| r.id() == p.as_str()))
    {
        let known: Vec<&str> = registry.iter().map(|r| r.id()).collect();
        anyhow::bail!("no probe {unknown:?}; choose from {}", known.join(", "));
    }
    ctx.precompile()?;
    let chosen = registry.iter().map(Box::as_ref).filter(|p| {
        if args.probes.is_empty() {
            probe::in_default_run(*p)
        } else {
            args.probes.iter().any(|id| id == p.id())
        }
    });
    let mut settings = ctx.settings();
    settings.insert("stress".to_owned(), ctx.stress.setting());
    measure(&ctx, settings, &args.common.results, chosen).map(drop)
}

fn spin(args: SpinArgs) -> Result<()> {
    let ctx = args.common.ctx(Duration::from_secs(5))?;
    let options = probe::spin::Options {
        manifest: args.manifest,
        http_manifest: args.http_manifest,
        starts: args.starts,
        cold_interval: args.cold_interval,
        warm_interval: args.warm_interval,
        remote_cold_interval: args.remote_cold_interval,
        remote_warm_interval: args.remote_warm_interval,
        remote: args.spin_url,
        deploy: args.deploy,
        hosts: args.hosts,
        request_timeout: args.request_timeout,
    };
    let serves_manifest = options.hosts.is_empty()
        || options.hosts.iter().any(|h| {
            [
                wasmlab_model::metric::SPIN.name,
                wasmlab_model::metric::EMBEDDED_WAGI.name,
            ]
            .contains(&h.as_str())
        });
    if serves_manifest && !options.manifest.is_file() {
        anyhow::bail!(
            "{} is not a file (--manifest, SPIN_TOML; the default service/spin.toml is \
             relative to the working directory): run from the repository's root or name the \
             manifest",
            options.manifest.display()
        );
    }
    // The spacing of the series is recorded with the run, so the report states it from
    // the data rather than assuming cold and warm were spaced differently.
    let mut settings = ctx.settings();
    for (name, value) in [
        (results::setting::STARTS, options.starts.to_string()),
        (
            results::setting::COLD_INTERVAL,
            options.cold_interval.as_secs_f64().to_string(),
        ),
        (
            results::setting::WARM_INTERVAL,
            options.warm_interval.as_secs_f64().to_string(),
        ),
        (
            results::setting::REMOTE_COLD_INTERVAL,
            options.remote_cold_interval.as_secs_f64().to_string(),
        ),
        (
            results::setting::REMOTE_WARM_INTERVAL,
            options.remote_warm_interval.as_secs_f64().to_string(),
        ),
    ] {
        settings.insert(name.to_owned(), value);
    }
    let spin = probe::spin::SpinProbe { options };
    let measured = measure(
        &ctx,
        settings,
        &args.common.results,
        [&spin as &dyn probe::Probe],
    )?;
    if measured == 0 {
        anyhow::bail!(
            "nothing was measured: every observation above was skipped or failed (`measure env` \
             lists what is missing)"
        );
    }
    Ok(())
}

/// `measure app build`: the app's artifacts and `app.json`, whose path is printed.
fn build_app(dir: &Path, out: Option<PathBuf>) -> Result<()> {
    let manifest = app::Manifest::read(dir)?;
    let out = out.unwrap_or_else(|| Path::new("target/apps").join(&manifest.name));
    let built = manifest.build(dir, &out)?;
    eprintln!(
        "measure app build: {} ({}, {}) built",
        built.app.name, built.app.language, built.app.toolchain
    );
    println!("{}", out.join(app::BUILT_FILE).display());
    Ok(())
}

/// `measure clean`: what dead runs left is removed, and said; processes of this
/// project's binaries still running are listed. With `check`, either is an error.
fn clean(check: bool) -> Result<()> {
    let removed = runtime::leftovers::remove_stale();
    let running = runtime::leftovers::running();
    for process in &running {
        eprintln!("measure: still running: {process}");
    }
    if check && (removed > 0 || !running.is_empty()) {
        anyhow::bail!(
            "{removed} things were left behind and {} processes are still running (listed \
             above): a test or a run did not clean up after itself",
            running.len()
        );
    }
    Ok(())
}

/// Runs `probes` in order and merges what they observe into `path` by observation id,
/// saving after every probe; Ctrl-C removes what was started and keeps what was saved.
/// Returns how many observations were measured (neither skipped nor failed).
fn measure<'a>(
    ctx: &ctx::Ctx,
    settings: std::collections::BTreeMap<String, String>,
    path: &Path,
    probes: impl IntoIterator<Item = &'a dyn probe::Probe>,
) -> Result<usize> {
    runtime::register_removers();
    cleanup::on_interrupt(path.to_owned())?;
    // What a run killed before it could clean up left (its process is gone) goes first.
    runtime::leftovers::remove_stale();
    let file = results::ResultsFile::open(path, provenance::collect(settings))?;
    let mut failed = Vec::new();
    let mut measured = 0;
    for probe in probes {
        eprintln!("measure: {} ...", probe.id());
        let observations = probe.run(ctx);
        for observation in &observations {
            debug_assert!(
                probe.claims().iter().any(|c| c.covers(&observation.id)),
                "probe {} wrote {}, which it does not claim",
                probe.id(),
                observation.id
            );
            eprintln!("  {:<45} {}", observation.id, status_line(observation));
            match observation.status {
                results::Status::Measured => measured += 1,
                results::Status::Failed { .. } => failed.push(observation.id.to_string()),
                results::Status::Skipped { .. } => {}
            }
        }
        // Merged into the file as it is now after every probe (another `measure` may be
        // writing it too), so an interruption keeps what was measured.
        file.merge(observations)?;
    }
    cleanup::remove_containers();
    eprintln!("measure: wrote {}", path.display());
    if ctx.require_runtimes && !failed.is_empty() {
        anyhow::bail!(
            "REQUIRE_RUNTIMES is set and {} observations failed: {}",
            failed.len(),
            failed.join(", ")
        );
    }
    Ok(measured)
}

fn status_line(o: &results::Observation) -> String {
    match (&o.status, &o.summary) {
        (results::Status::Measured, Some(s)) => format!(
            "median {} (n={})",
            wasmlab_model::format::format_value(s.median, o.unit),
            s.n
        ),
        (results::Status::Measured, None) => "measured".into(),
        (results::Status::Skipped { reason }, _) => format!("skipped: {reason}"),
        (results::Status::Failed { error }, _) => format!("FAILED: {error}"),
    }
}

fn exec(file: &Path, engine: Engine, precompiled: bool, args: Vec<String>) -> Result<i32> {
    let runtime = engine::EngineHost::new(engine)?;
    let module = if precompiled {
        runtime.load_precompiled(file)?
    } else {
        runtime.compile(&wasm::read(file)?)?
    };
    let name = file
        .file_name()
        .map_or_else(|| "module".into(), |n| n.to_string_lossy().into_owned());
    let argv: Vec<String> = std::iter::once(name).chain(args).collect();
    let env: Vec<(String, String)> = std::env::vars().collect();
    let mut instance = runtime.instantiate(&module, &argv, &env, wasm::Stdio::Inherit)?;
    instance.run()
}

/// Whether stdout was closed when the process started (`measure env >&-`). The standard
/// library opens /dev/null on a closed stdout before `main` runs, after which it cannot be
/// told from `>/dev/null`; an ELF constructor runs earlier still.
static STDOUT_CLOSED_AT_START: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

extern "C" fn note_closed_stdout() {
    // SAFETY: F_GETFD only reads the descriptor's flags.
    if unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFD) } == -1 {
        STDOUT_CLOSED_AT_START.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

#[used]
#[link_section = ".init_array"]
static NOTE_CLOSED_STDOUT: extern "C" fn() = note_closed_stdout;

/// The list on stdout; a closed stdout or a failed write is an error, not a silent exit 0.
fn print_env() -> Result<()> {
    use std::io::Write as _;
    if STDOUT_CLOSED_AT_START.load(std::sync::atomic::Ordering::Relaxed) {
        anyhow::bail!("stdout is closed: nowhere to print the list");
    }
    let mut out = std::io::stdout().lock();
    let known = tools::listed();
    let found = tools::discover();
    let groups = [
        (
            true,
            "required (with REQUIRE_RUNTIMES=1, as in CI, a probe that needs one fails without it):",
        ),
        (
            false,
            "optional extras (skipped with their fix wherever they are missing):",
        ),
    ];
    for (required, heading) in groups {
        writeln!(out, "{heading}").context("cannot write to stdout")?;
        for (known, found) in known.iter().zip(&found) {
            if known.required != required {
                continue;
            }
            let state = match (&found.version, &found.path) {
                (Ok(version), Some(path)) => format!("{version} ({})", path.display()),
                (Ok(version), None) => version.clone(),
                (Err(why), _) => format!("missing: {why}"),
            };
            writeln!(out, "  {:<30} {}", found.name, state).context("cannot write to stdout")?;
            if found.version.is_err() {
                writeln!(out, "  {:<30} ({})", "", known.note).context("cannot write to stdout")?;
            }
        }
    }
    out.flush().context("cannot write to stdout")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn counts_and_durations_past_their_maximum_are_refused_at_parsing() {
        let artifacts = ["--native", "n", "--wasm", "w", "--floor", "f"];
        let parse =
            |args: &[&str]| Cli::try_parse_from(["measure"].iter().chain(args).chain(&artifacts));
        assert!(parse(&["run", "--runs", "10000", "--timeout", "0.5"]).is_ok());
        assert!(parse(&["spin", "--host", "wasi-http-pooling", "--starts", "1"]).is_ok());
        assert!(parse(&[
            "run",
            "--stress-tasks",
            "200",
            "--stress-rounds",
            "10",
            "--stress-concurrency",
            "1,8,16,64"
        ])
        .is_ok());
        for bad in [
            &["run", "--runs", "18446744073709551615"][..],
            &["run", "--runs", "0"],
            &["run", "--warmup", "1000000000000"],
            &["run", "--timeout", "1e300"],
            &["run", "--timeout", "-1"],
            &["run", "--load-seconds", "100000"],
            &["run", "--stress-tasks", "0"],
            &["run", "--stress-tasks", "201"],
            &["run", "--stress-rounds", "11"],
            &["run", "--stress-concurrency", "65"],
            &["run", "--stress-concurrency", "0"],
            &["run", "--stress-concurrency", "1,2,3,4,5"],
            &["run", "--stress-concurrency", "4,4"],
            &["run", "--stress-concurrency", ""],
            &["spin", "--starts", "5000"],
            &["spin", "--cold-interval", "nan"],
            &["spin", "--host", "nowhere"],
            // One rule for every duration: from a millisecond (below it, a slip).
            &["run", "--timeout", "1e-9"],
            &["run", "--timeout", "0"],
        ] {
            let err = parse(bad).err().map(|e| e.to_string());
            assert!(err.is_some(), "{bad:?} was accepted");
        }
        let err = parse(&["run", "--runs", "20000"])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("from 1 to 10000"), "{err}");
        let err = parse(&["run", "--timeout", "1e-9"])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("from 0.001 to 3600"), "{err}");
        let wagi = |timeout: &str| {
            Cli::try_parse_from(["measure", "wagi", "--guest-timeout", timeout])
                .err()
                .map(|e| e.to_string())
        };
        assert_eq!(wagi("0.001"), None);
        for bad in ["1e-10", "0", "301"] {
            let err = wagi(bad).unwrap_or_else(|| panic!("{bad} was accepted"));
            assert!(err.contains("from 0.001 to 300"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_host_option_lists_every_host_it_takes() {
        let help = Cli::command()
            .find_subcommand_mut("spin")
            .map(|c| c.render_long_help().to_string())
            .unwrap_or_default();
        for host in probe::spin::known_hosts() {
            assert!(help.contains(host), "--host's help misses {host}");
        }
    }
}

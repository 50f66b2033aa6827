//! containerd, driven through `ctr`: the wasm image under the wasmtime shim (the lab's
//! Task 3) beside the native image under runc, both written as OCI layouts (`oci.rs`) and
//! imported; containers run once, their cgroup read, the shim's compile cache emptied or
//! warmed.
//!
//! Every `ctr` command runs through [`run`], so a hung one is killed with its process
//! group after the timeout, and once containerd stopped answering the rest fail at once.
//! What it leaves in containerd (a container, a task) is removed by a [`Cleanup`] guard, even when a run fails or panics. Containers are named
//! `wasmlab-<pid>-...`, so [`remove_containers`] can remove this process's own.

use super::containerd_api;
use crate::ctx::Ctx;
use crate::oci::{self, ImageInfo, Platform};
use crate::runner::{describe, run_once, Exit, Run};
use crate::tools;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};
use wasmlab_model::metric::{self, EngineVariants, ShimVariants, Variant};

/// Where the shim keeps compiled modules (containerd must not set
/// `WASMLAB_SHIM_CACHE_DIR` elsewhere): the first-start variant empties it, the cached one
/// checks it holds a module.
pub use wasmlab_shim_contract::DEFAULT_CACHE_DIR as SHIM_CACHE_DIR;
use wasmlab_shim_contract::{ShimEngine, SHIM_ENGINES};
/// containerd's runtime name for the shim, and the shim's binary.
pub use wasmlab_shim_contract::{RUNTIME_NAME as WASM_RUNTIME, SHIM_BINARY};
/// The default app's images ([`Image::name`] names another app's after it).
pub const WASM_IMAGE: &str = "docker.io/wasmlab/moscow-time-wasm:latest";
pub const NATIVE_IMAGE: &str = "docker.io/wasmlab/moscow-time-native:latest";
/// The `wasm32-wasip2` wasi:http component in a `wasi/wasm` image: the shim serves it.
pub const HTTP_IMAGE: &str = "docker.io/wasmlab/moscow-time-http:latest";
/// The same built for wasi:http@0.3.
pub const HTTP_P3_IMAGE: &str = "docker.io/wasmlab/moscow-time-http-p3:latest";

/// The names of the app's four images, after the app: the default app's are
/// [`NATIVE_IMAGE`], [`WASM_IMAGE`], [`HTTP_IMAGE`] and [`HTTP_P3_IMAGE`].
fn names() -> &'static [String; 4] {
    static NAMES: OnceLock<[String; 4]> = OnceLock::new();
    NAMES.get_or_init(|| {
        let app = &crate::app::current().name;
        ["native", "wasm", "http", "http-p3"]
            .map(|kind| format!("docker.io/wasmlab/{app}-{kind}:latest"))
    })
}

/// An image of one file that measure writes and imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Image {
    /// The static native binary, `linux/amd64`, for runc.
    Native,
    /// The `wasm32-wasip1` module, `wasi/wasm`, for the shim.
    Module,
    /// The wasi:http component, `wasi/wasm`, which the shim serves.
    Component,
    /// The same built for wasi:http@0.3.
    ComponentP3,
}

impl Image {
    /// The image a CLI container of `runtime` runs.
    pub fn of(runtime: Runtime) -> Image {
        match runtime {
            Runtime::Runc => Image::Native,
            Runtime::Shim(_) => Image::Module,
        }
    }

    /// Where its tar is written: `moscow-time-native.tar` and so on.
    pub fn tar(self, ctx: &Ctx) -> PathBuf {
        let repo = self.name().rsplit('/').next().unwrap_or_default();
        let base = repo.split(':').next().unwrap_or_default();
        ctx.work_dir.join(format!("{base}.tar"))
    }

    pub fn name(self) -> &'static str {
        match self {
            Image::Native => &names()[0],
            Image::Module => &names()[1],
            Image::Component => &names()[2],
            Image::ComponentP3 => &names()[3],
        }
    }

    fn platform(self) -> Platform {
        match self {
            Image::Native => Platform::LinuxAmd64,
            Image::Module | Image::Component | Image::ComponentP3 => Platform::WasiWasm,
        }
    }

    /// The artifact it holds and its path inside the image.
    fn file(self, ctx: &Ctx) -> Result<(&Path, &'static str), String> {
        Ok(match self {
            Image::Native => (&ctx.native, "moscow-time"),
            Image::Module => (&ctx.wasm, "moscow-time.wasm"),
            Image::Component => (&ctx.component, "moscow-time-http.wasm"),
            Image::ComponentP3 => (ctx.built_component_p3()?, "moscow-time-http.wasm"),
        })
    }
}
/// ctr's default namespace, where everything here lives; a container's cgroup is
/// `/<namespace>/<container>`.
pub const NAMESPACE: &str = "default";
/// Longest a cleanup command may take.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Which OCI runtime runs a container, and so which image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// The native image under runc (containerd's default runtime).
    Runc,
    /// The wasm image under the wasmtime shim, with one of its engines.
    Shim(&'static ShimEngine),
}

impl Runtime {
    /// The shim with cranelift, wasmtime's default: the lab's wasm container (the
    /// contract lists it first, tested there).
    pub const WASMTIME: Runtime = Runtime::Shim(&SHIM_ENGINES[0]);

    /// The shim under `engine`'s runtime name, when the shim has that engine.
    pub fn of(engine: &EngineVariants) -> Option<Runtime> {
        engine.shim.as_ref()?;
        ShimEngine::by_engine(engine.engine).map(Runtime::Shim)
    }

    /// The shim under each of its engines' runtime names.
    pub fn shims() -> impl Iterator<Item = Runtime> {
        SHIM_ENGINES.iter().map(Runtime::Shim)
    }

    pub fn image(self) -> &'static str {
        match self {
            Runtime::Runc => Image::Native.name(),
            Runtime::Shim(_) => Image::Module.name(),
        }
    }

    pub fn platform(self) -> Platform {
        match self {
            Runtime::Runc => Platform::LinuxAmd64,
            Runtime::Shim(_) => Platform::WasiWasm,
        }
    }

    /// containerd's name for the runtime.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Runc => "io.containerd.runc.v2",
            Runtime::Shim(engine) => engine.runtime,
        }
    }

    /// `ctr run` flags choosing the runtime (runc is the default).
    pub fn run_flags(self) -> Vec<&'static str> {
        match self {
            Runtime::Runc => Vec::new(),
            Runtime::Shim(engine) => vec!["--runtime", engine.runtime, "--platform", "wasi/wasm"],
        }
    }

    /// Variant part of observation ids.
    pub fn variant(self) -> &'static Variant {
        self.variants().map_or(&metric::CTR_RUNC, |v| v.runtime)
    }

    /// The catalogue's variants of the shim's engine; none for runc (or an engine the
    /// catalogue does not know, which a test rules out).
    pub fn variants(self) -> Option<&'static ShimVariants> {
        EngineVariants::of(self.engine()?)?.shim.as_ref()
    }

    /// The shim's engine (`cranelift`, `winch`, `pulley`); none for runc.
    pub fn engine(self) -> Option<&'static str> {
        match self {
            Runtime::Runc => None,
            Runtime::Shim(engine) => Some(engine.engine),
        }
    }

    /// Why this runtime cannot run containers here, with the fix.
    pub fn unavailable(self) -> Option<String> {
        if let Err(reason) = containerd() {
            return Some(reason.to_owned());
        }
        match self {
            Runtime::Runc => None,
            Runtime::Shim(engine) => shim_of(engine).err(),
        }
    }
}

/// containerd's version when `ctr` is on PATH and the daemon answers, else why not and how
/// to fix it. Asked once per process.
pub fn containerd() -> Result<&'static str, &'static str> {
    static ANSWER: OnceLock<Result<String, String>> = OnceLock::new();
    ANSWER
        .get_or_init(|| {
            tools::CTR.which()?;
            // Its first line is the client's; the server part fails when the daemon is down.
            tools::query(Command::new("ctr").args(["--connect-timeout", "2s", "version"])).map_err(
                |e| format!("containerd does not answer ({e}); as root, `make setup` starts it"),
            )
        })
        .as_deref()
        .map_err(String::as_str)
}

/// The wasmtime shim on PATH (containerd looks it up on its own PATH; this is the same
/// machine's).
pub fn shim() -> Result<PathBuf, String> {
    tools::SHIM.which()
}

/// The shim binary of `engine` on PATH.
pub fn shim_of(engine: &ShimEngine) -> Result<PathBuf, String> {
    tools::shim_of(engine).which()
}

/// `wasmlab-<pid>-<tag>`: unique to this process, found again by [`remove_containers`].
pub fn container_name(tag: &str) -> String {
    format!("{}{tag}", own_prefix())
}

fn own_prefix() -> String {
    format!("wasmlab-{}-", std::process::id())
}

/// How long containerd has to answer a version request, once a command of it failed,
/// before it counts as stopped.
const ANSWER_WITHIN: Duration = Duration::from_secs(3);
/// Set once containerd stopped answering during this run: why, with the fix. Every command
/// of it after that fails at once with this, instead of waiting out its own timeout.
static STOPPED: OnceLock<String> = OnceLock::new();

/// Whether containerd was found to have stopped answering during this run (asking it
/// nothing).
pub fn stopped() -> Result<(), String> {
    STOPPED.get().map_or(Ok(()), |reason| Err(reason.clone()))
}

/// Whether containerd still answers: asked after one of its commands did not finish (a
/// request to the daemon, no process started).
pub fn still_answering() -> Result<(), String> {
    stopped()?;
    containerd_api::block_on(still_answering_async()).and_then(|answered| answered)
}

/// [`still_answering`] for async code (a tokio runtime cannot start inside another).
pub async fn still_answering_async() -> Result<(), String> {
    stopped()?;
    containerd_api::Api::answers(ANSWER_WITHIN)
        .await
        .map_err(stopped_answering)
}

/// Records that containerd stopped answering (`why`); the reason every later command gets.
fn stopped_answering(why: String) -> String {
    STOPPED
        .get_or_init(|| {
            format!(
                "containerd stopped answering during this run ({why}); start it again (as root, \
                 `make setup`) and re-run the probe: what this run left in containerd is \
                 removed at the next run's start"
            )
        })
        .clone()
}

/// `error` of a containerd command, with the daemon's state when it no longer answers.
fn with_daemon_state(error: String) -> String {
    match still_answering() {
        Ok(()) => error,
        Err(stopped) => format!("{error}: {stopped}"),
    }
}

/// Runs a containerd command (`ctr ...`) as [`run_once`] does, except that once containerd
/// stopped answering it fails at once, and a run that failed says whether it has.
pub fn run(cmd: &mut Command, timeout: Duration) -> Result<Run, String> {
    stopped()?;
    run_once(cmd, timeout).map_err(|e| with_daemon_state(format!("{e:#}")))
}

/// Runs `ctr args`; its output when it exits 0, else the error with ctr's stderr.
pub fn ctr(args: &[&str], timeout: Duration) -> Result<Run, String> {
    let mut cmd = Command::new("ctr");
    cmd.args(args);
    match run(&mut cmd, timeout) {
        Ok(run) if run.exit == Exit::Code(0) => Ok(run),
        // ctr exited: containerd answered it (or ctr says why it could not reach it).
        Ok(run) => Err(format!(
            "`{}` failed with {}: {}",
            describe(&cmd),
            run.exit,
            run.stderr_tail()
        )),
        Err(e) => Err(format!("`{}`: {e}", describe(&cmd))),
    }
}

/// The `ctr run --rm` command of one container of `runtime`'s image, with `env` entries
/// (`KEY=VALUE`) added to the image's.
pub fn run_command(runtime: Runtime, name: &str, env: &[&str]) -> Command {
    run_command_of(runtime, runtime.image(), name, env)
}

fn run_command_of(runtime: Runtime, image: &str, name: &str, env: &[&str]) -> Command {
    let mut cmd = Command::new("ctr");
    cmd.args(["run", "--rm"]).args(runtime.run_flags());
    for kv in env {
        cmd.args(["--env", kv]);
    }
    cmd.args([image, name]);
    cmd
}

/// Runs `image` once as container `name` (`ctr run --rm`) and removes whatever is left of
/// it afterwards. `Ok` only when it exited 0; otherwise why not (exit status and stderr,
/// or the timeout).
pub fn run_image(
    runtime: Runtime,
    image: &str,
    name: &str,
    env: &[&str],
    timeout: Duration,
) -> Result<Run, String> {
    let guard = Cleanup::new(vec![name.to_owned()]);
    guard.remove_all()?;
    let mut cmd = run_command_of(runtime, image, name, env);
    let run = run(&mut cmd, timeout)?;
    if run.exit != Exit::Code(0) {
        return Err(format!(
            "`{}` failed with {}: {}",
            describe(&cmd),
            run.exit,
            run.stderr_tail()
        ));
    }
    Ok(run)
}

/// Removes containers (with their tasks) by name when dropped, and on demand.
pub struct Cleanup {
    names: Vec<String>,
}

impl Cleanup {
    pub fn new(names: Vec<String>) -> Self {
        Self { names }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Removes those of its containers that exist, whatever state their task is in. When
    /// containerd stopped answering, that is the error, and removing is left to the next
    /// run's start.
    pub fn remove_all(&self) -> Result<(), String> {
        stopped()?;
        let present = containers()?;
        for name in self.names.iter().filter(|n| present.contains(n)) {
            remove_container(name);
        }
        Ok(())
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = self.remove_all();
    }
}

/// Whether `ctr run --rm` failed only because containerd would not delete a task whose
/// exit it had already reported ("task must be stopped before deletion"): its race between
/// the exit event and the task's state, seen rarely on a loaded machine, not a failure of
/// the container.
pub fn deletion_raced(run: &Run) -> bool {
    run.stderr.contains("task must be stopped before deletion")
}

/// The names of the containers in the namespace.
pub fn container_names() -> Result<Vec<String>, String> {
    containers()
}

/// The names of the containers in `namespace`.
pub fn container_names_in(namespace: &str) -> Result<Vec<String>, String> {
    let run = ctr(
        &["-n", namespace, "containers", "ls", "-q"],
        CLEANUP_TIMEOUT,
    )?;
    Ok(run.stdout.split_whitespace().map(str::to_owned).collect())
}

/// Removes the containers (and tasks) of dead runs; what it removed.
pub fn remove_stale() -> Vec<String> {
    if containerd().is_err() {
        return Vec::new();
    }
    let Ok(names) = containers() else {
        return Vec::new();
    };
    names
        .into_iter()
        .filter(|n| super::leftovers::is_stale(n))
        .map(|name| {
            remove_container(&name);
            format!("container {name} (containerd, {NAMESPACE})")
        })
        .collect()
}

fn containers() -> Result<Vec<String>, String> {
    container_names_in(NAMESPACE)
}

/// Kills and deletes the task of container `name`, then the container; errors ignored
/// (there may be no task).
pub fn remove_container(name: &str) {
    let _ = ctr(&["task", "kill", "-s", "SIGKILL", name], CLEANUP_TIMEOUT);
    let _ = ctr(&["task", "rm", "-f", name], CLEANUP_TIMEOUT);
    let _ = ctr(&["containers", "rm", name], CLEANUP_TIMEOUT);
}

/// Removes every container this process created (named with its prefix). For the
/// interruption handler, beside the docker cleanup.
pub fn remove_containers() {
    let prefix = own_prefix();
    if containerd().is_err() || stopped().is_err() {
        return;
    }
    // A `ctr` killed a moment ago may have asked for a container that containerd creates
    // only now.
    let ours = || {
        let names = containers().ok()?;
        Some(
            names
                .into_iter()
                .filter(|n| n.starts_with(&prefix))
                .collect(),
        )
    };
    crate::cleanup::remove_until_quiet(REMOVE_ROUNDS, ours, |names: &[String]| {
        names.iter().for_each(|name| remove_container(name))
    });
    // A task whose creation was still going on when its container was removed has no
    // container to remove it by: its shim is all that is left of it.
    for killed in super::leftovers::kill_orphan_shims(|id| id.starts_with(&prefix)) {
        eprintln!("measure: killed {killed}, serving a container that is gone");
    }
}

/// How many times [`remove_containers`] looks for containers of this run.
const REMOVE_ROUNDS: usize = 20;

/// Where `runtime`'s image tar is written.
pub fn image_tar(ctx: &Ctx, runtime: Runtime) -> PathBuf {
    Image::of(runtime).tar(ctx)
}

/// Writes `runtime`'s image from the built artifact and imports it, unless containerd
/// already holds that exact image (same manifest digest) and `always` is false.
pub fn ensure_image(ctx: &Ctx, runtime: Runtime, always: bool) -> Result<ImageInfo, String> {
    ensure(ctx, Image::of(runtime), always)
}

/// The same for any image: written from its artifact, imported unless containerd holds it.
pub fn ensure(ctx: &Ctx, image: Image, always: bool) -> Result<ImageInfo, String> {
    let (file, entry) = image.file(ctx)?;
    let tar = image.tar(ctx);
    let info = oci::write_image(&tar, image.name(), file, entry, image.platform())
        .map_err(|e| format!("cannot write the image: {e:#}"))?;
    let held = listed(image.name())?;
    if always || held.as_ref().map(|l| &l.digest) != Some(&info.manifest_digest) {
        import(&tar, image.platform(), ctx.timeout)?;
        match listed(image.name())? {
            Some(l) if l.digest == info.manifest_digest => {}
            Some(l) => {
                return Err(format!(
                    "after the import ctr lists {} with digest {}, not the written {}",
                    image.name(),
                    l.digest,
                    info.manifest_digest
                ))
            }
            None => {
                return Err(format!(
                    "after the import ctr does not list {}",
                    image.name()
                ))
            }
        }
    }
    Ok(info)
}

/// `ctr images import --platform P TAR`.
pub fn import(tar: &Path, platform: Platform, timeout: Duration) -> Result<(), String> {
    let tar = tar.to_string_lossy();
    ctr(
        &["images", "import", "--platform", platform.as_ctr(), &tar],
        timeout,
    )
    .map(drop)
}

/// `ctr images rm NAME`.
pub fn remove_image(name: &str) -> Result<(), String> {
    ctr(&["images", "rm", name], CLEANUP_TIMEOUT).map(drop)
}

/// An image as `ctr images ls` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub digest: String,
    /// The SIZE column, as printed ("70.6 KiB").
    pub size: String,
}

/// `image` in `ctr images ls`, if containerd holds it.
pub fn listed(image: &str) -> Result<Option<Listed>, String> {
    let filter = format!("name=={image}");
    let run = ctr(&["images", "ls", &filter], Duration::from_secs(30))?;
    Ok(parse_listing(&run.stdout, image))
}

/// The row of `image` in `ctr images ls` output: REF TYPE DIGEST SIZE PLATFORMS LABELS, where
/// SIZE is a number and a unit.
fn parse_listing(text: &str, image: &str) -> Option<Listed> {
    text.lines().find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [name, _, digest, number, unit, ..] if *name == image => Some(Listed {
                digest: (*digest).to_owned(),
                size: format!("{number} {unit}"),
            }),
            _ => None,
        }
    })
}

/// Bytes of a size as ctr prints it ("70.6 KiB", "512 B"): binary units.
pub fn parse_ctr_size(text: &str) -> Option<f64> {
    let (number, unit) = text.trim().split_once(' ')?;
    let power = ["B", "KiB", "MiB", "GiB", "TiB"]
        .iter()
        .position(|u| *u == unit)?;
    Some(number.parse::<f64>().ok()? * 1024f64.powi(power as i32))
}

/// The compiled modules in the shim's cache.
fn cached_modules() -> Result<Vec<PathBuf>, String> {
    match std::fs::read_dir(SHIM_CACHE_DIR) {
        Ok(entries) => Ok(entries
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| {
                p.extension()
                    .is_some_and(|x| x == wasmlab_shim_contract::CACHED_MODULE_EXTENSION)
            })
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("cannot read the shim cache {SHIM_CACHE_DIR}: {e}")),
    }
}

/// Empties the shim's compilation cache, so the next start compiles the module.
pub fn empty_shim_cache() -> Result<(), String> {
    for path in cached_modules()? {
        std::fs::remove_file(&path).map_err(|e| {
            format!(
                "cannot empty the shim cache: {}: {e} (run as root)",
                path.display()
            )
        })?;
    }
    Ok(())
}

/// The wasm image's compiled module of each engine in the shim's cache, once seen to
/// appear there.
static OUR_MODULES: Mutex<Vec<(&str, PathBuf)>> = Mutex::new(Vec::new());

/// Makes sure the shim's cache holds the wasm image's compiled module. Which file that is
/// (its name is a hash the shim computes) is learnt once, from an untimed start as container
/// `name` on an emptied cache; a module of another image does not count. A start that
/// leaves the cache empty means the shim caches elsewhere (or not at all), and "cached"
/// figures would be false.
pub fn warm_shim_cache(runtime: Runtime, name: &str, timeout: Duration) -> Result<(), String> {
    let engine = runtime.engine().unwrap_or_default();
    let mut ours = OUR_MODULES.lock().unwrap_or_else(PoisonError::into_inner);
    if ours.iter().any(|(e, path)| *e == engine && path.is_file()) {
        return Ok(());
    }
    empty_shim_cache()?;
    run_image(runtime, Image::Module.name(), name, &["MODE=once"], timeout)?;
    match cached_modules()?.as_slice() {
        [module] => {
            ours.retain(|(e, _)| *e != engine);
            ours.push((engine, module.clone()));
            Ok(())
        }
        [] => Err(format!(
            "a start left no compiled module in {SHIM_CACHE_DIR}: does the installed shim \
             cache there (is containerd started with WASMLAB_SHIM_CACHE_DIR set)?"
        )),
        _ => Err(format!(
            "several compiled modules appeared in {SHIM_CACHE_DIR} during one start: \
             another wasm container ran at the same time"
        )),
    }
}

/// The state of the shim's cache a variant needs before each run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheState {
    /// Not the shim: nothing to do.
    Any,
    /// Emptied: every sample a first start, compiling the module.
    Cold,
    /// Holding the compiled module.
    Warm,
}

impl CacheState {
    pub fn prepare(self, runtime: Runtime, name: &str, timeout: Duration) -> Result<(), String> {
        match self {
            CacheState::Any => Ok(()),
            CacheState::Cold => empty_shim_cache(),
            CacheState::Warm => warm_shim_cache(runtime, name, timeout),
        }
    }
}

/// The container's memory cgroup peak file, cgroup v1 or v2.
pub fn peak_file(name: &str) -> PathBuf {
    cgroup_file(name, "memory.peak", "memory.max_usage_in_bytes")
}

/// A file of container `name`'s cgroup: `v2` under cgroup v2, `v1` in v1's memory
/// controller.
pub fn cgroup_file(name: &str, v2: &str, v1: &str) -> PathBuf {
    cgroup_file_in(NAMESPACE, name, v2, v1)
}

/// [`cgroup_file`] of a container in `namespace` (cgroups `/<namespace>/<name>`).
pub fn cgroup_file_in(namespace: &str, name: &str, v2: &str, v1: &str) -> PathBuf {
    if Path::new("/sys/fs/cgroup/memory").is_dir() {
        PathBuf::from(format!("/sys/fs/cgroup/memory/{namespace}/{name}/{v1}"))
    } else {
        PathBuf::from(format!("/sys/fs/cgroup/{namespace}/{name}/{v2}"))
    }
}

/// The status of container `name`'s task as `ctr task ls` prints it (RUNNING, STOPPED,
/// ...); None when it has no task.
pub fn task_status(name: &str, timeout: Duration) -> Result<Option<String>, String> {
    let tasks = ctr(&["task", "ls"], timeout)?.stdout;
    Ok(tasks.lines().find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        (words.first() == Some(&name)).then(|| words.get(2).copied().unwrap_or_default().to_owned())
    }))
}

/// One detached `MODE=once` container: start, wait until its task has stopped, read its
/// cgroup's peak memory (the cgroup lives until the task is deleted), delete it. The task
/// must have exited 0 (`ctr task rm` warns of a non-zero exit).
pub fn memory_peak(runtime: Runtime, name: &str, timeout: Duration) -> Result<MemoryPeak, String> {
    let guard = Cleanup::new(vec![name.to_owned()]);
    guard.remove_all()?;
    let mut args = vec!["run", "-d", "--null-io"];
    args.extend(runtime.run_flags());
    args.extend(["--env", "MODE=once", runtime.image(), name]);
    ctr(&args, timeout)?;
    let deadline = Instant::now() + timeout;
    loop {
        match task_status(name, timeout)?.as_deref() {
            Some("STOPPED") => break,
            Some(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Some(status) => {
                return Err(format!(
                    "the task was still {status} after {timeout:?}; it was removed"
                ))
            }
            None => return Err("the task vanished before it was read".into()),
        }
    }
    let file = peak_file(name);
    let peak = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?
        .trim()
        .parse::<f64>()
        .map_err(|e| format!("{}: {e}", file.display()))?;
    // The shim holds the task's exit status until the task is deleted, so it is still there.
    let shim = shim_peak(name)?;
    let deleted = ctr(&["task", "rm", name], timeout)?;
    if deleted.stderr.contains("non-zero exit code") {
        return Err(format!("the task failed: {}", deleted.stderr_tail()));
    }
    ctr(&["containers", "rm", name], timeout)?;
    Ok(MemoryPeak {
        container: peak,
        shim,
    })
}

/// What one container start cost in memory, each part read its own way.
#[derive(Debug, Clone, Copy)]
pub struct MemoryPeak {
    /// The container cgroup's peak (runc: `runc init` and the process; the wasm shim: what
    /// the container's process touched after joining the cgroup).
    pub container: f64,
    /// The peak resident set (VmHWM) of the container's shim process and its descendants
    /// (the runc shim, or the wasmtime shim with its zygote), which live outside the
    /// container's cgroup.
    pub shim: f64,
}

impl MemoryPeak {
    /// The container and its shim together: what running it cost, alike for both runtimes
    /// (pages the two share are counted twice).
    pub fn total(&self) -> f64 {
        self.container + self.shim
    }
}

/// The summed VmHWM of the shim serving container `name` (its command line holds
/// `-id <name>`) and of the shim's descendants.
fn shim_peak(name: &str) -> Result<f64, String> {
    let kib: f64 = shim_family(name)?
        .iter()
        .filter_map(|pid| crate::procfs::status_kib(*pid, "VmHWM:"))
        .sum();
    Ok(kib * 1024.0)
}

/// The shim process serving container `name` (its command line holds `-id <name>`) and
/// its descendants.
pub fn shim_family(name: &str) -> Result<Vec<u32>, String> {
    let processes = crate::procfs::processes().map_err(|e| format!("{e:#}"))?;
    let shims: Vec<u32> = processes
        .iter()
        .filter(|p| p.args.windows(2).any(|w| w[0] == "-id" && w[1] == name))
        .map(|p| p.pid)
        .collect();
    if shims.is_empty() {
        return Err(format!("no shim process with `-id {name}` was found"));
    }
    Ok(crate::procfs::descendants(&processes, &shims))
}

/// Imports the image and returns its bytes (manifest + config + layer) and ctr's SIZE,
/// checked to agree.
pub fn image_size(ctx: &Ctx, runtime: Runtime) -> Result<(f64, String), String> {
    let info = ensure_image(ctx, runtime, true)?;
    let listed = listed(runtime.image())?
        .ok_or_else(|| format!("ctr images ls does not list {}", runtime.image()))?;
    let bytes = info.content_bytes() as f64;
    let shown = parse_ctr_size(&listed.size)
        .ok_or_else(|| format!("ctr images ls printed the size {:?}", listed.size))?;
    // ctr prints one decimal of the largest binary unit.
    if (shown - bytes).abs() > shown.max(1.0) * 0.01 + 52.0 {
        return Err(format!(
            "ctr images ls shows {} but manifest + config + layer are {bytes} bytes",
            listed.size
        ));
    }
    Ok((bytes, listed.size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shim_engine_has_the_catalogue_s_variants() {
        for runtime in Runtime::shims() {
            let v = runtime
                .variants()
                .expect("a shim engine the catalogue knows");
            assert_eq!(runtime.variant().name, v.runtime.name);
        }
        assert_eq!(Runtime::Runc.variant().name, metric::CTR_RUNC.name);
        assert_eq!(Runtime::WASMTIME.engine(), Some("cranelift"));
        // Each engine row with a shim has its runtime name in the contract, and no other.
        let with_shim: Vec<&str> = metric::ENGINES
            .iter()
            .filter(|e| e.shim.is_some())
            .map(|e| e.engine)
            .collect();
        let shims: Vec<&str> = Runtime::shims().filter_map(Runtime::engine).collect();
        assert_eq!(with_shim, shims);
        let winch = Runtime::of(&metric::WINCH).expect("winch runs in the shim");
        assert_eq!(winch.variant().name, "ctr-wasmtime-winch");
        assert_eq!(Runtime::of(&metric::WASMI), None);
    }

    #[test]
    fn the_listing_row_of_an_image_is_found() {
        let text = "REF TYPE DIGEST SIZE PLATFORMS LABELS \n\
            docker.io/wasmlab/moscow-time-wasm:latest application/vnd.oci.image.manifest.v1+json sha256:beb5 70.6 KiB wasi/wasm -\n";
        assert_eq!(
            parse_listing(text, WASM_IMAGE),
            Some(Listed {
                digest: "sha256:beb5".into(),
                size: "70.6 KiB".into()
            })
        );
        assert_eq!(parse_listing(text, NATIVE_IMAGE), None);
    }

    #[test]
    fn ctr_sizes_are_binary() {
        assert_eq!(parse_ctr_size("70.6 KiB"), Some(70.6 * 1024.0));
        assert_eq!(parse_ctr_size("512 B"), Some(512.0));
        assert_eq!(parse_ctr_size("1.5 MiB"), Some(1.5 * 1024.0 * 1024.0));
        assert_eq!(parse_ctr_size("many"), None);
    }

    #[test]
    fn container_names_carry_the_process_prefix() {
        let name = container_name("x");
        assert!(name.starts_with("wasmlab-"), "{name}");
        assert!(name.contains(&std::process::id().to_string()));
        assert!(name.ends_with("-x"));
    }

    #[test]
    fn the_wasm_run_command_names_the_shim_and_platform() {
        let cmd = run_command(Runtime::WASMTIME, "wasmlab-1-t", &["MODE=once"]);
        assert_eq!(
            describe(&cmd),
            format!(
                "ctr run --rm --runtime {WASM_RUNTIME} --platform wasi/wasm --env MODE=once {WASM_IMAGE} wasmlab-1-t"
            )
        );
        let cmd = run_command(Runtime::Runc, "n", &[]);
        assert_eq!(describe(&cmd), format!("ctr run --rm {NATIVE_IMAGE} n"));
    }
}

//! Wasm containers under containerd (the lab's Task 3), beside the native image under runc:
//! both images written as OCI layouts (`oci.rs`) and imported with `ctr`, sized, started
//! once per CLI sample (`cli_variants`), and the containers' memory, start throughput and
//! the server context measured (`CtrExtras`).
//!
//! Every `ctr` command runs through `run_once`, so a hung one is killed with its process
//! group after the timeout. What it leaves in containerd (a container, a task) is removed
//! by a [`Cleanup`] guard, even when a run fails or panics. Containers are named
//! `wasmlab-<pid>-...`, so [`remove_containers`] can remove this process's own.

use super::expect::moscow_json_run;
use super::Probe;
use crate::ctx::Ctx;
use crate::oci::{self, ImageInfo, Platform};
use crate::results::{Kind, Observation, Unit};
use crate::runner::{describe, run_once, tail, Exit, Run, Variant};
use crate::tools;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// Where the shim keeps compiled modules. Must equal `DEFAULT_CACHE_DIR` in
/// shim/src/cache.rs (and containerd must not set `WASMLAB_SHIM_CACHE_DIR` elsewhere):
/// the first-start variant empties it, the cached one checks it holds a module.
pub const SHIM_CACHE_DIR: &str = "/var/cache/wasmlab-shim";
/// containerd's runtime name for the shim binary `containerd-shim-wasmtime-v1`.
pub const WASM_RUNTIME: &str = "io.containerd.wasmtime.v1";
pub const SHIM_BINARY: &str = "containerd-shim-wasmtime-v1";
pub const WASM_IMAGE: &str = "docker.io/wasmlab/moscow-time-wasm:latest";
pub const NATIVE_IMAGE: &str = "docker.io/wasmlab/moscow-time-native:latest";
/// ctr's default namespace, where everything here lives; a container's cgroup is
/// `/<namespace>/<container>`.
pub const NAMESPACE: &str = "default";
/// Longest a cleanup command may take.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Memory cycles per runtime.
const MAX_MEMORY_CYCLES: usize = 5;
/// Bounds of the back-to-back start batch (`ctx.runs`, within these).
const THROUGHPUT_BATCH: (usize, usize) = (10, 50);

/// Which OCI runtime runs a container, and so which image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// The native image under runc (containerd's default runtime).
    Runc,
    /// The wasm image under the wasmtime shim.
    Wasmtime,
}

impl Runtime {
    pub fn image(self) -> &'static str {
        match self {
            Runtime::Runc => NATIVE_IMAGE,
            Runtime::Wasmtime => WASM_IMAGE,
        }
    }

    pub fn platform(self) -> Platform {
        match self {
            Runtime::Runc => Platform::LinuxAmd64,
            Runtime::Wasmtime => Platform::WasiWasm,
        }
    }

    /// `ctr run` flags choosing the runtime (runc is the default).
    pub fn run_flags(self) -> &'static [&'static str] {
        match self {
            Runtime::Runc => &[],
            Runtime::Wasmtime => &["--runtime", WASM_RUNTIME, "--platform", "wasi/wasm"],
        }
    }

    /// Variant part of observation ids.
    pub fn variant(self) -> &'static str {
        match self {
            Runtime::Runc => "ctr-runc",
            Runtime::Wasmtime => "ctr-wasmtime-cached",
        }
    }

    /// Why this runtime cannot run containers here, with the fix.
    pub fn unavailable(self) -> Option<String> {
        if let Err(reason) = containerd() {
            return Some(reason.to_owned());
        }
        match self {
            Runtime::Runc => None,
            Runtime::Wasmtime => shim().err(),
        }
    }
}

/// containerd's version when `ctr` is on PATH and the daemon answers, else why not and how
/// to fix it. Asked once per process.
pub fn containerd() -> Result<&'static str, &'static str> {
    static ANSWER: OnceLock<Result<String, String>> = OnceLock::new();
    ANSWER
        .get_or_init(|| {
            if which::which("ctr").is_err() {
                return Err(
                    "ctr not found on PATH; as root, `make setup` installs containerd".into(),
                );
            }
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
    which::which(SHIM_BINARY).map_err(|_| {
        format!("{SHIM_BINARY} not found on PATH; as root, `make setup` builds and installs it")
    })
}

/// `wasmlab-<pid>-<tag>`: unique to this process, found again by [`remove_containers`].
pub fn container_name(tag: &str) -> String {
    format!("{}{tag}", own_prefix())
}

fn own_prefix() -> String {
    format!("wasmlab-{}-", std::process::id())
}

/// Runs `ctr args`; its output when it exits 0, else the error with ctr's stderr.
fn ctr(args: &[&str], timeout: Duration) -> Result<Run, String> {
    let mut cmd = Command::new("ctr");
    cmd.args(args);
    match run_once(&mut cmd, timeout) {
        Ok(run) if run.exit == Exit::Code(0) => Ok(run),
        Ok(run) => Err(format!(
            "`{}` failed with {}: {}",
            describe(&cmd),
            run.exit,
            run.stderr_tail()
        )),
        Err(e) => Err(format!("`{}`: {e:#}", describe(&cmd))),
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
    guard.remove_all();
    let mut cmd = run_command_of(runtime, image, name, env);
    let run = run_once(&mut cmd, timeout).map_err(|e| format!("{e:#}"))?;
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

    /// Removes those of its containers that exist, whatever state their task is in.
    pub fn remove_all(&self) {
        let Ok(present) = containers() else { return };
        for name in self.names.iter().filter(|n| present.contains(n)) {
            remove_container(name);
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.remove_all();
    }
}

/// The names of the containers in the namespace.
fn containers() -> Result<Vec<String>, String> {
    let run = ctr(&["containers", "ls", "-q"], CLEANUP_TIMEOUT)?;
    Ok(run.stdout.split_whitespace().map(str::to_owned).collect())
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
    if containerd().is_err() {
        return;
    }
    if let Ok(names) = containers() {
        for name in names.iter().filter(|n| n.starts_with(&prefix)) {
            remove_container(name);
        }
    }
}

/// Where `runtime`'s image tar is written.
pub fn image_tar(ctx: &Ctx, runtime: Runtime) -> PathBuf {
    ctx.work_dir
        .join(format!("{}-image.tar", runtime.variant()))
}

/// Writes `runtime`'s image from the built artifact and imports it, unless containerd
/// already holds that exact image (same manifest digest) and `always` is false.
pub fn ensure_image(ctx: &Ctx, runtime: Runtime, always: bool) -> Result<ImageInfo, String> {
    let (file, entry) = match runtime {
        Runtime::Runc => (&ctx.native, "moscow-time"),
        Runtime::Wasmtime => (&ctx.wasm, "moscow-time.wasm"),
    };
    let tar = image_tar(ctx, runtime);
    let info = oci::write_image(&tar, runtime.image(), file, entry, runtime.platform())
        .map_err(|e| format!("cannot write the image: {e:#}"))?;
    let held = listed(runtime.image())?;
    if always || held.as_ref().map(|l| &l.digest) != Some(&info.manifest_digest) {
        import(&tar, runtime.platform(), ctx.timeout)?;
        match listed(runtime.image())? {
            Some(l) if l.digest == info.manifest_digest => {}
            Some(l) => {
                return Err(format!(
                    "after the import ctr lists {} with digest {}, not the written {}",
                    runtime.image(),
                    l.digest,
                    info.manifest_digest
                ))
            }
            None => {
                return Err(format!(
                    "after the import ctr does not list {}",
                    runtime.image()
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
            .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
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

/// The wasm image's compiled module in the shim's cache, once seen to appear there.
static OUR_MODULE: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Makes sure the shim's cache holds the wasm image's compiled module. Which file that is
/// (its name is a hash the shim computes) is learnt once, from an untimed start as container
/// `name` on an emptied cache; a module of another image does not count. A start that
/// leaves the cache empty means the shim caches elsewhere (or not at all), and "cached"
/// figures would be false.
pub fn warm_shim_cache(name: &str, timeout: Duration) -> Result<(), String> {
    let mut ours = OUR_MODULE.lock().unwrap_or_else(PoisonError::into_inner);
    if ours.as_ref().is_some_and(|path| path.is_file()) {
        return Ok(());
    }
    empty_shim_cache()?;
    run_image(Runtime::Wasmtime, WASM_IMAGE, name, &["MODE=once"], timeout)?;
    match cached_modules()?.as_slice() {
        [module] => {
            *ours = Some(module.clone());
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
enum CacheState {
    /// Not the shim: nothing to do.
    Any,
    /// Emptied: every sample a first start, compiling the module.
    Cold,
    /// Holding the compiled module.
    Warm,
}

impl CacheState {
    fn prepare(self, name: &str, timeout: Duration) -> Result<(), String> {
        match self {
            CacheState::Any => Ok(()),
            CacheState::Cold => empty_shim_cache(),
            CacheState::Warm => warm_shim_cache(name, timeout),
        }
    }
}

/// Why a variant could not be made: (observation id, label, command, reason).
pub type Unavailable = (String, String, String, String);

/// `ctr run --rm` of the native image under runc and of the wasm image under the wasmtime
/// shim, first start (compile cache emptied before each run) and cached, for the CLI
/// startup comparison. Each is `Err` with the reason when containerd, the shim or the image
/// is missing. The images are imported here when containerd does not hold the current
/// ones. Before each run, whatever a failed run left of the variant's container is removed,
/// and so is it when the variant is dropped.
pub fn cli_variants(ctx: &Ctx) -> Vec<Result<Variant, Unavailable>> {
    let specs = [
        (
            "ctr-runc",
            "native image, ctr run --rm (runc)",
            Runtime::Runc,
            CacheState::Any,
        ),
        (
            "ctr-wasmtime-first",
            "wasm image, ctr run --rm (wasmtime shim), first start: compile cache emptied",
            Runtime::Wasmtime,
            CacheState::Cold,
        ),
        (
            "ctr-wasmtime-cached",
            "wasm image, ctr run --rm (wasmtime shim), compiled module cached",
            Runtime::Wasmtime,
            CacheState::Warm,
        ),
    ];
    let mut images: Vec<(Runtime, Result<ImageInfo, String>)> = Vec::new();
    specs
        .into_iter()
        .map(|(variant, label, runtime, cache)| {
            let id = format!("startup.cli.{variant}");
            let name = container_name(&format!("cli-{variant}"));
            let command = run_command(runtime, &name, &["MODE=once"]);
            let unavailable =
                |reason: String| (id.clone(), label.to_owned(), describe(&command), reason);
            if let Some(reason) = runtime.unavailable() {
                return Err(unavailable(reason));
            }
            let image = match images.iter().find(|(r, _)| *r == runtime) {
                Some((_, image)) => image.clone(),
                None => {
                    let image = ensure_image(ctx, runtime, false);
                    images.push((runtime, image.clone()));
                    image
                }
            };
            if let Err(reason) = image {
                return Err(unavailable(format!(
                    "image {} is not in containerd: {reason}",
                    runtime.image()
                )));
            }
            let guard = Cleanup::new(vec![name.clone()]);
            let timeout = ctx.timeout;
            Ok(Variant {
                id,
                label: label.to_owned(),
                command,
                check: moscow_json_run,
                before_each: Some(Box::new(move || {
                    guard.remove_all();
                    cache.prepare(&guard.names[0], timeout)
                })),
            })
        })
        .collect()
}

/// The images: written as OCI layouts from the built artifacts, imported, sized.
pub struct CtrImages;

impl Probe for CtrImages {
    fn id(&self) -> &'static str {
        "ctr-image"
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        [
            (
                Runtime::Wasmtime,
                "size.image.ctr-wasm",
                "wasm image (OCI layout, one uncompressed layer): manifest + config + layer",
            ),
            (
                Runtime::Runc,
                "size.image.ctr-native",
                "native image (OCI layout, one uncompressed layer): manifest + config + layer",
            ),
        ]
        .into_iter()
        .map(|(runtime, id, label)| {
            let command = format!(
                "ctr images import --platform {} {}; ctr images ls name=={}",
                runtime.platform().as_ctr(),
                image_tar(ctx, runtime).display(),
                runtime.image()
            );
            if let Err(reason) = containerd() {
                return ctx.unavailable(id, label, Kind::Size, Unit::Bytes, command, reason);
            }
            match image_size(ctx, runtime) {
                Ok((bytes, shown)) => {
                    Observation::measured(id, label, Kind::Size, Unit::Bytes, command, vec![bytes])
                        .with_shown(format!("{shown} (ctr images ls)"))
                }
                Err(e) => {
                    Observation::failed(id, label, Kind::Size, Unit::Bytes, command, e, vec![])
                }
            }
        })
        .collect()
    }
}

/// Imports the image and returns its bytes (manifest + config + layer) and ctr's SIZE,
/// checked to agree.
fn image_size(ctx: &Ctx, runtime: Runtime) -> Result<(f64, String), String> {
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

/// The containers beyond start time: their cgroup's peak memory, the server context of the
/// wasm image, and how many starts a second go back to back.
pub struct CtrExtras;

impl Probe for CtrExtras {
    fn id(&self) -> &'static str {
        "ctr"
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let mut observations = memory(ctx);
        observations.push(server_context(ctx));
        observations.extend(throughput(ctx));
        observations
    }
}

/// Why `runtime`'s containers cannot run: containerd, the shim, or the image.
fn not_ready(ctx: &Ctx, runtime: Runtime) -> Option<String> {
    runtime
        .unavailable()
        .or_else(|| ensure_image(ctx, runtime, false).err())
}

/// The container's memory cgroup peak file, cgroup v1 or v2.
fn peak_file(name: &str) -> PathBuf {
    if Path::new("/sys/fs/cgroup/memory").is_dir() {
        PathBuf::from(format!(
            "/sys/fs/cgroup/memory/{NAMESPACE}/{name}/memory.max_usage_in_bytes"
        ))
    } else {
        PathBuf::from(format!("/sys/fs/cgroup/{NAMESPACE}/{name}/memory.peak"))
    }
}

/// One detached `MODE=once` container: start, wait until its task has stopped, read its
/// cgroup's peak memory (the cgroup lives until the task is deleted), delete it. The task
/// must have exited 0 (`ctr task rm` warns of a non-zero exit).
pub fn memory_peak(runtime: Runtime, name: &str, timeout: Duration) -> Result<f64, String> {
    let guard = Cleanup::new(vec![name.to_owned()]);
    guard.remove_all();
    let mut args = vec!["run", "-d", "--null-io"];
    args.extend(runtime.run_flags());
    args.extend(["--env", "MODE=once", runtime.image(), name]);
    ctr(&args, timeout)?;
    let deadline = Instant::now() + timeout;
    loop {
        let tasks = ctr(&["task", "ls"], timeout)?.stdout;
        let status = tasks.lines().find_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            (words.first() == Some(&name)).then(|| words.get(2).copied().unwrap_or_default())
        });
        match status {
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
    let deleted = ctr(&["task", "rm", name], timeout)?;
    if deleted.stderr.contains("non-zero exit code") {
        return Err(format!("the task failed: {}", deleted.stderr_tail()));
    }
    ctr(&["containers", "rm", name], timeout)?;
    Ok(peak)
}

/// Peak memory of the container cgroup of a `MODE=once` start: runc, the shim compiling,
/// the shim with the module cached. Cycles interleaved.
fn memory(ctx: &Ctx) -> Vec<Observation> {
    let specs = [
        (
            Runtime::Runc,
            CacheState::Any,
            "ctr-runc",
            "native image under runc: container cgroup peak memory (runc init included)",
        ),
        (
            Runtime::Wasmtime,
            CacheState::Cold,
            "ctr-wasmtime-first",
            "wasm image under the wasmtime shim, compiling: container cgroup peak memory \
             (pages shared with the shim's zygote are charged to the shim, not here)",
        ),
        (
            Runtime::Wasmtime,
            CacheState::Warm,
            "ctr-wasmtime-cached",
            "wasm image under the wasmtime shim, module cached: container cgroup peak memory \
             (pages shared with the shim's zygote are charged to the shim, not here)",
        ),
    ];
    struct Taken {
        samples: Vec<f64>,
        error: Option<String>,
    }
    let mut observations = Vec::new();
    let mut live = Vec::new();
    for (runtime, cache, variant, label) in specs {
        let id = format!("memory.cli-peak.{variant}");
        let name = container_name(&format!("mem-{variant}"));
        let command = format!(
            "ctr run -d --null-io {}--env MODE=once {} {name}; poll ctr task ls until STOPPED; \
             read {} before ctr task rm",
            runtime
                .run_flags()
                .iter()
                .map(|f| format!("{f} "))
                .collect::<String>(),
            runtime.image(),
            peak_file(&name).display()
        );
        match not_ready(ctx, runtime) {
            Some(reason) => observations.push(ctx.unavailable(
                &id,
                label,
                Kind::Memory,
                Unit::Bytes,
                command,
                &reason,
            )),
            None => live.push((
                (runtime, cache, id, label, command, name),
                Taken {
                    samples: Vec::new(),
                    error: None,
                },
            )),
        }
    }
    for _ in 0..ctx.runs.clamp(1, MAX_MEMORY_CYCLES) {
        for ((runtime, cache, _, _, _, name), got) in &mut live {
            if got.error.is_some() {
                continue;
            }
            let taken = cache
                .prepare(name, ctx.timeout)
                .and_then(|()| memory_peak(*runtime, name, ctx.timeout));
            match taken {
                Ok(bytes) => got.samples.push(bytes),
                Err(e) => got.error = Some(e),
            }
        }
    }
    for ((_, _, id, label, command, _), got) in live {
        observations.push(Observation::concluded(
            &id,
            label,
            Kind::Memory,
            Unit::Bytes,
            command,
            got.samples,
            got.error,
        ));
    }
    observations
}

/// The wasm image in its server context (no `MODE`): WASI preview 1 has no sockets, so the
/// service says so and exits 2. Recorded: the wall time of `ctr run`, and the exit status
/// with the service's message.
fn server_context(ctx: &Ctx) -> Observation {
    const ID: &str = "server-context.exit.ctr-wasmtime";
    const LABEL: &str = "wasm image under the wasmtime shim without MODE (server context): \
                         ctr run --rm until it exits";
    let runtime = Runtime::Wasmtime;
    let name = container_name("server");
    let mut cmd = run_command(runtime, &name, &[]);
    let command = describe(&cmd);
    if let Some(reason) = not_ready(ctx, runtime) {
        return ctx.unavailable(ID, LABEL, Kind::Operation, Unit::Seconds, command, &reason);
    }
    let guard = Cleanup::new(vec![name]);
    guard.remove_all();
    match run_once(&mut cmd, ctx.timeout) {
        Ok(run) => {
            let exit = match run.exit {
                Exit::Code(code) => format!("exit {code}"),
                Exit::Signal(signal) => format!("killed by signal {signal}"),
            };
            let message = run
                .stderr
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("time="))
                .map_or_else(|| tail(&run.stderr), str::to_owned);
            Observation::measured(
                ID,
                LABEL,
                Kind::Operation,
                Unit::Seconds,
                command,
                vec![run.wall.as_secs_f64()],
            )
            .with_shown(format!("{exit}: {message}"))
        }
        Err(e) => Observation::failed(
            ID,
            LABEL,
            Kind::Operation,
            Unit::Seconds,
            command,
            format!("{e:#}"),
            vec![],
        ),
    }
}

/// A batch of `ctr run --rm` back to back per runtime (the wasm one with the module
/// cached): each start's duration, and starts per second over the batch.
fn throughput(ctx: &Ctx) -> Vec<Observation> {
    let batch = ctx.runs.clamp(THROUGHPUT_BATCH.0, THROUGHPUT_BATCH.1);
    [
        (
            Runtime::Runc,
            CacheState::Any,
            "native image under runc: ctr run --rm back to back",
        ),
        (
            Runtime::Wasmtime,
            CacheState::Warm,
            "wasm image under the wasmtime shim (module cached): ctr run --rm back to back",
        ),
    ]
    .into_iter()
    .map(|(runtime, cache, label)| {
        let id = format!("throughput.container-starts.{}", runtime.variant());
        let names: Vec<String> = (0..batch)
            .map(|i| container_name(&format!("tp-{}-{i}", runtime.variant())))
            .collect();
        let command = format!(
            "{batch} in a row: {} (i = 0..{batch})",
            describe(&run_command(
                runtime,
                &container_name(&format!("tp-{}-<i>", runtime.variant())),
                &["MODE=once"]
            ))
        );
        if let Some(reason) = not_ready(ctx, runtime) {
            return ctx.unavailable(&id, label, Kind::Operation, Unit::Seconds, command, &reason);
        }
        let guard = Cleanup::new(names);
        let failed = |e: String, samples| {
            Observation::failed(
                &id,
                label,
                Kind::Operation,
                Unit::Seconds,
                command.clone(),
                e,
                samples,
            )
        };
        if let Err(e) = cache.prepare(&container_name("tp-warm"), ctx.timeout) {
            return failed(e, vec![]);
        }
        let mut samples = Vec::new();
        let started = Instant::now();
        for name in &guard.names {
            let mut cmd = run_command(runtime, name, &["MODE=once"]);
            let checked = run_once(&mut cmd, ctx.timeout)
                .map_err(|e| format!("{e:#}"))
                .and_then(|run| moscow_json_run(&run).map(|()| run.wall));
            match checked {
                Ok(wall) => samples.push(wall.as_secs_f64()),
                Err(e) => return failed(format!("start {}: {e}", samples.len() + 1), samples),
            }
        }
        let rate = batch as f64 / started.elapsed().as_secs_f64();
        Observation::measured(&id, label, Kind::Operation, Unit::Seconds, command, samples)
            .with_shown(format!("{rate:.1} starts/s"))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let cmd = run_command(Runtime::Wasmtime, "wasmlab-1-t", &["MODE=once"]);
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

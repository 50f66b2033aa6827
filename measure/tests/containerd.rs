//! The images under containerd: the wasm module under the wasmtime shim and the native
//! binary under runc print the service's JSON; a broken image fails in time and leaves no
//! task or container; the `ctr-image`, `ctr` and `stress` probes measure what they claim.
//!
//! The tests of this file take a lock: the first-start variant empties the shim's
//! compilation cache, which would make another test's "cached" start a cold one.

mod common;

use common::*;
use measure::ctx::{Artifacts, Ctx, Options, Stress};
use measure::oci;
use measure::runner::{bench, Plan};
use measure::runtime::cli;
use measure::runtime::containerd::{self as ctr, Runtime};
use measure::runtime::containerd_api as api;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether containerd answers (and, for wasm, the shim is on PATH). When not, a test returns
/// early with a printed reason, unless `REQUIRE_RUNTIMES` is set, where that is a failure.
fn ctr_ready(test: &str, runtime: Runtime) -> bool {
    let answers = Command::new("ctr")
        .args(["--connect-timeout", "2s", "version"])
        .output()
        .is_ok_and(|o| o.status.success());
    let reason = if !answers {
        Some("containerd does not answer (as root, `make setup` starts it)".to_owned())
    } else {
        runtime.unavailable()
    };
    if let Some(reason) = &reason {
        let required = std::env::var("REQUIRE_RUNTIMES").is_ok_and(|v| v == "1" || v == "true");
        assert!(!required, "REQUIRE_RUNTIMES is set but {reason} ({test})");
        eprintln!("skipping {test}: {reason}");
    }
    reason.is_none()
}

/// A context on the built artifacts, deriving its files in `work_dir`.
fn ctx(work_dir: PathBuf, runs: usize) -> Ctx {
    let artifacts = Artifacts {
        native: native(),
        wasm: wasm(),
        floor: artifact("FLOOR_BIN"),
        dockerfile: PathBuf::from("unused-dockerfile"),
        measure: PathBuf::from(env!("CARGO_BIN_EXE_measure")),
        component: None,
        component_p3: None,
    };
    let options = Options {
        runs,
        warmup: 0,
        timeout: TIMEOUT,
        ..Options::default()
    };
    let mut ctx = Ctx::new(artifacts, options);
    ctx.work_dir = work_dir;
    ctx
}

/// Names in `ctr tasks ls -q` and `ctr containers ls -q` that start with `prefix`.
fn leftovers(prefix: &str) -> Vec<String> {
    ["tasks", "containers"]
        .iter()
        .flat_map(|what| {
            let out = Command::new("ctr")
                .args([what, "ls", "-q"])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
            stdout(&out)
                .split_whitespace()
                .filter(|n| n.starts_with(prefix))
                .map(|n| format!("{what}: {n}"))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn runs_and_prints_the_json(runtime: Runtime, test: &str) {
    if !ctr_ready(test, runtime) {
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path().to_owned(), 1);
    ctr::ensure_image(&ctx, runtime, false).unwrap();
    let name = ctr::container_name(&format!("test-{}", runtime.variant().name));
    let run = ctr::run_image(runtime, runtime.image(), &name, &["MODE=once"], TIMEOUT).unwrap();
    assert_moscow_json(&run.stdout);
    assert_eq!(leftovers(&name), Vec::<String>::new());
}

#[test]
fn the_wasm_image_prints_the_json_under_the_wasmtime_shim() {
    runs_and_prints_the_json(Runtime::WASMTIME, "the_wasm_image_prints_the_json");
}

#[test]
fn the_native_image_prints_the_json_under_runc() {
    runs_and_prints_the_json(Runtime::Runc, "the_native_image_prints_the_json");
}

/// The shim installed under each engine's runtime name runs the module with that engine.
#[test]
fn the_wasm_image_prints_the_json_under_every_shim_engine() {
    for runtime in Runtime::shims() {
        runs_and_prints_the_json(runtime, "the_wasm_image_prints_the_json_under_every_engine");
    }
}

/// An engine the module could not be precompiled for is not left out: its precompiled row
/// comes back with the error, to be reported failed.
#[test]
fn an_engine_that_cannot_precompile_fails_its_row() {
    use wasmlab_hosts::engine::Engine;
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = ctx(dir.path().to_owned(), 1);
    ctx.precompile_errors = vec![(Engine::Winch, "unsupported feature".to_owned())];
    let (variants, failed) = cli::local(&ctx);
    let ids: Vec<String> = variants.iter().map(|v| v.subject.id.to_string()).collect();
    assert!(
        ids.contains(&"startup.cli.embedded-winch-jit".to_owned()),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&"startup.cli.embedded-winch-aot".to_owned()),
        "{ids:?}"
    );
    let [(variant, why)] = &failed[..] else {
        panic!("{} failed rows", failed.len())
    };
    assert_eq!(
        variant.subject.id.to_string(),
        "startup.cli.embedded-winch-aot"
    );
    assert!(
        why.contains("winch") && why.contains("unsupported feature"),
        "{why}"
    );
}

/// Removes an image when dropped.
struct ImageGuard(String);

impl Drop for ImageGuard {
    fn drop(&mut self) {
        let _ = ctr::remove_image(&self.0);
    }
}

#[test]
fn a_broken_image_fails_with_a_reason_in_time_and_leaves_nothing_behind() {
    for runtime in [Runtime::WASMTIME, Runtime::Runc] {
        if !ctr_ready("a_broken_image_fails", runtime) {
            continue;
        }
        let _serial = serial();
        let dir = tempfile::tempdir().unwrap();
        let (file, entry) = match runtime {
            Runtime::Shim(_) => (wasm(), "moscow-time.wasm"),
            Runtime::Runc => (native(), "moscow-time"),
        };
        let image = format!(
            "docker.io/wasmlab/broken-{}:{}",
            runtime.variant().name,
            std::process::id()
        );
        let tar = dir.path().join("broken.tar");
        // The file is in the image, but the Entrypoint names one that is not.
        oci::write_image_with_entrypoint(
            &tar,
            &image,
            &file,
            entry,
            "/missing",
            runtime.platform(),
        )
        .unwrap();
        ctr::import(&tar, runtime.platform(), TIMEOUT).unwrap();
        let _image = ImageGuard(image.clone());

        let name = ctr::container_name(&format!("broken-{}", runtime.variant().name));
        let timeout = Duration::from_secs(30);
        let started = Instant::now();
        let err = ctr::run_image(runtime, &image, &name, &["MODE=once"], timeout).unwrap_err();
        assert!(
            started.elapsed() < timeout + Duration::from_secs(30),
            "{:?}",
            started.elapsed()
        );
        eprintln!("{}: {err}", runtime.variant().name);
        assert!(err.contains("failed with exit status"), "{err}");
        // runc names the file; so does the shim, on the container's stderr.
        let reason = match runtime {
            Runtime::Runc => "missing",
            Runtime::Shim(_) => "cannot read the entrypoint /missing",
        };
        assert!(err.contains(reason), "the reason says why: {err}");
        assert_eq!(leftovers(&name), Vec::<String>::new());
    }
}

/// An image whose entrypoint is not wasm (a text file) fails under the shim with that
/// reason on the container's stderr, not runwasi's "can't handle spec".
#[test]
fn an_entrypoint_that_is_not_wasm_is_named_as_such() {
    if !ctr_ready("an_entrypoint_that_is_not_wasm", Runtime::WASMTIME) {
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let image = "docker.io/wasmlab/not-wasm:test";
    import_wasm_image(
        dir.path(),
        image,
        "notes.txt",
        b"plain text, no wasm here\n",
    );
    let _image = ImageGuard(image.to_owned());
    let name = ctr::container_name("not-wasm");
    let err = ctr::run_image(Runtime::WASMTIME, image, &name, &[], TIMEOUT).unwrap_err();
    assert!(err.contains("is not a wasm binary"), "{err}");
    assert!(err.contains("notes.txt"), "{err}");
    assert_eq!(leftovers(&name), Vec::<String>::new());
}

#[test]
fn the_cli_variants_measure_runc_and_each_shim_engine_first_and_cached() {
    if !ctr_ready("the_cli_variants_measure", Runtime::WASMTIME) {
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path().to_owned(), 2);
    let variants: Vec<_> = cli::ctr(&ctx)
        .into_iter()
        .map(|v| v.unwrap_or_else(|u| panic!("{}: {}", u.subject.id, u.reason)))
        .collect();
    let ids: Vec<String> = variants.iter().map(|v| v.subject.id.to_string()).collect();
    assert_eq!(
        ids,
        [
            "startup.cli.ctr-runc",
            "startup.cli.ctr-wasmtime-first",
            "startup.cli.ctr-wasmtime-cached",
            "startup.cli.ctr-wasmtime-winch-first",
            "startup.cli.ctr-wasmtime-winch-cached",
            "startup.cli.ctr-wasmtime-pulley-first",
            "startup.cli.ctr-wasmtime-pulley-cached",
        ]
    );
    let plan = Plan {
        warmup: 0,
        runs: 2,
        timeout: TIMEOUT,
    };
    let observations = bench(variants, plan);
    for o in &observations {
        assert!(o.is_measured(), "{o:?}");
        assert_eq!(o.samples.len(), 2, "{}", o.id);
        assert!(o.command.starts_with("ctr run --rm "), "{}", o.command);
    }
    // The cached variant ran last, so the cache holds the module.
    let cached = std::fs::read_dir(ctr::SHIM_CACHE_DIR)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "cwasm")
        })
        .count();
    assert!(cached >= 1);
    assert_eq!(leftovers(&ctr::container_name("")), Vec::<String>::new());
}

#[test]
fn the_ctr_probes_measure_sizes_memory_the_server_context_and_throughput() {
    if !ctr_ready("the_ctr_probes_measure", Runtime::WASMTIME) {
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let out = measure_run(&results, &["ctr-image", "ctr"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));

    // The sizes are the written image's manifest + config + layer, as ctr lists them.
    for (runtime, id) in [
        (Runtime::WASMTIME, "size.image.ctr-wasm"),
        (Runtime::Runc, "size.image.ctr-native"),
    ] {
        let (file, entry) = match runtime {
            Runtime::Shim(_) => (wasm(), "moscow-time.wasm"),
            Runtime::Runc => (native(), "moscow-time"),
        };
        let info = oci::write_image(
            &dir.path().join("again.tar"),
            runtime.image(),
            &file,
            entry,
            runtime.platform(),
        )
        .unwrap();
        let o = observation(&results, id);
        assert_eq!(o["status"]["status"], "measured", "{o}");
        assert_eq!(
            o["samples"][0].as_f64().unwrap() as u64,
            info.content_bytes()
        );
        assert!(
            o["shown"].as_str().unwrap().ends_with("(ctr images ls)"),
            "{o}"
        );
        let listed = ctr::listed(runtime.image()).unwrap().unwrap();
        assert_eq!(listed.digest, info.manifest_digest);
    }

    for id in [
        "memory.cli-peak.ctr-runc",
        "memory.cli-peak.ctr-wasmtime-first",
        "memory.cli-peak.ctr-wasmtime-cached",
    ] {
        let o = observation(&results, id);
        assert_eq!(o["status"]["status"], "measured", "{o}");
        let samples = o["samples"].as_array().unwrap();
        assert_eq!(samples.len(), 2, "{id}");
        // More than a page, less than a gigabyte.
        assert!(
            samples
                .iter()
                .all(|s| (4096.0..1e9).contains(&s.as_f64().unwrap())),
            "{o}"
        );
    }

    let o = observation(&results, "server-context.exit.ctr-wasmtime");
    assert_eq!(o["status"]["status"], "measured", "{o}");
    let shown = o["shown"].as_str().unwrap();
    assert!(
        shown.starts_with("exit 2: ") && shown.contains("WASI preview 1"),
        "{shown}"
    );

    for id in [
        "throughput.container-starts.ctr-runc",
        "throughput.container-starts.ctr-wasmtime",
    ] {
        let o = observation(&results, id);
        assert_eq!(o["status"]["status"], "measured", "{o}");
        assert_eq!(o["samples"].as_array().unwrap().len(), 10, "{id}");
        // The rate follows from the median start, as every figure follows from a median.
        let median = o["summary"]["median"].as_f64().unwrap();
        assert_eq!(
            o["shown"].as_str().unwrap(),
            format!("{:.1} starts/s (1 / the median)", 1.0 / median),
            "{o}"
        );
    }
    // The child is gone; nothing it named is left.
    assert_eq!(leftovers("wasmlab-"), Vec::<String>::new());
}

#[test]
fn without_ctr_or_the_shim_the_observations_are_skipped_with_the_fix() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let out = measure_run(
        &results,
        &["ctr-image"],
        &[("PATH", "/nonexistent"), ("REQUIRE_RUNTIMES", "0")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    for id in ["size.image.ctr-wasm", "size.image.ctr-native"] {
        let o = observation(&results, id);
        assert_eq!(o["status"]["status"], "skipped", "{o}");
        let reason = o["status"]["reason"].as_str().unwrap();
        assert!(
            reason.contains("ctr not found on PATH") && reason.contains("make setup"),
            "{reason}"
        );
    }

    // ctr present but not the shim: the wasm observations say how to get it.
    if !ctr_ready("without_the_shim", Runtime::Runc) {
        return;
    }
    let ctr_dir = which::which("ctr").unwrap().parent().unwrap().to_owned();
    if ctr_dir.join(ctr::SHIM_BINARY).exists() {
        eprintln!("skipping the shim half: the shim is beside ctr");
        return;
    }
    let path = ctr_dir.to_string_lossy().into_owned();
    let out = measure_run(
        &results,
        &["ctr"],
        &[("PATH", path.as_str()), ("REQUIRE_RUNTIMES", "0")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let o = observation(&results, "memory.cli-peak.ctr-wasmtime-cached");
    assert_eq!(o["status"]["status"], "skipped", "{o}");
    let reason = o["status"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("containerd-shim-wasmtime-v1 not found on PATH")
            && reason.contains("make setup"),
        "{reason}"
    );
    assert_eq!(
        observation(&results, "memory.cli-peak.ctr-runc")["status"]["status"],
        "measured"
    );
}

/// `(module (func (export "_start") (loop (br 0))))`: spins until killed.
const SPINNING_WASM: &[u8] = &[
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
    0x03, 0x02, 0x01, 0x00, // one function of type 0
    0x07, 0x0a, 0x01, 0x06, b'_', b's', b't', b'a', b'r', b't', 0x00, 0x00, // export _start
    0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, // loop { br 0 }
];

#[test]
fn a_container_still_running_at_the_timeout_is_killed_and_removed() {
    for runtime in [Runtime::WASMTIME, Runtime::Runc] {
        if !ctr_ready("a_container_still_running_at_the_timeout", runtime) {
            continue;
        }
        let _serial = serial();
        let dir = tempfile::tempdir().unwrap();
        let tar = dir.path().join("hang.tar");
        let image = format!(
            "docker.io/wasmlab/hang-{}:{}",
            runtime.variant().name,
            std::process::id()
        );
        // The wasm image spins; the native one serves (no MODE) until it is killed.
        let (file, entry) = match runtime {
            Runtime::Shim(_) => {
                let file = dir.path().join("spin.wasm");
                std::fs::write(&file, SPINNING_WASM).unwrap();
                (file, "spin.wasm")
            }
            Runtime::Runc => (native(), "moscow-time"),
        };
        oci::write_image(&tar, &image, &file, entry, runtime.platform()).unwrap();
        ctr::import(&tar, runtime.platform(), TIMEOUT).unwrap();
        let _image = ImageGuard(image.clone());

        let name = ctr::container_name(&format!("hang-{}", runtime.variant().name));
        let timeout = Duration::from_secs(3);
        let started = Instant::now();
        let err = ctr::run_image(runtime, &image, &name, &[], timeout).unwrap_err();
        let took = started.elapsed();
        assert!(err.contains("did not finish within 3s"), "{err}");
        assert!(took < Duration::from_secs(30), "{took:?}");
        assert_eq!(leftovers(&name), Vec::<String>::new());
    }
}

/// Containers of this process in the stress probe's namespace.
fn stress_leftovers() -> Vec<String> {
    let out = Command::new("ctr")
        .args(["-n", api::NAMESPACE, "containers", "ls", "-q"])
        .output()
        .unwrap();
    let prefix = api::own_prefix();
    stdout(&out)
        .split_whitespace()
        .filter(|id| id.starts_with(&prefix))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_stress_probe_measures_every_runtime_at_every_level_and_leaves_nothing() {
    if !ctr_ready("the_stress_probe", Runtime::WASMTIME) {
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = ctx(dir.path().to_owned(), 1);
    ctx.stress = Stress {
        tasks: 3,
        rounds: 2,
        concurrency: vec![1, 3],
    };
    let probe = measure::probe::registry()
        .into_iter()
        .find(|p| p.id() == "stress")
        .unwrap();
    let observations = probe.run(&ctx);
    let runtimes: Vec<Runtime> = std::iter::once(Runtime::Runc)
        .chain(Runtime::shims())
        .collect();
    assert_eq!(observations.len(), runtimes.len() * 2 * 2);
    for runtime in runtimes {
        let variant = runtime.variant().name;
        for level in [1, 3] {
            for (metric, samples) in [("tasks-per-second", 2), ("start-latency", 6)] {
                let id = format!("stress.{metric}-c{level}.{variant}");
                let o = observations
                    .iter()
                    .find(|o| o.id.to_string() == id)
                    .unwrap_or_else(|| panic!("{id} missing"));
                assert!(o.is_measured(), "{id}: {:?}", o.status);
                assert_eq!(o.samples.len(), samples, "{id}");
                assert!(o.samples.iter().all(|s| *s > 0.0), "{id}: {:?}", o.samples);
                assert!(o.command.contains(runtime.name()), "{}", o.command);
            }
        }
    }
    assert_eq!(stress_leftovers(), Vec::<String>::new());
}

#[test]
fn a_stress_task_still_running_at_its_timeout_is_killed_and_removed() {
    if !ctr_ready("a_stress_task_still_running", Runtime::WASMTIME) {
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("spin.wasm");
    std::fs::write(&module, SPINNING_WASM).unwrap();
    let rootfs = api::Rootfs::prepare(&dir.path().join("root"), &module, "spin.wasm").unwrap();
    let id = ctr::container_name("stress-hang");
    let timeout = Duration::from_secs(3);
    let started = Instant::now();
    let done = api::block_on(async {
        let api = api::Api::connect().await?;
        let outcome = api.run_task(Runtime::WASMTIME, &rootfs, &id, timeout).await;
        let left = stress_leftovers();
        // As the probe ends: the namespace goes too.
        api.remove_own().await?;
        Ok::<_, String>((outcome, left))
    })
    .unwrap();
    let (outcome, left) = done.unwrap();
    let err = outcome.unwrap_err();
    assert!(err.contains("did not finish within 3 s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(left, Vec::<String>::new());
}

/// `cmd` (a `measure run`) started quietly, once `going` says (of its pid) that it is in
/// the middle of its work, within `within`.
fn started_until(
    mut cmd: Command,
    going: impl Fn(u32) -> bool,
    within: Duration,
) -> std::process::Child {
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + within;
    while !going(child.id()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        going(child.id()),
        "`{cmd:?}` did not get going in {within:?}"
    );
    child
}

/// Ctrl-C for `child`, and its exit code once it has exited (within a generous 60 s).
fn interrupted(mut child: std::process::Child) -> Option<i32> {
    // SAFETY: signalling a child this test spawned and has not reaped.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let stopped_by = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < stopped_by,
            "measure still running 60 s after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait().unwrap().code()
}

/// Ctrl-C in the middle of the stress probe: `measure` exits, and nothing of its tasks or
/// containers is left in the probe's namespace.
#[test]
fn an_interrupted_stress_run_leaves_nothing_behind() {
    if !ctr_ready("an_interrupted_stress_run", Runtime::WASMTIME) {
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = measure();
    cmd.args(["run", "--probe", "stress", "--runs", "1", "--warmup", "0"])
        .args(["--stress-tasks", "200", "--stress-rounds", "10"])
        .arg("--results")
        .arg(dir.path().join("results.json"));
    // Interrupted once its tasks are running.
    let child = started_until(
        cmd,
        |pid| has_container(api::NAMESPACE, pid),
        Duration::from_secs(60),
    );
    let pid = child.id();
    assert_eq!(interrupted(child), Some(130));
    assert_eq!(
        ctr_listed(api::NAMESPACE, "containers", &format!("wasmlab-{pid}-")),
        Vec::<String>::new()
    );
}

/// The pids of `pid`'s children now.
fn children_of(pid: u32) -> Vec<u32> {
    measure::procfs::processes()
        .unwrap()
        .into_iter()
        .filter(|p| p.parent == pid)
        .map(|p| p.pid)
        .collect()
}

/// Waits (a generous bound) until none of `pids` is left.
fn gone(pids: &[u32], within: Duration) -> Vec<u32> {
    let deadline = Instant::now() + within;
    loop {
        let left: Vec<u32> = pids
            .iter()
            .copied()
            .filter(|p| std::path::Path::new(&format!("/proc/{p}")).exists())
            .collect();
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What a run of process `pid` left: its containers and tasks in both namespaces, the
/// stress namespace, shim processes serving its containers, its docker containers, and
/// any of `children` (the servers and commands it started) still alive or listening.
fn left_by(pid: u32, children: &[u32]) -> Vec<String> {
    let prefix = format!("wasmlab-{pid}-");
    let mut left = Vec::new();
    for namespace in [ctr::NAMESPACE, api::NAMESPACE] {
        for what in ["containers", "tasks"] {
            left.extend(
                ctr_listed(namespace, what, &prefix)
                    .into_iter()
                    .map(|id| format!("{what} in {namespace}: {id}")),
            );
        }
    }
    let namespaces = Command::new("ctr")
        .args(["namespaces", "ls", "-q"])
        .output()
        .unwrap();
    if stdout(&namespaces).lines().any(|n| n == api::NAMESPACE) {
        left.push(format!("namespace {}", api::NAMESPACE));
    }
    let shims: Vec<u32> = measure::procfs::processes()
        .unwrap()
        .into_iter()
        .filter(|p| p.args.iter().any(|a| a.starts_with(&prefix)))
        .map(|p| p.pid)
        .collect();
    left.extend(
        gone(&shims, Duration::from_secs(10))
            .into_iter()
            .map(|p| format!("process {p} serving a container of the run")),
    );
    left.extend(
        gone(children, Duration::from_secs(10))
            .into_iter()
            .map(|p| format!("process {p} the run started")),
    );
    let docker = Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("label=wasmlab.run={pid}")])
        .output();
    if let Ok(docker) = docker {
        left.extend(
            stdout(&docker)
                .split_whitespace()
                .map(|id| format!("docker container {id}")),
        );
    }
    let listening = Command::new("ss").arg("-ltnpH").output().unwrap();
    left.extend(
        stdout(&listening)
            .lines()
            .filter(|line| children.iter().any(|c| line.contains(&format!("pid={c},"))))
            .map(|line| format!("listening: {line}")),
    );
    left
}

/// `measure run --probe <probe>` killed with SIGKILL once `started` says it is in the
/// middle of its work: its children end (servers with it, a one-shot command when it is
/// done), and one more run (`--probe size`) removes everything it left in containerd, so
/// nothing of it is left at all.
fn a_killed_run_leaves_nothing(probe: &str, started: impl Fn(u32) -> bool) {
    if !ctr_ready(&format!("a_killed_{probe}_run"), Runtime::WASMTIME) {
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let cmd = run_command(&dir.path().join("results.json"), &[probe]);
    let mut child = started_until(cmd, started, Duration::from_secs(180));
    let pid = child.id();
    let children = children_of(pid);
    child.kill().unwrap();
    child.wait().unwrap();
    // A one-shot command (a `ctr run --rm`, wrk) is not killed with measure: it is spawned
    // without the parent-death signal, which would cost a fork inside its timing.
    let running = gone(&children, Duration::from_secs(30));
    assert_eq!(
        running,
        Vec::<u32>::new(),
        "children of the killed run still running"
    );
    let next = run_command(&dir.path().join("next.json"), &["size"])
        .output()
        .unwrap();
    assert!(next.status.success(), "{}", stderr(&next));
    assert_eq!(
        left_by(pid, &children),
        Vec::<String>::new(),
        "{}",
        stderr(&next)
    );
}

/// Whether run `pid` has a container in `namespace` now.
fn has_container(namespace: &str, pid: u32) -> bool {
    !ctr_listed(namespace, "containers", &format!("wasmlab-{pid}-")).is_empty()
}

#[test]
fn a_killed_ctr_run_leaves_nothing_once_the_next_run_starts() {
    a_killed_run_leaves_nothing("ctr", |pid| has_container(ctr::NAMESPACE, pid));
}

#[test]
fn a_killed_stress_run_leaves_nothing_once_the_next_run_starts() {
    a_killed_run_leaves_nothing("stress", |pid| has_container(api::NAMESPACE, pid));
}

/// Killed while it loads the servers: the server containers are running then, and the
/// processes it serves from are its children.
#[test]
fn a_killed_load_run_leaves_nothing_once_the_next_run_starts() {
    a_killed_run_leaves_nothing("load", |pid| {
        has_container(ctr::NAMESPACE, pid)
            && measure::procfs::processes()
                .unwrap()
                .iter()
                .any(|p| p.parent == pid && p.args.first().is_some_and(|a| a.ends_with("wrk")))
    });
}

/// `measure` killed with SIGKILL while it serves: the servers it started die with it (they
/// would otherwise go on listening).
#[test]
fn a_killed_server_run_leaves_no_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = run_command(&dir.path().join("results.json"), &["server"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut children = Vec::new();
    while children.is_empty() && Instant::now() < deadline {
        children = children_of(child.id());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !children.is_empty(),
        "the server probe started nothing in 60 s"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(gone(&children, Duration::from_secs(10)), Vec::<u32>::new());
}

/// The wasi:http component's image under each of the shim's runtime names, with no
/// arguments, served on the address in its environment: `/api/time` is the Moscow Time
/// JSON, `/` the page; `ctr task kill` stops it within 5 s with a half-sent request open.
#[test]
fn the_shim_serves_the_component_image_under_every_engine_and_stops_within_5_s() {
    if !ctr_ready("the_shim_serves_the_component_image", Runtime::WASMTIME) {
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = ctx(dir.path().to_owned(), 1);
    ctx.component = artifact("WASI_HTTP_COMPONENT");
    ctr::ensure(&ctx, ctr::Image::Component, false).unwrap();
    for runtime in Runtime::shims() {
        let name = ctr::container_name(&format!("serve-test-{}", runtime.variant().name));
        let guard = ctr::Cleanup::new(vec![name.clone()]);
        guard.remove_all().unwrap();
        let addr = serve_detached(runtime, ctr::HTTP_IMAGE, &name, &[]);
        wasmlab_hosts::http::wait_ready(addr, "/api/time", TIMEOUT, || Ok(())).unwrap();
        let (code, body) = wasmlab_hosts::http::get(addr, "/api/time", TIMEOUT).unwrap();
        assert_eq!(code, 200, "{}", runtime.name());
        assert_moscow_json(&body);
        let (code, page) = wasmlab_hosts::http::get(addr, "/", TIMEOUT).unwrap();
        assert_eq!(code, 200);
        assert!(page.contains("Current time in Moscow"), "{page}");
        // A request head that never ends must not hold the stop.
        let mut half = std::net::TcpStream::connect(addr).unwrap();
        std::io::Write::write_all(&mut half, b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
        let killed = Instant::now();
        ctr::ctr(&["task", "kill", &name], TIMEOUT).unwrap();
        let running = || {
            let tasks = ctr::ctr(&["task", "ls"], TIMEOUT).unwrap().stdout;
            tasks
                .lines()
                .any(|l| l.starts_with(&name) && l.contains("RUNNING"))
        };
        while running() && killed.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            killed.elapsed() < Duration::from_secs(5),
            "{} took {:?} to stop",
            runtime.name(),
            killed.elapsed()
        );
    }
}

/// The wasi:http@0.3 component's image under the shim, its instances reused and taking
/// several requests at once: the same routes as the 0.2 one's, to clients at once.
#[test]
fn the_shim_serves_the_0_3_component_image_to_clients_at_once() {
    if !ctr_ready("the_shim_serves_the_0_3_component_image", Runtime::WASMTIME) {
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = ctx(dir.path().to_owned(), 1);
    ctx.component_p3 = Ok(artifact("WASI_HTTP_P3_COMPONENT"));
    ctr::ensure(&ctx, ctr::Image::ComponentP3, false).unwrap();
    let name = ctr::container_name("serve-test-p3");
    let guard = ctr::Cleanup::new(vec![name.clone()]);
    guard.remove_all().unwrap();
    let env = [
        format!("{}=128", wasmlab_shim_contract::INSTANCE_REUSE_ENV),
        format!("{}=16", wasmlab_shim_contract::INSTANCE_AT_ONCE_ENV),
    ];
    let addr = serve_detached(Runtime::WASMTIME, ctr::HTTP_P3_IMAGE, &name, &env);
    wasmlab_hosts::http::wait_ready(addr, "/api/time", TIMEOUT, || Ok(())).unwrap();
    let clients: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                for _ in 0..10 {
                    let (code, body) =
                        wasmlab_hosts::http::get(addr, "/api/time", TIMEOUT).unwrap();
                    assert_eq!(code, 200, "{body}");
                    assert_moscow_json(&body);
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    let (code, page) = wasmlab_hosts::http::get(addr, "/", TIMEOUT).unwrap();
    assert_eq!(code, 200);
    assert!(page.contains("Current time in Moscow"), "{page}");
    drop(guard);
    assert_eq!(leftovers("wasmlab-"), Vec::<String>::new());
}

/// The server probe under the real containerd: the native server container under runc
/// and the component's under the shim, its first start (compile cache emptied) apart from
/// its cached one, and the instance-reusing container, each with its time to the first
/// 200, its memory while serving and its stop; and nothing of theirs left after.
#[test]
fn the_server_probe_times_each_server_container_first_cached_and_reusing() {
    if !ctr_ready(
        "the_server_probe_times_each_server_container",
        Runtime::WASMTIME,
    ) {
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let out = measure_run(&results, &["server"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    for variant in [
        "ctr-runc",
        "ctr-wasmtime-first",
        "ctr-wasmtime",
        "ctr-wasmtime-reuse",
        "ctr-wasmtime-p3",
    ] {
        for metric in [
            "ready.server",
            "stop.server",
            "memory.server-container-total",
        ] {
            let id = format!("{metric}.{variant}");
            let o = observation(&results, &id);
            assert_eq!(o["status"]["status"], "measured", "{o}");
            let samples = o["samples"].as_array().unwrap();
            assert_eq!(samples.len(), 2, "{id}");
            assert!(
                samples.iter().all(|s| s.as_f64().is_some_and(|v| v > 0.0)),
                "{id}: {samples:?}"
            );
        }
    }
    assert_eq!(leftovers("wasmlab-"), Vec::<String>::new());
}

/// containerd paused (SIGSTOP) while this guard lives: a daemon that accepts connections
/// and never answers, as a hung one does. Resumed when dropped, whatever the test did.
struct Paused(i32);

impl Paused {
    fn containerd() -> Self {
        let found = Command::new("pgrep")
            .args(["-xo", "containerd"])
            .output()
            .unwrap();
        let pid: i32 = stdout(&found).trim().parse().expect("containerd's pid");
        // SAFETY: stopping the daemon this machine runs for the tests; resumed on drop.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
        Self(pid)
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        // SAFETY: resuming the daemon stopped above.
        unsafe { libc::kill(self.0, libc::SIGCONT) };
    }
}

/// containerd stops answering in the middle of the ctr probe: the command in flight fails
/// at its timeout, every row after it fails at once (not each after its own timeout), each
/// saying containerd stopped answering and how to fix it; once it answers again, the next
/// run removes what was left.
#[test]
fn a_daemon_that_stops_answering_fails_the_remaining_rows_at_once() {
    if !ctr_ready("a_daemon_that_stops_answering", Runtime::WASMTIME) {
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let mut child = run_command(&results, &["ctr"])
        .args(["--timeout", "5"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !has_container(ctr::NAMESPACE, pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        has_container(ctr::NAMESPACE, pid),
        "the ctr probe made no container in 120 s"
    );
    let paused = Paused::containerd();
    let since = Instant::now();
    // Generous: the command in flight takes its 5 s, the check 3 s; the rows of the probe
    // each waiting out their timeouts and cleanups took minutes.
    while child.try_wait().unwrap().is_none() && since.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let finished = child.try_wait().unwrap().is_some();
    if !finished {
        child.kill().unwrap();
    }
    let out = child.wait_with_output().unwrap();
    drop(paused);
    assert!(
        finished,
        "measure still running 60 s after containerd stopped answering: {}",
        stderr(&out)
    );
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    let observations = data["observations"].as_array().unwrap();
    let failed: Vec<String> = observations
        .iter()
        .filter(|o| o["status"]["status"] != "measured")
        .map(|o| format!("{}: {}", o["id"], o["status"]))
        .collect();
    assert!(!failed.is_empty(), "no row failed: {observations:?}");
    for row in &failed {
        assert!(
            row.contains("containerd stopped answering") && row.contains("make setup"),
            "{row}"
        );
    }
    let next = run_command(&dir.path().join("next.json"), &["size"])
        .output()
        .unwrap();
    assert!(next.status.success(), "{}", stderr(&next));
    assert_eq!(left_by(pid, &[]), Vec::<String>::new(), "{}", stderr(&next));
}

/// A `wasi/wasm` image named `image` holding `bytes` as `/<file>`, written in `dir` and
/// imported.
fn import_wasm_image(dir: &std::path::Path, image: &str, file: &str, bytes: &[u8]) {
    let wasm = dir.join(file);
    std::fs::write(&wasm, bytes).unwrap();
    let tar = dir.join(format!("{file}.tar"));
    oci::write_image(&tar, image, &wasm, file, oci::Platform::WasiWasm).unwrap();
    ctr::import(&tar, oci::Platform::WasiWasm, TIMEOUT).unwrap();
}

/// `image` started detached under `runtime` as container `name` (its host's network, the
/// shim's listen address a free loopback port, `env` added): that address.
fn serve_detached(
    runtime: Runtime,
    image: &str,
    name: &str,
    env: &[String],
) -> std::net::SocketAddr {
    let addr =
        std::net::SocketAddr::from(([127, 0, 0, 1], wasmlab_hosts::http::free_port().unwrap()));
    let listen = format!("{}={addr}", wasmlab_shim_contract::HTTP_PROXY_ADDR_ENV);
    let mut args = vec!["run", "-d", "--null-io", "--net-host"];
    args.extend(runtime.run_flags());
    args.extend(["--env", &listen]);
    for kv in env {
        args.extend(["--env", kv]);
    }
    args.extend([image, name]);
    ctr::ctr(&args, TIMEOUT).unwrap();
    addr
}

/// The compiled artifacts in the shim's cache now, with their bytes.
fn cache_entries() -> Vec<(PathBuf, Vec<u8>)> {
    let mut entries: Vec<_> = std::fs::read_dir(ctr::SHIM_CACHE_DIR)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x == wasmlab_shim_contract::CACHED_MODULE_EXTENSION)
        })
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    entries.sort();
    entries
}

/// The component's image served once under cranelift's shim: `/api/time` answered with
/// the Moscow Time JSON.
fn serve_component_once() {
    let name = ctr::container_name("cache-test-serve");
    let guard = ctr::Cleanup::new(vec![name.clone()]);
    guard.remove_all().unwrap();
    let addr = serve_detached(Runtime::WASMTIME, ctr::HTTP_IMAGE, &name, &[]);
    wasmlab_hosts::http::wait_ready(addr, "/api/time", TIMEOUT, || Ok(())).unwrap();
    let (code, body) = wasmlab_hosts::http::get(addr, "/api/time", TIMEOUT).unwrap();
    assert_eq!(code, 200, "{body}");
    assert_moscow_json(&body);
}

/// Issue 24's tampering, under the real containerd. Another module's compiled artifact
/// (a module whose `_start` does nothing) copied over the cache entry of moscow-time's
/// module, and the module's artifact over the component's entry: neither foreign
/// artifact runs. The image still prints its JSON, the component still serves its own,
/// and each entry is compiled again.
#[test]
fn a_foreign_artifact_in_the_shim_cache_is_recompiled_not_run() {
    if !ctr_ready("a_foreign_artifact_in_the_shim_cache", Runtime::WASMTIME) {
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = ctx(dir.path().to_owned(), 1);
    ctx.component = artifact("WASI_HTTP_COMPONENT");
    ctr::ensure_image(&ctx, Runtime::WASMTIME, false).unwrap();
    ctr::ensure(&ctx, ctr::Image::Component, false).unwrap();
    let other_image = "docker.io/wasmlab/other-module:test";
    import_wasm_image(dir.path(), other_image, "other.wasm", &command_module(&[]));
    let run = |image: &str, tag: &str| {
        let name = ctr::container_name(tag);
        ctr::run_image(Runtime::WASMTIME, image, &name, &["MODE=once"], TIMEOUT).unwrap()
    };
    // Each start adds its artifact's entry: which file is whose follows from the order.
    ctr::empty_shim_cache().unwrap();
    run(other_image, "cache-test-other");
    let [(other_path, other_bytes)] = <[_; 1]>::try_from(cache_entries()).unwrap();
    let added = |before: &[(PathBuf, Vec<u8>)]| {
        let [added] = <[_; 1]>::try_from(
            cache_entries()
                .into_iter()
                .filter(|(p, _)| before.iter().all(|(b, _)| b != p))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        added
    };
    let before = cache_entries();
    assert_moscow_json(&run(ctr::WASM_IMAGE, "cache-test-module").stdout);
    let (module_path, module_bytes) = added(&before);
    let before = cache_entries();
    serve_component_once();
    let (component_path, _) = added(&before);
    assert_ne!(other_path, module_path);

    std::fs::write(&module_path, &other_bytes).unwrap();
    std::fs::write(&component_path, &module_bytes).unwrap();
    let tampered = run(ctr::WASM_IMAGE, "cache-test-module");
    assert_moscow_json(&tampered.stdout);
    assert!(
        tampered.stderr.contains("ignoring cached module")
            && tampered.stderr.contains("another entry"),
        "no warning on the container's stderr: {}",
        tampered.stderr
    );
    serve_component_once();
    let now = |path: &PathBuf| std::fs::read(path).unwrap();
    assert_ne!(
        now(&module_path),
        other_bytes,
        "the foreign artifact is still there"
    );
    assert_ne!(
        now(&component_path),
        module_bytes,
        "the module's artifact is still there"
    );
    let _ = ctr::remove_image(other_image);
}

/// `measure clean --check` (the last step of `make test`) removes what a run that is gone
/// left, says so, and fails because something was left.
#[test]
fn clean_removes_what_a_dead_run_left_and_check_fails_on_it() {
    if !ctr_ready("clean_removes_what_a_dead_run_left", Runtime::Runc) {
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path().to_owned(), 1);
    ctr::ensure_image(&ctx, Runtime::Runc, false).unwrap();
    // A pid above the kernel's maximum: a run that is gone.
    let name = "wasmlab-4294967-clean-test";
    ctr::ctr(&["containers", "create", ctr::NATIVE_IMAGE, name], TIMEOUT).unwrap();
    let out = measure().args(["clean", "--check"]).output().unwrap();
    assert!(!out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("removed container {name}")),
        "{}",
        stderr(&out)
    );
    assert_eq!(leftovers(name), Vec::<String>::new());
}

/// A component whose handler loops for ever on GET and returns without a response
/// otherwise (serve-http's test component).
fn looping_component() -> Vec<u8> {
    let text = include_str!("../../serve-http/testdata/handler.wat")
        .replace("ON_GET", "(loop $forever (br $forever))")
        .replace("OTHERWISE", "nop");
    wat::parse_str(text).unwrap()
}

/// In a container under the shim, a request whose guest loops gets 504 at the request
/// deadline while other requests are answered (a guest that sets no response: 500 at
/// once), and `ctr task kill` stops the container within 5 s with a guest still looping.
#[test]
fn a_looping_request_in_a_shim_container_gets_504_and_others_are_answered() {
    if !ctr_ready("a_looping_request_in_a_shim_container", Runtime::WASMTIME) {
        return;
    }
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let image = "docker.io/wasmlab/looping-http:test";
    import_wasm_image(dir.path(), image, "looping.wasm", &looping_component());
    let name = ctr::container_name("loop-test");
    let guard = ctr::Cleanup::new(vec![name.clone()]);
    guard.remove_all().unwrap();
    let deadline = format!("{}=2", wasmlab_shim_contract::REQUEST_TIMEOUT_ENV);
    let addr = serve_detached(Runtime::WASMTIME, image, &name, &[deadline]);
    let answer = move |method: &str| {
        let mut stream = std::net::TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        std::io::Write::write_all(
            &mut stream,
            format!(
                "{method} / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )?;
        let mut reply = String::new();
        std::io::Read::read_to_string(&mut stream, &mut reply)?;
        Ok::<_, std::io::Error>(reply.lines().next().unwrap_or_default().to_owned())
    };
    // Ready once it accepts connections (every GET loops, so no request tells).
    let started = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            started.elapsed() < TIMEOUT,
            "the container never listened on {addr}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let looping = std::thread::spawn(move || {
        let asked = Instant::now();
        (answer("GET"), asked.elapsed())
    });
    std::thread::sleep(Duration::from_millis(300));
    let other = Instant::now();
    let status = answer("POST").unwrap();
    assert!(status.contains(" 500 "), "{status}");
    assert!(
        other.elapsed() < Duration::from_secs(2),
        "the other request waited for the looping one: {:?}",
        other.elapsed()
    );
    let (status, took) = looping.join().unwrap();
    let status = status.unwrap();
    assert!(status.contains(" 504 "), "{status} after {took:?}");
    // A guest looping when the stop comes must not hold it.
    let mut stuck = std::net::TcpStream::connect(addr).unwrap();
    std::io::Write::write_all(&mut stuck, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let killed = Instant::now();
    ctr::ctr(&["task", "kill", &name], TIMEOUT).unwrap();
    while ctr::task_status(&name, TIMEOUT).unwrap().as_deref() == Some("RUNNING")
        && killed.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        killed.elapsed() < Duration::from_secs(5),
        "the container took {:?} to stop",
        killed.elapsed()
    );
    drop(guard);
    let _ = ctr::remove_image(image);
}

/// Ctrl-C at several moments of the ctr probe, each while a `ctr run` of the wasm image
/// is in flight (its client is killed while containerd may still be creating what it
/// asked for): `measure` exits 130 and leaves no container, task or shim, without waiting
/// for a next run to remove them.
#[test]
fn an_interrupted_ctr_run_leaves_nothing_whenever_it_comes() {
    if !ctr_ready("an_interrupted_ctr_run", Runtime::WASMTIME) {
        return;
    }
    let _serial = serial();
    let starting_wasm = |pid: u32| {
        measure::procfs::processes().unwrap().iter().any(|p| {
            p.parent == pid
                && p.args.iter().any(|a| a == "run")
                && p.args
                    .iter()
                    .any(|a| a.starts_with("io.containerd.wasmtime"))
        })
    };
    for delay_ms in [0, 10, 25, 50, 100, 200, 400] {
        let dir = tempfile::tempdir().unwrap();
        let cmd = run_command(&dir.path().join("results.json"), &["ctr"]);
        let child = started_until(cmd, starting_wasm, Duration::from_secs(120));
        let pid = child.id();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let children = children_of(pid);
        assert_eq!(interrupted(child), Some(130));
        assert_eq!(
            left_by(pid, &children),
            Vec::<String>::new(),
            "interrupted {delay_ms} ms into a `ctr run` of the wasm image"
        );
    }
}

//! The container probes against the real docker daemon, and what happens when a tool is
//! missing, a command fails, or the run is interrupted.

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Held by the tests that build or run the image: a build untags the image a container of
/// another test may still run from, and docker rightly keeps an image in use.
fn image_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

#[test]
fn a_missing_tool_is_skipped_with_the_reason_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    // No docker on this PATH, and runtimes not required.
    let out = measure_run(
        &results,
        &["docker-image"],
        &[("PATH", "/nonexistent"), ("REQUIRE_RUNTIMES", "0")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let o = observation(&results, "size.image.docker");
    assert_eq!(o["status"]["status"], "skipped");
    let reason = o["status"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("docker not found on PATH") && reason.contains("make setup"),
        "{reason}"
    );

    // Required runtimes turn the skip into a failure and a non-zero exit.
    let out = measure_run(
        &results,
        &["docker-image"],
        &[("PATH", "/nonexistent"), ("REQUIRE_RUNTIMES", "1")],
    );
    assert!(!out.status.success());
    assert_eq!(
        observation(&results, "size.image.docker")["status"]["status"],
        "failed"
    );
}

#[test]
fn docker_image_size_matches_inspect_to_the_byte_and_containers_are_removed() {
    let _image = image_lock();
    if !docker_ready("docker_image_size_matches_inspect") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let out = measure_run(&results, &["docker-image", "server"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let size = observation(&results, "size.image.docker");
    assert_eq!(size["status"]["status"], "measured", "{size}");
    let inspect = Command::new("docker")
        .args([
            "image",
            "inspect",
            "--format",
            "{{.Size}}",
            "wasmlab/moscow-time:latest",
        ])
        .output()
        .unwrap();
    let bytes: u64 = stdout(&inspect).trim().parse().unwrap();
    assert_eq!(size["samples"][0].as_f64().unwrap() as u64, bytes);
    assert!(size["shown"].as_str().unwrap().contains("docker images"));

    for id in [
        "memory.server-docker-stats.docker",
        "stop.server.docker",
        "ready.server.docker",
        "memory.server-rss.native-process",
        "stop.server.native-process",
    ] {
        let o = observation(&results, id);
        assert_eq!(o["status"]["status"], "measured", "{id}: {o}");
        assert_eq!(o["samples"].as_array().unwrap().len(), 2, "{id}");
        assert!(
            o["samples"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s.as_f64().unwrap() > 0.0),
            "{id}"
        );
    }
    assert_eq!(leftover_containers(), "", "containers left behind");
}

#[test]
fn a_rebuild_removes_the_image_it_untagged_and_nothing_else() {
    let _image = image_lock();
    if !docker_ready("a_rebuild_removes_the_image_it_untagged") {
        return;
    }
    let image_id = || {
        let out = Command::new("docker")
            .args([
                "image",
                "inspect",
                "--format",
                "{{.Id}}",
                "wasmlab/moscow-time:latest",
            ])
            .output()
            .unwrap();
        stdout(&out).trim().to_owned()
    };
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let out = measure_run(&results, &["docker-image"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let first = image_id();
    // Another tag on an image of its own that a build never touches: it must stay.
    let other = "wasmlab/untouched:test";
    let tagged = Command::new("docker")
        .args(["tag", &first, other])
        .status()
        .unwrap();
    assert!(tagged.success());
    let out = measure_run(&results, &["docker-image"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let second = image_id();
    assert_ne!(first, second, "--no-cache builds a new image");
    // The first image kept its other tag, so it stayed; untag it and rebuild: now the
    // image the build untags (the second) has no tag left and goes.
    let kept = Command::new("docker")
        .args(["image", "inspect", &first])
        .output()
        .unwrap();
    let _ = Command::new("docker").args(["rmi", other]).output();
    assert!(kept.status.success(), "a tagged image was removed");
    let out = measure_run(&results, &["docker-image"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let gone = Command::new("docker")
        .args(["image", "inspect", &second])
        .output()
        .unwrap();
    assert!(
        !gone.status.success(),
        "the image the rebuild untagged is left behind: {second}"
    );
}

#[test]
fn a_failing_command_is_failed_with_its_stderr() {
    if !docker_ready("a_failing_command_is_failed_with_its_stderr") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dockerfile = dir.path().join("Dockerfile");
    std::fs::write(&dockerfile, "FROM scratch\nCOPY no-such-file /x\n").unwrap();
    let results = dir.path().join("results.json");
    let out = measure_run(
        &results,
        &["docker-image"],
        &[
            ("DOCKERFILE", dockerfile.to_str().unwrap()),
            ("REQUIRE_RUNTIMES", "0"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let o = observation(&results, "build.image.docker");
    assert_eq!(o["status"]["status"], "failed", "{o}");
    let error = o["status"]["error"].as_str().unwrap();
    assert!(
        error.contains("exit status") && error.contains("no-such-file"),
        "{error}"
    );
}

#[test]
fn ctrl_c_keeps_partial_results_and_leaves_nothing_running() {
    let _image = image_lock();
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let (_, _) = (native(), wasm());
    let mut child = measure()
        .args([
            "run",
            "--runs",
            "200",
            "--warmup",
            "0",
            "--probe",
            "size",
            "--probe",
            "startup",
            "--results",
        ])
        .arg(&results)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the first probe has been saved and the startup probe is running.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !results.exists() {
        assert!(Instant::now() < deadline, "no results were saved");
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("measure run ended early ({status}): {err}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        observation(&results, "size.binary.native")["status"]["status"],
        "measured"
    );

    // No process of ours survives: none has measure's results path or our artifacts open.
    std::thread::sleep(Duration::from_millis(200));
    let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    let leftovers: Vec<String> = stdout(&ps)
        .lines()
        .filter(|l| l.contains(native().to_str().unwrap()) || l.contains(wasm().to_str().unwrap()))
        .map(str::to_owned)
        .collect();
    assert!(leftovers.is_empty(), "left running: {leftovers:?}");
    if docker_ready("ctrl_c (containers)") {
        // A `docker run --rm` whose client was killed mid-start can still be coming up in
        // the daemon when measure exits; what matters is that none stays.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !leftover_containers().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(250));
        }
        assert_eq!(leftover_containers(), "", "containers left behind for 20 s");
    }
}

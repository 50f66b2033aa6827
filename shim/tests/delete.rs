//! The `delete` action, which containerd runs on the bundle of a shim that died (at its own
//! start, for the tasks a containerd that died left): it must return even though nobody
//! reads the bundle's `log` FIFO then. It once waited forever to open it, and containerd,
//! waiting on it, never began to listen.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn delete_returns_when_nobody_reads_the_bundle_log() {
    let bundle = tempfile::tempdir().unwrap();
    let made = Command::new("mkfifo")
        .arg(bundle.path().join("log"))
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo failed");
    let mut delete = Command::new(env!("CARGO_BIN_EXE_containerd-shim-wasmtime-v1"))
        .current_dir(bundle.path())
        // What containerd gives a shim it runs; no daemon is asked here.
        .env("TTRPC_ADDRESS", "/nonexistent/containerd.sock.ttrpc")
        .env("GRPC_ADDRESS", "/nonexistent/containerd.sock")
        .env("NAMESPACE", "wasmlab-shim-test")
        .args(["-namespace", "wasmlab-shim-test", "-id", "nothing"])
        .args(["-address", "/nonexistent/containerd.sock", "-bundle"])
        .arg(bundle.path())
        .arg("delete")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // A deadline that proves the behaviour, not a timing: it returns in milliseconds.
    let deadline = Instant::now() + Duration::from_secs(30);
    while delete.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let returned = delete.try_wait().unwrap().is_some();
    if !returned {
        delete.kill().unwrap();
        delete.wait().unwrap();
    }
    assert!(returned, "`delete` still waits on the log FIFO after 30 s");
}

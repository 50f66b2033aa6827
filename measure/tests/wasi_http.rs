//! The service built for WASI 0.2 as a wasi:http component, served by `measure serve-http`
//! over loopback: its routes, many concurrent requests, and bad component files.

mod common;

use common::{artifact, measure, stderr};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

fn component() -> std::path::PathBuf {
    artifact("WASI_HTTP_COMPONENT")
}

/// A running `measure serve-http`, killed when dropped.
struct Host {
    child: Child,
    addr: SocketAddr,
}

impl Host {
    fn start(allocator: &str) -> Self {
        Self::serving(&component(), allocator)
    }

    fn serving(component: &std::path::Path, allocator: &str) -> Self {
        let port = wasmlab_hosts::http::free_port().unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = measure()
            .env_remove("RUST_BACKTRACE")
            .arg("serve-http")
            .arg(component)
            .args(["--allocator", allocator, "--listen", &addr.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut host = Self { child, addr };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "the host did not listen within 60 s"
            );
            assert!(host.child.try_wait().unwrap().is_none(), "the host exited");
            std::thread::sleep(Duration::from_millis(50));
        }
        host
    }

    /// Status line, headers and body of `method path` on a fresh connection.
    fn request(&self, method: &str, path: &str) -> (u16, String, String) {
        request(self.addr, method, path)
    }
}

/// Status line, headers and body of `method path` on a fresh connection to `addr`.
fn request(addr: SocketAddr, method: &str, path: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_component_answers_its_routes_through_the_embedded_host() {
    for allocator in ["pooling", "on-demand"] {
        let host = Host::start(allocator);
        let (status, head, body) = host.request("GET", "/api/time");
        assert_eq!(status, 200, "{allocator}: {head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        let shown = json["moscow_time"].as_str().unwrap();
        assert!(shown.ends_with(" MSK"), "{shown}");
        // The shown time is the timestamp moved by three hours (Moscow: UTC+3, no DST).
        let t = json["timestamp"].as_i64().unwrap();
        assert!((t - common::unix_now()).abs() < 120, "{t}");
        let hour: i64 = shown[11..13].parse().unwrap();
        assert_eq!(
            hour,
            (t.rem_euclid(86_400) / 3600 + 3) % 24,
            "{shown} for {t}"
        );

        let (status, head, body) = host.request("GET", "/");
        assert_eq!(status, 200);
        assert!(head.contains("text/html"), "{head}");
        assert!(body.contains("Moscow"), "{body}");

        let (status, _, _) = host.request("GET", "/nope");
        assert_eq!(status, 404);
        let (status, head, _) = host.request("POST", "/api/time");
        assert_eq!(status, 405);
        assert!(head.contains("allow: get, head"), "{head}");
    }
}

#[test]
fn two_hundred_concurrent_requests_all_succeed() {
    let host = Host::start("pooling");
    let addr = host.addr;
    let workers: Vec<_> = (0..200)
        .map(|_| {
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(addr)?;
                stream.set_read_timeout(Some(Duration::from_secs(60)))?;
                stream
                    .write_all(b"GET /api/time HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
                let mut text = String::new();
                stream.read_to_string(&mut text)?;
                Ok::<_, std::io::Error>(text.lines().next().unwrap_or("").to_owned())
            })
        })
        .collect();
    // Each request's status line, or what went wrong on its connection.
    let mut failures: Vec<String> = workers
        .into_iter()
        .map(|w| w.join().unwrap().unwrap_or_else(|err| err.to_string()))
        .filter(|answer| !answer.starts_with("HTTP/1.1 200"))
        .collect();
    let failed = failures.len();
    failures.sort();
    failures.dedup();
    assert_eq!(failed, 0, "{failed} of 200 requests failed: {failures:?}");
}

#[test]
fn a_missing_or_invalid_component_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_component = dir.path().join("module.wasm");
    std::fs::copy(artifact("WASM_MODULE"), &not_a_component).unwrap();
    for (file, why) in [
        (
            dir.path().join("missing.wasm"),
            "not found: run `make build`",
        ),
        (not_a_component, "is not a wasi:http component"),
    ] {
        let out = measure()
            .arg("serve-http")
            .arg(&file)
            .args(["--listen", "127.0.0.1:0"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(err.contains(why), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

/// `measure serve-http` with a guest that loops on GET (and sets no response otherwise):
/// the looping request gets 504 at the host's deadline while a POST is answered 500 at
/// once, and SIGTERM or SIGINT stops the host within 10 s with a guest still looping.
#[test]
fn the_embedded_host_outlives_a_looping_guest_and_stops_on_sigterm_and_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let looping = dir.path().join("looping.wasm");
    let text = include_str!("../../serve-http/testdata/handler.wat")
        .replace("ON_GET", "(loop $forever (br $forever))")
        .replace("OTHERWISE", "nop");
    std::fs::write(&looping, wat::parse_str(text).unwrap()).unwrap();
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let mut host = Host::serving(&looping, "pooling");
        let addr = host.addr;
        let get = std::thread::spawn(move || {
            let started = Instant::now();
            (request(addr, "GET", "/").0, started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        assert_eq!(host.request("POST", "/").0, 500);
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "the POST waited for the looping GET: {:?}",
            started.elapsed()
        );
        let (status, took) = get.join().unwrap();
        assert_eq!(status, 504, "after {took:?}");
        // Another guest looping when the signal comes.
        let stuck = std::thread::spawn(move || {
            let _ = std::panic::catch_unwind(|| request(addr, "GET", "/"));
        });
        std::thread::sleep(Duration::from_millis(300));
        // SAFETY: kill(2) on our own child, not yet reaped.
        unsafe { libc::kill(host.child.id() as i32, signal) };
        let signalled = Instant::now();
        while host.child.try_wait().unwrap().is_none()
            && signalled.elapsed() < Duration::from_secs(30)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            host.child.try_wait().unwrap().is_some()
                && signalled.elapsed() < Duration::from_secs(10),
            "signal {signal}: still serving after {:?}",
            signalled.elapsed()
        );
        let _ = stuck.join();
    }
}

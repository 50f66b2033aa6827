//! The service's three contexts, run as real processes: the native binary, and the wasm
//! module under the embedded wasmtime (`measure exec`).

mod common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

type Runner = fn(&[(&str, &str)]) -> std::process::Output;
const BOTH: [(&str, Runner); 2] = [("native", native_with), ("wasm", wasm_with)];

#[test]
fn once_prints_the_json_line() {
    for (name, run) in BOTH {
        let out = run(&[("MODE", "once")]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert_eq!(stdout(&out).lines().count(), 1, "{name}");
        assert_moscow_json(&stdout(&out));
    }
}

#[test]
fn wagi_answers_page_api_404_and_405() {
    for (name, run) in BOTH {
        let page = stdout(&run(&[("REQUEST_METHOD", "GET"), ("PATH_INFO", "/")]));
        assert!(
            page.starts_with("Content-Type: text/html"),
            "{name}: {page}"
        );
        assert!(
            page.contains("Status: 200 OK\n\n<!doctype html>"),
            "{name}: {page}"
        );
        assert!(page.contains(" MSK</p>"), "{name}: {page}");

        let api = stdout(&run(&[
            ("REQUEST_METHOD", "GET"),
            ("PATH_INFO", "/api/time"),
        ]));
        let (head, body) = api.split_once("\n\n").expect("headers, blank line, body");
        assert!(
            head.contains("Content-Type: application/json"),
            "{name}: {head}"
        );
        assert_moscow_json(body);

        let missing = run(&[("REQUEST_METHOD", "GET"), ("PATH_INFO", "/nope")]);
        assert!(missing.status.success(), "{name}");
        assert!(
            stdout(&missing).contains("Status: 404 Not Found\n"),
            "{name}: {}",
            stdout(&missing)
        );

        let post = stdout(&run(&[("REQUEST_METHOD", "POST"), ("PATH_INFO", "/")]));
        assert!(
            post.contains("Status: 405 Method Not Allowed\n"),
            "{name}: {post}"
        );
        assert!(post.contains("Allow: GET, HEAD\n"), "{name}: {post}");
    }
}

#[test]
fn wasm_server_context_explains_and_exits_2() {
    let out = wasm_with(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.contains("WASI preview 1"), "{message}");
    assert_eq!(message.trim().lines().count(), 1, "{message}");
}

/// One HTTP/1.1 request over loopback; the status line and body.
fn get(port: u16, method: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    let (head, body) = response.split_once("\r\n\r\n").expect("head and body");
    (
        head.lines().next().unwrap_or_default().to_owned(),
        body.to_owned(),
    )
}

/// The listening line says where: every interface by default (a server in a container
/// must be), loopback when `HOST` says so (as measure starts it).
#[test]
fn server_listens_where_host_says() {
    for (host, listening) in [
        (None, "http://0.0.0.0:"),
        (Some("127.0.0.1"), "http://127.0.0.1:"),
    ] {
        let mut cmd = Command::new(native());
        cmd.env_clear().env("PORT", "0").stderr(Stdio::piped());
        if let Some(host) = host {
            cmd.env("HOST", host);
        }
        let mut child = cmd.spawn().expect("start the server");
        let mut line = String::new();
        BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let _ = child.kill();
        let _ = child.wait();
        assert!(line.contains(listening), "{host:?}: {line}");
    }
    let out = native_with(&[("HOST", "localhost")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("HOST"), "{}", stderr(&out));
}

#[test]
fn server_answers_routes_on_loopback_and_stops_on_sigterm() {
    let mut child = Command::new(native())
        .env_clear()
        .env("PORT", "0")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));

    let (status, body) = get(port, "GET", "/api/time");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_moscow_json(&body);
    let (status, body) = get(port, "GET", "/");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("Current time in Moscow"), "{body}");
    assert_eq!(get(port, "GET", "/nope").0, "HTTP/1.1 404 Not Found");
    assert_eq!(
        get(port, "DELETE", "/").0,
        "HTTP/1.1 405 Method Not Allowed"
    );

    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "server exited with {status}");
            break;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("the server did not exit within 10 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn busy_port_is_a_one_line_error() {
    let taken = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = native_with(&[("PORT", &port)]);
    assert!(!out.status.success());
    let message = stderr(&out);
    assert!(
        message.contains("already in use") && message.contains("PORT"),
        "{message}"
    );
    assert_eq!(message.trim().lines().count(), 1, "{message}");
}

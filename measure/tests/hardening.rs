//! Hostile but ordinary clients and guests: a request whose headers never end, guests that
//! loop for ever, a NUL in a path, and the small failures of the command line. Each test
//! fails if its defect returns; the deadlines are generous bounds that prove behaviour,
//! not timings.

mod common;

use common::*;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use wasmlab_hosts::http;

/// Within this of SIGTERM a server must be gone, whatever its clients do (`docker stop`
/// waits 10 s before SIGKILL).
const STOP_DEADLINE: Duration = Duration::from_secs(10);

/// `_start` loops for ever: `(loop (br 0))`.
const LOOPING: &[u8] = &[0x03, 0x40, 0x0c, 0x00, 0x0b];

/// `_start` grows its memory by 1 MiB until `memory.grow` fails, then traps: `(loop (if
/// (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then unreachable)) (br 0))`.
const GROWING: &[u8] = &[
    0x03, 0x40, 0x41, 0x10, 0x40, 0x00, // loop, i32.const 16, memory.grow 0
    0x41, 0x7f, 0x46, 0x04, 0x40, 0x00, 0x0b, // i32.const -1, i32.eq, if, unreachable, end
    0x0c, 0x00, 0x0b, // br 0, end loop
];

/// A process that is killed if the test ends while it still runs.
struct Server {
    child: Child,
    addr: SocketAddr,
    /// Where its stderr goes, shown when a check fails.
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// The native service in its server context on a free port.
    fn native() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = http::free_port().unwrap();
        let mut cmd = Command::new(native());
        cmd.env_clear()
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string());
        Self::start(cmd, SocketAddr::from(([127, 0, 0, 1], port)), dir)
    }

    /// `measure wagi MANIFEST ARGS` on a free loopback port.
    fn wagi(manifest: &Path, args: &[&str], dir: tempfile::TempDir) -> Self {
        let addr = SocketAddr::from(([127, 0, 0, 1], http::free_port().unwrap()));
        let mut cmd = measure();
        cmd.env_remove("RUST_BACKTRACE")
            .arg("wagi")
            .arg(manifest)
            .args(["--listen", &addr.to_string()])
            .args(args);
        Self::start(cmd, addr, dir)
    }

    fn start(mut cmd: Command, addr: SocketAddr, dir: tempfile::TempDir) -> Self {
        let log = dir.path().join("stderr.log");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            addr,
            log,
            _dir: dir,
        };
        let child = &mut server.child;
        let ready = http::wait_ready(addr, "/api/time", Duration::from_secs(60), || {
            match child.try_wait()? {
                None => Ok(()),
                Some(status) => anyhow::bail!("the server exited: {status}"),
            }
        });
        if let Err(e) = ready {
            panic!("{e:#}\n{}", server.stderr());
        }
        server
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn get(&self, path: &str, timeout: Duration) -> (u16, String) {
        http::get(self.addr, path, timeout)
            .unwrap_or_else(|e| panic!("GET {path}: {e:#}\n{}", self.stderr()))
    }

    /// A client that sends a request line and one header, then nothing: the server has
    /// accepted it and is reading its head when this returns.
    fn half_sent_request(&self) -> TcpStream {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(300));
        stream
    }

    /// A client that has sent a whole request for `path` and waits for the answer.
    fn send_request(&self, path: &str) -> TcpStream {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        stream
    }

    /// Sends SIGTERM and waits for the exit; how long it took. Fails after
    /// [`STOP_DEADLINE`].
    fn terminate(&mut self) -> Duration {
        // SAFETY: kill(2) on our own child, which has not been reaped.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let sent = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exited with {status}: {}", self.stderr());
                return sent.elapsed();
            }
            if sent.elapsed() > STOP_DEADLINE {
                let _ = self.child.kill();
                panic!(
                    "still running {STOP_DEADLINE:?} after SIGTERM\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `measure wagi` serving the service's module on `/...` (and whatever `extra` routes).
fn wagi_host(extra: &str, args: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("spin.toml");
    let text = format!(
        "spin_manifest_version = 2\n[application]\nname = \"hardening\"\n\
         [[trigger.http]]\nroute = \"/...\"\ncomponent = \"moscow-time\"\n\
         executor = {{ type = \"wagi\" }}\n[component.moscow-time]\nsource = {:?}\n{extra}",
        wasm().display().to_string()
    );
    std::fs::write(&manifest, text).unwrap();
    std::fs::write(dir.path().join("loop.wasm"), command_module(LOOPING)).unwrap();
    Server::wagi(&manifest, args, dir)
}

/// A route `/loop` to the module that never ends.
const LOOP_ROUTE: &str = "[[trigger.http]]\nroute = \"/loop\"\ncomponent = \"loop\"\n\
     executor = { type = \"wagi\" }\n[component.loop]\nsource = \"loop.wasm\"\n";

/// The server closes a connection whose request head never ends, by itself.
fn assert_closes_half_sent_request(server: &Server) {
    let mut stream = server.half_sent_request();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    // EOF (or a reset) is the close; hyper may first answer 408.
    let _ = stream.read_to_end(&mut rest);
    let waited = started.elapsed();
    eprintln!("half-sent request closed after {waited:?}");
    assert!(
        waited < Duration::from_secs(30),
        "a half-sent request was held {waited:?}\n{}",
        server.stderr()
    );
}

/// SIGTERM with a half-sent request and an idle connection open: `terminate` asserts the
/// server exits within its deadline.
fn stops_with_a_half_sent_request_open(mut server: Server, what: &str) {
    let _held = server.half_sent_request();
    let _idle = TcpStream::connect(server.addr).unwrap();
    let took = server.terminate();
    eprintln!("{what} exited {took:?} after SIGTERM");
}

#[test]
fn the_service_stops_within_10_s_of_sigterm_with_a_half_sent_request_open() {
    stops_with_a_half_sent_request_open(Server::native(), "the service");
}

#[test]
fn the_service_times_out_a_half_sent_request() {
    let server = Server::native();
    assert_closes_half_sent_request(&server);
    let (code, body) = server.get("/api/time", Duration::from_secs(10));
    assert_eq!(code, 200, "{body}");
}

#[test]
fn the_wagi_host_stops_within_10_s_of_sigterm_with_a_half_sent_request_open() {
    stops_with_a_half_sent_request_open(wagi_host("", &[]), "measure wagi");
}

#[test]
fn the_wagi_host_times_out_a_half_sent_request() {
    let server = wagi_host("", &[]);
    assert_closes_half_sent_request(&server);
}

/// Enough looping guests to occupy every worker thread of the host's runtime, had they not
/// yielded.
fn loopers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

/// The status line of the answer on `stream`, read to its end.
fn status_line(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn a_looping_guest_gets_504_at_its_deadline_and_others_are_still_served() {
    let mut server = wagi_host(LOOP_ROUTE, &["--guest-timeout", "3"]);
    let started = Instant::now();
    let mut waiting: Vec<TcpStream> = (0..loopers())
        .map(|_| server.send_request("/loop"))
        .collect();
    // Guests whose clients have gone: stopped with their connections, or at their deadline.
    for _ in 0..loopers() {
        drop(server.send_request("/loop"));
    }
    std::thread::sleep(Duration::from_millis(300));

    // With a looping guest per worker thread, a normal request is answered.
    let asked = Instant::now();
    let (code, body) = server.get("/api/time", Duration::from_secs(10));
    assert_eq!(code, 200, "{body}");
    assert_moscow_json(&body);
    eprintln!(
        "a normal request beside {} looping guests took {:?}",
        loopers(),
        asked.elapsed()
    );

    // Each looping guest whose client waits is stopped and answered.
    for stream in &mut waiting {
        let status = status_line(stream);
        assert_eq!(
            status,
            "HTTP/1.1 504 Gateway Timeout",
            "{}",
            server.stderr()
        );
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(15), "504s after {took:?}");
    eprintln!("the looping guests' 504s came within {took:?}");

    // The workers are free: the host serves on, and stops on SIGTERM.
    let (code, body) = server.get("/", Duration::from_secs(10));
    assert_eq!(code, 200, "{body}");
    let log = server.stderr();
    assert!(log.contains("--guest-timeout"), "{log}");
    server.terminate();
}

#[test]
fn sigterm_stops_the_wagi_host_with_guests_looping_under_the_longest_deadline() {
    let mut server = wagi_host(LOOP_ROUTE, &["--guest-timeout", "300"]);
    let _waiting: Vec<TcpStream> = (0..loopers())
        .map(|_| server.send_request("/loop"))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let (code, body) = server.get("/api/time", Duration::from_secs(10));
    assert_eq!(code, 200, "{body}");
    let took = server.terminate();
    eprintln!("measure wagi with looping guests exited {took:?} after SIGTERM");
}

#[test]
fn the_wagi_host_refuses_a_control_character_in_the_path() {
    let server = wagi_host("", &[]);
    for path in ["/api/time%00junk", "/api/time%0d%0aX:%20y", "/%7f"] {
        let (code, body) = server.get(path, Duration::from_secs(10));
        assert_eq!(code, 400, "{path}: {body}");
        assert!(body.contains("control character"), "{path}: {body}");
    }
    // Percent-encoding as such is still fine.
    let (code, _) = server.get("/api/t%69me", Duration::from_secs(10));
    assert_eq!(code, 200);
}

/// A body that stalls after its head (3 of the 1000 bytes its Content-Length promises) is
/// answered 408 and its connection closed, at the body timeout, not held open.
#[test]
fn the_wagi_host_times_out_a_stalled_body() {
    let server = wagi_host("", &[]);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    write!(
        stream,
        "POST /api/time HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc"
    )
    .unwrap();
    let started = Instant::now();
    assert_eq!(status_line(&mut stream), "HTTP/1.1 408 Request Timeout");
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(30),
        "a stalled body was held {waited:?}\n{}",
        server.stderr()
    );
    // The host goes on serving.
    let (code, body) = server.get("/api/time", Duration::from_secs(10));
    assert_eq!(code, 200, "{body}");
}

/// A malformed chunked body is the client's error (400); only one longer than the host
/// takes is 413.
#[test]
fn the_wagi_host_answers_a_malformed_body_with_400() {
    let server = wagi_host("", &[]);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    write!(
        stream,
        "POST /api/time HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Transfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n0\r\n\r\n"
    )
    .unwrap();
    assert_eq!(status_line(&mut stream), "HTTP/1.1 400 Bad Request");
}

#[test]
fn a_bad_guest_timeout_is_refused_at_parsing() {
    for bad in ["0", "-1", "300.5", "1e9", "NaN", "soon"] {
        let started = Instant::now();
        let out = measure()
            .args(["wagi", "/nonexistent/spin.toml"])
            .arg(format!("--guest-timeout={bad}"))
            .output()
            .unwrap();
        let text = stderr(&out);
        assert!(!out.status.success(), "{bad}: {text}");
        assert!(text.contains("from 0.001 to 300"), "{bad}: {text}");
        assert!(!text.contains("panicked"), "{bad}: {text}");
        assert!(started.elapsed() < Duration::from_secs(10), "{bad}");
    }
}

/// A file of `text` that is not wasm.
fn not_wasm(dir: &Path) -> PathBuf {
    let path = dir.join("bad.wasm");
    std::fs::write(&path, "this is not a wasm module\n").unwrap();
    path
}

/// `out` failed with one line on stderr (clap-free errors of `measure` itself).
fn one_line_failure(out: &std::process::Output) -> String {
    let text = stderr(out);
    assert!(!out.status.success(), "expected a failure: {text}");
    assert_eq!(text.trim_end().lines().count(), 1, "not one line: {text:?}");
    assert!(!text.contains("panicked"), "{text}");
    text
}

#[test]
fn a_bad_wasm_header_is_one_line_with_its_cause() {
    let dir = tempfile::tempdir().unwrap();
    let bad = not_wasm(dir.path());

    let out = measure().arg("exec").arg(&bad).output().unwrap();
    let e = one_line_failure(&out);
    assert!(
        e.contains("magic") && e.contains("[0x0, 0x61, 0x73, 0x6d]"),
        "{e}"
    );

    let manifest = dir.path().join("spin.toml");
    let text = wasmlab_hosts::wagi::manifest::single_route(&bad);
    std::fs::write(&manifest, text).unwrap();
    let e = refused("wagi", &manifest);
    assert!(
        e.contains("is not a wasm module") && e.contains("magic"),
        "{e}"
    );

    let e = refused("serve-http", &bad);
    // wasmtime's own "failed to parse WebAssembly module" comes with its cause.
    assert!(e.contains("magic"), "{e}");
}

/// `measure <host> <file>` on a free port, which must refuse to start: its one line.
fn refused(host: &str, file: impl AsRef<std::ffi::OsStr>) -> String {
    let listen = format!("127.0.0.1:{}", http::free_port().unwrap());
    let out = measure()
        .arg(host)
        .arg(file)
        .args(["--listen", &listen])
        .output()
        .unwrap();
    one_line_failure(&out)
}

#[test]
fn a_directory_is_named_as_such_not_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let e = refused("serve-http", dir.path());
    assert!(
        e.contains("is a directory") && !e.contains("not found"),
        "{e}"
    );

    let manifest = dir.path().join("spin.toml");
    std::fs::write(
        &manifest,
        wasmlab_hosts::wagi::manifest::single_route(dir.path()),
    )
    .unwrap();
    let e = refused("wagi", &manifest);
    assert!(
        e.contains("is a directory") && !e.contains("not found"),
        "{e}"
    );
}

#[test]
fn measure_env_with_stdout_closed_is_an_error() {
    let out = Command::new("sh")
        .args(["-c", "exec \"$0\" env >&-"])
        .arg(env!("CARGO_BIN_EXE_measure"))
        .output()
        .unwrap();
    let e = one_line_failure(&out);
    assert!(e.contains("stdout is closed"), "{e}");

    // Redirected to /dev/null on purpose, it is no error.
    let out = measure().arg("env").stdout(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn the_shim_answers_version_flags() {
    let shim =
        Path::new(env!("CARGO_BIN_EXE_measure")).with_file_name("containerd-shim-wasmtime-v1");
    if !shim.is_file() {
        eprintln!(
            "skipping: {} was not built (it needs protoc; `make build` builds it when protoc is installed)",
            shim.display()
        );
        return;
    }
    for flag in ["--version", "-version", "-v"] {
        let out = Command::new(&shim).arg(flag).output().unwrap();
        assert!(
            out.status.success(),
            "{flag}: {} {}",
            out.status,
            stderr(&out)
        );
        let text = stdout(&out);
        assert!(text.contains("Runtime: wasmtime"), "{flag}: {text}");
        assert!(text.contains("Version: "), "{flag}: {text}");
    }
}

/// `measure` run from a directory that is not the checkout it was built in, as a copied or
/// `cargo install`ed binary is: nothing may point back into the build directory.
fn elsewhere() -> (tempfile::TempDir, Command) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = measure();
    cmd.current_dir(dir.path())
        .env_remove("SPIN_TOML")
        .env_remove("DOCKERFILE")
        .env_remove("REQUIRE_RUNTIMES");
    (dir, cmd)
}

#[test]
fn no_default_points_into_the_build_directory() {
    let build_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    for command in ["render", "run", "spin", "wagi"] {
        // No environment: clap shows the values of NATIVE_BIN, SPIN_TOML, ... in the help.
        let out = measure()
            .env_clear()
            .args([command, "--help"])
            .output()
            .unwrap();
        let help = stdout(&out);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            !help.contains(&build_dir),
            "measure {command} --help: {help}"
        );
    }
}

#[test]
fn render_uses_the_templates_built_in_wherever_it_runs() {
    let (dir, mut cmd) = elsewhere();
    let results = dir.path().join("results.json");
    wasmlab_model::results::Results::new(wasmlab_model::results::Provenance::default())
        .save(&results)
        .unwrap();
    let out = cmd
        .args(["render", "--results", "results.json", "--out", "report"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let page = std::fs::read_to_string(dir.path().join("report/index.html")).unwrap();
    assert!(page.contains("<html"), "{page}");
    assert!(dir.path().join("report/lab12.md").is_file());
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&results).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o644);

    // --templates still overrides; one that is not a directory names the option.
    let (_dir, mut cmd) = elsewhere();
    let out = cmd
        .args(["render", "--results"])
        .arg(&results)
        .args(["--templates", "no-such-dir"])
        .output()
        .unwrap();
    let e = one_line_failure(&out);
    assert!(
        e.contains("no-such-dir") && e.contains("--templates"),
        "{e}"
    );

    // A results path that is a directory says so, not "run make report".
    let (dir, mut cmd) = elsewhere();
    let out = cmd
        .args(["render", "--results"])
        .arg(dir.path())
        .output()
        .unwrap();
    let e = one_line_failure(&out);
    assert!(
        e.contains("is a directory") && !e.contains("make report"),
        "{e}"
    );
}

#[test]
fn a_missing_default_manifest_is_one_line_naming_how_to_give_one() {
    let (_dir, mut cmd) = elsewhere();
    let listen = format!("127.0.0.1:{}", http::free_port().unwrap());
    let out = cmd.args(["wagi", "--listen", &listen]).output().unwrap();
    let e = one_line_failure(&out);
    assert!(
        e.contains("service/spin.toml not found") && e.contains("SPIN_TOML"),
        "{e}"
    );

    let (_dir, mut cmd) = elsewhere();
    let out = cmd
        .args(["spin", "--host", "embedded-wagi", "--native"])
        .arg(native())
        .arg("--wasm")
        .arg(wasm())
        .arg("--floor")
        .arg(artifact("FLOOR_BIN"))
        .output()
        .unwrap();
    let e = one_line_failure(&out);
    assert!(
        e.contains("service/spin.toml")
            && e.contains("--manifest")
            && e.contains("working directory"),
        "{e}"
    );
}

/// A device named where a file belongs (results, baseline, module, manifest) is refused at
/// once on one line, never read until memory runs out; the generous bound proves it did
/// not read gigabytes first.
#[test]
fn devices_named_as_files_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let wrote = run_command(&results, &["size"]).output().unwrap();
    assert!(results.is_file(), "{}", stderr(&wrote));
    let out = dir.path().join("out");
    let cases: Vec<Vec<std::ffi::OsString>> = vec![
        vec!["exec".into(), "/dev/zero".into()],
        vec![
            "run".into(),
            "--probe".into(),
            "size".into(),
            "--results".into(),
            "/dev/zero".into(),
        ],
        vec![
            "render".into(),
            "--results".into(),
            "/dev/zero".into(),
            "--out".into(),
            out.clone().into(),
        ],
        vec![
            "render".into(),
            "--results".into(),
            results.clone().into(),
            "--baseline".into(),
            "/dev/zero".into(),
            "--out".into(),
            out.clone().into(),
        ],
        vec!["wagi".into(), "/dev/zero".into()],
    ];
    for args in cases {
        let started = Instant::now();
        let done = measure().args(&args).output().unwrap();
        let err = stderr(&done);
        assert!(!done.status.success(), "{args:?}: {err}");
        assert!(err.contains("not a regular file"), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(started.elapsed() < Duration::from_secs(30), "{args:?}");
    }
}

/// Every engine bounds a guest's memory alike: growing without end is a trap (exit 125,
/// one line), never an abort of the host.
#[test]
fn a_guest_growing_its_memory_without_end_traps_under_every_engine() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("grow.wasm");
    std::fs::write(&module, command_module(GROWING)).unwrap();
    for engine in ["cranelift", "winch", "pulley", "wasmi"] {
        let started = Instant::now();
        let done = measure()
            .args(["exec", "--engine", engine])
            .arg(&module)
            .output()
            .unwrap();
        let err = stderr(&done);
        assert_eq!(done.status.code(), Some(125), "{engine}: {err}");
        assert!(err.contains("trap"), "{engine}: {err}");
        assert!(started.elapsed() < Duration::from_secs(120), "{engine}");
    }
}

/// What is wrong is named with its fix, never "run `make report`" when the file exists
/// and is the wrong kind: a missing `--baseline`, a results file that is not UTF-8, and a
/// Spin manifest whose component source is a device.
#[test]
fn a_missing_baseline_a_binary_results_file_and_a_device_source_say_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let wrote = run_command(&results, &["size"]).output().unwrap();
    assert!(results.is_file(), "{}", stderr(&wrote));
    let out = dir.path().join("out");
    let binary = dir.path().join("binary.json");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x7b]).unwrap();
    let manifest = dir.path().join("spin.toml");
    std::fs::write(
        &manifest,
        "spin_manifest_version = 2\n[application]\nname = \"x\"\n[[trigger.http]]\n\
         route = \"/...\"\ncomponent = \"x\"\nexecutor = { type = \"wagi\" }\n\
         [component.x]\nsource = \"/dev/zero\"\n",
    )
    .unwrap();
    let cases: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        (
            vec![
                "render".into(),
                "--results".into(),
                results.clone().into(),
                "--baseline".into(),
                dir.path().join("missing.json").into(),
                "--out".into(),
                out.clone().into(),
            ],
            "does not exist: name the results.json of an earlier run",
        ),
        (
            vec![
                "render".into(),
                "--results".into(),
                binary.into(),
                "--out".into(),
                out.into(),
            ],
            "UTF-8",
        ),
        (
            vec!["wagi".into(), manifest.into()],
            "is not a regular file: name the wasm file in `source`",
        ),
    ];
    for (args, says) in cases {
        let done = measure().args(&args).output().unwrap();
        let err = stderr(&done);
        assert!(!done.status.success(), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("make report"), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
}

/// Two `measure run` processes writing one results file at once (each merging after
/// every probe, under the file's lock): every observation of both survives, and each
/// run's invocation.
#[test]
fn two_runs_writing_one_results_file_at_once_lose_nothing() {
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let results = dir.path().join("results.json");
        let runs: Vec<Child> = ["sections", "size"]
            .iter()
            .map(|probe| {
                run_command(&results, &[probe])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for run in runs {
            let out = run.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
        }
        let data: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
        let ids: Vec<&str> = data["observations"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|o| o["id"].as_str())
            .collect();
        assert!(ids.contains(&"size.binary.native"), "{ids:?}");
        assert!(
            ids.iter().any(|id| id.starts_with("size.section.")),
            "{ids:?}"
        );
        assert_eq!(data["invocations"].as_array().unwrap().len(), 2, "{data}");
    }
}

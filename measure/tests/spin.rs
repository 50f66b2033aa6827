//! The Spin bonus task: the embedded WAGI host (`measure wagi`) over loopback, `measure
//! spin` through a stand-in `spin` and against an unreachable `$SPIN_URL`, bad input, and
//! the host under many requests.

mod common;

use common::*;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use wasmlab_hosts::http;
use wasmlab_hosts::wagi::manifest::single_route;

/// A spin.toml in `dir` serving `source` through WAGI on `/...`.
fn manifest(dir: &Path, source: &Path) -> PathBuf {
    let path = dir.join("spin.toml");
    std::fs::write(&path, single_route(source)).unwrap();
    path
}

/// `measure wagi` on a free loopback port, killed when dropped.
struct WagiHost {
    child: Child,
    addr: SocketAddr,
}

impl WagiHost {
    fn start(manifest: &Path) -> Self {
        let addr = SocketAddr::from(([127, 0, 0, 1], http::free_port().unwrap()));
        let child = measure()
            .env_remove("RUST_BACKTRACE")
            .arg("wagi")
            .arg(manifest)
            .args(["--listen", &addr.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut host = Self { child, addr };
        let child = &mut host.child;
        http::wait_ready(addr, "/api/time", Duration::from_secs(60), || {
            match child.try_wait()? {
                None => Ok(()),
                Some(status) => anyhow::bail!("measure wagi exited: {status}"),
            }
        })
        .unwrap();
        host
    }

    fn get(&self, path: &str) -> (u16, String) {
        http::get(self.addr, path, Duration::from_secs(10)).unwrap()
    }

    fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            * 1024
    }
}

impl Drop for WagiHost {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `cmd` to its end, failing the test if it takes longer than `limit`.
fn finish_within(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("did not finish within {limit:?}: {}", stderr(&out));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// `measure wagi ARGS` is expected to fail at once with exactly one line on stderr.
fn one_line_failure(args: &[&str]) -> String {
    let out = finish_within(measure().arg("wagi").args(args), Duration::from_secs(60));
    let text = stderr(&out);
    assert!(!out.status.success(), "expected a failure: {text}");
    assert_eq!(text.trim_end().lines().count(), 1, "not one line: {text:?}");
    assert!(!text.contains("panicked"), "{text}");
    text
}

/// `measure spin` into `results` with quick settings.
fn measure_spin(results: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let (_, _) = (native(), wasm());
    let mut cmd = measure();
    // The tests read each observation's status; under CI's REQUIRE_RUNTIMES a failure they
    // provoke on purpose would also become measure's exit status.
    cmd.env_remove("SPIN_URL")
        .env_remove("RUST_BACKTRACE")
        .env_remove("REQUIRE_RUNTIMES")
        .args([
            "spin",
            "--runs",
            "2",
            "--starts",
            "1",
            "--cold-interval",
            "0.05",
        ])
        .args(["--warm-interval", "0.05", "--results"])
        .arg(results)
        .args(args)
        .envs(env.iter().copied());
    finish_within(&mut cmd, Duration::from_secs(180))
}

/// Each of `ids` failed with an error, on one line, that contains `why`.
fn assert_failed_with(results: &Path, ids: &[&str], why: &str) {
    for id in ids {
        let o = observation(results, id);
        assert_eq!(status_of(&o), "failed", "{id}: {o}");
        let error = o["status"]["error"].as_str().unwrap();
        assert!(
            error.contains(why) && !error.contains('\n'),
            "{id}: {error}"
        );
    }
}

/// `measure spin` measured nothing, and said so with a non-zero exit.
fn assert_nothing_measured(out: &Output) {
    let text = stderr(out);
    assert!(
        !out.status.success(),
        "exit 0 with nothing measured: {text}"
    );
    assert!(text.contains("nothing was measured"), "{text}");
}

/// `script` as `spin` in `bin`; the PATH that finds it first.
fn stub_spin(bin: &Path, script: &str) -> String {
    std::fs::create_dir_all(bin).unwrap();
    let spin = bin.join("spin");
    std::fs::write(&spin, script).unwrap();
    let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(&spin, executable).unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn status_of(o: &serde_json::Value) -> &str {
    o["status"]["status"].as_str().unwrap()
}

fn assert_measured(results: &Path, id: &str, n: usize) {
    let o = observation(results, id);
    assert_eq!(status_of(&o), "measured", "{id}: {o}");
    let samples = o["samples"].as_array().unwrap();
    assert_eq!(samples.len(), n, "{id}: {o}");
    assert!(
        samples.iter().all(|s| s.as_f64().unwrap() > 0.0),
        "{id}: {o}"
    );
}

#[test]
fn the_embedded_host_answers_the_routes_404_and_a_query_string() {
    let dir = tempfile::tempdir().unwrap();
    let host = WagiHost::start(&manifest(dir.path(), &wasm()));

    let (code, body) = host.get("/api/time");
    assert_eq!(code, 200, "{body}");
    assert_moscow_json(&body);

    let (code, body) = host.get("/");
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("<h1>Current time in Moscow</h1>"), "{body}");
    assert!(body.contains(" MSK</p>"), "{body}");

    // The query string is the guest's QUERY_STRING, not part of PATH_INFO.
    let (code, body) = host.get("/api/time?_cold=1732500000000000000&x=a%20b");
    assert_eq!(code, 200, "{body}");
    assert_moscow_json(&body);

    let (code, body) = host.get("/no/such/page?x=1");
    assert_eq!(code, 404, "{body}");
    assert!(body.contains("not found"), "{body}");
}

#[test]
fn measure_spin_runs_spin_up_when_spin_is_on_path() {
    let dir = tempfile::tempdir().unwrap();
    let spin_toml = manifest(dir.path(), &wasm());
    let bin = dir.path().join("bin");
    let log = dir.path().join("spin-args.log");
    // A stand-in for Spin 3: records how it was called, then serves the manifest it was
    // given on the address it was given with the embedded host, from a second process as
    // Spin runs its trigger; Ctrl-C becomes SIGTERM for that process, and `spin up` then
    // fails, as Spin's does.
    let script = format!(
        "#!/bin/sh\necho \"$*\" >> '{log}'\n\
         [ \"$1\" = --version ] && {{ echo 'spin 3.1.0 (stub 2024-12-02)'; exit 0; }}\n\
         [ \"$1\" = up ] || exit 64\nshift\n\
         while [ $# -gt 0 ]; do\n  case \"$1\" in\n    --listen) listen=$2; shift 2 ;;\n\
         \x20   --from) from=$2; shift 2 ;;\n    *) shift ;;\n  esac\ndone\n\
         case \"$from\" in\n\
         \x20 *spin-http.toml) '{measure}' serve-http '{component}' --listen \"$listen\" & ;;\n\
         \x20 *) '{measure}' wagi \"$from\" --listen \"$listen\" & ;;\nesac\ntrigger=$!\n\
         trap 'kill -TERM $trigger; wait $trigger; exit 1' INT\nwait $trigger\n",
        log = log.display(),
        measure = env!("CARGO_BIN_EXE_measure"),
        component = artifact("WASI_HTTP_COMPONENT").display(),
    );
    let path = stub_spin(&bin, &script);
    // The wasi:http manifest as the project ships it, for the stand-in to recognise.
    let http_toml = dir.path().join("spin-http.toml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../service/spin-http.toml"),
        &http_toml,
    )
    .unwrap();

    let results = dir.path().join("results.json");
    let manifest_arg = spin_toml.to_str().unwrap();
    let http_arg = http_toml.to_str().unwrap();
    let out = measure_spin(
        &results,
        &[
            "--host",
            "spin",
            "--host",
            "spin-http",
            "--host",
            "remote",
            "--manifest",
            manifest_arg,
            "--http-manifest",
            http_arg,
        ],
        &[("PATH", path.as_str())],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    assert_measured(&results, "spin.cold-start.spin", 1);
    // Spin's own executor serving the wasi:http component, from its own manifest.
    assert_measured(&results, "spin.cold-start.spin-http", 1);
    assert_measured(&results, "spin.warm.spin-http", 2);
    let http = observation(&results, "spin.warm.spin-http");
    assert!(
        http["label"]
            .as_str()
            .unwrap()
            .contains("wasi:http component"),
        "{http}"
    );
    for id in [
        "spin.cold.spin",
        "spin.cold-first-byte.spin",
        "spin.warm.spin",
        "spin.warm-connect.spin",
        "spin.warm-keepalive.spin",
    ] {
        assert_measured(&results, id, 2);
    }
    let keepalive = observation(&results, "spin.warm-keepalive.spin");
    assert_eq!(
        keepalive["shown"], "2 of 2 reused the connection",
        "{keepalive}"
    );
    let cold = observation(&results, "spin.cold.spin");
    assert!(
        cold["command"].as_str().unwrap().contains("?_cold=<ns>"),
        "{cold}"
    );

    // Spin was started as `spin up --listen 127.0.0.1:PORT --from MANIFEST`, once per
    // cold start and once for the series.
    let calls = std::fs::read_to_string(&log).unwrap();
    let ups: Vec<&str> = calls.lines().filter(|l| l.starts_with("up ")).collect();
    assert!(calls.lines().any(|l| l == "--version"), "{calls}");
    assert_eq!(ups.len(), 4, "{calls}");
    for up in &ups {
        assert!(up.starts_with("up --listen 127.0.0.1:"), "{up}");
    }
    for manifest in [manifest_arg, http_arg] {
        let from = format!("--from {manifest}");
        assert_eq!(
            ups.iter().filter(|up| up.contains(&from)).count(),
            2,
            "{calls}"
        );
    }

    // Both processes of every `spin up` are gone.
    let left = Command::new("pgrep")
        .args(["-f", &format!("wagi {manifest_arg}")])
        .output()
        .unwrap();
    assert!(left.stdout.is_empty(), "left running: {}", stdout(&left));

    let remote = observation(&results, "spin.cold.remote");
    assert_eq!(status_of(&remote), "skipped", "{remote}");
    assert_eq!(remote["status"]["reason"], "SPIN_URL not set");
    let deploy = observation(&results, "spin.deploy.spin");
    assert_eq!(status_of(&deploy), "skipped", "{deploy}");
    assert!(deploy["status"]["reason"]
        .as_str()
        .unwrap()
        .contains("--deploy"));
    assert!(!calls.contains("deploy"), "deploy is opt-in: {calls}");
}

#[test]
fn without_spin_the_embedded_host_is_measured_and_labelled_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let spin_toml = manifest(dir.path(), &wasm());
    let out = measure_spin(
        &results,
        &[
            "--host",
            "spin",
            "--host",
            "embedded-wagi",
            "--host",
            "spin-http",
            "--host",
            "wasi-http-pooling",
            "--manifest",
            spin_toml.to_str().unwrap(),
        ],
        &[("PATH", "/usr/bin:/bin")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_measured(&results, "spin.cold-start.embedded-wagi", 1);
    assert_measured(&results, "spin.warm.embedded-wagi", 2);
    let cold = observation(&results, "spin.cold.embedded-wagi");
    assert!(
        cold["label"]
            .as_str()
            .unwrap()
            .contains("embedded WAGI host"),
        "{cold}"
    );
    assert!(
        cold["label"].as_str().unwrap().contains("not Spin"),
        "{cold}"
    );
    let spin = observation(&results, "spin.cold.spin");
    assert_eq!(status_of(&spin), "skipped", "{spin}");
    assert!(spin["status"]["reason"]
        .as_str()
        .unwrap()
        .contains("spin not found on PATH"));
    // Spin's wasi:http executor: skipped, naming the host that stands in for it, which is
    // measured under its own name, never as Spin.
    let spin_http = observation(&results, "spin.cold.spin-http");
    assert_eq!(status_of(&spin_http), "skipped", "{spin_http}");
    assert!(
        spin_http["status"]["reason"]
            .as_str()
            .unwrap()
            .contains("the embedded wasi:http host serves the same component (wasi-http-pooling)"),
        "{spin_http}"
    );
    assert_measured(&results, "spin.warm.wasi-http-pooling", 2);
    let stand_in = observation(&results, "spin.warm.wasi-http-pooling");
    assert!(
        !stand_in["label"].as_str().unwrap().contains("Spin"),
        "{stand_in}"
    );
}

#[test]
fn bad_manifests_and_a_busy_port_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let port = || http::free_port().unwrap().to_string();
    let listen = |p: &str| format!("127.0.0.1:{p}");

    let malformed = dir.path().join("malformed.toml");
    std::fs::write(
        &malformed,
        "spin_manifest_version = 2\n[application\nname = \"x\"\n",
    )
    .unwrap();
    let e = one_line_failure(&[malformed.to_str().unwrap(), "--listen", &listen(&port())]);
    assert!(e.contains("malformed.toml") && e.contains("line 2"), "{e}");

    let missing = dir.path().join("missing");
    std::fs::create_dir(&missing).unwrap();
    let no_module = manifest(&missing, Path::new("/nonexistent/moscow-time.wasm"));
    let e = one_line_failure(&[no_module.to_str().unwrap(), "--listen", &listen(&port())]);
    assert!(
        e.contains("/nonexistent/moscow-time.wasm not found: run `make build`"),
        "{e}"
    );

    let good = manifest(dir.path(), &wasm());
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = busy.local_addr().unwrap().to_string();
    let e = one_line_failure(&[good.to_str().unwrap(), "--listen", &taken]);
    assert!(
        e.contains(&format!("cannot listen on {taken}")) && e.contains("--listen"),
        "{e}"
    );

    // Under `measure spin` the same problems fail the embedded host's series, with the reason.
    let results = dir.path().join("results.json");
    for (bad, why) in [
        (&malformed, "line 2"),
        (&no_module, "not found: run `make build`"),
    ] {
        let out = measure_spin(
            &results,
            &[
                "--host",
                "embedded-wagi",
                "--manifest",
                bad.to_str().unwrap(),
            ],
            &[],
        );
        assert_nothing_measured(&out);
        let ids = [
            "spin.cold-start.embedded-wagi",
            "spin.cold.embedded-wagi",
            "spin.warm-keepalive.embedded-wagi",
        ];
        assert_failed_with(&results, &ids, why);
    }
}

#[test]
fn an_unreachable_spin_url_fails_its_series_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    // A loopback port nothing listens on: connections are refused at once.
    let closed = http::free_port().unwrap();
    let url = format!("http://127.0.0.1:{closed}/");
    let started = Instant::now();
    let out = measure_spin(
        &results,
        &[
            "--host",
            "remote",
            "--remote-cold-interval",
            "0.1",
            "--remote-warm-interval",
            "0.1",
        ],
        &[("SPIN_URL", url.as_str())],
    );
    assert_nothing_measured(&out);
    assert!(started.elapsed() < Duration::from_secs(60));
    let ids = [
        "spin.cold.remote",
        "spin.warm.remote",
        "spin.warm-keepalive.remote",
    ];
    assert_failed_with(&results, &ids, &format!("127.0.0.1:{closed}"));
    assert_failed_with(&results, &ids, "curl exit 7");
}

#[test]
fn the_host_serves_1000_sequential_and_200_concurrent_requests_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let host = WagiHost::start(&manifest(dir.path(), &wasm()));
    let answer_ok = |(code, body): (u16, String)| {
        assert_eq!(code, 200, "{body}");
        assert!(body.starts_with("{\"moscow_time\":\""), "{body}");
    };
    // Pools, allocator arenas and the runtime settle over the first requests.
    for _ in 0..50 {
        answer_ok(host.get("/api/time"));
    }
    let before = host.rss_bytes();
    for _ in 0..1000 {
        answer_ok(host.get("/api/time"));
    }
    let grown = host.rss_bytes().saturating_sub(before);
    assert!(
        grown <= 20 << 20,
        "RSS grew by {grown} bytes over 1000 requests"
    );

    let barrier = std::sync::Barrier::new(200);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..200)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    http::get(host.addr, "/api/time", Duration::from_secs(60))
                })
            })
            .collect();
        for handle in handles {
            answer_ok(handle.join().unwrap().unwrap());
        }
    });
}

#[test]
fn the_server_probe_covers_the_embedded_host() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let spin_toml = manifest(dir.path(), &wasm());
    let out = measure_run(
        &results,
        &["server"],
        &[("SPIN_TOML", spin_toml.to_str().unwrap())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    for id in [
        "ready.server.embedded-wagi",
        "stop.server.embedded-wagi",
        "memory.server-rss.embedded-wagi",
        "memory.server-peak-rss.embedded-wagi",
    ] {
        assert_measured(&results, id, 2);
    }
}

#[test]
fn a_spin_that_cannot_start_fails_at_once_with_its_headline_and_a_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let spin_toml = manifest(dir.path(), Path::new("/nonexistent/moscow-time.wasm"));
    // Spin's answer to a component source that does not exist: the headline first, the
    // causes after it, exit 1.
    let script = "#!/bin/sh\n\
        [ \"$1\" = --version ] && { echo 'spin 3.1.0 (stub 2024-12-02)'; exit 0; }\n\
        echo 'Error: failed to resolve dependencies' >&2\necho >&2\necho 'Caused by:' >&2\n\
        for i in 1 2 3 4 5 6; do echo \"   $i: cause $i\" >&2; done\nexit 1\n";
    let path = stub_spin(&dir.path().join("bin"), script);
    let results = dir.path().join("results.json");
    let started = Instant::now();
    // 20 requests a second apart per series: a run that sleeps through its rounds with no
    // host up takes 40 s.
    let out = finish_within(
        measure()
            .env_remove("SPIN_URL")
            .env_remove("REQUIRE_RUNTIMES")
            .env("PATH", &path)
            .args(["spin", "--runs", "20", "--starts", "1", "--host", "spin"])
            .args(["--cold-interval", "1", "--warm-interval", "1", "--results"])
            .arg(&results)
            .arg("--manifest")
            .arg(&spin_toml),
        Duration::from_secs(60),
    );
    let took = started.elapsed();
    assert_nothing_measured(&out);
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let ids = [
        "spin.cold-start.spin",
        "spin.cold.spin",
        "spin.warm.spin",
        "spin.warm-keepalive.spin",
    ];
    assert_failed_with(&results, &ids, "Error: failed to resolve dependencies");
    assert_failed_with(&results, &ids, "6: cause 6");
}

#[test]
fn a_spin_older_than_the_manifest_needs_or_unreadable_is_skipped_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let spin_toml = manifest(dir.path(), &wasm());
    let results = dir.path().join("results.json");
    for (answer, why) in [
        ("spin 2.7.0 (old 2024-08-01)", "is older than the Spin 3"),
        ("spin version unknown", "no version in `spin --version`"),
    ] {
        let log = dir.path().join("calls.log");
        let script = format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\n[ \"$1\" = --version ] && echo '{answer}'\nexit 0\n",
            log.display()
        );
        let path = stub_spin(&dir.path().join("bin"), &script);
        let out = measure_spin(
            &results,
            &["--host", "spin", "--manifest", spin_toml.to_str().unwrap()],
            &[("PATH", path.as_str())],
        );
        assert_nothing_measured(&out);
        for id in ["spin.cold-start.spin", "spin.warm.spin", "spin.deploy.spin"] {
            let o = observation(&results, id);
            assert_eq!(status_of(&o), "skipped", "{id}: {o}");
            let reason = o["status"]["reason"].as_str().unwrap();
            assert!(
                reason.contains(why) && reason.contains("install Spin 3 or later"),
                "{id}: {reason}"
            );
        }
        let calls = std::fs::read_to_string(&log).unwrap();
        assert!(!calls.contains("up"), "an unfit spin was started: {calls}");
    }
}

#[test]
fn without_curl_the_series_are_skipped_or_failed_as_a_required_tool() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let spin_toml = manifest(dir.path(), &wasm());
    for (required, status) in [("0", "skipped"), ("1", "failed")] {
        let out = measure_spin(
            &results,
            &[
                "--host",
                "embedded-wagi",
                "--manifest",
                spin_toml.to_str().unwrap(),
            ],
            &[("PATH", "/nonexistent"), ("REQUIRE_RUNTIMES", required)],
        );
        assert!(!out.status.success(), "{}", stderr(&out));
        for id in ["spin.cold-start.embedded-wagi", "spin.warm.embedded-wagi"] {
            let o = observation(&results, id);
            assert_eq!(status_of(&o), status, "{id}: {o}");
            let text = o["status"].to_string();
            assert!(
                text.contains("curl not found on PATH; as root, `make setup`"),
                "{text}"
            );
        }
    }
}

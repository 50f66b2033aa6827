//! Shared by the integration tests: the built artifacts (named by the Makefile) and small
//! helpers to run them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

/// An artifact path exported by the Makefile (`make test` builds them first).
/// Without it (a plain `cargo test`) the whole test binary stops at once with one line,
/// instead of every test panicking with the same message.
pub fn artifact(var: &str) -> PathBuf {
    let Some(path) = std::env::var_os(var).map(PathBuf::from) else {
        eprintln!("error: {var} is not set: these tests run the built artifacts; run `make test`");
        std::process::exit(2);
    };
    assert!(
        path.is_file(),
        "{} missing: run `make build`",
        path.display()
    );
    path
}

pub fn native() -> PathBuf {
    artifact("NATIVE_BIN")
}

pub fn wasm() -> PathBuf {
    artifact("WASM_MODULE")
}

/// `measure`, run from the workspace's root as `make` runs it (its defaults, such as
/// service/Dockerfile and target/criterion, are relative to the working directory; cargo
/// runs tests in measure/).
pub fn measure() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_measure"));
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    cmd
}

/// The ids that `ctr -n NAMESPACE <what> ls -q` lists (`containers`, `tasks`) starting with
/// `prefix`.
pub fn ctr_listed(namespace: &str, what: &str, prefix: &str) -> Vec<String> {
    let out = Command::new("ctr")
        .args(["-n", namespace, what, "ls", "-q"])
        .output()
        .expect("run ctr");
    stdout(&out)
        .split_whitespace()
        .filter(|id| id.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// The native binary with exactly `env`.
pub fn native_with(env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(native());
    cmd.env_clear().envs(env.iter().copied());
    cmd.output().expect("run the native binary")
}

/// The wasm module under `measure exec`, with exactly `env`.
pub fn wasm_with(env: &[(&str, &str)]) -> Output {
    let mut cmd = measure();
    cmd.env_clear()
        .envs(env.iter().copied())
        .arg("exec")
        .arg(wasm());
    cmd.output().expect("run measure exec")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Asserts that `text` is the Moscow Time JSON of about now, in UTC+3 exactly.
pub fn assert_moscow_json(text: &str) {
    let value: serde_json::Value =
        serde_json::from_str(text.trim_end()).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    let shown = value["moscow_time"].as_str().expect("moscow_time string");
    let ts = value["timestamp"].as_i64().expect("timestamp integer");
    assert_eq!(value.as_object().unwrap().len(), 2, "{text}");
    assert!(shown.ends_with(" MSK"), "{shown}");
    assert!((ts - unix_now()).abs() < 10, "timestamp {ts} is not now");
    // The shown wall-clock time is the timestamp plus exactly three hours.
    let (date, clock) = shown
        .trim_end_matches(" MSK")
        .split_once(' ')
        .expect("date and time");
    let days_since_epoch = days_from_civil(date);
    let parts: Vec<i64> = clock.split(':').map(|p| p.parse().unwrap()).collect();
    let local_seconds = days_since_epoch * 86_400 + parts[0] * 3600 + parts[1] * 60 + parts[2];
    assert_eq!(local_seconds - ts, 3 * 3600, "{shown} vs {ts}");
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (an independent check of the service's
/// calendar, by Howard Hinnant's algorithm).
fn days_from_civil(date: &str) -> i64 {
    let p: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let (y, m, d) = (if p[1] <= 2 { p[0] - 1 } else { p[0] }, p[1], p[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Whether the docker daemon answers. When it does not, a test returns early with a printed
/// reason, unless `REQUIRE_RUNTIMES` is set (as in CI), where that is a failure.
pub fn docker_ready(test: &str) -> bool {
    let answers = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !answers {
        let required = std::env::var("REQUIRE_RUNTIMES").is_ok_and(|v| v == "1" || v == "true");
        assert!(
            !required,
            "REQUIRE_RUNTIMES is set but the docker daemon does not answer ({test})"
        );
        eprintln!(
            "skipping {test}: the docker daemon does not answer (as root, `make setup` starts it)"
        );
    }
    answers
}

/// `measure run` of some probes into `results`, with `extra` environment.
pub fn measure_run(results: &std::path::Path, probes: &[&str], extra: &[(&str, &str)]) -> Output {
    run_command(results, probes)
        .envs(extra.iter().copied())
        .output()
        .expect("run measure")
}

/// The command `measure_run` runs: two runs of each of `probes`, no warmup.
pub fn run_command(results: &std::path::Path, probes: &[&str]) -> Command {
    let (_, _) = (native(), wasm()); // a clear message when not run through `make test`
    let mut cmd = measure();
    cmd.args(["run", "--runs", "2", "--warmup", "0", "--results"])
        .arg(results);
    for p in probes {
        cmd.args(["--probe", p]);
    }
    cmd
}

/// The observation `id` of a results file.
pub fn observation(results: &std::path::Path, id: &str) -> serde_json::Value {
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(results).unwrap()).unwrap();
    data["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing"))
        .clone()
}

/// Ids of our containers still present.
pub fn leftover_containers() -> String {
    // Containers of a `measure` that still runs belong to a test running beside this one
    // (tests run in parallel); only those whose run has ended are left behind.
    let out = Command::new("docker")
        .args([
            "ps",
            "--all",
            "--filter",
            "label=wasmlab=1",
            "--format",
            "{{.ID}} {{.Label \"wasmlab.run\"}}",
        ])
        .output()
        .unwrap();
    stdout(&out)
        .lines()
        .filter_map(|line| line.split_once(' '))
        .filter(|(_, pid)| {
            pid.is_empty() || !std::path::Path::new(&format!("/proc/{pid}")).exists()
        })
        .map(|(id, _)| id)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A WASI command module assembled by hand (no wat parser needed): one page of memory
/// exported as `memory`, and `_start` with `body` (its code, without locals or the end).
pub fn command_module(body: &[u8]) -> Vec<u8> {
    let header: &[u8] = &[
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
        0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
        0x05, 0x03, 0x01, 0x00, 0x01, // memory section: one memory, at least 1 page
        0x07, 0x13, 0x02, // export section: two exports
        0x06, b'_', b's', b't', b'a', b'r', b't', 0x00, 0x00, // "_start": function 0
        0x06, b'm', b'e', b'm', b'o', b'r', b'y', 0x02, 0x00, // "memory": memory 0
    ];
    // The one body: no locals, the code, `end`.
    let size = body.len() as u8 + 2;
    let mut module = header.to_vec();
    module.extend([0x0a, size + 2, 0x01, size, 0x00]);
    module.extend(body);
    module.push(0x0b);
    module
}

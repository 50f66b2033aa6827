//! End to end: `measure run` with a few runs on the built artifacts, then `measure render`;
//! and the one-line errors of `render` and `exec` on bad input.

mod common;

use common::*;
use serde_json::Value;
use std::fs;

/// Every observation `measure run` must produce on any machine.
const EXPECTED: &[&str] = &[
    "size.binary.native",
    "size.binary.wasm",
    "size.binary.wasm-precompiled",
    "startup.cli.floor",
    "startup.cli.native-process",
    "startup.cli.embedded-wasmtime-jit",
    "startup.cli.embedded-wasmtime-aot",
    "startup.cli.embedded-winch-jit",
    "startup.cli.embedded-winch-aot",
    "startup.cli.embedded-pulley-jit",
    "startup.cli.embedded-pulley-aot",
    "startup.cli.embedded-wasmi",
    "phase.compile.embedded-wasmtime",
    "phase.load-precompiled.embedded-wasmtime",
    "phase.instantiate.embedded-wasmtime",
    "phase.run.embedded-wasmtime",
    "memory.linear.embedded-wasmtime",
    "phase.compile.embedded-winch",
    "phase.load-precompiled.embedded-pulley",
    "phase.run.embedded-wasmi",
    "memory.linear.embedded-wasmi",
    "ready.server.native-process",
    "stop.server.native-process",
    "memory.server-rss.native-process",
    "load.rps-c10.native-process",
    // The wasi:http component, a fresh instance per request and instances reused.
    "load.rps-c10.wasi-http-pooling",
    "load.rps-c10.wasi-http-reuse",
    "memory.cli-peak-rss.native-process",
    "memory.cli-peak-rss.embedded-wasmtime-jit",
    "memory.cli-peak-rss.embedded-winch-aot",
    "memory.cli-peak-rss.embedded-wasmi",
    "load.latency-p99-c50.native-process",
];

/// Every observation that needs the docker daemon.
const EXPECTED_WITH_DOCKER: &[&str] = &[
    "build.image.docker",
    "size.image.docker",
    "startup.cli.docker",
    "ready.server.docker",
    "stop.server.docker",
    "memory.server-docker-stats.docker",
    "load.rps-c10.docker",
];

const RUNS: usize = 3;

#[test]
fn run_then_render_shows_every_measured_figure() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    // No criterion results, as on a fresh clone, whatever `make bench` left here.
    let no_benches = dir.path().join("criterion");
    let out = measure()
        .env("CRITERION_HOME", &no_benches)
        .args([
            "run",
            "--runs",
            &RUNS.to_string(),
            "--warmup",
            "1",
            // The stress probe's smallest useful shape: two levels, one round each.
            "--stress-tasks",
            "2",
            "--stress-rounds",
            "1",
            "--stress-concurrency",
            "1,2",
            "--results",
        ])
        .arg(&results)
        .output()
        .unwrap();
    assert!(out.status.success(), "measure run: {}", stderr(&out));

    let data: Value = serde_json::from_str(&fs::read_to_string(&results).unwrap()).unwrap();
    assert_eq!(
        data["schema_version"],
        wasmlab_model::results::SCHEMA_VERSION
    );
    assert!(data["invocations"][0]["kernel"]
        .as_str()
        .is_some_and(|k| !k.is_empty()));
    let observations = data["observations"].as_array().unwrap();
    let docker = docker_ready("run_then_render (docker figures)");
    let expected = EXPECTED
        .iter()
        .chain(if docker { EXPECTED_WITH_DOCKER } else { &[] });
    for id in expected {
        let o = observations
            .iter()
            .find(|o| o["id"] == *id)
            .unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(o["status"]["status"], "measured", "{id}: {}", o["status"]);
        let samples = o["samples"].as_array().unwrap();
        let single = ["size.", "build."].iter().any(|p| id.starts_with(p));
        // Each load cell takes its six rounds, whatever --runs says.
        let expected_n = match (single, id.starts_with("load.")) {
            (true, _) => 1,
            (_, true) => 6,
            _ => RUNS,
        };
        assert_eq!(samples.len(), expected_n, "{id}");
        assert!(
            samples.iter().all(|s| s.as_f64().is_some_and(|v| v > 0.0)),
            "{id}: {samples:?}"
        );
        assert_eq!(o["summary"]["n"], expected_n, "{id}");
        assert!(!o["command"].as_str().unwrap().is_empty(), "{id}");
    }
    let native = observations
        .iter()
        .find(|o| o["id"] == "size.binary.native")
        .unwrap();
    assert_eq!(
        native["samples"][0].as_f64().unwrap() as u64,
        fs::metadata(common::native()).unwrap().len()
    );

    let report = dir.path().join("report");
    let out = measure()
        .arg("render")
        .arg("--results")
        .arg(&results)
        .arg("--out")
        .arg(&report)
        .output()
        .unwrap();
    assert!(out.status.success(), "measure render: {}", stderr(&out));
    // Tera escapes `/` in text as `&#x2F;`; a browser reads both alike.
    let page = fs::read_to_string(report.join("index.html"))
        .unwrap()
        .replace("&#x2F;", "/");
    // A matrix shows "<variant>[, <level>]: <reading>" as a row and a column, so the page
    // must name the variant, if not the label whole; the CSV export keeps every id.
    let shows = |text: &str| page.contains(&text.replace('\'', "&#x27;"));
    let csv = fs::read_to_string(report.join("results.csv")).unwrap();
    // A matrix may name a row by the catalogue's variant label and a column by its metric's.
    let by_catalogue = |id: &str| {
        let id: wasmlab_model::metric::Id = id.parse().ok()?;
        Some((id.catalogued_variant()?.label, id.metric.label))
    };
    for o in observations {
        let label = o["label"].as_str().unwrap();
        let variant = label
            .split(": ")
            .next()
            .unwrap()
            .split(", ")
            .next()
            .unwrap();
        let id = o["id"].as_str().unwrap();
        // The other engines' figures are in their own section, a row per engine.
        let other_engine = ["winch", "pulley", "wasmi"].iter().any(|e| id.contains(e));
        // What was not measured is listed by id, grouped by its reason.
        let not_measured = o["status"]["status"] != "measured";
        assert!(
            (not_measured && page.contains(id))
                || shows(label)
                || shows(variant)
                || by_catalogue(id).is_some_and(|(v, m)| shows(v) && shows(m))
                || (other_engine && page.contains(r#"id="engines""#)),
            "page lacks {label}"
        );
        assert!(csv.contains(id), "results.csv lacks {id}");
    }
    assert!(page.contains("MODE=once"), "page lacks the commands");
    assert!(page.contains(r#"src="plots/startup.svg""#));
    let svg = fs::read_to_string(report.join("plots/startup.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));

    // A second run of one probe merges: the other observations stay.
    let out = measure()
        .args([
            "run",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--probe",
            "size",
            "--results",
        ])
        .arg(&results)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let data: Value = serde_json::from_str(&fs::read_to_string(&results).unwrap()).unwrap();
    assert_eq!(
        data["observations"].as_array().unwrap().len(),
        observations.len()
    );
}

#[test]
fn render_of_a_missing_or_malformed_file_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    for content in [None, Some("{ not json"), Some(r#"{"schema_version": 999}"#)] {
        if let Some(text) = content {
            fs::write(&results, text).unwrap();
        }
        let out = measure()
            .arg("render")
            .arg("--results")
            .arg(&results)
            .arg("--out")
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{content:?}");
        let message = stderr(&out);
        assert_eq!(message.trim().lines().count(), 1, "{message}");
        assert!(
            message.contains(&results.display().to_string()),
            "{message}"
        );
    }
}

/// Every engine of `measure exec` runs the module to the same correct JSON line, compiling
/// at start and, where the engine has that form, from a precompiled file.
#[test]
fn every_engine_prints_the_moscow_json() {
    let dir = tempfile::tempdir().unwrap();
    for engine in wasmlab_hosts::engine::Engine::ALL {
        let name = engine.name();
        let mut runs = vec![(wasm(), false)];
        if engine.precompiles() {
            let cwasm = engine.precompiled_path(&dir.path().join("m.wasm"));
            wasmlab_hosts::engine::EngineHost::new(engine)
                .and_then(|r| r.precompile(&wasm(), &cwasm))
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
            runs.push((cwasm, true));
        }
        for (file, precompiled) in runs {
            let mut cmd = measure();
            cmd.env("MODE", "once").args(["exec", "--engine", name]);
            if precompiled {
                cmd.arg("--precompiled");
            }
            let out = cmd.arg(&file).output().unwrap();
            assert!(
                out.status.success(),
                "{name} {precompiled}: {}",
                stderr(&out)
            );
            assert_moscow_json(&stdout(&out));
        }
    }
}

/// wasmi translates at every load: asked for a precompiled file it says so, on one line.
#[test]
fn wasmi_has_no_precompiled_form_and_says_so() {
    let out = measure()
        .args(["exec", "--engine", "wasmi", "--precompiled"])
        .arg(wasm())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125));
    let message = stderr(&out);
    assert!(message.contains("no precompiled form"), "{message}");
    assert_eq!(message.trim().lines().count(), 1, "{message}");
}

#[test]
fn exec_of_a_missing_module_is_a_one_line_error() {
    let out = measure()
        .args(["exec", "/nonexistent/x.wasm"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125));
    let message = stderr(&out);
    assert!(message.contains("/nonexistent/x.wasm"), "{message}");
    assert_eq!(message.trim().lines().count(), 1, "{message}");
}

#[test]
fn run_without_artifacts_names_the_fix() {
    let out = measure()
        .args([
            "run",
            "--native",
            "/nonexistent/moscow-time",
            "--results",
            "/nonexistent/r.json",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("make build"), "{}", stderr(&out));
}

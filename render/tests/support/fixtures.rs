//! Results built in memory for the render crate's tests: the page tests render them, the
//! unit tests of the sentences, comparisons and plots read them. Only the model's public
//! API is used, so the file is both `tests/`' support and the library's `#[cfg(test)]`
//! module `fixtures`.
#![allow(dead_code)]

use wasmlab_model::metric::{
    Metric, Subject, Variant, BUILD_IMAGE, CONTEXT_CLI, CONTEXT_WAGI_NOT_FOUND, CONTEXT_WAGI_PAGE,
    CTR_NATIVE_IMAGE, CTR_RUNC, CTR_WASMTIME_CACHED, CTR_WASMTIME_FIRST, CTR_WASM_IMAGE, DOCKER,
    EMBEDDED_WAGI, EMBEDDED_WASMTIME, EMBEDDED_WASMTIME_AOT, FLOOR, LOAD_RPS,
    MEMORY_CLI_CONTAINER_TOTAL, MEMORY_CLI_PEAK, MEMORY_CLI_SHIM_PEAK, MEMORY_SERVER_DOCKER_STATS,
    MEMORY_SERVER_RSS, NATIVE_BINARY, NATIVE_PROCESS, NATIVE_PROCESS_ALONE,
    NATIVE_PROCESS_HYPERFINE, SIZE_BINARY, SIZE_IMAGE, SPIN_COLD, SPIN_COLD_START, SPIN_WARM,
    STARTUP_CLI, WASI_HTTP_COMPONENT, WASI_HTTP_POOLING, WASMTIME_CLI, WASM_MODULE,
};
use wasmlab_model::results::{setting, Invocation, Observation, Provenance, Results};

/// Results holding `observations` alone, as one invocation wrote them.
pub fn results(observations: impl IntoIterator<Item = Observation>) -> Results {
    let mut r = Results::new(Provenance::default());
    for o in observations {
        r.merge(o);
    }
    r
}

/// `metric` of `variant`, measured as `samples`, labelled as the catalogue labels it.
pub fn measured(
    metric: &'static Metric,
    variant: &'static Variant,
    samples: Vec<f64>,
) -> Observation {
    let command = format!("run {}", metric.id(variant));
    metric.of(variant).measured(command, samples)
}

/// Samples around `median` (seconds), spread by ±1%.
pub fn around(median: f64) -> Vec<f64> {
    (0..11)
        .map(|i| median * (1.0 + (i as f64 - 5.0) / 500.0))
        .collect()
}

pub fn time(subject: Subject, label: &str, samples: Vec<f64>) -> Observation {
    let command = format!("run {}", subject.id);
    subject.label(label).measured(command, samples)
}

pub fn bytes(subject: Subject, value: f64) -> Observation {
    let command = format!("size of {}", subject.id);
    let label = subject.id.to_string();
    subject.label(label).measured(command, vec![value])
}

/// A run where the cached wasm container takes `cached` seconds and a first start `first`,
/// against runc's 0.180 s.
pub fn fixture(cached: f64, first: f64) -> Results {
    let mut provenance = Provenance {
        date: "2026-11-25T00:00:00Z".into(),
        kernel: "6.1".into(),
        cpu_model: "test cpu".into(),
        cores: 2,
        ..Provenance::default()
    };
    provenance.tools.insert(
        "docker".into(),
        "Docker <script>alert(1)</script> 20.10".into(),
    );
    let mut r = Results::new(provenance);
    for o in [
        bytes(SIZE_BINARY.of(&NATIVE_BINARY), 733_880.0),
        bytes(SIZE_BINARY.of(&WASM_MODULE), 63_186.0),
        bytes(SIZE_IMAGE.of(&DOCKER), 733_880.0).with_shown("734kB"),
        bytes(SIZE_IMAGE.of(&CTR_NATIVE_IMAGE), 736_335.0),
        bytes(SIZE_IMAGE.of(&CTR_WASM_IMAGE), 65_617.0),
        reading(MEMORY_CLI_PEAK.of(&CTR_RUNC), 2_100_000.0),
        reading(MEMORY_CLI_PEAK.of(&CTR_WASMTIME_CACHED), 950_000.0),
        reading(MEMORY_CLI_SHIM_PEAK.of(&CTR_RUNC), 13_000_000.0),
        reading(MEMORY_CLI_SHIM_PEAK.of(&CTR_WASMTIME_CACHED), 28_000_000.0),
        reading(MEMORY_CLI_CONTAINER_TOTAL.of(&CTR_RUNC), 15_100_000.0),
        reading(
            MEMORY_CLI_CONTAINER_TOTAL.of(&CTR_WASMTIME_CACHED),
            28_950_000.0,
        ),
        reading(MEMORY_SERVER_RSS.of(&NATIVE_PROCESS), 741_376.0),
        reading(MEMORY_SERVER_RSS.of(&WASI_HTTP_POOLING), 14_958_592.0),
        reading(MEMORY_SERVER_RSS.of(&EMBEDDED_WAGI), 24_707_072.0),
        reading(MEMORY_SERVER_DOCKER_STATS.of(&DOCKER), 733_184.0).with_shown("792KiB"),
        BUILD_IMAGE
            .of(&DOCKER)
            .label("docker build --no-cache")
            .measured("docker build", vec![0.523_153]),
        rate(LOAD_RPS.at("c10").of(&NATIVE_PROCESS), 47_683.88),
        rate(LOAD_RPS.at("c10").of(&DOCKER), 20_427.09),
        rate(LOAD_RPS.at("c10").of(&WASI_HTTP_POOLING), 10_080.69),
        rate(LOAD_RPS.at("c10").of(&EMBEDDED_WAGI), 8_019.18),
        context(CONTEXT_CLI.of(&NATIVE_PROCESS), JSON_LINE),
        context(CONTEXT_CLI.of(&EMBEDDED_WASMTIME), JSON_LINE),
        context(CONTEXT_WAGI_PAGE.of(&NATIVE_PROCESS), PAGE),
        context(CONTEXT_WAGI_PAGE.of(&EMBEDDED_WASMTIME), PAGE),
        context(CONTEXT_WAGI_NOT_FOUND.of(&NATIVE_PROCESS), NOT_FOUND),
        context(CONTEXT_WAGI_NOT_FOUND.of(&EMBEDDED_WASMTIME), NOT_FOUND),
        time(STARTUP_CLI.of(&FLOOR), "floor", around(0.00055)),
        time(
            STARTUP_CLI.of(&NATIVE_PROCESS),
            "native process",
            around(0.00073),
        ),
        time(
            STARTUP_CLI.of(&EMBEDDED_WASMTIME_AOT),
            "wasm, embedded, precompiled",
            around(0.00073),
        ),
        time(
            STARTUP_CLI.of(&CTR_RUNC),
            "native image, ctr run --rm (runc)",
            around(0.180),
        ),
        time(
            STARTUP_CLI.of(&CTR_WASMTIME_CACHED),
            "wasm image, cached",
            around(cached),
        ),
        time(
            STARTUP_CLI.of(&CTR_WASMTIME_FIRST),
            "wasm image, first start",
            around(first),
        ),
        time(
            STARTUP_CLI.of(&DOCKER),
            "native image, docker run --rm",
            vec![0.49, 0.30, 0.71, 0.52, 0.95, 0.41, 0.47],
        ),
        SPIN_COLD
            .of(&EMBEDDED_WAGI)
            .label("embedded WAGI host: cold request")
            .measured("curl", around(0.0005)),
        SPIN_WARM
            .of(&EMBEDDED_WAGI)
            .label("embedded WAGI host: warm request")
            .measured("curl", around(0.00025)),
        STARTUP_CLI
            .of(&WASMTIME_CLI)
            .label("wasm, wasmtime CLI")
            .skipped(
                "wasmtime run",
                "wasmtime not found on PATH; `make setup-extras` installs it",
            ),
        SIZE_IMAGE
            .of(&WASI_HTTP_COMPONENT)
            .label("an image that failed")
            .failed("ctr images import", "ctr: content digest mismatch <b>"),
    ]
    .into_iter()
    .chain(crosscheck(0.000_545, 0.000_523))
    {
        r.merge(o);
    }
    r
}

/// The native binary timed back to back by measure and by hyperfine, around these medians.
pub fn crosscheck(measure: f64, hyperfine: f64) -> [Observation; 2] {
    [
        time(
            STARTUP_CLI.of(&NATIVE_PROCESS_ALONE),
            "native process, back to back, timed by measure",
            around(measure),
        ),
        time(
            STARTUP_CLI.of(&NATIVE_PROCESS_HYPERFINE),
            "native process, back to back, timed by hyperfine",
            around(hyperfine),
        ),
    ]
}

pub const JSON_LINE: &str = r#"{"moscow_time":"2026-11-27 09:36:36 MSK","timestamp":1795761396}"#;
pub const PAGE: &str = "Content-Type: text/html; charset=utf-8\nStatus: 200 OK\n\n<!doctype html>\n<html>\n<body>Moscow</body>\n</html>\n";
pub const NOT_FOUND: &str =
    "Content-Type: text/plain; charset=utf-8\nStatus: 404 Not Found\n\nnot found; try / or /api/time\n";

/// Eleven rounds of wrk around `value`.
pub fn rate(subject: Subject, value: f64) -> Observation {
    let label = format!("{}: requests/s", subject.id);
    subject.label(label).measured("wrk", around(value))
}

/// Six readings of a memory figure, the median `value`, spread by ±0.2%.
pub fn reading(subject: Subject, value: f64) -> Observation {
    let command = format!("read {}", subject.id);
    let label = subject.id.to_string();
    let samples = [0.998, 0.999, 1.0, 1.0, 1.001, 1.002]
        .map(|f| value * f)
        .to_vec();
    subject.label(label).measured(command, samples)
}

pub fn context(subject: Subject, output: &str) -> Observation {
    subject
        .measured("MODE=once moscow-time", vec![0.001])
        .with_shown(output)
}

/// The fixture as two invocations wrote it: `measure run` (everything above) and then
/// `measure spin` (the WAGI host's series, spaced by the recorded intervals), as
/// `make report` does.
pub fn two_invocations(cold_interval: f64, warm_interval: f64) -> Results {
    let mut r = fixture(0.130, 0.206);
    r.invocations[0].provenance.command_line = "measure run --runs 11 --warmup 3".into();
    r.invocations[0]
        .provenance
        .settings
        .insert("runs".into(), "11".into());
    let mut spin = r.invocations[0].provenance.clone();
    spin.command_line = "measure spin --runs 5 --starts 3".into();
    spin.settings.insert("runs".into(), "5".into());
    spin.settings
        .insert(setting::COLD_INTERVAL.into(), cold_interval.to_string());
    spin.settings
        .insert(setting::WARM_INTERVAL.into(), warm_interval.to_string());
    r.invocations.push(Invocation {
        number: 2,
        provenance: spin,
    });
    for o in [
        SPIN_COLD_START
            .of(&EMBEDDED_WAGI)
            .label("embedded WAGI host: cold start")
            .measured("measure wagi", vec![0.075, 0.082, 0.088]),
        SPIN_COLD
            .of(&EMBEDDED_WAGI)
            .label("embedded WAGI host: cold request")
            .measured("curl", vec![0.00100, 0.00101, 0.00102, 0.00099, 0.00100]),
        // Warm slower than cold, beyond noise.
        SPIN_WARM
            .of(&EMBEDDED_WAGI)
            .label("embedded WAGI host: warm request")
            .measured("curl", vec![0.00150, 0.00151, 0.00152, 0.00149, 0.00150]),
    ] {
        r.merge(o);
    }
    r
}

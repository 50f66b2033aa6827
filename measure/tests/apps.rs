//! An app of one's own: a third, minimal app from a manifest in a folder outside the
//! repository, built by `measure app build` and measured by `measure run --app`.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

/// A stand-in `tinygo` in a folder of its own (none is installable here): `tinygo version`
/// prints a version, `tinygo build -o OUT IN` copies IN to OUT.
fn stand_in_tinygo(dir: &Path) -> std::ffi::OsString {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let script = dir.join("tinygo");
    std::fs::write(
        &script,
        "#!/bin/sh
case \"$1\" in
  version) echo 'tinygo version 0.0.0-stand-in' ;;
           build) cp \"$4\" \"$3\" ;;
  *) exit 2 ;;
esac
",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut path = vec![dir.to_owned()];
    path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap()));
    std::env::join_paths(path).unwrap()
}

/// A static binary and a module that do nothing, copied into place by the manifest's
/// build commands and checked by their exit status only, and an image of its own.
fn minimal_app(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(artifact("FLOOR_BIN"), dir.join("tiny")).unwrap();
    std::fs::write(dir.join("tiny.wasm"), command_module(&[])).unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nCOPY moscow-time /tiny\nENTRYPOINT [\"/tiny\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("app.toml"),
        r#"name = "tiny"
language = "shell"
source = "tiny"

[toolchain]
version = "cp --version | head -n 1"

[build]
native = 'cp tiny "$NATIVE_OUT"'
wasm = 'cp tiny.wasm "$WASM_OUT"'
tinygo = 'tinygo build -o "$TINYGO_OUT" tiny.wasm'

[check]
cli = "exit-zero"

[image]
dockerfile = "Dockerfile"
"#,
    )
    .unwrap();
}

#[test]
fn a_minimal_app_outside_the_repository_is_built_and_measured() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("tiny");
    minimal_app(&app);
    let out = dir.path().join("built");
    // Without tinygo on PATH its build is skipped, saying why, and the rest is built.
    let without = measure()
        .args(["app", "build"])
        .arg(&app)
        .arg("--out")
        .arg(&out)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(without.status.success(), "{}", stderr(&without));
    let recorded = std::fs::read_to_string(out.join("app.json")).unwrap();
    assert!(
        recorded.contains("tinygo is not on PATH") || Path::new("/usr/bin/tinygo").exists(),
        "{recorded}\n{}",
        stderr(&without)
    );
    let built = measure()
        .args(["app", "build"])
        .arg(&app)
        .arg("--out")
        .arg(&out)
        .env("PATH", stand_in_tinygo(&dir.path().join("bin")))
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", stderr(&built));
    let app_json = out.join("app.json");
    assert_eq!(stdout(&built).trim(), app_json.display().to_string());

    let results = dir.path().join("results.json");
    // The size and startup probes on their own: the startup probe's docker row builds the
    // app's image, which docker does not have yet.
    let _ = Command::new("docker")
        .args(["rmi", "--force", "wasmlab/tiny:latest"])
        .output();
    let run = measure()
        .args(["run", "--runs", "2", "--warmup", "0", "--app"])
        .arg(&app_json)
        .args(["--probe", "size", "--probe", "startup"])
        .arg("--results")
        .arg(&results)
        .env_remove("NATIVE_BIN")
        .env_remove("WASM_MODULE")
        .env_remove("WASI_HTTP_COMPONENT")
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    let app_record = &data["invocations"][0]["app"];
    assert_eq!(app_record["name"], "tiny", "{app_record}");
    assert!(
        app_record["toolchain"].as_str().unwrap().contains("cp"),
        "{app_record}"
    );
    assert!(
        app_record["toolchain"]
            .as_str()
            .unwrap()
            .contains("tinygo version 0.0.0-stand-in"),
        "TinyGo's version is recorded: {app_record}"
    );
    let tinygo = observation(&results, "size.binary.tinygo");
    assert_eq!(tinygo["status"]["status"], "measured", "{tinygo}");
    let floor = std::fs::metadata(artifact("FLOOR_BIN")).unwrap().len() as f64;
    let native = observation(&results, "size.binary.native");
    assert_eq!(native["samples"][0].as_f64(), Some(floor), "{native}");
    assert_eq!(native["label"], "native binary (static, shell)");
    let component = observation(&results, "size.binary.wasi-http-component");
    assert_eq!(component["status"]["status"], "skipped", "{component}");
    assert!(
        component["status"]["reason"]
            .as_str()
            .unwrap()
            .contains("has no wasi:http component"),
        "{component}"
    );
    let mut started = vec![
        "startup.cli.native-process",
        "startup.cli.embedded-wasmi",
        "startup.cli.tinygo-embedded-wasmi",
        "startup.cli.tinygo-embedded-wasmtime-jit",
    ];
    // The containers, when the runtimes must be there (as in CI).
    if std::env::var("REQUIRE_RUNTIMES").is_ok_and(|v| v == "1" || v == "true") {
        started.extend(["startup.cli.docker", "startup.cli.ctr-wasmtime-cached"]);
    }
    for id in started {
        let o = observation(&results, id);
        assert_eq!(o["status"]["status"], "measured", "{o}");
    }
    if std::env::var("REQUIRE_RUNTIMES").is_ok_and(|v| v == "1" || v == "true") {
        // The docker row ran the app's own image.
        let inspect = Command::new("docker")
            .args(["image", "inspect", "wasmlab/tiny:latest", "--format"])
            .arg("{{json .Config.Entrypoint}}")
            .output()
            .unwrap();
        assert_eq!(
            stdout(&inspect).trim(),
            r#"["/tiny"]"#,
            "{}",
            stderr(&inspect)
        );
    }

    // One results file holds one app: the default app is refused into this one.
    let other = run_command(&results, &["size"]).output().unwrap();
    assert!(!other.status.success(), "{}", stderr(&other));
    assert!(stderr(&other).contains("\"tiny\""), "{}", stderr(&other));

    let _ = Command::new("docker")
        .args(["rmi", "--force", "wasmlab/tiny:latest"])
        .output();
    for kind in ["native", "wasm"] {
        let _ = Command::new("ctr")
            .args([
                "images",
                "rm",
                &format!("docker.io/wasmlab/tiny-{kind}:latest"),
            ])
            .output();
    }
}

/// The manifest's `[check.server]` and `[check.wagi]` decide what the contexts ask: an app
/// whose server reads its port from `LISTEN_PORT` (a wrapper around the service that
/// ignores `PORT`) and whose unknown WAGI path is another one is served and checked on
/// those, and its rows say which paths ran.
#[test]
fn an_app_s_port_variable_and_paths_from_its_manifest_drive_the_contexts() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("relay");
    std::fs::create_dir_all(&app).unwrap();
    let service = artifact("NATIVE_BIN");
    std::fs::write(
        app.join("relay.sh"),
        format!(
            "#!/bin/sh\n# The service, told its port by LISTEN_PORT only.\nunset PORT\n\
             [ -n \"$LISTEN_PORT\" ] && export PORT=\"$LISTEN_PORT\"\nexec {}\n",
            service.display()
        ),
    )
    .unwrap();
    std::fs::copy(artifact("WASM_MODULE"), app.join("relay.wasm")).unwrap();
    std::fs::write(
        app.join("app.toml"),
        r#"name = "relay"
language = "shell"
source = "relay.sh"

[toolchain]
version = "sh -c 'echo sh'"

[build]
native = 'cp relay.sh "$NATIVE_OUT" && chmod +x "$NATIVE_OUT"'
wasm = 'cp relay.wasm "$WASM_OUT"'

[check.wagi]
missing = "/nowhere"

[check.server]
port-env = "LISTEN_PORT"
"#,
    )
    .unwrap();
    let out = dir.path().join("built");
    build_app(&app, &out);
    let results = dir.path().join("results.json");
    let run = contexts_of(&out, &results);
    assert!(run.status.success(), "{}", stderr(&run));
    let server = observation(&results, "context.server.native-process");
    assert_eq!(server["status"]["status"], "measured", "{server}");
    assert!(
        server["label"]
            .as_str()
            .unwrap()
            .contains("/api/time, then /"),
        "{server}"
    );
    let missing = observation(&results, "context.wagi-not-found.native-process");
    assert_eq!(missing["status"]["status"], "measured", "{missing}");
    assert!(
        missing["command"]
            .as_str()
            .unwrap()
            .contains("PATH_INFO=/nowhere"),
        "{missing}"
    );
    assert!(
        missing["label"].as_str().unwrap().contains("/nowhere"),
        "{missing}"
    );

    // The same app told its port by PORT, which it ignores: its server never answers.
    let manifest = std::fs::read_to_string(app.join("app.toml")).unwrap();
    std::fs::write(
        app.join("app.toml"),
        manifest.replace("port-env = \"LISTEN_PORT\"", "port-env = \"PORT\""),
    )
    .unwrap();
    build_app(&app, &out);
    let results = dir.path().join("wrong-port.json");
    let _ = contexts_of(&out, &results);
    let server = observation(&results, "context.server.native-process");
    assert_eq!(server["status"]["status"], "failed", "{server}");
}

/// `measure app build APP --out OUT`, which must succeed.
fn build_app(app: &Path, out: &Path) {
    let built = measure()
        .args(["app", "build"])
        .arg(app)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", stderr(&built));
}

/// The contexts probe, once, on the app built into `out`, into `results`.
fn contexts_of(out: &Path, results: &Path) -> std::process::Output {
    measure()
        .args(["run", "--runs", "1", "--warmup", "0", "--app"])
        .arg(out.join("app.json"))
        .args(["--probe", "contexts", "--results"])
        .arg(results)
        .output()
        .unwrap()
}

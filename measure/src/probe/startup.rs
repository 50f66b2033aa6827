//! CLI startup, spawn to exit, as the lab asks: every runtime runs the service with
//! `MODE=once` and nothing else in its environment, interleaved, beside the floor (a static
//! binary that does nothing).

use super::expect;
use super::Probe;
use crate::ctx::Ctx;
use crate::results::{Kind, Observation, Unit};
use crate::runner::{bench, Run, Variant};
use std::path::Path;
use std::process::Command;

pub struct Startup;

const WASMTIME_CLI: &str = "wasmtime-cli";

impl Probe for Startup {
    fn id(&self) -> &'static str {
        "startup"
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let mut variants = local_variants(ctx);
        let mut skipped = Vec::new();
        for ctr in super::ctr::cli_variants(ctx) {
            match ctr {
                Ok(variant) => variants.push(variant),
                Err((id, label, command, reason)) => skipped.push(ctx.unavailable(
                    &id,
                    &label,
                    Kind::SpawnToExit,
                    Unit::Seconds,
                    command,
                    &reason,
                )),
            }
        }
        match super::docker::cli_variant(ctx) {
            Ok(docker) => variants.push(docker),
            Err(reason) => skipped.push(ctx.unavailable(
                "startup.cli.docker",
                "native image, docker run --rm",
                Kind::SpawnToExit,
                Unit::Seconds,
                format!(
                    "docker run --rm --env MODE=once {}",
                    crate::ctx::DOCKER_IMAGE
                ),
                &reason,
            )),
        }
        match which::which("wasmtime") {
            Ok(cli) => match wasmtime_cli_variants(ctx, &cli) {
                Ok(found) => variants.extend(found),
                Err(e) => skipped.push(Observation::failed(
                    &format!("startup.cli.{WASMTIME_CLI}-aot"),
                    "wasm, wasmtime CLI, precompiled (wasmtime compile)",
                    Kind::SpawnToExit,
                    Unit::Seconds,
                    format!("wasmtime compile {}", ctx.wasm.display()),
                    format!("{e:#}"),
                    vec![],
                )),
            },
            Err(_) => {
                for (suffix, how) in [
                    ("", "its defaults"),
                    ("-jit", "cache off"),
                    ("-aot", "precompiled"),
                ] {
                    skipped.push(Observation::skipped(
                        &format!("startup.cli.{WASMTIME_CLI}{suffix}"),
                        &format!("wasm, wasmtime CLI, {how}"),
                        Kind::SpawnToExit,
                        Unit::Seconds,
                        format!("wasmtime run --env MODE=once {}", ctx.wasm.display()),
                        "wasmtime not found on PATH; `make setup-extras` installs it".into(),
                    ));
                }
            }
        }
        let mut observations = bench(variants, ctx.warmup, ctx.runs, ctx.timeout);
        observations.extend(skipped);
        observations
    }
}

/// The variants that need nothing but this machine: the floor, the native binary, and the
/// wasm module in the embedded wasmtime (JIT and precompiled).
pub(super) fn local_variants(ctx: &Ctx) -> Vec<Variant> {
    let exec = |precompiled: bool, module: &Path| {
        let mut cmd = service_command(&ctx.measure);
        cmd.arg("exec");
        if precompiled {
            cmd.arg("--precompiled");
        }
        cmd.arg(module);
        cmd
    };
    vec![
        variant(
            "floor",
            "floor: static binary that does nothing",
            bare(&ctx.floor),
            expect::silent_success,
        ),
        variant(
            "native-process",
            "native process",
            service_command(&ctx.native),
            expect::moscow_json_run,
        ),
        variant(
            "embedded-wasmtime-jit",
            "wasm, embedded wasmtime, JIT",
            exec(false, &ctx.wasm),
            expect::moscow_json_run,
        ),
        variant(
            "embedded-wasmtime-aot",
            "wasm, embedded wasmtime, precompiled",
            exec(true, &ctx.precompiled),
            expect::moscow_json_run,
        ),
    ]
}

/// The standalone wasmtime CLI on the same module: as it comes (it caches compiled modules
/// on disk by default, so after the warmups it loads from that cache), with the cache off
/// (it compiles at every start), and on the module `wasmtime compile` wrote, so its own
/// JIT and AOT costs sit beside the embedded ones.
fn wasmtime_cli_variants(ctx: &Ctx, cli: &Path) -> anyhow::Result<Vec<Variant>> {
    let cwasm = ctx.work_dir.join("moscow-time.wasmtime-cli.cwasm");
    std::fs::create_dir_all(&ctx.work_dir)?;
    let mut compile = bare(cli);
    compile.arg("compile").arg(&ctx.wasm).arg("-o").arg(&cwasm);
    let compiled = crate::runner::run_once(&mut compile, ctx.timeout)?;
    if compiled.exit != crate::runner::Exit::Code(0) {
        anyhow::bail!(
            "`{}` failed ({}): {}",
            crate::runner::describe(&compile),
            compiled.exit,
            compiled.stderr_tail()
        );
    }
    let run = |args: &[&str], module: &Path| {
        let mut cmd = bare(cli);
        cmd.arg("run")
            .args(args)
            .args(["--env", "MODE=once"])
            .arg(module);
        cmd
    };
    Ok(vec![
        variant(
            WASMTIME_CLI,
            "wasm, wasmtime CLI, its defaults (its compile cache, warm after the warmups)",
            run(&[], &ctx.wasm),
            expect::moscow_json_run,
        ),
        variant(
            &format!("{WASMTIME_CLI}-jit"),
            "wasm, wasmtime CLI, cache off (-C cache=n: compiles at every start)",
            run(&["-C", "cache=n"], &ctx.wasm),
            expect::moscow_json_run,
        ),
        variant(
            &format!("{WASMTIME_CLI}-aot"),
            "wasm, wasmtime CLI, precompiled (wasmtime compile)",
            run(&["--allow-precompiled"], &cwasm),
            expect::moscow_json_run,
        ),
    ])
}

/// `program` with an empty environment, so nothing inherited changes what is timed.
fn bare(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    cmd
}

/// `program` with `MODE=once` alone, set on the child directly: no `env` or shell in
/// between, whose own exec would be timed too.
pub(super) fn service_command(program: &Path) -> Command {
    let mut cmd = bare(program);
    cmd.env("MODE", "once");
    cmd
}

fn variant(
    name: &str,
    label: &str,
    command: Command,
    check: fn(&Run) -> Result<(), String>,
) -> Variant {
    Variant {
        id: format!("startup.cli.{name}"),
        label: label.to_owned(),
        command,
        check,
        before_each: None,
    }
}

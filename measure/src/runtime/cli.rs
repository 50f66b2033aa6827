//! The CLI context (`MODE=once`) under each runtime, as commands the runner times spawn to
//! exit: the floor, the native process, the embedded wasmtime, the wasmtime CLI, docker and
//! containerd. A runtime that cannot run here is the subject of its observation with the
//! command it would have run and why not.

use super::containerd::{self, CacheState, Cleanup, Runtime};
use super::docker;
use crate::app::TinyGo;
use crate::ctx::Ctx;
use crate::expect;
use crate::runner::{describe, run_once, Exit, Run, TimedCommand};
use crate::tools;
use std::path::Path;
use std::process::Command;
use wasmlab_hosts::engine::Engine;
use wasmlab_model::metric::{self, ShimVariants, Subject, Variant, STARTUP_CLI};
use wasmlab_model::results::Observation;

/// A variant that cannot run here: its subject, the command it would run, and why not.
pub struct Unavailable {
    pub subject: Subject,
    pub command: String,
    pub reason: String,
}

/// `program` with an empty environment, so nothing inherited changes what is timed.
pub fn bare(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    cmd
}

/// `program` with `MODE=once` alone, set on the child directly: no `env` or shell in
/// between, whose own exec would be timed too.
pub fn service_command(program: &Path) -> Command {
    let mut cmd = bare(program);
    cmd.env("MODE", "once");
    cmd
}

fn timed(
    of: &'static Variant,
    label: &str,
    command: Command,
    check: fn(&Run) -> Result<(), String>,
) -> TimedCommand {
    TimedCommand {
        subject: STARTUP_CLI.of(of).label(label),
        command,
        check,
        before_each: None,
        raced: None,
    }
}

/// The variants that need nothing but this machine: the floor, the native binary, and the
/// wasm module in the embedded host under each engine (compiling at start, and
/// precompiled where the engine has that form). A precompiled row whose engine could not
/// precompile the module comes back apart, with the error, to be reported failed.
pub fn local(ctx: &Ctx) -> (Vec<TimedCommand>, Vec<(TimedCommand, String)>) {
    let exec = |engine: Engine, module: Option<&Path>| {
        let mut cmd = service_command(&ctx.measure);
        cmd.args(["exec", "--engine", engine.name()]);
        match module {
            Some(precompiled) => cmd.arg("--precompiled").arg(precompiled),
            None => cmd.arg(&ctx.wasm),
        };
        cmd
    };
    let mut variants = vec![
        timed(
            &metric::FLOOR,
            metric::FLOOR.label,
            bare(&ctx.floor),
            expect::silent_success,
        ),
        timed(
            &metric::NATIVE_PROCESS,
            metric::NATIVE_PROCESS.label,
            service_command(&ctx.native),
            expect::cli_run,
        ),
    ];
    let mut failed = Vec::new();
    for engine in Engine::ALL {
        let named = engine.variants();
        let start = named.start;
        variants.push(timed(
            start,
            start.label,
            exec(engine, None),
            expect::cli_run,
        ));
        let Some(aot) = named.precompiled else {
            continue;
        };
        let path = engine.precompiled_path(&ctx.wasm);
        let precompiled = timed(aot, aot.label, exec(engine, Some(&path)), expect::cli_run);
        match ctx.precompiled_for(engine) {
            Ok(_) => variants.push(precompiled),
            Err(why) => failed.push((precompiled, why)),
        }
    }
    (variants, failed)
}

/// A Go app's TinyGo module in the embedded host, compiled at start by cranelift and run by
/// wasmi, beside standard Go's module under the same engines: its variants, or, when it
/// was not built, their subjects and commands with why not.
pub fn tinygo(ctx: &Ctx) -> Result<Vec<TimedCommand>, Vec<Unavailable>> {
    let Some(built) = &ctx.tinygo else {
        return Ok(Vec::new());
    };
    let module = match built {
        TinyGo::Built(path) => path.as_path(),
        TinyGo::Skipped(_) => Path::new("tinygo.wasm"),
    };
    let runs = [
        (Engine::Cranelift, &metric::TINYGO_EMBEDDED_WASMTIME),
        (Engine::Wasmi, &metric::TINYGO_EMBEDDED_WASMI),
    ]
    .map(|(engine, variant)| {
        let mut cmd = service_command(&ctx.measure);
        cmd.args(["exec", "--engine", engine.name()]).arg(module);
        (variant, cmd)
    });
    match built {
        TinyGo::Built(_) => Ok(runs
            .into_iter()
            .map(|(v, cmd)| timed(v, v.label, cmd, expect::cli_run))
            .collect()),
        TinyGo::Skipped(reason) => Err(runs
            .into_iter()
            .map(|(v, cmd)| Unavailable {
                subject: STARTUP_CLI.of(v).label(v.label),
                command: describe(&cmd),
                reason: reason.clone(),
            })
            .collect()),
    }
}

/// The same command as `local`'s native variant, under another subject (the cross-check).
pub fn native(subject: Subject, ctx: &Ctx) -> TimedCommand {
    TimedCommand {
        subject,
        command: service_command(&ctx.native),
        check: expect::cli_run,
        before_each: None,
        raced: None,
    }
}

/// The standalone wasmtime CLI on the same module: as it comes (it caches compiled modules
/// on disk by default, so after the warmups it loads from that cache), with the cache off
/// (it compiles at every start), and on the module `wasmtime compile` wrote, so its own
/// JIT and AOT costs sit beside the embedded ones. What cannot run comes back as its
/// observation, with its own command: skipped when the CLI is missing (an optional extra),
/// failed when `wasmtime compile` fails.
pub fn wasmtime_cli(ctx: &Ctx) -> (Vec<TimedCommand>, Vec<Observation>) {
    let cwasm = ctx.work_dir.join("moscow-time.wasmtime-cli.cwasm");
    let cli = which::which("wasmtime");
    let program = cli.as_deref().unwrap_or(Path::new("wasmtime"));
    let run = |args: &[&str], module: &Path| {
        let mut cmd = bare(program);
        cmd.arg("run")
            .args(args)
            .args(["--env", "MODE=once"])
            .arg(module);
        cmd
    };
    let mut variants = vec![
        timed(
            &metric::WASMTIME_CLI,
            "wasm, wasmtime CLI, its defaults (its compile cache, warm after the warmups)",
            run(&[], &ctx.wasm),
            expect::cli_run,
        ),
        timed(
            &metric::WASMTIME_CLI_JIT,
            "wasm, wasmtime CLI, cache off (-C cache=n: compiles at every start)",
            run(&["-C", "cache=n"], &ctx.wasm),
            expect::cli_run,
        ),
        timed(
            &metric::WASMTIME_CLI_AOT,
            "wasm, wasmtime CLI, precompiled (wasmtime compile)",
            run(&["--allow-precompiled"], &cwasm),
            expect::cli_run,
        ),
    ];
    if cli.is_err() {
        let skipped = variants
            .into_iter()
            .map(|v| ctx.without(&tools::WASMTIME, v.subject, describe(&v.command)))
            .collect();
        return (Vec::new(), skipped);
    }
    let mut compile = bare(program);
    compile.arg("compile").arg(&ctx.wasm).arg("-o").arg(&cwasm);
    let compiled = std::fs::create_dir_all(&ctx.work_dir)
        .map_err(anyhow::Error::from)
        .and_then(|()| run_once(&mut compile, ctx.timeout));
    let error = match compiled {
        Ok(run) if run.exit == Exit::Code(0) => return (variants, Vec::new()),
        Ok(run) => format!("{}: {}", run.exit, run.stderr_tail()),
        Err(e) => format!("{e:#}"),
    };
    let aot = variants.remove(2);
    let failed = aot.subject.failed(
        describe(&compile),
        format!("`{}` failed: {error}", describe(&compile)),
    );
    (variants, vec![failed])
}

/// `docker run --rm` of the native image.
pub fn docker(ctx: &Ctx) -> Result<TimedCommand, Box<Unavailable>> {
    let label = "native image, docker run --rm";
    match docker::cli_command(ctx) {
        Ok(command) => Ok(timed(&metric::DOCKER, label, command, expect::cli_run)),
        Err(reason) => Err(Box::new(Unavailable {
            subject: STARTUP_CLI.of(&metric::DOCKER).label(label),
            command: format!("docker run --rm --env MODE=once {}", docker::image()),
            reason,
        })),
    }
}

/// `ctr run --rm` of the native image under runc and of the wasm image under the wasmtime
/// shim, first start (compile cache emptied before each run) and cached, for the CLI
/// startup comparison. Each is `Err` with the reason when containerd, the shim or the image
/// is missing. The images are imported here when containerd does not hold the current
/// ones. Before each run, whatever a failed run left of the variant's container is removed,
/// and so is it when the variant is dropped.
pub fn ctr(ctx: &Ctx) -> Vec<Result<TimedCommand, Box<Unavailable>>> {
    let mut specs = vec![(
        &metric::CTR_RUNC,
        "native image, ctr run --rm (runc)".to_owned(),
        Runtime::Runc,
        CacheState::Any,
    )];
    for runtime in Runtime::shims() {
        let Some(ShimVariants { first, cached, .. }) = runtime.variants() else {
            continue;
        };
        let engine = runtime.engine().unwrap_or_default();
        let shim = format!("wasm image, ctr run --rm (wasmtime shim, {engine})");
        specs.push((
            first,
            format!("{shim}, first start: compile cache emptied"),
            runtime,
            CacheState::Cold,
        ));
        specs.push((
            cached,
            format!("{shim}, compiled module cached"),
            runtime,
            CacheState::Warm,
        ));
    }
    let mut images: Vec<(Runtime, Result<crate::oci::ImageInfo, String>)> = Vec::new();
    specs
        .into_iter()
        .map(|(of, label, runtime, cache)| {
            let name = containerd::container_name(&format!("cli-{}", of.name));
            let command = containerd::run_command(runtime, &name, &["MODE=once"]);
            let unavailable = |reason: String| {
                Box::new(Unavailable {
                    subject: STARTUP_CLI.of(of).label(label.clone()),
                    command: describe(&command),
                    reason,
                })
            };
            if let Some(reason) = runtime.unavailable() {
                return Err(unavailable(reason));
            }
            let image = match images.iter().find(|(r, _)| r.image() == runtime.image()) {
                Some((_, image)) => image.clone(),
                None => {
                    let image = containerd::ensure_image(ctx, runtime, false);
                    images.push((runtime, image.clone()));
                    image
                }
            };
            if let Err(reason) = image {
                return Err(unavailable(format!(
                    "image {} is not in containerd: {reason}",
                    runtime.image()
                )));
            }
            let guard = Cleanup::new(vec![name.clone()]);
            let timeout = ctx.timeout;
            Ok(TimedCommand {
                subject: STARTUP_CLI.of(of).label(label),
                command,
                check: expect::cli_run,
                before_each: Some(Box::new(move || {
                    guard.remove_all()?;
                    cache.prepare(runtime, &name, timeout)
                })),
                raced: Some(containerd::deletion_raced),
            })
        })
        .collect()
}

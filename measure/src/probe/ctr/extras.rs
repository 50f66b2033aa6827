//! Beyond start time: the container cgroup's peak memory, the wasm image in its server
//! context, and how many container starts a second go back to back.

use super::*;

/// The containers beyond start time: their cgroup's peak memory, the server context of the
/// wasm image, and how many starts a second go back to back.
pub struct CtrExtras;

impl Probe for CtrExtras {
    fn id(&self) -> &'static str {
        "ctr"
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let mut observations = memory(ctx);
        observations.push(server_context(ctx));
        observations.extend(throughput(ctx));
        observations
    }
}

/// Why `runtime`'s containers cannot run: containerd, the shim, or the image.
fn not_ready(ctx: &Ctx, runtime: Runtime) -> Option<String> {
    runtime
        .unavailable()
        .or_else(|| ensure_image(ctx, runtime, false).err())
}

/// The container's memory cgroup peak file, cgroup v1 or v2.
fn peak_file(name: &str) -> PathBuf {
    if Path::new("/sys/fs/cgroup/memory").is_dir() {
        PathBuf::from(format!(
            "/sys/fs/cgroup/memory/{NAMESPACE}/{name}/memory.max_usage_in_bytes"
        ))
    } else {
        PathBuf::from(format!("/sys/fs/cgroup/{NAMESPACE}/{name}/memory.peak"))
    }
}

/// One detached `MODE=once` container: start, wait until its task has stopped, read its
/// cgroup's peak memory (the cgroup lives until the task is deleted), delete it. The task
/// must have exited 0 (`ctr task rm` warns of a non-zero exit).
pub fn memory_peak(runtime: Runtime, name: &str, timeout: Duration) -> Result<f64, String> {
    let guard = Cleanup::new(vec![name.to_owned()]);
    guard.remove_all();
    let mut args = vec!["run", "-d", "--null-io"];
    args.extend(runtime.run_flags());
    args.extend(["--env", "MODE=once", runtime.image(), name]);
    ctr(&args, timeout)?;
    let deadline = Instant::now() + timeout;
    loop {
        let tasks = ctr(&["task", "ls"], timeout)?.stdout;
        let status = tasks.lines().find_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            (words.first() == Some(&name)).then(|| words.get(2).copied().unwrap_or_default())
        });
        match status {
            Some("STOPPED") => break,
            Some(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Some(status) => {
                return Err(format!(
                    "the task was still {status} after {timeout:?}; it was removed"
                ))
            }
            None => return Err("the task vanished before it was read".into()),
        }
    }
    let file = peak_file(name);
    let peak = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?
        .trim()
        .parse::<f64>()
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let deleted = ctr(&["task", "rm", name], timeout)?;
    if deleted.stderr.contains("non-zero exit code") {
        return Err(format!("the task failed: {}", deleted.stderr_tail()));
    }
    ctr(&["containers", "rm", name], timeout)?;
    Ok(peak)
}

/// Peak memory of the container cgroup of a `MODE=once` start: runc, the shim compiling,
/// the shim with the module cached. Cycles interleaved.
fn memory(ctx: &Ctx) -> Vec<Observation> {
    let specs = [
        (
            Runtime::Runc,
            CacheState::Any,
            "ctr-runc",
            "native image under runc: container cgroup peak memory (runc init included)",
        ),
        (
            Runtime::Wasmtime,
            CacheState::Cold,
            "ctr-wasmtime-first",
            "wasm image under the wasmtime shim, compiling: container cgroup peak memory \
             (pages shared with the shim's zygote are charged to the shim, not here)",
        ),
        (
            Runtime::Wasmtime,
            CacheState::Warm,
            "ctr-wasmtime-cached",
            "wasm image under the wasmtime shim, module cached: container cgroup peak memory \
             (pages shared with the shim's zygote are charged to the shim, not here)",
        ),
    ];
    struct Taken {
        samples: Vec<f64>,
        error: Option<String>,
    }
    let mut observations = Vec::new();
    let mut live = Vec::new();
    for (runtime, cache, variant, label) in specs {
        let id = format!("memory.cli-peak.{variant}");
        let name = container_name(&format!("mem-{variant}"));
        let command = format!(
            "ctr run -d --null-io {}--env MODE=once {} {name}; poll ctr task ls until STOPPED; \
             read {} before ctr task rm",
            runtime
                .run_flags()
                .iter()
                .map(|f| format!("{f} "))
                .collect::<String>(),
            runtime.image(),
            peak_file(&name).display()
        );
        match not_ready(ctx, runtime) {
            Some(reason) => observations.push(ctx.unavailable(
                &id,
                label,
                Kind::Memory,
                Unit::Bytes,
                command,
                &reason,
            )),
            None => live.push((
                (runtime, cache, id, label, command, name),
                Taken {
                    samples: Vec::new(),
                    error: None,
                },
            )),
        }
    }
    for _ in 0..ctx.runs.clamp(1, MAX_MEMORY_CYCLES) {
        for ((runtime, cache, _, _, _, name), got) in &mut live {
            if got.error.is_some() {
                continue;
            }
            let taken = cache
                .prepare(name, ctx.timeout)
                .and_then(|()| memory_peak(*runtime, name, ctx.timeout));
            match taken {
                Ok(bytes) => got.samples.push(bytes),
                Err(e) => got.error = Some(e),
            }
        }
    }
    for ((_, _, id, label, command, _), got) in live {
        observations.push(Observation::concluded(
            &id,
            label,
            Kind::Memory,
            Unit::Bytes,
            command,
            got.samples,
            got.error,
        ));
    }
    observations
}

/// The wasm image in its server context (no `MODE`): WASI preview 1 has no sockets, so the
/// service says so and exits 2. Recorded: the wall time of `ctr run`, and the exit status
/// with the service's message.
fn server_context(ctx: &Ctx) -> Observation {
    const ID: &str = "server-context.exit.ctr-wasmtime";
    const LABEL: &str = "wasm image under the wasmtime shim without MODE (server context): \
                         ctr run --rm until it exits";
    let runtime = Runtime::Wasmtime;
    let name = container_name("server");
    let mut cmd = run_command(runtime, &name, &[]);
    let command = describe(&cmd);
    if let Some(reason) = not_ready(ctx, runtime) {
        return ctx.unavailable(ID, LABEL, Kind::Operation, Unit::Seconds, command, &reason);
    }
    let guard = Cleanup::new(vec![name]);
    guard.remove_all();
    match run_once(&mut cmd, ctx.timeout) {
        Ok(run) => {
            let exit = match run.exit {
                Exit::Code(code) => format!("exit {code}"),
                Exit::Signal(signal) => format!("killed by signal {signal}"),
            };
            let message = run
                .stderr
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("time="))
                .map_or_else(|| tail(&run.stderr), str::to_owned);
            Observation::measured(
                ID,
                LABEL,
                Kind::Operation,
                Unit::Seconds,
                command,
                vec![run.wall.as_secs_f64()],
            )
            .with_shown(format!("{exit}: {message}"))
        }
        Err(e) => Observation::failed(
            ID,
            LABEL,
            Kind::Operation,
            Unit::Seconds,
            command,
            format!("{e:#}"),
            vec![],
        ),
    }
}

/// A batch of `ctr run --rm` back to back per runtime (the wasm one with the module
/// cached): each start's duration, and starts per second over the batch.
fn throughput(ctx: &Ctx) -> Vec<Observation> {
    let batch = ctx.runs.clamp(THROUGHPUT_BATCH.0, THROUGHPUT_BATCH.1);
    [
        (
            Runtime::Runc,
            CacheState::Any,
            "native image under runc: ctr run --rm back to back",
        ),
        (
            Runtime::Wasmtime,
            CacheState::Warm,
            "wasm image under the wasmtime shim (module cached): ctr run --rm back to back",
        ),
    ]
    .into_iter()
    .map(|(runtime, cache, label)| {
        let id = format!("throughput.container-starts.{}", runtime.variant());
        let names: Vec<String> = (0..batch)
            .map(|i| container_name(&format!("tp-{}-{i}", runtime.variant())))
            .collect();
        let command = format!(
            "{batch} in a row: {} (i = 0..{batch})",
            describe(&run_command(
                runtime,
                &container_name(&format!("tp-{}-<i>", runtime.variant())),
                &["MODE=once"]
            ))
        );
        if let Some(reason) = not_ready(ctx, runtime) {
            return ctx.unavailable(&id, label, Kind::Operation, Unit::Seconds, command, &reason);
        }
        let guard = Cleanup::new(names);
        let failed = |e: String, samples| {
            Observation::failed(
                &id,
                label,
                Kind::Operation,
                Unit::Seconds,
                command.clone(),
                e,
                samples,
            )
        };
        if let Err(e) = cache.prepare(&container_name("tp-warm"), ctx.timeout) {
            return failed(e, vec![]);
        }
        let mut samples = Vec::new();
        let started = Instant::now();
        for name in &guard.names {
            let mut cmd = run_command(runtime, name, &["MODE=once"]);
            let checked = run_once(&mut cmd, ctx.timeout)
                .map_err(|e| format!("{e:#}"))
                .and_then(|run| moscow_json_run(&run).map(|()| run.wall));
            match checked {
                Ok(wall) => samples.push(wall.as_secs_f64()),
                Err(e) => return failed(format!("start {}: {e}", samples.len() + 1), samples),
            }
        }
        let rate = batch as f64 / started.elapsed().as_secs_f64();
        Observation::measured(&id, label, Kind::Operation, Unit::Seconds, command, samples)
            .with_shown(format!("{rate:.1} starts/s"))
    })
    .collect()
}

//! Containers under containerd beyond start time: the container cgroup's peak memory, the
//! wasm image in its server context, and how many container starts a second go back to
//! back.

use super::{Claim, Probe};
use crate::ctx::Ctx;
use crate::expect::cli_run;
use crate::runner::{describe, tail, Exit};
use crate::runtime::containerd::{
    self, container_name, ensure_image, memory_peak, peak_file, run_command, CacheState, Cleanup,
    Runtime,
};
use wasmlab_model::metric::{
    self, MEMORY_CLI_CONTAINER_TOTAL, MEMORY_CLI_PEAK, MEMORY_CLI_SHIM_PEAK, SERVER_CONTEXT_EXIT,
    THROUGHPUT_CONTAINER_STARTS,
};
use wasmlab_model::results::Observation;

/// Memory cycles per runtime: each is a container started, read and removed, so no more
/// than the fewest samples an interval is drawn from.
const MAX_MEMORY_CYCLES: usize = wasmlab_model::stats::MIN_INTERVAL_SAMPLES;
/// Bounds of the back-to-back start batch (`ctx.runs`, within these).
const THROUGHPUT_BATCH: (usize, usize) = (10, 50);

pub struct CtrProbe;

impl Probe for CtrProbe {
    fn id(&self) -> &'static str {
        "ctr"
    }

    fn claims(&self) -> &'static [Claim] {
        &[
            Claim::All(&MEMORY_CLI_PEAK),
            Claim::All(&MEMORY_CLI_SHIM_PEAK),
            Claim::All(&MEMORY_CLI_CONTAINER_TOTAL),
            Claim::All(&SERVER_CONTEXT_EXIT),
            Claim::All(&THROUGHPUT_CONTAINER_STARTS),
        ]
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

/// Peak memory of the container cgroup of a `MODE=once` start: runc, the shim compiling,
/// the shim with the module cached. Cycles interleaved.
fn memory(ctx: &Ctx) -> Vec<Observation> {
    // runc's row, then each shim engine's first start (compiling) and cached start.
    const SHIM_NOTE: &str = "pages shared with the shim's zygote are charged to the shim, not here";
    let mut specs = vec![(
        Runtime::Runc,
        CacheState::Any,
        &metric::CTR_RUNC,
        "native image under runc".to_owned(),
        "runc init included",
    )];
    for engine in metric::ENGINES {
        let (Some(runtime), Some(shim)) = (Runtime::of(engine), engine.shim.as_ref()) else {
            continue;
        };
        let under = format!("wasm image under the wasmtime shim ({})", engine.name);
        specs.push((
            runtime,
            CacheState::Cold,
            shim.first,
            format!("{under}, compiling"),
            SHIM_NOTE,
        ));
        specs.push((
            runtime,
            CacheState::Warm,
            shim.cached,
            format!("{under}, module cached"),
            SHIM_NOTE,
        ));
    }
    /// Per cycle: the container cgroup's peak, its shim's, and both together.
    #[derive(Default)]
    struct Taken {
        container: Vec<f64>,
        shim: Vec<f64>,
        total: Vec<f64>,
        error: Option<String>,
    }
    let mut observations = Vec::new();
    let mut live = Vec::new();
    for (runtime, cache, variant, what, cgroup_note) in specs {
        let subjects = [
            MEMORY_CLI_PEAK.of(variant).label(format!(
                "{what}: container cgroup peak memory ({cgroup_note})"
            )),
            MEMORY_CLI_SHIM_PEAK
                .of(variant)
                .label(format!("{what}: peak RSS of its shim process (VmHWM)")),
            MEMORY_CLI_CONTAINER_TOTAL.of(variant).label(format!(
                "{what}: container cgroup peak + its shim's peak RSS"
            )),
        ];
        let name = container_name(&format!("mem-{}", variant.name));
        let command = format!(
            "ctr run -d --null-io {}--env MODE=once {} {name}; poll ctr task ls until STOPPED; \
             read {} and the VmHWM of the shim process with `-id {name}` (and its children) \
             before ctr task rm",
            runtime
                .run_flags()
                .iter()
                .map(|f| format!("{f} "))
                .collect::<String>(),
            runtime.image(),
            peak_file(&name).display()
        );
        match not_ready(ctx, runtime) {
            Some(reason) => observations
                .extend(subjects.map(|subject| ctx.unavailable(subject, command.clone(), &reason))),
            None => live.push(((runtime, cache, subjects, command, name), Taken::default())),
        }
    }
    for _ in 0..ctx.runs.clamp(1, MAX_MEMORY_CYCLES) {
        for ((runtime, cache, _, _, name), got) in &mut live {
            if got.error.is_some() {
                continue;
            }
            let taken = cache
                .prepare(*runtime, name, ctx.timeout)
                .and_then(|()| memory_peak(*runtime, name, ctx.timeout));
            match taken {
                Ok(peak) => {
                    got.container.push(peak.container);
                    got.shim.push(peak.shim);
                    got.total.push(peak.total());
                }
                Err(e) => got.error = Some(e),
            }
        }
    }
    for ((_, _, [container, shim, total], command, _), got) in live {
        for (subject, samples) in [
            (container, got.container),
            (shim, got.shim),
            (total, got.total),
        ] {
            observations.push(subject.concluded(command.clone(), samples, got.error.clone()));
        }
    }
    observations
}

/// The wasm image in its server context (no `MODE`): WASI preview 1 has no sockets, so the
/// service says so and exits 2. Recorded: the wall time of `ctr run`, and the exit status
/// with the service's message.
fn server_context(ctx: &Ctx) -> Observation {
    let subject = SERVER_CONTEXT_EXIT.of(&metric::CTR_WASMTIME).label(
        "wasm image under the wasmtime shim without MODE (server context): \
         ctr run --rm until it exits",
    );
    let runtime = Runtime::WASMTIME;
    let name = container_name("server");
    let mut cmd = run_command(runtime, &name, &[]);
    let command = describe(&cmd);
    if let Some(reason) = not_ready(ctx, runtime) {
        return ctx.unavailable(subject, command, &reason);
    }
    let guard = Cleanup::new(vec![name]);
    if let Err(e) = guard.remove_all() {
        return subject.failed(command, e);
    }
    match containerd::run(&mut cmd, ctx.timeout) {
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
            subject
                .measured(command, vec![run.wall.as_secs_f64()])
                .with_shown(format!("{exit}: {message}"))
        }
        Err(e) => subject.failed(command, e),
    }
}

/// A batch of `ctr run --rm` back to back per runtime (the wasm one with the module
/// cached): each start's duration, and the rate that follows from their median (one start
/// after another, so 1 / the median start), as every other figure follows from a median.
fn throughput(ctx: &Ctx) -> Vec<Observation> {
    let batch = ctx.runs.clamp(THROUGHPUT_BATCH.0, THROUGHPUT_BATCH.1);
    [
        (
            Runtime::Runc,
            CacheState::Any,
            "native image under runc: ctr run --rm back to back",
        ),
        (
            Runtime::WASMTIME,
            CacheState::Warm,
            "wasm image under the wasmtime shim (module cached): ctr run --rm back to back",
        ),
    ]
    .into_iter()
    .map(|(runtime, cache, label)| {
        let variant = runtime.variant();
        let subject = THROUGHPUT_CONTAINER_STARTS.of(variant).label(label);
        let names: Vec<String> = (0..batch)
            .map(|i| container_name(&format!("tp-{}-{i}", variant.name)))
            .collect();
        let command = format!(
            "{batch} in a row: {} (i = 0..{batch})",
            describe(&run_command(
                runtime,
                &container_name(&format!("tp-{}-<i>", variant.name)),
                &["MODE=once"]
            ))
        );
        if let Some(reason) = not_ready(ctx, runtime) {
            return ctx.unavailable(subject, command, &reason);
        }
        let guard = Cleanup::new(names);
        let failed = |e: String, samples| subject.clone().failed_after(command.clone(), e, samples);
        if let Err(e) = cache.prepare(runtime, &container_name("tp-warm"), ctx.timeout) {
            return failed(e, vec![]);
        }
        let mut samples = Vec::new();
        for name in guard.names() {
            let mut cmd = run_command(runtime, name, &["MODE=once"]);
            let checked = containerd::run(&mut cmd, ctx.timeout)
                .and_then(|run| cli_run(&run).map(|()| run.wall));
            match checked {
                Ok(wall) => samples.push(wall.as_secs_f64()),
                Err(e) => return failed(format!("start {}: {e}", samples.len() + 1), samples),
            }
        }
        let observation = subject.measured(command, samples);
        match observation.median() {
            Some(median) if median > 0.0 => {
                observation.with_shown(format!("{:.1} starts/s (1 / the median)", 1.0 / median))
            }
            _ => observation,
        }
    })
    .collect()
}

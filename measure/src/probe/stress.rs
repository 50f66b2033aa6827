//! Concurrent container starts through containerd's API, as runwasi's stress test measures
//! them: per runtime (runc, and the wasmtime shim under each engine) and concurrency level
//! C, rounds of N tasks with at most C in flight. Each task is one whole life (create
//! container, create task, start, wait for exit 0, delete task, delete container); its
//! duration is a sample of the start latency, and N over a round's wall time a sample of
//! tasks per second.
//!
//! Levels run in turn; within a level the runtimes take rounds in turn, so drift hits all
//! alike. One untimed task per runtime comes first, so the shim's compile cache holds the
//! module and every timed start of the wasm image is a cached one.

use super::{Claim, Probe};
use crate::ctx::{Ctx, Stress as Counts};
use crate::runtime::containerd::{self, container_name, Runtime};
use crate::runtime::containerd_api::{self as api, Api, Rootfs};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use wasmlab_model::metric::{Metric, Subject, STRESS_START_LATENCY, STRESS_TASKS_PER_SECOND};
use wasmlab_model::results::Observation;

pub struct StressProbe;

impl Probe for StressProbe {
    fn id(&self) -> &'static str {
        "stress"
    }

    fn claims(&self) -> &'static [Claim] {
        &[
            Claim::All(&STRESS_TASKS_PER_SECOND),
            Claim::All(&STRESS_START_LATENCY),
        ]
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let mut observations = Vec::new();
        let mut live = Vec::new();
        for runtime in std::iter::once(Runtime::Runc).chain(Runtime::shims()) {
            let rows = Rows::new(runtime, &ctx.stress);
            match runtime.unavailable() {
                Some(reason) => observations.extend(
                    rows.each(|subject, command| ctx.unavailable(subject, command, &reason)),
                ),
                None => live.push(rows),
            }
        }
        if live.is_empty() {
            return observations;
        }
        let done = api::block_on(measure(ctx, &mut live)).and_then(|r| r);
        if let Err(e) = done {
            for rows in &mut live {
                rows.fail_all(&e);
            }
        }
        observations.extend(live.into_iter().flat_map(Rows::conclude));
        observations
    }
}

/// One runtime's series, per concurrency level: latencies, rates, and the error that
/// stopped it.
struct Rows {
    runtime: Runtime,
    series: Vec<Series>,
}

struct Series {
    level: usize,
    latencies: Vec<f64>,
    rates: Vec<f64>,
    error: Option<String>,
}

impl Rows {
    fn new(runtime: Runtime, counts: &Counts) -> Self {
        let series = counts
            .concurrency
            .iter()
            .map(|&level| Series {
                level,
                latencies: Vec::new(),
                rates: Vec::new(),
                error: None,
            })
            .collect();
        Self { runtime, series }
    }

    /// `make(subject, command)` for both metrics at every level.
    fn each(&self, mut make: impl FnMut(Subject, String) -> Observation) -> Vec<Observation> {
        let mut out = Vec::new();
        for level in self.series.iter().map(|s| s.level) {
            for metric in [&STRESS_TASKS_PER_SECOND, &STRESS_START_LATENCY] {
                out.push(make(
                    subject(metric, self.runtime, level),
                    command(metric, self.runtime, level),
                ));
            }
        }
        out
    }

    fn fail_all(&mut self, error: &str) {
        for series in &mut self.series {
            series.error.get_or_insert_with(|| error.to_owned());
        }
    }

    fn conclude(self) -> impl Iterator<Item = Observation> {
        let runtime = self.runtime;
        self.series.into_iter().flat_map(move |s| {
            [
                (&STRESS_TASKS_PER_SECOND, s.rates),
                (&STRESS_START_LATENCY, s.latencies),
            ]
            .map(|(metric, samples)| {
                subject(metric, runtime, s.level).concluded(
                    command(metric, runtime, s.level),
                    samples,
                    s.error.clone(),
                )
            })
        })
    }
}

fn subject(metric: &'static Metric, runtime: Runtime, level: usize) -> Subject {
    let variant = runtime.variant();
    metric.at(format!("c{level}")).of(variant).label(format!(
        "{}, {level} in flight: {}",
        variant.label, metric.label
    ))
}

/// Exactly what is timed, for the observation's provenance.
fn command(metric: &Metric, runtime: Runtime, level: usize) -> String {
    let (what, entry) = match runtime {
        Runtime::Runc => ("the static native binary", "/moscow-time"),
        Runtime::Shim(_) => ("the wasm module", "/moscow-time.wasm"),
    };
    let sample = if metric == &STRESS_TASKS_PER_SECOND {
        "one sample per round: tasks in the round / the round's wall time"
    } else {
        "one sample per task: from create container to container deleted"
    };
    format!(
        "containerd API (containerd-client 0.8, namespace {ns}, runtime {name}): per task \
         create container + create task (no stdio) + start + wait (exit status 0 checked) + \
         delete task + delete container; rootfs a read-only host directory holding {what} as \
         {entry}, MODE=once; tasks per round as --stress-tasks, at most {level} in flight, \
         rounds as --stress-rounds, after one untimed task; {sample}",
        ns = api::NAMESPACE,
        name = runtime.name(),
    )
}

/// Prepares the rootfs of each image kind, runs the warm-up task of each runtime, then
/// the rounds; at the end removes whatever is left in the namespace.
async fn measure(ctx: &Ctx, live: &mut [Rows]) -> Result<(), String> {
    let api = Api::connect().await?;
    let base = ctx.work_dir.join("stress-rootfs");
    let native = Rootfs::prepare(&base.join("native"), &ctx.native, "moscow-time")?;
    let wasm = Rootfs::prepare(&base.join("wasm"), &ctx.wasm, "moscow-time.wasm")?;
    let rootfs = |runtime: Runtime| match runtime {
        Runtime::Runc => native.clone(),
        Runtime::Shim(_) => wasm.clone(),
    };
    for rows in live.iter_mut() {
        let id = container_name(&format!("stress-{}-warm", rows.runtime.variant().name));
        let warm = api
            .run_task(rows.runtime, &rootfs(rows.runtime), &id, ctx.timeout)
            .await;
        if let Err(e) = warm {
            containerd::still_answering_async().await?;
            rows.fail_all(&format!("the untimed first task failed: {e}"));
        }
    }
    let counts = &ctx.stress;
    for index in 0..counts.concurrency.len() {
        for round in 0..counts.rounds {
            for rows in live.iter_mut() {
                let runtime = rows.runtime;
                let series = &mut rows.series[index];
                if series.error.is_some() {
                    continue;
                }
                let tag = format!(
                    "stress-{}-c{}-r{round}",
                    runtime.variant().name,
                    series.level
                );
                let done = run_round(
                    &api,
                    runtime,
                    &rootfs(runtime),
                    series.level,
                    counts,
                    &tag,
                    ctx.timeout,
                )
                .await;
                series.latencies.extend(&done.latencies);
                match done.error {
                    None => series.rates.push(done.rate),
                    Some(e) => {
                        // The remaining rows fail at once when containerd is what failed.
                        containerd::still_answering_async().await?;
                        series.error = Some(format!(
                            "round {} of {}, after {} tasks done: {e}",
                            round + 1,
                            counts.rounds,
                            done.latencies.len()
                        ))
                    }
                }
            }
        }
    }
    api.remove_own().await
}

/// What one round gave: every finished task's latency in seconds, tasks per second when
/// every task finished, else the first error.
struct Round {
    latencies: Vec<f64>,
    rate: f64,
    error: Option<String>,
}

/// `counts.tasks` tasks with at most `level` in flight; after an error no more start and
/// those in flight are waited for.
async fn run_round(
    api: &Api,
    runtime: Runtime,
    rootfs: &Rootfs,
    level: usize,
    counts: &Counts,
    tag: &str,
    timeout: Duration,
) -> Round {
    let mut in_flight: JoinSet<Result<Duration, String>> = JoinSet::new();
    let mut latencies = Vec::with_capacity(counts.tasks);
    let mut error = None;
    let mut next = 0;
    let started = Instant::now();
    loop {
        while error.is_none() && next < counts.tasks && in_flight.len() < level {
            let (api, rootfs) = (api.clone(), rootfs.clone());
            let id = container_name(&format!("{tag}-{next}"));
            in_flight.spawn(async move { api.run_task(runtime, &rootfs, &id, timeout).await });
            next += 1;
        }
        match in_flight.join_next().await {
            None => break,
            Some(Ok(Ok(took))) => latencies.push(took.as_secs_f64()),
            Some(Ok(Err(e))) => {
                error.get_or_insert(e);
            }
            Some(Err(e)) => {
                error.get_or_insert(format!("a task panicked or was cancelled: {e}"));
            }
        }
    }
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
    Round {
        latencies,
        rate,
        error,
    }
}

//! docker, driven through its CLI: the traditional container (the lab's Task 2) is the
//! static binary in a `FROM scratch` image, built, sized, run once per CLI sample, and
//! served from.

use super::server::{reading, Reading, Server};
use crate::ctx::Ctx;
use crate::runner::{describe, run_once, tail, Exit, Run};
use crate::tools;
use anyhow::{bail, Context as _, Result};
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;
use wasmlab_model::metric::{self, Variant};

/// Tag of the traditional (native, `FROM scratch`) image.
/// The default app's image; another app's is named after it ([`image`]).
pub const IMAGE: &str = "wasmlab/moscow-time:latest";

/// The app's traditional image: `wasmlab/<app>:latest`.
pub fn image() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| format!("wasmlab/{}:latest", crate::app::current().name))
}
/// Label on every container `measure` starts, so a person (and a test) can find them all.
pub const CONTAINER_LABEL: &str = "wasmlab=1";

/// Label of the containers of this `measure` process, so its cleanup removes its own and
/// never those of another run going on at the same time.
pub fn run_label() -> String {
    format!("wasmlab.run={}", std::process::id())
}

/// The build context: a directory holding only the binary, never the repository with its
/// target/ directory.
pub fn build_command(ctx: &Ctx) -> Command {
    let mut cmd = Command::new("docker");
    cmd.args(["build", "--quiet", "--no-cache", "--file"])
        .arg(&ctx.dockerfile)
        .args(["--tag", image()])
        .arg(ctx.work_dir.join("docker-context"));
    cmd
}

/// Runs the build; the command as run and the finished run, or the command and why it failed.
pub fn build(ctx: &Ctx, mut cmd: Command) -> Result<(String, Run), (String, String)> {
    let command = describe(&cmd);
    if !ctx.dockerfile.is_file() {
        return Err((
            command,
            format!(
                "{} is not a file (--dockerfile, DOCKERFILE; the default service/Dockerfile is \
                 relative to the working directory): run from the repository's root or name \
                 the Dockerfile",
                ctx.dockerfile.display()
            ),
        ));
    }
    let context = ctx.work_dir.join("docker-context");
    let prepared = std::fs::create_dir_all(&context)
        .and_then(|()| std::fs::copy(&ctx.native, context.join("moscow-time")));
    if let Err(e) = prepared {
        return Err((
            command,
            format!(
                "cannot prepare the build context {}: {e}",
                context.display()
            ),
        ));
    }
    let before = image_id(image());
    let built = match run_once(&mut cmd, ctx.timeout) {
        Ok(run) if run.exit == Exit::Code(0) => Ok((command, run)),
        Ok(run) => Err((command, format!("{}: {}", run.exit, run.stderr_tail()))),
        Err(e) => Err((command, format!("{e:#}"))),
    };
    if let Some(old) = before {
        remove_if_untagged(&old);
    }
    built
}

/// The id of `image`, when docker has it.
fn image_id(image: &str) -> Option<String> {
    tools::query(Command::new("docker").args(["image", "inspect", "--format", "{{.Id}}", image]))
        .ok()
        .filter(|id| !id.is_empty())
}

/// Removes image `id` if it has no tag left: the image a `--no-cache` build just took
/// the tag from, which every run would otherwise leave behind. An image still tagged
/// (this build produced the same one, or someone tagged it) or used by a container is
/// kept: `docker image rm` without `--force` refuses those.
fn remove_if_untagged(id: &str) {
    let tags = tools::query(Command::new("docker").args([
        "image",
        "inspect",
        "--format",
        "{{len .RepoTags}}",
        id,
    ]));
    if tags.as_deref() == Ok("0") {
        let _ = run_once(
            Command::new("docker").args(["image", "rm", id]),
            Duration::from_secs(30),
        );
    }
}

/// Bytes from `docker image inspect`, and the size as `docker images` shows it.
pub fn image_size() -> Result<(f64, String)> {
    let bytes = tools::query(Command::new("docker").args([
        "image",
        "inspect",
        "--format",
        "{{.Size}}",
        image(),
    ]))
    .map_err(anyhow::Error::msg)?
    .parse::<f64>()
    .context("docker image inspect printed no size")?;
    let shown =
        tools::query(Command::new("docker").args(["images", "--format", "{{.Size}}", image()]))
            .map_err(anyhow::Error::msg)?;
    Ok((bytes, shown))
}

/// Builds the app's image when docker does not have it (a probe run on its own, before the
/// docker-image probe has built it), as the containerd probes import theirs.
fn ensure_built(ctx: &Ctx) -> Result<(), String> {
    if image_id(image()).is_none() {
        if let Err((command, why)) = build(ctx, build_command(ctx)) {
            return Err(format!("building {} ({command}) failed: {why}", image()));
        }
    }
    Ok(())
}

/// `docker run --rm` of the image with `MODE=once`, for the startup comparison (the image
/// built first when docker does not have it); the reason when docker or the build fails.
pub fn cli_command(ctx: &Ctx) -> Result<Command, String> {
    ctx.docker().map_err(str::to_owned)?;
    ensure_built(ctx)?;
    let mut command = Command::new("docker");
    command
        .args([
            "run",
            "--rm",
            "--pull",
            "never",
            "--label",
            CONTAINER_LABEL,
            "--label",
        ])
        .arg(run_label())
        .args(["--env", "MODE=once", image()]);
    Ok(command)
}

/// Removes the containers of dead runs (their label names a process that is gone); what it
/// removed.
pub fn remove_stale() -> Vec<String> {
    let Ok(listed) = tools::query(Command::new("docker").args([
        "ps",
        "--all",
        "--filter",
        "label=wasmlab.run",
        "--format",
        "{{.ID}} {{.Label \"wasmlab.run\"}}",
    ])) else {
        return Vec::new();
    };
    let stale: Vec<&str> = listed
        .lines()
        .filter_map(|line| line.split_once(' '))
        .filter(|(_, pid)| {
            pid.trim()
                .parse()
                .is_ok_and(|pid: u32| pid != std::process::id() && !super::leftovers::alive(pid))
        })
        .map(|(id, _)| id)
        .collect();
    if stale.is_empty() {
        return Vec::new();
    }
    let _ = run_once(
        Command::new("docker").args(["rm", "--force"]).args(&stale),
        Duration::from_secs(30),
    );
    stale
        .iter()
        .map(|id| format!("docker container {id}"))
        .collect()
}

/// Removes every container this `measure` process started (they carry its run label).
pub fn remove_containers() {
    let filter = format!("label={}", run_label());
    let list = || {
        tools::query(Command::new("docker").args(["ps", "--all", "--quiet", "--filter", &filter]))
            .map(|ids| {
                ids.split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
    };
    // A `docker run` client killed a moment ago may have asked for a container that the
    // daemon creates only now.
    crate::cleanup::remove_until_quiet(
        REMOVE_ROUNDS,
        || list().ok(),
        |ids| {
            let _ = run_once(
                Command::new("docker").args(["rm", "--force"]).args(ids),
                Duration::from_secs(30),
            );
        },
    );
}

/// How many times [`remove_containers`] looks for containers of this run.
const REMOVE_ROUNDS: usize = 20;

/// The server context in a detached container, published on a loopback port.
#[derive(Default)]
pub struct DockerServer {
    id: Option<String>,
}

fn docker(args: &[&str], timeout: Duration) -> Result<String> {
    let mut cmd = Command::new("docker");
    cmd.args(args);
    let run = run_once(&mut cmd, timeout)?;
    if run.exit != Exit::Code(0) {
        bail!(
            "{} failed with {}: {}",
            describe(&cmd),
            run.exit,
            run.stderr_tail()
        );
    }
    Ok(run.stdout.trim().to_owned())
}

/// The port the server listens on inside its container, published on a free loopback port.
const CONTAINER_PORT: u16 = 8080;

/// The app's port variable set to [`CONTAINER_PORT`].
fn port_setting() -> String {
    format!("{}={CONTAINER_PORT}", crate::app::checks().server.port_env)
}

impl Server for DockerServer {
    fn variant(&self) -> &'static Variant {
        &metric::DOCKER
    }

    fn command(&self, _ctx: &Ctx) -> String {
        format!(
            "docker run --detach --rm --label {CONTAINER_LABEL} --env {} \
             --publish 127.0.0.1::{CONTAINER_PORT} {}",
            port_setting(),
            image()
        )
    }

    fn unavailable(&self, ctx: &Ctx) -> Option<String> {
        ctx.docker().err().map(str::to_owned)
    }

    fn prepare(&mut self, ctx: &Ctx) -> Result<()> {
        ensure_built(ctx).map_err(anyhow::Error::msg)
    }

    fn start(&mut self, ctx: &Ctx) -> Result<SocketAddr> {
        let run = run_label();
        // The image is built here; a missing one must fail at once, never start a pull.
        let args = [
            "run",
            "--pull",
            "never",
            "--detach",
            "--rm",
            "--label",
            CONTAINER_LABEL,
            "--label",
            &run,
            "--env",
            &port_setting(),
            "--publish",
            &format!("127.0.0.1::{CONTAINER_PORT}"),
            image(),
        ];
        let id = docker(&args, ctx.timeout)?;
        self.id = Some(id.clone());
        let port = docker(
            &["port", &id, &format!("{CONTAINER_PORT}/tcp")],
            ctx.timeout,
        )?;
        let addr = port.lines().next().unwrap_or_default();
        addr.parse()
            .with_context(|| format!("docker port printed {addr:?}"))
    }

    fn alive(&mut self) -> Result<()> {
        let id = self.id.as_deref().context("no container")?;
        match docker(
            &["inspect", "--format", "{{.State.Running}}", id],
            Duration::from_secs(10),
        ) {
            Ok(state) if state == "true" => Ok(()),
            Ok(_) | Err(_) => bail!(
                "the container exited: {}",
                tail(&docker(&["logs", id], Duration::from_secs(10)).unwrap_or_default())
            ),
        }
    }

    fn memory(&mut self) -> Result<Vec<Reading>> {
        let id = self.id.clone().context("no container")?;
        let usage = docker(
            &["stats", "--no-stream", "--format", "{{.MemUsage}}", &id],
            Duration::from_secs(30),
        )?;
        let used = usage.split('/').next().unwrap_or_default().trim();
        let bytes =
            parse_docker_size(used).with_context(|| format!("docker stats printed {usage:?}"))?;
        let mut readings = vec![Reading {
            shown: Some(used.to_owned()),
            ..reading(&metric::MEMORY_SERVER_DOCKER_STATS, &metric::DOCKER, bytes)
        }];
        if let Some(bytes) = cgroup_memory(&id) {
            readings.push(reading(
                &metric::MEMORY_SERVER_CGROUP,
                &metric::DOCKER,
                bytes,
            ));
        }
        Ok(readings)
    }

    fn pin(&mut self, cpu: usize) -> Result<()> {
        if crate::load::cores() < 2 {
            return Ok(());
        }
        let id = self.id.clone().context("no container")?;
        docker(
            &["update", "--cpuset-cpus", &cpu.to_string(), &id],
            Duration::from_secs(30),
        )
        .map(drop)
    }

    fn stop(&mut self, ctx: &Ctx) -> Result<()> {
        let id = self.id.take().context("no container")?;
        docker(&["stop", &id], ctx.timeout).map(drop)
    }
}

impl Drop for DockerServer {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            let _ = docker(&["rm", "--force", &id], Duration::from_secs(30));
        }
    }
}

/// The container cgroup's memory usage (cgroup v1 with the cgroupfs driver, or v2 with
/// either driver); `None` when none of the known places exists.
fn cgroup_memory(id: &str) -> Option<f64> {
    [
        format!("/sys/fs/cgroup/memory/docker/{id}/memory.usage_in_bytes"),
        format!("/sys/fs/cgroup/system.slice/docker-{id}.scope/memory.current"),
        format!("/sys/fs/cgroup/docker/{id}/memory.current"),
    ]
    .iter()
    .find_map(|path| std::fs::read_to_string(path).ok()?.trim().parse().ok())
}

/// Parses docker's human sizes ("592KiB", "2.859MiB", "0B", "1.2GB") into bytes.
pub fn parse_docker_size(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let factor = match unit {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        _ => return None,
    };
    Some(number.trim().parse::<f64>().ok()? * factor)
}

#[cfg(test)]
mod tests {
    use super::parse_docker_size;

    #[test]
    fn docker_sizes_parse_in_both_unit_systems() {
        assert_eq!(parse_docker_size("592KiB"), Some(592.0 * 1024.0));
        assert_eq!(parse_docker_size("734kB"), Some(734_000.0));
        assert_eq!(parse_docker_size("0B"), Some(0.0));
        assert_eq!(parse_docker_size("2.5MiB"), Some(2.5 * 1024.0 * 1024.0));
        assert_eq!(parse_docker_size("lots"), None);
    }
}

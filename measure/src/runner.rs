//! Runs commands the way a benchmark must: spawned directly (no shell), timed from spawn to
//! exit with the monotonic clock, killed with their process group on a timeout, output kept
//! for validation; and schedules variants
//! round-robin so machine drift hits them all alike.

use crate::results::{Kind, Observation, Unit};
use anyhow::{bail, Context as _, Result};
use std::fs::File;
use std::io::{Read, Seek};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a finished process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exit status {code}"),
            Exit::Signal(signal) => write!(f, "killed by signal {signal}"),
        }
    }
}

/// One finished run of a command.
#[derive(Debug, Clone)]
pub struct Run {
    /// Spawn to exit.
    pub wall: Duration,
    pub exit: Exit,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The last lines of stderr, for an error message.
    pub fn stderr_tail(&self) -> String {
        tail(&self.stderr)
    }
}

/// The last few lines of `text`, trimmed, at most 400 characters.
pub fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let start = lines.len().saturating_sub(4);
    let joined = lines[start..].join(" | ");
    let chars: Vec<char> = joined.chars().collect();
    let skip = chars.len().saturating_sub(400);
    chars[skip..].iter().collect()
}

/// `cmd` as a reader would type it: environment assignments, then program and arguments.
pub fn describe(cmd: &Command) -> String {
    let quote = |s: &str| {
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
        {
            s.to_owned()
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    };
    let mut words: Vec<String> = cmd
        .get_envs()
        .filter_map(|(k, v)| {
            Some(format!(
                "{}={}",
                k.to_string_lossy(),
                quote(&v?.to_string_lossy())
            ))
        })
        .collect();
    words.push(quote(&cmd.get_program().to_string_lossy()));
    words.extend(cmd.get_args().map(|a| quote(&a.to_string_lossy())));
    words.join(" ")
}

/// Runs `cmd` once with no stdin, its output captured in unnamed temporary files (no pipes
/// to drain, so no helper threads compete with the child for the CPU), and kills its whole
/// process group if it outlives `timeout`.
pub fn run_once(cmd: &mut Command, timeout: Duration) -> Result<Run> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut out = tempfile::tempfile().context("cannot create a temporary file for stdout")?;
    let mut err = tempfile::tempfile().context("cannot create a temporary file for stderr")?;
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(err.try_clone()?)
        .process_group(0);

    let start = Instant::now();
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot run {program}"))?;
    let pid = child.id() as libc::pid_t;
    crate::cleanup::track(pid);
    let exited = wait_exit(pid, timeout);
    let wall = start.elapsed();
    if !matches!(exited, Ok(true)) {
        // SAFETY: kill(2) on the child's own process group, which we created.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
    let exit = reap(pid);
    crate::cleanup::untrack(pid);
    let exit = exit?;
    match exited {
        Ok(true) => {}
        Ok(false) => bail!("{program} did not finish within {timeout:?}; it was killed"),
        Err(e) => return Err(e),
    }
    Ok(Run {
        wall,
        exit,
        stdout: read_all(&mut out)?,
        stderr: read_all(&mut err)?,
    })
}

/// Waits until process `pid` exits (true) or `timeout` passes (false), without reaping it:
/// poll(2) on a pidfd wakes the moment the process ends.
pub fn wait_exit(pid: libc::pid_t, timeout: Duration) -> Result<bool> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        bail!(
            "pidfd_open failed ({}); Linux 5.3 or later is needed",
            std::io::Error::last_os_error()
        );
    }
    // SAFETY: fd is a fresh descriptor that we own.
    let pidfd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut poll = libc::pollfd {
            fd: pidfd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd.
        match unsafe { libc::poll(&mut poll, 1, ms) } {
            1 => return Ok(true),
            0 if left.is_zero() => return Ok(false),
            0 => continue,
            _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {
                continue
            }
            _ => bail!(
                "poll on a child failed: {}",
                std::io::Error::last_os_error()
            ),
        }
    }
}

/// Reaps `pid`, returning how it ended. (Its rusage peak RSS is not used: after a
/// vfork-style spawn the kernel counts the parent's resident set in the child's maximum.)
pub fn reap(pid: libc::pid_t) -> Result<Exit> {
    let mut status = 0;
    loop {
        // SAFETY: a valid pointer to a status word.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            bail!("wait4 failed: {e}");
        }
    }
    let exit = if libc::WIFEXITED(status) {
        Exit::Code(libc::WEXITSTATUS(status))
    } else {
        Exit::Signal(libc::WTERMSIG(status))
    };
    Ok(exit)
}

fn read_all(file: &mut File) -> Result<String> {
    file.rewind()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// One step of a benchmark schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub variant: usize,
    /// Warmup steps are run and validated but not recorded.
    pub warmup: bool,
}

/// Warmups, then measured runs, each round visiting every variant in turn, so that any
/// drift of the machine over the run (thermal, caches, a neighbour) is shared by all.
pub fn schedule(variants: usize, warmup: usize, runs: usize) -> Vec<Step> {
    let rounds = (0..warmup).map(|_| true).chain((0..runs).map(|_| false));
    rounds
        .flat_map(|warmup| (0..variants).map(move |variant| Step { variant, warmup }))
        .collect()
}

/// A command measured spawn-to-exit, one variant of a comparison.
pub struct Variant {
    /// Observation id of its timings.
    pub id: String,
    pub label: String,
    pub command: Command,
    /// Decides whether a run's output is correct; a sample counts only if it is.
    pub check: fn(&Run) -> Result<(), String>,
    /// Runs untimed before every run of this variant (for example emptying a cache, so that
    /// every sample is a first start).
    pub before_each: Option<Box<dyn FnMut() -> Result<(), String>>>,
}

/// Runs `variants` on the interleaved schedule. A variant whose run fails (spawn error,
/// timeout, wrong output) stops there and is reported `failed` with the reason, keeping its
/// valid samples; the others go on.
pub fn bench(
    mut variants: Vec<Variant>,
    warmup: usize,
    runs: usize,
    timeout: Duration,
) -> Vec<Observation> {
    #[derive(Default)]
    struct Taken {
        wall: Vec<f64>,
        error: Option<String>,
    }
    let mut taken: Vec<Taken> = variants.iter().map(|_| Taken::default()).collect();
    let count = variants.len();
    let steps = schedule(count, warmup, runs);
    let progress = indicatif::ProgressBar::new(steps.len() as u64);
    progress.set_style(
        indicatif::ProgressStyle::with_template("  {bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    for (index, step) in steps.into_iter().enumerate() {
        progress.inc(1);
        let (variant, got) = (&mut variants[step.variant], &mut taken[step.variant]);
        if got.error.is_some() {
            continue;
        }
        let round = index / count + 1;
        progress.set_message(variant.id.clone());
        if let Some(before) = &mut variant.before_each {
            if let Err(e) = before() {
                got.error = Some(format!("round {round}, before the run: {e}"));
                continue;
            }
        }
        match run_once(&mut variant.command, timeout) {
            Ok(run) => match (variant.check)(&run) {
                Ok(()) if step.warmup => {}
                Ok(()) => got.wall.push(run.wall.as_secs_f64()),
                Err(e) => got.error = Some(format!("round {round}: {e}")),
            },
            Err(e) => got.error = Some(format!("round {round}: {e:#}")),
        }
    }
    progress.finish_and_clear();
    variants
        .iter()
        .zip(taken)
        .map(|(variant, got)| {
            let (id, label, command) = (&variant.id, &variant.label, describe(&variant.command));
            Observation::concluded(
                id,
                label,
                Kind::SpawnToExit,
                Unit::Seconds,
                command,
                got.wall,
                got.error,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_interleaves_after_warmups() {
        let steps = schedule(3, 1, 2);
        let order: Vec<(usize, bool)> = steps.iter().map(|s| (s.variant, s.warmup)).collect();
        assert_eq!(
            order,
            vec![
                (0, true),
                (1, true),
                (2, true),
                (0, false),
                (1, false),
                (2, false),
                (0, false),
                (1, false),
                (2, false)
            ]
        );
    }

    #[test]
    fn captures_output_status_and_time() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let run = run_once(&mut cmd, Duration::from_secs(10)).unwrap();
        assert_eq!(run.exit, Exit::Code(3));
        assert_eq!(run.stdout, "out\n");
        assert_eq!(run.stderr_tail(), "err");
        assert!(run.wall > Duration::ZERO);
    }

    #[test]
    fn timeout_kills_the_child_and_its_group() {
        let mut cmd = Command::new("sh");
        // The grandchild would keep the group alive if only `sh` were killed.
        cmd.args(["-c", "sleep 30 & sleep 30"]);
        let started = Instant::now();
        let err = run_once(&mut cmd, Duration::from_millis(300)).unwrap_err();
        assert!(err.to_string().contains("did not finish"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn missing_program_is_an_error_naming_it() {
        let err = run_once(
            &mut Command::new("/nonexistent/tool"),
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/tool"), "{err}");
    }

    #[test]
    fn describe_quotes_what_a_shell_would_split() {
        let mut cmd = Command::new("/bin/x");
        cmd.env("MODE", "once").arg("a b");
        assert_eq!(describe(&cmd), "MODE=once /bin/x 'a b'");
    }
}

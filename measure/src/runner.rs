//! Runs commands the way a benchmark must: spawned directly (no shell), timed from spawn to
//! exit with the monotonic clock, killed with their process group on a timeout, output kept
//! for validation; and schedules variants
//! round-robin so machine drift hits them all alike.

use anyhow::{bail, Context as _, Result};
use std::fs::File;
use std::io::{Read, Seek};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wasmlab_model::metric::Subject;
use wasmlab_model::results::Observation;

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

/// Lines of a tool's output kept after its first, from the end.
const TAIL_LINES: usize = 4;
/// Longest excerpt [`tail`] returns, in characters, and the most its first line takes.
const EXCERPT_CHARS: usize = 400;
const HEAD_CHARS: usize = 160;

/// One line of `text` for an error: its first line, where tools put their headline
/// (Spin's "Error: failed to resolve dependencies"), and its last few, where the cause
/// usually is, joined with " | " (blank lines dropped, " … " where some were left out),
/// at most 400 characters.
pub fn tail(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let Some((first, rest)) = lines.split_first() else {
        return String::new();
    };
    let last = &rest[rest.len().saturating_sub(TAIL_LINES)..];
    let gap = if last.len() < rest.len() {
        " … "
    } else {
        " | "
    };
    let whole = if last.is_empty() {
        (*first).to_owned()
    } else {
        format!("{first}{gap}{}", last.join(" | "))
    };
    if whole.chars().count() <= EXCERPT_CHARS {
        return whole;
    }
    // Too long: the start of the first line and as much of the end as fits.
    let head: String = first.chars().take(HEAD_CHARS).collect();
    let from_end = EXCERPT_CHARS - head.chars().count() - " … ".chars().count();
    let end: Vec<char> = whole.chars().collect();
    let end: String = end[end.len() - from_end..].iter().collect();
    format!("{head} … {end}")
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

/// Makes `cmd`'s process die with this one (SIGKILL when `measure` goes, however it goes),
/// so a killed run leaves no server listening and no tool running. Every process measure
/// starts is started from its main thread, whose exit is the process's.
pub fn die_with_parent(cmd: &mut Command) {
    // SAFETY: runs in the forked child before exec and only calls prctl and getppid,
    // which are async-signal-safe.
    let parent = unsafe { libc::getpid() };
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the line above took effect.
            if libc::getppid() != parent {
                return Err(std::io::Error::other("measure exited while starting this"));
            }
            Ok(())
        });
    }
}

/// Runs `cmd` once with no stdin, its output captured in unnamed temporary files (no pipes
/// to drain, so no helper threads compete with the child for the CPU), and kills its whole
/// process group if it outlives `timeout`.
///
/// Spawned with no pre-exec hook, so std starts it with posix_spawn (a vfork): a hook makes
/// std fork, and a fork copies this process's page tables, a cost that grows with measure's
/// resident set and would land inside every timed start (0.3 ms from a small process, 28 ms
/// from one with 512 MiB resident). So these commands do not get [`die_with_parent`]: each
/// is bounded and ends by itself if measure is killed (a Ctrl-C kills its process group;
/// the next run removes any container it leaves), where a server would listen on forever.
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
    if !matches!(exited, Ok(true)) {
        // SAFETY: kill(2) on the child's own process group, which we created.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
    // Forgotten before it is reaped: from then on its pid may be another process's.
    crate::cleanup::untrack(pid);
    let exit = reap(pid);
    let wall = start.elapsed();
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

/// How a command is run: the seam between what a probe decides (its schedule, its
/// checks, its parsing) and the processes it starts, so that logic is tested without
/// daemons (hyperfine keeps an `Executor` trait for the same reason).
pub trait Execute {
    fn execute(&mut self, cmd: &mut Command, timeout: Duration) -> Result<Run>;
}

/// The real thing: [`run_once`].
pub struct Processes;

impl Execute for Processes {
    fn execute(&mut self, cmd: &mut Command, timeout: Duration) -> Result<Run> {
        run_once(cmd, timeout)
    }
}

/// One step of a benchmark schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub variant: usize,
    /// Warmup steps are run and validated but not recorded.
    pub warmup: bool,
    /// 1-based round, warmups included.
    pub round: usize,
}

/// Warmups, then measured runs, each round visiting every variant in turn, so that any
/// drift of the machine over the run (thermal, caches, a neighbour) is shared by all.
/// Produced as it is walked: its memory does not grow with the number of runs.
pub fn schedule(variants: usize, warmup: usize, runs: usize) -> impl Iterator<Item = Step> {
    (0..warmup.saturating_add(runs)).flat_map(move |round| {
        (0..variants).map(move |variant| Step {
            variant,
            warmup: round < warmup,
            round: round + 1,
        })
    })
}

/// A command measured spawn-to-exit, one variant of a comparison.
pub struct TimedCommand {
    /// What its timings are an observation of.
    pub subject: Subject,
    pub command: Command,
    /// Decides whether a run's output is correct; a sample counts only if it is.
    pub check: fn(&Run) -> Result<(), String>,
    /// Runs untimed before every run of this variant (for example emptying a cache, so that
    /// every sample is a first start).
    pub before_each: Option<Box<dyn FnMut() -> Result<(), String>>>,
    /// A failed run that is the runtime's own race, not the command's failure: run once
    /// more (after `before_each`), the raced run not a sample.
    pub raced: Option<fn(&Run) -> bool>,
}

/// How many rounds, and how long one run may take.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub warmup: usize,
    pub runs: usize,
    pub timeout: Duration,
}

/// Runs `variants` on the interleaved schedule with real processes; see [`bench_with`].
pub fn bench(variants: Vec<TimedCommand>, plan: Plan) -> Vec<Observation> {
    bench_with(&mut Processes, variants, plan)
}

/// Runs `variants` on the interleaved schedule through `exec`. A variant whose run fails
/// (spawn error, timeout, wrong output) stops there and is reported `failed` with the
/// reason, keeping its valid samples; the others go on.
pub fn bench_with(
    exec: &mut dyn Execute,
    mut variants: Vec<TimedCommand>,
    plan: Plan,
) -> Vec<Observation> {
    #[derive(Default)]
    struct Taken {
        wall: Vec<f64>,
        error: Option<String>,
    }
    let mut taken: Vec<Taken> = variants.iter().map(|_| Taken::default()).collect();
    let total = plan
        .warmup
        .saturating_add(plan.runs)
        .saturating_mul(variants.len());
    let progress = indicatif::ProgressBar::new(total as u64);
    progress.set_style(
        indicatif::ProgressStyle::with_template("  {bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    for step in schedule(variants.len(), plan.warmup, plan.runs) {
        progress.inc(1);
        let (variant, got) = (&mut variants[step.variant], &mut taken[step.variant]);
        if got.error.is_some() {
            continue;
        }
        let round = step.round;
        progress.set_message(variant.subject.id.to_string());
        // A run the runtime's race failed is run once more; the raced run is no sample.
        let mut outcome = None;
        for attempt in 0..2 {
            if let Some(before) = &mut variant.before_each {
                if let Err(e) = before() {
                    got.error = Some(format!("round {round}, before the run: {e}"));
                    break;
                }
            }
            let run = exec.execute(&mut variant.command, plan.timeout);
            let raced = match (&run, variant.raced) {
                (Ok(run), Some(raced)) => (variant.check)(run).is_err() && raced(run),
                _ => false,
            };
            outcome = Some(run);
            if attempt == 1 || !raced {
                break;
            }
        }
        let Some(outcome) = outcome.filter(|_| got.error.is_none()) else {
            continue;
        };
        match outcome {
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
        .into_iter()
        .zip(taken)
        .map(|(variant, got)| {
            let command = describe(&variant.command);
            variant.subject.concluded(command, got.wall, got.error)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use wasmlab_model::metric::{FLOOR, NATIVE_PROCESS, STARTUP_CLI};
    use wasmlab_model::results::Status;

    #[test]
    fn an_excerpt_keeps_the_first_line_and_the_tail_within_its_bound() {
        let spin = "Error: failed to resolve dependencies\n\nCaused by:\n   0: a\n   1: b\n   2: c\n   3: no such file\n";
        assert_eq!(
            tail(spin),
            "Error: failed to resolve dependencies … 0: a | 1: b | 2: c | 3: no such file"
        );
        assert_eq!(tail("one\ntwo\n"), "one | two");
        assert_eq!(tail("\n\n"), "");
        let long = format!(
            "headline {}\n{} the cause",
            "x".repeat(300),
            "y".repeat(300)
        );
        let excerpt = tail(&long);
        assert_eq!(excerpt.chars().count(), 400, "{excerpt}");
        assert!(excerpt.starts_with("headline x") && excerpt.ends_with("y the cause"));
    }

    #[test]
    fn schedule_interleaves_after_warmups() {
        let order: Vec<(usize, bool)> = schedule(3, 1, 2).map(|s| (s.variant, s.warmup)).collect();
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

    #[test]
    fn a_huge_schedule_is_walked_lazily() {
        let mut steps = schedule(2, usize::MAX, usize::MAX);
        assert_eq!(
            steps.next().map(|s| (s.variant, s.warmup, s.round)),
            Some((0, true, 1))
        );
        assert_eq!(steps.nth(2).map(|s| (s.variant, s.round)), Some((1, 2)));
    }

    /// Answers from a script instead of processes: wall times in ms and stdout per call.
    struct Scripted {
        answers: std::collections::VecDeque<(u64, &'static str)>,
        seen: Vec<String>,
    }

    impl Execute for Scripted {
        fn execute(&mut self, cmd: &mut Command, _timeout: Duration) -> Result<Run> {
            self.seen.push(describe(cmd));
            let (ms, stdout) = self.answers.pop_front().context("no answer left")?;
            Ok(Run {
                wall: Duration::from_millis(ms),
                exit: Exit::Code(0),
                stdout: stdout.to_owned(),
                stderr: String::new(),
            })
        }
    }

    fn says_ok(run: &Run) -> Result<(), String> {
        (run.stdout == "ok")
            .then_some(())
            .ok_or_else(|| format!("printed {:?}", run.stdout))
    }

    fn timed(v: &'static wasmlab_model::metric::Variant, program: &str) -> TimedCommand {
        TimedCommand {
            subject: STARTUP_CLI.of(v),
            command: Command::new(program),
            check: says_ok,
            before_each: None,
            raced: None,
        }
    }

    #[test]
    fn bench_interleaves_skips_warmups_and_keeps_samples_before_a_failure() {
        let mut exec = Scripted {
            // warmup a, b; round 2 a, b; round 3 a (wrong output), b; round 4 b alone
            answers: [
                (9, "ok"),
                (9, "ok"),
                (1, "ok"),
                (2, "ok"),
                (3, "bad"),
                (4, "ok"),
                (5, "ok"),
            ]
            .into(),
            seen: Vec::new(),
        };
        let plan = Plan {
            warmup: 1,
            runs: 3,
            timeout: Duration::from_secs(1),
        };
        let out = bench_with(
            &mut exec,
            vec![timed(&FLOOR, "a"), timed(&NATIVE_PROCESS, "b")],
            plan,
        );
        assert_eq!(exec.seen, ["a", "b", "a", "b", "a", "b", "b"]);
        assert_eq!(out[0].id.to_string(), "startup.cli.floor");
        assert_eq!(out[0].samples, [0.001]);
        match &out[0].status {
            Status::Failed { error } => assert!(error.starts_with("round 3: printed"), "{error}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(out[1].samples, [0.002, 0.004, 0.005]);
        assert!(out[1].is_measured());
    }

    /// A run that failed by the runtime's race is run once more and the raced run is no
    /// sample; raced twice in a row, the variant fails as any failing run does.
    #[test]
    fn a_raced_run_is_run_once_more_and_is_no_sample() {
        let mut exec = Scripted {
            answers: [
                (7, "raced"),
                (2, "ok"),
                (3, "ok"),
                (8, "raced"),
                (9, "raced"),
            ]
            .into(),
            seen: Vec::new(),
        };
        let plan = Plan {
            warmup: 0,
            runs: 3,
            timeout: Duration::from_secs(1),
        };
        let mut v = timed(&FLOOR, "a");
        v.raced = Some(|run: &Run| run.stdout == "raced");
        let out = bench_with(&mut exec, vec![v], plan);
        assert_eq!(exec.seen.len(), 5);
        assert_eq!(out[0].samples, [0.002, 0.003]);
        match &out[0].status {
            Status::Failed { error } => assert!(error.starts_with("round 3: printed"), "{error}"),
            other => panic!("{other:?}"),
        }
    }
}

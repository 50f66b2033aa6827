//! What `measure` started and must not leave behind: child process groups and labelled
//! containers. On Ctrl-C (or SIGTERM) everything is removed and the results saved so far
//! stay on disk (they are written after every probe). Containers are removed by removers
//! the runtimes register, so this module knows no runtime.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::thread::ThreadId;
use std::time::Duration;

/// The process groups running now, and once an interruption began, the thread removing
/// what is left: from then on no other thread may start a process (it would outlive the
/// removal).
struct Running {
    pids: BTreeSet<libc::pid_t>,
    stopping: Option<ThreadId>,
}

static RUNNING: Mutex<Running> = Mutex::new(Running {
    pids: BTreeSet::new(),
    stopping: None,
});
/// A runtime's name and what removes its containers.
type Remover = (&'static str, fn());

static REMOVERS: Mutex<Vec<Remover>> = Mutex::new(Vec::new());

/// Adds the remover of runtime `name` to what [`remove_containers`] calls; a name already
/// registered keeps its first remover.
pub fn register(name: &'static str, remove: fn()) {
    if let Ok(mut removers) = REMOVERS.lock() {
        if !removers.iter().any(|(n, _)| *n == name) {
            removers.push((name, remove));
        }
    }
}

/// Calls every registered remover: the containers this process started go.
pub fn remove_containers() {
    let removers = REMOVERS.lock().map(|r| r.clone()).unwrap_or_default();
    for (_, remove) in removers {
        remove();
    }
}

/// Records a running process group (or single process) to kill on interruption. Once an
/// interruption is removing what is left (on another thread), what was just started is
/// killed instead, and this thread waits for the handler to end the process.
pub fn track(pid: libc::pid_t) {
    if let Ok(mut running) = RUNNING.lock() {
        if !stopping_elsewhere(&running) {
            running.pids.insert(pid);
            return;
        }
    }
    // SAFETY: kill(2) on the process group the caller just started.
    unsafe { libc::kill(-pid, libc::SIGKILL) };
    wait_if_stopping();
}

fn stopping_elsewhere(running: &Running) -> bool {
    running
        .stopping
        .is_some_and(|t| t != std::thread::current().id())
}

/// When an interruption is removing what is left on another thread, waits for it to end
/// the process: a thread returning meanwhile (main, say) would end it mid-removal.
pub fn wait_if_stopping() {
    if RUNNING
        .lock()
        .is_ok_and(|running| stopping_elsewhere(&running))
    {
        loop {
            std::thread::park();
        }
    }
}

/// Forgets a process that has been reaped.
pub fn untrack(pid: libc::pid_t) {
    if let Ok(mut running) = RUNNING.lock() {
        running.pids.remove(&pid);
    }
}

/// The processes started so far, from now on no new ones but this thread's.
fn stop_starting() -> Vec<libc::pid_t> {
    let Ok(mut running) = RUNNING.lock() else {
        return Vec::new();
    };
    running.stopping = Some(std::thread::current().id());
    running.pids.iter().copied().collect()
}

/// Lists what is left with `list` and removes it with `remove`, until two lists in a row
/// find nothing (a client killed a moment ago may have asked the daemon for something it
/// creates only now), at most `rounds` times; stops when a list fails.
pub fn remove_until_quiet<T>(
    rounds: usize,
    mut list: impl FnMut() -> Option<Vec<T>>,
    mut remove: impl FnMut(&[T]),
) {
    let mut quiet = 0;
    for _ in 0..rounds {
        let Some(left) = list() else {
            return;
        };
        if left.is_empty() {
            quiet += 1;
            if quiet == 2 {
                return;
            }
        } else {
            quiet = 0;
            remove(&left);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Installs the Ctrl-C / SIGTERM handler: kill what runs, remove our containers, exit 130.
pub fn on_interrupt(results: std::path::PathBuf) -> anyhow::Result<()> {
    ctrlc::set_handler(move || {
        eprintln!(
            "\nmeasure: interrupted; cleaning up (results measured so far are in {})",
            results.display()
        );
        for pid in stop_starting() {
            // SAFETY: kill(2) on a process group (and the process) we started and track.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                libc::kill(pid, libc::SIGKILL);
            }
        }
        remove_containers();
        std::process::exit(130);
    })?;
    Ok(())
}

//! What `measure` started and must not leave behind: child process groups and labelled
//! containers. On Ctrl-C (or SIGTERM) everything is removed and the results saved so far
//! stay on disk (they are written after every probe). Containers are removed by removers
//! the runtimes register, so this module knows no runtime.

use std::collections::HashSet;
use std::sync::Mutex;

static RUNNING: Mutex<Option<HashSet<libc::pid_t>>> = Mutex::new(None);
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

/// Records a running process group (or single process) to kill on interruption.
pub fn track(pid: libc::pid_t) {
    if let Ok(mut set) = RUNNING.lock() {
        set.get_or_insert_with(HashSet::new).insert(pid);
    }
}

/// Forgets a process that has been reaped.
pub fn untrack(pid: libc::pid_t) {
    if let Ok(mut set) = RUNNING.lock() {
        if let Some(set) = set.as_mut() {
            set.remove(&pid);
        }
    }
}

/// Installs the Ctrl-C / SIGTERM handler: kill what runs, remove our containers, exit 130.
pub fn on_interrupt(results: std::path::PathBuf) -> anyhow::Result<()> {
    ctrlc::set_handler(move || {
        eprintln!(
            "\nmeasure: interrupted; cleaning up (results measured so far are in {})",
            results.display()
        );
        let pids: Vec<libc::pid_t> = RUNNING
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .unwrap_or_default()
            .into_iter()
            .collect();
        for pid in pids {
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

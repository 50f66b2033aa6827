//! What an earlier `measure` left behind when it died without cleaning up (SIGKILL, a
//! crash, a lost terminal): its containers and tasks under containerd (both namespaces),
//! its docker containers, and shim processes serving containers that are gone. Every one
//! carries the pid of the process that made it (`wasmlab-<pid>-<tag>`, docker's label
//! `wasmlab.run=<pid>`); a run starts by removing those whose process is gone, and never
//! touches what a live process owns.

use super::{containerd, containerd_api, docker};
use crate::procfs;
use std::collections::BTreeMap;

/// The pid in a name made by [`containerd::container_name`] (`wasmlab-<pid>-<tag>`).
pub fn owner(name: &str) -> Option<u32> {
    name.strip_prefix("wasmlab-")?
        .split_once('-')?
        .0
        .parse()
        .ok()
}

/// Whether process `pid` exists (a pid taken again by another process counts as alive:
/// the safe side).
pub fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Whether `name` was made by a process that is gone.
pub fn is_stale(name: &str) -> bool {
    owner(name).is_some_and(|pid| pid != std::process::id() && !alive(pid))
}

/// Removes what dead runs left and says what it removed, one line each, on stderr; how
/// many things it removed.
pub fn remove_stale() -> usize {
    let mut removed = containerd::remove_stale();
    removed.extend(containerd_api::remove_stale());
    removed.extend(docker::remove_stale());
    removed.extend(kill_orphan_shims(is_stale));
    for what in &removed {
        eprintln!("measure: removed {what}, left by a run that is gone");
    }
    removed.len()
}

/// The binaries of this project whose processes a run starts: `measure` (the embedded
/// hosts), the service natively, and another app's native build (`target/apps/<app>/native`).
const OURS: &[&str] = &["measure", "moscow-time", "native"];

/// The file name of the program `p` runs.
fn program(p: &procfs::Process) -> &str {
    p.args
        .first()
        .and_then(|a| a.rsplit('/').next())
        .unwrap_or_default()
}

/// Processes of this project's binaries running now, other than this one and those it
/// runs under (pid and command line, one each): a server a run or a test left, or another
/// run going on.
pub fn running() -> Vec<String> {
    let Ok(processes) = procfs::processes() else {
        return Vec::new();
    };
    let mut mine = vec![std::process::id()];
    while let Some(parent) = mine
        .last()
        .and_then(|pid| processes.iter().find(|p| p.pid == *pid))
        .map(|p| p.parent)
        .filter(|parent| *parent > 1 && !mine.contains(parent))
    {
        mine.push(parent);
    }
    processes
        .iter()
        .filter(|p| !mine.contains(&p.pid))
        .filter(|p| OURS.contains(&program(p)))
        .map(|p| format!("{} {}", p.pid, p.args.join(" ")))
        .collect()
}

/// Shim processes (the wasmtime shim's, runc's) whose `-id` names a container that `owned`
/// picks (a dead run's, this run's) and that containerd no longer has in the shim's
/// namespace, and what still runs in that container's cgroup: nothing will ever stop
/// them (a task whose creation was cut off, a daemon paused mid-request), and the wasm
/// shim ignores SIGTERM. Then the runtime state such containers left. When containerd
/// cannot list a namespace, what is in it is left.
pub fn kill_orphan_shims(owned: impl Fn(&str) -> bool) -> Vec<String> {
    let Ok(processes) = procfs::processes() else {
        return Vec::new();
    };
    let mut listed = Listings::default();
    let mut killed = Vec::new();
    for p in &processes {
        let arg = |flag: &str| {
            p.args
                .windows(2)
                .find(|w| w[0] == flag)
                .map(|w| w[1].as_str())
        };
        let (true, Some(id)) = (program(p).starts_with("containerd-shim-"), arg("-id")) else {
            continue;
        };
        if !owned(id) {
            continue;
        }
        let namespace = arg("-namespace").unwrap_or(containerd::NAMESPACE);
        if !listed.gone(namespace, id) {
            continue;
        }
        // SAFETY: kill(2) of a shim process serving a container that is gone.
        unsafe { libc::kill(p.pid as libc::pid_t, libc::SIGKILL) };
        killed.push(format!("shim process {} (-id {id})", p.pid));
        let procs = containerd::cgroup_file_in(namespace, id, "cgroup.procs", "cgroup.procs");
        for pid in std::fs::read_to_string(procs)
            .unwrap_or_default()
            .split_whitespace()
        {
            if let Ok(pid) = pid.parse::<libc::pid_t>() {
                // SAFETY: kill(2) of a process in the cgroup of a container that is gone.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                killed.push(format!("process {pid} in its cgroup"));
            }
        }
    }
    killed.extend(remove_orphan_states(&owned, &mut listed));
    killed
}

/// containerd's containers per namespace, each asked for once; None where it could not
/// list them.
#[derive(Default)]
struct Listings(BTreeMap<String, Option<Vec<String>>>);

impl Listings {
    /// Whether containerd listed `namespace` and container `id` is not in it (when it
    /// could not tell, the container counts as there: the safe side).
    fn gone(&mut self, namespace: &str, id: &str) -> bool {
        self.0
            .entry(namespace.to_owned())
            .or_insert_with(|| containerd::container_names_in(namespace).ok())
            .as_ref()
            .is_some_and(|names| !names.iter().any(|n| n == id))
    }
}

/// Where the shims keep their runtimes' state, one folder per shim
/// (`<root>/<shim>/<namespace>/<id>`: `runc`, `wasmtime`, `wasmtime-winch`, ...).
const STATE_ROOT: &str = "/run/containerd";

/// The runtime state (a `state.json` folder) of containers that `owned` picks and that
/// containerd no longer has: left when a shim was killed before it could delete it (the
/// wasm shim's says "container already exists" to the next container of that name, which
/// a run whose pid comes round again would give).
fn remove_orphan_states(owned: impl Fn(&str) -> bool, listed: &mut Listings) -> Vec<String> {
    let mut removed = Vec::new();
    let folders = |dir: &std::path::Path| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    for namespace_dir in folders(std::path::Path::new(STATE_ROOT))
        .iter()
        .flat_map(|shim| folders(shim))
    {
        let Some(namespace) = namespace_dir.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        for state in folders(&namespace_dir) {
            let Some(id) = state.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if !owned(id) || !state.join("state.json").is_file() {
                continue;
            }
            if !listed.gone(namespace, id) {
                continue;
            }
            if std::fs::remove_dir_all(&state).is_ok() {
                removed.push(format!("runtime state {}", state.display()));
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_their_owner_and_only_dead_owners_are_stale() {
        assert_eq!(owner("wasmlab-123-cli-ctr-runc"), Some(123));
        assert_eq!(owner("wasmlab-x-cli"), None);
        assert_eq!(owner("other-123-cli"), None);
        let me = std::process::id();
        assert!(!is_stale(&format!("wasmlab-{me}-cli")));
        assert!(!is_stale("wasmlab-1-cli"), "init is alive");
        // A pid above the kernel's maximum is no process.
        assert!(is_stale("wasmlab-4294967-cli"));
    }
}

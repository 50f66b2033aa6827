//! What an earlier `measure` left behind when it died without cleaning up (SIGKILL, a
//! crash, a lost terminal): its containers and tasks under containerd (both namespaces),
//! its docker containers, and shim processes serving containers that are gone. Every one
//! carries the pid of the process that made it (`wasmlab-<pid>-<tag>`, docker's label
//! `wasmlab.run=<pid>`); a run starts by removing those whose process is gone, and never
//! touches what a live process owns.

use super::{containerd, containerd_api, docker};
use crate::procfs;

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

/// Removes what dead runs left and says what it removed, one line each, on stderr.
pub fn remove_stale() {
    let mut removed = containerd::remove_stale();
    removed.extend(containerd_api::remove_stale());
    removed.extend(docker::remove_stale());
    removed.extend(kill_orphan_shims());
    for what in removed {
        eprintln!("measure: removed {what}, left by a run that is gone");
    }
}

/// Shim processes whose `-id` names a container of a dead run that containerd no longer
/// has: nothing will ever stop them, and they ignore SIGTERM.
fn kill_orphan_shims() -> Vec<String> {
    let Ok(processes) = procfs::processes() else {
        return Vec::new();
    };
    let present = containerd::container_names().unwrap_or_default();
    let mut killed = Vec::new();
    for p in &processes {
        let is_shim = p.args.first().is_some_and(|a| {
            a.rsplit('/')
                .next()
                .is_some_and(|b| b.starts_with("containerd-shim-wasmtime"))
        });
        let id = p
            .args
            .windows(2)
            .find(|w| w[0] == "-id")
            .map(|w| w[1].as_str());
        if let (true, Some(id)) = (is_shim, id) {
            if is_stale(id) && !present.iter().any(|n| n == id) {
                // SAFETY: kill(2) of a shim process serving a container of a dead run.
                unsafe { libc::kill(p.pid as libc::pid_t, libc::SIGKILL) };
                killed.push(format!("shim process {} (-id {id})", p.pid));
            }
        }
    }
    killed
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

//! What `/proc` says about processes: their parents, command lines and memory fields, for
//! the memory of a process family (a server's process group, a container's shim).

use anyhow::{Context as _, Result};

/// One process as `/proc` shows it.
#[derive(Debug, Clone)]
pub struct Process {
    pub pid: u32,
    pub parent: u32,
    pub group: u32,
    /// Its command line, one entry per argument.
    pub args: Vec<String>,
}

/// Every process that could be read (one that exits meanwhile is left out).
pub fn processes() -> Result<Vec<Process>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").context("cannot read /proc")? {
        let Ok(pid) = entry?.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The command name may hold spaces and parentheses; the fields follow its last ')'.
        let Some((parent, group)) = stat.rsplit_once(')').and_then(|(_, rest)| {
            let mut fields = rest.split_whitespace().skip(1);
            Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
        }) else {
            continue;
        };
        let args = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|bytes| {
                bytes
                    .split(|b| *b == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        found.push(Process {
            pid,
            parent,
            group,
            args,
        });
    }
    Ok(found)
}

/// `roots` and every process below them.
pub fn descendants(processes: &[Process], roots: &[u32]) -> Vec<u32> {
    let mut family = roots.to_vec();
    let mut i = 0;
    while i < family.len() {
        let parent = family[i];
        let children: Vec<u32> = processes
            .iter()
            .filter(|p| p.parent == parent && !family.contains(&p.pid))
            .map(|p| p.pid)
            .collect();
        family.extend(children);
        i += 1;
    }
    family
}

/// The processes of the group `leader` leads.
pub fn group(leader: u32) -> Result<Vec<u32>> {
    let members: Vec<u32> = processes()?
        .into_iter()
        .filter(|p| p.group == leader)
        .map(|p| p.pid)
        .collect();
    anyhow::ensure!(
        !members.is_empty(),
        "process group {leader} has no process left"
    );
    Ok(members)
}

/// A `/proc/PID/status` field in KiB (`VmRSS:`, `VmHWM:`), if the process is still there.
pub fn status_kib(pid: u32, field: &str) -> Option<f64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Restricts every thread of process `pid` to CPU `cpu` (a running process: the threads it
/// has now).
pub fn pin(pid: u32, cpu: usize) -> Result<()> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .with_context(|| format!("cannot list the threads of {pid}"))?;
    for task in tasks.flatten() {
        let Ok(tid) = task.file_name().to_string_lossy().parse::<libc::pid_t>() else {
            continue;
        };
        // SAFETY: a CPU set built on the stack, for a thread of a process measure watches.
        let done = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set)
        };
        if done != 0 {
            let e = std::io::Error::last_os_error();
            // A thread that ended meanwhile is no error.
            if e.raw_os_error() != Some(libc::ESRCH) {
                anyhow::bail!("cannot pin thread {tid} of {pid} to CPU {cpu}: {e}");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_found_with_its_family_and_memory() {
        let me = std::process::id();
        let all = processes().unwrap();
        let mine = all.iter().find(|p| p.pid == me).unwrap();
        assert!(!mine.args.is_empty());
        assert!(descendants(&all, &[mine.parent]).contains(&me));
        assert!(status_kib(me, "VmRSS:").is_some_and(|kib| kib > 0.0));
        assert!(group(mine.group).unwrap().contains(&me));
    }
}

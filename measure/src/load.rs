//! The one load generator every server probe uses: wrk, run for a bounded time on its own
//! CPU core, its report parsed into requests per second, latency quantiles and errors.

use crate::runner::{describe, run_once, Exit};
use anyhow::{bail, Context as _, Result};
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

/// What one wrk run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Load {
    pub requests: u64,
    pub requests_per_second: f64,
    /// Seconds.
    pub p50: f64,
    /// Seconds.
    pub p99: f64,
    /// Socket errors plus non-2xx/3xx responses.
    pub errors: u64,
    /// Seconds wrk ran for, as it reports them.
    pub seconds: f64,
    /// The exact command.
    pub command: String,
}

/// The core the load generator runs on; the server gets the other one (see `pin`).
pub const LOAD_CPU: usize = 1;
/// The core a server under load is pinned to.
pub const SERVER_CPU: usize = 0;

/// Drives `GET path` on `addr` with `connections` connections for `duration`, one wrk
/// thread, pinned to `LOAD_CPU` when the machine has more than one core.
pub fn wrk(addr: SocketAddr, path: &str, connections: usize, duration: Duration) -> Result<Load> {
    let wrk = crate::tools::WRK.which().map_err(anyhow::Error::msg)?;
    let seconds = duration.as_secs().max(1);
    let mut cmd = if cores() > 1 {
        let mut c = Command::new("taskset");
        c.args(["--cpu-list", &LOAD_CPU.to_string()]).arg(wrk);
        c
    } else {
        Command::new(wrk)
    };
    cmd.args([
        "--threads",
        "1",
        "--connections",
        &connections.to_string(),
        "--duration",
        &format!("{seconds}s"),
        "--latency",
    ])
    .arg(format!("http://{addr}{path}"));
    let command = describe(&cmd);
    let run = run_once(&mut cmd, duration + Duration::from_secs(30))?;
    if run.exit != Exit::Code(0) {
        bail!("{command}: {}: {}", run.exit, run.stderr_tail());
    }
    let mut load = parse(&run.stdout)
        .with_context(|| format!("cannot read wrk's report: {}", run.stdout.trim()))?;
    load.command = command;
    Ok(load)
}

/// Pins process `pid` to `cpu` when the machine has more than one core.
pub fn pin(pid: u32, cpu: usize) -> Result<()> {
    if cores() < 2 {
        return Ok(());
    }
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET and sched_setaffinity get
    // valid pointers and the set's size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(
            pid as libc::pid_t,
            std::mem::size_of::<libc::cpu_set_t>(),
            &set,
        ) != 0
        {
            bail!(
                "cannot pin process {pid} to CPU {cpu}: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    Ok(())
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Reads wrk's text report (with `--latency`).
pub fn parse(report: &str) -> Option<Load> {
    let field = |prefix: &str| {
        report
            .lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
    };
    let requests_per_second = field("Requests/sec:")?.parse().ok()?;
    // "39213 requests in 1.00s, 6.43MB read"
    let (requests, rest) = report
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))?;
    let requests = requests.parse().ok()?;
    let seconds = parse_duration(rest.split(',').next()?.trim())?;
    let percentile = |p: &str| field(p).and_then(parse_duration);
    let socket_errors: u64 = field("Socket errors:")
        .map(|s| {
            s.split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    let bad_status: u64 = field("Non-2xx or 3xx responses:")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Some(Load {
        requests,
        requests_per_second,
        p50: percentile("50%")?,
        p99: percentile("99%")?,
        errors: socket_errors + bad_status,
        seconds,
        command: String::new(),
    })
}

/// "262.00us", "1.23ms", "2.00s", "1.5m" into seconds.
fn parse_duration(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    let factor = match unit {
        "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        _ => return None,
    };
    Some(value * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 1s test @ http://127.0.0.1:18081/api/time
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   244.28us  116.61us   2.10ms   68.03%
    Req/Sec    39.52k    13.10k   71.50k    90.00%
  Latency Distribution
     50%  262.00us
     75%  322.00us
     90%  362.00us
     99%    1.57ms
  39213 requests in 1.00s, 6.43MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  39167.14
Transfer/sec:      6.42MB
";

    #[test]
    fn reads_rate_quantiles_and_errors() {
        let load = parse(REPORT).unwrap();
        assert_eq!(load.requests, 39213);
        assert_eq!(load.requests_per_second, 39167.14);
        assert!((load.p50 - 262e-6).abs() < 1e-12);
        assert!((load.p99 - 1.57e-3).abs() < 1e-12);
        assert_eq!(load.errors, 7);
        assert_eq!(load.seconds, 1.0);
    }

    #[test]
    fn a_report_without_numbers_is_none() {
        assert!(parse("unable to connect to 127.0.0.1:1 Connection refused").is_none());
    }
}

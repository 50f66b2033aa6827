//! curl as the lab uses it: the shell-driven probe of the Spin bonus task. Every request is
//! a curl transfer with `-w '%{json}'`, whose timings split it into DNS, TCP connect, TLS,
//! waiting for the first byte and the total, as curl itself measured them. One curl process
//! given several URLs reuses its connection and writes `-w` once per transfer.

use crate::runner::{describe, run_once};
use anyhow::{bail, Context as _, Result};
use serde::Deserialize;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

/// One transfer as curl reported it, with the body it received.
#[derive(Debug, Clone, PartialEq)]
pub struct Transfer {
    pub url: String,
    /// 0 when no response came.
    pub code: u16,
    pub exitcode: i32,
    pub errormsg: Option<String>,
    /// New connections this transfer opened (0 when it reused one).
    pub num_connects: u64,
    pub timings: Timings,
    pub body: String,
}

/// curl's cumulative timestamps, in seconds from the start of the transfer.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
pub struct Timings {
    #[serde(rename = "time_namelookup")]
    pub namelookup: f64,
    #[serde(rename = "time_connect")]
    pub connect: f64,
    #[serde(rename = "time_appconnect")]
    pub appconnect: f64,
    #[serde(rename = "time_pretransfer")]
    pub pretransfer: f64,
    #[serde(rename = "time_starttransfer")]
    pub starttransfer: f64,
    #[serde(rename = "time_total")]
    pub total: f64,
}

/// A transfer split into consecutive phases (seconds); they add up to the total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Phases {
    pub dns: f64,
    /// TCP handshake.
    pub connect: f64,
    /// TLS handshake; `None` for plain HTTP.
    pub tls: Option<f64>,
    /// From the request being sent to the first byte of the response (the server's time
    /// plus one network round trip).
    pub first_byte: f64,
    pub total: f64,
}

impl Timings {
    pub fn phases(&self) -> Phases {
        let tls = (self.appconnect > 0.0).then_some(self.appconnect - self.connect);
        let sent = self.pretransfer.max(self.appconnect).max(self.connect);
        Phases {
            dns: self.namelookup,
            connect: (self.connect - self.namelookup).max(0.0),
            tls,
            first_byte: (self.starttransfer - sent).max(0.0),
            total: self.total,
        }
    }
}

impl Transfer {
    /// Whether the transfer succeeded: curl's exit 0, status 200 and a body `expect` accepts.
    pub fn check(&self, expect: impl Fn(&str) -> Result<(), String>) -> Result<(), String> {
        if self.exitcode != 0 {
            let why = self.errormsg.as_deref().unwrap_or("no message");
            return Err(format!("{}: curl exit {}: {why}", self.url, self.exitcode));
        }
        if self.code != 200 {
            let body: String = self.body.trim().chars().take(200).collect();
            return Err(format!("{}: status {}: {body}", self.url, self.code));
        }
        expect(&self.body).map_err(|why| format!("{}: {why}", self.url))
    }
}

/// How curl is run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Longest a whole transfer may take (`--max-time`).
    pub max_time: Duration,
    /// The core curl runs on, so it does not take the server's.
    pub cpu: Option<usize>,
}

/// One curl process fetching `urls` in order (on one connection where it can), each body
/// to a file of its own.
pub fn fetch(urls: &[String], options: Options) -> Result<Vec<Transfer>> {
    if urls.is_empty() {
        bail!("no URL to fetch");
    }
    let curl = crate::tools::CURL.which().map_err(anyhow::Error::msg)?;
    let dir = tempfile::tempdir().context("cannot create a directory for curl's output")?;
    let seconds = format!("{:.3}", options.max_time.as_secs_f64());
    let mut cmd = Command::new(curl);
    // `-q` first: no ~/.curlrc, so nobody's settings change what is measured.
    cmd.args(["-q", "--silent", "--show-error", "--max-time", &seconds])
        .args(["--connect-timeout", &seconds])
        .args(["--write-out", "%{json}\\n"]);
    if urls.iter().all(|u| is_loopback(u)) {
        // A proxy from the environment must not stand between curl and a local server.
        cmd.args(["--noproxy", "*"]);
    }
    for (i, url) in urls.iter().enumerate() {
        cmd.arg("--output")
            .arg(dir.path().join(i.to_string()))
            .arg(url);
    }
    cmd.env_remove("RUST_BACKTRACE");
    if let Some(cpu) = options.cpu.filter(|_| crate::load::cores() > 1) {
        pin_before_exec(&mut cmd, cpu);
    }
    let limit = options.max_time * urls.len() as u32 + Duration::from_secs(10);
    let run = run_once(&mut cmd, limit).with_context(|| describe(&cmd))?;
    let mut transfers = Vec::with_capacity(urls.len());
    for line in run.stdout.lines().filter(|l| !l.trim().is_empty()) {
        let raw: Raw = serde_json::from_str(line)
            .with_context(|| format!("cannot read curl's -w '%{{json}}' output: {line}"))?;
        let body = match dir.path().join(raw.urlnum.to_string()) {
            path if path.is_file() => std::fs::read(&path)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .with_context(|| format!("cannot read {}", path.display()))?,
            _ => String::new(),
        };
        transfers.push(Transfer {
            url: urls.get(raw.urlnum).cloned().unwrap_or(raw.url_effective),
            code: raw.http_code,
            exitcode: raw.exitcode,
            errormsg: raw.errormsg.filter(|m| !m.is_empty()),
            num_connects: raw.num_connects,
            timings: raw.timings,
            body,
        });
    }
    if transfers.len() != urls.len() {
        bail!(
            "curl reported {} of {} transfers ({}): {}",
            transfers.len(),
            urls.len(),
            run.exit,
            run.stderr_tail()
        );
    }
    Ok(transfers)
}

/// What [`fetch`] runs, as a reader would type it for one URL (output files left out).
pub fn command_line(url: &str, options: Options) -> String {
    let seconds = format!("{:.3}", options.max_time.as_secs_f64());
    format!("curl -q --silent --show-error --max-time {seconds} --connect-timeout {seconds} --write-out '%{{json}}\\n' --output FILE {url}")
}

fn is_loopback(url: &str) -> bool {
    let authority = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host);
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// Restricts the child to `cpu` between fork and exec, so no extra program (taskset) runs.
fn pin_before_exec(cmd: &mut Command, cpu: usize) {
    // SAFETY: the closure runs in the forked child before exec and only calls
    // sched_setaffinity, which is async-signal-safe, on a set built on the stack.
    unsafe {
        cmd.pre_exec(move || {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    urlnum: usize,
    #[serde(default)]
    url_effective: String,
    #[serde(default)]
    http_code: u16,
    #[serde(default)]
    exitcode: i32,
    errormsg: Option<String>,
    #[serde(default)]
    num_connects: u64,
    #[serde(flatten)]
    timings: Timings,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_add_up_to_the_total() {
        let t = Timings {
            namelookup: 0.001,
            connect: 0.003,
            appconnect: 0.010,
            pretransfer: 0.0101,
            starttransfer: 0.050,
            total: 0.051,
        };
        let p = t.phases();
        assert!((p.dns + p.connect + p.tls.unwrap() + p.first_byte - 0.05).abs() < 1e-4);
        let plain = Timings {
            appconnect: 0.0,
            ..t
        };
        assert_eq!(plain.phases().tls, None);
    }

    #[test]
    fn a_transfer_is_checked_for_exit_status_and_body() {
        let ok = Transfer {
            url: "http://x/api/time".into(),
            code: 200,
            exitcode: 0,
            errormsg: None,
            num_connects: 1,
            timings: Timings::default(),
            body: "{}".into(),
        };
        assert_eq!(ok.check(|_| Ok(())), Ok(()));
        let e = ok.check(|_| Err("not the JSON".into())).unwrap_err();
        assert!(e.contains("not the JSON"), "{e}");
        let refused = Transfer {
            code: 0,
            exitcode: 7,
            errormsg: Some("Couldn't connect to server".into()),
            ..ok.clone()
        };
        assert!(refused
            .check(|_| Ok(()))
            .unwrap_err()
            .contains("curl exit 7"));
        let missing = Transfer { code: 404, ..ok };
        assert!(missing
            .check(|_| Ok(()))
            .unwrap_err()
            .contains("status 404"));
    }

    #[test]
    fn loopback_urls_are_recognised() {
        assert!(is_loopback("http://127.0.0.1:3000/api/time?_cold=1"));
        assert!(is_loopback("http://localhost/"));
        assert!(!is_loopback("https://moscow-time.example.app/api/time"));
    }
}

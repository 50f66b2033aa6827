//! The lab's Task 1 as evidence: the one `main.rs` run in each of its contexts, natively and
//! as the wasm module, with what it printed kept verbatim (the JSON line of `MODE=once`, the
//! first lines of the page and a 404 as a WAGI host receives them, and the server context
//! as `curl -i` shows it: the native server and the wasi:http component). Each run is
//! checked before its output counts; the figure is the run's wall time (for a server, its
//! two requests'), the output is `shown`.

use super::{Claim, Probe};
use crate::ctx::Ctx;
use crate::expect;
use crate::runner::{describe, run_once, Run};
use crate::runtime::child_server::{ChildServer, Native};
use crate::runtime::cli::bare;
use crate::runtime::server::{not_here, start_ready, Server};
use crate::runtime::wasi_http_hosts::Embedded;
use crate::tools;
use anyhow::{bail, Result};
use std::path::Path;
use std::process::Command;
use std::time::Instant;
use wasmlab_hosts::wasi_http::Allocator;
use wasmlab_model::metric::{
    Metric, Variant, CONTEXT_CLI, CONTEXT_SERVER, CONTEXT_WAGI_NOT_FOUND, CONTEXT_WAGI_PAGE,
    EMBEDDED_WASMTIME, NATIVE_PROCESS,
};
use wasmlab_model::results::Observation;

/// At most this many lines of what a context printed are kept.
const KEPT_LINES: usize = 6;
/// At most this many lines of each `curl -i` response: the status line, the headers and
/// the body's first lines.
const RESPONSE_LINES: usize = 8;

pub struct ContextsProbe;

/// A context: its metric, what ran (the paths the app's manifest gives), its environment,
/// and what a correct answer looks like.
struct Context {
    metric: &'static Metric,
    label: String,
    env: Vec<(&'static str, &'static str)>,
    check: fn(&str) -> Result<(), String>,
}

/// The contexts, the WAGI paths as the app's manifest gives them.
fn contexts() -> [Context; 3] {
    let wagi = &crate::app::checks().wagi;
    [
        Context {
            metric: &CONTEXT_CLI,
            label: CONTEXT_CLI.label.to_owned(),
            env: vec![("MODE", "once")],
            check: expect::cli_output,
        },
        Context {
            metric: &CONTEXT_WAGI_PAGE,
            label: format!("WAGI GET {}: the page", wagi.page),
            env: vec![("REQUEST_METHOD", "GET"), ("PATH_INFO", &wagi.page)],
            check: |out| {
                header(out, "Status: 200 OK").and_then(|()| header(out, "Content-Type: text/html"))
            },
        },
        Context {
            metric: &CONTEXT_WAGI_NOT_FOUND,
            label: format!("WAGI GET {}: 404", wagi.missing),
            env: vec![("REQUEST_METHOD", "GET"), ("PATH_INFO", &wagi.missing)],
            check: |out| header(out, "Status: 404 Not Found"),
        },
    ]
}

/// Whether the CGI head of `out` (the lines before the first blank one) holds `line`.
fn header(out: &str, line: &str) -> Result<(), String> {
    out.lines()
        .take_while(|l| !l.is_empty())
        .any(|l| l.starts_with(line))
        .then_some(())
        .ok_or_else(|| format!("no `{line}` header in {out:?}"))
}

impl Probe for ContextsProbe {
    fn id(&self) -> &'static str {
        "contexts"
    }

    fn claims(&self) -> &'static [Claim] {
        &[
            Claim::All(&CONTEXT_CLI),
            Claim::All(&CONTEXT_WAGI_PAGE),
            Claim::All(&CONTEXT_WAGI_NOT_FOUND),
            Claim::All(&CONTEXT_SERVER),
        ]
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let builds: [(&'static Variant, Command); 2] = [
            (&NATIVE_PROCESS, bare(&ctx.native)),
            (&EMBEDDED_WASMTIME, {
                let mut cmd = bare(&ctx.measure);
                cmd.arg("exec").arg(&ctx.wasm);
                cmd
            }),
        ];
        let mut observations = Vec::new();
        for context in &contexts() {
            for (variant, program) in &builds {
                let mut cmd = Command::new(program.get_program());
                cmd.env_clear()
                    .args(program.get_args())
                    .envs(context.env.iter().copied());
                let subject = context
                    .metric
                    .of(variant)
                    .label(format!("{}: {}", variant.label, context.label));
                let command = describe(&cmd);
                let run = run_once(&mut cmd, ctx.timeout)
                    .map_err(|e| format!("{e:#}"))
                    .and_then(|run| checked(run, context.check));
                observations.push(match run {
                    Ok(run) => subject
                        .measured(command, vec![run.wall.as_secs_f64()])
                        .with_shown(kept(&run.stdout, KEPT_LINES)),
                    Err(e) => subject.failed(command, e),
                });
            }
        }
        let servers: [Box<dyn Server>; 2] = [
            Box::new(ChildServer::new(Native)),
            Box::new(ChildServer::new(Embedded::fresh(Allocator::Pooling))),
        ];
        for mut server in servers {
            observations.push(served(&mut *server, ctx));
        }
        observations
    }
}

/// The routes the server context is shown answering, in order: the timed one and the page.
fn routes() -> [&'static str; 2] {
    let server = &crate::app::checks().server;
    [&server.timed, &server.page]
}

/// The server context under `server`: started, both routes fetched by `curl -i`, stopped.
fn served(server: &mut dyn Server, ctx: &Ctx) -> Observation {
    let [timed, page] = routes();
    let subject = CONTEXT_SERVER.of(server.variant()).label(format!(
        "{}: HTTP server: curl -i {timed}, then {page}",
        server.variant().label
    ));
    let command = format!(
        "{}; curl -i http://127.0.0.1:<port>{{{}}}",
        server.command(ctx),
        routes().join(",")
    );
    if let Some(why) = server.unavailable(ctx) {
        return not_here(server, ctx, subject, command, &why);
    }
    let curl = match tools::CURL.which() {
        Ok(curl) => curl,
        Err(why) => return ctx.lacking(true, subject, command, &why),
    };
    match transcript(server, ctx, &curl) {
        Ok((seconds, text)) => subject.measured(command, vec![seconds]).with_shown(text),
        Err(e) => subject.failed(command, format!("{e:#}")),
    }
}

/// Each route's `curl -i` as a terminal shows it, `$ curl -i URL` then the response head and
/// the first lines of its body; and how long the requests took together.
fn transcript(server: &mut dyn Server, ctx: &Ctx, curl: &Path) -> Result<(f64, String)> {
    server.prepare(ctx)?;
    let addr = start_ready(server, ctx)?;
    let mut text = Vec::new();
    let started = Instant::now();
    for route in routes() {
        let url = format!("http://{addr}{route}");
        let mut cmd = Command::new(curl);
        cmd.args(["-sS", "-i", "--max-time", "10", &url]);
        let run = run_once(&mut cmd, ctx.timeout)?;
        let response = run.stdout.replace("\r\n", "\n");
        if run.exit != crate::runner::Exit::Code(0) {
            bail!("curl -i {url}: {}: {}", run.exit, run.stderr_tail());
        }
        if !response.starts_with("HTTP/1.1 200 OK\n") {
            bail!("curl -i {url} did not answer 200: {}", kept(&response, 1));
        }
        text.push(format!(
            "$ curl -i {url}\n{}",
            kept(&response, RESPONSE_LINES)
        ));
    }
    let seconds = started.elapsed().as_secs_f64();
    server.stop(ctx)?;
    Ok((seconds, text.join("\n")))
}

fn checked(run: Run, check: fn(&str) -> Result<(), String>) -> Result<Run, String> {
    if run.exit != crate::runner::Exit::Code(0) {
        return Err(format!("{}: {}", run.exit, run.stderr_tail()));
    }
    check(&run.stdout)?;
    Ok(run)
}

/// The first `count` lines of `out`, as printed, with a note of what was cut.
fn kept(out: &str, count: usize) -> String {
    let lines: Vec<&str> = out.lines().collect();
    let mut text = lines
        .iter()
        .take(count)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    if lines.len() > count {
        text.push_str(&format!("\n… ({} more lines)", lines.len() - count));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgi_heads_are_checked_before_the_body() {
        let page = "Content-Type: text/html; charset=utf-8\nStatus: 200 OK\n\n<!doctype html>";
        let contexts = contexts();
        assert!((contexts[1].check)(page).is_ok());
        assert!((contexts[2].check)(page).is_err());
        // A status line in the body is not a header.
        assert!(header("Content-Type: x\n\nStatus: 404 Not Found", "Status: 404").is_err());
    }

    #[test]
    fn long_output_is_cut_with_a_note() {
        let out = (1..=9)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(kept(&out, 6), "1\n2\n3\n4\n5\n6\n… (3 more lines)");
        assert_eq!(kept("one line\n", 6), "one line");
    }
}

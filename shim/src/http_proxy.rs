//! Serving a component that exports `wasi:http/incoming-handler`, with the contract of
//! runwasi's wasmtime shim, so an image runs alike under either: HTTP/1 with keep-alive
//! on `WASMTIME_HTTP_PROXY_SOCKET_ADDR` from the container's environment (default
//! `0.0.0.0:8080`), a fresh instance per request from one pre-instance. A component
//! exporting `wasi:http/handler` (WASI 0.3) is served the same way, its instances taking
//! up to [`INSTANCE_AT_ONCE_ENV`] requests at once when reused.
//!
//! The serving itself is `wasmlab-serve-http`'s (shared with `measure serve-http`): a
//! deadline per request (504 while other requests go on being served), 500 and a line on
//! stderr when the guest fails, a header timeout, a graceful stop on SIGTERM that ends
//! within [`GRACE`] whatever clients do, and on request instances reused for several
//! requests ([`INSTANCE_REUSE_ENV`]). What is the shim's own: reading those settings from
//! the container's environment and hiding them from the guest.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use containerd_shim_wasm::sandbox::context::RuntimeContext;
use wasmlab_shim_contract::{
    DEFAULT_HTTP_PROXY_ADDR, DEFAULT_REQUEST_TIMEOUT_SECS, HTTP_BACKLOG_ENVS, HTTP_PROXY_ADDR_ENV,
    INSTANCE_AT_ONCE_ENV, INSTANCE_REUSE_ENV, REQUEST_TIMEOUT_ENV,
};
use wasmtime::component::Component;
use wasmtime::Engine;

use crate::command::split_envs;

/// The listen backlog when neither of [`HTTP_BACKLOG_ENVS`] is set (runwasi's).
const DEFAULT_BACKLOG: u32 = 100;
/// After SIGTERM, how long requests in progress (and heads still being sent) get before
/// the server is gone: within the 5 s a stop is promised, whatever clients do.
const GRACE: Duration = Duration::from_secs(4);
/// What prefixes the server's lines on the container's stderr.
const NAME: &str = "containerd-shim-wasmtime";

/// Serves the component `wasm` until SIGTERM or SIGINT; the exit code.
pub async fn serve(ctx: &impl RuntimeContext, engine: Engine, wasm: &[u8]) -> Result<i32> {
    let settings = Settings::from_env(ctx.envs())?;
    // Before compiling, which takes a while: PID 1 without a handler loses a SIGTERM,
    // while this one is kept and stops the server as soon as it is up.
    let stop = wasmlab_serve_http::stop_signal()?;
    let component: Component = crate::engine::load(&engine, wasm)?;
    let pre = wasmlab_serve_http::pre_instantiate(&engine, &component)?;
    let listener =
        wasmlab_serve_http::listen(settings.addr, settings.backlog).with_context(|| {
            format!(
                "cannot listen on {}; set {HTTP_PROXY_ADDR_ENV} to a free address",
                settings.addr
            )
        })?;
    eprintln!(
        "{NAME}: serving wasi:http on http://{}",
        listener.local_addr()?
    );
    let options = settings.options(ctx.args().to_vec());
    wasmlab_serve_http::serve(listener, pre, options, stop).await?;
    Ok(0)
}

/// The server's settings, from the container's environment.
#[derive(Debug, PartialEq)]
pub struct Settings {
    pub addr: SocketAddr,
    pub backlog: u32,
    pub timeout: Duration,
    pub reuse: usize,
    pub at_once: usize,
    /// The rest of the environment, which the guest sees, in order.
    pub guest_env: Vec<(String, String)>,
}

impl Settings {
    /// Reads and removes the server's variables from `envs` (`KEY=VALUE` strings); a
    /// malformed value is an error naming the variable, not a silent default.
    pub fn from_env(envs: &[String]) -> Result<Self> {
        let (mut addr, mut backlog, mut backlog_alias, mut timeout, mut reuse, mut at_once) =
            (None, None, None, None, None, None);
        let mut guest_env = Vec::new();
        for (key, value) in split_envs(envs) {
            let slot = match key {
                HTTP_PROXY_ADDR_ENV => &mut addr,
                _ if key == HTTP_BACKLOG_ENVS[0] => &mut backlog,
                _ if key == HTTP_BACKLOG_ENVS[1] => &mut backlog_alias,
                REQUEST_TIMEOUT_ENV => &mut timeout,
                INSTANCE_REUSE_ENV => &mut reuse,
                INSTANCE_AT_ONCE_ENV => &mut at_once,
                _ => {
                    guest_env.push((key.to_owned(), value.to_owned()));
                    continue;
                }
            };
            *slot = Some((key, value));
        }
        let addr = match addr {
            Some((key, value)) => value
                .parse()
                .ok()
                .with_context(|| format!("{key}={value:?} is not an address like 0.0.0.0:8080"))?,
            None => DEFAULT_HTTP_PROXY_ADDR.parse()?,
        };
        let backlog = match backlog.or(backlog_alias) {
            Some((key, value)) => value
                .parse()
                .ok()
                .with_context(|| format!("{key}={value:?} is not a number of connections"))?,
            None => DEFAULT_BACKLOG,
        };
        let timeout = match timeout {
            Some((key, value)) => value
                .parse::<f64>()
                .ok()
                .filter(|secs| *secs > 0.0)
                .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
                .with_context(|| {
                    format!("{key}={value:?} is not a number of seconds above 0, like 5 or 0.5")
                })?,
            None => Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECS),
        };
        let requests = |setting: Option<(&str, &str)>| match setting {
            Some((key, value)) => {
                value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .with_context(|| {
                        format!("{key}={value:?} is not a number of requests of 1 or more")
                    })
            }
            None => Ok(1),
        };
        Ok(Self {
            addr,
            backlog,
            timeout,
            reuse: requests(reuse)?,
            at_once: requests(at_once)?,
            guest_env,
        })
    }

    /// How the server serves, for a guest started with `args`.
    fn options(self, args: Vec<String>) -> wasmlab_serve_http::Options {
        wasmlab_serve_http::Options {
            timeout: self.timeout,
            reuse: self.reuse,
            at_once: self.at_once,
            args,
            env: self.guest_env,
            grace: GRACE,
            name: NAME,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_when_the_environment_says_nothing() {
        let settings = Settings::from_env(&envs(&["PATH=/bin", "EMPTY"])).unwrap();
        assert_eq!(
            settings,
            Settings {
                addr: "0.0.0.0:8080".parse().unwrap(),
                backlog: 100,
                timeout: Duration::from_secs(5),
                reuse: 1,
                at_once: 1,
                guest_env: pairs(&[("PATH", "/bin"), ("EMPTY", "")]),
            }
        );
    }

    #[test]
    fn the_servers_variables_are_read_and_hidden_from_the_guest() {
        let settings = Settings::from_env(&envs(&[
            "A=1",
            "WASMTIME_HTTP_PROXY_SOCKET_ADDR=127.0.0.1:9000",
            "WASMTIME_HTTP_PROXY_BACKLOG=7",
            "WASMLAB_REQUEST_TIMEOUT=0.25",
            "WASMLAB_HTTP_INSTANCE_REUSE=64",
            "WASMLAB_HTTP_INSTANCE_AT_ONCE=8",
            "B=2=3",
        ]))
        .unwrap();
        assert_eq!(settings.reuse, 64);
        assert_eq!(settings.at_once, 8);
        assert_eq!(settings.addr, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(settings.backlog, 7);
        assert_eq!(settings.timeout, Duration::from_millis(250));
        assert_eq!(settings.guest_env, pairs(&[("A", "1"), ("B", "2=3")]));

        let v6 = Settings::from_env(&envs(&["WASMTIME_HTTP_PROXY_SOCKET_ADDR=[::1]:80"])).unwrap();
        assert_eq!(v6.addr, "[::1]:80".parse().unwrap());
    }

    #[test]
    fn both_backlog_names_are_read_and_runwasis_own_wins() {
        for (env, backlog) in [
            (&["WASMTIME_HTTP_BACKLOG=5"][..], 5),
            (&["WASMTIME_HTTP_PROXY_BACKLOG=6"], 6),
            (
                &["WASMTIME_HTTP_PROXY_BACKLOG=6", "WASMTIME_HTTP_BACKLOG=5"],
                5,
            ),
            (
                &["WASMTIME_HTTP_BACKLOG=5", "WASMTIME_HTTP_PROXY_BACKLOG=6"],
                5,
            ),
        ] {
            let settings = Settings::from_env(&envs(env)).unwrap();
            assert_eq!(settings.backlog, backlog, "{env:?}");
            assert!(settings.guest_env.is_empty(), "{env:?}");
        }
    }

    #[test]
    fn malformed_values_are_errors_naming_the_variable() {
        for bad in [
            "WASMTIME_HTTP_PROXY_SOCKET_ADDR=localhost:8080",
            "WASMTIME_HTTP_PROXY_SOCKET_ADDR=8080",
            "WASMTIME_HTTP_BACKLOG=-1",
            "WASMTIME_HTTP_PROXY_BACKLOG=many",
            "WASMLAB_REQUEST_TIMEOUT=0",
            "WASMLAB_REQUEST_TIMEOUT=5s",
            "WASMLAB_REQUEST_TIMEOUT=inf",
            "WASMLAB_REQUEST_TIMEOUT=NaN",
            "WASMLAB_HTTP_INSTANCE_REUSE=0",
            "WASMLAB_HTTP_INSTANCE_REUSE=all",
            "WASMLAB_HTTP_INSTANCE_AT_ONCE=0",
        ] {
            let err = format!("{:#}", Settings::from_env(&envs(&[bad])).unwrap_err());
            let (name, _) = bad.split_once('=').unwrap();
            assert!(err.starts_with(name), "{bad}: {err}");
        }
    }
}

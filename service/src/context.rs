//! Which of its three contexts the program runs in, decided from the environment alone.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Default port of the HTTP server.
pub const DEFAULT_PORT: u16 = 8080;
/// Default address it listens on: every interface, as a server in a container must.
pub const DEFAULT_HOST: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
    /// `MODE=once`: print one JSON line and exit.
    Once,
    /// A CGI-style host (WAGI under Spin) set `REQUEST_METHOD`: answer `path` on stdout.
    Wagi { method: String, path: String },
    /// Anything else: serve HTTP on `addr` (`HOST`, default every interface, and `PORT`).
    Server { addr: SocketAddr },
}

impl Context {
    /// The context of this process.
    pub fn from_env() -> Result<Self, String> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The context given a lookup of environment variables. `MODE=once` wins over a WAGI
    /// environment so that a CLI run is never mistaken for a request.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        if var("MODE").as_deref() == Some("once") {
            return Ok(Self::Once);
        }
        if let Some(method) = var("REQUEST_METHOD").filter(|m| !m.is_empty()) {
            let path = var("PATH_INFO")
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "/".to_owned());
            return Ok(Self::Wagi { method, path });
        }
        let port = match var("PORT") {
            None => DEFAULT_PORT,
            Some(text) => text.trim().parse().map_err(|_| {
                format!("PORT={text:?} is not a port number; set PORT to a number from 0 to 65535")
            })?,
        };
        let host = match var("HOST") {
            None => DEFAULT_HOST,
            Some(text) => text.trim().parse().map_err(|_| {
                format!("HOST={text:?} is not an IP address; set HOST to one, such as 127.0.0.1")
            })?,
        };
        Ok(Self::Server {
            addr: SocketAddr::new(host, port),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn context(vars: &[(&str, &str)]) -> Result<Context, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Context::from_vars(|name| map.get(name).cloned())
    }

    #[test]
    fn mode_once_wins() {
        let got = context(&[("MODE", "once"), ("REQUEST_METHOD", "GET")]);
        assert_eq!(got, Ok(Context::Once));
    }

    #[test]
    fn request_method_means_wagi_and_empty_path_is_root() {
        let got = context(&[("REQUEST_METHOD", "GET"), ("PATH_INFO", "")]);
        assert_eq!(
            got,
            Ok(Context::Wagi {
                method: "GET".into(),
                path: "/".into()
            })
        );
    }

    #[test]
    fn server_by_default_on_every_interface_at_8080_or_host_and_port() {
        let at = |addr: &str| {
            Ok(Context::Server {
                addr: addr.parse().unwrap(),
            })
        };
        assert_eq!(context(&[]), at("0.0.0.0:8080"));
        assert_eq!(context(&[("PORT", "9000")]), at("0.0.0.0:9000"));
        assert_eq!(
            context(&[("HOST", "127.0.0.1"), ("PORT", "9000")]),
            at("127.0.0.1:9000")
        );
        assert_eq!(context(&[("HOST", "::1")]), at("[::1]:8080"));
        let err = context(&[("PORT", "eighty")]).unwrap_err();
        assert!(err.contains("PORT"), "{err}");
        let err = context(&[("HOST", "localhost")]).unwrap_err();
        assert!(err.contains("HOST"), "{err}");
    }
}

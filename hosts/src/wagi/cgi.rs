//! The CGI contract of WAGI: the request becomes environment variables and arguments for a
//! fresh instance, and what the instance prints on stdout becomes the response. Variable
//! names and values follow RFC 3875 as Spin's WAGI executor fills them, so a module sees
//! the same environment under this host as under `spin up`.

use super::manifest::Route;
use axum::http::{request::Parts, HeaderName, HeaderValue, StatusCode};
use std::net::SocketAddr;

/// What Spin reports as the server software, so a guest cannot tell the hosts apart.
const SERVER_SOFTWARE: &str = "WAGI/1";

/// Where the request came in, for the `SERVER_*` and `REMOTE_*` variables.
#[derive(Debug, Clone, Copy)]
pub struct Peers {
    pub client: SocketAddr,
    pub local: SocketAddr,
}

/// The CGI environment of one request to `route`.
pub fn environment(
    parts: &Parts,
    body_len: usize,
    route: &Route,
    peers: Peers,
) -> Vec<(String, String)> {
    let (server_name, server_port) = host_and_port(parts, peers.local);
    let raw_path_info = parts
        .uri
        .path()
        .strip_prefix(route.script_name())
        .unwrap_or_default()
        .to_owned();
    let path_info = percent_encoding::percent_decode_str(&raw_path_info)
        .decode_utf8_lossy()
        .into_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let content_type = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let client = peers.client.ip().to_string();
    let mut env: Vec<(String, String)> = [
        ("AUTH_TYPE", String::new()),
        ("CONTENT_LENGTH", body_len.to_string()),
        ("CONTENT_TYPE", content_type),
        ("GATEWAY_INTERFACE", "CGI/1.1".to_owned()),
        ("PATH_INFO", path_info.clone()),
        ("PATH_TRANSLATED", path_info),
        ("QUERY_STRING", query),
        ("REMOTE_ADDR", client.clone()),
        ("REMOTE_HOST", client),
        ("REMOTE_USER", String::new()),
        ("REQUEST_METHOD", parts.method.as_str().to_owned()),
        ("SCRIPT_NAME", route.script_name().to_owned()),
        ("SERVER_NAME", server_name.clone()),
        ("SERVER_PORT", server_port.clone()),
        ("SERVER_PROTOCOL", format!("{:?}", parts.version)),
        ("SERVER_SOFTWARE", SERVER_SOFTWARE.to_owned()),
        (
            "X_FULL_URL",
            format!("http://{server_name}:{server_port}{path_and_query}"),
        ),
        ("X_MATCHED_ROUTE", route.pattern.clone()),
        ("X_RAW_PATH_INFO", raw_path_info),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (name, value) in &parts.headers {
        // RFC 3875 4.1.18: credentials and hop-by-hop fields are not passed on.
        if matches!(
            name.as_str(),
            "authorization" | "proxy-authorization" | "connection"
        ) {
            continue;
        }
        let key = format!(
            "HTTP_{}",
            name.as_str().to_ascii_uppercase().replace('-', "_")
        );
        env.push((key, String::from_utf8_lossy(value.as_bytes()).into_owned()));
    }
    env
}

/// Whether `path` holds a control character (NUL, CR, LF, DEL, ...) once percent-decoded:
/// as `PATH_INFO` it would be cut short or split where the guest reads its environment.
pub fn has_control_character(path: &str) -> bool {
    percent_encoding::percent_decode_str(path).any(|b| b.is_ascii_control())
}

/// The instance's arguments: `argv` with `${SCRIPT_NAME}` and `${ARGS}` (the query's
/// `&`-separated words) filled in, split on spaces, as Spin does.
pub fn arguments(argv: &str, script_name: &str, query: Option<&str>) -> Vec<String> {
    let args = query.unwrap_or_default().replace('&', " ");
    argv.replace("${SCRIPT_NAME}", script_name)
        .replace("${ARGS}", &args)
        .split(' ')
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The server name and port from the Host header, else the address the request came in on.
fn host_and_port(parts: &Parts, local: SocketAddr) -> (String, String) {
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !name.is_empty() && port.parse::<u16>().is_ok() => (name, port),
        _ => (host, ""),
    };
    let name = if name.is_empty() {
        local.ip().to_string()
    } else {
        name.to_owned()
    };
    let port = if port.is_empty() {
        local.port().to_string()
    } else {
        port.to_owned()
    };
    (name, port)
}

/// A response as the guest wrote it in CGI form.
#[derive(Debug, Clone, PartialEq)]
pub struct CgiResponse {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Vec<u8>,
}

/// Parses the guest's stdout: header lines (`\n` or `\r\n`), a blank line, the body.
/// `Status: CODE reason` sets the status; a `Location` without one means 302 (RFC 3875
/// 6.3.2); a response must carry at least one of `Content-Type`, `Status`, `Location`.
pub fn parse_response(stdout: &[u8]) -> Result<CgiResponse, String> {
    if stdout.is_empty() {
        return Err(
            "the component wrote nothing to stdout; is it a WAGI (CGI) program?".to_owned(),
        );
    }
    let mut status = None;
    let mut location = false;
    let mut content_type = false;
    let mut headers = Vec::new();
    let mut rest = stdout;
    loop {
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            return Err("no blank line after the headers".to_owned());
        };
        let line = &rest[..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        rest = &rest[end + 1..];
        if line.is_empty() {
            break;
        }
        let text =
            std::str::from_utf8(line).map_err(|_| format!("header line is not UTF-8: {line:?}"))?;
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| format!("not a header line: {text:?}"))?;
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().unwrap_or_default();
            status = Some(
                // HTTP's codes are 100 to 599; the http crate would take up to 999.
                code.parse::<u16>()
                    .ok()
                    .filter(|c| (100..=599).contains(c))
                    .and_then(|c| StatusCode::from_u16(c).ok())
                    .ok_or_else(|| format!("bad Status header: {value:?}"))?,
            );
            continue;
        }
        location |= name.eq_ignore_ascii_case("location");
        content_type |= name.eq_ignore_ascii_case("content-type");
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("bad header name: {name:?}"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("bad value of header {name}: {value:?}"))?;
        headers.push((name, value));
    }
    let status = match (status, location, content_type) {
        (Some(status), _, _) => status,
        (None, true, _) => StatusCode::FOUND,
        (None, false, true) => StatusCode::OK,
        (None, false, false) => {
            return Err("the headers have none of Content-Type, Status or Location".to_owned())
        }
    };
    Ok(CgiResponse {
        status,
        headers,
        body: rest.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wagi::manifest::{Matcher, Route};
    use axum::http::Request;

    fn route(pattern: &str, matcher: Matcher) -> Route {
        Route {
            pattern: pattern.into(),
            matcher,
            component: 0,
        }
    }

    fn env_of(uri: &str, route: &Route) -> std::collections::HashMap<String, String> {
        let (parts, ()) = Request::get(uri)
            .header("Host", "example.test:3000")
            .header("X-Trace-Id", "abc")
            .header("Authorization", "secret")
            .header("Content-Type", "text/plain")
            .body(())
            .unwrap()
            .into_parts();
        let peers = Peers {
            client: "10.0.0.7:5555".parse().unwrap(),
            local: "127.0.0.1:3000".parse().unwrap(),
        };
        environment(&parts, 5, route, peers).into_iter().collect()
    }

    #[test]
    fn request_becomes_the_cgi_environment() {
        let all = route("/...", Matcher::Prefix(String::new()));
        let env = env_of("/api/t%20ime?a=1&b=2", &all);
        assert_eq!(env["REQUEST_METHOD"], "GET");
        assert_eq!(env["PATH_INFO"], "/api/t ime");
        assert_eq!(env["X_RAW_PATH_INFO"], "/api/t%20ime");
        assert_eq!(env["QUERY_STRING"], "a=1&b=2");
        assert_eq!(env["SCRIPT_NAME"], "");
        assert_eq!(env["SERVER_NAME"], "example.test");
        assert_eq!(env["SERVER_PORT"], "3000");
        assert_eq!(env["SERVER_PROTOCOL"], "HTTP/1.1");
        assert_eq!(env["REMOTE_ADDR"], "10.0.0.7");
        assert_eq!(env["CONTENT_LENGTH"], "5");
        assert_eq!(env["CONTENT_TYPE"], "text/plain");
        assert_eq!(env["HTTP_X_TRACE_ID"], "abc");
        assert_eq!(env["X_MATCHED_ROUTE"], "/...");
        assert_eq!(
            env["X_FULL_URL"],
            "http://example.test:3000/api/t%20ime?a=1&b=2"
        );
        assert!(!env.contains_key("HTTP_AUTHORIZATION"));
    }

    #[test]
    fn a_prefix_route_is_the_script_name_and_the_rest_the_path_info() {
        let api = route("/api/...", Matcher::Prefix("/api".into()));
        let env = env_of("/api/time", &api);
        assert_eq!(env["SCRIPT_NAME"], "/api");
        assert_eq!(env["PATH_INFO"], "/time");
    }

    #[test]
    fn control_characters_are_found_after_decoding() {
        for bad in ["/api/time%00junk", "/a%0d%0aSet-Cookie:x", "/%7f", "/%1F"] {
            assert!(has_control_character(bad), "{bad}");
        }
        for good in ["/api/time", "/t%20ime", "/caf%C3%A9", "/%25", "/%zz"] {
            assert!(!has_control_character(good), "{good}");
        }
    }

    #[test]
    fn arguments_fill_the_placeholders() {
        assert_eq!(
            arguments("${SCRIPT_NAME} ${ARGS}", "/api", Some("a=1&b")),
            ["/api", "a=1", "b"]
        );
        assert_eq!(
            arguments("${SCRIPT_NAME} ${ARGS}", "", None),
            Vec::<String>::new()
        );
    }

    #[test]
    fn stdout_becomes_status_headers_and_body() {
        let r = parse_response(b"Content-Type: text/plain\r\nStatus: 404 Not Found\r\n\r\nno\n")
            .unwrap();
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.headers.len(), 1);
        assert_eq!(r.body, b"no\n");
        let r = parse_response(b"Content-Type: application/json\n\n{}").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (StatusCode::OK, &b"{}"[..]));
        let r = parse_response(b"Location: /elsewhere\n\n").unwrap();
        assert_eq!(r.status, StatusCode::FOUND);
    }

    #[test]
    fn output_that_is_not_cgi_is_an_error_saying_why() {
        for (out, why) in [
            (&b""[..], "nothing to stdout"),
            (b"Content-Type: text/plain", "no blank line"),
            (b"hello world\n\n", "not a header line"),
            (b"Status: abc\n\n", "bad Status"),
            (b"Status: 999 Nine\n\n", "bad Status"),
            (b"Status: 99\n\n", "bad Status"),
            (b"X-Only: 1\n\n", "none of Content-Type"),
        ] {
            let e = parse_response(out).unwrap_err();
            assert!(e.contains(why), "{e:?} should say {why:?}");
        }
    }
}

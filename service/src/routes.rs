//! The service's routes, shared by the WAGI handler and the HTTP server so both answer alike.

use crate::MoscowTime;

/// Methods every route accepts.
pub const ALLOWED_METHODS: &str = "GET, HEAD";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    NotFound,
    MethodNotAllowed,
}

impl Status {
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::NotFound => "Not Found",
            Status::MethodNotAllowed => "Method Not Allowed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: Status,
    pub content_type: &'static str,
    pub body: String,
}

impl Response {
    /// What a wasi:http writer sends for `method`: the headers and the body. HEAD gets the
    /// headers alone and announces no length: the host checks a Content-Length against
    /// the bytes sent, and HEAD sends none.
    pub fn for_wasi_http(self, method: &str) -> (Vec<(&'static str, String)>, Option<String>) {
        let mut headers = vec![("content-type", self.content_type.to_owned())];
        if self.status == Status::MethodNotAllowed {
            headers.push(("allow", ALLOWED_METHODS.to_owned()));
        }
        if method == "HEAD" {
            return (headers, None);
        }
        headers.push(("content-length", self.body.len().to_string()));
        (headers, Some(self.body))
    }
}

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";
const TEXT: &str = "text/plain; charset=utf-8";

/// The response to `method path` at instant `now`. HEAD gets the GET response; writers
/// leave its body out.
pub fn respond(method: &str, path: &str, now: MoscowTime) -> Response {
    if method != "GET" && method != "HEAD" {
        return Response {
            status: Status::MethodNotAllowed,
            content_type: TEXT,
            body: format!("method {method} not allowed; use {ALLOWED_METHODS}\n"),
        };
    }
    match path {
        "/" => Response {
            status: Status::Ok,
            content_type: HTML,
            body: page(now),
        },
        "/api/time" => Response {
            status: Status::Ok,
            content_type: JSON,
            body: now.to_json(),
        },
        _ => Response {
            status: Status::NotFound,
            content_type: TEXT,
            body: "not found; try / or /api/time\n".to_owned(),
        },
    }
}

fn page(now: MoscowTime) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Moscow Time</title></head>\n<body><h1>Current time in Moscow</h1>\
         <p id=\"time\">{}</p><p><a href=\"/api/time\">as JSON</a></p></body></html>\n",
        now.formatted()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: MoscowTime = MoscowTime::from_unix(0);

    #[test]
    fn root_is_an_html_page_with_the_time() {
        let r = respond("GET", "/", NOW);
        assert_eq!(r.status, Status::Ok);
        assert!(r.content_type.starts_with("text/html"));
        assert!(r.body.contains("1970-01-01 03:00:00 MSK"));
    }

    #[test]
    fn api_time_is_the_json() {
        let r = respond("HEAD", "/api/time", NOW);
        assert_eq!(r.status, Status::Ok);
        assert_eq!(r.body, NOW.to_json());
    }

    #[test]
    fn unknown_path_is_404_and_post_is_405() {
        assert_eq!(respond("GET", "/nope", NOW).status, Status::NotFound);
        assert_eq!(respond("POST", "/", NOW).status, Status::MethodNotAllowed);
    }

    #[test]
    fn a_wasi_http_writer_sends_the_length_unless_head_and_allow_on_405() {
        let (headers, body) = respond("GET", "/api/time", NOW).for_wasi_http("GET");
        let body = body.unwrap();
        assert!(headers.contains(&("content-length", body.len().to_string())));
        let (headers, body) = respond("HEAD", "/api/time", NOW).for_wasi_http("HEAD");
        assert_eq!((headers.len(), body), (1, None));
        let (headers, _) = respond("POST", "/", NOW).for_wasi_http("POST");
        assert!(headers.contains(&("allow", ALLOWED_METHODS.to_owned())));
    }
}

//! The WAGI (CGI) side: the response as headers, a blank line and the body, on stdout.

use crate::routes::{Response, Status, ALLOWED_METHODS};
use std::io::{self, Write};

/// Writes `response` to a request made with `method` in CGI form. The `Status:` header is
/// always present so a host never has to guess; HEAD gets the headers alone.
pub fn write_response(out: &mut impl Write, method: &str, response: &Response) -> io::Result<()> {
    write!(
        out,
        "Content-Type: {}\nStatus: {} {}\n",
        response.content_type,
        response.status.code(),
        response.status.reason()
    )?;
    if response.status == Status::MethodNotAllowed {
        writeln!(out, "Allow: {ALLOWED_METHODS}")?;
    }
    out.write_all(b"\n")?;
    if method != "HEAD" {
        out.write_all(response.body.as_bytes())?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{respond, MoscowTime};

    fn cgi(method: &str, path: &str) -> String {
        let mut out = Vec::new();
        let response = respond(method, path, MoscowTime::from_unix(0));
        write_response(&mut out, method, &response).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn not_found_has_a_status_header() {
        let text = cgi("GET", "/missing");
        assert!(text.starts_with("Content-Type: text/plain"), "{text}");
        assert!(text.contains("\nStatus: 404 Not Found\n\n"), "{text}");
    }

    #[test]
    fn head_has_no_body_and_405_says_what_is_allowed() {
        assert!(cgi("HEAD", "/api/time").ends_with("Status: 200 OK\n\n"));
        assert!(cgi("DELETE", "/").contains("Allow: GET, HEAD\n"));
    }
}

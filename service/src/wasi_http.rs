//! The routes as a WASI 0.2 `wasi:http` handler (built for `wasm32-wasip2` only): the same
//! `respond` as the native server and the WAGI writer, so every context answers alike.

use crate::{respond, MoscowTime, Status};
use wstd::http::{Body, Error, Request, Response};

/// The response to `request`, with `Content-Length` set so the host need not chunk it.
pub fn handle(request: &Request<Body>) -> Result<Response<Body>, Error> {
    let method = request.method().as_str();
    let reply = respond(method, request.uri().path(), MoscowTime::now());
    let mut builder = Response::builder()
        .status(reply.status.code())
        .header("content-type", reply.content_type);
    if reply.status == Status::MethodNotAllowed {
        builder = builder.header("allow", crate::routes::ALLOWED_METHODS);
    }
    // The host checks a Content-Length against the bytes sent, so HEAD, which sends none,
    // announces none.
    if method == "HEAD" {
        return Ok(builder.body(Body::empty())?);
    }
    let length = reply.body.len();
    Ok(builder
        .header("content-length", length)
        .body(Body::from(reply.body))?)
}

//! The routes as a WASI 0.2 `wasi:http` handler (built for `wasm32-wasip2` only): the same
//! `respond` as the native server and the WAGI writer, so every context answers alike.

use crate::{respond, MoscowTime};
use wstd::http::{Body, Error, Request, Response};

/// The response to `request`, with `Content-Length` set so the host need not chunk it.
pub fn handle(request: &Request<Body>) -> Result<Response<Body>, Error> {
    let method = request.method().as_str();
    let reply = respond(method, request.uri().path(), MoscowTime::now());
    let mut builder = Response::builder().status(reply.status.code());
    let (headers, body) = reply.for_wasi_http(method);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    Ok(builder.body(body.map_or_else(Body::empty, Body::from))?)
}

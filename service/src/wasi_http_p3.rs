//! The routes as a WASI 0.3 `wasi:http` service (`wasm32-wasip2` with the `wasi-http-p3`
//! feature): the same `respond` as every other context. A 0.3 handler is an async export,
//! so its host may run several requests in one instance at once; the service keeps no
//! state between requests, so sharing an instance changes nothing it answers.

use crate::{respond, MoscowTime, Status};
use wasip3::http::types::{ErrorCode, Fields, Method, Request, Response};
use wasip3::{wit_bindgen, wit_future, wit_stream};

/// The exported handler (see `main.rs`, which exports it).
pub struct Service;

impl wasip3::exports::http::handler::Guest for Service {
    async fn handle(request: Request) -> Result<Response, ErrorCode> {
        let method = method_name(request.get_method());
        let target = request.get_path_with_query().unwrap_or_default();
        let path = target.split('?').next().unwrap_or_default();
        let reply = respond(&method, path, MoscowTime::now());
        let status = reply.status;
        let (headers, body) = reply.for_wasi_http(&method);
        let headers: Vec<(String, Vec<u8>)> = headers
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.into_bytes()))
            .collect();
        let headers = Fields::from_list(&headers)
            .map_err(|e| ErrorCode::InternalError(Some(format!("{e:?}"))))?;
        let (trailers_tx, trailers) = wit_future::new(|| Ok(None));
        drop(trailers_tx);
        let Some(body) = body else {
            let (response, _sent) = Response::new(headers, None, trailers);
            return set_status(response, status);
        };
        let (mut writer, contents) = wit_stream::new();
        let (response, _sent) = Response::new(headers, Some(contents), trailers);
        // The host reads the body once it has the response, so it is written after the
        // handler returns, by a task of the instance's own.
        wit_bindgen::spawn_local(async move {
            writer.write_all(body.into_bytes()).await;
        });
        set_status(response, status)
    }
}

fn set_status(response: Response, status: Status) -> Result<Response, ErrorCode> {
    response
        .set_status_code(status.code())
        .map_err(|()| ErrorCode::InternalError(Some("invalid status code".to_owned())))?;
    Ok(response)
}

fn method_name(method: Method) -> String {
    match method {
        Method::Get => "GET".to_owned(),
        Method::Head => "HEAD".to_owned(),
        Method::Post => "POST".to_owned(),
        Method::Put => "PUT".to_owned(),
        Method::Delete => "DELETE".to_owned(),
        Method::Connect => "CONNECT".to_owned(),
        Method::Options => "OPTIONS".to_owned(),
        Method::Trace => "TRACE".to_owned(),
        Method::Patch => "PATCH".to_owned(),
        Method::Other(other) => other,
    }
}

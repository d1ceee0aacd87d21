//! The `wasi:http/incoming-handler` export: converts the incoming request to an
//! [`http::Request`], answers it with [`front::handle`] (PagerDuty reached through
//! `wasi:http/outgoing-handler`, [`WasiHttp`]) and writes the response back.

use std::sync::Arc;

use bytes::Bytes;
use pagerduty_tools::http::WasiHttp;

use crate::front::{self, Settings};

mod bindings {
    wit_bindgen::generate!({ path: "../../wit", world: "http-server", generate_all });
}

use bindings::exports::wasi::http::incoming_handler::Guest;
use bindings::wasi::http::types::{
    Fields, IncomingBody, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use bindings::wasi::io::streams::StreamError;

/// The most body bytes read: one more than the server accepts
/// ([`crate::stateless::MAX_BODY_BYTES`]), so that it answers an oversized body
/// with its 413.
const MAX_BODY_BYTES: usize = crate::stateless::MAX_BODY_BYTES + 1;

/// How much is read or written at once (`blocking-write-and-flush` takes at most
/// 4096 bytes).
const CHUNK: usize = 4096;

struct Component;

impl Guest for Component {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let response = match read(request) {
            Ok(request) => front::handle(request, &Settings::from_env(), Arc::new(WasiHttp)),
            Err(why) => {
                let mut response = http::Response::new(Bytes::from(format!("Bad Request: {why}")));
                *response.status_mut() = http::StatusCode::BAD_REQUEST;
                response
            }
        };
        write(response, response_out);
    }
}

bindings::export!(Component with_types_in bindings);

/// The incoming request with its whole body (at most [`MAX_BODY_BYTES`]).
fn read(request: IncomingRequest) -> Result<http::Request<Bytes>, String> {
    let method = match request.method() {
        Method::Get => http::Method::GET,
        Method::Head => http::Method::HEAD,
        Method::Post => http::Method::POST,
        Method::Put => http::Method::PUT,
        Method::Delete => http::Method::DELETE,
        Method::Connect => http::Method::CONNECT,
        Method::Options => http::Method::OPTIONS,
        Method::Trace => http::Method::TRACE,
        Method::Patch => http::Method::PATCH,
        Method::Other(other) => http::Method::from_bytes(other.as_bytes())
            .map_err(|_| format!("invalid method {other:?}"))?,
    };
    let path = request.path_with_query().unwrap_or_else(|| "/".to_owned());
    let uri = match request.authority() {
        Some(authority) => format!("http://{authority}{path}"),
        None => path,
    };
    let mut builder = http::Request::builder().method(method).uri(uri);
    {
        let headers = request.headers();
        for (name, value) in headers.entries() {
            builder = builder.header(name, value);
        }
    }
    let body = request
        .consume()
        .map_err(|()| "the request body was already consumed".to_owned())?;
    let bytes = read_body(&body)?;
    drop(IncomingBody::finish(body));
    builder
        .body(Bytes::from(bytes))
        .map_err(|e| format!("invalid request: {e}"))
}

fn read_body(body: &IncomingBody) -> Result<Vec<u8>, String> {
    let stream = body
        .stream()
        .map_err(|()| "the request body stream was already taken".to_owned())?;
    let mut bytes = Vec::new();
    while bytes.len() < MAX_BODY_BYTES {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(format!(
                    "reading the request body failed: {}",
                    e.to_debug_string()
                ));
            }
        }
    }
    bytes.truncate(MAX_BODY_BYTES);
    Ok(bytes)
}

/// Sends `response` through `out`. A client that went away cannot be told
/// anything, so write errors end the response silently.
fn write(response: http::Response<Bytes>, out: ResponseOutparam) {
    let headers = Fields::new();
    for (name, value) in response.headers() {
        let _ = headers.append(name.as_str(), value.as_bytes());
    }
    let outgoing = OutgoingResponse::new(headers);
    let _ = outgoing.set_status_code(response.status().as_u16());
    let Ok(body) = outgoing.body() else {
        return;
    };
    ResponseOutparam::set(out, Ok(outgoing));
    if let Ok(stream) = body.write() {
        for chunk in response.body().chunks(CHUNK) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                break;
            }
        }
    }
    let _ = OutgoingBody::finish(body, None);
}

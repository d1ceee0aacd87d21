//! Request recording and fault injection (the outermost middleware).
//!
//! Every request is recorded with what the fake answered, including requests
//! answered by an injected [`crate::Fault`] and requests rejected for
//! authentication; the log keeps the last [`crate::Options::request_log_capacity`]
//! requests ([`crate::AppState::record`]). Each request is also logged at `info` level (the binary
//! prints these to stderr).

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::RecordedRequest;
use crate::query::parse_pairs;
use crate::state::{AppState, FaultAction};

/// Large enough for the oversized answers reliability tests inject (PagerDuty itself has no such cap).
const BODY_LIMIT: usize = 256 * 1024 * 1024;

/// Records the request and the answer; applies an injected fault first.
pub async fn record(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
    let method = parts.method.to_string();
    let path = parts.uri.path().to_string();
    let query = parse_pairs(parts.uri.query().unwrap_or(""));
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body_text = if bytes.is_empty() {
        None
    } else {
        Some(String::from_utf8_lossy(&bytes).into_owned())
    };

    let response = match state.take_fault() {
        Some(FaultAction::Respond {
            status,
            body,
            headers,
        }) => fault_response(status, body, &headers),
        Some(FaultAction::Delay(millis)) => {
            tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        None => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    };

    let (response_parts, response_body) = response.into_parts();
    let response_bytes = to_bytes(response_body, BODY_LIMIT)
        .await
        .unwrap_or_default();
    let status = response_parts.status.as_u16();
    tracing::info!(
        target: "fake_pagerduty",
        "{method} {path}{}{} -> {status} ({} bytes, {} ms)",
        if query.is_empty() { "" } else { "?" },
        query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"),
        response_bytes.len(),
        started.elapsed().as_millis()
    );
    state.record(RecordedRequest {
        method,
        path,
        query,
        headers,
        body: body_text,
        status,
        response_body: String::from_utf8_lossy(&response_bytes).into_owned(),
    });
    Response::from_parts(response_parts, Body::from(response_bytes))
}

fn fault_response(status: u16, body: String, headers: &[(String, String)]) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body).into_response();
    let has_content_type = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
    if !has_content_type {
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    for (k, v) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(k.as_str()),
            HeaderValue::try_from(v.as_str()),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

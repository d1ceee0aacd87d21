//! The checks of a JSON-RPC POST to `/mcp` before rmcp handles it (an axum
//! middleware behind authentication).
//!
//! [`check_request`] reads the body itself, with the limit rmcp applies
//! ([`MAX_BODY_BYTES`], 413 past it) and a deadline ([`BODY_TIMEOUT`], 408
//! past it), and looks at it ([`crate::jsonrpc::check`]):
//!
//! * A body that cannot be read (a broken chunked encoding, say): **400**, with
//!   a JSON-RPC parse error (rmcp would answer 500).
//! * A body that is not a valid JSON-RPC message (not JSON, a batch, no
//!   `"jsonrpc": "2.0"`, ...): rmcp still sees it first, so that its own
//!   refusals keep their precedence (403 for a foreign `Host` or `Origin`, 406,
//!   415 for another content type); its plain-text 415 for the body itself
//!   becomes **400** with the JSON-RPC error (-32700 or -32600), carrying the
//!   request's `id` when it could be read.
//! * An `initialize` whose params do not fit it: rmcp's plain-text 400 becomes
//!   **400** with the JSON-RPC error -32602 and the request's id.
//! * A request in a legacy session with the `id` of a request of that session
//!   still in flight: answered at once with the JSON-RPC error -32600 (HTTP 200,
//!   as rmcp answers JSON-RPC errors in sessions) instead of reaching rmcp,
//!   which would leave one of the two unanswered. A request's flight ends when
//!   its response ends (or the client leaves), or with `notifications/cancelled`.
//! * An `initialize` past a session cap is answered **503** (the server is
//!   full) or **429** (this client has too many sessions) with `Retry-After`
//!   and a JSON-RPC error saying the limit and what to do. Every request
//!   without a session runs inside [`crate::http_sessions::admit`], so that a
//!   session rmcp creates for it counts for its client, and one refused in a
//!   race with another `initialize` is answered the same way.
//!
//! Everything else, and every request that is not a JSON POST, passes through
//! unchanged.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use http::header::{CONNECTION, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use rmcp::model::RequestId;
use rmcp::transport::streamable_http_server::SessionId;
use serde_json::Value;

use crate::http_sessions::{self, ClientKey, Refusal, SESSION_LIMIT_ERROR, Sessions};
use crate::jsonrpc::{self, ErrorAnswer, InFlight, Message};

/// The largest request body read (rmcp's own limit, 4 MiB).
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// How long a client may take to send a request's body once its headers are
/// in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The state of [`check_request`].
#[derive(Debug)]
pub struct Checker {
    sessions: Arc<Sessions>,
    /// The requests in flight in each session.
    in_flight: InFlight<(SessionId, RequestId)>,
}

impl Checker {
    /// The checks in front of an MCP service using `sessions`.
    pub fn new(sessions: Arc<Sessions>) -> Checker {
        Checker {
            sessions,
            in_flight: InFlight::default(),
        }
    }
}

/// The axum middleware; see the module documentation.
pub async fn check_request(
    State(checker): State<Arc<Checker>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST || !is_json(request.headers()) {
        return next.run(request).await;
    }
    let session = http_sessions::session_header(request.headers()).map(SessionId::from);
    let client = request
        .extensions()
        .get::<ClientKey>()
        .cloned()
        .unwrap_or(ClientKey::Unknown);
    let (parts, body) = request.into_parts();
    let bytes = match read_body(body).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    let checked = jsonrpc::check(&bytes);
    let request = Request::from_parts(parts, Body::from(bytes.clone()));
    match checked {
        Err(answer) => {
            let response = next.run(request).await;
            // rmcp's plain-text refusal of a body it could not parse.
            if response.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                return error_response(StatusCode::BAD_REQUEST, &answer);
            }
            response
        }
        Ok(Message::Request { id, .. })
            if session
                .as_ref()
                .is_some_and(|s| checker.sessions.owner(s).is_some()) =>
        {
            let session = session.expect("checked");
            let Some(flight) = checker.in_flight.guard((session, id.clone())) else {
                tracing::debug!(id = %jsonrpc::id_json(&id), "refused a request whose id is in flight");
                return error_response(StatusCode::OK, &jsonrpc::duplicate_id(&id));
            };
            crate::http_conn::hold_until_end(next.run(request).await, flight)
        }
        // A request of a session that does not exist gets rmcp's 404.
        Ok(Message::Request { .. }) if session.is_some() => next.run(request).await,
        Ok(Message::Request {
            id,
            method,
            params_unfit,
        }) => {
            // Answered here when the caps are already reached (rmcp would log
            // the refusal as an internal error); `admit` catches the rest.
            if method == "initialize"
                && !params_unfit
                && let Some(refusal) = checker.sessions.refusal(&client)
            {
                return refusal_response(&refusal, &id);
            }
            let (response, refused) = http_sessions::admit(client, next.run(request)).await;
            if let Some(refusal) = refused {
                return refusal_response(&refusal, &id);
            }
            if params_unfit
                && method == "initialize"
                && response.status() == StatusCode::BAD_REQUEST
            {
                let params = serde_json::from_slice::<Value>(&bytes)
                    .ok()
                    .and_then(|mut v| v.get_mut("params").map(Value::take));
                return error_response(
                    StatusCode::BAD_REQUEST,
                    &ErrorAnswer::new(
                        Some(id),
                        jsonrpc::INVALID_PARAMS,
                        jsonrpc::invalid_params(&method, params.as_ref()),
                    ),
                );
            }
            response
        }
        Ok(Message::Notification {
            cancels: Some(cancelled),
        }) => {
            if let Some(session) = session {
                checker.in_flight.end(&(session, cancelled));
            }
            next.run(request).await
        }
        Ok(Message::Notification { cancels: None } | Message::Reply) => next.run(request).await,
    }
}

/// Whether the request says its body is JSON (the only kind rmcp reads).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|value| {
            let essence = value.split_once(';').map_or(value, |(essence, _)| essence);
            essence.trim().eq_ignore_ascii_case("application/json")
        })
}

/// The whole body, or the error response: 413 past [`MAX_BODY_BYTES`], 408
/// past [`BODY_TIMEOUT`], 400 for a body that cannot be read.
async fn read_body(body: Body) -> Result<Bytes, Response> {
    let collected =
        tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_BODY_BYTES).collect());
    match collected.await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.is::<LengthLimitError>() => {
            let mut response = error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &ErrorAnswer::new(
                    None,
                    jsonrpc::INVALID_REQUEST,
                    format!("Invalid Request: the request body exceeds {MAX_BODY_BYTES} bytes"),
                ),
            );
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            Err(response)
        }
        Ok(Err(error)) => {
            tracing::debug!("an unreadable request body: {error}");
            Err(error_response(
                StatusCode::BAD_REQUEST,
                &ErrorAnswer::new(
                    None,
                    jsonrpc::PARSE_ERROR,
                    format!("Parse error: the request body could not be read: {error}"),
                ),
            ))
        }
        Err(_) => {
            let mut response = error_response(
                StatusCode::REQUEST_TIMEOUT,
                &ErrorAnswer::new(
                    None,
                    jsonrpc::INVALID_REQUEST,
                    format!(
                        "Invalid Request: the request body did not arrive within {} s",
                        BODY_TIMEOUT.as_secs()
                    ),
                ),
            );
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            Err(response)
        }
    }
}

/// `status` with the JSON-RPC error `answer` as a JSON body.
fn error_response(status: StatusCode, answer: &ErrorAnswer) -> Response {
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        answer.to_json().to_string(),
    )
        .into_response()
}

/// The answer to an `initialize` refused by a session cap.
fn refusal_response(refusal: &Refusal, id: &RequestId) -> Response {
    let answer = ErrorAnswer::new(Some(id.clone()), SESSION_LIMIT_ERROR, refusal.to_string());
    let mut response = error_response(refusal.status(), &answer);
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(refusal.retry_after_secs()));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        let mut headers = HeaderMap::new();
        assert!(!is_json(&headers));
        for (value, json) in [
            ("application/json", true),
            ("Application/JSON; charset=utf-8", true),
            ("text/plain", false),
            ("application/json-seq", false),
        ] {
            headers.insert(CONTENT_TYPE, value.parse().unwrap());
            assert_eq!(is_json(&headers), json, "{value}");
        }
    }

    #[tokio::test]
    async fn bodies_are_read_within_their_limit() {
        assert_eq!(read_body(Body::from("{}")).await.unwrap(), "{}");
        let big = Body::from(vec![b' '; MAX_BODY_BYTES + 1]);
        let response = read_body(big).await.unwrap_err();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let broken = Body::from_stream(futures_stream_error());
        let response = read_body(broken).await.unwrap_err();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], jsonrpc::PARSE_ERROR);
        assert!(body["id"].is_null());
    }

    /// A body stream that fails.
    fn futures_stream_error()
    -> impl futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
        struct Failing;
        impl futures_core::Stream for Failing {
            type Item = Result<Bytes, std::io::Error>;
            fn poll_next(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Self::Item>> {
                std::task::Poll::Ready(Some(Err(std::io::Error::other("broken chunk"))))
            }
        }
        Failing
    }

    #[test]
    fn refusals_carry_the_id_and_retry_after() {
        let refusal = Refusal::for_test(http_sessions::Cap::Server, 10, Duration::from_secs(42));
        let response = refusal_response(&refusal, &RequestId::Number(1));
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[RETRY_AFTER], "42");
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    }
}

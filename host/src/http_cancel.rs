//! An HTTP client that goes away before its answer cancels the call it was
//! waiting for.
//!
//! rmcp cancels a request's [`RequestContext::ct`](rmcp::service::RequestContext)
//! on `notifications/cancelled`, and, for a stateless (2026-07-28) request, when
//! its connection closes before the answer. A request of a legacy session is
//! answered on an SSE stream, and rmcp keeps such a request running when that
//! stream's connection closes (so that a client could resume the stream with
//! `Last-Event-ID`). We stop it instead: a write whose requester is gone must
//! not happen unseen, minutes later; a client that resumes gets the
//! cancellation error and can repeat the call knowing what happened.
//!
//! [`cancel_on_disconnect`] gives every HTTP exchange at `/mcp` a
//! [`ClientDisconnect`] in its request extensions (rmcp hands the request's
//! [`http::request::Parts`] on to the handler, where [`ClientDisconnect::of`]
//! finds it). It is cancelled when the exchange ends before the client has
//! received the whole answer: the response future is dropped (the connection
//! closed before the answer began) or the response body is dropped before its
//! end (the connection closed while the answer was streamed).

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::{Frame, SizeHint};
use tokio_util::sync::{CancellationToken, DropGuard};

/// Cancelled when the HTTP client leaves before it received the whole answer
/// to the request carrying it.
#[derive(Clone, Debug, Default)]
pub struct ClientDisconnect(CancellationToken);

impl ClientDisconnect {
    /// The disconnect signal of the HTTP exchange whose request `parts` rmcp
    /// handed on with an MCP request (`None` when the middleware is not there).
    pub fn of(parts: &http::request::Parts) -> Option<&ClientDisconnect> {
        parts.extensions.get::<ClientDisconnect>()
    }

    /// Completes when the client has left early.
    pub async fn left(&self) {
        self.0.cancelled().await
    }

    /// Whether the client has left early.
    pub fn has_left(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// Middleware: attaches a [`ClientDisconnect`] to the request and cancels it
/// if the response is dropped before it was complete.
pub async fn cancel_on_disconnect(mut request: Request, next: Next) -> Response {
    let disconnect = ClientDisconnect::default();
    request.extensions_mut().insert(disconnect.clone());
    // Dropped with this future if the connection closes before the answer.
    let guard = disconnect.0.clone().drop_guard();
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    if body.is_end_stream() {
        guard.disarm();
        return Response::from_parts(parts, body);
    }
    Response::from_parts(
        parts,
        Body::new(WatchedBody {
            inner: body,
            unfinished: Some(guard),
        }),
    )
}

/// A response body that cancels its exchange's [`ClientDisconnect`] when
/// dropped before its end.
struct WatchedBody {
    inner: Body,
    /// Cancels on drop; disarmed once the body has ended.
    unfinished: Option<DropGuard>,
}

impl HttpBody for WatchedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        let ended = match &polled {
            Poll::Ready(None) => true,
            Poll::Ready(Some(Ok(_))) => this.inner.is_end_stream(),
            _ => false,
        };
        if ended && let Some(guard) = this.unfinished.take() {
            guard.disarm();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt as _;

    use super::*;

    fn watched(text: &'static str) -> (WatchedBody, CancellationToken) {
        let token = CancellationToken::new();
        let body = WatchedBody {
            inner: Body::from(text),
            unfinished: Some(token.clone().drop_guard()),
        };
        (body, token)
    }

    #[tokio::test]
    async fn a_body_read_to_its_end_is_not_a_disconnect() {
        let (body, token) = watched("answer");
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(bytes, "answer");
        assert!(!token.is_cancelled());
    }

    #[test]
    fn a_body_dropped_before_its_end_is_a_disconnect() {
        let (body, token) = watched("answer");
        drop(body);
        assert!(token.is_cancelled());
    }

    #[test]
    fn found_in_the_request_parts() {
        let disconnect = ClientDisconnect::default();
        let (mut parts, ()) = http::Request::new(()).into_parts();
        assert!(ClientDisconnect::of(&parts).is_none());
        parts.extensions.insert(disconnect.clone());
        let found = ClientDisconnect::of(&parts).expect("found");
        assert!(!found.has_left());
        disconnect.0.cancel();
        assert!(found.has_left());
    }
}

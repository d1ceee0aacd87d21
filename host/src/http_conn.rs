//! Accepting HTTP connections, bounded: how many may be open, how long a
//! client may take to send a request's headers, and how long a connection may
//! sit idle.
//!
//! [`serve`] is the accept loop of the Streamable HTTP transport (in place of
//! `axum::serve`, which has no such knobs), serving HTTP/1.1 with hyper:
//!
//! * **Connection cap**: at most [`connection_cap`] connections are open at
//!   once: [`ConnectionLimits::max_connections`] ([`DEFAULT_MAX_CONNECTIONS`]),
//!   and never more than the process's open-file limit (`RLIMIT_NOFILE`) less
//!   [`FD_RESERVE`] descriptors for everything else (PagerDuty connections,
//!   the component cache, stdio). Past it the loop stops accepting: new
//!   connections wait in the kernel's backlog until one closes. An accept that
//!   fails for want of descriptors or memory (`EMFILE`, `ENFILE`, ...) is
//!   retried after [`ACCEPT_ERROR_PAUSE`]; it never ends the server.
//! * **Header timeout**: a request's headers must be complete within
//!   [`ConnectionLimits::header_timeout`] ([`DEFAULT_HEADER_TIMEOUT`]) of the
//!   connection being accepted, or, on a kept-alive connection, of the first
//!   byte of the next request; else the connection is closed without an
//!   answer. A half-open connection that never authenticates is gone after
//!   that time.
//! * **Idle timeout**: a kept-alive connection with no request for
//!   [`ConnectionLimits::idle_timeout`] ([`DEFAULT_IDLE_TIMEOUT`]) is closed,
//!   and so is one whose client has stopped reading (no write progress for
//!   that long). A connection busy with a request is not idle: a tool call may
//!   run long, and an SSE stream carries rmcp's keep-alive pings (every 15 s),
//!   which keep making progress while the client reads.
//!
//! The request body has its own deadline ([`crate::http_check`]).
//!
//! Every request gets its connection's [`PeerAddr`] in its extensions (the
//! client key without authentication, [`crate::http_sessions::ClientKey`]).
//! Responses are streamed as the router makes them, so the body-drop signals
//! of [`crate::http_cancel`] still fire when a connection closes. TCP_NODELAY
//! is set on every connection. On shutdown the loop stops accepting and every
//! connection finishes its current request and closes ([`serve`]'s `grace`).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::response::Response;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

/// The most connections open at once, by default (lowered to fit the
/// open-file limit, see [`connection_cap`]).
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// File descriptors kept for everything but incoming connections.
pub const FD_RESERVE: u64 = 128;

/// How long a client may take to send a request's headers, by default.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a kept-alive connection may wait for its next request, by default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The pause after an accept failed for want of resources.
pub const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// The environment variable of `--max-connections`.
pub const MAX_CONNECTIONS_VAR: &str = "PAGERDUTY_MCP_MAX_CONNECTIONS";

/// The environment variable of `--header-timeout`.
pub const HEADER_TIMEOUT_VAR: &str = "PAGERDUTY_MCP_HEADER_TIMEOUT";

/// The environment variable of `--idle-timeout`.
pub const IDLE_TIMEOUT_VAR: &str = "PAGERDUTY_MCP_IDLE_TIMEOUT";

/// How many connections may be open, and how long they may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// The most connections open at once (`None`: [`DEFAULT_MAX_CONNECTIONS`]);
    /// lowered to fit the open-file limit.
    pub max_connections: Option<usize>,
    /// How long a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request.
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: None,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

/// The peer address of the connection a request came on (in the request's
/// extensions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// The process's soft limit on open files (`None`: unlimited or unknown).
pub fn open_files_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// How many connections may be open: `requested` (default
/// [`DEFAULT_MAX_CONNECTIONS`]), but at most the open-file limit less
/// [`FD_RESERVE`], and at least 1.
pub fn connection_cap(requested: Option<usize>, open_files: Option<u64>) -> usize {
    let wanted = requested.unwrap_or(DEFAULT_MAX_CONNECTIONS);
    let fits = open_files
        .map(|limit| usize::try_from(limit.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX))
        .unwrap_or(usize::MAX);
    wanted.min(fits).max(1)
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes;
/// then stops accepting, lets each connection finish its current request, and
/// returns when all are closed or after `grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let open_files = open_files_limit();
    let cap = connection_cap(limits.max_connections, open_files);
    if limits.max_connections.is_some_and(|wanted| wanted > cap) {
        tracing::warn!(
            open_files = open_files.unwrap_or_default(),
            "at most {cap} HTTP connections: the open-file limit leaves no room for more"
        );
    }
    tracing::debug!(
        max_connections = cap,
        header_timeout = ?limits.header_timeout,
        idle_timeout = ?limits.idle_timeout,
        "HTTP connection limits"
    );
    let permits = Arc::new(Semaphore::new(cap));
    let stop = CancellationToken::new();
    tokio::pin!(shutdown);
    let mut warned_full: Option<Instant> = None;
    let mut warned_error: Option<Instant> = None;
    loop {
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if warned_full.is_none_or(|at| at.elapsed() > Duration::from_secs(60)) {
                    tracing::warn!(
                        "{cap} HTTP connections open, the limit: new connections wait until one \
                         closes (--max-connections)"
                    );
                    warned_full = Some(Instant::now());
                }
                tokio::select! {
                    () = &mut shutdown => break,
                    permit = permits.clone().acquire_owned() => {
                        permit.expect("the semaphore is never closed")
                    }
                }
            }
        };
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                // Responses are written in pieces (headers, SSE events, the last
                // chunk): without TCP_NODELAY, Nagle's algorithm holds the later
                // pieces until the client's delayed ACK, about 40 ms per request
                // on a kept-alive connection.
                if let Err(error) = stream.set_nodelay(true) {
                    tracing::debug!("cannot set TCP_NODELAY: {error}");
                }
                tokio::spawn(connection(
                    stream,
                    peer,
                    app.clone(),
                    limits,
                    stop.clone(),
                    permit,
                ));
            }
            Err(error) => {
                drop(permit);
                accept_failed(error, &mut warned_error).await;
            }
        }
    }
    drop(listener);
    stop.cancel();
    // Every connection holds a permit until it closes.
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    if tokio::time::timeout(grace, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("HTTP connections still open after {grace:?}; closing them");
    }
}

/// After a failed accept: go on at once after a connection the client
/// abandoned; otherwise (no descriptors, no memory) log, at most every 10 s,
/// and pause.
async fn accept_failed(error: io::Error, warned: &mut Option<Instant>) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset, Interrupted};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset | Interrupted
    ) {
        tracing::debug!("an HTTP connection failed before it was accepted: {error}");
        return;
    }
    if warned.is_none_or(|at| at.elapsed() > Duration::from_secs(10)) {
        tracing::warn!("cannot accept HTTP connections: {error}; retrying");
        *warned = Some(Instant::now());
    }
    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
}

/// Serves one connection until it closes, times out, or the server stops.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    stop: CancellationToken,
    _permit: OwnedSemaphorePermit,
) {
    let clock = Clock::new(limits);
    let io = TokioIo::new(Watched {
        inner: stream,
        clock: clock.clone(),
    });
    let requests = clock.clone();
    let service = hyper::service::service_fn(move |mut request: http::Request<Incoming>| {
        let busy = requests.request_started();
        request.extensions_mut().insert(PeerAddr(peer));
        let app = app.clone();
        async move {
            let response = app.oneshot(request.map(Body::new)).await?;
            Ok::<_, Infallible>(hold_until_end(response, busy))
        }
    });
    // No hyper timer: the clock below does the header and idle timeouts
    // (hyper's header timeout would also end idle kept-alive connections).
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.keep_alive(true).header_read_timeout(None);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let mut stopping = false;
    loop {
        let (deadline, _) = clock.deadline();
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%peer, "HTTP connection ended: {error}");
                }
                return;
            }
            () = stop.cancelled(), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(deadline.into()) => {
                if let Some(why) = clock.expired() {
                    tracing::debug!(%peer, "closing an HTTP connection: {why}");
                    return;
                }
            }
        }
    }
}

/// What a connection is doing, for its timeouts.
#[derive(Clone)]
struct Clock {
    limits: ConnectionLimits,
    state: Arc<Mutex<ClockState>>,
}

struct ClockState {
    /// Requests being answered.
    busy: usize,
    /// Since when the connection waits for a request's headers (accepted, or
    /// the first byte after an idle time); `None` while busy or idle.
    waiting_since: Option<Instant>,
    /// Since when the connection has been idle (no request, no byte).
    idle_since: Instant,
    /// Since when a write has been waiting for the client to read.
    write_stalled_since: Option<Instant>,
}

impl Clock {
    fn new(limits: ConnectionLimits) -> Clock {
        let now = Instant::now();
        Clock {
            limits,
            state: Arc::new(Mutex::new(ClockState {
                busy: 0,
                waiting_since: Some(now),
                idle_since: now,
                write_stalled_since: None,
            })),
        }
    }

    fn state(&self) -> MutexGuard<'_, ClockState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A request's headers are in; until the returned guard is dropped (its
    /// response has ended or was dropped), the connection is busy.
    fn request_started(&self) -> Busy {
        let mut state = self.state();
        state.busy += 1;
        state.waiting_since = None;
        Busy(self.clone())
    }

    fn read(&self) {
        let mut state = self.state();
        if state.busy == 0 && state.waiting_since.is_none() {
            state.waiting_since = Some(Instant::now());
        }
    }

    fn wrote(&self, progress: bool) {
        let mut state = self.state();
        if progress {
            state.write_stalled_since = None;
        } else if state.write_stalled_since.is_none() {
            state.write_stalled_since = Some(Instant::now());
        }
    }

    /// When the connection times out if nothing changes, and why.
    fn deadline(&self) -> (Instant, Option<&'static str>) {
        let limits = self.limits;
        let state = self.state();
        if state.busy == 0 {
            if let Some(since) = state.waiting_since {
                return (
                    since + limits.header_timeout,
                    Some("the request headers did not arrive in time"),
                );
            }
            return (
                state.idle_since + limits.idle_timeout,
                Some("idle for too long"),
            );
        }
        match state.write_stalled_since {
            Some(since) => (
                since + limits.idle_timeout,
                Some("the client stopped reading"),
            ),
            // Busy: look again later.
            None => (Instant::now() + limits.idle_timeout, None),
        }
    }

    /// Why the connection should close now, if it should.
    fn expired(&self) -> Option<&'static str> {
        match self.deadline() {
            (deadline, Some(why)) if deadline <= Instant::now() => Some(why),
            _ => None,
        }
    }
}

/// A request being answered on a connection (see [`Clock::request_started`]).
struct Busy(Clock);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.busy = state.busy.saturating_sub(1);
        if state.busy == 0 {
            state.idle_since = Instant::now();
        }
    }
}

/// A connection's socket, telling its [`Clock`] about reads and writes.
struct Watched {
    inner: TcpStream,
    clock: Clock,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.note_write(&polled);
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.note_write(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl Watched {
    fn note_write(&self, polled: &Poll<io::Result<usize>>) {
        match polled {
            Poll::Pending => self.clock.wrote(false),
            Poll::Ready(Ok(n)) if *n > 0 => self.clock.wrote(true),
            Poll::Ready(_) => {}
        }
    }
}

/// `response` with `guard` held until its body has ended or is dropped.
pub(crate) fn hold_until_end<G: Send + Unpin + 'static>(response: Response, guard: G) -> Response {
    let (parts, body) = response.into_parts();
    if body.is_end_stream() {
        return Response::from_parts(parts, body);
    }
    Response::from_parts(
        parts,
        Body::new(Holding {
            inner: body,
            guard: Some(guard),
        }),
    )
}

/// A response body holding a guard until it ends or is dropped.
struct Holding<G> {
    inner: Body,
    guard: Option<G>,
}

impl<G: Send + Unpin + 'static> HttpBody for Holding<G> {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || this.inner.is_end_stream() {
            this.guard = None;
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
    use super::*;

    fn limits(header: u64, idle: u64) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: None,
            header_timeout: Duration::from_secs(header),
            idle_timeout: Duration::from_secs(idle),
        }
    }

    #[test]
    fn the_cap_fits_the_open_file_limit() {
        assert_eq!(connection_cap(None, None), DEFAULT_MAX_CONNECTIONS);
        assert_eq!(connection_cap(None, Some(1 << 20)), DEFAULT_MAX_CONNECTIONS);
        assert_eq!(connection_cap(None, Some(1024)), 1024 - 128);
        assert_eq!(connection_cap(Some(8), Some(1024)), 8);
        assert_eq!(connection_cap(Some(5000), Some(4096)), 4096 - 128);
        assert_eq!(connection_cap(None, Some(100)), 1);
        assert_eq!(connection_cap(Some(5000), None), 5000);
    }

    #[test]
    fn the_open_file_limit_is_read() {
        if cfg!(unix) {
            assert!(open_files_limit().is_none_or(|n| n > 0));
        }
    }

    #[test]
    fn a_new_connection_must_send_its_headers_in_time() {
        let clock = Clock::new(limits(10, 60));
        let (deadline, why) = clock.deadline();
        assert!(why.unwrap().contains("headers"));
        assert!(deadline <= Instant::now() + Duration::from_secs(10));
        assert!(clock.expired().is_none());
        // Headers in: busy, no deadline while the answer is made.
        let busy = clock.request_started();
        assert_eq!(clock.deadline().1, None);
        clock.read(); // body bytes
        assert_eq!(clock.deadline().1, None);
        // A client that stops reading is caught.
        clock.wrote(false);
        assert_eq!(clock.deadline().1, Some("the client stopped reading"));
        clock.wrote(true);
        assert_eq!(clock.deadline().1, None);
        // Answered: idle, for the idle timeout.
        drop(busy);
        let (deadline, why) = clock.deadline();
        assert_eq!(why, Some("idle for too long"));
        assert!(deadline > Instant::now() + Duration::from_secs(50));
        // The next request's first byte starts the header clock.
        clock.read();
        let (deadline, why) = clock.deadline();
        assert!(why.unwrap().contains("headers"));
        assert!(deadline <= Instant::now() + Duration::from_secs(10));
    }

    #[test]
    fn a_zero_timeout_expires_at_once() {
        let clock = Clock::new(limits(0, 0));
        assert!(clock.expired().is_some());
    }

    #[tokio::test]
    async fn a_held_guard_goes_with_the_body() {
        use http_body_util::BodyExt as _;
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        struct Signal(std::sync::mpsc::Sender<()>);
        impl Drop for Signal {
            fn drop(&mut self) {
                let _ = self.0.send(());
            }
        }
        let body = Body::from_stream(futures_util_stream());
        let response = hold_until_end(Response::new(body), Signal(tx));
        assert!(rx.try_recv().is_err());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(bytes, "ab");
        assert!(rx.try_recv().is_ok(), "released at the end of the body");
    }

    /// A two-chunk stream body.
    fn futures_util_stream()
    -> impl futures_core::Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
        struct Two(u8);
        impl futures_core::Stream for Two {
            type Item = Result<Bytes, Infallible>;
            fn poll_next(
                mut self: Pin<&mut Self>,
                _: &mut Context<'_>,
            ) -> Poll<Option<Self::Item>> {
                self.0 += 1;
                Poll::Ready(match self.0 {
                    1 => Some(Ok(Bytes::from("a"))),
                    2 => Some(Ok(Bytes::from("b"))),
                    _ => None,
                })
            }
        }
        Two(0)
    }
}

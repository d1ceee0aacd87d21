//! Legacy (`initialize`) sessions of the Streamable HTTP transport, bounded.
//!
//! Each legacy `initialize` creates a session (rmcp's session worker, its
//! channels and a handler: some 55 KB) that lives until the client ends it
//! (`DELETE /mcp`) or it has been idle for a while. [`Sessions`] is rmcp's
//! [`LocalSessionManager`] wrapped to bound them:
//!
//! * **Caps**: at most [`SessionLimits::max_sessions`] open sessions
//!   ([`DEFAULT_MAX_SESSIONS`]), and at most
//!   [`SessionLimits::max_per_client`] ([`DEFAULT_MAX_SESSIONS_PER_CLIENT`]) for
//!   one client. A client ([`ClientKey`]) is the credential it authenticated
//!   with: the access token, or its own PagerDuty token with
//!   `--per-request-token` (both kept only as SHA-256 digests); without
//!   authentication (loopback only), its IP address.
//! * **Idle eviction**: a session without traffic for
//!   [`SessionLimits::idle_timeout`] ([`DEFAULT_SESSION_IDLE_TIMEOUT`]) is
//!   closed by rmcp (its `keep_alive`); its worker and handler are dropped and
//!   rmcp calls [`SessionManager::close_session`], which frees the slot here.
//!   The client gets 404 for it and starts a new session, as the MCP
//!   specification asks.
//! * **Refusal**: an `initialize` past a cap is refused before anything is
//!   allocated ([`Refusal`]: 503 when the server is full, 429 when the client
//!   has too many, with `Retry-After` and a JSON-RPC error saying the limit and
//!   what to do). The HTTP request checks ([`crate::http_check`]) run the
//!   request inside [`admit`], which tells [`Sessions::create_session`] whose
//!   request it is and hands the refusal back to be answered.
//!
//! Stateless (2026-07-28) requests create no session and are not counted.
//!
//! [`Sessions::owner`] also binds a session to the client that created it:
//! with per-request tokens, a request naming another token's session gets 404
//! ([`crate::http_auth`]).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_core::Stream;
use http::StatusCode;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::SessionManager;
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};
use rmcp::transport::streamable_http_server::session::{ServerSseMessage, SessionId};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// The session header of the legacy protocol revisions.
pub const SESSION_HEADER: &str = "mcp-session-id";

/// The legacy session a request names in its [`SESSION_HEADER`], if any (one
/// reading of the header for the auth, check and `DELETE` layers).
pub fn session_header(headers: &http::HeaderMap) -> Option<&str> {
    headers.get(SESSION_HEADER).and_then(|v| v.to_str().ok())
}

/// The most legacy sessions open at once, by default (some 55 MB).
pub const DEFAULT_MAX_SESSIONS: usize = 1000;

/// The most legacy sessions one client may have open at once, by default.
pub const DEFAULT_MAX_SESSIONS_PER_CLIENT: usize = 100;

/// How long a session may go without a request before it is closed, by
/// default.
pub const DEFAULT_SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The environment variable of `--max-sessions`.
pub const MAX_SESSIONS_VAR: &str = "PAGERDUTY_MCP_MAX_SESSIONS";

/// The environment variable of `--max-sessions-per-client`.
pub const MAX_SESSIONS_PER_CLIENT_VAR: &str = "PAGERDUTY_MCP_MAX_SESSIONS_PER_CLIENT";

/// The environment variable of `--session-idle-timeout`.
pub const SESSION_IDLE_TIMEOUT_VAR: &str = "PAGERDUTY_MCP_SESSION_IDLE_TIMEOUT";

/// How often a refused session is logged as a warning (else at debug level).
const WARN_EVERY: Duration = Duration::from_secs(10);

/// The JSON-RPC error code of a refused `initialize` (implementation-defined
/// server error).
pub const SESSION_LIMIT_ERROR: i32 = -32000;

/// How many legacy sessions may be open, and for how long without traffic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    /// The most sessions open at once.
    pub max_sessions: usize,
    /// The most sessions one client may have open at once.
    pub max_per_client: usize,
    /// A session without traffic for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            max_sessions: DEFAULT_MAX_SESSIONS,
            max_per_client: DEFAULT_MAX_SESSIONS_PER_CLIENT,
            idle_timeout: DEFAULT_SESSION_IDLE_TIMEOUT,
        }
    }
}

/// Who a request comes from, for the per-client cap: the credential it
/// authenticated with (a SHA-256 digest, never the secret), or its IP address
/// without authentication. Set by [`crate::http_auth::authenticate`] in the
/// request's extensions.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// The digest of the access token or of the caller's PagerDuty token.
    Credential([u8; 32]),
    /// The peer's IP address (no authentication).
    Peer(IpAddr),
    /// Not known (no authentication and no peer address).
    Unknown,
}

impl ClientKey {
    /// The key of a credential: its SHA-256 digest.
    pub fn credential(secret: &[u8]) -> ClientKey {
        ClientKey::Credential(Sha256::digest(secret).into())
    }

    /// Whether `other` is the same client; credentials are compared in
    /// constant time.
    pub fn same(&self, other: &ClientKey) -> bool {
        match (self, other) {
            (ClientKey::Credential(a), ClientKey::Credential(b)) => a.ct_eq(b).into(),
            _ => self == other,
        }
    }

    /// What tells clients apart, for the messages.
    fn described(&self) -> &'static str {
        match self {
            ClientKey::Credential(_) => "token",
            ClientKey::Peer(_) => "IP address",
            ClientKey::Unknown => "client",
        }
    }
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // A short prefix of the digest: enough to tell clients apart in a log.
            ClientKey::Credential(digest) => write!(
                f,
                "credential:{:02x}{:02x}{:02x}{:02x}",
                digest[0], digest[1], digest[2], digest[3]
            ),
            ClientKey::Peer(ip) => write!(f, "peer:{ip}"),
            ClientKey::Unknown => f.write_str("unknown"),
        }
    }
}

/// Which cap refused a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    /// [`SessionLimits::max_sessions`]: the server is full.
    Server,
    /// [`SessionLimits::max_per_client`]: the client has too many.
    Client,
}

/// An `initialize` refused because a cap is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The cap reached.
    pub cap: Cap,
    /// Its value.
    pub limit: usize,
    /// When a slot may free up at the earliest (an idle session expiring).
    pub retry_after: Duration,
    /// The idle timeout, for the message.
    pub idle_timeout: Duration,
    /// Who was refused, for the message.
    client: &'static str,
}

impl Refusal {
    /// The HTTP status: 503 when the server is full, 429 when the client has
    /// too many sessions.
    pub fn status(&self) -> StatusCode {
        match self.cap {
            Cap::Server => StatusCode::SERVICE_UNAVAILABLE,
            Cap::Client => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// A refusal of `cap` at `limit`, for tests.
    #[cfg(test)]
    pub(crate) fn for_test(cap: Cap, limit: usize, retry_after: Duration) -> Refusal {
        Refusal {
            cap,
            limit,
            retry_after,
            idle_timeout: DEFAULT_SESSION_IDLE_TIMEOUT,
            client: ClientKey::Unknown.described(),
        }
    }

    /// `Retry-After` in whole seconds (at least 1).
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs_f64().ceil().max(1.0) as u64
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let idle = humane(self.idle_timeout);
        match self.cap {
            Cap::Server => write!(
                f,
                "the server has reached its limit of {} open MCP sessions: try again later (idle \
                 sessions close after {idle} without requests), or use the stateless protocol \
                 revision 2026-07-28, which needs no session",
                self.limit
            ),
            Cap::Client => write!(
                f,
                "too many open MCP sessions: the limit is {} per {}. End the sessions you no \
                 longer use (DELETE /mcp with their Mcp-Session-Id) or reuse one; idle sessions \
                 close after {idle} without requests",
                self.limit, self.client
            ),
        }
    }
}

/// `90s` → "1 min 30 s"; for messages.
fn humane(duration: Duration) -> String {
    let secs = duration.as_secs();
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// The error of [`Sessions`]: rmcp's, or a refusal.
#[derive(Debug)]
pub enum SessionsError {
    /// rmcp's session manager failed.
    Local(LocalSessionManagerError),
    /// A cap is reached.
    Refused(Refusal),
}

impl fmt::Display for SessionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionsError::Local(e) => e.fmt(f),
            SessionsError::Refused(refusal) => refusal.fmt(f),
        }
    }
}

impl std::error::Error for SessionsError {}

impl From<LocalSessionManagerError> for SessionsError {
    fn from(error: LocalSessionManagerError) -> Self {
        SessionsError::Local(error)
    }
}

tokio::task_local! {
    /// The request that may create a session (see [`admit`]).
    static ADMISSION: Arc<Admission>;
}

/// Who the request that may create a session comes from, and the refusal if
/// one came.
struct Admission {
    client: ClientKey,
    refused: Mutex<Option<Refusal>>,
}

/// Runs `request` (an HTTP request to the MCP service that may create a
/// session) on behalf of `client`: a session it creates counts for that
/// client, and the [`Refusal`] is returned if a cap refused it. rmcp creates
/// the session within the request's own task, where this scope is seen.
pub async fn admit<F: Future>(client: ClientKey, request: F) -> (F::Output, Option<Refusal>) {
    let admission = Arc::new(Admission {
        client,
        refused: Mutex::new(None),
    });
    let output = ADMISSION.scope(admission.clone(), request).await;
    let refused = admission
        .refused
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    (output, refused)
}

/// An open session, as counted here.
struct Open {
    client: ClientKey,
    /// The last request seen for it (an estimate of when it expires).
    last_seen: Instant,
}

#[derive(Default)]
struct State {
    open: HashMap<SessionId, Open>,
    /// Sessions per client, including those being created.
    per_client: HashMap<ClientKey, usize>,
    /// All sessions, including those being created.
    total: usize,
}

/// rmcp's [`LocalSessionManager`] with caps on the sessions open, and idle
/// sessions closed after [`SessionLimits::idle_timeout`].
pub struct Sessions {
    inner: LocalSessionManager,
    limits: SessionLimits,
    state: Mutex<State>,
    /// When a refusal was last logged as a warning.
    warned: Mutex<Option<Instant>>,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("limits", &self.limits)
            .field("open", &self.count())
            .finish_non_exhaustive()
    }
}

impl Sessions {
    /// A session manager with `limits`.
    pub fn new(limits: SessionLimits) -> Sessions {
        let mut inner = LocalSessionManager::default();
        // rmcp closes a session whose worker saw no event for this long.
        inner.session_config.keep_alive = Some(limits.idle_timeout);
        Sessions {
            inner,
            limits,
            state: Mutex::default(),
            warned: Mutex::default(),
        }
    }

    /// The limits.
    pub fn limits(&self) -> &SessionLimits {
        &self.limits
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many sessions are open (or being created).
    pub fn count(&self) -> usize {
        self.state().total
    }

    /// The client that created session `id`, if it is open.
    pub fn owner(&self, id: &str) -> Option<ClientKey> {
        self.state().open.get(id).map(|open| open.client.clone())
    }

    /// Whether a session of `client` would be refused now (the answer to an
    /// `initialize` that need not reach rmcp). Logged like a refusal.
    pub fn refusal(&self, client: &ClientKey) -> Option<Refusal> {
        let refusal = self.refuse(&self.state(), client)?;
        self.log_refusal(client, &refusal);
        Some(refusal)
    }

    /// Which cap refuses a session of `client`, if one does.
    fn refuse(&self, state: &State, client: &ClientKey) -> Option<Refusal> {
        let of_client = state.per_client.get(client).copied().unwrap_or(0);
        let (cap, limit) = if state.total >= self.limits.max_sessions {
            (Cap::Server, self.limits.max_sessions)
        } else if of_client >= self.limits.max_per_client {
            (Cap::Client, self.limits.max_per_client)
        } else {
            return None;
        };
        let now = Instant::now();
        let expiring = state
            .open
            .values()
            .filter(|open| cap == Cap::Server || open.client == *client)
            .map(|open| (open.last_seen + self.limits.idle_timeout).saturating_duration_since(now))
            .min();
        Some(Refusal {
            cap,
            limit,
            retry_after: expiring.unwrap_or(self.limits.idle_timeout),
            idle_timeout: self.limits.idle_timeout,
            client: client.described(),
        })
    }

    /// Logs a refusal: a warning at most every [`WARN_EVERY`], else at debug
    /// level (a client retrying in a loop must not flood the log).
    fn log_refusal(&self, client: &ClientKey, refusal: &Refusal) {
        let warn = {
            let mut last = self.warned.lock().unwrap_or_else(|e| e.into_inner());
            let due = last.is_none_or(|at| at.elapsed() >= WARN_EVERY);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if warn {
            tracing::warn!(client = ?client, "refused a new MCP session: {refusal}");
        } else {
            tracing::debug!(client = ?client, "refused a new MCP session: {refusal}");
        }
    }

    /// Takes a slot for a session of `client`, or says which cap refuses it.
    fn reserve(&self, client: &ClientKey) -> Result<Reservation<'_>, Refusal> {
        let mut state = self.state();
        if let Some(refusal) = self.refuse(&state, client) {
            drop(state);
            self.log_refusal(client, &refusal);
            return Err(refusal);
        }
        state.total += 1;
        *state.per_client.entry(client.clone()).or_default() += 1;
        Ok(Reservation {
            sessions: self,
            client: Some(client.clone()),
        })
    }

    /// Gives back a slot of `client`.
    fn release(&self, client: &ClientKey) {
        let mut state = self.state();
        state.total = state.total.saturating_sub(1);
        if let Some(count) = state.per_client.get_mut(client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                state.per_client.remove(client);
            }
        }
    }

    /// Forgets session `id` and frees its slot (once).
    fn forget(&self, id: &SessionId) {
        let open = self.state().open.remove(id);
        if let Some(open) = open {
            self.release(&open.client);
            tracing::debug!(session = %id, client = ?open.client, "MCP session closed");
        }
    }

    /// Notes a request for session `id`.
    fn touch(&self, id: &SessionId) {
        if let Some(open) = self.state().open.get_mut(id) {
            open.last_seen = Instant::now();
        }
    }
}

/// A slot taken for a session being created; given back when dropped before
/// the session is recorded (creation failed, or the request went away).
struct Reservation<'a> {
    sessions: &'a Sessions,
    client: Option<ClientKey>,
}

impl Reservation<'_> {
    /// Records session `id` in the slot.
    fn fill(mut self, id: &SessionId) {
        let client = self.client.take().expect("filled once");
        self.sessions.state().open.insert(
            id.clone(),
            Open {
                client,
                last_seen: Instant::now(),
            },
        );
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            self.sessions.release(&client);
        }
    }
}

/// Forgets a session when dropped: after closing it, or if the closing is
/// abandoned halfway (the slot is then freed early rather than never).
struct Forget<'a>(&'a Sessions, &'a SessionId);

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.0.forget(self.1);
    }
}

impl SessionManager for Sessions {
    type Error = SessionsError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let admission = ADMISSION.try_with(Arc::clone).ok();
        let client = admission
            .as_ref()
            .map_or(ClientKey::Unknown, |a| a.client.clone());
        let reservation = match self.reserve(&client) {
            Ok(reservation) => reservation,
            Err(refusal) => {
                if let Some(admission) = &admission {
                    *admission.refused.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(refusal.clone());
                }
                return Err(SessionsError::Refused(refusal));
            }
        };
        let (id, transport) = self.inner.create_session().await?;
        reservation.fill(&id);
        tracing::debug!(session = %id, client = ?client, "MCP session created");
        Ok((id, transport))
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        Ok(self.inner.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.inner.has_session(id).await?)
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        let _forget = Forget(self, id);
        Ok(self.inner.close_session(id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        Ok(self.inner.create_stream(id, message).await?)
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.touch(id);
        Ok(self.inner.accept_message(id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        Ok(self.inner.create_standalone_stream(id).await?)
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        Ok(self.inner.resume(id, last_event_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_sessions: usize, max_per_client: usize) -> SessionLimits {
        SessionLimits {
            max_sessions,
            max_per_client,
            idle_timeout: Duration::from_secs(600),
        }
    }

    fn peer(n: u8) -> ClientKey {
        ClientKey::Peer(IpAddr::from([127, 0, 0, n]))
    }

    async fn create(sessions: &Sessions, client: ClientKey) -> Result<SessionId, Refusal> {
        let (created, refused) = admit(client, sessions.create_session()).await;
        match created {
            Ok((id, _transport)) => {
                assert!(refused.is_none());
                Ok(id)
            }
            Err(SessionsError::Refused(refusal)) => {
                assert_eq!(refused.as_ref(), Some(&refusal));
                Err(refusal)
            }
            Err(other) => panic!("{other}"),
        }
    }

    #[tokio::test]
    async fn caps_per_client_and_overall() {
        let sessions = Sessions::new(limits(3, 2));
        let a1 = create(&sessions, peer(1)).await.unwrap();
        let _a2 = create(&sessions, peer(1)).await.unwrap();
        let refusal = create(&sessions, peer(1)).await.unwrap_err();
        assert_eq!((refusal.cap, refusal.limit), (Cap::Client, 2));
        assert_eq!(refusal.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(
            refusal.to_string().contains("limit is 2 per IP address"),
            "{refusal}"
        );
        assert_eq!(sessions.refusal(&peer(1)).map(|r| r.cap), Some(Cap::Client));
        assert_eq!(sessions.refusal(&peer(2)), None);
        assert!(refusal.to_string().contains("DELETE /mcp"), "{refusal}");
        assert!(
            (590..=600).contains(&refusal.retry_after_secs()),
            "{refusal:?}"
        );
        let _b1 = create(&sessions, peer(2)).await.unwrap();
        let refusal = create(&sessions, peer(3)).await.unwrap_err();
        assert_eq!((refusal.cap, refusal.limit), (Cap::Server, 3));
        assert_eq!(refusal.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(refusal.to_string().contains("2026-07-28"), "{refusal}");
        assert_eq!(sessions.count(), 3);
        assert_eq!(sessions.owner(&a1), Some(peer(1)));

        // Ending a session frees its slot, once.
        sessions.close_session(&a1).await.unwrap();
        sessions.close_session(&a1).await.unwrap();
        assert_eq!(sessions.count(), 2);
        assert_eq!(sessions.owner(&a1), None);
        assert!(!sessions.has_session(&a1).await.unwrap());
        let _c1 = create(&sessions, peer(3)).await.unwrap();
        assert!(create(&sessions, peer(1)).await.is_err());
    }

    #[tokio::test]
    async fn without_admission_a_session_counts_for_an_unknown_client() {
        let sessions = Sessions::new(limits(5, 1));
        let (id, _transport) = sessions.create_session().await.unwrap();
        assert_eq!(sessions.owner(&id), Some(ClientKey::Unknown));
        assert!(matches!(
            sessions.create_session().await,
            Err(SessionsError::Refused(_))
        ));
    }

    #[tokio::test]
    async fn an_abandoned_creation_gives_its_slot_back() {
        let sessions = Sessions::new(limits(1, 1));
        let reservation = sessions.reserve(&peer(1)).unwrap();
        assert!(sessions.reserve(&peer(2)).is_err());
        drop(reservation);
        assert_eq!(sessions.count(), 0);
        assert!(create(&sessions, peer(2)).await.is_ok());
    }

    #[test]
    fn client_keys() {
        let a = ClientKey::credential(b"Token token=abc");
        assert!(a.same(&ClientKey::credential(b"Token token=abc")));
        assert!(!a.same(&ClientKey::credential(b"Token token=abd")));
        assert!(!a.same(&peer(1)));
        let shown = format!("{a:?}");
        assert!(
            shown.starts_with("credential:") && !shown.contains("abc"),
            "{shown}"
        );
        assert_eq!(format!("{:?}", peer(1)), "peer:127.0.0.1");
        assert_eq!(humane(Duration::from_secs(600)), "10 min");
        assert_eq!(humane(Duration::from_secs(90)), "1 min 30 s");
        assert_eq!(humane(Duration::from_secs(1)), "1 s");
    }
}

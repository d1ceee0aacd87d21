//! Who may use the Streamable HTTP transport, and with which PagerDuty token.
//!
//! [`HttpAuth`] is one of three modes, checked by [`authenticate`] (an axum
//! middleware in front of the MCP service) on every request to `/mcp`:
//!
//! * [`HttpAuth::None`]: anyone who can connect (loopback binds only).
//! * [`HttpAuth::AccessToken`]: clients present a shared secret as
//!   `Authorization: Bearer <token>`. Only SHA-256 digests are kept and
//!   compared, in constant time; a missing or wrong token is a 401. Tool calls
//!   use the server's own PagerDuty token.
//! * [`HttpAuth::PerRequestToken`]: each request carries its caller's own
//!   PagerDuty token, as PagerDuty's hosted MCP server takes it:
//!   `Authorization: Token token=<API key>` or `Authorization: Bearer <OAuth
//!   token>`. The middleware parses it into an [`ApiToken`] and attaches it to
//!   that request only (its extensions), where the MCP handler picks it up
//!   ([`crate::mcp::TokenSource::PerRequest`]) and the sandbox puts it into that
//!   call's own egress policy. No request, no token: a 401. A legacy
//!   (`initialize`) session is bound to the token that created it
//!   ([`Sessions::owner`]): a request naming the session with another token
//!   gets 404 (the session does not exist for that caller), so no caller can
//!   use or end another's session.
//!
//! In both token modes the `Authorization` header is removed before the
//! request reaches rmcp, so it lives only in the digest / [`ApiToken`].
//!
//! Every request that passes gets its [`ClientKey`] (in its extensions), the
//! client the session caps count it for ([`crate::http_sessions`]): the
//! digest of the access token or of the caller's PagerDuty token, or without
//! authentication the peer's IP address.

use std::fmt;
use std::sync::Arc;

use anyhow::Context as _;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, StatusCode};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::egress::{ApiToken, AuthScheme};
use crate::http_conn::PeerAddr;
use crate::http_sessions::{self, ClientKey, Sessions};
use pagerduty_mcp_protocol::credential;

/// The environment variable holding the HTTP access token.
pub const ACCESS_TOKEN_VAR: &str = "PAGERDUTY_MCP_HTTP_TOKEN";

/// The shortest access token accepted, in bytes.
pub const MIN_ACCESS_TOKEN_LEN: usize = 16;

/// The realm named in `WWW-Authenticate`.
const REALM: &str = "pagerduty-mcp";

/// A shared secret clients present as `Authorization: Bearer <token>`; only its
/// SHA-256 digest is kept.
#[derive(Clone)]
pub struct AccessToken {
    digest: [u8; 32],
}

impl AccessToken {
    /// An access token from its text (surrounding whitespace ignored). Fails
    /// when shorter than [`MIN_ACCESS_TOKEN_LEN`] bytes or not a valid header
    /// value (the error does not contain the token).
    pub fn new(token: &str) -> anyhow::Result<AccessToken> {
        let token = token.trim();
        anyhow::ensure!(
            token.len() >= MIN_ACCESS_TOKEN_LEN,
            "the HTTP access token is too short: use at least {MIN_ACCESS_TOKEN_LEN} characters \
             (e.g. from `openssl rand -hex 32`)"
        );
        anyhow::ensure!(
            token.bytes().all(|b| b.is_ascii_graphic()),
            "the HTTP access token must be printable ASCII without spaces"
        );
        Ok(AccessToken {
            digest: Sha256::digest(token.as_bytes()).into(),
        })
    }

    /// Reads the token from the first line of a file.
    pub fn from_file(path: &std::path::Path) -> anyhow::Result<AccessToken> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!("cannot read the HTTP access token file {}", path.display())
        })?;
        let line = text.lines().next().unwrap_or_default();
        AccessToken::new(line).with_context(|| format!("in {}", path.display()))
    }

    /// Whether `presented` is this token, in time independent of where they differ.
    pub fn matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        self.digest.ct_eq(&digest).into()
    }

    /// The client its holders are, for the session caps.
    pub fn client_key(&self) -> ClientKey {
        ClientKey::Credential(self.digest)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// How HTTP clients authenticate.
#[derive(Clone, Debug, Default)]
pub enum HttpAuth {
    /// No authentication (loopback only).
    #[default]
    None,
    /// A shared access token (`Authorization: Bearer <token>`).
    AccessToken(AccessToken),
    /// Each request carries its caller's PagerDuty token.
    PerRequestToken,
}

impl HttpAuth {
    /// Whether clients must authenticate.
    pub fn is_required(&self) -> bool {
        !matches!(self, HttpAuth::None)
    }
}

/// The PagerDuty token in an `Authorization` header value: `Token token=<t>`
/// (a REST API key) or `Bearer <t>` (an OAuth token); schemes are matched
/// case-insensitively. `None` for anything else, an empty token or one with
/// spaces.
pub fn pagerduty_token(authorization: &str) -> Option<ApiToken> {
    let credential = credential::parse_authorization(authorization)?;
    let scheme = match credential.scheme() {
        credential::Scheme::Token => AuthScheme::Token,
        credential::Scheme::Bearer => AuthScheme::Bearer,
    };
    ApiToken::new(credential.token(), scheme).ok()
}

/// The `<token>` of `Authorization: Bearer <token>`.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The state of the [`authenticate`] middleware.
pub struct Authenticator {
    auth: HttpAuth,
    /// The sessions of the MCP service (whose client each belongs to).
    sessions: Arc<Sessions>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// An authenticator for `auth`, in front of an MCP service using `sessions`.
    pub fn new(auth: HttpAuth, sessions: Arc<Sessions>) -> Authenticator {
        Authenticator { auth, sessions }
    }
}

/// The 401 answer, with a `WWW-Authenticate` challenge for `auth`'s scheme(s).
fn unauthorized(auth: &HttpAuth, why: &'static str) -> Response {
    let challenge = match auth {
        HttpAuth::PerRequestToken => {
            format!("Token realm=\"{REALM}\", Bearer realm=\"{REALM}\"")
        }
        _ => format!("Bearer realm=\"{REALM}\""),
    };
    let mut response = (StatusCode::UNAUTHORIZED, why).into_response();
    if let Ok(value) = challenge.parse() {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    response
}

fn session_not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not Found: Session not found").into_response()
}

/// The axum middleware: authenticates the request per [`HttpAuth`], strips its
/// `Authorization` header, attaches its [`ClientKey`], and in per-request-token
/// mode attaches the caller's [`ApiToken`] to it and keeps sessions bound to
/// their token.
pub async fn authenticate(
    State(state): State<Arc<Authenticator>>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    match &state.auth {
        HttpAuth::None => {
            let client = match request.extensions().get::<PeerAddr>() {
                Some(PeerAddr(peer)) => ClientKey::Peer(peer.ip()),
                None => ClientKey::Unknown,
            };
            request.extensions_mut().insert(client);
            next.run(request).await
        }
        HttpAuth::AccessToken(expected) => {
            let ok = bearer_token(request.headers()).is_some_and(|t| expected.matches(t));
            if !ok {
                tracing::warn!(
                    method = %request.method(),
                    "rejected an HTTP request without the right access token"
                );
                return unauthorized(
                    &state.auth,
                    "Unauthorized: present the access token as `Authorization: Bearer <token>`",
                );
            }
            request.headers_mut().remove(AUTHORIZATION);
            request.extensions_mut().insert(expected.client_key());
            next.run(request).await
        }
        HttpAuth::PerRequestToken => per_request(&state, request, next).await,
    }
}

async fn per_request(state: &Authenticator, mut request: Request<Body>, next: Next) -> Response {
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(pagerduty_token);
    let Some(token) = token else {
        tracing::warn!(
            method = %request.method(),
            "rejected an HTTP request without a PagerDuty token"
        );
        return unauthorized(&state.auth, credential::MISSING_CREDENTIAL);
    };
    let client = ClientKey::credential(token.authorization().as_bytes());
    let session = http_sessions::session_header(request.headers());
    if let Some(owner) = session.and_then(|session| state.sessions.owner(session))
        && !owner.same(&client)
    {
        tracing::warn!("rejected a request for a session created with another PagerDuty token");
        return session_not_found();
    }
    request.headers_mut().remove(AUTHORIZATION);
    request.extensions_mut().insert(token);
    request.extensions_mut().insert(client);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_token_matches_only_itself() {
        let token = AccessToken::new("  0123456789abcdef-secret\n").unwrap();
        assert!(token.matches("0123456789abcdef-secret"));
        assert!(!token.matches("0123456789abcdef-secreT"));
        assert!(!token.matches("0123456789abcdef-secret "));
        assert!(!token.matches(""));
        assert!(!format!("{token:?}").contains("secret"));
        let err = AccessToken::new("short").unwrap_err().to_string();
        assert!(
            err.contains("too short") && !err.contains("short\""),
            "{err}"
        );
        assert!(AccessToken::new("0123456789abcdef with space").is_err());
    }

    #[test]
    fn bearer_token_parsing() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer_token(&headers), None);
        headers.insert(AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert(AUTHORIZATION, "bearer   abc ".parse().unwrap());
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert(AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer_token(&headers), None);
        headers.insert(AUTHORIZATION, "Bearer ".parse().unwrap());
        assert_eq!(bearer_token(&headers), None);
    }

    #[test]
    fn pagerduty_token_parsing_keeps_the_scheme() {
        let sent = |header: &str| {
            pagerduty_token(header).map(|t| t.authorization().to_str().unwrap().to_owned())
        };
        assert_eq!(
            sent("Token token=u+abc").as_deref(),
            Some("Token token=u+abc")
        );
        assert_eq!(
            sent("token  token = u+abc ").as_deref(),
            Some("Token token=u+abc")
        );
        assert_eq!(
            sent("Bearer pdus+_xyz").as_deref(),
            Some("Bearer pdus+_xyz")
        );
        assert_eq!(sent("Bearer oauth").as_deref(), Some("Bearer oauth"));
        // OAuth tokens are always sent as Bearer.
        assert_eq!(
            sent("Token token=pdus+_xyz").as_deref(),
            Some("Bearer pdus+_xyz")
        );
        for bad in [
            "",
            "Token",
            "Token abc",
            "Token token=",
            "Token key=abc",
            "Basic abc",
            "Bearer ",
            "Bearer a b",
        ] {
            assert_eq!(sent(bad), None, "{bad:?}");
        }
    }
}

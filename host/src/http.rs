//! The Streamable HTTP transport: `pagerduty-mcp --http ADDR` serves MCP at
//! `http://ADDR/mcp` with rmcp's [`StreamableHttpService`].
//!
//! * Both protocol eras rmcp supports: legacy sessions (`initialize`, then
//!   `Mcp-Session-Id`) and the stateless 2026-07-28 revision (per-request
//!   `_meta`, no session).
//! * Every session and every stateless request gets a clone of the same
//!   [`McpServer`]; rmcp runs requests concurrently and each tool call runs in
//!   its own sandbox instance.
//! * Binds loopback unless [`HttpConfig::allow_remote`]; a non-loopback bind
//!   also needs authentication ([`HttpAuth`], see [`HttpConfig::validate`]).
//! * DNS-rebinding protection by rmcp: the `Host` header must name an allowed
//!   host (loopback names by default; any host on a remote bind unless
//!   [`HttpConfig::allowed_hosts`] is set) and a present `Origin` header an
//!   allowed origin ([`DEFAULT_ALLOWED_ORIGINS`]), else 403.
//! * Authentication by [`crate::http_auth::authenticate`] in front of the service.
//! * A client that leaves before its answer cancels its call
//!   ([`crate::http_cancel`]).
//! * `DELETE /mcp` answers as the MCP specification and its SDKs expect
//!   (`end_session`): 200 when it ends a session, 404 for a session that does
//!   not exist (any more), 405 with `Allow` when there is no session to end.
//! * Bounded: legacy sessions are capped overall and per client and closed
//!   when idle ([`crate::http_sessions`], [`HttpConfig::sessions`]);
//!   connections are capped, with timeouts for slow request headers and idle
//!   connections ([`crate::http_conn`], [`HttpConfig::connections`]).
//! * JSON-RPC exactness over HTTP: malformed bodies get 400 with a JSON-RPC
//!   error carrying the request's id, a request id still in flight in its
//!   session an error ([`crate::http_check`]).
//!
//! The layers, in the order a request meets them: the connection
//! ([`crate::http_conn`]), request logging, authentication
//! ([`crate::http_auth`]), the body checks and session admission
//! ([`crate::http_check`]), `end_session`, cancel-on-disconnect
//! ([`crate::http_cancel`]), rmcp's service with [`Sessions`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse as _, Response};
use http::header::ALLOW;
use http::{HeaderMap, Method, StatusCode};
use rmcp::model::ProtocolVersion;
use rmcp::transport::streamable_http_server::{SessionId, SessionManager as _};
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};

use crate::http_auth::{Authenticator, HttpAuth};
use crate::http_check::Checker;
use crate::http_conn::ConnectionLimits;
use crate::http_sessions::{SESSION_HEADER, SessionLimits, Sessions, session_header};
use crate::mcp::{McpServer, TokenSource};

/// The path MCP is served at.
pub const MCP_PATH: &str = "/mcp";

use pagerduty_mcp_protocol::origin::any_port;
pub use pagerduty_mcp_protocol::origin::{
    ALLOWED_HOSTS_VAR, ALLOWED_ORIGINS_VAR, DEFAULT_ALLOWED_ORIGINS, parse_origin,
};

/// The protocol version header.
const PROTOCOL_VERSION_HEADER: &str = "mcp-protocol-version";

/// The `Host` names allowed by default on a loopback bind.
pub const DEFAULT_ALLOWED_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// How long open connections may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Everything the HTTP transport needs besides the [`McpServer`].
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// The address to listen on; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Whether a non-loopback address may be bound.
    pub allow_remote: bool,
    /// How clients authenticate.
    pub auth: HttpAuth,
    /// Allowed `Origin` values (`scheme://host[:port]`, no port = any port).
    pub allowed_origins: Vec<String>,
    /// Allowed `Host` header values (`host` or `host:port`); `None` = the
    /// loopback names on a loopback bind, any host on a remote bind.
    pub allowed_hosts: Option<Vec<String>>,
    /// How many legacy sessions may be open, and for how long idle.
    pub sessions: SessionLimits,
    /// How many connections may be open, and their timeouts.
    pub connections: ConnectionLimits,
}

impl HttpConfig {
    /// A loopback configuration without authentication and the default origins.
    pub fn local(addr: SocketAddr) -> HttpConfig {
        HttpConfig {
            addr,
            allow_remote: false,
            auth: HttpAuth::None,
            allowed_origins: DEFAULT_ALLOWED_ORIGINS.map(str::to_owned).to_vec(),
            allowed_hosts: None,
            sessions: SessionLimits::default(),
            connections: ConnectionLimits::default(),
        }
    }

    /// Checks the binding rules: a non-loopback address needs `allow_remote`
    /// and authentication (an access token or per-request PagerDuty tokens).
    /// The error is one line for the user.
    pub fn validate(&self) -> Result<(), String> {
        if is_loopback(self.addr.ip()) {
            return Ok(());
        }
        if !self.allow_remote {
            return Err(format!(
                "refusing to serve on the non-loopback address {}: pass --allow-remote, and an \
                 access token (PAGERDUTY_MCP_HTTP_TOKEN or --http-token-file) or \
                 --per-request-token",
                self.addr
            ));
        }
        if !self.auth.is_required() {
            return Err(format!(
                "refusing to serve on the non-loopback address {} without authentication: set \
                 an access token (PAGERDUTY_MCP_HTTP_TOKEN or --http-token-file) or pass \
                 --per-request-token",
                self.addr
            ));
        }
        Ok(())
    }

    /// rmcp's configuration: Host and Origin validation, sessions on.
    fn rmcp_config(&self) -> StreamableHttpServerConfig {
        let hosts = match &self.allowed_hosts {
            Some(hosts) => hosts.clone(),
            None if is_loopback(self.addr.ip()) => {
                DEFAULT_ALLOWED_HOSTS.map(str::to_owned).to_vec()
            }
            // A remote bind is authenticated; clients use whatever name
            // reaches this machine.
            None => Vec::new(),
        };
        let origins: Vec<String> = self.allowed_origins.iter().map(|o| any_port(o)).collect();
        let mut config = StreamableHttpServerConfig::default()
            .with_allowed_origins(origins)
            .enforce_origin_validation();
        config = if hosts.is_empty() {
            config.disable_allowed_hosts()
        } else {
            config.with_allowed_hosts(hosts)
        };
        config
    }
}

/// Parses `--http`: `PORT`, `IP:PORT`, `[IPv6]:PORT` or `localhost:PORT`.
pub fn parse_listen_addr(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Some(port) = text.strip_prefix("localhost:") {
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("invalid port in {text:?}"))?;
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    text.parse::<SocketAddr>().map_err(|_| {
        format!("invalid address {text:?}: expected IP:PORT (e.g. 127.0.0.1:8000) or a port")
    })
}

/// Whether `ip` is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z).
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// The HTTP application: `/mcp` behind authentication and request logging.
/// In [`HttpAuth::PerRequestToken`] mode the handler takes each call's token
/// from its request. Also returns rmcp's config (its cancellation token stops
/// all sessions and streams).
pub fn router(server: McpServer, config: &HttpConfig) -> (Router, StreamableHttpServerConfig) {
    let server = match config.auth {
        HttpAuth::PerRequestToken => server.with_token_source(TokenSource::PerRequest),
        _ => server,
    };
    let sessions = Arc::new(Sessions::new(config.sessions.clone()));
    let rmcp_config = config.rmcp_config();
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        sessions.clone(),
        rmcp_config.clone(),
    );
    let authenticator = Arc::new(Authenticator::new(config.auth.clone(), sessions.clone()));
    let checker = Arc::new(Checker::new(sessions.clone()));
    // The last route layer runs first: authentication, the body checks, then
    // session ending.
    let router = Router::new()
        .route_service(MCP_PATH, service)
        .route_layer(middleware::from_fn(
            crate::http_cancel::cancel_on_disconnect,
        ))
        .route_layer(middleware::from_fn_with_state(sessions, end_session))
        .route_layer(middleware::from_fn_with_state(
            checker,
            crate::http_check::check_request,
        ))
        .route_layer(middleware::from_fn_with_state(
            authenticator,
            crate::http_auth::authenticate,
        ))
        .layer(middleware::from_fn(log_request));
    (router, rmcp_config)
}

/// `DELETE /mcp`: ends a session with the answers the MCP specification and
/// its SDKs expect, around rmcp, which validates the request (Host, Origin,
/// `MCP-Protocol-Version`) and closes the session but answers 202 for any
/// session ID, known or not, and 400 without one.
///
/// * A live session: closed by rmcp, then **200**. The Python SDK accepts only
///   200 or 204 (it logs "Session termination failed: 202" otherwise).
/// * A session ID naming no session (never created, or already ended): **404**;
///   the server "MUST respond to requests containing that session ID with
///   HTTP 404 Not Found" once a session is terminated (MCP 2025-11-25, Streamable
///   HTTP, Session Management, item 3).
/// * No session ID (a stateless client; there is no session to end): **405**
///   with `Allow: POST`, as for the 2026-07-28 revision, which has no sessions
///   ("HTTP GET or DELETE to the MCP endpoint: respond with 405 Method Not
///   Allowed"; 2025-11-25 item 5: a server "MAY respond to this request with
///   HTTP 405"). rmcp answers a DELETE carrying `MCP-Protocol-Version:
///   2026-07-28` that way itself.
///
/// rmcp's refusals stand: 403 for a foreign Host or Origin, 400 for an
/// unsupported `MCP-Protocol-Version`.
async fn end_session(
    State(sessions): State<Arc<Sessions>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::DELETE {
        return next.run(request).await;
    }
    let session = session_header(request.headers()).map(SessionId::from);
    let live = match &session {
        Some(id) => sessions.has_session(id).await.unwrap_or(false),
        None => false,
    };
    let without_session_header = !request.headers().contains_key(SESSION_HEADER);
    let known_version = supported_protocol_version(request.headers());
    let response = next.run(request).await;
    match (&session, response.status()) {
        (Some(_), StatusCode::ACCEPTED) if live => StatusCode::OK.into_response(),
        (Some(_), StatusCode::ACCEPTED) => {
            (StatusCode::NOT_FOUND, "Not Found: Session not found").into_response()
        }
        // rmcp's "Session ID is required", for a request it otherwise accepted.
        (None, StatusCode::BAD_REQUEST) if without_session_header && known_version => (
            StatusCode::METHOD_NOT_ALLOWED,
            [(ALLOW, "POST")],
            "Method Not Allowed: there is no session to end",
        )
            .into_response(),
        _ => response,
    }
}

/// Whether the request's `MCP-Protocol-Version` header is absent (meaning
/// 2025-03-26) or names a protocol version rmcp supports.
fn supported_protocol_version(headers: &HeaderMap) -> bool {
    match headers.get(PROTOCOL_VERSION_HEADER) {
        None => true,
        Some(value) => value.to_str().is_ok_and(|version| {
            ProtocolVersion::KNOWN_VERSIONS
                .iter()
                .any(|known| known.as_str() == version)
        }),
    }
}

/// Logs each HTTP request at debug level: method, path, status, duration.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::debug!(
        %method,
        %path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "HTTP request"
    );
    response
}

/// A bound, not yet serving, HTTP transport.
pub struct HttpServer {
    listener: tokio::net::TcpListener,
    local_addr: SocketAddr,
    router: Router,
    rmcp_config: StreamableHttpServerConfig,
    connections: ConnectionLimits,
}

impl HttpServer {
    /// Validates `config` and binds its address (errors: see
    /// [`HttpConfig::validate`], or the address cannot be bound).
    pub async fn bind(server: McpServer, config: &HttpConfig) -> anyhow::Result<HttpServer> {
        config.validate().map_err(anyhow::Error::msg)?;
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.addr))?;
        let local_addr = listener.local_addr().context("reading the bound address")?;
        let (router, rmcp_config) = router(server, config);
        Ok(HttpServer {
            listener,
            local_addr,
            router,
            rmcp_config,
            connections: config.connections,
        })
    }

    /// The address actually bound (with the chosen port for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The MCP endpoint, e.g. `http://127.0.0.1:8000/mcp`.
    pub fn url(&self) -> String {
        format!("http://{}{MCP_PATH}", self.local_addr)
    }

    /// Serves until `shutdown` completes, then closes every session and stream
    /// and waits (at most a few seconds) for open connections to finish.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let cancel = self.rmcp_config.cancellation_token.clone();
        let shutdown = async move {
            shutdown.await;
            cancel.cancel();
        };
        crate::http_conn::serve(
            self.listener,
            self.router,
            self.connections,
            shutdown,
            SHUTDOWN_GRACE,
        )
        .await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        parse_listen_addr(text).unwrap()
    }

    #[test]
    fn listen_addresses() {
        assert_eq!(addr("8000"), "127.0.0.1:8000".parse().unwrap());
        assert_eq!(addr("localhost:0"), "127.0.0.1:0".parse().unwrap());
        assert_eq!(addr("0.0.0.0:80"), "0.0.0.0:80".parse().unwrap());
        assert_eq!(addr("[::1]:9"), "[::1]:9".parse().unwrap());
        for bad in ["", "host:80", "127.0.0.1", "127.0.0.1:99999", "localhost:x"] {
            assert!(parse_listen_addr(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn loopback_detection() {
        for ip in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "0.0.0.0",
            "::",
            "10.0.0.1",
            "192.168.1.2",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_loopback(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn remote_binds_need_a_flag_and_authentication() {
        let mut config = HttpConfig::local(addr("127.0.0.1:0"));
        assert!(config.validate().is_ok());
        config.addr = addr("0.0.0.0:0");
        let err = config.validate().unwrap_err();
        assert!(err.contains("--allow-remote"), "{err}");
        config.allow_remote = true;
        let err = config.validate().unwrap_err();
        assert!(err.contains("without authentication"), "{err}");
        config.auth = HttpAuth::PerRequestToken;
        assert!(config.validate().is_ok());
        config.auth =
            HttpAuth::AccessToken(crate::http_auth::AccessToken::new("0123456789abcdef").unwrap());
        assert!(config.validate().is_ok());
        // Authentication alone is not enough.
        config.allow_remote = false;
        assert!(config.validate().is_err());
    }

    #[test]
    fn rmcp_host_defaults() {
        let config = HttpConfig::local(addr("127.0.0.1:0"));
        assert_eq!(config.rmcp_config().allowed_hosts, DEFAULT_ALLOWED_HOSTS);
        let mut remote = HttpConfig::local(addr("0.0.0.0:0"));
        remote.allow_remote = true;
        assert!(remote.rmcp_config().allowed_hosts.is_empty());
        remote.allowed_hosts = Some(vec!["mcp.example.com".into()]);
        assert_eq!(remote.rmcp_config().allowed_hosts, ["mcp.example.com"]);
        assert_eq!(
            config.rmcp_config().allowed_origins,
            ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]
        );
    }
}

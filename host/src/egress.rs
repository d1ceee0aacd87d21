//! The outgoing-request policy: where the component may send HTTP requests and
//! how they are authenticated.
//!
//! The component reaches PagerDuty only through `wasi:http/outgoing-handler`.
//! Every request passes through [`EgressPolicy`], a [`WasiHttpHooks`]
//! implementation that
//!
//! * allows a request only when its scheme, host and port equal the API base's
//!   (anything else fails with `HttpRequestDenied` in the guest),
//! * forbids the guest from setting `Authorization` at all, removes it again
//!   before sending (defence in depth) and inserts the host's own
//!   `Authorization: Token token=<t>` (or `Bearer <t>` for OAuth tokens),
//! * fills the connect / first-byte / between-bytes timeouts from the
//!   configured request timeout where the guest set none,
//! * logs each request at debug level: method, path, status and duration
//!   (never the token, never the query string).
//!
//! The token lives only in this module's [`HeaderValue`] (marked sensitive);
//! it is never given to the guest.
//!
//! A call its caller may cancel gets a policy with that call's cancellation
//! ([`EgressPolicy::cancelled_by`]): once it fires, no request of the call is
//! sent any more (checked right before each request leaves), and a request in
//! flight is aborted: its connection is closed and never polled again.
//!
//! A policy has a default token (the one from the environment, used on stdio).
//! Over HTTP with per-request tokens, each call gets its own policy from
//! [`EgressPolicy::for_token`]: same destination and timeouts, the caller's
//! [`ApiToken`] instead of the default, so one call's requests carry exactly
//! that call's token.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use http::header::{AUTHORIZATION, HeaderName, HeaderValue, PROXY_AUTHORIZATION};
use http::uri::Scheme;
use http_body_util::BodyExt as _;
use pagerduty_tools::config::redact_url;
use tokio_util::sync::CancellationToken;
use wasmtime_wasi_http::{
    DEFAULT_FORBIDDEN_HEADERS, Error as HttpError, ForbiddenHeaderFilter, RequestOptions, WasiBody,
    WasiHttpHooks,
};

/// The prefix of PagerDuty OAuth (user-scoped) access tokens, which are sent
/// as `Authorization: Bearer <token>`.
pub const OAUTH_TOKEN_PREFIX: &str = "pdus+_";

/// How the API token is presented to PagerDuty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthScheme {
    /// `Authorization: Token token=<token>` (REST API keys). Tokens starting
    /// with [`OAUTH_TOKEN_PREFIX`] are still sent as `Bearer`.
    #[default]
    Token,
    /// `Authorization: Bearer <token>` (OAuth access tokens).
    Bearer,
}

impl AuthScheme {
    /// The scheme a token needs when none was chosen: `Bearer` for OAuth
    /// tokens (prefix [`OAUTH_TOKEN_PREFIX`]), `Token` otherwise.
    pub fn detect(token: &str) -> AuthScheme {
        if token.starts_with(OAUTH_TOKEN_PREFIX) {
            AuthScheme::Bearer
        } else {
            AuthScheme::Token
        }
    }
}

/// The `Authorization` header value for `token` under `scheme`.
///
/// OAuth tokens (prefix [`OAUTH_TOKEN_PREFIX`]) always get `Bearer`.
/// Fails when the token contains characters not allowed in an HTTP header
/// (the error does not contain the token).
pub fn authorization_value(token: &str, scheme: AuthScheme) -> anyhow::Result<HeaderValue> {
    let bearer = scheme == AuthScheme::Bearer || token.starts_with(OAUTH_TOKEN_PREFIX);
    let text = if bearer {
        format!("Bearer {token}")
    } else {
        format!("Token token={token}")
    };
    let mut value = HeaderValue::from_str(&text).map_err(|_| {
        anyhow::anyhow!(
            "the PagerDuty API token contains characters that are not allowed in an HTTP header"
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// One caller's PagerDuty credential, ready to send: the `Authorization`
/// header value (marked sensitive). Its `Debug` output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken {
    authorization: HeaderValue,
}

impl ApiToken {
    /// The credential for `token` sent under `scheme` (see [`authorization_value`]).
    /// Fails, without echoing the token, when it is empty or cannot be an HTTP
    /// header value.
    pub fn new(token: &str, scheme: AuthScheme) -> anyhow::Result<ApiToken> {
        anyhow::ensure!(!token.trim().is_empty(), "the PagerDuty API token is empty");
        Ok(ApiToken {
            authorization: authorization_value(token, scheme)?,
        })
    }

    /// The `Authorization` header value sent to PagerDuty.
    pub fn authorization(&self) -> &HeaderValue {
        &self.authorization
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

/// A validated API base URL: `http` or `https`, a host, an optional port, no
/// path other than `/`, no query, fragment or credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiBase {
    scheme: Scheme,
    host: String,
    port: u16,
    normalized: String,
}

impl ApiBase {
    /// Parses and validates an API base URL such as `https://api.pagerduty.com`.
    ///
    /// An error shows the URL with its credentials, path, query and fragment
    /// values redacted ([`shown_api_host`]): a token pasted into it is never
    /// echoed.
    pub fn parse(text: &str) -> anyhow::Result<ApiBase> {
        let text = text.trim();
        let shown = shown_api_host(text);
        let url = url::Url::parse(text)
            .with_context(|| format!("invalid API host {shown:?}: not an absolute URL (expected e.g. https://api.pagerduty.com)"))?;
        let scheme = match url.scheme() {
            "https" => Scheme::HTTPS,
            "http" => Scheme::HTTP,
            other => bail!("invalid API host {shown:?}: scheme {other:?} is not http or https"),
        };
        if !url.username().is_empty() || url.password().is_some() {
            bail!(
                "invalid API host {shown:?}: credentials are not allowed in the URL \
                 (the API token goes in PAGERDUTY_API_TOKEN)"
            );
        }
        let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
            bail!("invalid API host {shown:?}: no host name");
        };
        if url.path() != "/" && !url.path().is_empty() {
            bail!(
                "invalid API host {shown:?}: a path is not allowed (expected only \
                 scheme://host[:port], e.g. https://api.pagerduty.com)"
            );
        }
        if url.query().is_some() {
            bail!("invalid API host {shown:?}: a query string is not allowed");
        }
        if url.fragment().is_some() {
            bail!("invalid API host {shown:?}: a fragment is not allowed");
        }
        let port = url
            .port_or_known_default()
            .with_context(|| format!("invalid API host {shown:?}: no port"))?;
        let host = host.to_ascii_lowercase();
        let normalized = match url.port() {
            Some(p) => format!("{}://{host}:{p}", url.scheme()),
            None => format!("{}://{host}", url.scheme()),
        };
        Ok(ApiBase {
            scheme,
            host,
            port,
            normalized,
        })
    }

    /// The base URL without a trailing slash, e.g. `https://api.pagerduty.com`
    /// (what the component receives as `PAGERDUTY_API_HOST`).
    pub fn as_str(&self) -> &str {
        &self.normalized
    }

    /// Whether the base uses plain `http` to a host other than a loopback
    /// address (the token would travel unencrypted).
    pub fn is_insecure(&self) -> bool {
        if self.scheme != Scheme::HTTP {
            return false;
        }
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        !loopback
    }

    /// Whether `uri` has this base's scheme, host and port (a missing port
    /// means the scheme's default).
    pub fn allows(&self, uri: &http::Uri) -> bool {
        let Some(scheme) = uri.scheme() else {
            return false;
        };
        if *scheme != self.scheme {
            return false;
        }
        let Some(authority) = uri.authority() else {
            return false;
        };
        if authority.as_str().contains('@') {
            return false; // no credentials in the authority
        }
        let host = authority.host();
        // IPv6 literals come bracketed from `http::Uri` but not from `url::Url`.
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let self_host = self
            .host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&self.host);
        if !host.eq_ignore_ascii_case(self_host) {
            return false;
        }
        let default_port = if *scheme == Scheme::HTTPS { 443 } else { 80 };
        authority.port_u16().unwrap_or(default_port) == self.port
    }
}

impl fmt::Debug for ApiBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized)
    }
}

impl fmt::Display for ApiBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized)
    }
}

/// Whether the guest may not set or see the header `name`: the wasi-http
/// defaults plus `authorization`.
pub fn is_forbidden_header(name: &HeaderName) -> bool {
    *name == AUTHORIZATION || DEFAULT_FORBIDDEN_HEADERS.contains(name)
}

struct Inner {
    base: ApiBase,
    authorization: Option<HeaderValue>,
    request_timeout: Duration,
}

/// The outgoing-request policy for one API base and token. Cheap to clone
/// (one per store).
#[derive(Clone)]
pub struct EgressPolicy {
    inner: Arc<Inner>,
    /// The cancellation of the one call this policy's store runs, if any.
    cancel: Option<CancellationToken>,
}

impl fmt::Debug for EgressPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EgressPolicy")
            .field("base", &self.inner.base)
            .field(
                "authorization",
                &self.inner.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("request_timeout", &self.inner.request_timeout)
            .field(
                "cancelled",
                &self.cancel.as_ref().map(CancellationToken::is_cancelled),
            )
            .finish()
    }
}

impl EgressPolicy {
    /// A policy allowing requests to `base` only, authenticated with `token`
    /// (no `Authorization` header when `None`).
    pub fn new(
        base: ApiBase,
        token: Option<&str>,
        scheme: AuthScheme,
        request_timeout: Duration,
    ) -> anyhow::Result<EgressPolicy> {
        let authorization = token.map(|t| authorization_value(t, scheme)).transpose()?;
        Ok(EgressPolicy {
            inner: Arc::new(Inner {
                base,
                authorization,
                request_timeout,
            }),
            cancel: None,
        })
    }

    /// The API base this policy allows.
    pub fn base(&self) -> &ApiBase {
        &self.inner.base
    }

    /// The same policy (destination, timeouts) authenticating with `token`
    /// instead of the default token: for one call made on behalf of one caller.
    pub fn for_token(&self, token: &ApiToken) -> EgressPolicy {
        EgressPolicy {
            inner: Arc::new(Inner {
                base: self.inner.base.clone(),
                authorization: Some(token.authorization.clone()),
                request_timeout: self.inner.request_timeout,
            }),
            cancel: self.cancel.clone(),
        }
    }

    /// The same policy for one call that `cancel` may cancel: once it is
    /// cancelled, a request about to leave fails instead (`InternalError`,
    /// nothing is sent), and a request in flight is dropped with its
    /// connection, whatever its state (connecting, sending, waiting for the
    /// answer, reading the body).
    pub fn cancelled_by(&self, cancel: CancellationToken) -> EgressPolicy {
        EgressPolicy {
            inner: self.inner.clone(),
            cancel: Some(cancel),
        }
    }

    /// Applies the policy to a request about to be sent: denies other
    /// destinations, replaces any `Authorization` header with the host's, and
    /// returns the request options with the configured timeouts filled in.
    pub fn prepare<B>(
        &self,
        request: &mut http::Request<B>,
        options: Option<RequestOptions>,
    ) -> Result<RequestOptions, HttpError> {
        if !self.inner.base.allows(request.uri()) {
            tracing::warn!(
                method = %request.method(),
                destination = %describe_destination(request.uri()),
                allowed = %self.inner.base,
                "denied an outgoing request to a destination other than the API host"
            );
            return Err(HttpError::HttpRequestDenied);
        }
        let headers = request.headers_mut();
        headers.remove(AUTHORIZATION);
        headers.remove(PROXY_AUTHORIZATION);
        if let Some(value) = &self.inner.authorization {
            headers.insert(AUTHORIZATION, value.clone());
        }
        let mut options = options.unwrap_or_default();
        let timeout = self.inner.request_timeout;
        options.connect_timeout.get_or_insert(timeout);
        options.first_byte_timeout.get_or_insert(timeout);
        options.between_bytes_timeout.get_or_insert(timeout);
        Ok(options)
    }
}

/// An API host as error messages show it: [`redact_url`], and a path other
/// than `/` shown as `/***`. An API host has no path of its own, so a path is
/// more likely a pasted secret than anything a reader needs to see.
fn shown_api_host(text: &str) -> String {
    let redacted = redact_url(text);
    let after_scheme = redacted.find("://").map_or(0, |i| i + 3);
    let rest = &redacted[after_scheme..];
    let location_end = rest.find(['?', '#']).unwrap_or(rest.len());
    match rest[..location_end].find('/') {
        Some(slash) if location_end > slash + 1 => format!(
            "{}/***{}",
            &redacted[..after_scheme + slash],
            &rest[location_end..]
        ),
        _ => redacted,
    }
}

/// `scheme://authority` of a URI, for logs (no path or query, credentials
/// redacted).
fn describe_destination(uri: &http::Uri) -> String {
    redact_url(&format!(
        "{}://{}",
        uri.scheme_str().unwrap_or("?"),
        uri.authority().map(|a| a.as_str()).unwrap_or("?")
    ))
}

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

/// What [`WasiHttpHooks::send_request`] returns: the response head and the
/// future driving the connection while the body is read.
type SendFuture =
    Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), HttpError>> + Send>;

impl WasiHttpHooks for EgressPolicy {
    fn is_forbidden_header(&mut self, name: &HeaderName) -> bool {
        is_forbidden_header(name)
    }

    fn forbidden_header_filter(&mut self) -> ForbiddenHeaderFilter {
        Arc::new(is_forbidden_header)
    }

    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: IoFuture,
    ) -> SendFuture {
        drop(fut);
        let prepared = self.prepare(&mut request, options);
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let cancel = self.cancel.clone();
        // wasi-http runs this future on a task of its own, which may be polled
        // after the call was cancelled (until the call's store is dropped and
        // aborts it): hence the checks here and not only in the call.
        Box::new(async move {
            let options = prepared?;
            // The last moment before anything leaves for PagerDuty.
            if cancel.as_ref().is_some_and(CancellationToken::is_cancelled) {
                tracing::debug!(%method, %path, "PagerDuty request not sent: the call was cancelled");
                return Err(cancelled());
            }
            let started = Instant::now();
            let sending = wasmtime_wasi_http::default_send_request(request, Some(options));
            let result = until_cancelled(cancel.as_ref(), sending).await;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let result = match result {
                Some(result) => result,
                None => {
                    tracing::debug!(%method, %path, ms, "PagerDuty request aborted: the call was cancelled");
                    return Err(cancelled());
                }
            };
            match &result {
                Ok((response, _)) => {
                    tracing::debug!(%method, %path, status = response.status().as_u16(), ms, "PagerDuty request")
                }
                Err(error) => {
                    tracing::debug!(%method, %path, %error, ms, "PagerDuty request failed")
                }
            }
            let (response, io) = result?;
            // The connection keeps running while the guest reads the body; a
            // cancellation closes it too.
            let io = async move { until_cancelled(cancel.as_ref(), io).await.unwrap_or(Ok(())) };
            Ok((
                response.map(|body| body.boxed_unsync()),
                Box::new(io) as IoFuture,
            ))
        })
    }
}

/// The error of a request refused or aborted because its call was cancelled
/// (the guest normally never sees it: its instance is being dropped).
fn cancelled() -> HttpError {
    HttpError::InternalError(Some("the tool call was cancelled".to_owned()))
}

/// `work` until it ends, or `None` as soon as `cancel` fires. Biased towards
/// the cancellation: once it fired, `work` is dropped without another poll.
async fn until_cancelled<T>(
    cancel: Option<&CancellationToken>,
    work: impl Future<Output = T>,
) -> Option<T> {
    let Some(cancel) = cancel else {
        return Some(work.await);
    };
    tokio::select! {
        biased;
        () = cancel.cancelled() => None,
        out = work => Some(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(base: &str, token: Option<&str>, scheme: AuthScheme) -> EgressPolicy {
        EgressPolicy::new(
            ApiBase::parse(base).unwrap(),
            token,
            scheme,
            Duration::from_secs(30),
        )
        .unwrap()
    }

    fn request(uri: &str) -> http::Request<()> {
        http::Request::builder().uri(uri).body(()).unwrap()
    }

    #[test]
    fn api_base_validation() {
        for ok in [
            "https://api.pagerduty.com",
            "https://api.pagerduty.com/",
            "http://127.0.0.1:8080",
            "HTTPS://API.PagerDuty.com",
            "http://[::1]:9000/",
        ] {
            ApiBase::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "api.pagerduty.com",
            "ftp://api.pagerduty.com",
            "https://api.pagerduty.com/v2",
            "https://api.pagerduty.com/?x=1",
            "https://api.pagerduty.com/#frag",
            "https://user:pw@api.pagerduty.com",
            "https://",
            "",
        ] {
            assert!(ApiBase::parse(bad).is_err(), "{bad} should be rejected");
        }
        assert_eq!(
            ApiBase::parse("https://API.pagerduty.com/")
                .unwrap()
                .as_str(),
            "https://api.pagerduty.com"
        );
        assert_eq!(
            ApiBase::parse("http://127.0.0.1:8080/").unwrap().as_str(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            ApiBase::parse("https://api.pagerduty.com:443")
                .unwrap()
                .as_str(),
            "https://api.pagerduty.com"
        );
    }

    #[test]
    fn a_refused_api_base_is_shown_without_its_secrets() {
        for (bad, why) in [
            ("https://SECRET@api.pagerduty.com", "credentials"),
            ("https://user:SECRET@api.pagerduty.com/", "credentials"),
            ("http://:SECRET@api.example.com", "credentials"),
            ("https://api.pagerduty.com/?token=SECRET", "query"),
            ("https://api.pagerduty.com?SECRET", "query"),
            ("https://api.pagerduty.com/#SECRET", "fragment"),
            ("https://api.pagerduty.com/#access_token=SECRET", "fragment"),
            ("https://api.pagerduty.com/v2?token=SECRET", "a path is not"),
            ("https://api.pagerduty.com/SECRET", "a path is not"),
            ("https://api.pagerduty.com/u+SECRET/x", "a path is not"),
            ("https://api.pagerduty.com:x/SECRET", "not an absolute URL"),
            ("ftp://u:SECRET@api.pagerduty.com", "scheme \"ftp\""),
            // Unparseable.
            ("https://u:SEC/RET@api.pagerduty.com", "not an absolute URL"),
            ("https://u:SEC?RET@api.pagerduty.com", "not an absolute URL"),
            ("https://u:SECRET@", "not an absolute URL"),
            ("SECRET@api.pagerduty.com", "not an absolute URL"),
            (
                "https://u:SECRET@api.pagerduty.com:99999",
                "not an absolute URL",
            ),
        ] {
            let error = format!("{:#}", ApiBase::parse(bad).unwrap_err());
            assert!(
                !error.contains("SECRET") && !error.contains("SEC"),
                "{bad}: {error}"
            );
            assert!(!error.contains("RET"), "{bad}: {error}");
            assert!(error.contains(why), "{bad}: {error}");
            assert!(error.contains("***"), "{bad}: {error}");
        }
        let error = format!(
            "{:#}",
            ApiBase::parse("https://u:SECRET@api.pagerduty.com").unwrap_err()
        );
        assert_eq!(
            error,
            "invalid API host \"https://***@api.pagerduty.com\": credentials are not allowed in \
             the URL (the API token goes in PAGERDUTY_API_TOKEN)"
        );
    }

    #[test]
    fn a_denied_destination_is_logged_without_credentials() {
        let uri: http::Uri = "https://u:SECRET@evil.example/x?token=SECRET"
            .parse()
            .unwrap();
        assert_eq!(describe_destination(&uri), "https://***@evil.example");
    }

    #[test]
    fn allows_only_the_api_destination() {
        let base = ApiBase::parse("https://api.pagerduty.com").unwrap();
        let allowed = [
            "https://api.pagerduty.com/incidents",
            "https://api.pagerduty.com:443/users/me?include[]=teams",
            "https://API.PAGERDUTY.COM/",
        ];
        for uri in allowed {
            assert!(
                base.allows(&uri.parse().unwrap()),
                "{uri} should be allowed"
            );
        }
        let denied = [
            "http://api.pagerduty.com/incidents",
            "https://api.pagerduty.com:8443/incidents",
            "https://evil.example/incidents",
            "https://api.pagerduty.com.evil.example/",
            "https://events.pagerduty.com/v2/enqueue",
            "https://user@api.pagerduty.com/incidents",
            "https://evil.example@api.pagerduty.com/incidents",
            "/incidents",
        ];
        for uri in denied {
            assert!(
                !base.allows(&uri.parse().unwrap()),
                "{uri} should be denied"
            );
        }

        let local = ApiBase::parse("http://127.0.0.1:8080").unwrap();
        assert!(local.allows(&"http://127.0.0.1:8080/users/me".parse().unwrap()));
        assert!(!local.allows(&"http://127.0.0.1:8081/users/me".parse().unwrap()));
        assert!(!local.allows(&"http://127.0.0.1/users/me".parse().unwrap()));
        assert!(!local.allows(&"http://localhost:8080/users/me".parse().unwrap()));

        let v6 = ApiBase::parse("http://[::1]:9000").unwrap();
        assert!(v6.allows(&"http://[::1]:9000/x".parse().unwrap()));
    }

    #[test]
    fn plain_http_is_insecure_unless_loopback() {
        assert!(
            !ApiBase::parse("https://api.pagerduty.com")
                .unwrap()
                .is_insecure()
        );
        assert!(
            ApiBase::parse("http://api.pagerduty.com")
                .unwrap()
                .is_insecure()
        );
        assert!(
            !ApiBase::parse("http://127.0.0.1:8080")
                .unwrap()
                .is_insecure()
        );
        assert!(
            !ApiBase::parse("http://localhost:8080")
                .unwrap()
                .is_insecure()
        );
        assert!(!ApiBase::parse("http://[::1]:8080").unwrap().is_insecure());
    }

    #[test]
    fn denied_request_is_http_request_denied() {
        let p = policy(
            "https://api.pagerduty.com",
            Some("secret"),
            AuthScheme::Token,
        );
        let mut req = request("https://evil.example/steal");
        let err = p.prepare(&mut req, None).unwrap_err();
        assert!(matches!(err, HttpError::HttpRequestDenied), "{err:?}");
        assert!(
            req.headers().get(AUTHORIZATION).is_none(),
            "no token on a denied request"
        );
    }

    #[test]
    fn injects_token_and_replaces_guest_authorization() {
        let p = policy(
            "https://api.pagerduty.com",
            Some("abc123"),
            AuthScheme::Token,
        );
        let mut req = request("https://api.pagerduty.com/users/me");
        req.headers_mut()
            .insert(AUTHORIZATION, HeaderValue::from_static("Token token=guest"));
        req.headers_mut()
            .append(AUTHORIZATION, HeaderValue::from_static("Bearer other"));
        req.headers_mut()
            .insert(PROXY_AUTHORIZATION, HeaderValue::from_static("Basic x"));
        p.prepare(&mut req, None).unwrap();
        let values: Vec<_> = req.headers().get_all(AUTHORIZATION).iter().collect();
        assert_eq!(values, ["Token token=abc123"]);
        assert!(values[0].is_sensitive());
        assert!(req.headers().get(PROXY_AUTHORIZATION).is_none());
    }

    #[test]
    fn bearer_for_oauth_tokens_and_explicit_scheme() {
        let p = policy(
            "https://api.pagerduty.com",
            Some("pdus+_abc"),
            AuthScheme::Token,
        );
        let mut req = request("https://api.pagerduty.com/users/me");
        p.prepare(&mut req, None).unwrap();
        assert_eq!(req.headers()[AUTHORIZATION], "Bearer pdus+_abc");

        let p = policy(
            "https://api.pagerduty.com",
            Some("oauth-token"),
            AuthScheme::Bearer,
        );
        let mut req = request("https://api.pagerduty.com/users/me");
        p.prepare(&mut req, None).unwrap();
        assert_eq!(req.headers()[AUTHORIZATION], "Bearer oauth-token");
    }

    #[test]
    fn no_token_means_no_authorization() {
        let p = policy("http://127.0.0.1:1234", None, AuthScheme::Token);
        let mut req = request("http://127.0.0.1:1234/users/me");
        req.headers_mut()
            .insert(AUTHORIZATION, HeaderValue::from_static("Token token=guest"));
        p.prepare(&mut req, None).unwrap();
        assert!(req.headers().get(AUTHORIZATION).is_none());
    }

    #[test]
    fn invalid_token_is_rejected_without_echoing_it() {
        let err = EgressPolicy::new(
            ApiBase::parse("https://api.pagerduty.com").unwrap(),
            Some("bad\ntoken-SECRET"),
            AuthScheme::Token,
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(!err.to_string().contains("SECRET"));
    }

    #[test]
    fn for_token_replaces_only_the_credential() {
        let default = policy(
            "https://api.pagerduty.com",
            Some("default-token"),
            AuthScheme::Token,
        );
        let caller = ApiToken::new("caller-token", AuthScheme::Bearer).unwrap();
        let per_call = default.for_token(&caller);
        let mut req = request("https://api.pagerduty.com/users/me");
        per_call.prepare(&mut req, None).unwrap();
        assert_eq!(req.headers()[AUTHORIZATION], "Bearer caller-token");
        // The default policy is unchanged.
        let mut req = request("https://api.pagerduty.com/users/me");
        default.prepare(&mut req, None).unwrap();
        assert_eq!(req.headers()[AUTHORIZATION], "Token token=default-token");
        // Still only the API host.
        let mut req = request("https://evil.example/users/me");
        assert!(per_call.prepare(&mut req, None).is_err());
        assert!(req.headers().get(AUTHORIZATION).is_none());
        assert!(!format!("{caller:?}{per_call:?}").contains("caller-token"));
        assert!(ApiToken::new("  ", AuthScheme::Token).is_err());
    }

    #[test]
    fn debug_output_redacts_the_token() {
        let p = policy(
            "https://api.pagerduty.com",
            Some("SECRET-TOKEN"),
            AuthScheme::Token,
        );
        assert!(!format!("{p:?}").contains("SECRET"));
    }

    #[test]
    fn fills_missing_timeouts_only() {
        let p = policy("https://api.pagerduty.com", None, AuthScheme::Token);
        let mut req = request("https://api.pagerduty.com/incidents");
        let opts = p.prepare(&mut req, None).unwrap();
        assert_eq!(opts.connect_timeout, Some(Duration::from_secs(30)));
        assert_eq!(opts.first_byte_timeout, Some(Duration::from_secs(30)));
        assert_eq!(opts.between_bytes_timeout, Some(Duration::from_secs(30)));

        let guest = RequestOptions {
            connect_timeout: Some(Duration::from_secs(2)),
            first_byte_timeout: None,
            between_bytes_timeout: Some(Duration::from_secs(5)),
        };
        let opts = p.prepare(&mut req, Some(guest)).unwrap();
        assert_eq!(opts.connect_timeout, Some(Duration::from_secs(2)));
        assert_eq!(opts.first_byte_timeout, Some(Duration::from_secs(30)));
        assert_eq!(opts.between_bytes_timeout, Some(Duration::from_secs(5)));
    }

    #[test]
    fn authorization_is_forbidden_for_the_guest() {
        let mut p = policy("https://api.pagerduty.com", None, AuthScheme::Token);
        assert!(WasiHttpHooks::is_forbidden_header(&mut p, &AUTHORIZATION));
        assert!((p.forbidden_header_filter())(&AUTHORIZATION));
        assert!((p.forbidden_header_filter())(&http::header::HOST));
        assert!(!(p.forbidden_header_filter())(&http::header::ACCEPT));
        assert!(!(p.forbidden_header_filter())(&HeaderName::from_static(
            "from"
        )));
    }

    /// A request for the hook as wasi-http hands it over: to `base`, no body.
    fn outgoing(base: &str) -> http::Request<WasiBody> {
        let body = http_body_util::Empty::<bytes::Bytes>::new()
            .map_err(|never| match never {})
            .boxed_unsync();
        http::Request::builder()
            .method("PUT")
            .uri(format!("{base}/incidents/PABC123"))
            .body(body)
            .unwrap()
    }

    /// The hook's future for `request` under `policy`.
    fn send(
        policy: &mut EgressPolicy,
        request: http::Request<WasiBody>,
    ) -> std::pin::Pin<SendFuture> {
        let io: IoFuture = Box::new(async { Ok(()) });
        Box::into_pin(WasiHttpHooks::send_request(policy, request, None, io))
    }

    #[tokio::test]
    async fn a_cancelled_call_sends_nothing() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let cancel = CancellationToken::new();
        let mut policy =
            policy(&base, Some("secret"), AuthScheme::Token).cancelled_by(cancel.clone());
        // Cancelled after the guest handed the request over, before it left.
        let sending = send(&mut policy, outgoing(&base));
        cancel.cancel();
        let error = sending.await.err().expect("refused");
        assert!(matches!(error, HttpError::InternalError(_)), "{error:?}");
        let accepted = listener.accept();
        assert!(
            matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "no connection was even opened: {accepted:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancelling_aborts_a_request_in_flight_and_closes_its_connection() {
        use std::io::Read as _;

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let cancel = CancellationToken::new();
        let mut policy = policy(&base, None, AuthScheme::Token).cancelled_by(cancel.clone());
        let sending = tokio::spawn(send(&mut policy, outgoing(&base)));
        // The upstream has the request and never answers.
        let mut upstream = tokio::task::spawn_blocking(move || listener.accept().unwrap().0)
            .await
            .unwrap();
        upstream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut head = Vec::new();
        let mut buffer = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = upstream.read(&mut buffer).unwrap();
            assert!(n > 0, "the request arrived whole");
            head.extend_from_slice(&buffer[..n]);
        }
        let cancelled_at = Instant::now();
        cancel.cancel();
        let result = tokio::time::timeout(Duration::from_secs(5), sending)
            .await
            .expect("the send ends at once")
            .unwrap();
        assert!(matches!(result, Err(HttpError::InternalError(_))));
        let closed = tokio::task::spawn_blocking(move || upstream.read(&mut buffer))
            .await
            .unwrap();
        assert!(
            matches!(closed, Ok(0))
                || closed.is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
            "the connection is closed"
        );
        assert!(cancelled_at.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn auth_scheme_detection() {
        assert_eq!(AuthScheme::detect("pdus+_abc"), AuthScheme::Bearer);
        assert_eq!(AuthScheme::detect("u+abcdef"), AuthScheme::Token);
        assert_eq!(
            AuthScheme::detect("y_NbAkKc66ryYTWUXYEu"),
            AuthScheme::Token
        );
    }
}

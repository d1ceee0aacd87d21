//! One HTTP request in, one response out: the component's whole server, in plain
//! Rust (the `wasi:http` glue only converts types), so it is tested natively.
//!
//! In the order a request meets them:
//!
//! 1. The path: MCP lives at [`MCP_PATH`]; anything else is 404.
//! 2. The caller's PagerDuty token (`Authorization: Token token=…` or `Bearer …`):
//!    without one, 401 with a `WWW-Authenticate` challenge and a message saying
//!    what to send. The header is then taken off the request: the token lives on
//!    only as the request's [`Credential`], which the handler hands to that
//!    request's PagerDuty calls.
//! 3. Stateless MCP ([`stateless::serve`]): `Host` (when [`ALLOWED_HOSTS_VAR`] is
//!    set) and `Origin` checks (403; the allowed origins from
//!    [`ALLOWED_ORIGINS_VAR`], default local pages only), 405 for `GET` and
//!    `DELETE`, 406/415 for the wrong media types, JSON-RPC errors for bodies
//!    that are not one message, the protocol headers and per-request `_meta`,
//!    then the method ([`McpComponent`]).
//!
//! Nothing here logs: a request's token never reaches a log line or an answer.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use pagerduty_mcp_protocol::credential::{self, Credential};
use pagerduty_mcp_protocol::origin::{self, ALLOWED_HOSTS_VAR, ALLOWED_ORIGINS_VAR};
use pagerduty_tools::config::Config;
use pagerduty_tools::http::Transport;

use crate::server::McpComponent;
use crate::stateless::{self, Gate};

/// The path MCP is served at.
pub const MCP_PATH: &str = "/mcp";

/// The realm of the `WWW-Authenticate` challenge.
const REALM: &str = "pagerduty-mcp";

/// The component's configuration, read from its environment for each request
/// (engines may or may not reuse an instance; reading is cheap).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The tools configuration, or the message of an unusable one.
    pub config: Result<Config, String>,
    /// The allowed `Origin` values (rmcp's form, `:*` for any port), or the
    /// message of an invalid [`ALLOWED_ORIGINS_VAR`].
    pub allowed_origins: Result<Vec<String>, String>,
    /// The allowed `Host` names; empty = any (every request is authenticated).
    pub allowed_hosts: Vec<String>,
}

impl Settings {
    /// The settings of the variables `lookup` finds (the process environment in
    /// the component, a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Settings {
        let config = Config::from_lookup(&lookup).map_err(|e| e.to_string());
        let allowed_origins = origin::parse_origin_list(lookup(ALLOWED_ORIGINS_VAR).as_deref())
            .map(|list| list.iter().map(|o| origin::any_port(o)).collect())
            .map_err(|why| format!("{ALLOWED_ORIGINS_VAR} is invalid: {why}"));
        let allowed_hosts = lookup(ALLOWED_HOSTS_VAR)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect();
        Settings {
            config,
            allowed_origins,
            allowed_hosts,
        }
    }

    /// The settings of this process's environment.
    pub fn from_env() -> Settings {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }
}

/// Answers one HTTP request (its body read whole), sending the PagerDuty calls of
/// a `tools/call` through `transport` with the request's own credential.
pub fn handle<T: Transport + Send + Sync + 'static>(
    request: Request<Bytes>,
    settings: &Settings,
    transport: Arc<T>,
) -> Response<Bytes> {
    if request.uri().path() != MCP_PATH {
        return text(
            StatusCode::NOT_FOUND,
            format!("Not Found: MCP is served at {MCP_PATH}"),
        );
    }
    let allowed_origins = match &settings.allowed_origins {
        Ok(origins) => origins,
        Err(why) => return text(StatusCode::INTERNAL_SERVER_ERROR, why.clone()),
    };
    let Some(credential) = bearer(&request) else {
        let mut response = text(StatusCode::UNAUTHORIZED, credential::MISSING_CREDENTIAL);
        let challenge = format!("Token realm=\"{REALM}\", Bearer realm=\"{REALM}\"");
        if let Ok(value) = http::HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        return response;
    };
    let (mut parts, body) = request.into_parts();
    parts.headers.remove(AUTHORIZATION);
    let gate = Gate {
        allowed_origins,
        allowed_hosts: &settings.allowed_hosts,
    };
    let component = McpComponent::new(settings.config.clone(), transport);
    stateless::serve(&parts, &body, &gate, &component, &credential)
}

/// The caller's PagerDuty credential in the request's `Authorization` header.
fn bearer(request: &Request<Bytes>) -> Option<Credential> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    credential::parse_authorization(value)
}

/// A plain-text answer.
fn text(status: StatusCode, message: impl Into<String>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(message.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
    use pagerduty_mcp_protocol::jsonrpc;
    use pagerduty_tools::catalog;
    use pagerduty_tools::http::{HttpRequest, HttpResponse, TransportError};
    use serde_json::{Value, json};
    use std::sync::Mutex;

    const TOKEN: &str = "u+secret-token-1234";

    /// Answers every request `200 {}` and records what was sent.
    #[derive(Default)]
    struct Recorder {
        sent: Mutex<Vec<HttpRequest>>,
    }

    impl Transport for Recorder {
        fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
            self.sent.lock().unwrap().push(request.clone());
            Ok(HttpResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: b"{}".to_vec(),
            })
        }

        fn sleep(&self, _duration: std::time::Duration) {}
    }

    fn settings(vars: &[(&str, &str)]) -> Settings {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    fn request(method: Method, path: &str, headers: &[(&str, &str)], body: &str) -> Request<Bytes> {
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("http://localhost:8080{path}"))
            .header("host", "localhost:8080");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Bytes::from(body.to_owned())).unwrap()
    }

    /// A JSON-RPC POST with the token and the headers a 2025-11-25 client sends.
    fn post(body: Value, extra: &[(&str, &str)]) -> Request<Bytes> {
        let token = format!("Token token={TOKEN}");
        let mut headers = vec![
            ("authorization", token.as_str()),
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
        ];
        headers.extend_from_slice(extra);
        request(Method::POST, MCP_PATH, &headers, &body.to_string())
    }

    fn serve(request: Request<Bytes>, settings: &Settings) -> (Response<Bytes>, Arc<Recorder>) {
        let recorder = Arc::new(Recorder::default());
        (handle(request, settings, recorder.clone()), recorder)
    }

    fn json_body(response: &Response<Bytes>) -> Value {
        serde_json::from_slice(response.body()).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {:?}",
                String::from_utf8_lossy(response.body())
            )
        })
    }

    fn modern_meta() -> Value {
        json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": {},
        })
    }

    #[test]
    fn a_request_without_a_token_is_401_saying_what_to_send() {
        for authorization in [None, Some("Basic dXNlcjpwYXNz"), Some("Token token=")] {
            let mut headers = vec![("content-type", "application/json")];
            if let Some(value) = authorization {
                headers.push(("authorization", value));
            }
            let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string();
            let (response, recorder) = serve(
                request(Method::POST, MCP_PATH, &headers, &body),
                &settings(&[]),
            );
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{authorization:?}"
            );
            let text = String::from_utf8_lossy(response.body()).into_owned();
            assert!(
                text.contains("Authorization: Token token=<API key>"),
                "{text}"
            );
            assert!(response.headers().contains_key(WWW_AUTHENTICATE));
            assert!(recorder.sent.lock().unwrap().is_empty());
        }
    }

    #[test]
    fn other_paths_are_404_and_get_and_delete_are_405_with_allow_post() {
        let token = format!("Bearer {TOKEN}");
        let auth = [("authorization", token.as_str())];
        let (response, _) = serve(request(Method::POST, "/", &auth, ""), &settings(&[]));
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        for method in [Method::GET, Method::DELETE] {
            let (response, _) = serve(request(method.clone(), MCP_PATH, &auth, ""), &settings(&[]));
            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method}"
            );
            assert_eq!(response.headers()["allow"], "POST", "{method}");
        }
    }

    #[test]
    fn origins_are_checked_localhost_by_default_and_as_configured() {
        let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
        let (response, _) = serve(
            post(list.clone(), &[("origin", "https://evil.example")]),
            &settings(&[]),
        );
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let (response, _) = serve(
            post(list.clone(), &[("origin", "http://localhost:5173")]),
            &settings(&[]),
        );
        assert_eq!(response.status(), StatusCode::OK);
        let configured = settings(&[(ALLOWED_ORIGINS_VAR, "https://app.example")]);
        let (response, _) = serve(
            post(list.clone(), &[("origin", "https://app.example")]),
            &configured,
        );
        assert_eq!(response.status(), StatusCode::OK);
        let (response, _) = serve(
            post(list.clone(), &[("origin", "http://localhost:5173")]),
            &configured,
        );
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let broken = settings(&[(ALLOWED_ORIGINS_VAR, "ftp://x")]);
        let (response, _) = serve(post(list, &[]), &broken);
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(String::from_utf8_lossy(response.body()).contains(ALLOWED_ORIGINS_VAR));
    }

    #[test]
    fn initialize_is_answered_without_a_session() {
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"}}});
        let (response, _) = serve(post(init, &[]), &settings(&[]));
        assert_eq!(response.status(), StatusCode::OK);
        assert!(!response.headers().contains_key("mcp-session-id"));
        let body = json_body(&response);
        assert_eq!(body["result"]["protocolVersion"], "2025-11-25");
        assert_eq!(
            body["result"]["serverInfo"]["name"],
            pagerduty_tools::mcp::SERVER_NAME
        );
        assert!(body["result"]["capabilities"]["tools"].is_object());
        let instructions = body["result"]["instructions"].as_str().unwrap();
        assert_eq!(
            instructions,
            pagerduty_tools::mcp::instructions(&Default::default())
        );
    }

    #[test]
    fn server_discover_lists_the_modern_revision() {
        let discover = json!({"jsonrpc": "2.0", "id": "d", "method": "server/discover",
            "params": {"_meta": modern_meta()}});
        let (response, _) = serve(
            post(
                discover,
                &[
                    ("mcp-protocol-version", "2026-07-28"),
                    ("mcp-method", "server/discover"),
                ],
            ),
            &settings(&[]),
        );
        assert_eq!(response.status(), StatusCode::OK, "{:?}", response.body());
        let body = json_body(&response);
        assert_eq!(body["id"], "d");
        let versions = body["result"]["supportedVersions"].as_array().unwrap();
        assert!(versions.contains(&json!("2026-07-28")), "{versions:?}");
        assert!(body["result"]["capabilities"]["tools"].is_object());
    }

    #[test]
    fn tools_list_is_the_catalog_as_the_environment_selects_it() {
        let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
        for vars in [
            vec![],
            vec![
                ("PAGERDUTY_TOOLSETS", "all"),
                ("PAGERDUTY_ENABLE_WRITE_TOOLS", "true"),
            ],
        ] {
            let settings = settings(&vars);
            let (response, _) = serve(post(list.clone(), &[]), &settings);
            let body = json_body(&response);
            let names: Vec<&str> = body["result"]["tools"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap())
                .collect();
            let config = settings.config.as_ref().unwrap();
            let want: Vec<&str> = catalog::available_tools(config)
                .iter()
                .map(|t| t.name)
                .collect();
            assert_eq!(names, want, "{vars:?}");
        }
        let broken = settings(&[("PAGERDUTY_TOOLSETS", "nope")]);
        let (response, _) = serve(post(list, &[]), &broken);
        let body = json_body(&response);
        assert_eq!(body["error"]["code"], pagerduty_tools::mcp::INTERNAL_ERROR);
        assert!(body["error"]["message"].as_str().unwrap().contains("nope"));
    }

    #[test]
    fn a_call_carries_the_requests_token_to_pagerduty_and_never_back() {
        let settings = settings(&[("PAGERDUTY_API_HOST", "http://127.0.0.1:9")]);
        // Any offered tool whose arguments are all optional.
        let tool = catalog::available_tools(settings.config.as_ref().unwrap())
            .into_iter()
            .find(|t| {
                t.input_schema()["required"]
                    .as_array()
                    .is_none_or(Vec::is_empty)
            })
            .expect("a tool without required arguments");
        let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
            "name": tool.name, "arguments": {}, "_meta": modern_meta()}});
        let (response, recorder) = serve(
            post(
                call,
                &[
                    ("mcp-protocol-version", "2026-07-28"),
                    ("mcp-method", "tools/call"),
                    ("mcp-name", tool.name),
                ],
            ),
            &settings,
        );
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_body(&response);
        assert!(body["result"]["structuredContent"].is_object(), "{body}");
        let sent = recorder.sent.lock().unwrap();
        assert!(!sent.is_empty(), "the call reached PagerDuty");
        for request in sent.iter() {
            assert!(
                request.url.starts_with("http://127.0.0.1:9/"),
                "{}",
                request.url
            );
            let auth: Vec<_> = request
                .headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                .collect();
            assert_eq!(auth, [&("Authorization", format!("Token token={TOKEN}"))]);
        }
        assert!(!String::from_utf8_lossy(response.body()).contains(TOKEN));
    }

    #[test]
    fn bad_bodies_get_json_rpc_errors() {
        let token = format!("Token token={TOKEN}");
        let headers = [
            ("authorization", token.as_str()),
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
        ];
        let (response, _) = serve(
            request(Method::POST, MCP_PATH, &headers, "{not json"),
            &settings(&[]),
        );
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(json_body(&response)["error"]["code"], jsonrpc::PARSE_ERROR);
        let (response, _) = serve(
            request(
                Method::POST,
                MCP_PATH,
                &headers,
                r#"{"jsonrpc":"1.0","id":7,"method":"x"}"#,
            ),
            &settings(&[]),
        );
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = json_body(&response);
        assert_eq!(
            (body["id"].clone(), body["error"]["code"].clone()),
            (json!(7), json!(jsonrpc::INVALID_REQUEST))
        );
        let unknown = json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
            "params": {"name": "no_such_tool", "arguments": {}}});
        let (response, recorder) = serve(post(unknown, &[]), &settings(&[]));
        let body = json_body(&response);
        assert_eq!(body["error"]["code"], pagerduty_tools::mcp::INVALID_PARAMS);
        assert!(recorder.sent.lock().unwrap().is_empty());
    }
}

//! The component's stateless MCP handling ([`stateless::serve`]) answers as rmcp's
//! own `StreamableHttpService` (sessions off, JSON responses) does: for every
//! request of a corpus (every method of MCP, every protocol revision, the
//! protocol headers right, wrong and missing, bad bodies, media types, hosts and
//! origins), the same status, `Allow` header and body. rmcp is the oracle because
//! its service is what the component served through until it grew too big for a
//! component (see `src/stateless.rs`), and what the native host still serves
//! through.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::request::Parts;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use pagerduty_mcp_http::server::McpComponent;
use pagerduty_mcp_http::stateless::{self, Gate};
use pagerduty_mcp_protocol::credential::{self, Credential};
use pagerduty_mcp_protocol::jsonrpc::{self, ErrorAnswer, Message};
use pagerduty_tools::config::Config;
use pagerduty_tools::http::{HttpRequest, HttpResponse, Transport, TransportError};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CustomRequest, CustomResult, ListToolsResult,
    PaginatedRequestParams, ServerConfig, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, ServerHandler};
use serde_json::{Value, json};

/// Answers every PagerDuty request with one user, so that tool calls succeed.
struct FakePagerDuty;

impl Transport for FakePagerDuty {
    fn send(&self, _request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let body = json!({"user": {"id": "PU1", "type": "user", "name": "Ana",
            "email": "ana@example.com", "summary": "Ana", "role": "admin"},
            "incidents": [], "limit": 25, "offset": 0, "more": false, "total": null});
        Ok(HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        })
    }

    fn sleep(&self, _duration: std::time::Duration) {}
}

/// rmcp's server handler over the same methods.
struct Oracle(Arc<McpComponent<FakePagerDuty>>);

impl ServerHandler for Oracle {
    fn get_info(&self) -> ServerConfig {
        self.0.server_config()
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        self.0.list_tools()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let credential = context
            .extensions
            .get::<Parts>()
            .and_then(|parts| parts.extensions.get::<Credential>())
            .expect("the credential");
        self.0.call_tool(&request, credential).map(Into::into)
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        Err(jsonrpc::custom_request_answer(
            &request.method,
            request.params.as_ref(),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.0
            .list_tools()
            .ok()?
            .tools
            .into_iter()
            .find(|t| t.name == name)
    }
}

/// What the component answered through rmcp's service (its front before
/// `stateless`), JSON-RPC fix-ups included.
fn oracle(
    mut parts: Parts,
    body: Bytes,
    gate: &Gate<'_>,
    component: Arc<McpComponent<FakePagerDuty>>,
    credential: Credential,
) -> Response<Bytes> {
    parts.extensions.insert(credential);
    let checked = (parts.method == Method::POST).then(|| jsonrpc::check(&body));
    let mut config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_allowed_origins(gate.allowed_origins.to_vec())
        .enforce_origin_validation();
    config = if gate.allowed_hosts.is_empty() {
        config.disable_allowed_hosts()
    } else {
        config.with_allowed_hosts(gate.allowed_hosts.to_vec())
    };
    let handler = Arc::new(Oracle(component));
    let service = StreamableHttpService::new(
        move || Ok(Oracle(handler.0.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    let request = Request::from_parts(parts, Full::new(body.clone()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let response = runtime.block_on(async move {
        let (parts, body) = service.handle(request).await.into_parts();
        let body = body
            .collect()
            .await
            .map_or_else(|e: Infallible| match e {}, |c| c.to_bytes());
        Response::from_parts(parts, body)
    });
    let json_error = |answer: &ErrorAnswer| {
        let mut response = Response::new(Bytes::from(answer.to_json().to_string()));
        *response.status_mut() = StatusCode::BAD_REQUEST;
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        response
    };
    match checked {
        Some(Err(answer)) if response.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            json_error(&answer)
        }
        Some(Ok(Message::Request {
            id,
            method,
            params_unfit: true,
        })) if method == "initialize" && response.status() == StatusCode::BAD_REQUEST => {
            let params = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|mut v| v.get_mut("params").map(Value::take));
            json_error(&ErrorAnswer::new(
                Some(id),
                jsonrpc::INVALID_PARAMS,
                jsonrpc::invalid_params(&method, params.as_ref()),
            ))
        }
        _ => response,
    }
}

/// One request of the corpus.
struct Case {
    label: String,
    method: Method,
    headers: Vec<(&'static str, String)>,
    body: String,
    allowed_origins: Vec<String>,
    allowed_hosts: Vec<String>,
}

fn meta(version: &str) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientInfo": {"name": "corpus", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    })
}

/// JSON-RPC bodies: (label, method for `Mcp-Method`, name for `Mcp-Name`, body).
fn bodies() -> Vec<(
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    String,
)> {
    let init = |version: &str| {
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": version, "capabilities": {},
            "clientInfo": {"name": "corpus", "version": "1"}}})
        .to_string()
    };
    let request = |id: Value, method: &str, params: Value| {
        let mut body = json!({"jsonrpc": "2.0", "id": id, "method": method});
        if !params.is_null() {
            body["params"] = params;
        }
        body.to_string()
    };
    let modern = meta("2026-07-28");
    let mut partial = modern.clone();
    partial
        .as_object_mut()
        .unwrap()
        .remove("io.modelcontextprotocol/clientCapabilities");
    vec![
        ("initialize 2025-11-25", Some("initialize"), None, init("2025-11-25")),
        ("initialize 2025-06-18", Some("initialize"), None, init("2025-06-18")),
        ("initialize 2024-11-05", Some("initialize"), None, init("2024-11-05")),
        ("initialize 2026-07-28", Some("initialize"), None, init("2026-07-28")),
        ("initialize unknown version", Some("initialize"), None, init("1999-01-01")),
        (
            "initialize without clientInfo",
            Some("initialize"),
            None,
            request(json!(1), "initialize", json!({"protocolVersion": "2025-11-25", "capabilities": {}})),
        ),
        (
            "initialize with params not an object",
            Some("initialize"),
            None,
            request(json!(1), "initialize", json!([1])),
        ),
        ("tools/list", Some("tools/list"), None, request(json!(2), "tools/list", Value::Null)),
        (
            "tools/list modern",
            Some("tools/list"),
            None,
            request(json!("s"), "tools/list", json!({"_meta": modern})),
        ),
        (
            "tools/list meta without capabilities",
            Some("tools/list"),
            None,
            request(json!(3), "tools/list", json!({"_meta": partial})),
        ),
        (
            "tools/list meta 2025-06-18",
            Some("tools/list"),
            None,
            request(json!(3), "tools/list", json!({"_meta": meta("2025-06-18")})),
        ),
        (
            "tools/list meta unsupported version",
            Some("tools/list"),
            None,
            request(json!(3), "tools/list", json!({"_meta": meta("2099-01-01")})),
        ),
        (
            "server/discover",
            Some("server/discover"),
            None,
            request(json!(4), "server/discover", json!({"_meta": modern})),
        ),
        (
            "server/discover without meta",
            Some("server/discover"),
            None,
            request(json!(4), "server/discover", Value::Null),
        ),
        ("ping", Some("ping"), None, request(json!(5), "ping", Value::Null)),
        (
            "ping modern",
            Some("ping"),
            None,
            request(json!(5), "ping", json!({"_meta": modern})),
        ),
        (
            "tools/call",
            Some("tools/call"),
            Some("get_current_user"),
            request(json!(6), "tools/call", json!({"name": "get_current_user", "arguments": {}})),
        ),
        (
            "tools/call modern",
            Some("tools/call"),
            Some("get_current_user"),
            request(json!(6), "tools/call", json!({"name": "get_current_user", "arguments": {}, "_meta": modern})),
        ),
        (
            "tools/call of an unknown tool",
            Some("tools/call"),
            Some("no_such_tool"),
            request(json!(7), "tools/call", json!({"name": "no_such_tool"})),
        ),
        (
            "tools/call of an unknown tool modern",
            Some("tools/call"),
            Some("no_such_tool"),
            request(json!(7), "tools/call", json!({"name": "no_such_tool", "_meta": modern})),
        ),
        (
            "tools/call with a bad argument",
            Some("tools/call"),
            Some("list_incidents"),
            request(json!(8), "tools/call", json!({"name": "list_incidents", "arguments": {"limit": "many"}})),
        ),
        (
            "tools/call with arguments not an object",
            Some("tools/call"),
            Some("list_incidents"),
            request(json!(8), "tools/call", json!({"name": "list_incidents", "arguments": [1]})),
        ),
        (
            "tools/call without params",
            Some("tools/call"),
            None,
            request(json!(8), "tools/call", Value::Null),
        ),
        ("resources/list", Some("resources/list"), None, request(json!(9), "resources/list", Value::Null)),
        (
            "resources/list modern",
            Some("resources/list"),
            None,
            request(json!(9), "resources/list", json!({"_meta": modern})),
        ),
        (
            "resources/read",
            Some("resources/read"),
            Some("pagerduty://x"),
            request(json!(9), "resources/read", json!({"uri": "pagerduty://x"})),
        ),
        ("prompts/list", Some("prompts/list"), None, request(json!(10), "prompts/list", Value::Null)),
        (
            "prompts/get",
            Some("prompts/get"),
            Some("triage"),
            request(json!(10), "prompts/get", json!({"name": "triage"})),
        ),
        (
            "completion/complete",
            Some("completion/complete"),
            None,
            request(json!(11), "completion/complete", json!({"ref": {"type": "ref/prompt", "name": "x"}, "argument": {"name": "a", "value": "b"}})),
        ),
        (
            "logging/setLevel",
            Some("logging/setLevel"),
            None,
            request(json!(12), "logging/setLevel", json!({"level": "info"})),
        ),
        (
            "tasks/get",
            Some("tasks/get"),
            Some("t1"),
            request(json!(13), "tasks/get", json!({"taskId": "t1"})),
        ),
        ("an unknown method", Some("foo/bar"), None, request(json!(14), "foo/bar", json!({"x": 1}))),
        (
            "an unknown method modern",
            Some("foo/bar"),
            None,
            request(json!(14), "foo/bar", json!({"_meta": modern})),
        ),
        (
            "notifications/initialized",
            Some("notifications/initialized"),
            None,
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string(),
        ),
        (
            "notifications/cancelled",
            Some("notifications/cancelled"),
            None,
            json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 3}}).to_string(),
        ),
        (
            "a response",
            None,
            None,
            json!({"jsonrpc": "2.0", "id": 1, "result": {}}).to_string(),
        ),
        ("not JSON", None, None, "{not json".to_owned()),
        ("a batch", None, None, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]".to_owned()),
        (
            "JSON-RPC 1.0",
            None,
            None,
            json!({"jsonrpc": "1.0", "id": 7, "method": "ping"}).to_string(),
        ),
        ("a null id", None, None, json!({"jsonrpc": "2.0", "id": null, "method": "ping"}).to_string()),
        ("a fractional id", None, None, r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#.to_owned()),
        (
            "an id past i64",
            Some("ping"),
            None,
            r#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"ping"}"#.to_owned(),
        ),
        ("an id of -1", Some("ping"), None, request(json!(-1), "ping", Value::Null)),
        (
            "extra members",
            Some("tools/list"),
            None,
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "extra": true}).to_string(),
        ),
        ("params null", Some("tools/list"), None, request(json!(1), "tools/list", json!(null))),
        ("ping with params", Some("ping"), None, request(json!(1), "ping", json!({"x": 1}))),
        (
            "params a number",
            Some("foo/bar"),
            None,
            json!({"jsonrpc": "2.0", "id": 1, "method": "foo/bar", "params": 3}).to_string(),
        ),
        (
            "tools/list with a cursor",
            Some("tools/list"),
            None,
            request(json!(1), "tools/list", json!({"cursor": "abc"})),
        ),
        (
            "tools/list with a bad cursor",
            Some("tools/list"),
            None,
            request(json!(1), "tools/list", json!({"cursor": 5})),
        ),
        (
            "resources/read without params",
            Some("resources/read"),
            None,
            request(json!(9), "resources/read", Value::Null),
        ),
        (
            "prompts/get with a bad name",
            Some("prompts/get"),
            None,
            request(json!(10), "prompts/get", json!({"name": 5})),
        ),
        (
            "server/discover with a bad meta",
            Some("server/discover"),
            None,
            request(json!(4), "server/discover", json!({"_meta": {"io.modelcontextprotocol/protocolVersion": 5}})),
        ),
        (
            "a notification with a number for params",
            Some("notifications/x"),
            None,
            json!({"jsonrpc": "2.0", "method": "notifications/x", "params": 3}).to_string(),
        ),
        (
            "an error response",
            None,
            None,
            json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -1, "message": "no"}}).to_string(),
        ),
        (
            "a response with result and error",
            None,
            None,
            json!({"jsonrpc": "2.0", "id": 1, "result": {}, "error": {"code": 1, "message": "x"}}).to_string(),
        ),
        ("a string", None, None, "\"ping\"".to_owned()),
        ("an empty body", None, None, String::new()),
    ]
}

/// Protocol-header variants: (label, headers given the body's method and name).
#[allow(clippy::type_complexity)]
fn header_variants() -> Vec<(
    &'static str,
    Box<dyn Fn(Option<&str>, Option<&str>) -> Vec<(&'static str, String)>>,
)> {
    let modern = |method: Option<&str>, name: Option<&str>| {
        let mut headers = vec![("mcp-protocol-version", "2026-07-28".to_owned())];
        if let Some(method) = method {
            headers.push(("mcp-method", method.to_owned()));
        }
        if let Some(name) = name {
            headers.push(("mcp-name", name.to_owned()));
        }
        headers
    };
    vec![
        ("no protocol headers", Box::new(|_, _| vec![])),
        (
            "MCP-Protocol-Version 2025-06-18",
            Box::new(|_, _| vec![("mcp-protocol-version", "2025-06-18".to_owned())]),
        ),
        (
            "MCP-Protocol-Version 2025-11-25",
            Box::new(|_, _| vec![("mcp-protocol-version", "2025-11-25".to_owned())]),
        ),
        (
            "MCP-Protocol-Version unknown",
            Box::new(|_, _| vec![("mcp-protocol-version", "2099-01-01".to_owned())]),
        ),
        ("2026-07-28 with its headers", Box::new(modern)),
        (
            "2026-07-28, Mcp-Name in Base64",
            Box::new(move |method, name| {
                let mut headers = modern(method, None);
                if let Some(name) = name {
                    use base64::Engine as _;
                    let encoded = base64::prelude::BASE64_STANDARD.encode(name);
                    headers.push(("mcp-name", format!("=?base64?{encoded}?=")));
                }
                headers
            }),
        ),
        (
            "2026-07-28 without Mcp-Method",
            Box::new(move |_, name| modern(None, name)),
        ),
        (
            "2026-07-28 with the wrong Mcp-Method",
            Box::new(move |_, name| modern(Some("tools/list"), name)),
        ),
        (
            "2026-07-28 with the wrong Mcp-Name",
            Box::new(move |method, name| modern(method, name.map(|_| "other"))),
        ),
        (
            "2026-07-28 with a bad Base64 Mcp-Name",
            Box::new(move |method, name| modern(method, name.map(|_| "=?base64?!!?="))),
        ),
        (
            "2026-07-28 with two Mcp-Method",
            Box::new(move |method, name| {
                let mut headers = modern(method, name);
                headers.push(("mcp-method", method.unwrap_or("x").to_owned()));
                headers
            }),
        ),
    ]
}

const TOKEN: &str = "corpus-token";

fn base_headers() -> Vec<(&'static str, String)> {
    vec![
        ("host", "localhost:8080".to_owned()),
        ("content-type", "application/json".to_owned()),
        ("accept", "application/json, text/event-stream".to_owned()),
    ]
}

fn corpus() -> Vec<Case> {
    let local: Vec<String> = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]
        .map(str::to_owned)
        .to_vec();
    let mut cases = Vec::new();
    for (body_label, method, name, body) in bodies() {
        for (headers_label, headers) in header_variants() {
            let mut all = base_headers();
            all.extend(headers(method, name));
            cases.push(Case {
                label: format!("{body_label} / {headers_label}"),
                method: Method::POST,
                headers: all,
                body: body.clone(),
                allowed_origins: local.clone(),
                allowed_hosts: vec![],
            });
        }
    }
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string();
    let http_case = |label: &str, method: Method, changes: &[(&'static str, Option<&str>)]| {
        let mut headers = base_headers();
        for (name, value) in changes {
            headers.retain(|(n, _)| n != name);
            if let Some(value) = value {
                headers.push((name, (*value).to_owned()));
            }
        }
        Case {
            label: label.to_owned(),
            method,
            headers,
            body: list.clone(),
            allowed_origins: local.clone(),
            allowed_hosts: vec![],
        }
    };
    cases.extend([
        http_case("GET", Method::GET, &[]),
        http_case("DELETE", Method::DELETE, &[]),
        http_case("PUT", Method::PUT, &[]),
        http_case("no Accept", Method::POST, &[("accept", None)]),
        http_case(
            "Accept JSON only",
            Method::POST,
            &[("accept", Some("application/json"))],
        ),
        http_case("Accept */*", Method::POST, &[("accept", Some("*/*"))]),
        http_case(
            "Accept SSE with q=0",
            Method::POST,
            &[("accept", Some("application/json, text/event-stream;q=0"))],
        ),
        http_case(
            "Accept with a malformed weight",
            Method::POST,
            &[(
                "accept",
                Some("application/json;q=abc, text/event-stream;q=0.5"),
            )],
        ),
        http_case("no Content-Type", Method::POST, &[("content-type", None)]),
        http_case(
            "Content-Type text/plain",
            Method::POST,
            &[("content-type", Some("text/plain"))],
        ),
        http_case(
            "Content-Type with a charset",
            Method::POST,
            &[("content-type", Some("Application/JSON; charset=utf-8"))],
        ),
        http_case(
            "Origin localhost",
            Method::POST,
            &[("origin", Some("http://localhost:5173"))],
        ),
        http_case(
            "Origin [::1]",
            Method::POST,
            &[("origin", Some("http://[::1]:3000"))],
        ),
        http_case(
            "Origin elsewhere",
            Method::POST,
            &[("origin", Some("https://evil.example"))],
        ),
        http_case(
            "Origin https localhost",
            Method::POST,
            &[("origin", Some("https://localhost"))],
        ),
        http_case("Origin null", Method::POST, &[("origin", Some("null"))]),
        http_case("Origin malformed", Method::POST, &[("origin", Some("::"))]),
        http_case("Origin empty", Method::POST, &[("origin", Some(""))]),
        http_case("no Host", Method::POST, &[("host", None)]),
        http_case("Host malformed", Method::POST, &[("host", Some("a b"))]),
    ]);
    for (origins, origin) in [
        (vec!["https://app.example"], "https://app.example"),
        (vec!["https://app.example"], "https://app.example:443"),
        (vec!["https://app.example"], "https://app.example:8443"),
        (vec!["https://app.example:8443"], "https://app.example:8443"),
        (vec!["https://app.example:443"], "https://app.example"),
        (vec!["https://app.example:*"], "https://app.example:9"),
        (vec!["https://app.example"], "http://app.example"),
        (vec!["https://APP.example"], "https://app.EXAMPLE"),
        (vec!["null"], "null"),
        (vec!["null:*"], "null"),
        (vec![], "http://localhost"),
    ] {
        let mut case = http_case(
            &format!("Origin {origin} against {origins:?}"),
            Method::POST,
            &[("origin", Some(origin))],
        );
        case.allowed_origins = origins.iter().map(|o| (*o).to_owned()).collect();
        cases.push(case);
    }
    for (hosts, host) in [
        (vec!["mcp.example.com"], "mcp.example.com"),
        (vec!["mcp.example.com"], "mcp.example.com:8080"),
        (vec!["mcp.example.com:8080"], "mcp.example.com:9090"),
        (vec!["mcp.example.com:8080"], "MCP.example.com:8080"),
        (vec!["mcp.example.com"], "evil.example.com"),
        (vec!["::1"], "[::1]:8080"),
        (vec!["[::1]:8080"], "[::1]:8080"),
        (vec![" "], "localhost"),
    ] {
        let mut case = http_case(
            &format!("Host {host} against {hosts:?}"),
            Method::POST,
            &[("host", Some(host))],
        );
        case.allowed_hosts = hosts.iter().map(|h| (*h).to_owned()).collect();
        cases.push(case);
    }
    let mut big = http_case("a body over 4 MiB", Method::POST, &[]);
    big.body = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{{\"x\":\"{}\"}}}}",
        "a".repeat(stateless::MAX_BODY_BYTES)
    );
    cases.push(big);
    cases
}

/// Status, `Allow`, content type when the body is JSON, and the body (as JSON
/// when it is JSON).
fn observed(response: &Response<Bytes>) -> (StatusCode, Option<String>, Option<String>, Value) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let body = serde_json::from_slice::<Value>(response.body())
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(response.body()).into_owned()));
    let content_type = body.is_object().then(|| header("content-type")).flatten();
    (response.status(), header("allow"), content_type, body)
}

/// The one known difference: for a method of MCP this server does not offer,
/// rmcp's -32601 says "Method not found: M" when the params do not fit the method
/// (it reads it as a custom request) and "M" when they do; `stateless` does not
/// type the params of methods it does not offer and always says "M".
fn same_method_not_found(ours: &Value, rmcps: &Value) -> bool {
    let mut rmcps = rmcps.clone();
    let Some(message) = rmcps.pointer_mut("/error/message") else {
        return false;
    };
    let Some(method) = message
        .as_str()
        .and_then(|m| m.strip_prefix("Method not found: "))
    else {
        return false;
    };
    let of_mcp = [
        "completion/",
        "logging/",
        "prompts/",
        "resources/",
        "subscriptions/",
    ]
    .iter()
    .chain(&["tasks/", "skills/"])
    .any(|prefix| method.starts_with(prefix));
    if !of_mcp {
        return false;
    }
    *message = Value::String(method.to_owned());
    rmcps["error"]["code"] == jsonrpc::METHOD_NOT_FOUND && *ours == rmcps
}

#[test]
fn every_request_of_the_corpus_gets_rmcps_answer() {
    let config = Config::from_lookup(|_| None).unwrap();
    let component = Arc::new(McpComponent::new(Ok(config), Arc::new(FakePagerDuty)));
    let failures = Mutex::new(Vec::new());
    let cases = corpus();
    assert!(cases.len() > 600, "{}", cases.len());
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for case in &cases {
        let mut builder = Request::builder()
            .method(case.method.clone())
            .uri("http://localhost:8080/mcp");
        for (name, value) in &case.headers {
            builder = builder.header(*name, value.as_str());
        }
        let (parts, ()) = builder.body(()).unwrap().into_parts();
        let body = Bytes::from(case.body.clone());
        let gate = Gate {
            allowed_origins: &case.allowed_origins,
            allowed_hosts: &case.allowed_hosts,
        };
        let credential = credential::parse_authorization(&format!("Token token={TOKEN}")).unwrap();
        let ours = stateless::serve(&parts, &body, &gate, &component, &credential);
        let rmcps = oracle(parts, body, &gate, component.clone(), credential);
        let (ours, rmcps) = (observed(&ours), observed(&rmcps));
        *statuses.entry(ours.0.as_u16()).or_default() += 1;
        if ours != rmcps && !same_method_not_found(&ours.3, &rmcps.3) {
            failures.lock().unwrap().push(format!(
                "{}:\n  ours: {ours:?}\n  rmcp: {rmcps:?}",
                case.label
            ));
        }
    }
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} answers differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // The corpus reaches every kind of answer.
    for status in [200, 202, 400, 403, 404, 405, 406, 413, 415] {
        assert!(
            statuses.contains_key(&status),
            "no {status} in {statuses:?}"
        );
    }
}

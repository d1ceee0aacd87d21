//! MCP Streamable HTTP without sessions or streams: one JSON-RPC message in, one
//! JSON answer out, with the checks and answers of rmcp's `StreamableHttpService`
//! in its stateless JSON mode.
//!
//! Why not rmcp's service itself: it is built for long-lived servers (a tokio
//! runtime, a service loop, session and stream machinery) and made the component
//! 1.8 MB, where a request needs none of that. This module keeps rmcp's model
//! types, its parsing of a message ([`ClientJsonRpcMessage`]) and its answers, and
//! does the rest in line: `tests/answers_as_rmcp.rs` sends the same requests to
//! this module and to rmcp's service and requires the same answers.
//!
//! In the order a request meets them (all of rmcp's, same status and message):
//!
//! 1. `Host` (when allowed hosts are configured) and `Origin` (always: the allowed
//!    origins, default local pages only): 400/403.
//! 2. Only `POST`: 405 with `Allow: POST`.
//! 3. `Accept` must take `application/json` and `text/event-stream`: 406;
//!    `Content-Type` must be `application/json`: 415; at most 4 MiB: 413.
//! 4. The body must be one JSON-RPC message: 400 with the JSON-RPC error
//!    ([`jsonrpc::check`]); an `initialize` whose params do not fit: 400, -32602.
//! 5. The protocol headers against the body: `MCP-Protocol-Version` (known, or
//!    equal to `initialize`'s version or to `_meta`'s), SEP-2243's `Mcp-Method`
//!    and `Mcp-Name` from the 2026-07-28 revision on, and the request `_meta`
//!    that revision requires: 400 with the JSON-RPC error.
//! 6. A notification: 202. A response: 400 (there is nothing to answer).
//! 7. A request: the method ([`answer`]). A request negotiated per request (its
//!    `_meta` names a version, or `server/discover`) maps lifecycle errors to HTTP
//!    statuses as rmcp does (400 for an unsupported version or a header mismatch,
//!    404 for an unknown method); an earlier revision's request always gets 200.

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use std::sync::OnceLock;

use bytes::Bytes;
use http::header::{ACCEPT, ALLOW, CONTENT_TYPE, HOST, ORIGIN};
use http::request::Parts;
use http::{HeaderMap, Method, Response, StatusCode};
use pagerduty_mcp_protocol::credential::Credential;
use pagerduty_mcp_protocol::jsonrpc::{self, ErrorAnswer};
use pagerduty_tools::http::Transport;
use rmcp::ErrorData;
use rmcp::model::{
    CacheScope, CallToolRequest, ConstString as _, ContentBlock, CustomNotification, CustomRequest,
    CustomResult, DiscoverRequest, ErrorCode, InitializeRequest, JsonRpcError, JsonRpcMessage,
    JsonRpcRequest, JsonRpcResponse, JsonRpcVersion2_0, ListToolsRequest, PingRequest,
    ProtocolVersion, RequestId, RequestMetaObject,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::server::McpComponent;

/// A refusal: the whole answer to a request that goes no further.
type Refused = Box<Response<Bytes>>;

/// The largest request body read, as rmcp's default.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The protocol version header (spelled as the messages name it; header lookups
/// ignore case).
const PROTOCOL_VERSION_HEADER: &str = "MCP-Protocol-Version";
/// SEP-2243's method header.
const METHOD_HEADER: &str = "Mcp-Method";
/// SEP-2243's name header.
const NAME_HEADER: &str = "Mcp-Name";
/// `application/json`.
const JSON: &str = "application/json";
/// `text/event-stream`.
const EVENT_STREAM: &str = "text/event-stream";

/// Which `Host` and `Origin` values may reach the server.
pub struct Gate<'a> {
    /// Allowed `Origin`s (`scheme://host[:port|:*]` or `null`).
    pub allowed_origins: &'a [String],
    /// Allowed `Host` names (`host[:port]`); empty = any.
    pub allowed_hosts: &'a [String],
}

/// Answers one HTTP request to the MCP endpoint (its path and credential already
/// checked), calling PagerDuty through `component` with `credential`.
pub fn serve<T: Transport>(
    parts: &Parts,
    body: &[u8],
    gate: &Gate<'_>,
    component: &McpComponent<T>,
    credential: &Credential,
) -> Response<Bytes> {
    let response = serve_checked(parts, body, gate, component, credential).unwrap_or_else(|r| *r);
    if response.status() == StatusCode::BAD_REQUEST
        && let Ok(JsonRpcMessage::Request(JsonRpcRequest {
            id,
            request: Request::Other(custom),
            ..
        })) = serde_json::from_slice::<Message>(body)
        && custom.method == "initialize"
    {
        let method = custom.method;
        // An `initialize` refused for its headers whose params do not fit either:
        // say what is wrong with the params, which the client must fix first.
        let params = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|mut v| v.get_mut("params").map(Value::take));
        let message = jsonrpc::invalid_params(&method, params.as_ref());
        return json(
            StatusCode::BAD_REQUEST,
            ErrorAnswer::new(Some(id), jsonrpc::INVALID_PARAMS, message)
                .to_json()
                .to_string()
                .into_bytes(),
        );
    }
    response
}

/// [`serve`], with every refusal as `Err`.
fn serve_checked<T: Transport>(
    parts: &Parts,
    body: &[u8],
    gate: &Gate<'_>,
    component: &McpComponent<T>,
    credential: &Credential,
) -> Result<Response<Bytes>, Refused> {
    check_host_and_origin(parts, gate)?;
    if parts.method != Method::POST {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
        response
            .headers_mut()
            .insert(ALLOW, http::HeaderValue::from_static("POST"));
        return Err(Box::new(response));
    }
    let headers = &parts.headers;
    let (mut accepts_json, mut accepts_sse) = (false, false);
    for essence in accepted_media_types(headers) {
        accepts_json |= essence.eq_ignore_ascii_case(JSON);
        accepts_sse |= essence.eq_ignore_ascii_case(EVENT_STREAM);
    }
    if !accepts_json || !accepts_sse {
        return Err(Box::new(plain(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable: Client must accept both application/json and text/event-stream",
        )));
    }
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let essence = v.split_once(';').map_or(v, |(essence, _)| essence);
            essence.trim().eq_ignore_ascii_case(JSON)
        });
    if !is_json {
        return Err(Box::new(plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type: Content-Type must be application/json",
        )));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(Box::new(plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Payload Too Large: request body exceeds {MAX_BODY_BYTES} bytes"),
        )));
    }
    let message = match serde_json::from_slice::<Message>(body) {
        Ok(message) => message,
        Err(_) => {
            let answer = jsonrpc::refusal(body).to_json().to_string();
            return Err(Box::new(json(StatusCode::BAD_REQUEST, answer.into_bytes())));
        }
    };

    let per_request_version = match &message {
        JsonRpcMessage::Request(request) => request.request.meta().protocol_version(),
        _ => None,
    };
    match &message {
        JsonRpcMessage::Request(JsonRpcRequest {
            id,
            request: Request::Initialize(init),
            ..
        }) => header_matches_init_body(headers, init.params.protocol_version.as_str(), id)?,
        _ => known_protocol_version_header(headers, per_request_version.is_some())?,
    }
    check_standard_headers(headers, &message)?;
    check_protocol_version_meta(headers, &message)?;

    let request = match message {
        JsonRpcMessage::Request(request) => request,
        JsonRpcMessage::Notification(_) => {
            let mut response = Response::new(Bytes::new());
            *response.status_mut() = StatusCode::ACCEPTED;
            return Ok(response);
        }
        JsonRpcMessage::Response(_) | JsonRpcMessage::Error(_) => {
            return Err(Box::new(jsonrpc_error(
                StatusCode::BAD_REQUEST,
                None,
                ErrorData::invalid_request(
                    "stateless server does not accept JSON-RPC responses",
                    None,
                ),
            )));
        }
    };
    let negotiated =
        per_request_version.is_some() || matches!(request.request, Request::Discover(_));
    let meta_malformed = !request
        .request
        .meta()
        .missing_required_keys(&ProtocolVersion::V_2026_07_28)
        .is_empty();
    let id = request.id.clone();
    let answered = answer(request, headers, component, credential);
    Ok(match answered {
        Ok(body) => json(StatusCode::OK, body),
        Err(error) => {
            let status = if negotiated {
                negotiated_error_status(error.code, meta_malformed)
            } else {
                StatusCode::OK
            };
            jsonrpc_error(status, Some(id), error)
        }
    })
}

/// The answer to a request (the serialized JSON-RPC response), or its error: the
/// lifecycle checks and method dispatch of rmcp's server handler for this
/// server (tools only).
fn answer<T: Transport>(
    request: JsonRpcRequest<Request>,
    headers: &HeaderMap,
    component: &McpComponent<T>,
    credential: &Credential,
) -> Result<Vec<u8>, ErrorData> {
    let JsonRpcRequest { id, request, .. } = request;
    let meta = request.meta();
    let requested = meta.protocol_version();
    let is_initialize = matches!(request, Request::Initialize(_));
    // The version the request is answered in: its own `_meta`'s, else (as rmcp
    // reconstructs a stateless peer) initialize's or the header's, else 2025-03-26.
    let version = requested.clone().unwrap_or_else(|| match &request {
        Request::Initialize(init) => init.params.protocol_version.clone(),
        _ => headers
            .get(PROTOCOL_VERSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| serde_json::from_value(Value::String(s.to_owned())).ok())
            .unwrap_or(ProtocolVersion::V_2025_03_26),
    });
    let modern = version.as_str() >= ProtocolVersion::V_2026_07_28.as_str();
    let supported = ProtocolVersion::KNOWN_VERSIONS;
    if !is_initialize
        && let Some(requested) = &requested
        && !supported.contains(requested)
    {
        return Err(ErrorData::unsupported_protocol_version(
            requested.clone(),
            supported,
        ));
    }
    let requires_metadata = !is_initialize
        && (matches!(request, Request::Discover(_))
            || requested
                .as_ref()
                .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str()));
    if requires_metadata {
        let missing = meta.missing_required_keys(&ProtocolVersion::V_2026_07_28);
        if !missing.is_empty() {
            return Err(ErrorData::invalid_params(
                format!(
                    "request _meta is missing or has malformed required fields: {}",
                    missing.join(", ")
                ),
                None,
            ));
        }
    }
    let legacy = !requires_metadata && version.has_initialize();

    match request {
        Request::Initialize(init) => {
            let mut info = component.server_config();
            let preferred = std::mem::take(&mut info.protocol_version);
            info.protocol_version = negotiate(&init.params.protocol_version, preferred)?;
            reply(id, &info)
        }
        Request::Discover(_) => reply(id, &component.discover(supported)),
        Request::Ping(_) if legacy => reply(id, &serde_json::Map::new()),
        Request::Ping(_) => Err(method_not_found("ping")),
        Request::ListTools(_) => {
            let mut result = component.list_tools()?;
            if modern {
                if result.result_type.as_ref().is_none_or(|t| t.is_complete()) {
                    result.ttl_ms.get_or_insert(0);
                    result.cache_scope.get_or_insert(CacheScope::Private);
                }
            } else {
                result.result_type.take_if(|t| t.is_complete());
                for tool in &mut result.tools {
                    tool.output_schema
                        .take_if(|s| s.get("type").and_then(Value::as_str) != Some("object"));
                }
            }
            reply(id, &result)
        }
        Request::CallTool(call) => {
            let mut result = component.call_tool(&call.params, credential)?;
            if !modern {
                result.result_type.take_if(|t| t.is_complete());
                if let Some(value) = result.structured_content.take_if(|v| !v.is_object()) {
                    let in_content = result
                        .content
                        .first()
                        .and_then(ContentBlock::as_text)
                        .is_some_and(|text| {
                            serde_json::from_str::<Value>(&text.text).is_ok_and(|v| v == value)
                        });
                    if !in_content {
                        result
                            .content
                            .insert(0, ContentBlock::text(value.to_string()));
                    }
                }
            }
            reply(id, &result)
        }
        // Every other method of MCP (prompts, resources, completion, logging,
        // subscriptions, tasks, skills) is one this server does not offer: rmcp
        // answers those with the method's name.
        Request::Other(other) if UNSERVED_METHODS.contains(&other.method.as_str()) => {
            Err(method_not_found(&other.method))
        }
        Request::Other(other) => Err(jsonrpc::custom_request_answer(
            &other.method,
            other.params.as_ref(),
        )),
    }
}

/// rmcp's -32601 for a method of MCP the server does not offer.
fn method_not_found(method: &str) -> ErrorData {
    ErrorData::new(ErrorCode::METHOD_NOT_FOUND, method.to_owned(), None)
}

/// The client requests of MCP (rmcp's `ClientRequest`) this server does not offer.
const UNSERVED_METHODS: [&str; 16] = [
    "completion/complete",
    "logging/setLevel",
    "prompts/get",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "subscriptions/listen",
    "resources/subscribe",
    "resources/unsubscribe",
    "tasks/get",
    "tasks/update",
    "tasks/cancel",
    "skills/list",
    "skills/get",
    "resources/directory/read",
];

/// A client message as this server reads it: rmcp's JSON-RPC framing, with the
/// requests it answers typed and everything else read as rmcp reads what it
/// does not know (custom requests, notifications and results). rmcp's
/// `ClientJsonRpcMessage` accepts the same messages, but types every request and
/// result of MCP, which alone made up a quarter of the component.
type Message = JsonRpcMessage<Request, CustomResult, CustomNotification>;

/// A request: one this server answers when its params fit, else read as a custom
/// request (as rmcp's `ClientRequest` falls back for a method it does not know
/// or whose params do not fit).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Request {
    Initialize(Box<InitializeRequest>),
    Discover(DiscoverRequest),
    Ping(PingRequest),
    ListTools(ListToolsRequest),
    CallTool(CallToolRequest),
    Other(CustomRequest),
}

impl Request {
    /// The request's method.
    fn method(&self) -> &str {
        match self {
            Request::Initialize(r) => r.method.as_str(),
            Request::Discover(r) => r.method.as_str(),
            Request::Ping(r) => r.method.as_str(),
            Request::ListTools(r) => r.method.as_str(),
            Request::CallTool(r) => r.method.as_str(),
            Request::Other(r) => &r.method,
        }
    }

    /// The request's `_meta`.
    fn meta(&self) -> &RequestMetaObject {
        static EMPTY: OnceLock<RequestMetaObject> = OnceLock::new();
        let extensions = match self {
            Request::Initialize(r) => &r.extensions,
            Request::Discover(r) => &r.extensions,
            Request::Ping(r) => &r.extensions,
            Request::ListTools(r) => &r.extensions,
            Request::CallTool(r) => &r.extensions,
            Request::Other(r) => &r.extensions,
        };
        extensions
            .get::<RequestMetaObject>()
            .unwrap_or_else(|| EMPTY.get_or_init(RequestMetaObject::default))
    }
}

/// The version an `initialize` is answered with: the client's when it has a
/// handshake and is known, else the server's preferred one, else the newest
/// known version with a handshake.
fn negotiate(
    requested: &ProtocolVersion,
    preferred: ProtocolVersion,
) -> Result<ProtocolVersion, ErrorData> {
    let supported = ProtocolVersion::KNOWN_VERSIONS;
    if requested.has_initialize() && supported.contains(requested) {
        return Ok(requested.clone());
    }
    if preferred.has_initialize() {
        return Ok(preferred);
    }
    supported
        .iter()
        .filter(|v| v.has_initialize())
        .max_by(|a, b| a.as_str().cmp(b.as_str()))
        .cloned()
        .ok_or_else(|| ErrorData::unsupported_protocol_version(requested.clone(), supported))
}

/// The serialized response `{"jsonrpc":"2.0","id":…,"result":…}`.
fn reply(id: RequestId, result: &impl Serialize) -> Result<Vec<u8>, ErrorData> {
    serde_json::to_vec(&JsonRpcResponse {
        jsonrpc: JsonRpcVersion2_0,
        id,
        result,
    })
    .map_err(|e| ErrorData::internal_error(format!("the answer cannot be serialized: {e}"), None))
}

/// The HTTP status of an error answering a request negotiated per request.
fn negotiated_error_status(code: ErrorCode, meta_malformed: bool) -> StatusCode {
    match code {
        ErrorCode::UNSUPPORTED_PROTOCOL_VERSION
        | ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY
        | ErrorCode::HEADER_MISMATCH => StatusCode::BAD_REQUEST,
        ErrorCode::INVALID_PARAMS if meta_malformed => StatusCode::BAD_REQUEST,
        ErrorCode::METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    }
}

/// `Host` and `Origin` against `gate`, as rmcp checks them (DNS rebinding).
fn check_host_and_origin(parts: &Parts, gate: &Gate<'_>) -> Result<(), Refused> {
    let bad = |message: &str| {
        let mut response = plain(StatusCode::BAD_REQUEST, message.to_owned());
        response.headers_mut().insert(
            CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    };
    let host = match parts.headers.get(HOST) {
        Some(host) => {
            let host = host
                .to_str()
                .map_err(|_| bad("Bad Request: Invalid Host header encoding"))?;
            let authority = http::uri::Authority::try_from(host)
                .map_err(|_| bad("Bad Request: Invalid Host header"))?;
            Authority::new(authority.host(), authority.port_u16())
        }
        None => {
            let authority = parts
                .uri
                .authority()
                .ok_or_else(|| bad("Bad Request: missing Host header"))?;
            Authority::new(authority.host(), authority.port_u16())
        }
    };
    if !gate.allowed_hosts.is_empty()
        && !gate.allowed_hosts.iter().any(|allowed| {
            Authority::allowed(allowed).is_some_and(|a| {
                a.host == host.host && a.port.is_none_or(|port| host.port == Some(port))
            })
        })
    {
        return Err(Box::new(plain(
            StatusCode::FORBIDDEN,
            "Forbidden: Host header is not allowed",
        )));
    }
    let Some(origin) = parts.headers.get(ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().map_err(|_| {
        plain(
            StatusCode::FORBIDDEN,
            "Forbidden: Invalid Origin header encoding",
        )
    })?;
    let origin = Origin::parse(origin)
        .ok_or_else(|| plain(StatusCode::FORBIDDEN, "Forbidden: Invalid Origin header"))?;
    if !gate
        .allowed_origins
        .iter()
        .filter_map(|allowed| AllowedOrigin::parse(allowed))
        .any(|allowed| allowed.admits(&origin))
    {
        return Err(Box::new(plain(
            StatusCode::FORBIDDEN,
            "Forbidden: Origin header is not allowed",
        )));
    }
    Ok(())
}

/// A host and port, the host lowercased and without IPv6 brackets.
struct Authority {
    host: String,
    port: Option<u16>,
}

impl Authority {
    fn new(host: &str, port: Option<u16>) -> Authority {
        Authority {
            host: host
                .trim_matches('[')
                .trim_matches(']')
                .to_ascii_lowercase(),
            port,
        }
    }

    /// An allowed-host entry: `host[:port]`, or a bare name.
    fn allowed(entry: &str) -> Option<Authority> {
        let entry = entry.trim();
        if entry.is_empty() {
            return None;
        }
        Some(match http::uri::Authority::try_from(entry) {
            Ok(authority) => Authority::new(authority.host(), authority.port_u16()),
            Err(_) => Authority::new(entry, None),
        })
    }
}

/// An `Origin` value: `null` or a scheme, host and port.
enum Origin {
    Null,
    Tuple {
        scheme: String,
        authority: Authority,
    },
}

impl Origin {
    fn parse(value: &str) -> Option<Origin> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        if value.eq_ignore_ascii_case("null") {
            return Some(Origin::Null);
        }
        let uri = http::Uri::try_from(value).ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let authority = uri.authority()?;
        Some(Origin::Tuple {
            scheme,
            authority: Authority::new(authority.host(), authority.port_u16()),
        })
    }
}

/// An allowed-origin entry: `null`, or `scheme://host` with a port, `:*` (any
/// port) or none (any port, as rmcp treats it).
enum AllowedOrigin {
    Null,
    Tuple {
        scheme: String,
        host: String,
        /// `None`: any port.
        port: Option<u16>,
    },
}

impl AllowedOrigin {
    fn parse(entry: &str) -> Option<AllowedOrigin> {
        let entry = entry.trim();
        let (base, any_port) = match entry.strip_suffix(":*") {
            Some(base) => (base, true),
            None => (entry, false),
        };
        match Origin::parse(base)? {
            Origin::Null if !any_port => Some(AllowedOrigin::Null),
            Origin::Null => None,
            Origin::Tuple { authority, .. } if any_port && authority.port.is_some() => None,
            Origin::Tuple { scheme, authority } => Some(AllowedOrigin::Tuple {
                scheme,
                host: authority.host,
                port: authority.port,
            }),
        }
    }

    fn admits(&self, origin: &Origin) -> bool {
        match (self, origin) {
            (AllowedOrigin::Null, Origin::Null) => true,
            (
                AllowedOrigin::Tuple { scheme, host, port },
                Origin::Tuple {
                    scheme: o_scheme,
                    authority,
                },
            ) => {
                scheme == o_scheme
                    && *host == authority.host
                    && port.is_none_or(|allowed| {
                        // RFC 6454 §6.2 omits the default port when serializing an origin.
                        let default = match o_scheme.as_str() {
                            "http" => Some(80),
                            "https" => Some(443),
                            _ => None,
                        };
                        authority.port.or(default) == Some(allowed)
                    })
            }
            _ => false,
        }
    }
}

/// The media types `Accept` takes (those with a zero weight left out).
fn accepted_media_types(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| split_unquoted(value, ','))
        .filter_map(|entry| {
            let mut parts = split_unquoted(entry, ';');
            let essence = parts.next()?.trim();
            parts
                .all(|parameter| match parameter.split_once('=') {
                    Some((name, value)) => {
                        !name.trim().eq_ignore_ascii_case("q") || acceptable_weight(value.trim())
                    }
                    None => true,
                })
                .then_some(essence)
        })
}

/// `value` split at `delimiter`s outside quoted strings.
fn split_unquoted(value: &str, delimiter: char) -> impl Iterator<Item = &str> {
    let (mut quoted, mut escaped) = (false, false);
    value.split(move |c| {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if !quoted && c == delimiter {
            return true;
        }
        false
    })
}

/// Whether a `q=` weight admits its media range: only an explicit zero
/// excludes it (a malformed weight is ignored, RFC 9110 §12.4.2).
fn acceptable_weight(quality: &str) -> bool {
    let (whole, fraction) = quality.split_once('.').unwrap_or((quality, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|d| d.is_ascii_digit()) {
        return true;
    }
    whole != "0" || fraction.bytes().any(|d| d != b'0')
}

/// `MCP-Protocol-Version`, when present, names a known version (any version
/// when the request names its own in `_meta`): else 400.
fn known_protocol_version_header(headers: &HeaderMap, allow_unknown: bool) -> Result<(), Refused> {
    let Some(value) = headers.get(PROTOCOL_VERSION_HEADER) else {
        return Ok(());
    };
    let version = value.to_str().map_err(|_| {
        plain(
            StatusCode::BAD_REQUEST,
            "Bad Request: Invalid MCP-Protocol-Version header encoding",
        )
    })?;
    if !allow_unknown
        && !ProtocolVersion::KNOWN_VERSIONS
            .iter()
            .any(|v| v.as_str() == version)
    {
        return Err(Box::new(plain(
            StatusCode::BAD_REQUEST,
            format!("Bad Request: Unsupported MCP-Protocol-Version: {version}"),
        )));
    }
    Ok(())
}

/// On `initialize`, `MCP-Protocol-Version` (when present) equals the body's
/// `protocolVersion`.
fn header_matches_init_body(
    headers: &HeaderMap,
    body_version: &str,
    id: &RequestId,
) -> Result<(), Refused> {
    let Some(value) = headers.get(PROTOCOL_VERSION_HEADER) else {
        return Ok(());
    };
    let invalid = |message: String| {
        jsonrpc_error(
            StatusCode::BAD_REQUEST,
            Some(id.clone()),
            ErrorData::invalid_request(message, None),
        )
    };
    let header = value.to_str().map_err(|_| {
        invalid("Invalid Request: MCP-Protocol-Version header is not valid UTF-8".to_owned())
    })?;
    if header != body_version {
        return Err(Box::new(invalid(format!(
            "Invalid Request: MCP-Protocol-Version header ({header}) does not match initialize \
             params.protocolVersion ({body_version})"
        ))));
    }
    Ok(())
}

/// SEP-2243 (from 2026-07-28, by `MCP-Protocol-Version`): `Mcp-Method` names the
/// body's method and `Mcp-Name` the tool, prompt or resource it is about; on
/// `initialize` a supplied `Mcp-Method` must still agree. 400 with -32001.
/// (`Mcp-Param-*` headers need schema annotations no tool here has.)
fn check_standard_headers(headers: &HeaderMap, message: &Message) -> Result<(), Refused> {
    let requires_headers = headers
        .get(PROTOCOL_VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v >= ProtocolVersion::STANDARD_HEADERS.as_str());
    if !requires_headers {
        return Ok(());
    }
    let mismatch = |id: Option<&RequestId>, message: String| {
        jsonrpc_error(
            StatusCode::BAD_REQUEST,
            id.cloned(),
            ErrorData::header_mismatch(message, None),
        )
    };
    let (id, method, params) = match message {
        JsonRpcMessage::Request(request) => {
            if matches!(request.request, Request::Initialize(_)) {
                let mut values = headers.get_all(METHOD_HEADER).iter();
                let Some(first) = values.next() else {
                    return Ok(());
                };
                if values.next().is_some() {
                    return Err(Box::new(mismatch(
                        Some(&request.id),
                        "multiple Mcp-Method header values supplied; initialize requires \
                         exactly one"
                            .to_owned(),
                    )));
                }
                if first.as_bytes() != b"initialize" {
                    return Err(Box::new(mismatch(
                        Some(&request.id),
                        format!(
                            "Mcp-Method header `{}` does not match body method `initialize`",
                            String::from_utf8_lossy(first.as_bytes())
                        ),
                    )));
                }
                return Ok(());
            }
            let params = serde_json::to_value(&request.request)
                .ok()
                .and_then(|mut v| v.get_mut("params").map(Value::take));
            (Some(&request.id), request.request.method(), params)
        }
        JsonRpcMessage::Notification(notification) => {
            let value = serde_json::to_value(&notification.notification).ok();
            let method = value
                .as_ref()
                .and_then(|v| v.get("method"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let Some(method) = method else {
                return Ok(());
            };
            let params = value.and_then(|mut v| v.get_mut("params").map(Value::take));
            return check_method_and_name(headers, &method, params.as_ref())
                .map_err(|why| Box::new(mismatch(None, why)));
        }
        _ => return Ok(()),
    };
    check_method_and_name(headers, method, params.as_ref())
        .map_err(|why| Box::new(mismatch(id, why)))
}

/// `Mcp-Method` equals `method`; `Mcp-Name` (plain or `=?base64?…?=`) equals the
/// name, URI or task ID the method is about.
fn check_method_and_name(
    headers: &HeaderMap,
    method: &str,
    params: Option<&Value>,
) -> Result<(), String> {
    match single_header(headers, METHOD_HEADER)? {
        None => return Err("missing required Mcp-Method header".to_owned()),
        Some(value) if value != method => {
            return Err(format!(
                "Mcp-Method header `{value}` does not match body method `{method}`"
            ));
        }
        Some(_) => {}
    }
    let key = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" | "resources/subscribe" | "resources/unsubscribe" => "uri",
        "tasks/get" | "tasks/update" | "tasks/cancel" => "taskId",
        _ => return Ok(()),
    };
    let Some(expected) = params.and_then(|p| p.get(key)).and_then(Value::as_str) else {
        return Ok(());
    };
    match single_header(headers, NAME_HEADER)? {
        None => Err(format!("missing required Mcp-Name header for `{method}`")),
        Some(raw) => {
            let decoded = decode_header_value(raw)
                .ok_or_else(|| "Mcp-Name header is not valid Base64".to_owned())?;
            if decoded == expected {
                Ok(())
            } else {
                Err(format!(
                    "Mcp-Name header `{decoded}` does not match body value `{expected}`"
                ))
            }
        }
    }
}

/// The one value of header `name`, if any (a duplicate or a value that is not
/// visible ASCII is an error).
fn single_header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, String> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(format!("duplicate {name} header"));
    }
    value
        .to_str()
        .map(Some)
        .map_err(|_| format!("{name} header contains invalid characters"))
}

/// A SEP-2243 header value: `=?base64?…?=` decoded, anything else as it is.
fn decode_header_value(value: &str) -> Option<String> {
    match value
        .strip_prefix("=?base64?")
        .and_then(|inner| inner.strip_suffix("?="))
    {
        Some(inner) => String::from_utf8(BASE64_STANDARD.decode(inner).ok()?).ok(),
        None => Some(value.to_owned()),
    }
}

/// A request's `_meta` `protocolVersion` against `MCP-Protocol-Version`: when
/// `_meta` names one, the header must be there and equal (-32001); when it does
/// not, `server/discover` and 2026-07-28 requests are missing it (-32602).
fn check_protocol_version_meta(headers: &HeaderMap, message: &Message) -> Result<(), Refused> {
    let JsonRpcMessage::Request(request) = message else {
        return Ok(());
    };
    if matches!(request.request, Request::Initialize(_)) {
        return Ok(());
    }
    let id = Some(request.id.clone());
    let meta = request.request.meta();
    let header = headers
        .get(PROTOCOL_VERSION_HEADER)
        .and_then(|v| v.to_str().ok());
    let Some(meta_version) = meta.protocol_version() else {
        let requires_metadata = matches!(request.request, Request::Discover(_))
            || header.is_some_and(|v| v >= ProtocolVersion::V_2026_07_28.as_str());
        if requires_metadata {
            let missing = meta.missing_required_keys(&ProtocolVersion::V_2026_07_28);
            return Err(Box::new(jsonrpc_error(
                StatusCode::BAD_REQUEST,
                id,
                ErrorData::invalid_params(
                    format!(
                        "Invalid params: request _meta is missing or has malformed required \
                         fields: {}",
                        missing.join(", ")
                    ),
                    None,
                ),
            )));
        }
        return Ok(());
    };
    let mismatch = |message: String| {
        jsonrpc_error(
            StatusCode::BAD_REQUEST,
            id.clone(),
            ErrorData::header_mismatch(message, None),
        )
    };
    match header {
        None => Err(Box::new(mismatch(
            "request _meta protocolVersion requires MCP-Protocol-Version header".to_owned(),
        ))),
        Some(header) if header != meta_version.as_str() => Err(Box::new(mismatch(format!(
            "MCP-Protocol-Version header ({header}) does not match request _meta protocolVersion \
             ({meta_version})"
        )))),
        Some(_) => Ok(()),
    }
}

/// A plain-text answer (rmcp's refusals carry no content type).
fn plain(status: StatusCode, message: impl Into<String>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(message.into()));
    *response.status_mut() = status;
    response
}

/// `status` with a JSON body.
fn json(status: StatusCode, body: Vec<u8>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, http::HeaderValue::from_static(JSON));
    response
}

/// `status` with the JSON-RPC error `error` (for request `id`, when known).
fn jsonrpc_error(status: StatusCode, id: Option<RequestId>, error: ErrorData) -> Response<Bytes> {
    let body = serde_json::to_vec(&JsonRpcError::new(id, error)).unwrap_or_else(|_| {
        br#"{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"}}"#.to_vec()
    });
    json(status, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_header_values_decode_strictly() {
        assert_eq!(decode_header_value("plain").as_deref(), Some("plain"));
        assert_eq!(
            decode_header_value("=?base64?bGlzdF9pbmNpZGVudHM=?=").as_deref(),
            Some("list_incidents")
        );
        assert_eq!(decode_header_value("=?base64?w6k=?=").as_deref(), Some("é"));
        for bad in [
            "=?base64?bGlzd?=",
            "=?base64?b===?=",
            "=?base64?bG!z?=",
            "=?base64?bB==?=",
        ] {
            assert_eq!(decode_header_value(bad), None, "{bad}");
        }
    }

    #[test]
    fn weights_of_zero_exclude_a_media_type() {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            "application/json;q=0.000, text/event-stream;q=0.5, text/html;q=0.x"
                .parse()
                .unwrap(),
        );
        let accepted: Vec<_> = accepted_media_types(&headers).collect();
        assert_eq!(accepted, ["text/event-stream", "text/html"]);
    }
}

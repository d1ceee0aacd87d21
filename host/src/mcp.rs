//! The MCP server: an rmcp [`ServerHandler`] written by hand, because the tool
//! list comes from the component at run time.
//!
//! * `tools/list` answers the component's tools (asked once, then cached),
//!   mapped to MCP [`Tool`]s with their JSON schemas and annotations.
//! * `tools/call` runs [`Sandbox::call_tool`]; the envelope is returned as
//!   `structuredContent` and as one text block with the same JSON, with
//!   `isError` from the component. Calls that never reach a tool (unknown tool,
//!   arguments not an object) are JSON-RPC errors `-32602`.
//!
//! rmcp negotiates the protocol: both the legacy `initialize` lifecycle and the
//! stateless 2026-07-28 revision (per-request `_meta`) work with this handler.
//! The handler is transport-agnostic: [`serve_stdio`] here, Streamable HTTP in
//! [`crate::http`] (one clone of the same [`McpServer`] per session or request).
//!
//! Whose PagerDuty token a call uses is the handler's [`TokenSource`]: the
//! sandbox's default token (stdio, HTTP with one server token), or, over HTTP
//! with per-request tokens, the [`ApiToken`] the HTTP layer authenticated and
//! attached to that very request ([`crate::http_auth`]); such a call runs with
//! [`Sandbox::call_tool_as`] and never falls back to another token.

use std::borrow::Cow;
use std::sync::Arc;

use pagerduty_tools::error::ErrorCode;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData as McpError, ServerHandler, ServiceExt as _};
use serde_json::Value;

use crate::egress::ApiToken;
use crate::sandbox::{CallError, CallOutcome, Sandbox, ToolInfo, error_outcome};

/// The server name announced to clients.
pub const SERVER_NAME: &str = "pagerduty-mcp";

/// Instructions announced to clients in `initialize` / discovery.
pub const INSTRUCTIONS: &str = "Tools for PagerDuty incident response: incidents (with notes, alerts, \
past and related incidents), services, teams, users, escalation policies, on-calls and schedules. \
Every result is JSON with a `metadata` object (count, description, has_more/truncated when the list \
was cut) and a plural resource list. List tools default to the current user's context \
(`current_user_context: true`); pass `current_user_context: false` with explicit filters to look \
beyond it. Errors come back as tool results with `error.code` and `error.message`; read the message \
and correct the arguments. Write tools (acknowledge, resolve, add a note) exist only when the server \
was started with write tools enabled.";

/// Where the PagerDuty token of a `tools/call` comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TokenSource {
    /// The sandbox's default token (from the environment).
    #[default]
    Sandbox,
    /// The [`ApiToken`] attached to the HTTP request carrying the call (in the
    /// extensions of its [`http::request::Parts`]); a call without one fails.
    PerRequest,
}

/// The MCP handler over a [`Sandbox`]. Cheap to clone (one per session or
/// transport).
#[derive(Clone, Debug)]
pub struct McpServer {
    sandbox: Sandbox,
    tools: Arc<tokio::sync::OnceCell<Arc<Vec<Tool>>>>,
    token_source: TokenSource,
}

impl McpServer {
    /// A handler serving the tools of `sandbox` with its default token.
    pub fn new(sandbox: Sandbox) -> McpServer {
        McpServer {
            sandbox,
            tools: Arc::default(),
            token_source: TokenSource::Sandbox,
        }
    }

    /// This handler with calls authenticated as `source` says.
    pub fn with_token_source(mut self, source: TokenSource) -> McpServer {
        self.token_source = source;
        self
    }

    /// Where this handler's calls take their PagerDuty token from.
    pub fn token_source(&self) -> TokenSource {
        self.token_source
    }

    /// The sandbox this handler calls.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The MCP tools (listed by the component once, then cached).
    pub async fn tools(&self) -> Result<Arc<Vec<Tool>>, McpError> {
        self.tools
            .get_or_try_init(|| async {
                let tools = self.sandbox.list_tools().await.map_err(|e| {
                    tracing::error!("listing the tools failed: {e:#}");
                    McpError::internal_error(format!("listing the tools failed: {e:#}"), None)
                })?;
                Ok(Arc::new(tools.iter().map(to_mcp_tool).collect()))
            })
            .await
            .cloned()
    }

    /// Runs one `tools/call` with the sandbox's default token.
    pub async fn call(&self, params: CallToolRequestParams) -> Result<CallToolResult, McpError> {
        self.call_as(None, params).await
    }

    /// Runs one `tools/call` with `token` (the sandbox's default when `None`).
    pub async fn call_as(
        &self,
        token: Option<&ApiToken>,
        params: CallToolRequestParams,
    ) -> Result<CallToolResult, McpError> {
        let name = params.name.as_ref();
        let arguments = match &params.arguments {
            Some(args) => serde_json::to_string(args).map_err(|e| {
                McpError::invalid_params(format!("arguments are not valid JSON: {e}"), None)
            })?,
            None => "{}".to_owned(),
        };
        let result = match token {
            Some(token) => self.sandbox.call_tool_as(token, name, &arguments).await,
            None => self.sandbox.call_tool(name, &arguments).await,
        };
        match result {
            Ok(Ok(outcome)) => Ok(to_call_tool_result(&outcome)),
            Ok(Err(error)) => Err(call_error_to_mcp(name, error)),
            Err(fault) => {
                tracing::error!(tool = name, "host fault while calling a tool: {fault:#}");
                Err(McpError::internal_error(
                    format!("the server could not run the tool: {fault:#}"),
                    None,
                ))
            }
        }
    }
}

/// Maps a component tool description to an MCP tool.
pub fn to_mcp_tool(tool: &ToolInfo) -> Tool {
    let annotations = ToolAnnotations::with_title(tool.title.clone())
        .read_only(tool.annotations.read_only)
        .destructive(tool.annotations.destructive)
        .idempotent(tool.annotations.idempotent)
        .open_world(tool.annotations.open_world);
    let mut mcp = Tool::new_with_raw(
        tool.name.clone(),
        Some(Cow::Owned(tool.description.clone())),
        Arc::new(schema_object(&tool.name, "input", &tool.input_schema)),
    )
    .with_title(tool.title.clone())
    .with_annotations(annotations);
    if !tool.output_schema.trim().is_empty() {
        mcp = mcp.with_raw_output_schema(Arc::new(schema_object(
            &tool.name,
            "output",
            &tool.output_schema,
        )));
    }
    mcp
}

/// Parses a JSON Schema given as text; a malformed one becomes `{"type":"object"}`
/// (logged) so one bad tool cannot break `tools/list`.
fn schema_object(tool: &str, which: &str, text: &str) -> JsonObject {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        _ => {
            tracing::warn!(
                tool,
                "the component's {which} schema is not a JSON object; using {{\"type\":\"object\"}}"
            );
            let mut map = JsonObject::new();
            map.insert("type".into(), Value::String("object".into()));
            map
        }
    }
}

/// The MCP result of a tool outcome: the envelope as `structuredContent` and
/// as one text block, `isError` as the component said.
///
/// An envelope that is not a JSON object (a broken component) becomes an
/// `INTERNAL_ERROR` tool error.
pub fn to_call_tool_result(outcome: &CallOutcome) -> CallToolResult {
    let (value, text, is_error) = envelope(outcome);
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(value);
    result.is_error = Some(is_error);
    result
}

/// The envelope of an outcome as (JSON value, JSON text, is_error), replacing
/// a malformed envelope by an `INTERNAL_ERROR` one.
pub fn envelope(outcome: &CallOutcome) -> (Value, String, bool) {
    match serde_json::from_str::<Value>(&outcome.structured_content) {
        Ok(value @ Value::Object(_)) => {
            (value, outcome.structured_content.clone(), outcome.is_error)
        }
        _ => {
            tracing::error!("the component returned a result that is not a JSON object");
            let fallback = error_outcome(
                ErrorCode::InternalError,
                "the tool returned a malformed result",
            );
            let value = serde_json::from_str(&fallback.structured_content).unwrap_or(Value::Null);
            (value, fallback.structured_content, true)
        }
    }
}

/// The JSON-RPC error (invalid params, -32602) for a call that never reached a tool.
pub fn call_error_to_mcp(name: &str, error: CallError) -> McpError {
    match error {
        CallError::UnknownTool(unknown) => McpError::invalid_params(
            format!("unknown tool: {unknown:?} (see tools/list for the available tools)"),
            None,
        ),
        CallError::InvalidArguments(why) => {
            McpError::invalid_params(format!("invalid arguments for tool {name:?}: {why}"), None)
        }
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new(SERVER_NAME, env!("CARGO_PKG_VERSION"))
                    .with_title("PagerDuty")
                    .with_description(
                        "PagerDuty incident-response tools, run in a WebAssembly sandbox",
                    ),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let tools = self.tools().await?;
        Ok(ListToolsResult::with_all_items(tools.as_ref().clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let token = match self.token_source {
            TokenSource::Sandbox => None,
            TokenSource::PerRequest => Some(request_token(&context)?),
        };
        self.call_as(token, request)
            .await
            .map(CallToolResponse::from)
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        // Only once listed (rmcp asks synchronously, to validate headers).
        self.tools
            .get()
            .and_then(|tools| tools.iter().find(|t| t.name == name).cloned())
    }
}

/// The token the HTTP layer attached to the request carrying this call.
fn request_token(context: &RequestContext<RoleServer>) -> Result<&ApiToken, McpError> {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ApiToken>())
        .ok_or_else(|| {
            // The HTTP layer answers 401 before this; reaching it is a bug.
            tracing::error!("a tools/call arrived without a per-request PagerDuty token");
            McpError::invalid_request(
                "this server needs a PagerDuty token with every request \
                 (Authorization: Token token=<token> or Bearer <oauth token>)",
                None,
            )
        })
}

/// Serves MCP over stdin/stdout until the client disconnects.
pub async fn serve_stdio(server: McpServer) -> anyhow::Result<()> {
    let stdio = crate::stdio::guard(tokio::io::stdin(), tokio::io::stdout());
    let running = match server.serve((stdio.to_server, stdio.from_server)).await {
        Ok(running) => running,
        // A client that goes away before starting a session (or `< /dev/null`) is
        // a normal end, not a failure.
        Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => {
            tracing::info!("stdin closed before an MCP session started");
            return Ok(());
        }
        Err(e) => anyhow::bail!("MCP session failed to start: {e}"),
    };
    let reason = running.waiting().await?;
    tracing::info!(?reason, "MCP session ended");
    // Flush the last answers before the process exits.
    let _ = stdio.done.await;
    Ok(())
}

//! The MCP server: an rmcp [`ServerHandler`] written by hand, because the tool
//! list comes from the component at run time.
//!
//! * `tools/list` answers the component's tools (asked once, then cached),
//!   mapped to MCP [`Tool`]s with their JSON schemas and annotations.
//! * `tools/call` runs [`Sandbox::call_tool_until`]; the envelope is returned as
//!   `structuredContent` and as one text block with the same JSON, with
//!   `isError` from the component. Calls that never reach a tool (unknown tool,
//!   arguments not an object) are JSON-RPC errors `-32602`.
//! * A request rmcp cannot parse into one of MCP's methods (a served method
//!   whose `params` do not fit it, e.g. `tools/call` with `arguments` that are
//!   not an object, or an unknown method) reaches `on_custom_request`: -32602
//!   saying what is wrong, or -32601 ([`crate::jsonrpc::custom_request_error`]).
//!
//! rmcp negotiates the protocol: both the legacy `initialize` lifecycle and the
//! stateless 2026-07-28 revision (per-request `_meta`) work with this handler.
//! The handler is transport-agnostic: [`serve_stdio`] here, Streamable HTTP in
//! [`crate::http`] (one clone of the same [`McpServer`] per session or request).
//!
//! Whose PagerDuty token a call uses is the handler's [`TokenSource`]: the
//! sandbox's default token (stdio, HTTP with one server token), or, over HTTP
//! with per-request tokens, the [`ApiToken`] the HTTP layer authenticated and
//! attached to that very request ([`crate::http_auth`]); such a call carries
//! that token only (as with [`Sandbox::call_tool_as`]) and never falls back to
//! another token.
//!
//! A call ends early when the client cancels it: rmcp's per-request
//! cancellation ([`RequestContext::ct`]: `notifications/cancelled`, and the end
//! of a stateless HTTP request or of the session) or, over HTTP, the client
//! leaving before its answer ([`ClientDisconnect`]). The call then stops at its
//! next await and sends nothing more ([`Sandbox::call_tool_until`]); its answer
//! is the JSON-RPC error [`REQUEST_CANCELLED`], which rmcp does not even send
//! after `notifications/cancelled` (as MCP asks).
//!
//! A call (or the first `tools/list`) that finds every sandbox instance taken
//! and none free within the queue timeout ([`Busy`]) is the JSON-RPC error
//! [`SERVER_BUSY`]: nothing ran, the client may simply try again.

use std::sync::Arc;

use pagerduty_tools::catalog::{self, CallFault, ToolDescription};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CustomRequest, CustomResult,
    ListToolsResult, PaginatedRequestParams, ServerConfig, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData as McpError, ServerHandler, ServiceExt as _};
use tokio_util::sync::CancellationToken;

use crate::egress::ApiToken;
use crate::http_cancel::ClientDisconnect;
use crate::sandbox::{Busy, CallError, CallOutcome, Cancelled, Sandbox, ToolInfo};

/// The JSON-RPC error code of a call stopped by its client's cancellation.
/// MCP defines none (the answer to a cancelled request is not sent at all);
/// this is LSP's `RequestCancelled`, which JSON-RPC tooling knows.
pub const REQUEST_CANCELLED: i32 = -32800;

/// The JSON-RPC error code of a call refused because the server already runs
/// as many calls as it may ([`Busy`]).
///
/// Not a tool error: no code of the tool contract fits (`RATE_LIMITED` is
/// PagerDuty's 429, `NETWORK_ERROR` a PagerDuty that did not answer,
/// `UPSTREAM_ERROR` another PagerDuty answer), and the call never reached a
/// tool. JSON-RPC reserves -32000 to -32099 for implementation-defined server
/// errors; -32005 is clear of the codes MCP and its SDKs use there (-32000
/// connection closed and -32001 request timeout in the TypeScript SDK, -32002
/// resource not found, -32020 to -32022 in rmcp, -32042 URL elicitation
/// required) and is "limit exceeded" elsewhere (Ethereum's EIP-1474).
pub const SERVER_BUSY: i32 = -32005;

/// The server name announced to clients.
pub use pagerduty_tools::mcp::SERVER_NAME;

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
    instructions: Arc<str>,
    token_source: TokenSource,
    verbatim_results: bool,
}

impl McpServer {
    /// A handler serving the tools of `sandbox` with its default token,
    /// announcing `instructions` ([`pagerduty_tools::mcp::instructions`] of the
    /// same selection). The tools are listed by the component on first need.
    pub fn new(sandbox: Sandbox, instructions: String) -> McpServer {
        McpServer {
            sandbox,
            tools: Arc::default(),
            instructions: instructions.into(),
            token_source: TokenSource::Sandbox,
            verbatim_results: false,
        }
    }

    /// This handler with tool results handed over for [`crate::verbatim`] writing:
    /// only for a transport that writes them ([`crate::stdio::StdioTransport`]).
    pub fn with_verbatim_results(mut self) -> McpServer {
        self.verbatim_results = true;
        self
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

    /// The MCP tools offered, in order (listed by the component once, then
    /// cached).
    pub async fn tools(&self) -> Result<Arc<Vec<Tool>>, McpError> {
        self.tools
            .get_or_try_init(|| async {
                let listed = self.sandbox.list_tools().await.map_err(|e| {
                    if let Some(busy) = e.downcast_ref::<Busy>() {
                        return busy_error(busy);
                    }
                    tracing::error!("listing the tools failed: {e:#}");
                    McpError::internal_error(format!("listing the tools failed: {e:#}"), None)
                })?;
                let tools = listed
                    .iter()
                    .map(|t| to_mcp_tool(&tool_description(t)))
                    .collect::<anyhow::Result<Vec<_>>>()
                    .map_err(|e| McpError::internal_error(format!("{e:#}"), None))?;
                Ok(Arc::new(tools))
            })
            .await
            .cloned()
    }

    /// The instructions announced to clients.
    pub fn instructions(&self) -> &str {
        &self.instructions
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
        self.call_until(token, params, &CancellationToken::new())
            .await
    }

    /// Runs one `tools/call` with `token` (the sandbox's default when `None`)
    /// until `cancel` is cancelled; a cancelled call is the JSON-RPC error
    /// [`REQUEST_CANCELLED`] (see [`Sandbox::call_tool_until`] for what
    /// stopping guarantees).
    pub async fn call_until(
        &self,
        token: Option<&ApiToken>,
        params: CallToolRequestParams,
        cancel: &CancellationToken,
    ) -> Result<CallToolResult, McpError> {
        let name = params.name.as_ref();
        let arguments = pagerduty_mcp_protocol::tools::arguments_json(&params)?;
        let result = self
            .sandbox
            .call_tool_until(token, name, &arguments, cancel)
            .await;
        match result {
            Ok(Ok(outcome)) if self.verbatim_results => Ok(crate::verbatim::result(
                outcome.structured_content,
                outcome.is_error,
            )
            .unwrap_or_else(|envelope| {
                pagerduty_mcp_protocol::tools::call_tool_result(&envelope, outcome.is_error)
            })),
            Ok(Ok(outcome)) => Ok(to_call_tool_result(&outcome)),
            Ok(Err(error)) => Err(call_error_to_mcp(name, error)),
            Err(fault) if fault.is::<Cancelled>() => Err(cancelled_error(name)),
            Err(fault) => {
                if let Some(busy) = fault.downcast_ref::<Busy>() {
                    return Err(busy_error(busy));
                }
                tracing::error!(tool = name, "host fault while calling a tool: {fault:#}");
                Err(McpError::internal_error(
                    format!("the server could not run the tool: {fault:#}"),
                    None,
                ))
            }
        }
    }
}

/// The answer to a call stopped by its client's cancellation.
fn cancelled_error(name: &str) -> McpError {
    McpError::new(
        rmcp::model::ErrorCode(REQUEST_CANCELLED),
        format!(
            "the call of {name} was cancelled: no request was sent to PagerDuty after the \
             cancellation arrived; a request already sent may have taken effect"
        ),
        None,
    )
}

/// The answer to a call refused because every sandbox instance is taken
/// ([`SERVER_BUSY`]); `data` repeats the numbers for programs.
fn busy_error(busy: &Busy) -> McpError {
    McpError::new(
        rmcp::model::ErrorCode(SERVER_BUSY),
        busy.to_string(),
        Some(serde_json::json!({
            "running": busy.running,
            "waitedMs": u64::try_from(busy.waited.as_millis()).unwrap_or(u64::MAX),
        })),
    )
}

/// The tools crate's description of a tool the component listed.
pub fn tool_description(tool: &ToolInfo) -> ToolDescription {
    let a = tool.annotations;
    ToolDescription {
        name: tool.name.clone(),
        title: tool.title.clone(),
        description: tool.description.clone(),
        toolset: tool.toolset.clone(),
        input_schema: tool.input_schema.clone(),
        output_schema: tool.output_schema.clone(),
        annotations: catalog::Annotations {
            read_only: a.read_only,
            destructive: a.destructive,
            idempotent: a.idempotent,
            open_world: a.open_world,
        },
    }
}

/// The rmcp tool of a description, through the shared mapping
/// ([`pagerduty_tools::mcp::tool`]).
pub fn to_mcp_tool(description: &ToolDescription) -> anyhow::Result<Tool> {
    Ok(pagerduty_mcp_protocol::tools::tool(description)?)
}

/// The MCP result of a tool outcome, through the shared mapping
/// ([`pagerduty_tools::mcp::tool_result`]): the envelope as `structuredContent`
/// and as one text block, `isError` as the component said (a malformed
/// envelope becomes an `INTERNAL_ERROR` tool error).
pub fn to_call_tool_result(outcome: &CallOutcome) -> CallToolResult {
    pagerduty_mcp_protocol::tools::call_tool_result(&outcome.structured_content, outcome.is_error)
}

/// The call fault of the component's WIT error.
pub fn call_fault(error: CallError) -> CallFault {
    match error {
        CallError::UnknownTool(name) => CallFault::UnknownTool(name),
        CallError::InvalidArguments(why) => CallFault::InvalidArguments(why),
        CallError::InvalidConfiguration(why) => CallFault::InvalidConfiguration(why),
    }
}

/// The JSON-RPC error for a call that never reached a tool, through the shared
/// mapping ([`pagerduty_tools::mcp::fault`]).
pub fn call_error_to_mcp(name: &str, error: CallError) -> McpError {
    pagerduty_mcp_protocol::tools::fault_error(name, &call_fault(error))
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        pagerduty_mcp_protocol::tools::server_config(
            env!("CARGO_PKG_VERSION"),
            "PagerDuty incident-response tools, run in a WebAssembly sandbox",
            self.instructions(),
        )
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
        let cancel = context.ct.child_token();
        let call = self.call_until(token, request, &cancel);
        let disconnect = context
            .extensions
            .get::<http::request::Parts>()
            .and_then(ClientDisconnect::of);
        let result = match disconnect {
            None => call.await,
            Some(disconnect) => {
                tokio::pin!(call);
                tokio::select! {
                    result = &mut call => result,
                    () = disconnect.left() => {
                        // The call sees its cancellation and ends at once.
                        cancel.cancel();
                        call.await
                    }
                }
            }
        };
        result.map(CallToolResponse::from)
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, McpError> {
        Err(crate::jsonrpc::custom_request_answer(
            &request.method,
            request.params.as_ref(),
        ))
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

/// Serves MCP over stdin/stdout until the client disconnects. Tool results are
/// written verbatim ([`crate::verbatim`]) by the stdio transport.
pub async fn serve_stdio(server: McpServer) -> anyhow::Result<()> {
    let stdio = crate::stdio::guard(tokio::io::stdin(), tokio::io::stdout());
    let (transport, done) = stdio.into_transport();
    let running = match server.with_verbatim_results().serve(transport).await {
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
    let _ = done.await;
    Ok(())
}

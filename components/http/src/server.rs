//! The MCP handler of the component: rmcp's [`ServerHandler`] over the
//! `pagerduty-tools` catalog, with each call's PagerDuty credential taken from
//! the HTTP request that carries it.

use std::sync::Arc;

use pagerduty_mcp_protocol::credential::Credential;
use pagerduty_mcp_protocol::{jsonrpc, tools};
use pagerduty_tools::catalog::{self, CallFault};
use pagerduty_tools::config::Config;
use pagerduty_tools::http::{HttpRequest, HttpResponse, Transport, TransportError};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CustomRequest, CustomResult, ListToolsResult,
    PaginatedRequestParams, ServerConfig, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData as McpError, ServerHandler};

/// What the server announces about itself.
const DESCRIPTION: &str = "PagerDuty incident-response tools, served by a WebAssembly component";

/// The MCP handler: the catalog as `config` offers it, calls sent through
/// `transport` with the credential of the request being served.
pub struct McpComponent<T> {
    config: Arc<Result<Config, String>>,
    instructions: Arc<str>,
    transport: Arc<T>,
}

impl<T> Clone for McpComponent<T> {
    fn clone(&self) -> Self {
        McpComponent {
            config: self.config.clone(),
            instructions: self.instructions.clone(),
            transport: self.transport.clone(),
        }
    }
}

impl<T: Transport + Send + Sync + 'static> McpComponent<T> {
    /// A handler for `config` (or the message of an unusable configuration, which
    /// every `tools/list` and `tools/call` then reports) over `transport`.
    pub fn new(config: Result<Config, String>, transport: Arc<T>) -> McpComponent<T> {
        let instructions = match &config {
            Ok(config) => pagerduty_tools::mcp::instructions(&config.selection),
            Err(why) => format!("This server is misconfigured: {why}"),
        };
        McpComponent {
            config: Arc::new(config),
            instructions: instructions.into(),
            transport,
        }
    }

    /// The configuration, or the JSON-RPC error of an unusable one.
    fn config(&self) -> Result<&Config, McpError> {
        self.config
            .as_ref()
            .as_ref()
            .map_err(|why| tools::fault_error("", &CallFault::InvalidConfiguration(why.clone())))
    }

    /// The MCP tools offered, in order.
    fn offered(&self) -> Result<Vec<Tool>, McpError> {
        catalog::available_tools(self.config()?)
            .into_iter()
            .map(|t| tools::tool(&t.describe()))
            .collect::<Result<_, _>>()
            .map_err(|e| McpError::internal_error(format!("a tool cannot be listed: {e}"), None))
    }
}

impl<T: Transport + Send + Sync + 'static> ServerHandler for McpComponent<T> {
    fn get_info(&self) -> ServerConfig {
        tools::server_config(env!("CARGO_PKG_VERSION"), DESCRIPTION, &self.instructions)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.offered()?))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let credential = context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Credential>())
            .ok_or_else(|| {
                // `front::handle` answers 401 before this; reaching it is a bug.
                McpError::invalid_request(
                    pagerduty_mcp_protocol::credential::MISSING_CREDENTIAL,
                    None,
                )
            })?;
        let config = self.config()?;
        let name = request.name.as_ref();
        let arguments = tools::arguments_json(&request)?;
        let transport = WithCredential {
            inner: self.transport.as_ref(),
            authorization: credential.authorization(),
        };
        let now = time::OffsetDateTime::now_utc();
        match catalog::call_tool(name, &arguments, &transport, config, now) {
            Ok(outcome) => Ok(tools::call_tool_result(&outcome.json, outcome.is_error).into()),
            Err(fault) => Err(tools::fault_error(name, &fault)),
        }
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, McpError> {
        Err(jsonrpc::custom_request_answer(
            &request.method,
            request.params.as_ref(),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        let config = self.config().ok()?;
        let entry = catalog::available_tools(config)
            .into_iter()
            .find(|t| t.name == name)?;
        tools::tool(&entry.describe()).ok()
    }
}

/// A transport that adds the caller's `Authorization` to every request it sends.
struct WithCredential<'a, T> {
    inner: &'a T,
    /// The header value (a secret).
    authorization: String,
}

impl<T: Transport> Transport for WithCredential<'_, T> {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut request = request.clone();
        request
            .headers
            .push(("Authorization", self.authorization.clone()));
        self.inner.send(&request)
    }

    fn sleep(&self, duration: std::time::Duration) {
        self.inner.sleep(duration);
    }
}

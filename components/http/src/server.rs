//! The MCP methods of the component over the `pagerduty-tools` catalog, with each
//! call's PagerDuty credential taken from the HTTP request that carries it
//! ([`crate::stateless`] decides which method a request reaches).

use std::sync::Arc;

use pagerduty_mcp_protocol::credential::Credential;
use pagerduty_mcp_protocol::tools;
use pagerduty_tools::catalog::{self, CallFault};
use pagerduty_tools::config::Config;
use pagerduty_tools::http::{HttpRequest, HttpResponse, Transport, TransportError};
use rmcp::ErrorData as McpError;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, DiscoverResult, ListToolsResult, ProtocolVersion,
    ServerConfig, Tool,
};

/// What the server announces about itself.
const DESCRIPTION: &str = "PagerDuty incident-response tools, served by a WebAssembly component";

/// The MCP methods: the catalog as `config` offers it, calls sent through
/// `transport` with the credential of the request being served.
pub struct McpComponent<T> {
    config: Result<Config, String>,
    instructions: String,
    transport: Arc<T>,
}

impl<T: Transport> McpComponent<T> {
    /// The methods for `config` (or the message of an unusable configuration,
    /// which every `tools/list` and `tools/call` then reports) over `transport`.
    pub fn new(config: Result<Config, String>, transport: Arc<T>) -> McpComponent<T> {
        let instructions = match &config {
            Ok(config) => pagerduty_tools::mcp::instructions(&config.selection),
            Err(why) => format!("This server is misconfigured: {why}"),
        };
        McpComponent {
            config,
            instructions,
            transport,
        }
    }

    /// The configuration, or the JSON-RPC error of an unusable one.
    fn config(&self) -> Result<&Config, McpError> {
        self.config
            .as_ref()
            .map_err(|why| tools::fault_error("", &CallFault::InvalidConfiguration(why.clone())))
    }

    /// What `initialize` answers (before its version is negotiated).
    pub fn server_config(&self) -> ServerConfig {
        tools::server_config(env!("CARGO_PKG_VERSION"), DESCRIPTION, &self.instructions)
    }

    /// What `server/discover` answers: the `supported` versions and the server.
    pub fn discover(&self, supported: &[ProtocolVersion]) -> DiscoverResult {
        DiscoverResult::from_server_info(supported.to_vec(), self.server_config())
    }

    /// `tools/list`: the tools offered, in order.
    pub fn list_tools(&self) -> Result<ListToolsResult, McpError> {
        let tools = catalog::available_tools(self.config()?)
            .into_iter()
            .map(|t| tools::tool(&t.describe()))
            .collect::<Result<Vec<Tool>, _>>()
            .map_err(|e| McpError::internal_error(format!("a tool cannot be listed: {e}"), None))?;
        Ok(ListToolsResult::with_all_items(tools))
    }

    /// `tools/call`, its PagerDuty requests sent with `credential`.
    pub fn call_tool(
        &self,
        request: &CallToolRequestParams,
        credential: &Credential,
    ) -> Result<CallToolResult, McpError> {
        let config = self.config()?;
        let name = request.name.as_ref();
        let arguments = tools::arguments_json(request)?;
        let transport = WithCredential {
            inner: self.transport.as_ref(),
            authorization: credential.authorization(),
        };
        let now = time::OffsetDateTime::now_utc();
        match catalog::call_tool(name, &arguments, &transport, config, now) {
            Ok(outcome) => Ok(tools::call_tool_result(&outcome.json, outcome.is_error)),
            Err(fault) => Err(tools::fault_error(name, &fault)),
        }
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

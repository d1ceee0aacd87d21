//! The tools crate's MCP mapping ([`pagerduty_tools::mcp`]) as rmcp's model
//! types, for every MCP server of the project: a tool description → [`Tool`], an
//! envelope → [`CallToolResult`], a call fault → a JSON-RPC error, and the
//! server's announcement ([`server_config`]).

use pagerduty_tools::catalog::{CallFault, ToolDescription};
use rmcp::ErrorData;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ContentBlock, ErrorCode, Implementation,
    ServerCapabilities, ServerConfig, Tool, ToolsCapability,
};

/// The rmcp tool of a description (through [`pagerduty_tools::mcp::tool`]).
pub fn tool(description: &ToolDescription) -> Result<Tool, serde_json::Error> {
    serde_json::from_value(pagerduty_tools::mcp::tool(description))
}

/// The MCP result of an envelope (through [`pagerduty_tools::mcp::tool_result`]):
/// the envelope as `structuredContent` and as one text block, `isError` as the
/// tool said (a malformed envelope becomes an `INTERNAL_ERROR` tool error).
pub fn call_tool_result(envelope: &str, is_error: bool) -> CallToolResult {
    let result = pagerduty_tools::mcp::tool_result(envelope, is_error);
    let mut mcp = CallToolResult::success(vec![ContentBlock::text(result.text)]);
    mcp.structured_content = Some(result.structured);
    mcp.is_error = Some(result.is_error);
    mcp
}

/// A `tools/call`'s arguments as the JSON text the catalog takes (`{}` when absent).
pub fn arguments_json(params: &CallToolRequestParams) -> Result<String, ErrorData> {
    match &params.arguments {
        Some(arguments) => serde_json::to_string(arguments).map_err(|e| {
            ErrorData::invalid_params(format!("arguments are not valid JSON: {e}"), None)
        }),
        None => Ok("{}".to_owned()),
    }
}

/// The JSON-RPC error for a call of `name` that never reached a tool (through
/// [`pagerduty_tools::mcp::fault`]).
pub fn fault_error(name: &str, fault: &CallFault) -> ErrorData {
    let (code, message) = pagerduty_tools::mcp::fault(name, fault);
    ErrorData::new(ErrorCode(code), message, None)
}

/// What a server announces (`initialize`, `server/discover`): the tools
/// capability, [`pagerduty_tools::mcp::SERVER_NAME`] at `version` with
/// `description`, and `instructions`.
pub fn server_config(version: &str, description: &str, instructions: &str) -> ServerConfig {
    // Field by field: rmcp's capability builder exists only with its `server` feature.
    let mut capabilities = ServerCapabilities::default();
    capabilities.tools = Some(ToolsCapability::default());
    ServerConfig::new(capabilities)
        .with_server_info(
            Implementation::new(pagerduty_tools::mcp::SERVER_NAME, version)
                .with_title("PagerDuty")
                .with_description(description),
        )
        .with_instructions(instructions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pagerduty_tools::catalog;

    #[test]
    fn every_catalog_tool_is_an_rmcp_tool() {
        for entry in catalog::all_tools() {
            let tool = tool(&entry.describe()).unwrap();
            assert_eq!(tool.name, entry.name);
            assert!(tool.output_schema.is_some(), "{}", entry.name);
        }
    }

    #[test]
    fn results_and_faults_keep_the_envelope_and_the_code() {
        let result = call_tool_result(r#"{"metadata":{"count":0},"users":[]}"#, false);
        assert_eq!(result.is_error, Some(false));
        assert_eq!(
            result.structured_content.unwrap()["users"],
            serde_json::json!([])
        );
        let error = fault_error("x", &CallFault::UnknownTool("x".into()));
        assert_eq!(error.code.0, pagerduty_tools::mcp::INVALID_PARAMS);
        let info = server_config("1.0.0", "d", "use the tools");
        assert_eq!(info.instructions.as_deref(), Some("use the tools"));
        assert!(info.capabilities.tools.is_some());
    }
}

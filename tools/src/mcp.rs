//! The MCP mapping, written once for every host: a catalog tool → an MCP tool, an
//! envelope → an MCP tool result, a call fault → a JSON-RPC error, and the server's
//! instructions. The native host and a component that speaks MCP itself both use it,
//! so they list and answer alike.
//!
//! It produces MCP's wire JSON (`serde_json::Value`) rather than a protocol library's
//! types, so this crate stays light enough for every component; a host turns the
//! values into its library's types with serde.

use crate::catalog::{CallFault, ToolDescription};
use crate::error::{ErrorCode, ToolError};
use crate::toolsets::{Selection, Toolset};
use serde_json::{Value, json};

/// The server name announced to clients.
pub const SERVER_NAME: &str = "pagerduty-mcp";

/// JSON-RPC's "invalid params": the answer to a call that never reached a tool.
pub const INVALID_PARAMS: i32 = -32602;

/// JSON-RPC's "internal error": the server cannot run tools as configured.
pub const INTERNAL_ERROR: i32 = -32603;

/// The MCP tool object (`tools/list`) of a tool description: name, title,
/// description, `inputSchema`, `outputSchema` and `annotations` (with the title).
/// A schema that is not a JSON object (a broken component) becomes
/// `{"type": "object"}` so one bad tool cannot break the list.
pub fn tool(description: &ToolDescription) -> Value {
    let a = description.annotations;
    json!({
        "name": description.name,
        "title": description.title,
        "description": description.description,
        "inputSchema": schema_object(&description.input_schema),
        "outputSchema": schema_object(&description.output_schema),
        "annotations": {
            "title": description.title,
            "readOnlyHint": a.read_only,
            "destructiveHint": a.destructive,
            "idempotentHint": a.idempotent,
            "openWorldHint": a.open_world,
        },
    })
}

fn schema_object(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(schema @ Value::Object(_)) => schema,
        _ => json!({"type": "object"}),
    }
}

/// An MCP tool result: the envelope as `structuredContent` and as the one text block.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    /// The envelope (`structuredContent`).
    pub structured: Value,
    /// The same JSON as text (the text content block).
    pub text: String,
    /// MCP `isError`.
    pub is_error: bool,
}

impl ToolResult {
    /// The MCP `CallToolResult` object.
    pub fn to_json(&self) -> Value {
        json!({
            "content": [{"type": "text", "text": self.text}],
            "structuredContent": self.structured,
            "isError": self.is_error,
        })
    }
}

/// The MCP result of an envelope given as JSON text. An envelope that is not a JSON
/// object (a broken component) becomes an `INTERNAL_ERROR` tool error.
pub fn tool_result(envelope: &str, is_error: bool) -> ToolResult {
    match serde_json::from_str::<Value>(envelope) {
        Ok(structured @ Value::Object(_)) => ToolResult {
            structured,
            text: envelope.to_string(),
            is_error,
        },
        _ => {
            let text = crate::envelope::failure(&ToolError::new(
                ErrorCode::InternalError,
                "the tool returned a malformed result",
            ));
            ToolResult {
                structured: serde_json::from_str(&text).unwrap_or(Value::Null),
                text,
                is_error: true,
            }
        }
    }
}

/// The JSON-RPC error (code, message) for a call of `name` that never reached a
/// tool: [`INVALID_PARAMS`] for the caller's mistakes, [`INTERNAL_ERROR`] for the
/// server's configuration.
pub fn fault(name: &str, fault: &CallFault) -> (i32, String) {
    match fault {
        CallFault::UnknownTool(unknown) => (
            INVALID_PARAMS,
            format!("unknown tool: {unknown:?} (see tools/list for the available tools)"),
        ),
        CallFault::InvalidArguments(why) => (
            INVALID_PARAMS,
            format!("invalid arguments for tool {name:?}: {why}"),
        ),
        CallFault::InvalidConfiguration(why) => (
            INTERNAL_ERROR,
            format!("the server's tool selection is invalid: {why}"),
        ),
    }
}

/// The server's instructions for the model, derived from what `selection` offers:
/// the toolsets of the offered tools (with what they hold), the conventions every
/// tool follows, and which write tools exist and whether they are enabled. Cheap (no
/// schemas are built), so a host can announce them before it lists the tools.
pub fn instructions(selection: &Selection) -> String {
    let offered = crate::catalog::offered_tools(selection);
    let mut toolsets: Vec<Toolset> = offered.iter().map(|t| t.toolset).collect();
    toolsets.dedup();
    let sets: Vec<String> = toolsets
        .iter()
        .map(|t| format!("{} ({})", t.name(), t.description()))
        .collect();
    let mut text = format!(
        "Tools for PagerDuty incident response. Offered toolsets: {}. \
         Every result is JSON with a `metadata` object (count, description, has_more/truncated when the list \
         was cut) and a plural resource list. List tools default to the current user's context \
         (`current_user_context: true`); pass `current_user_context: false` with explicit filters to look \
         beyond it. Errors come back as tool results with `error.code` and `error.message`; read the message \
         and correct the arguments.",
        if sets.is_empty() {
            "none".to_string()
        } else {
            sets.join("; ")
        }
    );
    let writes: Vec<&str> = offered
        .iter()
        .filter(|t| t.is_write())
        .map(|t| t.name)
        .collect();
    if writes.is_empty() {
        let all: Vec<&str> = crate::catalog::all_tools()
            .filter(|t| t.is_write())
            .map(|t| t.name)
            .collect();
        text.push_str(&format!(
            " Write tools ({}) exist only when the server was started with write tools enabled.",
            all.join(", ")
        ));
    } else {
        text.push_str(&format!(
            " Write tools enabled: {}; they change PagerDuty as the current user, so confirm with the user first.",
            writes.join(", ")
        ));
    }
    text
}

/// The MCP tool objects of `offered`, in order.
pub fn tools(offered: &[ToolDescription]) -> Vec<Value> {
    offered.iter().map(tool).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    #[test]
    fn a_tool_maps_to_mcp_with_schemas_and_annotations() {
        let t = catalog::find("resolve_incident").unwrap().describe();
        let mcp = tool(&t);
        assert_eq!(mcp["name"], "resolve_incident");
        assert_eq!(mcp["annotations"]["title"], mcp["title"]);
        assert_eq!(mcp["annotations"]["readOnlyHint"], false);
        assert_eq!(mcp["annotations"]["destructiveHint"], true);
        assert_eq!(mcp["inputSchema"]["required"], json!(["incident_id"]));
        assert_eq!(mcp["outputSchema"]["type"], "object");
        let broken = ToolDescription {
            input_schema: "[]".into(),
            ..t
        };
        assert_eq!(tool(&broken)["inputSchema"], json!({"type": "object"}));
    }

    #[test]
    fn results_carry_the_envelope_twice_and_malformed_ones_become_internal_errors() {
        let r = tool_result(r#"{"metadata":{"count":0},"users":[]}"#, false);
        assert_eq!(r.structured["users"], json!([]));
        assert_eq!(r.to_json()["content"][0]["text"], r.text);
        assert_eq!(r.to_json()["isError"], false);
        let r = tool_result("not json", false);
        assert!(r.is_error);
        assert_eq!(r.structured["error"]["code"], "INTERNAL_ERROR");
    }

    #[test]
    fn instructions_follow_the_selection() {
        let default = instructions(&Selection::default());
        assert!(default.contains("incidents (") && default.contains("people ("));
        assert!(!default.contains("analytics"));
        assert!(default.contains("exist only when") && default.contains("resolve_incident"));
        let people = Selection::parse(Some("people"), None, Some("add_incident_note")).unwrap();
        let text = instructions(&people);
        assert!(
            text.contains("Write tools enabled: add_incident_note"),
            "{text}"
        );
        assert!(!text.contains("oncall ("), "{text}");
    }

    #[test]
    fn faults_name_the_tool_and_blame_the_right_side() {
        let (code, message) = fault("x", &CallFault::UnknownTool("x".into()));
        assert_eq!(code, INVALID_PARAMS);
        assert!(message.contains("unknown tool: \"x\""), "{message}");
        let (code, message) = fault(
            "get_user",
            &CallFault::InvalidArguments("not an object".into()),
        );
        assert_eq!(code, INVALID_PARAMS);
        assert!(message.contains("\"get_user\": not an object"), "{message}");
        let (code, _) = fault("x", &CallFault::InvalidConfiguration("bad".into()));
        assert_eq!(code, INTERNAL_ERROR);
    }
}

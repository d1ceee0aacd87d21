//! The `tools` and `call` subcommands: one request to the sandbox, printed on
//! stdout.

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use super::Failure;
use crate::mcp;
use crate::sandbox::{CatalogTool, Sandbox, ToolInfo, ToolsetInfo};

/// `tools [--json]`: the toolsets and the offered tools as tables, or the
/// offered tools as MCP `tools/list` shows them.
pub(super) async fn list_tools(sandbox: &Sandbox, json: bool) -> Result<ExitCode, Failure> {
    let tools = sandbox.list_tools().await.map_err(Failure::runtime)?;
    let text = if json {
        let tools = tools
            .iter()
            .map(|t| mcp::to_mcp_tool(&mcp::tool_description(t)))
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(Failure::runtime)?;
        let text = serde_json::to_string_pretty(&tools).map_err(|e| Failure::runtime(e.into()))?;
        format!("{text}\n")
    } else {
        let toolsets = sandbox.list_toolsets().await.map_err(Failure::runtime)?;
        format!(
            "{}\n{}{}",
            toolsets_table(&toolsets),
            tools_table(&tools),
            not_offered(&toolsets)
        )
    };
    print_stdout(&text, ExitCode::SUCCESS)
}

/// `call TOOL [ARGUMENTS]`: the result envelope, pretty-printed; exit code 1
/// on a tool error, 2 when the call never reached a tool.
pub(super) async fn call_tool(
    sandbox: &Sandbox,
    tool: &str,
    arguments: Option<String>,
) -> Result<ExitCode, Failure> {
    let arguments = match arguments.as_deref() {
        None => "{}".to_owned(),
        Some("-") => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| {
                Failure::usage(format!("cannot read the arguments from stdin: {e}"))
            })?;
            text
        }
        Some(text) => text.to_owned(),
    };
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&arguments) {
        return Err(Failure::usage(format!(
            "the arguments are not valid JSON: {e}"
        )));
    }
    match sandbox
        .call_tool(tool, &arguments)
        .await
        .map_err(Failure::runtime)?
    {
        Ok(outcome) => {
            let result =
                pagerduty_tools::mcp::tool_result(&outcome.structured_content, outcome.is_error);
            let code = if result.is_error {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
            // Key order is kept: the workspace enables serde_json's `preserve_order`.
            let text = serde_json::to_string_pretty(&result.structured)
                .map_err(|e| Failure::runtime(e.into()))?;
            print_stdout(&format!("{text}\n"), code)
        }
        Err(error) => Err(Failure::usage(
            mcp::call_error_to_mcp(tool, error).message.into_owned(),
        )),
    }
}

/// Writes `text` to stdout and returns `code`; a closed pipe (`| head`) is not an error.
fn print_stdout(text: &str, code: ExitCode) -> Result<ExitCode, Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(code),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(code),
        Err(e) => Err(Failure::runtime(
            anyhow::Error::new(e).context("writing to stdout"),
        )),
    }
}

/// The toolsets: name, whether selected, offered/all tools, what it holds.
pub fn toolsets_table(toolsets: &[ToolsetInfo]) -> String {
    let width = toolsets
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(0)
        .max("TOOLSET".len());
    let mut text = format!(
        "{:<width$}  {:<8}  {:<5}  WHAT\n",
        "TOOLSET", "SELECTED", "TOOLS"
    );
    for set in toolsets {
        let selected = match (set.selected, set.on_by_default) {
            (true, _) => "yes",
            (false, true) => "no (def)",
            (false, false) => "no",
        };
        let offered = set.tools.iter().filter(|t| t.offered).count();
        let counts = format!("{offered}/{}", set.tools.len());
        text.push_str(&format!(
            "{:<width$}  {selected:<8}  {counts:<5}  {}\n",
            set.name, set.description
        ));
    }
    text
}

/// The offered tools: name, toolset, read-only/write, title.
pub fn tools_table(tools: &[ToolInfo]) -> String {
    let width = tools
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(0)
        .max("TOOL".len());
    let set_width = tools
        .iter()
        .map(|t| t.toolset.len())
        .max()
        .unwrap_or(0)
        .max("TOOLSET".len());
    let mut text = format!(
        "{:<width$}  {:<set_width$}  {:<9}  TITLE\n",
        "TOOL", "TOOLSET", "ACCESS"
    );
    for tool in tools {
        let access = if tool.annotations.read_only {
            "read-only"
        } else {
            "write"
        };
        text.push_str(&format!(
            "{:<width$}  {:<set_width$}  {:<9}  {}\n",
            tool.name, tool.toolset, access, tool.title
        ));
    }
    text
}

/// The catalog's tools that are not offered, and how to offer them.
fn not_offered(toolsets: &[ToolsetInfo]) -> String {
    let (writes, reads): (Vec<&CatalogTool>, Vec<&CatalogTool>) = toolsets
        .iter()
        .flat_map(|set| &set.tools)
        .filter(|t| !t.offered)
        .partition(|t| t.write);
    let names = |tools: &[&CatalogTool]| {
        tools
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = String::new();
    if !reads.is_empty() {
        text.push_str(&format!(
            "\nNot offered (select their toolset with --toolsets, or name them in --tools): {}\n",
            names(&reads)
        ));
    }
    if !writes.is_empty() {
        text.push_str(&format!(
            "\nWrite tools not enabled (--enable-write-tools, or =name,... for single ones): {}\n",
            names(&writes)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_output_keeps_key_order() {
        let text = r#"{"metadata":{"count":1,"description":"a, b: {c}"},"users":[{"id":"P1","tags":[],"o":{ }}],"e":"q\"x\\"}"#;
        let expected = r#"{
  "metadata": {
    "count": 1,
    "description": "a, b: {c}"
  },
  "users": [
    {
      "id": "P1",
      "tags": [],
      "o": {}
    }
  ],
  "e": "q\"x\\"
}"#;
        // What `call` prints: the envelope as parsed, pretty-printed.
        let envelope: serde_json::Value = serde_json::from_str(text).unwrap();
        let pretty = serde_json::to_string_pretty(&envelope).unwrap();
        assert_eq!(pretty, expected);
    }

    #[test]
    fn table_lists_access_and_title() {
        use crate::sandbox::Annotations;
        let tool = |name: &str, read_only: bool, title: &str| ToolInfo {
            name: name.into(),
            title: title.into(),
            description: String::new(),
            toolset: "people".into(),
            input_schema: "{}".into(),
            output_schema: "{}".into(),
            annotations: Annotations {
                read_only,
                destructive: false,
                idempotent: read_only,
                open_world: true,
            },
        };
        let table = tools_table(&[
            tool("get_current_user", true, "Current user"),
            tool("resolve_incident", false, "Resolve"),
        ]);
        let lines: Vec<_> = table.lines().collect();
        assert_eq!(lines[0], "TOOL              TOOLSET  ACCESS     TITLE");
        assert_eq!(
            lines[1],
            "get_current_user  people   read-only  Current user"
        );
        assert_eq!(lines[2], "resolve_incident  people   write      Resolve");
    }

    #[test]
    fn toolsets_show_selection_counts_and_what_is_not_offered() {
        let tool = |name: &str, write: bool, offered: bool| CatalogTool {
            name: name.into(),
            title: name.into(),
            write,
            offered,
        };
        let toolsets = [
            ToolsetInfo {
                name: "incidents".into(),
                description: "Incidents".into(),
                on_by_default: true,
                selected: true,
                tools: vec![
                    tool("get_incident", false, true),
                    tool("resolve_incident", true, false),
                ],
            },
            ToolsetInfo {
                name: "people".into(),
                description: "People".into(),
                on_by_default: true,
                selected: false,
                tools: vec![tool("get_user", false, false)],
            },
        ];
        let table = toolsets_table(&toolsets);
        let lines: Vec<_> = table.lines().collect();
        assert_eq!(lines[0], "TOOLSET    SELECTED  TOOLS  WHAT");
        assert_eq!(lines[1], "incidents  yes       1/2    Incidents");
        assert_eq!(lines[2], "people     no (def)  0/1    People");
        let rest = not_offered(&toolsets);
        assert!(rest.contains("--tools): get_user\n"), "{rest}");
        assert!(rest.contains("single ones): resolve_incident\n"), "{rest}");
    }
}

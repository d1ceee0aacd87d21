//! The `tools` and `call` subcommands: one request to the sandbox, printed on
//! stdout.

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use super::Failure;
use crate::mcp;
use crate::sandbox::{Sandbox, ToolInfo};

/// `tools [--json]`: the tool table, or the tools as MCP `tools/list` shows them.
pub(super) async fn list_tools(sandbox: &Sandbox, json: bool) -> Result<ExitCode, Failure> {
    let tools = sandbox.list_tools().await.map_err(Failure::runtime)?;
    let text = if json {
        let tools: Vec<_> = tools.iter().map(mcp::to_mcp_tool).collect();
        let text = serde_json::to_string_pretty(&tools).map_err(|e| Failure::runtime(e.into()))?;
        format!("{text}\n")
    } else {
        tools_table(&tools)
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
            let (envelope, _, is_error) = mcp::envelope(&outcome);
            let code = if is_error {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
            // Key order is kept: the workspace enables serde_json's `preserve_order`.
            let text =
                serde_json::to_string_pretty(&envelope).map_err(|e| Failure::runtime(e.into()))?;
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

/// The human-readable tool table: name, read-only/write, title.
pub fn tools_table(tools: &[ToolInfo]) -> String {
    let width = tools
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(0)
        .max("TOOL".len());
    let mut text = format!("{:<width$}  {:<9}  TITLE\n", "TOOL", "ACCESS");
    for tool in tools {
        let access = if tool.annotations.read_only {
            "read-only"
        } else {
            "write"
        };
        text.push_str(&format!(
            "{:<width$}  {:<9}  {}\n",
            tool.name, access, tool.title
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
        assert_eq!(lines[0], "TOOL              ACCESS     TITLE");
        assert_eq!(lines[1], "get_current_user  read-only  Current user");
        assert_eq!(lines[2], "resolve_incident  write      Resolve");
    }
}

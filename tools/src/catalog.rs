//! The tool catalog: the declarative shape of a tool and the one path every call takes
//! (find → parse → validate → current-user rules → run → envelope).

use crate::args::{Args, Param};
use crate::client::Client;
use crate::config::Config;
use crate::context::Call;
use crate::envelope::{self, Output};
use crate::error::{ToolError, ToolResult};
use crate::http::Transport;
use crate::tools;
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// What a tool may do to PagerDuty, which decides its MCP annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads only.
    Read,
    /// Changes PagerDuty; listed only when write tools are enabled.
    Write {
        /// It may overwrite or undo something (MCP `destructiveHint`).
        destructive: bool,
        /// Repeating it has no further effect (MCP `idempotentHint`).
        idempotent: bool,
    },
}

/// How a tool treats `current_user_context` (`shared/TOOLS.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserContextRule {
    /// Arguments that conflict with `current_user_context=true`.
    pub rejects: &'static [&'static str],
    /// With `current_user_context=false`, at least one of these is required.
    pub requires_one_of: &'static [&'static str],
}

/// One tool, declared once: what MCP lists and what a call runs.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    /// The stable name.
    pub name: &'static str,
    /// A short title.
    pub title: &'static str,
    /// What it does, for the model.
    pub description: &'static str,
    /// The plural resource key of its envelope (`"incidents"`).
    pub resource: &'static str,
    /// Its arguments.
    pub params: &'static [Param],
    /// Read or write.
    pub access: Access,
    /// Its `current_user_context` rule, if it has that argument.
    pub user_context: Option<UserContextRule>,
    /// Builds the requests and projects the answer.
    pub run: fn(&mut Call<'_>, &Args) -> ToolResult<Output>,
}

impl Tool {
    /// Whether the tool changes PagerDuty.
    pub fn is_write(&self) -> bool {
        matches!(self.access, Access::Write { .. })
    }

    /// The JSON Schema of its arguments.
    pub fn input_schema(&self) -> Value {
        crate::args::input_schema(self.params)
    }

    /// The JSON Schema of its envelope.
    pub fn output_schema(&self) -> Value {
        envelope::output_schema(self.resource)
    }
}

/// Every tool, in the order they are listed.
pub fn all_tools() -> Vec<&'static Tool> {
    tools::ALL.iter().flat_map(|group| group.iter()).collect()
}

/// The tools available under `config` (write tools only when enabled).
pub fn available_tools(config: &Config) -> Vec<&'static Tool> {
    all_tools()
        .into_iter()
        .filter(|t| config.write_tools_enabled || !t.is_write())
        .collect()
}

/// A call that never reached a tool: answered as a protocol error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFault {
    /// No such tool (or a write tool while writes are disabled).
    UnknownTool(String),
    /// The arguments are not a JSON object.
    InvalidArguments(String),
}

/// The envelope of a call that reached a tool, and whether it is a tool error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    /// The envelope as JSON text.
    pub json: String,
    /// True for tool errors.
    pub is_error: bool,
}

/// Calls the tool `name` with `arguments` (JSON text; blank means `{}`).
pub fn call_tool(
    name: &str,
    arguments: &str,
    transport: &dyn Transport,
    config: &Config,
    now: OffsetDateTime,
) -> Result<CallOutcome, CallFault> {
    let tool = available_tools(config)
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| CallFault::UnknownTool(name.to_string()))?;
    let raw = parse_arguments(arguments)?;
    let client = Client::new(transport, &config.api_host, config.call_budget());
    let mut call = Call::new(client, config, now);
    let result = Args::parse(tool.params, &raw)
        .and_then(|args| {
            check_user_context(tool, &args)?;
            (tool.run)(&mut call, &args)
        })
        .and_then(|output| envelope::success(tool.resource, output, config.max_output_bytes));
    Ok(match result {
        Ok(json) => CallOutcome {
            json,
            is_error: false,
        },
        Err(error) => CallOutcome {
            json: envelope::failure(&error),
            is_error: true,
        },
    })
}

fn parse_arguments(arguments: &str) -> Result<Map<String, Value>, CallFault> {
    if arguments.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(arguments) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err(CallFault::InvalidArguments(
            "the arguments must be a JSON object".into(),
        )),
        Err(e) => Err(CallFault::InvalidArguments(format!(
            "the arguments are not valid JSON: {e}"
        ))),
    }
}

/// Applies the tool's `current_user_context` rule before anything is sent.
fn check_user_context(tool: &Tool, args: &Args) -> ToolResult<()> {
    let Some(rule) = tool.user_context else {
        return Ok(());
    };
    if args.flag("current_user_context") {
        let conflicting: Vec<&str> = rule
            .rejects
            .iter()
            .copied()
            .filter(|name| args.has(name))
            .collect();
        if !conflicting.is_empty() {
            return Err(ToolError::conflict(format!(
                "{} cannot be combined with current_user_context=true, which already filters by your own context. \
                 Pass current_user_context=false to filter by {} instead.",
                quote_list(&conflicting),
                quote_list(&conflicting)
            )));
        }
    } else if !rule.requires_one_of.iter().any(|name| args.has(name)) {
        return Err(ToolError::new(
            crate::error::ErrorCode::MissingParameter,
            format!(
                "With current_user_context=false, pass at least one of {} (or leave current_user_context=true to filter by your own context)",
                quote_list(rule.requires_one_of)
            ),
        ));
    }
    Ok(())
}

fn quote_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::ParamKind;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_every_tool_is_well_formed() {
        let tools = all_tools();
        let names: HashSet<&str> = tools.iter().map(|t| t.name).collect();
        assert_eq!(names.len(), tools.len());
        for t in &tools {
            assert!(
                !t.title.is_empty() && t.description.len() > 40,
                "{}",
                t.name
            );
            assert!(
                t.resource.ends_with('s'),
                "{}: resource key must be plural",
                t.name
            );
            for p in t.params {
                assert!(
                    p.description.len() > 10,
                    "{}.{} needs a description",
                    t.name,
                    p.name
                );
            }
            let has_cuc = t.params.iter().any(|p| p.name == "current_user_context");
            assert_eq!(has_cuc, t.user_context.is_some(), "{}", t.name);
            if let Some(rule) = t.user_context {
                for name in rule.rejects.iter().chain(rule.requires_one_of) {
                    assert!(
                        t.params.iter().any(|p| p.name == *name),
                        "{}: rule names unknown '{name}'",
                        t.name
                    );
                }
                let p = t
                    .params
                    .iter()
                    .find(|p| p.name == "current_user_context")
                    .unwrap();
                assert_eq!(p.kind, ParamKind::Bool { default: true });
            }
        }
    }

    #[test]
    fn write_tools_are_listed_only_when_enabled() {
        let read_only = available_tools(&Config::default());
        assert!(read_only.iter().all(|t| !t.is_write()));
        let all = available_tools(&Config {
            write_tools_enabled: true,
            ..Config::default()
        });
        assert!(all.len() > read_only.len());
    }

    #[test]
    fn unknown_tool_and_non_object_arguments_are_faults() {
        let t = crate::testing::ScriptedTransport::new(vec![]);
        let now = OffsetDateTime::UNIX_EPOCH;
        let c = Config::default();
        assert_eq!(
            call_tool("nope", "{}", &t, &c, now),
            Err(CallFault::UnknownTool("nope".into()))
        );
        assert!(matches!(
            call_tool("get_incident", "[1]", &t, &c, now),
            Err(CallFault::InvalidArguments(_))
        ));
        assert!(matches!(
            call_tool("get_incident", "{", &t, &c, now),
            Err(CallFault::InvalidArguments(_))
        ));
        // A validation failure is a tool error, not a fault, and sends nothing.
        let out = call_tool("get_incident", "", &t, &c, now).unwrap();
        assert!(out.is_error && out.json.contains("MISSING_PARAMETER"));
        assert!(t.sent().is_empty());
    }
}

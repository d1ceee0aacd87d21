//! The tool catalog: the declarative shape of a tool and the one path every call takes
//! (find → parse → validate → current-user rules → run → envelope).

use crate::args::{Args, Param};
use crate::client::{Client, Query};
use crate::config::Config;
use crate::context::Call;
use crate::envelope::{self, Output};
use crate::error::{ToolError, ToolResult};
use crate::http::{Method, Transport};
use crate::tools;
use crate::toolsets::{Selection, Toolset};
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

/// How a tool treats `current_user_context` (`docs/conventions.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserContextRule {
    /// Arguments that conflict with `current_user_context=true`.
    pub rejects: &'static [&'static str],
    /// With `current_user_context=false`, at least one of these is required.
    pub requires_one_of: &'static [&'static str],
}

/// A PagerDuty REST API operation a tool calls: the method and the spec's path
/// template (e.g. `/incidents/{id}`). Tests check every declared operation against
/// PagerDuty's OpenAPI document and every request a tool sends against its operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The HTTP method.
    pub method: Method,
    /// The path template as the spec writes it.
    pub path: &'static str,
}

impl Operation {
    /// `GET path`.
    pub const fn get(path: &'static str) -> Operation {
        Operation {
            method: Method::Get,
            path,
        }
    }

    /// `POST path`.
    pub const fn post(path: &'static str) -> Operation {
        Operation {
            method: Method::Post,
            path,
        }
    }

    /// `PUT path`.
    pub const fn put(path: &'static str) -> Operation {
        Operation {
            method: Method::Put,
            path,
        }
    }

    /// `DELETE path`.
    pub const fn delete(path: &'static str) -> Operation {
        Operation {
            method: Method::Delete,
            path,
        }
    }

    /// Whether a request `method path` (no query) is an instance of this operation:
    /// each `{...}` of the template matches one non-empty segment.
    pub fn matches(&self, method: Method, path: &str) -> bool {
        let template: Vec<&str> = self.path.split('/').collect();
        let actual: Vec<&str> = path.split('/').collect();
        method == self.method
            && template.len() == actual.len()
            && template.iter().zip(&actual).all(|(t, a)| {
                if t.starts_with('{') && t.ends_with('}') {
                    !a.is_empty()
                } else {
                    t == a
                }
            })
    }

    /// The path with `{id}` filled in by `id`.
    pub fn path_with(&self, id: Option<&str>) -> String {
        match id {
            Some(id) => self.path.replace("{id}", id),
            None => self.path.to_string(),
        }
    }
}

/// How a resource is cut down to what an on-call engineer needs.
#[derive(Debug, Clone, Copy)]
pub enum Projection {
    /// Keep these fields ([`crate::projection::project`]).
    Fields(&'static [&'static str]),
    /// A hand-written projection.
    With(fn(&Value) -> Value),
}

impl Projection {
    /// Projects one resource.
    pub fn apply(&self, resource: &Value) -> Value {
        match self {
            Projection::Fields(fields) => crate::projection::project(resource, fields),
            Projection::With(project) => project(resource),
        }
    }
}

/// Which query parameters a declarative tool sends.
#[derive(Debug, Clone, Copy)]
pub struct QueryFrom {
    /// Arguments sent under their own names: text as `name=value`, lists as PagerDuty's
    /// `name[]` array parameter. Only those the caller passed.
    pub args: &'static [&'static str],
    /// The `since`/`until` window, this many days long by default
    /// ([`crate::tools::window`]): for endpoints that render nothing without one.
    pub window_days: Option<i64>,
    /// Fixed parameters, e.g. `include[]=contact_methods`.
    pub fixed: &'static [(&'static str, &'static str)],
}

impl QueryFrom {
    /// No query parameters (pagination aside).
    pub const NONE: QueryFrom = QueryFrom {
        args: &[],
        window_days: None,
        fixed: &[],
    };

    /// The arguments `args` under their own names.
    pub const fn args(args: &'static [&'static str]) -> QueryFrom {
        QueryFrom {
            args,
            window_days: None,
            fixed: &[],
        }
    }

    /// Builds the query of one call.
    fn build(&self, call: &Call<'_>, args: &Args) -> ToolResult<Query> {
        let mut q = Query::new();
        for name in self.args {
            if let Some(text) = args.text(name) {
                q.push(name, text);
            }
        }
        tools::push_lists(&mut q, args, self.args);
        if let Some(days) = self.window_days {
            let (since, until) = tools::window(call, args, days)?;
            q.push("since", since).push("until", until);
        }
        for (name, value) in self.fixed {
            q.push(name, *value);
        }
        Ok(q)
    }
}

/// What a call of the tool does. Plain tools are declared (one `GET` of the tool's
/// first operation, the answer's `key`, a projection); code is written only where a
/// tool does more.
#[derive(Debug, Clone, Copy)]
pub enum Run {
    /// One resource: the object under `key`.
    Get {
        /// The answer's key, e.g. `"incident"`.
        key: &'static str,
        /// The query parameters.
        query: QueryFrom,
        /// The projection.
        project: Projection,
    },
    /// A list with classic pagination (`limit`/`offset`/`more`), paged up to `limit`.
    List {
        /// The answer's list key, e.g. `"teams"`.
        key: &'static str,
        /// The query parameters.
        query: QueryFrom,
        /// The projection of each item.
        project: Projection,
    },
    /// A list PagerDuty returns whole (no `limit`/`offset` in the spec): cut to `limit`.
    Unpaged {
        /// The answer's list key.
        key: &'static str,
        /// The query parameters.
        query: QueryFrom,
        /// The projection of each item.
        project: Projection,
    },
    /// A tool that does more: hand-written.
    Custom(fn(&mut Call<'_>, &Args) -> ToolResult<Output>),
}

/// One tool, declared once: everything MCP lists, the docs show and a call runs.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    /// The toolset it belongs to.
    pub toolset: Toolset,
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
    /// The PagerDuty operations it may call; a declarative tool calls the first.
    pub operations: &'static [Operation],
    /// An example call's arguments (JSON) for the docs, valid on the demo dataset.
    pub example: &'static str,
    /// What a call does.
    pub run: Run,
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

    /// Its MCP annotations.
    pub fn annotations(&self) -> Annotations {
        match self.access {
            Access::Read => Annotations {
                read_only: true,
                destructive: false,
                idempotent: true,
                open_world: true,
            },
            Access::Write {
                destructive,
                idempotent,
            } => Annotations {
                read_only: false,
                destructive,
                idempotent,
                open_world: true,
            },
        }
    }

    /// Its description as hosts list it.
    pub fn describe(&self) -> ToolDescription {
        ToolDescription {
            name: self.name.to_string(),
            title: self.title.to_string(),
            description: self.description.to_string(),
            toolset: self.toolset.name().to_string(),
            input_schema: self.input_schema().to_string(),
            output_schema: self.output_schema().to_string(),
            annotations: self.annotations(),
        }
    }

    /// Runs the tool with validated arguments.
    fn execute(&self, call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
        let path = || {
            self.operations
                .first()
                .expect("a declarative tool declares its operation")
                .path_with(args.path_id())
        };
        match self.run {
            Run::Custom(run) => run(call, args),
            Run::Get {
                key,
                query,
                project,
            } => {
                let q = query.build(call, args)?;
                tools::get_one(call, &path(), &q, key, |r| project.apply(r))
            }
            Run::List {
                key,
                query,
                project,
            } => {
                let q = query.build(call, args)?;
                match project {
                    Projection::Fields(fields) => {
                        tools::list_fields(call, &path(), &q, key, fields, args)
                    }
                    Projection::With(_) => {
                        tools::list_paged(call, &path(), &q, key, args, |r| project.apply(r))
                    }
                }
            }
            Run::Unpaged {
                key,
                query,
                project,
            } => {
                let q = query.build(call, args)?;
                tools::list_unpaged(call, &path(), &q, key, args, |r| project.apply(r))
            }
        }
    }
}

/// A tool's MCP behaviour hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annotations {
    /// MCP `readOnlyHint`.
    pub read_only: bool,
    /// MCP `destructiveHint`.
    pub destructive: bool,
    /// MCP `idempotentHint`.
    pub idempotent: bool,
    /// MCP `openWorldHint`.
    pub open_world: bool,
}

/// A tool as hosts list it: the catalog entry's public face, with the schemas as
/// JSON text. The WIT `tool` record carries exactly this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolDescription {
    /// The stable name.
    pub name: String,
    /// A short title.
    pub title: String,
    /// What it does, for the model.
    pub description: String,
    /// Its toolset's name.
    pub toolset: String,
    /// JSON Schema of the arguments, as text.
    pub input_schema: String,
    /// JSON Schema of the envelope, as text.
    pub output_schema: String,
    /// Behaviour hints.
    pub annotations: Annotations,
}

/// Every tool, in catalog order.
pub fn all_tools() -> impl Iterator<Item = &'static Tool> {
    tools::ALL.iter().flat_map(|group| group.iter())
}

/// The tool called `name`, offered or not.
pub fn find(name: &str) -> Option<&'static Tool> {
    all_tools().find(|t| t.name == name)
}

/// The tools `selection` offers, in the contract's order: toolset order, then
/// catalog order.
pub fn offered_tools(selection: &Selection) -> Vec<&'static Tool> {
    let mut offered: Vec<&'static Tool> = all_tools().filter(|t| selection.offers(t)).collect();
    // A stable sort keeps catalog order within a toolset.
    offered.sort_by_key(|t| t.toolset);
    offered
}

/// The tools available under `config`.
pub fn available_tools(config: &Config) -> Vec<&'static Tool> {
    offered_tools(&config.selection)
}

/// A call that never reached a tool: answered as a protocol error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFault {
    /// No such tool is offered (write tools count as unknown when disabled).
    UnknownTool(String),
    /// The arguments are not a JSON object.
    InvalidArguments(String),
    /// The instance's configuration is unusable (an unknown toolset or tool name);
    /// hosts report it at start-up, so a call meets it only in a host that did not.
    InvalidConfiguration(String),
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
    let tool = find(name)
        .filter(|t| config.selection.offers(t))
        .ok_or_else(|| CallFault::UnknownTool(name.to_string()))?;
    let raw = parse_arguments(arguments)?;
    let client = Client::new(transport, &config.api_host, config.call_budget());
    let mut call = Call::new(client, config, now);
    let result = Args::parse(tool.params, &raw)
        .and_then(|args| {
            check_user_context(tool, &args)?;
            tool.execute(&mut call, &args)
        })
        .and_then(|output| envelope::success(tool.resource, output, config.max_output_bytes));
    Ok(match result {
        Ok(json) => CallOutcome {
            json,
            is_error: false,
        },
        Err(error) => CallOutcome {
            json: envelope::failure_within(&error, config.max_output_bytes),
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
        let tools: Vec<&Tool> = all_tools().collect();
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
            assert!(
                !t.operations.is_empty(),
                "{}: declare its operations",
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
            assert_eq!(
                t.is_write(),
                t.operations.iter().any(|o| o.method != Method::Get),
                "{}: a tool is a write tool exactly when it sends a write",
                t.name
            );
        }
    }

    #[test]
    fn every_id_kind_is_listed_and_documented_with_its_code() {
        let conventions = include_str!("../../docs/conventions.md");
        for kind in crate::args::ids::ALL {
            let code = format!("`INVALID_{}_ID`", kind.code);
            assert!(
                conventions.contains(&code),
                "docs/conventions.md lacks {code}"
            );
        }
        for t in all_tools() {
            for p in t.params {
                if let ParamKind::Id(kind)
                | ParamKind::IdList(kind)
                | ParamKind::IdListUpTo { id: kind, .. } = p.kind
                {
                    assert!(
                        crate::args::ids::ALL.contains(&kind),
                        "{}.{}: its ID kind is not in ids::ALL",
                        t.name,
                        p.name
                    );
                }
            }
        }
    }

    #[test]
    fn declarative_tools_fill_their_path_from_one_required_id() {
        for t in all_tools() {
            if let Run::Custom(_) = t.run {
                continue;
            }
            let ids = t
                .params
                .iter()
                .filter(|p| p.required && matches!(p.kind, ParamKind::Id(_)))
                .count();
            let templated = t.operations[0].path.contains("{id}");
            assert_eq!(
                ids,
                usize::from(templated),
                "{}: a declarative tool's {{id}} comes from its one required ID argument",
                t.name
            );
            if let Run::List { query, .. } | Run::Unpaged { query, .. } | Run::Get { query, .. } =
                t.run
            {
                for name in query.args {
                    assert!(
                        t.params.iter().any(|p| p.name == *name),
                        "{}: query argument '{name}' is not declared",
                        t.name
                    );
                }
            }
        }
    }

    #[test]
    fn every_example_is_a_valid_call() {
        for t in all_tools() {
            let raw = parse_arguments(t.example)
                .unwrap_or_else(|e| panic!("{}: example is not an object: {e:?}", t.name));
            let args = Args::parse(t.params, &raw)
                .unwrap_or_else(|e| panic!("{}: example does not validate: {e}", t.name));
            check_user_context(t, &args).unwrap_or_else(|e| {
                panic!("{}: example breaks the user-context rule: {e}", t.name)
            });
        }
    }

    #[test]
    fn operations_match_their_own_paths_only() {
        let op = Operation::get("/incidents/{id}/notes");
        assert!(op.matches(Method::Get, "/incidents/Q1/notes"));
        assert!(!op.matches(Method::Get, "/incidents//notes"));
        assert!(!op.matches(Method::Get, "/incidents/Q1"));
        assert!(!op.matches(Method::Post, "/incidents/Q1/notes"));
        assert_eq!(op.path_with(Some("Q1")), "/incidents/Q1/notes");
    }

    #[test]
    fn write_tools_are_listed_only_when_enabled() {
        let read_only = available_tools(&Config::default());
        assert!(read_only.iter().all(|t| !t.is_write()));
        let all = available_tools(&Config {
            selection: Selection::parse(None, None, Some("true")).unwrap(),
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
        assert_eq!(
            call_tool("resolve_incident", "{}", &t, &c, now),
            Err(CallFault::UnknownTool("resolve_incident".into())),
            "a write tool that is not enabled is unknown"
        );
        let people = Config {
            selection: Selection::parse(Some("people"), None, None).unwrap(),
            ..Config::default()
        };
        assert_eq!(
            call_tool("get_incident", "{}", &t, &people, now),
            Err(CallFault::UnknownTool("get_incident".into())),
            "a tool outside the selected toolsets is unknown"
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

    #[test]
    fn a_huge_upstream_error_fits_the_output_cap() {
        let body = serde_json::json!({"error": {"message": "x".repeat(2_000_000), "code": 2001}});
        for max_output_bytes in [crate::config::MIN_MAX_OUTPUT_BYTES, 1_000, 400_000] {
            let c = crate::testing::call_with(
                "get_incident",
                serde_json::json!({"incident_id": "P1"}),
                vec![crate::testing::json_response(400, body.clone())],
                Config {
                    max_output_bytes,
                    ..Config::default()
                },
            );
            assert_eq!(c.code(), "UPSTREAM_ERROR");
            let len = c.envelope.to_string().len();
            assert!(len <= max_output_bytes, "{len} > {max_output_bytes}");
            let message = c.envelope["error"]["message"].as_str().unwrap();
            assert!(
                message.starts_with("PagerDuty answered 400 to GET /incidents/P1")
                    && message.ends_with(crate::error::CUT_MARKER),
                "{message}"
            );
        }
    }
}

//! Declared arguments: each tool lists its [`Param`]s once, and from that list come
//! both its JSON Schema and the validation of every call. Validation is strict and
//! names the argument at fault, so the model can correct itself.

use crate::error::{ErrorCode, ToolError, ToolResult};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::macros::datetime;
use time::{OffsetDateTime, UtcOffset};

/// The most items a list argument (`team_ids`, `statuses`, ...) takes. Generous for
/// real use (a few teams or services, PagerDuty's handful of statuses) and small
/// enough that validating, deduplicating and sending a list costs next to nothing.
pub const MAX_LIST_ITEMS: usize = 200;

/// The longest PagerDuty ID, in bytes (IDs are ASCII letters and digits).
pub const MAX_ID_BYTES: usize = 64;

/// The earliest timestamp accepted: the Unix epoch (PagerDuty holds nothing older).
pub const EARLIEST_TIMESTAMP: OffsetDateTime = datetime!(1970-01-01 00:00 UTC);

/// The first instant no longer accepted: the start of the year 9001. It leaves room
/// for window arithmetic (`since` + days) and far-future `until` values well inside
/// what RFC 3339 and the `time` crate can represent (year 9999).
pub const END_OF_TIMESTAMPS: OffsetDateTime = datetime!(9001-01-01 00:00 UTC);

/// A kind of PagerDuty resource an ID argument names; gives the `INVALID_<CODE>_ID` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdKind {
    /// The word in the error code, e.g. `"INCIDENT"` for `INVALID_INCIDENT_ID`.
    pub code: &'static str,
    /// How a person says it, e.g. `"incident"`.
    pub noun: &'static str,
}

/// The resource kinds that have ID arguments.
pub mod ids {
    use super::IdKind;
    /// Incidents.
    pub const INCIDENT: IdKind = IdKind {
        code: "INCIDENT",
        noun: "incident",
    };
    /// Users.
    pub const USER: IdKind = IdKind {
        code: "USER",
        noun: "user",
    };
    /// Teams.
    pub const TEAM: IdKind = IdKind {
        code: "TEAM",
        noun: "team",
    };
    /// Services.
    pub const SERVICE: IdKind = IdKind {
        code: "SERVICE",
        noun: "service",
    };
    /// Schedules.
    pub const SCHEDULE: IdKind = IdKind {
        code: "SCHEDULE",
        noun: "schedule",
    };
    /// Escalation policies.
    pub const ESCALATION_POLICY: IdKind = IdKind {
        code: "ESCALATION_POLICY",
        noun: "escalation policy",
    };
    /// Alerts.
    pub const ALERT: IdKind = IdKind {
        code: "ALERT",
        noun: "alert",
    };
    /// Log entries (an incident's timeline).
    pub const LOG_ENTRY: IdKind = IdKind {
        code: "LOG_ENTRY",
        noun: "log entry",
    };
    /// Incident priorities.
    pub const PRIORITY: IdKind = IdKind {
        code: "PRIORITY",
        noun: "priority",
    };
    /// Maintenance windows.
    pub const MAINTENANCE_WINDOW: IdKind = IdKind {
        code: "MAINTENANCE_WINDOW",
        noun: "maintenance window",
    };
    /// Schedule overrides.
    pub const OVERRIDE: IdKind = IdKind {
        code: "OVERRIDE",
        noun: "override",
    };
    /// Change events.
    pub const CHANGE_EVENT: IdKind = IdKind {
        code: "CHANGE_EVENT",
        noun: "change event",
    };
    /// Business services.
    pub const BUSINESS_SERVICE: IdKind = IdKind {
        code: "BUSINESS_SERVICE",
        noun: "business service",
    };
    /// Service integrations.
    pub const INTEGRATION: IdKind = IdKind {
        code: "INTEGRATION",
        noun: "integration",
    };

    /// Every kind, in the order the conventions page lists their codes.
    pub const ALL: &[IdKind] = &[
        INCIDENT,
        USER,
        TEAM,
        SERVICE,
        SCHEDULE,
        ESCALATION_POLICY,
        ALERT,
        LOG_ENTRY,
        PRIORITY,
        MAINTENANCE_WINDOW,
        OVERRIDE,
        CHANGE_EVENT,
        BUSINESS_SERVICE,
        INTEGRATION,
    ];
}

/// What an argument holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// One PagerDuty ID.
    Id(IdKind),
    /// A list of PagerDuty IDs (at most [`MAX_LIST_ITEMS`]).
    IdList(IdKind),
    /// A list of PagerDuty IDs with its own bound on the number of items, for
    /// arguments whose PagerDuty operation allows another count (a bulk update of up
    /// to 250 incidents, a merge of up to 25).
    IdListUpTo {
        /// The resource kind.
        id: IdKind,
        /// The most items accepted.
        max_items: usize,
    },
    /// One value from a fixed set.
    Enum(&'static [&'static str]),
    /// A list of values from a fixed set.
    EnumList(&'static [&'static str]),
    /// Free text (a search query, a note).
    Text {
        /// The longest text accepted, in characters.
        max_chars: usize,
    },
    /// An ISO 8601 timestamp with a UTC offset or `Z`.
    Timestamp,
    /// A whole number within bounds (a duration in seconds, an escalation level).
    Integer {
        /// The smallest value accepted.
        min: u64,
        /// The largest value accepted.
        max: u64,
    },
    /// A boolean with its default.
    Bool {
        /// The value when the argument is absent.
        default: bool,
    },
    /// The number of results wanted.
    Limit {
        /// The largest value accepted.
        max: u64,
        /// The value when absent.
        default: u64,
    },
}

/// One declared argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// The argument's name.
    pub name: &'static str,
    /// What it holds.
    pub kind: ParamKind,
    /// Whether the call fails without it.
    pub required: bool,
    /// What it does, for the model.
    pub description: &'static str,
}

/// The standard `limit` argument of list tools (1–1000, default 100).
pub const LIMIT: Param = Param {
    name: "limit",
    kind: ParamKind::Limit {
        max: 1000,
        default: 100,
    },
    required: false,
    description: "Maximum number of results to return (1-1000, default 100). The server pages through PagerDuty for you.",
};

/// A validated argument value.
#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Text(String),
    List(Vec<String>),
    Time(OffsetDateTime, String),
    Bool(bool),
    Number(u64),
}

/// The validated arguments of one call. Absent optional arguments are absent here;
/// booleans and limits are filled with their defaults.
///
/// Every accessor takes the name of an argument the tool declared: asking for an
/// undeclared name is a bug in the catalog (a typo would otherwise read as "absent"
/// and, for a path ID, send `GET /incidents/`), so it panics — a trap in the
/// component, reported as `INTERNAL_ERROR`, and caught by the catalog's tests first.
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    params: &'static [Param],
    values: BTreeMap<&'static str, Arg>,
}

impl Args {
    /// Validates `raw` against `params`.
    pub fn parse(params: &'static [Param], raw: &Map<String, Value>) -> ToolResult<Args> {
        if let Some(unknown) = raw
            .keys()
            .find(|k| !params.iter().any(|p| p.name == k.as_str()))
        {
            let valid: Vec<&str> = params.iter().map(|p| p.name).collect();
            let valid = if valid.is_empty() {
                "none".to_string()
            } else {
                valid.join(", ")
            };
            return Err(ToolError::invalid(format!(
                "Unknown argument '{}'. Valid arguments: {valid}",
                truncate(unknown, 64)
            )));
        }
        let mut values = BTreeMap::new();
        for param in params {
            let value = raw.get(param.name).filter(|v| !v.is_null());
            match (value, param.kind) {
                (Some(value), kind) => {
                    if let Some(arg) = parse_one(param, kind, value)? {
                        values.insert(param.name, arg);
                    } else if param.required {
                        return Err(ToolError::missing(param.name));
                    }
                }
                (None, ParamKind::Bool { default }) => {
                    values.insert(param.name, Arg::Bool(default));
                }
                (None, ParamKind::Limit { default, .. }) => {
                    values.insert(param.name, Arg::Number(default));
                }
                (None, _) if param.required => return Err(ToolError::missing(param.name)),
                (None, _) => {}
            }
        }
        let args = Args { params, values };
        if let (Some(Arg::Time(since, s)), Some(Arg::Time(until, u))) =
            (args.values.get("since"), args.values.get("until"))
            && since >= until
        {
            return Err(ToolError::invalid(format!(
                "'since' ({s}) must be before 'until' ({u})"
            )));
        }
        Ok(args)
    }

    /// The declared parameter `name`; panics when the tool did not declare it.
    fn declared(&self, name: &str) -> &'static Param {
        self.params
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| {
                panic!("argument '{name}' is not declared by this tool (a bug in the catalog)")
            })
    }

    /// The value of the declared argument `name`, if present.
    fn value(&self, name: &str) -> Option<&Arg> {
        self.values.get(self.declared(name).name)
    }

    /// A text or ID argument.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.value(name) {
            Some(Arg::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// A required text or ID argument: validation guarantees it is there, so this
    /// panics for an argument that is not declared as required.
    pub fn required(&self, name: &str) -> &str {
        assert!(
            self.declared(name).required,
            "argument '{name}' is not declared as required (a bug in the catalog)"
        );
        self.text(name)
            .expect("validation rejects calls without a required argument")
    }

    /// A list argument; `None` when absent or empty.
    pub fn list(&self, name: &str) -> Option<&[String]> {
        match self.value(name) {
            Some(Arg::List(items)) if !items.is_empty() => Some(items),
            _ => None,
        }
    }

    /// A timestamp argument as the caller wrote it.
    pub fn timestamp(&self, name: &str) -> Option<&str> {
        self.time_pair(name).map(|(_, s)| s)
    }

    /// A timestamp argument, parsed.
    pub fn time(&self, name: &str) -> Option<OffsetDateTime> {
        self.time_pair(name).map(|(t, _)| t)
    }

    fn time_pair(&self, name: &str) -> Option<(OffsetDateTime, &str)> {
        match self.value(name) {
            Some(Arg::Time(t, s)) => Some((*t, s)),
            _ => None,
        }
    }

    /// A boolean argument (defaults applied).
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.value(name), Some(Arg::Bool(true)))
    }

    /// Whether the caller passed `name` (booleans and limits always count as passed).
    pub fn has(&self, name: &str) -> bool {
        match self.value(name) {
            Some(Arg::List(items)) => !items.is_empty(),
            Some(_) => true,
            None => false,
        }
    }

    /// An integer argument, if present.
    pub fn number(&self, name: &str) -> Option<u64> {
        match self.value(name) {
            Some(Arg::Number(n)) => Some(*n),
            _ => None,
        }
    }

    /// The `limit` argument (default applied); panics for a tool without one.
    pub fn limit(&self) -> usize {
        match self.value(LIMIT.name) {
            Some(Arg::Number(n)) => *n as usize,
            _ => unreachable!("limit always has a value: it has a default"),
        }
    }

    /// The value of the tool's one required ID argument, which fills the `{id}` of
    /// its PagerDuty path; `None` for a tool without one.
    pub fn path_id(&self) -> Option<&str> {
        let param = self
            .params
            .iter()
            .find(|p| p.required && matches!(p.kind, ParamKind::Id(_)))?;
        self.text(param.name)
    }
}

/// Parses one present, non-null value. `Ok(None)` means blank (absent for optional
/// arguments, `MISSING_PARAMETER` for required ones).
fn parse_one(param: &Param, kind: ParamKind, value: &Value) -> ToolResult<Option<Arg>> {
    let name = param.name;
    match kind {
        ParamKind::Id(id) => {
            let s = expect_str(name, value, "a PagerDuty ID string")?;
            if s.trim().is_empty() {
                return Ok(None);
            }
            check_id(id, s)?;
            Ok(Some(Arg::Text(s.to_string())))
        }
        ParamKind::IdList(id) => parse_id_list(name, id, MAX_LIST_ITEMS, value),
        ParamKind::IdListUpTo { id, max_items } => parse_id_list(name, id, max_items, value),
        ParamKind::Enum(allowed) => {
            let s = expect_str(name, value, &format!("one of: {}", allowed.join(", ")))?;
            if s.trim().is_empty() {
                return Ok(None);
            }
            if !allowed.contains(&s) {
                return Err(ToolError::invalid(format!(
                    "Invalid value {} for '{name}'. Valid values: {}",
                    describe(value),
                    allowed.join(", ")
                )));
            }
            Ok(Some(Arg::Text(s.to_string())))
        }
        ParamKind::Integer { min, max } => match value.as_u64() {
            Some(n) if (min..=max).contains(&n) => Ok(Some(Arg::Number(n))),
            _ => Err(ToolError::invalid(format!(
                "'{name}' must be an integer from {min} to {max}, got {}",
                describe(value)
            ))),
        },
        ParamKind::EnumList(allowed) => {
            let items = expect_array(
                name,
                value,
                &format!("a list of values from: {}", allowed.join(", ")),
            )?;
            check_list_length(name, items, &format!("each one of: {}", allowed.join(", ")))?;
            let mut seen = HashSet::with_capacity(allowed.len());
            let mut out: Vec<String> = Vec::with_capacity(allowed.len());
            for item in items {
                match item.as_str() {
                    Some(s) if allowed.contains(&s) => {
                        if seen.insert(s) {
                            out.push(s.to_string());
                        }
                    }
                    _ => {
                        return Err(ToolError::invalid(format!(
                            "Invalid value {} in '{name}'. Valid values: {}",
                            describe(item),
                            allowed.join(", ")
                        )));
                    }
                }
            }
            Ok(Some(Arg::List(out)))
        }
        ParamKind::Text { max_chars } => {
            let s = expect_str(name, value, "a string")?;
            if s.trim().is_empty() {
                return Ok(None);
            }
            if s.chars().count() > max_chars {
                return Err(ToolError::invalid(format!(
                    "'{name}' is longer than {max_chars} characters"
                )));
            }
            Ok(Some(Arg::Text(s.to_string())))
        }
        ParamKind::Timestamp => {
            let s = expect_str(name, value, "an ISO 8601 timestamp string")?;
            if s.trim().is_empty() {
                return Ok(None);
            }
            let t = parse_timestamp(s).ok_or_else(|| {
                ToolError::invalid(format!(
                    "'{name}' is not an ISO 8601 timestamp with a UTC offset or Z: '{}' (example: 2026-01-31T09:00:00Z)",
                    truncate(s, 64)
                ))
            })?;
            check_timestamp_range(name, s, t)?;
            Ok(Some(Arg::Time(t, s.to_string())))
        }
        ParamKind::Bool { .. } => match value.as_bool() {
            Some(b) => Ok(Some(Arg::Bool(b))),
            None => Err(wrong_type(name, value, "true or false")),
        },
        ParamKind::Limit { max, .. } => match value.as_u64() {
            Some(n) if (1..=max).contains(&n) => Ok(Some(Arg::Number(n))),
            _ => Err(ToolError::invalid(format!(
                "'{name}' must be an integer from 1 to {max}, got {}",
                describe(value)
            ))),
        },
    }
}

/// Parses a list of IDs of kind `id`: at most `max_items`, each a valid ID,
/// duplicates dropped (first occurrence kept). An empty list is blank.
fn parse_id_list(
    name: &str,
    id: IdKind,
    max_items: usize,
    value: &Value,
) -> ToolResult<Option<Arg>> {
    let items = expect_array(name, value, "a list of PagerDuty ID strings")?;
    if items.len() > max_items {
        return Err(ToolError::invalid(format!(
            "'{name}' has {} items; at most {max_items} are accepted, each a PagerDuty ID of at most {MAX_ID_BYTES} characters. Pass fewer values (split the query into several calls if needed).",
            items.len()
        )));
    }
    if items.is_empty() {
        return Ok(None);
    }
    let mut seen = HashSet::with_capacity(items.len());
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        let s = item.as_str().ok_or_else(|| {
            ToolError::new(
                ErrorCode::InvalidId(id.code),
                format!("Invalid {} ID in '{name}': {}", id.noun, describe(item)),
            )
        })?;
        check_id(id, s)?;
        // A set keeps deduplication linear in the list's length.
        if seen.insert(s) {
            ids.push(s.to_string());
        }
    }
    Ok(Some(Arg::List(ids)))
}

/// Parses an ISO 8601 timestamp that carries an offset (or `Z`).
pub fn parse_timestamp(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(s, &Iso8601::DEFAULT))
        .ok()
}

/// Formats a time as PagerDuty writes it, e.g. `2026-01-31T09:00:00Z`; `None` for a
/// time RFC 3339 cannot write in UTC (outside the years 0–9999), so that no caller
/// ever sends an empty timestamp.
pub fn format_timestamp(t: OffsetDateTime) -> Option<String> {
    let t = t.checked_to_offset(UtcOffset::UTC)?;
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).ok()
}

/// `INVALID_PARAMETER` for a timestamp outside [`EARLIEST_TIMESTAMP`] ..
/// [`END_OF_TIMESTAMPS`]: PagerDuty holds nothing older, and the calendar's far end
/// would overflow the window arithmetic.
fn check_timestamp_range(name: &str, written: &str, t: OffsetDateTime) -> ToolResult<()> {
    if (EARLIEST_TIMESTAMP..END_OF_TIMESTAMPS).contains(&t) {
        return Ok(());
    }
    Err(ToolError::invalid(format!(
        "'{name}' is outside the accepted range, the years 1970 to 9000 (UTC): '{}'",
        truncate(written, 64)
    )))
}

/// `INVALID_PARAMETER` for a list longer than [`MAX_LIST_ITEMS`], checked before any
/// item is looked at, so an oversized list costs nothing. `each` says what an item
/// is ("each one of: ...").
fn check_list_length(name: &str, items: &[Value], each: &str) -> ToolResult<()> {
    if items.len() <= MAX_LIST_ITEMS {
        return Ok(());
    }
    Err(ToolError::invalid(format!(
        "'{name}' has {} items; at most {MAX_LIST_ITEMS} are accepted, {each}. Pass fewer values (split the query into several calls if needed).",
        items.len()
    )))
}

fn check_id(id: IdKind, s: &str) -> ToolResult<()> {
    if (1..=MAX_ID_BYTES).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(ToolError::new(
            ErrorCode::InvalidId(id.code),
            format!(
                "Invalid {} ID provided: '{}' (PagerDuty IDs are 1-{MAX_ID_BYTES} ASCII letters and digits, e.g. 'PABC123')",
                id.noun,
                truncate(s, 64)
            ),
        ))
    }
}

fn expect_str<'v>(name: &str, value: &'v Value, expected: &str) -> ToolResult<&'v str> {
    value
        .as_str()
        .ok_or_else(|| wrong_type(name, value, expected))
}

fn expect_array<'v>(name: &str, value: &'v Value, expected: &str) -> ToolResult<&'v Vec<Value>> {
    value
        .as_array()
        .ok_or_else(|| wrong_type(name, value, expected))
}

fn wrong_type(name: &str, value: &Value, expected: &str) -> ToolError {
    ToolError::invalid(format!(
        "'{name}' must be {expected}, got {}",
        describe(value)
    ))
}

/// A short description of a JSON value for error messages (never huge).
fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("'{}'", truncate(s, 64)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
        other => truncate(&other.to_string(), 64),
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max_chars).collect::<String>())
    }
}

/// The JSON Schema of an arguments object with `params`.
pub fn input_schema(params: &[Param]) -> Value {
    let mut properties = Map::new();
    for p in params {
        let mut schema = match p.kind {
            ParamKind::Id(_) => json!({"type": "string"}),
            ParamKind::IdList(_) => json!({
                "type": "array",
                "maxItems": MAX_LIST_ITEMS,
                "items": {"type": "string", "maxLength": MAX_ID_BYTES}
            }),
            ParamKind::IdListUpTo { max_items, .. } => json!({
                "type": "array",
                "minItems": 1,
                "maxItems": max_items,
                "items": {"type": "string", "maxLength": MAX_ID_BYTES}
            }),
            ParamKind::Enum(values) => json!({"type": "string", "enum": values}),
            ParamKind::Integer { min, max } => {
                json!({"type": "integer", "minimum": min, "maximum": max})
            }
            ParamKind::EnumList(values) => json!({
                "type": "array",
                "maxItems": MAX_LIST_ITEMS,
                "items": {"type": "string", "enum": values}
            }),
            ParamKind::Text { max_chars } => json!({"type": "string", "maxLength": max_chars}),
            ParamKind::Timestamp => json!({"type": "string", "format": "date-time"}),
            ParamKind::Bool { default } => json!({"type": "boolean", "default": default}),
            ParamKind::Limit { max, default } => {
                json!({"type": "integer", "minimum": 1, "maximum": max, "default": default})
            }
        };
        schema["description"] = Value::String(p.description.to_string());
        properties.insert(p.name.to_string(), schema);
    }
    let required: Vec<&str> = params
        .iter()
        .filter(|p| p.required)
        .map(|p| p.name)
        .collect();
    let mut schema =
        json!({"type": "object", "properties": properties, "additionalProperties": false});
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMS: &[Param] = &[
        Param {
            name: "incident_id",
            kind: ParamKind::Id(ids::INCIDENT),
            required: true,
            description: "",
        },
        Param {
            name: "team_ids",
            kind: ParamKind::IdList(ids::TEAM),
            required: false,
            description: "",
        },
        Param {
            name: "statuses",
            kind: ParamKind::EnumList(&["triggered", "acknowledged"]),
            required: false,
            description: "",
        },
        Param {
            name: "query",
            kind: ParamKind::Text { max_chars: 10 },
            required: false,
            description: "",
        },
        Param {
            name: "since",
            kind: ParamKind::Timestamp,
            required: false,
            description: "",
        },
        Param {
            name: "until",
            kind: ParamKind::Timestamp,
            required: false,
            description: "",
        },
        Param {
            name: "current_user_context",
            kind: ParamKind::Bool { default: true },
            required: false,
            description: "",
        },
        LIMIT,
    ];

    fn parse(v: Value) -> ToolResult<Args> {
        Args::parse(PARAMS, v.as_object().unwrap())
    }

    fn code(v: Value) -> String {
        parse(v).unwrap_err().code.as_string()
    }

    #[test]
    fn valid_arguments_parse_with_defaults() {
        let a = parse(json!({"incident_id": "PABC123", "team_ids": ["P1", "P2", "P1"], "statuses": ["triggered"],
            "since": "2026-01-01T00:00:00Z", "until": "2026-01-02T00:00:00+02:00"}))
        .unwrap();
        assert_eq!(a.required("incident_id"), "PABC123");
        assert_eq!(a.list("team_ids").unwrap(), ["P1", "P2"]);
        assert_eq!(a.list("statuses").unwrap(), ["triggered"]);
        assert_eq!(a.timestamp("until"), Some("2026-01-02T00:00:00+02:00"));
        assert!(a.flag("current_user_context"));
        assert_eq!(a.limit(), 100);
        assert!(!a.has("query"));
    }

    #[test]
    fn missing_null_and_blank_required_ids_are_missing_parameter() {
        assert_eq!(code(json!({})), "MISSING_PARAMETER");
        assert_eq!(code(json!({"incident_id": null})), "MISSING_PARAMETER");
        assert_eq!(code(json!({"incident_id": "  "})), "MISSING_PARAMETER");
        assert!(
            parse(json!({}))
                .unwrap_err()
                .message
                .contains("'incident_id'")
        );
    }

    #[test]
    fn malformed_ids_name_their_resource() {
        let e = parse(json!({"incident_id": "P@X"})).unwrap_err();
        assert_eq!(e.code.as_string(), "INVALID_INCIDENT_ID");
        assert!(e.message.contains("'P@X'"));
        assert_eq!(
            code(json!({"incident_id": "x".repeat(65)})),
            "INVALID_INCIDENT_ID"
        );
        assert_eq!(
            code(json!({"incident_id": "P1", "team_ids": ["P1", "bad id"]})),
            "INVALID_TEAM_ID"
        );
        assert_eq!(
            code(json!({"incident_id": "P1", "team_ids": [""]})),
            "INVALID_TEAM_ID"
        );
        assert_eq!(
            code(json!({"incident_id": "P1", "team_ids": [7]})),
            "INVALID_TEAM_ID"
        );
        assert_eq!(code(json!({"incident_id": "Pé"})), "INVALID_INCIDENT_ID");
    }

    #[test]
    fn wrong_types_unknown_names_and_bad_values_are_invalid_parameter() {
        let base = |extra: Value| {
            let mut v = json!({"incident_id": "P1"});
            v.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            code(v)
        };
        assert_eq!(base(json!({"team_ids": "P1"})), "INVALID_PARAMETER");
        assert_eq!(base(json!({"incident_id": 5})), "INVALID_PARAMETER");
        assert_eq!(base(json!({"nope": 1})), "INVALID_PARAMETER");
        assert_eq!(base(json!({"statuses": ["open"]})), "INVALID_PARAMETER");
        assert_eq!(base(json!({"since": "yesterday"})), "INVALID_PARAMETER");
        assert_eq!(
            base(json!({"since": "2026-01-01T00:00:00"})),
            "INVALID_PARAMETER"
        );
        assert_eq!(
            base(json!({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"})),
            "INVALID_PARAMETER"
        );
        assert_eq!(base(json!({"limit": 0})), "INVALID_PARAMETER");
        assert_eq!(base(json!({"limit": 1001})), "INVALID_PARAMETER");
        assert_eq!(base(json!({"limit": 5.5})), "INVALID_PARAMETER");
        assert_eq!(base(json!({"limit": "5"})), "INVALID_PARAMETER");
        assert_eq!(
            base(json!({"current_user_context": "false"})),
            "INVALID_PARAMETER"
        );
        assert_eq!(base(json!({"query": "01234567890"})), "INVALID_PARAMETER");
    }

    #[test]
    fn enum_error_lists_the_valid_values() {
        let e = parse(json!({"incident_id": "P1", "statuses": ["open"]})).unwrap_err();
        assert!(
            e.message.contains("triggered, acknowledged"),
            "{}",
            e.message
        );
    }

    #[test]
    fn unknown_argument_error_lists_the_valid_names() {
        let e = parse(json!({"incident_id": "P1", "status": ["open"]})).unwrap_err();
        assert!(
            e.message.contains("'status'") && e.message.contains("statuses"),
            "{}",
            e.message
        );
    }

    #[test]
    #[should_panic(expected = "not declared")]
    fn an_undeclared_name_is_a_bug_not_an_empty_value() {
        let a = parse(json!({"incident_id": "P1"})).unwrap();
        a.required("incidentid");
    }

    #[test]
    #[should_panic(expected = "not declared")]
    fn an_undeclared_optional_name_is_a_bug_too() {
        let a = parse(json!({"incident_id": "P1"})).unwrap();
        a.list("team_id");
    }

    #[test]
    #[should_panic(expected = "not declared as required")]
    fn required_on_an_optional_argument_is_a_bug() {
        let a = parse(json!({"incident_id": "P1", "query": "x"})).unwrap();
        a.required("query");
    }

    #[test]
    fn the_path_id_is_the_required_id_argument() {
        let a = parse(json!({"incident_id": "PABC"})).unwrap();
        assert_eq!(a.path_id(), Some("PABC"));
    }

    #[test]
    fn optional_nulls_and_blank_text_count_as_absent() {
        let a = parse(json!({"incident_id": "P1", "query": " ", "since": null, "team_ids": []}))
            .unwrap();
        assert!(!a.has("query") && !a.has("since") && !a.has("team_ids"));
    }

    #[test]
    fn timestamps_accept_offsets_and_fractions() {
        for s in [
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00.123+05:30",
            "2026-01-01T00:00Z",
        ] {
            assert!(parse_timestamp(s).is_some(), "{s}");
        }
        assert_eq!(
            format_timestamp(parse_timestamp("2026-01-01T05:30:00.5+05:30").unwrap()).as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
    }

    #[test]
    fn schema_lists_every_param_and_forbids_others() {
        let s = input_schema(PARAMS);
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["required"], json!(["incident_id"]));
        assert_eq!(
            s["properties"]["statuses"]["items"]["enum"],
            json!(["triggered", "acknowledged"])
        );
        assert_eq!(s["properties"]["limit"]["maximum"], 1000);
        assert_eq!(s["properties"]["team_ids"]["maxItems"], MAX_LIST_ITEMS);
        assert_eq!(
            s["properties"]["team_ids"]["items"]["maxLength"],
            MAX_ID_BYTES
        );
        assert_eq!(s["properties"]["statuses"]["maxItems"], MAX_LIST_ITEMS);
        assert_eq!(s["properties"]["current_user_context"]["default"], true);
        assert_eq!(s["properties"].as_object().unwrap().len(), PARAMS.len());
    }

    fn with_list(name: &str, items: Vec<Value>) -> Value {
        let mut v = json!({"incident_id": "P1"});
        v[name] = Value::Array(items);
        v
    }

    #[test]
    fn an_oversized_list_is_rejected_before_any_item_is_read() {
        // 100,000 entries that are each invalid: the error is about the list's length,
        // not its first entry, so the length was checked before any item was read.
        let e = parse(with_list("team_ids", vec![json!(7); 100_000])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidParameter, "{}", e.message);
        assert!(
            e.message.contains("'team_ids' has 100000 items")
                && e.message.contains("at most 200")
                && e.message.contains("64 characters"),
            "{}",
            e.message
        );
        let e = parse(with_list("statuses", vec![json!("open"); 100_000])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidParameter);
        assert!(
            e.message.contains("'statuses' has 100000 items") && e.message.contains("at most 200"),
            "{}",
            e.message
        );
        let e = parse(with_list("team_ids", vec![json!("P1"); MAX_LIST_ITEMS + 1])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidParameter, "{}", e.message);
    }

    #[test]
    fn a_list_at_the_cap_dedupes_in_first_seen_order() {
        let half = MAX_LIST_ITEMS / 2;
        let ids: Vec<String> = (0..half).map(|i| format!("P{i}")).collect();
        // Every ID twice, the second round reversed: the first occurrence decides.
        let items: Vec<Value> = ids
            .iter()
            .chain(ids.iter().rev())
            .map(|s| json!(s))
            .collect();
        assert_eq!(items.len(), MAX_LIST_ITEMS);
        let a = parse(with_list("team_ids", items)).unwrap();
        assert_eq!(a.list("team_ids").unwrap(), ids.as_slice());
        let statuses = (0..MAX_LIST_ITEMS)
            .map(|i| json!(["acknowledged", "triggered"][i % 2]))
            .collect();
        let a = parse(with_list("statuses", statuses)).unwrap();
        assert_eq!(a.list("statuses").unwrap(), ["acknowledged", "triggered"]);
    }

    #[test]
    fn a_huge_list_of_distinct_ids_costs_no_time() {
        // Deduplicating this list item by item against all before it took minutes.
        let items: Vec<Value> = (0..100_000).map(|i| json!(format!("P{i:063}"))).collect();
        let started = std::time::Instant::now();
        let e = parse(with_list("team_ids", items)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidParameter);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn timestamps_outside_1970_to_9000_are_rejected_naming_the_argument() {
        for (name, bad) in [
            ("since", "9999-12-30T00:00:00Z"),
            ("until", "0000-01-01T00:00:00Z"),
            ("since", "1969-12-31T23:59:59Z"),
            ("since", "1970-01-01T00:30:00+01:00"),
            ("until", "9001-01-01T00:00:00Z"),
            ("until", "9000-12-31T23:00:00-02:00"),
        ] {
            let mut v = json!({"incident_id": "P1"});
            v[name] = json!(bad);
            let e = parse(v).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidParameter, "{bad}");
            assert!(
                e.message.contains(&format!("'{name}'")) && e.message.contains("1970 to 9000"),
                "{}",
                e.message
            );
        }
        let a = parse(json!({"incident_id": "P1", "since": "1970-01-01T00:00:00Z",
            "until": "9000-12-31T23:59:59Z"}))
        .unwrap();
        assert_eq!(a.timestamp("until"), Some("9000-12-31T23:59:59Z"));
    }

    #[test]
    fn times_rfc_3339_cannot_write_are_not_formatted_as_empty_text() {
        let far = parse_timestamp("9999-12-31T23:00:00-02:00").unwrap();
        assert_eq!(format_timestamp(far), None);
    }
}

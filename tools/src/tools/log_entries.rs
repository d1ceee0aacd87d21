//! Log entries: an incident's timeline (`GET /incidents/{id}/log_entries`), the
//! account's log (`GET /log_entries`) and one entry (`GET /log_entries/{id}`).
//!
//! Entries are asked for with `include[]=channels`, so each says how it came in
//! (the event's summary, the note's text, the notification method); the projection
//! keeps what a responder reads in a timeline and drops contexts and event blobs.

use super::incidents::INCIDENT_ID;
use super::{SINCE, UNTIL, list_paged};
use crate::args::{Args, LIMIT, Param, ParamKind, format_timestamp, ids};
use crate::catalog::{Access, Operation, Projection, QueryFrom, Run, Tool};
use crate::client::Query;
use crate::context::Call;
use crate::envelope::Output;
use crate::error::{ToolError, ToolResult};
use crate::projection::project;
use crate::toolsets::Toolset;
use serde_json::Value;

/// The fields of a log entry kept as they are (references cleaned) besides `type`
/// and `channel`, which are shortened.
const KEPT_FIELDS: &[&str] = &[
    "id",
    "summary",
    "created_at",
    "agent",
    "note",
    "user",
    "assignees",
    "escalation_policy",
    "service",
];

/// `type` without its `_log_entry` suffix: `acknowledge_log_entry` → `acknowledge`.
fn short_type(entry: &Value) -> Option<Value> {
    let kind = entry.get("type")?.as_str()?;
    Some(Value::String(
        kind.strip_suffix("_log_entry").unwrap_or(kind).to_string(),
    ))
}

/// How the entry came in, in a few words: the channel's summary (a trigger's event
/// summary, a note's text), else the notification method (`sms`, `email`, `phone`,
/// `push`), else the channel's type (`website`, `api`, `auto`, `timeout`).
fn channel_summary(entry: &Value) -> Option<Value> {
    fn text(v: Option<&Value>) -> Option<&str> {
        v.and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
    let channel = entry.get("channel")?;
    let method = text(channel.get("notification").and_then(|n| n.get("type")))
        .map(|t| t.strip_suffix("_notification").unwrap_or(t));
    text(channel.get("summary"))
        .or(method)
        .or(text(channel.get("type")))
        .map(|s| Value::String(s.to_string()))
}

/// A log entry projected: id, type (shortened), summary, created_at, agent (with its
/// kind), channel (in words), note, user (notified), assignees, escalation policy,
/// service, and the incident when `with_incident`.
fn project_entry(entry: &Value, with_incident: bool) -> Value {
    let kept = project(entry, KEPT_FIELDS);
    let mut out = serde_json::Map::new();
    let mut keep = |name: &str, value: Option<Value>| {
        if let Some(v) = value {
            out.insert(name.to_string(), v);
        }
    };
    keep("id", kept.get("id").cloned());
    keep("type", short_type(entry));
    for field in &KEPT_FIELDS[1..4] {
        keep(field, kept.get(*field).cloned());
    }
    keep("channel", channel_summary(entry));
    for field in &KEPT_FIELDS[4..] {
        keep(field, kept.get(*field).cloned());
    }
    if with_incident {
        keep(
            "incident",
            project(entry, &["incident"]).get("incident").cloned(),
        );
    }
    Value::Object(out)
}

/// A log entry of the account's log, with its incident.
fn project_with_incident(entry: &Value) -> Value {
    project_entry(entry, true)
}

/// What every log entry request asks for: the channels' details.
const CHANNELS: (&str, &str) = ("include[]", "channels");

/// The `is_overview` argument, with the tool's default.
const fn is_overview(default: bool) -> Param {
    Param {
        name: "is_overview",
        kind: ParamKind::Bool { default },
        required: false,
        description: if default {
            "true (default): only the important changes (no notifications sent); false: every entry."
        } else {
            "true: only the important changes (no notifications sent); false (default): every entry."
        },
    }
}

/// The example incident (resolved, with notes) of the demo dataset.
const EXAMPLE_INCIDENT: &str = r#"{"incident_id": "QEHRFKH9ABCOUI"}"#;

/// The log entry tools.
pub const TOOLS: &[Tool] = &[
    Tool {
        toolset: Toolset::Incidents,
        name: "list_incident_log_entries",
        title: "List incident log entries",
        description: "An incident's timeline, OLDEST FIRST: triggered, assigned, notified, escalated, \
            acknowledged, notes, reassigned, snoozed, resolved. Each entry has its type without the \
            '_log_entry' suffix (e.g. 'acknowledge', 'annotate', 'notify'), a summary in words \
            ('Acknowledged by Jane Doe.'), the time, the agent (user or service, with its kind), the \
            channel in words (the event's summary, a note's text, the notification method), and \
            assignees where it assigns. With more entries than 'limit', the newest are returned \
            (has_more: narrow with since/until). is_overview=true leaves out notifications.",
        resource: "log_entries",
        params: &[INCIDENT_ID, SINCE, UNTIL, is_overview(false), LIMIT],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/incidents/{id}/log_entries")],
        example: EXAMPLE_INCIDENT,
        run: Run::Custom(list_incident_log_entries),
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "list_log_entries",
        title: "List log entries",
        description: "The account's log of incident events across all incidents, NEWEST FIRST: what \
            happened to which incident, when, and by whom. Default window: the last 24 hours (when \
            neither since nor until is given). Each entry has its type without the '_log_entry' suffix \
            (e.g. 'trigger', 'acknowledge', 'resolve'), a summary in words, the agent (user or service, \
            with its kind), the channel in words, and the incident. is_overview=true (the default) \
            leaves out notifications; team_ids keeps the entries of those teams' incidents.",
        resource: "log_entries",
        params: &[
            SINCE,
            UNTIL,
            Param {
                name: "team_ids",
                kind: ParamKind::IdList(ids::TEAM),
                required: false,
                description: "Only entries of incidents of these teams.",
            },
            is_overview(true),
            LIMIT,
        ],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/log_entries")],
        example: r#"{"since": "2026-01-14T12:00:00Z", "until": "2026-01-15T12:00:00Z", "limit": 5}"#,
        run: Run::Custom(list_log_entries),
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "get_log_entry",
        title: "Get log entry",
        description: "One log entry by ID (e.g. an incident's first_trigger_log_entry): its type without \
            the '_log_entry' suffix, summary in words, time, agent (with its kind), channel in words \
            (for a trigger, the event's summary), assignees, service and incident.",
        resource: "log_entries",
        params: &[Param {
            name: "log_entry_id",
            kind: ParamKind::Id(ids::LOG_ENTRY),
            required: true,
            description: "The log entry's ID, e.g. 'RQQSEB95VCICBP2GYRLEUWHJ5X'.",
        }],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/log_entries/{id}")],
        example: r#"{"log_entry_id": "RQQSEB95VCICBP2GYRLEUWHJ5X"}"#,
        run: Run::Get {
            key: "log_entry",
            query: QueryFrom {
                args: &[],
                window_days: None,
                fixed: &[CHANNELS],
            },
            project: Projection::With(project_with_incident),
        },
    },
];

/// The `is_overview` flag as PagerDuty's query value.
fn overview_value(args: &Args) -> &'static str {
    if args.flag("is_overview") {
        "true"
    } else {
        "false"
    }
}

fn list_incident_log_entries(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let mut q = Query::new();
    for name in ["since", "until"] {
        if let Some(t) = args.timestamp(name) {
            q.push(name, t);
        }
    }
    q.push("is_overview", overview_value(args));
    q.push(CHANNELS.0, CHANNELS.1);
    let path = format!("/incidents/{}/log_entries", args.required("incident_id"));
    let mut output = list_paged(call, &path, &q, "log_entries", args, |e| {
        project_entry(e, false)
    })?;
    // PagerDuty answers newest first; a timeline reads oldest first.
    output.items.reverse();
    Ok(output)
}

/// The default window of `list_log_entries`: the last 24 hours.
const DEFAULT_HOURS: i64 = 24;

fn list_log_entries(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let (since, until) = match (args.timestamp("since"), args.timestamp("until")) {
        (None, None) => {
            let start = call
                .now
                .checked_sub(time::Duration::hours(DEFAULT_HOURS))
                .and_then(format_timestamp);
            let end = format_timestamp(call.now);
            match (start, end) {
                (Some(start), Some(end)) => (Some(start), Some(end)),
                _ => {
                    return Err(ToolError::invalid(
                        "The last 24 hours cannot be written as timestamps; pass both 'since' and 'until'",
                    ));
                }
            }
        }
        (since, until) => (since.map(str::to_string), until.map(str::to_string)),
    };
    let mut q = Query::new();
    if let Some(since) = &since {
        q.push("since", since.as_str());
    }
    if let Some(until) = &until {
        q.push("until", until.as_str());
    }
    super::push_lists(&mut q, args, &["team_ids"]);
    q.push("is_overview", overview_value(args));
    q.push(CHANNELS.0, CHANNELS.1);
    let mut output = list_paged(call, "/log_entries", &q, "log_entries", args, |e| {
        project_entry(e, true)
    })?;
    output.note = Some(format!(
        "Window: {} to {}",
        since.as_deref().unwrap_or("PagerDuty's default start"),
        until.as_deref().unwrap_or("now")
    ));
    Ok(output)
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_refused, call, json_response, not_found_response, page};
    use serde_json::{Value, json};

    fn user(id: &str, name: &str) -> Value {
        json!({"id": id, "type": "user_reference", "summary": name, "self": "https://api/users/x",
            "html_url": "https://acme.pagerduty.com/users/x"})
    }

    fn entry(id: &str, kind: &str, at: &str, agent: Value, channel: Value) -> Value {
        json!({"id": id, "type": kind, "summary": format!("{kind} summary"), "created_at": at,
            "self": "https://api/log_entries/x", "html_url": "https://acme.pagerduty.com/incidents/Q1/log_entries/x",
            "agent": agent, "channel": channel,
            "service": {"id": "PSVC001", "type": "service_reference", "summary": "API", "self": "x", "html_url": "y"},
            "incident": {"id": "Q1", "type": "incident_reference", "summary": "[#1] Disk full", "self": "x", "html_url": "y"},
            "teams": [{"id": "PT1", "type": "team_reference", "summary": "Ops"}],
            "contexts": [{"type": "link", "href": "https://graph"}],
            "event_details": {"description": "Disk full"}})
    }

    /// A timeline as PagerDuty answers it: newest first.
    fn timeline_newest_first() -> Vec<Value> {
        let service = json!({"id": "PSVC001", "type": "service_reference", "summary": "API"});
        let mut resolve = entry(
            "R5",
            "resolve_log_entry",
            "2026-11-20T11:00:00Z",
            user("PU1", "Ann"),
            json!({"type": "website"}),
        );
        resolve["note"] = json!("Fixed by rollback");
        let annotate = entry(
            "R4",
            "annotate_log_entry",
            "2026-11-20T10:30:00Z",
            user("PU1", "Ann"),
            json!({"type": "note", "summary": "Rolled back deploy 4512."}),
        );
        let ack = entry(
            "R3",
            "acknowledge_log_entry",
            "2026-11-20T10:05:00Z",
            user("PU1", "Ann"),
            json!({"type": "website"}),
        );
        let mut notify = entry(
            "R2",
            "notify_log_entry",
            "2026-11-20T10:00:00Z",
            service.clone(),
            json!({"type": "auto", "notification": {"type": "sms_notification", "address": "+1 555", "user": user("PU1", "Ann")}}),
        );
        notify["user"] = user("PU1", "Ann");
        let mut assign = entry(
            "R1",
            "assign_log_entry",
            "2026-11-20T10:00:00Z",
            service.clone(),
            json!({"type": "auto"}),
        );
        assign["assignees"] = json!([user("PU1", "Ann")]);
        let trigger = entry(
            "R0",
            "trigger_log_entry",
            "2026-11-20T10:00:00Z",
            service,
            json!({"type": "api", "summary": "Disk 95% on db-1", "details": {"disk": 95}}),
        );
        vec![resolve, annotate, ack, notify, assign, trigger]
    }

    #[test]
    fn incident_timeline_is_oldest_first_and_projected() {
        let c = call(
            "list_incident_log_entries",
            json!({"incident_id": "Q1"}),
            vec![page("log_entries", timeline_newest_first(), false)],
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(
            c.sent,
            ["/incidents/Q1/log_entries?is_overview=false&include[]=channels&limit=100&offset=0"]
        );
        let entries = c.envelope["log_entries"].as_array().unwrap();
        let ids: Vec<&str> = entries.iter().map(|e| e["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["R0", "R1", "R2", "R3", "R4", "R5"]);
        assert_eq!(
            entries[0],
            json!({"id": "R0", "type": "trigger", "summary": "trigger_log_entry summary",
                "created_at": "2026-11-20T10:00:00Z",
                "agent": {"id": "PSVC001", "summary": "API", "type": "service"},
                "channel": "Disk 95% on db-1", "service": {"id": "PSVC001", "summary": "API"}})
        );
        assert_eq!(
            entries[1]["assignees"],
            json!([{"id": "PU1", "summary": "Ann"}])
        );
        assert_eq!(entries[2]["type"], "notify");
        assert_eq!(entries[2]["channel"], "sms");
        assert_eq!(entries[2]["user"], json!({"id": "PU1", "summary": "Ann"}));
        assert_eq!(entries[3]["channel"], "website");
        assert_eq!(
            entries[3]["agent"],
            json!({"id": "PU1", "summary": "Ann", "type": "user"})
        );
        assert_eq!(entries[4]["type"], "annotate");
        assert_eq!(entries[4]["channel"], "Rolled back deploy 4512.");
        assert_eq!(entries[5]["note"], "Fixed by rollback");
        for e in entries {
            for dropped in [
                "incident",
                "teams",
                "contexts",
                "event_details",
                "self",
                "html_url",
            ] {
                assert!(e.get(dropped).is_none(), "{dropped} in {e}");
            }
        }
    }

    #[test]
    fn incident_timeline_sends_window_and_overview() {
        let c = call(
            "list_incident_log_entries",
            json!({"incident_id": "Q1", "since": "2026-11-20T00:00:00Z", "until": "2026-11-21T00:00:00+02:00",
                "is_overview": true, "limit": 5}),
            vec![page("log_entries", vec![], false)],
        );
        assert_eq!(
            c.sent,
            [
                "/incidents/Q1/log_entries?since=2026-11-20T00:00:00Z&until=2026-11-21T00:00:00+02:00&is_overview=true&include[]=channels&limit=5&offset=0"
            ]
        );
        assert_eq!(c.envelope["metadata"]["count"], 0);
    }

    #[test]
    fn incident_timeline_keeps_the_newest_page_in_order_and_says_more() {
        let c = call(
            "list_incident_log_entries",
            json!({"incident_id": "Q1", "limit": 2}),
            vec![page(
                "log_entries",
                timeline_newest_first().into_iter().take(2).collect(),
                true,
            )],
        );
        let ids: Vec<&str> = c.envelope["log_entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["R4", "R5"]);
        assert_eq!(c.envelope["metadata"]["has_more"], true);
    }

    #[test]
    fn incident_timeline_validation() {
        for args in [
            json!({}),
            json!({"incident_id": " "}),
            json!({"incident_id": null}),
        ] {
            assert_refused("list_incident_log_entries", args, "MISSING_PARAMETER");
        }
        assert_refused(
            "list_incident_log_entries",
            json!({"incident_id": "Q@1"}),
            "INVALID_INCIDENT_ID",
        );
        assert_refused(
            "list_incident_log_entries",
            json!({"incident_id": "Q1", "since": "2026-11-21T00:00:00Z", "until": "2026-11-21T00:00:00Z"}),
            "INVALID_PARAMETER",
        );
        assert_refused(
            "list_incident_log_entries",
            json!({"incident_id": "Q1", "is_overview": "yes"}),
            "INVALID_PARAMETER",
        );
        let c = call(
            "list_incident_log_entries",
            json!({"incident_id": "QNOPE"}),
            vec![not_found_response()],
        );
        assert_eq!(c.code(), "NOT_FOUND");
    }

    #[test]
    fn account_log_defaults_to_the_last_24_hours_and_overview() {
        let c = call(
            "list_log_entries",
            json!({}),
            vec![page("log_entries", timeline_newest_first(), false)],
        );
        assert!(!c.is_error, "{}", c.envelope);
        // The tests' clock is 2026-11-24T07:00:00Z.
        assert_eq!(
            c.sent,
            [
                "/log_entries?since=2026-11-23T07:00:00Z&until=2026-11-24T07:00:00Z&is_overview=true&include[]=channels&limit=100&offset=0"
            ]
        );
        let entries = c.envelope["log_entries"].as_array().unwrap();
        // PagerDuty's order (newest first) is kept.
        assert_eq!(entries[0]["id"], "R5");
        assert_eq!(
            entries[0]["incident"],
            json!({"id": "Q1", "summary": "[#1] Disk full"})
        );
        assert!(
            c.envelope["metadata"]["description"]
                .as_str()
                .unwrap()
                .contains("Window: 2026-11-23T07:00:00Z to 2026-11-24T07:00:00Z")
        );
    }

    #[test]
    fn account_log_sends_given_window_teams_and_overview() {
        let c = call(
            "list_log_entries",
            json!({"since": "2026-11-01T00:00:00Z", "until": "2026-11-02T00:00:00Z",
                "team_ids": ["PT1", "PT2"], "is_overview": false, "limit": 3}),
            vec![page("log_entries", vec![], false)],
        );
        assert_eq!(
            c.sent,
            [
                "/log_entries?since=2026-11-01T00:00:00Z&until=2026-11-02T00:00:00Z&team_ids[]=PT1&team_ids[]=PT2&is_overview=false&include[]=channels&limit=3&offset=0"
            ]
        );
        // Only one end given: only that end is sent, PagerDuty's default for the other.
        let c = call(
            "list_log_entries",
            json!({"since": "2026-11-20T00:00:00Z"}),
            vec![page("log_entries", vec![], false)],
        );
        assert_eq!(
            c.sent,
            [
                "/log_entries?since=2026-11-20T00:00:00Z&is_overview=true&include[]=channels&limit=100&offset=0"
            ]
        );
    }

    #[test]
    fn account_log_validation() {
        assert_refused(
            "list_log_entries",
            json!({"team_ids": ["PT1", "P T"]}),
            "INVALID_TEAM_ID",
        );
        assert_refused(
            "list_log_entries",
            json!({"since": "2026-11-21T00:00:00Z", "until": "2026-11-20T00:00:00Z"}),
            "INVALID_PARAMETER",
        );
        assert_refused(
            "list_log_entries",
            json!({"since": "yesterday"}),
            "INVALID_PARAMETER",
        );
    }

    #[test]
    fn one_entry_with_its_incident() {
        let trigger = timeline_newest_first().pop().unwrap();
        let c = call(
            "get_log_entry",
            json!({"log_entry_id": "R0"}),
            vec![json_response(200, json!({"log_entry": trigger}))],
        );
        assert_eq!(c.sent, ["/log_entries/R0?include[]=channels"]);
        assert_eq!(c.envelope["metadata"]["count"], 1);
        let e = &c.envelope["log_entries"][0];
        assert_eq!(e["type"], "trigger");
        assert_eq!(e["channel"], "Disk 95% on db-1");
        assert_eq!(
            e["incident"],
            json!({"id": "Q1", "summary": "[#1] Disk full"})
        );
        for args in [json!({}), json!({"log_entry_id": ""})] {
            assert_refused("get_log_entry", args, "MISSING_PARAMETER");
        }
        assert_refused(
            "get_log_entry",
            json!({"log_entry_id": "R/0"}),
            "INVALID_LOG_ENTRY_ID",
        );
    }
}

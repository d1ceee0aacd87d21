//! Incidents: listing and reading them, their notes, alerts, past and related
//! incidents, and (write tools) acknowledging, resolving and annotating them.

use super::incident_context::ALERT_FIELDS;
use super::{SINCE, UNTIL, list_projected, projected_output, push_lists};
use crate::args::{Args, LIMIT, Param, ParamKind, ids};
use crate::catalog::{Access, Operation, Projection, QueryFrom, Run, Tool, UserContextRule};
use crate::client::Query;
use crate::context::Call;
use crate::envelope::Output;
use crate::error::ToolResult;
use crate::http::Method;
use crate::projection::{clean, project};
use crate::streamed::Spec;
use crate::toolsets::Toolset;
use serde_json::{Map, Value, json};

/// Incident statuses, in PagerDuty's order.
pub const STATUSES: &[&str] = &["triggered", "acknowledged", "resolved"];

/// The fields of an incident an on-call engineer needs.
pub const INCIDENT_FIELDS: &[&str] = &[
    "id",
    "incident_number",
    "title",
    "status",
    "urgency",
    "priority",
    "service",
    "escalation_policy",
    "teams",
    "assignments",
    "acknowledgements",
    "created_at",
    "last_status_change_at",
    "last_status_change_by",
    "resolved_at",
    "incident_key",
    "html_url",
];

/// An incident's priority shrinks to its `summary`, else its `name`.
pub const PRIORITY_BY_NAME: (&str, &[&str]) = ("priority", &["summary", "name"]);

/// An incident projected to [`INCIDENT_FIELDS`]; its priority shrinks to its name
/// ([`PRIORITY_BY_NAME`]).
pub fn project_incident(incident: &Value) -> Value {
    let mut out = project(incident, INCIDENT_FIELDS);
    let (field, members) = PRIORITY_BY_NAME;
    if let Some(priority) = incident
        .get(field)
        .and_then(|p| members.iter().find_map(|m| p.get(*m)))
    {
        out[field] = priority.clone();
    }
    out
}

/// The `incident_id` argument of every tool on one incident.
pub const INCIDENT_ID: Param = Param {
    name: "incident_id",
    kind: ParamKind::Id(ids::INCIDENT),
    required: true,
    description: "The incident's ID, e.g. 'Q1P3AHC8K2ZTZC' or 'PT4KHLK' (not its number).",
};

/// An example incident of the demo dataset that has notes, alerts and past incidents.
const EXAMPLE_INCIDENT: &str = r#"{"incident_id": "QEHRFKH9ABCOUI"}"#;

/// An open example incident of the demo dataset, on one of the demo user's teams.
const EXAMPLE_OPEN_INCIDENT: &str = r#"{"incident_id": "QTBXG4Z08QBJTG"}"#;

/// The incident tools; the write tools are offered only when enabled.
pub const TOOLS: &[Tool] = &[
    Tool {
        toolset: Toolset::Incidents,
        name: "list_incidents",
        title: "List incidents",
        description: "List PagerDuty incidents, newest first, with status, urgency, priority, service, assignees \
            and timestamps; metadata.status_counts counts the returned incidents by status. With \
            current_user_context=true (the default) only incidents of your own teams are listed. \
            Without since/until and without 'resolved' in statuses, open incidents of any age are searched; \
            otherwise PagerDuty's window applies (default: the last month).",
        resource: "incidents",
        params: &[
            Param {
                name: "statuses",
                kind: ParamKind::EnumList(STATUSES),
                required: false,
                description: "Only incidents in these statuses: triggered, acknowledged, resolved (default: all three). \
                    Use [\"triggered\", \"acknowledged\"] for open incidents.",
            },
            Param {
                name: "urgencies",
                kind: ParamKind::EnumList(&["high", "low"]),
                required: false,
                description: "Only incidents of these urgencies: high, low (default: both).",
            },
            Param {
                name: "service_ids",
                kind: ParamKind::IdList(ids::SERVICE),
                required: false,
                description: "Only incidents on these services. Requires current_user_context=false.",
            },
            Param {
                name: "team_ids",
                kind: ParamKind::IdList(ids::TEAM),
                required: false,
                description: "Only incidents of these teams. Requires current_user_context=false.",
            },
            Param {
                name: "user_ids",
                kind: ParamKind::IdList(ids::USER),
                required: false,
                description: "Only incidents assigned to these users. Requires current_user_context=false.",
            },
            SINCE,
            UNTIL,
            Param {
                name: "current_user_context",
                kind: ParamKind::Bool { default: true },
                required: false,
                description: "true (default): only incidents of your own teams; team_ids, service_ids and user_ids \
                    cannot be passed. false: pass at least one of team_ids, service_ids, user_ids.",
            },
            LIMIT,
        ],
        access: Access::Read,
        user_context: Some(UserContextRule {
            rejects: &["team_ids", "service_ids", "user_ids"],
            requires_one_of: &["team_ids", "service_ids", "user_ids"],
        }),
        operations: &[Operation::get("/incidents"), Operation::get("/users/me")],
        example: r#"{"statuses": ["triggered", "acknowledged"], "limit": 5}"#,
        run: Run::Custom(list_incidents),
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "get_incident",
        title: "Get incident",
        description: "Get one PagerDuty incident by ID: title, status, urgency, priority, service, escalation \
            policy, assignees, acknowledgements and timestamps.",
        resource: "incidents",
        params: &[INCIDENT_ID],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/incidents/{id}")],
        example: EXAMPLE_OPEN_INCIDENT,
        run: Run::Get {
            key: "incident",
            query: QueryFrom::NONE,
            project: Projection::With(project_incident),
        },
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "list_incident_notes",
        title: "List incident notes",
        description: "List the notes (timeline annotations) of an incident: content, author and time.",
        resource: "notes",
        params: &[INCIDENT_ID, LIMIT],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/incidents/{id}/notes")],
        example: EXAMPLE_INCIDENT,
        run: Run::Unpaged {
            key: "notes",
            query: QueryFrom::NONE,
            project: Projection::Fields(NOTE_FIELDS),
        },
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "list_incident_alerts",
        title: "List incident alerts",
        description: "List the alerts grouped into an incident: summary, status, severity, alert key, service \
            and the monitoring tool's details.",
        resource: "alerts",
        params: &[
            INCIDENT_ID,
            Param {
                name: "statuses",
                kind: ParamKind::EnumList(&["triggered", "resolved"]),
                required: false,
                description: "Only alerts in these statuses: triggered, resolved (default: both).",
            },
            LIMIT,
        ],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/incidents/{id}/alerts")],
        example: EXAMPLE_INCIDENT,
        run: Run::List {
            key: "alerts",
            query: QueryFrom::args(&["statuses"]),
            project: Projection::With(project_alert),
        },
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "list_past_incidents",
        title: "List past incidents",
        description: "List earlier incidents similar to this one (same service, similar content), each with a \
            similarity score: useful to find how it was handled before.",
        resource: "past_incidents",
        params: &[INCIDENT_ID, LIMIT],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/incidents/{id}/past_incidents")],
        example: r#"{"incident_id": "QEHRFKH9ABCOUI", "limit": 3}"#,
        run: Run::Custom(list_past_incidents),
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "list_related_incidents",
        title: "List related incidents",
        description: "List incidents PagerDuty considers related to this one right now (e.g. on dependent \
            services or occurring together), with the kind of relationship.",
        resource: "related_incidents",
        params: &[INCIDENT_ID, LIMIT],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/incidents/{id}/related_incidents")],
        example: EXAMPLE_INCIDENT,
        run: Run::Unpaged {
            key: "related_incidents",
            query: QueryFrom::NONE,
            project: Projection::With(project_related_incident),
        },
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "acknowledge_incident",
        title: "Acknowledge incident",
        description: "WRITE: acknowledge a triggered incident as the current user (stops its escalation; \
            PagerDuty will re-trigger it after the service's acknowledgement timeout). Returns the updated incident.",
        resource: "incidents",
        params: &[INCIDENT_ID],
        access: Access::Write {
            destructive: false,
            idempotent: true,
        },
        user_context: None,
        operations: WRITE_STATUS,
        example: EXAMPLE_OPEN_INCIDENT,
        run: Run::Custom(acknowledge_incident),
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "resolve_incident",
        title: "Resolve incident",
        description: "WRITE: resolve an incident as the current user (closes it and stops all notifications; \
            a resolved incident cannot be reopened). Returns the updated incident.",
        resource: "incidents",
        params: &[INCIDENT_ID],
        access: Access::Write {
            destructive: true,
            idempotent: true,
        },
        user_context: None,
        operations: WRITE_STATUS,
        example: EXAMPLE_OPEN_INCIDENT,
        run: Run::Custom(resolve_incident),
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "add_incident_note",
        title: "Add incident note",
        description: "WRITE: add a note to an incident's timeline as the current user. Each call adds another \
            note. Returns the created note.",
        resource: "notes",
        params: &[
            INCIDENT_ID,
            Param {
                name: "content",
                kind: ParamKind::Text { max_chars: 25_000 },
                required: true,
                description: "The note's text (plain text, up to 25,000 characters).",
            },
        ],
        access: Access::Write {
            destructive: false,
            idempotent: false,
        },
        user_context: None,
        operations: &[
            Operation {
                method: Method::Post,
                path: "/incidents/{id}/notes",
            },
            Operation::get("/users/me"),
        ],
        example: r#"{"incident_id": "QTBXG4Z08QBJTG", "content": "Rolled back deploy 4512; error rate back to normal."}"#,
        run: Run::Custom(add_incident_note),
    },
];

fn list_incidents(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let statuses: Vec<String> = match args.list("statuses") {
        Some(s) => s.to_vec(),
        None => STATUSES.iter().map(|s| s.to_string()).collect(),
    };
    let mut q = Query::new();
    q.push_all("statuses[]", &statuses);
    push_lists(&mut q, args, &["urgencies"]);
    if args.flag("current_user_context") {
        let team_ids = call.my_team_ids()?;
        q.push_all("team_ids[]", &team_ids);
    } else {
        push_lists(&mut q, args, &["service_ids", "team_ids", "user_ids"]);
    }
    let window = match (args.timestamp("since"), args.timestamp("until")) {
        (None, None) if !statuses.iter().any(|s| s == "resolved") => {
            q.push("date_range", "all");
            "Window: open incidents of any age".to_string()
        }
        (None, None) => "Window: the last month (PagerDuty's default)".to_string(),
        (since, until) => {
            if let Some(since) = since {
                q.push("since", since);
            }
            if let Some(until) = until {
                q.push("until", until);
            }
            format!(
                "Window: created from {} to {}",
                since.unwrap_or("one month before 'until'"),
                until.unwrap_or("now")
            )
        }
    };
    q.push("sort_by", "created_at:desc");
    let spec = Spec {
        key: "incidents",
        fields: INCIDENT_FIELDS,
        shrink: Some(PRIORITY_BY_NAME),
    };
    let page = list_projected(call, "/incidents", &q, &spec, args)?;
    let mut counts = Map::new();
    for status in STATUSES {
        let quoted = format!("\"{status}\"");
        let n = page
            .items
            .iter()
            .filter(|i| i.field(&spec, "status") == Some(quoted.as_str()))
            .count();
        counts.insert(status.to_string(), json!(n));
    }
    let mut output = projected_output(page);
    output
        .extra
        .insert("status_counts".into(), Value::Object(counts));
    output.note = Some(window);
    Ok(output)
}

/// `/incidents/{incident_id}{rest}`.
pub fn incident_path(args: &Args, rest: &str) -> String {
    format!("/incidents/{}{rest}", args.required("incident_id"))
}

/// The operations of a status change: `PUT /incidents/{id}`, and `GET /users/me` for
/// the `From` address.
const WRITE_STATUS: &[Operation] = &[
    Operation {
        method: Method::Put,
        path: "/incidents/{id}",
    },
    Operation::get("/users/me"),
];

/// The fields of a note.
const NOTE_FIELDS: &[&str] = &["id", "content", "created_at", "user"];

/// An alert of an incident's alert list: [`ALERT_FIELDS`] but its incident (the
/// one the list is of); `body` keeps only the monitoring tool's `details`.
fn project_alert(alert: &Value) -> Value {
    let mut out = project(alert, ALERT_FIELDS);
    if let Some(fields) = out.as_object_mut() {
        fields.shift_remove("incident");
    }
    if let Some(details) = alert
        .get("body")
        .and_then(|b| b.get("details"))
        .filter(|d| !d.is_null())
    {
        out["details"] = details.clone();
    }
    out
}

/// The spec allows `limit` 1–999 on past incidents.
const PAST_INCIDENTS_MAX: usize = 999;

fn list_past_incidents(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let mut q = Query::new();
    q.push("limit", args.limit().min(PAST_INCIDENTS_MAX).to_string());
    let body = call
        .client
        .get(&incident_path(args, "/past_incidents"), &q)?;
    let items = body
        .get("past_incidents")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let total = body.get("total").and_then(Value::as_u64);
    let projected: Vec<Value> = items
        .iter()
        .take(args.limit())
        .map(|p| {
            let mut out = project(
                p.get("incident").unwrap_or(&Value::Null),
                &["id", "title", "created_at"],
            );
            if let Some(score) = p.get("score") {
                out["score"] = score.clone();
            }
            out
        })
        .collect();
    let has_more =
        total.is_some_and(|t| t as usize > projected.len()) || items.len() > args.limit();
    Ok(Output {
        has_more,
        ..Output::items(projected)
    })
}

/// A related incident: the incident's fields plus the kind of relationship.
fn project_related_incident(related: &Value) -> Value {
    let mut out = project_incident(related.get("incident").unwrap_or(&Value::Null));
    if let Some(relationships) = related
        .get("relationships")
        .and_then(|v| clean("relationships", v))
    {
        out["relationships"] = relationships;
    }
    out
}

/// The `incident` of an answer, projected.
pub fn one_incident(answer: &Value) -> Output {
    Output::one(project_incident(
        answer.get("incident").unwrap_or(&Value::Null),
    ))
}

fn set_status(call: &mut Call<'_>, args: &Args, status: &str) -> ToolResult<Output> {
    let body = json!({"incident": {"type": "incident_reference", "status": status}});
    let answer = call.write(Method::Put, &incident_path(args, ""), &body)?;
    Ok(one_incident(&answer))
}

fn acknowledge_incident(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    set_status(call, args, "acknowledged")
}

fn resolve_incident(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    set_status(call, args, "resolved")
}

fn add_incident_note(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let body = json!({"note": {"content": args.required("content")}});
    let answer = call.write(Method::Post, &incident_path(args, "/notes"), &body)?;
    Ok(Output::one(project(
        answer.get("note").unwrap_or(&Value::Null),
        NOTE_FIELDS,
    )))
}

#[cfg(test)]
mod tests {
    use crate::testing::{
        assert_refused, call, call_as_me, json_response, me_response, not_found_response, page,
    };
    use serde_json::json;

    fn incident(id: &str, status: &str) -> serde_json::Value {
        json!({"id": id, "type": "incident", "summary": format!("[#1] {id}"), "self": "https://api/x",
            "html_url": format!("https://acme.pagerduty.com/incidents/{id}"), "incident_number": 1,
            "title": format!("Disk full on {id}"), "description": format!("Disk full on {id}"), "status": status,
            "urgency": "high", "priority": {"id": "PP1", "type": "priority", "summary": "P1", "self": "x", "color": "a8171c"},
            "service": {"id": "PSVC001", "type": "service_reference", "summary": "API", "self": "x", "html_url": "y"},
            "assignments": [], "pending_actions": [], "first_trigger_log_entry": {"id": "L1", "type": "trigger_log_entry_reference"},
            "created_at": "2026-11-20T10:00:00Z", "resolved_at": null})
    }

    #[test]
    fn open_incidents_of_my_teams_search_all_dates() {
        let c = call(
            "list_incidents",
            json!({"statuses": ["triggered", "acknowledged"]}),
            vec![
                me_response(&["PT1", "PT2"]),
                page(
                    "incidents",
                    vec![incident("P1", "triggered"), incident("P2", "acknowledged")],
                    false,
                ),
            ],
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(
            c.sent,
            [
                "/users/me",
                "/incidents?statuses[]=triggered&statuses[]=acknowledged&team_ids[]=PT1&team_ids[]=PT2&date_range=all&sort_by=created_at:desc&limit=100&offset=0",
            ]
        );
        assert_eq!(
            c.envelope["metadata"]["status_counts"],
            json!({"triggered": 1, "acknowledged": 1, "resolved": 0})
        );
        assert_eq!(c.envelope["metadata"]["count"], 2);
        assert!(
            c.envelope["metadata"]["description"]
                .as_str()
                .unwrap()
                .contains("Window: open incidents of any age")
        );
    }

    #[test]
    fn default_statuses_include_resolved_and_use_pagerdutys_window() {
        let c = call(
            "list_incidents",
            json!({"current_user_context": false, "service_ids": ["PSVC001"], "urgencies": ["high"]}),
            vec![page("incidents", vec![], false)],
        );
        assert_eq!(
            c.sent,
            [
                "/incidents?statuses[]=triggered&statuses[]=acknowledged&statuses[]=resolved&urgencies[]=high&service_ids[]=PSVC001&sort_by=created_at:desc&limit=100&offset=0"
            ]
        );
        assert!(
            c.envelope["metadata"]["description"]
                .as_str()
                .unwrap()
                .contains("last month")
        );
    }

    #[test]
    fn explicit_window_is_sent_and_described() {
        let c = call(
            "list_incidents",
            json!({"current_user_context": false, "user_ids": ["PU1"], "statuses": ["triggered"],
            "since": "2026-11-01T00:00:00Z", "until": "2026-11-10T00:00:00Z", "limit": 5}),
            vec![page("incidents", vec![], false)],
        );
        assert_eq!(
            c.sent,
            [
                "/incidents?statuses[]=triggered&user_ids[]=PU1&since=2026-11-01T00:00:00Z&until=2026-11-10T00:00:00Z&sort_by=created_at:desc&limit=5&offset=0"
            ]
        );
        assert!(
            c.envelope["metadata"]["description"]
                .as_str()
                .unwrap()
                .contains("from 2026-11-01T00:00:00Z to 2026-11-10T00:00:00Z")
        );
    }

    #[test]
    fn user_context_rules() {
        for arg in ["team_ids", "service_ids", "user_ids"] {
            assert_refused(
                "list_incidents",
                json!({arg: ["P1"]}),
                "CONFLICTING_PARAMETERS",
            );
        }
        let c = assert_refused(
            "list_incidents",
            json!({"current_user_context": false}),
            "MISSING_PARAMETER",
        );
        assert!(c.message().contains("'team_ids'"));
    }

    #[test]
    fn account_token_gives_user_context_unavailable() {
        let c = call(
            "list_incidents",
            json!({}),
            vec![json_response(
                400,
                json!({"error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["Requires a user token"]}}),
            )],
        );
        assert_eq!(c.code(), "USER_CONTEXT_UNAVAILABLE");
        assert!(c.message().contains("current_user_context=false"));
    }

    #[test]
    fn user_without_teams_gives_user_context_unavailable() {
        let c = call("list_incidents", json!({}), vec![me_response(&[])]);
        assert_eq!(c.code(), "USER_CONTEXT_UNAVAILABLE");
    }

    #[test]
    fn limit_above_a_page_pages_and_reports_more() {
        let first: Vec<_> = (0..100)
            .map(|i| incident(&format!("P{i}"), "resolved"))
            .collect();
        let second: Vec<_> = (100..120)
            .map(|i| incident(&format!("P{i}"), "resolved"))
            .collect();
        let c = call(
            "list_incidents",
            json!({"current_user_context": false, "team_ids": ["PT1"], "limit": 120}),
            vec![
                page("incidents", first, true),
                page("incidents", second, true),
            ],
        );
        assert_eq!(c.envelope["metadata"]["count"], 120);
        assert_eq!(c.envelope["metadata"]["has_more"], true);
        assert!(c.sent[1].ends_with("limit=20&offset=100"), "{}", c.sent[1]);
    }

    #[test]
    fn get_incident_projects_the_incident() {
        let c = call(
            "get_incident",
            json!({"incident_id": "P1"}),
            vec![json_response(
                200,
                json!({"incident": incident("P1", "triggered")}),
            )],
        );
        assert_eq!(c.sent, ["/incidents/P1"]);
        assert_eq!(
            c.envelope["incidents"],
            json!([{
            "id": "P1", "incident_number": 1, "title": "Disk full on P1", "status": "triggered", "urgency": "high",
            "priority": "P1", "service": {"id": "PSVC001", "summary": "API"}, "created_at": "2026-11-20T10:00:00Z",
            "html_url": "https://acme.pagerduty.com/incidents/P1"}])
        );
    }

    #[test]
    fn get_incident_validates_and_maps_404() {
        assert_refused(
            "get_incident",
            json!({"incident_id": "P@X"}),
            "INVALID_INCIDENT_ID",
        );
        assert_refused("get_incident", json!({}), "MISSING_PARAMETER");
        let c = call(
            "get_incident",
            json!({"incident_id": "PNOPE"}),
            vec![not_found_response()],
        );
        assert_eq!(c.code(), "NOT_FOUND");
    }

    #[test]
    fn notes_are_cut_to_limit_without_pagination_params() {
        let notes: Vec<_> = (0..5).map(|i| json!({"id": format!("N{i}"), "content": "hi", "created_at": "2026-11-20T10:00:00Z",
            "user": {"id": "PU1", "type": "user_reference", "summary": "Ann"}, "channel": {"summary": "API"}})).collect();
        let c = call(
            "list_incident_notes",
            json!({"incident_id": "P1", "limit": 3}),
            vec![json_response(200, json!({"notes": notes}))],
        );
        assert_eq!(c.sent, ["/incidents/P1/notes"]);
        assert_eq!(c.envelope["metadata"]["count"], 3);
        assert_eq!(c.envelope["metadata"]["has_more"], true);
        assert_eq!(
            c.envelope["notes"][0],
            json!({"id": "N0", "content": "hi", "created_at": "2026-11-20T10:00:00Z", "user": {"id": "PU1", "summary": "Ann"}})
        );
    }

    #[test]
    fn alerts_filter_by_status_and_keep_details() {
        let alert = json!({"id": "A1", "type": "alert", "summary": "CPU", "status": "triggered", "severity": "critical",
            "body": {"type": "alert_body", "details": {"cpu": 99}, "contexts": []}, "self": "x"});
        let c = call(
            "list_incident_alerts",
            json!({"incident_id": "P1", "statuses": ["triggered"]}),
            vec![page("alerts", vec![alert], false)],
        );
        assert_eq!(
            c.sent,
            ["/incidents/P1/alerts?statuses[]=triggered&limit=100&offset=0"]
        );
        assert_eq!(
            c.envelope["alerts"][0],
            json!({"id": "A1", "summary": "CPU", "status": "triggered", "severity": "critical", "details": {"cpu": 99}})
        );
    }

    #[test]
    fn past_incidents_send_only_limit_capped_at_999() {
        let body = json!({"past_incidents": [{"incident": {"id": "P9", "created_at": "2026-10-01T00:00:00Z", "self": "x", "title": "Old"}, "score": 46.8}], "total": 1, "limit": 999});
        let c = call(
            "list_past_incidents",
            json!({"incident_id": "P1", "limit": 1000}),
            vec![json_response(200, body)],
        );
        assert_eq!(c.sent, ["/incidents/P1/past_incidents?limit=999"]);
        assert_eq!(
            c.envelope["past_incidents"],
            json!([{"id": "P9", "title": "Old", "created_at": "2026-10-01T00:00:00Z", "score": 46.8}])
        );
    }

    #[test]
    fn related_incidents_keep_relationships() {
        let body = json!({"related_incidents": [{"incident": incident("P2", "triggered"),
            "relationships": [{"type": "machine_learning_inferred", "metadata": {"grouping_classification": "similar_contents"}}]}]});
        let c = call(
            "list_related_incidents",
            json!({"incident_id": "P1"}),
            vec![json_response(200, body)],
        );
        assert_eq!(c.sent, ["/incidents/P1/related_incidents"]);
        assert_eq!(c.envelope["related_incidents"][0]["id"], "P2");
        assert_eq!(
            c.envelope["related_incidents"][0]["relationships"][0]["type"],
            "machine_learning_inferred"
        );
    }

    #[test]
    fn acknowledge_and_resolve_put_status_from_current_user() {
        for (tool, status) in [
            ("acknowledge_incident", "acknowledged"),
            ("resolve_incident", "resolved"),
        ] {
            let c = call_as_me(
                tool,
                json!({"incident_id": "P1"}),
                200,
                json!({"incident": incident("P1", status)}),
            );
            assert!(!c.is_error, "{}", c.envelope);
            c.assert_write(1, crate::http::Method::Put);
            assert_eq!(
                c.body(1),
                json!({"incident": {"type": "incident_reference", "status": status}})
            );
            assert_eq!(c.envelope["incidents"][0]["status"], status);
        }
    }

    #[test]
    fn configured_email_is_used_without_asking_for_the_user() {
        let config = crate::config::Config {
            selection: crate::toolsets::Selection::parse(None, None, Some("true")).unwrap(),
            user_email: Some("ops@example.com".into()),
            ..Default::default()
        };
        let c = crate::testing::call_with(
            "add_incident_note",
            json!({"incident_id": "P1", "content": "Rolled back"}),
            vec![json_response(
                201,
                json!({"note": {"id": "N1", "content": "Rolled back", "created_at": "2026-11-24T07:00:00Z",
                "user": {"id": "PU1", "type": "user_reference", "summary": "Ops"}}}),
            )],
            config,
        );
        assert_eq!(c.sent, ["/incidents/P1/notes"]);
        assert!(
            c.requests[0]
                .headers
                .contains(&("From", "ops@example.com".to_string()))
        );
        assert_eq!(c.envelope["notes"][0]["content"], "Rolled back");
    }

    #[test]
    fn write_with_account_token_and_no_email_explains_what_to_set() {
        let c = call(
            "resolve_incident",
            json!({"incident_id": "P1"}),
            vec![json_response(
                400,
                json!({"error": {"message": "Invalid Input Provided", "code": 2001}}),
            )],
        );
        assert_eq!(c.code(), "USER_CONTEXT_UNAVAILABLE");
        assert!(c.message().contains("PAGERDUTY_USER_EMAIL"));
    }

    #[test]
    fn note_content_is_required_and_write_tools_are_unknown_when_disabled() {
        assert_refused(
            "add_incident_note",
            json!({"incident_id": "P1", "content": " "}),
            "MISSING_PARAMETER",
        );
        let t = crate::testing::ScriptedTransport::new(vec![]);
        let fault = crate::catalog::call_tool(
            "resolve_incident",
            r#"{"incident_id":"P1"}"#,
            &t,
            &Default::default(),
            crate::testing::now(),
        );
        assert_eq!(
            fault,
            Err(crate::catalog::CallFault::UnknownTool(
                "resolve_incident".into()
            ))
        );
    }
}

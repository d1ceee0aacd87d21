//! Maintenance windows: periods in which services create no incidents.

use super::{list_fields, push_lists, reference_to};
use crate::args::{Args, LIMIT, Param, ParamKind, ids, parse_timestamp};
use crate::catalog::{Access, Operation, Projection, QueryFrom, Run, Tool};
use crate::client::Query;
use crate::context::Call;
use crate::envelope::Output;
use crate::error::{ErrorCode, ToolError, ToolResult};
use crate::http::Method;
use crate::projection::project;
use crate::toolsets::Toolset;
use serde_json::{Value, json};

/// The fields of a maintenance window an on-call engineer needs.
pub const MAINTENANCE_WINDOW_FIELDS: &[&str] = &[
    "id",
    "sequence_number",
    "start_time",
    "end_time",
    "description",
    "services",
    "teams",
    "created_by",
    "html_url",
];

/// The states `filter` selects, PagerDuty's values.
const FILTERS: &[&str] = &["past", "future", "ongoing", "open", "all"];

/// The `maintenance_window_id` argument.
const MAINTENANCE_WINDOW_ID: Param = Param {
    name: "maintenance_window_id",
    kind: ParamKind::Id(ids::MAINTENANCE_WINDOW),
    required: true,
    description: "The maintenance window's ID, e.g. 'PW30PJ6' (from list_maintenance_windows).",
};

/// The maintenance window tools.
pub const TOOLS: &[Tool] = &[
    Tool {
        toolset: Toolset::Services,
        name: "list_maintenance_windows",
        title: "List maintenance windows",
        description: "List PagerDuty maintenance windows (periods in which services create no incidents) \
            with their start and end, description, services, teams and creator. By default only open ones \
            (ongoing or future); filter=past, ongoing, future or all selects others.",
        resource: "maintenance_windows",
        params: &[
            Param {
                name: "service_ids",
                kind: ParamKind::IdList(ids::SERVICE),
                required: false,
                description: "Only windows covering any of these services.",
            },
            Param {
                name: "team_ids",
                kind: ParamKind::IdList(ids::TEAM),
                required: false,
                description: "Only windows of services of any of these teams.",
            },
            Param {
                name: "filter",
                kind: ParamKind::Enum(FILTERS),
                required: false,
                description: "Which windows: open (default: ongoing or future), ongoing, future, past or all.",
            },
            LIMIT,
        ],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/maintenance_windows")],
        example: r#"{"service_ids": ["PEU07SP"], "filter": "all"}"#,
        run: Run::Custom(list_maintenance_windows),
    },
    Tool {
        toolset: Toolset::Services,
        name: "get_maintenance_window",
        title: "Get maintenance window",
        description: "Get one PagerDuty maintenance window by ID: start and end, description, the services \
            it covers, their teams, who created it.",
        resource: "maintenance_windows",
        params: &[MAINTENANCE_WINDOW_ID],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/maintenance_windows/{id}")],
        example: r#"{"maintenance_window_id": "PW30PJ6"}"#,
        run: Run::Get {
            key: "maintenance_window",
            query: QueryFrom::NONE,
            project: Projection::Fields(MAINTENANCE_WINDOW_FIELDS),
        },
    },
    Tool {
        toolset: Toolset::Services,
        name: "create_maintenance_window",
        title: "Create maintenance window",
        description: "Create a PagerDuty maintenance window: the services create no incidents from start to \
            end. The end must be in the future; a start in the past starts the window now. Returns the window.",
        resource: "maintenance_windows",
        params: &[
            Param {
                name: "service_ids",
                kind: ParamKind::IdList(ids::SERVICE),
                required: true,
                description: "The services to put in maintenance (IDs like 'PLA4VTH').",
            },
            Param {
                name: "start",
                kind: ParamKind::Timestamp,
                required: true,
                description: "When the window starts, ISO 8601 with offset or Z, e.g. 2026-01-31T22:00:00Z.",
            },
            Param {
                name: "end",
                kind: ParamKind::Timestamp,
                required: true,
                description: "When it ends, ISO 8601 with offset or Z; after 'start' and in the future.",
            },
            Param {
                name: "description",
                kind: ParamKind::Text { max_chars: 1000 },
                required: false,
                description: "What the maintenance is for, e.g. 'Database failover drill'.",
            },
        ],
        access: Access::Write {
            destructive: false,
            idempotent: false,
        },
        user_context: None,
        operations: &[
            Operation::post("/maintenance_windows"),
            Operation::get("/users/me"),
        ],
        example: r#"{"service_ids": ["PLA4VTH"], "start": "2030-01-15T02:00:00Z", "end": "2030-01-15T04:00:00Z", "description": "Load balancer firmware upgrade"}"#,
        run: Run::Custom(create_maintenance_window),
    },
    Tool {
        toolset: Toolset::Services,
        name: "delete_maintenance_window",
        title: "Delete maintenance window",
        description: "Delete a future PagerDuty maintenance window, or end an ongoing one now (its services \
            create incidents again). A window that has already ended cannot be deleted. Returns the window as \
            it was, with outcome 'deleted' or 'ended'.",
        resource: "maintenance_windows",
        params: &[MAINTENANCE_WINDOW_ID],
        // Repeating it changes nothing more: the window is gone, or has ended.
        access: Access::Write {
            destructive: true,
            idempotent: true,
        },
        user_context: None,
        operations: &[
            Operation::delete("/maintenance_windows/{id}"),
            Operation::get("/maintenance_windows/{id}"),
            Operation::get("/users/me"),
        ],
        example: r#"{"maintenance_window_id": "PG50SLP"}"#,
        run: Run::Custom(delete_maintenance_window),
    },
];

fn list_maintenance_windows(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let mut q = Query::new();
    push_lists(&mut q, args, &["service_ids", "team_ids"]);
    q.push("filter", args.text("filter").unwrap_or("open"));
    list_fields(
        call,
        "/maintenance_windows",
        &q,
        "maintenance_windows",
        MAINTENANCE_WINDOW_FIELDS,
        args,
    )
}

fn create_maintenance_window(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let (Some(start), Some(end), Some(start_at), Some(end_at)) = (
        args.timestamp("start"),
        args.timestamp("end"),
        args.time("start"),
        args.time("end"),
    ) else {
        return Err(ToolError::missing("start"));
    };
    if start_at >= end_at {
        return Err(ToolError::invalid(format!(
            "'start' ({start}) must be before 'end' ({end})"
        )));
    }
    let services: Vec<Value> = args
        .list("service_ids")
        .unwrap_or_default()
        .iter()
        .map(|id| reference_to(id, "service"))
        .collect();
    let mut window = json!({
        "type": "maintenance_window",
        "start_time": start,
        "end_time": end,
        "services": services,
    });
    if let Some(description) = args.text("description") {
        window["description"] = json!(description);
    }
    let body = call.write(
        Method::Post,
        "/maintenance_windows",
        &json!({ "maintenance_window": window }),
    )?;
    let created = body.get("maintenance_window").ok_or_else(|| {
        ToolError::new(
            ErrorCode::UpstreamError,
            "PagerDuty's answer to POST /maintenance_windows has no 'maintenance_window'",
        )
    })?;
    Ok(Output::one(project(created, MAINTENANCE_WINDOW_FIELDS)))
}

/// Reads the window (to say what happened to it), then deletes it: PagerDuty
/// deletes a future window and ends an ongoing one; it refuses a past one (405).
fn delete_maintenance_window(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let id = args.required("maintenance_window_id");
    let path = format!("/maintenance_windows/{id}");
    let body = call.client.get(&path, &Query::new())?;
    let window = body.get("maintenance_window").ok_or_else(|| {
        ToolError::new(
            ErrorCode::UpstreamError,
            format!("PagerDuty's answer to GET {path} has no 'maintenance_window'"),
        )
    })?;
    let text = |field: &str| window.get(field).and_then(Value::as_str).unwrap_or("");
    let from = call.from_address()?;
    call.client.delete(&path, &from).map_err(|e| {
        if e.upstream_status == Some(405) {
            ToolError {
                message: format!(
                    "PagerDuty refused to delete maintenance window {id}: it has already ended (end_time {}), \
                     and a past window cannot be deleted. {}",
                    text("end_time"),
                    e.message
                ),
                ..e
            }
        } else {
            e
        }
    })?;
    let started = parse_timestamp(text("start_time")).is_some_and(|start| start <= call.now);
    let (outcome, note) = if started {
        (
            "ended",
            format!(
                "Maintenance window {id} was ongoing and has been ended now: its services create incidents again."
            ),
        )
    } else {
        (
            "deleted",
            format!("Maintenance window {id} had not started and has been deleted."),
        )
    };
    let mut item = project(window, MAINTENANCE_WINDOW_FIELDS);
    item["outcome"] = json!(outcome);
    Ok(Output {
        note: Some(note),
        ..Output::one(item)
    })
}

#[cfg(test)]
mod tests {
    use crate::http::Method;
    use crate::testing::{
        Called, assert_refused, call, call_as_me, empty_response, json_response, me_response,
        not_found_response, page,
    };
    use serde_json::{Value, json};

    fn window(start: &str, end: &str) -> Value {
        json!({"id": "PW1", "type": "maintenance_window", "summary": "Drill", "self": "x",
            "html_url": "https://x.pagerduty.com/maintenance_windows#PW1", "sequence_number": 3,
            "start_time": start, "end_time": end, "description": "Drill",
            "services": [{"id": "PS1", "type": "service_reference", "summary": "Payments API", "self": "s"}],
            "teams": [{"id": "PT1", "type": "team_reference", "summary": "Payments"}],
            "created_by": {"id": "PU1", "type": "user_reference", "summary": "Jordan Lee"}})
    }

    fn projected(start: &str, end: &str) -> Value {
        json!({"id": "PW1", "sequence_number": 3, "start_time": start, "end_time": end,
            "description": "Drill", "services": [{"id": "PS1", "summary": "Payments API"}],
            "teams": [{"id": "PT1", "summary": "Payments"}], "created_by": {"id": "PU1", "summary": "Jordan Lee"},
            "html_url": "https://x.pagerduty.com/maintenance_windows#PW1"})
    }

    const START: &str = "2026-11-24T06:00:00Z";
    const END: &str = "2026-11-24T09:00:00Z";

    #[test]
    fn list_sends_open_by_default_and_the_filters() {
        let c = call(
            "list_maintenance_windows",
            json!({}),
            vec![page("maintenance_windows", vec![window(START, END)], false)],
        );
        assert_eq!(
            c.sent,
            ["/maintenance_windows?filter=open&limit=100&offset=0"]
        );
        assert_eq!(
            c.envelope["maintenance_windows"],
            json!([projected(START, END)])
        );
        let c = call(
            "list_maintenance_windows",
            json!({"service_ids": ["PS1", "PS2"], "team_ids": ["PT1"], "filter": "past", "limit": 5}),
            vec![page("maintenance_windows", vec![], false)],
        );
        assert_eq!(
            c.sent,
            [
                "/maintenance_windows?service_ids[]=PS1&service_ids[]=PS2&team_ids[]=PT1&filter=past&limit=5&offset=0"
            ]
        );
        assert_refused(
            "list_maintenance_windows",
            json!({"filter": "soon"}),
            "INVALID_PARAMETER",
        );
        assert_refused(
            "list_maintenance_windows",
            json!({"service_ids": ["P-1"]}),
            "INVALID_SERVICE_ID",
        );
        assert_refused(
            "list_maintenance_windows",
            json!({"team_ids": ["P 1"]}),
            "INVALID_TEAM_ID",
        );
    }

    #[test]
    fn get_maintenance_window() {
        let c = call(
            "get_maintenance_window",
            json!({"maintenance_window_id": "PW1"}),
            vec![json_response(
                200,
                json!({"maintenance_window": window(START, END)}),
            )],
        );
        assert_eq!(c.sent, ["/maintenance_windows/PW1"]);
        assert_eq!(
            c.envelope["maintenance_windows"],
            json!([projected(START, END)])
        );
        assert_refused("get_maintenance_window", json!({}), "MISSING_PARAMETER");
        assert_refused(
            "get_maintenance_window",
            json!({"maintenance_window_id": "PW/1"}),
            "INVALID_MAINTENANCE_WINDOW_ID",
        );
    }

    #[test]
    fn create_posts_the_window_once_with_from() {
        let start = "2026-11-25T01:00:00+01:00";
        let end = "2026-11-25T03:00:00Z";
        let c = call_as_me(
            "create_maintenance_window",
            json!({"service_ids": ["PS1", "PS2", "PS1"], "start": start, "end": end, "description": "Drill"}),
            201,
            json!({"maintenance_window": window(start, end)}),
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(c.sent, ["/users/me", "/maintenance_windows"]);
        c.assert_write(1, Method::Post);
        assert_eq!(
            c.body(1),
            json!({"maintenance_window": {"type": "maintenance_window", "start_time": start, "end_time": end,
                "description": "Drill", "services": [
                    {"id": "PS1", "type": "service_reference"}, {"id": "PS2", "type": "service_reference"}]}})
        );
        assert_eq!(
            c.envelope["maintenance_windows"],
            json!([projected(start, end)])
        );
        // Without a description none is sent.
        let c = call_as_me(
            "create_maintenance_window",
            json!({"service_ids": ["PS1"], "start": START, "end": END}),
            201,
            json!({"maintenance_window": window(START, END)}),
        );
        assert!(c.body(1)["maintenance_window"].get("description").is_none());
    }

    #[test]
    fn create_validates_before_sending() {
        let ok = json!({"service_ids": ["PS1"], "start": START, "end": END});
        for (field, value, code) in [
            ("service_ids", json!([]), "MISSING_PARAMETER"),
            ("service_ids", json!(["P@1"]), "INVALID_SERVICE_ID"),
            ("start", json!(null), "MISSING_PARAMETER"),
            ("end", json!(""), "MISSING_PARAMETER"),
            ("start", json!("tomorrow"), "INVALID_PARAMETER"),
            ("end", json!("2026-11-25 03:00"), "INVALID_PARAMETER"),
            ("description", json!("x".repeat(1001)), "INVALID_PARAMETER"),
        ] {
            let mut args = ok.clone();
            args[field] = value;
            assert_refused("create_maintenance_window", args, code);
        }
        // The start must be before the end.
        for (start, end) in [
            (END, START),
            (START, START),
            ("2026-11-24T10:00:00+01:00", START),
        ] {
            let c = assert_refused(
                "create_maintenance_window",
                json!({"service_ids": ["PS1"], "start": start, "end": end}),
                "INVALID_PARAMETER",
            );
            assert!(
                c.message().contains("must be before 'end'"),
                "{}",
                c.message()
            );
        }
    }

    /// Deletes window `PW1`, which runs from `start` to `end`, PagerDuty answering
    /// the `DELETE` with `status`.
    fn delete_window(start: &str, end: &str, status: u16) -> Called {
        call(
            "delete_maintenance_window",
            json!({"maintenance_window_id": "PW1"}),
            vec![
                json_response(200, json!({"maintenance_window": window(start, end)})),
                me_response(&[]),
                empty_response(status),
            ],
        )
    }

    #[test]
    fn delete_ends_an_ongoing_window() {
        // The unit tests' now is 2026-11-24T07:00:00Z: the window is ongoing.
        let c = delete_window(START, END, 204);
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(
            c.sent,
            [
                "/maintenance_windows/PW1",
                "/users/me",
                "/maintenance_windows/PW1"
            ]
        );
        c.assert_write(2, Method::Delete);
        assert!(c.requests[2].body.is_none());
        let mut expected = projected(START, END);
        expected["outcome"] = json!("ended");
        assert_eq!(c.envelope["maintenance_windows"], json!([expected]));
        assert!(
            c.envelope["metadata"]["description"]
                .as_str()
                .unwrap()
                .contains("ended now")
        );
    }

    #[test]
    fn delete_deletes_a_future_window() {
        let (start, end) = ("2026-11-30T01:00:00Z", "2026-11-30T02:00:00Z");
        let c = delete_window(start, end, 204);
        assert_eq!(
            c.envelope["maintenance_windows"][0]["outcome"],
            json!("deleted")
        );
    }

    #[test]
    fn delete_explains_a_refused_past_window_and_a_missing_one() {
        let (start, end) = ("2026-11-20T01:00:00Z", "2026-11-20T02:00:00Z");
        let c = delete_window(start, end, 405);
        assert_eq!(c.code(), "UPSTREAM_ERROR");
        let message = c.message();
        assert!(
            message.contains("already ended (end_time 2026-11-20T02:00:00Z)"),
            "{message}"
        );
        assert_eq!(c.requests.len(), 3, "the delete is sent once");
        let c = call(
            "delete_maintenance_window",
            json!({"maintenance_window_id": "PW1"}),
            vec![not_found_response()],
        );
        assert_eq!(c.code(), "NOT_FOUND");
        assert_eq!(c.sent, ["/maintenance_windows/PW1"], "nothing deleted");
        assert_refused(
            "delete_maintenance_window",
            json!({"maintenance_window_id": "P.1"}),
            "INVALID_MAINTENANCE_WINDOW_ID",
        );
        assert_refused("delete_maintenance_window", json!({}), "MISSING_PARAMETER");
    }
}

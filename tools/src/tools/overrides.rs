//! Schedule overrides: who covers a schedule instead of its rotation, listed,
//! created and deleted (write tools).

use super::{SINCE, UNTIL, reference_to, schedules};
use crate::args::{Args, LIMIT, Param, ParamKind, ids};
use crate::catalog::{Access, Operation, Projection, Run, Tool};
use crate::context::Call;
use crate::envelope::Output;
use crate::error::{ErrorCode, ToolError, ToolResult};
use crate::http::Method;
use crate::projection::project;
use crate::toolsets::Toolset;
use serde_json::{Value, json};

/// The fields of an override.
const OVERRIDE_FIELDS: &[&str] = &["id", "user", "start", "end"];

/// [`schedules::SCHEDULE_ID`] with the override tools' example ID.
const SCHEDULE_ID: Param = Param {
    description: "The schedule's ID, e.g. 'PXXEGQZ'.",
    ..schedules::SCHEDULE_ID
};

/// The operations of a write: the call itself, and `GET /users/me` for the `From`
/// address when none is configured.
const CREATE: &[Operation] = &[
    Operation::post("/schedules/{id}/overrides"),
    Operation::get("/users/me"),
];

const DELETE: &[Operation] = &[
    Operation::delete("/schedules/{id}/overrides/{override_id}"),
    Operation::get("/users/me"),
];

/// The override tools; the write tools are offered only when enabled.
pub const TOOLS: &[Tool] = &[
    Tool {
        toolset: Toolset::Oncall,
        name: "list_schedule_overrides",
        title: "List schedule overrides",
        description: "List a schedule's overrides (who covers instead of the rotation, from start to end) that \
            overlap the window since..until, by default from now to 7 days ahead; each is cut to the window.",
        resource: "overrides",
        params: &[SCHEDULE_ID, SINCE, UNTIL, LIMIT],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/schedules/{id}/overrides")],
        example: r#"{"schedule_id": "PXXEGQZ", "since": "2026-01-10T00:00:00Z", "until": "2026-01-24T00:00:00Z"}"#,
        run: Run::Unpaged {
            key: "overrides",
            query: schedules::WINDOW,
            project: Projection::Fields(OVERRIDE_FIELDS),
        },
    },
    Tool {
        toolset: Toolset::Oncall,
        name: "create_schedule_override",
        title: "Create schedule override",
        description: "WRITE: put a user on call on a schedule from start to end instead of its rotation (e.g. to \
            cover a shift). Where overrides overlap, the one created last wins. PagerDuty refuses an override \
            that ends in the past. Each call creates another override. Returns the created override.",
        resource: "overrides",
        params: &[
            SCHEDULE_ID,
            Param {
                name: "user_id",
                kind: ParamKind::Id(ids::USER),
                required: true,
                description: "The user who is on call during the override, e.g. 'PD6TBSU'.",
            },
            Param {
                name: "start",
                kind: ParamKind::Timestamp,
                required: true,
                description: "When the override starts, ISO 8601 with offset or Z, e.g. 2026-01-16T09:00:00Z.",
            },
            Param {
                name: "end",
                kind: ParamKind::Timestamp,
                required: true,
                description: "When the override ends, ISO 8601 with offset or Z; after 'start' and not in the past.",
            },
        ],
        access: Access::Write {
            destructive: false,
            idempotent: false,
        },
        user_context: None,
        operations: CREATE,
        example: r#"{"schedule_id": "PXXEGQZ", "user_id": "PD6TBSU", "start": "2026-01-16T09:00:00Z", "end": "2026-01-16T17:00:00Z"}"#,
        run: Run::Custom(create_schedule_override),
    },
    Tool {
        toolset: Toolset::Oncall,
        name: "delete_schedule_override",
        title: "Delete schedule override",
        description: "WRITE: remove a schedule override, giving the shift back to the rotation. A future override \
            is deleted; one in progress is ended now (PagerDuty keeps its past part); a past one cannot be \
            removed. Returns the override's ID and what happened (deleted or ended_now).",
        resource: "overrides",
        params: &[
            SCHEDULE_ID,
            Param {
                name: "override_id",
                kind: ParamKind::Id(ids::OVERRIDE),
                required: true,
                description: "The override's ID (from list_schedule_overrides), e.g. 'Q3X6MJ1LUKD6QW'.",
            },
        ],
        access: Access::Write {
            destructive: true,
            idempotent: true,
        },
        user_context: None,
        operations: DELETE,
        example: r#"{"schedule_id": "PXXEGQZ", "override_id": "Q8L3ZQ4Z0BQXN1"}"#,
        run: Run::Custom(delete_schedule_override),
    },
];

fn overrides_path(args: &Args) -> String {
    format!("/schedules/{}/overrides", args.required("schedule_id"))
}

fn create_schedule_override(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    // Both are required, so validation guarantees them.
    let (Some((start, start_text)), Some((end, end_text))) = (
        args.time("start").zip(args.timestamp("start")),
        args.time("end").zip(args.timestamp("end")),
    ) else {
        unreachable!("validation rejects calls without 'start' or 'end'")
    };
    if start >= end {
        return Err(ToolError::invalid(format!(
            "'start' ({start_text}) must be before 'end' ({end_text})"
        )));
    }
    let body = json!({"overrides": [{
        "start": start_text,
        "end": end_text,
        "user": reference_to(args.required("user_id"), "user"),
    }]});
    let answer = call.write(Method::Post, &overrides_path(args), &body)?;
    // PagerDuty answers 201 with one result per requested override, each with its
    // own status: a refused override is an error carrying PagerDuty's reasons.
    let result = answer
        .as_array()
        .and_then(|results| results.first())
        .ok_or_else(|| {
            ToolError::new(
                ErrorCode::UpstreamError,
                "PagerDuty's answer to POST /schedules/{id}/overrides has no override result",
            )
        })?;
    let status = result
        .get("status")
        .and_then(Value::as_f64)
        .map_or(201, |s| s as u16);
    if !(200..300).contains(&status) {
        return Err(refused(status, result));
    }
    Ok(Output::one(project(
        result.get("override").unwrap_or(&Value::Null),
        OVERRIDE_FIELDS,
    )))
}

/// The error of an override PagerDuty refused with `status`: its reasons, under
/// the code the status means elsewhere.
fn refused(status: u16, result: &Value) -> ToolError {
    let reasons: Vec<&str> = result
        .get("errors")
        .and_then(Value::as_array)
        .map(|e| e.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let reasons = if reasons.is_empty() {
        "no reason given".to_string()
    } else {
        reasons.join("; ")
    };
    let code = match status {
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        _ => ErrorCode::UpstreamError,
    };
    ToolError {
        upstream_status: Some(status),
        ..ToolError::new(
            code,
            format!(
                "PagerDuty refused the override ({status}): {}",
                crate::error::cut_text(&reasons, crate::client::MAX_UPSTREAM_DETAIL_BYTES)
            ),
        )
    }
}

fn delete_schedule_override(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let from = call.from_address()?;
    let path = format!("{}/{}", overrides_path(args), args.required("override_id"));
    let status = call.client.delete(&path, &from)?;
    // PagerDuty: 204 deleted; 200 the override was in progress and now ends now.
    let (result, note) = if status == 200 {
        (
            "ended_now",
            "The override was in progress: PagerDuty ended it now and kept its past part.",
        )
    } else {
        ("deleted", "The override was deleted.")
    };
    Ok(Output {
        note: Some(note.to_string()),
        ..Output::one(json!({
            "id": args.required("override_id"),
            "schedule": {"id": args.required("schedule_id")},
            "result": result,
        }))
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::{
        assert_refused, call, call_as_me, empty_response, json_response, me_response,
    };
    use serde_json::json;

    fn created(id: &str) -> serde_json::Value {
        json!([{"status": 201, "override": {"id": id, "start": "2026-11-25T09:00:00Z", "end": "2026-11-25T17:00:00Z",
            "user": {"id": "PU1", "type": "user_reference", "summary": "Ann", "self": "x"}}}])
    }

    #[test]
    fn list_defaults_to_the_next_seven_days_and_projects() {
        let c = call(
            "list_schedule_overrides",
            json!({"schedule_id": "PS1", "limit": 1}),
            vec![json_response(
                201,
                json!({"overrides": [
                    {"id": "Q1", "start": "2026-11-24T09:00:00Z", "end": "2026-11-24T17:00:00Z", "self": "x",
                     "user": {"id": "PU1", "type": "user_reference", "summary": "Ann", "html_url": "h"}},
                    {"id": "Q2", "start": "2026-11-26T09:00:00Z", "end": "2026-11-26T17:00:00Z",
                     "user": {"id": "PU2", "type": "user_reference", "summary": "Bo"}}]}),
            )],
        );
        assert_eq!(
            c.sent,
            ["/schedules/PS1/overrides?since=2026-11-24T07:00:00Z&until=2026-12-01T07:00:00Z"]
        );
        assert_eq!(
            c.envelope["overrides"],
            json!([{"id": "Q1", "user": {"id": "PU1", "summary": "Ann"}, "start": "2026-11-24T09:00:00Z", "end": "2026-11-24T17:00:00Z"}])
        );
        assert_eq!(c.envelope["metadata"]["has_more"], true);
    }

    #[test]
    fn list_validates_its_arguments() {
        for (args, code) in [
            (json!({}), "MISSING_PARAMETER"),
            (json!({"schedule_id": "P-1"}), "INVALID_SCHEDULE_ID"),
            (
                json!({"schedule_id": "PS1", "since": "2026-11-25T00:00:00Z", "until": "2026-11-24T00:00:00Z"}),
                "INVALID_PARAMETER",
            ),
        ] {
            assert_refused("list_schedule_overrides", args, code);
        }
    }

    #[test]
    fn create_posts_one_override_as_the_current_user() {
        let c = call_as_me(
            "create_schedule_override",
            json!({"schedule_id": "PS1", "user_id": "PU1", "start": "2026-11-25T09:00:00Z", "end": "2026-11-25T17:00:00+00:00"}),
            201,
            created("Q9"),
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(c.sent, ["/users/me", "/schedules/PS1/overrides"]);
        c.assert_write(1, crate::http::Method::Post);
        assert_eq!(
            c.body(1),
            json!({"overrides": [{"start": "2026-11-25T09:00:00Z", "end": "2026-11-25T17:00:00+00:00",
                "user": {"id": "PU1", "type": "user_reference"}}]})
        );
        assert_eq!(
            c.envelope["overrides"],
            json!([{"id": "Q9", "user": {"id": "PU1", "summary": "Ann"}, "start": "2026-11-25T09:00:00Z", "end": "2026-11-25T17:00:00Z"}])
        );
    }

    #[test]
    fn create_requires_start_before_end_and_valid_ids() {
        for (args, code) in [
            (
                json!({"schedule_id": "PS1", "user_id": "PU1", "start": "2026-11-25T17:00:00Z", "end": "2026-11-25T09:00:00Z"}),
                "INVALID_PARAMETER",
            ),
            (
                json!({"schedule_id": "PS1", "user_id": "PU1", "start": "2026-11-25T09:00:00Z", "end": "2026-11-25T10:00:00+01:00"}),
                "INVALID_PARAMETER",
            ),
            (
                json!({"schedule_id": "PS1", "user_id": "P U", "start": "2026-11-25T09:00:00Z", "end": "2026-11-25T17:00:00Z"}),
                "INVALID_USER_ID",
            ),
            (
                json!({"schedule_id": "PS1", "user_id": "PU1", "end": "2026-11-25T17:00:00Z"}),
                "MISSING_PARAMETER",
            ),
            (
                json!({"schedule_id": "PS1", "user_id": "PU1", "start": "tomorrow", "end": "2026-11-25T17:00:00Z"}),
                "INVALID_PARAMETER",
            ),
        ] {
            assert_refused("create_schedule_override", args, code);
        }
    }

    #[test]
    fn a_refused_override_is_an_error_with_pagerdutys_reason() {
        let c = call_as_me(
            "create_schedule_override",
            json!({"schedule_id": "PS1", "user_id": "PU1", "start": "2026-11-20T09:00:00Z", "end": "2026-11-20T17:00:00Z"}),
            201,
            json!([{"status": 400, "errors": ["Override cannot end in the past"],
                    "override": {"start": "2026-11-20T09:00:00Z", "end": "2026-11-20T17:00:00Z", "user": {"id": "PU1", "type": "user_reference"}}}]),
        );
        assert_eq!(c.code(), "UPSTREAM_ERROR");
        let message = c.message();
        assert!(
            message.contains("(400)") && message.contains("Override cannot end in the past"),
            "{message}"
        );
        assert_eq!(c.sent.len(), 2, "the write is sent once");
    }

    #[test]
    fn delete_tells_deleted_from_ended_now() {
        for (status, result) in [(204, "deleted"), (200, "ended_now")] {
            let c = call(
                "delete_schedule_override",
                json!({"schedule_id": "PS1", "override_id": "Q1ABC"}),
                vec![me_response(&[]), empty_response(status)],
            );
            assert!(!c.is_error, "{}", c.envelope);
            assert_eq!(c.sent, ["/users/me", "/schedules/PS1/overrides/Q1ABC"]);
            c.assert_write(1, crate::http::Method::Delete);
            assert!(c.requests[1].body.is_none());
            assert_eq!(
                c.envelope["overrides"],
                json!([{"id": "Q1ABC", "schedule": {"id": "PS1"}, "result": result}])
            );
        }
    }

    #[test]
    fn delete_validates_and_maps_pagerdutys_refusals() {
        assert_refused(
            "delete_schedule_override",
            json!({"schedule_id": "PS1", "override_id": "Q-1"}),
            "INVALID_OVERRIDE_ID",
        );
        assert_refused(
            "delete_schedule_override",
            json!({"schedule_id": "PS1", "override_id": " "}),
            "MISSING_PARAMETER",
        );
        let c = call_as_me(
            "delete_schedule_override",
            json!({"schedule_id": "PS1", "override_id": "Q1"}),
            400,
            json!({"error": {"message": "Invalid Input Provided", "code": 2001,
                    "errors": ["You cannot remove an override that has already ended"]}}),
        );
        assert_eq!(c.code(), "UPSTREAM_ERROR");
        assert!(c.message().contains("already ended"), "{}", c.message());
        assert_eq!(c.sent.len(), 2, "a refused DELETE is not retried");
    }
}

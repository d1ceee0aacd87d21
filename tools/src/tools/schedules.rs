//! Schedules: rotations, and who is on call when.

use super::{QUERY, SINCE, UNTIL};
use crate::args::{LIMIT, Param, ParamKind, ids};
use crate::catalog::{Access, Operation, Projection, QueryFrom, Run, Tool};
use crate::tools::users::project_user;
use crate::toolsets::Toolset;

/// The fields of a schedule in lists.
const SCHEDULE_FIELDS: &[&str] = &[
    "id",
    "name",
    "description",
    "time_zone",
    "teams",
    "escalation_policies",
    "html_url",
];

/// The fields of one schedule: the list fields plus layers and the rendered final schedule.
const SCHEDULE_DETAIL_FIELDS: &[&str] = &[
    "id",
    "name",
    "description",
    "time_zone",
    "teams",
    "escalation_policies",
    "schedule_layers",
    "final_schedule",
    "html_url",
];

/// How far ahead the schedule tools look when no window is given.
const DEFAULT_WINDOW_DAYS: i64 = 7;

/// The `schedule_id` argument of every tool on one schedule.
pub const SCHEDULE_ID: Param = Param {
    name: "schedule_id",
    kind: ParamKind::Id(ids::SCHEDULE),
    required: true,
    description: "The schedule's ID, e.g. 'PI7DH85'.",
};

/// The `since`/`until` window the schedule endpoints render (and the override list
/// covers), from now to 7 days ahead unless given.
pub const WINDOW: QueryFrom = QueryFrom {
    window_days: Some(DEFAULT_WINDOW_DAYS),
    ..QueryFrom::NONE
};

/// The schedule tools.
pub const TOOLS: &[Tool] = &[
    Tool {
        toolset: Toolset::Oncall,
        name: "list_schedules",
        title: "List schedules",
        description: "List on-call schedules (name, time zone, teams, escalation policies using them). \
            Use query to search by name.",
        resource: "schedules",
        params: &[QUERY, LIMIT],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/schedules")],
        example: r#"{"query": "primary"}"#,
        run: Run::List {
            key: "schedules",
            query: QueryFrom::args(&["query"]),
            project: Projection::Fields(SCHEDULE_FIELDS),
        },
    },
    Tool {
        toolset: Toolset::Oncall,
        name: "get_schedule",
        title: "Get schedule",
        description: "Get one schedule with its rotation layers and its rendered final schedule: who is on call \
            when (final_schedule.rendered_schedule_entries) in the window since..until, by default from now \
            to 7 days ahead.",
        resource: "schedules",
        params: &[SCHEDULE_ID, SINCE, UNTIL],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/schedules/{id}")],
        example: r#"{"schedule_id": "PKQVRRY", "since": "2026-01-15T00:00:00Z", "until": "2026-01-22T00:00:00Z"}"#,
        run: Run::Get {
            key: "schedule",
            query: WINDOW,
            project: Projection::Fields(SCHEDULE_DETAIL_FIELDS),
        },
    },
    Tool {
        toolset: Toolset::Oncall,
        name: "list_schedule_users",
        title: "List schedule users",
        description: "List the users on call in a schedule at some point in the window since..until, by default \
            from now to 7 days ahead.",
        resource: "users",
        params: &[SCHEDULE_ID, SINCE, UNTIL, LIMIT],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/schedules/{id}/users")],
        example: r#"{"schedule_id": "PKQVRRY", "since": "2026-01-15T00:00:00Z", "until": "2026-01-22T00:00:00Z"}"#,
        run: Run::Unpaged {
            key: "users",
            query: WINDOW,
            project: Projection::With(project_user),
        },
    },
];

#[cfg(test)]
mod tests {
    use crate::testing::{
        assert_refused, assert_refused_at, calendar_end, call, json_response, page,
    };
    use serde_json::json;

    #[test]
    fn get_schedule_defaults_to_the_next_seven_days_and_keeps_final_schedule() {
        let schedule = json!({"id": "PS1", "name": "Primary", "time_zone": "UTC", "self": "x",
            "final_schedule": {"name": "Final Schedule", "rendered_coverage_percentage": 100.0, "rendered_schedule_entries": [
                {"start": "2026-11-24T00:00:00Z", "end": "2026-11-25T00:00:00Z", "user": {"id": "PU1", "type": "user_reference", "summary": "Ann", "self": "x"}}]}});
        let c = call(
            "get_schedule",
            json!({"schedule_id": "PS1"}),
            vec![json_response(200, json!({"schedule": schedule}))],
        );
        assert_eq!(
            c.sent,
            ["/schedules/PS1?since=2026-11-24T07:00:00Z&until=2026-12-01T07:00:00Z"]
        );
        assert_eq!(
            c.envelope["schedules"][0]["final_schedule"]["rendered_schedule_entries"][0]["user"],
            json!({"id": "PU1", "summary": "Ann"})
        );
    }

    #[test]
    fn window_from_since_alone_and_bad_windows() {
        let c = call(
            "list_schedule_users",
            json!({"schedule_id": "PS1", "since": "2026-12-01T00:00:00+01:00"}),
            vec![json_response(200, json!({"users": []}))],
        );
        assert_eq!(
            c.sent,
            ["/schedules/PS1/users?since=2026-12-01T00:00:00+01:00&until=2026-12-07T23:00:00Z"]
        );
        let c = call(
            "list_schedule_users",
            json!({"schedule_id": "PS1", "until": "2026-11-01T00:00:00Z"}),
            vec![json_response(200, json!({"users": []}))],
        );
        assert_eq!(
            c.sent,
            ["/schedules/PS1/users?since=2026-10-25T00:00:00Z&until=2026-11-01T00:00:00Z"]
        );
        assert_refused(
            "list_schedule_users",
            json!({"schedule_id": "PS1", "since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"}),
            "INVALID_PARAMETER",
        );
        assert_refused(
            "get_schedule",
            json!({"schedule_id": "PS1", "since": "soon"}),
            "INVALID_PARAMETER",
        );
    }

    #[test]
    fn windows_at_the_calendars_ends_are_parameter_errors_not_panics() {
        for (name, at) in [
            ("since", "9999-12-30T00:00:00Z"),
            ("until", "0000-01-01T00:00:00Z"),
        ] {
            let mut args = json!({"schedule_id": "PS1"});
            args[name] = json!(at);
            let c = assert_refused("get_schedule", args, "INVALID_PARAMETER");
            let message = c.message();
            assert!(message.contains(&format!("'{name}'")), "{message}");
        }
    }

    #[test]
    fn a_default_window_past_the_calendar_is_an_error_not_a_panic() {
        // The clock is the host's: even at its far end the arithmetic must not panic.
        assert_refused_at(
            "get_schedule",
            json!({"schedule_id": "PS1"}),
            "INVALID_PARAMETER",
            calendar_end(),
        );
    }

    #[test]
    fn list_schedules_with_query() {
        let c = call(
            "list_schedules",
            json!({"query": "prim"}),
            vec![page(
                "schedules",
                vec![json!({"id": "PS1", "name": "Primary", "schedule_layers": []})],
                false,
            )],
        );
        assert_eq!(c.sent, ["/schedules?query=prim&limit=100&offset=0"]);
        assert_eq!(
            c.envelope["schedules"],
            json!([{"id": "PS1", "name": "Primary"}])
        );
    }
}

//! Change events: deploys, builds and configuration changes sent to PagerDuty by
//! CI/CD and config tools, account-wide or on one service.

use super::services::SERVICE_ID;
use super::{SINCE, UNTIL, list_paged, push_lists};
use crate::args::{Args, LIMIT, Param, ParamKind, ids};
use crate::catalog::{Access, Operation, Projection, QueryFrom, Run, Tool};
use crate::client::Query;
use crate::context::Call;
use crate::envelope::Output;
use crate::error::ToolResult;
use crate::projection::{clean, project};
use crate::toolsets::Toolset;
use serde_json::{Map, Value, json};

/// The fields of a change event an on-call engineer needs (`custom_details` and the
/// correlation reason are projected apart).
pub const CHANGE_EVENT_FIELDS: &[&str] = &[
    "id",
    "summary",
    "timestamp",
    "source",
    "services",
    "integration",
    "links",
    "html_url",
];

/// The most bytes of JSON a change event's `custom_details` keeps whole.
pub const CUSTOM_DETAILS_MAX_BYTES: usize = 2_000;

/// The most bytes of JSON one `custom_details` value keeps when the whole is too big.
const CUSTOM_DETAIL_VALUE_MAX_BYTES: usize = 200;

/// A change event projected to [`CHANGE_EVENT_FIELDS`], its `custom_details` kept
/// small ([`small_custom_details`]) and, for correlated events, the reason as
/// `correlation_reason` (`most_recent`, `related_service`, `intelligent`).
pub fn project_change_event(event: &Value) -> Value {
    let mut out = project(event, CHANGE_EVENT_FIELDS);
    if let Some(details) = event
        .get("custom_details")
        .and_then(|d| clean("custom_details", d))
    {
        let (details, cut) = small_custom_details(details);
        out["custom_details"] = details;
        if cut {
            out["custom_details_truncated"] = json!(true);
        }
    }
    if let Some(reason) = event
        .get("correlation_reason")
        .and_then(|r| r.get("reason"))
        .filter(|r| !r.is_null())
    {
        out["correlation_reason"] = reason.clone();
    }
    out
}

/// `custom_details` whole when its JSON fits [`CUSTOM_DETAILS_MAX_BYTES`]; else only
/// its short entries (each at most 200 bytes of JSON) while they fit, and `true`
/// for "cut".
fn small_custom_details(details: Value) -> (Value, bool) {
    if details.to_string().len() <= CUSTOM_DETAILS_MAX_BYTES {
        return (details, false);
    }
    let Value::Object(entries) = details else {
        let text = details
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| details.to_string());
        let cut: String = text
            .char_indices()
            .take_while(|(i, _)| *i < CUSTOM_DETAILS_MAX_BYTES / 2)
            .map(|(_, c)| c)
            .collect();
        return (Value::String(format!("{cut}…")), true);
    };
    let mut kept = Map::new();
    let mut used = 2;
    for (key, value) in entries {
        let size = key.len() + value.to_string().len() + 4;
        if size - key.len() - 4 > CUSTOM_DETAIL_VALUE_MAX_BYTES {
            continue;
        }
        if used + size > CUSTOM_DETAILS_MAX_BYTES {
            break;
        }
        used += size;
        kept.insert(key, value);
    }
    (Value::Object(kept), true)
}

/// The `since`/`until` window (as the caller wrote it) and the ID-list filters
/// `lists` (PagerDuty's `name[]` parameters).
fn change_event_query(args: &Args, lists: &[&str]) -> Query {
    let mut q = Query::new();
    for name in ["since", "until"] {
        if let Some(t) = args.timestamp(name) {
            q.push(name, t);
        }
    }
    push_lists(&mut q, args, lists);
    q
}

const WINDOW_SINCE: Param = Param {
    description: "Only change events at or after this time, ISO 8601 with offset or Z, e.g. 2026-01-31T09:00:00Z.",
    ..SINCE
};

const WINDOW_UNTIL: Param = Param {
    description: "Only change events before this time, ISO 8601 with offset or Z; must be after 'since'.",
    ..UNTIL
};

/// The change-event tools.
pub const TOOLS: &[Tool] = &[
    Tool {
        toolset: Toolset::Services,
        name: "list_change_events",
        title: "List change events",
        description: "List the account's change events (deploys, builds, configuration changes sent by CI/CD and \
            config tools), newest first: summary, time, source, services, integration, links and custom details. \
            Filter by time window, teams (of the services) or integrations.",
        resource: "change_events",
        params: &[
            WINDOW_SINCE,
            WINDOW_UNTIL,
            Param {
                name: "team_ids",
                kind: ParamKind::IdList(ids::TEAM),
                required: false,
                description: "Only change events on services of these teams.",
            },
            Param {
                name: "integration_ids",
                kind: ParamKind::IdList(ids::INTEGRATION),
                required: false,
                description: "Only change events sent through these integrations.",
            },
            LIMIT,
        ],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/change_events")],
        example: r#"{"team_ids": ["PD9Q2HX"], "limit": 5}"#,
        run: Run::Custom(list_change_events),
    },
    Tool {
        toolset: Toolset::Services,
        name: "get_change_event",
        title: "Get change event",
        description: "Get one change event by ID: summary, time, source, services, integration, links and \
            custom details (e.g. version, commit, author).",
        resource: "change_events",
        params: &[Param {
            name: "change_event_id",
            kind: ParamKind::Id(ids::CHANGE_EVENT),
            required: true,
            description: "The change event's ID, e.g. '01BBYA6PEVW6A852BUO6QYUE7O'.",
        }],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/change_events/{id}")],
        example: r#"{"change_event_id": "0SUNVK9Z0EL688RGPSM19YZPEW"}"#,
        run: Run::Get {
            key: "change_event",
            query: QueryFrom::NONE,
            project: Projection::With(project_change_event),
        },
    },
    Tool {
        toolset: Toolset::Services,
        name: "list_service_change_events",
        title: "List service change events",
        description: "List the change events (deploys, builds, configuration changes) of one service, newest \
            first: summary, time, source, integration, links and custom details. Filter by time window.",
        resource: "change_events",
        params: &[SERVICE_ID, WINDOW_SINCE, WINDOW_UNTIL, LIMIT],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/services/{id}/change_events")],
        example: r#"{"service_id": "PLA4VTH", "limit": 5}"#,
        run: Run::Custom(list_service_change_events),
    },
];

fn list_change_events(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let q = change_event_query(args, &["team_ids", "integration_ids"]);
    list_paged(
        call,
        "/change_events",
        &q,
        "change_events",
        args,
        project_change_event,
    )
}

fn list_service_change_events(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let q = change_event_query(args, &[]);
    let path = format!("/services/{}/change_events", args.required("service_id"));
    list_paged(call, &path, &q, "change_events", args, project_change_event)
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_refused, call, json_response, not_found_response, page};
    use serde_json::json;

    fn change_event(id: &str) -> serde_json::Value {
        json!({"id": id, "type": "change_event", "summary": "Deploy api v1.2.3", "self": null,
            "timestamp": "2026-11-20T09:40:00Z", "source": "github-actions", "routing_key": "r1",
            "services": [{"id": "PS1", "type": "service_reference", "summary": "API", "self": "x", "html_url": "y"}],
            "integration": {"id": "PI1", "type": "inbound_integration_reference", "summary": "Deploys", "self": "x"},
            "links": [{"href": "https://github.com/acme/api/pull/7", "text": "PR #7"}], "images": [],
            "custom_details": {"version": "1.2.3", "commit": "abc123", "empty": null}})
    }

    const PROJECTED: &str = r#"{"id": "E1", "summary": "Deploy api v1.2.3", "timestamp": "2026-11-20T09:40:00Z",
        "source": "github-actions", "services": [{"id": "PS1", "summary": "API"}],
        "integration": {"id": "PI1", "summary": "Deploys"},
        "links": [{"href": "https://github.com/acme/api/pull/7", "text": "PR #7"}],
        "custom_details": {"version": "1.2.3", "commit": "abc123"}}"#;

    #[test]
    fn list_change_events_sends_window_and_filters() {
        let c = call(
            "list_change_events",
            json!({"since": "2026-11-01T00:00:00Z", "until": "2026-11-02T00:00:00+01:00",
                "team_ids": ["PT1", "PT2"], "integration_ids": ["PI1"], "limit": 3}),
            vec![page("change_events", vec![change_event("E1")], false)],
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(
            c.sent,
            [
                "/change_events?since=2026-11-01T00:00:00Z&until=2026-11-02T00:00:00+01:00&team_ids[]=PT1&team_ids[]=PT2&integration_ids[]=PI1&limit=3&offset=0"
            ]
        );
        let projected: serde_json::Value = serde_json::from_str(PROJECTED).unwrap();
        assert_eq!(c.envelope["change_events"], json!([projected]));
    }

    #[test]
    fn list_change_events_pages_up_to_limit() {
        let first: Vec<_> = (0..100).map(|i| change_event(&format!("E{i}"))).collect();
        let second: Vec<_> = (100..150).map(|i| change_event(&format!("E{i}"))).collect();
        let c = call(
            "list_change_events",
            json!({"limit": 150}),
            vec![
                page("change_events", first, true),
                page("change_events", second, true),
            ],
        );
        assert_eq!(
            c.sent,
            [
                "/change_events?limit=100&offset=0",
                "/change_events?limit=50&offset=100"
            ]
        );
        assert_eq!(c.envelope["metadata"]["count"], 150);
        assert_eq!(c.envelope["metadata"]["has_more"], true);
    }

    #[test]
    fn list_change_events_validates() {
        let cases = [
            (json!({"team_ids": ["PT1", "P T2"]}), "INVALID_TEAM_ID"),
            (
                json!({"integration_ids": ["PI-1"]}),
                "INVALID_INTEGRATION_ID",
            ),
            (
                json!({"since": "2026-11-02T00:00:00Z", "until": "2026-11-02T00:00:00Z"}),
                "INVALID_PARAMETER",
            ),
            (
                json!({"since": "2026-11-03T00:00:00Z", "until": "2026-11-02T00:00:00Z"}),
                "INVALID_PARAMETER",
            ),
            (json!({"since": "yesterday"}), "INVALID_PARAMETER"),
            (json!({"service_ids": ["PS1"]}), "INVALID_PARAMETER"),
        ];
        for (args, code) in cases {
            assert_refused("list_change_events", args, code);
        }
    }

    #[test]
    fn get_change_event_projects_and_validates() {
        let c = call(
            "get_change_event",
            json!({"change_event_id": "01BBYA6PEVW6A852BUO6QYUE7O"}),
            vec![json_response(
                200,
                json!({"change_event": change_event("E1")}),
            )],
        );
        assert_eq!(c.sent, ["/change_events/01BBYA6PEVW6A852BUO6QYUE7O"]);
        let projected: serde_json::Value = serde_json::from_str(PROJECTED).unwrap();
        assert_eq!(c.envelope["change_events"], json!([projected]));
        assert_refused("get_change_event", json!({}), "MISSING_PARAMETER");
        assert_refused(
            "get_change_event",
            json!({"change_event_id": "  "}),
            "MISSING_PARAMETER",
        );
        assert_refused(
            "get_change_event",
            json!({"change_event_id": "01B/../x"}),
            "INVALID_CHANGE_EVENT_ID",
        );
        let c = call(
            "get_change_event",
            json!({"change_event_id": "NOPE"}),
            vec![not_found_response()],
        );
        assert_eq!(c.code(), "NOT_FOUND");
    }

    #[test]
    fn list_service_change_events_sends_its_window_only() {
        let c = call(
            "list_service_change_events",
            json!({"service_id": "PS1", "since": "2026-11-01T00:00:00Z"}),
            vec![page("change_events", vec![change_event("E1")], false)],
        );
        assert_eq!(
            c.sent,
            ["/services/PS1/change_events?since=2026-11-01T00:00:00Z&limit=100&offset=0"]
        );
        assert_eq!(c.envelope["change_events"][0]["id"], "E1");
        let cases = [
            (json!({}), "MISSING_PARAMETER"),
            (json!({"service_id": ""}), "MISSING_PARAMETER"),
            (json!({"service_id": "PS@1"}), "INVALID_SERVICE_ID"),
            (
                json!({"service_id": "PS1", "since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"}),
                "INVALID_PARAMETER",
            ),
            (
                json!({"service_id": "PS1", "team_ids": ["PT1"]}),
                "INVALID_PARAMETER",
            ),
        ];
        for (args, code) in cases {
            assert_refused("list_service_change_events", args, code);
        }
    }

    #[test]
    fn big_custom_details_are_cut_to_their_short_entries() {
        let mut event = change_event("E1");
        event["custom_details"] = json!({"version": "2.0.0", "diff": "x".repeat(5_000),
            "author": "ann@example.com"});
        let c = call(
            "get_change_event",
            json!({"change_event_id": "E1"}),
            vec![json_response(200, json!({"change_event": event}))],
        );
        let e = &c.envelope["change_events"][0];
        assert_eq!(
            e["custom_details"],
            json!({"version": "2.0.0", "author": "ann@example.com"})
        );
        assert_eq!(e["custom_details_truncated"], true);
        let mut event = change_event("E1");
        event["custom_details"] = json!("y".repeat(5_000));
        let c = call(
            "get_change_event",
            json!({"change_event_id": "E1"}),
            vec![json_response(200, json!({"change_event": event}))],
        );
        let e = &c.envelope["change_events"][0];
        assert!(e["custom_details"].as_str().unwrap().len() < 1_100);
        assert_eq!(e["custom_details_truncated"], true);
    }
}

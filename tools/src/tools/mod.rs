//! The PagerDuty tools, one file per resource. Each tool is one declarative
//! [`Tool`](crate::catalog::Tool) entry; the mechanics they share are below.

pub mod business_services;
pub mod change_events;
pub mod escalation_policies;
pub mod handoff;
pub mod incident_context;
pub mod incident_response;
pub mod incidents;
pub mod log_entries;
pub mod maintenance_windows;
pub mod oncalls;
pub mod overrides;
pub mod schedules;
pub mod services;
pub mod teams;
pub mod users;

use crate::args::{Args, Param, ParamKind, format_timestamp};
use crate::catalog::Tool;
use crate::client::{Page, Query};
use crate::context::Call;
use crate::envelope::Output;
use crate::error::{ToolError, ToolResult};
use crate::streamed::{Item, Spec};
use serde_json::Value;
use time::OffsetDateTime;

/// Every tool group, in catalog order (within a toolset, tools are listed in this
/// order; toolsets are listed in [`crate::toolsets::Toolset::ALL`] order).
pub const ALL: &[&[Tool]] = &[
    incidents::TOOLS,
    log_entries::TOOLS,
    incident_context::TOOLS,
    incident_response::TOOLS,
    oncalls::TOOLS,
    schedules::TOOLS,
    overrides::TOOLS,
    handoff::TOOLS,
    escalation_policies::TOOLS,
    services::TOOLS,
    business_services::TOOLS,
    change_events::TOOLS,
    maintenance_windows::TOOLS,
    users::TOOLS,
    teams::TOOLS,
];

/// The `query` argument of list tools.
pub const QUERY: Param = Param {
    name: "query",
    kind: ParamKind::Text { max_chars: 200 },
    required: false,
    description: "Case-insensitive search on the name (for users also the email); returns only matches.",
};

/// A `since` argument (start of a time window).
pub const SINCE: Param = Param {
    name: "since",
    kind: ParamKind::Timestamp,
    required: false,
    description: "Start of the time window, ISO 8601 with offset or Z, e.g. 2026-01-31T09:00:00Z.",
};

/// An `until` argument (end of a time window).
pub const UNTIL: Param = Param {
    name: "until",
    kind: ParamKind::Timestamp,
    required: false,
    description: "End of the time window, ISO 8601 with offset or Z; must be after 'since'.",
};

/// The read tools' MCP description of the one-item envelope.
pub const ONE_ITEM: &str = "The result is an envelope whose list holds the one resource.";

/// A reference PagerDuty takes in request bodies: `{"id", "type": "<kind>_reference"}`.
pub fn reference_to(id: &str, kind: &str) -> Value {
    serde_json::json!({"id": id, "type": format!("{kind}_reference")})
}

/// A query carrying the `query` argument, when the caller passed one.
pub fn search_query(args: &Args) -> Query {
    let mut q = Query::new();
    if let Some(query) = args.text("query") {
        q.push("query", query);
    }
    q
}

/// Adds each list argument of `names` the caller passed as PagerDuty's `name[]`
/// array parameter (the argument names are PagerDuty's, without the brackets).
pub fn push_lists(q: &mut Query, args: &Args, names: &[&str]) {
    for name in names {
        if let Some(values) = args.list(name) {
            q.push_all(&format!("{name}[]"), values);
        }
    }
}

/// The team filter of tools whose context is "my teams": the caller's teams with
/// `current_user_context=true`, else the `team_ids` argument.
pub fn team_filter(call: &mut Call<'_>, args: &Args) -> ToolResult<Vec<String>> {
    if args.flag("current_user_context") {
        call.my_team_ids()
    } else {
        Ok(args.list("team_ids").unwrap_or_default().to_vec())
    }
}

/// `GET path`, the object under `key`, projected with `project`.
pub fn get_one(
    call: &mut Call<'_>,
    path: &str,
    query: &Query,
    key: &str,
    project: impl Fn(&Value) -> Value,
) -> ToolResult<Output> {
    let body = call.client.get(path, query)?;
    let resource = body.get(key).ok_or_else(|| missing_key(path, key))?;
    Ok(Output::one(project(resource)))
}

/// Pages through a classic-paginated list up to the `limit` argument and projects
/// each item with `each`.
pub fn list_paged(
    call: &mut Call<'_>,
    path: &str,
    query: &Query,
    key: &str,
    args: &Args,
    each: impl Fn(&Value) -> Value,
) -> ToolResult<Output> {
    let page = call.client.list(path, query, key, args.limit())?;
    Ok(Output {
        has_more: page.has_more,
        truncated: page.truncated,
        ..Output::items(page.items.iter().map(each).collect())
    })
}

/// [`list_paged`] for a projection to fields ([`crate::projection::project`], and
/// `spec.shrink`): each item projected as it is read ([`crate::streamed`]), the
/// cheap way through a long list. [`projected_output`] makes the output of it.
pub fn list_projected(
    call: &mut Call<'_>,
    path: &str,
    query: &Query,
    spec: &Spec<'_>,
    args: &Args,
) -> ToolResult<Page<Item>> {
    call.client.list_projected(path, query, spec, args.limit())
}

/// [`list_projected`] to `fields` (nothing shrunk), as the tool's output.
pub fn list_fields(
    call: &mut Call<'_>,
    path: &str,
    query: &Query,
    key: &str,
    fields: &[&str],
    args: &Args,
) -> ToolResult<Output> {
    let spec = Spec {
        key,
        fields,
        shrink: None,
    };
    Ok(projected_output(list_projected(
        call, path, query, &spec, args,
    )?))
}

/// The output of projected items.
pub fn projected_output(page: Page<Item>) -> Output {
    Output {
        has_more: page.has_more,
        truncated: page.truncated,
        rendered: page.items.into_iter().map(|item| item.json).collect(),
        ..Output::default()
    }
}

/// A list PagerDuty does not paginate: fetched whole, projected, cut to `limit`.
pub fn list_unpaged(
    call: &mut Call<'_>,
    path: &str,
    query: &Query,
    key: &str,
    args: &Args,
    each: impl Fn(&Value) -> Value,
) -> ToolResult<Output> {
    let body = call.client.get(path, query)?;
    let items = body
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| missing_key(path, key))?;
    let limit = args.limit();
    Ok(Output {
        has_more: items.len() > limit,
        ..Output::items(items.iter().take(limit).map(each).collect())
    })
}

/// The `since`/`until` window: `default_days` long, from now when neither is given,
/// ending at `until` when only that is given. The arithmetic is checked: a window
/// that would leave the calendar is `INVALID_PARAMETER` naming the argument, never a
/// panic or an empty timestamp.
pub fn window(call: &Call<'_>, args: &Args, default_days: i64) -> ToolResult<(String, String)> {
    let length = time::Duration::days(default_days);
    let shifted = |name: &str, t: Option<OffsetDateTime>| {
        t.ok_or_else(|| {
            ToolError::invalid(format!(
                "The {default_days}-day window from '{name}' leaves the calendar; pass both 'since' and 'until'"
            ))
        })
    };
    let (since, until) = match (args.time("since"), args.time("until")) {
        (Some(since), Some(until)) => (since, until),
        (Some(since), None) => (since, shifted("since", since.checked_add(length))?),
        (None, Some(until)) => (shifted("until", until.checked_sub(length))?, until),
        (None, None) => (call.now, shifted("now", call.now.checked_add(length))?),
    };
    let show = |name: &str, t: OffsetDateTime| {
        match args.timestamp(name) {
        Some(written) => Ok(written.to_string()),
        None => format_timestamp(t).ok_or_else(|| {
            ToolError::invalid(format!(
                "'{name}', {default_days} days from the other end of the window, cannot be written as a timestamp; pass both 'since' and 'until'"
            ))
        }),
    }
    };
    Ok((show("since", since)?, show("until", until)?))
}

fn missing_key(path: &str, key: &str) -> ToolError {
    ToolError::new(
        crate::error::ErrorCode::UpstreamError,
        format!("PagerDuty's answer to GET {path} has no '{key}'"),
    )
}

//! The on-call handoff: for each escalation policy, who is on call now and next at
//! each level, the open incidents on its services, and what happened during the
//! outgoing shift (the incidents created in the window, counted by status and
//! urgency).
//!
//! Requests, each one page when the lists are short (at most 100 items):
//! * `current_user_context=true` (the default): 5 — `GET /users/me`,
//!   `GET /escalation_policies?team_ids[]=…` (the policies of the user's teams, with
//!   their services), `GET /oncalls` once for all policies (from the on-call instant
//!   over [`NEXT_SHIFT_DAYS`] days with `earliest=true`, so one answer has the
//!   current and the next shift of every level), and `GET /incidents` twice on the
//!   policies' services (the open ones of any age, and those created in the window).
//! * explicit `escalation_policy_ids`: 3 — the same `/oncalls` with
//!   `include[]=escalation_policies`, whose policy objects carry their services (the
//!   spec has no ID filter on `GET /escalation_policies`), and the two `/incidents`;
//!   plus one `GET /escalation_policies/{id}` for each policy nobody is on call for
//!   in that time (it also tells an unknown ID from an empty policy).
//!
//! No `/incidents` request is sent when the policies have no services.

use crate::args::{Args, Param, ParamKind, format_timestamp, ids, parse_timestamp};
use crate::catalog::{Access, Operation, Run, Tool, UserContextRule};
use crate::client::Query;
use crate::context::Call;
use crate::envelope::Output;
use crate::error::{ErrorCode, ToolError, ToolResult};
use crate::projection::id_of;
use crate::tools::incidents::STATUSES;
use crate::toolsets::Toolset;
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

/// The length of the outgoing shift when `since`/`until` are not both given.
const SHIFT_HOURS: i64 = 12;

/// How far after the on-call instant the next shift is looked for.
pub const NEXT_SHIFT_DAYS: i64 = 31;

/// The most incidents read for each of the two incident lists (5 pages).
const MAX_INCIDENTS: usize = 500;

/// The most escalation policies one call takes explicitly.
const MAX_POLICIES: usize = 20;

/// The incident urgencies.
const URGENCIES: &[&str] = &["high", "low"];

/// The handoff tool.
pub const TOOLS: &[Tool] = &[Tool {
    toolset: Toolset::Oncall,
    name: "get_oncall_handoff",
    title: "Get on-call handoff",
    description: "Prepare an on-call handoff, one item per escalation policy: who is on call now at each level \
        (user, schedule, shift end) and who is next (user, shift start); the open incidents (triggered, \
        acknowledged) on the policy's services; and the incidents created on them during the outgoing shift \
        since..until (default: the last 12 hours) with counts by status and urgency. 'Now' is the end of the \
        window when it lies in the past. With current_user_context=true (the default) it covers the escalation \
        policies of your teams (5 PagerDuty requests when the lists are short); set it to false and pass \
        escalation_policy_ids instead (3 requests, plus one per policy nobody is on call for).",
    resource: "handoffs",
    params: &[
        Param {
            name: "escalation_policy_ids",
            kind: ParamKind::IdListUpTo {
                id: ids::ESCALATION_POLICY,
                max_items: MAX_POLICIES,
            },
            required: false,
            description: "The escalation policies to hand off (at most 20). Requires current_user_context=false.",
        },
        Param {
            name: "since",
            kind: ParamKind::Timestamp,
            required: false,
            description: "Start of the outgoing shift, ISO 8601 with offset or Z (default: 12 hours before 'until').",
        },
        Param {
            name: "until",
            kind: ParamKind::Timestamp,
            required: false,
            description: "End of the outgoing shift, ISO 8601 with offset or Z; after 'since' (default: now, or \
                12 hours after 'since').",
        },
        Param {
            name: "current_user_context",
            kind: ParamKind::Bool { default: true },
            required: false,
            description: "true (default): the escalation policies of your teams; escalation_policy_ids cannot be \
                passed. false: pass escalation_policy_ids.",
        },
    ],
    access: Access::Read,
    user_context: Some(UserContextRule {
        rejects: &["escalation_policy_ids"],
        requires_one_of: &["escalation_policy_ids"],
    }),
    operations: &[
        Operation::get("/oncalls"),
        Operation::get("/incidents"),
        Operation::get("/users/me"),
        Operation::get("/escalation_policies"),
        Operation::get("/escalation_policies/{id}"),
    ],
    example: r#"{"since": "2026-01-15T00:00:00Z", "until": "2026-01-15T12:00:00Z"}"#,
    run: Run::Custom(get_oncall_handoff),
}];

/// An instant as the caller wrote it (or as it was computed).
struct Instant {
    at: OffsetDateTime,
    text: String,
}

impl Instant {
    fn new(at: OffsetDateTime, name: &str) -> ToolResult<Instant> {
        let text = format_timestamp(at).ok_or_else(|| {
            ToolError::invalid(format!(
                "'{name}' cannot be written as a timestamp; pass both 'since' and 'until'"
            ))
        })?;
        Ok(Instant { at, text })
    }
}

/// The outgoing shift: `since`..`until` as given; a missing end is [`SHIFT_HOURS`]
/// from the other, and both missing end now. Checked arithmetic: a window leaving
/// the calendar is `INVALID_PARAMETER` naming the argument.
fn shift_window(call: &Call<'_>, args: &Args) -> ToolResult<(Instant, Instant)> {
    let length = Duration::hours(SHIFT_HOURS);
    let given = |name: &str| {
        args.time(name)
            .zip(args.timestamp(name))
            .map(|(at, text)| Instant {
                at,
                text: text.to_string(),
            })
    };
    let leaves = |name: &str| {
        ToolError::invalid(format!(
            "The {SHIFT_HOURS}-hour window from '{name}' leaves the calendar; pass both 'since' and 'until'"
        ))
    };
    match (given("since"), given("until")) {
        (Some(since), Some(until)) => Ok((since, until)),
        (Some(since), None) => {
            let until = since
                .at
                .checked_add(length)
                .ok_or_else(|| leaves("since"))?;
            Ok((since, Instant::new(until, "until")?))
        }
        (None, Some(until)) => {
            let since = until
                .at
                .checked_sub(length)
                .ok_or_else(|| leaves("until"))?;
            Ok((Instant::new(since, "since")?, until))
        }
        (None, None) => {
            let since = call.now.checked_sub(length).ok_or_else(|| leaves("now"))?;
            Ok((
                Instant::new(since, "since")?,
                Instant::new(call.now, "until")?,
            ))
        }
    }
}

/// An escalation policy of the handoff.
struct Policy {
    /// Its `{id, summary}`.
    reference: Value,
    id: String,
    /// Its services' IDs.
    service_ids: Vec<String>,
}

impl Policy {
    /// The policy object's ID, name and services; `None` without a `services` list
    /// (a reference, not the policy).
    fn from_object(policy: &Value) -> Option<Policy> {
        let id = id_of(policy)?.to_string();
        let service_ids = policy
            .get("services")?
            .as_array()?
            .iter()
            .filter_map(id_of)
            .map(str::to_string)
            .collect();
        Some(Policy {
            reference: brief(policy).unwrap_or_else(|| json!({"id": id})),
            id,
            service_ids,
        })
    }

    /// A policy as `GET /escalation_policies` lists it: the whole object, so no
    /// `services` means none.
    fn listed(policy: &Value) -> Option<Policy> {
        Policy::from_object(policy).or_else(|| {
            Some(Policy {
                reference: brief(policy)?,
                id: id_of(policy)?.to_string(),
                service_ids: Vec::new(),
            })
        })
    }
}

/// A reference as `{id, summary}` (the summary, else the name).
fn brief(value: &Value) -> Option<Value> {
    let id = id_of(value)?;
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    if let Some(summary) = ["summary", "name"]
        .iter()
        .find_map(|k| value.get(*k).and_then(Value::as_str))
    {
        out.insert("summary".into(), json!(summary));
    }
    Some(Value::Object(out))
}

fn get_oncall_handoff(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let (since, until) = shift_window(call, args)?;
    // "Now" for the on-call levels: the handoff instant of a past window, else now.
    let at = Instant::new(until.at.min(call.now), "until")?;
    let horizon = at
        .at
        .checked_add(Duration::days(NEXT_SHIFT_DAYS))
        .ok_or_else(|| ToolError::invalid("'until' is too close to the end of the calendar"))
        .and_then(|t| Instant::new(t, "until"))?;

    let context = args.flag("current_user_context");
    let mut policies: Vec<Policy> = Vec::new();
    let policy_ids: Vec<String> = if context {
        let mut teams = Query::new();
        teams.push_all("team_ids[]", &call.my_team_ids()?);
        let objects =
            call.client
                .list_all("/escalation_policies", &teams, "escalation_policies")?;
        policies = objects.iter().filter_map(Policy::listed).collect();
        if policies.is_empty() {
            return Err(ToolError::new(
                ErrorCode::UserContextUnavailable,
                "Your teams have no escalation policies, so there is nothing to hand off. Pass \
                 current_user_context=false together with escalation_policy_ids instead.",
            ));
        }
        policies.iter().map(|p| p.id.clone()).collect()
    } else {
        args.list("escalation_policy_ids")
            .unwrap_or_default()
            .to_vec()
    };

    let mut q = Query::new();
    q.push_all("escalation_policy_ids[]", &policy_ids)
        .push("since", at.text.as_str())
        .push("until", horizon.text.as_str())
        .push("earliest", "true");
    if !context {
        q.push("include[]", "escalation_policies");
    }
    let oncalls = call.client.list_all("/oncalls", &q, "oncalls")?;

    if !context {
        for id in &policy_ids {
            let embedded = oncalls
                .iter()
                .filter_map(|o| o.get("escalation_policy"))
                .filter(|p| id_of(p) == Some(id.as_str()))
                .find_map(Policy::from_object);
            let policy = match embedded {
                Some(policy) => policy,
                None => {
                    let path = format!("/escalation_policies/{id}");
                    let body = call.client.get(&path, &Query::new())?;
                    body.get("escalation_policy")
                        .and_then(Policy::from_object)
                        .ok_or_else(|| {
                            ToolError::new(
                                ErrorCode::UpstreamError,
                                format!("PagerDuty's answer to GET {path} has no 'escalation_policy' with services"),
                            )
                        })?
                }
            };
            policies.push(policy);
        }
    }

    let mut service_ids: Vec<String> = Vec::new();
    for id in policies.iter().flat_map(|p| &p.service_ids) {
        if !service_ids.contains(id) {
            service_ids.push(id.clone());
        }
    }
    let (open, in_window, cut) = if service_ids.is_empty() {
        (Vec::new(), Vec::new(), false)
    } else {
        let mut services = Query::new();
        services.push_all("service_ids[]", &service_ids);
        let mut open_q = services.clone();
        open_q
            .push_all("statuses[]", &["triggered", "acknowledged"])
            .push("date_range", "all")
            .push("sort_by", "created_at:desc");
        let mut window_q = services;
        window_q
            .push("since", since.text.as_str())
            .push("until", until.text.as_str())
            .push("sort_by", "created_at:desc");
        let open = call
            .client
            .list("/incidents", &open_q, "incidents", MAX_INCIDENTS)?;
        let in_window = call
            .client
            .list("/incidents", &window_q, "incidents", MAX_INCIDENTS)?;
        let cut = open.has_more || in_window.has_more;
        (open.items, in_window.items, cut)
    };

    let items = policies
        .iter()
        .map(|p| handoff(p, &oncalls, at.at, &open, &in_window))
        .collect();
    let mut note = format!(
        "Outgoing shift {} to {}; on call at {} and next within {NEXT_SHIFT_DAYS} days",
        since.text, until.text, at.text
    );
    if cut {
        note.push_str(&format!(
            ". More than {MAX_INCIDENTS} incidents matched: the incident lists and counts cover the newest \
             {MAX_INCIDENTS}; pass fewer escalation_policy_ids or a shorter window"
        ));
    }
    let mut extra = Map::new();
    extra.insert(
        "window".into(),
        json!({"since": since.text, "until": until.text}),
    );
    extra.insert("on_call_at".into(), json!(at.text));
    Ok(Output {
        truncated: cut,
        extra,
        note: Some(note),
        ..Output::items(items)
    })
}

/// One policy's handoff.
fn handoff(
    policy: &Policy,
    oncalls: &[Value],
    at: OffsetDateTime,
    open: &[Value],
    in_window: &[Value],
) -> Value {
    let shifts: Vec<Shift> = oncalls
        .iter()
        .filter(|o| o.get("escalation_policy").and_then(id_of) == Some(policy.id.as_str()))
        .filter_map(Shift::read)
        .collect();
    let on_policy = |i: &&Value| {
        i.get("service")
            .and_then(id_of)
            .is_some_and(|s| policy.service_ids.iter().any(|id| id == s))
    };
    let open: Vec<Value> = open
        .iter()
        .filter(on_policy)
        .map(project_incident)
        .collect();
    let in_window: Vec<&Value> = in_window.iter().filter(on_policy).collect();
    let mut out = Map::new();
    out.insert("escalation_policy".into(), policy.reference.clone());
    let lists = [
        ("on_call_now", on_call_now(&shifts, at)),
        ("on_call_next", on_call_next(&shifts, at)),
        ("open_incidents", open),
        (
            "incidents_in_window",
            in_window.iter().map(|i| project_incident(i)).collect(),
        ),
    ];
    for (key, list) in lists {
        if !list.is_empty() {
            out.insert(key.into(), Value::Array(list));
        }
    }
    out.insert("counts".into(), counts(&in_window));
    Value::Object(out)
}

/// One on-call entry of `/oncalls`.
struct Shift {
    level: u64,
    user: Value,
    schedule: Option<Value>,
    schedule_id: Option<String>,
    /// `None`: always on call (a user targeted directly).
    start: Option<(OffsetDateTime, String)>,
    end: Option<(OffsetDateTime, String)>,
}

impl Shift {
    fn read(oncall: &Value) -> Option<Shift> {
        let time = |name: &str| {
            let text = oncall.get(name)?.as_str()?;
            Some((parse_timestamp(text)?, text.to_string()))
        };
        let schedule = oncall.get("schedule").filter(|s| !s.is_null());
        Some(Shift {
            level: oncall.get("escalation_level")?.as_u64()?,
            user: brief(oncall.get("user")?)?,
            schedule: schedule.and_then(brief),
            schedule_id: schedule.and_then(id_of).map(str::to_string),
            start: time("start"),
            end: time("end"),
        })
    }

    fn covers(&self, at: OffsetDateTime) -> bool {
        self.start.as_ref().is_none_or(|(s, _)| *s <= at)
            && self.end.as_ref().is_none_or(|(e, _)| *e > at)
    }

    /// `{level, user, schedule}` plus `extra` (the shift's end or start).
    fn render(&self, extra: Option<(&str, &str)>) -> Value {
        let mut out = Map::new();
        out.insert("level".into(), json!(self.level));
        out.insert("user".into(), self.user.clone());
        if let Some(schedule) = &self.schedule {
            out.insert("schedule".into(), schedule.clone());
        }
        if let Some((key, value)) = extra {
            out.insert(key.into(), json!(value));
        }
        Value::Object(out)
    }
}

/// Who is on call at `at`, by level: user, schedule and the shift's end (none for
/// someone always on call).
fn on_call_now(shifts: &[Shift], at: OffsetDateTime) -> Vec<Value> {
    let mut now: Vec<&Shift> = shifts.iter().filter(|s| s.covers(at)).collect();
    now.sort_by_key(|s| s.level);
    now.iter()
        .map(|s| s.render(s.end.as_ref().map(|(_, text)| ("end", text.as_str()))))
        .collect()
}

/// Who is on call next at each level (for each schedule of the level): the shift
/// that starts first after `at`, with its start.
fn on_call_next(shifts: &[Shift], at: OffsetDateTime) -> Vec<Value> {
    let upcoming = |s: &&Shift| s.start.as_ref().is_some_and(|(start, _)| *start > at);
    let mut next: Vec<&Shift> = Vec::new();
    for s in shifts.iter().filter(upcoming) {
        let first = shifts
            .iter()
            .filter(upcoming)
            .filter(|o| o.level == s.level && o.schedule_id == s.schedule_id)
            .filter_map(|o| o.start.as_ref().map(|(t, _)| *t))
            .min();
        if s.start.as_ref().map(|(t, _)| *t) == first {
            next.push(s);
        }
    }
    next.sort_by_key(|s| (s.level, s.start.as_ref().map(|(t, _)| *t)));
    next.iter()
        .map(|s| s.render(s.start.as_ref().map(|(_, text)| ("start", text.as_str()))))
        .collect()
}

/// An incident, compactly: number, title, status, urgency, service, creation and
/// assignees.
fn project_incident(incident: &Value) -> Value {
    let mut out = Map::new();
    let mut keep = |key: &str, value: Option<Value>| {
        if let Some(v) = value.filter(|v| !v.is_null()) {
            out.insert(key.into(), v);
        }
    };
    keep("id", incident.get("id").cloned());
    keep("number", incident.get("incident_number").cloned());
    for field in ["title", "status", "urgency"] {
        keep(field, incident.get(field).cloned());
    }
    keep("service", incident.get("service").and_then(brief));
    keep("created_at", incident.get("created_at").cloned());
    let assignees: Vec<Value> = incident
        .get("assignments")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|a| a.get("assignee").and_then(brief))
                .collect()
        })
        .unwrap_or_default();
    if !assignees.is_empty() {
        keep("assignees", Some(Value::Array(assignees)));
    }
    Value::Object(out)
}

/// The incidents counted by status and by urgency (every value, zeros included).
fn counts(incidents: &[&Value]) -> Value {
    let count_by = |field: &str, values: &[&str]| {
        let mut out = Map::new();
        for value in values {
            let n = incidents
                .iter()
                .filter(|i| i.get(field).and_then(Value::as_str) == Some(value))
                .count();
            out.insert(value.to_string(), json!(n));
        }
        Value::Object(out)
    };
    json!({
        "by_status": count_by("status", STATUSES),
        "by_urgency": count_by("urgency", URGENCIES),
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::{
        assert_refused, assert_refused_at, calendar_end, call, json_response, me_response,
        not_found_response, page,
    };
    use serde_json::{Value, json};

    fn user(id: &str) -> Value {
        json!({"id": id, "type": "user_reference", "summary": format!("User {id}"), "self": "x"})
    }

    fn policy(id: &str, services: &[&str]) -> Value {
        json!({"id": id, "type": "escalation_policy", "summary": format!("Policy {id}"), "name": format!("Policy {id}"),
            "self": "x", "services": services.iter().map(|s| json!({"id": s, "type": "service_reference", "summary": format!("Service {s}")})).collect::<Vec<_>>()})
    }

    fn shift(
        policy: Value,
        level: u64,
        user_id: &str,
        schedule: Option<&str>,
        span: Option<(&str, &str)>,
    ) -> Value {
        let mut o = json!({"escalation_policy": policy, "escalation_level": level, "user": user(user_id),
            "start": span.map(|s| s.0), "end": span.map(|s| s.1)});
        if let Some(s) = schedule {
            o["schedule"] =
                json!({"id": s, "type": "schedule_reference", "summary": format!("Schedule {s}")});
        }
        o
    }

    fn reference(id: &str) -> Value {
        json!({"id": id, "type": "escalation_policy_reference", "summary": format!("Policy {id}")})
    }

    fn incident(id: &str, status: &str, urgency: &str, service: &str) -> Value {
        json!({"id": id, "type": "incident", "incident_number": 7, "title": format!("Incident {id}"), "status": status,
            "urgency": urgency, "created_at": "2026-11-24T01:00:00Z", "self": "x", "html_url": "h",
            "service": {"id": service, "type": "service_reference", "summary": format!("Service {service}")},
            "assignments": [{"at": "2026-11-24T01:00:00Z", "assignee": user("PA")}], "teams": []})
    }

    /// The on-calls of PE1 (level 1 from schedule SA: A now, B next, C later; level
    /// 2 user D always) and PE2 (level 1: E now on SB, F next).
    fn oncalls(embed: bool) -> Value {
        let p = |id: &str, services: &[&str]| {
            if embed {
                policy(id, services)
            } else {
                reference(id)
            }
        };
        json!([
            shift(
                p("PE1", &["PS1"]),
                1,
                "PUA",
                Some("SA"),
                Some(("2026-11-23T10:00:00Z", "2026-11-30T10:00:00Z"))
            ),
            shift(
                p("PE1", &["PS1"]),
                1,
                "PUB",
                Some("SA"),
                Some(("2026-11-30T10:00:00Z", "2026-12-07T10:00:00Z"))
            ),
            shift(
                p("PE1", &["PS1"]),
                1,
                "PUC",
                Some("SA"),
                Some(("2026-12-07T10:00:00Z", "2026-12-14T10:00:00Z"))
            ),
            shift(p("PE1", &["PS1"]), 2, "PUD", None, None),
            shift(
                p("PE2", &["PS2"]),
                1,
                "PUE",
                Some("SB"),
                Some(("2026-11-24T06:00:00Z", "2026-11-24T18:00:00Z"))
            ),
            shift(
                p("PE2", &["PS2"]),
                1,
                "PUF",
                Some("SB"),
                Some(("2026-11-24T18:00:00Z", "2026-11-25T06:00:00Z"))
            ),
        ])
    }

    fn oncalls_page(embed: bool) -> crate::http::HttpResponse {
        page("oncalls", oncalls(embed).as_array().unwrap().clone(), false)
    }

    fn open_page() -> crate::http::HttpResponse {
        page(
            "incidents",
            vec![
                incident("Q1", "triggered", "high", "PS1"),
                incident("Q2", "acknowledged", "low", "PS2"),
            ],
            false,
        )
    }

    fn window_page() -> crate::http::HttpResponse {
        page(
            "incidents",
            vec![
                incident("Q1", "triggered", "high", "PS1"),
                incident("Q3", "resolved", "low", "PS1"),
                incident("Q4", "resolved", "high", "PS1"),
            ],
            false,
        )
    }

    #[test]
    fn the_default_handoff_takes_five_requests() {
        let c = call(
            "get_oncall_handoff",
            json!({}),
            vec![
                me_response(&["PT1"]),
                page(
                    "escalation_policies",
                    vec![policy("PE1", &["PS1"]), policy("PE2", &["PS2", "PS1"])],
                    false,
                ),
                oncalls_page(false),
                open_page(),
                window_page(),
            ],
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(
            c.sent,
            [
                "/users/me",
                "/escalation_policies?team_ids[]=PT1&limit=100&offset=0",
                "/oncalls?escalation_policy_ids[]=PE1&escalation_policy_ids[]=PE2&since=2026-11-24T07:00:00Z\
                 &until=2026-12-25T07:00:00Z&earliest=true&limit=100&offset=0",
                "/incidents?service_ids[]=PS1&service_ids[]=PS2&statuses[]=triggered&statuses[]=acknowledged\
                 &date_range=all&sort_by=created_at:desc&limit=100&offset=0",
                "/incidents?service_ids[]=PS1&service_ids[]=PS2&since=2026-11-23T19:00:00Z\
                 &until=2026-11-24T07:00:00Z&sort_by=created_at:desc&limit=100&offset=0",
            ]
        );
        let handoffs = c.envelope["handoffs"].as_array().unwrap();
        assert_eq!(handoffs.len(), 2);
        let first = &handoffs[0];
        assert_eq!(
            first["escalation_policy"],
            json!({"id": "PE1", "summary": "Policy PE1"})
        );
        assert_eq!(
            first["on_call_now"],
            json!([
                {"level": 1, "user": {"id": "PUA", "summary": "User PUA"}, "schedule": {"id": "SA", "summary": "Schedule SA"}, "end": "2026-11-30T10:00:00Z"},
                {"level": 2, "user": {"id": "PUD", "summary": "User PUD"}},
            ])
        );
        assert_eq!(
            first["on_call_next"],
            json!([{"level": 1, "user": {"id": "PUB", "summary": "User PUB"}, "schedule": {"id": "SA", "summary": "Schedule SA"}, "start": "2026-11-30T10:00:00Z"}])
        );
        assert_eq!(
            first["open_incidents"],
            json!([{"id": "Q1", "number": 7, "title": "Incident Q1", "status": "triggered", "urgency": "high",
                "service": {"id": "PS1", "summary": "Service PS1"}, "created_at": "2026-11-24T01:00:00Z",
                "assignees": [{"id": "PA", "summary": "User PA"}]}])
        );
        assert_eq!(
            first["incidents_in_window"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["Q1", "Q3", "Q4"]
        );
        assert_eq!(
            first["counts"],
            json!({"by_status": {"triggered": 1, "acknowledged": 0, "resolved": 2}, "by_urgency": {"high": 2, "low": 1}})
        );
        // PE2 has both services: its open incidents are on either.
        let second = &handoffs[1];
        assert_eq!(second["on_call_now"][0]["user"]["id"], "PUE");
        assert_eq!(second["on_call_next"][0]["user"]["id"], "PUF");
        assert_eq!(second["open_incidents"].as_array().unwrap().len(), 2);
        assert_eq!(
            c.envelope["metadata"]["window"],
            json!({"since": "2026-11-23T19:00:00Z", "until": "2026-11-24T07:00:00Z"})
        );
        assert_eq!(c.envelope["metadata"]["on_call_at"], "2026-11-24T07:00:00Z");
    }

    #[test]
    fn explicit_policies_take_their_services_from_the_oncalls_in_three_requests() {
        let c = call(
            "get_oncall_handoff",
            json!({"current_user_context": false, "escalation_policy_ids": ["PE2", "PE1"],
                "since": "2026-11-24T01:00:00Z", "until": "2026-11-24T09:00:00Z"}),
            vec![oncalls_page(true), open_page(), window_page()],
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(
            c.sent,
            [
                "/oncalls?escalation_policy_ids[]=PE2&escalation_policy_ids[]=PE1&since=2026-11-24T07:00:00Z\
                 &until=2026-12-25T07:00:00Z&earliest=true&include[]=escalation_policies&limit=100&offset=0",
                "/incidents?service_ids[]=PS2&service_ids[]=PS1&statuses[]=triggered&statuses[]=acknowledged\
                 &date_range=all&sort_by=created_at:desc&limit=100&offset=0",
                "/incidents?service_ids[]=PS2&service_ids[]=PS1&since=2026-11-24T01:00:00Z\
                 &until=2026-11-24T09:00:00Z&sort_by=created_at:desc&limit=100&offset=0",
            ]
        );
        let handoffs = c.envelope["handoffs"].as_array().unwrap();
        assert_eq!(handoffs[0]["escalation_policy"]["id"], "PE2");
        assert_eq!(
            handoffs[0]["open_incidents"][0]["id"], "Q2",
            "PE2's service is PS2 here"
        );
        assert_eq!(handoffs[0]["counts"]["by_status"]["resolved"], 0);
        assert_eq!(handoffs[1]["on_call_next"][0]["user"]["id"], "PUB");
    }

    #[test]
    fn a_policy_nobody_is_on_call_for_is_read_once_and_an_unknown_one_is_not_found() {
        let c = call(
            "get_oncall_handoff",
            json!({"current_user_context": false, "escalation_policy_ids": ["PE1", "PE3"]}),
            vec![
                oncalls_page(true),
                json_response(200, json!({"escalation_policy": policy("PE3", &[])})),
                open_page(),
                window_page(),
            ],
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(c.sent.len(), 4);
        assert_eq!(c.sent[1], "/escalation_policies/PE3");
        let empty = &c.envelope["handoffs"][1];
        assert_eq!(
            *empty,
            json!({"escalation_policy": {"id": "PE3", "summary": "Policy PE3"},
                "counts": {"by_status": {"triggered": 0, "acknowledged": 0, "resolved": 0}, "by_urgency": {"high": 0, "low": 0}}})
        );
        let c = call(
            "get_oncall_handoff",
            json!({"current_user_context": false, "escalation_policy_ids": ["PX"]}),
            vec![page("oncalls", vec![], false), not_found_response()],
        );
        assert_eq!(c.code(), "NOT_FOUND");
    }

    #[test]
    fn policies_without_services_send_no_incident_requests() {
        let c = call(
            "get_oncall_handoff",
            json!({}),
            vec![
                me_response(&["PT1"]),
                page("escalation_policies", vec![policy("PE1", &[])], false),
                page("oncalls", vec![], false),
            ],
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(c.sent.len(), 3);
    }

    #[test]
    fn a_past_window_hands_off_at_its_end_and_one_end_gives_twelve_hours() {
        let c = call(
            "get_oncall_handoff",
            json!({"current_user_context": false, "escalation_policy_ids": ["PE1"], "until": "2026-11-20T09:00:00+01:00"}),
            vec![
                page("oncalls", vec![], false),
                json_response(200, json!({"escalation_policy": policy("PE1", &["PS1"])})),
                page("incidents", vec![], false),
                page("incidents", vec![], false),
            ],
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert!(
            c.sent[0].contains("&since=2026-11-20T08:00:00Z&until=2026-12-21T08:00:00Z&"),
            "{}",
            c.sent[0]
        );
        assert!(
            c.sent[3].contains("&since=2026-11-19T20:00:00Z&until=2026-11-20T09:00:00+01:00&"),
            "{}",
            c.sent[3]
        );
        assert_eq!(c.envelope["metadata"]["on_call_at"], "2026-11-20T08:00:00Z");
        let c = call(
            "get_oncall_handoff",
            json!({"current_user_context": false, "escalation_policy_ids": ["PE1"], "since": "2026-11-24T01:00:00Z"}),
            vec![
                page("oncalls", vec![], false),
                json_response(200, json!({"escalation_policy": policy("PE1", &["PS1"])})),
                page("incidents", vec![], false),
                page("incidents", vec![], false),
            ],
        );
        assert!(
            c.sent[0].contains("&since=2026-11-24T07:00:00Z&"),
            "now, before the window's end: {}",
            c.sent[0]
        );
        assert!(
            c.sent[3].contains("&since=2026-11-24T01:00:00Z&until=2026-11-24T13:00:00Z&"),
            "{}",
            c.sent[3]
        );
    }

    #[test]
    fn validation_rules() {
        let ids: Vec<String> = (0..21).map(|i| format!("PE{i}")).collect();
        for (args, code) in [
            (
                json!({"escalation_policy_ids": ["PE1"]}),
                "CONFLICTING_PARAMETERS",
            ),
            (json!({"current_user_context": false}), "MISSING_PARAMETER"),
            (
                json!({"current_user_context": false, "escalation_policy_ids": ["P E"]}),
                "INVALID_ESCALATION_POLICY_ID",
            ),
            (
                json!({"current_user_context": false, "escalation_policy_ids": ids}),
                "INVALID_PARAMETER",
            ),
            (
                json!({"since": "2026-11-24T01:00:00Z", "until": "2026-11-24T01:00:00Z"}),
                "INVALID_PARAMETER",
            ),
            (json!({"until": "yesterday"}), "INVALID_PARAMETER"),
            (json!({"limit": 5}), "INVALID_PARAMETER"),
        ] {
            assert_refused("get_oncall_handoff", args, code);
        }
    }

    #[test]
    fn teams_without_policies_give_user_context_unavailable() {
        let c = call(
            "get_oncall_handoff",
            json!({}),
            vec![
                me_response(&["PT1"]),
                page("escalation_policies", vec![], false),
            ],
        );
        assert_eq!(c.code(), "USER_CONTEXT_UNAVAILABLE");
    }

    #[test]
    fn a_clock_at_the_calendars_end_is_an_error_not_a_panic() {
        assert_refused_at(
            "get_oncall_handoff",
            json!({}),
            "INVALID_PARAMETER",
            calendar_end(),
        );
    }

    #[test]
    fn many_incidents_are_cut_and_said_so() {
        let many: Vec<Value> = (0..100)
            .map(|i| incident(&format!("Q{i}"), "resolved", "low", "PS1"))
            .collect();
        let mut responses = vec![
            me_response(&["PT1"]),
            page("escalation_policies", vec![policy("PE1", &["PS1"])], false),
            page("oncalls", vec![], false),
            page("incidents", vec![], false),
        ];
        responses.extend((0..5).map(|_| page("incidents", many.clone(), true)));
        let c = call("get_oncall_handoff", json!({}), responses);
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(c.sent.len(), 9);
        assert_eq!(c.envelope["metadata"]["truncated"], true);
        assert!(
            c.envelope["metadata"]["description"]
                .as_str()
                .unwrap()
                .contains("More than 500 incidents")
        );
        assert_eq!(
            c.envelope["handoffs"][0]["counts"]["by_status"]["resolved"],
            500
        );
    }
}

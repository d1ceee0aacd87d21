//! Incident response (write tools): creating incidents, changing many at once,
//! snoozing, merging, asking for responders and posting status updates.

use super::incidents::{INCIDENT_ID, incident_path, one_incident, project_incident};
use super::reference_to;
use crate::args::{Args, Param, ParamKind, ids};
use crate::catalog::{Access, Operation, Run, Tool};
use crate::client::Query;
use crate::context::Call;
use crate::envelope::Output;
use crate::error::{ErrorCode, ToolError, ToolResult};
use crate::http::Method;
use crate::projection::{clean, project};
use crate::toolsets::Toolset;
use serde_json::{Map, Value, json};

/// The most incidents one `manage_incidents` call changes (PagerDuty's bulk limit).
pub const MAX_MANAGED_INCIDENTS: usize = 250;

/// The most source incidents one merge takes.
pub const MAX_MERGED_INCIDENTS: usize = 25;

/// The highest escalation level `manage_incidents` accepts. PagerDuty allows up to
/// 20 rules per escalation policy, so no policy has a level above this; PagerDuty
/// itself refuses a level the incident's policy does not have.
pub const MAX_ESCALATION_LEVEL: u64 = 20;

/// Snooze durations: one minute to one day (PagerDuty takes up to a week; longer
/// than a day hides an incident past the next handoff).
const SNOOZE_SECONDS: ParamKind = ParamKind::Integer {
    min: 60,
    max: 86_400,
};

const URGENCY: Param = Param {
    name: "urgency",
    kind: ParamKind::Enum(&["high", "low"]),
    required: false,
    description: "The urgency: high (notifies with high-urgency rules) or low.",
};

const PRIORITY_ID: Param = Param {
    name: "priority_id",
    kind: ParamKind::Id(ids::PRIORITY),
    required: false,
    description: "The priority's ID (see list_priorities), e.g. the ID of P1.",
};

const ASSIGNEE_IDS: Param = Param {
    name: "assignee_ids",
    kind: ParamKind::IdList(ids::USER),
    required: false,
    description: "Assign to these users (IDs). Cannot be combined with escalation_policy_id.",
};

const ESCALATION_POLICY_ID: Param = Param {
    name: "escalation_policy_id",
    kind: ParamKind::Id(ids::ESCALATION_POLICY),
    required: false,
    description: "Assign to whoever this escalation policy has on call. Cannot be combined with assignee_ids.",
};

/// The arguments of `manage_incidents` that change something: at least one is needed.
const MANAGED_FIELDS: &[&str] = &[
    "status",
    "urgency",
    "priority_id",
    "assignee_ids",
    "escalation_policy_id",
    "escalation_level",
];

/// `GET /users/me`, for the `From` address of every write.
const ME: Operation = Operation::get("/users/me");

/// The incident response tools, all writes (offered only when enabled).
pub const TOOLS: &[Tool] = &[
    Tool {
        toolset: Toolset::Incidents,
        name: "create_incident",
        title: "Create incident",
        description: "WRITE: open a new incident on a service as the current user. It is assigned to the users \
            given, else to whoever the escalation policy given (default: the service's) has on call. PagerDuty \
            refuses it when an open incident of the service has the same incident_key. Each call creates \
            another incident. Returns the created incident.",
        resource: "incidents",
        params: &[
            Param {
                name: "title",
                kind: ParamKind::Text { max_chars: 1024 },
                required: true,
                description: "A short description of the problem, e.g. 'Checkout error rate above 5%'.",
            },
            Param {
                name: "service_id",
                kind: ParamKind::Id(ids::SERVICE),
                required: true,
                description: "The service the incident is on (ID).",
            },
            URGENCY,
            PRIORITY_ID,
            Param {
                name: "body",
                kind: ParamKind::Text { max_chars: 25_000 },
                required: false,
                description: "Details for responders (plain text): what is happening, impact, links.",
            },
            Param {
                name: "incident_key",
                kind: ParamKind::Text { max_chars: 255 },
                required: false,
                description: "A de-duplication key: PagerDuty refuses a new incident while an open incident \
                    of the same service has this key.",
            },
            ASSIGNEE_IDS,
            ESCALATION_POLICY_ID,
        ],
        access: Access::Write {
            destructive: false,
            idempotent: false,
        },
        user_context: None,
        operations: &[Operation::post("/incidents"), ME],
        example: r#"{"title": "Checkout error rate above 5%", "service_id": "P3T2B4B", "urgency": "high", "priority_id": "PDHFCB1", "body": "Error rate on /checkout rose to 7% after deploy 4513; EU card payments fail."}"#,
        run: Run::Custom(create_incident),
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "manage_incidents",
        title: "Manage incidents",
        description: "WRITE: change up to 250 incidents at once as the current user: acknowledge or resolve \
            them, set urgency or priority, reassign them to users or to an escalation policy, or escalate them \
            to a level. Pass at least one change. Reassigning or escalating an acknowledged incident triggers \
            it again; resolving cannot be undone. Returns the updated incidents.",
        resource: "incidents",
        params: &[
            Param {
                name: "incident_ids",
                kind: ParamKind::IdListUpTo {
                    id: ids::INCIDENT,
                    max_items: MAX_MANAGED_INCIDENTS,
                },
                required: true,
                description: "The incidents to change (IDs, 1-250).",
            },
            Param {
                name: "status",
                kind: ParamKind::Enum(&["acknowledged", "resolved"]),
                required: false,
                description: "acknowledged (stops escalation for now) or resolved (closes the incidents).",
            },
            URGENCY,
            PRIORITY_ID,
            ASSIGNEE_IDS,
            ESCALATION_POLICY_ID,
            Param {
                name: "escalation_level",
                kind: ParamKind::Integer {
                    min: 1,
                    max: MAX_ESCALATION_LEVEL,
                },
                required: false,
                description: "Escalate to this level of the escalation policy (1-20; the policy must have it).",
            },
        ],
        access: Access::Write {
            destructive: true,
            idempotent: true,
        },
        user_context: None,
        operations: &[Operation::put("/incidents"), ME],
        example: r#"{"incident_ids": ["QFN4RMWSBNMH4N", "Q285TVRZ0IG2DP"], "status": "acknowledged"}"#,
        run: Run::Custom(manage_incidents),
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "snooze_incident",
        title: "Snooze incident",
        description: "WRITE: snooze an acknowledged incident as the current user: it triggers again (and \
            notifies) when the snooze ends. PagerDuty refuses to snooze a triggered incident: acknowledge it \
            first. Each call starts a new snooze. Returns the updated incident.",
        resource: "incidents",
        params: &[
            INCIDENT_ID,
            Param {
                name: "duration_seconds",
                kind: SNOOZE_SECONDS,
                required: true,
                description: "How long to snooze, in seconds (60-86400, i.e. one minute to one day).",
            },
        ],
        access: Access::Write {
            destructive: false,
            idempotent: false,
        },
        user_context: None,
        operations: &[Operation::post("/incidents/{id}/snooze"), ME],
        example: r#"{"incident_id": "QQ5GWNBOXDCLO9", "duration_seconds": 3600}"#,
        run: Run::Custom(snooze_incident),
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "merge_incidents",
        title: "Merge incidents",
        description: "WRITE: merge incidents into one as the current user: the source incidents' alerts move \
            to the incident kept, and the sources are resolved (this cannot be undone). The incident kept \
            must be open. Returns the incident kept.",
        resource: "incidents",
        params: &[
            Param {
                description: "The incident to keep (ID); it must be open.",
                ..INCIDENT_ID
            },
            Param {
                name: "source_incident_ids",
                kind: ParamKind::IdListUpTo {
                    id: ids::INCIDENT,
                    max_items: MAX_MERGED_INCIDENTS,
                },
                required: true,
                description: "The incidents merged into it and resolved (IDs, 1-25, not incident_id itself).",
            },
        ],
        access: Access::Write {
            destructive: true,
            idempotent: true,
        },
        user_context: None,
        operations: &[
            Operation::put("/incidents/{id}/merge"),
            Operation::get("/incidents/{id}"),
            ME,
        ],
        example: r#"{"incident_id": "Q1W2WVC9U12C7U", "source_incident_ids": ["Q285TVRZ0IG2DP"]}"#,
        run: Run::Custom(merge_incidents),
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "add_responders",
        title: "Add responders",
        description: "WRITE: ask users and/or escalation policies to join an incident, as the current user \
            (the requester). They are notified with their high-urgency rules and the message until they \
            accept or decline. Each call sends another request. Returns the responder request.",
        resource: "responder_requests",
        params: &[
            INCIDENT_ID,
            Param {
                name: "message",
                kind: ParamKind::Text { max_chars: 25_000 },
                required: true,
                description: "What responders are asked to do, e.g. 'Please join the bridge: checkout is down'.",
            },
            Param {
                name: "user_ids",
                kind: ParamKind::IdList(ids::USER),
                required: false,
                description: "Users to ask (IDs). Pass user_ids, escalation_policy_ids or both.",
            },
            Param {
                name: "escalation_policy_ids",
                kind: ParamKind::IdList(ids::ESCALATION_POLICY),
                required: false,
                description: "Escalation policies whose on-call responders to ask (IDs).",
            },
        ],
        access: Access::Write {
            destructive: false,
            idempotent: false,
        },
        user_context: None,
        operations: &[
            Operation::post("/incidents/{id}/responder_requests"),
            ME,
            Operation::get("/users"),
        ],
        example: r#"{"incident_id": "Q1P4S3TOQTLTM8", "message": "Checkout errors are spiking; please join the bridge.", "user_ids": ["PNTKRNX"]}"#,
        run: Run::Custom(add_responders),
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "create_incident_status_update",
        title: "Post incident status update",
        description: "WRITE: post a status update on an incident as the current user; PagerDuty sends it to \
            the incident's subscribers (stakeholders). Each call posts another update. Returns the update.",
        resource: "status_updates",
        params: &[
            INCIDENT_ID,
            Param {
                name: "message",
                kind: ParamKind::Text { max_chars: 25_000 },
                required: true,
                description: "The update for stakeholders: current impact, what is being done, next update.",
            },
        ],
        access: Access::Write {
            destructive: false,
            idempotent: false,
        },
        user_context: None,
        operations: &[Operation::post("/incidents/{id}/status_updates"), ME],
        example: r#"{"incident_id": "Q1P4S3TOQTLTM8", "message": "Mitigated: deploy 4513 rolled back, checkout errors under 1%. Next update in 30 minutes."}"#,
        run: Run::Custom(create_incident_status_update),
    },
];

/// `CONFLICTING_PARAMETERS` when both `assignee_ids` and `escalation_policy_id` are given.
fn check_one_assignment(args: &Args) -> ToolResult<()> {
    if args.has("assignee_ids") && args.has("escalation_policy_id") {
        return Err(ToolError::conflict(
            "Pass either 'assignee_ids' (assign to these users) or 'escalation_policy_id' (assign to the \
             policy's on-call), not both",
        ));
    }
    Ok(())
}

/// The assignment fields of a request body: `assignments` or `escalation_policy`.
fn put_assignment(fields: &mut Map<String, Value>, args: &Args) {
    if let Some(users) = args.list("assignee_ids") {
        let assignments: Vec<Value> = users
            .iter()
            .map(|u| json!({"assignee": reference_to(u, "user")}))
            .collect();
        fields.insert("assignments".into(), json!(assignments));
    }
    if let Some(policy) = args.text("escalation_policy_id") {
        fields.insert(
            "escalation_policy".into(),
            reference_to(policy, "escalation_policy"),
        );
    }
}

/// `urgency` and `priority` of a request body, when given.
fn put_urgency_and_priority(fields: &mut Map<String, Value>, args: &Args) {
    if let Some(urgency) = args.text("urgency") {
        fields.insert("urgency".into(), json!(urgency));
    }
    if let Some(priority) = args.text("priority_id") {
        fields.insert("priority".into(), reference_to(priority, "priority"));
    }
}

fn create_incident(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    check_one_assignment(args)?;
    let mut incident = Map::new();
    incident.insert("type".into(), json!("incident"));
    incident.insert("title".into(), json!(args.required("title")));
    incident.insert(
        "service".into(),
        reference_to(args.required("service_id"), "service"),
    );
    put_urgency_and_priority(&mut incident, args);
    if let Some(text) = args.text("body") {
        // The spec types `details` as an object: the text goes under `text`.
        incident.insert(
            "body".into(),
            json!({"type": "incident_body", "details": {"text": text}}),
        );
    }
    if let Some(key) = args.text("incident_key") {
        incident.insert("incident_key".into(), json!(key));
    }
    put_assignment(&mut incident, args);
    let answer = call.write(Method::Post, "/incidents", &json!({"incident": incident}))?;
    Ok(one_incident(&answer))
}

fn manage_incidents(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    if !MANAGED_FIELDS.iter().any(|name| args.has(name)) {
        return Err(ToolError::new(
            ErrorCode::MissingParameter,
            format!(
                "Pass at least one change: {}",
                MANAGED_FIELDS
                    .iter()
                    .map(|n| format!("'{n}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    check_one_assignment(args)?;
    let mut changes = Map::new();
    if let Some(status) = args.text("status") {
        changes.insert("status".into(), json!(status));
    }
    put_urgency_and_priority(&mut changes, args);
    put_assignment(&mut changes, args);
    if let Some(level) = args.number("escalation_level") {
        changes.insert("escalation_level".into(), json!(level));
    }
    let incidents: Vec<Value> = args
        .list("incident_ids")
        .unwrap_or_default()
        .iter()
        .map(|id| {
            let mut item = Map::new();
            item.insert("id".into(), json!(id));
            item.insert("type".into(), json!("incident_reference"));
            item.extend(changes.clone());
            Value::Object(item)
        })
        .collect();
    let answer = call.write(Method::Put, "/incidents", &json!({"incidents": incidents}))?;
    let updated = answer
        .get("incidents")
        .and_then(Value::as_array)
        .map(|items| items.iter().map(project_incident).collect())
        .unwrap_or_default();
    Ok(Output::items(updated))
}

fn snooze_incident(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let seconds = args
        .number("duration_seconds")
        .expect("validation requires duration_seconds");
    let answer = call.write(
        Method::Post,
        &incident_path(args, "/snooze"),
        &json!({"duration": seconds}),
    )?;
    Ok(one_incident(&answer))
}

fn merge_incidents(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let kept = args.required("incident_id");
    let sources = args.list("source_incident_ids").unwrap_or_default();
    if sources.iter().any(|s| s == kept) {
        return Err(ToolError::invalid(format!(
            "'source_incident_ids' contains '{kept}', the incident kept ('incident_id'): an incident cannot be merged into itself"
        )));
    }
    let body = json!({
        "source_incidents": sources.iter().map(|s| reference_to(s, "incident")).collect::<Vec<_>>(),
    });
    let answer = call.write(Method::Put, &incident_path(args, "/merge"), &body)?;
    // The spec answers with a reference; the kept incident is read when that is all.
    if answer
        .get("incident")
        .and_then(|i| i.get("status"))
        .is_some()
    {
        return Ok(one_incident(&answer));
    }
    let incident = call.client.get(&incident_path(args, ""), &Query::new())?;
    Ok(one_incident(&incident))
}

/// The requester of a responder request: the token's user, else (an account-level
/// token) the user whose email is the configured `From` address.
fn requester_id(call: &mut Call<'_>) -> ToolResult<String> {
    let me = match call.me() {
        Ok(me) => return Ok(me.id.clone()),
        Err(e) if e.code == ErrorCode::UserContextUnavailable => e,
        Err(e) => return Err(e),
    };
    let Some(email) = call.config.user_email.clone() else {
        return Err(ToolError::new(
            ErrorCode::UserContextUnavailable,
            format!(
                "A responder request names the requesting user, and the token has no user (an account-level \
                 key?). Set PAGERDUTY_USER_EMAIL (or --user-email) to the email of the PagerDuty user acting. {}",
                me.message
            ),
        ));
    };
    let mut q = Query::new();
    q.push("query", email.as_str());
    let users = call.client.get("/users", &q)?;
    users
        .get("users")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|u| {
            u.get("email")
                .and_then(Value::as_str)
                .is_some_and(|e| e.eq_ignore_ascii_case(&email))
        })
        .and_then(|u| u.get("id").and_then(Value::as_str))
        .map(str::to_string)
        .ok_or_else(|| {
            ToolError::new(
                ErrorCode::UserContextUnavailable,
                format!(
                    "A responder request names the requesting user: the token has no user, and no PagerDuty \
                     user has the configured email '{email}'. Set PAGERDUTY_USER_EMAIL to the email of an \
                     existing PagerDuty user."
                ),
            )
        })
}

fn add_responders(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    if !args.has("user_ids") && !args.has("escalation_policy_ids") {
        return Err(ToolError::new(
            ErrorCode::MissingParameter,
            "Pass at least one of 'user_ids', 'escalation_policy_ids': whom to ask to respond",
        ));
    }
    let mut targets: Vec<Value> = Vec::new();
    for (name, kind) in [
        ("user_ids", "user"),
        ("escalation_policy_ids", "escalation_policy"),
    ] {
        for id in args.list(name).unwrap_or_default() {
            targets.push(json!({"responder_request_target": reference_to(id, kind)}));
        }
    }
    let from = call.from_address()?;
    let requester = requester_id(call)?;
    let body = json!({
        "requester_id": requester,
        "message": args.required("message"),
        "responder_request_targets": targets,
    });
    let answer = call.client.write(
        Method::Post,
        &incident_path(args, "/responder_requests"),
        &body,
        &from,
    )?;
    Ok(Output::one(project_responder_request(
        answer.get("responder_request").unwrap_or(&Value::Null),
    )))
}

/// A responder request: who asked, when, the message, and each target (user or
/// escalation policy) with its responders and their state.
fn project_responder_request(request: &Value) -> Value {
    let mut out = project(
        request,
        &["incident", "requester", "requested_at", "message"],
    );
    let targets: Vec<Value> = request
        .get("responder_request_targets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            let target = t.get("responder_request_target").unwrap_or(t);
            let mut item = project(target, &["type", "id", "summary"]);
            let responders: Vec<Value> = target
                .get("incidents_responders")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|r| {
                    let mut responder = Map::new();
                    if let Some(user) = r.get("user").and_then(|u| clean("user", u)) {
                        responder.insert("user".into(), user);
                    }
                    if let Some(state) = r.get("state") {
                        responder.insert("state".into(), state.clone());
                    }
                    Value::Object(responder)
                })
                .collect();
            if !responders.is_empty() {
                item["responders"] = json!(responders);
            }
            item
        })
        .collect();
    if !targets.is_empty() {
        out["targets"] = json!(targets);
    }
    out
}

fn create_incident_status_update(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let answer = call.write(
        Method::Post,
        &incident_path(args, "/status_updates"),
        &json!({"message": args.required("message")}),
    )?;
    Ok(Output::one(project(
        answer.get("status_update").unwrap_or(&Value::Null),
        &["id", "message", "created_at", "sender"],
    )))
}

#[cfg(test)]
mod tests {
    use crate::http::Method;
    use crate::testing::{assert_refused, call, call_as_me, call_with, json_response, me_response};
    use serde_json::{Value, json};

    fn incident(id: &str, status: &str) -> Value {
        json!({"id": id, "type": "incident", "summary": format!("[#7] {id}"), "self": "https://api/x",
            "html_url": format!("https://acme.pagerduty.com/incidents/{id}"), "incident_number": 7,
            "title": "Checkout down", "status": status, "urgency": "high",
            "service": {"id": "PSVC001", "type": "service_reference", "summary": "Checkout", "self": "x"},
            "assignments": [{"at": "2026-11-24T07:00:00Z", "assignee": {"id": "PU1", "type": "user_reference", "summary": "Ann"}}],
            "pending_actions": [], "created_at": "2026-11-24T07:00:00Z"})
    }

    fn server_error() -> crate::http::HttpResponse {
        json_response(
            503,
            json!({"error": {"message": "Service Unavailable", "code": 0}}),
        )
    }

    #[test]
    fn create_incident_posts_the_incident_once_with_from() {
        let c = call_as_me(
            "create_incident",
            json!({"title": "Checkout down", "service_id": "PSVC001", "urgency": "high", "priority_id": "PP1",
                "body": "EU payments fail", "incident_key": "checkout-1", "assignee_ids": ["PU1", "PU2"]}),
            201,
            json!({"incident": incident("Q1", "triggered")}),
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(c.sent, ["/users/me", "/incidents"]);
        c.assert_write(1, Method::Post);
        assert_eq!(
            c.body(1),
            json!({"incident": {"type": "incident", "title": "Checkout down",
                "service": {"id": "PSVC001", "type": "service_reference"}, "urgency": "high",
                "priority": {"id": "PP1", "type": "priority_reference"},
                "body": {"type": "incident_body", "details": {"text": "EU payments fail"}},
                "incident_key": "checkout-1",
                "assignments": [{"assignee": {"id": "PU1", "type": "user_reference"}},
                    {"assignee": {"id": "PU2", "type": "user_reference"}}]}})
        );
        assert_eq!(c.envelope["incidents"][0]["id"], "Q1");
        assert_eq!(
            c.envelope["incidents"][0]["assignments"][0]["assignee"],
            json!({"id": "PU1", "summary": "Ann", "type": "user"})
        );
    }

    #[test]
    fn create_incident_to_a_policy_sends_only_what_was_given() {
        let c = call_as_me(
            "create_incident",
            json!({"title": "Disk full", "service_id": "PSVC001", "escalation_policy_id": "PEP1"}),
            201,
            json!({"incident": incident("Q1", "triggered")}),
        );
        assert_eq!(
            c.body(1),
            json!({"incident": {"type": "incident", "title": "Disk full",
                "service": {"id": "PSVC001", "type": "service_reference"},
                "escalation_policy": {"id": "PEP1", "type": "escalation_policy_reference"}}})
        );
    }

    #[test]
    fn create_incident_validates_its_arguments() {
        let valid = json!({"title": "Disk full", "service_id": "PSVC001"});
        let with = |key: &str, value: Value| {
            let mut args = valid.clone();
            args[key] = value;
            args
        };
        let cases = [
            (json!({"service_id": "PSVC001"}), "MISSING_PARAMETER"),
            (
                json!({"title": " ", "service_id": "PSVC001"}),
                "MISSING_PARAMETER",
            ),
            (json!({"title": "Disk full"}), "MISSING_PARAMETER"),
            (with("service_id", json!("P@X")), "INVALID_SERVICE_ID"),
            (with("urgency", json!("medium")), "INVALID_PARAMETER"),
            (with("priority_id", json!("P 1")), "INVALID_PRIORITY_ID"),
            (with("assignee_ids", json!(["P!"])), "INVALID_USER_ID"),
            (
                with("escalation_policy_id", json!("P-1")),
                "INVALID_ESCALATION_POLICY_ID",
            ),
            (with("body", json!("x".repeat(25_001))), "INVALID_PARAMETER"),
            (with("nope", json!(1)), "INVALID_PARAMETER"),
        ];
        for (args, code) in cases {
            assert_refused("create_incident", args, code);
        }
        let mut both = with("assignee_ids", json!(["PU1"]));
        both["escalation_policy_id"] = json!("PEP1");
        assert_refused("create_incident", both, "CONFLICTING_PARAMETERS");
    }

    #[test]
    fn a_5xx_answer_to_a_post_is_not_retried() {
        for (tool, args) in [
            (
                "create_incident",
                json!({"title": "Disk full", "service_id": "PSVC001"}),
            ),
            (
                "snooze_incident",
                json!({"incident_id": "Q1", "duration_seconds": 600}),
            ),
            (
                "create_incident_status_update",
                json!({"incident_id": "Q1", "message": "Mitigated"}),
            ),
            (
                "add_responders",
                json!({"incident_id": "Q1", "message": "Join", "user_ids": ["PU2"]}),
            ),
        ] {
            let c = crate::testing::call_forever(
                tool,
                args,
                vec![me_response(&["PT1"])],
                server_error(),
            );
            assert_eq!(c.code(), "UPSTREAM_ERROR", "{tool}");
            let posts = c
                .requests
                .iter()
                .filter(|r| r.method == Method::Post)
                .count();
            assert_eq!(posts, 1, "{tool}: {:?}", c.sent);
        }
    }

    #[test]
    fn manage_incidents_puts_one_change_to_every_incident() {
        let c = call_as_me(
            "manage_incidents",
            json!({"incident_ids": ["Q1", "Q2", "Q1"], "status": "acknowledged", "urgency": "low",
                "priority_id": "PP1", "escalation_policy_id": "PEP1", "escalation_level": 2}),
            200,
            json!({"incidents": [incident("Q1", "acknowledged"), incident("Q2", "acknowledged")],
                        "limit": 2, "offset": 0, "more": false}),
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(c.sent, ["/users/me", "/incidents"]);
        c.assert_write(1, Method::Put);
        let change = |id: &str| {
            json!({"id": id, "type": "incident_reference", "status": "acknowledged", "urgency": "low",
                "priority": {"id": "PP1", "type": "priority_reference"},
                "escalation_policy": {"id": "PEP1", "type": "escalation_policy_reference"},
                "escalation_level": 2})
        };
        assert_eq!(
            c.body(1),
            json!({"incidents": [change("Q1"), change("Q2")]})
        );
        assert_eq!(c.envelope["metadata"]["count"], 2);
        assert_eq!(c.envelope["incidents"][1]["status"], "acknowledged");
    }

    #[test]
    fn manage_incidents_reassigns_to_users() {
        let c = call_as_me(
            "manage_incidents",
            json!({"incident_ids": ["Q1"], "assignee_ids": ["PU2"]}),
            200,
            json!({"incidents": [incident("Q1", "triggered")]}),
        );
        assert_eq!(
            c.body(1),
            json!({"incidents": [{"id": "Q1", "type": "incident_reference",
                "assignments": [{"assignee": {"id": "PU2", "type": "user_reference"}}]}]})
        );
    }

    #[test]
    fn manage_incidents_validates_its_arguments() {
        let c = assert_refused(
            "manage_incidents",
            json!({"incident_ids": ["Q1"]}),
            "MISSING_PARAMETER",
        );
        for name in super::MANAGED_FIELDS {
            assert!(
                c.message().contains(&format!("'{name}'")),
                "{}",
                c.message()
            );
        }
        let ids: Vec<String> = (0..251).map(|n| format!("Q{n}")).collect();
        let cases = [
            (json!({"status": "resolved"}), "MISSING_PARAMETER"),
            (
                json!({"incident_ids": [], "status": "resolved"}),
                "MISSING_PARAMETER",
            ),
            (
                json!({"incident_ids": ids, "status": "resolved"}),
                "INVALID_PARAMETER",
            ),
            (
                json!({"incident_ids": ["Q 1"], "status": "resolved"}),
                "INVALID_INCIDENT_ID",
            ),
            (
                json!({"incident_ids": ["Q1"], "status": "triggered"}),
                "INVALID_PARAMETER",
            ),
            (
                json!({"incident_ids": ["Q1"], "urgency": "urgent"}),
                "INVALID_PARAMETER",
            ),
            (
                json!({"incident_ids": ["Q1"], "escalation_level": 0}),
                "INVALID_PARAMETER",
            ),
            (
                json!({"incident_ids": ["Q1"], "escalation_level": 21}),
                "INVALID_PARAMETER",
            ),
            (
                json!({"incident_ids": ["Q1"], "escalation_level": "2"}),
                "INVALID_PARAMETER",
            ),
            (
                json!({"incident_ids": ["Q1"], "assignee_ids": ["PU1"], "escalation_policy_id": "PEP1"}),
                "CONFLICTING_PARAMETERS",
            ),
        ];
        for (args, code) in cases {
            assert_refused("manage_incidents", args, code);
        }
        // The bounds themselves are accepted: 250 incidents, level 20.
        let ids: Vec<String> = (0..250).map(|n| format!("Q{n}")).collect();
        let c = call_as_me(
            "manage_incidents",
            json!({"incident_ids": ids, "escalation_level": 20}),
            200,
            json!({"incidents": []}),
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(c.body(1)["incidents"].as_array().unwrap().len(), 250);
    }

    #[test]
    fn snooze_posts_the_duration() {
        let c = call_as_me(
            "snooze_incident",
            json!({"incident_id": "Q1", "duration_seconds": 3600}),
            201,
            json!({"incident": incident("Q1", "acknowledged")}),
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(c.sent, ["/users/me", "/incidents/Q1/snooze"]);
        c.assert_write(1, Method::Post);
        assert_eq!(c.body(1), json!({"duration": 3600}));
        assert_eq!(c.envelope["incidents"][0]["id"], "Q1");
    }

    #[test]
    fn snooze_duration_is_one_minute_to_one_day() {
        for (duration, code) in [
            (json!(59), "INVALID_PARAMETER"),
            (json!(86_401), "INVALID_PARAMETER"),
            (json!(-5), "INVALID_PARAMETER"),
            (json!(60.5), "INVALID_PARAMETER"),
            (Value::Null, "MISSING_PARAMETER"),
        ] {
            assert_refused(
                "snooze_incident",
                json!({"incident_id": "Q1", "duration_seconds": duration}),
                code,
            );
        }
        assert_refused(
            "snooze_incident",
            json!({"duration_seconds": 60}),
            "MISSING_PARAMETER",
        );
    }

    #[test]
    fn snoozing_a_triggered_incident_reports_pagerdutys_refusal() {
        let c = call_as_me(
            "snooze_incident",
            json!({"incident_id": "Q1", "duration_seconds": 600}),
            400,
            json!({"error": {"message": "Invalid Input Provided", "code": 2001,
                        "errors": ["Incident must be acknowledged before it can be snoozed"]}}),
        );
        assert_eq!(c.code(), "UPSTREAM_ERROR");
        assert!(c.message().contains("acknowledged"), "{}", c.message());
    }

    #[test]
    fn merge_puts_the_sources_and_reads_the_kept_incident() {
        let c = call(
            "merge_incidents",
            json!({"incident_id": "Q1", "source_incident_ids": ["Q2", "Q3"]}),
            vec![
                me_response(&["PT1"]),
                json_response(
                    200,
                    json!({"incident": {"id": "Q1", "type": "incident_reference", "summary": "[#7] Q1"}}),
                ),
                json_response(200, json!({"incident": incident("Q1", "acknowledged")})),
            ],
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(
            c.sent,
            ["/users/me", "/incidents/Q1/merge", "/incidents/Q1"]
        );
        c.assert_write(1, Method::Put);
        assert_eq!(
            c.body(1),
            json!({"source_incidents": [{"id": "Q2", "type": "incident_reference"},
                {"id": "Q3", "type": "incident_reference"}]})
        );
        assert_eq!(c.envelope["incidents"][0]["status"], "acknowledged");
        // A full incident in the answer is used as it is.
        let c = call_as_me(
            "merge_incidents",
            json!({"incident_id": "Q1", "source_incident_ids": ["Q2"]}),
            200,
            json!({"incident": incident("Q1", "triggered")}),
        );
        assert_eq!(c.sent, ["/users/me", "/incidents/Q1/merge"]);
        assert_eq!(c.envelope["incidents"][0]["status"], "triggered");
    }

    #[test]
    fn merge_validates_the_sources() {
        let c = assert_refused(
            "merge_incidents",
            json!({"incident_id": "Q1", "source_incident_ids": ["Q2", "Q1"]}),
            "INVALID_PARAMETER",
        );
        assert!(c.message().contains("'Q1'"), "{}", c.message());
        let many: Vec<String> = (0..26).map(|n| format!("Q{n}X")).collect();
        for (args, code) in [
            (
                json!({"incident_id": "Q1", "source_incident_ids": many}),
                "INVALID_PARAMETER",
            ),
            (
                json!({"incident_id": "Q1", "source_incident_ids": []}),
                "MISSING_PARAMETER",
            ),
            (json!({"incident_id": "Q1"}), "MISSING_PARAMETER"),
            (json!({"source_incident_ids": ["Q2"]}), "MISSING_PARAMETER"),
            (
                json!({"incident_id": "Q1", "source_incident_ids": ["Q#"]}),
                "INVALID_INCIDENT_ID",
            ),
        ] {
            assert_refused("merge_incidents", args, code);
        }
    }

    fn responder_request_answer() -> crate::http::HttpResponse {
        json_response(
            200,
            json!({"responder_request": {
                "incident": {"id": "Q1", "type": "incident_reference", "summary": "[#7] Q1", "self": "x"},
                "requester": {"id": "PME0001", "type": "user_reference", "summary": "Me"},
                "requested_at": "2026-11-24T07:00:00Z", "message": "Join the bridge",
                "responder_request_targets": [{"responder_request_target": {"type": "user", "id": "PU2",
                    "summary": "Bo", "incidents_responders": [{"state": "pending",
                    "user": {"id": "PU2", "type": "user_reference", "summary": "Bo", "self": "x"},
                    "incident": {"id": "Q1", "type": "incident_reference"}}]}}]}}),
        )
    }

    #[test]
    fn add_responders_asks_as_the_current_user() {
        let c = call(
            "add_responders",
            json!({"incident_id": "Q1", "message": "Join the bridge", "user_ids": ["PU2"],
                "escalation_policy_ids": ["PEP1"]}),
            vec![me_response(&["PT1"]), responder_request_answer()],
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(c.sent, ["/users/me", "/incidents/Q1/responder_requests"]);
        c.assert_write(1, Method::Post);
        assert_eq!(
            c.body(1),
            json!({"requester_id": "PME0001", "message": "Join the bridge", "responder_request_targets": [
                {"responder_request_target": {"id": "PU2", "type": "user_reference"}},
                {"responder_request_target": {"id": "PEP1", "type": "escalation_policy_reference"}}]})
        );
        assert_eq!(
            c.envelope["responder_requests"],
            json!([{"incident": {"id": "Q1", "summary": "[#7] Q1"}, "requester": {"id": "PME0001", "summary": "Me"},
                "requested_at": "2026-11-24T07:00:00Z", "message": "Join the bridge",
                "targets": [{"type": "user", "id": "PU2", "summary": "Bo",
                    "responders": [{"user": {"id": "PU2", "summary": "Bo"}, "state": "pending"}]}]}])
        );
    }

    #[test]
    fn add_responders_needs_someone_to_ask_and_a_message() {
        let c = assert_refused(
            "add_responders",
            json!({"incident_id": "Q1", "message": "Join"}),
            "MISSING_PARAMETER",
        );
        assert!(
            c.message().contains("'user_ids'") && c.message().contains("'escalation_policy_ids'"),
            "{}",
            c.message()
        );
        for (args, code) in [
            (
                json!({"incident_id": "Q1", "user_ids": ["PU2"]}),
                "MISSING_PARAMETER",
            ),
            (
                json!({"incident_id": "Q1", "message": "", "user_ids": ["PU2"]}),
                "MISSING_PARAMETER",
            ),
            (
                json!({"incident_id": "Q1", "message": "Join", "user_ids": []}),
                "MISSING_PARAMETER",
            ),
            (
                json!({"incident_id": "Q1", "message": "Join", "user_ids": ["P?"]}),
                "INVALID_USER_ID",
            ),
            (
                json!({"incident_id": "Q1", "message": "Join", "escalation_policy_ids": ["P?"]}),
                "INVALID_ESCALATION_POLICY_ID",
            ),
        ] {
            assert_refused("add_responders", args, code);
        }
    }

    fn account_token_answer() -> crate::http::HttpResponse {
        json_response(
            400,
            json!({"error": {"message": "Invalid Input Provided", "code": 2001}}),
        )
    }

    fn configured(email: Option<&str>) -> crate::config::Config {
        crate::config::Config {
            selection: crate::toolsets::Selection::parse(None, None, Some("true")).unwrap(),
            user_email: email.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn add_responders_with_an_account_token_finds_the_configured_user() {
        let c = call_with(
            "add_responders",
            json!({"incident_id": "Q1", "message": "Join the bridge", "user_ids": ["PU2"]}),
            vec![
                account_token_answer(),
                json_response(
                    200,
                    json!({"users": [{"id": "PU9", "email": "ops.lead@example.com"},
                    {"id": "PU7", "email": "OPS@example.com"}], "limit": 25, "offset": 0, "more": false}),
                ),
                responder_request_answer(),
            ],
            configured(Some("ops@example.com")),
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(
            c.sent,
            [
                "/users/me",
                "/users?query=ops@example.com",
                "/incidents/Q1/responder_requests"
            ]
        );
        assert_eq!(c.body(2)["requester_id"], "PU7");
        assert!(
            c.requests[2]
                .headers
                .contains(&("From", "ops@example.com".to_string()))
        );
    }

    #[test]
    fn add_responders_without_a_user_explains_what_to_set() {
        let c = call_with(
            "add_responders",
            json!({"incident_id": "Q1", "message": "Join", "user_ids": ["PU2"]}),
            vec![
                account_token_answer(),
                json_response(200, json!({"users": [], "more": false})),
            ],
            configured(Some("ghost@example.com")),
        );
        assert_eq!(c.code(), "USER_CONTEXT_UNAVAILABLE");
        assert!(c.message().contains("ghost@example.com"), "{}", c.message());
        assert!(!c.sent.iter().any(|s| s.contains("responder_requests")));
        let c = call_with(
            "add_responders",
            json!({"incident_id": "Q1", "message": "Join", "user_ids": ["PU2"]}),
            vec![account_token_answer()],
            configured(None),
        );
        assert_eq!(c.code(), "USER_CONTEXT_UNAVAILABLE");
        assert!(
            c.message().contains("PAGERDUTY_USER_EMAIL"),
            "{}",
            c.message()
        );
    }

    #[test]
    fn status_update_posts_the_message() {
        let c = call_as_me(
            "create_incident_status_update",
            json!({"incident_id": "Q1", "message": "Mitigated; next update in 30 minutes."}),
            200,
            json!({"status_update": {"id": "PSU1", "message": "Mitigated; next update in 30 minutes.",
                    "created_at": "2026-11-24T07:00:00Z",
                    "sender": {"id": "PME0001", "type": "user_reference", "summary": "Me", "self": "x"}}}),
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(c.sent, ["/users/me", "/incidents/Q1/status_updates"]);
        c.assert_write(1, Method::Post);
        assert_eq!(
            c.body(1),
            json!({"message": "Mitigated; next update in 30 minutes."})
        );
        assert_eq!(
            c.envelope["status_updates"],
            json!([{"id": "PSU1", "message": "Mitigated; next update in 30 minutes.",
                "created_at": "2026-11-24T07:00:00Z", "sender": {"id": "PME0001", "summary": "Me"}}])
        );
        assert_refused(
            "create_incident_status_update",
            json!({"incident_id": "Q1", "message": "  "}),
            "MISSING_PARAMETER",
        );
    }

    #[test]
    fn annotations_follow_the_contract() {
        for (name, destructive, idempotent) in [
            ("create_incident", false, false),
            ("manage_incidents", true, true),
            ("snooze_incident", false, false),
            ("merge_incidents", true, true),
            ("add_responders", false, false),
            ("create_incident_status_update", false, false),
        ] {
            let a = crate::catalog::find(name).unwrap().annotations();
            assert!(!a.read_only, "{name}");
            assert_eq!(
                (a.destructive, a.idempotent),
                (destructive, idempotent),
                "{name}"
            );
        }
    }
}

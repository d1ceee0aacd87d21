//! Users: the caller (`get_current_user`), the user directory, one user's details
//! and their notification rules.

use super::{QUERY, list_fields, list_unpaged, search_query, team_filter};
use crate::args::{Args, LIMIT, Param, ParamKind, ids};
use crate::catalog::{Access, Operation, Projection, QueryFrom, Run, Tool, UserContextRule};
use crate::client::Query;
use crate::context::Call;
use crate::envelope::Output;
use crate::error::ToolResult;
use crate::projection::project;
use crate::toolsets::Toolset;
use serde_json::{Value, json};

/// The fields of a user an on-call engineer needs.
pub const USER_FIELDS: &[&str] = &[
    "id",
    "name",
    "email",
    "time_zone",
    "role",
    "job_title",
    "description",
    "teams",
    "contact_methods",
    "html_url",
];

/// The fields of a user in lists (contact methods are only references there).
pub const USER_LIST_FIELDS: &[&str] = &[
    "id",
    "name",
    "email",
    "time_zone",
    "role",
    "job_title",
    "teams",
    "html_url",
];

/// A user projected for a list.
pub fn project_user(user: &Value) -> Value {
    project(user, USER_LIST_FIELDS)
}

/// The user tools.
pub const TOOLS: &[Tool] = &[
    Tool {
        toolset: Toolset::People,
        name: "get_current_user",
        title: "Get current user",
        description: "Get the PagerDuty user the API token belongs to: name, email, role, time zone, teams, \
            plus the IDs of the services of those teams (service_ids) and of the escalation policies that include \
            the user (escalation_policy_ids). These are what current_user_context=true filters by in other tools. \
            Fails with USER_CONTEXT_UNAVAILABLE for an account-level token.",
        resource: "users",
        params: &[],
        access: Access::Read,
        user_context: None,
        operations: &[
            Operation::get("/users/me"),
            Operation::get("/services"),
            Operation::get("/escalation_policies"),
        ],
        example: "{}",
        run: Run::Custom(get_current_user),
    },
    Tool {
        toolset: Toolset::People,
        name: "list_users",
        title: "List users",
        description: "List PagerDuty users with their email, role, time zone and teams. With \
            current_user_context=true (the default) only members of your own teams are listed; \
            set it to false and pass team_ids or query to search the whole account.",
        resource: "users",
        params: &[
            QUERY,
            Param {
                name: "team_ids",
                kind: ParamKind::IdList(ids::TEAM),
                required: false,
                description: "Only users in these teams (IDs like 'PQRS123'). Requires current_user_context=false.",
            },
            Param {
                name: "current_user_context",
                kind: ParamKind::Bool { default: true },
                required: false,
                description: "true (default): only users of your own teams; team_ids cannot be passed. \
                    false: pass team_ids or query.",
            },
            LIMIT,
        ],
        access: Access::Read,
        user_context: Some(UserContextRule {
            rejects: &["team_ids"],
            requires_one_of: &["team_ids", "query"],
        }),
        operations: &[Operation::get("/users"), Operation::get("/users/me")],
        example: r#"{"current_user_context": false, "query": "an"}"#,
        run: Run::Custom(list_users),
    },
    Tool {
        toolset: Toolset::People,
        name: "get_user",
        title: "Get user",
        description: "Get one PagerDuty user by ID, with their contact methods (email, phone, SMS, push), \
            teams, role and time zone.",
        resource: "users",
        params: &[Param {
            name: "user_id",
            kind: ParamKind::Id(ids::USER),
            required: true,
            description: "The user's ID, e.g. 'PXPGF42'.",
        }],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/users/{id}")],
        example: r#"{"user_id": "PP2ITO8"}"#,
        run: Run::Get {
            key: "user",
            query: QueryFrom {
                fixed: &[("include[]", "contact_methods")],
                ..QueryFrom::NONE
            },
            project: Projection::Fields(USER_FIELDS),
        },
    },
    Tool {
        toolset: Toolset::People,
        name: "list_user_notification_rules",
        title: "List user notification rules",
        description: "List how and when PagerDuty notifies a user of an incident assigned to them: each rule's \
            urgency (high or low incidents), its delay in minutes after assignment, and the contact method used \
            (type email_contact_method, phone_contact_method, sms_contact_method or \
            push_notification_contact_method, with its label as summary). Contact details: get_user.",
        resource: "notification_rules",
        params: &[
            Param {
                name: "user_id",
                kind: ParamKind::Id(ids::USER),
                required: true,
                description: "The user's ID, e.g. 'PXPGF42'.",
            },
            Param {
                name: "urgency",
                kind: ParamKind::Enum(&["high", "low", "all"]),
                required: false,
                description: "The rules for high-urgency incidents, low-urgency ones, or all (default).",
            },
            LIMIT,
        ],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/users/{id}/notification_rules")],
        example: r#"{"user_id": "PU0A1B2"}"#,
        run: Run::Custom(list_user_notification_rules),
    },
];

fn get_current_user(call: &mut Call<'_>, _args: &Args) -> ToolResult<Output> {
    let me = call.me()?.clone();
    let service_ids = if me.team_ids.is_empty() {
        Vec::new()
    } else {
        let mut q = Query::new();
        q.push_all("team_ids[]", &me.team_ids);
        call.ids_of_all("/services", &q, "services")?
    };
    let escalation_policy_ids = call.my_escalation_policy_ids()?;
    let mut user = project(&me.user, USER_FIELDS);
    user["service_ids"] = json!(service_ids);
    user["escalation_policy_ids"] = json!(escalation_policy_ids);
    Ok(Output::one(user))
}

fn list_users(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let mut q = search_query(args);
    q.push_all("team_ids[]", &team_filter(call, args)?);
    list_fields(call, "/users", &q, "users", USER_LIST_FIELDS, args)
}

/// PagerDuty sends no `limit`/`offset` for notification rules: the list comes
/// whole, cut to `limit` here. `urgency` is always sent (PagerDuty's own
/// default is `high`; the tool's is `all`).
fn list_user_notification_rules(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let path = format!("/users/{}/notification_rules", args.required("user_id"));
    let mut q = Query::new();
    q.push("urgency", args.text("urgency").unwrap_or("all"));
    list_unpaged(
        call,
        &path,
        &q,
        "notification_rules",
        args,
        project_notification_rule,
    )
}

/// A notification rule: when, for which urgency, by which contact method (its
/// kind kept as `type`, without the `_reference` suffix).
pub fn project_notification_rule(rule: &Value) -> Value {
    let mut out = project(rule, &["id", "urgency", "start_delay_in_minutes"]);
    if let Some(method) = rule.get("contact_method").filter(|m| m.is_object()) {
        let mut contact = project(method, &["id", "summary"]);
        if let Some(kind) = method.get("type").and_then(Value::as_str) {
            contact["type"] = json!(kind.strip_suffix("_reference").unwrap_or(kind));
        }
        out["contact_method"] = contact;
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_refused, call, call_forever, json_response, me_response, page};
    use serde_json::json;

    #[test]
    fn current_user_comes_with_context_ids() {
        let c = call(
            "get_current_user",
            json!({}),
            vec![
                me_response(&["PT1", "PT2"]),
                page(
                    "services",
                    vec![json!({"id": "PS1"}), json!({"id": "PS2"})],
                    false,
                ),
                page("escalation_policies", vec![json!({"id": "PE1"})], false),
            ],
        );
        assert_eq!(
            c.sent,
            [
                "/users/me",
                "/services?team_ids[]=PT1&team_ids[]=PT2&limit=100&offset=0",
                "/escalation_policies?user_ids[]=PME0001&limit=100&offset=0",
            ]
        );
        let user = &c.envelope["users"][0];
        assert_eq!(user["id"], "PME0001");
        assert_eq!(
            user["teams"],
            json!([{"id": "PT1", "summary": "Team PT1"}, {"id": "PT2", "summary": "Team PT2"}])
        );
        assert_eq!(user["service_ids"], json!(["PS1", "PS2"]));
        assert_eq!(user["escalation_policy_ids"], json!(["PE1"]));
        assert!(user.get("self").is_none());
    }

    #[test]
    fn current_user_rejects_arguments() {
        assert_refused(
            "get_current_user",
            json!({"user_id": "P1"}),
            "INVALID_PARAMETER",
        );
    }

    #[test]
    fn list_users_filters_by_my_teams_or_explicit_ones() {
        let c = call(
            "list_users",
            json!({"query": "ann"}),
            vec![me_response(&["PT1"]), page("users", vec![], false)],
        );
        assert_eq!(
            c.sent[1],
            "/users?query=ann&team_ids[]=PT1&limit=100&offset=0"
        );
        let c = call(
            "list_users",
            json!({"current_user_context": false, "query": "ann"}),
            vec![page("users", vec![], false)],
        );
        assert_eq!(c.sent, ["/users?query=ann&limit=100&offset=0"]);
        assert_refused(
            "list_users",
            json!({"team_ids": ["PT1"]}),
            "CONFLICTING_PARAMETERS",
        );
        assert_refused(
            "list_users",
            json!({"current_user_context": false}),
            "MISSING_PARAMETER",
        );
        assert_refused(
            "list_users",
            json!({"current_user_context": false, "team_ids": ["bad-id"]}),
            "INVALID_TEAM_ID",
        );
    }

    #[test]
    fn get_user_includes_contact_methods() {
        let user = json!({"id": "PU1", "name": "Ann", "email": "ann@x.com", "type": "user", "self": "x",
            "contact_methods": [{"id": "PC1", "type": "phone_contact_method", "address": "5550100", "country_code": 1, "label": "Mobile", "self": "x"}]});
        let c = call(
            "get_user",
            json!({"user_id": "PU1"}),
            vec![json_response(200, json!({"user": user}))],
        );
        assert_eq!(c.sent, ["/users/PU1?include[]=contact_methods"]);
        assert_eq!(
            c.envelope["users"][0]["contact_methods"][0],
            json!({"id": "PC1", "type": "phone_contact_method", "address": "5550100", "country_code": 1, "label": "Mobile"})
        );
        assert_refused("get_user", json!({"user_id": "P@X"}), "INVALID_USER_ID");
    }

    #[test]
    fn an_upstream_that_always_has_more_stops_at_the_request_cap() {
        // One item per page and `more: true` forever: without a cap the current
        // user's services alone took 10,000 requests.
        let c = call_forever(
            "get_current_user",
            json!({}),
            vec![me_response(&["PT1"])],
            page("services", vec![json!({"id": "PS1"})], true),
        );
        assert_eq!(c.code(), "UPSTREAM_ERROR", "{}", c.envelope);
        let message = c.message();
        assert!(
            message.contains("more than 100 PagerDuty requests") && message.contains("Narrow it"),
            "{message}"
        );
        assert_eq!(
            c.requests.len(),
            crate::client::MAX_REQUESTS_PER_CALL as usize
        );
    }

    #[test]
    fn an_id_list_too_long_for_a_url_is_a_parameter_error_before_sending() {
        let team_ids: Vec<String> = (0..200).map(|i| format!("P{i:063}")).collect();
        let c = assert_refused(
            "list_users",
            json!({"current_user_context": false, "team_ids": team_ids}),
            "INVALID_PARAMETER",
        );
        let message = c.message();
        assert!(
            message.contains("'team_ids' takes the most room (200 values")
                && message.contains("8000 bytes"),
            "{message}"
        );
        assert!(c.sent.is_empty());
    }

    #[test]
    fn notification_rules_send_urgency_and_keep_the_contact_kind() {
        let rules = json!({"notification_rules": [
            {"id": "PR1", "type": "assignment_notification_rule", "summary": "0 minutes: channel PC1", "self": "x",
             "html_url": null, "start_delay_in_minutes": 0, "urgency": "high",
             "contact_method": {"id": "PC1", "type": "push_notification_contact_method_reference", "summary": "iPhone", "self": "x"}},
            {"id": "PR2", "type": "assignment_notification_rule", "start_delay_in_minutes": 5, "urgency": "high",
             "contact_method": {"id": "PC2", "type": "phone_contact_method", "summary": "Mobile", "address": "555"}},
            {"id": "PR3", "type": "assignment_notification_rule", "start_delay_in_minutes": 0, "urgency": "low",
             "contact_method": {"id": "PC3", "type": "email_contact_method_reference", "summary": "Default"}}
        ]});
        let c = call(
            "list_user_notification_rules",
            json!({"user_id": "PU1"}),
            vec![json_response(200, rules.clone())],
        );
        assert_eq!(c.sent, ["/users/PU1/notification_rules?urgency=all"]);
        assert_eq!(
            c.envelope["notification_rules"],
            json!([
                {"id": "PR1", "urgency": "high", "start_delay_in_minutes": 0,
                 "contact_method": {"id": "PC1", "summary": "iPhone", "type": "push_notification_contact_method"}},
                {"id": "PR2", "urgency": "high", "start_delay_in_minutes": 5,
                 "contact_method": {"id": "PC2", "summary": "Mobile", "type": "phone_contact_method"}},
                {"id": "PR3", "urgency": "low", "start_delay_in_minutes": 0,
                 "contact_method": {"id": "PC3", "summary": "Default", "type": "email_contact_method"}}
            ])
        );
        // Unpaged: cut to limit here.
        let c = call(
            "list_user_notification_rules",
            json!({"user_id": "PU1", "urgency": "high", "limit": 2}),
            vec![json_response(200, rules)],
        );
        assert_eq!(c.sent, ["/users/PU1/notification_rules?urgency=high"]);
        assert_eq!(
            c.envelope["notification_rules"].as_array().unwrap().len(),
            2
        );
        assert_eq!(c.envelope["metadata"]["has_more"], json!(true));
        for (args, code) in [
            (json!({}), "MISSING_PARAMETER"),
            (json!({"user_id": "P@1"}), "INVALID_USER_ID"),
            (
                json!({"user_id": "PU1", "urgency": "urgent"}),
                "INVALID_PARAMETER",
            ),
            (
                json!({"user_id": "PU1", "limit": 1001}),
                "INVALID_PARAMETER",
            ),
        ] {
            assert_refused("list_user_notification_rules", args, code);
        }
    }
}

//! Services: what is monitored, who owns it, and how it escalates.

use super::{QUERY, list_fields, search_query, team_filter};
use crate::args::{Args, LIMIT, Param, ParamKind, ids};
use crate::catalog::{Access, Operation, Projection, QueryFrom, Run, Tool, UserContextRule};
use crate::context::Call;
use crate::envelope::Output;
use crate::error::ToolResult;
use crate::toolsets::Toolset;

/// The fields of a service an on-call engineer needs.
pub const SERVICE_FIELDS: &[&str] = &[
    "id",
    "name",
    "description",
    "status",
    "escalation_policy",
    "teams",
    "acknowledgement_timeout",
    "auto_resolve_timeout",
    "last_incident_timestamp",
    "html_url",
];

/// The `service_id` argument of every tool on one service.
pub const SERVICE_ID: Param = Param {
    name: "service_id",
    kind: ParamKind::Id(ids::SERVICE),
    required: true,
    description: "The service's ID, e.g. 'PIJ90N7'.",
};

/// The service tools.
pub const TOOLS: &[Tool] = &[
    Tool {
        toolset: Toolset::Services,
        name: "list_services",
        title: "List services",
        description: "List PagerDuty services with status (active, warning, critical, maintenance, disabled), \
            escalation policy and owning teams. With current_user_context=true (the default) only services of \
            your own teams are listed; set it to false and pass team_ids or query to search the whole account.",
        resource: "services",
        params: &[
            QUERY,
            Param {
                name: "team_ids",
                kind: ParamKind::IdList(ids::TEAM),
                required: false,
                description: "Only services of these teams. Requires current_user_context=false.",
            },
            Param {
                name: "current_user_context",
                kind: ParamKind::Bool { default: true },
                required: false,
                description: "true (default): only services of your own teams; team_ids cannot be passed. \
                    false: pass team_ids or query.",
            },
            LIMIT,
        ],
        access: Access::Read,
        user_context: Some(UserContextRule {
            rejects: &["team_ids"],
            requires_one_of: &["team_ids", "query"],
        }),
        operations: &[Operation::get("/services"), Operation::get("/users/me")],
        example: "{}",
        run: Run::Custom(list_services),
    },
    Tool {
        toolset: Toolset::Services,
        name: "get_service",
        title: "Get service",
        description: "Get one PagerDuty service by ID: status, description, escalation policy, teams, \
            acknowledgement and auto-resolve timeouts, time of its last incident.",
        resource: "services",
        params: &[SERVICE_ID],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/services/{id}")],
        example: r#"{"service_id": "PLA4VTH"}"#,
        run: Run::Get {
            key: "service",
            query: QueryFrom::NONE,
            project: Projection::Fields(SERVICE_FIELDS),
        },
    },
];

fn list_services(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let mut q = search_query(args);
    q.push_all("team_ids[]", &team_filter(call, args)?);
    q.push("sort_by", "name");
    list_fields(call, "/services", &q, "services", SERVICE_FIELDS, args)
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_refused, call, json_response, me_response, page};
    use serde_json::json;

    #[test]
    fn list_services_by_context_query_or_teams() {
        let c = call(
            "list_services",
            json!({}),
            vec![
                me_response(&["PT1"]),
                page(
                    "services",
                    vec![json!({"id": "PS1", "name": "API", "status": "active", "self": "x"})],
                    false,
                ),
            ],
        );
        assert_eq!(
            c.sent[1],
            "/services?team_ids[]=PT1&sort_by=name&limit=100&offset=0"
        );
        assert_eq!(
            c.envelope["services"],
            json!([{"id": "PS1", "name": "API", "status": "active"}])
        );
        let c = call(
            "list_services",
            json!({"current_user_context": false, "query": "pay"}),
            vec![page("services", vec![], false)],
        );
        assert_eq!(
            c.sent,
            ["/services?query=pay&sort_by=name&limit=100&offset=0"]
        );
        assert_refused(
            "list_services",
            json!({"team_ids": ["PT1"]}),
            "CONFLICTING_PARAMETERS",
        );
        assert_refused(
            "list_services",
            json!({"current_user_context": false}),
            "MISSING_PARAMETER",
        );
    }

    #[test]
    fn get_service() {
        let c = call(
            "get_service",
            json!({"service_id": "PS1"}),
            vec![json_response(
                200,
                json!({"service": {"id": "PS1", "name": "API",
            "escalation_policy": {"id": "PE1", "type": "escalation_policy_reference", "summary": "Ops"}, "integrations": [{"id": "I1"}]}}),
            )],
        );
        assert_eq!(c.sent, ["/services/PS1"]);
        assert_eq!(
            c.envelope["services"],
            json!([{"id": "PS1", "name": "API", "escalation_policy": {"id": "PE1", "summary": "Ops"}}])
        );
        assert_refused(
            "get_service",
            json!({"service_id": ""}),
            "MISSING_PARAMETER",
        );
        assert_refused(
            "get_service",
            json!({"service_id": "a/b"}),
            "INVALID_SERVICE_ID",
        );
    }
}

//! Escalation policies: who is notified, in which order, after how long.

use super::{QUERY, list_paged, push_lists, search_query};
use crate::args::{Args, LIMIT, Param, ParamKind, ids};
use crate::catalog::{Access, Operation, Projection, QueryFrom, Run, Tool, UserContextRule};
use crate::context::Call;
use crate::envelope::Output;
use crate::error::ToolResult;
use crate::projection::project;
use crate::toolsets::Toolset;
use serde_json::Value;

/// The fields of an escalation policy.
const POLICY_FIELDS: &[&str] = &[
    "id",
    "name",
    "description",
    "num_loops",
    "escalation_rules",
    "services",
    "teams",
    "html_url",
];

fn project_policy(policy: &Value) -> Value {
    project(policy, POLICY_FIELDS)
}

/// The escalation policy tools.
pub const TOOLS: &[Tool] = &[
    Tool {
        toolset: Toolset::Oncall,
        name: "list_escalation_policies",
        title: "List escalation policies",
        description: "List escalation policies with their rules (who is notified at each level: users or \
            schedules, and after how many minutes), services and teams. With current_user_context=true (the \
            default) only policies that include you are listed; set it to false and pass user_ids, team_ids \
            or query instead.",
        resource: "escalation_policies",
        params: &[
            QUERY,
            Param {
                name: "user_ids",
                kind: ParamKind::IdList(ids::USER),
                required: false,
                description: "Only policies that include these users (directly or via a schedule). Requires current_user_context=false.",
            },
            Param {
                name: "team_ids",
                kind: ParamKind::IdList(ids::TEAM),
                required: false,
                description: "Only policies of these teams. Requires current_user_context=false.",
            },
            Param {
                name: "current_user_context",
                kind: ParamKind::Bool { default: true },
                required: false,
                description: "true (default): only policies that include you; user_ids and team_ids cannot be \
                    passed. false: pass user_ids, team_ids or query.",
            },
            LIMIT,
        ],
        access: Access::Read,
        user_context: Some(UserContextRule {
            rejects: &["user_ids", "team_ids"],
            requires_one_of: &["user_ids", "team_ids", "query"],
        }),
        operations: &[
            Operation::get("/escalation_policies"),
            Operation::get("/users/me"),
        ],
        example: "{}",
        run: Run::Custom(list_escalation_policies),
    },
    Tool {
        toolset: Toolset::Oncall,
        name: "get_escalation_policy",
        title: "Get escalation policy",
        description: "Get one escalation policy by ID: its rules in order (targets and delays), how often it \
            loops, its services and teams.",
        resource: "escalation_policies",
        params: &[Param {
            name: "escalation_policy_id",
            kind: ParamKind::Id(ids::ESCALATION_POLICY),
            required: true,
            description: "The escalation policy's ID, e.g. 'PT20YPA'.",
        }],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/escalation_policies/{id}")],
        example: r#"{"escalation_policy_id": "PTC3CDO"}"#,
        run: Run::Get {
            key: "escalation_policy",
            query: QueryFrom::NONE,
            project: Projection::Fields(POLICY_FIELDS),
        },
    },
];

fn list_escalation_policies(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let mut q = search_query(args);
    if args.flag("current_user_context") {
        let me = call.me()?.id.clone();
        q.push("user_ids[]", me);
    } else {
        push_lists(&mut q, args, &["user_ids", "team_ids"]);
    }
    q.push("sort_by", "name");
    list_paged(
        call,
        "/escalation_policies",
        &q,
        "escalation_policies",
        args,
        project_policy,
    )
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_refused, call, json_response, me_response, page};
    use serde_json::json;

    #[test]
    fn list_policies_that_include_me_or_by_filters() {
        let c = call(
            "list_escalation_policies",
            json!({}),
            vec![
                me_response(&["PT1"]),
                page("escalation_policies", vec![], false),
            ],
        );
        assert_eq!(
            c.sent[1],
            "/escalation_policies?user_ids[]=PME0001&sort_by=name&limit=100&offset=0"
        );
        let c = call(
            "list_escalation_policies",
            json!({"current_user_context": false, "team_ids": ["PT1"], "user_ids": ["PU1"]}),
            vec![page("escalation_policies", vec![], false)],
        );
        assert_eq!(
            c.sent,
            ["/escalation_policies?user_ids[]=PU1&team_ids[]=PT1&sort_by=name&limit=100&offset=0"]
        );
        assert_refused(
            "list_escalation_policies",
            json!({"user_ids": ["PU1"]}),
            "CONFLICTING_PARAMETERS",
        );
        assert_refused(
            "list_escalation_policies",
            json!({"current_user_context": false}),
            "MISSING_PARAMETER",
        );
    }

    #[test]
    fn get_policy_keeps_rule_target_kinds() {
        let policy = json!({"id": "PE1", "name": "Ops", "num_loops": 2, "escalation_rules": [{"id": "R1", "escalation_delay_in_minutes": 30,
            "targets": [{"id": "PS1", "type": "schedule_reference", "summary": "Primary"}, {"id": "PU1", "type": "user_reference", "summary": "Ann"}]}]});
        let c = call(
            "get_escalation_policy",
            json!({"escalation_policy_id": "PE1"}),
            vec![json_response(200, json!({"escalation_policy": policy}))],
        );
        assert_eq!(c.sent, ["/escalation_policies/PE1"]);
        assert_eq!(
            c.envelope["escalation_policies"][0]["escalation_rules"][0]["targets"][0],
            json!({"id": "PS1", "summary": "Primary", "type": "schedule"})
        );
        assert_refused(
            "get_escalation_policy",
            json!({"escalation_policy_id": "x-1"}),
            "INVALID_ESCALATION_POLICY_ID",
        );
    }
}

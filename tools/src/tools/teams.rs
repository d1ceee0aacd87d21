//! Teams and their members.

use super::QUERY;
use crate::args::{LIMIT, Param, ParamKind, ids};
use crate::catalog::{Access, Operation, Projection, QueryFrom, Run, Tool};
use crate::toolsets::Toolset;

/// The fields of a team.
const TEAM_FIELDS: &[&str] = &["id", "name", "description", "parent", "html_url"];

const TEAM_ID: Param = Param {
    name: "team_id",
    kind: ParamKind::Id(ids::TEAM),
    required: true,
    description: "The team's ID, e.g. 'PQ9K7I8'.",
};

/// The team tools.
pub const TOOLS: &[Tool] = &[
    Tool {
        toolset: Toolset::People,
        name: "list_teams",
        title: "List teams",
        description: "List the teams of the PagerDuty account (name, description, parent team). \
            Use query to search by name.",
        resource: "teams",
        params: &[QUERY, LIMIT],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/teams")],
        example: "{}",
        run: Run::List {
            key: "teams",
            query: QueryFrom::args(&["query"]),
            project: Projection::Fields(TEAM_FIELDS),
        },
    },
    Tool {
        toolset: Toolset::People,
        name: "get_team",
        title: "Get team",
        description: "Get one PagerDuty team by ID: name, description and parent team.",
        resource: "teams",
        params: &[TEAM_ID],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/teams/{id}")],
        example: r#"{"team_id": "PD9Q2HX"}"#,
        run: Run::Get {
            key: "team",
            query: QueryFrom::NONE,
            project: Projection::Fields(TEAM_FIELDS),
        },
    },
    Tool {
        toolset: Toolset::People,
        name: "list_team_members",
        title: "List team members",
        description: "List the members of a team with their role in it (manager, responder, observer).",
        resource: "members",
        params: &[TEAM_ID, LIMIT],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/teams/{id}/members")],
        example: r#"{"team_id": "PD9Q2HX"}"#,
        run: Run::List {
            key: "members",
            query: QueryFrom::NONE,
            project: Projection::Fields(&["user", "role"]),
        },
    },
];

#[cfg(test)]
mod tests {
    use crate::testing::{assert_refused, call, json_response, page};
    use serde_json::json;

    #[test]
    fn team_tools_send_the_right_requests() {
        let c = call(
            "list_teams",
            json!({"query": "plat", "limit": 1}),
            vec![page(
                "teams",
                vec![
                    json!({"id": "PT1", "name": "Platform", "type": "team"}),
                    json!({"id": "PT2"}),
                ],
                true,
            )],
        );
        assert_eq!(c.sent, ["/teams?query=plat&limit=1&offset=0"]);
        assert_eq!(
            c.envelope["teams"],
            json!([{"id": "PT1", "name": "Platform"}])
        );
        assert_eq!(c.envelope["metadata"]["has_more"], true);
        let c = call(
            "get_team",
            json!({"team_id": "PT1"}),
            vec![json_response(
                200,
                json!({"team": {"id": "PT1", "name": "Platform"}}),
            )],
        );
        assert_eq!(c.sent, ["/teams/PT1"]);
        let c = call(
            "list_team_members",
            json!({"team_id": "PT1"}),
            vec![page(
                "members",
                vec![
                    json!({"user": {"id": "PU1", "type": "user_reference", "summary": "Ann"}, "role": "manager"}),
                ],
                false,
            )],
        );
        assert_eq!(c.sent, ["/teams/PT1/members?limit=100&offset=0"]);
        assert_eq!(
            c.envelope["members"],
            json!([{"user": {"id": "PU1", "summary": "Ann"}, "role": "manager"}])
        );
        assert_refused(
            "list_team_members",
            json!({"team_id": "P T"}),
            "INVALID_TEAM_ID",
        );
    }
}

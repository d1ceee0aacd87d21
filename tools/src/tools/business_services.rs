//! Business services and service dependencies: what customers see, and which
//! services it stands on.

use crate::args::{Args, LIMIT, Param, ParamKind, ids};
use crate::catalog::{Access, Operation, Projection, QueryFrom, Run, Tool};
use crate::client::Query;
use crate::context::Call;
use crate::envelope::Output;
use crate::error::{ErrorCode, ToolError, ToolResult};
use crate::toolsets::Toolset;
use serde_json::{Map, Value};

/// The fields of a business service an on-call engineer needs.
pub const BUSINESS_SERVICE_FIELDS: &[&str] = &[
    "id",
    "name",
    "description",
    "point_of_contact",
    "team",
    "html_url",
];

/// The `business_service_id` argument.
const BUSINESS_SERVICE_ID: Param = Param {
    name: "business_service_id",
    kind: ParamKind::Id(ids::BUSINESS_SERVICE),
    required: true,
    description: "The business service's ID, e.g. 'PQA508V' (from list_business_services).",
};

/// The business service and dependency tools.
pub const TOOLS: &[Tool] = &[
    Tool {
        toolset: Toolset::Services,
        name: "list_business_services",
        title: "List business services",
        description: "List PagerDuty business services (capabilities customers see, such as checkout or \
            login, that span technical services) with description, point of contact and owning team.",
        resource: "business_services",
        params: &[LIMIT],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/business_services")],
        example: "{}",
        run: Run::List {
            key: "business_services",
            query: QueryFrom::NONE,
            project: Projection::Fields(BUSINESS_SERVICE_FIELDS),
        },
    },
    Tool {
        toolset: Toolset::Services,
        name: "get_business_service",
        title: "Get business service",
        description: "Get one PagerDuty business service by ID: name, description, point of contact and \
            owning team. Its supporting services: get_business_service_dependencies.",
        resource: "business_services",
        params: &[BUSINESS_SERVICE_ID],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/business_services/{id}")],
        example: r#"{"business_service_id": "PQA508V"}"#,
        run: Run::Get {
            key: "business_service",
            query: QueryFrom::NONE,
            project: Projection::Fields(BUSINESS_SERVICE_FIELDS),
        },
    },
    Tool {
        toolset: Toolset::Services,
        name: "get_business_service_dependencies",
        title: "Get business service dependencies",
        description: "Get the immediate dependencies of a business service, both ways: the technical and \
            business services it depends on, and the business services that depend on it. Each relationship \
            has a supporting_service and a dependent_service ({id, type}; type is technical_service or \
            business_service): the dependent one needs the supporting one. Names: get_service, \
            get_business_service.",
        resource: "relationships",
        params: &[BUSINESS_SERVICE_ID],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get(
            "/service_dependencies/business_services/{id}",
        )],
        example: r#"{"business_service_id": "PQA508V"}"#,
        run: Run::Custom(business_service_dependencies),
    },
    Tool {
        toolset: Toolset::Services,
        name: "get_technical_service_dependencies",
        title: "Get technical service dependencies",
        description: "Get the immediate dependencies of a technical service (a service of list_services), \
            both ways: the services it depends on and the technical or business services that depend on it. \
            Each relationship has a supporting_service and a dependent_service ({id, type}; type is \
            technical_service or business_service): the dependent one needs the supporting one. Use it to \
            see what an incident on the service may affect, or what may cause it.",
        resource: "relationships",
        params: &[Param {
            name: "service_id",
            kind: ParamKind::Id(ids::SERVICE),
            required: true,
            description: "The technical service's ID, e.g. 'PLA4VTH'.",
        }],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get(
            "/service_dependencies/technical_services/{id}",
        )],
        example: r#"{"service_id": "PLA4VTH"}"#,
        run: Run::Custom(technical_service_dependencies),
    },
];

fn business_service_dependencies(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let id = args.required("business_service_id");
    relationships(
        call,
        &format!("/service_dependencies/business_services/{id}"),
    )
}

fn technical_service_dependencies(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let id = args.required("service_id");
    relationships(
        call,
        &format!("/service_dependencies/technical_services/{id}"),
    )
}

/// `GET path` (a dependency endpoint, not paginated): its relationships, projected.
fn relationships(call: &mut Call<'_>, path: &str) -> ToolResult<Output> {
    let body = call.client.get(path, &Query::new())?;
    let items = body
        .get("relationships")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ToolError::new(
                ErrorCode::UpstreamError,
                format!("PagerDuty's answer to GET {path} has no 'relationships'"),
            )
        })?;
    Ok(Output::items(
        items.iter().map(project_relationship).collect(),
    ))
}

/// A relationship: its two sides, each `{id, type, summary}` with the kind of
/// service (`technical_service`, `business_service`) kept, since a side can be
/// either.
pub fn project_relationship(relationship: &Value) -> Value {
    let mut out = Map::new();
    for side in ["supporting_service", "dependent_service"] {
        if let Some(service) = relationship.get(side).and_then(project_side) {
            out.insert(side.to_string(), service);
        }
    }
    Value::Object(out)
}

/// One side of a relationship: id, kind without the `_reference` suffix, summary
/// when PagerDuty sends one.
fn project_side(service: &Value) -> Option<Value> {
    let mut out = Map::new();
    out.insert("id".into(), service.get("id")?.clone());
    if let Some(kind) = service.get("type").and_then(Value::as_str) {
        let kind = kind.strip_suffix("_reference").unwrap_or(kind);
        out.insert("type".into(), Value::String(kind.to_string()));
    }
    if let Some(summary) = service
        .get("summary")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        out.insert("summary".into(), Value::String(summary.to_string()));
    }
    Some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_refused, call, json_response, page};
    use serde_json::json;

    #[test]
    fn list_business_services_pages_and_projects() {
        let c = call(
            "list_business_services",
            json!({"limit": 2}),
            vec![page(
                "business_services",
                vec![
                    json!({"id": "PB1", "type": "business_service", "summary": "Checkout", "self": "x",
                        "html_url": "https://x.pagerduty.com/business_services/PB1", "name": "Checkout",
                        "description": "Pay", "point_of_contact": "Jordan", "team": {"id": "PT1", "type": "team_reference", "self": "t"}}),
                    json!({"id": "PB2", "name": "Mobile", "description": "", "team": null}),
                ],
                true,
            )],
        );
        assert_eq!(c.sent, ["/business_services?limit=2&offset=0"]);
        assert_eq!(
            c.envelope["business_services"],
            json!([
                {"id": "PB1", "name": "Checkout", "description": "Pay", "point_of_contact": "Jordan",
                 "team": {"id": "PT1"}, "html_url": "https://x.pagerduty.com/business_services/PB1"},
                {"id": "PB2", "name": "Mobile"}
            ])
        );
        assert_eq!(c.envelope["metadata"]["has_more"], json!(true));
        assert_refused(
            "list_business_services",
            json!({"limit": 0}),
            "INVALID_PARAMETER",
        );
        assert_eq!(
            call(
                "list_business_services",
                json!({"team_ids": ["PT1"]}),
                vec![]
            )
            .code(),
            "INVALID_PARAMETER",
            "PagerDuty's list takes no filters, so neither does the tool"
        );
    }

    #[test]
    fn get_business_service() {
        let c = call(
            "get_business_service",
            json!({"business_service_id": "PB1"}),
            vec![json_response(
                200,
                json!({"business_service": {"id": "PB1", "type": "business_service", "name": "Checkout",
                    "point_of_contact": "Jordan", "team": {"id": "PT1", "type": "team_reference"}}}),
            )],
        );
        assert_eq!(c.sent, ["/business_services/PB1"]);
        assert_eq!(
            c.envelope["business_services"],
            json!([{"id": "PB1", "name": "Checkout", "point_of_contact": "Jordan", "team": {"id": "PT1"}}])
        );
        assert_refused("get_business_service", json!({}), "MISSING_PARAMETER");
        assert_refused(
            "get_business_service",
            json!({"business_service_id": "P-1"}),
            "INVALID_BUSINESS_SERVICE_ID",
        );
    }

    fn relationships() -> serde_json::Value {
        json!({"relationships": [
            {"id": "D1", "type": "service_dependency",
             "supporting_service": {"id": "PS1", "type": "technical_service_reference"},
             "dependent_service": {"id": "PB1", "type": "business_service_reference", "summary": "Checkout"}},
            {"id": "D2", "type": "service_dependency",
             "supporting_service": {"id": "PB1", "type": "business_service_reference"},
             "dependent_service": {"id": "PB2", "type": "business_service_reference", "self": "x"}}
        ]})
    }

    #[test]
    fn business_service_dependencies_keep_each_sides_kind() {
        let c = call(
            "get_business_service_dependencies",
            json!({"business_service_id": "PB1"}),
            vec![json_response(200, relationships())],
        );
        assert_eq!(c.sent, ["/service_dependencies/business_services/PB1"]);
        assert_eq!(
            c.envelope["relationships"],
            json!([
                {"supporting_service": {"id": "PS1", "type": "technical_service"},
                 "dependent_service": {"id": "PB1", "type": "business_service", "summary": "Checkout"}},
                {"supporting_service": {"id": "PB1", "type": "business_service"},
                 "dependent_service": {"id": "PB2", "type": "business_service"}}
            ])
        );
        assert_eq!(c.envelope["metadata"]["count"], json!(2));
        assert_refused(
            "get_business_service_dependencies",
            json!({"business_service_id": " "}),
            "MISSING_PARAMETER",
        );
        assert_refused(
            "get_business_service_dependencies",
            json!({"business_service_id": "PB 1"}),
            "INVALID_BUSINESS_SERVICE_ID",
        );
    }

    #[test]
    fn technical_service_dependencies() {
        let c = call(
            "get_technical_service_dependencies",
            json!({"service_id": "PS1"}),
            vec![json_response(200, relationships())],
        );
        assert_eq!(c.sent, ["/service_dependencies/technical_services/PS1"]);
        assert_eq!(
            c.envelope["relationships"][0]["supporting_service"],
            json!({"id": "PS1", "type": "technical_service"})
        );
        let c = call(
            "get_technical_service_dependencies",
            json!({"service_id": "PS1"}),
            vec![json_response(200, json!({"relationships": []}))],
        );
        assert!(!c.is_error);
        assert_eq!(c.envelope["relationships"], json!([]));
        let c = call(
            "get_technical_service_dependencies",
            json!({"service_id": "PS1"}),
            vec![json_response(200, json!({}))],
        );
        assert_eq!(c.code(), "UPSTREAM_ERROR");
        assert_refused(
            "get_technical_service_dependencies",
            json!({}),
            "MISSING_PARAMETER",
        );
        assert_refused(
            "get_technical_service_dependencies",
            json!({"service_id": "P@1"}),
            "INVALID_SERVICE_ID",
        );
    }
}

//! `Spec::check_request`, `Spec::check_request_body` and `Spec::operation_id`.

use crate::common;

use common::{assert_err_contains, pairs, spec, std_headers};
use serde_json::json;

#[test]
fn valid_list_incidents_request_passes() {
    let query = pairs(&[
        ("statuses[]", "triggered"),
        ("statuses[]", "acknowledged"),
        ("urgencies[]", "high"),
        ("service_ids[]", "PIJ90N7"),
        ("service_ids[]", "PXYZ123"),
        ("include[]", "assignees"),
        ("limit", "25"),
        ("offset", "0"),
        ("total", "true"),
        ("since", "2024-01-01T00:00:00Z"),
        ("until", "2024-01-31T00:00:00Z"),
        ("time_zone", "UTC"),
        ("sort_by", "created_at:desc"),
    ]);
    assert_eq!(
        spec().check_request("GET", "/incidents", &query, &std_headers()),
        Ok(())
    );
    // No query at all is fine too, and header names are case-insensitive.
    let headers = pairs(&[
        ("accept", "application/vnd.pagerduty+json;version=2"),
        ("CONTENT-TYPE", "application/json"),
    ]);
    assert_eq!(
        spec().check_request("get", "/incidents", &[], &headers),
        Ok(())
    );
}

#[test]
fn unknown_query_parameter_fails() {
    let query = pairs(&[("status", "triggered")]);
    assert_err_contains(
        spec().check_request("GET", "/incidents", &query, &std_headers()),
        "unknown query parameter `status`",
    );
    // Reported once per name, with a hint for undecoded names.
    let query = pairs(&[
        ("statuses%5B%5D", "triggered"),
        ("statuses%5B%5D", "resolved"),
    ]);
    let errors = spec()
        .check_request("GET", "/incidents", &query, &std_headers())
        .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("must be percent-decoded"), "{errors:?}");
    // `[]` is part of the name.
    let query = pairs(&[("service_ids", "PIJ90N7")]);
    assert_err_contains(
        spec().check_request("GET", "/incidents", &query, &std_headers()),
        "unknown query parameter `service_ids`",
    );
}

#[test]
fn bad_enum_value_fails() {
    let query = pairs(&[("statuses[]", "triggered"), ("statuses[]", "open")]);
    let errors = spec()
        .check_request("GET", "/incidents", &query, &std_headers())
        .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("`statuses[]`=\"open\""), "{errors:?}");
    assert!(errors[0].contains("not one of"), "{errors:?}");
    // Array parameters check each item against `items.enum`.
    let query = pairs(&[("include[]", "final_schedule"), ("include[]", "bogus")]);
    let errors = spec().check_request("GET", "/v3/schedules/PABC123", &query, &std_headers());
    let errors = errors.unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("\"bogus\""), "{errors:?}");
}

#[test]
fn all_problems_are_reported() {
    let query = pairs(&[("statuses[]", "open"), ("nope", "1"), ("limit", "ten")]);
    let errors = spec()
        .check_request("GET", "/incidents", &query, &[])
        .unwrap_err();
    // bad enum, unknown param, bad integer, missing Accept, missing Content-Type
    assert_eq!(errors.len(), 5, "{errors:#?}");
}

#[test]
fn integer_and_boolean_parameters_are_checked() {
    let check =
        |q: &[(&str, &str)]| spec().check_request("GET", "/incidents", &pairs(q), &std_headers());
    assert_err_contains(check(&[("limit", "ten")]), "not an integer");
    assert_err_contains(check(&[("limit", "2.5")]), "not an integer");
    assert_err_contains(check(&[("total", "yes")]), "not a boolean");
    assert_err_contains(check(&[("total", "True")]), "not a boolean");
    assert_eq!(check(&[("total", "false")]), Ok(()));
    // Repeating a scalar parameter is an error, repeating an array one is not.
    assert_err_contains(check(&[("limit", "1"), ("limit", "2")]), "given 2 times");

    // minimum / maximum (limit is 1..=999 on past_incidents).
    let check = |limit: &str| {
        spec().check_request(
            "GET",
            "/incidents/PABC123/past_incidents",
            &pairs(&[("limit", limit)]),
            &std_headers(),
        )
    };
    assert_eq!(check("1"), Ok(()));
    assert_eq!(check("999"), Ok(()));
    assert_err_contains(check("0"), "must be at least 1");
    assert_err_contains(check("1000"), "must be at most 999");
}

#[test]
fn missing_required_header_fails() {
    let no_accept = pairs(&[("Content-Type", "application/json")]);
    assert_err_contains(
        spec().check_request("GET", "/incidents", &[], &no_accept),
        "missing required header `Accept`",
    );
    let no_content_type = pairs(&[("Accept", "application/vnd.pagerduty+json;version=2")]);
    assert_err_contains(
        spec().check_request("GET", "/incidents", &[], &no_content_type),
        "missing required header `Content-Type`",
    );
    // createIncident requires `From`.
    assert_err_contains(
        spec().check_request("POST", "/incidents", &[], &std_headers()),
        "missing required header `From`",
    );
    let mut with_from = std_headers();
    with_from.push(("from".into(), "jane@example.com".into()));
    assert_eq!(
        spec().check_request("POST", "/incidents", &[], &with_from),
        Ok(())
    );
}

#[test]
fn header_enum_is_checked() {
    let headers = pairs(&[
        ("Accept", "application/vnd.pagerduty+json;version=2"),
        ("Content-Type", "text/plain"),
    ]);
    assert_err_contains(
        spec().check_request("GET", "/incidents", &[], &headers),
        "header `Content-Type`=\"text/plain\": not one of [\"application/json\"]",
    );
    // Media type parameters are ignored for Content-Type.
    let headers = pairs(&[
        ("Accept", "application/vnd.pagerduty+json;version=2"),
        ("Content-Type", "application/json; charset=utf-8"),
    ]);
    assert_eq!(
        spec().check_request("GET", "/incidents", &[], &headers),
        Ok(())
    );
}

#[test]
fn authorization_is_not_a_parameter() {
    // Present (in std_headers) or absent, Authorization is never reported.
    let headers = pairs(&[
        ("Accept", "application/vnd.pagerduty+json;version=2"),
        ("Content-Type", "application/json"),
    ]);
    assert_eq!(
        spec().check_request("GET", "/users/me", &[], &headers),
        Ok(())
    );
    assert_eq!(
        spec().check_request("GET", "/users/me", &[], &std_headers()),
        Ok(())
    );
}

#[test]
fn unknown_path_fails() {
    assert_err_contains(
        spec().check_request("GET", "/incident", &[], &std_headers()),
        "no path template of the spec matches",
    );
    assert_err_contains(
        spec().check_request(
            "GET",
            "/incidents/PABC123/notes/extra/segments",
            &[],
            &std_headers(),
        ),
        "no path template of the spec matches",
    );
    // An empty segment doesn't fill a parameter.
    assert_err_contains(
        spec().check_request("GET", "/incidents//notes", &[], &std_headers()),
        "no path template of the spec matches",
    );
    assert_eq!(spec().operation_id("GET", "/nope"), None);
}

#[test]
fn wrong_method_fails() {
    assert_err_contains(
        spec().check_request("DELETE", "/incidents", &[], &std_headers()),
        "has no DELETE operation (allowed: GET, POST, PUT)",
    );
    assert_eq!(spec().operation_id("DELETE", "/incidents"), None);
    // A literal template wins even when only the templated one has the
    // method (OpenAPI: concrete paths match before templated ones).
    assert_err_contains(
        spec().check_request("DELETE", "/users/me", &[], &std_headers()),
        "path template /users/me has no DELETE operation",
    );
}

#[test]
fn literal_templates_win_over_parameters() {
    let s = spec();
    assert_eq!(
        s.operation_id("GET", "/users/me").as_deref(),
        Some("getCurrentUser")
    );
    assert_eq!(
        s.operation_id("GET", "/users/PABC123").as_deref(),
        Some("getUser")
    );
    assert_eq!(
        s.operation_id("GET", "/incidents").as_deref(),
        Some("listIncidents")
    );
    assert_eq!(
        s.operation_id("get", "/incidents/PABC123").as_deref(),
        Some("getIncident")
    );
    assert_eq!(
        s.operation_id("POST", "/incidents/PABC123/notes")
            .as_deref(),
        Some("createIncidentNote")
    );
    assert_eq!(
        s.operation_id("GET", "/incidents/types").as_deref(),
        Some("listIncidentTypes")
    );
    assert_eq!(
        s.operation_id("GET", "/oncalls").as_deref(),
        Some("listOnCalls")
    );
    // The leftmost literal decides: /automation_actions/actions/{id} beats
    // /{entity_type}/{id}/tags for /automation_actions/actions/tags.
    assert_eq!(
        s.operation_id("GET", "/automation_actions/actions/tags")
            .as_deref(),
        Some("getAutomationAction")
    );
    // A query string in the path is ignored.
    assert_eq!(
        s.operation_id("GET", "/incidents?limit=1").as_deref(),
        Some("listIncidents")
    );
}

#[test]
fn path_parameters_are_checked() {
    // `/{entity_type}/{id}/tags`: entity_type is an enum.
    assert_eq!(
        spec().check_request("GET", "/teams/PABC123/tags", &[], &std_headers()),
        Ok(())
    );
    assert_err_contains(
        spec().check_request("GET", "/widgets/PABC123/tags", &[], &std_headers()),
        "path parameter `entity_type`: not one of",
    );
}

#[test]
fn request_body_is_checked() {
    let s = spec();
    let body = json!({
        "incident": {
            "type": "incident",
            "title": "The server is on fire.",
            "service": {"id": "PWIXJZS", "type": "service_reference"},
            "urgency": "high",
            "body": {"type": "incident_body", "details": "A disk is getting full."}
        }
    });
    assert_eq!(s.check_request_body("POST", "/incidents", &body), Ok(()));
    // IncidentBody.details: the spec says object, its example (and the API)
    // use a string; both are accepted (SPEC_FIXES), other types are not.
    let mut details = body.clone();
    details["incident"]["body"]["details"] = json!({"disk": "full"});
    assert_eq!(s.check_request_body("POST", "/incidents", &details), Ok(()));
    details["incident"]["body"]["details"] = json!(42);
    assert_err_contains(
        s.check_request_body("POST", "/incidents", &details),
        "/incident/body/details",
    );

    let mut no_title = body.clone();
    no_title["incident"]
        .as_object_mut()
        .unwrap()
        .remove("title");
    assert_err_contains(
        s.check_request_body("POST", "/incidents", &no_title),
        "\"title\" is a required property",
    );

    let mut bad_urgency = body.clone();
    bad_urgency["incident"]["urgency"] = json!("urgent");
    assert_err_contains(
        s.check_request_body("POST", "/incidents", &bad_urgency),
        "urgency",
    );

    // References need their id even though the spec marks it readOnly.
    let mut no_service_id = body.clone();
    no_service_id["incident"]["service"] = json!({"type": "service_reference"});
    assert_err_contains(
        s.check_request_body("POST", "/incidents", &no_service_id),
        "\"id\" is a required property",
    );

    assert_err_contains(
        s.check_request_body("POST", "/incidents/PABC123/notes", &json!({"note": {}})),
        "\"content\" is a required property",
    );
    assert_eq!(
        s.check_request_body(
            "POST",
            "/incidents/PABC123/notes",
            &json!({"note": {"content": "hi"}})
        ),
        Ok(())
    );
    // Missing required body.
    assert_err_contains(
        s.check_request_body("POST", "/incidents/PABC123/notes", &serde_json::Value::Null),
        "request body is required",
    );
    // Operations without a request body: nothing to check.
    assert_eq!(
        s.check_request_body("GET", "/incidents", &json!({"x": 1})),
        Ok(())
    );
    // Unknown operation.
    assert_err_contains(
        s.check_request_body("PATCH", "/incidents", &json!({})),
        "no PATCH operation",
    );
}

//! `Spec::check_response`.

use crate::common;

use common::{assert_err_contains, raw_spec, spec};
use serde_json::{Value, json};

/// The spec's own example for `GET /incidents` → 200.
fn list_incidents_example() -> Value {
    raw_spec()
        .pointer("/paths/~1incidents/get/responses/200/content/application~1json/examples/response/value")
        .expect("GET /incidents 200 example")
        .clone()
}

fn incident() -> Value {
    json!({
        "id": "PT4KHLK",
        "type": "incident",
        "summary": "[#1234] The server is on fire.",
        "self": "https://api.pagerduty.com/incidents/PT4KHLK",
        "html_url": "https://subdomain.pagerduty.com/incidents/PT4KHLK",
        "incident_number": 1234,
        "title": "The server is on fire.",
        "created_at": "2015-10-06T21:30:42Z",
        "status": "triggered",
        "urgency": "high",
        "service": {
            "id": "PIJ90N7",
            "type": "service_reference",
            "summary": "My Mail Service",
            "self": "https://api.pagerduty.com/services/PIJ90N7",
            "html_url": "https://subdomain.pagerduty.com/service-directory/PIJ90N7"
        },
        "assignments": [],
        "teams": []
    })
}

#[test]
fn spec_example_for_list_incidents_validates() {
    let example = list_incidents_example();
    assert!(!example["incidents"].as_array().unwrap().is_empty());
    assert_eq!(
        spec().check_response("GET", "/incidents", 200, &example),
        Ok(())
    );
}

#[test]
fn handmade_incident_list_validates() {
    let body = json!({
        "incidents": [incident()],
        "limit": 25, "offset": 0, "more": false, "total": null
    });
    assert_eq!(
        spec().check_response("GET", "/incidents", 200, &body),
        Ok(())
    );
    assert_eq!(
        spec().check_response(
            "GET",
            "/incidents/PT4KHLK",
            200,
            &json!({"incident": incident()})
        ),
        Ok(())
    );
}

#[test]
fn wrong_types_fail() {
    let s = spec();
    assert_err_contains(
        s.check_response("GET", "/incidents", 200, &json!({"incidents": "x"})),
        "at /incidents: \"x\" is not of type \"array\"",
    );

    let mut example = list_incidents_example();
    example["incidents"][0]["status"] = json!(5);
    assert_err_contains(
        s.check_response("GET", "/incidents", 200, &example),
        "at /incidents/0/status",
    );

    let mut example = list_incidents_example();
    example["incidents"][0]["status"] = json!("open");
    assert_err_contains(
        s.check_response("GET", "/incidents", 200, &example),
        "at /incidents/0/status: \"open\" is not one of",
    );

    // Through allOf with Pagination: `limit` must be an integer.
    let mut example = list_incidents_example();
    example["limit"] = json!("25");
    assert_err_contains(
        s.check_response("GET", "/incidents", 200, &example),
        "at /limit",
    );

    // Nested $ref: the service reference's type is an enum.
    let mut inc = incident();
    inc["service"]["type"] = json!("team_reference");
    assert_err_contains(
        s.check_response("GET", "/incidents/PT4KHLK", 200, &json!({"incident": inc})),
        "at /incident/service/type",
    );

    // Required wrapper missing.
    assert_err_contains(
        s.check_response("GET", "/incidents/PT4KHLK", 200, &incident()),
        "\"incident\" is a required property",
    );
    // An empty body for a documented JSON response.
    assert!(
        s.check_response("GET", "/incidents", 200, &Value::Null)
            .is_err()
    );
}

#[test]
fn nullable_fields_accept_null() {
    let s = spec();
    let user = |description: Value| {
        json!({"user": {
            "id": "PXPGF42", "type": "user", "name": "Earline Greenholt",
            "email": "earline@example.com", "description": description,
            "summary": null
        }})
    };
    // User.description is `nullable: true` in the spec.
    assert_eq!(
        s.check_response("GET", "/users/PXPGF42", 200, &user(Value::Null)),
        Ok(())
    );
    assert_eq!(
        s.check_response("GET", "/users/PXPGF42", 200, &user(json!("text"))),
        Ok(())
    );
    assert_err_contains(
        s.check_response("GET", "/users/PXPGF42", 200, &user(json!(5))),
        "/user/description",
    );

    // Non-nullable fields still reject null.
    let mut inc = incident();
    inc["title"] = Value::Null;
    assert_err_contains(
        s.check_response("GET", "/incidents/PT4KHLK", 200, &json!({"incident": inc})),
        "at /incident/title: null is not of type \"string\"",
    );

    // Documented-as-null fields the spec forgot to mark nullable (see
    // SPEC_FIXES in src/convert.rs): an open incident has `resolved_at: null`.
    let mut inc = incident();
    inc["resolved_at"] = Value::Null;
    inc["resolve_reason"] = Value::Null;
    inc["alert_grouping"] = Value::Null;
    assert_eq!(
        s.check_response("GET", "/incidents/PT4KHLK", 200, &json!({"incident": inc})),
        Ok(())
    );
}

#[test]
fn oncall_with_permanent_coverage_validates() {
    let body = json!({
        "oncalls": [{
            "escalation_policy": {"id": "PT20YPA", "type": "escalation_policy_reference"},
            "escalation_level": 1,
            "schedule": null,
            "user": {"id": "PXPGF42", "type": "user_reference"},
            "start": null,
            "end": null
        }],
        "limit": 25, "offset": 0, "more": false, "total": null
    });
    let result = spec().check_response("GET", "/oncalls", 200, &body);
    // `schedule` is not nullable in the spec: that must be reported, but
    // start/end (documented as null for permanent on-calls) must not.
    let errors = result.unwrap_err();
    assert!(
        errors.iter().all(|e| e.contains("/oncalls/0/schedule")),
        "{errors:#?}"
    );
    let mut body = body;
    body["oncalls"][0]
        .as_object_mut()
        .unwrap()
        .remove("schedule");
    assert_eq!(spec().check_response("GET", "/oncalls", 200, &body), Ok(()));
}

#[test]
fn read_only_properties_are_allowed_in_responses() {
    // id, self, html_url, created_at… are readOnly.
    let example = list_incidents_example();
    assert!(example["incidents"][0].get("self").is_some());
    assert_eq!(
        spec().check_response("GET", "/incidents", 200, &example),
        Ok(())
    );
}

#[test]
fn statuses_are_looked_up() {
    let s = spec();
    let error = json!({"error": {"message": "Not Found", "code": 2100}});
    // Documented error response (via $ref to components/responses).
    assert_eq!(
        s.check_response("GET", "/incidents/PABC123", 404, &error),
        Ok(())
    );
    assert_err_contains(
        s.check_response(
            "GET",
            "/incidents/PABC123",
            404,
            &json!({"error": {"code": "x"}}),
        ),
        "at /error/code",
    );
    // Undocumented error status: tolerated.
    assert_eq!(
        s.check_response("GET", "/incidents", 500, &json!("boom")),
        Ok(())
    );
    assert_eq!(s.check_response("GET", "/incidents", 404, &error), Ok(()));
    // Undocumented success status: an error.
    assert_err_contains(
        s.check_response("GET", "/incidents", 201, &json!({})),
        "status 201 is not documented",
    );
    // 204 without content: only an empty body.
    assert_eq!(
        s.check_response(
            "DELETE",
            "/incidents/PABC123/notes/PNOTE1",
            204,
            &Value::Null
        ),
        Ok(())
    );
    assert_err_contains(
        s.check_response("DELETE", "/incidents/PABC123/notes/PNOTE1", 204, &json!({})),
        "no JSON body is documented",
    );
    // Unknown path / method.
    assert_err_contains(
        s.check_response("GET", "/nope", 200, &json!({})),
        "no path template",
    );
}

#[test]
fn log_entries_with_overlapping_one_of_branches_validate() {
    // Channel's oneOf branches overlap ({"type": "api"} fits all of them);
    // oneOf is checked as anyOf.
    let body = raw_spec()
        .pointer("/paths/~1incidents~1{id}~1log_entries/get/responses/200/content/application~1json/examples/response/value")
        .expect("log entries example")
        .clone();
    assert_eq!(
        spec().check_response("GET", "/incidents/PT4KHLK/log_entries", 200, &body),
        Ok(())
    );
    // …but a log entry must still match one branch.
    let mut bad = body.clone();
    bad["log_entries"][0]["type"] = json!("nonsense_log_entry");
    assert!(
        spec()
            .check_response("GET", "/incidents/PT4KHLK/log_entries", 200, &bad)
            .is_err()
    );
}

#[test]
fn spec_is_shareable_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<spec_check::Spec>();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                assert_eq!(
                    spec().check_response("GET", "/incidents", 200, &list_incidents_example()),
                    Ok(())
                );
            });
        }
    });
}

#[test]
fn acknowledge_and_field_change_log_entries_validate_everywhere() {
    // The spec's AcknowledgeLogEntry says `acknowledgement_log_entry` while its
    // LogEntry base says `acknowledge_log_entry` (what the API sends), and the
    // account's log omits field value changes: both corrected (SPEC_FIXES).
    let entry = |kind: &str| {
        json!({"id": "R1", "type": kind, "summary": "Acknowledged by Ann.", "created_at": "2026-01-01T00:00:00Z",
            "agent": {"id": "PU1", "type": "user_reference", "summary": "Ann"}, "channel": {"type": "website"},
            "acknowledgement_timeout": null})
    };
    for kind in ["acknowledge_log_entry", "field_value_change_log_entry"] {
        let list = json!({"log_entries": [entry(kind)], "limit": 25, "offset": 0, "more": false});
        for path in ["/incidents/Q1/log_entries", "/log_entries"] {
            assert_eq!(
                spec().check_response("GET", path, 200, &list),
                Ok(()),
                "{kind} {path}"
            );
        }
        assert_eq!(
            spec().check_response(
                "GET",
                "/log_entries/R1",
                200,
                &json!({"log_entry": entry(kind)})
            ),
            Ok(()),
            "{kind}"
        );
    }
}

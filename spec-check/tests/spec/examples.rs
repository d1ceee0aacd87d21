//! Validates PagerDuty's own documented response examples for the GET
//! operations our component cares about against the converted schemas.
//!
//! This guards the OpenAPI → JSON Schema conversion: if the conversion were
//! wrong (nullable, allOf, $ref resolution, …) the spec's own examples would
//! fail in bulk.  Examples that fail because the *spec's examples* are wrong
//! are listed in `KNOWN_BAD_EXAMPLES` with the reason.

use crate::common;

use std::collections::BTreeSet;

use serde_json::Value;

const PREFIXES: [&str; 7] = [
    "/incidents",
    "/users",
    "/teams",
    "/services",
    "/schedules",
    "/oncalls",
    "/escalation_policies",
];

/// Examples that don't match their own schema in PagerDuty's spec:
/// `(operationId, status, example name, text every error must contain (`|`
/// separates alternatives), why)`.
///
/// The needle makes sure such an example fails only for the known reason, so
/// a conversion bug can't hide behind an entry here.
const KNOWN_BAD_EXAMPLES: &[(&str, &str, &str, &str, &str)] = &[
    // Schema bug: `CustomFieldsFieldValue.value` is modelled as one of several
    // objects `{"value": …}`, but the API (and every example) has the bare
    // value, e.g. `"value": "production"`.
    (
        "getIncidentFieldValues",
        "200",
        "single_value_example",
        "value/anyOf)",
        "custom field value schema wraps the value in an object",
    ),
    (
        "getIncidentFieldValues",
        "200",
        "multi_value_example",
        "value/anyOf)",
        "custom field value schema wraps the value in an object",
    ),
    (
        "getServiceCustomFieldValues",
        "200",
        "single_value_example",
        "value/anyOf)",
        "custom field value schema wraps the value in an object",
    ),
    (
        "getServiceCustomFieldValues",
        "200",
        "multi_value_example",
        "value/anyOf)",
        "custom field value schema wraps the value in an object",
    ),
    (
        "listIncidentTypeCustomFields",
        "200",
        "simple_example",
        "default_value/anyOf)",
        "default_value reuses the object-wrapped custom field value schema",
    ),
    (
        "listIncidentTypeCustomFields",
        "200",
        "example_with_field_options",
        "default_value/anyOf)",
        "default_value reuses the object-wrapped custom field value schema",
    ),
    // Example / schema disagreements.
    (
        "listCustomFieldsFields",
        "200",
        "response",
        "\"namespace\" is a required property",
        "examples omit `namespace`, which CustomFieldsFieldWithOptions requires",
    ),
    (
        "getCustomFieldsField",
        "200",
        "response1",
        "\"namespace\" is a required property",
        "examples omit `namespace`, which CustomFieldsFieldWithOptions requires",
    ),
    (
        "getCustomFieldsField",
        "200",
        "response2",
        "\"namespace\" is a required property",
        "examples omit `namespace`, which CustomFieldsFieldWithOptions requires",
    ),
    (
        "listServiceCustomFields",
        "200",
        "response",
        "\"custom_fields_field\" is not one of \"field\"",
        "schema enum for `type` is [\"field\"], examples use \"custom_fields_field\"",
    ),
    (
        "listServiceCustomFields",
        "200",
        "response_with_options",
        "\"custom_fields_field\" is not one of \"field\"",
        "schema enum for `type` is [\"field\"], examples use \"custom_fields_field\"",
    ),
    (
        "getServiceCustomField",
        "200",
        "response",
        "\"custom_fields_field\" is not one of \"field\"",
        "schema enum for `type` is [\"field\"], examples use \"custom_fields_field\"",
    ),
    (
        "getServiceCustomField",
        "200",
        "response_with_options",
        "\"custom_fields_field\" is not one of \"field\"",
        "schema enum for `type` is [\"field\"], examples use \"custom_fields_field\"",
    ),
    (
        "getSchedule",
        "200",
        "response",
        "/schedule/next_oncall_for_user/user:",
        "example has `next_oncall_for_user.user` as an array; schema says one user reference",
    ),
    (
        "getCurrentUser",
        "200",
        "response",
        "/user/created_via_sso:",
        "example has the string \"true,\" (typo) for a boolean",
    ),
    (
        "listUserDelegations",
        "200",
        "response",
        "\"delegation_type\" is a required property",
        "example omits the required `delegation_type`",
    ),
    (
        "getUserDelegation",
        "200",
        "response",
        "is a required property (schema /components/schemas/OAuthDelegation/required)",
        "schema lacks the `oauth_delegation` wrapper the example has",
    ),
];

fn resolve<'a>(root: &'a Value, v: &'a Value) -> &'a Value {
    let mut v = v;
    for _ in 0..16 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                v = root
                    .pointer(r.trim_start_matches('#'))
                    .expect("dangling $ref")
            }
            None => break,
        }
    }
    v
}

/// Whether an error message contains one of the `|`-separated needles.
/// The "too many errors" marker matches too.
fn matches_needle(error: &str, needles: &str) -> bool {
    error.ends_with("errors are shown)") || needles.split('|').any(|n| error.contains(n))
}

#[test]
fn documented_response_examples_validate() {
    let spec = common::spec();
    let raw = common::raw_spec();
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut unexpected_passes = Vec::new();
    let known = |id: (&str, &str, &str)| {
        KNOWN_BAD_EXAMPLES
            .iter()
            .find(|(o, s, e, _, _)| (*o, *s, *e) == id)
            .map(|(_, _, _, needle, _)| *needle)
    };
    let mut seen_known: BTreeSet<String> = BTreeSet::new();

    for (template, item) in raw["paths"].as_object().unwrap() {
        if !PREFIXES
            .iter()
            .any(|p| template == p || template.starts_with(&format!("{p}/")))
        {
            continue;
        }
        let Some(op) = item.get("get") else { continue };
        let op_id = op["operationId"].as_str().unwrap();
        let path = common::concrete(template);
        assert_eq!(
            spec.operation_id("GET", &path).as_deref(),
            Some(op_id),
            "{path}"
        );
        for (status, response) in op["responses"].as_object().unwrap() {
            let response = resolve(raw, response);
            let Some(media) = response.pointer("/content/application~1json") else {
                continue;
            };
            let mut examples: Vec<(String, &Value)> = Vec::new();
            if let Some(ex) = media.get("example") {
                examples.push(("example".into(), ex));
            }
            if let Some(exs) = media.get("examples").and_then(Value::as_object) {
                for (name, ex) in exs {
                    if let Some(value) = resolve(raw, ex).get("value") {
                        examples.push((name.clone(), value));
                    }
                }
            }
            let code: u16 = match status.parse() {
                Ok(c) => c,
                Err(_) => continue, // "default" etc.
            };
            for (name, value) in examples {
                checked += 1;
                let id = (op_id, status.as_str(), name.as_str());
                match spec.check_response("GET", &path, code, value) {
                    Ok(()) => {
                        if known(id).is_some() {
                            unexpected_passes.push(format!("{op_id} {status} {name}"));
                        }
                    }
                    Err(errors) => {
                        if let Some(needle) = known(id) {
                            seen_known.insert(format!("{op_id} {status} {name}"));
                            for e in &errors {
                                assert!(
                                    matches_needle(e, needle),
                                    "{op_id} {status} {name}: known-bad example fails for an \
                                     unexpected reason (expected {needle:?}):\n{e}"
                                );
                            }
                        } else {
                            failures.push(format!(
                                "{op_id} {status} example {name:?}:\n  {}",
                                errors.join("\n  ")
                            ));
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "checked {checked} examples; {} known-bad spec examples skipped",
        seen_known.len()
    );
    assert!(checked > 50, "only {checked} examples found");
    assert!(
        failures.is_empty(),
        "{} documented examples failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        seen_known.len(),
        KNOWN_BAD_EXAMPLES.len(),
        "some KNOWN_BAD_EXAMPLES entries were not seen: {seen_known:?}"
    );
    assert!(
        unexpected_passes.is_empty(),
        "known-bad examples now pass, remove them from KNOWN_BAD_EXAMPLES: {unexpected_passes:?}"
    );
}

/// Request examples that don't match their own schema in PagerDuty's spec:
/// `(operationId, example name, text every error must contain (`|` separates
/// alternatives), why)`.
const KNOWN_BAD_REQUEST_EXAMPLES: &[(&str, &str, &str, &str)] = &[
    // Request bodies that reuse a response schema whose server-generated
    // (readOnly) fields are required.  spec-check keeps readOnly+required in
    // requests because PagerDuty marks every reference's id/type that way.
    (
        "createCustomFieldsField",
        "request1",
        "is a required property|default_value/anyOf)",
        "reuses a response schema (readOnly id, self, created_at… required)",
    ),
    (
        "createCustomFieldsField",
        "request2",
        "is a required property|default_value/anyOf)",
        "reuses a response schema (readOnly id, self, created_at… required)",
    ),
    (
        "createCustomFieldsField",
        "request3",
        "is a required property|default_value/anyOf)",
        "reuses a response schema (readOnly id, self, created_at… required)",
    ),
    (
        "createCustomFieldsFieldOption",
        "request",
        "is a required property",
        "reuses a response schema (readOnly id, created_at… required)",
    ),
    (
        "updateCustomFieldsFieldOption",
        "request",
        "is a required property",
        "reuses a response schema (readOnly id, created_at… required)",
    ),
    (
        "createIncidentTypeCustomField",
        "example_with_fixed_value_field",
        "is a required property|default_value/anyOf)",
        "field options reuse a response schema (readOnly id, created_at… required)",
    ),
    (
        "updateIncidentTypeCustomField",
        "example_with_field_options_upsert",
        "is a required property|default_value/anyOf)",
        "field options reuse a response schema (readOnly created_at… required)",
    ),
    // Custom field value schema wraps the value in an object (see above).
    (
        "setIncidentFieldValues",
        "example_with_custom_field_id",
        "not valid under any of the schemas",
        "custom field value schema wraps the value in an object",
    ),
    (
        "setIncidentFieldValues",
        "example_with_custom_field_name",
        "not valid under any of the schemas",
        "custom field value schema wraps the value in an object",
    ),
    (
        "setIncidentFieldValues",
        "example_with_multiple_value_field",
        "not valid under any of the schemas",
        "custom field value schema wraps the value in an object",
    ),
    (
        "updateServiceCustomFieldValues",
        "example_with_custom_field_id",
        "not valid under any of the schemas",
        "custom field value schema wraps the value in an object",
    ),
    (
        "updateServiceCustomFieldValues",
        "example_with_custom_field_name",
        "not valid under any of the schemas",
        "custom field value schema wraps the value in an object",
    ),
    (
        "updateServiceCustomFieldValues",
        "example_with_multiple_value_field",
        "not valid under any of the schemas",
        "custom field value schema wraps the value in an object",
    ),
    // Example / schema disagreements.
    (
        "createEscalationPolicy",
        "request",
        "/escalation_rule_assignment_strategy:",
        "example sends {\"type\": \"round_robin\"}, schema says a string enum",
    ),
    (
        "updateEscalationPolicy",
        "request",
        "/escalation_rule_assignment_strategy:",
        "example sends {\"type\": \"round_robin\"}, schema says a string enum",
    ),
    (
        "createUserNotificationRule",
        "request",
        "/contact_method/type: \"email_contact_method\" is not one of",
        "example uses \"email_contact_method\", ContactMethodReference wants \"…_reference\"",
    ),
    (
        "updateUserNotificationRule",
        "request",
        "/contact_method/type: \"email_contact_method\" is not one of",
        "example uses \"email_contact_method\", ContactMethodReference wants \"…_reference\"",
    ),
    (
        "createUserHandoffNotificationRule",
        "request",
        "/contact_method/type: \"email_contact_method\" is not one of",
        "example uses \"email_contact_method\", ContactMethodReference wants \"…_reference\"",
    ),
    (
        "updateUserHandoffNotification",
        "request",
        "/contact_method/type: \"email_contact_method\" is not one of",
        "example uses \"email_contact_method\", ContactMethodReference wants \"…_reference\"",
    ),
    (
        "createUserStatusUpdateNotificationRule",
        "request",
        "/contact_method/type: \"email_contact_method\" is not one of",
        "example uses \"email_contact_method\", ContactMethodReference wants \"…_reference\"",
    ),
    (
        "updateUserStatusUpdateNotificationRule",
        "request",
        "/contact_method/type: \"email_contact_method\" is not one of",
        "example uses \"email_contact_method\", ContactMethodReference wants \"…_reference\"",
    ),
];

/// The documented request body examples of every operation under the same
/// prefixes must validate (this exercises the request-direction conversion).
#[test]
fn documented_request_examples_validate() {
    let spec = common::spec();
    let raw = common::raw_spec();
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut seen_known = BTreeSet::new();
    for (template, item) in raw["paths"].as_object().unwrap() {
        if !PREFIXES
            .iter()
            .any(|p| template == p || template.starts_with(&format!("{p}/")))
        {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let Some(body) = op.get("requestBody") else {
                continue;
            };
            let op_id = op["operationId"].as_str().unwrap();
            let path = common::concrete(template);
            let Some(media) = resolve(raw, body).pointer("/content/application~1json") else {
                continue;
            };
            let mut examples: Vec<(String, &Value)> = Vec::new();
            if let Some(ex) = media.get("example") {
                examples.push(("example".into(), ex));
            }
            if let Some(exs) = media.get("examples").and_then(Value::as_object) {
                for (name, ex) in exs {
                    if let Some(value) = resolve(raw, ex).get("value") {
                        examples.push((name.clone(), value));
                    }
                }
            }
            for (name, value) in examples {
                checked += 1;
                let known = KNOWN_BAD_REQUEST_EXAMPLES
                    .iter()
                    .find(|(o, e, _, _)| *o == op_id && *e == name)
                    .map(|(_, _, needle, _)| *needle);
                match (spec.check_request_body(method, &path, value), known) {
                    (Ok(()), None) => {}
                    (Ok(()), Some(_)) => failures.push(format!(
                        "{op_id} {name}: known-bad request example now passes; remove it"
                    )),
                    (Err(errors), Some(needle)) => {
                        seen_known.insert(format!("{op_id} {name}"));
                        for e in &errors {
                            assert!(
                                matches_needle(e, needle),
                                "{op_id} {name}: unexpected failure:\n{e}"
                            );
                        }
                    }
                    (Err(errors), None) => failures.push(format!(
                        "{op_id} request example {name:?}:\n  {}",
                        errors.join("\n  ")
                    )),
                }
            }
        }
    }
    eprintln!(
        "checked {checked} request examples; {} known-bad skipped",
        seen_known.len()
    );
    assert!(checked > 20, "only {checked} request examples found");
    assert!(
        failures.is_empty(),
        "{} request examples failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        seen_known.len(),
        KNOWN_BAD_REQUEST_EXAMPLES.len(),
        "{seen_known:?}"
    );
}

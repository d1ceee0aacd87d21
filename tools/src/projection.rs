//! Projections: PagerDuty resources cut down to what an on-call engineer needs.
//!
//! The rules of `docs/conventions.md` ("Output fields") live here once: references
//! collapse to `{id, summary}` (keeping their kind as `type` only where a field can
//! point at several kinds), `self`, nested `html_url`s, nulls and empties are dropped,
//! and the resource's own `html_url` is kept. Each tool names the top-level fields it
//! keeps; everything below them is cleaned by the same rules.

use serde_json::{Map, Value};

/// Fields whose references can point at more than one kind of resource, so they keep
/// their kind (`"user"`, `"schedule"`, `"service"`).
pub const POLYMORPHIC_FIELDS: &[&str] = &[
    "targets",
    "last_status_change_by",
    "assignee",
    "acknowledger",
    "agent",
];

/// Keeps `fields` of `resource` (in that order) and cleans them.
pub fn project(resource: &Value, fields: &[&str]) -> Value {
    let mut out = Map::new();
    if let Some(object) = resource.as_object() {
        for &field in fields {
            if let Some(value) = object.get(field).and_then(|v| clean(field, v)) {
                out.insert(field.to_string(), value);
            }
        }
    }
    Value::Object(out)
}

/// Cleans a value found under `field`; `None` when nothing worth keeping is left.
pub fn clean(field: &str, value: &Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::Array(items) => {
            let items: Vec<Value> = items.iter().filter_map(|item| clean(field, item)).collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        Value::Object(object) => {
            if let Some(kind) = reference_kind(object) {
                return Some(collapse_reference(field, object, kind));
            }
            let mut out = Map::new();
            for (key, v) in object {
                if key == "self" || key == "html_url" {
                    continue;
                }
                if let Some(v) = clean(key, v) {
                    out.insert(key.clone(), v);
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        other => Some(other.clone()),
    }
}

/// The kind of a reference object (`"user"` for `"user_reference"`), if it is one.
fn reference_kind(object: &Map<String, Value>) -> Option<&str> {
    object.get("type")?.as_str()?.strip_suffix("_reference")
}

fn collapse_reference(field: &str, object: &Map<String, Value>, kind: &str) -> Value {
    let mut out = Map::new();
    for key in ["id", "summary"] {
        if let Some(v) = object.get(key).filter(|v| !v.is_null()) {
            out.insert(key.to_string(), v.clone());
        }
    }
    if POLYMORPHIC_FIELDS.contains(&field) {
        out.insert("type".to_string(), Value::String(kind.to_string()));
    }
    Value::Object(out)
}

/// A reference's ID, whatever its shape (`{"id": ..}`).
pub fn id_of(value: &Value) -> Option<&str> {
    value.get("id")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_collapse_and_keep_kind_only_where_polymorphic() {
        let incident = json!({
            "id": "P1", "type": "incident", "self": "https://api/incidents/P1",
            "html_url": "https://x.pagerduty.com/incidents/P1",
            "service": {"id": "PS", "type": "service_reference", "summary": "API", "self": "s", "html_url": "h"},
            "last_status_change_by": {"id": "PU", "type": "user_reference", "summary": "Ann", "self": "s"},
            "assignments": [{"at": "2026-01-01T00:00:00Z", "assignee": {"id": "PU", "type": "user_reference", "summary": "Ann"}}],
            "priority": null, "teams": [], "description": ""
        });
        let p = project(
            &incident,
            &[
                "id",
                "html_url",
                "service",
                "last_status_change_by",
                "assignments",
                "priority",
                "teams",
                "description",
                "absent",
            ],
        );
        assert_eq!(
            p,
            json!({
                "id": "P1", "html_url": "https://x.pagerduty.com/incidents/P1",
                "service": {"id": "PS", "summary": "API"},
                "last_status_change_by": {"id": "PU", "summary": "Ann", "type": "user"},
                "assignments": [{"at": "2026-01-01T00:00:00Z", "assignee": {"id": "PU", "summary": "Ann", "type": "user"}}]
            })
        );
    }

    #[test]
    fn escalation_rule_targets_keep_kind() {
        let rules = json!([{"id": "R1", "escalation_delay_in_minutes": 30, "targets": [
            {"id": "PS1", "type": "schedule_reference", "summary": "Primary", "self": "x"},
            {"id": "PU1", "type": "user_reference", "summary": "Ann", "html_url": "y"}]}]);
        let p = project(&json!({"escalation_rules": rules}), &["escalation_rules"]);
        assert_eq!(
            p["escalation_rules"][0]["targets"],
            json!([
            {"id": "PS1", "summary": "Primary", "type": "schedule"},
            {"id": "PU1", "summary": "Ann", "type": "user"}])
        );
    }

    #[test]
    fn nested_non_references_drop_self_and_html_url_only() {
        let p = project(
            &json!({"contact_methods": [{"type": "email_contact_method", "address": "a@x", "self": "s", "html_url": null, "label": "Work"}]}),
            &["contact_methods"],
        );
        assert_eq!(
            p,
            json!({"contact_methods": [{"type": "email_contact_method", "address": "a@x", "label": "Work"}]})
        );
    }
}

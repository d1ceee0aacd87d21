//! Conversion of the OpenAPI 3.0 document into JSON Schema (draft 2020-12)
//! documents that the `jsonschema` crate can compile.
//!
//! The converted document keeps the *shape* of the OpenAPI document for every
//! location that can hold a schema (`components/*`, `paths/*/*/parameters`,
//! `requestBody`, `responses`, …), so a JSON pointer into the original spec
//! addresses the converted schema at the same pointer in the converted
//! document.  Everything that is not needed for validation (examples,
//! descriptions, …) is left out.
//!
//! Schema conversion (OpenAPI 3.0 "schema object" → JSON Schema 2020-12):
//!
//! * `nullable: true` → `null` is allowed (`type: [t, "null"]`, plus `null`
//!   added to `enum`; an `anyOf` gets an extra `{type: null}` branch; schemas
//!   built from `allOf`/`not`/`$ref` are wrapped as
//!   `anyOf: [{type: null}, <schema>]`).
//! * `oneOf` → `anyOf` (PagerDuty's branches overlap; see the crate docs).
//!   `$ref`s into a `oneOf` are rewritten to match.
//! * boolean `exclusiveMinimum`/`exclusiveMaximum` (draft 4 style) → numeric
//!   form.
//! * OpenAPI-only keywords (`discriminator`, `xml`, `externalDocs`,
//!   `example`, `x-*`) and pure annotations (`description`, `title`,
//!   `default`, `format`) are dropped.  Dropping `format` is deliberate:
//!   formats are never asserted.
//! * `$ref: "#/…"` is rewritten to an absolute URI into the converted document
//!   of the same direction, so references resolve locally without any
//!   retrieval.
//! * In responses, `required` lists drop `writeOnly` properties (OpenAPI 3.0
//!   semantics).  In requests, `readOnly` properties stay required where the
//!   spec says so, deliberately deviating from OpenAPI 3.0: PagerDuty marks
//!   `id`/`type` of every reference (`ServiceReference`, …) `readOnly` and
//!   required, yet a request must of course send them.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// Which way a payload travels; decides how `readOnly`/`writeOnly` apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Direction {
    /// Client → PagerDuty.
    Request,
    /// PagerDuty → client.
    Response,
}

impl Direction {
    /// Base URI under which the converted document for this direction is
    /// registered.  It is never fetched.
    pub(crate) fn doc_uri(self) -> &'static str {
        match self {
            Direction::Request => "https://spec-check.invalid/pagerduty/request.json",
            Direction::Response => "https://spec-check.invalid/pagerduty/response.json",
        }
    }

    /// The property flag that makes a `required` entry void in this
    /// direction, if any (see the module docs for why requests have none).
    fn void_flag(self) -> Option<&'static str> {
        match self {
            Direction::Request => None,
            Direction::Response => Some("writeOnly"),
        }
    }
}

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// Resolves a local `$ref` (`#/a/b`) inside `root`.
pub(crate) fn resolve_local_ref<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    root.pointer(&percent_decode(pointer))
}

/// Follows `$ref` chains (up to a fixed depth) and returns the target value
/// together with its JSON pointer in `root`.
pub(crate) fn deref_with_pointer<'a>(
    root: &'a Value,
    mut value: &'a Value,
    mut pointer: String,
) -> (&'a Value, String) {
    for _ in 0..32 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            break;
        };
        match resolve_local_ref(root, reference) {
            Some(target) => {
                value = target;
                pointer = percent_decode(reference.trim_start_matches('#'));
            }
            None => break,
        }
    }
    (value, pointer)
}

/// Follows `$ref` chains and returns the target value.
pub(crate) fn deref<'a>(root: &'a Value, value: &'a Value) -> &'a Value {
    deref_with_pointer(root, value, String::new()).0
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(hi * 16 + lo);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A correction applied to the spec before conversion (see [`SPEC_FIXES`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fix {
    /// Set `nullable: true` on the schema.
    Nullable,
    /// Replace the schema with this (OpenAPI 3.0) schema, given as JSON.
    Replace(&'static str),
}

/// Every log entry type, as `GET /incidents/{id}/log_entries` lists them.
const EVERY_LOG_ENTRY: &str = r##"{"oneOf": [
    {"$ref": "#/components/schemas/AcknowledgeLogEntry"},
    {"$ref": "#/components/schemas/AnnotateLogEntry"},
    {"$ref": "#/components/schemas/AssignLogEntry"},
    {"$ref": "#/components/schemas/DelegateLogEntry"},
    {"$ref": "#/components/schemas/EscalateLogEntry"},
    {"$ref": "#/components/schemas/ExhaustEscalationPathLogEntry"},
    {"$ref": "#/components/schemas/NotifyLogEntry"},
    {"$ref": "#/components/schemas/ReachAckLimitLogEntry"},
    {"$ref": "#/components/schemas/ReachTriggerLimitLogEntry"},
    {"$ref": "#/components/schemas/RepeatEscalationPathLogEntry"},
    {"$ref": "#/components/schemas/ResolveLogEntry"},
    {"$ref": "#/components/schemas/SnoozeLogEntry"},
    {"$ref": "#/components/schemas/TriggerLogEntry"},
    {"$ref": "#/components/schemas/UnacknowledgeLogEntry"},
    {"$ref": "#/components/schemas/UrgencyChangeLogEntry"},
    {"$ref": "#/components/schemas/FieldValueChangeLogEntry"},
    {"$ref": "#/components/schemas/CustomFieldValueChangeLogEntry"}
]}"##;

/// Places where PagerDuty's spec contradicts itself and what the API really
/// sends, corrected so that realistic traffic isn't rejected.  Each entry is
/// the JSON pointer of a schema in the original spec, the fix, and the
/// evidence.
///
/// Most are properties documented as possibly `null` — in their own
/// description, or by `null` in the spec's own response examples — that lack
/// `nullable: true`: real responses carry these nulls (e.g. an unresolved
/// incident has `"resolved_at": null`, a permanent on-call has
/// `"start": null`).
pub(crate) const SPEC_FIXES: &[(&str, Fix, &str)] = &[
    // Documented as null in the description.
    (
        "/components/schemas/Incident/allOf/1/properties/resolved_at",
        Fix::Nullable,
        "description: `null` if the incident is not resolved",
    ),
    (
        "/components/schemas/Incident/allOf/1/properties/alert_grouping",
        Fix::Nullable,
        "description: null if the incident has no alerts",
    ),
    (
        "/components/schemas/Notification/properties/address",
        Fix::Nullable,
        "description: null for push_notification",
    ),
    (
        "/components/schemas/User/allOf/1/properties/time_zone",
        Fix::Nullable,
        "description: if null, the account's time zone is used",
    ),
    (
        "/components/schemas/Service/allOf/1/properties/auto_resolve_timeout",
        Fix::Nullable,
        "description: `null` if the feature is disabled",
    ),
    (
        "/components/schemas/Service/allOf/1/properties/acknowledgement_timeout",
        Fix::Nullable,
        "description: `null` if the feature is disabled",
    ),
    (
        "/components/schemas/Service/allOf/1/properties/alert_grouping",
        Fix::Nullable,
        "description: null - no alert grouping",
    ),
    (
        "/components/schemas/SubSchedule/properties/rendered_coverage_percentage",
        Fix::Nullable,
        "description: null unless since or until are set",
    ),
    (
        "/components/schemas/ScheduleLayer/properties/rendered_coverage_percentage",
        Fix::Nullable,
        "description: null unless since or until are set",
    ),
    (
        "/components/schemas/ScheduleLayer/properties/end",
        Fix::Nullable,
        "description: if `null`, the layer does not end",
    ),
    (
        "/components/schemas/ScheduleLayerEntry/properties/end",
        Fix::Nullable,
        "description: if null, the entry does not end",
    ),
    (
        "/components/schemas/Oncall/properties/start",
        Fix::Nullable,
        "description: `null` for a permanent on-call",
    ),
    (
        "/components/schemas/Oncall/properties/end",
        Fix::Nullable,
        "description: `null` if the user does not go off-call",
    ),
    (
        "/components/schemas/AcknowledgeLogEntry/allOf/1/properties/acknowledgement_timeout",
        Fix::Nullable,
        "description: may also be `null`",
    ),
    (
        "/components/schemas/WorkflowIntegrationConnection/allOf/1/properties/secrets",
        Fix::Nullable,
        "description: always `null` on a response",
    ),
    // `null` in the spec's own response examples.
    (
        "/components/schemas/Incident/allOf/1/properties/alert_grouping/properties/ended_at",
        Fix::Nullable,
        "example of GET /incidents",
    ),
    (
        "/components/schemas/Incident/allOf/1/properties/resolve_reason",
        Fix::Nullable,
        "example of GET /incidents",
    ),
    (
        "/components/schemas/IncidentType/properties/description",
        Fix::Nullable,
        "example of GET /incidents/types",
    ),
    (
        "/components/schemas/IncidentType/properties/parent",
        Fix::Nullable,
        "example of GET /incidents/types",
    ),
    (
        "/components/schemas/FeatureEnablement/properties/updated_at",
        Fix::Nullable,
        "example of GET /services/{id}/enablements",
    ),
    (
        "/components/schemas/LicenseWithCounts/allOf/0/properties/html_url",
        Fix::Nullable,
        "example of GET /users/{id}/license",
    ),
    (
        "/components/schemas/LicenseWithCounts/allOf/0/properties/self",
        Fix::Nullable,
        "example of GET /users/{id}/license",
    ),
    (
        "/components/schemas/UserOAuthDelegations/properties/next_cursor",
        Fix::Nullable,
        "example of GET /users/{id}/oauth_delegations",
    ),
    // Log entries: the acknowledge entry's own type contradicts `LogEntry`'s
    // (`acknowledgement_log_entry` vs `acknowledge_log_entry`), so under `allOf`
    // no acknowledge entry could validate; and the account's log lists the same
    // entries as an incident's, field value changes included.
    (
        "/components/schemas/AcknowledgeLogEntry/allOf/1/properties/type",
        Fix::Replace(r#"{"type": "string", "enum": ["acknowledge_log_entry"]}"#),
        "LogEntry's type enum; the API sends acknowledge_log_entry",
    ),
    (
        "/paths/~1log_entries/get/responses/200/content/application~1json/schema/allOf/1/properties/log_entries/items",
        Fix::Replace(EVERY_LOG_ENTRY),
        "GET /incidents/{id}/log_entries lists these types; LogEntry's type enum has them",
    ),
    (
        "/paths/~1log_entries~1{id}/get/responses/200/content/application~1json/schema/properties/log_entry",
        Fix::Replace(EVERY_LOG_ENTRY),
        "GET /incidents/{id}/log_entries lists these types; LogEntry's type enum has them",
    ),
    // Wrong type.
    (
        "/components/schemas/IncidentBody/properties/details",
        Fix::Replace(r#"{"oneOf": [{"type": "string"}, {"type": "object"}]}"#),
        "typed object, but createIncident's own example (and the API) send a string",
    ),
];

/// Applies [`SPEC_FIXES`] to `raw`.  Returns the pointers that don't exist in
/// this version of the spec.
pub(crate) fn apply_spec_fixes(raw: &mut Value) -> Vec<&'static str> {
    let mut missing = Vec::new();
    for (pointer, fix, _) in SPEC_FIXES {
        let Some(schema) = raw.pointer_mut(pointer).filter(|s| s.is_object()) else {
            missing.push(*pointer);
            continue;
        };
        match fix {
            Fix::Nullable => {
                if let Some(obj) = schema.as_object_mut() {
                    obj.insert("nullable".into(), Value::Bool(true));
                }
            }
            Fix::Replace(json) => {
                *schema = serde_json::from_str(json).expect("SPEC_FIXES replacement is valid JSON");
            }
        }
    }
    missing
}

/// Converts an OpenAPI document into a JSON Schema document for one direction.
pub(crate) struct Converter<'a> {
    root: &'a Value,
    direction: Direction,
}

impl<'a> Converter<'a> {
    pub(crate) fn new(root: &'a Value, direction: Direction) -> Self {
        Converter { root, direction }
    }

    /// Builds the converted document (see module docs).
    pub(crate) fn document(&self) -> Value {
        let mut out = Map::new();
        if let Some(components) = self.root.get("components").and_then(Value::as_object) {
            let mut comps = Map::new();
            for (kind, entries) in components {
                let Some(entries) = entries.as_object() else {
                    continue;
                };
                let converted: Map<String, Value> = match kind.as_str() {
                    "schemas" => entries
                        .iter()
                        .map(|(k, v)| (k.clone(), self.schema(v, &BTreeSet::new())))
                        .collect(),
                    "parameters" | "headers" => entries
                        .iter()
                        .map(|(k, v)| (k.clone(), self.parameter(v)))
                        .collect(),
                    "responses" => entries
                        .iter()
                        .map(|(k, v)| (k.clone(), self.response(v)))
                        .collect(),
                    "requestBodies" => entries
                        .iter()
                        .map(|(k, v)| (k.clone(), self.body(v)))
                        .collect(),
                    _ => continue,
                };
                comps.insert(kind.clone(), Value::Object(converted));
            }
            out.insert("components".into(), Value::Object(comps));
        }
        if let Some(paths) = self.root.get("paths").and_then(Value::as_object) {
            let mut converted = Map::new();
            for (path, item) in paths {
                let Some(item) = item.as_object() else {
                    continue;
                };
                let mut new_item = Map::new();
                for (key, value) in item {
                    if key == "parameters" {
                        new_item.insert(key.clone(), self.parameter_list(value));
                    } else if HTTP_METHODS.contains(&key.as_str()) {
                        new_item.insert(key.clone(), self.operation(value));
                    }
                }
                converted.insert(path.clone(), Value::Object(new_item));
            }
            out.insert("paths".into(), Value::Object(converted));
        }
        Value::Object(out)
    }

    fn operation(&self, op: &Value) -> Value {
        let mut out = Map::new();
        if let Some(params) = op.get("parameters") {
            out.insert("parameters".into(), self.parameter_list(params));
        }
        if let Some(body) = op.get("requestBody") {
            out.insert("requestBody".into(), self.body(body));
        }
        if let Some(responses) = op.get("responses").and_then(Value::as_object) {
            let converted: Map<String, Value> = responses
                .iter()
                .map(|(k, v)| (k.clone(), self.response(v)))
                .collect();
            out.insert("responses".into(), Value::Object(converted));
        }
        Value::Object(out)
    }

    fn parameter_list(&self, params: &Value) -> Value {
        match params.as_array() {
            Some(list) => Value::Array(list.iter().map(|p| self.parameter(p)).collect()),
            None => Value::Array(Vec::new()),
        }
    }

    /// Parameter and header objects: only `schema` / `content` matter.
    fn parameter(&self, param: &Value) -> Value {
        let mut out = Map::new();
        if let Some(schema) = param.get("schema") {
            out.insert("schema".into(), self.schema(schema, &BTreeSet::new()));
        }
        if let Some(content) = param.get("content") {
            out.insert("content".into(), self.content(content));
        }
        Value::Object(out)
    }

    fn response(&self, response: &Value) -> Value {
        let mut out = Map::new();
        if let Some(content) = response.get("content") {
            out.insert("content".into(), self.content(content));
        }
        if let Some(headers) = response.get("headers").and_then(Value::as_object) {
            let converted: Map<String, Value> = headers
                .iter()
                .map(|(k, v)| (k.clone(), self.parameter(v)))
                .collect();
            out.insert("headers".into(), Value::Object(converted));
        }
        Value::Object(out)
    }

    fn body(&self, body: &Value) -> Value {
        let mut out = Map::new();
        if let Some(content) = body.get("content") {
            out.insert("content".into(), self.content(content));
        }
        Value::Object(out)
    }

    fn content(&self, content: &Value) -> Value {
        let mut out = Map::new();
        if let Some(media_types) = content.as_object() {
            for (media_type, media) in media_types {
                let mut m = Map::new();
                if let Some(schema) = media.get("schema") {
                    m.insert("schema".into(), self.schema(schema, &BTreeSet::new()));
                }
                out.insert(media_type.clone(), Value::Object(m));
            }
        }
        Value::Object(out)
    }

    /// Names of properties of `schema` (following `$ref` and `allOf`) that
    /// carry this direction's void flag (`writeOnly` in responses).
    fn void_properties(&self, schema: &Value, depth: usize, out: &mut BTreeSet<String>) {
        if depth > 16 {
            return;
        }
        let schema = deref(self.root, schema);
        let Some(flag) = self.direction.void_flag() else {
            return;
        };
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                if deref(self.root, prop).get(flag) == Some(&Value::Bool(true))
                    || prop.get(flag) == Some(&Value::Bool(true))
                {
                    out.insert(name.clone());
                }
            }
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for sub in all {
                self.void_properties(sub, depth + 1, out);
            }
        }
    }

    /// Converts one schema object.  `inherited_void` holds property names that
    /// are void in this direction and defined by an enclosing `allOf`
    /// composition (so a `required` in one branch can refer to a property
    /// defined in a sibling branch).
    pub(crate) fn schema(&self, schema: &Value, inherited_void: &BTreeSet<String>) -> Value {
        let Some(obj) = schema.as_object() else {
            return schema.clone();
        };
        let nullable = obj.get("nullable") == Some(&Value::Bool(true));

        if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
            // In OpenAPI 3.0 siblings of `$ref` are ignored (the spec has none
            // apart from, possibly, `nullable`).
            let converted = json!({ "$ref": self.absolute_ref(reference) });
            return if nullable {
                wrap_nullable(converted)
            } else {
                converted
            };
        }

        let mut void = inherited_void.clone();
        self.void_properties(schema, 0, &mut void);

        let mut out = Map::new();
        for (key, value) in obj {
            match key.as_str() {
                "properties" => {
                    if let Some(props) = value.as_object() {
                        let converted: Map<String, Value> = props
                            .iter()
                            .map(|(k, v)| (k.clone(), self.schema(v, &BTreeSet::new())))
                            .collect();
                        out.insert(key.clone(), Value::Object(converted));
                    }
                }
                "items" | "not" => {
                    out.insert(key.clone(), self.schema(value, &BTreeSet::new()));
                }
                "additionalProperties" => {
                    let converted = if value.is_object() {
                        self.schema(value, &BTreeSet::new())
                    } else {
                        value.clone()
                    };
                    out.insert(key.clone(), converted);
                }
                "allOf" => {
                    if let Some(list) = value.as_array() {
                        let converted = list.iter().map(|s| self.schema(s, &void));
                        match out.get_mut("allOf") {
                            Some(Value::Array(all)) => all.extend(converted),
                            _ => {
                                out.insert("allOf".into(), Value::Array(converted.collect()));
                            }
                        }
                    }
                }
                // `oneOf` is checked as `anyOf`: PagerDuty uses it for "one of
                // these shapes" with overlapping branches (e.g. `Channel`,
                // where `{"type": "api"}` fits every branch), so strict
                // exclusivity rejects the spec's own examples.  A value must
                // still match at least one branch.
                "anyOf" | "oneOf" => {
                    if let Some(list) = value.as_array() {
                        let converted: Vec<Value> =
                            list.iter().map(|s| self.schema(s, &void)).collect();
                        if out.contains_key("anyOf") {
                            // Both present (not the case in PagerDuty's spec):
                            // both must hold.
                            let extra = json!({ "anyOf": converted });
                            match out.get_mut("allOf") {
                                Some(Value::Array(all)) => all.push(extra),
                                _ => {
                                    out.insert("allOf".into(), json!([extra]));
                                }
                            }
                        } else {
                            out.insert("anyOf".into(), Value::Array(converted));
                        }
                    }
                }
                "required" => {
                    if let Some(list) = value.as_array() {
                        let kept: Vec<Value> = list
                            .iter()
                            .filter(|n| n.as_str().is_none_or(|n| !void.contains(n)))
                            .cloned()
                            .collect();
                        if !kept.is_empty() {
                            out.insert(key.clone(), Value::Array(kept));
                        }
                    }
                }
                "exclusiveMinimum" | "exclusiveMaximum" => {
                    if value.is_number() {
                        out.insert(key.clone(), value.clone());
                    }
                    // Boolean form handled below.
                }
                // OpenAPI-only keywords and annotations that play no part in
                // validation.  `format` is deliberately not asserted.
                "nullable" | "discriminator" | "xml" | "externalDocs" | "example"
                | "description" | "title" | "default" | "format" | "deprecated" => {}
                k if k.starts_with("x-") => {}
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        for (flag, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            if obj.get(flag) == Some(&Value::Bool(true))
                && let Some(limit) = out.remove(bound)
            {
                out.insert(flag.into(), limit);
            }
        }

        if !nullable {
            return Value::Object(out);
        }
        if let Some(Value::Array(options)) = out.get_mut("enum")
            && !options.contains(&Value::Null)
        {
            options.push(Value::Null);
        }
        if out.contains_key("allOf") || out.contains_key("not") {
            return wrap_nullable(Value::Object(out));
        }
        if let Some(Value::String(t)) = out.get("type").cloned() {
            out.insert("type".into(), json!([t, "null"]));
        }
        // Appending (rather than wrapping) keeps JSON pointers into the
        // branches valid.
        if let Some(Value::Array(branches)) = out.get_mut("anyOf") {
            branches.push(json!({ "type": "null" }));
        }
        Value::Object(out)
    }

    fn absolute_ref(&self, reference: &str) -> String {
        if reference.starts_with('#') {
            format!(
                "{}{}",
                self.direction.doc_uri(),
                converted_pointer(reference)
            )
        } else {
            reference.to_owned()
        }
    }
}

/// Maps a JSON pointer (or `#`-fragment) into the original spec to the
/// corresponding location in the converted document, where `oneOf` has been
/// renamed to `anyOf`.
pub(crate) fn converted_pointer(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|seg| if seg == "oneOf" { "anyOf" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

fn wrap_nullable(schema: Value) -> Value {
    json!({ "anyOf": [ { "type": "null" }, schema ] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(schema: Value) -> Value {
        let root = json!({});
        Converter::new(&root, Direction::Response).schema(&schema, &BTreeSet::new())
    }

    #[test]
    fn spec_fixes_apply_and_are_still_needed() {
        let mut raw = crate::pinned::pinned_openapi_json().unwrap_or_else(|e| panic!("{e:#}"));
        for (pointer, fix, _) in SPEC_FIXES {
            let schema = raw
                .pointer(pointer)
                .unwrap_or_else(|| panic!("{pointer} missing"));
            if let Fix::Nullable = fix {
                assert_ne!(
                    schema.get("nullable"),
                    Some(&Value::Bool(true)),
                    "{pointer} is nullable in the spec now; drop the fix"
                );
            }
        }
        assert!(apply_spec_fixes(&mut raw).is_empty());
        for (pointer, fix, _) in SPEC_FIXES {
            if let Fix::Replace(json) = fix {
                assert_eq!(
                    raw.pointer(pointer),
                    Some(&serde_json::from_str(json).unwrap())
                );
            }
        }
    }

    #[test]
    fn nullable_scalar_becomes_type_union() {
        assert_eq!(
            convert(json!({"type": "string", "nullable": true, "enum": ["a"]})),
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
    }

    #[test]
    fn nullable_composite_is_wrapped() {
        assert_eq!(
            convert(json!({"allOf": [{"$ref": "#/components/schemas/X"}], "nullable": true})),
            json!({"anyOf": [{"type": "null"}, {"allOf": [
                {"$ref": "https://spec-check.invalid/pagerduty/response.json#/components/schemas/X"}
            ]}]})
        );
    }

    #[test]
    fn one_of_becomes_any_of_and_nullable_appends_a_null_branch() {
        assert_eq!(
            convert(
                json!({"oneOf": [{"type": "string"}, {"$ref": "#/components/schemas/X/oneOf/1"}],
                           "nullable": true})
            ),
            json!({"anyOf": [
                {"type": "string"},
                {"$ref": "https://spec-check.invalid/pagerduty/response.json#/components/schemas/X/anyOf/1"},
                {"type": "null"}
            ]})
        );
    }

    #[test]
    fn boolean_exclusive_bounds_become_numeric() {
        assert_eq!(
            convert(
                json!({"type": "number", "minimum": 0, "exclusiveMinimum": true,
                           "maximum": 1, "exclusiveMaximum": false})
            ),
            json!({"type": "number", "exclusiveMinimum": 0, "maximum": 1})
        );
    }

    #[test]
    fn write_only_required_is_dropped_for_responses_only() {
        let schema = json!({
            "allOf": [
                {"type": "object", "properties": {"password": {"type": "string", "writeOnly": true},
                                                   "id": {"type": "string", "readOnly": true}}},
                {"required": ["id", "password"]}
            ]
        });
        let root = json!({});
        let req = Converter::new(&root, Direction::Request).schema(&schema, &BTreeSet::new());
        assert_eq!(req["allOf"][1]["required"], json!(["id", "password"]));
        let resp = Converter::new(&root, Direction::Response).schema(&schema, &BTreeSet::new());
        assert_eq!(resp["allOf"][1]["required"], json!(["id"]));
    }
}

//! What surrounds an incident: one of its alerts with the monitoring tool's payload,
//! whether it is an outlier on its service, the changes (deploys, config changes)
//! correlated with it, and the account's priorities.

use super::change_events::project_change_event;
use super::incidents::INCIDENT_ID;
use crate::args::{Args, LIMIT, Param, ParamKind, ids};
use crate::catalog::Access;
use crate::catalog::{Operation, Projection, QueryFrom, Run, Tool};
use crate::client::Query;
use crate::context::Call;
use crate::envelope::Output;
use crate::error::ToolResult;
use crate::projection::{clean, project};
use crate::toolsets::Toolset;
use serde_json::{Map, Value};

/// An open incident of the demo dataset with related change events (a deploy on its
/// service shortly before it triggered) and several alerts.
const EXAMPLE_INCIDENT: &str = r#"{"incident_id": "QTBXG4Z08QBJTG"}"#;

/// The fields of an alert an on-call engineer needs (its `body` is projected apart).
pub const ALERT_FIELDS: &[&str] = &[
    "id",
    "summary",
    "status",
    "severity",
    "created_at",
    "alert_key",
    "service",
    "incident",
    "html_url",
];

/// The fields of a priority.
pub const PRIORITY_FIELDS: &[&str] = &["id", "name", "description"];

/// The incident-context tools.
pub const TOOLS: &[Tool] = &[
    Tool {
        toolset: Toolset::Incidents,
        name: "get_incident_alert",
        title: "Get incident alert",
        description: "Get one alert of an incident with what the monitoring tool sent: summary, status, severity, \
            alert key, service, and its body (body.details: the event's payload, e.g. metric, threshold, value, \
            host, runbook; body.contexts: links and images such as dashboards; body.cef_details: the normalized \
            event fields that add to the rest). Find alert IDs with list_incident_alerts.",
        resource: "alerts",
        params: &[
            INCIDENT_ID,
            Param {
                name: "alert_id",
                kind: ParamKind::Id(ids::ALERT),
                required: true,
                description: "The alert's ID (from list_incident_alerts), e.g. 'PT4KHLK'.",
            },
        ],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/incidents/{id}/alerts/{alert_id}")],
        example: r#"{"incident_id": "QTBXG4Z08QBJTG", "alert_id": "QB0OXSIS308W4J"}"#,
        run: Run::Custom(get_incident_alert),
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "get_outlier_incident",
        title: "Get outlier incident",
        description: "Tell whether an incident is usual or an outlier on its service: how often incidents like it \
            (the same template) occurred on the service (count, frequency per day, the window) and PagerDuty's \
            category: frequent, rare or anomalous (never seen before).",
        resource: "outlier_incidents",
        params: &[INCIDENT_ID],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/incidents/{id}/outlier_incident")],
        example: r#"{"incident_id": "QEHRFKH9ABCOUI"}"#,
        run: Run::Get {
            key: "outlier_incident",
            query: QueryFrom::NONE,
            project: Projection::With(project_outlier),
        },
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "list_incident_change_events",
        title: "List incident change events",
        description: "List the change events (deploys, builds, configuration changes) PagerDuty correlates with an \
            incident, newest first, each with why it is correlated (correlation_reason: most_recent, \
            related_service or intelligent), its time, source, links and details: the first place to look for \
            what changed before the incident.",
        resource: "change_events",
        params: &[INCIDENT_ID, LIMIT],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/incidents/{id}/related_change_events")],
        example: EXAMPLE_INCIDENT,
        run: Run::Custom(list_incident_change_events),
    },
    Tool {
        toolset: Toolset::Incidents,
        name: "list_priorities",
        title: "List priorities",
        description: "List the account's incident priorities (e.g. P1-P5), highest first, with their ID, name and \
            description: the IDs to use when setting an incident's priority.",
        resource: "priorities",
        params: &[LIMIT],
        access: Access::Read,
        user_context: None,
        operations: &[Operation::get("/priorities")],
        example: "{}",
        run: Run::List {
            key: "priorities",
            query: QueryFrom::NONE,
            project: Projection::Fields(PRIORITY_FIELDS),
        },
    },
];

fn get_incident_alert(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let path = format!(
        "/incidents/{}/alerts/{}",
        args.required("incident_id"),
        args.required("alert_id")
    );
    super::get_one(call, &path, &Query::new(), "alert", project_alert)
}

/// An alert projected to [`ALERT_FIELDS`] and its body: `details` and `contexts`
/// as the monitoring tool sent them, and of `cef_details` only what the rest does
/// not already say (values that repeat the details, the contexts, the summary,
/// severity or alert key are dropped).
pub fn project_alert(alert: &Value) -> Value {
    let mut out = project(alert, ALERT_FIELDS);
    let Some(body) = alert.get("body").and_then(Value::as_object) else {
        return out;
    };
    let mut kept = Map::new();
    let details = body.get("details").and_then(|d| clean("details", d));
    if let Some(details) = &details {
        kept.insert("details".into(), details.clone());
    }
    let contexts = body.get("contexts").and_then(clean_contexts);
    if let Some(contexts) = &contexts {
        kept.insert("contexts".into(), contexts.clone());
    }
    if let Some(cef) = body.get("cef_details").and_then(Value::as_object) {
        // A value the payload already holds (the host as `source_origin`, the
        // metric as `event_class`, a dashboard link as `client_url`) is a repeat.
        let in_details = |value: &Value| {
            details
                .as_ref()
                .and_then(Value::as_object)
                .is_some_and(|d| d.values().any(|v| v == value))
        };
        let mut news = Map::new();
        for (key, value) in cef {
            let Some(value) = clean(key, value) else {
                continue;
            };
            let repeats = in_details(&value)
                || match key.as_str() {
                    "details" => details.as_ref() == Some(&value),
                    "contexts" => clean_contexts(&value) == contexts,
                    "message" | "description" => alert.get("summary") == Some(&value),
                    "severity" => alert.get("severity") == Some(&value),
                    "dedup_key" => alert.get("alert_key") == Some(&value),
                    // Timestamps and the schema version say nothing new.
                    "creation_time" | "version" | "mutations" => true,
                    _ => false,
                };
            if !repeats {
                news.insert(key.clone(), value);
            }
        }
        if !news.is_empty() {
            kept.insert("cef_details".into(), Value::Object(news));
        }
    }
    if !kept.is_empty() {
        out["body"] = Value::Object(kept);
    }
    out
}

/// An alert's contexts: each link's `href` and `text`, each image's `src` (and its
/// link and alt text); empty ones dropped.
fn clean_contexts(contexts: &Value) -> Option<Value> {
    let items: Vec<Value> = contexts
        .as_array()?
        .iter()
        .filter_map(|c| {
            let mut out = Map::new();
            for key in ["href", "text", "src", "alt"] {
                if let Some(v) = c.get(key).and_then(|v| clean(key, v)) {
                    out.insert(key.to_string(), v);
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        })
        .collect();
    (!items.is_empty()).then_some(Value::Array(items))
}

/// An outlier incident: the incident (ID, title, time, status, service), its
/// `occurrence` (count, frequency, category, window) and the template it matched.
fn project_outlier(outlier: &Value) -> Value {
    let incident = outlier.get("incident").unwrap_or(&Value::Null);
    let mut out = project(
        incident,
        &[
            "id",
            "title",
            "created_at",
            "status",
            "service",
            "html_url",
            "occurrence",
        ],
    );
    if let Some(template) = outlier.get("incident_template").and_then(Value::as_object) {
        let template: Map<String, Value> = ["cluster_id", "mined_text"]
            .iter()
            .filter_map(|k| {
                let v = clean(k, template.get(*k)?)?;
                Some((k.to_string(), v))
            })
            .collect();
        if !template.is_empty() {
            out["incident_template"] = Value::Object(template);
        }
    }
    out
}

fn list_incident_change_events(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    // The spec gives this endpoint `limit` but no `offset`: one request, cut here.
    let mut q = Query::new();
    q.push("limit", args.limit().to_string());
    let path = format!(
        "/incidents/{}/related_change_events",
        args.required("incident_id")
    );
    let body = call.client.get(&path, &q)?;
    let items = body
        .get("change_events")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let more = body.get("more").and_then(Value::as_bool) == Some(true);
    Ok(Output {
        has_more: more || items.len() > args.limit(),
        ..Output::items(
            items
                .iter()
                .take(args.limit())
                .map(project_change_event)
                .collect(),
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_refused, call, json_response, not_found_response, page};
    use serde_json::json;

    fn alert() -> serde_json::Value {
        let details = json!({"metric": "error_rate", "threshold": 5, "value": 12.5, "host": "edge-1",
            "runbook": "https://runbooks.example.com/api"});
        let contexts = json!([{"type": "link", "href": "https://grafana.example.com/d/api", "text": "Dashboard"},
            {"type": "image", "src": "https://grafana.example.com/render/api.png"}]);
        json!({"id": "A1", "type": "alert", "summary": "High 5xx", "self": "https://api/x",
            "html_url": "https://acme.pagerduty.com/alerts/A1", "created_at": "2026-11-20T10:00:00Z",
            "status": "triggered", "alert_key": "k1", "suppressed": false, "severity": "critical",
            "service": {"id": "PS1", "type": "service_reference", "summary": "API", "self": "x", "html_url": "y"},
            "incident": {"id": "Q1", "type": "incident_reference", "summary": "[#1] High 5xx", "self": "x"},
            "integration": {"id": "PI1", "type": "events_api_v2_inbound_integration_reference", "summary": "Events"},
            "first_trigger_log_entry": {"id": "R1", "type": "trigger_log_entry_reference"},
            "body": {"type": "alert_body", "details": details, "contexts": contexts,
                "cef_details": {"details": details, "contexts": contexts, "message": "High 5xx",
                    "description": "High 5xx", "severity": "critical", "dedup_key": "k1", "version": "1.0",
                    "creation_time": "2026-11-20T10:00:00Z", "client": "Prometheus", "event_class": "error_rate",
                    "source_origin": "edge-1", "mutations": [], "priority": null}}})
    }

    #[test]
    fn get_incident_alert_fills_both_ids_and_keeps_the_payload() {
        let c = call(
            "get_incident_alert",
            json!({"incident_id": "Q1", "alert_id": "A1"}),
            vec![json_response(200, json!({"alert": alert()}))],
        );
        assert!(!c.is_error, "{}", c.envelope);
        assert_eq!(c.sent, ["/incidents/Q1/alerts/A1"]);
        assert_eq!(
            c.envelope["alerts"],
            json!([{
                "id": "A1", "summary": "High 5xx", "status": "triggered", "severity": "critical",
                "created_at": "2026-11-20T10:00:00Z", "alert_key": "k1",
                "service": {"id": "PS1", "summary": "API"}, "incident": {"id": "Q1", "summary": "[#1] High 5xx"},
                "html_url": "https://acme.pagerduty.com/alerts/A1",
                "body": {
                    "details": {"metric": "error_rate", "threshold": 5, "value": 12.5, "host": "edge-1",
                        "runbook": "https://runbooks.example.com/api"},
                    "contexts": [{"href": "https://grafana.example.com/d/api", "text": "Dashboard"},
                        {"src": "https://grafana.example.com/render/api.png"}],
                    "cef_details": {"client": "Prometheus"}
                }
            }])
        );
    }

    #[test]
    fn cef_details_that_differ_are_kept() {
        let mut a = alert();
        a["body"]["cef_details"]["details"] = json!({"other": 1});
        a["body"]["cef_details"]["message"] = json!("A longer message");
        a["body"]["cef_details"]["source_origin"] = json!("edge-2");
        let c = call(
            "get_incident_alert",
            json!({"incident_id": "Q1", "alert_id": "A1"}),
            vec![json_response(200, json!({"alert": a}))],
        );
        let cef = &c.envelope["alerts"][0]["body"]["cef_details"];
        assert_eq!(cef["details"], json!({"other": 1}));
        assert_eq!(cef["message"], "A longer message");
        assert_eq!(cef["source_origin"], "edge-2");
        assert!(cef.get("description").is_none());
        assert!(
            cef.get("event_class").is_none(),
            "the metric is in the details"
        );
    }

    #[test]
    fn an_alert_without_a_body_has_none() {
        let mut a = alert();
        a.as_object_mut().unwrap().remove("body");
        let c = call(
            "get_incident_alert",
            json!({"incident_id": "Q1", "alert_id": "A1"}),
            vec![json_response(200, json!({"alert": a}))],
        );
        assert!(c.envelope["alerts"][0].get("body").is_none());
        assert_eq!(c.envelope["alerts"][0]["id"], "A1");
    }

    #[test]
    fn get_incident_alert_validates_both_ids() {
        let cases = [
            (json!({"alert_id": "A1"}), "MISSING_PARAMETER"),
            (json!({"incident_id": "Q1"}), "MISSING_PARAMETER"),
            (
                json!({"incident_id": " ", "alert_id": "A1"}),
                "MISSING_PARAMETER",
            ),
            (
                json!({"incident_id": "Q1", "alert_id": null}),
                "MISSING_PARAMETER",
            ),
            (
                json!({"incident_id": "Q-1", "alert_id": "A1"}),
                "INVALID_INCIDENT_ID",
            ),
            (
                json!({"incident_id": "Q1", "alert_id": "A/1"}),
                "INVALID_ALERT_ID",
            ),
            (
                json!({"incident_id": "Q1", "alert_id": "A1", "x": 1}),
                "INVALID_PARAMETER",
            ),
        ];
        for (args, code) in cases {
            assert_refused("get_incident_alert", args, code);
        }
        let c = call(
            "get_incident_alert",
            json!({"incident_id": "Q1", "alert_id": "NOPE"}),
            vec![not_found_response()],
        );
        assert_eq!(c.code(), "NOT_FOUND");
    }

    #[test]
    fn outlier_incident_keeps_the_classification() {
        let body = json!({"outlier_incident": {
            "incident": {"id": "Q1", "created_at": "2026-11-18T13:08:14Z", "self": "https://api/incidents/Q1",
                "title": "Disk full", "occurrence": {"count": 10, "frequency": 0.04, "category": "rare",
                "since": "2026-09-23T13:08:14Z", "until": "2026-11-24T07:00:00Z"}},
            "incident_template": {"id": "PX3", "cluster_id": "P2B", "mined_text": "Disk full on <*>"}}});
        let c = call(
            "get_outlier_incident",
            json!({"incident_id": "Q1"}),
            vec![json_response(200, body)],
        );
        assert_eq!(c.sent, ["/incidents/Q1/outlier_incident"]);
        assert_eq!(
            c.envelope["outlier_incidents"],
            json!([{"id": "Q1", "title": "Disk full", "created_at": "2026-11-18T13:08:14Z",
                "occurrence": {"count": 10, "frequency": 0.04, "category": "rare",
                    "since": "2026-09-23T13:08:14Z", "until": "2026-11-24T07:00:00Z"},
                "incident_template": {"cluster_id": "P2B", "mined_text": "Disk full on <*>"}}])
        );
        assert_refused(
            "get_outlier_incident",
            json!({"incident_id": ""}),
            "MISSING_PARAMETER",
        );
        assert_refused(
            "get_outlier_incident",
            json!({"incident_id": "Q#1"}),
            "INVALID_INCIDENT_ID",
        );
    }

    fn change_event(id: &str) -> serde_json::Value {
        json!({"id": id, "type": "change_event", "summary": "Deploy api v1.2.3", "self": "x",
            "timestamp": "2026-11-20T09:40:00Z", "source": "github-actions", "routing_key": "secret-ish",
            "services": [{"id": "PS1", "type": "service_reference", "summary": "API", "self": "x"}],
            "integration": {"id": "PI1", "type": "inbound_integration_reference", "summary": "Deploys"},
            "links": [{"href": "https://github.com/acme/api/pull/7", "text": "PR #7"}],
            "images": [], "custom_details": {"version": "1.2.3", "commit": "abc123"},
            "correlation_reason": {"reason": "most_recent"}})
    }

    #[test]
    fn incident_change_events_send_only_limit_and_keep_the_reason() {
        let c = call(
            "list_incident_change_events",
            json!({"incident_id": "Q1", "limit": 2}),
            vec![json_response(
                200,
                json!({"change_events": [change_event("E1"), change_event("E2"), change_event("E3")]}),
            )],
        );
        assert_eq!(c.sent, ["/incidents/Q1/related_change_events?limit=2"]);
        assert_eq!(c.envelope["metadata"]["count"], 2);
        assert_eq!(c.envelope["metadata"]["has_more"], true);
        assert_eq!(
            c.envelope["change_events"][0],
            json!({"id": "E1", "summary": "Deploy api v1.2.3", "timestamp": "2026-11-20T09:40:00Z",
                "source": "github-actions", "services": [{"id": "PS1", "summary": "API"}],
                "integration": {"id": "PI1", "summary": "Deploys"},
                "links": [{"href": "https://github.com/acme/api/pull/7", "text": "PR #7"}],
                "custom_details": {"version": "1.2.3", "commit": "abc123"},
                "correlation_reason": "most_recent"})
        );
        let c = call(
            "list_incident_change_events",
            json!({"incident_id": "Q1"}),
            vec![json_response(
                200,
                json!({"change_events": [change_event("E1")], "more": false}),
            )],
        );
        assert_eq!(c.sent, ["/incidents/Q1/related_change_events?limit=100"]);
        assert!(c.envelope["metadata"].get("has_more").is_none());
        assert_refused(
            "list_incident_change_events",
            json!({"incident_id": null}),
            "MISSING_PARAMETER",
        );
        assert_refused(
            "list_incident_change_events",
            json!({"incident_id": "Q 1"}),
            "INVALID_INCIDENT_ID",
        );
        assert_refused(
            "list_incident_change_events",
            json!({"incident_id": "Q1", "limit": 0}),
            "INVALID_PARAMETER",
        );
    }

    #[test]
    fn priorities_page_and_keep_name_and_description() {
        let p = |id: &str, name: &str| {
            json!({"id": id, "type": "priority", "summary": name, "self": "x", "html_url": null,
                "name": name, "description": format!("{name} means it"), "color": "a8171c"})
        };
        let c = call(
            "list_priorities",
            json!({}),
            vec![page(
                "priorities",
                vec![p("PP1", "P1"), p("PP2", "P2")],
                false,
            )],
        );
        assert_eq!(c.sent, ["/priorities?limit=100&offset=0"]);
        assert_eq!(
            c.envelope["priorities"],
            json!([{"id": "PP1", "name": "P1", "description": "P1 means it"},
                {"id": "PP2", "name": "P2", "description": "P2 means it"}])
        );
        assert_refused(
            "list_priorities",
            json!({"limit": 1001}),
            "INVALID_PARAMETER",
        );
    }
}

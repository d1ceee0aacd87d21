//! Incidents and their sub-resources in PagerDuty's shapes.

use serde_json::{Value, json};

use super::{Agent, Alert, Incident, Note, Status, incident_summary};
use crate::query::Includes;
use crate::render::{Render, WEB_BASE, enrich, no_includes};

impl Render<'_> {
    /// `incident_reference`.
    pub fn incident_ref(&self, incident: &Incident) -> Value {
        self.reference(
            "incident",
            &incident.id,
            &incident_summary(incident),
            "incidents",
            "incidents",
        )
    }

    /// Who did something: a reference, or the full user or service when `full`.
    fn agent(&self, agent: &Agent, full: bool) -> Value {
        match (agent, full) {
            (Agent::User(u), false) => self.user_ref(u),
            (Agent::Service(s), false) => self.service_ref(s),
            (Agent::User(u), true) => self
                .data
                .user(u)
                .map(|u| self.user(u, &no_includes()))
                .unwrap_or_else(|| self.user_ref(u)),
            (Agent::Service(s), true) => self
                .data
                .service(s)
                .map(|s| self.service(s, &no_includes()))
                .unwrap_or_else(|| self.service_ref(s)),
        }
    }

    /// An incident with PagerDuty's `include[]` expansions.
    pub fn incident(&self, i: &Incident, inc: &Includes) -> Value {
        let full_users = |flag: &str| inc.has(flag) || inc.has("users");
        let user_value = |id: &str, full: bool| -> Value {
            match (full, self.data.user(id)) {
                (true, Some(u)) => self.user(u, &no_includes()),
                _ => self.user_ref(id),
            }
        };
        let assignments: Vec<Value> = i
            .assignments
            .iter()
            .map(|(u, at)| json!({ "at": self.time(*at), "assignee": user_value(u, full_users("assignees")) }))
            .collect();
        let acknowledgements: Vec<Value> = i
            .acknowledgements
            .iter()
            .map(|(u, at)| json!({ "at": self.time(*at), "acknowledger": user_value(u, full_users("acknowledgers")) }))
            .collect();
        let service = match (inc.has("services"), self.data.service(&i.service_id)) {
            (true, Some(s)) => self.service(s, &no_includes()),
            _ => self.service_ref(&i.service_id),
        };
        let policy = match (
            inc.has("escalation_policies"),
            self.data.escalation_policy(&i.escalation_policy_id),
        ) {
            (true, Some(p)) => self.policy(p, &no_includes()),
            _ => self.policy_ref(&i.escalation_policy_id),
        };
        let teams: Vec<Value> = i
            .team_ids
            .iter()
            .map(|t| match (inc.has("teams"), self.data.team(t)) {
                (true, Some(team)) => self.team(team),
                _ => self.team_ref(t),
            })
            .collect();
        let by_full = inc.has("agents")
            || (inc.has("users") && matches!(i.last_status_change_by, Agent::User(_)));
        let alerts_triggered = i.alerts.iter().filter(|a| !a.resolved).count();
        let first_trigger = if inc.has("first_trigger_log_entries") {
            self.trigger_log_entry(i)
        } else {
            json!({
                "id": i.first_trigger_log_entry_id,
                "type": "trigger_log_entry_reference",
                "summary": "Triggered through the API.",
                "self": format!("{}/log_entries/{}", self.base, i.first_trigger_log_entry_id),
                "html_url": format!("{WEB_BASE}/incidents/{}/log_entries/{}", i.id, i.first_trigger_log_entry_id),
            })
        };
        let mut v = json!({
            "id": i.id,
            "type": "incident",
            "summary": incident_summary(i),
            "self": format!("{}/incidents/{}", self.base, i.id),
            "html_url": format!("{WEB_BASE}/incidents/{}", i.id),
            "incident_number": i.number,
            "title": i.title,
            "description": i.title,
            "created_at": self.time(i.created_at),
            "updated_at": self.time(i.updated_at),
            "status": i.status.as_str(),
            "incident_key": i.incident_key,
            "service": service,
            "assignments": assignments,
            "assigned_via": "escalation_policy",
            "last_status_change_at": self.time(i.last_status_change_at),
            "last_status_change_by": self.agent(&i.last_status_change_by, by_full),
            "first_trigger_log_entry": first_trigger,
            "alert_counts": {
                "all": i.alerts.len(),
                "triggered": alerts_triggered,
                "resolved": i.alerts.len() - alerts_triggered,
            },
            "is_mergeable": true,
            "incident_type": { "name": "incident_default" },
            "escalation_policy": policy,
            "teams": teams,
            "pending_actions": self.pending_actions(i),
            "acknowledgements": acknowledgements,
            "urgency": i.urgency,
            "incidents_responders": [],
            "responder_requests": self.responder_requests(i),
        });
        if let Some(body) = self.incident_body(i) {
            v["body"] = body;
        }
        v["resolved_at"] = match i.resolved_at {
            Some(at) => json!(self.time(at)),
            None => Value::Null,
        };
        v["alert_grouping"] = Value::Null;
        v["resolve_reason"] = Value::Null;
        if let Some(p) = i.priority_id.as_deref().and_then(|p| self.data.priority(p)) {
            v["priority"] = self.priority(p);
        }
        v
    }

    /// What PagerDuty will do next on its own: escalate a triggered incident,
    /// unacknowledge an acknowledged one, auto-resolve after 4 hours.
    fn pending_actions(&self, i: &Incident) -> Value {
        let mut actions: Vec<Value> = Vec::new();
        let now = self.now;
        match i.status {
            Status::Triggered => {
                let delay = self
                    .data
                    .escalation_policy(&i.escalation_policy_id)
                    .and_then(|p| p.rules.first())
                    .map(|r| i64::from(r.escalation_delay_in_minutes))
                    .unwrap_or(30);
                let mut at = i.created_at + time::Duration::minutes(delay);
                while at < now {
                    at += time::Duration::minutes(delay);
                }
                actions.push(json!({ "type": "escalate", "at": self.time(at) }));
            }
            Status::Acknowledged if super::response::snooze_ends(i, now).is_some() => {
                let at = super::response::snooze_ends(i, now).unwrap_or(now);
                actions.push(json!({ "type": "unacknowledge", "at": self.time(at) }));
            }
            Status::Acknowledged => {
                let mut at = i.last_status_change_at + time::Duration::minutes(30);
                while at < now {
                    at += time::Duration::minutes(30);
                }
                actions.push(json!({ "type": "unacknowledge", "at": self.time(at) }));
            }
            Status::Resolved => return json!([]),
        }
        let mut resolve_at = i.created_at + time::Duration::hours(4);
        while resolve_at < now {
            resolve_at += time::Duration::hours(4);
        }
        actions.push(json!({ "type": "resolve", "at": self.time(resolve_at) }));
        json!(actions)
    }

    /// The full trigger log entry (`include[]=first_trigger_log_entries`).
    fn trigger_log_entry(&self, i: &Incident) -> Value {
        json!({
            "id": i.first_trigger_log_entry_id,
            "type": "trigger_log_entry",
            "summary": "Triggered through the API.",
            "self": format!("{}/log_entries/{}", self.base, i.first_trigger_log_entry_id),
            "html_url": format!("{WEB_BASE}/incidents/{}/log_entries/{}", i.id, i.first_trigger_log_entry_id),
            "created_at": self.time(i.created_at),
            "agent": self.service_ref(&i.service_id),
            "service": self.service_ref(&i.service_id),
            "incident": self.incident_ref(i),
            "teams": i.team_ids.iter().map(|t| self.team_ref(t)).collect::<Vec<_>>(),
            "contexts": [],
            "event_details": { "description": i.title },
        })
    }

    /// A compact incident (for related incidents without `additional_details[]`).
    pub fn incident_compact(&self, i: &Incident) -> Value {
        json!({
            "id": i.id,
            "type": "incident",
            "summary": incident_summary(i),
            "self": format!("{}/incidents/{}", self.base, i.id),
            "html_url": format!("{WEB_BASE}/incidents/{}", i.id),
            "incident_number": i.number,
            "title": i.title,
            "created_at": self.time(i.created_at),
            "status": i.status.as_str(),
            "urgency": i.urgency,
            "service": self.service_ref(&i.service_id),
        })
    }

    /// An incident note.
    pub fn note(&self, n: &Note) -> Value {
        json!({
            "id": n.id,
            "user": self.user_ref(&n.user_id),
            "channel": { "summary": "The PagerDuty website or APIs" },
            "content": n.content,
            "created_at": self.time(n.created_at),
            "updated_at": self.time(n.created_at),
        })
    }

    /// An alert of an incident.
    pub fn alert(&self, i: &Incident, a: &Alert, inc: &Includes) -> Value {
        let service = match (inc.has("services"), self.data.service(&i.service_id)) {
            (true, Some(s)) => enrich(
                self.service_ref(&i.service_id),
                self.service(s, &no_includes()),
            ),
            _ => self.service_ref(&i.service_id),
        };
        let integration = self
            .data
            .service(&i.service_id)
            .map(|s| {
                json!({
                    "id": s.integration_id,
                    "type": "events_api_v2_inbound_integration_reference",
                    "summary": "Events API v2",
                    "self": format!("{}/services/{}/integrations/{}", self.base, s.id, s.integration_id),
                    "html_url": format!("{WEB_BASE}/services/{}/integrations/{}", s.id, s.integration_id),
                })
            })
            .unwrap_or(Value::Null);
        let mut v = json!({
            "id": a.id,
            "type": "alert",
            "summary": a.summary,
            "self": format!("{}/incidents/{}/alerts/{}", self.base, i.id, a.id),
            "html_url": format!("{WEB_BASE}/alerts/{}", a.id),
            "created_at": self.time(a.created_at),
            "status": if a.resolved { "resolved" } else { "triggered" },
            "alert_key": a.alert_key,
            "service": service,
            "incident": self.incident_ref(i),
            "suppressed": false,
            "severity": a.severity,
            "body": self.alert_body(i, a),
        });
        if !integration.is_null() {
            v["integration"] = integration;
        }
        v
    }

    /// An alert's `body`: the monitoring tool's payload (`details`), its links
    /// (`contexts`) and the Common Event Format fields PagerDuty normalizes the
    /// event to (`cef_details`, which repeat the payload and the summary).
    fn alert_body(&self, i: &Incident, a: &Alert) -> Value {
        let contexts = super::alert_details::contexts(&a.details);
        let service = self.data.service(&i.service_id);
        let mut cef = json!({
            "version": "1.0",
            "client": "Prometheus Alertmanager",
            "contexts": contexts,
            "creation_time": self.time(a.created_at),
            "dedup_key": a.alert_key,
            "description": a.summary,
            "details": a.details,
            "message": a.summary,
            "mutations": [],
            "priority": Value::Null,
            "severity": a.severity,
            "source_component": service.map(|s| s.name.as_str()).unwrap_or(""),
            "source_origin": a.source,
        });
        if let Some(url) = a.details.get("dashboard_url") {
            cef["client_url"] = url.clone();
        }
        if let Some(metric) = a.details.get("metric") {
            cef["event_class"] = metric.clone();
        }
        json!({
            "type": "alert_body",
            "contexts": contexts,
            "details": a.details,
            "cef_details": cef,
        })
    }
}

//! JSON rendering of the dataset in PagerDuty's shapes.
//!
//! References look like `{"id","type":"<kind>_reference","summary","self","html_url"}`.
//! Where the spec allows a full object (e.g. `include[]=assignees` on incidents) the
//! full object with its own `type` is embedded; where the spec only allows a
//! reference (e.g. `include[]=teams` on users) the reference keeps its
//! `*_reference` type and gains the full object's fields. Values PagerDuty sends
//! as `null` are `null` where the spec documents that (`resolved_at` of an open
//! incident, `start`/`end` of a permanent on-call, a layer's `end`, coverage
//! without a window) and are left out where the spec forbids `null` (`priority`
//! of an incident without one, `schedule` of a direct on-call).

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::dataset::*;
use crate::query::Includes;
use crate::schedule::{self, Entry};
use crate::timefmt;
use crate::tz::Zone;

/// Host of the web UI links (`html_url`).
pub const WEB_BASE: &str = "https://demo.pagerduty.com";

/// Rendering context: the data, the API base URL for `self` links and the zone
/// timestamps are shown in.
pub struct Render<'a> {
    /// The account.
    pub data: &'a Dataset,
    /// The fake's base URL, e.g. `http://127.0.0.1:1234`.
    pub base: &'a str,
    /// Time zone requested with `time_zone` (UTC when `None`).
    pub zone: Option<Zone>,
    /// The server's current time (for pending actions).
    pub now: OffsetDateTime,
}

fn no_includes() -> Includes {
    Includes::default()
}

/// Keeps the reference's `type` and adds the full object's other fields.
fn enrich(reference: Value, full: Value) -> Value {
    match (reference, full) {
        (Value::Object(r), Value::Object(mut f)) => {
            if let Some(t) = r.get("type") {
                f.insert("type".into(), t.clone());
            }
            Value::Object(f)
        }
        (r, _) => r,
    }
}

impl<'a> Render<'a> {
    /// A new rendering context with UTC timestamps.
    pub fn new(data: &'a Dataset, base: &'a str, now: OffsetDateTime) -> Render<'a> {
        Render {
            data,
            base,
            zone: None,
            now,
        }
    }

    /// The same context rendering timestamps in `zone`.
    pub fn in_zone(mut self, zone: Option<Zone>) -> Render<'a> {
        self.zone = zone;
        self
    }

    /// A timestamp in the requested zone.
    pub fn time(&self, t: OffsetDateTime) -> String {
        timefmt::in_zone(t, self.zone.as_ref())
    }

    fn reference(
        &self,
        kind: &str,
        id: &str,
        summary: &str,
        api_path: &str,
        web_path: &str,
    ) -> Value {
        json!({
            "id": id,
            "type": format!("{kind}_reference"),
            "summary": summary,
            "self": format!("{}/{api_path}/{id}", self.base),
            "html_url": format!("{WEB_BASE}/{web_path}/{id}"),
        })
    }

    // ----- references -----

    /// `user_reference`.
    pub fn user_ref(&self, id: &str) -> Value {
        let name = self
            .data
            .user(id)
            .map(|u| u.name.as_str())
            .unwrap_or("Unknown user");
        self.reference("user", id, name, "users", "users")
    }

    /// `team_reference`.
    pub fn team_ref(&self, id: &str) -> Value {
        let name = self
            .data
            .team(id)
            .map(|t| t.name.as_str())
            .unwrap_or("Unknown team");
        self.reference("team", id, name, "teams", "teams")
    }

    /// `service_reference`.
    pub fn service_ref(&self, id: &str) -> Value {
        let name = self
            .data
            .service(id)
            .map(|s| s.name.as_str())
            .unwrap_or("Unknown service");
        self.reference("service", id, name, "services", "service-directory")
    }

    /// `escalation_policy_reference`.
    pub fn policy_ref(&self, id: &str) -> Value {
        let name = self
            .data
            .escalation_policy(id)
            .map(|p| p.name.as_str())
            .unwrap_or("Unknown policy");
        self.reference(
            "escalation_policy",
            id,
            name,
            "escalation_policies",
            "escalation_policies",
        )
    }

    /// `schedule_reference`.
    pub fn schedule_ref(&self, id: &str) -> Value {
        let name = self
            .data
            .schedule(id)
            .map(|s| s.name.as_str())
            .unwrap_or("Unknown schedule");
        self.reference("schedule", id, name, "schedules", "schedules")
    }

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

    // ----- users -----

    /// A user; `include[]` may embed contact methods, notification rules, teams
    /// (as enriched references) and calendar URLs.
    pub fn user(&self, u: &User, inc: &Includes) -> Value {
        let teams: Vec<Value> = u
            .team_ids
            .iter()
            .map(|t| {
                let r = self.team_ref(t);
                match (inc.has("teams"), self.data.team(t)) {
                    (true, Some(team)) => enrich(r, self.team(team)),
                    _ => r,
                }
            })
            .collect();
        let contact_methods: Vec<Value> = u
            .contact_methods
            .iter()
            .map(|c| {
                let r = self.contact_method_ref(u, c);
                if inc.has("contact_methods") {
                    enrich(r, self.contact_method(u, c))
                } else {
                    r
                }
            })
            .collect();
        let notification_rules: Vec<Value> = u
            .notification_rules
            .iter()
            .map(|n| {
                let r = self.notification_rule_ref(u, n);
                if inc.has("notification_rules") {
                    enrich(r, self.notification_rule(u, n))
                } else {
                    r
                }
            })
            .collect();
        let mut v = json!({
            "id": u.id,
            "type": "user",
            "summary": u.name,
            "self": format!("{}/users/{}", self.base, u.id),
            "html_url": format!("{WEB_BASE}/users/{}", u.id),
            "name": u.name,
            "email": u.email,
            "time_zone": u.time_zone,
            "color": u.color,
            "role": u.role,
            "avatar_url": format!("https://secure.gravatar.com/avatar/{}.png?d=mm&r=PG", u.avatar_hash),
            "description": u.description,
            "invitation_sent": false,
            "job_title": u.job_title,
            "teams": teams,
            "contact_methods": contact_methods,
            "notification_rules": notification_rules,
            "coordinated_incidents": [],
            "created_via_sso": false,
        });
        if inc.has("calendar_urls") {
            v["http_cal_url"] = json!(format!(
                "https://demo.pagerduty.com/private/{}/feed",
                u.avatar_hash
            ));
            v["web_cal_url"] = json!(format!(
                "webcal://demo.pagerduty.com/private/{}/feed",
                u.avatar_hash
            ));
        }
        v
    }

    fn contact_method_ref(&self, u: &User, c: &ContactMethod) -> Value {
        json!({
            "id": c.id,
            "type": format!("{}_reference", c.kind.type_name()),
            "summary": c.label,
            "self": format!("{}/users/{}/contact_methods/{}", self.base, u.id, c.id),
            "html_url": Value::Null,
        })
    }

    /// A full contact method (as in `GET /users/{id}/contact_methods`).
    pub fn contact_method(&self, u: &User, c: &ContactMethod) -> Value {
        let mut v = json!({
            "id": c.id,
            "type": c.kind.type_name(),
            "summary": c.label,
            "self": format!("{}/users/{}/contact_methods/{}", self.base, u.id, c.id),
            "html_url": Value::Null,
            "label": c.label,
            "address": c.address,
        });
        match c.kind {
            ContactKind::Email => {
                v["send_short_email"] = json!(false);
                v["send_html_email"] = json!(false);
            }
            ContactKind::Phone | ContactKind::Sms => {
                v["country_code"] = json!(c.country_code.unwrap_or(1));
                v["enabled"] = json!(true);
                v["blacklisted"] = json!(false);
            }
            ContactKind::Push => {
                v["device_type"] = json!(c.device_type.clone().unwrap_or_else(|| "ios".into()));
                v["created_at"] = json!(self.time(c.created_at));
                v["blacklisted"] = json!(false);
                v["sounds"] = json!([]);
            }
        }
        v
    }

    fn notification_rule_ref(&self, u: &User, n: &NotificationRule) -> Value {
        json!({
            "id": n.id,
            "type": "assignment_notification_rule_reference",
            "summary": format!("{} minutes: channel {}", n.start_delay_in_minutes, n.contact_method_id),
            "self": format!("{}/users/{}/notification_rules/{}", self.base, u.id, n.id),
            "html_url": Value::Null,
        })
    }

    fn notification_rule(&self, u: &User, n: &NotificationRule) -> Value {
        let mut v = self.notification_rule_ref(u, n);
        v["type"] = json!("assignment_notification_rule");
        v["start_delay_in_minutes"] = json!(n.start_delay_in_minutes);
        v["urgency"] = json!(n.urgency);
        if let Some(c) = u
            .contact_methods
            .iter()
            .find(|c| c.id == n.contact_method_id)
        {
            v["contact_method"] = self.contact_method_ref(u, c);
        }
        v
    }

    // ----- teams -----

    /// A team.
    pub fn team(&self, t: &Team) -> Value {
        json!({
            "id": t.id,
            "type": "team",
            "summary": t.name,
            "self": format!("{}/teams/{}", self.base, t.id),
            "html_url": format!("{WEB_BASE}/teams/{}", t.id),
            "name": t.name,
            "description": t.description,
            "default_role": "manager",
        })
    }

    // ----- services -----

    /// A service; `include[]=teams|escalation_policies|integrations` enrich the references.
    pub fn service(&self, s: &Service, inc: &Includes) -> Value {
        let (status, last_incident) = self.service_status(s);
        let policy = {
            let r = self.policy_ref(&s.escalation_policy_id);
            match (
                inc.has("escalation_policies"),
                self.data.escalation_policy(&s.escalation_policy_id),
            ) {
                (true, Some(p)) => enrich(r, self.policy(p, &no_includes())),
                _ => r,
            }
        };
        let teams: Vec<Value> = s
            .team_ids
            .iter()
            .map(|t| {
                let r = self.team_ref(t);
                match (inc.has("teams"), self.data.team(t)) {
                    (true, Some(team)) => enrich(r, self.team(team)),
                    _ => r,
                }
            })
            .collect();
        let mut integration = json!({
            "id": s.integration_id,
            "type": "events_api_v2_inbound_integration_reference",
            "summary": "Events API v2",
            "self": format!("{}/services/{}/integrations/{}", self.base, s.id, s.integration_id),
            "html_url": format!("{WEB_BASE}/services/{}/integrations/{}", s.id, s.integration_id),
        });
        if inc.has("integrations") {
            integration["name"] = json!("Events API v2");
            integration["integration_key"] = json!(format!(
                "{:032x}",
                crate::rng::fnv1a(s.integration_id.as_bytes()) as u128 * 7919
            ));
            integration["created_at"] = json!(self.time(s.created_at));
            integration["service"] = self.service_ref(&s.id);
        }
        let mut v = json!({
            "id": s.id,
            "type": "service",
            "summary": s.name,
            "self": format!("{}/services/{}", self.base, s.id),
            "html_url": format!("{WEB_BASE}/service-directory/{}", s.id),
            "name": s.name,
            "description": s.description,
            "auto_resolve_timeout": 14400,
            "acknowledgement_timeout": 1800,
            "created_at": self.time(s.created_at),
            "updated_at": self.time(s.created_at),
            "status": status,
            "escalation_policy": policy,
            "teams": teams,
            "integrations": [integration],
            "incident_urgency_rule": { "type": "constant", "urgency": s.urgency },
            "scheduled_actions": [],
            "addons": [],
            "alert_creation": "create_alerts_and_incidents",
            "auto_pause_notifications_parameters": { "enabled": false, "timeout": 0 },
        });
        if let Some(t) = last_incident {
            v["last_incident_timestamp"] = json!(self.time(t));
        }
        v
    }

    /// `critical` with a triggered incident, `warning` with an acknowledged one, else `active`.
    fn service_status(&self, s: &Service) -> (&'static str, Option<OffsetDateTime>) {
        let mut status = "active";
        let mut last = None;
        for i in self.data.incidents.iter().filter(|i| i.service_id == s.id) {
            last = Some(last.map_or(i.created_at, |l: OffsetDateTime| l.max(i.created_at)));
            match i.status {
                Status::Triggered => status = "critical",
                Status::Acknowledged if status == "active" => status = "warning",
                _ => {}
            }
        }
        (status, last)
    }

    // ----- escalation policies -----

    /// An escalation policy. `include[]=targets` embeds full users and schedules as
    /// targets; `services`/`teams` enrich those references.
    pub fn policy(&self, p: &EscalationPolicy, inc: &Includes) -> Value {
        let rules: Vec<Value> = p
            .rules
            .iter()
            .map(|r| {
                let targets: Vec<Value> = r
                    .targets
                    .iter()
                    .map(|t| match (t, inc.has("targets")) {
                        (Target::User(u), false) => self.user_ref(u),
                        (Target::Schedule(s), false) => self.schedule_ref(s),
                        (Target::User(u), true) => match self.data.user(u) {
                            Some(u) => self.user(u, &no_includes()),
                            None => self.user_ref(u),
                        },
                        (Target::Schedule(s), true) => match self.data.schedule(s) {
                            Some(s) => self.schedule_summary(s),
                            None => self.schedule_ref(s),
                        },
                    })
                    .collect();
                let mut rule = json!({
                    "id": r.id,
                    "escalation_delay_in_minutes": r.escalation_delay_in_minutes,
                    "targets": targets,
                });
                if inc.has("escalation_rule_assignment_strategies") {
                    rule["escalation_rule_assignment_strategy"] = json!("assign_to_everyone");
                }
                rule
            })
            .collect();
        let services: Vec<Value> = self
            .data
            .services_of_policy(&p.id)
            .into_iter()
            .map(|s| {
                let r = self.service_ref(&s.id);
                if inc.has("services") {
                    enrich(r, self.service(s, &no_includes()))
                } else {
                    r
                }
            })
            .collect();
        let teams: Vec<Value> = p
            .team_ids
            .iter()
            .map(|t| {
                let r = self.team_ref(t);
                match (inc.has("teams"), self.data.team(t)) {
                    (true, Some(team)) => enrich(r, self.team(team)),
                    _ => r,
                }
            })
            .collect();
        json!({
            "id": p.id,
            "type": "escalation_policy",
            "summary": p.name,
            "self": format!("{}/escalation_policies/{}", self.base, p.id),
            "html_url": format!("{WEB_BASE}/escalation_policies/{}", p.id),
            "name": p.name,
            "description": p.description,
            "num_loops": p.num_loops,
            "on_call_handoff_notifications": "if_has_services",
            "escalation_rules": rules,
            "services": services,
            "teams": teams,
        })
    }

    // ----- schedules -----

    /// A schedule as listed by `GET /schedules` (no layers).
    pub fn schedule_summary(&self, s: &Schedule) -> Value {
        let mut users: Vec<&str> = Vec::new();
        for l in &s.layers {
            for u in &l.user_ids {
                if !users.contains(&u.as_str()) {
                    users.push(u);
                }
            }
        }
        json!({
            "id": s.id,
            "type": "schedule",
            "summary": s.name,
            "self": format!("{}/schedules/{}", self.base, s.id),
            "html_url": format!("{WEB_BASE}/schedules/{}", s.id),
            "name": s.name,
            "description": s.description,
            "time_zone": self.zone.map(|z| z.name).unwrap_or(&s.time_zone),
            "escalation_policies": self.data.policies_of_schedule(&s.id).iter().map(|p| self.policy_ref(&p.id)).collect::<Vec<_>>(),
            "users": users.iter().map(|u| self.user_ref(u)).collect::<Vec<_>>(),
            "teams": s.team_ids.iter().map(|t| self.team_ref(t)).collect::<Vec<_>>(),
        })
    }

    /// A schedule with its layers, the final schedule and the (empty) overrides,
    /// rendered over `window` (no entries without a window, as PagerDuty).
    pub fn schedule_full(
        &self,
        s: &Schedule,
        window: Option<(OffsetDateTime, OffsetDateTime)>,
    ) -> Value {
        let mut v = self.schedule_summary(s);
        let zone = schedule::zone_of(s);
        let layers: Vec<Value> = s
            .layers
            .iter()
            .map(|l| {
                let mut layer = json!({
                    "id": l.id,
                    "name": l.name,
                    "start": self.time(l.start),
                    "rotation_virtual_start": self.time(l.rotation_virtual_start),
                    "rotation_turn_length_seconds": l.rotation_turn_length_seconds,
                    "users": l.user_ids.iter().map(|u| json!({ "user": self.user_ref(u) })).collect::<Vec<_>>(),
                    "restrictions": l.restrictions.iter().map(restriction).collect::<Vec<_>>(),
                    "end": l.end.map(|end| self.time(end)),
                    "rendered_schedule_entries": [],
                    "rendered_coverage_percentage": null,
                });
                if let Some((since, until)) = window {
                    let entries = schedule::layer_entries(l, &zone, since, until);
                    layer["rendered_schedule_entries"] = self.entries(&entries);
                    layer["rendered_coverage_percentage"] = json!(schedule::coverage_percentage(&entries, since, until));
                }
                layer
            })
            .collect();
        v["schedule_layers"] = json!(layers);
        let mut final_schedule = json!({ "name": "Final Schedule", "rendered_schedule_entries": [], "rendered_coverage_percentage": null });
        let mut overrides = json!({ "name": "Overrides", "rendered_schedule_entries": [], "rendered_coverage_percentage": null });
        if let Some((since, until)) = window {
            let entries = schedule::final_entries(s, since, until);
            final_schedule["rendered_schedule_entries"] = self.entries(&entries);
            final_schedule["rendered_coverage_percentage"] =
                json!(schedule::coverage_percentage(&entries, since, until));
            overrides["rendered_coverage_percentage"] = json!(0.0);
        }
        v["final_schedule"] = final_schedule;
        v["overrides_subschedule"] = overrides;
        v
    }

    /// Rendered schedule entries.
    pub fn entries(&self, entries: &[Entry]) -> Value {
        json!(
            entries
                .iter()
                .map(|e| json!({ "user": self.user_ref(&e.user_id), "start": self.time(e.start), "end": self.time(e.end) }))
                .collect::<Vec<_>>()
        )
    }

    // ----- incidents -----

    /// A priority object.
    pub fn priority(&self, p: &Priority) -> Value {
        json!({
            "id": p.id,
            "type": "priority",
            "summary": p.name,
            "self": format!("{}/priorities/{}", self.base, p.id),
            "html_url": Value::Null,
            "name": p.name,
            "description": p.description,
            "color": p.color,
        })
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
            "responder_requests": [],
        });
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
            "body": {
                "type": "alert_body",
                "contexts": [],
                "details": {
                    "summary": a.summary,
                    "source": a.source,
                    "severity": a.severity,
                    "component": self.data.service(&i.service_id).map(|s| s.name.as_str()).unwrap_or(""),
                },
            },
        });
        if !integration.is_null() {
            v["integration"] = integration;
        }
        v
    }

    /// An on-call entry for `GET /oncalls`.
    pub fn oncall(&self, o: &crate::oncall::OnCall, inc: &Includes) -> Value {
        let mut user = self.user_ref(&o.user_id);
        if inc.has("users")
            && let Some(u) = self.data.user(&o.user_id)
        {
            user = enrich(user, self.user(u, &no_includes()));
        }
        let mut policy = self.policy_ref(&o.policy_id);
        if inc.has("escalation_policies")
            && let Some(p) = self.data.escalation_policy(&o.policy_id)
        {
            policy = enrich(policy, self.policy(p, &no_includes()));
        }
        let mut v = Map::new();
        v.insert("escalation_policy".into(), policy);
        v.insert("escalation_level".into(), json!(o.level));
        v.insert("user".into(), user);
        if let Some(s) = &o.schedule_id {
            let mut sched = self.schedule_ref(s);
            if inc.has("schedules")
                && let Some(full) = self.data.schedule(s)
            {
                sched = enrich(sched, self.schedule_summary(full));
            }
            v.insert("schedule".into(), sched);
        }
        match o.span {
            Some((start, end)) => {
                v.insert("start".into(), json!(self.time(start)));
                v.insert("end".into(), json!(self.time(end)));
            }
            None => {
                v.insert("start".into(), Value::Null);
                v.insert("end".into(), Value::Null);
            }
        }
        Value::Object(v)
    }
}

fn restriction(r: &Restriction) -> Value {
    let tod = format!(
        "{:02}:{:02}:{:02}",
        r.start_time_of_day_seconds / 3600,
        (r.start_time_of_day_seconds / 60) % 60,
        r.start_time_of_day_seconds % 60
    );
    match r.start_day_of_week {
        None => {
            json!({ "type": "daily_restriction", "start_time_of_day": tod, "duration_seconds": r.duration_seconds })
        }
        Some(d) => json!({
            "type": "weekly_restriction",
            "start_time_of_day": tod,
            "start_day_of_week": d,
            "duration_seconds": r.duration_seconds,
        }),
    }
}

/// `[#1234] Title`.
pub fn incident_summary(i: &Incident) -> String {
    format!("[#{}] {}", i.number, i.title)
}

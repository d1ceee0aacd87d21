//! Technical services: `GET /services`, `/services/{id}`.
//!
//! Services come from the organisation table, with what the incident history
//! needs to invent incidents on them (their share of the history, incident
//! titles, hosts) and the dependencies between them (for related incidents).
//! A service's status is derived from its open incidents and its ongoing
//! maintenance windows.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::dataset::{Dataset, Status};
use crate::errors::ApiResult;
use crate::handlers::{
    ListRequest, RecordRequest, matches_any, matches_text, name_sort, record_answer,
};
use crate::organisation::Organisation;
use crate::query::Includes;
use crate::render::{Render, WEB_BASE, enrich, no_includes};
use crate::resources::escalation_policies::policy_id;
use crate::resources::teams::team_id;
use crate::rng::stable_id;
use crate::state::AppState;

/// A technical service.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// PagerDuty ID.
    pub id: String,
    /// Name, e.g. "Payments API".
    pub name: String,
    /// Description.
    pub description: String,
    /// Owning teams (IDs).
    pub team_ids: Vec<String>,
    /// The escalation policy incidents go to.
    pub escalation_policy_id: String,
    /// When the service was created.
    pub created_at: OffsetDateTime,
    /// Constant urgency of new incidents: `high`, `low` or `severity_based`.
    pub urgency: String,
    /// The Events API v2 integration's ID.
    pub integration_id: String,
}

/// A service in the organisation table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRow {
    /// Name (the ID is derived from it).
    pub name: String,
    /// Description.
    pub description: String,
    /// Owning teams, by name.
    pub teams: Vec<String>,
    /// The escalation policy, by name.
    pub escalation_policy: String,
    /// `high`, `low` or `severity_based`.
    pub urgency: String,
    /// Relative share of the incident history.
    pub incident_weight: u64,
    /// Titles its incidents get.
    pub incident_titles: Vec<String>,
    /// Hosts its alerts come from.
    pub hosts: Vec<String>,
}

/// "`dependent` depends on `supporting`", by service name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DependencyRow {
    /// The service that depends on the other.
    pub dependent: String,
    /// The service it depends on.
    pub supporting: String,
}

/// The ID of the service named `name` (stable: it depends only on the name).
pub(crate) fn service_id(name: &str) -> String {
    stable_id('P', 7, &format!("service:{name}"))
}

/// The services, in table order (the incident history relies on it).
pub(crate) fn generate(org: &Organisation, now: OffsetDateTime) -> Vec<Service> {
    org.services
        .iter()
        .enumerate()
        .map(|(i, s)| Service {
            id: service_id(&s.name),
            name: s.name.clone(),
            description: s.description.clone(),
            team_ids: s.teams.iter().map(|t| team_id(t)).collect(),
            escalation_policy_id: policy_id(&s.escalation_policy),
            created_at: now - Duration::days(700 - 23 * i as i64),
            urgency: s.urgency.clone(),
            integration_id: stable_id('P', 7, &format!("integration:{}", s.name)),
        })
        .collect()
}

impl Dataset {
    /// A service by ID.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    /// The services owned by any of `team_ids`.
    pub fn services_of_teams(&self, team_ids: &[String]) -> Vec<&Service> {
        self.services
            .iter()
            .filter(|s| s.team_ids.iter().any(|t| team_ids.contains(t)))
            .collect()
    }

    /// The services using an escalation policy.
    pub fn services_of_policy(&self, policy_id: &str) -> Vec<&Service> {
        self.services
            .iter()
            .filter(|s| s.escalation_policy_id == policy_id)
            .collect()
    }
}

impl Render<'_> {
    /// `service_reference`.
    pub fn service_ref(&self, id: &str) -> Value {
        let name = self
            .data
            .service(id)
            .map(|s| s.name.as_str())
            .unwrap_or("Unknown service");
        self.reference("service", id, name, "services", "service-directory")
    }

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

    /// `maintenance` in an ongoing maintenance window, else `critical` with a
    /// triggered incident, `warning` with an acknowledged one, else `active`.
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
        if self.data.in_maintenance(&s.id, self.now) {
            status = "maintenance";
        }
        (status, last)
    }
}

const INCLUDES: &[&str] = &[
    "escalation_policies",
    "teams",
    "integrations",
    "auto_pause_notifications_parameters",
];

/// `/services`, `/services/{id}`.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/services", get(list))
        .route("/services/{id}", get(get_one))
}

/// `GET /services`: `query`, `name`, `team_ids[]`, `include[]`, `sort_by`, `time_zone`, pagination.
async fn list(State(st): State<Arc<AppState>>, list: ListRequest) -> ApiResult<Json<Value>> {
    let q = &list.query;
    let inc = q.includes(INCLUDES)?;
    let desc = name_sort(q)?;
    let zone = q.time_zone()?;
    let text = q.text_filter();
    let exact_name = q
        .get("name")
        .filter(|n| !n.is_empty())
        .map(str::to_lowercase);
    let team_ids = q.all("team_ids[]");
    let data = st.snapshot();
    let r = st.render(&data).in_zone(zone);
    let mut services: Vec<&Service> = data
        .services
        .iter()
        .filter(|s| matches_text(&text, &s.name))
        .filter(|s| {
            exact_name
                .as_ref()
                .is_none_or(|n| s.name.to_lowercase() == *n)
        })
        .filter(|s| matches_any(&team_ids, &s.team_ids))
        .collect();
    services.sort_by_key(|a| a.name.to_lowercase());
    if desc {
        services.reverse();
    }
    Ok(list.answer("services", &services, |s| r.service(s, &inc)))
}

/// `GET /services/{id}`.
async fn get_one(
    State(st): State<Arc<AppState>>,
    RecordRequest { id, query: q }: RecordRequest,
) -> ApiResult<Json<Value>> {
    let inc = q.includes(INCLUDES)?;
    let data = st.snapshot();
    record_answer("service", data.service(&id), |s| {
        st.render(&data).service(s, &inc)
    })
}

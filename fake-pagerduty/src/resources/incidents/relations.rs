//! Past and related incidents, derived from the incident history.
//!
//! * Past incidents: earlier incidents on the same service, scored by similarity
//!   (same title scores higher) and recency.
//! * Related incidents: incidents on other services that triggered within an hour,
//!   either on a service the incident's service depends on / supports (a
//!   `service_dependency` relationship, from the organisation table's
//!   `service_dependencies`) or sharing a team (`machine_learning_inferred`).

use time::Duration;

use super::Incident;
use crate::dataset::Dataset;
use crate::organisation::organisation;

/// A past incident with its similarity score.
#[derive(Debug, Clone, PartialEq)]
pub struct Past<'a> {
    /// The earlier incident.
    pub incident: &'a Incident,
    /// Similarity (higher is more similar).
    pub score: f64,
}

/// Earlier incidents on the same service, most similar first.
pub fn past_incidents<'a>(data: &'a Dataset, incident: &Incident) -> Vec<Past<'a>> {
    let base = base_title(&incident.title);
    let mut out: Vec<Past<'a>> = data
        .incidents
        .iter()
        .filter(|other| {
            other.service_id == incident.service_id
                && other.created_at < incident.created_at
                && other.id != incident.id
        })
        .map(|other| {
            let age_days = (incident.created_at - other.created_at).whole_hours() as f64 / 24.0;
            let recency = (1.0 - age_days / 90.0).max(0.0);
            let similarity = if base_title(&other.title) == base {
                80.0
            } else {
                20.0
            };
            let score = ((similarity + 19.0 * recency) * 100.0).round() / 100.0;
            Past {
                incident: other,
                score,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.incident.created_at.cmp(&a.incident.created_at))
    });
    out
}

/// Why two incidents are related.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relationship {
    /// The other incident's service depends on / supports this one's.
    ServiceDependency {
        /// Services (IDs) depending on the incident's service.
        dependent: Vec<String>,
        /// Services (IDs) the incident's service depends on.
        supporting: Vec<String>,
    },
    /// Same team, same time: PagerDuty's machine learning would group them.
    MachineLearning,
}

/// A related incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Related<'a> {
    /// The other incident.
    pub incident: &'a Incident,
    /// Why it is related.
    pub relationships: Vec<Relationship>,
}

/// Incidents on other services that triggered within an hour of `incident` and are
/// connected to it by a service dependency or a shared team (at most 20).
pub fn related_incidents<'a>(data: &'a Dataset, incident: &Incident) -> Vec<Related<'a>> {
    let name_of = |id: &str| data.service(id).map(|s| s.name.clone()).unwrap_or_default();
    let id_of = |name: &str| {
        data.services
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.id.clone())
    };
    let dependencies = &organisation().service_dependencies;
    let mine = name_of(&incident.service_id);
    let mut out = Vec::new();
    for other in &data.incidents {
        if other.id == incident.id || other.service_id == incident.service_id {
            continue;
        }
        if (other.created_at - incident.created_at).abs() > Duration::hours(1) {
            continue;
        }
        let theirs = name_of(&other.service_id);
        let mut relationships = Vec::new();
        let dependent: Vec<String> = dependencies
            .iter()
            .filter(|d| d.supporting == mine && d.dependent == theirs)
            .filter_map(|d| id_of(&d.dependent))
            .collect();
        let supporting: Vec<String> = dependencies
            .iter()
            .filter(|d| d.dependent == mine && d.supporting == theirs)
            .filter_map(|d| id_of(&d.supporting))
            .collect();
        if !dependent.is_empty() || !supporting.is_empty() {
            relationships.push(Relationship::ServiceDependency {
                dependent,
                supporting,
            });
        }
        if other.team_ids.iter().any(|t| incident.team_ids.contains(t)) {
            relationships.push(Relationship::MachineLearning);
        }
        if !relationships.is_empty() {
            out.push(Related {
                incident: other,
                relationships,
            });
        }
        if out.len() == 20 {
            break;
        }
    }
    out
}

/// The title without a trailing ` (host)`.
pub fn base_title(title: &str) -> &str {
    match title.rfind(" (") {
        Some(i) if title.ends_with(')') => &title[..i],
        _ => title,
    }
}

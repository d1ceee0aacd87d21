//! Business services and service dependencies: `GET /business_services`,
//! `/business_services/{id}`, `/service_dependencies/business_services/{id}`,
//! `/service_dependencies/technical_services/{id}`.
//!
//! Business services come from the organisation table, each owned by a team
//! and supported by technical services (and, for some, by other business
//! services). The dependencies between technical services are the
//! organisation's `service_dependencies` table, the same the related incidents
//! are derived from. A dependency endpoint answers every immediate dependency of
//! the service, in both directions (what supports it and what depends on it),
//! as PagerDuty does.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::dataset::Dataset;
use crate::errors::ApiResult;
use crate::handlers::{ListRequest, or_not_found, record_answer};
use crate::organisation::Organisation;
use crate::render::{Render, WEB_BASE};
use crate::resources::services::service_id;
use crate::resources::teams::team_id;
use crate::rng::stable_id;
use crate::state::AppState;

/// A business service: a capability customers see, spanning technical services.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessService {
    /// PagerDuty ID.
    pub id: String,
    /// Name, e.g. "Online Checkout".
    pub name: String,
    /// Description.
    pub description: String,
    /// Who to talk to about it (free text, as in PagerDuty).
    pub point_of_contact: String,
    /// The owning team (ID).
    pub team_id: String,
}

/// Whether a service of a dependency is a technical or a business service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceKind {
    /// A technical service (`/services`).
    Technical,
    /// A business service (`/business_services`).
    Business,
}

impl ServiceKind {
    /// PagerDuty's reference type, e.g. `technical_service_reference`.
    pub fn reference_type(self) -> &'static str {
        match self {
            ServiceKind::Technical => "technical_service_reference",
            ServiceKind::Business => "business_service_reference",
        }
    }
}

/// One side of a dependency: a service of some kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceKey {
    /// Technical or business.
    pub kind: ServiceKind,
    /// The service's ID.
    pub id: String,
}

/// "`dependent` depends on `supporting`".
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceDependency {
    /// PagerDuty ID (16 characters, starts with D).
    pub id: String,
    /// The service that is supported.
    pub dependent: ServiceKey,
    /// The service it depends on.
    pub supporting: ServiceKey,
}

/// A business service in the organisation table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessServiceRow {
    /// Name (the ID is derived from it).
    pub name: String,
    /// Description.
    pub description: String,
    /// Who to talk to (free text).
    pub point_of_contact: String,
    /// The owning team, by name.
    pub team: String,
    /// The technical services it depends on, by name.
    pub supporting_services: Vec<String>,
    /// The business services it depends on, by name.
    pub supporting_business_services: Vec<String>,
}

/// The ID of the business service named `name` (stable: it depends only on the name).
pub(crate) fn business_service_id(name: &str) -> String {
    stable_id('P', 7, &format!("business_service:{name}"))
}

/// The business services, sorted by name (PagerDuty's order for the list).
pub(crate) fn generate(org: &Organisation) -> Vec<BusinessService> {
    let mut out: Vec<BusinessService> = org
        .business_services
        .iter()
        .map(|b| BusinessService {
            id: business_service_id(&b.name),
            name: b.name.clone(),
            description: b.description.clone(),
            point_of_contact: b.point_of_contact.clone(),
            team_id: team_id(&b.team),
        })
        .collect();
    out.sort_by_key(|b| b.name.to_lowercase());
    out
}

/// Every dependency: the technical services' table, then what supports each
/// business service (technical services first, then business services).
pub(crate) fn generate_dependencies(org: &Organisation) -> Vec<ServiceDependency> {
    let technical = |name: &str| ServiceKey {
        kind: ServiceKind::Technical,
        id: service_id(name),
    };
    let business = |name: &str| ServiceKey {
        kind: ServiceKind::Business,
        id: business_service_id(name),
    };
    let dependency = |dependent: ServiceKey, supporting: ServiceKey| ServiceDependency {
        id: stable_id(
            'D',
            16,
            &format!("service_dependency:{}:{}", dependent.id, supporting.id),
        ),
        dependent,
        supporting,
    };
    let mut out: Vec<ServiceDependency> = org
        .service_dependencies
        .iter()
        .map(|d| dependency(technical(&d.dependent), technical(&d.supporting)))
        .collect();
    for b in &org.business_services {
        for s in &b.supporting_services {
            out.push(dependency(business(&b.name), technical(s)));
        }
        for s in &b.supporting_business_services {
            out.push(dependency(business(&b.name), business(s)));
        }
    }
    out
}

impl Dataset {
    /// A business service by ID.
    pub fn business_service(&self, id: &str) -> Option<&BusinessService> {
        self.business_services.iter().find(|b| b.id == id)
    }

    /// The immediate dependencies of a service, in both directions: those where
    /// it is the dependent and those where it is the supporting service.
    pub fn dependencies_of(&self, kind: ServiceKind, id: &str) -> Vec<&ServiceDependency> {
        let is = |k: &ServiceKey| k.kind == kind && k.id == id;
        self.service_dependencies
            .iter()
            .filter(|d| is(&d.dependent) || is(&d.supporting))
            .collect()
    }
}

impl Render<'_> {
    /// A business service. Its team is a bare reference (`id`, `type`, `self`), as
    /// PagerDuty sends it.
    pub fn business_service(&self, b: &BusinessService) -> Value {
        json!({
            "id": b.id,
            "type": "business_service",
            "summary": b.name,
            "self": format!("{}/business_services/{}", self.base, b.id),
            "html_url": format!("{WEB_BASE}/business_services/{}", b.id),
            "name": b.name,
            "description": b.description,
            "point_of_contact": b.point_of_contact,
            "team": {
                "id": b.team_id,
                "type": "team_reference",
                "self": format!("{}/teams/{}", self.base, b.team_id),
            },
        })
    }

    /// A service dependency; its two sides are bare references (`id`, `type`),
    /// as PagerDuty sends them.
    pub fn service_dependency(&self, d: &ServiceDependency) -> Value {
        let side = |k: &ServiceKey| json!({"id": k.id, "type": k.kind.reference_type()});
        json!({
            "id": d.id,
            "type": "service_dependency",
            "supporting_service": side(&d.supporting),
            "dependent_service": side(&d.dependent),
        })
    }
}

/// `/business_services`, `/business_services/{id}` and the dependency endpoints.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/business_services", get(list))
        .route("/business_services/{id}", get(get_one))
        .route(
            "/service_dependencies/business_services/{id}",
            get(business_dependencies),
        )
        .route(
            "/service_dependencies/technical_services/{id}",
            get(technical_dependencies),
        )
}

/// `GET /business_services`: pagination only, sorted by name.
async fn list(State(st): State<Arc<AppState>>, list: ListRequest) -> ApiResult<Json<Value>> {
    let data = st.snapshot();
    let r = st.render(&data);
    Ok(
        list.answer("business_services", &data.business_services, |b| {
            r.business_service(b)
        }),
    )
}

/// `GET /business_services/{id}`.
async fn get_one(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let data = st.snapshot();
    record_answer("business_service", data.business_service(&id), |b| {
        st.render(&data).business_service(b)
    })
}

/// `GET /service_dependencies/business_services/{id}` (404 for an unknown one).
async fn business_dependencies(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let data = st.snapshot();
    or_not_found(data.business_service(&id))?;
    Ok(relationships(&st, &data, ServiceKind::Business, &id))
}

/// `GET /service_dependencies/technical_services/{id}` (404 for an unknown one).
async fn technical_dependencies(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let data = st.snapshot();
    or_not_found(data.service(&id))?;
    Ok(relationships(&st, &data, ServiceKind::Technical, &id))
}

/// `{"relationships": [...]}`: every immediate dependency of the service.
fn relationships(st: &AppState, data: &Dataset, kind: ServiceKind, id: &str) -> Json<Value> {
    let r = st.render(data);
    let relationships: Vec<Value> = data
        .dependencies_of(kind, id)
        .into_iter()
        .map(|d| r.service_dependency(d))
        .collect();
    Json(json!({ "relationships": relationships }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::organisation::organisation;

    #[test]
    fn every_business_service_has_supporting_services_and_a_team() {
        let org = organisation();
        let data = Dataset::generate(1, time::OffsetDateTime::UNIX_EPOCH);
        assert_eq!(data.business_services.len(), org.business_services.len());
        for b in &data.business_services {
            assert!(data.team(&b.team_id).is_some(), "{}", b.name);
            let supporting = data
                .dependencies_of(ServiceKind::Business, &b.id)
                .into_iter()
                .filter(|d| d.dependent.id == b.id)
                .count();
            assert!(supporting > 0, "{}", b.name);
        }
        let ids: std::collections::HashSet<&str> = data
            .service_dependencies
            .iter()
            .map(|d| d.id.as_str())
            .collect();
        assert_eq!(ids.len(), data.service_dependencies.len());
    }
}

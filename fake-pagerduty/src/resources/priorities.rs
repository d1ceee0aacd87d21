//! Incident priorities (P1–P5, from the organisation table): `GET /priorities`,
//! and embedded in incidents.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::dataset::Dataset;
use crate::errors::ApiResult;
use crate::handlers::ListRequest;
use crate::organisation::Organisation;
use crate::render::Render;
use crate::rng::stable_id;
use crate::state::AppState;

/// An incident priority.
#[derive(Debug, Clone, PartialEq)]
pub struct Priority {
    /// PagerDuty ID.
    pub id: String,
    /// "P1".."P5".
    pub name: String,
    /// What it means.
    pub description: String,
    /// Hex color without `#`.
    pub color: String,
}

/// A priority in the organisation table, highest first.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityRow {
    /// "P1".."P5" (the ID is derived from it).
    pub name: String,
    /// What it means.
    pub description: String,
    /// Hex color without `#`.
    pub color: String,
}

/// The priorities, highest first.
pub(crate) fn generate(org: &Organisation) -> Vec<Priority> {
    org.priorities
        .iter()
        .map(|p| Priority {
            id: stable_id('P', 7, &format!("priority:{}", p.name)),
            name: p.name.clone(),
            description: p.description.clone(),
            color: p.color.clone(),
        })
        .collect()
}

impl Dataset {
    /// A priority by ID.
    pub fn priority(&self, id: &str) -> Option<&Priority> {
        self.priorities.iter().find(|p| p.id == id)
    }
}

impl Render<'_> {
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
}

/// `/priorities`.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new().route("/priorities", get(list))
}

/// `GET /priorities`: the account's priorities, highest first, paginated.
async fn list(State(st): State<Arc<AppState>>, list: ListRequest) -> ApiResult<Json<Value>> {
    let data = st.snapshot();
    let r = st.render(&data);
    Ok(list.answer("priorities", &data.priorities, |p| r.priority(p)))
}

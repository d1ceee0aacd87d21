//! `/escalation_policies`, `/escalation_policies/{id}`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};

use super::{matches_text, name_sort};
use crate::errors::{ApiError, ApiResult};
use crate::pagination::Page;
use crate::query::Query;
use crate::state::AppState;

const INCLUDES: &[&str] = &[
    "services",
    "teams",
    "targets",
    "escalation_rule_assignment_strategies",
];

/// `GET /escalation_policies`: `query`, `user_ids[]` (directly or through a
/// schedule), `team_ids[]`, `include[]`, `sort_by`, pagination.
pub async fn list(
    State(st): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(raw.as_deref());
    let page = Page::from_query(&q)?;
    let inc = q.includes(INCLUDES)?;
    let desc = name_sort(&q)?;
    let text = q.text_filter();
    let user_ids = q.all("user_ids[]");
    let team_ids = q.all("team_ids[]");
    let data = st.snapshot();
    let r = st.render(&data);
    let with_users: Vec<String> = user_ids
        .iter()
        .flat_map(|u| data.escalation_policies_of_user(u))
        .map(|p| p.id.clone())
        .collect();
    let mut policies: Vec<_> = data
        .escalation_policies
        .iter()
        .filter(|p| matches_text(&text, &p.name))
        .filter(|p| user_ids.is_empty() || with_users.contains(&p.id))
        .filter(|p| team_ids.is_empty() || p.team_ids.iter().any(|t| team_ids.contains(t)))
        .collect();
    policies.sort_by_key(|a| a.name.to_lowercase());
    if desc {
        policies.reverse();
    }
    Ok(Json(page.envelope(
        "escalation_policies",
        policies.into_iter().map(|p| r.policy(p, &inc)).collect(),
    )))
}

/// `GET /escalation_policies/{id}`.
pub async fn get(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(raw.as_deref());
    let inc = q.includes(INCLUDES)?;
    let data = st.snapshot();
    let policy = data
        .escalation_policy(&id)
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(
        json!({ "escalation_policy": st.render(&data).policy(policy, &inc) }),
    ))
}

//! `/services`, `/services/{id}`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};

use super::{matches_text, name_sort};
use crate::errors::{ApiError, ApiResult};
use crate::pagination::Page;
use crate::query::Query;
use crate::state::AppState;

const LIST_INCLUDES: &[&str] = &[
    "escalation_policies",
    "teams",
    "integrations",
    "auto_pause_notifications_parameters",
];

/// `GET /services`: `query`, `name`, `team_ids[]`, `include[]`, `sort_by`, `time_zone`, pagination.
pub async fn list(
    State(st): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(raw.as_deref());
    let page = Page::from_query(&q)?;
    let inc = q.includes(LIST_INCLUDES)?;
    let desc = name_sort(&q)?;
    let zone = q.time_zone()?;
    let text = q.text_filter();
    let exact_name = q
        .get("name")
        .filter(|n| !n.is_empty())
        .map(str::to_lowercase);
    let team_ids = q.all("team_ids[]");
    let data = st.snapshot();
    let r = st.render(&data).in_zone(zone);
    let mut services: Vec<_> = data
        .services
        .iter()
        .filter(|s| matches_text(&text, &s.name))
        .filter(|s| {
            exact_name
                .as_ref()
                .is_none_or(|n| s.name.to_lowercase() == *n)
        })
        .filter(|s| team_ids.is_empty() || s.team_ids.iter().any(|t| team_ids.contains(t)))
        .collect();
    services.sort_by_key(|a| a.name.to_lowercase());
    if desc {
        services.reverse();
    }
    Ok(Json(page.envelope(
        "services",
        services.into_iter().map(|s| r.service(s, &inc)).collect(),
    )))
}

/// `GET /services/{id}`.
pub async fn get(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(raw.as_deref());
    let inc = q.includes(LIST_INCLUDES)?;
    let data = st.snapshot();
    let service = data.service(&id).ok_or_else(ApiError::not_found)?;
    Ok(Json(
        json!({ "service": st.render(&data).service(service, &inc) }),
    ))
}

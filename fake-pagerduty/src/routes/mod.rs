//! The HTTP routes, one module per resource.

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderMap;
use axum::middleware::from_fn_with_state;
use axum::routing::get;

use crate::dataset::Dataset;
use crate::errors::{ApiError, ApiResult};
use crate::state::AppState;
use crate::{auth, log};

mod escalation_policies;
mod incidents;
mod oncalls;
mod schedules;
mod services;
mod teams;
mod users;

/// The complete API as an axum router (request recording, faults and
/// authentication included).
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/users/me", get(users::me))
        .route("/users", get(users::list))
        .route("/users/{id}", get(users::get))
        .route("/users/{id}/contact_methods", get(users::contact_methods))
        .route("/teams", get(teams::list))
        .route("/teams/{id}", get(teams::get))
        .route("/teams/{id}/members", get(teams::members))
        .route("/services", get(services::list))
        .route("/services/{id}", get(services::get))
        .route("/incidents", get(incidents::list))
        .route(
            "/incidents/{id}",
            get(incidents::get).put(incidents::update),
        )
        .route(
            "/incidents/{id}/notes",
            get(incidents::notes).post(incidents::add_note),
        )
        .route("/incidents/{id}/alerts", get(incidents::alerts))
        .route("/incidents/{id}/past_incidents", get(incidents::past))
        .route("/incidents/{id}/related_incidents", get(incidents::related))
        .route("/escalation_policies", get(escalation_policies::list))
        .route("/escalation_policies/{id}", get(escalation_policies::get))
        .route("/oncalls", get(oncalls::list))
        .route("/schedules", get(schedules::list))
        .route("/schedules/{id}", get(schedules::get))
        .route("/schedules/{id}/users", get(schedules::users))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.clone(), auth::require))
        .layer(from_fn_with_state(state.clone(), log::record))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// Whether `name` contains the lower-cased `filter` (no filter: always).
pub(crate) fn matches_text(filter: &Option<String>, name: &str) -> bool {
    filter
        .as_ref()
        .is_none_or(|f| name.to_lowercase().contains(f))
}

/// The user named by the `From` header of a write.
pub(crate) fn requester(data: &Dataset, headers: &HeaderMap) -> ApiResult<String> {
    let from = headers
        .get("from")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(ApiError::from_header_missing)?;
    data.user_by_email(from)
        .map(|u| u.id.clone())
        .ok_or_else(ApiError::requester_not_found)
}

/// Validates a `sort_by` of `name`, `name:asc` or `name:desc`; `true` means descending.
pub(crate) fn name_sort(q: &crate::query::Query) -> ApiResult<bool> {
    const ALLOWED: &[&str] = &["name", "name:asc", "name:desc"];
    match q.get("sort_by") {
        None | Some("") => Ok(false),
        Some(v) if ALLOWED.contains(&v) => Ok(v == "name:desc"),
        Some(v) => Err(ApiError::invalid_enum("sort_by", v, ALLOWED)),
    }
}

//! `/users`, `/users/me`, `/users/{id}`, `/users/{id}/contact_methods`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use serde_json::{Value, json};

use super::matches_text;
use crate::auth::Caller;
use crate::errors::{ApiError, ApiResult};
use crate::pagination::Page;
use crate::query::Query;
use crate::state::AppState;

const LIST_INCLUDES: &[&str] = &[
    "contact_methods",
    "notification_rules",
    "teams",
    "subdomains",
];
const ONE_INCLUDES: &[&str] = &[
    "contact_methods",
    "notification_rules",
    "teams",
    "subdomains",
    "calendar_urls",
];

/// `GET /users/me`: the token's user (400 for an account-level key).
pub async fn me(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(raw.as_deref());
    let inc = q.includes(ONE_INCLUDES)?;
    let Caller::User(id) = caller else {
        return Err(ApiError::invalid_input(
            "Cannot get the current user with an account-level API token; use a user-level API token or OAuth token",
        ));
    };
    let data = st.snapshot();
    let user = data.user(&id).ok_or_else(ApiError::not_found)?;
    Ok(Json(json!({ "user": st.render(&data).user(user, &inc) })))
}

/// `GET /users`: `query` (name or email), `team_ids[]`, `include[]`, pagination.
pub async fn list(
    State(st): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(raw.as_deref());
    let page = Page::from_query(&q)?;
    let inc = q.includes(LIST_INCLUDES)?;
    let text = q.text_filter();
    let team_ids = q.all("team_ids[]");
    let data = st.snapshot();
    let r = st.render(&data);
    let users: Vec<Value> = data
        .users
        .iter()
        .filter(|u| matches_text(&text, &u.name) || matches_text(&text, &u.email))
        .filter(|u| team_ids.is_empty() || u.team_ids.iter().any(|t| team_ids.contains(t)))
        .map(|u| r.user(u, &inc))
        .collect();
    Ok(Json(page.envelope("users", users)))
}

/// `GET /users/{id}`.
pub async fn get(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(raw.as_deref());
    let inc = q.includes(ONE_INCLUDES)?;
    let data = st.snapshot();
    let user = data.user(&id).ok_or_else(ApiError::not_found)?;
    Ok(Json(json!({ "user": st.render(&data).user(user, &inc) })))
}

/// `GET /users/{id}/contact_methods`: full contact method objects.
pub async fn contact_methods(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let data = st.snapshot();
    let user = data.user(&id).ok_or_else(ApiError::not_found)?;
    let r = st.render(&data);
    let methods: Vec<Value> = user
        .contact_methods
        .iter()
        .map(|c| r.contact_method(user, c))
        .collect();
    Ok(Json(json!({ "contact_methods": methods })))
}

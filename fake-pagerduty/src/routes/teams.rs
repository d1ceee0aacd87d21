//! `/teams`, `/teams/{id}`, `/teams/{id}/members`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};

use super::matches_text;
use crate::errors::{ApiError, ApiResult};
use crate::pagination::Page;
use crate::query::Query;
use crate::state::AppState;

/// `GET /teams`: `query`, pagination; sorted by name.
pub async fn list(
    State(st): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(raw.as_deref());
    let page = Page::from_query(&q)?;
    let text = q.text_filter();
    let data = st.snapshot();
    let r = st.render(&data);
    let mut teams: Vec<_> = data
        .teams
        .iter()
        .filter(|t| matches_text(&text, &t.name))
        .collect();
    teams.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Json(page.envelope(
        "teams",
        teams.into_iter().map(|t| r.team(t)).collect(),
    )))
}

/// `GET /teams/{id}`.
pub async fn get(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(raw.as_deref());
    q.includes(&["privileges"])?;
    let data = st.snapshot();
    let team = data.team(&id).ok_or_else(ApiError::not_found)?;
    Ok(Json(json!({ "team": st.render(&data).team(team) })))
}

/// `GET /teams/{id}/members`: `{user, role}` entries, pagination, `include[]=users`.
pub async fn members(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(raw.as_deref());
    let page = Page::from_query(&q)?;
    let inc = q.includes(&["users"])?;
    let data = st.snapshot();
    let team = data.team(&id).ok_or_else(ApiError::not_found)?;
    let r = st.render(&data);
    let members: Vec<Value> = team
        .members
        .iter()
        .map(|m| {
            let mut user = r.user_ref(&m.user_id);
            if inc.has("users")
                && let Some(u) = data.user(&m.user_id)
            {
                let mut full = r.user(u, &Default::default());
                full["type"] = json!("user_reference");
                user = full;
            }
            json!({ "user": user, "role": m.role })
        })
        .collect();
    Ok(Json(page.envelope("members", members)))
}

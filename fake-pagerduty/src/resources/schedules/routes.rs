//! The schedule handlers: `GET /schedules`, `/schedules/{id}`, `/schedules/{id}/users`,
//! and the routes of the overrides (their handlers are in `overrides`).

use std::sync::Arc;

use axum::extract::State;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::{Schedule, overrides, rotation};
use crate::errors::{ApiError, ApiResult};
use crate::handlers::{ListRequest, RecordRequest, matches_any, matches_text, or_not_found};
use crate::query::Query;
use crate::state::AppState;

/// Longest window a schedule is rendered over.
const MAX_WINDOW_DAYS: i64 = 366;
/// Window length when only one end is given.
const DEFAULT_WINDOW_DAYS: i64 = 7;

/// `/schedules`, `/schedules/{id}`, `/schedules/{id}/users`, `/schedules/{id}/overrides[/{override_id}]`.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/schedules", get(list))
        .route("/schedules/{id}", get(get_one))
        .route("/schedules/{id}/users", get(users))
        .route(
            "/schedules/{id}/overrides",
            get(overrides::list).post(overrides::create),
        )
        .route(
            "/schedules/{id}/overrides/{override_id}",
            delete(overrides::delete),
        )
}

/// The optional `since`/`until` window (a missing end is 7 days from the other).
fn window(q: &Query) -> ApiResult<Option<(OffsetDateTime, OffsetDateTime)>> {
    let window = match (q.time("since")?, q.time("until")?) {
        (None, None) => return Ok(None),
        (Some(s), None) => (s, s + Duration::days(DEFAULT_WINDOW_DAYS)),
        (None, Some(u)) => (u - Duration::days(DEFAULT_WINDOW_DAYS), u),
        (Some(s), Some(u)) => (s, u),
    };
    if window.0 > window.1 {
        return Err(ApiError::invalid_input(
            "The 'since' parameter must be before the 'until' parameter",
        ));
    }
    if window.1 - window.0 > Duration::days(MAX_WINDOW_DAYS) {
        return Err(ApiError::invalid_input(format!(
            "The time range between 'since' and 'until' cannot exceed {MAX_WINDOW_DAYS} days"
        )));
    }
    Ok(Some(window))
}

/// `GET /schedules`: `query`, `team_ids[]`, `include[]` (schedule_layers,
/// final_schedule, overrides_subschedule rendered over `since`/`until`),
/// `time_zone`, pagination; sorted by name.
async fn list(State(st): State<Arc<AppState>>, list: ListRequest) -> ApiResult<Json<Value>> {
    let q = &list.query;
    let inc = q.includes(&["schedule_layers", "overrides_subschedule", "final_schedule"])?;
    let zone = q.time_zone()?;
    let window = window(q)?;
    let text = q.text_filter();
    let team_ids = q.all("team_ids[]");
    let data = st.snapshot();
    let r = st.render(&data).in_zone(zone);
    let mut schedules: Vec<&Schedule> = data
        .schedules
        .iter()
        .filter(|s| matches_text(&text, &s.name))
        .filter(|s| matches_any(&team_ids, &s.team_ids))
        .collect();
    schedules.sort_by_key(|a| a.name.to_lowercase());
    Ok(list.answer("schedules", &schedules, |s| {
        if inc.0.is_empty() {
            return r.schedule_summary(s);
        }
        let full = r.schedule_full(s, window);
        let mut v = r.schedule_summary(s);
        for (flag, key) in [
            ("schedule_layers", "schedule_layers"),
            ("final_schedule", "final_schedule"),
            ("overrides_subschedule", "overrides_subschedule"),
        ] {
            if inc.has(flag) {
                v[key] = full[key].clone();
            }
        }
        v
    }))
}

/// `GET /schedules/{id}`: layers, final schedule and overrides rendered over
/// `since`/`until` (no entries without a window), in `time_zone` if given.
async fn get_one(
    State(st): State<Arc<AppState>>,
    RecordRequest { id, query: q }: RecordRequest,
) -> ApiResult<Json<Value>> {
    let zone = q.time_zone()?;
    let window = window(&q)?;
    q.bool("overflow")?;
    let data = st.snapshot();
    let schedule = or_not_found(data.schedule(&id))?;
    let r = st.render(&data).in_zone(zone);
    let mut v = r.schedule_full(schedule, window);
    if let Some(user_id) = q
        .get("include_next_oncall_for_user")
        .filter(|u| !u.is_empty())
    {
        let now = st.now();
        let next = rotation::final_entries(schedule, now, now + Duration::days(90))
            .into_iter()
            .find(|e| e.user_id == user_id);
        if let Some(e) = next {
            v["next_oncall_for_user"] = json!({ "user": r.user_ref(user_id), "start": r.time(e.start), "end": r.time(e.end) });
        }
    }
    Ok(Json(json!({ "schedule": v })))
}

/// `GET /schedules/{id}/users`: the users on call in the window (all of the
/// schedule's users without a window).
async fn users(
    State(st): State<Arc<AppState>>,
    RecordRequest { id, query: q }: RecordRequest,
) -> ApiResult<Json<Value>> {
    let window = window(&q)?;
    let data = st.snapshot();
    let schedule = or_not_found(data.schedule(&id))?;
    let mut ids: Vec<String> = Vec::new();
    match window {
        Some((since, until)) => {
            for e in rotation::final_entries(schedule, since, until) {
                if !ids.contains(&e.user_id) {
                    ids.push(e.user_id);
                }
            }
        }
        None => {
            for l in &schedule.layers {
                for u in &l.user_ids {
                    if !ids.contains(u) {
                        ids.push(u.clone());
                    }
                }
            }
        }
    }
    let r = st.render(&data);
    let users: Vec<Value> = ids
        .iter()
        .filter_map(|id| data.user(id))
        .map(|u| r.user(u, &Default::default()))
        .collect();
    Ok(Json(json!({ "users": users })))
}

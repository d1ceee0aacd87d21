//! `GET /oncalls`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::Value;
use time::Duration;

use crate::errors::{ApiError, ApiResult};
use crate::oncall::{OnCallFilter, oncalls};
use crate::pagination::Page;
use crate::query::Query;
use crate::state::AppState;

/// Longest `since`..`until` window PagerDuty accepts for on-calls.
const MAX_WINDOW_DAYS: i64 = 90;

/// `GET /oncalls`: `user_ids[]`, `escalation_policy_ids[]`, `schedule_ids[]`, `since`,
/// `until` (both default to now), `earliest`, `time_zone`, `include[]`, pagination.
pub async fn list(
    State(st): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(raw.as_deref());
    let page = Page::from_query(&q)?;
    let inc = q.includes(&["escalation_policies", "users", "schedules"])?;
    let zone = q.time_zone()?;
    let now = st.now();
    let (since, until) = match (q.time("since")?, q.time("until")?) {
        (None, None) => (now, now),
        (Some(s), None) => (s, s.max(now)),
        (None, Some(u)) => (u.min(now), u),
        (Some(s), Some(u)) => (s, u),
    };
    if since > until {
        return Err(ApiError::invalid_input(
            "The 'since' parameter must be before the 'until' parameter",
        ));
    }
    if until - since > Duration::days(MAX_WINDOW_DAYS) {
        return Err(ApiError::invalid_input(format!(
            "The time range between 'since' and 'until' cannot exceed {MAX_WINDOW_DAYS} days"
        )));
    }
    let filter = OnCallFilter {
        user_ids: q.all("user_ids[]"),
        policy_ids: q.all("escalation_policy_ids[]"),
        schedule_ids: q.all("schedule_ids[]"),
        earliest: q.bool("earliest")?.unwrap_or(false),
    };
    let data = st.snapshot();
    let r = st.render(&data).in_zone(zone);
    let entries: Vec<Value> = oncalls(&data, since, until, &filter)
        .iter()
        .map(|o| r.oncall(o, &inc))
        .collect();
    Ok(Json(page.envelope("oncalls", entries)))
}

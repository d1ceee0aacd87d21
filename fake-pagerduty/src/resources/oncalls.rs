//! On-calls: `GET /oncalls`, who is on call for which escalation policy level.
//!
//! Users targeted directly by an escalation rule are always on call (no schedule,
//! no start/end). Schedule targets contribute the final-schedule shifts that
//! overlap the requested window, with the shifts' real start and end. On-calls
//! are derived from the policies and schedules: they have no data of their own.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

use crate::dataset::{Dataset, Target};
use crate::errors::{ApiError, ApiResult};
use crate::handlers::ListRequest;
use crate::query::Includes;
use crate::render::{Render, enrich, no_includes};
use crate::resources::schedules::rotation;
use crate::state::AppState;

/// One on-call entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCall {
    /// Escalation policy ID.
    pub policy_id: String,
    /// 1-based escalation level.
    pub level: u32,
    /// The user on call.
    pub user_id: String,
    /// The schedule the shift comes from (`None` for a direct user target).
    pub schedule_id: Option<String>,
    /// The shift (`None` for a direct user target: always on call).
    pub span: Option<(OffsetDateTime, OffsetDateTime)>,
}

/// Filters of `GET /oncalls`.
#[derive(Debug, Clone, Default)]
pub struct OnCallFilter {
    /// `user_ids[]`.
    pub user_ids: Vec<String>,
    /// `escalation_policy_ids[]`.
    pub policy_ids: Vec<String>,
    /// `schedule_ids[]` (when set, direct user targets are left out).
    pub schedule_ids: Vec<String>,
    /// `earliest=true`: only the earliest shift per user, policy and level.
    pub earliest: bool,
}

/// The on-call entries for the window `[since, until]` (a point in time when equal),
/// ordered by policy name, level, start.
pub fn oncalls(
    data: &Dataset,
    since: OffsetDateTime,
    until: OffsetDateTime,
    filter: &OnCallFilter,
) -> Vec<OnCall> {
    let mut policies: Vec<_> = data
        .escalation_policies
        .iter()
        .filter(|p| filter.policy_ids.is_empty() || filter.policy_ids.contains(&p.id))
        .collect();
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = Vec::new();
    for p in policies {
        for (index, rule) in p.rules.iter().enumerate() {
            let level = index as u32 + 1;
            let mut at_level: Vec<OnCall> = Vec::new();
            for target in &rule.targets {
                match target {
                    Target::User(u) => {
                        if filter.schedule_ids.is_empty() {
                            at_level.push(OnCall {
                                policy_id: p.id.clone(),
                                level,
                                user_id: u.clone(),
                                schedule_id: None,
                                span: None,
                            });
                        }
                    }
                    Target::Schedule(s) => {
                        if !filter.schedule_ids.is_empty() && !filter.schedule_ids.contains(s) {
                            continue;
                        }
                        let Some(sched) = data.schedule(s) else {
                            continue;
                        };
                        for e in
                            rotation::shifts_overlapping(sched, since, until, Duration::days(35))
                        {
                            at_level.push(OnCall {
                                policy_id: p.id.clone(),
                                level,
                                user_id: e.user_id,
                                schedule_id: Some(s.clone()),
                                span: Some((e.start, e.end)),
                            });
                        }
                    }
                }
            }
            at_level.retain(|o| filter.user_ids.is_empty() || filter.user_ids.contains(&o.user_id));
            at_level.sort_by(|a, b| a.span.map(|s| s.0).cmp(&b.span.map(|s| s.0)));
            if filter.earliest {
                let mut seen: Vec<String> = Vec::new();
                at_level.retain(|o| {
                    if seen.contains(&o.user_id) {
                        false
                    } else {
                        seen.push(o.user_id.clone());
                        true
                    }
                });
            }
            out.extend(at_level);
        }
    }
    out
}

impl Render<'_> {
    /// An on-call entry for `GET /oncalls`.
    pub fn oncall(&self, o: &OnCall, inc: &Includes) -> Value {
        let mut user = self.user_ref(&o.user_id);
        if inc.has("users")
            && let Some(u) = self.data.user(&o.user_id)
        {
            user = enrich(user, self.user(u, &no_includes()));
        }
        let mut policy = self.policy_ref(&o.policy_id);
        if inc.has("escalation_policies")
            && let Some(p) = self.data.escalation_policy(&o.policy_id)
        {
            policy = enrich(policy, self.policy(p, &no_includes()));
        }
        let mut v = Map::new();
        v.insert("escalation_policy".into(), policy);
        v.insert("escalation_level".into(), json!(o.level));
        v.insert("user".into(), user);
        if let Some(s) = &o.schedule_id {
            let mut sched = self.schedule_ref(s);
            if inc.has("schedules")
                && let Some(full) = self.data.schedule(s)
            {
                sched = enrich(sched, self.schedule_summary(full));
            }
            v.insert("schedule".into(), sched);
        }
        match o.span {
            Some((start, end)) => {
                v.insert("start".into(), json!(self.time(start)));
                v.insert("end".into(), json!(self.time(end)));
            }
            None => {
                v.insert("start".into(), Value::Null);
                v.insert("end".into(), Value::Null);
            }
        }
        Value::Object(v)
    }
}

/// Longest `since`..`until` window PagerDuty accepts for on-calls.
const MAX_WINDOW_DAYS: i64 = 90;

/// `/oncalls`.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new().route("/oncalls", get(list))
}

/// `GET /oncalls`: `user_ids[]`, `escalation_policy_ids[]`, `schedule_ids[]`, `since`,
/// `until` (both default to now), `earliest`, `time_zone`, `include[]`, pagination.
async fn list(State(st): State<Arc<AppState>>, list: ListRequest) -> ApiResult<Json<Value>> {
    let q = &list.query;
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
    let entries = oncalls(&data, since, until, &filter);
    Ok(list.answer("oncalls", &entries, |o| r.oncall(o, &inc)))
}

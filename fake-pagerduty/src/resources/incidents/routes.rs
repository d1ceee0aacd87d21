//! The incident read handlers: `GET /incidents`, `/incidents/{id}` and its
//! notes, alerts, past and related incidents.

use std::cmp::Ordering;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{Value, json};
use time::{Date, Month, OffsetDateTime};

use super::relations::{self, Relationship};
use super::{Incident, Status, response, writes};
use crate::errors::{ApiError, ApiResult};
use crate::handlers::{ListRequest, RecordRequest, matches_any, or_not_found, record_answer};
use crate::query::Query;
use crate::state::AppState;

/// `/incidents` and its sub-resources, writes included.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/incidents",
            get(list).post(response::create).put(response::update_many),
        )
        .route("/incidents/{id}", get(get_one).put(writes::update))
        .route("/incidents/{id}/notes", get(notes).post(writes::add_note))
        .route("/incidents/{id}/alerts", get(alerts))
        .route("/incidents/{id}/past_incidents", get(past))
        .route("/incidents/{id}/related_incidents", get(related))
        .merge(super::context::router())
        .route("/incidents/{id}/snooze", post(response::snooze))
        .route("/incidents/{id}/merge", put(response::merge))
        .route(
            "/incidents/{id}/responder_requests",
            post(response::request_responders),
        )
        .route(
            "/incidents/{id}/status_updates",
            post(response::add_status_update),
        )
}

const STATUSES: &[&str] = &["triggered", "acknowledged", "resolved"];
/// The urgencies an incident can have.
pub(super) const URGENCIES: &[&str] = &["high", "low"];
const LIST_INCLUDES: &[&str] = &[
    "acknowledgers",
    "agents",
    "assignees",
    "conference_bridge",
    "escalation_policies",
    "first_trigger_log_entries",
    "priorities",
    "services",
    "teams",
    "users",
];
const ONE_INCLUDES: &[&str] = &[
    "acknowledgers",
    "agents",
    "assignees",
    "conference_bridge",
    "custom_fields",
    "escalation_policies",
    "first_trigger_log_entries",
    "priorities",
    "services",
    "teams",
    "users",
];
const SORT_FIELDS: &[&str] = &["incident_number", "created_at", "resolved_at", "urgency"];
/// The default window is one month; the largest accepted is six.
const DEFAULT_WINDOW_MONTHS: u8 = 1;
const MAX_WINDOW_MONTHS: u8 = 6;

/// `t` minus `months` calendar months (day clamped to the month's length).
pub(super) fn months_before(t: OffsetDateTime, months: u8) -> OffsetDateTime {
    let mut year = t.year();
    let mut month = t.month() as i32 - i32::from(months);
    while month < 1 {
        month += 12;
        year -= 1;
    }
    let month = Month::try_from(month as u8).unwrap_or(Month::January);
    let day = t.day().min(time::util::days_in_month(month, year));
    match Date::from_calendar_date(year, month, day) {
        Ok(date) => t.replace_date(date),
        Err(_) => t,
    }
}

/// A parsed `sort_by` entry.
struct SortKey {
    field: String,
    desc: bool,
}

fn sort_keys(q: &Query) -> ApiResult<Vec<SortKey>> {
    let mut keys = Vec::new();
    for (k, v) in &q.pairs {
        if k != "sort_by" && k != "sort_by[]" {
            continue;
        }
        for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, dir) = part.split_once(':').unwrap_or((part, "asc"));
            if !SORT_FIELDS.contains(&field) || !(dir == "asc" || dir == "desc") {
                return Err(ApiError::invalid_input(format!(
                    "sort_by has an invalid value '{part}'. Valid fields are {} with an optional :asc or :desc",
                    SORT_FIELDS.join(", ")
                )));
            }
            keys.push(SortKey {
                field: field.to_string(),
                desc: dir == "desc",
            });
        }
    }
    if keys.len() > 2 {
        return Err(ApiError::invalid_input(
            "sort_by accepts at most two fields",
        ));
    }
    Ok(keys)
}

fn compare(a: &Incident, b: &Incident, key: &SortKey) -> Ordering {
    let ord = match key.field.as_str() {
        "incident_number" => a.number.cmp(&b.number),
        "created_at" => a.created_at.cmp(&b.created_at),
        "resolved_at" => a.resolved_at.cmp(&b.resolved_at),
        // high sorts before low ascending, as PagerDuty does.
        _ => b.urgency.cmp(&a.urgency),
    };
    if key.desc { ord.reverse() } else { ord }
}

/// `GET /incidents`: `statuses[]`, `urgencies[]`, `service_ids[]`, `team_ids[]`,
/// `user_ids[]` (currently assigned), `incident_key`, `since`/`until` (default: the
/// last month; at most 6 months) or `date_range=all`, `sort_by`, `include[]`,
/// `time_zone`, pagination.
async fn list(State(st): State<Arc<AppState>>, list: ListRequest) -> ApiResult<Json<Value>> {
    let q = &list.query;
    let statuses: Vec<Status> = q
        .enum_list("statuses[]", STATUSES)?
        .iter()
        .filter_map(|s| Status::parse(s))
        .collect();
    let urgencies = q.enum_list("urgencies[]", URGENCIES)?;
    let service_ids = q.all("service_ids[]");
    let team_ids = q.all("team_ids[]");
    let user_ids = q.all("user_ids[]");
    let incident_key = q
        .get("incident_key")
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    let inc = q.includes(LIST_INCLUDES)?;
    let zone = q.time_zone()?;
    let keys = sort_keys(q)?;
    let all_dates = match q.get("date_range") {
        None | Some("") => false,
        Some("all") => true,
        Some(other) => return Err(ApiError::invalid_enum("date_range", other, &["all"])),
    };
    let window = if all_dates {
        None
    } else {
        let now = st.now();
        let since_param = q.time("since")?;
        let until = q.time("until")?.unwrap_or(now);
        let since = since_param.unwrap_or_else(|| months_before(until, DEFAULT_WINDOW_MONTHS));
        if since > until {
            return Err(ApiError::invalid_input(
                "The 'since' parameter must be before the 'until' parameter",
            ));
        }
        if since < months_before(until, MAX_WINDOW_MONTHS) {
            return Err(ApiError::invalid_input(
                "The requested date range is too large: 'since' and 'until' cannot be more than 6 months apart",
            ));
        }
        Some((since, until))
    };

    let data = st.snapshot();
    let r = st.render(&data).in_zone(zone);
    let mut incidents: Vec<&Incident> = data
        .incidents
        .iter()
        .filter(|i| statuses.is_empty() || statuses.contains(&i.status))
        .filter(|i| urgencies.is_empty() || urgencies.contains(&i.urgency))
        .filter(|i| service_ids.is_empty() || service_ids.contains(&i.service_id))
        .filter(|i| matches_any(&team_ids, &i.team_ids))
        .filter(|i| user_ids.is_empty() || i.assignments.iter().any(|(u, _)| user_ids.contains(u)))
        .filter(|i| incident_key.as_ref().is_none_or(|k| &i.incident_key == k))
        .filter(|i| {
            window.is_none_or(|(since, until)| i.created_at >= since && i.created_at < until)
        })
        .collect();
    incidents.sort_by(|a, b| {
        keys.iter()
            .map(|k| compare(a, b, k))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| {
                a.created_at
                    .cmp(&b.created_at)
                    .then(a.number.cmp(&b.number))
            })
    });
    Ok(list.answer("incidents", &incidents, |i| r.incident(i, &inc)))
}

/// `GET /incidents/{id}`.
async fn get_one(
    State(st): State<Arc<AppState>>,
    RecordRequest { id, query: q }: RecordRequest,
) -> ApiResult<Json<Value>> {
    let inc = q.includes(ONE_INCLUDES)?;
    let data = st.snapshot();
    record_answer("incident", data.incident(&id), |i| {
        st.render(&data).incident(i, &inc)
    })
}

/// `GET /incidents/{id}/notes` (no pagination).
async fn notes(State(st): State<Arc<AppState>>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let data = st.snapshot();
    let incident = or_not_found(data.incident(&id))?;
    let r = st.render(&data);
    Ok(Json(
        json!({ "notes": incident.notes.iter().map(|n| r.note(n)).collect::<Vec<_>>() }),
    ))
}

/// `GET /incidents/{id}/alerts`: `statuses[]` (triggered, resolved), `alert_key`,
/// `sort_by`, `include[]`, pagination.
async fn alerts(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    list: ListRequest,
) -> ApiResult<Json<Value>> {
    let q = &list.query;
    let statuses = q.enum_list("statuses[]", &["triggered", "resolved"])?;
    let inc = q.includes(&["services", "first_trigger_log_entries", "incidents"])?;
    const SORTS: &[&str] = &[
        "created_at",
        "resolved_at",
        "created_at:asc",
        "created_at:desc",
        "resolved_at:asc",
        "resolved_at:desc",
    ];
    let desc = match q.get("sort_by") {
        None | Some("") => false,
        Some(v) if SORTS.contains(&v) => v.ends_with(":desc"),
        Some(v) => return Err(ApiError::invalid_enum("sort_by", v, SORTS)),
    };
    let alert_key = q
        .get("alert_key")
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    let data = st.snapshot();
    let incident = or_not_found(data.incident(&id))?;
    let r = st.render(&data);
    let mut alerts: Vec<_> = incident
        .alerts
        .iter()
        .filter(|a| statuses.is_empty() || statuses.iter().any(|s| (s == "resolved") == a.resolved))
        .filter(|a| alert_key.as_ref().is_none_or(|k| &a.alert_key == k))
        .collect();
    if desc {
        alerts.reverse();
    }
    Ok(list.answer("alerts", &alerts, |a| r.alert(incident, a, &inc)))
}

/// `GET /incidents/{id}/past_incidents`: `limit` (1–999, default 5), `total`.
async fn past(
    State(st): State<Arc<AppState>>,
    RecordRequest { id, query: q }: RecordRequest,
) -> ApiResult<Json<Value>> {
    let limit = q.integer_in("limit", 5, 1..=999, "an integer between 1 and 999")?;
    let want_total = q.bool("total")?.unwrap_or(false);
    let data = st.snapshot();
    let incident = or_not_found(data.incident(&id))?;
    let base = st.base_url();
    let past = relations::past_incidents(&data, incident);
    let items: Vec<Value> = past
        .iter()
        .take(limit as usize)
        .map(|p| {
            json!({
                "incident": {
                    "id": p.incident.id,
                    "created_at": crate::timefmt::utc(p.incident.created_at),
                    "self": format!("{base}/incidents/{}", p.incident.id),
                    "title": p.incident.title,
                },
                "score": p.score,
            })
        })
        .collect();
    let mut body = json!({ "past_incidents": items, "limit": limit });
    if want_total {
        body["total"] = json!(past.len());
    }
    Ok(Json(body))
}

/// `GET /incidents/{id}/related_incidents`: `additional_details[]=incident` for full incidents.
async fn related(
    State(st): State<Arc<AppState>>,
    RecordRequest { id, query: q }: RecordRequest,
) -> ApiResult<Json<Value>> {
    let details = q.enum_list("additional_details[]", &["incident"])?;
    let data = st.snapshot();
    let incident = or_not_found(data.incident(&id))?;
    let r = st.render(&data);
    let service_ref = |id: &str| {
        json!({
            "id": id,
            "type": "technical_service_reference",
            "self": format!("{}/services/{id}", st.base_url()),
        })
    };
    let items: Vec<Value> = relations::related_incidents(&data, incident)
        .iter()
        .map(|rel| {
            let relationships: Vec<Value> = rel
                .relationships
                .iter()
                .map(|x| match x {
                    Relationship::ServiceDependency { dependent, supporting } => json!({
                        "type": "service_dependency",
                        "metadata": {
                            "dependent_services": dependent.iter().map(|s| service_ref(s)).collect::<Vec<_>>(),
                            "supporting_services": supporting.iter().map(|s| service_ref(s)).collect::<Vec<_>>(),
                        },
                    }),
                    Relationship::MachineLearning => json!({
                        "type": "machine_learning_inferred",
                        "metadata": {
                            "grouping_classification": "similar_contents",
                            "user_feedback": { "positive_feedback_count": 0, "negative_feedback_count": 0 },
                        },
                    }),
                })
                .collect();
            let incident = if details.is_empty() {
                r.incident_compact(rel.incident)
            } else {
                r.incident(rel.incident, &Default::default())
            };
            json!({ "incident": incident, "relationships": relationships })
        })
        .collect();
    Ok(Json(json!({ "related_incidents": items })))
}

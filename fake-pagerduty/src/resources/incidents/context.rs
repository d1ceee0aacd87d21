//! What surrounds an incident: one of its alerts (`GET /incidents/{id}/alerts/{alert_id}`)
//! and whether it is an outlier on its service (`GET /incidents/{id}/outlier_incident`).
//!
//! An outlier incident is classified from the service's history up to the
//! incident: the incidents of the same template (the title without its host) on
//! the same service within the window (`since`, default 90 days before it, until
//! it triggered). Seen once (this incident alone): `anomalous`; fewer than 5 and
//! at most a fifth of the service's incidents in the window: `rare`; else
//! `frequent`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::Incident;
use crate::dataset::Dataset;
use crate::errors::{ApiError, ApiResult};
use crate::handlers::{RecordRequest, or_not_found, record_answer};
use crate::query::Includes;
use crate::rng::stable_id;
use crate::state::AppState;

/// The alert by ID and the outlier classification of an incident.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/incidents/{id}/alerts/{alert_id}", get(alert))
        .route("/incidents/{id}/outlier_incident", get(outlier))
}

/// `GET /incidents/{id}/alerts/{alert_id}`: 404 when either is unknown (or the
/// alert belongs to another incident).
async fn alert(
    State(st): State<Arc<AppState>>,
    Path((id, alert_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let data = st.snapshot();
    let incident = or_not_found(data.incident(&id))?;
    let alert = incident.alerts.iter().find(|a| a.id == alert_id);
    record_answer("alert", alert, |a| {
        st.render(&data).alert(incident, a, &Includes::default())
    })
}

/// How far back the outlier window reaches by default.
pub const OUTLIER_WINDOW_DAYS: i64 = 90;

/// How often incidents like one occurred on its service.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    /// Incidents of the same template on the service in the window (this one included).
    pub count: usize,
    /// All incidents on the service in the window.
    pub service_count: usize,
    /// `count` per day of the window.
    pub frequency: f64,
    /// `frequent`, `rare` or `anomalous`.
    pub category: &'static str,
    /// The window's start.
    pub since: OffsetDateTime,
    /// The window's end.
    pub until: OffsetDateTime,
}

/// The occurrence of `incident`'s template on its service from `since` until `until`.
pub fn occurrence(
    data: &Dataset,
    incident: &Incident,
    since: OffsetDateTime,
    until: OffsetDateTime,
) -> Occurrence {
    let template = super::relations::base_title(&incident.title);
    let on_service: Vec<&Incident> = data
        .incidents
        .iter()
        .filter(|i| i.service_id == incident.service_id)
        .filter(|i| (i.created_at >= since && i.created_at <= until) || i.id == incident.id)
        .collect();
    let count = on_service
        .iter()
        .filter(|i| super::relations::base_title(&i.title) == template)
        .count();
    let days = ((until - since).whole_seconds() as f64 / 86_400.0).max(1.0);
    let category = if count <= 1 {
        "anomalous"
    } else if count < 5 && count * 5 <= on_service.len() {
        "rare"
    } else {
        "frequent"
    };
    Occurrence {
        count,
        service_count: on_service.len(),
        frequency: (count as f64 / days * 100.0).round() / 100.0,
        category,
        since,
        until,
    }
}

/// The template's text as PagerDuty mines it: numbers become `<*>`, and a host
/// suffix `(host)` becomes `(<*>)`.
fn mined_text(title: &str) -> String {
    let base = super::relations::base_title(title);
    let words: Vec<String> = base
        .split(' ')
        .map(|w| {
            if w.chars().any(|c| c.is_ascii_digit())
                && w.chars().all(|c| c.is_ascii_digit() || ".,%ks".contains(c))
            {
                "<*>".to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    let mut text = words.join(" ");
    if base.len() != title.len() {
        text.push_str(" (<*>)");
    }
    text
}

/// `GET /incidents/{id}/outlier_incident`: `since` (default 90 days before the
/// incident), `additional_details[]=incident` for the full incident.
async fn outlier(
    State(st): State<Arc<AppState>>,
    RecordRequest { id, query: q }: RecordRequest,
) -> ApiResult<Json<Value>> {
    let details = q.enum_list("additional_details[]", &["incident"])?;
    let since_param = q.time("since")?;
    let data = st.snapshot();
    let incident = or_not_found(data.incident(&id))?;
    let until = incident.created_at;
    let since = since_param.unwrap_or(incident.created_at - Duration::days(OUTLIER_WINDOW_DAYS));
    if since > incident.created_at {
        return Err(ApiError::invalid_input(
            "The 'since' parameter must be before the incident was created",
        ));
    }
    let o = occurrence(&data, incident, since, until);
    let r = st.render(&data);
    let mut body = if details.is_empty() {
        json!({
            "id": incident.id,
            "created_at": r.time(incident.created_at),
            "self": format!("{}/incidents/{}", st.base_url(), incident.id),
            "title": incident.title,
        })
    } else {
        r.incident(incident, &Includes::default())
    };
    body["occurrence"] = json!({
        "count": o.count,
        "frequency": o.frequency,
        "category": o.category,
        "since": r.time(o.since),
        "until": r.time(o.until),
    });
    let template = super::relations::base_title(&incident.title);
    Ok(Json(json!({
        "outlier_incident": {
            "incident": body,
            "incident_template": {
                "id": stable_id('P', 7, &format!("template:{}:{template}", incident.service_id)),
                "cluster_id": stable_id('P', 6, &format!("cluster:{}", incident.service_id)),
                "mined_text": mined_text(&incident.title),
            },
        }
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mined_text_masks_numbers_and_hosts() {
        assert_eq!(
            mined_text("Kafka consumer lag above 100k on events-raw (kafka-broker-3)"),
            "Kafka consumer lag above <*> on events-raw (<*>)"
        );
        assert_eq!(
            mined_text("Artifact registry disk usage above 85%"),
            "Artifact registry disk usage above <*>"
        );
        assert_eq!(
            mined_text("Node NotReady in prod-use1"),
            "Node NotReady in prod-use1"
        );
    }
}

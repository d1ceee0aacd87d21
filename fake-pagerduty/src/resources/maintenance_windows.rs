//! Maintenance windows: `GET /maintenance_windows`, `/maintenance_windows/{id}`,
//! `POST /maintenance_windows`, `DELETE /maintenance_windows/{id}`.
//!
//! The dataset has past, ongoing and future windows relative to `now` (an ongoing
//! and a future one on services of the current user's teams). A window's state is
//! judged at request time by the server's clock: future (not started), ongoing
//! (started, not ended) or past (ended). A service in an ongoing window has the
//! status `maintenance` (see `resources/services.rs`).
//!
//! PagerDuty's rules: a new window needs a `From` header, existing services, a
//! start before its end and an end in the future (a start in the past becomes
//! now); `DELETE` removes a future window, ends an ongoing one now, and refuses a
//! past one with 405 (the spec documents that answer without a body).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::dataset::Dataset;
use crate::errors::{ApiError, ApiResult};
use crate::handlers::{
    ListRequest, RecordRequest, WriteRequest, check_type, matches_any, matches_text, or_not_found,
    required_object,
};
use crate::query::Includes;
use crate::render::{Render, WEB_BASE, enrich};
use crate::resources::services::service_id;
use crate::resources::users::user_id;
use crate::rng::stable_id;
use crate::state::AppState;
use crate::timefmt;

/// A maintenance window: its services create no incidents while it lasts.
#[derive(Debug, Clone, PartialEq)]
pub struct MaintenanceWindow {
    /// PagerDuty ID.
    pub id: String,
    /// The order it was created in (1 for the first).
    pub sequence_number: u32,
    /// When it starts.
    pub start: OffsetDateTime,
    /// When it ends.
    pub end: OffsetDateTime,
    /// What it is for.
    pub description: String,
    /// The services it covers (IDs).
    pub service_ids: Vec<String>,
    /// Who created it (user ID).
    pub created_by: String,
}

/// Where a window stands at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowState {
    /// Not started yet.
    Future,
    /// Started and not ended.
    Ongoing,
    /// Ended.
    Past,
}

impl MaintenanceWindow {
    /// Its state at `now`.
    pub fn state(&self, now: OffsetDateTime) -> WindowState {
        if now < self.start {
            WindowState::Future
        } else if now < self.end {
            WindowState::Ongoing
        } else {
            WindowState::Past
        }
    }

    /// Whether it covers `service_id` and is ongoing at `now`.
    pub fn holds(&self, service_id: &str, now: OffsetDateTime) -> bool {
        self.state(now) == WindowState::Ongoing && self.service_ids.iter().any(|s| s == service_id)
    }
}

/// The dataset's windows: (description, services, start in minutes from now,
/// length in minutes, creator), in creation order.
const WINDOWS: &[(&str, &[&str], i64, i64, &str)] = &[
    (
        "Kubernetes 1.31 upgrade",
        &["Kubernetes Platform", "CI/CD Pipeline"],
        -12 * 24 * 60,
        4 * 60,
        "Hannah Okafor",
    ),
    (
        "Warehouse vacuum and reindex",
        &["Analytics Warehouse"],
        -3 * 24 * 60,
        3 * 60,
        "Ethan Park",
    ),
    (
        "Payments database failover drill",
        &["Payments API", "Billing Worker"],
        -30,
        120,
        "Jordan Lee",
    ),
    (
        "Identity Provider signing key rotation",
        &["Identity Provider"],
        -60,
        4 * 60,
        "Grace Liu",
    ),
    (
        "API Gateway TLS certificate rotation",
        &["API Gateway"],
        2 * 24 * 60,
        2 * 60,
        "Alex Rivera",
    ),
    (
        "Support Portal release 4.2",
        &["Support Portal"],
        5 * 24 * 60,
        60,
        "Diego Fernandez",
    ),
];

/// The ID of the dataset's window described `description` (stable: it depends
/// only on the description).
pub(crate) fn window_id(description: &str) -> String {
    stable_id('P', 7, &format!("maintenance_window:{description}"))
}

/// The dataset's windows, relative to `now`.
pub(crate) fn generate(now: OffsetDateTime) -> Vec<MaintenanceWindow> {
    WINDOWS
        .iter()
        .enumerate()
        .map(
            |(i, (description, services, start, length, creator))| MaintenanceWindow {
                id: window_id(description),
                sequence_number: i as u32 + 1,
                start: now + Duration::minutes(*start),
                end: now + Duration::minutes(start + length),
                description: description.to_string(),
                service_ids: services.iter().map(|s| service_id(s)).collect(),
                created_by: user_id(creator),
            },
        )
        .collect()
}

impl Dataset {
    /// A maintenance window by ID.
    pub fn maintenance_window(&self, id: &str) -> Option<&MaintenanceWindow> {
        self.maintenance_windows.iter().find(|w| w.id == id)
    }

    /// The teams of a window: those of its services, each once.
    pub fn teams_of_window(&self, w: &MaintenanceWindow) -> Vec<String> {
        let mut teams: Vec<String> = Vec::new();
        for s in w.service_ids.iter().filter_map(|id| self.service(id)) {
            for t in &s.team_ids {
                if !teams.contains(t) {
                    teams.push(t.clone());
                }
            }
        }
        teams
    }

    /// Whether a service is in an ongoing maintenance window at `now`.
    pub fn in_maintenance(&self, service_id: &str, now: OffsetDateTime) -> bool {
        self.maintenance_windows
            .iter()
            .any(|w| w.holds(service_id, now))
    }
}

impl Render<'_> {
    /// A maintenance window; `include[]=services|teams|users` enrich its references.
    pub fn maintenance_window(&self, w: &MaintenanceWindow, inc: &Includes) -> Value {
        let services: Vec<Value> = w
            .service_ids
            .iter()
            .map(|id| {
                let r = self.service_ref(id);
                match (inc.has("services"), self.data.service(id)) {
                    (true, Some(s)) => enrich(r, self.service(s, &Includes::default())),
                    _ => r,
                }
            })
            .collect();
        let teams: Vec<Value> = self
            .data
            .teams_of_window(w)
            .iter()
            .map(|id| {
                let r = self.team_ref(id);
                match (inc.has("teams"), self.data.team(id)) {
                    (true, Some(t)) => enrich(r, self.team(t)),
                    _ => r,
                }
            })
            .collect();
        let created_by = {
            let r = self.user_ref(&w.created_by);
            match (inc.has("users"), self.data.user(&w.created_by)) {
                (true, Some(u)) => enrich(r, self.user(u, &Includes::default())),
                _ => r,
            }
        };
        json!({
            "id": w.id,
            "type": "maintenance_window",
            "summary": w.description,
            "self": format!("{}/maintenance_windows/{}", self.base, w.id),
            "html_url": format!("{WEB_BASE}/maintenance_windows#{}", w.id),
            "sequence_number": w.sequence_number,
            "start_time": self.time(w.start),
            "end_time": self.time(w.end),
            "description": w.description,
            "created_by": created_by,
            "services": services,
            "teams": teams,
        })
    }
}

const INCLUDES: &[&str] = &["teams", "services", "users"];
const FILTERS: &[&str] = &["past", "future", "ongoing", "open", "all"];

/// `/maintenance_windows`, `/maintenance_windows/{id}`.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/maintenance_windows", get(list).post(create))
        .route("/maintenance_windows/{id}", get(get_one).delete(delete))
}

/// Whether a window in `state` passes `filter` (`open`: ongoing or future).
fn passes(filter: &str, state: WindowState) -> bool {
    match filter {
        "past" => state == WindowState::Past,
        "future" => state == WindowState::Future,
        "ongoing" => state == WindowState::Ongoing,
        "open" => state != WindowState::Past,
        _ => true,
    }
}

/// `GET /maintenance_windows`: `filter` (default: all windows), `service_ids[]`,
/// `team_ids[]`, `query` (on the description), `include[]`, pagination; by start time.
async fn list(State(st): State<Arc<AppState>>, list: ListRequest) -> ApiResult<Json<Value>> {
    let q = &list.query;
    let inc = q.includes(INCLUDES)?;
    let filter = match q.get("filter") {
        None | Some("") => "all",
        Some(f) if FILTERS.contains(&f) => f,
        Some(f) => return Err(ApiError::invalid_enum("filter", f, FILTERS)),
    };
    let service_ids = q.all("service_ids[]");
    let team_ids = q.all("team_ids[]");
    let text = q.text_filter();
    let now = st.now();
    let data = st.snapshot();
    let r = st.render(&data);
    let mut windows: Vec<&MaintenanceWindow> = data
        .maintenance_windows
        .iter()
        .filter(|w| passes(filter, w.state(now)))
        .filter(|w| matches_any(&service_ids, &w.service_ids))
        .filter(|w| matches_any(&team_ids, &data.teams_of_window(w)))
        .filter(|w| matches_text(&text, &w.description))
        .collect();
    windows.sort_by_key(|w| (w.start, w.sequence_number));
    Ok(list.answer("maintenance_windows", &windows, |w| {
        r.maintenance_window(w, &inc)
    }))
}

/// `GET /maintenance_windows/{id}`.
async fn get_one(
    State(st): State<Arc<AppState>>,
    RecordRequest { id, query }: RecordRequest,
) -> ApiResult<Json<Value>> {
    let inc = query.includes(INCLUDES)?;
    let data = st.snapshot();
    let w = or_not_found(data.maintenance_window(&id))?;
    Ok(Json(
        json!({ "maintenance_window": st.render(&data).maintenance_window(w, &inc) }),
    ))
}

/// A required timestamp field of the new window.
fn time_field(fields: &serde_json::Map<String, Value>, name: &str) -> ApiResult<OffsetDateTime> {
    let text = fields
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid_input(format!("maintenance_window.{name} is required")))?;
    timefmt::parse(text).ok_or_else(|| {
        ApiError::invalid_input(format!(
            "maintenance_window.{name} '{text}' is not an ISO 8601 date"
        ))
    })
}

/// `POST /maintenance_windows`: `{"maintenance_window": {"type", "start_time",
/// "end_time", "description", "services": [{"id", "type"}]}}`; 201 with the window.
async fn create(
    State(st): State<Arc<AppState>>,
    WriteRequest {
        user_id: created_by,
        body,
    }: WriteRequest,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let fields = required_object(body.get("maintenance_window"), "maintenance_window")?;
    check_type(
        fields.get("type"),
        "maintenance_window",
        &["maintenance_window"],
    )?;
    let start = time_field(fields, "start_time")?;
    let end = time_field(fields, "end_time")?;
    let description = match fields.get("description") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(ApiError::invalid_input(
                "maintenance_window.description must be a string",
            ));
        }
    };
    let services = fields
        .get("services")
        .and_then(Value::as_array)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid_input("maintenance_window.services must not be empty"))?;
    let now = st.now();
    if start >= end {
        return Err(ApiError::invalid_input("End time must be after start time"));
    }
    if end <= now {
        return Err(ApiError::invalid_input("End time must be in the future"));
    }
    let window = st.update(|data| {
        let mut service_ids: Vec<String> = Vec::new();
        for s in services {
            let id = s
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::invalid_input("Each service needs an id"))?;
            if data.service(id).is_none() {
                return Err(ApiError::invalid_input(format!("Service {id} not found")));
            }
            if !service_ids.iter().any(|known| known == id) {
                service_ids.push(id.to_string());
            }
        }
        let sequence_number = data
            .maintenance_windows
            .iter()
            .map(|w| w.sequence_number)
            .max()
            .unwrap_or(0)
            + 1;
        let window = MaintenanceWindow {
            id: stable_id(
                'P',
                7,
                &format!("maintenance_window:{sequence_number}:{description}"),
            ),
            sequence_number,
            // PagerDuty moves a start in the past to now.
            start: start.max(now),
            end,
            description: description.clone(),
            service_ids,
            created_by: created_by.clone(),
        };
        data.maintenance_windows.push(window.clone());
        Ok(window)
    })?;
    let data = st.snapshot();
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "maintenance_window": st.render(&data).maintenance_window(&window, &Includes::default()) }),
        ),
    ))
}

/// `DELETE /maintenance_windows/{id}`: a future window is deleted, an ongoing
/// one ends now (204, no body); a past one is refused with 405 (no body, as the
/// spec documents it).
async fn delete(State(st): State<Arc<AppState>>, Path(id): Path<String>) -> ApiResult<Response> {
    let now = st.now();
    st.update(|data| {
        let index = data
            .maintenance_windows
            .iter()
            .position(|w| w.id == id)
            .ok_or_else(ApiError::not_found)?;
        match data.maintenance_windows[index].state(now) {
            WindowState::Future => {
                data.maintenance_windows.remove(index);
            }
            WindowState::Ongoing => data.maintenance_windows[index].end = now,
            WindowState::Past => return Ok(StatusCode::METHOD_NOT_ALLOWED.into_response()),
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dataset_has_windows_in_every_state_on_my_teams() {
        let now = time::macros::datetime!(2026-01-15 12:00 UTC);
        let data = Dataset::generate(1, now);
        let mine = &data.current_user().team_ids;
        let on_my_teams = |state: WindowState| {
            data.maintenance_windows.iter().any(|w| {
                w.state(now) == state && data.teams_of_window(w).iter().any(|t| mine.contains(t))
            })
        };
        assert!(on_my_teams(WindowState::Ongoing));
        assert!(on_my_teams(WindowState::Future));
        assert!(
            data.maintenance_windows
                .iter()
                .any(|w| w.state(now) == WindowState::Past)
        );
        assert!(data.in_maintenance(&service_id("Payments API"), now));
        assert!(!data.in_maintenance(&service_id("API Gateway"), now));
    }
}

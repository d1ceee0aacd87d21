//! The incident-response writes: `POST /incidents` (create), `PUT /incidents`
//! (bulk update), `POST /incidents/{id}/snooze`, `PUT /incidents/{id}/merge`,
//! `POST /incidents/{id}/responder_requests` and `POST /incidents/{id}/status_updates`.
//! Each needs a `From` header naming a user of the account, changes the incident
//! so later reads show it, and appends its timeline entries.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

use super::writes::{
    API_CHANNEL, IncidentChanges, PriorityChoice, assignee_ids, incident_answer, level_assignees,
    notify, notify_method, reference_id,
};
use super::{Agent, Incident, LogKind, ResponderRequest, Status, StatusUpdate, incident_summary};
use crate::dataset::Dataset;
use crate::errors::{ApiError, ApiResult};
use crate::handlers::{
    WriteRequest, check_type, non_empty_array, or_not_found, required_object, required_text,
};
use crate::render::Render;
use crate::rng::{Rng, fnv1a, pd_id};
use crate::state::AppState;

/// The most incidents one `PUT /incidents` may update.
pub const MAX_BULK_INCIDENTS: usize = 250;
/// The longest snooze PagerDuty accepts, in seconds (a week).
pub const MAX_SNOOZE_SECONDS: u64 = 604_800;
/// The most alerts an incident may hold after a merge.
pub const MAX_ALERTS_PER_INCIDENT: usize = 1000;

/// The incident `id` of `data`, mutable (404 when there is none).
fn incident_mut<'d>(data: &'d mut Dataset, id: &str) -> ApiResult<&'d mut Incident> {
    data.incidents
        .iter_mut()
        .find(|i| i.id == id)
        .ok_or_else(ApiError::not_found)
}

/// Every user's immediate notification method ([`notify_method`]).
fn notify_methods(data: &Dataset) -> Vec<(String, &'static str)> {
    data.users
        .iter()
        .map(|u| (u.id.clone(), notify_method(data, &u.id)))
        .collect()
}

/// `incident.body.details` as the fake keeps it: text as given, an object as its JSON.
fn body_details(incident: &Map<String, Value>) -> ApiResult<Option<String>> {
    let Some(body) = incident.get("body") else {
        return Ok(None);
    };
    check_type(body.get("type"), "incident.body", &["incident_body"])?;
    match body.get("details") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(details @ Value::Object(_)) => Ok(Some(details.to_string())),
        Some(_) => Err(ApiError::invalid_input(
            "incident.body.details must be an object or a string",
        )),
    }
}

/// `POST /incidents`: a new triggered incident on a service, assigned to the users
/// given or to whoever the escalation policy (given, else the service's) has on
/// call at its first level. An open incident of the service with the same
/// `incident_key` refuses it. Answers 201 with the incident.
pub(super) async fn create(
    State(st): State<Arc<AppState>>,
    WriteRequest { user_id, body }: WriteRequest,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let fields = required_object(body.get("incident"), "incident")?;
    check_type(fields.get("type"), "incident", &["incident"])?;
    let title = required_text(fields.get("title"), "incident.title")?;
    let service_id = reference_id(
        fields.get("service").unwrap_or(&Value::Null),
        "incident.service",
        &["service_reference"],
    )?;
    let urgency = match fields.get("urgency") {
        None => None,
        Some(Value::String(u)) if u == "high" || u == "low" => Some(u.clone()),
        Some(other) => {
            return Err(ApiError::invalid_enum(
                "incident.urgency",
                &other.to_string(),
                &["high", "low"],
            ));
        }
    };
    let priority_id = fields
        .get("priority")
        .map(|p| reference_id(p, "incident.priority", &["priority_reference"]))
        .transpose()?;
    let assignees = fields
        .get("assignments")
        .map(|a| assignee_ids(a, "incident.assignments"))
        .transpose()?;
    let policy_id = fields
        .get("escalation_policy")
        .map(|p| {
            reference_id(
                p,
                "incident.escalation_policy",
                &["escalation_policy_reference"],
            )
        })
        .transpose()?;
    if assignees.is_some() && policy_id.is_some() {
        return Err(ApiError::invalid_input(
            "Assignments cannot be specified if an escalation policy is given",
        ));
    }
    let incident_key = match fields.get("incident_key") {
        None => None,
        Some(Value::String(k)) if !k.is_empty() => Some(k.clone()),
        Some(_) => {
            return Err(ApiError::invalid_input(
                "incident.incident_key must be a non-empty string",
            ));
        }
    };
    let details = body_details(fields)?;
    let now = st.now();
    let id = st.update(|data| {
        let service = data
            .service(&service_id)
            .ok_or_else(|| ApiError::invalid_input(format!("Service '{service_id}' not found")))?;
        if let Some(p) = &priority_id {
            PriorityChoice::Id(p.clone()).resolve(data)?;
        }
        let policy_id = policy_id.unwrap_or_else(|| service.escalation_policy_id.clone());
        if data.escalation_policy(&policy_id).is_none() {
            return Err(ApiError::invalid_input(format!(
                "Escalation policy '{policy_id}' not found"
            )));
        }
        if let Some(unknown) = assignees.iter().flatten().find(|u| data.user(u).is_none()) {
            return Err(ApiError::invalid_input(format!(
                "Assignee '{unknown}' is not a user of this account"
            )));
        }
        if let Some(key) = &incident_key
            && data
                .incidents
                .iter()
                .any(|i| i.status.is_open() && i.service_id == service_id && &i.incident_key == key)
        {
            return Err(ApiError::invalid_input(format!(
                "Open incident with key '{key}' already exists on this service"
            )));
        }
        let mut rng = Rng::new(fnv1a(
            format!("created:{}:{title}:{now}", data.incidents.len()).as_bytes(),
        ));
        let mut id = pd_id('Q', 14, &mut rng);
        while data.incident(&id).is_some() {
            id = pd_id('Q', 14, &mut rng);
        }
        let key = incident_key
            .clone()
            .unwrap_or_else(|| (0..2).map(|_| format!("{:016x}", rng.next_u64())).collect());
        let direct = assignees.is_some();
        let assigned = assignees.unwrap_or_else(|| level_assignees(data, &policy_id, 1, now));
        let methods = notify_methods(data);
        let service_agent = Agent::Service(service.id.clone());
        let urgency = urgency.unwrap_or_else(|| match service.urgency.as_str() {
            "low" => "low".to_string(),
            _ => "high".to_string(),
        });
        let mut incident = Incident {
            number: data.incidents.iter().map(|i| i.number).max().unwrap_or(0) + 1,
            escalation_policy_id: policy_id,
            priority_id: priority_id.clone(),
            assignments: assigned.iter().map(|u| (u.clone(), now)).collect(),
            incident_key: key,
            body_details: details.clone(),
            ..Incident::triggered(
                id.clone(),
                title.clone(),
                urgency,
                service,
                now,
                Agent::User(user_id.clone()),
            )
        };
        incident.log_event(
            now,
            Agent::User(user_id.clone()),
            API_CHANNEL,
            LogKind::Trigger,
        );
        incident.first_trigger_log_entry_id = incident.log[0].id.clone();
        let assigner = if direct {
            Agent::User(user_id.clone())
        } else {
            service_agent
        };
        incident.log_event(
            now,
            assigner,
            API_CHANNEL,
            LogKind::Assign {
                user_ids: assigned.clone(),
            },
        );
        notify(&mut incident, &assigned, &methods, now);
        data.incidents.push(incident);
        Ok(id)
    })?;
    Ok((StatusCode::CREATED, incident_answer(&st, &id)?))
}

/// 413: more incidents than one bulk update takes.
fn too_many_incidents(count: usize) -> ApiError {
    ApiError {
        status: 413,
        message: "Request Entity Too Large".into(),
        code: 2001,
        errors: vec![format!(
            "At most {MAX_BULK_INCIDENTS} incidents can be updated at a time; {count} were given"
        )],
    }
}

/// `PUT /incidents`: `{"incidents": [{"id", "type", ...changes}]}`, each applied
/// like `PUT /incidents/{id}` ([`IncidentChanges`]), all or none. More than
/// [`MAX_BULK_INCIDENTS`] is 413; an unknown incident is 400 (the operation
/// documents no 404). Answers the updated incidents.
pub(super) async fn update_many(
    State(st): State<Arc<AppState>>,
    WriteRequest { user_id, body }: WriteRequest,
) -> ApiResult<Json<Value>> {
    let items = non_empty_array(body.get("incidents"), "incidents")?;
    if items.len() > MAX_BULK_INCIDENTS {
        return Err(too_many_incidents(items.len()));
    }
    let mut updates: Vec<(String, IncidentChanges)> = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let label = format!("incidents[{n}]");
        let fields = item
            .as_object()
            .ok_or_else(|| ApiError::invalid_input(format!("{label} must be an object")))?;
        let id = required_text(fields.get("id"), &format!("{label}.id"))?;
        updates.push((id, IncidentChanges::parse(fields, &label)?));
    }
    let now = st.now();
    st.update(|data| {
        let mut draft = data.clone();
        for (id, changes) in &updates {
            changes
                .apply(&mut draft, id, &user_id, now)
                .map_err(|e| match e.status {
                    404 => ApiError::invalid_input(format!("Incident '{id}' not found")),
                    _ => e,
                })?;
        }
        *data = draft;
        Ok::<(), ApiError>(())
    })?;
    let data = st.snapshot();
    let r = st.render(&data);
    let mut seen: Vec<&str> = Vec::new();
    let incidents: Vec<Value> = updates
        .iter()
        .filter(|(id, _)| {
            let first = !seen.contains(&id.as_str());
            seen.push(id);
            first
        })
        .filter_map(|(id, _)| data.incident(id))
        .map(|i| r.incident(i, &Default::default()))
        .collect();
    Ok(Json(json!({
        "incidents": incidents,
        "limit": incidents.len(),
        "offset": 0,
        "more": false,
        "total": null,
    })))
}

/// `POST /incidents/{id}/snooze`: `{"duration": seconds}` (1 to a week). Only an
/// acknowledged incident can be snoozed: it triggers again when the snooze ends.
/// Answers 201 with the incident.
pub(super) async fn snooze(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    WriteRequest { user_id, body }: WriteRequest,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let seconds = match body.get("duration") {
        None => return Err(ApiError::invalid_input("duration is required")),
        Some(d) => d
            .as_u64()
            .filter(|s| (1..=MAX_SNOOZE_SECONDS).contains(s))
            .ok_or_else(|| {
                ApiError::invalid_input(format!(
                    "duration must be an integer number of seconds from 1 to {MAX_SNOOZE_SECONDS}"
                ))
            })?,
    };
    let now = st.now();
    st.update(|data| {
        let incident = incident_mut(data, &id)?;
        match incident.status {
            Status::Acknowledged => {}
            Status::Triggered => {
                return Err(ApiError::invalid_input(
                    "Incident must be acknowledged before it can be snoozed",
                ));
            }
            Status::Resolved => return Err(ApiError::invalid_input("Incident Already Resolved")),
        }
        let until = now + Duration::seconds(seconds as i64);
        incident.snoozed_until = Some(until);
        incident.updated_at = now;
        incident.log_event(
            now,
            Agent::User(user_id.clone()),
            API_CHANNEL,
            LogKind::Snooze { until },
        );
        Ok(())
    })?;
    Ok((StatusCode::CREATED, incident_answer(&st, &id)?))
}

/// `PUT /incidents/{id}/merge`: `{"source_incidents": [{"id", "type": "incident_reference"}]}`.
/// The sources' alerts move to the target (which must be open) and the sources
/// are resolved; both sides get a timeline entry. Merging an incident into itself
/// is refused. Answers with a reference to the target, as the spec shows.
pub(super) async fn merge(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    WriteRequest { user_id, body }: WriteRequest,
) -> ApiResult<Json<Value>> {
    let items = non_empty_array(body.get("source_incidents"), "source_incidents")?;
    let mut sources: Vec<String> = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let source = reference_id(
            item,
            &format!("source_incidents[{n}]"),
            &["incident_reference"],
        )?;
        if source == id {
            return Err(ApiError::invalid_input(
                "An incident cannot be merged into itself",
            ));
        }
        if !sources.contains(&source) {
            sources.push(source);
        }
    }
    let now = st.now();
    st.update(|data| {
        let target = data.incident(&id).ok_or_else(ApiError::not_found)?;
        if !target.status.is_open() {
            return Err(ApiError::invalid_input(
                "The target incident must be open: incidents cannot be merged into a resolved incident",
            ));
        }
        let target_summary = incident_summary(target);
        let mut alerts = target.alerts.len();
        for source in &sources {
            let s = data.incident(source).ok_or_else(|| {
                ApiError::invalid_input(format!("Source incident '{source}' not found"))
            })?;
            alerts += s.alerts.len();
        }
        if alerts > MAX_ALERTS_PER_INCIDENT {
            return Err(ApiError::invalid_input(format!(
                "The merged incident would have {alerts} alerts; an incident holds at most {MAX_ALERTS_PER_INCIDENT}"
            )));
        }
        let by = Agent::User(user_id.clone());
        let mut moved = Vec::new();
        for source in &sources {
            let s = incident_mut(data, source)?;
            moved.append(&mut s.alerts);
            if s.status.is_open() {
                s.resolve(now, by.clone());
                s.snoozed_until = None;
                s.log_event(now, by.clone(), API_CHANNEL, LogKind::Resolve);
            }
            s.log_event(
                now,
                by.clone(),
                API_CHANNEL,
                LogKind::FieldChange {
                    field: "merge".into(),
                    summary: format!("Merged into {target_summary} ({id})"),
                },
            );
            s.updated_at = s.updated_at.max(now);
            let summary = format!("Merged {} ({source}) into this incident", incident_summary(s));
            let target = incident_mut(data, &id)?;
            target.log_event(
                now,
                by.clone(),
                API_CHANNEL,
                LogKind::FieldChange {
                    field: "merge".into(),
                    summary,
                },
            );
        }
        let target = incident_mut(data, &id)?;
        target.alerts.append(&mut moved);
        target.alerts.sort_by_key(|a| a.created_at);
        target.updated_at = target.updated_at.max(now);
        Ok(())
    })?;
    let data = st.snapshot();
    let incident = or_not_found(data.incident(&id))?;
    Ok(Json(
        json!({ "incident": st.render(&data).incident_ref(incident) }),
    ))
}

/// One target of a responder request: `{"responder_request_target": {"id", "type"}}`
/// (PagerDuty's form) or `{"id", "type"}`; a user or an escalation policy.
fn responder_target(item: &Value, label: &str) -> ApiResult<(bool, String)> {
    let target = item.get("responder_request_target").unwrap_or(item);
    const TYPES: &[&str] = &[
        "user_reference",
        "user",
        "escalation_policy_reference",
        "escalation_policy",
    ];
    let id = reference_id(target, label, TYPES)?;
    let is_user = target
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("user"));
    Ok((is_user, id))
}

/// `POST /incidents/{id}/responder_requests`: `requester_id`, `message` and
/// `responder_request_targets` (users and escalation policies). Records the
/// request; the users asked (and the first-level on-call of each policy) are
/// notified, one `notify_log_entry` each: the timeline types of the spec have no
/// responder request, and a notification is what PagerDuty sends them.
pub(super) async fn request_responders(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    WriteRequest { body, .. }: WriteRequest,
) -> ApiResult<Json<Value>> {
    let data = st.snapshot();
    let requester_id = required_text(body.get("requester_id"), "requester_id")?;
    if data.user(&requester_id).is_none() {
        return Err(ApiError::invalid_input(format!(
            "Requester '{requester_id}' is not a user of this account"
        )));
    }
    let message = required_text(body.get("message"), "message")?;
    let items = non_empty_array(
        body.get("responder_request_targets"),
        "responder_request_targets",
    )?;
    let mut user_ids: Vec<String> = Vec::new();
    let mut policy_ids: Vec<String> = Vec::new();
    for (n, item) in items.iter().enumerate() {
        let label = format!("responder_request_targets[{n}]");
        match responder_target(item, &label)? {
            (true, user) if data.user(&user).is_none() => {
                return Err(ApiError::invalid_input(format!(
                    "{label}: user '{user}' not found"
                )));
            }
            (false, policy) if data.escalation_policy(&policy).is_none() => {
                return Err(ApiError::invalid_input(format!(
                    "{label}: escalation policy '{policy}' not found"
                )));
            }
            (true, user) if !user_ids.contains(&user) => user_ids.push(user),
            (false, policy) if !policy_ids.contains(&policy) => policy_ids.push(policy),
            _ => {}
        }
    }
    let now = st.now();
    st.update(|data| {
        let mut notified = user_ids.clone();
        for policy in &policy_ids {
            for user in level_assignees(data, policy, 1, now) {
                if !notified.contains(&user) {
                    notified.push(user);
                }
            }
        }
        let methods = notify_methods(data);
        let incident = incident_mut(data, &id)?;
        if !incident.status.is_open() {
            return Err(ApiError::invalid_input("Incident Already Resolved"));
        }
        incident.responder_requests.push(ResponderRequest {
            requester_id: requester_id.clone(),
            at: now,
            message: message.clone(),
            user_ids: user_ids.clone(),
            escalation_policy_ids: policy_ids.clone(),
        });
        notify(incident, &notified, &methods, now);
        incident.updated_at = now;
        Ok(())
    })?;
    let data = st.snapshot();
    let incident = or_not_found(data.incident(&id))?;
    let request = incident
        .responder_requests
        .last()
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(
        json!({ "responder_request": st.render(&data).responder_request(incident, request) }),
    ))
}

/// `POST /incidents/{id}/status_updates`: `message` (required), `subject` and
/// `html_message` (the email's, echoed back). Records the update with a
/// `status_update` field change on the timeline.
pub(super) async fn add_status_update(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    WriteRequest { user_id, body }: WriteRequest,
) -> ApiResult<Json<Value>> {
    let message = required_text(body.get("message"), "message")?;
    let mut extra = Map::new();
    for key in ["subject", "html_message"] {
        match body.get(key) {
            None => {}
            Some(Value::String(text)) => {
                extra.insert(key.to_string(), json!(text));
            }
            Some(_) => return Err(ApiError::invalid_input(format!("{key} must be a string"))),
        }
    }
    let now = st.now();
    let update = st.update(|data| {
        let salt: usize = data.incidents.iter().map(|i| i.status_updates.len()).sum();
        let incident = incident_mut(data, &id)?;
        let mut rng = Rng::new(fnv1a(
            format!("status_update:{}:{salt}:{message}", incident.id).as_bytes(),
        ));
        let update = StatusUpdate {
            id: pd_id('P', 7, &mut rng),
            user_id: user_id.clone(),
            message: message.clone(),
            at: now,
        };
        incident.status_updates.push(update.clone());
        incident.log_event(
            now,
            Agent::User(user_id.clone()),
            API_CHANNEL,
            LogKind::FieldChange {
                field: "status_update".into(),
                summary: message.clone(),
            },
        );
        incident.updated_at = now;
        Ok::<StatusUpdate, ApiError>(update)
    })?;
    let data = st.snapshot();
    let mut rendered = st.render(&data).status_update(&update);
    if let Value::Object(fields) = &mut rendered {
        fields.extend(extra);
    }
    Ok(Json(json!({ "status_update": rendered })))
}

impl Render<'_> {
    /// A responder request of `incident` with its targets and their responders.
    pub fn responder_request(&self, incident: &Incident, request: &ResponderRequest) -> Value {
        let responder = |user: &str| {
            json!({
                "state": "pending",
                "user": self.user_ref(user),
                "incident": self.incident_ref(incident),
                "updated_at": self.time(request.at),
                "message": request.message,
                "requester": self.user_ref(&request.requester_id),
                "requested_at": self.time(request.at),
            })
        };
        let mut targets: Vec<Value> = request
            .user_ids
            .iter()
            .map(|u| {
                let summary = self.data.user(u).map_or(u.as_str(), |u| u.name.as_str());
                json!({ "responder_request_target": {
                    "type": "user", "id": u, "summary": summary,
                    "incidents_responders": [responder(u)],
                }})
            })
            .collect();
        for policy in &request.escalation_policy_ids {
            let summary = self
                .data
                .escalation_policy(policy)
                .map_or(policy.as_str(), |p| p.name.as_str());
            let responders: Vec<Value> = level_assignees(self.data, policy, 1, request.at)
                .iter()
                .map(|u| responder(u))
                .collect();
            targets.push(json!({ "responder_request_target": {
                "type": "escalation_policy", "id": policy, "summary": summary,
                "incidents_responders": responders,
            }}));
        }
        json!({
            "incident": self.incident_ref(incident),
            "requester": self.user_ref(&request.requester_id),
            "requested_at": self.time(request.at),
            "message": request.message,
            "responder_request_targets": targets,
        })
    }

    /// A status update.
    pub fn status_update(&self, update: &StatusUpdate) -> Value {
        json!({
            "id": update.id,
            "message": update.message,
            "created_at": self.time(update.at),
            "sender": self.user_ref(&update.user_id),
        })
    }

    /// The responder requests of an incident, oldest first.
    pub fn responder_requests(&self, incident: &Incident) -> Value {
        json!(
            incident
                .responder_requests
                .iter()
                .map(|r| self.responder_request(incident, r))
                .collect::<Vec<_>>()
        )
    }

    /// The `body` of an incident created with details: `details` as an object
    /// (the spec's type), text given as a string kept under `text`.
    pub fn incident_body(&self, incident: &Incident) -> Option<Value> {
        let details = incident.body_details.as_ref()?;
        let details = match serde_json::from_str::<Value>(details) {
            Ok(object @ Value::Object(_)) => object,
            _ => json!({ "text": details }),
        };
        Some(json!({ "type": "incident_body", "details": details }))
    }
}

/// When an acknowledged, snoozed incident triggers again, if it is snoozed past `now`.
pub(super) fn snooze_ends(incident: &Incident, now: OffsetDateTime) -> Option<OffsetDateTime> {
    incident
        .snoozed_until
        .filter(|until| incident.status == Status::Acknowledged && *until > now)
}

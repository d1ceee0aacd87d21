//! The incident writes on one incident: `PUT /incidents/{id}` (acknowledge,
//! resolve, reassign, escalate, delegate, urgency, priority, title) and
//! `POST /incidents/{id}/notes`. Both need a `From` header naming a user of the
//! account. [`IncidentChanges`] is the one place an update is read and applied,
//! shared with the bulk `PUT /incidents` (`response`); every change appends its
//! timeline entry.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::routes::URGENCIES;
use super::{Agent, Incident, LogKind, Note, Status};
use crate::dataset::{ContactKind, Dataset, Target};
use crate::errors::{ApiError, ApiResult};
use crate::handlers::{
    WriteRequest, check_type, non_empty_array, record_answer, required_object, required_text,
};
use crate::resources::schedules::rotation;
use crate::state::AppState;

/// The channel of a change made through the REST API.
pub(super) const API_CHANNEL: &str = "api";
/// The channel of what PagerDuty does on its own (notifications).
pub(super) const AUTO_CHANNEL: &str = "auto";

/// `{"incident": <incident id rendered>}`, the answer of a write to one
/// incident, as it is after the write (404 if there is none).
pub(super) fn incident_answer(st: &AppState, id: &str) -> ApiResult<Json<Value>> {
    let data = st.snapshot();
    record_answer("incident", data.incident(id), |i| {
        st.render(&data).incident(i, &Default::default())
    })
}

/// The ID of a reference object `{"id": ..., "type": <one of types>}` at `label`.
pub(super) fn reference_id(value: &Value, label: &str, types: &[&str]) -> ApiResult<String> {
    let id = required_text(value.get("id"), &format!("{label}.id"))?;
    check_type(value.get("type"), label, types)?;
    Ok(id)
}

/// The user IDs of `assignments: [{"assignee": {"id", "type": "user_reference"}}]`.
pub(super) fn assignee_ids(value: &Value, label: &str) -> ApiResult<Vec<String>> {
    let items = non_empty_array(Some(value), label)?;
    let mut ids: Vec<String> = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let assignee = item.get("assignee").unwrap_or(&Value::Null);
        let id = reference_id(
            assignee,
            &format!("{label}[{n}].assignee"),
            &["user_reference"],
        )?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// A priority as an update names it: by ID (an object) or by name (a string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PriorityChoice {
    /// `{"id": ..., "type": "priority_reference"}`.
    Id(String),
    /// A priority's name; the highest priority of that name is used.
    Name(String),
}

impl PriorityChoice {
    /// The priority's ID in `data`; 400 when there is none.
    pub(super) fn resolve(&self, data: &Dataset) -> ApiResult<String> {
        let found = match self {
            PriorityChoice::Id(id) => data.priority(id),
            PriorityChoice::Name(name) => data.priorities.iter().find(|p| &p.name == name),
        };
        found.map(|p| p.id.clone()).ok_or_else(|| {
            ApiError::invalid_input(match self {
                PriorityChoice::Id(id) => format!("Priority '{id}' not found"),
                PriorityChoice::Name(name) => format!("No priority is named '{name}'"),
            })
        })
    }
}

/// The changes one update asks for: the `incident` of `PUT /incidents/{id}`, or
/// one item of the `incidents` of `PUT /incidents`. Read by [`IncidentChanges::parse`],
/// applied by [`IncidentChanges::apply`], which appends a timeline entry per change.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct IncidentChanges {
    /// `acknowledged` or `resolved`.
    pub status: Option<Status>,
    /// `high` or `low`.
    pub urgency: Option<String>,
    /// The new priority.
    pub priority: Option<PriorityChoice>,
    /// Reassign to these users.
    pub assignee_ids: Option<Vec<String>>,
    /// Delegate to this escalation policy.
    pub escalation_policy_id: Option<String>,
    /// Escalate to this level of the policy (1-based).
    pub escalation_level: Option<u32>,
    /// The new title.
    pub title: Option<String>,
}

impl IncidentChanges {
    /// Reads the fields of one update; `label` names it in errors (`incident`,
    /// `incidents[3]`).
    pub(super) fn parse(fields: &Map<String, Value>, label: &str) -> ApiResult<IncidentChanges> {
        check_type(
            fields.get("type"),
            label,
            &["incident", "incident_reference"],
        )?;
        let status = match fields.get("status") {
            None => None,
            Some(Value::String(s)) if s == "acknowledged" || s == "resolved" => Status::parse(s),
            Some(other) => {
                let text = other
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| other.to_string());
                return Err(ApiError::invalid_enum(
                    &format!("{label}.status"),
                    &text,
                    &["acknowledged", "resolved"],
                ));
            }
        };
        let urgency = match fields.get("urgency") {
            None => None,
            Some(Value::String(u)) if URGENCIES.contains(&u.as_str()) => Some(u.clone()),
            Some(other) => {
                return Err(ApiError::invalid_enum(
                    &format!("{label}.urgency"),
                    &other.to_string(),
                    URGENCIES,
                ));
            }
        };
        let title = match fields.get("title") {
            None => None,
            Some(Value::String(t)) if !t.trim().is_empty() => Some(t.clone()),
            Some(_) => {
                return Err(ApiError::invalid_input(format!(
                    "{label}.title must be a non-empty string"
                )));
            }
        };
        let priority = match fields.get("priority") {
            None => None,
            Some(Value::String(name)) => Some(PriorityChoice::Name(name.clone())),
            Some(p) => Some(PriorityChoice::Id(reference_id(
                p,
                &format!("{label}.priority"),
                &["priority", "priority_reference"],
            )?)),
        };
        let assignee_ids = fields
            .get("assignments")
            .map(|a| assignee_ids(a, &format!("{label}.assignments")))
            .transpose()?;
        let escalation_policy_id = fields
            .get("escalation_policy")
            .map(|p| {
                reference_id(
                    p,
                    &format!("{label}.escalation_policy"),
                    &["escalation_policy_reference"],
                )
            })
            .transpose()?;
        if assignee_ids.is_some() && escalation_policy_id.is_some() {
            return Err(ApiError::invalid_input(format!(
                "{label}: assignments cannot be specified together with an escalation_policy"
            )));
        }
        let escalation_level = match fields.get("escalation_level") {
            None => None,
            Some(v) => Some(
                v.as_u64()
                    .filter(|n| (1..=u64::from(u32::MAX)).contains(n))
                    .map(|n| n as u32)
                    .ok_or_else(|| {
                        ApiError::invalid_input(format!(
                            "{label}.escalation_level must be a positive integer"
                        ))
                    })?,
            ),
        };
        Ok(IncidentChanges {
            status,
            urgency,
            priority,
            assignee_ids,
            escalation_policy_id,
            escalation_level,
            title,
        })
    }

    /// Applies the changes to incident `id` as `user_id` at `now`, PagerDuty's way:
    /// reassigning, delegating or escalating an acknowledged incident triggers it
    /// again; a resolved incident can only be resolved (again) or retitled,
    /// reprioritised or have its urgency changed. 404 for an unknown incident, 400
    /// for unknown users, policies, priorities or levels; nothing changes then.
    pub(super) fn apply(
        &self,
        data: &mut Dataset,
        id: &str,
        user_id: &str,
        now: OffsetDateTime,
    ) -> ApiResult<()> {
        let index = data
            .incidents
            .iter()
            .position(|i| i.id == id)
            .ok_or_else(ApiError::not_found)?;
        let current = &data.incidents[index];
        let priority_id = self
            .priority
            .as_ref()
            .map(|p| p.resolve(data))
            .transpose()?;
        let reassigns = self.assignee_ids.is_some()
            || self.escalation_policy_id.is_some()
            || self.escalation_level.is_some();
        if current.status == Status::Resolved
            && (reassigns || self.status == Some(Status::Acknowledged))
        {
            return Err(ApiError::invalid_input("Incident Already Resolved"));
        }
        if let Some(users) = &self.assignee_ids
            && let Some(unknown) = users.iter().find(|u| data.user(u).is_none())
        {
            return Err(ApiError::invalid_input(format!(
                "Assignee '{unknown}' is not a user of this account"
            )));
        }
        let policy_id = self
            .escalation_policy_id
            .clone()
            .unwrap_or_else(|| current.escalation_policy_id.clone());
        let policy = data.escalation_policy(&policy_id).ok_or_else(|| {
            ApiError::invalid_input(format!("Escalation policy '{policy_id}' not found"))
        })?;
        if let Some(level) = self.escalation_level
            && level as usize > policy.rules.len()
        {
            return Err(ApiError::invalid_input(format!(
                "escalation_level {level} is beyond the escalation policy '{}', which has {} levels",
                policy.name,
                policy.rules.len()
            )));
        }
        // Who the incident goes to: the users named, else the policy's level.
        let delegated = self
            .escalation_policy_id
            .as_ref()
            .map(|p| level_assignees(data, p, self.escalation_level.unwrap_or(1), now));
        let escalated = match (&self.escalation_policy_id, self.escalation_level) {
            (None, Some(level)) => Some(level_assignees(data, &policy_id, level, now)),
            _ => None,
        };
        let priority_name = |id: Option<&str>| {
            id.and_then(|id| data.priority(id))
                .map_or_else(|| "none".to_string(), |p| p.name.clone())
        };
        let priority_change = priority_id
            .as_ref()
            .filter(|p| current.priority_id.as_ref() != Some(*p))
            .map(|p| {
                format!(
                    "Priority changed from {} to {}",
                    priority_name(current.priority_id.as_deref()),
                    priority_name(Some(p))
                )
            });
        let methods: Vec<(String, &'static str)> = data
            .users
            .iter()
            .map(|u| (u.id.clone(), notify_method(data, &u.id)))
            .collect();
        let incident = &mut data.incidents[index];
        let by = Agent::User(user_id.to_string());
        let mut changed = false;
        if let Some(title) = &self.title {
            incident.title = title.clone();
            changed = true;
        }
        if let Some(urgency) = &self.urgency
            && urgency != &incident.urgency
        {
            let from = std::mem::replace(&mut incident.urgency, urgency.clone());
            incident.log_event(
                now,
                by.clone(),
                API_CHANNEL,
                LogKind::UrgencyChange {
                    from,
                    to: urgency.clone(),
                },
            );
            changed = true;
        }
        if let (Some(summary), Some(p)) = (priority_change, priority_id) {
            incident.priority_id = Some(p);
            incident.log_event(
                now,
                by.clone(),
                API_CHANNEL,
                LogKind::FieldChange {
                    field: "priority".into(),
                    summary,
                },
            );
            changed = true;
        }
        let reassigned = if let Some(users) = delegated {
            incident.escalation_policy_id = policy_id.clone();
            incident.escalation_level = self.escalation_level.unwrap_or(1);
            incident.log_event(
                now,
                by.clone(),
                API_CHANNEL,
                LogKind::Delegate {
                    escalation_policy_id: policy_id.clone(),
                    user_ids: users.clone(),
                },
            );
            Some(users)
        } else if let Some(users) = &self.assignee_ids {
            incident.log_event(
                now,
                by.clone(),
                API_CHANNEL,
                LogKind::Assign {
                    user_ids: users.clone(),
                },
            );
            Some(users.clone())
        } else if let (Some(users), Some(level)) = (escalated, self.escalation_level) {
            incident.escalation_level = level;
            incident.log_event(
                now,
                by.clone(),
                API_CHANNEL,
                LogKind::Escalate {
                    level,
                    user_ids: users.clone(),
                },
            );
            Some(users)
        } else {
            None
        };
        if let Some(users) = reassigned {
            incident.assignments = users.iter().map(|u| (u.clone(), now)).collect();
            notify(incident, &users, &methods, now);
            if incident.status == Status::Acknowledged {
                // A reassigned incident needs a new acknowledgement.
                incident.status = Status::Triggered;
                incident.acknowledgements.clear();
                incident.snoozed_until = None;
                incident.last_status_change_at = now;
                incident.last_status_change_by = by.clone();
            }
            changed = true;
        }
        match self.status {
            Some(Status::Acknowledged) => {
                incident.status = Status::Acknowledged;
                incident.acknowledgements.retain(|(u, _)| u != user_id);
                incident.acknowledgements.push((user_id.to_string(), now));
                if !incident.assignments.iter().any(|(u, _)| u == user_id) {
                    incident.assignments.push((user_id.to_string(), now));
                }
                incident.snoozed_until = None;
                incident.last_status_change_at = now;
                incident.last_status_change_by = by.clone();
                incident.log_event(now, by.clone(), API_CHANNEL, LogKind::Acknowledge);
                changed = true;
            }
            Some(Status::Resolved) if incident.status != Status::Resolved => {
                incident.resolve(now, by.clone());
                incident.snoozed_until = None;
                incident.log_event(now, by, API_CHANNEL, LogKind::Resolve);
                changed = true;
            }
            _ => {}
        }
        if changed {
            incident.updated_at = incident.updated_at.max(now);
        }
        Ok(())
    }
}

/// Who level `level` (1-based) of policy `policy_id` assigns at `t`: its users
/// and the on-call users of its schedules. A level with nobody on call passes to
/// the next level with someone, as PagerDuty escalates past empty levels; a policy
/// with nobody on call at all assigns no one.
pub(super) fn level_assignees(
    data: &Dataset,
    policy_id: &str,
    level: u32,
    t: OffsetDateTime,
) -> Vec<String> {
    let Some(policy) = data.escalation_policy(policy_id) else {
        return Vec::new();
    };
    let count = policy.rules.len();
    let first = (level.max(1) as usize - 1).min(count.saturating_sub(1));
    for rule in (0..count).map(|n| &policy.rules[(first + n) % count]) {
        let mut users: Vec<String> = Vec::new();
        for target in &rule.targets {
            let user = match target {
                Target::User(u) => Some(u.clone()),
                Target::Schedule(s) => data.schedule(s).and_then(|s| rotation::on_call_at(s, t)),
            };
            if let Some(u) = user
                && !users.contains(&u)
            {
                users.push(u);
            }
        }
        if !users.is_empty() {
            return users;
        }
    }
    Vec::new()
}

/// How PagerDuty notifies `user_id` at once of a high-urgency assignment: the
/// contact method of their first immediate high-urgency rule (`email` when none).
pub(super) fn notify_method(data: &Dataset, user_id: &str) -> &'static str {
    let Some(user) = data.user(user_id) else {
        return "email";
    };
    let kind = user
        .notification_rules
        .iter()
        .filter(|r| r.urgency == "high")
        .min_by_key(|r| r.start_delay_in_minutes)
        .and_then(|r| {
            user.contact_methods
                .iter()
                .find(|c| c.id == r.contact_method_id)
        })
        .map(|c| c.kind);
    match kind {
        Some(ContactKind::Phone) => "phone",
        Some(ContactKind::Sms) => "sms",
        Some(ContactKind::Push) => "push_notification",
        Some(ContactKind::Email) | None => "email",
    }
}

/// Logs PagerDuty notifying each of `users` (by the method in `methods`).
pub(super) fn notify(
    incident: &mut Incident,
    users: &[String],
    methods: &[(String, &'static str)],
    now: OffsetDateTime,
) {
    let service = Agent::Service(incident.service_id.clone());
    for user in users {
        let method = methods
            .iter()
            .find(|(u, _)| u == user)
            .map_or("email", |(_, m)| *m);
        incident.log_event(
            now,
            service.clone(),
            AUTO_CHANNEL,
            LogKind::Notify {
                user_id: user.clone(),
                method: method.to_string(),
            },
        );
    }
}

/// `PUT /incidents/{id}`: the changes of [`IncidentChanges`]. Requires a `From`
/// header naming a user of the account.
pub(super) async fn update(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    WriteRequest { user_id, body }: WriteRequest,
) -> ApiResult<Json<Value>> {
    let fields = required_object(body.get("incident"), "incident")?;
    let changes = IncidentChanges::parse(fields, "incident")?;
    let now = st.now();
    st.update(|data| changes.apply(data, &id, &user_id, now))?;
    incident_answer(&st, &id)
}

/// `POST /incidents/{id}/notes`: `{"note":{"content":"..."}}`, answers with the note.
/// Requires a `From` header naming a user of the account.
///
/// The status is 200, the only 2xx the spec documents for this operation (the
/// spec-checking test harnesses reject an undocumented 2xx).
pub(super) async fn add_note(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    WriteRequest { user_id, body }: WriteRequest,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let content = body
        .get("note")
        .and_then(|n| n.get("content"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ApiError::invalid_input("note.content is required"))?;
    if content.trim().is_empty() {
        return Err(ApiError::invalid_input("Content cannot be empty"));
    }
    if content.chars().count() > 25_000 {
        return Err(ApiError::invalid_input(
            "Content is too long (maximum is 25000 characters)",
        ));
    }
    let now = st.now();
    let note = st.update(|data| {
        let salt = data.incidents.iter().map(|i| i.notes.len()).sum::<usize>();
        let incident = data
            .incidents
            .iter_mut()
            .find(|i| i.id == id)
            .ok_or_else(ApiError::not_found)?;
        let mut rng = crate::rng::Rng::new(crate::rng::fnv1a(
            format!("{}:{salt}:{content}", incident.id).as_bytes(),
        ));
        let note = Note {
            id: crate::rng::pd_id('P', 7, &mut rng),
            user_id: user_id.clone(),
            content: content.clone(),
            created_at: now,
        };
        incident.notes.push(note.clone());
        incident.log_event(
            now,
            Agent::User(user_id.clone()),
            "note",
            LogKind::Annotate {
                note: content.clone(),
            },
        );
        incident.updated_at = now;
        Ok::<Note, ApiError>(note)
    })?;
    let data = st.snapshot();
    Ok((
        StatusCode::OK,
        Json(json!({ "note": st.render(&data).note(&note) })),
    ))
}

//! The incident timeline: `GET /incidents/{id}/log_entries`, `GET /log_entries`
//! (the account's log) and `GET /log_entries/{id}`, and each [`LogKind`] in
//! PagerDuty's shape (`trigger_log_entry`, `acknowledge_log_entry`, ...).
//!
//! Lists are newest first, as PagerDuty returns them. `is_overview=true` keeps
//! only the important changes (no `notify_log_entry`). Without `include[]=channels`
//! a channel is only its `type`; with it, its details (the event's summary, the
//! note's text, the notification sent). `/log_entries` without `since` covers the
//! month before `until` (default: now), as `/incidents` does.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::routes::months_before;
use super::{Agent, Incident, LogEntry, LogKind};
use crate::dataset::{ContactKind, Dataset};
use crate::errors::{ApiError, ApiResult};
use crate::handlers::{ListRequest, RecordRequest, matches_any, or_not_found};
use crate::query::{Includes, Query};
use crate::render::{Render, WEB_BASE, enrich, no_includes};
use crate::state::AppState;
use crate::tz::Zone;

/// The `include[]` values of the log entry operations.
const INCLUDES: &[&str] = &["incidents", "services", "channels", "teams"];

/// `/incidents/{id}/log_entries`, `/log_entries`, `/log_entries/{id}`.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/incidents/{id}/log_entries", get(of_incident))
        .route("/log_entries", get(list))
        .route("/log_entries/{id}", get(get_one))
}

/// The spec's type of a log entry, e.g. `acknowledge_log_entry`.
pub fn type_name(kind: &LogKind) -> &'static str {
    match kind {
        LogKind::Trigger => "trigger_log_entry",
        LogKind::Notify { .. } => "notify_log_entry",
        LogKind::Acknowledge => "acknowledge_log_entry",
        LogKind::Unacknowledge => "unacknowledge_log_entry",
        LogKind::Assign { .. } => "assign_log_entry",
        LogKind::Escalate { .. } => "escalate_log_entry",
        LogKind::Delegate { .. } => "delegate_log_entry",
        LogKind::Annotate { .. } => "annotate_log_entry",
        LogKind::Snooze { .. } => "snooze_log_entry",
        LogKind::UrgencyChange { .. } => "urgency_change_log_entry",
        LogKind::FieldChange { .. } => "field_value_change_log_entry",
        LogKind::Resolve => "resolve_log_entry",
    }
}

/// Whether `is_overview=true` keeps the entry: every change to the incident,
/// not the notifications sent.
fn in_overview(entry: &LogEntry) -> bool {
    !matches!(entry.kind, LogKind::Notify { .. })
}

/// A notification method in words: `sms` → `SMS`.
fn method_words(method: &str) -> &str {
    match method {
        "sms" => "SMS",
        "phone" => "phone",
        "email" => "email",
        "push_notification" | "push" => "push notification",
        other => other,
    }
}

/// The contact method kind a notification method uses.
fn contact_kind(method: &str) -> Option<ContactKind> {
    match method {
        "sms" => Some(ContactKind::Sms),
        "phone" => Some(ContactKind::Phone),
        "email" => Some(ContactKind::Email),
        "push_notification" | "push" => Some(ContactKind::Push),
        _ => None,
    }
}

impl Render<'_> {
    /// The name of who did something.
    fn agent_name(&self, agent: &Agent) -> String {
        match agent {
            Agent::User(u) => self.data.user(u).map(|u| u.name.clone()),
            Agent::Service(s) => self.data.service(s).map(|s| s.name.clone()),
        }
        .unwrap_or_else(|| "Unknown".to_string())
    }

    /// Users' names, comma-separated.
    fn user_names(&self, user_ids: &[String]) -> String {
        let names: Vec<&str> = user_ids
            .iter()
            .map(|u| {
                self.data
                    .user(u)
                    .map(|u| u.name.as_str())
                    .unwrap_or("Unknown user")
            })
            .collect();
        names.join(", ")
    }

    /// The entry's `summary`, in PagerDuty's words ("Acknowledged by Jane Doe.").
    fn log_summary(&self, e: &LogEntry) -> String {
        let by = self.agent_name(&e.agent);
        let by_user = matches!(e.agent, Agent::User(_));
        match &e.kind {
            LogKind::Trigger if by_user => format!("Triggered by {by}."),
            LogKind::Trigger => match e.channel.as_str() {
                "api" => "Triggered through the API.".to_string(),
                "email" => "Triggered through email.".to_string(),
                other => format!("Triggered through {other}."),
            },
            LogKind::Notify { user_id, method } => format!(
                "Notified {} by {}.",
                self.user_names(std::slice::from_ref(user_id)),
                method_words(method)
            ),
            LogKind::Acknowledge => format!("Acknowledged by {by}."),
            LogKind::Unacknowledge if by_user => format!("Unacknowledged by {by}."),
            LogKind::Unacknowledge => "Unacknowledged due to timeout.".to_string(),
            LogKind::Assign { user_ids } if by_user => {
                format!("Reassigned to {} by {by}.", self.user_names(user_ids))
            }
            LogKind::Assign { user_ids } => format!("Assigned to {}.", self.user_names(user_ids)),
            LogKind::Escalate { level, user_ids } if by_user => format!(
                "Escalated to level {level} by {by}: {}.",
                self.user_names(user_ids)
            ),
            LogKind::Escalate { level, user_ids } => format!(
                "Escalated to level {level} by timeout: {}.",
                self.user_names(user_ids)
            ),
            LogKind::Delegate {
                escalation_policy_id,
                user_ids,
            } => {
                let policy = self
                    .data
                    .escalation_policy(escalation_policy_id)
                    .map(|p| p.name.as_str())
                    .unwrap_or("Unknown escalation policy");
                format!(
                    "Reassigned to {policy} by {by}: {}.",
                    self.user_names(user_ids)
                )
            }
            LogKind::Annotate { .. } => "Note added".to_string(),
            LogKind::Snooze { until } => {
                format!("Snoozed by {by} until {}.", self.time(*until))
            }
            LogKind::UrgencyChange { from, to } => {
                format!("Urgency changed from {from} to {to} by {by}.")
            }
            LogKind::FieldChange { field, summary } if summary.trim().is_empty() => {
                format!("{field} changed by {by}.")
            }
            LogKind::FieldChange { summary, .. } => summary.clone(),
            LogKind::Resolve if by_user => format!("Resolved by {by}."),
            LogKind::Resolve => match e.channel.as_str() {
                "api" => "Resolved through the API.".to_string(),
                "email" => "Resolved through email.".to_string(),
                _ => "Resolved by timeout.".to_string(),
            },
        }
    }

    /// The entry's `channel`: its type, and with `include[]=channels` its details.
    fn log_channel(&self, i: &Incident, e: &LogEntry, details: bool) -> Value {
        let mut channel = json!({ "type": e.channel });
        if !details {
            return channel;
        }
        match &e.kind {
            LogKind::Trigger if e.channel == "api" => {
                let first = i.alerts.first();
                channel["summary"] = json!(i.title);
                channel["description"] = json!(i.title);
                channel["incident_key"] = json!(i.incident_key);
                channel["details"] = json!({
                    "summary": i.title,
                    "source": first.map(|a| a.source.as_str()).unwrap_or(""),
                    "severity": first.map(|a| a.severity.as_str()).unwrap_or("error"),
                });
            }
            LogKind::Notify { user_id, method } => {
                let address = contact_kind(method).and_then(|kind| {
                    self.data
                        .user(user_id)?
                        .contact_methods
                        .iter()
                        .find(|c| c.kind == kind)
                        .map(|c| match c.country_code {
                            Some(code) => format!("+{code} {}", c.address),
                            None => c.address.clone(),
                        })
                });
                let kind = match method.as_str() {
                    "push" => "push_notification",
                    other => other,
                };
                channel["notification"] = json!({
                    "type": format!("{}_notification", kind.trim_end_matches("_notification")),
                    "started_at": self.time(e.at),
                    // PagerDuty sends no address for push notifications.
                    "address": if kind == "push_notification" { Value::Null } else { json!(address) },
                    "user": self.user_ref(user_id),
                });
            }
            LogKind::Annotate { note } => channel["summary"] = json!(note),
            LogKind::Snooze { until } => {
                channel["duration"] = json!((*until - e.at).whole_seconds().max(0));
            }
            _ => {}
        }
        channel
    }

    /// A log entry of incident `i` with `include[]` expansions.
    pub fn log_entry(&self, i: &Incident, e: &LogEntry, inc: &Includes) -> Value {
        let agent = match &e.agent {
            Agent::User(u) => self.user_ref(u),
            Agent::Service(s) => self.service_ref(s),
        };
        let service = match (inc.has("services"), self.data.service(&i.service_id)) {
            (true, Some(s)) => enrich(
                self.service_ref(&i.service_id),
                self.service(s, &no_includes()),
            ),
            _ => self.service_ref(&i.service_id),
        };
        let incident = if inc.has("incidents") {
            enrich(self.incident_ref(i), self.incident(i, &no_includes()))
        } else {
            self.incident_ref(i)
        };
        let teams: Vec<Value> = i
            .team_ids
            .iter()
            .map(|t| match (inc.has("teams"), self.data.team(t)) {
                (true, Some(team)) => enrich(self.team_ref(t), self.team(team)),
                _ => self.team_ref(t),
            })
            .collect();
        let mut v = json!({
            "id": e.id,
            "type": type_name(&e.kind),
            "summary": self.log_summary(e),
            "self": format!("{}/log_entries/{}?incident_id={}", self.base, e.id, i.id),
            "html_url": format!("{WEB_BASE}/incidents/{}/log_entries/{}", i.id, e.id),
            "created_at": self.time(e.at),
            "agent": agent,
            "channel": self.log_channel(i, e, inc.has("channels")),
            "service": service,
            "incident": incident,
            "teams": teams,
            "contexts": [],
        });
        match &e.kind {
            LogKind::Trigger => v["event_details"] = json!({ "description": i.title }),
            LogKind::Notify { user_id, .. } => v["user"] = self.user_ref(user_id),
            LogKind::Assign { user_ids }
            | LogKind::Escalate { user_ids, .. }
            | LogKind::Delegate { user_ids, .. } => {
                v["assignees"] = json!(
                    user_ids
                        .iter()
                        .map(|u| self.user_ref(u))
                        .collect::<Vec<_>>()
                );
            }
            LogKind::Acknowledge => {
                // The service's acknowledgement timeout, copied into the entry.
                v["acknowledgement_timeout"] = json!(1800);
            }
            LogKind::Snooze { until } => {
                v["changed_actions"] =
                    json!([{ "type": "unacknowledge", "at": self.time(*until) }]);
            }
            _ => {}
        }
        v
    }
}

/// The filters every log entry list takes.
struct Filters {
    since: Option<OffsetDateTime>,
    until: Option<OffsetDateTime>,
    overview: bool,
    includes: Includes,
    zone: Option<Zone>,
}

impl Filters {
    /// Reads `since`, `until`, `is_overview`, `include[]`, `time_zone` (400 when bad).
    fn parse(q: &Query) -> ApiResult<Filters> {
        let filters = Filters {
            since: q.time("since")?,
            until: q.time("until")?,
            overview: q.bool("is_overview")?.unwrap_or(false),
            includes: q.includes(INCLUDES)?,
            zone: q.time_zone()?,
        };
        if let (Some(since), Some(until)) = (filters.since, filters.until)
            && since > until
        {
            return Err(ApiError::invalid_input(
                "The 'since' parameter must be before the 'until' parameter",
            ));
        }
        Ok(filters)
    }

    /// Whether `entry` is listed.
    fn keeps(&self, entry: &LogEntry) -> bool {
        (!self.overview || in_overview(entry))
            && self.since.is_none_or(|since| entry.at >= since)
            && self.until.is_none_or(|until| entry.at < until)
    }
}

/// Newest first; at the same instant, the later entry first.
fn newest_first(entries: &mut [(&Incident, usize, &LogEntry)]) {
    entries.sort_by(|(a, ai, ae), (b, bi, be)| {
        be.at
            .cmp(&ae.at)
            .then(b.number.cmp(&a.number))
            .then(bi.cmp(ai))
    });
}

/// `GET /incidents/{id}/log_entries`: the incident's timeline, newest first;
/// `since`/`until` (no default window), `is_overview`, `include[]`,
/// `time_zone`, pagination.
async fn of_incident(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    list: ListRequest,
) -> ApiResult<Json<Value>> {
    let filters = Filters::parse(&list.query)?;
    let data = st.snapshot();
    let incident = or_not_found(data.incident(&id))?;
    let mut entries: Vec<(&Incident, usize, &LogEntry)> = incident
        .log
        .iter()
        .enumerate()
        .filter(|(_, e)| filters.keeps(e))
        .map(|(n, e)| (incident, n, e))
        .collect();
    newest_first(&mut entries);
    let r = st.render(&data).in_zone(filters.zone);
    Ok(list.answer("log_entries", &entries, |(i, _, e)| {
        r.log_entry(i, e, &filters.includes)
    }))
}

/// `GET /log_entries`: every incident's log entries, newest first; `since`
/// (default: a month before `until`), `until` (default: now), `team_ids[]`
/// (entries of those teams' incidents), `is_overview`, `include[]`,
/// `time_zone`, pagination.
async fn list(State(st): State<Arc<AppState>>, list: ListRequest) -> ApiResult<Json<Value>> {
    let mut filters = Filters::parse(&list.query)?;
    let until = filters.until.unwrap_or_else(|| st.now());
    let since = filters
        .since
        .unwrap_or_else(|| months_before(until, DEFAULT_WINDOW_MONTHS));
    if since > until {
        return Err(ApiError::invalid_input(
            "The 'since' parameter must be before the 'until' parameter",
        ));
    }
    (filters.since, filters.until) = (Some(since), Some(until));
    let team_ids = list.query.all("team_ids[]");
    let data = st.snapshot();
    let mut entries = account_log(&data, |i| matches_any(&team_ids, &i.team_ids));
    entries.retain(|(_, _, e)| filters.keeps(e));
    newest_first(&mut entries);
    let r = st.render(&data).in_zone(filters.zone);
    Ok(list.answer("log_entries", &entries, |(i, _, e)| {
        r.log_entry(i, e, &filters.includes)
    }))
}

/// The default window of `/log_entries`, in months before `until`.
const DEFAULT_WINDOW_MONTHS: u8 = 1;

/// Every log entry of the incidents `keep` accepts, with its incident and position.
fn account_log(
    data: &Dataset,
    keep: impl Fn(&Incident) -> bool,
) -> Vec<(&Incident, usize, &LogEntry)> {
    data.incidents
        .iter()
        .filter(|i| keep(i))
        .flat_map(|i| i.log.iter().enumerate().map(move |(n, e)| (i, n, e)))
        .collect()
}

/// `GET /log_entries/{id}`: `include[]`, `time_zone`.
async fn get_one(
    State(st): State<Arc<AppState>>,
    RecordRequest { id, query: q }: RecordRequest,
) -> ApiResult<Json<Value>> {
    let includes = q.includes(INCLUDES)?;
    let zone = q.time_zone()?;
    let data = st.snapshot();
    let found = data
        .incidents
        .iter()
        .find_map(|i| i.log.iter().find(|e| e.id == id).map(|e| (i, e)));
    let (incident, entry) = or_not_found(found)?;
    let r = st.render(&data).in_zone(zone);
    Ok(Json(
        json!({ "log_entry": r.log_entry(incident, entry, &includes) }),
    ))
}

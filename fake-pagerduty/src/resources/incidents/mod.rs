//! Incidents with their notes, alerts, past and related incidents:
//! `GET /incidents`, `/incidents/{id}` and its sub-resources, and the writes
//! (`PUT /incidents/{id}`, `POST /incidents/{id}/notes` in `writes`; creating,
//! bulk updates, snoozing, merging, responder requests and status updates in
//! `response`).
//!
//! Unlike the organisation, incidents are drawn from the seed ([`history`]).
//! The model and its accessors are here; the JSON in `render`, the read
//! handlers in `routes`, the writes in `writes`, past and related incidents in
//! [`relations`].

use time::OffsetDateTime;

use crate::dataset::{Dataset, Service};

pub mod alert_details;
mod context;
pub mod history;
pub mod log_entries;
pub mod relations;
mod render;
mod response;
mod routes;
mod writes;

pub(crate) use routes::router;

/// An incident's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Triggered, not yet acknowledged.
    Triggered,
    /// Acknowledged by a responder.
    Acknowledged,
    /// Resolved.
    Resolved,
}

impl Status {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Triggered => "triggered",
            Status::Acknowledged => "acknowledged",
            Status::Resolved => "resolved",
        }
    }

    /// Parses the API spelling.
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "triggered" => Some(Status::Triggered),
            "acknowledged" => Some(Status::Acknowledged),
            "resolved" => Some(Status::Resolved),
            _ => None,
        }
    }

    /// Triggered or acknowledged.
    pub fn is_open(self) -> bool {
        self != Status::Resolved
    }
}

/// Who performed an action on an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Agent {
    /// A user (ID).
    User(String),
    /// The service itself, e.g. an auto-resolve or a resolve event (service ID).
    Service(String),
}

/// An incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// PagerDuty ID (14 characters, starts with Q).
    pub id: String,
    /// Account-wide incident number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// When it triggered.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
    /// Current status.
    pub status: Status,
    /// `high` or `low`.
    pub urgency: String,
    /// The service it belongs to (ID).
    pub service_id: String,
    /// The escalation policy (ID).
    pub escalation_policy_id: String,
    /// Teams (IDs; the service's teams).
    pub team_ids: Vec<String>,
    /// Priority (ID), if set.
    pub priority_id: Option<String>,
    /// Current assignees `(user ID, assigned at)`; empty once resolved.
    pub assignments: Vec<(String, OffsetDateTime)>,
    /// Current acknowledgements `(user ID, at)`; empty once resolved.
    pub acknowledgements: Vec<(String, OffsetDateTime)>,
    /// When the status last changed.
    pub last_status_change_at: OffsetDateTime,
    /// Who changed it.
    pub last_status_change_by: Agent,
    /// When it was resolved.
    pub resolved_at: Option<OffsetDateTime>,
    /// De-duplication key.
    pub incident_key: String,
    /// ID of the trigger log entry.
    pub first_trigger_log_entry_id: String,
    /// Notes, oldest first.
    pub notes: Vec<Note>,
    /// Alerts, oldest first.
    pub alerts: Vec<Alert>,
    /// The timeline (`/log_entries`), oldest first: every change above has its entry.
    pub log: Vec<LogEntry>,
    /// The escalation level now notified (1 = the policy's first rule).
    pub escalation_level: u32,
    /// Until when it is snoozed (an acknowledged incident re-triggers then).
    pub snoozed_until: Option<OffsetDateTime>,
    /// Responders requested to join (`POST /incidents/{id}/responder_requests`).
    pub responder_requests: Vec<ResponderRequest>,
    /// Status updates posted (`POST /incidents/{id}/status_updates`), oldest first.
    pub status_updates: Vec<StatusUpdate>,
    /// The details text given when the incident was created (`body.details`).
    pub body_details: Option<String>,
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// PagerDuty ID (26 characters, starts with R).
    pub id: String,
    /// When it happened.
    pub at: OffsetDateTime,
    /// Who did it: a user, or the service (PagerDuty acting for it).
    pub agent: Agent,
    /// How it came in: PagerDuty's channel type (`api`, `website`, `auto`,
    /// `timeout`, `note`, `email`, ...).
    pub channel: String,
    /// What happened.
    pub kind: LogKind,
}

/// What a log entry records; each maps to one of the spec's log entry types.
#[derive(Debug, Clone, PartialEq)]
pub enum LogKind {
    /// The incident triggered (`trigger_log_entry`).
    Trigger,
    /// A user was notified (`notify_log_entry`): user ID, method (`sms`, `email`,
    /// `phone`, `push_notification`).
    Notify {
        /// Who was notified.
        user_id: String,
        /// How.
        method: String,
    },
    /// Acknowledged (`acknowledge_log_entry`).
    Acknowledge,
    /// Un-acknowledged, e.g. when a snooze ends (`unacknowledge_log_entry`).
    Unacknowledge,
    /// Assigned to users (`assign_log_entry`).
    Assign {
        /// The new assignees.
        user_ids: Vec<String>,
    },
    /// Escalated to a level (`escalate_log_entry`).
    Escalate {
        /// The level escalated to (1-based).
        level: u32,
        /// Who it is assigned to now.
        user_ids: Vec<String>,
    },
    /// Reassigned to another escalation policy (`delegate_log_entry`).
    Delegate {
        /// The policy it now follows.
        escalation_policy_id: String,
        /// Who it is assigned to now.
        user_ids: Vec<String>,
    },
    /// A note was added (`annotate_log_entry`).
    Annotate {
        /// The note's text.
        note: String,
    },
    /// Snoozed (`snooze_log_entry`).
    Snooze {
        /// Until when.
        until: OffsetDateTime,
    },
    /// Urgency changed (`urgency_change_log_entry`).
    UrgencyChange {
        /// The old urgency.
        from: String,
        /// The new urgency.
        to: String,
    },
    /// Another field changed, e.g. the priority, a responder request, a status
    /// update or a merge (`field_value_change_log_entry`): the field and a
    /// human-readable description of the change.
    FieldChange {
        /// The field, e.g. `priority`, `responders`, `status_update`, `merge`.
        field: String,
        /// What changed, in words.
        summary: String,
    },
    /// Resolved (`resolve_log_entry`).
    Resolve,
}

/// A responder request on an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponderRequest {
    /// Who asked (user ID).
    pub requester_id: String,
    /// When.
    pub at: OffsetDateTime,
    /// The message sent to the responders.
    pub message: String,
    /// The users asked (IDs).
    pub user_ids: Vec<String>,
    /// The escalation policies asked (IDs).
    pub escalation_policy_ids: Vec<String>,
}

/// A status update posted on an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    /// PagerDuty ID.
    pub id: String,
    /// Who posted it (user ID).
    pub user_id: String,
    /// The message.
    pub message: String,
    /// When.
    pub at: OffsetDateTime,
}

/// A note on an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// PagerDuty ID.
    pub id: String,
    /// Author (user ID).
    pub user_id: String,
    /// Text.
    pub content: String,
    /// When it was written.
    pub created_at: OffsetDateTime,
}

/// An alert grouped into an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// PagerDuty ID.
    pub id: String,
    /// `true` when resolved.
    pub resolved: bool,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// De-duplication key.
    pub alert_key: String,
    /// `info`, `warning`, `error` or `critical`.
    pub severity: String,
    /// Summary line.
    pub summary: String,
    /// Source host or component.
    pub source: String,
    /// What the monitoring tool sent (`body.details`): metric, threshold, value,
    /// host, runbook and dashboard links ([`alert_details`]).
    pub details: serde_json::Value,
}

impl Incident {
    /// Appends a timeline entry; its ID is derived from the incident and the
    /// entry's position, so the same history always has the same IDs.
    pub fn log_event(&mut self, at: OffsetDateTime, agent: Agent, channel: &str, kind: LogKind) {
        let id = crate::rng::stable_id('R', 26, &format!("log:{}:{}", self.id, self.log.len()));
        self.log.push(LogEntry {
            id,
            at,
            agent,
            channel: channel.to_string(),
            kind,
        });
    }

    /// Incident `id` of `service` as it is when `by` triggers it at `at`: on the
    /// service's escalation policy at level 1 and the service's teams, with no
    /// assignees, priority, key, alerts, notes or timeline yet (number 0). The
    /// callers fill in the rest with struct update syntax.
    pub(crate) fn triggered(
        id: String,
        title: String,
        urgency: String,
        service: &Service,
        at: OffsetDateTime,
        by: Agent,
    ) -> Incident {
        Incident {
            id,
            number: 0,
            title,
            created_at: at,
            updated_at: at,
            status: Status::Triggered,
            urgency,
            service_id: service.id.clone(),
            escalation_policy_id: service.escalation_policy_id.clone(),
            team_ids: service.team_ids.clone(),
            priority_id: None,
            assignments: vec![],
            acknowledgements: vec![],
            last_status_change_at: at,
            last_status_change_by: by,
            resolved_at: None,
            incident_key: String::new(),
            first_trigger_log_entry_id: String::new(),
            notes: vec![],
            alerts: vec![],
            log: vec![],
            escalation_level: 1,
            snoozed_until: None,
            responder_requests: vec![],
            status_updates: vec![],
            body_details: None,
        }
    }

    /// Resolves the incident the way PagerDuty does: clears assignments and
    /// acknowledgements and resolves its alerts.
    pub(crate) fn resolve(&mut self, at: OffsetDateTime, by: Agent) {
        self.status = Status::Resolved;
        self.resolved_at = Some(at);
        self.last_status_change_at = at;
        self.last_status_change_by = by;
        self.assignments.clear();
        self.acknowledgements.clear();
        for alert in &mut self.alerts {
            alert.resolved = true;
        }
        self.updated_at = self.updated_at.max(at);
    }
}

/// `[#1234] Title`.
pub fn incident_summary(i: &Incident) -> String {
    format!("[#{}] {}", i.number, i.title)
}

impl Dataset {
    /// An incident by ID.
    pub fn incident(&self, id: &str) -> Option<&Incident> {
        self.incidents.iter().find(|i| i.id == id)
    }

    /// Incidents with at least one note.
    pub fn incidents_with_notes(&self) -> Vec<&Incident> {
        self.incidents
            .iter()
            .filter(|i| !i.notes.is_empty())
            .collect()
    }

    /// Open (triggered or acknowledged) incidents.
    pub fn open_incidents(&self) -> Vec<&Incident> {
        self.incidents
            .iter()
            .filter(|i| i.status.is_open())
            .collect()
    }

    /// Open incidents of services owned by any of `team_ids`.
    pub fn open_incidents_of_teams(&self, team_ids: &[String]) -> Vec<&Incident> {
        self.incidents
            .iter()
            .filter(|i| i.status.is_open() && i.team_ids.iter().any(|t| team_ids.contains(t)))
            .collect()
    }

    /// Incidents currently assigned to a user.
    pub fn incidents_assigned_to(&self, user_id: &str) -> Vec<&Incident> {
        self.incidents
            .iter()
            .filter(|i| i.assignments.iter().any(|(u, _)| u == user_id))
            .collect()
    }
}

//! The in-memory account: typed records plus convenient accessors for tests.
//!
//! The records are plain data; JSON rendering lives in [`crate::render`] and
//! the data is produced by [`crate::generate`].

use time::OffsetDateTime;

use crate::schedule;

/// Everything the fake account holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The instant the data was generated relative to (`Options::now`).
    pub now: OffsetDateTime,
    /// The seed the incidents were generated from.
    pub seed: u64,
    /// Teams, in creation order.
    pub teams: Vec<Team>,
    /// Users, sorted by name (PagerDuty's order for `GET /users`).
    pub users: Vec<User>,
    /// Technical services.
    pub services: Vec<Service>,
    /// Escalation policies.
    pub escalation_policies: Vec<EscalationPolicy>,
    /// On-call schedules.
    pub schedules: Vec<Schedule>,
    /// Incident priorities (P1 highest).
    pub priorities: Vec<Priority>,
    /// Incidents, oldest first (ascending `incident_number`).
    pub incidents: Vec<Incident>,
}

/// A team.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    /// PagerDuty ID.
    pub id: String,
    /// Display name, e.g. "Platform".
    pub name: String,
    /// Free-text description.
    pub description: String,
    /// Members with their team role, in join order.
    pub members: Vec<TeamMember>,
}

/// A user's membership in a team.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamMember {
    /// The member's user ID.
    pub user_id: String,
    /// `manager`, `responder` or `observer`.
    pub role: String,
}

/// A user of the account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// PagerDuty ID.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Login email (the `From` header for writes).
    pub email: String,
    /// IANA time zone.
    pub time_zone: String,
    /// UI color name.
    pub color: String,
    /// Account role (`owner`, `admin`, `user`, `limited_user`, `observer`, `read_only_user`).
    pub role: String,
    /// Job title.
    pub job_title: String,
    /// Short bio.
    pub description: String,
    /// Hex digest used for the avatar URL.
    pub avatar_hash: String,
    /// The teams the user belongs to (IDs).
    pub team_ids: Vec<String>,
    /// Contact methods.
    pub contact_methods: Vec<ContactMethod>,
    /// Assignment notification rules.
    pub notification_rules: Vec<NotificationRule>,
}

/// The kind of a contact method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactKind {
    /// Email address.
    Email,
    /// Voice call.
    Phone,
    /// Text message.
    Sms,
    /// Mobile app push notification.
    Push,
}

impl ContactKind {
    /// PagerDuty's object type, e.g. `email_contact_method`.
    pub fn type_name(self) -> &'static str {
        match self {
            ContactKind::Email => "email_contact_method",
            ContactKind::Phone => "phone_contact_method",
            ContactKind::Sms => "sms_contact_method",
            ContactKind::Push => "push_notification_contact_method",
        }
    }
}

/// A way to reach a user.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactMethod {
    /// PagerDuty ID.
    pub id: String,
    /// Email, phone, SMS or push.
    pub kind: ContactKind,
    /// Label, e.g. "Work" or "Mobile".
    pub label: String,
    /// Email address, phone number (without country code) or device token.
    pub address: String,
    /// Phone country code (phone and SMS only).
    pub country_code: Option<u16>,
    /// `ios` or `android` (push only).
    pub device_type: Option<String>,
    /// When it was added.
    pub created_at: OffsetDateTime,
}

/// "Notify me via X after N minutes" for assigned incidents.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRule {
    /// PagerDuty ID.
    pub id: String,
    /// Minutes after assignment.
    pub start_delay_in_minutes: u32,
    /// `high` or `low`.
    pub urgency: String,
    /// The contact method used (ID, one of the user's).
    pub contact_method_id: String,
}

/// A technical service.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// PagerDuty ID.
    pub id: String,
    /// Name, e.g. "Payments API".
    pub name: String,
    /// Description.
    pub description: String,
    /// Owning teams (IDs).
    pub team_ids: Vec<String>,
    /// The escalation policy incidents go to.
    pub escalation_policy_id: String,
    /// When the service was created.
    pub created_at: OffsetDateTime,
    /// Constant urgency of new incidents: `high`, `low` or `severity_based`.
    pub urgency: String,
    /// The Events API v2 integration's ID.
    pub integration_id: String,
}

/// An escalation policy.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationPolicy {
    /// PagerDuty ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// How many times the rules repeat.
    pub num_loops: u32,
    /// Owning teams (IDs).
    pub team_ids: Vec<String>,
    /// The rules, level 1 first.
    pub rules: Vec<EscalationRule>,
}

/// One level of an escalation policy.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationRule {
    /// PagerDuty ID.
    pub id: String,
    /// Minutes before escalating to the next level.
    pub escalation_delay_in_minutes: u32,
    /// Who is notified at this level.
    pub targets: Vec<Target>,
}

/// An escalation rule target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A user directly (user ID).
    User(String),
    /// Whoever is on call on a schedule (schedule ID).
    Schedule(String),
}

/// An on-call schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// PagerDuty ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// IANA time zone the layers' restrictions are expressed in.
    pub time_zone: String,
    /// Owning teams (IDs).
    pub team_ids: Vec<String>,
    /// Rotation layers, highest precedence first (as in `schedule_layers`).
    pub layers: Vec<Layer>,
}

/// A rotation layer of a schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// PagerDuty ID.
    pub id: String,
    /// Name, e.g. "Weekly rotation".
    pub name: String,
    /// When the layer takes effect.
    pub start: OffsetDateTime,
    /// When the layer stops (none: open-ended).
    pub end: Option<OffsetDateTime>,
    /// The instant the first user's first turn starts.
    pub rotation_virtual_start: OffsetDateTime,
    /// Length of one turn.
    pub rotation_turn_length_seconds: i64,
    /// The rotation, in order (IDs).
    pub user_ids: Vec<String>,
    /// Windows outside which the layer has nobody on call (empty: always).
    pub restrictions: Vec<Restriction>,
}

/// A daily or weekly restriction on a layer, in the schedule's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restriction {
    /// `None`: every day (daily_restriction); `Some(1..=7)`: ISO weekday (weekly_restriction).
    pub start_day_of_week: Option<u8>,
    /// Seconds after local midnight.
    pub start_time_of_day_seconds: u32,
    /// Length of the window.
    pub duration_seconds: u32,
}

/// An incident priority.
#[derive(Debug, Clone, PartialEq)]
pub struct Priority {
    /// PagerDuty ID.
    pub id: String,
    /// "P1".."P5".
    pub name: String,
    /// What it means.
    pub description: String,
    /// Hex color without `#`.
    pub color: String,
}

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
}

impl Dataset {
    /// Generates the dataset for `seed`, relative to `now`
    /// (the same arguments always give the same data).
    pub fn generate(seed: u64, now: OffsetDateTime) -> Dataset {
        crate::generate::generate(seed, now)
    }

    /// The user the user-level tokens belong to ([`crate::CURRENT_USER_ID`]).
    pub fn current_user(&self) -> &User {
        self.user(crate::CURRENT_USER_ID)
            .expect("the current user is always generated")
    }

    /// A user by ID.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// A user by email (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(email.trim()))
    }

    /// A team by ID.
    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == id)
    }

    /// A team by name (case-insensitive).
    pub fn team_by_name(&self, name: &str) -> Option<&Team> {
        self.teams
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// A service by ID.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    /// An escalation policy by ID.
    pub fn escalation_policy(&self, id: &str) -> Option<&EscalationPolicy> {
        self.escalation_policies.iter().find(|p| p.id == id)
    }

    /// A schedule by ID.
    pub fn schedule(&self, id: &str) -> Option<&Schedule> {
        self.schedules.iter().find(|s| s.id == id)
    }

    /// A priority by ID.
    pub fn priority(&self, id: &str) -> Option<&Priority> {
        self.priorities.iter().find(|p| p.id == id)
    }

    /// An incident by ID.
    pub fn incident(&self, id: &str) -> Option<&Incident> {
        self.incidents.iter().find(|i| i.id == id)
    }

    /// The teams a user belongs to.
    pub fn teams_of_user(&self, user_id: &str) -> Vec<&Team> {
        self.user(user_id)
            .map(|u| u.team_ids.iter().filter_map(|t| self.team(t)).collect())
            .unwrap_or_default()
    }

    /// The services owned by any of `team_ids`.
    pub fn services_of_teams(&self, team_ids: &[String]) -> Vec<&Service> {
        self.services
            .iter()
            .filter(|s| s.team_ids.iter().any(|t| team_ids.contains(t)))
            .collect()
    }

    /// The services using an escalation policy.
    pub fn services_of_policy(&self, policy_id: &str) -> Vec<&Service> {
        self.services
            .iter()
            .filter(|s| s.escalation_policy_id == policy_id)
            .collect()
    }

    /// The schedules a user is part of (in any layer).
    pub fn schedules_of_user(&self, user_id: &str) -> Vec<&Schedule> {
        self.schedules
            .iter()
            .filter(|s| {
                s.layers
                    .iter()
                    .any(|l| l.user_ids.iter().any(|u| u == user_id))
            })
            .collect()
    }

    /// The escalation policies that include a user, directly or through a schedule
    /// (what `GET /escalation_policies?user_ids[]=` returns).
    pub fn escalation_policies_of_user(&self, user_id: &str) -> Vec<&EscalationPolicy> {
        let schedules: Vec<&str> = self
            .schedules_of_user(user_id)
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        self.escalation_policies
            .iter()
            .filter(|p| {
                p.rules.iter().flat_map(|r| &r.targets).any(|t| match t {
                    Target::User(u) => u == user_id,
                    Target::Schedule(s) => schedules.contains(&s.as_str()),
                })
            })
            .collect()
    }

    /// The escalation policies that target a schedule.
    pub fn policies_of_schedule(&self, schedule_id: &str) -> Vec<&EscalationPolicy> {
        self.escalation_policies
            .iter()
            .filter(|p| {
                p.rules
                    .iter()
                    .flat_map(|r| &r.targets)
                    .any(|t| *t == Target::Schedule(schedule_id.to_string()))
            })
            .collect()
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

    /// Users who belong to no team.
    pub fn users_without_team(&self) -> Vec<&User> {
        self.users
            .iter()
            .filter(|u| u.team_ids.is_empty())
            .collect()
    }

    /// Who is on call on a schedule at instant `t` (final schedule).
    pub fn on_call_at(&self, schedule_id: &str, t: OffsetDateTime) -> Option<&User> {
        let s = self.schedule(schedule_id)?;
        let user_id = schedule::on_call_at(s, t)?;
        self.user(&user_id)
    }
}

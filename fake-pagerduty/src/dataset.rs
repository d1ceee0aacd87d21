//! The in-memory account: every resource's records, plus accessors for tests.
//!
//! The record types and their accessors live with their resource (under
//! `src/resources/`) and are re-exported here; the data is produced by
//! [`crate::generate`].

use time::OffsetDateTime;

pub use crate::resources::escalation_policies::{EscalationPolicy, EscalationRule, Target};
pub use crate::resources::incidents::{Agent, Alert, Incident, Note, Status};
pub use crate::resources::priorities::Priority;
pub use crate::resources::schedules::{Layer, Restriction, Schedule};
pub use crate::resources::services::Service;
pub use crate::resources::teams::{Team, TeamMember};
pub use crate::resources::users::{ContactKind, ContactMethod, NotificationRule, User};

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

impl Dataset {
    /// Generates the dataset for `seed`, relative to `now`
    /// (the same arguments always give the same data).
    pub fn generate(seed: u64, now: OffsetDateTime) -> Dataset {
        crate::generate::generate(seed, now)
    }
}

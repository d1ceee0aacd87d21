//! The API's resources, and the one place they are registered.
//!
//! Each resource is one module (a file, or a folder when it is large): its
//! record types, its part of the dataset (built from the organisation table or
//! drawn from the seed), its JSON rendering (an `impl Render` block) and its
//! routes (a `router()`). The list and get-by-ID mechanics they use are in
//! [`crate::handlers`]. This file lists them all:
//!
//! * the modules, and the record types [`records`] re-exports (as
//!   [`crate::dataset`]);
//! * the [`Dataset`] fields, one per resource;
//! * [`generate`]: the order the resources are built in (a resource can read
//!   the ones built before it);
//! * [`router`]: the routes [`crate::routes::router`] serves.
//!
//! Adding a resource is its module plus an entry in each of these lists; if it
//! has fixed data, its table goes in `data/organisation.json` with a field of
//! [`crate::organisation::Organisation`]. Nothing else changes.

use std::sync::Arc;

use axum::Router;
use time::{OffsetDateTime, UtcOffset};

use crate::organisation::organisation;
use crate::state::AppState;

pub mod business_services;
pub mod change_events;
pub mod escalation_policies;
pub mod incidents;
pub mod maintenance_windows;
pub mod oncalls;
pub mod priorities;
pub mod schedules;
pub mod services;
pub mod teams;
pub mod users;

/// Every resource's record types, re-exported by [`crate::dataset`].
pub mod records {
    pub use super::business_services::{
        BusinessService, ServiceDependency, ServiceKey, ServiceKind,
    };
    pub use super::change_events::{ChangeEvent, ChangeKind, ChangeLink};
    pub use super::escalation_policies::{EscalationPolicy, EscalationRule, Target};
    pub use super::incidents::{
        Agent, Alert, Incident, LogEntry, LogKind, Note, ResponderRequest, Status, StatusUpdate,
    };
    pub use super::maintenance_windows::{MaintenanceWindow, WindowState};
    pub use super::priorities::Priority;
    pub use super::schedules::{Layer, Override, Restriction, Schedule};
    pub use super::services::Service;
    pub use super::teams::{Team, TeamMember};
    pub use super::users::{ContactKind, ContactMethod, NotificationRule, User};
}

use records::{
    BusinessService, ChangeEvent, EscalationPolicy, Incident, MaintenanceWindow, Priority,
    Schedule, Service, ServiceDependency, Team, User,
};

/// Everything the fake account holds: one field per resource (on-calls are
/// computed from the schedules, so they have none).
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
    /// Change events (deploys, config changes), oldest first.
    pub change_events: Vec<ChangeEvent>,
    /// Business services, sorted by name.
    pub business_services: Vec<BusinessService>,
    /// Dependencies between services (technical and business).
    pub service_dependencies: Vec<ServiceDependency>,
    /// Maintenance windows, in creation order.
    pub maintenance_windows: Vec<MaintenanceWindow>,
}

impl Dataset {
    /// Generates the dataset for `seed`, relative to `now`
    /// (the same arguments always give the same data).
    pub fn generate(seed: u64, now: OffsetDateTime) -> Dataset {
        generate(seed, now)
    }
}

/// Generates the whole dataset: the organisation's resources from their
/// tables, then the incident history from the seed (it needs the
/// organisation: who is on call, which team owns what).
pub fn generate(seed: u64, now: OffsetDateTime) -> Dataset {
    let now = now.to_offset(UtcOffset::UTC);
    let org = organisation();
    let mut data = Dataset {
        now,
        seed,
        teams: teams::generate(org),
        users: users::generate(org, now),
        services: services::generate(org, now),
        escalation_policies: escalation_policies::generate(org),
        schedules: schedules::generate(org, now),
        priorities: priorities::generate(org),
        incidents: Vec::new(),
        change_events: Vec::new(),
        business_services: business_services::generate(org),
        service_dependencies: business_services::generate_dependencies(org),
        maintenance_windows: maintenance_windows::generate(now),
    };
    data.incidents = incidents::history::generate(&data, seed, now);
    data.change_events = change_events::generate(&data, seed, now);
    data
}

/// Every resource's routes.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .merge(users::router())
        .merge(teams::router())
        .merge(services::router())
        .merge(incidents::router())
        .merge(incidents::log_entries::router())
        .merge(escalation_policies::router())
        .merge(oncalls::router())
        .merge(schedules::router())
        .merge(priorities::router())
        .merge(change_events::router())
        .merge(business_services::router())
        .merge(maintenance_windows::router())
}

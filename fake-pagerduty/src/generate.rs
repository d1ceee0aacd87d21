//! Deterministic generation of the demo account.
//!
//! The organisation (teams, users, services, escalation policies, schedules,
//! priorities) comes from the fixed tables in `data/organisation.json`
//! (`src/organisation.rs`), with IDs that depend only on names, so tests can
//! rely on them ([`crate::ids`]). The incident history (about 300 incidents over
//! the last 8 weeks, their alerts, notes, acknowledgements) is drawn from the
//! seed, relative to `now`. Each resource module builds its own part.

use time::OffsetDateTime;

use crate::dataset::Dataset;
use crate::organisation::organisation;
use crate::resources::{
    escalation_policies, incidents, priorities, schedules, services, teams, users,
};

pub use crate::resources::incidents::history::{HISTORY_DAYS, INCIDENT_COUNT};

/// Generates the whole dataset.
pub fn generate(seed: u64, now: OffsetDateTime) -> Dataset {
    let now = now.to_offset(time::UtcOffset::UTC);
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
    };
    // The history needs the organisation: who is on call, which team owns what.
    data.incidents = incidents::history::generate(&data, seed, now);
    data
}

//! Deterministic generation of the demo account.
//!
//! The organisation (teams, users, services, escalation policies, schedules,
//! priorities) comes from the fixed tables in `data/organisation.json`
//! (`src/organisation.rs`), with IDs that depend only on names, so tests can
//! rely on them ([`crate::ids`]). The incident history (about 300 incidents over
//! the last 8 weeks, their alerts, notes, acknowledgements) is drawn from the
//! seed, relative to `now`. Each resource module builds its own part; the order
//! they are built in is [`generate`]'s, in `src/resources/mod.rs`.

pub use crate::resources::generate;
pub use crate::resources::incidents::history::{HISTORY_DAYS, INCIDENT_COUNT};

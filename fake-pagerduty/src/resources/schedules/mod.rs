//! On-call schedules: `GET /schedules`, `/schedules/{id}`, `/schedules/{id}/users`,
//! and their overrides (`GET`/`POST /schedules/{id}/overrides`,
//! `DELETE /schedules/{id}/overrides/{override_id}`).
//!
//! Schedules and their rotation layers come from the organisation table; the
//! rotations are anchored relative to `now` so that the first user of each
//! layer is on call in the current turn. Overrides replace the rotation's user
//! for their span. Who is on call when is computed in [`rotation`]; the JSON in
//! `render`, the handlers in `routes` (the overrides' in `overrides`).

use serde::Deserialize;
use time::{Duration, OffsetDateTime, PrimitiveDateTime, Time, Weekday};

use crate::dataset::Dataset;
use crate::organisation::Organisation;
use crate::resources::teams::team_id;
use crate::resources::users::{User, user_id};
use crate::rng::stable_id;
use crate::tz::Zone;

mod overrides;
mod render;
pub mod rotation;
mod routes;

pub(crate) use routes::router;

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
    /// Overrides, in creation order: each replaces the rotation's user for its
    /// span, and where two overlap the later one wins (as PagerDuty).
    pub overrides: Vec<Override>,
}

/// A schedule override: `user_id` is on call instead of the rotation from `start`
/// to `end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// PagerDuty ID.
    pub id: String,
    /// Who is on call during the override (user ID).
    pub user_id: String,
    /// Start (inclusive).
    pub start: OffsetDateTime,
    /// End (exclusive).
    pub end: OffsetDateTime,
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

/// A schedule in the organisation table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRow {
    /// Name (the ID is derived from it).
    pub name: String,
    /// Description.
    pub description: String,
    /// IANA time zone of the restrictions and handoffs.
    pub time_zone: String,
    /// Owning teams, by name.
    pub teams: Vec<String>,
    /// Rotation layers, highest precedence first.
    pub layers: Vec<LayerRow>,
    /// Overrides, in creation order, relative to the dataset's `now`.
    #[serde(default)]
    pub overrides: Vec<OverrideRow>,
}

/// An override in the organisation table, placed relative to the hour `now` is in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideRow {
    /// Who covers, by name.
    pub user: String,
    /// Start, in hours from the start of the current hour (negative: in the past).
    pub start_hours: i64,
    /// Length, in hours.
    pub hours: i64,
}

/// A rotation layer in the organisation table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerRow {
    /// Name, e.g. "Weekly rotation".
    pub name: String,
    /// The rotation, by name; the first is on call in the current turn.
    pub users: Vec<String>,
    /// Length of a turn: a multiple of 168 hands off weekly (Monday 10:00
    /// local), anything else daily (09:00 local).
    pub turn_hours: i64,
    /// Windows outside which the layer has nobody on call (empty: always).
    pub restrictions: Vec<RestrictionRow>,
}

/// A restriction in the organisation table, in the schedule's time zone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictionRow {
    /// ISO weekday (1 = Monday) of a weekly restriction; absent for a daily one.
    #[serde(default)]
    pub day_of_week: Option<u8>,
    /// Start, in hours after local midnight.
    pub start_hour: u32,
    /// Length, in hours.
    pub duration_hours: u32,
}

/// The ID of the schedule named `name` (stable: it depends only on the name).
pub(crate) fn schedule_id(name: &str) -> String {
    stable_id('P', 7, &format!("schedule:{name}"))
}

/// The most recent Monday `hour`:00 (local) at or before `now`.
fn last_handoff(zone: &Zone, now: OffsetDateTime, hour: u8) -> OffsetDateTime {
    let mut day = zone.to_local(now).date();
    loop {
        if day.weekday() == Weekday::Monday {
            let t = zone.from_local(PrimitiveDateTime::new(
                day,
                Time::from_hms(hour, 0, 0).unwrap_or(Time::MIDNIGHT),
            ));
            if t <= now {
                return t;
            }
        }
        day = day.previous_day().unwrap_or(day);
    }
}

/// The schedules, in table order, with rotations anchored at `now`.
pub(crate) fn generate(org: &Organisation, now: OffsetDateTime) -> Vec<Schedule> {
    org.schedules
        .iter()
        .map(|row| {
            let zone = Zone::find(&row.time_zone).unwrap_or(Zone::UTC);
            // Rotations are aligned so that the first user listed is on call in the
            // current turn: the current user is on call now on "Platform Primary".
            let layers = row
                .layers
                .iter()
                .map(|l| {
                    let turn = l.turn_hours * 3600;
                    // Weekly rotations hand off on Monday 10:00, daily ones at 09:00 (local).
                    let current_turn_start = if l.turn_hours % 168 == 0 {
                        last_handoff(&zone, now, 10)
                    } else {
                        let handoff = last_handoff(&zone, now, 9);
                        handoff + Duration::seconds(((now - handoff).whole_seconds() / turn) * turn)
                    };
                    let cycle = turn * l.users.len() as i64;
                    let cycles_back = (200 * 86_400) / cycle + 1;
                    let virtual_start = current_turn_start - Duration::seconds(cycles_back * cycle);
                    Layer {
                        id: stable_id('P', 7, &format!("layer:{}:{}", row.name, l.name)),
                        name: l.name.clone(),
                        start: virtual_start,
                        end: None,
                        rotation_virtual_start: virtual_start,
                        rotation_turn_length_seconds: turn,
                        user_ids: l.users.iter().map(|u| user_id(u)).collect(),
                        restrictions: l
                            .restrictions
                            .iter()
                            .map(|r| Restriction {
                                start_day_of_week: r.day_of_week,
                                start_time_of_day_seconds: r.start_hour * 3600,
                                duration_seconds: r.duration_hours * 3600,
                            })
                            .collect(),
                    }
                })
                .collect();
            let hour = now
                .replace_minute(0)
                .and_then(|t| t.replace_second(0))
                .and_then(|t| t.replace_nanosecond(0))
                .unwrap_or(now);
            let overrides = row
                .overrides
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let start = hour + Duration::hours(o.start_hours);
                    Override {
                        id: stable_id('Q', 14, &format!("override:{}:{i}", row.name)),
                        user_id: user_id(&o.user),
                        start,
                        end: start + Duration::hours(o.hours),
                    }
                })
                .collect();
            Schedule {
                id: schedule_id(&row.name),
                name: row.name.clone(),
                description: row.description.clone(),
                time_zone: row.time_zone.clone(),
                team_ids: row.teams.iter().map(|t| team_id(t)).collect(),
                layers,
                overrides,
            }
        })
        .collect()
}

impl Dataset {
    /// A schedule by ID.
    pub fn schedule(&self, id: &str) -> Option<&Schedule> {
        self.schedules.iter().find(|s| s.id == id)
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

    /// Who is on call on a schedule at instant `t` (final schedule).
    pub fn on_call_at(&self, schedule_id: &str, t: OffsetDateTime) -> Option<&User> {
        let s = self.schedule(schedule_id)?;
        let user_id = rotation::on_call_at(s, t)?;
        self.user(&user_id)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use crate::ids::{SCHEDULE_PLATFORM_SECONDARY, TEAM_PLATFORM};
    use crate::{CURRENT_USER_ID, DEFAULT_SEED, Dataset};

    #[test]
    fn the_dataset_has_past_ongoing_and_future_overrides_that_take_effect() {
        let now = datetime!(2026-11-24 07:30 UTC);
        let data = Dataset::generate(DEFAULT_SEED, now);
        let schedule = data.schedule(SCHEDULE_PLATFORM_SECONDARY).unwrap();
        assert!(schedule.team_ids.iter().any(|t| t == TEAM_PLATFORM));
        assert!(
            data.teams_of_user(CURRENT_USER_ID)
                .iter()
                .any(|t| t.id == TEAM_PLATFORM)
        );
        let o = &schedule.overrides;
        assert!(o.iter().any(|o| o.end <= now));
        let ongoing = o.iter().find(|o| o.start <= now && now < o.end).unwrap();
        assert!(o.iter().any(|o| o.start > now));
        // The override replaces the rotation's first user.
        assert_eq!(
            data.on_call_at(SCHEDULE_PLATFORM_SECONDARY, now)
                .map(|u| u.id.as_str()),
            Some(ongoing.user_id.as_str())
        );
        assert_ne!(
            super::rotation::on_call_at(
                &super::Schedule {
                    overrides: vec![],
                    ..schedule.clone()
                },
                now
            ),
            Some(ongoing.user_id.clone())
        );
        // Aligned to the hour `now` is in.
        assert_eq!(ongoing.start, datetime!(2026-11-24 04:00 UTC));
    }
}

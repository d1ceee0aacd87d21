//! Schedule rendering: who is on call when.
//!
//! A layer rotates through its users in turns of `rotation_turn_length_seconds`
//! counted from `rotation_virtual_start`, only between its `start` and `end`, and
//! only inside its restrictions (if any). The final schedule takes, at every
//! instant, the schedule's overrides first (the latest created where they
//! overlap), then the first layer (in `schedule_layers` order) that has someone
//! on call.

use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time};

use super::{Layer, Restriction, Schedule};
use crate::tz::Zone;

/// One stretch of on-call time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Who is on call (user ID).
    pub user_id: String,
    /// Start (inclusive).
    pub start: OffsetDateTime,
    /// End (exclusive).
    pub end: OffsetDateTime,
}

/// The zone a schedule's restrictions are expressed in (UTC if unknown).
pub fn zone_of(schedule: &Schedule) -> Zone {
    Zone::find(&schedule.time_zone).unwrap_or(Zone::UTC)
}

/// The on-call entries of one layer within `[since, until)`.
pub fn layer_entries(
    layer: &Layer,
    zone: &Zone,
    since: OffsetDateTime,
    until: OffsetDateTime,
) -> Vec<Entry> {
    let from = since.max(layer.start);
    let to = match layer.end {
        Some(end) => until.min(end),
        None => until,
    };
    if from >= to || layer.user_ids.is_empty() || layer.rotation_turn_length_seconds <= 0 {
        return Vec::new();
    }
    let turn = layer.rotation_turn_length_seconds;
    let windows = restriction_windows(&layer.restrictions, zone, from, to);
    let mut out: Vec<Entry> = Vec::new();
    let mut k = (from - layer.rotation_virtual_start)
        .whole_seconds()
        .div_euclid(turn);
    loop {
        let turn_start = layer.rotation_virtual_start + Duration::seconds(k * turn);
        if turn_start >= to {
            break;
        }
        let turn_end = turn_start + Duration::seconds(turn);
        let user = &layer.user_ids[k.rem_euclid(layer.user_ids.len() as i64) as usize];
        let (a, b) = (turn_start.max(from), turn_end.min(to));
        match &windows {
            None => push_merged(&mut out, user, a, b),
            Some(ws) => {
                for &(ws, we) in ws {
                    let (c, d) = (a.max(ws), b.min(we));
                    if c < d {
                        push_merged(&mut out, user, c, d);
                    }
                }
            }
        }
        k += 1;
    }
    out
}

/// The overrides in effect within `[since, until)`, cut to it: where overrides
/// overlap, the one created last (later in `schedule.overrides`) wins.
pub fn override_entries(
    schedule: &Schedule,
    since: OffsetDateTime,
    until: OffsetDateTime,
) -> Vec<Entry> {
    // Latest first, so that the first match at an instant is the one in effect.
    let overrides: Vec<Entry> = schedule
        .overrides
        .iter()
        .rev()
        .filter(|o| o.start < until && o.end > since)
        .map(|o| Entry {
            user_id: o.user_id.clone(),
            start: o.start.max(since),
            end: o.end.min(until),
        })
        .collect();
    precedence(&[overrides], since, until)
}

/// The final schedule within `[since, until)`.
pub fn final_entries(
    schedule: &Schedule,
    since: OffsetDateTime,
    until: OffsetDateTime,
) -> Vec<Entry> {
    if since >= until {
        return Vec::new();
    }
    let zone = zone_of(schedule);
    let mut layers: Vec<Vec<Entry>> = vec![override_entries(schedule, since, until)];
    layers.extend(
        schedule
            .layers
            .iter()
            .map(|l| layer_entries(l, &zone, since, until)),
    );
    precedence(&layers, since, until)
}

/// Who is on call within `[since, until)` when at every instant the first of
/// `layers` with an entry covering it decides (within a layer, its first such entry).
fn precedence(layers: &[Vec<Entry>], since: OffsetDateTime, until: OffsetDateTime) -> Vec<Entry> {
    if since >= until {
        return Vec::new();
    }
    let mut cuts: Vec<OffsetDateTime> = vec![since, until];
    for e in layers.iter().flatten() {
        cuts.push(e.start);
        cuts.push(e.end);
    }
    cuts.sort();
    cuts.dedup();
    let mut out = Vec::new();
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let user = layers.iter().find_map(|entries| {
            entries
                .iter()
                .find(|e| e.start <= a && a < e.end)
                .map(|e| &e.user_id)
        });
        if let Some(user) = user {
            push_merged(&mut out, user, a, b);
        }
    }
    out
}

/// Who is on call on the final schedule at `t`.
pub fn on_call_at(schedule: &Schedule, t: OffsetDateTime) -> Option<String> {
    final_entries(schedule, t, t + Duration::seconds(1))
        .into_iter()
        .next()
        .map(|e| e.user_id)
}

/// Percentage of `[since, until)` covered by `entries`.
pub fn coverage_percentage(entries: &[Entry], since: OffsetDateTime, until: OffsetDateTime) -> f64 {
    let total = (until - since).whole_seconds();
    if total <= 0 {
        return 0.0;
    }
    let covered: i64 = entries
        .iter()
        .map(|e| (e.end - e.start).whole_seconds())
        .sum();
    ((covered as f64 / total as f64) * 10000.0).round() / 100.0
}

/// The final-schedule shifts overlapping `[since, until]` (a point in time when
/// equal), with their real start and end (looked up to `context` around the window).
pub fn shifts_overlapping(
    schedule: &Schedule,
    since: OffsetDateTime,
    until: OffsetDateTime,
    context: Duration,
) -> Vec<Entry> {
    final_entries(
        schedule,
        since - context,
        until.max(since + Duration::seconds(1)) + context,
    )
    .into_iter()
    .filter(|e| {
        if since == until {
            e.start <= since && since < e.end
        } else {
            e.start < until && e.end > since
        }
    })
    .collect()
}

fn push_merged(out: &mut Vec<Entry>, user: &str, start: OffsetDateTime, end: OffsetDateTime) {
    if let Some(last) = out.last_mut()
        && last.user_id == user
        && last.end == start
    {
        last.end = end;
        return;
    }
    out.push(Entry {
        user_id: user.to_string(),
        start,
        end,
    });
}

/// The restriction windows overlapping `[from, to)`, merged and sorted;
/// `None` when the layer is unrestricted.
fn restriction_windows(
    restrictions: &[Restriction],
    zone: &Zone,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Option<Vec<(OffsetDateTime, OffsetDateTime)>> {
    if restrictions.is_empty() {
        return None;
    }
    let first_day: Date = zone.to_local(from).date() - Duration::days(8);
    let last_day: Date = zone.to_local(to).date() + Duration::days(1);
    let mut windows = Vec::new();
    let mut day = first_day;
    while day <= last_day {
        for r in restrictions {
            if let Some(dow) = r.start_day_of_week
                && day.weekday().number_from_monday() != dow
            {
                continue;
            }
            let tod = Time::MIDNIGHT + Duration::seconds(i64::from(r.start_time_of_day_seconds));
            let start = zone.from_local(PrimitiveDateTime::new(day, tod));
            let end = start + Duration::seconds(i64::from(r.duration_seconds));
            if start < to && end > from {
                windows.push((start, end));
            }
        }
        day = day.next_day().unwrap_or(Date::MAX);
        if day == Date::MAX {
            break;
        }
    }
    windows.sort();
    let mut merged: Vec<(OffsetDateTime, OffsetDateTime)> = Vec::new();
    for (s, e) in windows {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    Some(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn layer(users: &[&str], turn_hours: i64, restrictions: Vec<Restriction>) -> Layer {
        Layer {
            id: "PL1".into(),
            name: "Layer 1".into(),
            start: datetime!(2026-01-01 00:00 UTC),
            end: None,
            rotation_virtual_start: datetime!(2026-01-05 09:00 UTC),
            rotation_turn_length_seconds: turn_hours * 3600,
            user_ids: users.iter().map(|s| s.to_string()).collect(),
            restrictions,
        }
    }

    fn schedule(layers: Vec<Layer>) -> Schedule {
        Schedule {
            id: "PS1".into(),
            name: "S".into(),
            description: String::new(),
            time_zone: "UTC".into(),
            team_ids: vec![],
            layers,
            overrides: vec![],
        }
    }

    #[test]
    fn weekly_rotation() {
        let s = schedule(vec![layer(&["A", "B", "C"], 168, vec![])]);
        assert_eq!(
            on_call_at(&s, datetime!(2026-01-05 09:00 UTC)).as_deref(),
            Some("A")
        );
        assert_eq!(
            on_call_at(&s, datetime!(2026-01-12 08:59 UTC)).as_deref(),
            Some("A")
        );
        assert_eq!(
            on_call_at(&s, datetime!(2026-01-12 09:00 UTC)).as_deref(),
            Some("B")
        );
        assert_eq!(
            on_call_at(&s, datetime!(2026-01-26 10:00 UTC)).as_deref(),
            Some("A")
        );
        // Before the virtual start the rotation runs backwards.
        assert_eq!(
            on_call_at(&s, datetime!(2026-01-04 10:00 UTC)).as_deref(),
            Some("C")
        );
        let entries = final_entries(
            &s,
            datetime!(2026-01-10 00:00 UTC),
            datetime!(2026-01-20 00:00 UTC),
        );
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].user_id, "A");
        assert_eq!(entries[1].start, datetime!(2026-01-12 09:00 UTC));
        assert_eq!(entries[2].end, datetime!(2026-01-20 00:00 UTC));
    }

    #[test]
    fn restricted_layer_and_precedence() {
        let business = Restriction {
            start_day_of_week: None,
            start_time_of_day_seconds: 9 * 3600,
            duration_seconds: 8 * 3600,
        };
        let top = layer(&["X"], 24, vec![business]);
        let base = layer(&["A", "B"], 168, vec![]);
        let s = schedule(vec![top, base]);
        assert_eq!(
            on_call_at(&s, datetime!(2026-01-06 10:00 UTC)).as_deref(),
            Some("X")
        );
        assert_eq!(
            on_call_at(&s, datetime!(2026-01-06 18:00 UTC)).as_deref(),
            Some("A")
        );
        let since = datetime!(2026-01-06 00:00 UTC);
        let until = datetime!(2026-01-07 00:00 UTC);
        let e = final_entries(&s, since, until);
        assert_eq!(
            e.iter().map(|e| e.user_id.as_str()).collect::<Vec<_>>(),
            vec!["A", "X", "A"]
        );
        assert_eq!(coverage_percentage(&e, since, until), 100.0);
        let only_top = layer_entries(&s.layers[0], &Zone::UTC, since, until);
        assert_eq!(coverage_percentage(&only_top, since, until), 33.33);
    }

    #[test]
    fn weekly_restriction_in_zone() {
        // Mondays 09:00-17:00 New York time.
        let r = Restriction {
            start_day_of_week: Some(1),
            start_time_of_day_seconds: 9 * 3600,
            duration_seconds: 8 * 3600,
        };
        let l = layer(&["A"], 24, vec![r]);
        let zone = Zone::find("America/New_York").unwrap();
        let e = layer_entries(
            &l,
            &zone,
            datetime!(2026-01-05 00:00 UTC),
            datetime!(2026-01-13 00:00 UTC),
        );
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].start, datetime!(2026-01-05 14:00 UTC));
        assert_eq!(e[0].end, datetime!(2026-01-05 22:00 UTC));
    }

    #[test]
    fn overrides_replace_the_rotation_and_the_latest_wins() {
        let mut s = schedule(vec![layer(&["A", "B"], 168, vec![])]);
        let o = |id: &str, user: &str, start, end| super::super::Override {
            id: id.into(),
            user_id: user.into(),
            start,
            end,
        };
        s.overrides = vec![
            o(
                "Q1",
                "X",
                datetime!(2026-01-06 00:00 UTC),
                datetime!(2026-01-07 00:00 UTC),
            ),
            o(
                "Q2",
                "Y",
                datetime!(2026-01-06 12:00 UTC),
                datetime!(2026-01-06 18:00 UTC),
            ),
        ];
        let since = datetime!(2026-01-05 12:00 UTC);
        let until = datetime!(2026-01-08 00:00 UTC);
        let e = final_entries(&s, since, until);
        assert_eq!(
            e.iter()
                .map(|e| (e.user_id.as_str(), e.start))
                .collect::<Vec<_>>(),
            vec![
                ("A", since),
                ("X", datetime!(2026-01-06 00:00 UTC)),
                ("Y", datetime!(2026-01-06 12:00 UTC)),
                ("X", datetime!(2026-01-06 18:00 UTC)),
                ("A", datetime!(2026-01-07 00:00 UTC)),
            ]
        );
        assert_eq!(
            on_call_at(&s, datetime!(2026-01-06 13:00 UTC)).as_deref(),
            Some("Y")
        );
        assert_eq!(
            on_call_at(&s, datetime!(2026-01-07 00:00 UTC)).as_deref(),
            Some("A")
        );
        let only = override_entries(&s, datetime!(2026-01-06 06:00 UTC), until);
        assert_eq!(only.len(), 3);
        assert_eq!(only[0].start, datetime!(2026-01-06 06:00 UTC));
    }

    #[test]
    fn shift_boundaries_at_a_point() {
        let s = schedule(vec![layer(&["A", "B"], 168, vec![])]);
        let t = datetime!(2026-01-14 00:00 UTC);
        let shifts = shifts_overlapping(&s, t, t, Duration::days(30));
        assert_eq!(shifts.len(), 1);
        assert_eq!(shifts[0].user_id, "B");
        assert_eq!(shifts[0].start, datetime!(2026-01-12 09:00 UTC));
        assert_eq!(shifts[0].end, datetime!(2026-01-19 09:00 UTC));
    }
}

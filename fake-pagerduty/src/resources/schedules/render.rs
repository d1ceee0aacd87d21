//! Schedules in PagerDuty's shapes: the summary `GET /schedules` lists, and the
//! full schedule with its layers, final schedule and overrides rendered over a
//! window.

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::rotation::{self, Entry};
use super::{Restriction, Schedule};
use crate::render::{Render, WEB_BASE};

impl Render<'_> {
    /// `schedule_reference`.
    pub fn schedule_ref(&self, id: &str) -> Value {
        let name = self
            .data
            .schedule(id)
            .map(|s| s.name.as_str())
            .unwrap_or("Unknown schedule");
        self.reference("schedule", id, name, "schedules", "schedules")
    }

    /// A schedule as listed by `GET /schedules` (no layers).
    pub fn schedule_summary(&self, s: &Schedule) -> Value {
        let mut users: Vec<&str> = Vec::new();
        for l in &s.layers {
            for u in &l.user_ids {
                if !users.contains(&u.as_str()) {
                    users.push(u);
                }
            }
        }
        json!({
            "id": s.id,
            "type": "schedule",
            "summary": s.name,
            "self": format!("{}/schedules/{}", self.base, s.id),
            "html_url": format!("{WEB_BASE}/schedules/{}", s.id),
            "name": s.name,
            "description": s.description,
            "time_zone": self.zone.map(|z| z.name).unwrap_or(&s.time_zone),
            "escalation_policies": self.data.policies_of_schedule(&s.id).iter().map(|p| self.policy_ref(&p.id)).collect::<Vec<_>>(),
            "users": users.iter().map(|u| self.user_ref(u)).collect::<Vec<_>>(),
            "teams": s.team_ids.iter().map(|t| self.team_ref(t)).collect::<Vec<_>>(),
        })
    }

    /// A schedule with its layers, the final schedule and the overrides, rendered
    /// over `window` (no entries without a window, as PagerDuty).
    pub fn schedule_full(
        &self,
        s: &Schedule,
        window: Option<(OffsetDateTime, OffsetDateTime)>,
    ) -> Value {
        let mut v = self.schedule_summary(s);
        let zone = rotation::zone_of(s);
        let layers: Vec<Value> = s
            .layers
            .iter()
            .map(|l| {
                let mut layer = json!({
                    "id": l.id,
                    "name": l.name,
                    "start": self.time(l.start),
                    "rotation_virtual_start": self.time(l.rotation_virtual_start),
                    "rotation_turn_length_seconds": l.rotation_turn_length_seconds,
                    "users": l.user_ids.iter().map(|u| json!({ "user": self.user_ref(u) })).collect::<Vec<_>>(),
                    "restrictions": l.restrictions.iter().map(restriction).collect::<Vec<_>>(),
                    "end": l.end.map(|end| self.time(end)),
                    "rendered_schedule_entries": [],
                    "rendered_coverage_percentage": null,
                });
                if let Some((since, until)) = window {
                    let entries = rotation::layer_entries(l, &zone, since, until);
                    layer["rendered_schedule_entries"] = self.entries(&entries);
                    layer["rendered_coverage_percentage"] = json!(rotation::coverage_percentage(&entries, since, until));
                }
                layer
            })
            .collect();
        v["schedule_layers"] = json!(layers);
        let mut final_schedule = json!({ "name": "Final Schedule", "rendered_schedule_entries": [], "rendered_coverage_percentage": null });
        let mut overrides = json!({ "name": "Overrides", "rendered_schedule_entries": [], "rendered_coverage_percentage": null });
        if let Some((since, until)) = window {
            let entries = rotation::final_entries(s, since, until);
            final_schedule["rendered_schedule_entries"] = self.entries(&entries);
            final_schedule["rendered_coverage_percentage"] =
                json!(rotation::coverage_percentage(&entries, since, until));
            let covered = rotation::override_entries(s, since, until);
            overrides["rendered_schedule_entries"] = self.entries(&covered);
            overrides["rendered_coverage_percentage"] =
                json!(rotation::coverage_percentage(&covered, since, until));
        }
        v["final_schedule"] = final_schedule;
        v["overrides_subschedule"] = overrides;
        v
    }

    /// Rendered schedule entries.
    pub fn entries(&self, entries: &[Entry]) -> Value {
        json!(
            entries
                .iter()
                .map(|e| json!({ "user": self.user_ref(&e.user_id), "start": self.time(e.start), "end": self.time(e.end) }))
                .collect::<Vec<_>>()
        )
    }
}

/// A `daily_restriction` or `weekly_restriction`.
fn restriction(r: &Restriction) -> Value {
    let tod = format!(
        "{:02}:{:02}:{:02}",
        r.start_time_of_day_seconds / 3600,
        (r.start_time_of_day_seconds / 60) % 60,
        r.start_time_of_day_seconds % 60
    );
    match r.start_day_of_week {
        None => {
            json!({ "type": "daily_restriction", "start_time_of_day": tod, "duration_seconds": r.duration_seconds })
        }
        Some(d) => json!({
            "type": "weekly_restriction",
            "start_time_of_day": tod,
            "start_day_of_week": d,
            "duration_seconds": r.duration_seconds,
        }),
    }
}

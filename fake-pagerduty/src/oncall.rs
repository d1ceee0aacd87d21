//! `GET /oncalls`: who is on call for which escalation policy level.
//!
//! Users targeted directly by an escalation rule are always on call (no schedule,
//! no start/end). Schedule targets contribute the final-schedule shifts that
//! overlap the requested window, with the shifts' real start and end.

use time::{Duration, OffsetDateTime};

use crate::dataset::{Dataset, Target};
use crate::schedule;

/// One on-call entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCall {
    /// Escalation policy ID.
    pub policy_id: String,
    /// 1-based escalation level.
    pub level: u32,
    /// The user on call.
    pub user_id: String,
    /// The schedule the shift comes from (`None` for a direct user target).
    pub schedule_id: Option<String>,
    /// The shift (`None` for a direct user target: always on call).
    pub span: Option<(OffsetDateTime, OffsetDateTime)>,
}

/// Filters of `GET /oncalls`.
#[derive(Debug, Clone, Default)]
pub struct OnCallFilter {
    /// `user_ids[]`.
    pub user_ids: Vec<String>,
    /// `escalation_policy_ids[]`.
    pub policy_ids: Vec<String>,
    /// `schedule_ids[]` (when set, direct user targets are left out).
    pub schedule_ids: Vec<String>,
    /// `earliest=true`: only the earliest shift per user, policy and level.
    pub earliest: bool,
}

/// The on-call entries for the window `[since, until]` (a point in time when equal),
/// ordered by policy name, level, start.
pub fn oncalls(
    data: &Dataset,
    since: OffsetDateTime,
    until: OffsetDateTime,
    filter: &OnCallFilter,
) -> Vec<OnCall> {
    let mut policies: Vec<_> = data
        .escalation_policies
        .iter()
        .filter(|p| filter.policy_ids.is_empty() || filter.policy_ids.contains(&p.id))
        .collect();
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = Vec::new();
    for p in policies {
        for (index, rule) in p.rules.iter().enumerate() {
            let level = index as u32 + 1;
            let mut at_level: Vec<OnCall> = Vec::new();
            for target in &rule.targets {
                match target {
                    Target::User(u) => {
                        if filter.schedule_ids.is_empty() {
                            at_level.push(OnCall {
                                policy_id: p.id.clone(),
                                level,
                                user_id: u.clone(),
                                schedule_id: None,
                                span: None,
                            });
                        }
                    }
                    Target::Schedule(s) => {
                        if !filter.schedule_ids.is_empty() && !filter.schedule_ids.contains(s) {
                            continue;
                        }
                        let Some(sched) = data.schedule(s) else {
                            continue;
                        };
                        for e in
                            schedule::shifts_overlapping(sched, since, until, Duration::days(35))
                        {
                            at_level.push(OnCall {
                                policy_id: p.id.clone(),
                                level,
                                user_id: e.user_id,
                                schedule_id: Some(s.clone()),
                                span: Some((e.start, e.end)),
                            });
                        }
                    }
                }
            }
            at_level.retain(|o| filter.user_ids.is_empty() || filter.user_ids.contains(&o.user_id));
            at_level.sort_by(|a, b| a.span.map(|s| s.0).cmp(&b.span.map(|s| s.0)));
            if filter.earliest {
                let mut seen: Vec<String> = Vec::new();
                at_level.retain(|o| {
                    if seen.contains(&o.user_id) {
                        false
                    } else {
                        seen.push(o.user_id.clone());
                        true
                    }
                });
            }
            out.extend(at_level);
        }
    }
    out
}

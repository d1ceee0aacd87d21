//! The incident history: about 300 incidents over the last 8 weeks, drawn from
//! the seed relative to `now` on the organisation's services (their share of
//! the history, titles and hosts come from the organisation table), with their
//! alerts, notes, acknowledgements and resolutions. Whatever the seed, the
//! current user's teams have the open incidents a demo needs.

use time::{Duration, OffsetDateTime};

use super::{Agent, Alert, Incident, LogKind, Note, Status};
use crate::dataset::{ContactKind, Dataset, Target};
use crate::organisation::organisation;
use crate::resources::schedules::rotation;
use crate::resources::teams::team_id;
use crate::rng::{Rng, pd_id};

/// How many incidents are generated.
pub const INCIDENT_COUNT: usize = 300;
/// How far back the incident history goes.
pub const HISTORY_DAYS: i64 = 56;
/// The first incident number.
const FIRST_INCIDENT_NUMBER: u64 = 1001;

/// What responders write in notes.
const NOTES: &[&str] = &[
    "Looking into this now.",
    "Acknowledged, checking dashboards.",
    "Rolled back the last deploy; error rate is recovering.",
    "Root cause: connection pool exhaustion on the primary database. Raised max connections.",
    "Customer impact limited to the EU region.",
    "Paging the database team for a second pair of eyes.",
    "Mitigated by scaling the worker pool from 6 to 12 replicas.",
    "False alarm: synthetic check misconfigured after the DNS change.",
    "Upstream provider confirmed an outage on their status page.",
    "Postmortem scheduled for Thursday.",
    "Cleared the stuck queue; monitoring for recurrence.",
    "Opened a ticket with the vendor.",
    "Applied the runbook steps; alert cleared.",
    "Disk freed after rotating logs; need a permanent fix.",
];

/// Who the policy's first level (or the next level with someone on call) assigns at `t`.
fn assignee_at(data: &Dataset, policy_id: &str, t: OffsetDateTime) -> Option<String> {
    let policy = data.escalation_policy(policy_id)?;
    for rule in &policy.rules {
        for target in &rule.targets {
            let user = match target {
                Target::User(u) => Some(u.clone()),
                Target::Schedule(s) => data.schedule(s).and_then(|s| rotation::on_call_at(s, t)),
            };
            if user.is_some() {
                return user;
            }
        }
    }
    None
}

/// `len` random lower-case hex digits.
fn hex(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from_digit(rng.below(16) as u32, 16).unwrap_or('0'))
        .collect()
}

/// The incident history, oldest first, numbered from 1001.
pub(crate) fn generate(data: &Dataset, seed: u64, now: OffsetDateTime) -> Vec<Incident> {
    let rows = &organisation().services;
    let mut rng = Rng::derived(seed, "incidents");
    let total_weight: u64 = rows.iter().map(|s| s.incident_weight).sum();
    let history = Duration::days(HISTORY_DAYS);
    let mut out: Vec<Incident> = Vec::with_capacity(INCIDENT_COUNT);
    for _ in 0..INCIDENT_COUNT {
        // Service, weighted.
        let mut w = rng.below(total_weight);
        let row_index = rows
            .iter()
            .position(|s| {
                if w < s.incident_weight {
                    true
                } else {
                    w -= s.incident_weight;
                    false
                }
            })
            .unwrap_or(0);
        let row = &rows[row_index];
        let service = &data.services[row_index];
        // Whole seconds, at least a minute old.
        let age = Duration::seconds(60 + rng.below(history.whole_seconds() as u64 - 60) as i64);
        let created_at = now - age;
        let urgency = match row.urgency.as_str() {
            "high" => {
                if rng.chance(0.9) {
                    "high"
                } else {
                    "low"
                }
            }
            "low" => {
                if rng.chance(0.9) {
                    "low"
                } else {
                    "high"
                }
            }
            _ => {
                if rng.chance(0.5) {
                    "high"
                } else {
                    "low"
                }
            }
        };
        let roll = rng.unit();
        let status = if age < Duration::hours(2) {
            if roll < 0.5 {
                Status::Triggered
            } else if roll < 0.8 {
                Status::Acknowledged
            } else {
                Status::Resolved
            }
        } else if age < Duration::days(1) {
            if roll < 0.1 {
                Status::Triggered
            } else if roll < 0.3 {
                Status::Acknowledged
            } else {
                Status::Resolved
            }
        } else if age < Duration::days(7) {
            if roll < 0.02 {
                Status::Triggered
            } else if roll < 0.06 {
                Status::Acknowledged
            } else {
                Status::Resolved
            }
        } else if roll < 0.01 {
            Status::Acknowledged
        } else {
            Status::Resolved
        };
        let title_template = rng.pick(&row.incident_titles).as_str();
        let host = rng.pick(&row.hosts).as_str();
        let title = if rng.chance(0.3) {
            format!("{title_template} ({host})")
        } else {
            title_template.to_string()
        };
        let priority_id = if rng.chance(0.35) {
            let p = if urgency == "high" {
                rng.below(3)
            } else {
                2 + rng.below(3)
            } as usize;
            Some(data.priorities[p].id.clone())
        } else {
            None
        };
        let assignee = assignee_at(data, &service.escalation_policy_id, created_at)
            .unwrap_or_else(|| crate::CURRENT_USER_ID.to_string());
        // Drawn in this order, so the same seed gives the same history.
        let id = pd_id('Q', 14, &mut rng);
        let incident_key = hex(&mut rng, 32);
        let first_trigger_log_entry_id = pd_id('R', 26, &mut rng);
        let mut incident = Incident {
            priority_id,
            assignments: vec![(assignee.clone(), created_at)],
            incident_key,
            first_trigger_log_entry_id,
            ..Incident::triggered(
                id,
                title.clone(),
                urgency.to_string(),
                service,
                created_at,
                Agent::Service(service.id.clone()),
            )
        };
        // Alerts: 1-5, mostly 1-2.
        let alert_count = *rng.pick(&[1usize, 1, 1, 2, 2, 3, 4, 5]);
        for a in 0..alert_count {
            let offset = if a == 0 {
                Duration::ZERO
            } else {
                Duration::seconds(rng.range(5, 600))
            };
            let severity = if urgency == "high" {
                *rng.pick(&["critical", "critical", "error"])
            } else {
                *rng.pick(&["warning", "info", "error"])
            };
            let alert_host = if a == 0 {
                host
            } else {
                rng.pick(&row.hosts).as_str()
            };
            let alert_id = pd_id('Q', 14, &mut rng);
            let details = super::alert_details::generate(
                seed,
                &alert_id,
                &service.name,
                title_template,
                alert_host,
            );
            incident.alerts.push(Alert {
                id: alert_id,
                resolved: false,
                created_at: (created_at + offset).min(now),
                alert_key: hex(&mut rng, 32),
                severity: severity.to_string(),
                summary: if a == 0 {
                    title.clone()
                } else {
                    format!("{title_template} ({alert_host})")
                },
                source: alert_host.to_string(),
                details,
            });
        }
        incident.alerts.sort_by_key(|a| a.created_at);
        let latest = now - Duration::seconds(30);
        let mut last_time = created_at;
        // Who answers the page: the first assignee, or the level-2 responder when
        // the acknowledgement came after the first level's escalation delay.
        let mut responder = assignee.clone();
        let mut story = Story {
            assignee: assignee.clone(),
            escalation: None,
            acknowledgement: None,
            resolution: None,
        };
        if status != Status::Triggered && (status == Status::Acknowledged || rng.chance(0.8)) {
            let at = (created_at + Duration::seconds(rng.range(30, 1200)))
                .min(latest)
                .max(created_at);
            if let Some((escalated_at, level_two)) =
                escalation_before(data, &incident, &assignee, at)
            {
                incident.assignments = vec![(level_two.clone(), escalated_at)];
                incident.escalation_level = 2;
                responder = level_two.clone();
                story.escalation = Some((escalated_at, level_two));
            }
            incident.acknowledgements.push((responder.clone(), at));
            incident.status = Status::Acknowledged;
            incident.last_status_change_at = at;
            incident.last_status_change_by = Agent::User(responder.clone());
            story.acknowledgement = Some((at, responder.clone()));
            last_time = at;
        }
        // Notes.
        let note_count = if status == Status::Resolved {
            *rng.pick(&[0usize, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 4])
        } else {
            *rng.pick(&[0usize, 0, 1, 2])
        };
        let team_members: Vec<&str> = data
            .team(&service.team_ids[0])
            .map(|t| t.members.iter().map(|m| m.user_id.as_str()).collect())
            .unwrap_or_default();
        let mut note_time = last_time;
        for _ in 0..note_count {
            note_time = (note_time + Duration::seconds(rng.range(60, 3600))).min(latest);
            let author = if rng.chance(0.7) || team_members.is_empty() {
                responder.clone()
            } else {
                rng.pick(&team_members).to_string()
            };
            incident.notes.push(Note {
                id: pd_id('P', 7, &mut rng),
                user_id: author,
                content: rng.pick(NOTES).to_string(),
                created_at: note_time,
            });
        }
        if note_count > 0 {
            last_time = note_time;
        }
        if status == Status::Resolved {
            let at = (last_time + Duration::seconds(rng.range(120, 6 * 3600)))
                .min(latest)
                .max(last_time);
            let by = if rng.chance(0.85) {
                Agent::User(responder.clone())
            } else {
                Agent::Service(service.id.clone())
            };
            story.resolution = Some((at, by.clone()));
            incident.resolve(at, by);
            last_time = at;
        } else if status == Status::Triggered {
            // A triggered incident has no acknowledgement (even if one was drawn above).
            incident.acknowledgements.clear();
            incident.status = Status::Triggered;
            incident.last_status_change_at = created_at;
            incident.last_status_change_by = Agent::Service(service.id.clone());
        }
        incident.updated_at = last_time.max(incident.last_status_change_at);
        write_timeline(data, &mut incident, &story, now);
        out.push(incident);
    }
    out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    ensure_demo_situation(data, &mut out, now);
    for (i, incident) in out.iter_mut().enumerate() {
        incident.number = FIRST_INCIDENT_NUMBER + i as u64;
    }
    out
}

/// Makes sure the demo shows what a person expects to see whatever the seed:
/// open incidents for the current user's teams, one triggered incident assigned
/// to the current user, one acknowledged by them, a triggered low-urgency one, and
/// a stale open incident older than PagerDuty's default one-month window.
fn ensure_demo_situation(data: &Dataset, incidents: &mut [Incident], now: OffsetDateTime) {
    let me = crate::CURRENT_USER_ID.to_string();
    let platform = team_id("Platform");
    let payments = team_id("Payments");
    let data_team = team_id("Data");
    // Most recent incidents first.
    let pick = |incidents: &[Incident],
                team: &str,
                min_age: Duration,
                taken: &mut Vec<usize>|
     -> Option<usize> {
        let found = (0..incidents.len()).rev().find(|&i| {
            !taken.contains(&i)
                && incidents[i].team_ids.iter().any(|t| t == team)
                && now - incidents[i].created_at >= min_age
        });
        if let Some(i) = found {
            taken.push(i);
        }
        found
    };
    let mut taken = Vec::new();
    let plans = [
        (
            platform.as_str(),
            Duration::minutes(5),
            Status::Triggered,
            true,
            None,
        ),
        (
            payments.as_str(),
            Duration::minutes(20),
            Status::Acknowledged,
            true,
            None,
        ),
        (
            platform.as_str(),
            Duration::hours(3),
            Status::Acknowledged,
            false,
            None,
        ),
        (
            payments.as_str(),
            Duration::hours(1),
            Status::Triggered,
            false,
            // A low-urgency one, so a responder has an urgency to raise.
            Some("low"),
        ),
        (
            data_team.as_str(),
            Duration::days(40),
            Status::Acknowledged,
            false,
            None,
        ),
    ];
    for (team, min_age, status, mine, urgency) in plans {
        let Some(i) = pick(incidents, team, min_age, &mut taken) else {
            continue;
        };
        let incident = &mut incidents[i];
        let assignee = if mine {
            me.clone()
        } else {
            incident
                .assignments
                .first()
                .map(|(u, _)| u.clone())
                .or_else(|| match &incident.last_status_change_by {
                    Agent::User(u) => Some(u.clone()),
                    Agent::Service(_) => None,
                })
                .or_else(|| assignee_at(data, &incident.escalation_policy_id, incident.created_at))
                .unwrap_or_else(|| me.clone())
        };
        if let Some(urgency) = urgency {
            incident.urgency = urgency.to_string();
        }
        reopen(data, incident, status, &assignee, now);
    }
}

/// Puts an incident back into an open state with a consistent history (its
/// timeline rewritten: triggered, assigned to `assignee`, acknowledged by them
/// four minutes later when `status` is acknowledged, its notes).
fn reopen(
    data: &Dataset,
    incident: &mut Incident,
    status: Status,
    assignee: &str,
    now: OffsetDateTime,
) {
    incident.status = status;
    incident.resolved_at = None;
    incident.assignments = vec![(assignee.to_string(), incident.created_at)];
    incident.acknowledgements.clear();
    incident.escalation_level = 1;
    for alert in &mut incident.alerts {
        alert.resolved = false;
    }
    match status {
        Status::Acknowledged => {
            let at = incident.created_at + Duration::seconds(240);
            incident.acknowledgements.push((assignee.to_string(), at));
            incident.last_status_change_at = at;
            incident.last_status_change_by = Agent::User(assignee.to_string());
        }
        _ => {
            incident.last_status_change_at = incident.created_at;
            incident.last_status_change_by = Agent::Service(incident.service_id.clone());
        }
    }
    let last_note = incident.notes.iter().map(|n| n.created_at).max();
    incident.updated_at = incident
        .last_status_change_at
        .max(last_note.unwrap_or(incident.created_at));
    let story = Story {
        assignee: assignee.to_string(),
        escalation: None,
        acknowledgement: incident
            .acknowledgements
            .first()
            .map(|(u, at)| (*at, u.clone())),
        resolution: None,
    };
    write_timeline(data, incident, &story, now);
}

/// What happened to an incident, from which its timeline is written.
struct Story {
    /// Whom the escalation policy's first level assigned it to, at trigger time.
    assignee: String,
    /// When it escalated to level 2, and to whom.
    escalation: Option<(OffsetDateTime, String)>,
    /// When it was acknowledged, and by whom.
    acknowledgement: Option<(OffsetDateTime, String)>,
    /// When it was resolved, and by whom.
    resolution: Option<(OffsetDateTime, Agent)>,
}

/// The first user a rule's targets reach at `t` (a user, or a schedule's on-call).
fn rule_user(
    data: &Dataset,
    rule: &crate::dataset::EscalationRule,
    t: OffsetDateTime,
) -> Option<String> {
    rule.targets.iter().find_map(|target| match target {
        Target::User(u) => Some(u.clone()),
        Target::Schedule(s) => data.schedule(s).and_then(|s| rotation::on_call_at(s, t)),
    })
}

/// The escalation of an incident still unacknowledged `acknowledged_at`: when the
/// first level's delay ran out before then, the time and the user the policy's
/// second level reaches (if it has one, with someone other than `assignee`).
fn escalation_before(
    data: &Dataset,
    incident: &Incident,
    assignee: &str,
    acknowledged_at: OffsetDateTime,
) -> Option<(OffsetDateTime, String)> {
    let policy = data.escalation_policy(&incident.escalation_policy_id)?;
    let first = policy.rules.first()?;
    let at = incident.created_at + Duration::minutes(i64::from(first.escalation_delay_in_minutes));
    if at >= acknowledged_at {
        return None;
    }
    let user = rule_user(data, policy.rules.get(1)?, at)?;
    (user != assignee).then_some((at, user))
}

/// How a user is first notified of an incident of `urgency`: the delay in
/// minutes and the method (`sms`, `email`, `phone`, `push_notification`) of
/// their earliest notification rule for that urgency.
fn first_notification(data: &Dataset, user_id: &str, urgency: &str) -> Option<(i64, String)> {
    let user = data.user(user_id)?;
    let rule = user
        .notification_rules
        .iter()
        .filter(|r| r.urgency == urgency)
        .min_by_key(|r| r.start_delay_in_minutes)?;
    let method = user
        .contact_methods
        .iter()
        .find(|c| c.id == rule.contact_method_id)?;
    let method = match method.kind {
        ContactKind::Email => "email",
        ContactKind::Phone => "phone",
        ContactKind::Sms => "sms",
        ContactKind::Push => "push_notification",
    };
    Some((i64::from(rule.start_delay_in_minutes), method.to_string()))
}

/// Rewrites the incident's timeline from its story, in time order: triggered
/// through the API, assigned by the escalation policy, the assignee notified
/// (unless they answered first), an escalation to level 2 with its
/// notification, the acknowledgement, a note entry per note, the resolution.
/// The trigger entry's ID is the incident's `first_trigger_log_entry_id`.
fn write_timeline(data: &Dataset, incident: &mut Incident, story: &Story, now: OffsetDateTime) {
    let service = Agent::Service(incident.service_id.clone());
    let created = incident.created_at;
    let answered = story
        .acknowledgement
        .as_ref()
        .map(|(at, _)| *at)
        .or(story.resolution.as_ref().map(|(at, _)| *at))
        .unwrap_or(now);
    let mut events: Vec<(OffsetDateTime, Agent, &str, LogKind)> = vec![
        (created, service.clone(), "api", LogKind::Trigger),
        (
            created,
            service.clone(),
            "auto",
            LogKind::Assign {
                user_ids: vec![story.assignee.clone()],
            },
        ),
    ];
    let notify = |events: &mut Vec<_>, user_id: &str, from: OffsetDateTime| {
        if let Some((delay, method)) = first_notification(data, user_id, &incident.urgency) {
            let at = from + Duration::minutes(delay);
            if at <= answered && at <= now {
                events.push((
                    at,
                    service.clone(),
                    "auto",
                    LogKind::Notify {
                        user_id: user_id.to_string(),
                        method,
                    },
                ));
            }
        }
    };
    notify(&mut events, &story.assignee, created);
    if let Some((at, user)) = &story.escalation {
        events.push((
            *at,
            service.clone(),
            "timeout",
            LogKind::Escalate {
                level: 2,
                user_ids: vec![user.clone()],
            },
        ));
        notify(&mut events, user, *at);
    }
    if let Some((at, user)) = &story.acknowledgement {
        events.push((
            *at,
            Agent::User(user.clone()),
            "website",
            LogKind::Acknowledge,
        ));
    }
    for note in &incident.notes {
        events.push((
            note.created_at,
            Agent::User(note.user_id.clone()),
            "note",
            LogKind::Annotate {
                note: note.content.clone(),
            },
        ));
    }
    if let Some((at, by)) = &story.resolution {
        let channel = match by {
            Agent::User(_) => "website",
            Agent::Service(_) => "api",
        };
        events.push((*at, by.clone(), channel, LogKind::Resolve));
    }
    // Stable: same-time entries keep the order above (trigger before assign ...).
    events.sort_by_key(|(at, ..)| *at);
    incident.log.clear();
    for (at, agent, channel, kind) in events {
        incident.log_event(at, agent, channel, kind);
    }
    if let Some(trigger) = incident.log.first_mut() {
        trigger.id = incident.first_trigger_log_entry_id.clone();
    }
}

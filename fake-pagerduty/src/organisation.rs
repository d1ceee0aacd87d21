//! The organisation's fixed tables (teams, people, schedules, escalation
//! policies, services and their dependencies, priorities), kept as data in
//! `data/organisation.json` rather than code, so the demo account can be read
//! and changed without reading the generator. Nothing in them depends on the
//! seed or on `now`.
//!
//! Each table's row type lives with its resource (e.g.
//! [`crate::resources::users::UserRow`]), which also turns the rows into
//! records; IDs are derived from names. Rows refer to each other by name (a
//! person's teams, a layer's users, a rule's targets, a service's policy); the
//! tests below check that every name resolves.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::resources::business_services::BusinessServiceRow;
use crate::resources::escalation_policies::PolicyRow;
use crate::resources::priorities::PriorityRow;
use crate::resources::schedules::ScheduleRow;
use crate::resources::services::{DependencyRow, ServiceRow};
use crate::resources::teams::TeamRow;
use crate::resources::users::UserRow;

/// The tables of `data/organisation.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// Teams, in creation order.
    pub teams: Vec<TeamRow>,
    /// People; the first one is the current user (the user of the user-level
    /// tokens, [`crate::CURRENT_USER_ID`]).
    pub users: Vec<UserRow>,
    /// On-call schedules.
    pub schedules: Vec<ScheduleRow>,
    /// Escalation policies.
    pub escalation_policies: Vec<PolicyRow>,
    /// Technical services, with what the incident history draws from.
    pub services: Vec<ServiceRow>,
    /// Which service depends on which (for related incidents).
    pub service_dependencies: Vec<DependencyRow>,
    /// Business services, with the services that support them.
    pub business_services: Vec<BusinessServiceRow>,
    /// Incident priorities, highest first.
    pub priorities: Vec<PriorityRow>,
}

/// The organisation, parsed once from the file compiled into the crate.
pub fn organisation() -> &'static Organisation {
    static ORGANISATION: OnceLock<Organisation> = OnceLock::new();
    ORGANISATION.get_or_init(|| {
        serde_json::from_str(include_str!("../data/organisation.json"))
            .expect("data/organisation.json matches the Organisation tables (checked by tests)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::escalation_policies::TargetRow;

    #[test]
    fn the_file_parses() {
        let org = organisation();
        assert_eq!(org.teams.len(), 6);
        assert_eq!(org.users.len(), 30);
        assert_eq!(org.users[0].name, "Alex Rivera");
    }

    #[test]
    fn every_name_resolves() {
        let org = organisation();
        let team = |name: &str| assert!(org.teams.iter().any(|t| t.name == name), "team {name}");
        let user = |name: &str| assert!(org.users.iter().any(|u| u.name == name), "user {name}");
        let schedule = |name: &str| {
            assert!(
                org.schedules.iter().any(|s| s.name == name),
                "schedule {name}"
            )
        };
        let policy = |name: &str| {
            assert!(
                org.escalation_policies.iter().any(|p| p.name == name),
                "escalation policy {name}"
            )
        };
        let service = |name: &str| {
            assert!(
                org.services.iter().any(|s| s.name == name),
                "service {name}"
            )
        };
        for u in &org.users {
            u.teams.iter().for_each(|m| team(&m.team));
        }
        for s in &org.schedules {
            s.teams.iter().for_each(|t| team(t));
            for l in &s.layers {
                assert!(!l.users.is_empty() && l.turn_hours > 0, "layer {}", l.name);
                l.users.iter().for_each(|u| user(u));
                for r in &l.restrictions {
                    assert!(r.day_of_week.is_none_or(|d| (1..=7).contains(&d)));
                }
            }
            for o in &s.overrides {
                user(&o.user);
                assert!(o.hours > 0, "override of {} in {}", o.user, s.name);
            }
        }
        for p in &org.escalation_policies {
            team(&p.team);
            for target in p.rules.iter().flat_map(|r| &r.targets) {
                match target {
                    TargetRow::Schedule(s) => schedule(s),
                    TargetRow::User(u) => user(u),
                }
            }
        }
        for s in &org.services {
            s.teams.iter().for_each(|t| team(t));
            policy(&s.escalation_policy);
            assert!(!s.incident_titles.is_empty() && !s.hosts.is_empty());
        }
        for d in &org.service_dependencies {
            service(&d.dependent);
            service(&d.supporting);
        }
        for b in &org.business_services {
            team(&b.team);
            user(&b.point_of_contact);
            b.supporting_services.iter().for_each(|s| service(s));
            for s in &b.supporting_business_services {
                assert!(
                    org.business_services.iter().any(|o| o.name == *s),
                    "business service {s}"
                );
            }
        }
    }

    #[test]
    fn names_are_unique() {
        fn unique<'a>(kind: &str, names: impl Iterator<Item = &'a String>) {
            let mut seen: Vec<&String> = Vec::new();
            for n in names {
                assert!(!seen.contains(&n), "two {kind} named {n}");
                seen.push(n);
            }
        }
        let org = organisation();
        unique("teams", org.teams.iter().map(|t| &t.name));
        unique("users", org.users.iter().map(|u| &u.name));
        unique("schedules", org.schedules.iter().map(|s| &s.name));
        unique("policies", org.escalation_policies.iter().map(|p| &p.name));
        unique("services", org.services.iter().map(|s| &s.name));
        unique(
            "business services",
            org.business_services.iter().map(|b| &b.name),
        );
        unique("priorities", org.priorities.iter().map(|p| &p.name));
    }
}

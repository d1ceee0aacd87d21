//! Stable IDs of the fixed organisation (they do not depend on the seed or on `now`),
//! two incidents of the default dataset that documentation examples use, and two
//! schedule overrides.
//!
//! Incident IDs depend on the seed and the clock: apart from the `EXAMPLE_*`
//! ones, find them through [`crate::Dataset`] accessors. The tests below check
//! every constant against the generated data, including the name and email its
//! doc comment gives.

/// Team "Data".
pub const TEAM_DATA: &str = "PHBIEBV";
/// Team "Mobile".
pub const TEAM_MOBILE: &str = "P5PWDPT";
/// Team "Payments".
pub const TEAM_PAYMENTS: &str = "PU3513M";
/// Team "Platform".
pub const TEAM_PLATFORM: &str = "PD9Q2HX";
/// Team "Security".
pub const TEAM_SECURITY: &str = "P1JZTVO";
/// Team "Support".
pub const TEAM_SUPPORT: &str = "PLPCAIK";

/// Service "Analytics Warehouse".
pub const SERVICE_ANALYTICS_WAREHOUSE: &str = "PJIDHOI";
/// Service "API Gateway".
pub const SERVICE_API_GATEWAY: &str = "PLA4VTH";
/// Service "Billing Worker".
pub const SERVICE_BILLING_WORKER: &str = "PBZQ1S0";
/// Service "Checkout Web".
pub const SERVICE_CHECKOUT_WEB: &str = "P3T2B4B";
/// Service "CI/CD Pipeline".
pub const SERVICE_CI_CD_PIPELINE: &str = "PCVELH0";
/// Service "Data Pipeline".
pub const SERVICE_DATA_PIPELINE: &str = "PO17OGZ";
/// Service "Identity Provider".
pub const SERVICE_IDENTITY_PROVIDER: &str = "PB8A1JC";
/// Service "Kubernetes Platform".
pub const SERVICE_KUBERNETES_PLATFORM: &str = "P2IYC53";
/// Service "Mobile Backend".
pub const SERVICE_MOBILE_BACKEND: &str = "P0N8HKL";
/// Service "Payments API".
pub const SERVICE_PAYMENTS_API: &str = "PEU07SP";
/// Service "Push Notifications".
pub const SERVICE_PUSH_NOTIFICATIONS: &str = "PID3I3T";
/// Service "Support Portal".
pub const SERVICE_SUPPORT_PORTAL: &str = "P4KJZEE";

/// Escalation policy "Checkout Critical".
pub const POLICY_CHECKOUT_CRITICAL: &str = "P83V9TC";
/// Escalation policy "Data Pipeline Escalation".
pub const POLICY_DATA_PIPELINE_ESCALATION: &str = "PNDZLYO";
/// Escalation policy "Infrastructure Critical".
pub const POLICY_INFRASTRUCTURE_CRITICAL: &str = "PGRL7OW";
/// Escalation policy "Mobile On-Call".
pub const POLICY_MOBILE_ON_CALL: &str = "PWU0NQQ";
/// Escalation policy "Payments On-Call".
pub const POLICY_PAYMENTS_ON_CALL: &str = "P8YBVHX";
/// Escalation policy "Platform On-Call".
pub const POLICY_PLATFORM_ON_CALL: &str = "PTC3CDO";
/// Escalation policy "Security Incident Response".
pub const POLICY_SECURITY_INCIDENT_RESPONSE: &str = "P57LKNK";
/// Escalation policy "Support Escalation".
pub const POLICY_SUPPORT_ESCALATION: &str = "P57MR5O";

/// Schedule "Data Engineering".
pub const SCHEDULE_DATA_ENGINEERING: &str = "PS3FIFQ";
/// Schedule "Mobile On-Call".
pub const SCHEDULE_MOBILE_ON_CALL: &str = "P2GZBC9";
/// Schedule "Payments Primary".
pub const SCHEDULE_PAYMENTS_PRIMARY: &str = "P3K877Z";
/// Schedule "Payments Secondary".
pub const SCHEDULE_PAYMENTS_SECONDARY: &str = "PVNUFAM";
/// Schedule "Platform Primary".
pub const SCHEDULE_PLATFORM_PRIMARY: &str = "PKQVRRY";
/// Schedule "Platform Secondary".
pub const SCHEDULE_PLATFORM_SECONDARY: &str = "PXXEGQZ";
/// Schedule "Security Response".
pub const SCHEDULE_SECURITY_RESPONSE: &str = "PX95DW5";
/// Schedule "Support Business Hours".
pub const SCHEDULE_SUPPORT_BUSINESS_HOURS: &str = "PT9B48Z";

/// User Aisha Khan <aisha.khan@example.com> (Payments).
pub const USER_AISHA_KHAN: &str = "PBQUMKU";
/// User Ben Carter <ben.carter@example.com> (no team).
pub const USER_BEN_CARTER: &str = "PS2X5LJ";
/// User Chloe Martin <chloe.martin@example.com> (Mobile).
pub const USER_CHLOE_MARTIN: &str = "PUIE93B";
/// User Daniel Novak <daniel.novak@example.com> (Payments).
pub const USER_DANIEL_NOVAK: &str = "PDQT8GF";
/// User Diego Fernandez <diego.fernandez@example.com> (Support).
pub const USER_DIEGO_FERNANDEZ: &str = "PXJ0AJN";
/// User Emma Johansson <emma.johansson@example.com> (Payments).
pub const USER_EMMA_JOHANSSON: &str = "PZ9HK3M";
/// User Ethan Park <ethan.park@example.com> (Data).
pub const USER_ETHAN_PARK: &str = "PNH1M9G";
/// User Grace Liu <grace.liu@example.com> (Security).
pub const USER_GRACE_LIU: &str = "PP2ITO8";
/// User Hannah Okafor <hannah.okafor@example.com> (Platform).
pub const USER_HANNAH_OKAFOR: &str = "PWWEHPI";
/// User Isabel Costa <isabel.costa@example.com> (Security).
pub const USER_ISABEL_COSTA: &str = "PXTLDUQ";
/// User Jordan Lee <jordan.lee@example.com> (Payments).
pub const USER_JORDAN_LEE: &str = "PNW0TOG";
/// User Kenji Sato <kenji.sato@example.com> (Mobile).
pub const USER_KENJI_SATO: &str = "PEE8LOG";
/// User Laura Fischer <laura.fischer@example.com> (Data).
pub const USER_LAURA_FISCHER: &str = "PJ3H3LM";
/// User Lukas Schmidt <lukas.schmidt@example.com> (Platform, Security).
pub const USER_LUKAS_SCHMIDT: &str = "PZ7TIL5";
/// User Marcus Chen <marcus.chen@example.com> (Platform).
pub const USER_MARCUS_CHEN: &str = "PD6TBSU";
/// User Mateo Rossi <mateo.rossi@example.com> (Mobile).
pub const USER_MATEO_ROSSI: &str = "P1DX1ZA";
/// User Mei Tanaka <mei.tanaka@example.com> (Support).
pub const USER_MEI_TANAKA: &str = "PDSZVFK";
/// User Nina Petrova <nina.petrova@example.com> (Mobile).
pub const USER_NINA_PETROVA: &str = "PAVWZKY";
/// User Noah Wilson <noah.wilson@example.com> (Support).
pub const USER_NOAH_WILSON: &str = "P02ODKW";
/// User Olivia Brown <olivia.brown@example.com> (Mobile).
pub const USER_OLIVIA_BROWN: &str = "PNTCTIS";
/// User Omar Haddad <omar.haddad@example.com> (Security).
pub const USER_OMAR_HADDAD: &str = "PH1M5ZH";
/// User Priya Natarajan <priya.natarajan@example.com> (Platform).
pub const USER_PRIYA_NATARAJAN: &str = "PGDTHUV";
/// User Ravi Menon <ravi.menon@example.com> (Payments).
pub const USER_RAVI_MENON: &str = "PNTKRNX";
/// User Samuel Adeyemi <samuel.adeyemi@example.com> (Data).
pub const USER_SAMUEL_ADEYEMI: &str = "PC0A5OR";
/// User Sarah Cohen <sarah.cohen@example.com> (Support).
pub const USER_SARAH_COHEN: &str = "P0MGY62";
/// User Sofia Alvarez <sofia.alvarez@example.com> (Platform).
pub const USER_SOFIA_ALVAREZ: &str = "PNAS2ML";
/// User Tom Becker <tom.becker@example.com> (Platform, Data).
pub const USER_TOM_BECKER: &str = "PB7RCOH";
/// User Victoria Hayes <victoria.hayes@example.com> (no team).
pub const USER_VICTORIA_HAYES: &str = "PHD2FGT";
/// User Zoe Williams <zoe.williams@example.com> (Data).
pub const USER_ZOE_WILLIAMS: &str = "P798LWX";

/// An open incident of one of the current user's teams, with [`crate::DEFAULT_SEED`]
/// at the docs clock 2026-01-15T12:00:00Z: the first of
/// `open_incidents_of_teams(<the current user's teams>)`.
pub const EXAMPLE_OPEN_INCIDENT: &str = "QTBXG4Z08QBJTG";
/// An incident with notes, with [`crate::DEFAULT_SEED`] at the docs clock
/// 2026-01-15T12:00:00Z: the first of `incidents_with_notes()`.
pub const EXAMPLE_INCIDENT_WITH_NOTES: &str = "QEHRFKH9ABCOUI";
/// The override of "Platform Secondary" in progress at any clock (started in
/// the hour three hours before `now`, 12 hours long; override IDs depend only on
/// the schedule and the override's place in its table).
pub const EXAMPLE_ONGOING_OVERRIDE: &str = "Q9TNNP6PITP7CO";
/// The future override of "Platform Secondary" (two days after the hour `now`
/// is in, 24 hours long).
pub const EXAMPLE_FUTURE_OVERRIDE: &str = "Q8L3ZQ4Z0BQXN1";

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::{CURRENT_USER_EMAIL, CURRENT_USER_ID, DEFAULT_SEED, Dataset};

    /// The clock the documentation examples (`pagerduty-mcp tools --markdown`) run at.
    const DOCS_CLOCK: time::OffsetDateTime = datetime!(2026-01-15 12:00 UTC);

    /// A constant of this file: its name, its value and its doc comment.
    struct Documented {
        name: String,
        value: String,
        doc: String,
    }

    /// Every `pub const` of this file with the doc comment above it, read from
    /// the source so that a constant added later is checked too.
    fn documented_constants() -> Vec<Documented> {
        let source = include_str!("ids.rs");
        let source = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
        let mut out = Vec::new();
        let mut doc: Vec<&str> = Vec::new();
        for line in source.lines() {
            if let Some(text) = line.strip_prefix("///") {
                doc.push(text.trim());
            } else if let Some(rest) = line.strip_prefix("pub const ") {
                let (name, value) = rest
                    .split_once(": &str = \"")
                    .unwrap_or_else(|| panic!("unexpected constant: {line}"));
                out.push(Documented {
                    name: name.to_string(),
                    value: value.trim_end_matches("\";").to_string(),
                    doc: doc.join(" "),
                });
                doc.clear();
            } else {
                doc.clear();
            }
        }
        out
    }

    /// `Platform On-Call` -> `PLATFORM_ON_CALL`.
    fn constant_case(name: &str) -> String {
        name.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_uppercase)
            .collect::<Vec<_>>()
            .join("_")
    }

    #[test]
    fn every_constant_names_what_its_doc_says() {
        let data = Dataset::generate(DEFAULT_SEED, DOCS_CLOCK);
        let constants = documented_constants();
        let mut checked = 0;
        for c in &constants {
            let (prefix, rest) = c.name.split_once('_').unwrap_or((&c.name, ""));
            let (kind, expected_name) = match prefix {
                "TEAM" => ("Team", data.team(&c.value).map(|t| &t.name)),
                "SERVICE" => ("Service", data.service(&c.value).map(|s| &s.name)),
                "POLICY" => (
                    "Escalation policy",
                    data.escalation_policy(&c.value).map(|p| &p.name),
                ),
                "SCHEDULE" => ("Schedule", data.schedule(&c.value).map(|s| &s.name)),
                "USER" => ("User", data.user(&c.value).map(|u| &u.name)),
                "EXAMPLE" => continue,
                _ => panic!("{}: a constant of an unknown kind", c.name),
            };
            let name =
                expected_name.unwrap_or_else(|| panic!("{} = {}: no such {kind}", c.name, c.value));
            assert_eq!(
                rest,
                constant_case(name),
                "{}: the name should say what it is",
                c.name
            );
            if kind == "User" {
                let user = data.user(&c.value).expect("checked above");
                let teams: Vec<&str> = data
                    .teams_of_user(&user.id)
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect();
                let teams = if teams.is_empty() {
                    "no team".to_string()
                } else {
                    teams.join(", ")
                };
                assert_eq!(
                    c.doc,
                    format!("User {name} <{}> ({teams}).", user.email),
                    "{}",
                    c.name
                );
            } else {
                assert_eq!(c.doc, format!("{kind} \"{name}\"."), "{}", c.name);
            }
            checked += 1;
        }
        // Everything fixed has a constant (the current user's is in the crate root).
        let named = |id: &String| constants.iter().any(|c| &c.value == id);
        assert!(data.teams.iter().all(|t| named(&t.id)));
        assert!(data.services.iter().all(|s| named(&s.id)));
        assert!(data.escalation_policies.iter().all(|p| named(&p.id)));
        assert!(data.schedules.iter().all(|s| named(&s.id)));
        assert!(
            data.users
                .iter()
                .all(|u| named(&u.id) || u.id == CURRENT_USER_ID)
        );
        assert_eq!(checked, 6 + 12 + 8 + 8 + 29);
        assert_eq!(data.current_user().email, CURRENT_USER_EMAIL);
    }

    #[test]
    fn ids_do_not_depend_on_the_seed_or_the_clock() {
        let ids = |d: &Dataset| {
            let mut ids: Vec<String> = Vec::new();
            ids.extend(d.teams.iter().map(|t| t.id.clone()));
            ids.extend(d.users.iter().map(|u| u.id.clone()));
            ids.extend(d.services.iter().map(|s| s.id.clone()));
            ids.extend(d.escalation_policies.iter().map(|p| p.id.clone()));
            ids.extend(d.schedules.iter().map(|s| s.id.clone()));
            ids
        };
        assert_eq!(
            ids(&Dataset::generate(DEFAULT_SEED, DOCS_CLOCK)),
            ids(&Dataset::generate(7, datetime!(2027-06-30 23:59 +02:00)))
        );
    }

    #[test]
    fn examples_hold_for_the_default_seed_at_the_docs_clock() {
        let data = Dataset::generate(DEFAULT_SEED, DOCS_CLOCK);
        let my_teams: Vec<String> = data
            .teams_of_user(CURRENT_USER_ID)
            .iter()
            .map(|t| t.id.clone())
            .collect();

        let open = data.incident(EXAMPLE_OPEN_INCIDENT).expect("generated");
        assert!(open.status.is_open());
        assert!(open.team_ids.iter().any(|t| my_teams.contains(t)));
        assert_eq!(
            data.open_incidents_of_teams(&my_teams)[0].id,
            EXAMPLE_OPEN_INCIDENT
        );

        let overrides = &data
            .schedule(SCHEDULE_PLATFORM_SECONDARY)
            .expect("generated")
            .overrides;
        let now = DOCS_CLOCK;
        let ongoing = overrides.iter().find(|o| o.id == EXAMPLE_ONGOING_OVERRIDE);
        assert!(ongoing.is_some_and(|o| o.start <= now && now < o.end));
        let future = overrides.iter().find(|o| o.id == EXAMPLE_FUTURE_OVERRIDE);
        assert!(future.is_some_and(|o| o.start > now));

        let with_notes = data
            .incident(EXAMPLE_INCIDENT_WITH_NOTES)
            .expect("generated");
        assert!(!with_notes.notes.is_empty());
        assert_eq!(
            data.incidents_with_notes()[0].id,
            EXAMPLE_INCIDENT_WITH_NOTES
        );
    }
}

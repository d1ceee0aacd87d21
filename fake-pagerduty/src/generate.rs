//! Deterministic generation of the demo account.
//!
//! The organisation (teams, users, services, escalation policies, schedules) is
//! fixed, with IDs that depend only on names, so tests can rely on them. The
//! incident history (about 300 incidents over the last 8 weeks, their alerts,
//! notes, acknowledgements) is drawn from the seed, relative to `now`.

use time::{Duration, OffsetDateTime, PrimitiveDateTime, Time, Weekday};

use crate::dataset::*;
use crate::rng::{Rng, fnv1a, pd_id, stable_id};
use crate::schedule;
use crate::tz::Zone;

/// How many incidents are generated.
pub const INCIDENT_COUNT: usize = 300;
/// How far back the incident history goes.
pub const HISTORY_DAYS: i64 = 56;
/// The first incident number.
const FIRST_INCIDENT_NUMBER: u64 = 1001;

/// (name, time zone, role, job title, teams as (team name, team role)).
type UserRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const TEAMS: &[(&str, &str)] = &[
    (
        "Platform",
        "Runs the Kubernetes platform, the API gateway and CI/CD.",
    ),
    ("Payments", "Owns checkout, the payments API and billing."),
    (
        "Mobile",
        "Builds the iOS and Android apps and their backend.",
    ),
    ("Data", "Data pipeline, warehouse and analytics."),
    (
        "Security",
        "Identity, access and security incident response.",
    ),
    (
        "Support",
        "Customer support tooling and the support portal.",
    ),
];

/// The first row is the current user (see [`crate::CURRENT_USER_ID`]).
const USERS: &[UserRow] = &[
    (
        "Alex Rivera",
        "America/New_York",
        "admin",
        "Senior Site Reliability Engineer",
        &[("Platform", "responder"), ("Payments", "responder")],
    ),
    (
        "Priya Natarajan",
        "America/New_York",
        "admin",
        "Engineering Manager, Platform",
        &[("Platform", "manager")],
    ),
    (
        "Marcus Chen",
        "America/Los_Angeles",
        "user",
        "Site Reliability Engineer",
        &[("Platform", "responder")],
    ),
    (
        "Sofia Alvarez",
        "America/Chicago",
        "user",
        "Infrastructure Engineer",
        &[("Platform", "responder")],
    ),
    (
        "Tom Becker",
        "Europe/Berlin",
        "user",
        "Platform Engineer",
        &[("Platform", "responder"), ("Data", "responder")],
    ),
    (
        "Hannah Okafor",
        "Europe/London",
        "user",
        "Site Reliability Engineer",
        &[("Platform", "responder")],
    ),
    (
        "Lukas Schmidt",
        "Europe/Berlin",
        "user",
        "DevSecOps Engineer",
        &[("Platform", "responder"), ("Security", "responder")],
    ),
    (
        "Jordan Lee",
        "Europe/London",
        "admin",
        "Engineering Manager, Payments",
        &[("Payments", "manager")],
    ),
    (
        "Aisha Khan",
        "Europe/London",
        "user",
        "Backend Engineer",
        &[("Payments", "responder")],
    ),
    (
        "Daniel Novak",
        "Europe/Warsaw",
        "user",
        "Backend Engineer",
        &[("Payments", "responder")],
    ),
    (
        "Emma Johansson",
        "Europe/Stockholm",
        "user",
        "Senior Backend Engineer",
        &[("Payments", "responder")],
    ),
    (
        "Ravi Menon",
        "Asia/Kolkata",
        "limited_user",
        "Payments Operations Engineer",
        &[("Payments", "responder")],
    ),
    (
        "Chloe Martin",
        "America/Los_Angeles",
        "admin",
        "Engineering Manager, Mobile",
        &[("Mobile", "manager")],
    ),
    (
        "Kenji Sato",
        "Asia/Tokyo",
        "user",
        "iOS Engineer",
        &[("Mobile", "responder")],
    ),
    (
        "Olivia Brown",
        "America/Los_Angeles",
        "user",
        "Android Engineer",
        &[("Mobile", "responder")],
    ),
    (
        "Mateo Rossi",
        "Europe/Paris",
        "user",
        "Mobile Backend Engineer",
        &[("Mobile", "responder")],
    ),
    (
        "Nina Petrova",
        "Europe/Amsterdam",
        "user",
        "Mobile Backend Engineer",
        &[("Mobile", "responder")],
    ),
    (
        "Samuel Adeyemi",
        "Europe/London",
        "admin",
        "Data Engineering Lead",
        &[("Data", "manager")],
    ),
    (
        "Laura Fischer",
        "Europe/Berlin",
        "user",
        "Data Engineer",
        &[("Data", "responder")],
    ),
    (
        "Ethan Park",
        "America/New_York",
        "user",
        "Analytics Engineer",
        &[("Data", "responder")],
    ),
    (
        "Zoe Williams",
        "Australia/Sydney",
        "user",
        "Data Engineer",
        &[("Data", "responder")],
    ),
    (
        "Grace Liu",
        "America/Los_Angeles",
        "admin",
        "Security Engineering Manager",
        &[("Security", "manager")],
    ),
    (
        "Omar Haddad",
        "Asia/Dubai",
        "user",
        "Security Engineer",
        &[("Security", "responder")],
    ),
    (
        "Isabel Costa",
        "Europe/Lisbon",
        "user",
        "Identity Engineer",
        &[("Security", "responder")],
    ),
    (
        "Diego Fernandez",
        "America/Chicago",
        "user",
        "Support Engineering Lead",
        &[("Support", "manager")],
    ),
    (
        "Mei Tanaka",
        "America/Chicago",
        "limited_user",
        "Support Engineer",
        &[("Support", "responder")],
    ),
    (
        "Noah Wilson",
        "America/Denver",
        "limited_user",
        "Support Engineer",
        &[("Support", "responder")],
    ),
    (
        "Sarah Cohen",
        "America/New_York",
        "limited_user",
        "Support Engineer",
        &[("Support", "observer")],
    ),
    (
        "Victoria Hayes",
        "America/New_York",
        "owner",
        "VP of Engineering",
        &[],
    ),
    (
        "Ben Carter",
        "America/Chicago",
        "observer",
        "Finance Analyst",
        &[],
    ),
];

const COLORS: &[&str] = &[
    "green",
    "red",
    "purple",
    "teal",
    "orange",
    "dark-slate-blue",
    "cayenne",
    "blue",
    "turquoise",
    "violet",
];

/// (name, time zone, teams, layers: (layer name, users, turn hours, restrictions)).
struct ScheduleRow {
    name: &'static str,
    description: &'static str,
    time_zone: &'static str,
    teams: &'static [&'static str],
    layers: &'static [LayerRow],
}

struct LayerRow {
    name: &'static str,
    users: &'static [&'static str],
    turn_hours: i64,
    /// (ISO weekday or 0 for daily, start hour, duration hours)
    restrictions: &'static [(u8, u32, u32)],
}

const SCHEDULES: &[ScheduleRow] = &[
    ScheduleRow {
        name: "Platform Primary",
        description: "Primary on-call for the Platform team. Weekly handoff on Monday 10:00 New York time.",
        time_zone: "America/New_York",
        teams: &["Platform"],
        layers: &[
            LayerRow {
                name: "Weekend cover",
                users: &["Hannah Okafor", "Tom Becker"],
                turn_hours: 168,
                restrictions: &[(6, 0, 48)],
            },
            LayerRow {
                name: "Weekly rotation",
                users: &[
                    "Alex Rivera",
                    "Marcus Chen",
                    "Sofia Alvarez",
                    "Tom Becker",
                    "Hannah Okafor",
                ],
                turn_hours: 168,
                restrictions: &[],
            },
        ],
    },
    ScheduleRow {
        name: "Platform Secondary",
        description: "Secondary on-call for the Platform team.",
        time_zone: "America/New_York",
        teams: &["Platform"],
        layers: &[LayerRow {
            name: "Weekly rotation",
            users: &[
                "Lukas Schmidt",
                "Marcus Chen",
                "Priya Natarajan",
                "Alex Rivera",
            ],
            turn_hours: 168,
            restrictions: &[],
        }],
    },
    ScheduleRow {
        name: "Payments Primary",
        description: "Primary on-call for checkout, payments and billing.",
        time_zone: "Europe/London",
        teams: &["Payments"],
        layers: &[LayerRow {
            name: "Weekly rotation",
            users: &[
                "Aisha Khan",
                "Daniel Novak",
                "Alex Rivera",
                "Emma Johansson",
                "Ravi Menon",
                "Jordan Lee",
            ],
            turn_hours: 168,
            restrictions: &[],
        }],
    },
    ScheduleRow {
        name: "Payments Secondary",
        description: "Secondary on-call for the Payments team.",
        time_zone: "Europe/London",
        teams: &["Payments"],
        layers: &[LayerRow {
            name: "Weekly rotation",
            users: &["Ravi Menon", "Jordan Lee", "Aisha Khan", "Emma Johansson"],
            turn_hours: 168,
            restrictions: &[],
        }],
    },
    ScheduleRow {
        name: "Mobile On-Call",
        description: "Daily rotation for the mobile backend.",
        time_zone: "America/Los_Angeles",
        teams: &["Mobile"],
        layers: &[LayerRow {
            name: "Daily rotation",
            users: &[
                "Kenji Sato",
                "Olivia Brown",
                "Mateo Rossi",
                "Nina Petrova",
                "Chloe Martin",
            ],
            turn_hours: 24,
            restrictions: &[],
        }],
    },
    ScheduleRow {
        name: "Data Engineering",
        description: "Weekly on-call for the data pipeline and warehouse.",
        time_zone: "Europe/Berlin",
        teams: &["Data"],
        layers: &[LayerRow {
            name: "Weekly rotation",
            users: &[
                "Laura Fischer",
                "Ethan Park",
                "Zoe Williams",
                "Tom Becker",
                "Samuel Adeyemi",
            ],
            turn_hours: 168,
            restrictions: &[],
        }],
    },
    ScheduleRow {
        name: "Security Response",
        description: "Security incident response rotation.",
        time_zone: "UTC",
        teams: &["Security"],
        layers: &[LayerRow {
            name: "Weekly rotation",
            users: &["Omar Haddad", "Isabel Costa", "Lukas Schmidt", "Grace Liu"],
            turn_hours: 168,
            restrictions: &[],
        }],
    },
    ScheduleRow {
        name: "Support Business Hours",
        description: "Support engineers on call during business hours (Mon-Fri 09:00-17:00 Chicago).",
        time_zone: "America/Chicago",
        teams: &["Support"],
        layers: &[LayerRow {
            name: "Business hours",
            users: &[
                "Mei Tanaka",
                "Noah Wilson",
                "Sarah Cohen",
                "Diego Fernandez",
            ],
            turn_hours: 24,
            restrictions: &[(1, 9, 8), (2, 9, 8), (3, 9, 8), (4, 9, 8), (5, 9, 8)],
        }],
    },
];

/// A rule target in the tables below: a schedule or a user, by name.
enum T {
    S(&'static str),
    U(&'static str),
}

struct PolicyRow {
    name: &'static str,
    description: &'static str,
    team: &'static str,
    num_loops: u32,
    rules: &'static [(u32, &'static [T])],
}

const POLICIES: &[PolicyRow] = &[
    PolicyRow {
        name: "Platform On-Call",
        description: "Platform primary, then secondary, then the Platform manager.",
        team: "Platform",
        num_loops: 1,
        rules: &[
            (30, &[T::S("Platform Primary")]),
            (30, &[T::S("Platform Secondary")]),
            (30, &[T::U("Priya Natarajan")]),
        ],
    },
    PolicyRow {
        name: "Infrastructure Critical",
        description: "Customer-facing infrastructure: fast escalation.",
        team: "Platform",
        num_loops: 2,
        rules: &[
            (10, &[T::S("Platform Primary")]),
            (15, &[T::U("Alex Rivera"), T::U("Priya Natarajan")]),
            (15, &[T::U("Victoria Hayes")]),
        ],
    },
    PolicyRow {
        name: "Payments On-Call",
        description: "Payments primary, then secondary, then the Payments manager.",
        team: "Payments",
        num_loops: 1,
        rules: &[
            (30, &[T::S("Payments Primary")]),
            (30, &[T::S("Payments Secondary")]),
            (30, &[T::U("Jordan Lee")]),
        ],
    },
    PolicyRow {
        name: "Checkout Critical",
        description: "Checkout and payment authorisation: page both rotations at once.",
        team: "Payments",
        num_loops: 2,
        rules: &[
            (10, &[T::S("Payments Primary"), T::S("Payments Secondary")]),
            (15, &[T::U("Jordan Lee")]),
            (15, &[T::U("Victoria Hayes")]),
        ],
    },
    PolicyRow {
        name: "Mobile On-Call",
        description: "Mobile backend on-call, then the Mobile manager.",
        team: "Mobile",
        num_loops: 0,
        rules: &[
            (30, &[T::S("Mobile On-Call")]),
            (30, &[T::U("Chloe Martin")]),
        ],
    },
    PolicyRow {
        name: "Data Pipeline Escalation",
        description: "Data on-call, then the data engineering lead.",
        team: "Data",
        num_loops: 0,
        rules: &[
            (30, &[T::S("Data Engineering")]),
            (60, &[T::U("Samuel Adeyemi")]),
        ],
    },
    PolicyRow {
        name: "Security Incident Response",
        description: "Security rotation, then the security manager, then the VP.",
        team: "Security",
        num_loops: 1,
        rules: &[
            (15, &[T::S("Security Response")]),
            (15, &[T::U("Grace Liu")]),
            (30, &[T::U("Victoria Hayes")]),
        ],
    },
    PolicyRow {
        name: "Support Escalation",
        description: "Support engineers in business hours, the support lead otherwise.",
        team: "Support",
        num_loops: 0,
        rules: &[
            (60, &[T::S("Support Business Hours")]),
            (60, &[T::U("Diego Fernandez")]),
        ],
    },
];

struct ServiceRow {
    name: &'static str,
    description: &'static str,
    teams: &'static [&'static str],
    policy: &'static str,
    urgency: &'static str,
    /// Relative share of the incident history.
    weight: u64,
    titles: &'static [&'static str],
    hosts: &'static [&'static str],
}

const SERVICES: &[ServiceRow] = &[
    ServiceRow {
        name: "API Gateway",
        description: "Public edge for all customer API traffic (Envoy).",
        teams: &["Platform"],
        policy: "Infrastructure Critical",
        urgency: "high",
        weight: 14,
        titles: &[
            "High 5xx error rate on api-gateway",
            "p99 latency above 2s on /v1/orders",
            "TLS certificate for api.example.com expires in 7 days",
            "Upstream connect errors to orders-service",
        ],
        hosts: &["edge-1.use1", "edge-2.use1", "edge-1.euw1"],
    },
    ServiceRow {
        name: "Kubernetes Platform",
        description: "Production Kubernetes clusters (prod-use1, prod-euw1).",
        teams: &["Platform"],
        policy: "Platform On-Call",
        urgency: "high",
        weight: 10,
        titles: &[
            "Node NotReady in prod-use1",
            "Pods CrashLoopBackOff in namespace checkout",
            "etcd leader elections above threshold",
            "Cluster autoscaler failed to scale up",
        ],
        hosts: &["prod-use1", "prod-euw1"],
    },
    ServiceRow {
        name: "CI/CD Pipeline",
        description: "Build and deploy pipelines.",
        teams: &["Platform"],
        policy: "Platform On-Call",
        urgency: "low",
        weight: 5,
        titles: &[
            "Deploy pipeline stuck for more than 30 minutes",
            "Build runners queue depth above 50",
            "Artifact registry disk usage above 85%",
        ],
        hosts: &["runner-pool-a", "registry-1"],
    },
    ServiceRow {
        name: "Payments API",
        description: "Card authorisation and capture.",
        teams: &["Payments"],
        policy: "Checkout Critical",
        urgency: "high",
        weight: 12,
        titles: &[
            "Payment authorisation failure rate above 5%",
            "Stripe webhook backlog growing",
            "Elevated latency calling card processor",
            "Database connection pool exhausted on payments-db",
        ],
        hosts: &["payments-api-1", "payments-api-2", "payments-db-primary"],
    },
    ServiceRow {
        name: "Billing Worker",
        description: "Invoice generation and subscription renewals.",
        teams: &["Payments"],
        policy: "Payments On-Call",
        urgency: "severity_based",
        weight: 6,
        titles: &[
            "Invoice job failed for batch",
            "Subscription renewal queue lag above 15 minutes",
            "Dead letter queue not empty: billing-events",
        ],
        hosts: &["billing-worker-1", "billing-worker-2"],
    },
    ServiceRow {
        name: "Checkout Web",
        description: "The web checkout flow.",
        teams: &["Payments", "Mobile"],
        policy: "Checkout Critical",
        urgency: "high",
        weight: 8,
        titles: &[
            "Checkout conversion dropped 30% below baseline",
            "JavaScript error rate spike on /checkout",
            "Synthetic checkout test failing",
        ],
        hosts: &["checkout-web", "synthetics"],
    },
    ServiceRow {
        name: "Mobile Backend",
        description: "Backend-for-frontend serving the iOS and Android apps.",
        teams: &["Mobile"],
        policy: "Mobile On-Call",
        urgency: "high",
        weight: 8,
        titles: &[
            "Mobile BFF error rate above 2%",
            "App login failures spiking",
            "Feature flag service timeouts from mobile-bff",
        ],
        hosts: &["mobile-bff-1", "mobile-bff-2"],
    },
    ServiceRow {
        name: "Push Notifications",
        description: "APNs and FCM delivery.",
        teams: &["Mobile"],
        policy: "Mobile On-Call",
        urgency: "low",
        weight: 5,
        titles: &[
            "APNs delivery failures above threshold",
            "FCM quota at 90%",
            "Push send queue backlog",
        ],
        hosts: &["push-sender-1"],
    },
    ServiceRow {
        name: "Data Pipeline",
        description: "Streaming ingestion (Kafka, Flink).",
        teams: &["Data"],
        policy: "Data Pipeline Escalation",
        urgency: "severity_based",
        weight: 10,
        titles: &[
            "Kafka consumer lag above 100k on events-raw",
            "Flink job restarted more than 3 times",
            "Schema registry unreachable",
            "Late data in hourly partition",
        ],
        hosts: &["kafka-broker-3", "flink-jobmanager", "schema-registry"],
    },
    ServiceRow {
        name: "Analytics Warehouse",
        description: "The analytics data warehouse and dbt runs.",
        teams: &["Data"],
        policy: "Data Pipeline Escalation",
        urgency: "low",
        weight: 6,
        titles: &[
            "Nightly dbt run failed",
            "Warehouse credit usage above daily budget",
            "Dashboard freshness SLA missed",
        ],
        hosts: &["dbt-runner", "warehouse"],
    },
    ServiceRow {
        name: "Identity Provider",
        description: "SSO, OAuth and session service.",
        teams: &["Security"],
        policy: "Security Incident Response",
        urgency: "high",
        weight: 6,
        titles: &[
            "SSO login failures above threshold",
            "Suspicious login burst from new ASN",
            "OAuth token service latency high",
        ],
        hosts: &["idp-1", "idp-2"],
    },
    ServiceRow {
        name: "Support Portal",
        description: "Customer support portal and ticket intake.",
        teams: &["Support"],
        policy: "Support Escalation",
        urgency: "severity_based",
        weight: 4,
        titles: &[
            "Support portal returning 502",
            "Ticket intake email bouncing",
            "Chat widget not loading",
        ],
        hosts: &["support-portal", "mail-intake"],
    },
];

const PRIORITIES: &[(&str, &str, &str)] = &[
    (
        "P1",
        "Critical: customer-facing outage, all hands.",
        "a8171c",
    ),
    (
        "P2",
        "High: major degradation affecting many customers.",
        "eb6016",
    ),
    (
        "P3",
        "Moderate: partial degradation or internal impact.",
        "f9b406",
    ),
    (
        "P4",
        "Low: minor issue, fix during business hours.",
        "0b7b3e",
    ),
    ("P5", "Informational.", "5a5a5a"),
];

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

/// Generates the whole dataset.
pub fn generate(seed: u64, now: OffsetDateTime) -> Dataset {
    let now = now.to_offset(time::UtcOffset::UTC);
    let teams = teams();
    let users = users(now);
    let mut teams = teams;
    for (row, user) in USERS.iter().zip(&users) {
        for (team_name, role) in row.4 {
            if let Some(team) = teams.iter_mut().find(|t| t.name == *team_name) {
                team.members.push(TeamMember {
                    user_id: user.id.clone(),
                    role: role.to_string(),
                });
            }
        }
    }
    let schedules = schedules(now);
    let escalation_policies = policies();
    let services = services(now);
    let priorities = priorities();
    let mut data = Dataset {
        now,
        seed,
        teams,
        users,
        services,
        escalation_policies,
        schedules,
        priorities,
        incidents: Vec::new(),
    };
    data.users.sort_by(|a, b| a.name.cmp(&b.name));
    data.incidents = incidents(&data, seed, now);
    data
}

fn team_id(name: &str) -> String {
    stable_id('P', 7, &format!("team:{name}"))
}

fn user_id(name: &str) -> String {
    if name == USERS[0].0 {
        return crate::CURRENT_USER_ID.to_string();
    }
    stable_id('P', 7, &format!("user:{name}"))
}

fn schedule_id(name: &str) -> String {
    stable_id('P', 7, &format!("schedule:{name}"))
}

fn policy_id(name: &str) -> String {
    stable_id('P', 7, &format!("escalation_policy:{name}"))
}

fn service_id(name: &str) -> String {
    stable_id('P', 7, &format!("service:{name}"))
}

fn teams() -> Vec<Team> {
    TEAMS
        .iter()
        .map(|(name, description)| Team {
            id: team_id(name),
            name: name.to_string(),
            description: description.to_string(),
            members: Vec::new(),
        })
        .collect()
}

/// `first.last@example.com`.
pub(crate) fn email_of(name: &str) -> String {
    let local: String = name
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(".")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    format!("{local}@example.com")
}

fn users(now: OffsetDateTime) -> Vec<User> {
    USERS
        .iter()
        .enumerate()
        .map(|(i, (name, tz, role, title, teams))| {
            let id = user_id(name);
            let email = email_of(name);
            let mut rng = Rng::new(fnv1a(format!("user-details:{name}").as_bytes()));
            let phone = format!("555{:07}", rng.below(10_000_000));
            let country_code: u16 = match *tz {
                t if t.starts_with("America/") => 1,
                "Europe/London" => 44,
                "Europe/Berlin" => 49,
                "Europe/Paris" => 33,
                "Europe/Amsterdam" => 31,
                "Europe/Warsaw" => 48,
                "Europe/Stockholm" => 46,
                "Europe/Lisbon" => 351,
                "Asia/Kolkata" => 91,
                "Asia/Tokyo" => 81,
                "Asia/Dubai" => 971,
                "Australia/Sydney" => 61,
                _ => 1,
            };
            let created = now - Duration::days(400 + (i as i64) * 7);
            let cm = |kind: &str| stable_id('P', 7, &format!("contact_method:{name}:{kind}"));
            let mut contact_methods = vec![ContactMethod {
                id: cm("email"),
                kind: ContactKind::Email,
                label: "Default".into(),
                address: email.clone(),
                country_code: None,
                device_type: None,
                created_at: created,
            }];
            // Observers and the owner keep only their email.
            let responder = !teams.is_empty();
            if responder {
                contact_methods.push(ContactMethod {
                    id: cm("phone"),
                    kind: ContactKind::Phone,
                    label: "Mobile".into(),
                    address: phone.clone(),
                    country_code: Some(country_code),
                    device_type: None,
                    created_at: created,
                });
                contact_methods.push(ContactMethod {
                    id: cm("sms"),
                    kind: ContactKind::Sms,
                    label: "Mobile".into(),
                    address: phone,
                    country_code: Some(country_code),
                    device_type: None,
                    created_at: created,
                });
                let ios = rng.chance(0.5);
                let token: String = (0..64)
                    .map(|_| char::from_digit(rng.below(16) as u32, 16).unwrap_or('0'))
                    .collect();
                contact_methods.push(ContactMethod {
                    id: cm("push"),
                    kind: ContactKind::Push,
                    label: if ios { "iPhone".into() } else { "Pixel".into() },
                    address: token,
                    country_code: None,
                    device_type: Some(if ios { "ios".into() } else { "android".into() }),
                    created_at: created + Duration::days(3),
                });
            }
            let nr = |k: &str| stable_id('P', 7, &format!("notification_rule:{name}:{k}"));
            let mut notification_rules = vec![NotificationRule {
                id: nr("high-0"),
                start_delay_in_minutes: 0,
                urgency: "high".into(),
                contact_method_id: contact_methods
                    .last()
                    .map(|c| c.id.clone())
                    .unwrap_or_default(),
            }];
            if responder {
                notification_rules.push(NotificationRule {
                    id: nr("high-5"),
                    start_delay_in_minutes: 5,
                    urgency: "high".into(),
                    contact_method_id: contact_methods[1].id.clone(),
                });
            }
            notification_rules.push(NotificationRule {
                id: nr("low-0"),
                start_delay_in_minutes: 0,
                urgency: "low".into(),
                contact_method_id: contact_methods[0].id.clone(),
            });
            let avatar_hash: String = format!(
                "{:016x}{:016x}",
                fnv1a(email.as_bytes()),
                fnv1a(name.as_bytes())
            );
            User {
                id,
                name: name.to_string(),
                email,
                time_zone: tz.to_string(),
                color: COLORS[i % COLORS.len()].to_string(),
                role: role.to_string(),
                job_title: title.to_string(),
                description: format!("{title}."),
                avatar_hash,
                team_ids: teams.iter().map(|(t, _)| team_id(t)).collect(),
                contact_methods,
                notification_rules,
            }
        })
        .collect()
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

fn schedules(now: OffsetDateTime) -> Vec<Schedule> {
    SCHEDULES
        .iter()
        .map(|row| {
            let zone = Zone::find(row.time_zone).unwrap_or(Zone::UTC);
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
                        name: l.name.to_string(),
                        start: virtual_start,
                        end: None,
                        rotation_virtual_start: virtual_start,
                        rotation_turn_length_seconds: turn,
                        user_ids: l.users.iter().map(|u| user_id(u)).collect(),
                        restrictions: l
                            .restrictions
                            .iter()
                            .map(|&(dow, hour, hours)| Restriction {
                                start_day_of_week: if dow == 0 { None } else { Some(dow) },
                                start_time_of_day_seconds: hour * 3600,
                                duration_seconds: hours * 3600,
                            })
                            .collect(),
                    }
                })
                .collect();
            Schedule {
                id: schedule_id(row.name),
                name: row.name.to_string(),
                description: row.description.to_string(),
                time_zone: row.time_zone.to_string(),
                team_ids: row.teams.iter().map(|t| team_id(t)).collect(),
                layers,
            }
        })
        .collect()
}

fn policies() -> Vec<EscalationPolicy> {
    POLICIES
        .iter()
        .map(|p| EscalationPolicy {
            id: policy_id(p.name),
            name: p.name.to_string(),
            description: p.description.to_string(),
            num_loops: p.num_loops,
            team_ids: vec![team_id(p.team)],
            rules: p
                .rules
                .iter()
                .enumerate()
                .map(|(i, (delay, targets))| EscalationRule {
                    id: stable_id('P', 7, &format!("escalation_rule:{}:{i}", p.name)),
                    escalation_delay_in_minutes: *delay,
                    targets: targets
                        .iter()
                        .map(|t| match t {
                            T::S(s) => Target::Schedule(schedule_id(s)),
                            T::U(u) => Target::User(user_id(u)),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

fn services(now: OffsetDateTime) -> Vec<Service> {
    SERVICES
        .iter()
        .enumerate()
        .map(|(i, s)| Service {
            id: service_id(s.name),
            name: s.name.to_string(),
            description: s.description.to_string(),
            team_ids: s.teams.iter().map(|t| team_id(t)).collect(),
            escalation_policy_id: policy_id(s.policy),
            created_at: now - Duration::days(700 - 23 * i as i64),
            urgency: s.urgency.to_string(),
            integration_id: stable_id('P', 7, &format!("integration:{}", s.name)),
        })
        .collect()
}

fn priorities() -> Vec<Priority> {
    PRIORITIES
        .iter()
        .map(|(name, description, color)| Priority {
            id: stable_id('P', 7, &format!("priority:{name}")),
            name: name.to_string(),
            description: description.to_string(),
            color: color.to_string(),
        })
        .collect()
}

/// Who the policy's first level (or the next level with someone on call) assigns at `t`.
fn assignee_at(data: &Dataset, policy_id: &str, t: OffsetDateTime) -> Option<String> {
    let policy = data.escalation_policy(policy_id)?;
    for rule in &policy.rules {
        for target in &rule.targets {
            let user = match target {
                Target::User(u) => Some(u.clone()),
                Target::Schedule(s) => data.schedule(s).and_then(|s| schedule::on_call_at(s, t)),
            };
            if user.is_some() {
                return user;
            }
        }
    }
    None
}

fn hex(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from_digit(rng.below(16) as u32, 16).unwrap_or('0'))
        .collect()
}

fn incidents(data: &Dataset, seed: u64, now: OffsetDateTime) -> Vec<Incident> {
    let mut rng = Rng::derived(seed, "incidents");
    let total_weight: u64 = SERVICES.iter().map(|s| s.weight).sum();
    let history = Duration::days(HISTORY_DAYS);
    let mut out: Vec<Incident> = Vec::with_capacity(INCIDENT_COUNT);
    for _ in 0..INCIDENT_COUNT {
        // Service, weighted.
        let mut w = rng.below(total_weight);
        let row_index = SERVICES
            .iter()
            .position(|s| {
                if w < s.weight {
                    true
                } else {
                    w -= s.weight;
                    false
                }
            })
            .unwrap_or(0);
        let row = &SERVICES[row_index];
        let service = &data.services[row_index];
        // Whole seconds, at least a minute old.
        let age = Duration::seconds(60 + rng.below(history.whole_seconds() as u64 - 60) as i64);
        let created_at = now - age;
        let urgency = match row.urgency {
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
        let title_template = *rng.pick(row.titles);
        let host = *rng.pick(row.hosts);
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
            .unwrap_or_else(|| user_id(USERS[0].0));
        let mut incident = Incident {
            id: pd_id('Q', 14, &mut rng),
            number: 0,
            title: title.clone(),
            created_at,
            updated_at: created_at,
            status: Status::Triggered,
            urgency: urgency.to_string(),
            service_id: service.id.clone(),
            escalation_policy_id: service.escalation_policy_id.clone(),
            team_ids: service.team_ids.clone(),
            priority_id,
            assignments: vec![(assignee.clone(), created_at)],
            acknowledgements: vec![],
            last_status_change_at: created_at,
            last_status_change_by: Agent::Service(service.id.clone()),
            resolved_at: None,
            incident_key: hex(&mut rng, 32),
            first_trigger_log_entry_id: pd_id('R', 26, &mut rng),
            notes: vec![],
            alerts: vec![],
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
            let alert_host = if a == 0 { host } else { *rng.pick(row.hosts) };
            incident.alerts.push(Alert {
                id: pd_id('Q', 14, &mut rng),
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
            });
        }
        incident.alerts.sort_by_key(|a| a.created_at);
        let latest = now - Duration::seconds(30);
        let mut last_time = created_at;
        if status != Status::Triggered && (status == Status::Acknowledged || rng.chance(0.8)) {
            let at = (created_at + Duration::seconds(rng.range(30, 1200)))
                .min(latest)
                .max(created_at);
            incident.acknowledgements.push((assignee.clone(), at));
            incident.status = Status::Acknowledged;
            incident.last_status_change_at = at;
            incident.last_status_change_by = Agent::User(assignee.clone());
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
                assignee.clone()
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
                Agent::User(assignee.clone())
            } else {
                Agent::Service(service.id.clone())
            };
            resolve(&mut incident, at, by);
            last_time = at;
        } else if status == Status::Triggered {
            // A triggered incident has no acknowledgement (even if one was drawn above).
            incident.acknowledgements.clear();
            incident.status = Status::Triggered;
            incident.last_status_change_at = created_at;
            incident.last_status_change_by = Agent::Service(service.id.clone());
        }
        incident.updated_at = last_time.max(incident.last_status_change_at);
        out.push(incident);
    }
    out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    ensure_demo_situation(data, &mut out, now);
    for (i, incident) in out.iter_mut().enumerate() {
        incident.number = FIRST_INCIDENT_NUMBER + i as u64;
    }
    out
}

/// Resolves an incident the way PagerDuty does: clears assignments and
/// acknowledgements and resolves its alerts.
pub(crate) fn resolve(incident: &mut Incident, at: OffsetDateTime, by: Agent) {
    incident.status = Status::Resolved;
    incident.resolved_at = Some(at);
    incident.last_status_change_at = at;
    incident.last_status_change_by = by;
    incident.assignments.clear();
    incident.acknowledgements.clear();
    for alert in &mut incident.alerts {
        alert.resolved = true;
    }
    incident.updated_at = incident.updated_at.max(at);
}

/// Makes sure the demo shows what a person expects to see whatever the seed:
/// open incidents for the current user's teams, one triggered incident assigned
/// to the current user, one acknowledged by them, and a stale open incident older
/// than PagerDuty's default one-month window.
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
        ),
        (
            payments.as_str(),
            Duration::minutes(20),
            Status::Acknowledged,
            true,
        ),
        (
            platform.as_str(),
            Duration::hours(3),
            Status::Acknowledged,
            false,
        ),
        (
            payments.as_str(),
            Duration::hours(1),
            Status::Triggered,
            false,
        ),
        (
            data_team.as_str(),
            Duration::days(40),
            Status::Acknowledged,
            false,
        ),
    ];
    for (team, min_age, status, mine) in plans {
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
        reopen(incident, status, &assignee);
    }
}

/// Puts an incident back into an open state with a consistent history.
fn reopen(incident: &mut Incident, status: Status, assignee: &str) {
    incident.status = status;
    incident.resolved_at = None;
    incident.assignments = vec![(assignee.to_string(), incident.created_at)];
    incident.acknowledgements.clear();
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
}

//! Users with their contact methods and notification rules: `GET /users`,
//! `/users/me`, `/users/{id}`, `/users/{id}/contact_methods`,
//! `/users/{id}/notification_rules`.
//!
//! People come from the organisation table (the first one is the current user,
//! [`crate::CURRENT_USER_ID`]); their contact details (phone numbers, push
//! tokens) are drawn from a generator seeded by their name, so they do not
//! depend on the seed either.

use std::sync::Arc;

use axum::extract::{Extension, Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::auth::Caller;
use crate::dataset::Dataset;
use crate::errors::{ApiError, ApiResult};
use crate::handlers::{
    ListRequest, RecordRequest, matches_any, matches_text, or_not_found, record_answer,
};
use crate::organisation::{Organisation, organisation};
use crate::query::{Includes, Query};
use crate::render::{Render, WEB_BASE, enrich};
use crate::resources::teams::team_id;
use crate::rng::{Rng, fnv1a, stable_id};
use crate::state::AppState;

/// A user of the account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// PagerDuty ID.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Login email (the `From` header for writes).
    pub email: String,
    /// IANA time zone.
    pub time_zone: String,
    /// UI color name.
    pub color: String,
    /// Account role (`owner`, `admin`, `user`, `limited_user`, `observer`, `read_only_user`).
    pub role: String,
    /// Job title.
    pub job_title: String,
    /// Short bio.
    pub description: String,
    /// Hex digest used for the avatar URL.
    pub avatar_hash: String,
    /// The teams the user belongs to (IDs).
    pub team_ids: Vec<String>,
    /// Contact methods.
    pub contact_methods: Vec<ContactMethod>,
    /// Assignment notification rules.
    pub notification_rules: Vec<NotificationRule>,
}

/// The kind of a contact method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactKind {
    /// Email address.
    Email,
    /// Voice call.
    Phone,
    /// Text message.
    Sms,
    /// Mobile app push notification.
    Push,
}

impl ContactKind {
    /// PagerDuty's object type, e.g. `email_contact_method`.
    pub fn type_name(self) -> &'static str {
        match self {
            ContactKind::Email => "email_contact_method",
            ContactKind::Phone => "phone_contact_method",
            ContactKind::Sms => "sms_contact_method",
            ContactKind::Push => "push_notification_contact_method",
        }
    }
}

/// A way to reach a user.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactMethod {
    /// PagerDuty ID.
    pub id: String,
    /// Email, phone, SMS or push.
    pub kind: ContactKind,
    /// Label, e.g. "Work" or "Mobile".
    pub label: String,
    /// Email address, phone number (without country code) or device token.
    pub address: String,
    /// Phone country code (phone and SMS only).
    pub country_code: Option<u16>,
    /// `ios` or `android` (push only).
    pub device_type: Option<String>,
    /// When it was added.
    pub created_at: OffsetDateTime,
}

/// "Notify me via X after N minutes" for assigned incidents.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRule {
    /// PagerDuty ID.
    pub id: String,
    /// Minutes after assignment.
    pub start_delay_in_minutes: u32,
    /// `high` or `low`.
    pub urgency: String,
    /// The contact method used (ID, one of the user's).
    pub contact_method_id: String,
}

/// A person in the organisation table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRow {
    /// Full name (the ID and the email are derived from it).
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Account role.
    pub role: String,
    /// Job title.
    pub job_title: String,
    /// Team memberships, in join order (none for the owner and observers).
    pub teams: Vec<MembershipRow>,
}

/// A user's membership in a team, in the organisation table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipRow {
    /// The team's name.
    pub team: String,
    /// `manager`, `responder` or `observer`.
    pub role: String,
}

/// UI colors, handed out in table order.
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

/// The ID of the user named `name`: [`crate::CURRENT_USER_ID`] for the first
/// person of the table, otherwise derived from the name.
pub(crate) fn user_id(name: &str) -> String {
    if organisation().users.first().is_some_and(|u| u.name == name) {
        return crate::CURRENT_USER_ID.to_string();
    }
    stable_id('P', 7, &format!("user:{name}"))
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

/// The phone country code of someone living in `time_zone`.
fn country_code(time_zone: &str) -> u16 {
    match time_zone {
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
    }
}

/// The users, sorted by name (PagerDuty's order for `GET /users`).
pub(crate) fn generate(org: &Organisation, now: OffsetDateTime) -> Vec<User> {
    let mut users: Vec<User> = org
        .users
        .iter()
        .enumerate()
        .map(|(i, row)| user(i, row, now))
        .collect();
    users.sort_by(|a, b| a.name.cmp(&b.name));
    users
}

/// The `i`-th person of the table, with contact methods and notification rules.
fn user(i: usize, row: &UserRow, now: OffsetDateTime) -> User {
    let name = row.name.as_str();
    let id = user_id(name);
    let email = email_of(name);
    let mut rng = Rng::new(fnv1a(format!("user-details:{name}").as_bytes()));
    let phone = format!("555{:07}", rng.below(10_000_000));
    let country_code = country_code(&row.time_zone);
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
    let responder = !row.teams.is_empty();
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
        time_zone: row.time_zone.clone(),
        color: COLORS[i % COLORS.len()].to_string(),
        role: row.role.clone(),
        job_title: row.job_title.clone(),
        description: format!("{}.", row.job_title),
        avatar_hash,
        team_ids: row.teams.iter().map(|m| team_id(&m.team)).collect(),
        contact_methods,
        notification_rules,
    }
}

impl Dataset {
    /// The user the user-level tokens belong to ([`crate::CURRENT_USER_ID`]).
    pub fn current_user(&self) -> &User {
        self.user(crate::CURRENT_USER_ID)
            .expect("the current user is always generated")
    }

    /// A user by ID.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// A user by email (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(email.trim()))
    }

    /// Users who belong to no team.
    pub fn users_without_team(&self) -> Vec<&User> {
        self.users
            .iter()
            .filter(|u| u.team_ids.is_empty())
            .collect()
    }
}

impl Render<'_> {
    /// `user_reference`.
    pub fn user_ref(&self, id: &str) -> Value {
        let name = self
            .data
            .user(id)
            .map(|u| u.name.as_str())
            .unwrap_or("Unknown user");
        self.reference("user", id, name, "users", "users")
    }

    /// A user; `include[]` may embed contact methods, notification rules, teams
    /// (as enriched references) and calendar URLs.
    pub fn user(&self, u: &User, inc: &Includes) -> Value {
        let teams: Vec<Value> = u
            .team_ids
            .iter()
            .map(|t| {
                let r = self.team_ref(t);
                match (inc.has("teams"), self.data.team(t)) {
                    (true, Some(team)) => enrich(r, self.team(team)),
                    _ => r,
                }
            })
            .collect();
        let contact_methods: Vec<Value> = u
            .contact_methods
            .iter()
            .map(|c| {
                let r = self.contact_method_ref(u, c);
                if inc.has("contact_methods") {
                    enrich(r, self.contact_method(u, c))
                } else {
                    r
                }
            })
            .collect();
        let notification_rules: Vec<Value> = u
            .notification_rules
            .iter()
            .map(|n| {
                let r = self.notification_rule_ref(u, n);
                if inc.has("notification_rules") {
                    enrich(r, self.notification_rule(u, n))
                } else {
                    r
                }
            })
            .collect();
        let mut v = json!({
            "id": u.id,
            "type": "user",
            "summary": u.name,
            "self": format!("{}/users/{}", self.base, u.id),
            "html_url": format!("{WEB_BASE}/users/{}", u.id),
            "name": u.name,
            "email": u.email,
            "time_zone": u.time_zone,
            "color": u.color,
            "role": u.role,
            "avatar_url": format!("https://secure.gravatar.com/avatar/{}.png?d=mm&r=PG", u.avatar_hash),
            "description": u.description,
            "invitation_sent": false,
            "job_title": u.job_title,
            "teams": teams,
            "contact_methods": contact_methods,
            "notification_rules": notification_rules,
            "coordinated_incidents": [],
            "created_via_sso": false,
        });
        if inc.has("calendar_urls") {
            v["http_cal_url"] = json!(format!(
                "https://demo.pagerduty.com/private/{}/feed",
                u.avatar_hash
            ));
            v["web_cal_url"] = json!(format!(
                "webcal://demo.pagerduty.com/private/{}/feed",
                u.avatar_hash
            ));
        }
        v
    }

    fn contact_method_ref(&self, u: &User, c: &ContactMethod) -> Value {
        json!({
            "id": c.id,
            "type": format!("{}_reference", c.kind.type_name()),
            "summary": c.label,
            "self": format!("{}/users/{}/contact_methods/{}", self.base, u.id, c.id),
            "html_url": Value::Null,
        })
    }

    /// A full contact method (as in `GET /users/{id}/contact_methods`).
    pub fn contact_method(&self, u: &User, c: &ContactMethod) -> Value {
        let mut v = json!({
            "id": c.id,
            "type": c.kind.type_name(),
            "summary": c.label,
            "self": format!("{}/users/{}/contact_methods/{}", self.base, u.id, c.id),
            "html_url": Value::Null,
            "label": c.label,
            "address": c.address,
        });
        match c.kind {
            ContactKind::Email => {
                v["send_short_email"] = json!(false);
                v["send_html_email"] = json!(false);
            }
            ContactKind::Phone | ContactKind::Sms => {
                v["country_code"] = json!(c.country_code.unwrap_or(1));
                v["enabled"] = json!(true);
                v["blacklisted"] = json!(false);
            }
            ContactKind::Push => {
                v["device_type"] = json!(c.device_type.clone().unwrap_or_else(|| "ios".into()));
                v["created_at"] = json!(self.time(c.created_at));
                v["blacklisted"] = json!(false);
                v["sounds"] = json!([]);
            }
        }
        v
    }

    fn notification_rule_ref(&self, u: &User, n: &NotificationRule) -> Value {
        json!({
            "id": n.id,
            "type": "assignment_notification_rule_reference",
            "summary": format!("{} minutes: channel {}", n.start_delay_in_minutes, n.contact_method_id),
            "self": format!("{}/users/{}/notification_rules/{}", self.base, u.id, n.id),
            "html_url": Value::Null,
        })
    }

    fn notification_rule(&self, u: &User, n: &NotificationRule) -> Value {
        self.notification_rule_with(u, n, false)
    }

    /// A full notification rule; its contact method is a reference, enriched with
    /// the whole contact method when `full_contact_method` (`include[]=contact_methods`).
    pub fn notification_rule_with(
        &self,
        u: &User,
        n: &NotificationRule,
        full_contact_method: bool,
    ) -> Value {
        let mut v = self.notification_rule_ref(u, n);
        v["type"] = json!("assignment_notification_rule");
        v["start_delay_in_minutes"] = json!(n.start_delay_in_minutes);
        v["urgency"] = json!(n.urgency);
        if let Some(c) = u
            .contact_methods
            .iter()
            .find(|c| c.id == n.contact_method_id)
        {
            let r = self.contact_method_ref(u, c);
            v["contact_method"] = if full_contact_method {
                enrich(r, self.contact_method(u, c))
            } else {
                r
            };
        }
        v
    }
}

const LIST_INCLUDES: &[&str] = &[
    "contact_methods",
    "notification_rules",
    "teams",
    "subdomains",
];
const ONE_INCLUDES: &[&str] = &[
    "contact_methods",
    "notification_rules",
    "teams",
    "subdomains",
    "calendar_urls",
];

/// `/users`, `/users/me`, `/users/{id}`, `/users/{id}/contact_methods`,
/// `/users/{id}/notification_rules`.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/users/me", get(me))
        .route("/users", get(list))
        .route("/users/{id}", get(get_one))
        .route("/users/{id}/contact_methods", get(contact_methods))
        .route("/users/{id}/notification_rules", get(notification_rules))
}

/// `GET /users/me`: the token's user (400 for an account-level key).
async fn me(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let q = Query::parse(raw.as_deref());
    let inc = q.includes(ONE_INCLUDES)?;
    let Caller::User(id) = caller else {
        return Err(ApiError::invalid_input(
            "Cannot get the current user with an account-level API token; use a user-level API token or OAuth token",
        ));
    };
    let data = st.snapshot();
    record_answer("user", data.user(&id), |u| st.render(&data).user(u, &inc))
}

/// `GET /users`: `query` (name or email), `team_ids[]`, `include[]`, pagination.
async fn list(State(st): State<Arc<AppState>>, list: ListRequest) -> ApiResult<Json<Value>> {
    let inc = list.query.includes(LIST_INCLUDES)?;
    let text = list.query.text_filter();
    let team_ids = list.query.all("team_ids[]");
    let data = st.snapshot();
    let r = st.render(&data);
    let users: Vec<&User> = data
        .users
        .iter()
        .filter(|u| matches_text(&text, &u.name) || matches_text(&text, &u.email))
        .filter(|u| matches_any(&team_ids, &u.team_ids))
        .collect();
    Ok(list.answer("users", &users, |u| r.user(u, &inc)))
}

/// `GET /users/{id}`.
async fn get_one(
    State(st): State<Arc<AppState>>,
    RecordRequest { id, query: q }: RecordRequest,
) -> ApiResult<Json<Value>> {
    let inc = q.includes(ONE_INCLUDES)?;
    let data = st.snapshot();
    record_answer("user", data.user(&id), |u| st.render(&data).user(u, &inc))
}

/// `GET /users/{id}/contact_methods`: full contact method objects (no pagination).
async fn contact_methods(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let data = st.snapshot();
    let user = or_not_found(data.user(&id))?;
    let r = st.render(&data);
    let methods: Vec<Value> = user
        .contact_methods
        .iter()
        .map(|c| r.contact_method(user, c))
        .collect();
    Ok(Json(json!({ "contact_methods": methods })))
}

const URGENCY_FILTERS: &[&str] = &["high", "low", "all"];

/// `GET /users/{id}/notification_rules`: the user's notification rules for
/// `urgency` (`high`, `low` or `all`; PagerDuty's default is `high`), with
/// `include[]=contact_methods` embedding the whole contact method. No pagination.
async fn notification_rules(
    State(st): State<Arc<AppState>>,
    RecordRequest { id, query: q }: RecordRequest,
) -> ApiResult<Json<Value>> {
    let inc = q.includes(&["contact_methods"])?;
    let urgency = match q.get("urgency") {
        None | Some("") => "high",
        Some(u) if URGENCY_FILTERS.contains(&u) => u,
        Some(u) => return Err(ApiError::invalid_enum("urgency", u, URGENCY_FILTERS)),
    };
    let data = st.snapshot();
    let user = or_not_found(data.user(&id))?;
    let r = st.render(&data);
    let rules: Vec<Value> = user
        .notification_rules
        .iter()
        .filter(|n| urgency == "all" || n.urgency == urgency)
        .map(|n| r.notification_rule_with(user, n, inc.has("contact_methods")))
        .collect();
    Ok(Json(json!({ "notification_rules": rules })))
}

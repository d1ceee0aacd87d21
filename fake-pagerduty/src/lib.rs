//! # fake-pagerduty
//!
//! An in-memory PagerDuty REST API v2 served on loopback, for tests, benchmarks
//! and the host's `--demo` mode. Answers follow the shapes of PagerDuty's OpenAPI
//! spec (`shared/pagerduty-api/openapiv3.json`) and PagerDuty's semantics:
//! classic `limit`/`offset` pagination (`limit` ≤ 100, `offset + limit` ≤ 10000,
//! `total` only with `total=true`), `name[]=` array filters, `include[]`,
//! PagerDuty-shaped errors (`{"error":{"message","code","errors"}}`), the incident
//! list's time window (default: the last month, at most 6 months, or
//! `date_range=all`), and writes that need a `From` header.
//!
//! ```no_run
//! use fake_pagerduty::{FakePagerDuty, Options, USER_TOKEN};
//! let fake = FakePagerDuty::spawn(Options::default())?;
//! // GET {fake.base_url()}/incidents with "Authorization: Token token=fake-user-token"
//! let me = fake.dataset().current_user().clone();
//! assert_eq!(me.id, fake_pagerduty::CURRENT_USER_ID);
//! # let _ = USER_TOKEN;
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! ## Tokens
//!
//! * [`USER_TOKEN`] (`Authorization: Token token=fake-user-token`): a user-level
//!   API key of the current user ([`CURRENT_USER_ID`], [`CURRENT_USER_EMAIL`]).
//! * [`OAUTH_TOKEN`] (`Authorization: Bearer pdus+_fake-oauth-token`): the same
//!   user through OAuth.
//! * [`ACCOUNT_TOKEN`]: an account-level key; everything works except
//!   `GET /users/me` (400: no current user).
//!
//! Either scheme is accepted with any of the three tokens; anything else is a 401.
//! Writes (`PUT /incidents/{id}`, `POST /incidents/{id}/notes`) always need a
//! `From` header with the email of a user of the account.
//!
//! ## The dataset
//!
//! The organisation is fixed (IDs depend only on names, not on the seed); its
//! tables are data, in `data/organisation.json`:
//!
//! * 6 teams: Platform, Payments, Mobile, Data, Security, Support.
//! * 30 users with emails `first.last@example.com`, time zones, roles, contact
//!   methods (email; responders also phone, SMS and push) and notification rules.
//!   The current user, Alex Rivera, belongs to Platform and Payments, is on the
//!   "Platform Primary" (on call right now), "Platform Secondary" and "Payments
//!   Primary" schedules, and is a direct target of "Infrastructure Critical".
//!   Victoria Hayes (owner) and Ben Carter (observer) belong to no team.
//! * 12 services spread over the teams, each with one of 8 escalation policies
//!   (2–3 rules targeting schedules and users).
//! * 8 schedules with weekly or daily rotations, in several time zones; "Platform
//!   Primary" has a weekend layer on top, "Support Business Hours" is restricted to
//!   Mon–Fri 09:00–17:00 Chicago time.
//! * 5 business services (e.g. "Online Checkout", "Mobile App"), each owned by a
//!   team and supported by technical services (some also by another business
//!   service); the technical services depend on each other too.
//! * 6 maintenance windows relative to [`Options::now`]: past, ongoing (one on
//!   the Payments services, whose status is then `maintenance`) and future (one on
//!   the API Gateway, created by the current user).
//!
//! The incident history is drawn from [`Options::seed`], relative to
//! [`Options::now`]: 300 incidents over the last 8 weeks, mostly resolved, both
//! urgencies, some with priorities, 1–5 alerts each, 0–4 notes. Whatever the seed,
//! the current user's teams have open incidents: one triggered incident assigned
//! to the current user, one they acknowledged, and an acknowledged Data incident
//! older than the default one-month window. Past and related incidents are derived
//! from the history. Alerts carry a monitoring payload (metric, threshold, value,
//! host, runbook and dashboard links). About 550 change events (deploys and config
//! changes, two change integrations per service) span the same 8 weeks; every open
//! incident and about a third of the others have a deploy on their service 2–60
//! minutes before they triggered (`related_change_events`). The organisation's IDs are constants in [`ids`] (e.g.
//! [`ids::TEAM_PLATFORM`]); use [`FakePagerDuty::dataset`] and the [`Dataset`]
//! accessors (`incidents_with_notes`, `open_incidents_of_teams`,
//! `incidents_assigned_to`, `on_call_at`, ...) to find incidents for assertions.
//!
//! ## Layout
//!
//! One module per resource under `src/resources/` (users, teams, services,
//! escalation policies, schedules, on-calls, incidents, priorities, change events): its
//! escalation policies, schedules, on-calls, incidents, priorities, business
//! services, maintenance windows): its
//! records, its part of the generated data, its JSON rendering (an `impl`
//! block of [`render::Render`]) and its routes. What they share: [`handlers`]
//! (list pagination with `more`/`total` and the 10,000 cap, get-by-ID with
//! PagerDuty's 404, query filters), [`query`], [`pagination`], [`errors`],
//! [`auth`], [`log`] (request log and fault injection), [`timefmt`], [`tz`] and
//! [`rng`]; [`routes::router`] wraps the resources' routes in authentication,
//! the request log and PagerDuty's 404 and 405.
//!
//! Adding a resource is one module under `src/resources/` plus its entries in
//! `src/resources/mod.rs`, which lists every resource: the modules and their
//! re-exported record types, the [`Dataset`] fields, the generation order and
//! the routes. Fixed data goes in `data/organisation.json` (a field of the
//! `Organisation` tables in `src/organisation.rs`).
//!
//! ## The binary
//!
//! `fake-pagerduty --port N [--seed S] [--now 2026-11-24T07:00:00Z]` prints the base
//! URL on stdout, logs one line per request to stderr (`RUST_LOG` filters) and
//! serves until killed.

#![warn(missing_docs)]

pub mod auth;
pub mod dataset;
pub mod errors;
pub mod generate;
pub mod handlers;
pub mod ids;
pub mod log;
pub mod pagination;
pub mod query;
pub mod render;
pub mod rng;
pub mod routes;
pub mod state;
pub mod timefmt;
pub mod tz;

mod organisation;
mod resources;
mod server;

pub use resources::incidents::relations;
pub use resources::oncalls as oncall;
pub use resources::schedules::rotation as schedule;

pub use dataset::Dataset;
pub use routes::router;
pub use server::FakePagerDuty;
pub use state::AppState;

/// User-level API token of the current user (`Authorization: Token token=...`).
pub const USER_TOKEN: &str = "fake-user-token";
/// Account-level API token: works everywhere except `GET /users/me`.
pub const ACCOUNT_TOKEN: &str = "fake-account-token";
/// OAuth token of the current user (`Authorization: Bearer ...`).
pub const OAUTH_TOKEN: &str = "pdus+_fake-oauth-token";
/// ID of the user the user-level tokens belong to (Alex Rivera).
pub const CURRENT_USER_ID: &str = "PU0A1B2";
/// Email of the current user (use it as the `From` header of writes).
pub const CURRENT_USER_EMAIL: &str = "alex.rivera@example.com";
/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 0x5EED_F00D;
/// How many requests the request log keeps by default ([`Options::request_log_capacity`]).
pub const DEFAULT_REQUEST_LOG_CAPACITY: usize = 1_000;

/// How to start the fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The instant the data is generated relative to; the server's clock starts
    /// there. Default: the current time truncated to the minute.
    pub now: Option<time::OffsetDateTime>,
    /// Seed of the incident history. Default: [`DEFAULT_SEED`].
    pub seed: u64,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// How many requests [`FakePagerDuty::requests`] keeps: the last ones, the
    /// oldest dropped first, so memory stays bounded however long the fake
    /// runs. 0 keeps none (`--demo`, where nothing reads the log). Default:
    /// [`DEFAULT_REQUEST_LOG_CAPACITY`].
    pub request_log_capacity: usize,
    /// Whether a request without an `Authorization` header acts as the current
    /// user (instead of 401): for the tools component run by stock `wasmtime run`,
    /// which never holds a token (the native host adds it). A wrong token is still
    /// 401. Default: false.
    pub anonymous_is_current_user: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            now: None,
            seed: DEFAULT_SEED,
            port: 0,
            request_log_capacity: DEFAULT_REQUEST_LOG_CAPACITY,
            anonymous_is_current_user: false,
        }
    }
}

impl Options {
    /// `now`, or the current time truncated to the minute.
    pub fn resolved_now(&self) -> time::OffsetDateTime {
        self.now.unwrap_or_else(|| {
            let t = time::OffsetDateTime::now_utc();
            t.replace_second(0)
                .and_then(|t| t.replace_nanosecond(0))
                .unwrap_or(t)
        })
    }
}

/// A request the fake received, with what it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path without the query, e.g. `/incidents`.
    pub path: String,
    /// Percent-decoded query pairs in order, repeated keys kept, e.g. `("statuses[]", "triggered")`.
    pub query: Vec<(String, String)>,
    /// Request headers with lower-case names.
    pub headers: Vec<(String, String)>,
    /// Request body, if any.
    pub body: Option<String>,
    /// The status the fake answered.
    pub status: u16,
    /// The body the fake answered.
    pub response_body: String,
}

impl RecordedRequest {
    /// The first value of a header (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All values of a query parameter, e.g. `query_all("statuses[]")`.
    pub fn query_all(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The last value of a query parameter.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A failure to inject, for reliability tests. It applies to the next `times`
/// requests (whatever their path), then the fake is back to normal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status, body and headers (e.g. 429 with `Retry-After`)
    /// instead of handling the request. `Content-Type: application/json` is added
    /// unless given.
    Status {
        /// HTTP status.
        status: u16,
        /// Response body.
        body: String,
        /// Extra headers, e.g. `("retry-after", "1")`.
        headers: Vec<(String, String)>,
        /// How many requests get this answer.
        times: u32,
    },
    /// Wait before handling the request normally.
    Delay {
        /// How long to wait.
        millis: u64,
        /// How many requests are delayed.
        times: u32,
    },
}

impl Fault {
    /// PagerDuty's 429 answer (`Retry-After` in seconds), `times` times.
    pub fn rate_limited(retry_after_secs: u32, times: u32) -> Fault {
        Fault::Status {
            status: 429,
            body: r#"{"error":{"message":"Rate Limit Exceeded","code":2020}}"#.into(),
            headers: vec![("retry-after".into(), retry_after_secs.to_string())],
            times,
        }
    }

    /// A 500 with PagerDuty's internal error body, `times` times.
    pub fn server_error(times: u32) -> Fault {
        Fault::Status {
            status: 500,
            body: r#"{"error":{"message":"Internal Server Error","code":2000}}"#.into(),
            headers: vec![],
            times,
        }
    }
}

//! Change events: deploys and configuration changes that CI/CD and config tools
//! send to a service's change integrations. `GET /change_events`,
//! `/change_events/{id}`, `/services/{id}/change_events` and the change
//! correlation of an incident, `/incidents/{id}/related_change_events`.
//!
//! Drawn from the seed relative to `now` over the incident history's 8 weeks:
//! every service gets a deploy or config change every 6–72 hours, and some
//! incidents (every open one, about a third of the others) get a deploy on their
//! service 2–60 minutes before they triggered: the change that caused them.
//! Each service has two change integrations: deploys and config changes.
//!
//! Change correlation (`related_change_events`): the changes on the incident's
//! service in the 24 hours before it triggered (`most_recent`) and on the
//! services it depends on or that depend on it in the 4 hours before
//! (`related_service`), newest first.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::dataset::{Dataset, Incident};
use crate::errors::{ApiError, ApiResult};
use crate::handlers::{ListRequest, RecordRequest, matches_any, or_not_found, record_answer};
use crate::organisation::organisation;
use crate::query::Query;
use crate::render::{Render, WEB_BASE};
use crate::resources::incidents::history::HISTORY_DAYS;
use crate::rng::{Rng, pd_id, stable_id};
use crate::state::AppState;

/// How far before an incident the changes on its own service are correlated.
pub const SAME_SERVICE_WINDOW: Duration = Duration::hours(24);
/// How far before an incident the changes on related services are correlated.
pub const RELATED_SERVICE_WINDOW: Duration = Duration::hours(4);

/// What kind of change a change event records (each kind has its integration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A deploy from a CI/CD pipeline.
    Deploy,
    /// A configuration change (infrastructure as code, feature flags).
    Config,
}

impl ChangeKind {
    /// The integration's name.
    pub fn integration_name(self) -> &'static str {
        match self {
            ChangeKind::Deploy => "Deploys",
            ChangeKind::Config => "Config changes",
        }
    }
}

/// A link of a change event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeLink {
    /// The URL.
    pub href: String,
    /// Its text.
    pub text: String,
}

/// A change event.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeEvent {
    /// PagerDuty ID (26 characters, like a ULID).
    pub id: String,
    /// When the change happened.
    pub timestamp: OffsetDateTime,
    /// The service it was sent to (ID).
    pub service_id: String,
    /// What kind of change; decides the integration.
    pub kind: ChangeKind,
    /// The integration it came through (ID).
    pub integration_id: String,
    /// Summary line.
    pub summary: String,
    /// The tool that sent it (`github-actions`, `argocd`, `terraform-cloud`, `launchdarkly`).
    pub source: String,
    /// Links (pull request, build, plan, flag).
    pub links: Vec<ChangeLink>,
    /// Small free-form details (version, commit, author, ...).
    pub custom_details: Value,
}

/// The ID of service `service_name`'s change integration for `kind` (stable).
pub fn change_integration_id(service_name: &str, kind: ChangeKind) -> String {
    let kind = match kind {
        ChangeKind::Deploy => "deploys",
        ChangeKind::Config => "config",
    };
    stable_id('P', 7, &format!("change-integration:{service_name}:{kind}"))
}

/// A name as a lower-case, dash-separated slug (`Payments API` -> `payments-api`),
/// as repositories and hosts name a service.
pub(crate) fn slug(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// Feature flags that config changes toggle.
const FLAGS: &[&str] = &[
    "new-retry-policy",
    "async-ledger-writes",
    "edge-cache-v2",
    "batch-size-increase",
    "strict-tls",
    "fast-path-auth",
];

/// Settings that infrastructure changes touch.
const SETTINGS: &[(&str, &str, &str)] = &[
    ("max_connections", "200", "400"),
    ("replicas", "6", "4"),
    ("worker_concurrency", "8", "16"),
    ("request_timeout_ms", "5000", "2000"),
    ("memory_limit_mi", "1024", "768"),
];

/// What a planned change is before it gets its text.
struct Planned {
    at: OffsetDateTime,
    service: usize,
    kind: ChangeKind,
}

/// The change events, oldest first: a steady stream on every service, and a
/// deploy shortly before some incidents (every open one).
pub(crate) fn generate(data: &Dataset, seed: u64, now: OffsetDateTime) -> Vec<ChangeEvent> {
    let mut rng = Rng::derived(seed, "change_events");
    let start = now - Duration::days(HISTORY_DAYS);
    let mut planned: Vec<Planned> = Vec::new();
    for service in 0..data.services.len() {
        let mut at = start + Duration::minutes(rng.range(0, 24 * 60));
        while at < now {
            let kind = if rng.chance(0.7) {
                ChangeKind::Deploy
            } else {
                ChangeKind::Config
            };
            planned.push(Planned { at, service, kind });
            at += Duration::minutes(rng.range(6 * 60, 72 * 60));
        }
    }
    for incident in &data.incidents {
        // Drawn for every incident, so the stream does not depend on which are open.
        let drawn = rng.chance(0.35);
        let culprit = incident.status.is_open() || drawn;
        let Some(service) = data
            .services
            .iter()
            .position(|s| s.id == incident.service_id)
        else {
            continue;
        };
        if culprit {
            let before = Duration::minutes(rng.range(2, 61));
            planned.push(Planned {
                at: incident.created_at - before,
                service,
                kind: ChangeKind::Deploy,
            });
        }
    }
    planned.sort_by_key(|p| (p.at, p.service));
    let mut versions = vec![(1u32, 0u32); data.services.len()];
    planned
        .iter()
        .map(|p| {
            let version = &mut versions[p.service];
            describe(data, p, version, &mut rng)
        })
        .collect()
}

/// The change event of a planned change; deploys take the service's next version.
fn describe(data: &Dataset, p: &Planned, version: &mut (u32, u32), rng: &mut Rng) -> ChangeEvent {
    let service = &data.services[p.service];
    let repo = slug(&service.name);
    let id = pd_id('0', 26, rng);
    let team_members: Vec<&str> = service
        .team_ids
        .first()
        .and_then(|t| data.team(t))
        .map(|t| t.members.iter().map(|m| m.user_id.as_str()).collect())
        .unwrap_or_default();
    let author = if team_members.is_empty() {
        crate::CURRENT_USER_EMAIL.to_string()
    } else {
        let user_id = *rng.pick(&team_members);
        data.user(user_id)
            .map(|u| u.email.clone())
            .unwrap_or_else(|| crate::CURRENT_USER_EMAIL.to_string())
    };
    let (summary, source, links, custom_details) = match p.kind {
        ChangeKind::Deploy => {
            version.1 += 1;
            if rng.chance(0.1) {
                version.0 += 1;
                version.1 = 0;
            }
            let v = format!("2.{}.{}", version.0, version.1);
            let pr = rng.range(100, 5000);
            let build = rng.range(1000, 99_999);
            let commit: String = (0..12)
                .map(|_| char::from_digit(rng.below(16) as u32, 16).unwrap_or('0'))
                .collect();
            let source = if p.service.is_multiple_of(2) {
                "github-actions"
            } else {
                "argocd"
            };
            (
                format!("Deploy {repo} v{v} to production"),
                source,
                vec![
                    ChangeLink {
                        href: format!("https://github.com/example/{repo}/pull/{pr}"),
                        text: format!("Pull request #{pr}"),
                    },
                    ChangeLink {
                        href: format!("https://ci.example.com/{repo}/builds/{build}"),
                        text: format!("Build #{build}"),
                    },
                ],
                json!({
                    "version": v,
                    "commit": commit,
                    "author": author,
                    "environment": "production",
                    "build_state": "passed",
                }),
            )
        }
        ChangeKind::Config => {
            if rng.chance(0.5) {
                let flag = *rng.pick(FLAGS);
                let percent = *rng.pick(&[5, 10, 25, 50, 100]);
                (
                    format!("Feature flag '{flag}' rolled out to {percent}% on {repo}"),
                    "launchdarkly",
                    vec![ChangeLink {
                        href: format!(
                            "https://app.launchdarkly.com/default/production/features/{flag}"
                        ),
                        text: format!("Flag {flag}"),
                    }],
                    json!({ "flag": flag, "rollout_percent": percent, "changed_by": author }),
                )
            } else {
                let (setting, from, to) = *rng.pick(SETTINGS);
                let run = rng.range(10_000, 99_999);
                (
                    format!("Terraform apply on {repo}: {setting} {from} -> {to}"),
                    "terraform-cloud",
                    vec![ChangeLink {
                        href: format!(
                            "https://app.terraform.io/app/example/workspaces/{repo}/runs/run-{run}"
                        ),
                        text: format!("Run run-{run}"),
                    }],
                    json!({ "setting": setting, "from": from, "to": to, "applied_by": author }),
                )
            }
        }
    };
    ChangeEvent {
        id,
        timestamp: p.at,
        service_id: service.id.clone(),
        kind: p.kind,
        integration_id: change_integration_id(&service.name, p.kind),
        summary,
        source: source.to_string(),
        links,
        custom_details,
    }
}

impl Dataset {
    /// A change event by ID.
    pub fn change_event(&self, id: &str) -> Option<&ChangeEvent> {
        self.change_events.iter().find(|e| e.id == id)
    }

    /// The change events PagerDuty correlates with `incident`, newest first, each
    /// with its reason (`most_recent`, `related_service`).
    pub fn related_change_events(&self, incident: &Incident) -> Vec<(&ChangeEvent, &'static str)> {
        let related = related_services(self, &incident.service_id);
        let mut out: Vec<(&ChangeEvent, &'static str)> = self
            .change_events
            .iter()
            .filter(|e| e.timestamp <= incident.created_at)
            .filter_map(|e| {
                let before = incident.created_at - e.timestamp;
                if e.service_id == incident.service_id && before <= SAME_SERVICE_WINDOW {
                    Some((e, "most_recent"))
                } else if related.contains(&e.service_id) && before <= RELATED_SERVICE_WINDOW {
                    Some((e, "related_service"))
                } else {
                    None
                }
            })
            .collect();
        out.sort_by(|a, b| b.0.timestamp.cmp(&a.0.timestamp).then(a.0.id.cmp(&b.0.id)));
        out
    }
}

/// The services (IDs) that `service_id` depends on or that depend on it.
fn related_services(data: &Dataset, service_id: &str) -> Vec<String> {
    let Some(name) = data.service(service_id).map(|s| s.name.as_str()) else {
        return Vec::new();
    };
    let id_of = |n: &str| {
        data.services
            .iter()
            .find(|s| s.name == n)
            .map(|s| s.id.clone())
    };
    organisation()
        .service_dependencies
        .iter()
        .filter_map(|d| {
            if d.dependent == name {
                id_of(&d.supporting)
            } else if d.supporting == name {
                id_of(&d.dependent)
            } else {
                None
            }
        })
        .collect()
}

impl Render<'_> {
    /// A change event.
    pub fn change_event(&self, e: &ChangeEvent) -> Value {
        let service = self.data.service(&e.service_id);
        let service_name = service
            .map(|s| s.name.as_str())
            .unwrap_or("Unknown service");
        json!({
            "id": e.id,
            "type": "change_event",
            "summary": e.summary,
            "self": format!("{}/change_events/{}", self.base, e.id),
            "timestamp": self.time(e.timestamp),
            "services": [self.service_ref(&e.service_id)],
            "integration": {
                "id": e.integration_id,
                "type": "inbound_integration_reference",
                "summary": format!("{} ({service_name})", e.kind.integration_name()),
                "self": format!("{}/services/{}/integrations/{}", self.base, e.service_id, e.integration_id),
                "html_url": format!("{WEB_BASE}/services/{}/integrations/{}", e.service_id, e.integration_id),
            },
            "source": e.source,
            "links": e.links.iter().map(|l| json!({ "href": l.href, "text": l.text })).collect::<Vec<_>>(),
            "images": [],
            "custom_details": e.custom_details,
        })
    }
}

/// The change-event routes.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/change_events", get(list))
        .route("/change_events/{id}", get(get_one))
        .route("/services/{id}/change_events", get(of_service))
        .route("/incidents/{id}/related_change_events", get(related))
}

/// The filters of the change-event lists: `since`, `until`, `team_ids[]`,
/// `integration_ids[]`.
struct Filters {
    since: Option<OffsetDateTime>,
    until: Option<OffsetDateTime>,
    team_ids: Vec<String>,
    integration_ids: Vec<String>,
}

impl Filters {
    fn parse(q: &Query) -> ApiResult<Filters> {
        let since = q.time("since")?;
        let until = q.time("until")?;
        if let (Some(s), Some(u)) = (since, until)
            && s > u
        {
            return Err(ApiError::invalid_input(
                "The 'since' parameter must be before the 'until' parameter",
            ));
        }
        Ok(Filters {
            since,
            until,
            team_ids: q.all("team_ids[]"),
            integration_ids: q.all("integration_ids[]"),
        })
    }

    /// The matching change events of `data`, newest first.
    fn apply<'a>(&self, data: &'a Dataset, service_id: Option<&str>) -> Vec<&'a ChangeEvent> {
        let mut events: Vec<&ChangeEvent> = data
            .change_events
            .iter()
            .filter(|e| service_id.is_none_or(|s| e.service_id == s))
            .filter(|e| self.since.is_none_or(|s| e.timestamp >= s))
            .filter(|e| self.until.is_none_or(|u| e.timestamp < u))
            .filter(|e| {
                self.integration_ids.is_empty() || self.integration_ids.contains(&e.integration_id)
            })
            .filter(|e| {
                let teams = data
                    .service(&e.service_id)
                    .map(|s| s.team_ids.as_slice())
                    .unwrap_or_default();
                matches_any(&self.team_ids, teams)
            })
            .collect();
        events.reverse();
        events
    }
}

/// `GET /change_events`: `since`, `until`, `team_ids[]`, `integration_ids[]`, pagination.
async fn list(State(st): State<Arc<AppState>>, list: ListRequest) -> ApiResult<Json<Value>> {
    let filters = Filters::parse(&list.query)?;
    let data = st.snapshot();
    let r = st.render(&data);
    let events = filters.apply(&data, None);
    Ok(list.answer("change_events", &events, |e| r.change_event(e)))
}

/// `GET /change_events/{id}`.
async fn get_one(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let data = st.snapshot();
    record_answer("change_event", data.change_event(&id), |e| {
        st.render(&data).change_event(e)
    })
}

/// `GET /services/{id}/change_events`: the same filters, on one service (404 for
/// an unknown service).
async fn of_service(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    list: ListRequest,
) -> ApiResult<Json<Value>> {
    let filters = Filters::parse(&list.query)?;
    let data = st.snapshot();
    let service = or_not_found(data.service(&id))?;
    let r = st.render(&data);
    let events = filters.apply(&data, Some(&service.id));
    Ok(list.answer("change_events", &events, |e| r.change_event(e)))
}

/// `GET /incidents/{id}/related_change_events`: `limit` (a positive integer, at
/// most 100 returned); each event with its `correlation_reason`.
async fn related(
    State(st): State<Arc<AppState>>,
    RecordRequest { id, query: q }: RecordRequest,
) -> ApiResult<Json<Value>> {
    let limit = q
        .integer_in("limit", 25, 1..=u64::MAX, "a positive integer")?
        .min(100) as usize;
    let data = st.snapshot();
    let incident = or_not_found(data.incident(&id))?;
    let r = st.render(&data);
    let related = data.related_change_events(incident);
    let items: Vec<Value> = related
        .iter()
        .take(limit)
        .map(|(e, reason)| {
            let mut v = r.change_event(e);
            v["correlation_reason"] = json!({ "reason": reason });
            v
        })
        .collect();
    Ok(Json(json!({
        "change_events": items,
        "limit": limit,
        "offset": Value::Null,
        "total": Value::Null,
        "more": related.len() > limit,
    })))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use crate::{DEFAULT_SEED, Dataset};

    /// The clock the documentation examples (`pagerduty-mcp tools --markdown`) run at.
    const DOCS_CLOCK: time::OffsetDateTime = datetime!(2026-01-15 12:00 UTC);

    /// The tool catalog's examples (`tools/src/tools/incident_context.rs`,
    /// `change_events.rs`) name these: they must exist in the demo dataset.
    #[test]
    fn the_catalog_examples_hold_for_the_default_seed_at_the_docs_clock() {
        let data = Dataset::generate(DEFAULT_SEED, DOCS_CLOCK);
        let incident = data
            .incident("QTBXG4Z08QBJTG")
            .expect("the example incident");
        assert!(incident.alerts.iter().any(|a| a.id == "QB0OXSIS308W4J"));
        let related = data.related_change_events(incident);
        assert!(
            related
                .iter()
                .any(|(e, reason)| e.id == "0SUNVK9Z0EL688RGPSM19YZPEW" && *reason == "most_recent"),
            "the example change event is the deploy before the example incident"
        );
        assert!(data.incident("QEHRFKH9ABCOUI").is_some());
    }
}

//! Escalation policies: `GET /escalation_policies`, `/escalation_policies/{id}`.
//!
//! Policies come from the organisation table; their rules target schedules and
//! users by name there.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::dataset::Dataset;
use crate::errors::ApiResult;
use crate::handlers::{
    ListRequest, RecordRequest, matches_any, matches_text, name_sort, record_answer,
};
use crate::organisation::Organisation;
use crate::query::Includes;
use crate::render::{Render, WEB_BASE, enrich, no_includes};
use crate::resources::schedules::schedule_id;
use crate::resources::teams::team_id;
use crate::resources::users::user_id;
use crate::rng::stable_id;
use crate::state::AppState;

/// An escalation policy.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationPolicy {
    /// PagerDuty ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// How many times the rules repeat.
    pub num_loops: u32,
    /// Owning teams (IDs).
    pub team_ids: Vec<String>,
    /// The rules, level 1 first.
    pub rules: Vec<EscalationRule>,
}

/// One level of an escalation policy.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationRule {
    /// PagerDuty ID.
    pub id: String,
    /// Minutes before escalating to the next level.
    pub escalation_delay_in_minutes: u32,
    /// Who is notified at this level.
    pub targets: Vec<Target>,
}

/// An escalation rule target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A user directly (user ID).
    User(String),
    /// Whoever is on call on a schedule (schedule ID).
    Schedule(String),
}

/// An escalation policy in the organisation table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRow {
    /// Name (the ID is derived from it).
    pub name: String,
    /// Description.
    pub description: String,
    /// The owning team, by name.
    pub team: String,
    /// How many times the rules repeat.
    pub num_loops: u32,
    /// The rules, level 1 first.
    pub rules: Vec<RuleRow>,
}

/// One level of a policy in the organisation table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleRow {
    /// Minutes before escalating to the next level.
    pub delay_minutes: u32,
    /// Who is notified at this level.
    pub targets: Vec<TargetRow>,
}

/// A rule target in the organisation table: `{"schedule": name}` or `{"user": name}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum TargetRow {
    /// Whoever is on call on the schedule with this name.
    Schedule(String),
    /// The user with this name.
    User(String),
}

/// The ID of the policy named `name` (stable: it depends only on the name).
pub(crate) fn policy_id(name: &str) -> String {
    stable_id('P', 7, &format!("escalation_policy:{name}"))
}

/// The escalation policies, in table order.
pub(crate) fn generate(org: &Organisation) -> Vec<EscalationPolicy> {
    org.escalation_policies
        .iter()
        .map(|p| EscalationPolicy {
            id: policy_id(&p.name),
            name: p.name.clone(),
            description: p.description.clone(),
            num_loops: p.num_loops,
            team_ids: vec![team_id(&p.team)],
            rules: p
                .rules
                .iter()
                .enumerate()
                .map(|(i, rule)| EscalationRule {
                    id: stable_id('P', 7, &format!("escalation_rule:{}:{i}", p.name)),
                    escalation_delay_in_minutes: rule.delay_minutes,
                    targets: rule
                        .targets
                        .iter()
                        .map(|t| match t {
                            TargetRow::Schedule(s) => Target::Schedule(schedule_id(s)),
                            TargetRow::User(u) => Target::User(user_id(u)),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

impl Dataset {
    /// An escalation policy by ID.
    pub fn escalation_policy(&self, id: &str) -> Option<&EscalationPolicy> {
        self.escalation_policies.iter().find(|p| p.id == id)
    }

    /// The escalation policies that include a user, directly or through a schedule
    /// (what `GET /escalation_policies?user_ids[]=` returns).
    pub fn escalation_policies_of_user(&self, user_id: &str) -> Vec<&EscalationPolicy> {
        let schedules: Vec<&str> = self
            .schedules_of_user(user_id)
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        self.escalation_policies
            .iter()
            .filter(|p| {
                p.rules.iter().flat_map(|r| &r.targets).any(|t| match t {
                    Target::User(u) => u == user_id,
                    Target::Schedule(s) => schedules.contains(&s.as_str()),
                })
            })
            .collect()
    }

    /// The escalation policies that target a schedule.
    pub fn policies_of_schedule(&self, schedule_id: &str) -> Vec<&EscalationPolicy> {
        self.escalation_policies
            .iter()
            .filter(|p| {
                p.rules
                    .iter()
                    .flat_map(|r| &r.targets)
                    .any(|t| *t == Target::Schedule(schedule_id.to_string()))
            })
            .collect()
    }
}

impl Render<'_> {
    /// `escalation_policy_reference`.
    pub fn policy_ref(&self, id: &str) -> Value {
        let name = self
            .data
            .escalation_policy(id)
            .map(|p| p.name.as_str())
            .unwrap_or("Unknown policy");
        self.reference(
            "escalation_policy",
            id,
            name,
            "escalation_policies",
            "escalation_policies",
        )
    }

    /// An escalation policy. `include[]=targets` embeds full users and schedules as
    /// targets; `services`/`teams` enrich those references.
    pub fn policy(&self, p: &EscalationPolicy, inc: &Includes) -> Value {
        let rules: Vec<Value> = p
            .rules
            .iter()
            .map(|r| {
                let targets: Vec<Value> = r
                    .targets
                    .iter()
                    .map(|t| match (t, inc.has("targets")) {
                        (Target::User(u), false) => self.user_ref(u),
                        (Target::Schedule(s), false) => self.schedule_ref(s),
                        (Target::User(u), true) => match self.data.user(u) {
                            Some(u) => self.user(u, &no_includes()),
                            None => self.user_ref(u),
                        },
                        (Target::Schedule(s), true) => match self.data.schedule(s) {
                            Some(s) => self.schedule_summary(s),
                            None => self.schedule_ref(s),
                        },
                    })
                    .collect();
                let mut rule = json!({
                    "id": r.id,
                    "escalation_delay_in_minutes": r.escalation_delay_in_minutes,
                    "targets": targets,
                });
                if inc.has("escalation_rule_assignment_strategies") {
                    rule["escalation_rule_assignment_strategy"] = json!("assign_to_everyone");
                }
                rule
            })
            .collect();
        let services: Vec<Value> = self
            .data
            .services_of_policy(&p.id)
            .into_iter()
            .map(|s| {
                let r = self.service_ref(&s.id);
                if inc.has("services") {
                    enrich(r, self.service(s, &no_includes()))
                } else {
                    r
                }
            })
            .collect();
        let teams: Vec<Value> = p
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
        json!({
            "id": p.id,
            "type": "escalation_policy",
            "summary": p.name,
            "self": format!("{}/escalation_policies/{}", self.base, p.id),
            "html_url": format!("{WEB_BASE}/escalation_policies/{}", p.id),
            "name": p.name,
            "description": p.description,
            "num_loops": p.num_loops,
            "on_call_handoff_notifications": "if_has_services",
            "escalation_rules": rules,
            "services": services,
            "teams": teams,
        })
    }
}

const INCLUDES: &[&str] = &[
    "services",
    "teams",
    "targets",
    "escalation_rule_assignment_strategies",
];

/// `/escalation_policies`, `/escalation_policies/{id}`.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/escalation_policies", get(list))
        .route("/escalation_policies/{id}", get(get_one))
}

/// `GET /escalation_policies`: `query`, `user_ids[]` (directly or through a
/// schedule), `team_ids[]`, `include[]`, `sort_by`, pagination.
async fn list(State(st): State<Arc<AppState>>, list: ListRequest) -> ApiResult<Json<Value>> {
    let q = &list.query;
    let inc = q.includes(INCLUDES)?;
    let desc = name_sort(q)?;
    let text = q.text_filter();
    let user_ids = q.all("user_ids[]");
    let team_ids = q.all("team_ids[]");
    let data = st.snapshot();
    let r = st.render(&data);
    let with_users: Vec<String> = user_ids
        .iter()
        .flat_map(|u| data.escalation_policies_of_user(u))
        .map(|p| p.id.clone())
        .collect();
    let mut policies: Vec<&EscalationPolicy> = data
        .escalation_policies
        .iter()
        .filter(|p| matches_text(&text, &p.name))
        .filter(|p| user_ids.is_empty() || with_users.contains(&p.id))
        .filter(|p| matches_any(&team_ids, &p.team_ids))
        .collect();
    policies.sort_by_key(|a| a.name.to_lowercase());
    if desc {
        policies.reverse();
    }
    Ok(list.answer("escalation_policies", &policies, |p| r.policy(p, &inc)))
}

/// `GET /escalation_policies/{id}`.
async fn get_one(
    State(st): State<Arc<AppState>>,
    RecordRequest { id, query: q }: RecordRequest,
) -> ApiResult<Json<Value>> {
    let inc = q.includes(INCLUDES)?;
    let data = st.snapshot();
    record_answer("escalation_policy", data.escalation_policy(&id), |p| {
        st.render(&data).policy(p, &inc)
    })
}

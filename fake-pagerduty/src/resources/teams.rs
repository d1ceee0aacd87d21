//! Teams and their members: `GET /teams`, `/teams/{id}`, `/teams/{id}/members`.
//!
//! Teams come from the organisation table; a user's memberships (and team
//! role) are listed with the user there.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::dataset::Dataset;
use crate::errors::ApiResult;
use crate::handlers::{ListRequest, RecordRequest, matches_text, or_not_found, record_answer};
use crate::organisation::Organisation;
use crate::render::{Render, WEB_BASE};
use crate::rng::stable_id;
use crate::state::AppState;

/// A team.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    /// PagerDuty ID.
    pub id: String,
    /// Display name, e.g. "Platform".
    pub name: String,
    /// Free-text description.
    pub description: String,
    /// Members with their team role, in join order.
    pub members: Vec<TeamMember>,
}

/// A user's membership in a team.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamMember {
    /// The member's user ID.
    pub user_id: String,
    /// `manager`, `responder` or `observer`.
    pub role: String,
}

/// A team in the organisation table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamRow {
    /// Display name (the ID is derived from it).
    pub name: String,
    /// Free-text description.
    pub description: String,
}

/// The ID of the team named `name` (stable: it depends only on the name).
pub(crate) fn team_id(name: &str) -> String {
    stable_id('P', 7, &format!("team:{name}"))
}

/// The teams, in table order, with their members in the order of the users table.
pub(crate) fn generate(org: &Organisation) -> Vec<Team> {
    org.teams
        .iter()
        .map(|row| Team {
            id: team_id(&row.name),
            name: row.name.clone(),
            description: row.description.clone(),
            members: org
                .users
                .iter()
                .flat_map(|user| {
                    user.teams
                        .iter()
                        .filter(|m| m.team == row.name)
                        .map(|m| TeamMember {
                            user_id: crate::resources::users::user_id(&user.name),
                            role: m.role.clone(),
                        })
                })
                .collect(),
        })
        .collect()
}

impl Dataset {
    /// A team by ID.
    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == id)
    }

    /// A team by name (case-insensitive).
    pub fn team_by_name(&self, name: &str) -> Option<&Team> {
        self.teams
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// The teams a user belongs to.
    pub fn teams_of_user(&self, user_id: &str) -> Vec<&Team> {
        self.user(user_id)
            .map(|u| u.team_ids.iter().filter_map(|t| self.team(t)).collect())
            .unwrap_or_default()
    }
}

impl Render<'_> {
    /// `team_reference`.
    pub fn team_ref(&self, id: &str) -> Value {
        let name = self
            .data
            .team(id)
            .map(|t| t.name.as_str())
            .unwrap_or("Unknown team");
        self.reference("team", id, name, "teams", "teams")
    }

    /// A team.
    pub fn team(&self, t: &Team) -> Value {
        json!({
            "id": t.id,
            "type": "team",
            "summary": t.name,
            "self": format!("{}/teams/{}", self.base, t.id),
            "html_url": format!("{WEB_BASE}/teams/{}", t.id),
            "name": t.name,
            "description": t.description,
            "default_role": "manager",
        })
    }
}

/// `/teams`, `/teams/{id}`, `/teams/{id}/members`.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/teams", get(list))
        .route("/teams/{id}", get(get_one))
        .route("/teams/{id}/members", get(members))
}

/// `GET /teams`: `query`, pagination; sorted by name.
async fn list(State(st): State<Arc<AppState>>, list: ListRequest) -> ApiResult<Json<Value>> {
    let text = list.query.text_filter();
    let data = st.snapshot();
    let r = st.render(&data);
    let mut teams: Vec<&Team> = data
        .teams
        .iter()
        .filter(|t| matches_text(&text, &t.name))
        .collect();
    teams.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(list.answer("teams", &teams, |t| r.team(t)))
}

/// `GET /teams/{id}`.
async fn get_one(
    State(st): State<Arc<AppState>>,
    RecordRequest { id, query: q }: RecordRequest,
) -> ApiResult<Json<Value>> {
    q.includes(&["privileges"])?;
    let data = st.snapshot();
    record_answer("team", data.team(&id), |t| st.render(&data).team(t))
}

/// `GET /teams/{id}/members`: `{user, role}` entries, pagination, `include[]=users`.
async fn members(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    list: ListRequest,
) -> ApiResult<Json<Value>> {
    let inc = list.query.includes(&["users"])?;
    let data = st.snapshot();
    let team = or_not_found(data.team(&id))?;
    let r = st.render(&data);
    Ok(list.answer("members", &team.members, |m| {
        let mut user = r.user_ref(&m.user_id);
        if inc.has("users")
            && let Some(u) = data.user(&m.user_id)
        {
            let mut full = r.user(u, &Default::default());
            full["type"] = json!("user_reference");
            user = full;
        }
        json!({ "user": user, "role": m.role })
    }))
}

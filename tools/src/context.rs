//! One tool call's surroundings: the PagerDuty client, the configuration, the clock,
//! and the caller (`GET /users/me`), resolved at most once per call.

use crate::client::{Client, Query};
use crate::config::Config;
use crate::error::{ErrorCode, ToolError, ToolResult};
use crate::projection::id_of;
use serde_json::Value;
use time::OffsetDateTime;

/// The user the token belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentUser {
    /// PagerDuty's user object as `/users/me` returned it.
    pub user: Value,
    /// The user's ID.
    pub id: String,
    /// The user's email (the `From` address of writes).
    pub email: String,
    /// The IDs of the user's teams.
    pub team_ids: Vec<String>,
}

/// A call in progress.
pub struct Call<'a> {
    /// The PagerDuty client.
    pub client: Client<'a>,
    /// The configuration.
    pub config: &'a Config,
    /// The time the call started (the default for time windows).
    pub now: OffsetDateTime,
    me: Option<CurrentUser>,
}

/// What to tell the model when there is no user to filter by.
const PASS_FILTERS: &str =
    "Pass current_user_context=false together with explicit filters instead.";

impl<'a> Call<'a> {
    /// A call starting at `now`.
    pub fn new(client: Client<'a>, config: &'a Config, now: OffsetDateTime) -> Self {
        Call {
            client,
            config,
            now,
            me: None,
        }
    }

    /// The current user, fetched once per call. A token without a user (an
    /// account-level key) gives `USER_CONTEXT_UNAVAILABLE`.
    pub fn me(&mut self) -> ToolResult<&CurrentUser> {
        if self.me.is_none() {
            let body = self.client.get("/users/me", &Query::new()).map_err(|e| match e.upstream_status {
                Some(400 | 404) => ToolError::new(
                    ErrorCode::UserContextUnavailable,
                    format!(
                        "The API token has no user (an account-level key?), so there is no current user. {PASS_FILTERS} PagerDuty said: {}",
                        e.message
                    ),
                ),
                _ => e,
            })?;
            let user = body.get("user").cloned().ok_or_else(|| {
                ToolError::new(
                    ErrorCode::UpstreamError,
                    "PagerDuty's answer to GET /users/me has no 'user'",
                )
            })?;
            let id = id_of(&user).unwrap_or_default().to_string();
            let email = user
                .get("email")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let team_ids = user
                .get("teams")
                .and_then(Value::as_array)
                .map(|teams| teams.iter().filter_map(id_of).map(str::to_string).collect())
                .unwrap_or_default();
            self.me = Some(CurrentUser {
                user,
                id,
                email,
                team_ids,
            });
        }
        Ok(self.me.as_ref().expect("set above"))
    }

    /// The current user's team IDs; `USER_CONTEXT_UNAVAILABLE` when they have none.
    pub fn my_team_ids(&mut self) -> ToolResult<Vec<String>> {
        let me = self.me()?;
        if me.team_ids.is_empty() {
            return Err(ToolError::new(
                ErrorCode::UserContextUnavailable,
                format!(
                    "You ({}) belong to no team, so there is nothing to filter by. {PASS_FILTERS}",
                    me.id
                ),
            ));
        }
        Ok(me.team_ids.clone())
    }

    /// The IDs of the escalation policies PagerDuty returns for `user_ids[]=<me>`.
    pub fn my_escalation_policy_ids(&mut self) -> ToolResult<Vec<String>> {
        let id = self.me()?.id.clone();
        let mut q = Query::new();
        q.push("user_ids[]", id);
        self.ids_of_all("/escalation_policies", &q, "escalation_policies")
    }

    /// The IDs of every item of a list (all pages).
    pub fn ids_of_all(&mut self, path: &str, query: &Query, key: &str) -> ToolResult<Vec<String>> {
        Ok(self
            .client
            .list_all(path, query, key)?
            .iter()
            .filter_map(id_of)
            .map(str::to_string)
            .collect())
    }

    /// Sends `body` to `path` with `method` from [`Call::from_address`]; PagerDuty's
    /// answer.
    pub fn write(
        &mut self,
        method: crate::http::Method,
        path: &str,
        body: &Value,
    ) -> ToolResult<Value> {
        let from = self.from_address()?;
        self.client.write(method, path, body, &from)
    }

    /// The `From` address for writes: the configured email, else the current user's.
    pub fn from_address(&mut self) -> ToolResult<String> {
        if let Some(email) = &self.config.user_email {
            return Ok(email.clone());
        }
        let me = self.me().map_err(|e| match e.code {
            ErrorCode::UserContextUnavailable => ToolError::new(
                ErrorCode::UserContextUnavailable,
                "Writes need a From address: the token has no user, so set PAGERDUTY_USER_EMAIL (or --user-email) to the email of the PagerDuty user acting",
            ),
            _ => e,
        })?;
        Ok(me.email.clone())
    }
}

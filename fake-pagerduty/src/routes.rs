//! The HTTP API: every resource's routes, plus what wraps them all (request
//! recording and fault injection, authentication, PagerDuty's 404 and 405).

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;

use crate::errors::ApiError;
use crate::resources::{
    escalation_policies, incidents, oncalls, schedules, services, teams, users,
};
use crate::state::AppState;
use crate::{auth, log};

/// The complete API as an axum router (request recording, faults and
/// authentication included).
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(users::router())
        .merge(teams::router())
        .merge(services::router())
        .merge(incidents::router())
        .merge(escalation_policies::router())
        .merge(oncalls::router())
        .merge(schedules::router())
        .fallback(not_found)
        // After the merges: it applies to the routes registered so far.
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.clone(), auth::require))
        .layer(from_fn_with_state(state.clone(), log::record))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

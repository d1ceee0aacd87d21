//! The HTTP API: every resource's routes (listed in `src/resources/mod.rs`),
//! plus what wraps them all (request recording and fault injection,
//! authentication, PagerDuty's 404 and 405).

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;

use crate::errors::ApiError;
use crate::state::AppState;
use crate::{auth, log, resources};

/// The complete API as an axum router (request recording, faults and
/// authentication included).
pub fn router(state: Arc<AppState>) -> Router {
    resources::router()
        .fallback(not_found)
        // After the resources' routes: it applies to the routes registered so far.
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

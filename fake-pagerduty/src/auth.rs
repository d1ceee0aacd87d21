//! Authentication: `Authorization: Token token=<t>` or `Authorization: Bearer <t>`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::errors::ApiError;
use crate::state::AppState;
use crate::{ACCOUNT_TOKEN, CURRENT_USER_ID, OAUTH_TOKEN, USER_TOKEN};

/// Who is calling, as derived from the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A user-level token (API key or OAuth) of this user.
    User(String),
    /// An account-level API key: no current user.
    Account,
}

/// The caller for an `Authorization` header value, if it carries a known token.
pub fn caller_for(authorization: &str) -> Option<Caller> {
    let authorization = authorization.trim();
    let token = if let Some(rest) = authorization.strip_prefix("Token ") {
        rest.trim().strip_prefix("token=")?.trim()
    } else if let Some(rest) = authorization.strip_prefix("Bearer ") {
        rest.trim()
    } else {
        return None;
    };
    match token {
        USER_TOKEN | OAUTH_TOKEN => Some(Caller::User(CURRENT_USER_ID.to_string())),
        ACCOUNT_TOKEN => Some(Caller::Account),
        _ => None,
    }
}

/// Rejects requests without a valid token (401) and stores the [`Caller`] in the
/// request extensions. Without an `Authorization` header the caller is the
/// current user when the fake was started so ([`AppState::anonymous_is_current_user`]).
pub async fn require(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = match request.headers().get(axum::http::header::AUTHORIZATION) {
        Some(value) => value.to_str().ok().and_then(caller_for),
        None if state.anonymous_is_current_user() => {
            Some(Caller::User(CURRENT_USER_ID.to_string()))
        }
        None => None,
    };
    match caller {
        Some(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        None => ApiError::unauthorized().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_forms() {
        assert_eq!(
            caller_for("Token token=fake-user-token"),
            Some(Caller::User(CURRENT_USER_ID.into()))
        );
        assert_eq!(
            caller_for("Token token=fake-account-token"),
            Some(Caller::Account)
        );
        assert_eq!(
            caller_for("Bearer pdus+_fake-oauth-token"),
            Some(Caller::User(CURRENT_USER_ID.into()))
        );
        assert_eq!(caller_for("Bearer nope"), None);
        assert_eq!(caller_for("fake-user-token"), None);
        assert_eq!(caller_for("Token fake-user-token"), None);
    }
}

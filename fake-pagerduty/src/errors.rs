//! PagerDuty-shaped error answers.
//!
//! Every error body looks like PagerDuty's:
//! `{"error":{"message":"...","code":NNNN,"errors":["..."]}}` (`errors` only when
//! there are details).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer: HTTP status plus PagerDuty's error object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// PagerDuty's `error.message`.
    pub message: String,
    /// PagerDuty's numeric `error.code`.
    pub code: u32,
    /// PagerDuty's `error.errors` details (omitted when empty).
    pub errors: Vec<String>,
}

impl ApiError {
    /// 400 "Invalid Input Provided" (code 2001) with one explanation.
    pub fn invalid_input(detail: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            message: "Invalid Input Provided".into(),
            code: 2001,
            errors: vec![detail.into()],
        }
    }

    /// 400 for an enum-valued parameter given a value outside the enum.
    pub fn invalid_enum(param: &str, value: &str, allowed: &[&str]) -> ApiError {
        ApiError::invalid_input(format!(
            "{param} has an invalid value '{value}'. Valid values are: {}.",
            allowed.join(", ")
        ))
    }

    /// 401: missing or unknown credentials (code 2006).
    pub fn unauthorized() -> ApiError {
        ApiError {
            status: 401,
            message: "Authentication failed".into(),
            code: 2006,
            errors: vec![],
        }
    }

    /// 404 "Not Found" (code 2100).
    pub fn not_found() -> ApiError {
        ApiError {
            status: 404,
            message: "Not Found".into(),
            code: 2100,
            errors: vec![],
        }
    }

    /// 405 for a known path with an unsupported method.
    pub fn method_not_allowed() -> ApiError {
        ApiError {
            status: 405,
            message: "Method Not Allowed".into(),
            code: 2100,
            errors: vec![],
        }
    }

    /// 400: a write without a `From` header (code 2016).
    pub fn from_header_missing() -> ApiError {
        ApiError {
            status: 400,
            message: "You must specify a user's email address in the \"From\" header to perform this action"
                .into(),
            code: 2016,
            errors: vec![],
        }
    }

    /// 400: the `From` header names no user of the account (code 1008).
    pub fn requester_not_found() -> ApiError {
        ApiError {
            status: 400,
            message: "Requester User Not Found".into(),
            code: 1008,
            errors: vec![],
        }
    }

    /// The JSON body PagerDuty would send.
    pub fn body(&self) -> serde_json::Value {
        let mut error = json!({ "message": self.message, "code": self.code });
        if !self.errors.is_empty() {
            error["errors"] = json!(self.errors);
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, axum::Json(self.body())).into_response()
    }
}

/// Handler result: a JSON answer or a PagerDuty error.
pub type ApiResult<T> = Result<T, ApiError>;

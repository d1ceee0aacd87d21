//! What every resource's handlers share, so a resource module only says which
//! records match and how one is rendered:
//!
//! * [`ListRequest`]: the list mechanics. It decodes the query and validates
//!   `limit`/`offset`/`total` first (so a bad page, including PagerDuty's
//!   `offset + limit` ≤ 10000 cap, is the 400 a request gets even when other
//!   parameters are wrong too), then [`ListRequest::answer`] cuts the matching
//!   records to the page and wraps them in PagerDuty's envelope (`more`, `total`).
//! * [`record_answer`] and [`or_not_found`]: the get-by-ID mechanics, with
//!   PagerDuty's 404 body when there is no such record.
//! * [`RecordRequest`]: the ID in the path and the decoded query of a request
//!   about one record (a get-by-ID or a sub-resource of one record).
//! * [`WriteRequest`]: the mechanics of a write, its `From` header
//!   ([`requester`]) and its JSON body, read with [`required_object`],
//!   [`required_text`], [`non_empty_array`] and [`check_type`].
//! * Query filters shared by several lists ([`matches_text`], [`matches_any`],
//!   [`name_sort`]).

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::dataset::Dataset;
use crate::errors::{ApiError, ApiResult};
use crate::pagination::Page;
use crate::query::Query;
use crate::state::AppState;

/// A request to a list endpoint: its decoded query and its validated page.
///
/// As a handler argument it rejects a bad page with PagerDuty's 400 before the
/// handler runs, which is the order PagerDuty validates in.
#[derive(Debug, Clone)]
pub struct ListRequest {
    /// The decoded query, for the resource's own filters.
    pub query: Query,
    /// `limit`, `offset` and `total`, validated.
    pub page: Page,
}

impl ListRequest {
    /// Decodes a raw query string and validates its page parameters.
    pub fn parse(raw: Option<&str>) -> ApiResult<ListRequest> {
        let query = Query::parse(raw);
        let page = Page::from_query(&query)?;
        Ok(ListRequest { query, page })
    }

    /// PagerDuty's list envelope `{"<key>": [...], "limit", "offset", "more",
    /// "total"}` over the matching `records`, in order; only the records of the
    /// page are rendered.
    pub fn answer<T>(&self, key: &str, records: &[T], render: impl Fn(&T) -> Value) -> Json<Value> {
        Json(self.page.envelope_of(key, records, render))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ListRequest {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<ListRequest> {
        ListRequest::parse(parts.uri.query())
    }
}

/// A request about one record: the `{id}` of its path and its decoded query.
///
/// As a handler argument it stands for `Path<String>` and `RawQuery` (a path
/// that does not decode is rejected as `Path` rejects it).
#[derive(Debug, Clone)]
pub struct RecordRequest {
    /// The record's ID, from the path.
    pub id: String,
    /// The decoded query.
    pub query: Query,
}

impl<S: Send + Sync> FromRequestParts<S> for RecordRequest {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<RecordRequest, Response> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let query = Query::parse(parts.uri.query());
        Ok(RecordRequest { id, query })
    }
}

/// A write: the user its `From` header names and its JSON body.
///
/// As a handler argument (the last: it reads the body) it rejects, in this
/// order, a body that is not text (as `String` does), a missing or unknown
/// `From` ([`requester`]) and a body that is not JSON.
#[derive(Debug, Clone)]
pub struct WriteRequest {
    /// The ID of the user the `From` header names.
    pub user_id: String,
    /// The request body.
    pub body: Value,
}

impl FromRequest<Arc<AppState>> for WriteRequest {
    type Rejection = Response;

    async fn from_request(req: Request, st: &Arc<AppState>) -> Result<WriteRequest, Response> {
        let headers = req.headers().clone();
        let text = String::from_request(req, st)
            .await
            .map_err(IntoResponse::into_response)?;
        let user_id = requester(&st.snapshot(), &headers).map_err(IntoResponse::into_response)?;
        let body = parse_body(&text).map_err(IntoResponse::into_response)?;
        Ok(WriteRequest { user_id, body })
    }
}

/// The JSON body of a write (400 when it is not JSON).
fn parse_body(body: &str) -> ApiResult<Value> {
    serde_json::from_str(body)
        .map_err(|e| ApiError::invalid_input(format!("The request body is not valid JSON: {e}")))
}

/// Checks the `type` (`type_value`) of the object a write body has at `label`
/// (`incident`, `incidents[3].priority`): 400 when it is absent, not text or
/// not one of `allowed`.
pub fn check_type(type_value: Option<&Value>, label: &str, allowed: &[&str]) -> ApiResult<()> {
    match type_value.and_then(Value::as_str) {
        Some(t) if allowed.contains(&t) => Ok(()),
        Some(other) => Err(ApiError::invalid_enum(
            &format!("{label}.type"),
            other,
            allowed,
        )),
        None => Err(ApiError::invalid_input(format!("{label}.type is required"))),
    }
}

/// The object of a write body at `label` (400 `<label> is required` when
/// absent or not an object).
pub fn required_object<'v>(
    value: Option<&'v Value>,
    label: &str,
) -> ApiResult<&'v Map<String, Value>> {
    value
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::invalid_input(format!("{label} is required")))
}

/// The text of a write body at `label` (400 `<label> is required` when absent,
/// not text or blank).
pub fn required_text(value: Option<&Value>, label: &str) -> ApiResult<String> {
    value
        .and_then(Value::as_str)
        .filter(|text| !text.trim().is_empty())
        .map(str::to_string)
        .ok_or_else(|| ApiError::invalid_input(format!("{label} is required")))
}

/// The array of a write body at `label` (400 `<label> must be a non-empty
/// array` when absent, not an array or empty).
pub fn non_empty_array<'v>(value: Option<&'v Value>, label: &str) -> ApiResult<&'v Vec<Value>> {
    value
        .and_then(Value::as_array)
        .filter(|items| !items.is_empty())
        .ok_or_else(|| ApiError::invalid_input(format!("{label} must be a non-empty array")))
}

/// The record, or PagerDuty's 404 (`{"error":{"message":"Not Found","code":2100}}`).
pub fn or_not_found<T>(record: Option<T>) -> ApiResult<T> {
    record.ok_or_else(ApiError::not_found)
}

/// The answer of a get-by-ID endpoint: `{"<key>": <the record rendered>}`, or
/// PagerDuty's 404 when there is no such record.
pub fn record_answer<T>(
    key: &str,
    record: Option<&T>,
    render: impl FnOnce(&T) -> Value,
) -> ApiResult<Json<Value>> {
    let record = or_not_found(record)?;
    let mut body = Map::new();
    body.insert(key.to_string(), render(record));
    Ok(Json(Value::Object(body)))
}

/// Whether `name` contains the lower-cased `filter` (no filter: always), for
/// the case-insensitive `query` parameter.
pub fn matches_text(filter: &Option<String>, name: &str) -> bool {
    filter
        .as_ref()
        .is_none_or(|f| name.to_lowercase().contains(f))
}

/// Whether any of a record's `ids` is in an ID filter such as `team_ids[]`
/// (an empty filter matches everything).
pub fn matches_any(filter: &[String], ids: &[String]) -> bool {
    filter.is_empty() || ids.iter().any(|id| filter.contains(id))
}

/// Validates a `sort_by` of `name`, `name:asc` or `name:desc`; `true` means descending.
pub fn name_sort(q: &Query) -> ApiResult<bool> {
    const ALLOWED: &[&str] = &["name", "name:asc", "name:desc"];
    match q.get("sort_by") {
        None | Some("") => Ok(false),
        Some(v) if ALLOWED.contains(&v) => Ok(v == "name:desc"),
        Some(v) => Err(ApiError::invalid_enum("sort_by", v, ALLOWED)),
    }
}

/// The user named by the `From` header of a write (PagerDuty requires one).
pub fn requester(data: &Dataset, headers: &HeaderMap) -> ApiResult<String> {
    let from = headers
        .get("from")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(ApiError::from_header_missing)?;
    data.user_by_email(from)
        .map(|u| u.id.clone())
        .ok_or_else(ApiError::requester_not_found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn list_request_validates_the_page_first() {
        assert_eq!(
            ListRequest::parse(Some("offset=9901&limit=100&include[]=bad"))
                .unwrap_err()
                .status,
            400
        );
        let list = ListRequest::parse(Some("limit=2&offset=1&total=true")).unwrap();
        let Json(body) = list.answer("things", &[1, 2, 3, 4], |n| json!(n));
        assert_eq!(
            body,
            json!({"things": [2, 3], "limit": 2, "offset": 1, "more": true, "total": 4})
        );
    }

    #[test]
    fn missing_records_are_404() {
        let missing: Option<&u8> = None;
        assert_eq!(
            record_answer("thing", missing, |n| json!(n))
                .unwrap_err()
                .status,
            404
        );
        let Json(body) = record_answer("thing", Some(&7), |n| json!(n)).unwrap();
        assert_eq!(body, json!({"thing": 7}));
    }

    #[test]
    fn id_filters() {
        let ids = vec!["A".to_string(), "B".to_string()];
        assert!(matches_any(&[], &ids));
        assert!(matches_any(&["B".to_string()], &ids));
        assert!(!matches_any(&["C".to_string()], &ids));
        assert!(!matches_any(&["C".to_string()], &[]));
    }
}

//! PagerDuty's classic offset pagination.
//!
//! * `limit`: default 25, at most 100 (a larger value is clamped, and the answer's
//!   `limit` says 100).
//! * `offset`: default 0.
//! * `total`: `null` unless `total=true` was sent.
//! * `offset + limit` may not exceed 10000 (400 otherwise).

use serde_json::{Map, Value, json};

use crate::errors::{ApiError, ApiResult};
use crate::query::Query;

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 25;
/// Largest page size; larger requests are clamped to it.
pub const MAX_LIMIT: u64 = 100;
/// `offset + limit` beyond this is rejected.
pub const MAX_WINDOW: u64 = 10_000;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Page size after clamping.
    pub limit: u64,
    /// Index of the first item.
    pub offset: u64,
    /// Whether `total=true` was sent.
    pub want_total: bool,
}

impl Page {
    /// Reads `limit`, `offset` and `total` from the query.
    pub fn from_query(q: &Query) -> ApiResult<Page> {
        let limit = match non_negative(q, "limit")? {
            None | Some(0) => DEFAULT_LIMIT,
            Some(n) => n.min(MAX_LIMIT),
        };
        let offset = non_negative(q, "offset")?.unwrap_or(0);
        if offset + limit > MAX_WINDOW {
            return Err(ApiError::invalid_input(format!(
                "Offset + limit must be less than or equal to {MAX_WINDOW}; use a narrower query to see more results"
            )));
        }
        let want_total = q.bool("total")?.unwrap_or(false);
        Ok(Page {
            limit,
            offset,
            want_total,
        })
    }

    /// Cuts `items` to this page and builds PagerDuty's list envelope
    /// `{"<key>": [...], "limit", "offset", "more", "total"}`.
    pub fn envelope(&self, key: &str, items: Vec<Value>) -> Value {
        self.envelope_of(key, &items, Value::clone)
    }

    /// Like [`Page::envelope`], rendering only the items of the page.
    pub fn envelope_of<T>(&self, key: &str, items: &[T], render: impl Fn(&T) -> Value) -> Value {
        let total = items.len() as u64;
        let page: Vec<Value> = items
            .iter()
            .skip(self.offset as usize)
            .take(self.limit as usize)
            .map(render)
            .collect();
        let more = self.offset + (page.len() as u64) < total;
        let mut body = Map::new();
        body.insert(key.to_string(), Value::Array(page));
        body.insert("limit".into(), json!(self.limit));
        body.insert("offset".into(), json!(self.offset));
        body.insert("more".into(), json!(more));
        body.insert(
            "total".into(),
            if self.want_total {
                json!(total)
            } else {
                Value::Null
            },
        );
        Value::Object(body)
    }
}

fn non_negative(q: &Query, name: &str) -> ApiResult<Option<u64>> {
    match q.get(name) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| Some(n as u64))
            .ok_or_else(|| {
                ApiError::invalid_input(format!("{name} must be a non-negative integer, got '{v}'"))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(qs: &str) -> ApiResult<Page> {
        Page::from_query(&Query::parse(Some(qs)))
    }

    #[test]
    fn defaults_and_clamp() {
        assert_eq!(
            page("").unwrap(),
            Page {
                limit: 25,
                offset: 0,
                want_total: false
            }
        );
        assert_eq!(page("limit=1000").unwrap().limit, 100);
        assert_eq!(
            page("limit=7&offset=3&total=true").unwrap(),
            Page {
                limit: 7,
                offset: 3,
                want_total: true
            }
        );
    }

    #[test]
    fn window_cap() {
        assert!(page("offset=9900&limit=100").is_ok());
        assert_eq!(page("offset=9901&limit=100").unwrap_err().status, 400);
        assert_eq!(page("offset=9999&limit=500").unwrap_err().status, 400);
        assert_eq!(page("limit=-1").unwrap_err().status, 400);
        assert_eq!(page("offset=abc").unwrap_err().status, 400);
    }

    #[test]
    fn envelope_more_and_total() {
        let items: Vec<Value> = (0..30).map(|i| json!(i)).collect();
        let p = page("limit=25").unwrap();
        let body = p.envelope("things", items.clone());
        assert_eq!(body["things"].as_array().unwrap().len(), 25);
        assert_eq!(body["more"], json!(true));
        assert_eq!(body["total"], Value::Null);
        let p = page("offset=25&total=true").unwrap();
        let body = p.envelope("things", items);
        assert_eq!(body["things"].as_array().unwrap().len(), 5);
        assert_eq!(body["more"], json!(false));
        assert_eq!(body["total"], json!(30));
    }
}

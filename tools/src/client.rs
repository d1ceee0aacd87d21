//! The PagerDuty REST API v2 client: request building, error mapping and pagination.
//!
//! Every request carries PagerDuty's version `Accept` header and the `Content-Type`
//! the spec declares required. `Authorization` is not ours to set: the host adds it.
//!
//! Limits per call: at most [`MAX_REQUESTS_PER_CALL`] requests (retries included), no
//! URL longer than [`MAX_URL_BYTES`], and PagerDuty's error text cut to
//! [`MAX_UPSTREAM_DETAIL_BYTES`].

use crate::config::redact_urls_in;
use crate::error::{ErrorCode, ToolError, ToolResult, cut_text};
use crate::http::{HttpRequest, HttpResponse, Method, Transport, TransportError};
use crate::streamed;
use serde_json::Value;
use std::cell::Cell;
use std::time::{Duration, Instant};

/// PagerDuty's versioned media type.
pub const ACCEPT: &str = "application/vnd.pagerduty+json;version=2";

/// The most items PagerDuty returns per page.
pub const PAGE_SIZE: usize = 100;

/// PagerDuty rejects `offset + limit` beyond this.
pub const OFFSET_CAP: usize = 10_000;

/// The most PagerDuty requests one tool call sends, retries included. A `limit=1000`
/// list takes 10 pages; the cap stops an upstream that answers `more: true` forever
/// (or an account so large that the call should be narrowed) from turning one call
/// into thousands of requests.
pub const MAX_REQUESTS_PER_CALL: u32 = 100;

/// The longest request URL sent, in bytes: the length RFC 9110 (section 4.1)
/// recommends every recipient support. A longer one (a long ID list) would risk a
/// refusal PagerDuty's edge gives as a dropped connection or a 414, so it is a
/// parameter error before anything is sent.
pub const MAX_URL_BYTES: usize = 8_000;

/// The most bytes of PagerDuty's own error text (message and `errors`) kept in a
/// tool error; the rest is cut with a marker.
pub const MAX_UPSTREAM_DETAIL_BYTES: usize = 4_000;

/// The most bytes of a transport failure's cause or a header value echoed in a tool
/// error.
const MAX_ECHO_BYTES: usize = 500;

/// Query parameters in the order they are sent; array parameters repeat their key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// An empty query.
    pub fn new() -> Self {
        Query::default()
    }

    /// Adds `key=value`.
    pub fn push(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.0.push((key.to_string(), value.into()));
        self
    }

    /// Adds `key=value` once per value (PagerDuty's `name[]=` arrays).
    pub fn push_all<S: AsRef<str>>(&mut self, key: &str, values: &[S]) -> &mut Self {
        for value in values {
            self.push(key, value.as_ref());
        }
        self
    }

    /// The pairs.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    fn encode(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.0.iter())
            .finish()
    }
}

/// One stretch of a paginated list, as much as the caller asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T = Value> {
    /// The items, at most the requested limit.
    pub items: Vec<T>,
    /// PagerDuty has more items than were returned.
    pub has_more: bool,
    /// Paging stopped at PagerDuty's 10,000 offset cap while more existed.
    pub truncated: bool,
}

/// How many times one request is retried after a 429, a 5xx or a lost connection.
pub const MAX_RETRIES: u32 = 3;

/// The first backoff when PagerDuty does not say how long to wait; doubled per retry.
const BASE_BACKOFF: Duration = Duration::from_millis(300);

/// Talks to one PagerDuty API base through a [`Transport`].
///
/// Retries: a 429 is retried after the wait PagerDuty asks for (`ratelimit-reset`,
/// else `Retry-After`, else jittered backoff); 5xx answers and lost connections are
/// retried with jittered backoff for reads and idempotent writes (`PUT`) only, never
/// for `POST` or `DELETE` (a `DELETE` may end an ongoing override or window: sent
/// again, it is refused, hiding that the first one worked). At most [`MAX_RETRIES`] retries, and none that would not end within
/// the call's budget if it took as long as the attempt before it, nor beyond the
/// call's [`MAX_REQUESTS_PER_CALL`].
pub struct Client<'t> {
    transport: &'t dyn Transport,
    api_host: String,
    /// The time the whole call may take; waits that would exceed it are not made.
    budget: Duration,
    /// Time spent so far: requests (measured) and waits (as asked).
    spent: Cell<Duration>,
    /// Requests sent so far, retries included.
    requests: Cell<u32>,
    /// The status of the last 2xx answer (what a bodiless answer says).
    last_success_status: Cell<u16>,
}

impl<'t> Client<'t> {
    /// A client for `api_host` (no trailing slash) sending through `transport`, whose
    /// requests and retries together may take `budget`.
    pub fn new(transport: &'t dyn Transport, api_host: &str, budget: Duration) -> Self {
        Client {
            transport,
            api_host: api_host.trim_end_matches('/').to_string(),
            budget,
            spent: Cell::new(Duration::ZERO),
            requests: Cell::new(0),
            last_success_status: Cell::new(0),
        }
    }

    /// The requests sent so far by this client (one call), retries included.
    pub fn requests_sent(&self) -> u32 {
        self.requests.get()
    }

    /// `GET path?query`, the decoded JSON body.
    pub fn get(&self, path: &str, query: &Query) -> ToolResult<Value> {
        self.send(Method::Get, path, query, None, None, &parse_value)
    }

    /// A write (`PUT`/`POST`) with a JSON body and the `From` header PagerDuty requires.
    pub fn write(&self, method: Method, path: &str, body: &Value, from: &str) -> ToolResult<Value> {
        self.send(
            method,
            path,
            &Query::new(),
            Some(body),
            Some(from),
            &parse_value,
        )
    }

    /// `DELETE path` with the `From` header; the answer's 2xx status, which is all
    /// PagerDuty answers (e.g. 204 deleted, 200 an ongoing override ended now).
    pub fn delete(&self, path: &str, from: &str) -> ToolResult<u16> {
        self.send(
            Method::Delete,
            path,
            &Query::new(),
            None,
            Some(from),
            &parse_value,
        )?;
        Ok(self.last_success_status.get())
    }

    /// Pages through a classic offset-paginated list until `limit` items are collected
    /// or PagerDuty has no more. `key` is the list's field in the answer (`"incidents"`).
    /// Never asks for `offset + limit` beyond [`OFFSET_CAP`].
    pub fn list(&self, path: &str, query: &Query, key: &str, limit: usize) -> ToolResult<Page> {
        self.page_through(query, limit, |q| {
            let body = self.get(path, q)?;
            let more = body.get("more").and_then(Value::as_bool).unwrap_or(false);
            Ok((take_list(body, key)?, more))
        })
    }

    /// [`Client::list`], each item projected by `spec` as it is read
    /// ([`crate::streamed`]: the cheap way through a long list).
    pub fn list_projected(
        &self,
        path: &str,
        query: &Query,
        spec: &streamed::Spec<'_>,
        limit: usize,
    ) -> ToolResult<Page<streamed::Item>> {
        let parse = |bytes: &[u8]| streamed::parse(bytes, spec);
        self.page_through(query, limit, |q| {
            let answer = self.send(Method::Get, path, q, None, None, &parse)?;
            let more = answer
                .rest
                .get("more")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let items = answer.items.ok_or_else(|| no_list(spec.key))?;
            Ok((items, more))
        })
    }

    /// The paging of [`Client::list`]: `fetch` gets one page's query and returns its
    /// items and PagerDuty's `more`.
    fn page_through<T>(
        &self,
        query: &Query,
        limit: usize,
        fetch: impl Fn(&Query) -> ToolResult<(Vec<T>, bool)>,
    ) -> ToolResult<Page<T>> {
        let mut page = Page {
            items: Vec::new(),
            has_more: false,
            truncated: false,
        };
        let mut offset = 0;
        loop {
            let wanted = limit - page.items.len();
            let page_limit = wanted.min(PAGE_SIZE).min(OFFSET_CAP.saturating_sub(offset));
            if page_limit == 0 {
                page.truncated = true;
                page.has_more = true;
                return Ok(page);
            }
            let mut q = query.clone();
            q.push("limit", page_limit.to_string())
                .push("offset", offset.to_string());
            let (items, more) = fetch(&q)?;
            let received = items.len();
            page.items.extend(items.into_iter().take(wanted));
            if page.items.len() >= limit {
                page.has_more = more || received > wanted;
                return Ok(page);
            }
            if !more || received == 0 {
                return Ok(page);
            }
            offset += received;
        }
    }

    /// Every item of a paginated list, up to the offset cap (for look-ups such as the
    /// current user's teams' services, where a partial answer would filter wrongly).
    pub fn list_all(&self, path: &str, query: &Query, key: &str) -> ToolResult<Vec<Value>> {
        Ok(self.list(path, query, key, OFFSET_CAP)?.items)
    }

    fn send<T>(
        &self,
        method: Method,
        path: &str,
        query: &Query,
        body: Option<&Value>,
        from: Option<&str>,
        parse: &dyn Fn(&[u8]) -> serde_json::Result<T>,
    ) -> ToolResult<T> {
        let mut url = format!("{}{}", self.api_host, path);
        if !query.pairs().is_empty() {
            url.push('?');
            url.push_str(&query.encode());
        }
        if url.len() > MAX_URL_BYTES {
            return Err(url_too_long(method, path, query, url.len()));
        }
        let mut headers = vec![
            ("Accept", ACCEPT.to_string()),
            ("Content-Type", "application/json".to_string()),
        ];
        if let Some(from) = from {
            headers.push(("From", from.to_string()));
        }
        let request = HttpRequest {
            method,
            url,
            headers,
            body: body.map(|b| serde_json::to_vec(b).expect("a JSON value serializes")),
        };
        // A 5xx or a lost answer may hide a write PagerDuty made: only reads and
        // `PUT`s (which set a state) are sent again; a `POST` or `DELETE` is sent once.
        let resendable = matches!(method, Method::Get | Method::Put);
        let mut retries = 0;
        let mut timeouts = 0;
        if self.requests.get() >= MAX_REQUESTS_PER_CALL {
            return Err(self.out_of_requests(method, path));
        }
        loop {
            self.requests.set(self.requests.get() + 1);
            let started = Instant::now();
            let result = self.transport.send(&request);
            let attempt = started.elapsed();
            self.spend(attempt);
            let wait = match &result {
                Ok(r) if r.status == 429 => Some(
                    retry_after_seconds(r).map_or_else(|| backoff(retries), Duration::from_secs),
                ),
                Ok(r) if r.status >= 500 && resendable => Some(backoff(retries)),
                Err(TransportError::Network(_)) if resendable => Some(backoff(retries)),
                Err(TransportError::Timeout(_)) if resendable && timeouts == 0 => {
                    timeouts += 1;
                    Some(backoff(retries))
                }
                _ => None,
            };
            // A retry is made only if it can end within the budget, taking as long as
            // this attempt did: the call then ends with its own error before the
            // host's deadline stops it. It also counts against the request cap; at
            // the cap the call ends with PagerDuty's own answer, the more useful error.
            match wait {
                Some(wait)
                    if retries < MAX_RETRIES
                        && self.requests.get() < MAX_REQUESTS_PER_CALL
                        && self.spent.get() + wait + attempt < self.budget =>
                {
                    self.transport.sleep(wait);
                    self.spend(wait);
                    retries += 1;
                }
                _ => return self.finish(method, path, result, retries, parse),
            }
        }
    }

    fn spend(&self, duration: Duration) {
        self.spent.set(self.spent.get() + duration);
    }

    /// The error of a call that has used up its [`MAX_REQUESTS_PER_CALL`].
    fn out_of_requests(&self, method: Method, path: &str) -> ToolError {
        ToolError::new(
            ErrorCode::UpstreamError,
            format!(
                "This call needed more than {MAX_REQUESTS_PER_CALL} PagerDuty requests (the per-call limit, retries included) \
                 and stopped before {} {path}. Narrow it: lower 'limit', add filters or a shorter time window, \
                 or pass current_user_context=false with explicit filters where the tool has it.",
                method.as_str()
            ),
        )
    }

    /// The final answer of a request after `retries` retries.
    fn finish<T>(
        &self,
        method: Method,
        path: &str,
        result: Result<HttpResponse, TransportError>,
        retries: u32,
        parse: &dyn Fn(&[u8]) -> serde_json::Result<T>,
    ) -> ToolResult<T> {
        let after = match retries {
            0 => String::new(),
            n => format!(" (after {n} retries)"),
        };
        let response = result.map_err(|e| match e {
            TransportError::Network(cause)
            | TransportError::Timeout(cause)
            | TransportError::Denied(cause) => ToolError::new(
                ErrorCode::NetworkError,
                format!(
                    "Could not reach PagerDuty ({} {path}){after}: {}",
                    method.as_str(),
                    // The HTTP layer's text may quote the URL, which carries the
                    // API host as configured.
                    cut_text(&redact_urls_in(&cause), MAX_ECHO_BYTES)
                ),
            ),
            TransportError::BodyTooLarge { limit } => ToolError::new(
                ErrorCode::ResponseTooLarge,
                format!(
                    "PagerDuty's answer exceeded {limit} bytes; narrow the filters or lower 'limit'"
                ),
            ),
        })?;
        if (200..300).contains(&response.status) {
            self.last_success_status.set(response.status);
        }
        decode(method, path, &response, parse).map_err(|mut e| {
            e.message.push_str(&after);
            e
        })
    }
}

/// Jittered exponential backoff for retry number `retries` (0-based).
fn backoff(retries: u32) -> Duration {
    BASE_BACKOFF.mul_f64(f64::from(1u32 << retries.min(8)) * (0.5 + fastrand::f64()))
}

/// The JSON of a body, whole.
fn parse_value(bytes: &[u8]) -> serde_json::Result<Value> {
    serde_json::from_slice(bytes)
}

/// Maps a response to its JSON body (read by `parse`; an empty body is `null`) or
/// to the tool error its status means.
fn decode<T>(
    method: Method,
    path: &str,
    response: &HttpResponse,
    parse: &dyn Fn(&[u8]) -> serde_json::Result<T>,
) -> ToolResult<T> {
    let status = response.status;
    if (200..300).contains(&status) {
        if response.body.is_empty() {
            return parse(b"null")
                .map_err(|e| ToolError::new(ErrorCode::UpstreamError, e.to_string()));
        }
        if let Some(content_type) = response.header("content-type")
            && !content_type.to_ascii_lowercase().contains("json")
        {
            return Err(ToolError::new(
                ErrorCode::UpstreamError,
                format!(
                    "PagerDuty answered {} {path} with {}, not JSON",
                    method.as_str(),
                    cut_text(content_type, MAX_ECHO_BYTES)
                ),
            ));
        }
        return parse(&response.body).map_err(|e| {
            ToolError::new(
                ErrorCode::UpstreamError,
                format!(
                    "PagerDuty's answer to {} {path} was not valid JSON: {e}",
                    method.as_str()
                ),
            )
        });
    }
    let detail = pagerduty_error_detail(&response.body);
    let (code, what) = match status {
        401 => (
            ErrorCode::Unauthorized,
            "PagerDuty rejected the API token (401)".to_string(),
        ),
        403 => (
            ErrorCode::Forbidden,
            "The API token may not do this (403)".to_string(),
        ),
        404 => (ErrorCode::NotFound, format!("Not found: {path} (404)")),
        429 => (
            ErrorCode::RateLimited,
            format!(
                "PagerDuty's rate limit was reached (429); retry in {} seconds",
                retry_after_seconds(response).unwrap_or(60)
            ),
        ),
        _ => (
            ErrorCode::UpstreamError,
            format!("PagerDuty answered {status} to {} {path}", method.as_str()),
        ),
    };
    let message = match detail {
        Some(detail) => format!("{what}: {detail}"),
        None => what,
    };
    Err(ToolError {
        upstream_status: Some(status),
        ..ToolError::new(code, message)
    })
}

/// The seconds PagerDuty asks to wait: `ratelimit-reset`, else `Retry-After`.
pub fn retry_after_seconds(response: &HttpResponse) -> Option<u64> {
    ["ratelimit-reset", "retry-after"]
        .iter()
        .find_map(|h| response.header(h)?.trim().parse().ok())
}

/// PagerDuty's own error text: `{"error": {"message", "code", "errors": [...]}}`,
/// cut to [`MAX_UPSTREAM_DETAIL_BYTES`] with a marker (an error body can be megabytes).
fn pagerduty_error_detail(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let error = value.get("error")?;
    let mut detail = error.get("message")?.as_str()?.to_string();
    if let Some(code) = error.get("code").and_then(Value::as_i64) {
        detail.push_str(&format!(" (PagerDuty error code {code})"));
    }
    let errors = error
        .get("errors")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str))
        .into_iter()
        .flatten();
    for (i, text) in errors.enumerate() {
        // Joining stops once past the cap: the rest would be cut anyway.
        if detail.len() > MAX_UPSTREAM_DETAIL_BYTES {
            break;
        }
        detail.push_str(if i == 0 { ": " } else { "; " });
        detail.push_str(text);
    }
    Some(cut_text(&detail, MAX_UPSTREAM_DETAIL_BYTES))
}

/// The error of a request whose URL would exceed [`MAX_URL_BYTES`]: names the query
/// parameter that takes the most room, which is the list to shorten.
fn url_too_long(method: Method, path: &str, query: &Query, url_bytes: usize) -> ToolError {
    let mut by_key: Vec<(&str, usize, usize)> = Vec::new();
    for (key, value) in query.pairs() {
        let bytes = form_urlencoded::byte_serialize(key.as_bytes())
            .chain(form_urlencoded::byte_serialize(value.as_bytes()))
            .map(str::len)
            .sum::<usize>()
            + 2;
        match by_key.iter_mut().find(|(k, _, _)| *k == key.as_str()) {
            Some((_, values, total)) => {
                *values += 1;
                *total += bytes;
            }
            None => by_key.push((key.as_str(), 1, bytes)),
        }
    }
    let longest = by_key
        .iter()
        .max_by_key(|(_, _, bytes)| *bytes)
        .map(|(key, values, bytes)| {
            format!(
                " '{}' takes the most room ({values} values, {bytes} bytes of the URL): pass fewer values \
                 (if the server built that list from current_user_context, pass current_user_context=false with explicit filters).",
                key.trim_end_matches("[]")
            )
        })
        .unwrap_or_default();
    ToolError::invalid(format!(
        "The request {} {path} would have a URL of {url_bytes} bytes, over the limit of {MAX_URL_BYTES} bytes.{longest}",
        method.as_str()
    ))
}

/// The list under `key` (taken, not copied), or `UPSTREAM_ERROR` when the answer
/// has none.
fn take_list(body: Value, key: &str) -> ToolResult<Vec<Value>> {
    match body {
        Value::Object(mut answer) => match answer.shift_remove(key) {
            Some(Value::Array(items)) => Some(items),
            _ => None,
        },
        _ => None,
    }
    .ok_or_else(|| no_list(key))
}

/// The error of an answer without its list.
fn no_list(key: &str) -> ToolError {
    ToolError::new(
        ErrorCode::UpstreamError,
        format!("PagerDuty's answer has no '{key}' list"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ScriptedTransport, json_response};
    use serde_json::json;

    fn client<'t>(t: &'t ScriptedTransport, host: &str) -> Client<'t> {
        Client::new(t, host, Duration::from_secs(60))
    }

    fn numbered(from: usize, n: usize) -> Vec<Value> {
        (from..from + n)
            .map(|i| json!({"id": format!("P{i}")}))
            .collect()
    }

    #[test]
    fn get_sends_pagerduty_headers_and_encoded_query() {
        let t = ScriptedTransport::new(vec![json_response(200, json!({"ok": true}))]);
        let c = client(&t, "http://pd.test/");
        let mut q = Query::new();
        q.push_all("statuses[]", &["triggered", "acknowledged"])
            .push("since", "2026-01-01T00:00:00+01:00");
        c.get("/incidents", &q).unwrap();
        let sent = t.sent();
        assert_eq!(
            sent[0].url,
            "http://pd.test/incidents?statuses%5B%5D=triggered&statuses%5B%5D=acknowledged&since=2026-01-01T00%3A00%3A00%2B01%3A00"
        );
        assert!(sent[0].headers.contains(&("Accept", ACCEPT.into())));
        assert!(
            sent[0]
                .headers
                .contains(&("Content-Type", "application/json".into()))
        );
        assert!(
            !sent[0]
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        );
    }

    #[test]
    fn list_pages_until_limit_and_reports_more() {
        let t = ScriptedTransport::new(vec![
            json_response(200, json!({"items": numbered(0, 100), "more": true})),
            json_response(200, json!({"items": numbered(100, 50), "more": true})),
        ]);
        let c = client(&t, "http://pd.test");
        let page = c.list("/x", &Query::new(), "items", 150).unwrap();
        assert_eq!(page.items.len(), 150);
        assert!(page.has_more);
        assert!(!page.truncated);
        let urls: Vec<String> = t.sent().into_iter().map(|r| r.url).collect();
        assert_eq!(
            urls,
            [
                "http://pd.test/x?limit=100&offset=0",
                "http://pd.test/x?limit=50&offset=100"
            ]
        );
    }

    #[test]
    fn list_stops_when_pagerduty_has_no_more() {
        let t = ScriptedTransport::new(vec![json_response(
            200,
            json!({"items": numbered(0, 7), "more": false}),
        )]);
        let page = client(&t, "http://pd.test")
            .list("/x", &Query::new(), "items", 100)
            .unwrap();
        assert_eq!(page.items.len(), 7);
        assert!(!page.has_more);
        assert_eq!(t.sent().len(), 1);
    }

    #[test]
    fn list_never_crosses_the_offset_cap() {
        let pages: Vec<_> = (0..100)
            .map(|i| json_response(200, json!({"items": numbered(i * 100, 100), "more": true})))
            .collect();
        let t = ScriptedTransport::new(pages);
        let page = client(&t, "http://pd.test")
            .list_all("/x", &Query::new(), "items")
            .unwrap();
        assert_eq!(page.len(), OFFSET_CAP);
        for r in t.sent() {
            let q: Vec<(String, String)> =
                form_urlencoded::parse(r.url.split_once('?').unwrap().1.as_bytes())
                    .into_owned()
                    .collect();
            let get = |k: &str| {
                q.iter()
                    .find(|(n, _)| n == k)
                    .unwrap()
                    .1
                    .parse::<usize>()
                    .unwrap()
            };
            assert!(get("offset") + get("limit") <= OFFSET_CAP, "{}", r.url);
        }
    }

    #[test]
    fn list_marks_truncated_at_the_offset_cap() {
        let pages: Vec<_> = (0..100)
            .map(|i| json_response(200, json!({"items": numbered(i * 100, 100), "more": true})))
            .collect();
        let t = ScriptedTransport::new(pages);
        let page = client(&t, "http://pd.test")
            .list("/x", &Query::new(), "items", 10_500)
            .unwrap();
        assert_eq!(page.items.len(), OFFSET_CAP);
        assert!(page.truncated && page.has_more);
        assert_eq!(t.sent().len(), 100);
    }

    #[test]
    fn statuses_map_to_codes_with_pagerduty_detail() {
        let cases = [
            (401, "UNAUTHORIZED"),
            (403, "FORBIDDEN"),
            (404, "NOT_FOUND"),
            (429, "RATE_LIMITED"),
            (400, "UPSTREAM_ERROR"),
            (500, "UPSTREAM_ERROR"),
        ];
        for (status, code) in cases {
            let body = json!({"error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["bad since"]}});
            // Enough answers for the retries of 429 and 5xx.
            let t =
                ScriptedTransport::new(vec![json_response(status, body); 1 + MAX_RETRIES as usize]);
            let err = client(&t, "http://pd.test")
                .get("/incidents", &Query::new())
                .unwrap_err();
            assert_eq!(err.code.as_string(), code);
            assert_eq!(err.upstream_status, Some(status));
            assert!(
                err.message
                    .contains("Invalid Input Provided (PagerDuty error code 2001): bad since"),
                "{}",
                err.message
            );
            let expected_requests = if status >= 500 || status == 429 { 4 } else { 1 };
            assert_eq!(t.sent().len(), expected_requests, "{status}");
        }
    }

    fn rate_limited(reset: &str) -> HttpResponse {
        let mut response = json_response(
            429,
            json!({"error": {"message": "Rate Limit Exceeded", "code": 2020}}),
        );
        response
            .headers
            .push(("ratelimit-reset".into(), reset.into()));
        response
    }

    #[test]
    fn rate_limit_waits_as_pagerduty_says_then_succeeds() {
        let t = ScriptedTransport::new(vec![
            rate_limited("2"),
            json_response(200, json!({"ok": 1})),
        ]);
        assert_eq!(
            client(&t, "http://pd.test")
                .get("/x", &Query::new())
                .unwrap(),
            json!({"ok": 1})
        );
        assert_eq!(t.slept(), [Duration::from_secs(2)]);
    }

    #[test]
    fn rate_limit_gives_up_after_three_retries_with_the_seconds_to_wait() {
        let t = ScriptedTransport::new(vec![rate_limited("1"); 4]);
        let err = client(&t, "http://pd.test")
            .get("/x", &Query::new())
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::RateLimited);
        assert!(
            err.message.contains("retry in 1 seconds") && err.message.contains("after 3 retries"),
            "{}",
            err.message
        );
        assert_eq!(t.slept().len(), 3);
    }

    #[test]
    fn rate_limit_wait_beyond_the_budget_is_not_made() {
        let t = ScriptedTransport::new(vec![rate_limited("120")]);
        let err = client(&t, "http://pd.test")
            .get("/x", &Query::new())
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::RateLimited);
        assert!(err.message.contains("120 seconds"), "{}", err.message);
        assert!(t.slept().is_empty());
    }

    #[test]
    fn a_retry_that_would_end_past_the_budget_is_not_made() {
        // Each attempt takes 100 ms and PagerDuty asks for no wait: with 350 ms the
        // third attempt ends at 300 ms, a fourth would end at 400 ms.
        let t = ScriptedTransport::new(vec![rate_limited("0"); 4])
            .with_latency(Duration::from_millis(100));
        let budget = Duration::from_millis(350);
        let client = Client::new(&t, "http://pd.test", budget);
        let err = client.get("/x", &Query::new()).unwrap_err();
        assert_eq!(err.code, ErrorCode::RateLimited);
        assert_eq!(t.sent().len(), 3, "{}", err.message);
        assert!(client.spent.get() < budget, "{:?}", client.spent.get());
    }

    #[test]
    fn retry_after_is_used_when_ratelimit_reset_is_absent() {
        let mut response = json_response(429, json!({}));
        response.headers.push(("retry-after".into(), "3".into()));
        let t = ScriptedTransport::new(vec![response, json_response(200, json!({}))]);
        client(&t, "http://pd.test")
            .get("/x", &Query::new())
            .unwrap();
        assert_eq!(t.slept(), [Duration::from_secs(3)]);
    }

    #[test]
    fn server_errors_and_resets_are_retried_with_jittered_backoff_for_reads() {
        let t = ScriptedTransport::with_results(vec![
            Ok(json_response(502, json!({}))),
            Err(TransportError::Network("connection reset".into())),
            Ok(json_response(200, json!({"ok": 1}))),
        ]);
        assert_eq!(
            client(&t, "http://pd.test")
                .get("/x", &Query::new())
                .unwrap(),
            json!({"ok": 1})
        );
        let slept = t.slept();
        assert_eq!(slept.len(), 2);
        assert!(
            slept[0] >= BASE_BACKOFF / 2 && slept[0] <= BASE_BACKOFF * 3 / 2,
            "{slept:?}"
        );
        assert!(
            slept[1] >= BASE_BACKOFF && slept[1] <= BASE_BACKOFF * 3,
            "{slept:?}"
        );
    }

    #[test]
    fn a_network_error_quoting_the_url_hides_its_secrets() {
        let t = ScriptedTransport::with_results(vec![Err(TransportError::Denied(
            "the sandbox denied the destination (https://u:SECRET@pd.test/x?token=SECRET)".into(),
        ))]);
        let err = client(&t, "https://u:SECRET@pd.test")
            .write(Method::Post, "/x", &json!({}), "a@b.c")
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::NetworkError);
        assert!(!err.message.contains("SECRET"), "{}", err.message);
        assert!(
            err.message.ends_with("(https://***@pd.test/x?token=***)"),
            "{}",
            err.message
        );
    }

    #[test]
    fn deletes_send_no_body_give_the_status_and_are_not_retried() {
        let empty = |status| HttpResponse {
            status,
            headers: vec![],
            body: vec![],
        };
        let t = ScriptedTransport::new(vec![empty(204), empty(200)]);
        let c = client(&t, "http://pd.test");
        assert_eq!(c.delete("/schedules/S/overrides/Q", "a@b.c").unwrap(), 204);
        assert_eq!(c.delete("/schedules/S/overrides/Q", "a@b.c").unwrap(), 200);
        let sent = t.sent();
        assert_eq!(sent[0].method, Method::Delete);
        assert!(sent[0].body.is_none());
        assert!(sent[0].headers.contains(&("From", "a@b.c".to_string())));
        let t = ScriptedTransport::with_results(vec![
            Ok(json_response(503, json!({}))),
            Ok(empty(204)),
        ]);
        let err = client(&t, "http://pd.test")
            .delete("/schedules/S/overrides/Q", "a@b.c")
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::UpstreamError);
        assert_eq!(t.sent().len(), 1);
    }

    #[test]
    fn posts_are_not_retried_after_server_errors_but_puts_are() {
        let t = ScriptedTransport::new(vec![json_response(503, json!({}))]);
        let err = client(&t, "http://pd.test")
            .write(Method::Post, "/incidents/P1/notes", &json!({}), "a@b.c")
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::UpstreamError);
        assert_eq!(t.sent().len(), 1);
        let t = ScriptedTransport::with_results(vec![Err(TransportError::Network("reset".into()))]);
        let err = client(&t, "http://pd.test")
            .delete("/maintenance_windows/PW1", "a@b.c")
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::NetworkError);
        assert_eq!(t.sent().len(), 1);
        let t = ScriptedTransport::new(vec![
            json_response(503, json!({})),
            json_response(200, json!({"incident": {}})),
        ]);
        client(&t, "http://pd.test")
            .write(Method::Put, "/incidents/P1", &json!({}), "a@b.c")
            .unwrap();
        assert_eq!(t.sent().len(), 2);
    }

    #[test]
    fn denied_destinations_are_not_retried() {
        let t = ScriptedTransport::failing("HttpRequestDenied");
        let err = client(&t, "http://pd.test")
            .get("/x", &Query::new())
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::NetworkError);
        assert_eq!(t.sent().len(), 1);
    }

    #[test]
    fn html_error_pages_and_wrong_content_types_are_upstream_errors() {
        let html = HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "text/html".into())],
            body: b"<html>hi</html>".to_vec(),
        };
        let t = ScriptedTransport::new(vec![html]);
        let err = client(&t, "http://pd.test")
            .get("/x", &Query::new())
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::UpstreamError);
        assert!(err.message.contains("text/html"), "{}", err.message);
        let truncated = HttpResponse {
            status: 200,
            headers: vec![],
            body: br#"{"incidents": [{"id": "P1"#.to_vec(),
        };
        let t = ScriptedTransport::new(vec![truncated]);
        assert_eq!(
            client(&t, "http://pd.test")
                .get("/x", &Query::new())
                .unwrap_err()
                .code,
            ErrorCode::UpstreamError
        );
    }

    #[test]
    fn unparseable_success_body_is_upstream_error() {
        let t = ScriptedTransport::new(vec![HttpResponse {
            status: 200,
            headers: vec![],
            body: b"<html>".to_vec(),
        }]);
        let err = client(&t, "http://pd.test")
            .get("/x", &Query::new())
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::UpstreamError);
    }

    #[test]
    fn lost_connections_are_retried_then_a_network_error() {
        let reset = || Err(TransportError::Network("connection reset".into()));
        let t = ScriptedTransport::with_results(vec![reset(), reset(), reset(), reset()]);
        let err = client(&t, "http://pd.test")
            .get("/x", &Query::new())
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::NetworkError);
        assert!(err.message.contains("connection reset"), "{}", err.message);
        assert!(err.message.contains("after 3 retries"), "{}", err.message);
        assert_eq!(t.sent().len(), 1 + MAX_RETRIES as usize);
    }

    #[test]
    fn a_timed_out_request_is_retried_at_most_once() {
        let timeout = || Err(TransportError::Timeout("ConnectionReadTimeout".into()));
        let t = ScriptedTransport::with_results(vec![timeout(), timeout(), timeout()]);
        let err = client(&t, "http://pd.test")
            .get("/x", &Query::new())
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::NetworkError);
        assert_eq!(t.sent().len(), 2, "{}", err.message);
        // A timeout after a reset still gets its one retry; a second timeout ends it.
        let t = ScriptedTransport::with_results(vec![
            Err(TransportError::Network("connection reset".into())),
            timeout(),
            timeout(),
            Ok(json_response(200, json!({}))),
        ]);
        let err = client(&t, "http://pd.test")
            .get("/x", &Query::new())
            .unwrap_err();
        assert_eq!(t.sent().len(), 3, "{}", err.message);
        // Writes that create are never retried, timeouts included.
        let t = ScriptedTransport::with_results(vec![timeout()]);
        client(&t, "http://pd.test")
            .write(Method::Post, "/incidents/P1/notes", &json!({}), "a@b.c")
            .unwrap_err();
        assert_eq!(t.sent().len(), 1);
    }

    #[test]
    fn writes_send_from_and_json_body() {
        let t = ScriptedTransport::new(vec![json_response(200, json!({"incident": {}}))]);
        let body = json!({"incident": {"type": "incident_reference", "status": "acknowledged"}});
        client(&t, "http://pd.test")
            .write(Method::Put, "/incidents/P1", &body, "me@x.com")
            .unwrap();
        let sent = &t.sent()[0];
        assert_eq!(sent.method, Method::Put);
        assert!(sent.headers.contains(&("From", "me@x.com".into())));
        assert_eq!(
            serde_json::from_slice::<Value>(sent.body.as_ref().unwrap()).unwrap(),
            body
        );
    }

    fn one_item_and_more_forever() -> HttpResponse {
        json_response(200, json!({"items": [{"id": "P1"}], "more": true}))
    }

    #[test]
    fn an_upstream_that_always_has_more_meets_the_request_cap() {
        let t = ScriptedTransport::then_forever(vec![], one_item_and_more_forever());
        let c = client(&t, "http://pd.test");
        let err = c.list_all("/x", &Query::new(), "items").unwrap_err();
        assert_eq!(err.code, ErrorCode::UpstreamError);
        assert!(
            err.message.contains("more than 100 PagerDuty requests")
                && err.message.contains("Narrow it"),
            "{}",
            err.message
        );
        assert_eq!(t.sent().len(), MAX_REQUESTS_PER_CALL as usize);
        assert_eq!(c.requests_sent(), MAX_REQUESTS_PER_CALL);
        // The cap holds for the rest of the call: nothing more is sent.
        c.get("/y", &Query::new()).unwrap_err();
        assert_eq!(t.sent().len(), MAX_REQUESTS_PER_CALL as usize);
    }

    #[test]
    fn retries_count_against_the_request_cap() {
        let ok = json_response(200, json!({}));
        let t = ScriptedTransport::then_forever(
            vec![ok; MAX_REQUESTS_PER_CALL as usize - 2],
            json_response(500, json!({"error": {"message": "Internal Server Error"}})),
        );
        // Time is no object here: only the request cap stops the retries.
        let c = Client::new(&t, "http://pd.test", Duration::from_secs(1_000_000));
        for _ in 0..MAX_REQUESTS_PER_CALL - 2 {
            c.get("/x", &Query::new()).unwrap();
        }
        // Request 99 fails and is retried once, as request 100; no further retry.
        let err = c.get("/x", &Query::new()).unwrap_err();
        assert_eq!(err.upstream_status, Some(500), "{}", err.message);
        assert!(err.message.contains("after 1 retries"), "{}", err.message);
        let err = c.get("/x", &Query::new()).unwrap_err();
        assert!(err.message.contains("per-call limit"), "{}", err.message);
        assert_eq!(t.sent().len(), MAX_REQUESTS_PER_CALL as usize);
    }

    #[test]
    fn a_url_over_the_limit_is_a_parameter_error_naming_the_list() {
        let t = ScriptedTransport::new(vec![]);
        let ids: Vec<String> = (0..150).map(|i| format!("P{i:063}")).collect();
        let mut q = Query::new();
        q.push("query", "x").push_all("team_ids[]", &ids);
        let err = client(&t, "http://pd.test").get("/users", &q).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidParameter);
        assert!(
            err.message.contains("over the limit of 8000 bytes")
                && err
                    .message
                    .contains("'team_ids' takes the most room (150 values"),
            "{}",
            err.message
        );
        assert!(t.sent().is_empty(), "nothing is sent, nothing retried");
        // Just under the limit is sent.
        let t = ScriptedTransport::new(vec![json_response(200, json!({}))]);
        let base = "http://pd.test/users?q=";
        let mut q = Query::new();
        q.push("q", "x".repeat(MAX_URL_BYTES - base.len()));
        client(&t, "http://pd.test").get("/users", &q).unwrap();
        assert_eq!(t.sent()[0].url.len(), MAX_URL_BYTES);
    }

    #[test]
    fn pagerdutys_error_text_is_cut_to_a_few_kilobytes() {
        let errors: Vec<String> = (0..40_000)
            .map(|i| format!("error number {i:040}"))
            .collect();
        let body =
            json!({"error": {"message": "Invalid Input Provided", "code": 2001, "errors": errors}});
        assert!(serde_json::to_vec(&body).unwrap().len() > 2_000_000);
        let t = ScriptedTransport::new(vec![json_response(400, body)]);
        let err = client(&t, "http://pd.test")
            .get("/x", &Query::new())
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::UpstreamError);
        assert!(
            err.message.len() <= MAX_UPSTREAM_DETAIL_BYTES + 200,
            "{}",
            err.message.len()
        );
        assert!(
            err.message
                .contains("Invalid Input Provided (PagerDuty error code 2001): error number")
                && err.message.ends_with(crate::error::CUT_MARKER),
            "{}",
            &err.message[..200]
        );
        // One huge message, multi-byte characters: cut at a character boundary.
        let body = json!({"error": {"message": "é".repeat(1_000_000)}});
        let t = ScriptedTransport::new(vec![json_response(400, body)]);
        let err = client(&t, "http://pd.test")
            .get("/x", &Query::new())
            .unwrap_err();
        assert!(err.message.len() <= MAX_UPSTREAM_DETAIL_BYTES + 200);
        assert!(err.message.ends_with(crate::error::CUT_MARKER));
    }
}

//! Test doubles for native unit tests: a transport that answers from a script.

use crate::http::{HttpRequest, HttpResponse, Transport, TransportError};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::VecDeque;

/// Answers requests from a queue of responses, in order, and records what was sent.
pub struct ScriptedTransport {
    responses: RefCell<VecDeque<Result<HttpResponse, TransportError>>>,
    sent: RefCell<Vec<HttpRequest>>,
    slept: RefCell<Vec<std::time::Duration>>,
    latency: std::time::Duration,
    /// The answer once the queue is empty, for an upstream that never stops.
    forever: Option<HttpResponse>,
}

impl ScriptedTransport {
    /// Answers with `responses`, one per request.
    pub fn new(responses: Vec<HttpResponse>) -> Self {
        ScriptedTransport {
            responses: RefCell::new(responses.into_iter().map(Ok).collect()),
            sent: RefCell::default(),
            slept: RefCell::default(),
            latency: std::time::Duration::ZERO,
            forever: None,
        }
    }

    /// Answers with `responses`, then with `forever` to every further request.
    pub fn then_forever(responses: Vec<HttpResponse>, forever: HttpResponse) -> Self {
        ScriptedTransport {
            forever: Some(forever),
            ..ScriptedTransport::new(responses)
        }
    }

    /// Takes `latency` (real time) to answer each request, like a slow network.
    pub fn with_latency(mut self, latency: std::time::Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Answers with `results` (responses or transport errors), one per request.
    pub fn with_results(results: Vec<Result<HttpResponse, TransportError>>) -> Self {
        let t = ScriptedTransport::new(vec![]);
        t.responses.borrow_mut().extend(results);
        t
    }

    /// The waits asked for so far.
    pub fn slept(&self) -> Vec<std::time::Duration> {
        self.slept.borrow().clone()
    }

    /// Fails the first request: the sandbox denies it with `cause`.
    pub fn failing(cause: &str) -> Self {
        ScriptedTransport::with_results(vec![Err(TransportError::Denied(cause.into()))])
    }

    /// The requests sent so far.
    pub fn sent(&self) -> Vec<HttpRequest> {
        self.sent.borrow().clone()
    }

    /// The paths and decoded queries sent so far, without the API host, e.g.
    /// `/incidents?statuses[]=triggered&limit=100`.
    pub fn sent_paths(&self) -> Vec<String> {
        self.sent()
            .into_iter()
            .map(|r| {
                let after_scheme = &r.url[r.url.find("://").map_or(0, |i| i + 3)..];
                let path_query =
                    &after_scheme[after_scheme.find('/').unwrap_or(after_scheme.len())..];
                match path_query.split_once('?') {
                    Some((path, query)) => {
                        let pairs: Vec<String> = form_urlencoded::parse(query.as_bytes())
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect();
                        format!("{path}?{}", pairs.join("&"))
                    }
                    None => path_query.to_string(),
                }
            })
            .collect()
    }
}

impl Transport for ScriptedTransport {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.borrow_mut().push(request.clone());
        std::thread::sleep(self.latency);
        let next = self.responses.borrow_mut().pop_front();
        next.or_else(|| self.forever.clone().map(Ok))
            .unwrap_or_else(|| panic!("unexpected request: {:?} {}", request.method, request.url))
    }

    fn sleep(&self, duration: std::time::Duration) {
        self.slept.borrow_mut().push(duration);
    }
}

/// A response with `status` and no body, e.g. PagerDuty's `204 No Content`.
pub fn empty_response(status: u16) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![],
        body: vec![],
    }
}

/// PagerDuty's `404 Not Found` answer.
pub fn not_found_response() -> HttpResponse {
    json_response(
        404,
        serde_json::json!({"error": {"message": "Not Found", "code": 2100}}),
    )
}

/// A response with `status` and `body` as JSON.
pub fn json_response(status: u16, body: Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: serde_json::to_vec(&body).unwrap(),
    }
}

/// The fixed "now" of unit tests.
pub fn now() -> time::OffsetDateTime {
    crate::args::parse_timestamp("2026-11-24T07:00:00Z").unwrap()
}

/// A clock two days before the last day `time` can write: a default window from
/// it leaves the calendar.
pub fn calendar_end() -> time::OffsetDateTime {
    crate::args::parse_timestamp("9999-12-30T00:00:00Z").unwrap()
}

/// The answer to `GET /users/me` for a user in `teams`.
pub fn me_response(teams: &[&str]) -> HttpResponse {
    let teams: Vec<Value> = teams
        .iter()
        .map(|id| serde_json::json!({"id": id, "type": "team_reference", "summary": format!("Team {id}")}))
        .collect();
    json_response(
        200,
        serde_json::json!({"user": {"id": "PME0001", "type": "user", "name": "Me", "email": "me@example.com",
            "self": "https://api.pagerduty.com/users/PME0001", "teams": teams}}),
    )
}

/// What a call returned and what it sent.
pub struct Called {
    /// The envelope.
    pub envelope: Value,
    /// Whether it is a tool error.
    pub is_error: bool,
    /// The requests sent, as `path?decoded query`.
    pub sent: Vec<String>,
    /// The requests sent, whole.
    pub requests: Vec<HttpRequest>,
}

impl Called {
    /// The error code of a tool error.
    pub fn code(&self) -> &str {
        self.envelope["error"]["code"].as_str().unwrap_or_default()
    }

    /// The error message of a tool error.
    pub fn message(&self) -> &str {
        self.envelope["error"]["message"]
            .as_str()
            .unwrap_or_default()
    }

    /// The JSON body of the `n`th request sent.
    pub fn body(&self, n: usize) -> Value {
        serde_json::from_slice(self.requests[n].body.as_ref().expect("a body")).unwrap()
    }

    /// Asserts the `n`th request sent is a `method` write from the current user
    /// (`From: me@example.com`, see [`me_response`]).
    #[track_caller]
    pub fn assert_write(&self, n: usize, method: crate::http::Method) {
        let request = &self.requests[n];
        assert_eq!(request.method, method);
        assert!(
            request
                .headers
                .contains(&("From", "me@example.com".to_string())),
            "{:?}",
            request.headers
        );
    }
}

/// The configuration of unit tests: every toolset, write tools enabled.
fn all_tools() -> crate::config::Config {
    crate::config::Config {
        selection: crate::toolsets::Selection::parse(Some("all"), None, Some("true")).unwrap(),
        ..Default::default()
    }
}

/// Calls tool `name` with `args` (write tools enabled) against scripted `responses`.
pub fn call(name: &str, args: Value, responses: Vec<HttpResponse>) -> Called {
    call_with(name, args, responses, all_tools())
}

/// Calls write tool `name` with `args` as the current user of [`me_response`],
/// PagerDuty answering the write with `status` and `answer`.
pub fn call_as_me(name: &str, args: Value, status: u16, answer: Value) -> Called {
    call(
        name,
        args,
        vec![me_response(&["PT1"]), json_response(status, answer)],
    )
}

/// Calls tool `name` with `args`, asserts it fails with error `code` before sending
/// anything, and returns the call (for checks of the message).
#[track_caller]
pub fn assert_refused(name: &str, args: Value, code: &str) -> Called {
    assert_refused_at(name, args, code, now())
}

/// [`assert_refused`] with the clock at `now`.
#[track_caller]
pub fn assert_refused_at(name: &str, args: Value, code: &str, now: time::OffsetDateTime) -> Called {
    let shown = args.to_string();
    let c = call_on(
        name,
        args,
        &ScriptedTransport::new(vec![]),
        &all_tools(),
        now,
    );
    assert_eq!(c.code(), code, "{name} {shown}: {}", c.envelope);
    assert!(c.sent.is_empty(), "{name} {shown} sent {:?}", c.sent);
    c
}

/// Like [`call`] with a given configuration.
pub fn call_with(
    name: &str,
    args: Value,
    responses: Vec<HttpResponse>,
    config: crate::config::Config,
) -> Called {
    call_on(
        name,
        args,
        &ScriptedTransport::new(responses),
        &config,
        now(),
    )
}

/// Like [`call`] against an upstream that answers `responses`, then `forever` to
/// every further request.
pub fn call_forever(
    name: &str,
    args: Value,
    responses: Vec<HttpResponse>,
    forever: HttpResponse,
) -> Called {
    call_on(
        name,
        args,
        &ScriptedTransport::then_forever(responses, forever),
        &all_tools(),
        now(),
    )
}

/// Calls tool `name` with `args` through `t` at `now`, checking every request it
/// sent against the tool's declared operations.
fn call_on(
    name: &str,
    args: Value,
    t: &ScriptedTransport,
    config: &crate::config::Config,
    now: time::OffsetDateTime,
) -> Called {
    let outcome =
        crate::catalog::call_tool(name, &args.to_string(), t, config, now).expect("not a fault");
    // Every request a tool sends is one of the operations its catalog entry declares.
    let tool = crate::catalog::find(name).expect("a catalog tool");
    for (request, path) in t.sent().iter().zip(t.sent_paths()) {
        let path = path.split('?').next().unwrap_or_default();
        assert!(
            tool.operations
                .iter()
                .any(|op| op.matches(request.method, path)),
            "{name} sent {:?} {path}, which is not among its declared operations",
            request.method
        );
    }
    Called {
        envelope: serde_json::from_str(&outcome.json).unwrap(),
        is_error: outcome.is_error,
        sent: t.sent_paths(),
        requests: t.sent(),
    }
}

/// A one-page list answer under `key`.
pub fn page(key: &str, items: Vec<Value>, more: bool) -> HttpResponse {
    json_response(
        200,
        serde_json::json!({key: items, "limit": 100, "offset": 0, "more": more, "total": null}),
    )
}

//! Upstream faults, as a real PagerDuty account and network produce them, through the
//! real component: retries, rate limits, broken answers, timeouts, size caps.

use fake_pagerduty::Fault;
use host_tests::{Harness, spec};
use pagerduty_mcp_host::sandbox::ToolSelection;
use serde_json::json;
use std::time::{Duration, Instant};

const CALL: (&str, &str) = ("get_incident", r#"{"incident_id":"PNOTREAL"}"#);

/// Asserts every request the fake saw is valid per the spec, then forgets them (the
/// faulty answers are deliberately not PagerDuty's schema).
fn requests_then_clear(h: &Harness) -> usize {
    let requests = h.fake.requests();
    for r in &requests {
        spec()
            .check_request(&r.method, &r.path, &r.query, &r.headers)
            .unwrap();
    }
    h.fake.clear_requests();
    requests.len()
}

async fn list_teams(h: &Harness) -> host_tests::Answer {
    h.call("list_teams", json!({"limit": 3})).await
}

fn status(status: u16, body: &str, headers: &[(&str, &str)], times: u32) -> Fault {
    Fault::Status {
        status,
        body: body.to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        times,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_are_waited_out_then_the_call_succeeds() {
    let h = Harness::new();
    h.fake.set_fault(Some(Fault::rate_limited(1, 2)));
    let started = Instant::now();
    let answer = list_teams(&h).await;
    assert!(!answer.is_error, "{}", answer.envelope);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited as Retry-After said"
    );
    assert_eq!(requests_then_clear(&h), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn persistent_rate_limit_is_rate_limited_with_seconds_to_wait() {
    let h = Harness::new();
    h.fake.set_fault(Some(status(
        429,
        r#"{"error":{"message":"Rate Limit Exceeded","code":2020}}"#,
        &[("ratelimit-reset", "1")],
        100,
    )));
    let answer = list_teams(&h).await;
    assert_eq!(answer.code(), "RATE_LIMITED");
    let message = answer.envelope["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("retry in 1 seconds") && message.contains("Rate Limit Exceeded"),
        "{message}"
    );
    assert_eq!(requests_then_clear(&h), 4, "one request and three retries");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limit_longer_than_the_deadline_is_not_waited() {
    let h = Harness::with(|c| c.call_deadline = Duration::from_secs(5));
    h.fake.set_fault(Some(Fault::rate_limited(30, 100)));
    let started = Instant::now();
    let answer = list_teams(&h).await;
    assert_eq!(answer.code(), "RATE_LIMITED");
    assert!(
        answer.envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("30 seconds")
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(requests_then_clear(&h), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_are_retried_for_reads() {
    let h = Harness::new();
    h.fake.set_fault(Some(Fault::server_error(2)));
    assert!(!list_teams(&h).await.is_error);
    assert_eq!(requests_then_clear(&h), 3);

    h.fake.set_fault(Some(Fault::server_error(100)));
    let answer = list_teams(&h).await;
    assert_eq!(answer.code(), "UPSTREAM_ERROR");
    assert!(
        answer.envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Internal Server Error (PagerDuty error code 2000)")
    );
    assert_eq!(requests_then_clear(&h), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn notes_are_not_retried_after_a_server_error() {
    let h = Harness::with(|c| {
        c.selection = ToolSelection::with_writes();
        // A configured From address: the POST is the first and only request.
        c.user_email = Some(fake_pagerduty::CURRENT_USER_EMAIL.into());
    });
    let incident = h.fake.dataset().open_incidents()[0].id.clone();
    h.fake.set_fault(Some(Fault::server_error(1)));
    let answer = h
        .call(
            "add_incident_note",
            json!({"incident_id": incident, "content": "once"}),
        )
        .await;
    assert_eq!(answer.code(), "UPSTREAM_ERROR");
    let posts = h
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts, 1, "a POST is never repeated");
    h.fake.clear_requests();
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_answers_are_upstream_errors_not_traps() {
    let h = Harness::new();
    let cases = [
        status(200, r#"{"teams": [{"id": "P1""#, &[], 1),
        status(
            200,
            "<html><body>Bad gateway</body></html>",
            &[("content-type", "text/html")],
            1,
        ),
        status(200, "", &[], 1),
        status(200, r#"{"no_teams_here": true}"#, &[], 1),
        status(
            418,
            "<html>teapot</html>",
            &[("content-type", "text/html")],
            1,
        ),
    ];
    for fault in cases {
        h.fake.set_fault(Some(fault.clone()));
        let answer = list_teams(&h).await;
        assert_eq!(
            answer.code(),
            "UPSTREAM_ERROR",
            "{fault:?}: {}",
            answer.envelope
        );
        requests_then_clear(&h);
    }
    // And the next call works.
    assert!(!list_teams(&h).await.is_error);
}

#[tokio::test(flavor = "multi_thread")]
async fn pagerduty_errors_keep_pagerdutys_message_and_code() {
    let h = Harness::new();
    let (tool, args) = CALL;
    let answer = h.call(tool, serde_json::from_str(args).unwrap()).await;
    assert_eq!(answer.code(), "NOT_FOUND");
    assert!(
        answer.envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PagerDuty error code 2100"),
        "{}",
        answer.envelope
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_answers_time_out_as_network_errors() {
    let h = Harness::with(|c| {
        c.request_timeout = Duration::from_millis(500);
        c.call_deadline = Duration::from_secs(4);
    });
    h.fake.set_fault(Some(Fault::Delay {
        millis: 3_000,
        times: 100,
    }));
    let started = Instant::now();
    let answer = list_teams(&h).await;
    assert_eq!(answer.code(), "NETWORK_ERROR", "{}", answer.envelope);
    // The component stops retrying in time to give its own error; the host's
    // deadline ("exceeded its deadline") is only the backstop.
    let message = answer.envelope["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Could not reach PagerDuty"),
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "bounded by the deadline: {:?}",
        started.elapsed()
    );
    // A request that timed out is retried once, not until the budget runs out
    // (the fake logs a request only once answered, so the message tells).
    assert!(message.contains("(after 1 retries)"), "{message}");
    h.fake.set_fault(None);
    requests_then_clear(&h);
}

#[tokio::test(flavor = "multi_thread")]
async fn huge_bodies_are_not_buffered() {
    let h = Harness::new();
    let huge = format!(r#"{{"teams": [], "padding": "{}"}}"#, "x".repeat(17 << 20));
    h.fake.set_fault(Some(status(200, &huge, &[], 1)));
    let answer = list_teams(&h).await;
    assert_eq!(
        answer.code(),
        "RESPONSE_TOO_LARGE",
        "{}",
        answer.envelope["error"]
    );
    requests_then_clear(&h);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_output_cap_cuts_answers_and_says_so() {
    let h = Harness::with(|c| c.max_output_bytes = Some(6_000));
    let answer = h.ok("list_incidents", json!({"current_user_context": false, "team_ids": [fake_pagerduty::ids::TEAM_PLATFORM], "limit": 100, "statuses": ["resolved"]})).await;
    let n = answer.items("incidents").len();
    assert!(n > 0 && n < 100, "{n}");
    assert_eq!(answer.envelope["metadata"]["truncated"], true);
    assert!(answer.envelope.to_string().len() <= 6_000);

    let h = Harness::with(|c| c.max_output_bytes = Some(200));
    let answer = h.call("get_current_user", json!({})).await;
    assert_eq!(answer.code(), "RESPONSE_TOO_LARGE");
}

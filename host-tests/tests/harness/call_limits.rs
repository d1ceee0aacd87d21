//! The per-call limits of the tools, through the real component in the real sandbox:
//! oversized lists, URLs too long to send, a request budget per call, error text that
//! fits the output cap, timestamps at the calendar's ends.

use fake_pagerduty::Fault;
use host_tests::{Harness, spec};
use serde_json::json;
use std::time::{Duration, Instant};

/// The requests the fake saw, checked against the spec, then forgotten (the injected
/// answers are deliberately not PagerDuty's schema).
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

fn message(answer: &host_tests::Answer) -> &str {
    answer.envelope["error"]["message"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_100k_item_list_is_rejected_at_once_and_nothing_is_sent() {
    let h = Harness::new();
    let team_ids: Vec<String> = (0..100_000).map(|i| format!("P{i:06}")).collect();
    let started = Instant::now();
    let answer = h
        .call(
            "list_users",
            json!({"current_user_context": false, "team_ids": team_ids}),
        )
        .await;
    assert_eq!(answer.code(), "INVALID_PARAMETER", "{}", answer.envelope);
    assert!(
        message(&answer).contains("at most 200"),
        "{}",
        message(&answer)
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(requests_then_clear(&h), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_list_too_long_for_a_url_is_a_parameter_error_not_a_network_error() {
    let h = Harness::new();
    let team_ids: Vec<String> = (0..200).map(|i| format!("P{i:063}")).collect();
    let answer = h
        .call(
            "list_users",
            json!({"current_user_context": false, "team_ids": team_ids}),
        )
        .await;
    assert_eq!(answer.code(), "INVALID_PARAMETER", "{}", answer.envelope);
    assert!(
        message(&answer).contains("'team_ids'"),
        "{}",
        message(&answer)
    );
    assert_eq!(requests_then_clear(&h), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upstream_that_always_has_more_meets_the_request_cap() {
    let h = Harness::new();
    let page = r#"{"teams": [{"id": "PT00001", "type": "team", "summary": "T", "name": "T"}], "limit": 1, "offset": 0, "more": true}"#;
    h.fake.set_fault(Some(Fault::Status {
        status: 200,
        body: page.into(),
        headers: vec![],
        times: 5_000,
    }));
    let answer = h.call("list_teams", json!({"limit": 1000})).await;
    h.fake.set_fault(None);
    assert_eq!(answer.code(), "UPSTREAM_ERROR", "{}", answer.envelope);
    assert!(
        message(&answer).contains("more than 100 PagerDuty requests"),
        "{}",
        message(&answer)
    );
    assert_eq!(requests_then_clear(&h), 100);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_2mb_upstream_error_fits_the_output_cap() {
    for cap in [None, Some(1_000)] {
        let h = Harness::with(|c| c.max_output_bytes = cap);
        let body = json!({"error": {"message": "x".repeat(2 << 20), "code": 2001}}).to_string();
        h.fake.set_fault(Some(Fault::Status {
            status: 400,
            body,
            headers: vec![],
            times: 1,
        }));
        let answer = h.call("list_teams", json!({"limit": 3})).await;
        assert_eq!(answer.code(), "UPSTREAM_ERROR");
        let len = answer.envelope.to_string().len();
        assert!(
            len <= cap.unwrap_or(400_000),
            "{len} bytes with cap {cap:?}"
        );
        assert!(
            message(&answer).ends_with("… [cut]"),
            "{}",
            &message(&answer)[..100]
        );
        requests_then_clear(&h);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn timestamps_at_the_calendars_ends_are_parameter_errors() {
    let h = Harness::new();
    for (name, at) in [
        ("since", "9999-12-30T00:00:00Z"),
        ("until", "0000-01-01T00:00:00Z"),
    ] {
        let mut args = json!({"schedule_id": fake_pagerduty::ids::SCHEDULE_PLATFORM_PRIMARY});
        args[name] = json!(at);
        let answer = h.call("get_schedule", args).await;
        assert_eq!(answer.code(), "INVALID_PARAMETER", "{}", answer.envelope);
        assert!(
            message(&answer).contains(&format!("'{name}'")),
            "{}",
            message(&answer)
        );
    }
    assert_eq!(requests_then_clear(&h), 0);
}

//! Shared helpers for the spec-check integration tests.

use std::sync::OnceLock;

use spec_check::Spec;

/// The spec, loaded once per test binary by the one loader.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| Spec::load_pinned().unwrap_or_else(|e| panic!("{e:#}")))
}

/// The raw spec document, for tests that need to read examples.
pub fn raw_spec() -> &'static serde_json::Value {
    static RAW: OnceLock<serde_json::Value> = OnceLock::new();
    RAW.get_or_init(|| spec_check::pinned_openapi_json().unwrap_or_else(|e| panic!("{e:#}")))
}

/// Headers every PagerDuty REST request carries.
pub fn std_headers() -> Vec<(String, String)> {
    pairs(&[
        ("Accept", "application/vnd.pagerduty+json;version=2"),
        ("Content-Type", "application/json"),
        ("Authorization", "Token token=y_NbAkKc66ryYTWUXYEu"),
    ])
}

/// Builds owned string pairs.
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Asserts that `result` is an error one of whose messages contains `needle`.
#[track_caller]
pub fn assert_err_contains(result: Result<(), Vec<String>>, needle: &str) {
    match result {
        Ok(()) => panic!("expected an error containing {needle:?}, got Ok"),
        Err(errors) => assert!(
            errors.iter().any(|e| e.contains(needle)),
            "expected an error containing {needle:?}, got {errors:#?}"
        ),
    }
}

/// Replaces `{param}` segments with a value that can't collide with a
/// literal path segment.
pub fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|seg| if seg.starts_with('{') { "PXYZ123" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

//! Requests to PagerDuty (or the fake) and their answers, checked against
//! PagerDuty's pinned OpenAPI document.

use std::sync::OnceLock;

use serde_json::Value;
use spec_check::Spec;

/// PagerDuty's pinned OpenAPI document, loaded once per test binary. Panics with the
/// loader's message (which says how to get the document) when it is not available or
/// not the pinned one: a test that needs it never passes without it.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| Spec::load_pinned().unwrap_or_else(|e| panic!("{e:#}")))
}

/// One HTTP exchange: a request as sent and the answer to it.
#[derive(Debug, Clone, Copy)]
pub struct Exchange<'a> {
    /// HTTP method, e.g. `GET`.
    pub method: &'a str,
    /// Path without the query, e.g. `/incidents`.
    pub path: &'a str,
    /// Percent-decoded query pairs in order, repeated names kept.
    pub query: &'a [(String, String)],
    /// Request headers (names in any case).
    pub headers: &'a [(String, String)],
    /// The request body, if any (an empty one counts as none).
    pub request_body: Option<&'a str>,
    /// The answer's status.
    pub status: u16,
    /// The answer's body.
    pub response_body: &'a str,
}

impl Exchange<'_> {
    /// `METHOD /path?query` for messages.
    pub fn label(&self) -> String {
        let mut label = format!("{} {}", self.method, self.path);
        for (i, (name, value)) in self.query.iter().enumerate() {
            label.push(if i == 0 { '?' } else { '&' });
            label.push_str(&format!("{name}={value}"));
        }
        label
    }

    /// What is wrong with the request: not an operation of the spec, parameters or
    /// headers it does not allow, or a body that is not JSON or not of the operation's
    /// schema. One line per problem; empty when it conforms.
    pub fn request_problems(&self) -> Vec<String> {
        let spec = spec();
        let label = self.label();
        let mut problems = Vec::new();
        if let Err(errors) = spec.check_request(self.method, self.path, self.query, self.headers) {
            problems.extend(errors.into_iter().map(|e| format!("request {label}: {e}")));
        }
        if let Some(body) = self.request_body.filter(|b| !b.is_empty()) {
            match serde_json::from_str::<Value>(body) {
                Ok(body) => {
                    if let Err(errors) = spec.check_request_body(self.method, self.path, &body) {
                        problems.extend(
                            errors
                                .into_iter()
                                .map(|e| format!("request body {label}: {e}")),
                        );
                    }
                }
                Err(e) => problems.push(format!("request body {label} is not JSON: {e}")),
            }
        }
        problems
    }

    /// What is wrong with the answer: not JSON, or not of the schema the spec gives
    /// the operation for its status. One line per problem; empty when it conforms.
    /// An empty body (a 204, or a refusal the spec documents without content) is
    /// checked as no body: the spec must document the status without a schema.
    pub fn response_problems(&self) -> Vec<String> {
        let label = self.label();
        let parsed = if self.response_body.is_empty() {
            Ok(Value::Null)
        } else {
            serde_json::from_str::<Value>(self.response_body)
        };
        match parsed {
            Ok(body) => match spec().check_response(self.method, self.path, self.status, &body) {
                Ok(()) => Vec::new(),
                Err(errors) => errors
                    .into_iter()
                    .map(|e| format!("response {} to {label}: {e}", self.status))
                    .collect(),
            },
            Err(e) => vec![format!(
                "response {} to {label} is not JSON ({e}): {:.300}",
                self.status, self.response_body
            )],
        }
    }

    /// [`Exchange::request_problems`] and [`Exchange::response_problems`] together.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.request_problems();
        problems.extend(self.response_problems());
        problems
    }
}

/// Asserts that every request is a valid operation of the spec and every answer
/// validates against the spec's schema; the panic lists every problem.
#[track_caller]
pub fn assert_conform<'a>(exchanges: impl IntoIterator<Item = Exchange<'a>>) {
    let problems: Vec<String> = exchanges.into_iter().flat_map(|e| e.problems()).collect();
    assert!(
        problems.is_empty(),
        "spec violations:\n{}",
        problems.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn headers() -> Vec<(String, String)> {
        pairs(&[
            ("accept", "application/vnd.pagerduty+json;version=2"),
            ("content-type", "application/json"),
        ])
    }

    #[test]
    fn a_conforming_exchange_has_no_problems() {
        let (query, headers) = (pairs(&[("statuses[]", "triggered")]), headers());
        let exchange = Exchange {
            method: "GET",
            path: "/incidents",
            query: &query,
            headers: &headers,
            request_body: None,
            status: 200,
            response_body: r#"{"incidents": [], "limit": 25, "offset": 0, "more": false}"#,
        };
        assert_eq!(exchange.problems(), Vec::<String>::new());
        assert_eq!(exchange.label(), "GET /incidents?statuses[]=triggered");
        assert_conform([exchange]);
    }

    #[test]
    fn every_part_of_an_exchange_is_checked() {
        let (query, headers) = (pairs(&[("statuses[]", "sleeping")]), headers());
        let exchange = Exchange {
            method: "PUT",
            path: "/incidents/Q1",
            query: &query,
            headers: &headers,
            request_body: Some("not json"),
            status: 200,
            response_body: r#"{"incident": {"status": 7}}"#,
        };
        let problems = exchange.problems().join("\n");
        assert!(problems.contains("request PUT"), "{problems}");
        assert!(
            problems.contains("request body PUT /incidents/Q1?statuses[]=sleeping is not JSON"),
            "{problems}"
        );
        assert!(problems.contains("response 200 to PUT"), "{problems}");

        let not_json = Exchange {
            response_body: "<html>",
            ..exchange
        };
        assert!(
            not_json.response_problems()[0].contains("is not JSON"),
            "{:?}",
            not_json.response_problems()
        );
    }

    #[test]
    #[should_panic(expected = "spec violations")]
    fn assert_conform_fails_on_a_bad_answer() {
        let headers = headers();
        assert_conform([Exchange {
            method: "GET",
            path: "/users/me",
            query: &[],
            headers: &headers,
            request_body: None,
            status: 200,
            response_body: r#"{"user": {"id": "P1", "type": "user_reference"}}"#,
        }]);
    }
}

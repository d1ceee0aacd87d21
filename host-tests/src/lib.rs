//! The wasmtime test harness: the real component (and a hostile one) in the real
//! sandbox, talking to the fake PagerDuty on loopback.
//!
//! Every [`Harness`] checks, when dropped, that each request the fake received is a
//! valid operation of PagerDuty's OpenAPI spec and that each answer the fake gave
//! validates against the spec's schema, so every test doubles as a contract test.

use fake_pagerduty::{FakePagerDuty, Options, RecordedRequest};
use pagerduty_mcp_host::{Sandbox, SandboxConfig};
use serde_json::Value;
use test_support::Exchange;

pub use test_support::spec;

/// The hostile test guest, built by build.rs.
pub static HOSTILE_GUEST: &[u8] = include_bytes!(env!("HOSTILE_GUEST_WASM"));

/// A call's envelope and error flag.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The envelope.
    pub envelope: Value,
    /// True for tool errors.
    pub is_error: bool,
}

impl Answer {
    /// The error code of a tool error ("" otherwise).
    pub fn code(&self) -> &str {
        test_support::error_code(&self.envelope)
    }

    /// The list under `key`.
    pub fn items(&self, key: &str) -> &Vec<Value> {
        self.envelope[key]
            .as_array()
            .unwrap_or_else(|| panic!("no '{key}' list in {}", self.envelope))
    }
}

/// A fake PagerDuty and a sandbox pointed at it.
pub struct Harness {
    /// The fake.
    pub fake: FakePagerDuty,
    /// The sandbox running the component.
    pub sandbox: Sandbox,
}

impl Harness {
    /// The embedded component with a user token, write tools off.
    pub fn new() -> Harness {
        Harness::with(|_| {})
    }

    /// The embedded component, with `configure` adjusting the sandbox configuration.
    pub fn with(configure: impl FnOnce(&mut SandboxConfig)) -> Harness {
        Harness::with_fake(Options::default(), configure)
    }

    /// The embedded component against a fake started with `options`, with `configure`
    /// adjusting the sandbox configuration.
    pub fn with_fake(options: Options, configure: impl FnOnce(&mut SandboxConfig)) -> Harness {
        let fake = FakePagerDuty::spawn(options).expect("the fake starts");
        let mut config = SandboxConfig {
            api_base: fake.base_url(),
            token: Some(fake_pagerduty::USER_TOKEN.to_string()),
            ..SandboxConfig::default()
        };
        configure(&mut config);
        let sandbox = Sandbox::new(config).expect("the sandbox starts");
        Harness { fake, sandbox }
    }

    /// Calls `tool` with `arguments`; panics on protocol faults and host errors.
    pub async fn call(&self, tool: &str, arguments: Value) -> Answer {
        let outcome = self
            .sandbox
            .call_tool(tool, &arguments.to_string())
            .await
            .expect("no host fault")
            .unwrap_or_else(|e| panic!("{tool} failed as a protocol fault: {e:?}"));
        Answer {
            envelope: serde_json::from_str(&outcome.structured_content)
                .expect("the envelope is JSON"),
            is_error: outcome.is_error,
        }
    }

    /// Calls `tool` and asserts it succeeded.
    pub async fn ok(&self, tool: &str, arguments: Value) -> Answer {
        let answer = self.call(tool, arguments.clone()).await;
        assert!(
            !answer.is_error,
            "{tool} {arguments} failed: {}",
            answer.envelope
        );
        answer
    }

    /// The requests the fake received since the last [`Harness::take_requests`].
    pub fn take_requests(&self) -> Vec<RecordedRequest> {
        let requests = self.fake.requests();
        self.check_against_spec(&requests);
        self.fake.clear_requests();
        requests
    }

    /// Asserts that every request is a valid operation of the spec and every answer
    /// validates against the spec's schema.
    #[track_caller]
    pub fn check_against_spec(&self, requests: &[RecordedRequest]) {
        test_support::assert_conform(requests.iter().map(exchange));
    }
}

/// A request the fake recorded, as the exchange the spec walk checks.
pub fn exchange(request: &RecordedRequest) -> Exchange<'_> {
    Exchange {
        method: &request.method,
        path: &request.path,
        query: &request.query,
        headers: &request.headers,
        request_body: request.body.as_deref(),
        status: request.status,
        response_body: &request.response_body,
    }
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.check_against_spec(&self.fake.requests());
        }
    }
}

/// The value of header `name` (lower-case) in a recorded request.
pub fn header<'r>(request: &'r RecordedRequest, name: &str) -> Option<&'r str> {
    request
        .headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The values of query parameter `name` in a recorded request.
pub fn query<'r>(request: &'r RecordedRequest, name: &str) -> Vec<&'r str> {
    request
        .query
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

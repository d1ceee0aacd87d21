//! The sandbox against a hostile guest: every escape attempt fails and the host keeps
//! serving.

use fake_pagerduty::{FakePagerDuty, Options};
use host_tests::{HOSTILE_GUEST, header};
use pagerduty_mcp_host::sandbox::ToolSelection;
use pagerduty_mcp_host::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use std::time::Duration;

const SECRET: &str = "secret-token-that-must-not-leak";

fn hostile(fake: &FakePagerDuty, configure: impl FnOnce(&mut SandboxConfig)) -> Sandbox {
    let mut config = SandboxConfig {
        api_base: fake.base_url(),
        token: Some(SECRET.to_string()),
        ..SandboxConfig::default()
    };
    configure(&mut config);
    Sandbox::with_component(config, HOSTILE_GUEST).expect("the hostile guest loads")
}

async fn attack(sandbox: &Sandbox, name: &str, args: Value) -> (Value, bool) {
    let outcome = sandbox
        .call_tool(name, &args.to_string())
        .await
        .expect("no host fault")
        .expect("not a protocol fault");
    (
        serde_json::from_str(&outcome.structured_content).unwrap(),
        outcome.is_error,
    )
}

fn spawn_fake() -> FakePagerDuty {
    FakePagerDuty::spawn(Options::default()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn other_destinations_are_denied() {
    let fake = spawn_fake();
    let other = spawn_fake();
    let sandbox = hostile(&fake, |_| {});
    let other_url = format!("{}/users/me", other.base_url());
    for url in [
        other_url.as_str(),
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/",
        "http://localhost:1/",
    ] {
        let (report, _) = attack(&sandbox, "fetch", json!({"url": url})).await;
        assert_eq!(report["sent"], false, "{url}: {report}");
        assert!(
            report["error"]
                .as_str()
                .unwrap()
                .contains("HttpRequestDenied"),
            "{url}: {report}"
        );
    }
    assert!(
        other.requests().is_empty(),
        "nothing reached the other server"
    );
    // The allowed destination works, and gets the host's token.
    let (report, _) = attack(
        &sandbox,
        "fetch",
        json!({"url": format!("{}/users/me", fake.base_url())}),
    )
    .await;
    assert_eq!(report["sent"], true, "{report}");
    assert_eq!(
        header(&fake.requests()[0], "authorization"),
        Some(format!("Token token={SECRET}").as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_guest_cannot_set_authorization() {
    let fake = spawn_fake();
    let sandbox = hostile(&fake, |_| {});
    let url = format!("{}/users/me", fake.base_url());
    let (report, _) = attack(
        &sandbox,
        "fetch_with_authorization",
        json!({"url": url, "authorization": "Token token=guest-chosen"}),
    )
    .await;
    assert_eq!(
        report["sent"], false,
        "setting Authorization must fail: {report}"
    );
    for r in fake.requests() {
        assert_ne!(
            header(&r, "authorization"),
            Some("Token token=guest-chosen")
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_files_and_no_token_in_the_environment() {
    let fake = spawn_fake();
    let sandbox = hostile(&fake, |c| c.selection = ToolSelection::with_writes());
    let (report, _) = attack(&sandbox, "read_files", json!({})).await;
    let attempts = report["attempts"].as_array().expect("an attempt list");
    // The guest reports every path it tried: an empty or partial list proves nothing.
    let tried: Vec<&str> = attempts.iter().filter_map(|a| a["path"].as_str()).collect();
    assert_eq!(
        tried,
        ["/etc/passwd", "/proc/self/environ", ".", "/"],
        "{report}"
    );
    for attempt in attempts {
        assert_eq!(attempt["ok"], false, "{attempt}");
    }
    let (report, _) = attack(&sandbox, "read_env", json!({})).await;
    let text = report.to_string();
    assert!(
        !text.contains(SECRET),
        "the token leaked into the guest: {text}"
    );
    let vars: Vec<&String> = report["vars"].as_object().unwrap().keys().collect();
    let allowed = [
        "PAGERDUTY_API_HOST",
        "PAGERDUTY_ENABLE_WRITE_TOOLS",
        "PAGERDUTY_USER_EMAIL",
        "PAGERDUTY_MAX_OUTPUT_BYTES",
        "PAGERDUTY_CALL_DEADLINE_MS",
    ];
    for v in &vars {
        assert!(
            allowed.contains(&v.as_str()),
            "unexpected guest variable {v}"
        );
    }
    assert_eq!(report["vars"]["PAGERDUTY_API_HOST"], fake.base_url());
}

#[tokio::test(flavor = "multi_thread")]
async fn traps_memory_and_cpu_exhaustion_become_errors_and_the_host_survives() {
    let fake = spawn_fake();
    let sandbox = hostile(&fake, |c| {
        c.memory_limit_bytes = 32 << 20;
        c.call_deadline = Duration::from_secs(2);
    });
    for name in ["trap", "exhaust_memory", "spin_forever"] {
        let (envelope, is_error) = attack(&sandbox, name, json!({})).await;
        assert!(is_error, "{name}: {envelope}");
        assert!(
            !test_support::error_code(&envelope).is_empty(),
            "{name}: {envelope}"
        );
        assert!(!envelope.to_string().contains(SECRET));
        // The same sandbox still serves.
        let (report, is_error) = attack(&sandbox, "read_env", json!({})).await;
        assert!(
            !is_error && report["vars"].is_object(),
            "after {name}: {report}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_real_component_survives_a_memory_cap_it_cannot_meet() {
    let fake = spawn_fake();
    let tiny = Sandbox::new(SandboxConfig {
        api_base: fake.base_url(),
        token: Some(SECRET.into()),
        memory_limit_bytes: 64 << 10,
        ..SandboxConfig::default()
    })
    .unwrap();
    match tiny.call_tool("list_incidents", "{}").await {
        Ok(Ok(outcome)) => assert!(outcome.is_error, "{}", outcome.structured_content),
        other => panic!("expected a tool error, got {other:?}"),
    }
}

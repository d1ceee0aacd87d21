//! Smoke tests of the built `pagerduty-mcp` binary and of the embedded
//! component in the sandbox, against the fake PagerDuty.

use std::net::TcpListener;
use std::process::Output;
use std::time::{Duration, Instant};

use pagerduty_mcp_host::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use test_support::error_code;
use test_support::stdio::StdioClient;

use crate::common;

fn run(args: &[&str]) -> Output {
    common::pagerduty_mcp()
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn demo_tools_json() {
    let output = run(&["--demo", "tools", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tools = stdout_json(&output);
    let tools = tools.as_array().expect("a JSON array");
    assert!(tools.len() >= 20, "{} tools", tools.len());
    let names: Vec<_> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"get_current_user") && names.contains(&"list_incidents"));
    assert!(
        !names.contains(&"acknowledge_incident"),
        "write tools are off by default"
    );
    for tool in tools {
        assert!(tool["title"].is_string(), "{tool}");
        assert!(tool["description"].is_string(), "{tool}");
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        let a = &tool["annotations"];
        assert_eq!(a["readOnlyHint"], true, "{tool}");
        assert_eq!(a["destructiveHint"], false, "{tool}");
        assert_eq!(a["idempotentHint"], true, "{tool}");
        assert_eq!(a["openWorldHint"], true, "{tool}");
        assert_eq!(a["title"], tool["title"], "{tool}");
    }
}

#[test]
fn demo_tools_table_with_write_tools() {
    let output = run(&["--demo", "--enable-write-tools", "tools"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("TOOL"));
    assert!(
        text.lines()
            .any(|l| l.starts_with("get_current_user") && l.contains("read-only"))
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("acknowledge_incident") && l.contains("write"))
    );
}

#[test]
fn demo_call_get_current_user() {
    let output = run(&["--demo", "call", "get_current_user"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let envelope = stdout_json(&output);
    assert_eq!(envelope["metadata"]["count"], 1);
    assert_eq!(
        envelope["users"][0]["email"],
        fake_pagerduty::CURRENT_USER_EMAIL
    );
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .trim_start()
            .starts_with("{\n  \"metadata\"")
    );
}

#[test]
fn demo_call_tool_error_exits_1() {
    let output = run(&["--demo", "call", "get_incident", r#"{"incident_id":"P@X"}"#]);
    assert_eq!(output.status.code(), Some(1));
    let envelope = stdout_json(&output);
    assert_eq!(error_code(&envelope), "INVALID_INCIDENT_ID");
}

#[test]
fn unknown_tool_exits_2() {
    let output = run(&["--demo", "call", "no_such_tool"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown tool"));
}

#[test]
fn closed_stdin_before_a_session_is_a_clean_exit() {
    // `output()` gives the child an empty stdin: the client is gone at once.
    let output = run(&["--demo"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn missing_token_is_one_clear_line() {
    let output = run(&["tools"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("PAGERDUTY_API_TOKEN"), "{stderr}");
    assert!(output.stdout.is_empty());
}

/// A `pagerduty-mcp --demo` child, spoken to in MCP over stdio.
fn demo_over_stdio() -> StdioClient {
    let mut command = common::pagerduty_mcp();
    command.arg("--demo");
    StdioClient::spawn(command)
}

/// Closes the session; the server must then exit cleanly.
fn finish(mcp: StdioClient) {
    let transcript = mcp.finish();
    assert!(transcript.status.success(), "{}", transcript.stderr);
}

fn check_session(mcp: &mut StdioClient, params: Value) {
    let with = |extra: Value| {
        let mut p = params.clone();
        p.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        p
    };
    let list =
        mcp.request(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": params}));
    let tools = list["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"));
    assert!(tools.iter().any(|t| t["name"] == "get_current_user"));

    let call = mcp.request(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": with(json!({"name": "get_current_user"}))}));
    let result = &call["result"];
    assert_eq!(result["isError"], false, "{call}");
    assert_eq!(
        result["structuredContent"]["users"][0]["email"],
        fake_pagerduty::CURRENT_USER_EMAIL
    );
    let content = result["content"].as_array().unwrap();
    assert_eq!(content.len(), 1);
    assert_eq!(content[0]["type"], "text");
    let text: Value = serde_json::from_str(content[0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, result["structuredContent"]);

    let error = mcp.request(&json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
        "params": with(json!({"name": "get_incident", "arguments": {"incident_id": "P@X"}}))}));
    assert_eq!(error["result"]["isError"], true, "{error}");
    assert_eq!(
        error_code(&error["result"]["structuredContent"]),
        "INVALID_INCIDENT_ID"
    );

    let unknown = mcp.request(&json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
        "params": with(json!({"name": "resolve_incident", "arguments": {"incident_id": "P1"}}))}));
    assert_eq!(unknown["error"]["code"], -32602, "{unknown}");
}

#[test]
fn mcp_stdio_legacy_initialize() {
    let mut mcp = demo_over_stdio();
    let init = mcp.request(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "smoke", "version": "1"}}}));
    let result = &init["result"];
    assert_eq!(result["serverInfo"]["name"], "pagerduty-mcp", "{init}");
    assert!(result["capabilities"]["tools"].is_object(), "{init}");
    assert!(
        result["instructions"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    mcp.notify("notifications/initialized");
    check_session(&mut mcp, json!({}));
    finish(mcp);
}

#[test]
fn mcp_stdio_stateless_2026() {
    let mut mcp = demo_over_stdio();
    let meta = json!({"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "smoke", "version": "1"}}});
    check_session(&mut mcp, meta);
    finish(mcp);
}

/// Accepts connections and never answers.
/// Calls `get_current_user` against a server that accepts connections and never
/// answers, with `config` for the rest; returns how long it took and the envelope.
async fn call_silent_server(config: SandboxConfig) -> (Duration, Value) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let sandbox = Sandbox::new(SandboxConfig {
        api_base: format!("http://{}", listener.local_addr().unwrap()),
        token: Some("t".into()),
        ..config
    })
    .unwrap();
    let started = Instant::now();
    let outcome = sandbox
        .call_tool("get_current_user", "{}")
        .await
        .unwrap()
        .unwrap();
    let took = started.elapsed();
    assert!(outcome.is_error);
    (
        took,
        serde_json::from_str(&outcome.structured_content).unwrap(),
    )
}

#[tokio::test]
async fn host_side_wait_is_cut_by_the_deadline() {
    let (took, v) = call_silent_server(SandboxConfig {
        call_deadline: Duration::from_secs(1),
        ..SandboxConfig::default()
    })
    .await;
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(error_code(&v), "NETWORK_ERROR");
    assert_eq!(
        v["error"]["message"],
        "the tool call exceeded its deadline of 1s"
    );
}

#[tokio::test]
async fn request_timeout_reaches_the_component() {
    let (took, v) = call_silent_server(SandboxConfig {
        request_timeout: Duration::from_millis(300),
        call_deadline: Duration::from_secs(20),
        ..SandboxConfig::default()
    })
    .await;
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert_eq!(error_code(&v), "NETWORK_ERROR", "{v}");
}

#[tokio::test]
async fn token_is_added_by_the_host() {
    let fake = fake_pagerduty::FakePagerDuty::spawn(fake_pagerduty::Options::default()).unwrap();
    let sandbox = Sandbox::new(SandboxConfig {
        api_base: fake.base_url(),
        token: Some(fake_pagerduty::OAUTH_TOKEN.into()),
        ..SandboxConfig::default()
    })
    .unwrap();
    let outcome = sandbox
        .call_tool("get_current_user", "{}")
        .await
        .unwrap()
        .unwrap();
    assert!(!outcome.is_error, "{}", outcome.structured_content);
    let requests = fake.requests();
    assert!(!requests.is_empty());
    for request in requests {
        assert_eq!(
            request.header("authorization"),
            Some("Bearer pdus+_fake-oauth-token"),
            "{request:?}"
        );
    }
}

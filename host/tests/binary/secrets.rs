//! The binary as a client sees it when things go wrong: malformed MCP traffic on
//! stdio gets JSON-RPC errors and the server stays up; and the PagerDuty token never
//! appears in any tool result, error message or log line, at any log level.

use fake_pagerduty::{FakePagerDuty, Options};
use serde_json::{Value, json};
use test_support::stdio::StdioClient;

use crate::common;

/// Runs one stdio session of `lines` against the binary; returns (stdout, stderr).
fn session(envs: &[(&str, &str)], args: &[&str], lines: &[String]) -> (String, String) {
    let mut command = common::pagerduty_mcp();
    command.args(args).envs(envs.iter().copied());
    let mut client = StdioClient::spawn(command);
    for line in lines {
        client.send_line(line);
    }
    let transcript = client.finish();
    (transcript.stdout, transcript.stderr)
}

fn request(id: u64, method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

fn handshake() -> Vec<String> {
    vec![
        request(
            0,
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}),
        ),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string(),
    ]
}

fn responses(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("stdout carries only JSON-RPC: {l:.200}: {e}"))
        })
        .collect()
}

fn by_id(responses: &[Value], id: u64) -> &Value {
    responses
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no answer to id {id}"))
}

#[test]
fn malformed_traffic_gets_json_rpc_errors_and_the_server_stays_up() {
    let mut lines = handshake();
    lines.push("this is not json".into());
    lines.push(request(1, "tools/list", json!({})));
    lines.push("{\"jsonrpc\": \"2.0\", \"id\": 2, \"method\": ".into());
    lines.push(request(3, "no/such/method", json!({})));
    lines.push("[1, 2, 3]".into());
    lines.push("x".repeat(5 << 20));
    lines.push(request(
        4,
        "tools/call",
        json!({"name": "nope", "arguments": {}}),
    ));
    lines.push(request(
        5,
        "tools/call",
        json!({"name": "get_incident", "arguments": "not an object"}),
    ));
    lines.push(request(
        6,
        "tools/call",
        json!({"name": "list_teams", "arguments": {"limit": 2}}),
    ));
    let (stdout, stderr) = session(&[], &["--demo"], &lines);
    let answers = responses(&stdout);
    let errors: Vec<i64> = answers
        .iter()
        .filter(|r| r["id"].is_null())
        .map(|r| r["error"]["code"].as_i64().unwrap())
        .collect();
    assert_eq!(
        errors.iter().filter(|c| **c == -32700).count(),
        2,
        "two unparsable lines: {stdout:.2000}"
    );
    assert_eq!(
        errors.iter().filter(|c| **c == -32600).count(),
        2,
        "a batch and an oversized line: {stdout:.2000}"
    );
    assert_eq!(by_id(&answers, 3)["error"]["code"], -32601);
    assert_eq!(by_id(&answers, 4)["error"]["code"], -32602);
    assert_eq!(
        by_id(&answers, 5)["error"]["code"],
        -32602,
        "non-object arguments are invalid params"
    );
    assert!(
        by_id(&answers, 1)["result"]["tools"]
            .as_array()
            .unwrap()
            .len()
            >= 20
    );
    // Served after all that.
    let teams = &by_id(&answers, 6)["result"];
    assert_eq!(teams["isError"], false, "{teams}");
    assert_eq!(teams["structuredContent"]["metadata"]["count"], 2);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Every tool, with arguments that succeed, fail validation, or reach PagerDuty and fail.
fn every_tool_call(start_id: u64, tools: &[String]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut id = start_id;
    for tool in tools {
        for arguments in [
            json!({}),
            json!({"incident_id": "PNOTHERE", "user_id": "P@X", "current_user_context": false}),
        ] {
            lines.push(request(
                id,
                "tools/call",
                json!({"name": tool, "arguments": arguments}),
            ));
            id += 1;
        }
    }
    lines
}

fn tool_names() -> Vec<String> {
    let output = common::pagerduty_mcp()
        .args(["--demo", "--enable-write-tools", "tools", "--json"])
        .output()
        .unwrap();
    let tools: Value = serde_json::from_slice(&output.stdout).unwrap();
    tools
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_token_never_appears_in_results_errors_or_logs_at_any_level() {
    let fake = FakePagerDuty::spawn(Options::default()).unwrap();
    let tools = tool_names();
    assert_eq!(tools.len(), pagerduty_tools::catalog::all_tools().count());
    let mut lines = handshake();
    lines.push(request(1, "tools/list", json!({})));
    lines.extend(every_tool_call(2, &tools));
    let secret_user_token = fake_pagerduty::USER_TOKEN;
    let wrong_token = "pd-secret-that-pagerduty-rejects-7f3a";
    for (token, level) in [
        (secret_user_token, "trace"),
        (secret_user_token, "debug"),
        (secret_user_token, "info"),
        (wrong_token, "trace"),
    ] {
        let envs = [
            ("PAGERDUTY_API_TOKEN", token),
            ("PAGERDUTY_API_HOST", fake.base_url().leak() as &str),
            ("RUST_LOG", level),
        ];
        let (stdout, stderr) = session(
            &envs,
            &["--enable-write-tools", "--log-level", level],
            &lines,
        );
        let answers = responses(&stdout);
        assert!(
            answers.len() > tools.len(),
            "the session answered: {stdout:.500}"
        );
        assert!(
            !stderr.is_empty() || level == "info",
            "logs were written at {level}"
        );
        for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert!(
                !text.contains(token),
                "the token leaked into {name} at {level}"
            );
        }
        // The one-shot CLI, success and failure paths.
        for args in [
            vec!["call", "get_current_user"],
            vec!["call", "get_incident", "{\"incident_id\":\"PNOTHERE\"}"],
            vec!["tools"],
        ] {
            let output = common::pagerduty_mcp()
                .args(&args)
                .envs(envs.iter().copied())
                .arg("--log-level")
                .arg(level)
                .output()
                .unwrap();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(
                !all.contains(token),
                "the token leaked from {args:?} at {level}"
            );
        }
    }
    // The fake did receive it: the check above is not vacuous.
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.headers.iter().any(|(_, v)| v.contains(secret_user_token)))
    );
}

/// A token pasted into the API host URL (as its user or password, a query value or
/// the fragment) is never echoed when the URL is refused, whether it is a valid URL
/// the server does not accept or one that cannot be parsed: not on stderr, not on
/// stdout, not by `--help`; the message says what is wrong.
#[test]
fn a_secret_in_the_api_host_is_never_echoed() {
    const SECRET: &str = "u+SeCrEtT0KeN";
    let cases = [
        // Valid URLs, refused.
        (
            format!("https://{SECRET}@api.pagerduty.com"),
            "credentials are not allowed",
        ),
        (
            format!("https://user:{SECRET}@api.pagerduty.com/"),
            "credentials are not allowed",
        ),
        (
            format!("http://:{SECRET}@api.example.com"),
            "credentials are not allowed",
        ),
        (
            format!("https://api.pagerduty.com/?token={SECRET}"),
            "a query string is not allowed",
        ),
        (
            format!("https://api.pagerduty.com?{SECRET}"),
            "a query string is not allowed",
        ),
        (
            format!("https://api.pagerduty.com/#{SECRET}"),
            "a fragment is not allowed",
        ),
        (
            format!("https://api.pagerduty.com/#access_token={SECRET}"),
            "a fragment is not allowed",
        ),
        (
            format!("https://api.pagerduty.com/v2?token={SECRET}"),
            "a path is not allowed",
        ),
        (
            format!("https://api.pagerduty.com/{SECRET}"),
            "a path is not allowed",
        ),
        (
            format!("https://api.pagerduty.com:x/{SECRET}"),
            "not an absolute URL",
        ),
        (
            format!("ftp://user:{SECRET}@api.pagerduty.com"),
            "is not http or https",
        ),
        // Unparseable.
        (
            format!("https://user:{SECRET}/x@api.pagerduty.com"),
            "not an absolute URL",
        ),
        (format!("https://user:{SECRET}@"), "not an absolute URL"),
        (format!("{SECRET}@api.pagerduty.com"), "not an absolute URL"),
        (
            format!("https://user:{SECRET}@api.pagerduty.com:99999"),
            "not an absolute URL",
        ),
        (
            format!("https://api.pagerduty.com:x?token={SECRET}"),
            "not an absolute URL",
        ),
    ];
    for (api_host, why) in &cases {
        for (how, args) in [
            ("the variable", vec!["tools"]),
            ("the flag", vec!["--api-host", api_host.as_str(), "tools"]),
            ("serving", vec!["--api-host", api_host.as_str()]),
            (
                "calling",
                vec!["--api-host", api_host.as_str(), "call", "get_current_user"],
            ),
        ] {
            let mut command = common::pagerduty_mcp();
            command
                .args(&args)
                .env("PAGERDUTY_API_TOKEN", "the-real-token")
                .env("RUST_LOG", "trace");
            if how == "the variable" {
                command.env("PAGERDUTY_API_HOST", api_host);
            }
            let output = command.output().expect("the binary runs");
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{api_host} ({how}): {stderr}"
            );
            assert!(
                !stdout.contains("SeCrEt") && !stderr.contains("SeCrEt"),
                "{api_host} ({how}) echoed the secret:\n{stdout}\n{stderr}"
            );
            assert!(stderr.contains(why), "{api_host} ({how}): {stderr}");
            assert!(
                stderr.contains("PAGERDUTY_API_HOST"),
                "{api_host} ({how}): {stderr}"
            );
            assert!(stderr.contains("***"), "{api_host} ({how}): {stderr}");
        }
        // The help shows the variable, not its value.
        let output = common::pagerduty_mcp()
            .arg("--help")
            .env("PAGERDUTY_API_HOST", api_host)
            .output()
            .expect("the binary runs");
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("[env: PAGERDUTY_API_HOST]"), "{help}");
        assert!(
            !help.contains("SeCrEt"),
            "{api_host}: --help echoed the secret"
        );
    }
}

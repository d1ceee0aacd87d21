//! JSON-RPC and HTTP exactness, over stdio and Streamable HTTP: malformed
//! messages get the JSON-RPC error they call for, carrying the request's `id`
//! whenever it could be read; unfit params are -32602; a request id still in
//! flight is refused with an error instead of silence; a body that is not
//! JSON-RPC, or cannot be read, is HTTP 400.

use std::time::{Duration, Instant};

use fake_pagerduty::{CURRENT_USER_ID, FakePagerDuty, Fault, Options, USER_TOKEN};
use serde_json::{Value, json};
use test_support::http::{Reply, post, send};
use test_support::stdio::StdioClient;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::common;
use crate::http::{STATELESS, Server, Session, demo_server, envelope, stateless_meta};

// ---------------------------------------------------------------------------
// stdio

fn stdio_client(args: &[&str], env: &[(&str, &str)]) -> StdioClient {
    let mut command = common::pagerduty_mcp();
    command.args(args).envs(env.iter().copied());
    common::initialized_stdio(command, "exactness-test")
}

fn tools_call(id: Value, tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": tool, "arguments": arguments}})
}

/// The error code of an answer, and its message.
fn error_of(answer: &Value) -> (i64, &str) {
    let error = &answer["error"];
    (
        error["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("an error: {answer}")),
        error["message"].as_str().unwrap_or_default(),
    )
}

#[test]
fn stdio_errors_carry_the_id_and_unfit_params_are_invalid_params() {
    let mut client = stdio_client(&["--demo"], &[]);
    for (id, arguments, needle) in [
        (1, json!([1, 2]), "not an array"),
        (2, json!("x"), "not a string"),
        (3, json!(7), "not a number"),
    ] {
        let answer = client.request(&tools_call(json!(id), "get_current_user", arguments));
        let (code, message) = error_of(&answer);
        assert_eq!(code, -32602, "{answer}");
        assert!(
            message.contains("`params.arguments` must be an object"),
            "{answer}"
        );
        assert!(message.contains(needle), "{answer}");
    }
    let answer = client.request(&json!({"jsonrpc": "2.0", "id": "n", "method": "tools/call",
                                        "params": {"name": 5}}));
    assert_eq!(error_of(&answer).0, -32602, "{answer}");
    let answer = client.request(&json!({"jsonrpc": "2.0", "id": 4, "method": "no/such"}));
    assert_eq!(error_of(&answer).0, -32601, "{answer}");

    // Not valid JSON-RPC, but with a readable id: -32600 with that id.
    for (line, id, needle) in [
        (r#"{"id": 5, "method": "tools/list"}"#, json!(5), "jsonrpc"),
        (
            r#"{"jsonrpc": "1.0", "id": "six", "method": "tools/list"}"#,
            json!("six"),
            "jsonrpc",
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": 7}"#,
            json!(7),
            "params",
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 8, "method": 8}"#,
            json!(8),
            "method",
        ),
    ] {
        client.send_line(line);
        let answer = client.answer(&id);
        let (code, message) = error_of(&answer);
        assert_eq!(code, -32600, "{line}: {answer}");
        assert!(message.contains(needle), "{line}: {answer}");
    }
    // Served after all that.
    let answer = client.request(&tools_call(json!(9), "get_current_user", json!({})));
    assert_eq!(envelope(&answer)["users"][0]["id"], CURRENT_USER_ID);
    // An id that cannot be read is null.
    client.send_line(r#"{"jsonrpc": "2.0", "id": {"a": 1}, "method": "tools/list"}"#);
    client.send_line(r#"{"jsonrpc": "2.0", "id": 10, "method": "ping"}"#);
    client.answer(&json!(10));
    let transcript = client.finish();
    let nulls: Vec<Value> = transcript
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|m| m["id"].is_null())
        .collect();
    assert_eq!(nulls.len(), 1, "{}", transcript.stdout);
    assert_eq!(nulls[0]["error"]["code"], -32600);
}

#[test]
fn stdio_a_request_id_in_flight_is_refused_until_answered() {
    let fake = FakePagerDuty::spawn(Options::default()).expect("the fake starts");
    let mut client = stdio_client(
        &["--api-host", &fake.base_url()],
        &[("PAGERDUTY_API_TOKEN", USER_TOKEN)],
    );
    fake.set_fault(Some(Fault::Delay {
        millis: 3000,
        times: 1,
    }));
    let started = Instant::now();
    client.send(&tools_call(json!(20), "get_current_user", json!({})));
    client.send(&tools_call(json!(20), "get_current_user", json!({})));
    // The duplicate is refused at once, with its id ...
    let refused = client.answer(&json!(20));
    let (code, message) = error_of(&refused);
    assert_eq!(code, -32600, "{refused}");
    assert!(message.contains("still being answered"), "{refused}");
    assert!(
        started.elapsed() < Duration::from_millis(3000),
        "{:?}",
        started.elapsed()
    );
    // ... and the first is answered.
    let answer = client.answer(&json!(20));
    assert_eq!(
        envelope(&answer)["users"][0]["id"],
        CURRENT_USER_ID,
        "{answer}"
    );
    // Answered: the id may be used again.
    let answer = client.request(&tools_call(json!(20), "get_current_user", json!({})));
    assert_eq!(
        envelope(&answer)["users"][0]["id"],
        CURRENT_USER_ID,
        "{answer}"
    );
    let transcript = client.finish();
    assert!(transcript.status.success(), "{}", transcript.stderr);
}

// ---------------------------------------------------------------------------
// HTTP

/// The JSON body of an error answer.
fn json_body(reply: &Reply) -> Value {
    assert_eq!(
        reply.header("content-type"),
        Some("application/json"),
        "{reply:?}"
    );
    serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("{e}: {reply:?}"))
}

/// POSTs `body` as is (it need not be JSON) with the JSON content type.
async fn post_text(url: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    // `send` takes a JSON value; a string value would be quoted, so go raw.
    let host = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut request = format!(
        "POST /mcp HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
         accept: application/json, text/event-stream\r\nconnection: close\r\n\
         content-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    raw_exchange(url, request.as_bytes()).await
}

/// Sends `bytes` on a fresh connection and parses the one answer.
async fn raw_exchange(url: &str, bytes: &[u8]) -> Reply {
    let host = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut read = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut read))
        .await
        .expect("an answer within 60 s")
        .expect("the answer");
    let text = String::from_utf8_lossy(&read).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {text}"));
    let mut headers = http::HeaderMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            headers.append(
                http::HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
                value.trim().parse().unwrap(),
            );
        }
    }
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_bodies_that_are_not_json_rpc_get_400_with_a_json_rpc_error() {
    let server = demo_server();
    let url = server.url.as_str();
    for (body, code, id) in [
        ("{bad", -32700, Value::Null),
        ("", -32700, Value::Null),
        ("[1, 2]", -32600, Value::Null),
        (
            r#"[{"jsonrpc": "2.0", "id": 1, "method": "ping"}]"#,
            -32600,
            Value::Null,
        ),
        ("7", -32600, Value::Null),
        (r#"{"id": 3, "method": "tools/list"}"#, -32600, json!(3)),
        (
            r#"{"jsonrpc": "2.0", "id": "x", "method": "tools/list", "params": 1}"#,
            -32600,
            json!("x"),
        ),
        (
            r#"{"jsonrpc": "2.0", "id": null, "method": "tools/list"}"#,
            -32600,
            Value::Null,
        ),
    ] {
        let reply = post_text(url, &[], body).await;
        assert_eq!(reply.status, 400, "{body}: {reply:?}");
        let answer = json_body(&reply);
        assert_eq!(answer["jsonrpc"], "2.0");
        assert_eq!(answer["error"]["code"], code, "{body}: {answer}");
        assert_eq!(answer["id"], id, "{body}: {answer}");
    }
    // rmcp's own refusals keep their precedence: a foreign origin is 403.
    let reply = post_text(url, &[("origin", "http://evil.example")], "{bad").await;
    assert_eq!(reply.status, 403, "{reply:?}");
    // Another content type is still 415.
    let reply = send(
        "POST",
        url,
        &[
            ("content-type", "text/plain"),
            ("accept", "application/json, text/event-stream"),
        ],
        None,
    )
    .await;
    assert_eq!(reply.status, 415, "{reply:?}");

    // An initialize whose params do not fit: 400 with -32602 and its id.
    let reply = post(
        url,
        &[],
        &json!({"jsonrpc": "2.0", "id": 9, "method": "initialize",
                "params": {"protocolVersion": 5}}),
    )
    .await;
    assert_eq!(reply.status, 400, "{reply:?}");
    let answer = json_body(&reply);
    assert_eq!(
        (answer["id"].clone(), answer["error"]["code"].clone()),
        (json!(9), json!(-32602)),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_a_broken_chunked_body_is_400() {
    let server = demo_server();
    let host = server
        .url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let request = format!(
        "POST /mcp HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
         accept: application/json, text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n\
         zz\r\n{{}}\r\n0\r\n\r\n"
    );
    let reply = raw_exchange(&server.url, request.as_bytes()).await;
    assert_eq!(reply.status, 400, "{reply:?}");
    let answer = json_body(&reply);
    assert_eq!(answer["error"]["code"], -32700, "{answer}");
    assert!(answer["id"].is_null(), "{answer}");
    // Still serving.
    let session = Session::open(&server.url, None).await;
    let answer = session.call(2, "get_current_user", json!({})).await;
    assert_eq!(envelope(&answer)["users"][0]["id"], CURRENT_USER_ID);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_unfit_arguments_are_invalid_params_in_both_eras() {
    let server = demo_server();
    // Stateless.
    let reply = post(
        &server.url,
        &[
            ("mcp-protocol-version", STATELESS),
            ("mcp-method", "tools/call"),
            ("mcp-name", "get_current_user"),
        ],
        &json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                "params": {"name": "get_current_user", "arguments": [1],
                           "_meta": stateless_meta()}}),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let answer = reply.answer(3);
    let (code, message) = error_of(&answer);
    assert_eq!(code, -32602, "{answer}");
    assert!(
        message.contains("`params.arguments` must be an object"),
        "{answer}"
    );
    // In a session.
    let session = Session::open(&server.url, None).await;
    let reply = session
        .post(
            &json!({"jsonrpc": "2.0", "id": "four", "method": "tools/call",
                      "params": {"name": "get_current_user", "arguments": "x"}}),
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let answer = reply
        .messages()
        .into_iter()
        .find(|m| m["id"] == "four")
        .expect("an answer");
    assert_eq!(error_of(&answer).0, -32602, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn http_a_request_id_in_flight_in_a_session_is_refused_until_answered() {
    let fake = FakePagerDuty::spawn(Options::default()).expect("the fake starts");
    let server = Server::start(
        &["--http", "127.0.0.1:0", "--api-host", &fake.base_url()],
        &[("PAGERDUTY_API_TOKEN", USER_TOKEN)],
    );
    let session = std::sync::Arc::new(Session::open(&server.url, None).await);
    let other = Session::open(&server.url, None).await;
    let answer = session.call(1, "get_current_user", json!({})).await;
    envelope(&answer);

    fake.set_fault(Some(Fault::Delay {
        millis: 3000,
        times: 1,
    }));
    let first = {
        let session = session.clone();
        tokio::spawn(async move { session.call(7, "get_current_user", json!({})).await })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    let started = Instant::now();
    let call = tools_call(json!(7), "get_current_user", json!({}));
    let reply = session.post(&call).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let refused = json_body(&reply);
    let (code, message) = error_of(&refused);
    assert_eq!(
        (code, refused["id"].clone()),
        (-32600, json!(7)),
        "{refused}"
    );
    assert!(message.contains("still being answered"), "{refused}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // Another session may use the same id meanwhile.
    let answer = other.call(7, "get_current_user", json!({})).await;
    assert_eq!(
        envelope(&answer)["users"][0]["id"],
        CURRENT_USER_ID,
        "{answer}"
    );
    // The first is answered, and then the id is free again.
    let answer = first.await.unwrap();
    assert_eq!(
        envelope(&answer)["users"][0]["id"],
        CURRENT_USER_ID,
        "{answer}"
    );
    let answer = session.call(7, "get_current_user", json!({})).await;
    assert_eq!(
        envelope(&answer)["users"][0]["id"],
        CURRENT_USER_ID,
        "{answer}"
    );
}

// ---------------------------------------------------------------------------
// Both transports

/// Tool results are the same bytes over stdio (which writes the envelope verbatim,
/// `host/src/verbatim.rs`) and over Streamable HTTP (rmcp's own writing of the
/// parsed envelope): results, tool errors, and an envelope with text to escape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_result_is_the_same_bytes_over_stdio_and_http() {
    let calls = [
        ("list_incidents", json!({"limit": 100})),
        ("get_current_user", json!({})),
        ("list_services", json!({"query": "a \"quoted\" \\ query"})),
        ("get_incident", json!({"incident_id": "PNOSUCHTHING"})),
    ];
    let mut stdio = stdio_client(&["--demo"], &[]);
    for (id, (tool, arguments)) in (1..).zip(&calls) {
        stdio.send(&tools_call(json!(id), tool, arguments.clone()));
    }
    let transcript = stdio.finish();
    let server = demo_server();
    let session = Session::open(&server.url, None).await;
    for (id, (tool, arguments)) in (1..).zip(&calls) {
        let prefix = format!(r#"{{"jsonrpc":"2.0","id":{id},"result":"#);
        let over_stdio = transcript
            .stdout
            .lines()
            .find(|line| line.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no answer {id} over stdio: {}", transcript.stdout));
        let reply = session
            .post(&tools_call(json!(id), tool, arguments.clone()))
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        let over_http = reply
            .body
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(str::trim)
            .find(|data| data.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no answer {id} over HTTP: {reply:?}"));
        assert_eq!(over_stdio, over_http, "{tool}");
        let answer: Value = serde_json::from_str(over_stdio).unwrap();
        let result = &answer["result"];
        let text: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("{e}: {answer}"));
        assert_eq!(text, result["structuredContent"], "{tool}");
        assert!(
            !over_stdio.contains("envelope-verbatim"),
            "{over_stdio:.300}"
        );
    }
}

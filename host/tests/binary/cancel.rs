//! Cancelled tool calls stop: over stdio (`notifications/cancelled`) and over HTTP
//! (the client leaving before its answer, stateless and in a session), every write tool
//! of the catalog waiting out a 429 sends nothing more to PagerDuty; a read waiting on
//! a PagerDuty that does not answer closes its connection at once; in process, a
//! cancelled call's instance is gone when the call returns.

use std::io::{BufRead as _, BufReader, Read as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fake_pagerduty::{CURRENT_USER_EMAIL, FakePagerDuty, Fault, Options, USER_TOKEN};
use pagerduty_mcp_host::sandbox::ToolSelection;
use pagerduty_mcp_host::{Cancelled, Sandbox, SandboxConfig};
use pagerduty_tools::catalog::{self, Tool};
use serde_json::{Value, json};
use test_support::http::post;
use test_support::stdio::StdioClient;
use tokio::io::AsyncWriteExt as _;
use tokio_util::sync::CancellationToken;

use crate::common;

/// The `Retry-After` of the fake's 429: long enough that a cancellation sent
/// right after the 429 arrives well before the retry would.
const RETRY_AFTER: Duration = Duration::from_secs(3);

/// How long after the cancellation the tests wait for requests that should
/// not come: past the retry time, with a margin.
const PAST_THE_RETRY: Duration = Duration::from_secs(4);

/// The legacy protocol version of the session tests.
const LEGACY: &str = "2025-06-18";
/// The stateless protocol revision.
const STATELESS: &str = "2026-07-28";

/// Room for every write tool's call at once: the tests start them all, then cancel
/// them all while each waits out its 429 (queued calls would start later).
const CONCURRENCY: (&str, &str) = ("PAGERDUTY_MCP_MAX_CONCURRENT_CALLS", "64");

/// Write tools whose first request is a read even with a configured `From` address:
/// `add_responders` names the current user as the requester (`GET /users/me`);
/// `delete_maintenance_window` reads the window to say whether it ends or goes.
const READ_FIRST: &[&str] = &["add_responders", "delete_maintenance_window"];

/// Every write tool of the catalog, so future write tools are covered too.
fn write_tools() -> Vec<&'static Tool> {
    let tools: Vec<_> = catalog::all_tools().filter(|t| t.is_write()).collect();
    assert!(!tools.is_empty(), "the catalog has write tools");
    tools
}

/// A tool's documented example arguments.
fn example(tool: &Tool) -> Value {
    serde_json::from_str(tool.example).expect("the example is JSON")
}

/// A fake that answers the next `times` requests with 429 and `Retry-After`.
fn rate_limited_fake(times: usize) -> FakePagerDuty {
    let fake = FakePagerDuty::spawn(Options::default()).expect("the fake starts");
    fake.set_fault(Some(Fault::rate_limited(
        RETRY_AFTER.as_secs() as u32,
        times as u32,
    )));
    fake
}

/// Waits until the fake has answered `count` requests (each call's first, a 429).
#[track_caller]
fn wait_for_requests(fake: &FakePagerDuty, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while fake.requests().len() < count {
        assert!(
            Instant::now() < deadline,
            "the fake saw {:?}, not {count} requests",
            fake.requests()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Asserts that the fake saw exactly the `count` requests answered 429 before
/// the cancellation, and nothing after it.
#[track_caller]
fn assert_nothing_after_the_429s(fake: &FakePagerDuty, count: usize) {
    let requests = fake.requests();
    let seen: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {} -> {}", r.method, r.path, r.status))
        .collect();
    assert_eq!(
        requests.len(),
        count,
        "a cancelled call sent more requests: {seen:?}"
    );
    assert!(requests.iter().all(|r| r.status == 429), "{seen:?}");
}

/// How many calls the server logged as cancelled.
fn cancelled_in(log: &str) -> usize {
    log.lines()
        .filter(|line| line.contains("tool call cancelled"))
        .count()
}

// ---------------------------------------------------------------------------
// stdio

/// `pagerduty-mcp` over stdio against `api_host`, every tool offered.
fn stdio_server(api_host: &str, extra_env: &[(&str, &str)]) -> StdioClient {
    let mut command = common::pagerduty_mcp();
    command
        .args(["--toolsets", "all", "--enable-write-tools"])
        .env("PAGERDUTY_API_TOKEN", USER_TOKEN)
        .env("PAGERDUTY_API_HOST", api_host)
        .env(CONCURRENCY.0, CONCURRENCY.1)
        .envs(extra_env.iter().copied());
    common::initialized_stdio(command, "cancel-test")
}

fn tools_call(id: u64, tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": tool, "arguments": arguments}})
}

fn cancel(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
           "params": {"requestId": id, "reason": "the user changed their mind"}})
}

/// Without a configured `From` address a write first asks `GET /users/me`: the
/// 429 there leaves every write unsent, and after the cancellation none is sent.
#[test]
fn stdio_cancelled_writes_send_nothing_after_the_cancellation() {
    let tools = write_tools();
    let fake = rate_limited_fake(tools.len());
    let mut client = stdio_server(&fake.base_url(), &[]);
    let ids: Vec<u64> = (100..).take(tools.len()).collect();
    for (id, tool) in ids.iter().zip(&tools) {
        client.send(&tools_call(*id, tool.name, example(tool)));
    }
    wait_for_requests(&fake, tools.len());
    for id in &ids {
        client.send(&cancel(*id));
    }
    std::thread::sleep(PAST_THE_RETRY);
    assert_nothing_after_the_429s(&fake, tools.len());
    assert!(
        fake.requests().iter().all(|r| r.method == "GET"),
        "no write request reached PagerDuty: {:?}",
        fake.requests()
    );

    // The server goes on answering at once.
    let started = Instant::now();
    let answer = client.request(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}));
    assert!(answer["result"].is_object(), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));

    let transcript = client.finish();
    // MCP: a cancelled request gets no answer.
    for line in transcript.stdout.lines() {
        let message: Value = serde_json::from_str(line).unwrap();
        assert!(
            !ids.iter().any(|id| message["id"] == *id),
            "a cancelled call was answered: {message}"
        );
    }
    assert_eq!(
        cancelled_in(&transcript.stderr),
        tools.len(),
        "{}",
        transcript.stderr
    );
}

/// A PagerDuty that accepts connections and never answers.
struct SilentUpstream {
    listener: TcpListener,
}

impl SilentUpstream {
    fn start() -> SilentUpstream {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        SilentUpstream { listener }
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.listener.local_addr().unwrap())
    }

    /// The next connection, once a whole request head has arrived on it.
    fn request(&self) -> TcpStream {
        let (mut stream, _) = self.listener.accept().expect("a connection");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut head = Vec::new();
        let mut buffer = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buffer).expect("the request head");
            assert!(n > 0, "the connection closed before its request");
            head.extend_from_slice(&buffer[..n]);
        }
        stream
    }
}

/// Asserts that the host closes `upstream` within a second (or two on a slow
/// machine), where a call still running would wait for its request timeout.
#[track_caller]
fn assert_closed_at_once(mut upstream: TcpStream, cancelled_at: Instant) {
    upstream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buffer = [0u8; 256];
    let read = upstream.read(&mut buffer);
    let closed = match &read {
        Ok(0) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        Ok(_) => false,
    };
    assert!(closed, "the upstream connection is still open: {read:?}");
    let took = cancelled_at.elapsed();
    assert!(took < Duration::from_secs(2), "closed only after {took:?}");
}

#[test]
fn stdio_cancelled_read_closes_its_upstream_connection_at_once() {
    let upstream = SilentUpstream::start();
    let mut client = stdio_server(&upstream.base_url(), &[("PAGERDUTY_REQUEST_TIMEOUT", "30")]);
    client.send(&tools_call(
        7,
        "get_incident",
        json!({"incident_id": "PABC123"}),
    ));
    let connection = upstream.request();
    let cancelled_at = Instant::now();
    client.send(&cancel(7));
    assert_closed_at_once(connection, cancelled_at);

    let started = Instant::now();
    let answer = client.request(&json!({"jsonrpc": "2.0", "id": 8, "method": "tools/list"}));
    assert!(answer["result"]["tools"].is_array(), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let transcript = client.finish();
    assert_eq!(cancelled_in(&transcript.stderr), 1, "{}", transcript.stderr);
}

// ---------------------------------------------------------------------------
// HTTP

/// A running `pagerduty-mcp --http`, killed when dropped.
struct HttpServer {
    child: Child,
    /// `http://127.0.0.1:PORT/mcp`.
    url: String,
    stderr: Arc<Mutex<String>>,
}

impl HttpServer {
    /// Serves every tool against `api_host`, writes with `From: CURRENT_USER_EMAIL`
    /// (so a write tool's first request is the write itself).
    fn start(api_host: &str) -> HttpServer {
        let mut command = common::pagerduty_mcp();
        command
            .args([
                "--toolsets",
                "all",
                "--enable-write-tools",
                "--http",
                "127.0.0.1:0",
            ])
            .env("PAGERDUTY_API_TOKEN", USER_TOKEN)
            .env("PAGERDUTY_API_HOST", api_host)
            .env("PAGERDUTY_USER_EMAIL", CURRENT_USER_EMAIL)
            .env(CONCURRENCY.0, CONCURRENCY.1)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the binary starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (url_tx, url_rx) = std::sync::mpsc::channel();
        let reader = BufReader::new(child.stderr.take().unwrap());
        let log = stderr.clone();
        std::thread::spawn(move || {
            for line in reader.lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("pagerduty-mcp: listening on ") {
                    let _ = url_tx.send(url.trim().to_owned());
                }
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let Ok(url) = url_rx.recv_timeout(Duration::from_secs(120)) else {
            let _ = child.kill();
            panic!("the server did not start: {}", stderr.lock().unwrap());
        };
        HttpServer { child, url, stderr }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (a few seconds at most) until the server has logged `count`
    /// cancelled calls.
    async fn wait_for_cancelled(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while cancelled_in(&self.stderr()) < count {
            assert!(
                Instant::now() < deadline,
                "{count} calls were not cancelled:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// POSTs `body` to `url` on a connection of its own and returns the connection
/// without reading the answer: dropping it is the client leaving.
async fn post_and_leave_open(
    url: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> tokio::net::TcpStream {
    let authority = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .expect("an http URL");
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("the server accepts connections");
    let body = body.to_string();
    let mut request = format!(
        "POST /mcp HTTP/1.1\r\nhost: {authority}\r\ncontent-type: application/json\r\n\
         accept: application/json, text/event-stream\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).await.unwrap();
    stream
}

/// The `_meta` of a stateless (2026-07-28) request.
fn stateless_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": STATELESS,
        "io.modelcontextprotocol/clientInfo": {"name": "cancel-test", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {}
    })
}

/// A stateless `tools/call`: its headers and body.
fn stateless_call(id: u64, tool: &str, arguments: Value) -> (Vec<(&'static str, String)>, Value) {
    let headers = vec![
        ("mcp-protocol-version", STATELESS.to_owned()),
        ("mcp-method", "tools/call".to_owned()),
        ("mcp-name", tool.to_owned()),
    ];
    let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": tool, "arguments": arguments, "_meta": stateless_meta()}});
    (headers, body)
}

/// Opens a legacy session (`initialize`, `notifications/initialized`); returns its id.
async fn open_session(url: &str) -> String {
    let reply = post(
        url,
        &[],
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": LEGACY, "capabilities": {},
            "clientInfo": {"name": "cancel-test", "version": "1"}}}),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let session = reply
        .header("mcp-session-id")
        .expect("a session id")
        .to_owned();
    let reply = post(
        url,
        &session_headers(&session),
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    assert_eq!(reply.status, 202, "{reply:?}");
    session
}

fn session_headers(session: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("mcp-session-id", session),
        ("mcp-protocol-version", LEGACY),
    ]
}

/// Sends every write tool's call with `request`, waits until each has had its
/// 429, then drops the connections; asserts that nothing reached PagerDuty
/// afterwards.
async fn http_writes_cancelled_by_leaving(
    fake: &FakePagerDuty,
    server: &HttpServer,
    request: impl Fn(u64, &Tool) -> (Vec<(&'static str, String)>, Value),
) {
    let tools = write_tools();
    let mut connections = Vec::new();
    for (id, tool) in (100..).zip(&tools) {
        let (headers, body) = request(id, tool);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        connections.push(post_and_leave_open(&server.url, &headers, &body).await);
    }
    tokio::task::block_in_place(|| wait_for_requests(fake, tools.len()));
    drop(connections);
    server.wait_for_cancelled(tools.len()).await;
    tokio::time::sleep(PAST_THE_RETRY).await;
    // With the From address configured each write was the first request (but for
    // the tools that must read first): it was refused with 429 before the client
    // left, and not repeated after.
    assert_nothing_after_the_429s(fake, tools.len());
    let methods: Vec<String> = fake.requests().into_iter().map(|r| r.method).collect();
    let writes_first = tools
        .iter()
        .filter(|t| !READ_FIRST.contains(&t.name))
        .count();
    assert_eq!(
        methods.iter().filter(|m| *m != "GET").count(),
        writes_first,
        "each call's first request was its write, but for {READ_FIRST:?}: {methods:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_stateless_client_leaving_cancels_its_write() {
    let fake = rate_limited_fake(write_tools().len());
    let server = HttpServer::start(&fake.base_url());
    http_writes_cancelled_by_leaving(&fake, &server, |id, tool| {
        stateless_call(id, tool.name, example(tool))
    })
    .await;

    // The server answers the next request at once.
    let started = Instant::now();
    let reply = post(
        &server.url,
        &[
            ("mcp-protocol-version", STATELESS),
            ("mcp-method", "tools/list"),
        ],
        &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list",
                "params": {"_meta": stateless_meta()}}),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_session_client_leaving_cancels_its_write() {
    let fake = rate_limited_fake(write_tools().len());
    let server = HttpServer::start(&fake.base_url());
    let session = open_session(&server.url).await;
    http_writes_cancelled_by_leaving(&fake, &server, |id, tool| {
        let headers = session_headers(&session)
            .into_iter()
            .map(|(k, v)| (k, v.to_owned()))
            .collect();
        (headers, tools_call(id, tool.name, example(tool)))
    })
    .await;

    // The session goes on, answering at once.
    let started = Instant::now();
    let reply = post(
        &server.url,
        &session_headers(&session),
        &json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(reply.answer(2)["result"]["tools"].is_array(), "{reply:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_session_client_leaving_closes_the_upstream_connection_of_its_read() {
    let upstream = Arc::new(SilentUpstream::start());
    let server = HttpServer::start(&upstream.base_url());
    let session = open_session(&server.url).await;
    let connection = post_and_leave_open(
        &server.url,
        &session_headers(&session),
        &tools_call(3, "get_incident", json!({"incident_id": "PABC123"})),
    )
    .await;
    let waiting = upstream.clone();
    let upstream_connection = tokio::task::spawn_blocking(move || waiting.request())
        .await
        .unwrap();
    let left_at = Instant::now();
    drop(connection);
    tokio::task::spawn_blocking(move || assert_closed_at_once(upstream_connection, left_at))
        .await
        .unwrap();
    server.wait_for_cancelled(1).await;
}

// ---------------------------------------------------------------------------
// In process

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_call_returns_at_once_and_its_instance_is_gone() {
    let fake = rate_limited_fake(1);
    let sandbox = Sandbox::new(SandboxConfig {
        api_base: fake.base_url(),
        token: Some(USER_TOKEN.to_owned()),
        selection: ToolSelection::everything(),
        user_email: Some(CURRENT_USER_EMAIL.to_owned()),
        ..SandboxConfig::default()
    })
    .expect("the sandbox starts");
    let tool = write_tools()[0];
    let cancel = CancellationToken::new();
    let call = tokio::spawn({
        let sandbox = sandbox.clone();
        let cancel = cancel.clone();
        let arguments = example(tool).to_string();
        async move {
            sandbox
                .call_tool_until(None, tool.name, &arguments, &cancel)
                .await
        }
    });
    tokio::task::block_in_place(|| wait_for_requests(&fake, 1));
    assert_eq!(sandbox.instances_in_use(), 1, "the call waits out its 429");

    let cancelled_at = Instant::now();
    cancel.cancel();
    let result = tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .expect("the call ends")
        .unwrap();
    let took = cancelled_at.elapsed();
    let error = result.expect_err("cancelled");
    assert!(error.is::<Cancelled>(), "{error:#}");
    assert_eq!(sandbox.instances_in_use(), 0);
    assert!(took < Duration::from_millis(500), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_guest_is_stopped_at_its_next_epoch_yield() {
    let sandbox = Sandbox::with_component(
        SandboxConfig {
            api_base: "http://127.0.0.1:9".into(),
            call_deadline: Duration::from_secs(60),
            ..SandboxConfig::default()
        },
        crate::sandbox_limits::TEST_COMPONENT.as_bytes(),
    )
    .expect("the test component loads");
    let cancel = CancellationToken::new();
    let call = tokio::spawn({
        let sandbox = sandbox.clone();
        let cancel = cancel.clone();
        async move { sandbox.call_tool_until(None, "loop", "{}", &cancel).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sandbox.instances_in_use(), 1, "the guest loops");
    let cancelled_at = Instant::now();
    cancel.cancel();
    let result = tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .expect("the call ends")
        .unwrap();
    let took = cancelled_at.elapsed();
    assert!(result.expect_err("cancelled").is::<Cancelled>());
    assert_eq!(sandbox.instances_in_use(), 0);
    assert!(took < Duration::from_millis(500), "{took:?}");
    let outcome = sandbox.call_tool("echo", "{}").await.unwrap().unwrap();
    assert!(!outcome.is_error, "{}", outcome.structured_content);
}

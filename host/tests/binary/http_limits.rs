//! The Streamable HTTP transport under load and abuse: legacy sessions are
//! capped overall and per client, refused clearly, freed when ended or idle;
//! connections are capped, slow headers and idle connections are cut, and the
//! server stays reachable and keeps serving.

use std::time::{Duration, Instant};

use fake_pagerduty::{CURRENT_USER_ID, FakePagerDuty, Fault, Options, USER_TOKEN};
use serde_json::{Value, json};
use test_support::http::{Reply, post, send};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::common;
use crate::http::{LEGACY, STATELESS, Server, Session, envelope, stateless_call, stateless_meta};

/// A legacy `initialize` with `auth` (an `Authorization` value), answered as it is.
async fn initialize(url: &str, auth: Option<&str>) -> Reply {
    let mut headers = vec![];
    if let Some(auth) = auth {
        headers.push(("authorization", auth));
    }
    post(
        url,
        &headers,
        &json!({"jsonrpc": "2.0", "id": 41, "method": "initialize", "params": {
            "protocolVersion": LEGACY,
            "capabilities": {},
            "clientInfo": {"name": "limits-test", "version": "1"}
        }}),
    )
    .await
}

/// Checks a refused `initialize`: `status`, `Retry-After`, and a JSON-RPC
/// error with the request's id whose message contains `needles`.
fn assert_refused(reply: &Reply, status: u16, needles: &[&str]) {
    assert_eq!(reply.status, status, "{reply:?}");
    let retry_after: u64 = reply
        .header("retry-after")
        .unwrap_or_else(|| panic!("Retry-After: {reply:?}"))
        .parse()
        .unwrap();
    assert!(retry_after >= 1, "{reply:?}");
    assert!(reply.header("mcp-session-id").is_none(), "{reply:?}");
    let answer = reply.answer(41);
    assert_eq!(answer["error"]["code"], -32000, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    for needle in needles {
        assert!(message.contains(needle), "{needle:?} in {message}");
    }
}

/// A stateless `tools/list`, which needs no session.
async fn stateless_list(url: &str, auth: Option<&str>) -> Reply {
    let mut headers = vec![
        ("mcp-protocol-version", STATELESS),
        ("mcp-method", "tools/list"),
    ];
    if let Some(auth) = auth {
        headers.push(("authorization", auth));
    }
    post(
        url,
        &headers,
        &json!({"jsonrpc": "2.0", "id": 5, "method": "tools/list",
                "params": {"_meta": stateless_meta()}}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_past_the_per_client_cap_are_refused_and_ending_one_frees_a_slot() {
    // Without authentication (loopback), a client is its IP address.
    let server = Server::start(
        &[
            "--demo",
            "--http",
            "127.0.0.1:0",
            "--max-sessions-per-client",
            "2",
        ],
        &[],
    );
    let first = Session::open(&server.url, None).await;
    let second = Session::open(&server.url, None).await;
    let reply = initialize(&server.url, None).await;
    assert_refused(
        &reply,
        429,
        &["limit is 2 per IP address", "DELETE /mcp", "10 min"],
    );

    // The open sessions keep working, and stateless requests need no session.
    for (i, session) in [&first, &second].into_iter().enumerate() {
        let answer = session
            .call(10 + i as u64, "get_current_user", json!({}))
            .await;
        assert_eq!(envelope(&answer)["users"][0]["id"], CURRENT_USER_ID);
    }
    assert_eq!(stateless_list(&server.url, None).await.status, 200);

    // Ending a session frees its slot.
    let reply = send("DELETE", &server.url, &first.headers(), None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let third = Session::open(&server.url, None).await;
    let answer = third.call(20, "get_current_user", json!({})).await;
    assert_eq!(envelope(&answer)["users"][0]["id"], CURRENT_USER_ID);
    assert_refused(&initialize(&server.url, None).await, 429, &["limit is 2"]);
    assert!(
        server.stderr().contains("refused a new MCP session"),
        "{}",
        server.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_request_tokens_have_their_own_cap_within_the_server_cap() {
    let fake = FakePagerDuty::spawn(Options::default()).expect("the fake starts");
    let server = Server::start(
        &[
            "--http",
            "127.0.0.1:0",
            "--per-request-token",
            "--api-host",
            &fake.base_url(),
            "--max-sessions",
            "3",
            "--max-sessions-per-client",
            "2",
        ],
        &[],
    );
    let url = server.url.as_str();
    let a = format!("Token token={USER_TOKEN}");
    let (b, c) = ("Token token=made-up-b", "Bearer made-up-c");

    // Any token string is a client of its own, with its own cap.
    let a1 = Session::open(url, Some(&a)).await;
    let a2 = Session::open(url, Some(&a)).await;
    assert_refused(
        &initialize(url, Some(&a)).await,
        429,
        &["limit is 2 per token"],
    );
    let b1 = Session::open(url, Some(b)).await;
    // Three open: the server is full, for every token.
    assert_refused(
        &initialize(url, Some(c)).await,
        503,
        &["limit of 3 open MCP sessions", "2026-07-28"],
    );
    assert_refused(&initialize(url, Some(b)).await, 503, &["limit of 3"]);
    // Nothing about a refusal reveals a token.
    assert!(!server.stderr().contains("made-up"), "{}", server.stderr());
    assert!(!server.stderr().contains(USER_TOKEN), "{}", server.stderr());

    // The sessions open keep working.
    let answer = a2.call(2, "get_current_user", json!({})).await;
    assert_eq!(envelope(&answer)["users"][0]["id"], CURRENT_USER_ID);
    assert_eq!(
        b1.post(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}))
            .await
            .status,
        200
    );
    // Stateless requests are not limited.
    assert_eq!(stateless_list(url, Some(c)).await.status, 200);

    // Ending one of A's sessions frees a slot, for anyone.
    let reply = send("DELETE", url, &a1.headers(), None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let c1 = Session::open(url, Some(c)).await;
    assert_eq!(
        c1.post(&json!({"jsonrpc": "2.0", "id": 4, "method": "tools/list"}))
            .await
            .status,
        200
    );
    assert_refused(&initialize(url, Some(&a)).await, 503, &["limit of 3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sessions_are_closed_and_their_slots_freed() {
    let server = Server::start(
        &[
            "--demo",
            "--http",
            "127.0.0.1:0",
            "--max-sessions-per-client",
            "2",
            "--session-idle-timeout",
            "2",
        ],
        &[],
    );
    let idle = Session::open(&server.url, None).await;
    let busy = Session::open(&server.url, None).await;
    assert_eq!(initialize(&server.url, None).await.status, 429);
    // `busy` sends a request every 300 ms for 4.5 s; `idle` sends nothing.
    let started = Instant::now();
    let mut id = 100;
    while started.elapsed() < Duration::from_millis(4500) {
        let reply = busy
            .post(&json!({"jsonrpc": "2.0", "id": id, "method": "ping"}))
            .await;
        assert_eq!(reply.status, 200, "the busy session lives: {reply:?}");
        id += 1;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let reply = idle
        .post(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .await;
    assert_eq!(reply.status, 404, "the idle session is gone: {reply:?}");
    // Its slot is free again.
    let fresh = Session::open(&server.url, None).await;
    let reply = fresh
        .post(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

/// Opens a connection to the server of `url`.
async fn connect(url: &str) -> TcpStream {
    let authority = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    TcpStream::connect(&authority)
        .await
        .unwrap_or_else(|e| panic!("connecting to {authority}: {e}"))
}

/// Reads until the server closes the connection; `None` if it is still open
/// after `within`. Returns what was read.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut read = Vec::new();
    let reading = async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read.extend_from_slice(&buffer[..n]),
            }
        }
    };
    tokio::time::timeout(within, reading).await.ok()?;
    Some(read)
}

/// A complete stateless `tools/list` request as raw HTTP/1.1, kept alive.
fn raw_list_request(url: &str) -> Vec<u8> {
    let host = url.trim_start_matches("http://").split('/').next().unwrap();
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list",
                      "params": {"_meta": stateless_meta()}})
    .to_string();
    format!(
        "POST /mcp HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
         accept: application/json, text/event-stream\r\nmcp-protocol-version: {STATELESS}\r\n\
         mcp-method: tools/list\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads one whole chunked response (up to its last chunk) from a kept-alive
/// connection.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut read = Vec::new();
    let mut buffer = [0u8; 65536];
    let reading = async {
        loop {
            let n = stream.read(&mut buffer).await.expect("the response");
            assert!(
                n > 0,
                "closed before the response ended: {}",
                String::from_utf8_lossy(&read)
            );
            read.extend_from_slice(&buffer[..n]);
            if read.ends_with(b"\r\n0\r\n\r\n") {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), reading)
        .await
        .expect("a response within 60 s");
    String::from_utf8_lossy(&read).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_but_kept_alive_connections_wait_for_the_idle_timeout() {
    let server = Server::start(
        &[
            "--demo",
            "--http",
            "127.0.0.1:0",
            "--header-timeout",
            "1",
            "--idle-timeout",
            "3",
        ],
        &[],
    );
    // Warm up (the first call lists the tools).
    assert_eq!(stateless_list(&server.url, None).await.status, 200);

    // Half a header: closed, unanswered, after about the header timeout.
    let mut half = connect(&server.url).await;
    let started = Instant::now();
    half.write_all(b"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-ty")
        .await
        .unwrap();
    let read = closed_within(&mut half, Duration::from_secs(10))
        .await
        .expect("closed after the header timeout");
    let elapsed = started.elapsed();
    assert!(
        read.is_empty(),
        "no answer: {}",
        String::from_utf8_lossy(&read)
    );
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    // Nothing at all: likewise.
    let mut silent = connect(&server.url).await;
    assert!(
        closed_within(&mut silent, Duration::from_secs(10))
            .await
            .is_some()
    );

    // A kept-alive connection may wait past the header timeout for its next
    // request, and is served; it is closed once idle for the idle timeout.
    let mut kept = connect(&server.url).await;
    kept.write_all(&raw_list_request(&server.url))
        .await
        .unwrap();
    let first = read_response(&mut kept).await;
    assert!(first.starts_with("HTTP/1.1 200"), "{first:.300}");
    tokio::time::sleep(Duration::from_millis(1800)).await;
    kept.write_all(&raw_list_request(&server.url))
        .await
        .unwrap();
    let second = read_response(&mut kept).await;
    assert!(second.starts_with("HTTP/1.1 200"), "{second:.300}");
    let idle_from = Instant::now();
    assert!(
        closed_within(&mut kept, Duration::from_secs(10))
            .await
            .is_some(),
        "closed when idle"
    );
    let idle = idle_from.elapsed();
    assert!(
        idle >= Duration::from_millis(2500) && idle < Duration::from_secs(8),
        "{idle:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_past_the_cap_do_not_lock_clients_out() {
    let server = Server::start(
        &[
            "--demo",
            "--http",
            "127.0.0.1:0",
            "--max-connections",
            "8",
            "--header-timeout",
            "1",
        ],
        &[],
    );
    assert_eq!(stateless_list(&server.url, None).await.status, 200);
    // Three times the cap in connections that never finish their headers.
    let mut held = Vec::new();
    for _ in 0..24 {
        let mut stream = connect(&server.url).await;
        stream
            .write_all(b"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\n")
            .await
            .unwrap();
        held.push(stream);
    }
    // A normal client is served once they time out (in batches of 8, about
    // 1 s each).
    let started = Instant::now();
    let reply = stateless_list(&server.url, None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    // The server was not overwhelmed: every held connection was closed.
    for stream in &mut held {
        assert!(
            closed_within(stream, Duration::from_secs(10))
                .await
                .is_some()
        );
    }
    // ... and keeps serving.
    for _ in 0..3 {
        assert_eq!(stateless_list(&server.url, None).await.status, 200);
    }
    let log = server.stderr();
    assert!(!log.contains("panicked"), "{log}");
    assert!(log.contains("8 HTTP connections open, the limit"), "{log}");
}

/// With few file descriptors, the cap fits under the open-file limit (160 −
/// 128 reserved = 32), and the server is never starved of descriptors.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_cap_fits_under_the_open_file_limit() {
    let mut cmd = common::pagerduty_mcp_after("ulimit -n 160");
    cmd.args([
        "--demo",
        "--http",
        "127.0.0.1:0",
        "--header-timeout",
        "1",
        "--max-connections",
        "1000",
    ]);
    let server = Server::spawn(cmd);
    assert_eq!(stateless_list(&server.url, None).await.status, 200);
    assert!(
        server.stderr().contains("at most 32 HTTP connections"),
        "{}",
        server.stderr()
    );
    let mut held = Vec::new();
    for _ in 0..100 {
        let mut stream = connect(&server.url).await;
        stream
            .write_all(b"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\n")
            .await
            .unwrap();
        held.push(stream);
    }
    let reply = stateless_list(&server.url, None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let session = Session::open(&server.url, None).await;
    let answer = session.call(2, "get_current_user", json!({})).await;
    assert_eq!(envelope(&answer)["users"][0]["id"], CURRENT_USER_ID);
    let log = server.stderr();
    assert!(
        !log.contains("panicked") && !log.contains("Too many open files"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_busy_server_keeps_serving_and_long_answers_are_not_idle() {
    let fake = FakePagerDuty::spawn(Options::default()).expect("the fake starts");
    let server = Server::start(
        &[
            "--http",
            "127.0.0.1:0",
            "--api-host",
            &fake.base_url(),
            "--max-connections",
            "8",
            "--header-timeout",
            "1",
            "--idle-timeout",
            "1",
        ],
        &[("PAGERDUTY_API_TOKEN", USER_TOKEN)],
    );
    let reply = stateless_call(&server.url, None, 1, "get_current_user", json!({})).await;
    envelope(&reply.answer(1));

    // A session whose call takes longer than the idle timeout, and an SSE
    // stream held open meanwhile: a connection busy with an answer is not idle.
    let session = Session::open(&server.url, None).await;
    let mut stream_headers = session.headers();
    stream_headers.push(("accept", "text/event-stream"));
    let sse = {
        let url = server.url.clone();
        let headers: Vec<(String, String)> = stream_headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        tokio::spawn(async move {
            standalone_stream_open_for(&url, &headers, Duration::from_secs(3)).await
        })
    };
    fake.set_fault(Some(Fault::Delay {
        millis: 2500,
        times: 1,
    }));
    let answer = session.call(2, "get_current_user", json!({})).await;
    assert_eq!(
        envelope(&answer)["users"][0]["id"],
        CURRENT_USER_ID,
        "{answer}"
    );
    assert!(sse.await.unwrap(), "the SSE stream stayed open for 3 s");

    // Twice the connection cap in concurrent slow calls: all are answered.
    fake.set_fault(Some(Fault::Delay {
        millis: 500,
        times: 16,
    }));
    let calls: Vec<_> = (0..16u64)
        .map(|i| {
            let url = server.url.clone();
            tokio::spawn(async move {
                let id = 100 + i;
                let reply = stateless_call(&url, None, id, "get_current_user", json!({})).await;
                let answer: Value = reply.answer(id);
                assert_eq!(
                    envelope(&answer)["users"][0]["id"],
                    CURRENT_USER_ID,
                    "{answer}"
                );
            })
        })
        .collect();
    for call in calls {
        call.await.unwrap();
    }
}

/// Opens the standalone SSE stream of a session (GET) and reports whether it
/// is still open after `held`.
async fn standalone_stream_open_for(
    url: &str,
    headers: &[(String, String)],
    held: Duration,
) -> bool {
    let mut stream = connect(url).await;
    let host = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut request = format!("GET /mcp HTTP/1.1\r\nhost: {host}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0u8; 512];
    let n = stream.read(&mut head).await.unwrap();
    let head = String::from_utf8_lossy(&head[..n]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    closed_within(&mut stream, held).await.is_none()
}

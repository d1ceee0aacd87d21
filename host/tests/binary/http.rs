//! The Streamable HTTP transport of the built `pagerduty-mcp` binary: both
//! protocol eras, Origin validation, access tokens, the remote-binding rules,
//! per-request PagerDuty tokens and concurrent calls, against the fake PagerDuty.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fake_pagerduty::{
    ACCOUNT_TOKEN, CURRENT_USER_ID, FakePagerDuty, Fault, OAUTH_TOKEN, Options, USER_TOKEN,
};
use serde_json::{Value, json};
use test_support::error_code;
use test_support::http::{Reply, post, send};

use crate::common;

/// The legacy protocol version the session tests negotiate.
pub(crate) const LEGACY: &str = "2025-06-18";
/// The stateless protocol revision.
pub(crate) const STATELESS: &str = "2026-07-28";

/// A running `pagerduty-mcp --http`, killed when dropped.
pub(crate) struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT/mcp`.
    pub(crate) url: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts the binary with `args` (which must include `--http`) and `env`,
    /// and waits for its `listening on` line.
    pub(crate) fn start(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = common::pagerduty_mcp();
        cmd.args(args).envs(env.iter().copied());
        Server::spawn(cmd)
    }

    /// Starts `cmd` (the binary with its arguments, which must include
    /// `--http`) and waits for its `listening on` line.
    pub(crate) fn spawn(mut cmd: std::process::Command) -> Server {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("the binary starts");
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
        let url = match url_rx.recv_timeout(Duration::from_secs(120)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the server did not start listening; stderr:\n{}",
                    stderr.lock().unwrap()
                );
            }
        };
        // Port 0 was replaced by the bound port.
        assert!(!url.contains(":0/"), "{url}");
        Server { child, url, stderr }
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `_meta` of a stateless (2026-07-28) request.
pub(crate) fn stateless_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": STATELESS,
        "io.modelcontextprotocol/clientInfo": {"name": "http-test", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {}
    })
}

/// A stateless `tools/call` of `tool` with `arguments`, sent with `auth`
/// (an `Authorization` value) if given.
pub(crate) async fn stateless_call(
    url: &str,
    auth: Option<&str>,
    id: u64,
    tool: &str,
    arguments: Value,
) -> Reply {
    let mut headers = vec![
        ("mcp-protocol-version", STATELESS),
        ("mcp-method", "tools/call"),
        ("mcp-name", tool),
    ];
    if let Some(auth) = auth {
        headers.push(("authorization", auth));
    }
    let body = json!({
        "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": tool, "arguments": arguments, "_meta": stateless_meta()}
    });
    post(url, &headers, &body).await
}

/// A legacy session: `initialize`, then `notifications/initialized`.
pub(crate) struct Session {
    url: String,
    pub(crate) id: String,
    auth: Option<String>,
}

impl Session {
    pub(crate) async fn open(url: &str, auth: Option<&str>) -> Session {
        let mut headers = vec![];
        if let Some(auth) = auth {
            headers.push(("authorization", auth));
        }
        let reply = post(
            url,
            &headers,
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": LEGACY,
                "capabilities": {},
                "clientInfo": {"name": "http-test", "version": "1"}
            }}),
        )
        .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        let result = &reply.answer(1)["result"];
        assert_eq!(result["protocolVersion"], LEGACY, "{reply:?}");
        assert_eq!(result["serverInfo"]["name"], "pagerduty-mcp");
        assert!(result["capabilities"]["tools"].is_object(), "{result}");
        let id = reply
            .header("mcp-session-id")
            .expect("a session id")
            .to_owned();
        let session = Session {
            url: url.to_owned(),
            id,
            auth: auth.map(str::to_owned),
        };
        let reply = session
            .post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        assert_eq!(reply.status, 202, "{reply:?}");
        session
    }

    pub(crate) fn headers(&self) -> Vec<(&str, &str)> {
        let mut headers = vec![
            ("mcp-session-id", self.id.as_str()),
            ("mcp-protocol-version", LEGACY),
        ];
        if let Some(auth) = &self.auth {
            headers.push(("authorization", auth.as_str()));
        }
        headers
    }

    pub(crate) async fn post(&self, body: &Value) -> Reply {
        post(&self.url, &self.headers(), body).await
    }

    pub(crate) async fn call(&self, id: u64, tool: &str, arguments: Value) -> Value {
        let reply = self
            .post(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                           "params": {"name": tool, "arguments": arguments}}))
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.answer(id)
    }
}

/// The envelope of a successful tool call answer.
pub(crate) fn envelope(answer: &Value) -> &Value {
    let result = &answer["result"];
    assert_eq!(result["isError"], false, "{answer}");
    &result["structuredContent"]
}

pub(crate) fn demo_server() -> Server {
    Server::start(&["--demo", "--http", "127.0.0.1:0"], &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_session_initialize_list_call_and_delete() {
    let server = demo_server();
    let session = Session::open(&server.url, None).await;

    let reply = session
        .post(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let tools = reply.answer(2)["result"]["tools"].clone();
    let names: Vec<_> = tools
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&"get_current_user".to_owned()), "{names:?}");
    assert!(names.contains(&"list_incidents".to_owned()), "{names:?}");

    let answer = session.call(3, "get_current_user", json!({})).await;
    assert_eq!(
        envelope(&answer)["users"][0]["id"],
        CURRENT_USER_ID,
        "{answer}"
    );

    // An unknown tool is a JSON-RPC error, not a tool result.
    let answer = session.call(4, "no_such_tool", json!({})).await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");

    let reply = send("DELETE", &server.url, &session.headers(), None).await;
    assert!(reply.status < 300, "{reply:?}");
    let reply = session
        .post(&json!({"jsonrpc": "2.0", "id": 5, "method": "tools/list"}))
        .await;
    assert_eq!(reply.status, 404, "a deleted session is gone: {reply:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stateless_2026_07_28_requests() {
    let server = demo_server();

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
    assert!(
        reply.header("mcp-session-id").is_none(),
        "no session: {reply:?}"
    );
    let tools = &reply.answer(1)["result"]["tools"];
    assert!(
        tools
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "list_incidents"),
        "{tools}"
    );

    let reply = stateless_call(&server.url, None, 2, "get_current_user", json!({})).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(reply.header("mcp-session-id").is_none(), "{reply:?}");
    let answer = reply.answer(2);
    assert_eq!(
        envelope(&answer)["users"][0]["id"],
        CURRENT_USER_ID,
        "{answer}"
    );

    // A tool error is a result with isError.
    let reply = stateless_call(&server.url, None, 3, "get_user", json!({"user_id": "P@X"})).await;
    let answer = reply.answer(3);
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert_eq!(
        error_code(&answer["result"]["structuredContent"]),
        "INVALID_USER_ID",
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_origins_get_403() {
    let server = demo_server();
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list",
                      "params": {"_meta": stateless_meta()}});
    let headers = |origin: Option<&'static str>| {
        let mut h = vec![
            ("mcp-protocol-version", STATELESS),
            ("mcp-method", "tools/list"),
        ];
        if let Some(origin) = origin {
            h.push(("origin", origin));
        }
        h
    };
    for origin in [
        "http://evil.example",
        "https://localhost",
        "http://localhost.evil.example",
    ] {
        let reply = post(&server.url, &headers(Some(origin)), &list).await;
        assert_eq!(reply.status, 403, "{origin}: {reply:?}");
    }
    for origin in [
        None,
        Some("http://localhost:5173"),
        Some("http://127.0.0.1"),
        Some("http://[::1]:3000"),
    ] {
        let reply = post(&server.url, &headers(origin), &list).await;
        assert_eq!(reply.status, 200, "{origin:?}: {reply:?}");
    }
    // A DNS-rebinding Host is refused as well.
    let reply = post(
        &server.url,
        &[
            ("host", "evil.example"),
            ("mcp-protocol-version", STATELESS),
            ("mcp-method", "tools/list"),
        ],
        &list,
    )
    .await;
    assert_eq!(reply.status, 403, "{reply:?}");
    drop(server);

    // --allowed-origin replaces the defaults; the environment variable works too.
    let server = Server::start(
        &[
            "--demo",
            "--http",
            "127.0.0.1:0",
            "--allowed-origin",
            "https://app.example.com",
        ],
        &[],
    );
    let reply = post(
        &server.url,
        &headers(Some("https://app.example.com")),
        &list,
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let reply = post(&server.url, &headers(Some("http://localhost:5173")), &list).await;
    assert_eq!(reply.status, 403, "{reply:?}");
    drop(server);
    let server = Server::start(
        &["--demo", "--http", "127.0.0.1:0"],
        &[(
            "PAGERDUTY_MCP_ALLOWED_ORIGINS",
            "https://a.example.com, https://b.example.com:8443",
        )],
    );
    let reply = post(
        &server.url,
        &headers(Some("https://b.example.com:8443")),
        &list,
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let reply = post(&server.url, &headers(Some("https://b.example.com")), &list).await;
    assert_eq!(reply.status, 403, "{reply:?}");
}

const ACCESS_TOKEN: &str = "test-access-token-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_token_is_required_when_set() {
    let server = Server::start(
        &["--demo", "--http", "127.0.0.1:0"],
        &[("PAGERDUTY_MCP_HTTP_TOKEN", ACCESS_TOKEN)],
    );
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list",
                      "params": {"_meta": stateless_meta()}});
    let base = [
        ("mcp-protocol-version", STATELESS),
        ("mcp-method", "tools/list"),
    ];
    let with = |auth: &'static str| {
        let mut h = base.to_vec();
        h.push(("authorization", auth));
        h
    };
    let reply = post(&server.url, &base, &list).await;
    assert_eq!(reply.status, 401, "{reply:?}");
    assert!(
        reply
            .header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer")),
        "{reply:?}"
    );
    for wrong in [
        "Bearer test-access-token-012345678",
        "Bearer test-access-token-0123456789x",
        "Bearer wrong",
        "Token token=test-access-token-0123456789",
        "Basic dGVzdA==",
    ] {
        let reply = post(&server.url, &with(wrong), &list).await;
        assert_eq!(reply.status, 401, "{wrong}: {reply:?}");
    }
    let reply = post(
        &server.url,
        &with("Bearer test-access-token-0123456789"),
        &list,
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    // Sessions too: every request needs the token.
    let session = Session::open(&server.url, Some("Bearer test-access-token-0123456789")).await;
    let answer = session.call(2, "get_current_user", json!({})).await;
    assert_eq!(envelope(&answer)["users"][0]["id"], CURRENT_USER_ID);
    let mut headers = session.headers();
    headers.retain(|(name, _)| *name != "authorization");
    let reply = post(
        &server.url,
        &headers,
        &json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}),
    )
    .await;
    assert_eq!(reply.status, 401, "{reply:?}");
    assert!(
        !server.stderr().contains(ACCESS_TOKEN),
        "the token is never logged"
    );
    drop(server);

    // From a file (first line); the file wins over the environment.
    let dir = common::scratch_dir("token");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token");
    std::fs::write(&file, "file-access-token-0123456789\n").unwrap();
    let server = Server::start(
        &[
            "--demo",
            "--http",
            "127.0.0.1:0",
            "--http-token-file",
            file.to_str().unwrap(),
        ],
        &[("PAGERDUTY_MCP_HTTP_TOKEN", ACCESS_TOKEN)],
    );
    let reply = post(
        &server.url,
        &with("Bearer test-access-token-0123456789"),
        &list,
    )
    .await;
    assert_eq!(reply.status, 401, "{reply:?}");
    let reply = post(
        &server.url,
        &with("Bearer file-access-token-0123456789"),
        &list,
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the binary to completion (it must not start serving) and returns
/// (exit code, stderr).
fn run_to_exit(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let output = common::pagerduty_mcp()
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_binds_need_allow_remote_and_authentication() {
    let (code, stderr) = run_to_exit(&["--demo", "--http", "0.0.0.0:0"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("non-loopback") && stderr.contains("--allow-remote"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one clear line: {stderr}");

    let (code, stderr) = run_to_exit(&["--demo", "--http", "0.0.0.0:0", "--allow-remote"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("without authentication"), "{stderr}");

    // An access token alone is not enough either.
    let (code, stderr) = run_to_exit(
        &["--demo", "--http", "[::]:0"],
        &[("PAGERDUTY_MCP_HTTP_TOKEN", ACCESS_TOKEN)],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--allow-remote"), "{stderr}");

    // Misuse of the flags is a usage error too.
    for (args, env, expect) in [
        (&["--demo", "--allow-remote"][..], &[][..], "--http"),
        (&["--demo", "--per-request-token"], &[], "--http"),
        (
            &["--demo", "--http", "127.0.0.1:0", "tools"],
            &[],
            "serving",
        ),
        (
            &["--demo", "--http", "127.0.0.1:0"],
            &[("PAGERDUTY_MCP_HTTP_TOKEN", "short")],
            "too short",
        ),
        (
            &["--demo", "--http", "127.0.0.1:0", "--per-request-token"],
            &[("PAGERDUTY_MCP_HTTP_TOKEN", ACCESS_TOKEN)],
            "PAGERDUTY_MCP_HTTP_TOKEN",
        ),
        (&["--demo", "--http", "nowhere:80"], &[], "invalid address"),
        (
            &[
                "--demo",
                "--http",
                "127.0.0.1:0",
                "--allowed-origin",
                "evil.example",
            ],
            &[],
            "origin",
        ),
    ] as [(&[&str], &[(&str, &str)], &str); 7]
    {
        let (code, stderr) = run_to_exit(args, env);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
    }

    // With --allow-remote and a token it serves (reached here over loopback),
    // and any Host name is accepted since clients authenticate.
    let server = Server::start(
        &["--demo", "--http", "0.0.0.0:0", "--allow-remote"],
        &[("PAGERDUTY_MCP_HTTP_TOKEN", ACCESS_TOKEN)],
    );
    let url = server.url.replace("0.0.0.0", "127.0.0.1");
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list",
                      "params": {"_meta": stateless_meta()}});
    let headers = [
        ("mcp-protocol-version", STATELESS),
        ("mcp-method", "tools/list"),
    ];
    let reply = post(&url, &headers, &list).await;
    assert_eq!(reply.status, 401, "{reply:?}");
    let auth = format!("Bearer {ACCESS_TOKEN}");
    let mut with = headers.to_vec();
    with.push(("authorization", &auth));
    with.push(("host", "mcp.example.com:8000"));
    let reply = post(&url, &with, &list).await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

/// A fake PagerDuty and a server using per-request tokens against it (with a
/// poison server token in the environment that must never be used).
fn per_request_setup() -> (FakePagerDuty, Server) {
    let fake = FakePagerDuty::spawn(Options::default()).expect("the fake starts");
    let server = Server::start(
        &[
            "--http",
            "127.0.0.1:0",
            "--per-request-token",
            "--api-host",
            &fake.base_url(),
        ],
        &[("PAGERDUTY_API_TOKEN", "poison-server-token")],
    );
    (fake, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn per_request_tokens_go_to_their_own_requests_only() {
    let (fake, server) = per_request_setup();
    let url = server.url.clone();

    // No token, or not a PagerDuty token: 401.
    for auth in [
        None,
        Some("Basic dXNlcjpwdw=="),
        Some("Token token="),
        Some("Bearer "),
    ] {
        let reply = stateless_call(&url, auth, 1, "get_current_user", json!({})).await;
        assert_eq!(reply.status, 401, "{auth:?}: {reply:?}");
        assert!(reply.header("www-authenticate").is_some(), "{reply:?}");
    }
    let reply = post(
        &url,
        &[],
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": LEGACY, "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"}}}),
    )
    .await;
    assert_eq!(reply.status, 401, "{reply:?}");
    assert!(fake.requests().is_empty(), "nothing reached PagerDuty");

    // Three callers with different tokens, each asking for a different user so
    // that every PagerDuty request can be traced to its caller: a legacy
    // session with a REST API key, stateless requests with an OAuth token, and
    // a legacy session with an account-level key. All calls run concurrently.
    let users: Vec<String> = fake
        .dataset()
        .users
        .iter()
        .filter(|u| u.id != CURRENT_USER_ID)
        .take(3)
        .map(|u| u.id.clone())
        .collect();
    let callers = [
        (format!("Token token={USER_TOKEN}"), users[0].clone(), true),
        (format!("Bearer {OAUTH_TOKEN}"), users[1].clone(), false),
        (
            format!("Token token={ACCOUNT_TOKEN}"),
            users[2].clone(),
            true,
        ),
    ];
    const CALLS_EACH: u64 = 4;
    let mut tasks = Vec::new();
    for (auth, user, legacy) in callers.clone() {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let session = if legacy {
                Some(Arc::new(Session::open(&url, Some(&auth)).await))
            } else {
                None
            };
            let mut calls = Vec::new();
            for i in 0..CALLS_EACH {
                let (url, auth, user, session) =
                    (url.clone(), auth.clone(), user.clone(), session.clone());
                calls.push(tokio::spawn(async move {
                    let id = 10 + i;
                    let arguments = json!({"user_id": user});
                    let answer = match &session {
                        Some(session) => session.call(id, "get_user", arguments).await,
                        None => stateless_call(&url, Some(&auth), id, "get_user", arguments)
                            .await
                            .answer(id),
                    };
                    assert_eq!(
                        envelope(&answer)["users"][0]["id"],
                        user.as_str(),
                        "{answer}"
                    );
                }));
            }
            for call in calls {
                call.await.unwrap();
            }
            session
        }));
    }
    let mut sessions = Vec::new();
    for task in tasks {
        sessions.push(task.await.unwrap());
    }

    let requests = fake.requests();
    assert!(
        requests.len() as u64 >= 3 * CALLS_EACH,
        "{} requests",
        requests.len()
    );
    for request in &requests {
        let (auth, _, _) = callers
            .iter()
            .find(|(_, user, _)| request.path.starts_with(&format!("/users/{user}")))
            .unwrap_or_else(|| {
                panic!(
                    "a request no caller asked for: {} {}",
                    request.method, request.path
                )
            });
        let sent = request.header("authorization").unwrap_or("<none>");
        assert_eq!(
            sent, auth,
            "{} {} carried another caller's token",
            request.method, request.path
        );
    }
    for (auth, user, _) in &callers {
        let count = requests
            .iter()
            .filter(|r| r.path.starts_with(&format!("/users/{user}")))
            .count() as u64;
        assert!(count >= CALLS_EACH, "{auth}: {count} requests");
    }
    assert!(
        requests
            .iter()
            .all(|r| !format!("{:?}", r.headers).contains("poison")),
        "the server's own token is never used"
    );

    // The caller's token is what PagerDuty judges: an unknown one is UNAUTHORIZED.
    let reply = stateless_call(
        &url,
        Some("Token token=not-a-known-token"),
        50,
        "get_user",
        json!({"user_id": users[0]}),
    )
    .await;
    let answer = reply.answer(50);
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert_eq!(
        error_code(&answer["result"]["structuredContent"]),
        "UNAUTHORIZED",
        "{answer}"
    );

    // A session belongs to the token that created it: another token gets 404
    // for it, the right token still works.
    let first = sessions[0].as_ref().unwrap();
    let mut stolen = first.headers();
    stolen.retain(|(name, _)| *name != "authorization");
    let other = format!("Bearer {OAUTH_TOKEN}");
    stolen.push(("authorization", &other));
    fake.clear_requests();
    let reply = post(
        &url,
        &stolen,
        &json!({"jsonrpc": "2.0", "id": 60, "method": "tools/call",
        "params": {"name": "get_user", "arguments": {"user_id": users[0]}}}),
    )
    .await;
    assert_eq!(reply.status, 404, "{reply:?}");
    let reply = send("DELETE", &url, &stolen, None).await;
    assert_eq!(reply.status, 404, "{reply:?}");
    assert!(fake.requests().is_empty());
    let answer = first
        .call(61, "get_user", json!({"user_id": users[0]}))
        .await;
    assert_eq!(envelope(&answer)["users"][0]["id"], users[0].as_str());
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.header("authorization") == Some(callers[0].0.as_str())),
        "{:?}",
        fake.requests()
    );
    assert!(
        !server.stderr().contains(USER_TOKEN),
        "tokens are never logged"
    );
    assert!(
        !server.stderr().contains(OAUTH_TOKEN),
        "tokens are never logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_concurrent_calls_run_in_parallel() {
    let fake = FakePagerDuty::spawn(Options::default()).expect("the fake starts");
    let server = Server::start(
        &["--http", "127.0.0.1:0", "--api-host", &fake.base_url()],
        &[("PAGERDUTY_API_TOKEN", USER_TOKEN)],
    );
    let users: Vec<String> = fake
        .dataset()
        .users
        .iter()
        .take(8)
        .map(|u| u.id.clone())
        .collect();
    // Warm up (the first call lists the tools).
    let reply = stateless_call(
        &server.url,
        None,
        1,
        "get_user",
        json!({"user_id": users[0]}),
    )
    .await;
    envelope(&reply.answer(1));

    // Every PagerDuty request now takes a second: 8 calls in a row would take 8 s.
    const DELAY_MS: u64 = 1000;
    fake.set_fault(Some(Fault::Delay {
        millis: DELAY_MS,
        times: 8,
    }));
    let started = Instant::now();
    let calls: Vec<_> = users
        .iter()
        .enumerate()
        .map(|(i, user)| {
            let (url, user) = (server.url.clone(), user.clone());
            tokio::spawn(async move {
                let id = 100 + i as u64;
                let answer = stateless_call(&url, None, id, "get_user", json!({"user_id": user}))
                    .await
                    .answer(id);
                assert_eq!(
                    envelope(&answer)["users"][0]["id"],
                    user.as_str(),
                    "{answer}"
                );
            })
        })
        .collect();
    for call in calls {
        call.await.unwrap();
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(4 * DELAY_MS),
        "8 calls with a {DELAY_MS} ms PagerDuty delay took {elapsed:?}: not parallel"
    );
}

/// `DELETE /mcp` of a session, as the MCP specification (2025-11-25, Streamable
/// HTTP, Session Management) and the Python SDK (which accepts 200 or 204)
/// expect: 200 for a live session, which is then closed; 404 for a session ID
/// that names no session, whether it ended or never existed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_ends_a_live_session_with_200_then_404() {
    let server = demo_server();
    let session = Session::open(&server.url, None).await;
    let other = Session::open(&server.url, None).await;

    let reply = send("DELETE", &server.url, &session.headers(), None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    // Really closed: a request naming it gets 404, and so does a second DELETE.
    let reply = session
        .post(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .await;
    assert_eq!(reply.status, 404, "{reply:?}");
    let reply = send("DELETE", &server.url, &session.headers(), None).await;
    assert_eq!(reply.status, 404, "{reply:?}");
    let never = [
        ("mcp-session-id", "no-such-session"),
        ("mcp-protocol-version", LEGACY),
    ];
    let reply = send("DELETE", &server.url, &never, None).await;
    assert_eq!(reply.status, 404, "{reply:?}");

    // The other session lives on; a foreign origin cannot end it.
    let mut foreign = other.headers();
    foreign.push(("origin", "http://evil.example"));
    let reply = send("DELETE", &server.url, &foreign, None).await;
    assert_eq!(reply.status, 403, "{reply:?}");
    let answer = other.call(3, "get_current_user", json!({})).await;
    assert_eq!(envelope(&answer)["users"][0]["id"], CURRENT_USER_ID);
    // Without MCP-Protocol-Version (a 2025-03-26 client) it ends as well.
    let reply = send(
        "DELETE",
        &server.url,
        &[("mcp-session-id", other.id.as_str())],
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let reply = other
        .post(&json!({"jsonrpc": "2.0", "id": 4, "method": "tools/list"}))
        .await;
    assert_eq!(reply.status, 404, "{reply:?}");
}

/// `DELETE /mcp` without a session ID has no session to end: 405 with `Allow`,
/// as the 2026-07-28 revision (which has no sessions) asks, whichever revision
/// the client names; rmcp's refusals of the request itself stand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_without_a_session_is_405_with_allow() {
    let server = demo_server();
    for headers in [
        &[][..],
        &[("mcp-protocol-version", LEGACY)],
        &[("mcp-protocol-version", STATELESS)],
    ] {
        let reply = send("DELETE", &server.url, headers, None).await;
        assert_eq!(reply.status, 405, "{headers:?}: {reply:?}");
        assert_eq!(reply.header("allow"), Some("POST"), "{reply:?}");
    }
    let reply = send(
        "DELETE",
        &server.url,
        &[("mcp-protocol-version", "1999-01-01")],
        None,
    )
    .await;
    assert_eq!(reply.status, 400, "an unsupported version: {reply:?}");
    let reply = send(
        "DELETE",
        &server.url,
        &[("origin", "http://evil.example")],
        None,
    )
    .await;
    assert_eq!(reply.status, 403, "a foreign origin: {reply:?}");
}

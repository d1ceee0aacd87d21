//! The global bound on sandbox instances (`--max-concurrent-calls`): at most that
//! many calls run at once, the others wait in arrival order, a call that waits past
//! the queue timeout fails with `Busy` (over MCP: the JSON-RPC error -32005), a
//! cancelled call leaves the queue at once, and the server keeps serving.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fake_pagerduty::{FakePagerDuty, Fault, Options, USER_TOKEN, ids};
use pagerduty_mcp_host::mcp::SERVER_BUSY;
use pagerduty_mcp_host::{Busy, Cancelled, Sandbox, SandboxConfig};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::common;

/// How long the slow fake takes to answer each request.
const SLOW: Duration = Duration::from_millis(700);

/// A fake PagerDuty that answers every request after [`SLOW`].
fn slow_fake() -> FakePagerDuty {
    let fake = FakePagerDuty::spawn(Options::default()).expect("the fake starts");
    fake.set_fault(Some(Fault::Delay {
        millis: SLOW.as_millis() as u64,
        times: u32::MAX,
    }));
    fake
}

/// The embedded component against `fake`, at most `max` instances at once, waiting
/// at most `queue_timeout` for one.
fn sandbox(fake: &FakePagerDuty, max: usize, queue_timeout: Duration) -> Sandbox {
    Sandbox::new(SandboxConfig {
        api_base: fake.base_url(),
        token: Some(USER_TOKEN.to_owned()),
        max_concurrent_calls: max,
        queue_timeout,
        ..SandboxConfig::default()
    })
    .expect("the sandbox starts")
}

/// Samples [`Sandbox::instances_in_use`] every millisecond until dropped; the
/// highest value seen.
struct Sampler {
    max: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Sampler {
    fn start(sandbox: &Sandbox) -> Sampler {
        let max = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (sandbox, seen, stopped) = (sandbox.clone(), max.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stopped.load(Ordering::SeqCst) {
                seen.fetch_max(sandbox.instances_in_use(), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        Sampler { max, stop }
    }

    fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Waits (5 s at most) until `condition` holds.
async fn until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// `get_team`'s arguments: one request to the fake.
fn get_team_arguments() -> String {
    json!({"team_id": ids::TEAM_PLATFORM}).to_string()
}

/// Starts `get_team` (one request to the fake) on its own task.
fn spawn_call(
    sandbox: &Sandbox,
) -> tokio::task::JoinHandle<(anyhow::Result<bool>, Duration, Instant)> {
    let sandbox = sandbox.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let result = sandbox
            .call_tool("get_team", &get_team_arguments())
            .await
            .map(|r| r.expect("a known tool").is_error);
        (result, started.elapsed(), Instant::now())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn at_most_the_cap_run_at_once_and_the_others_wait_their_turn() {
    let fake = slow_fake();
    let sandbox = sandbox(&fake, 2, Duration::from_secs(30));
    let sampler = Sampler::start(&sandbox);

    let first = [spawn_call(&sandbox), spawn_call(&sandbox)];
    until("two calls run", || sandbox.instances_in_use() == 2).await;
    let third = spawn_call(&sandbox);
    until("the third call waits", || sandbox.calls_waiting() == 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!third.is_finished(), "the third call waits for a slot");
    assert_eq!(sandbox.instances_in_use(), 2);

    let mut first_done = Vec::new();
    for call in first {
        let (result, _, done) = call.await.unwrap();
        assert!(!result.expect("no host fault"), "the call succeeds");
        first_done.push(done);
    }
    let (result, took, third_done) = third.await.unwrap();
    assert!(!result.expect("not busy: a slot came free in time"));
    assert!(
        third_done > *first_done.iter().min().unwrap(),
        "the third call ran only after one of the first two ended"
    );
    assert!(took >= SLOW + Duration::from_millis(200), "{took:?}");

    // Eight more at once: still never more than two instances, so the last of
    // them needs four rounds of the slow fake.
    let started = Instant::now();
    let calls: Vec<_> = (0..8).map(|_| spawn_call(&sandbox)).collect();
    for call in calls {
        let (result, _, _) = call.await.unwrap();
        assert!(!result.expect("no host fault"));
    }
    assert!(started.elapsed() >= SLOW * 4, "{:?}", started.elapsed());
    assert_eq!(sampler.max(), 2, "at most two instances existed at once");
    assert_eq!(
        fake.requests().len(),
        11,
        "every call reached the fake once"
    );
    assert_eq!(
        (sandbox.instances_in_use(), sandbox.calls_waiting()),
        (0, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_call_that_waits_past_the_queue_timeout_is_busy_and_the_sandbox_keeps_serving() {
    let fake = slow_fake();
    let wait = Duration::from_millis(150);
    let sandbox = sandbox(&fake, 2, wait);
    let running = [spawn_call(&sandbox), spawn_call(&sandbox)];
    until("two calls run", || sandbox.instances_in_use() == 2).await;

    let started = Instant::now();
    let error = sandbox
        .call_tool("get_team", &get_team_arguments())
        .await
        .expect_err("no slot came free in time");
    let took = started.elapsed();
    let busy = error.downcast_ref::<Busy>().expect("a Busy error");
    assert_eq!(
        *busy,
        Busy {
            running: 2,
            waited: wait
        }
    );
    assert_eq!(
        error.to_string(),
        "the server is busy: 2 tool calls are running, the most it runs at once, and none \
         finished within 150ms; nothing was sent to PagerDuty; try again"
    );
    assert!(took >= wait && took < SLOW, "{took:?}");
    // Listing takes a slot too.
    let error = sandbox.list_toolsets().await.expect_err("busy");
    assert!(error.is::<Busy>(), "{error:#}");
    assert_eq!(sandbox.calls_waiting(), 0);

    for call in running {
        assert!(!call.await.unwrap().0.expect("no host fault"));
    }
    assert_eq!(fake.requests().len(), 2, "the refused call sent nothing");
    let (result, _, _) = spawn_call(&sandbox).await.unwrap();
    assert!(!result.expect("served again"));
    assert_eq!(sandbox.instances_in_use(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_no_queue_timeout_a_call_is_busy_at_once() {
    let fake = slow_fake();
    let sandbox = sandbox(&fake, 1, Duration::ZERO);
    let running = spawn_call(&sandbox);
    until("a call runs", || sandbox.instances_in_use() == 1).await;
    let started = Instant::now();
    let error = sandbox
        .call_tool("get_team", &get_team_arguments())
        .await
        .expect_err("busy");
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_eq!(
        error.to_string(),
        "the server is busy: 1 tool call is running, the most it runs at once; nothing was \
         sent to PagerDuty; try again"
    );
    assert!(!running.await.unwrap().0.expect("no host fault"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_call_cancelled_while_waiting_for_a_slot_stops_at_once() {
    let fake = slow_fake();
    let sandbox = sandbox(&fake, 1, Duration::from_secs(30));
    let running = spawn_call(&sandbox);
    until("a call runs", || sandbox.instances_in_use() == 1).await;

    let cancel = CancellationToken::new();
    let waiting = tokio::spawn({
        let (sandbox, cancel) = (sandbox.clone(), cancel.clone());
        async move {
            sandbox
                .call_tool_until(None, "get_team", &get_team_arguments(), &cancel)
                .await
        }
    });
    until("the second call waits", || sandbox.calls_waiting() == 1).await;
    let cancelled_at = Instant::now();
    cancel.cancel();
    let error = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the cancelled call ends")
        .unwrap()
        .expect_err("cancelled");
    assert!(error.is::<Cancelled>(), "{error:#}");
    assert!(
        cancelled_at.elapsed() < Duration::from_millis(100),
        "{:?}",
        cancelled_at.elapsed()
    );
    assert_eq!(sandbox.calls_waiting(), 0, "it left the queue");
    assert_eq!(sandbox.instances_in_use(), 1, "the running call goes on");

    assert!(!running.await.unwrap().0.expect("no host fault"));
    // The cancelled call took no slot with it: the next call runs at once.
    let (result, took, _) = spawn_call(&sandbox).await.unwrap();
    assert!(!result.expect("served"));
    assert!(took < SLOW * 2, "{took:?}");
    assert_eq!(fake.requests().len(), 2, "the cancelled call sent nothing");
}

// ---------------------------------------------------------------------------
// The binary

/// Over stdio with one slot and no queue: a second call while the first holds the
/// slot (waiting out a 429) is the JSON-RPC error -32005 at once; the session goes
/// on and the first call still succeeds.
#[test]
fn stdio_a_busy_server_answers_server_busy_and_keeps_serving() {
    let fake = FakePagerDuty::spawn(Options::default()).expect("the fake starts");
    let mut command = common::pagerduty_mcp();
    command
        .args(["--max-concurrent-calls", "1"])
        .env("PAGERDUTY_MCP_QUEUE_TIMEOUT", "0")
        .env("PAGERDUTY_API_TOKEN", USER_TOKEN)
        .env("PAGERDUTY_API_HOST", fake.base_url());
    let mut client = common::initialized_stdio(command, "concurrency-test");
    // The tool list is asked once, then cached: from here on only calls take the slot.
    let answer = client.request(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}));
    assert!(answer["result"]["tools"].is_array(), "{answer}");

    // The first call gets a 429 and waits it out, holding the only slot.
    fake.set_fault(Some(Fault::rate_limited(2, 1)));
    client.send(&call(10));
    let deadline = Instant::now() + Duration::from_secs(30);
    while fake.requests().is_empty() {
        assert!(Instant::now() < deadline, "the first call reached the fake");
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    let busy = client.request(&call(11));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(busy["error"]["code"], SERVER_BUSY, "{busy}");
    assert_eq!(
        busy["error"]["message"],
        "the server is busy: 1 tool call is running, the most it runs at once; nothing was \
         sent to PagerDuty; try again"
    );
    assert_eq!(busy["error"]["data"], json!({"running": 1, "waitedMs": 0}));

    let answer = client.request(&json!({"jsonrpc": "2.0", "id": 12, "method": "ping"}));
    assert!(answer["result"].is_object(), "{answer}");
    let first = client.answer(&json!(10));
    assert_eq!(first["result"]["isError"], false, "{first}");
    let again = client.request(&call(13));
    assert_eq!(again["result"]["isError"], false, "{again}");
    assert_eq!(
        fake.requests().len(),
        3,
        "the 429, its retry and the last call"
    );
    let transcript = client.finish();
    assert!(
        transcript
            .stderr
            .contains("tool call refused: the server is busy"),
        "{}",
        transcript.stderr
    );
}

fn call(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": "get_team", "arguments": {"team_id": ids::TEAM_PLATFORM}}})
}

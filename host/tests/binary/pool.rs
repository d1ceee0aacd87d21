//! The instance pool (`host/src/sandbox/pool.rs`): a call's fresh instance
//! reuses memory that an earlier call's instance had, instead of faulting in
//! new pages. Counted as the server process's minor page faults per call.

use fake_pagerduty::ids::{TEAM_MOBILE, TEAM_PAYMENTS, TEAM_SECURITY};
use fake_pagerduty::{FakePagerDuty, Options, USER_TOKEN};
use serde_json::json;

use crate::common;

/// The process's minor page faults so far (`/proc/<pid>/stat`, field 10).
fn minor_faults(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the server's stat");
    // The command name (field 2) is in parentheses and may hold spaces.
    let after_name = &stat[stat.rfind(')').expect("a command name") + 2..];
    after_name
        .split(' ')
        .nth(7)
        .expect("field 10")
        .parse()
        .expect("a count")
}

#[test]
#[cfg_attr(not(target_os = "linux"), ignore = "reads /proc")]
fn a_call_reuses_the_memory_of_the_calls_before_it() {
    let fake = FakePagerDuty::spawn(Options::default()).expect("the fake starts");
    let mut command = common::pagerduty_mcp();
    command
        .args(["--api-host", &fake.base_url()])
        .env("PAGERDUTY_API_TOKEN", USER_TOKEN);
    let mut client = common::initialized_stdio(command, "pool-test");
    let pid = client.id();
    let mut call = |id: u64| {
        let answer = client.request(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "list_incidents",
                       "arguments": {"current_user_context": false, "limit": 100,
                                     "team_ids": [TEAM_MOBILE, TEAM_PAYMENTS, TEAM_SECURITY]}}}));
        let incidents = answer["result"]["structuredContent"]["incidents"]
            .as_array()
            .unwrap_or_else(|| panic!("incidents: {answer}"))
            .len();
        assert!(
            incidents > 50,
            "a list worth measuring: {incidents} incidents"
        );
    };
    for id in 1..=5 {
        call(id); // the pool's slot and the host's buffers are warm
    }
    let before = minor_faults(pid);
    const CALLS: u64 = 40;
    for id in 100..100 + CALLS {
        call(id);
    }
    let per_call = (minor_faults(pid) - before) as f64 / CALLS as f64;
    // On demand, every call faulted in its instance's pages anew: about 110
    // per call for this list. From the pool, under one.
    assert!(
        per_call < 20.0,
        "{per_call:.1} page faults per call: instances do not reuse pooled memory"
    );
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "sets an address-space limit with sh's ulimit"
)]
fn without_address_space_for_the_pool_instances_are_allocated_on_demand() {
    // 16 GB of address space: room for an instance on demand (a 4 GiB memory
    // reservation), not for a pool of 64 slots (about 512 GiB).
    let stderr = demo_call(common::pagerduty_mcp_after("ulimit -v 16000000"));
    assert!(
        stderr.contains("instances are allocated on demand"),
        "the fallback is logged: {stderr}"
    );
    assert!(!stderr.contains("instances come from a pool"), "{stderr}");

    let stderr = demo_call(common::pagerduty_mcp());
    assert!(stderr.contains("instances come from a pool"), "{stderr}");
}

/// Runs `command` as `--demo call get_current_user` with the sandbox's debug
/// log, asserts that the call was answered and returns the log.
fn demo_call(mut command: std::process::Command) -> String {
    let output = command
        .args(["--demo", "call", "get_current_user"])
        .env("RUST_LOG", "pagerduty_mcp_host=debug")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("\"email\""),
        "the call was answered: {stdout}"
    );
    stderr
}

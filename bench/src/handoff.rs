//! `get_oncall_handoff`, ours only (the original server has no such tool): the
//! PagerDuty requests one call sends in the default case (`current_user_context`,
//! the last 12 hours), counted from the host's egress log, and its latency on one
//! stdio connection.

use std::fs;
use std::path::Path;
use std::time::Duration;

use anyhow::bail;
use serde_json::json;

use crate::rpc::{Launch, StdioServer};
use crate::stats::{Summary, summarize};

/// What one run measured.
#[derive(Debug, Clone, Default)]
pub struct Handoff {
    /// PagerDuty requests of one default call, in order (`GET /path`).
    pub requests: Vec<String>,
    /// Escalation policies in the answer.
    pub policies: usize,
    /// Bytes of the answer's envelope.
    pub bytes: usize,
    /// Latency of the timed calls, ms.
    pub latency: Summary,
}

/// The host's log line for each request it forwards (`host/src/egress.rs`).
const EGRESS_LINE: &str = "PagerDuty request";

/// Counts one call's requests on a server logging its egress at debug level, then
/// times `calls` calls (after `warmup`) on a server as the bench runs it.
pub fn measure(ours: &Launch, calls: usize, warmup: usize, logs: &Path) -> anyhow::Result<Handoff> {
    let counted_log = logs.join("handoff-egress.log");
    let _ = fs::remove_file(&counted_log);
    let counting = Launch {
        log: counted_log.clone(),
        ..ours.with_args(&["--log-level", "pagerduty_mcp_host::egress=debug"])
    };
    let mut server = StdioServer::spawn("pagerduty-mcp (egress log)", &counting)?;
    server.initialize()?;
    let answer = server.call_tool("get_oncall_handoff", &json!({}))?;
    server.close(Duration::from_secs(10));
    let requests: Vec<String> = fs::read_to_string(&counted_log)?
        .lines()
        .filter(|l| l.contains(EGRESS_LINE))
        .map(|l| {
            let field = |name: &str| {
                l.split_whitespace()
                    .find_map(|w| w.strip_prefix(name))
                    .unwrap_or("?")
                    .to_string()
            };
            format!("{} {}", field("method="), field("path="))
        })
        .collect();
    if requests.is_empty() {
        bail!(
            "get_oncall_handoff: no egress lines in {}",
            counted_log.display()
        );
    }
    let policies = answer.json["handoffs"].as_array().map_or(0, Vec::len);
    if policies == 0 {
        bail!("get_oncall_handoff: no handoffs in {}", answer.text);
    }

    let mut server = StdioServer::spawn("pagerduty-mcp", ours)?;
    server.initialize()?;
    let mut latency = Vec::with_capacity(calls);
    for i in 0..calls + warmup {
        let a = server.call_tool("get_oncall_handoff", &json!({}))?;
        if a.json["handoffs"].as_array().map_or(0, Vec::len) != policies {
            bail!(
                "get_oncall_handoff: call {i} answered differently: {}",
                a.text
            );
        }
        if i >= warmup {
            latency.push(a.answer.latency.as_secs_f64() * 1000.0);
        }
    }
    server.close(Duration::from_secs(10));
    Ok(Handoff {
        requests,
        policies,
        bytes: answer.text.len(),
        latency: summarize(&latency),
    })
}

//! One phase of a `list_incidents` call, repeated natively: the benchmark runs it
//! under callgrind (`bench/src/phases.rs`) to show where a list call's instructions
//! go. The phases are the project's own code paths, not copies of them.
//!
//! usage: pagerduty-mcp-bench-phase PHASE ANSWER_FILE ARGUMENTS_JSON ITERATIONS
//!
//! PHASE:
//! * `value`: PagerDuty's answer parsed whole into a `serde_json::Value` (what the
//!   streamed projection avoids; for comparison);
//! * `project`: the answer parsed and projected in one pass (`streamed::parse`);
//! * `call`: the whole tool call as the component runs it (arguments, request,
//!   the projection, the envelope), on a transport that answers with the file;
//! * `verbatim`: the MCP answer line from the envelope as the stdio transport
//!   writes it (`pagerduty_mcp_host::verbatim`);
//! * `parsed`: the MCP answer line from the envelope as rmcp writes it (the
//!   envelope parsed into a `Value`; Streamable HTTP).

use std::hint::black_box;
use std::time::Duration;

use anyhow::{Context as _, bail};
use pagerduty_tools::catalog;
use pagerduty_tools::config::Config;
use pagerduty_tools::http::{HttpRequest, HttpResponse, Transport, TransportError};
use pagerduty_tools::streamed::{self, Spec};
use pagerduty_tools::tools::incidents::{INCIDENT_FIELDS, PRIORITY_BY_NAME};
use rmcp::model::{
    JsonRpcResponse, JsonRpcVersion2_0, RequestId, ServerJsonRpcMessage, ServerResult,
};

/// A PagerDuty that answers every request with the same body.
struct Canned(Vec<u8>);

impl Transport for Canned {
    fn send(&self, _request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: self.0.clone(),
        })
    }

    fn sleep(&self, _: Duration) {}
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [phase, answer, arguments, iterations] = args.as_slice() else {
        bail!("usage: pagerduty-mcp-bench-phase PHASE ANSWER_FILE ARGUMENTS_JSON ITERATIONS");
    };
    let answer = std::fs::read(answer).with_context(|| format!("reading {answer}"))?;
    let iterations: usize = iterations.parse().context("ITERATIONS")?;
    let config = Config::from_lookup(|name| {
        (name == pagerduty_tools::config::vars::API_HOST).then(|| "http://127.0.0.1:9".to_owned())
    })?;
    let transport = Canned(answer.clone());
    let now = time::OffsetDateTime::now_utc();
    let call = || {
        catalog::call_tool("list_incidents", arguments, &transport, &config, now)
            .map_err(|fault| anyhow::anyhow!("list_incidents: {fault:?}"))
    };
    // The envelope the last two phases start from (made before counting starts).
    let envelope = call()?.json;
    let spec = Spec {
        key: "incidents",
        fields: INCIDENT_FIELDS,
        shrink: Some(PRIORITY_BY_NAME),
    };
    let id = RequestId::Number(1);
    for _ in 0..iterations {
        match phase.as_str() {
            "value" => {
                black_box(serde_json::from_slice::<serde_json::Value>(&answer)?);
            }
            "project" => {
                black_box(streamed::parse(&answer, &spec)?);
            }
            "call" => {
                black_box(call()?);
            }
            "verbatim" => {
                let Ok(result) = pagerduty_mcp_host::verbatim::result(envelope.clone(), false)
                else {
                    bail!("the envelope is not one JSON object on one line");
                };
                let mut line = Vec::new();
                pagerduty_mcp_host::verbatim::write(&id, &result, &mut line);
                black_box(line);
            }
            "parsed" => {
                let result = pagerduty_mcp_protocol::tools::call_tool_result(&envelope, false);
                let message = ServerJsonRpcMessage::Response(JsonRpcResponse {
                    jsonrpc: JsonRpcVersion2_0,
                    id: id.clone(),
                    result: ServerResult::CallToolResult(result),
                });
                black_box(serde_json::to_vec(&message)?);
            }
            other => bail!("unknown phase {other}"),
        }
    }
    Ok(())
}

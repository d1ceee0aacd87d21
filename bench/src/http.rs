//! A minimal MCP Streamable HTTP client on a std TcpStream: HTTP/1.1 keep-alive,
//! `Content-Length` and chunked bodies, answers as JSON or as an SSE stream.
//! Enough for a load test against a server on loopback, nothing more.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use serde_json::{Value, json};

use crate::rpc::{PROTOCOL_VERSION, check_tool_result, truncate};

pub struct HttpMcp {
    addr: String,
    path: String,
    conn: Option<(BufReader<TcpStream>, TcpStream)>,
    session: Option<String>,
    initialized: bool,
    next_id: u64,
    /// Sent with every request (the caller's PagerDuty token), when set.
    authorization: Option<String>,
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl HttpMcp {
    /// A client for `http://{addr}{path}` (not connected yet).
    pub fn new(addr: &str, path: &str) -> HttpMcp {
        HttpMcp {
            addr: addr.to_owned(),
            path: path.to_owned(),
            conn: None,
            session: None,
            initialized: false,
            next_id: 1,
            authorization: None,
        }
    }

    /// This client sending `Authorization: {value}` with every request.
    pub fn with_authorization(mut self, value: &str) -> HttpMcp {
        self.authorization = Some(value.to_owned());
        self
    }

    fn connection(&mut self) -> anyhow::Result<&mut (BufReader<TcpStream>, TcpStream)> {
        if self.conn.is_none() {
            let stream = TcpStream::connect(&self.addr)
                .with_context(|| format!("connecting to {}", self.addr))?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(Duration::from_secs(120)))?;
            let writer = stream.try_clone()?;
            self.conn = Some((BufReader::with_capacity(1 << 16, stream), writer));
        }
        Ok(self.conn.as_mut().expect("connected above"))
    }

    fn post(&mut self, body: &str) -> anyhow::Result<Response> {
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n",
            self.path,
            self.addr,
            body.len()
        );
        if let Some(session) = &self.session {
            head.push_str(&format!("Mcp-Session-Id: {session}\r\n"));
        }
        if self.initialized {
            head.push_str(&format!("MCP-Protocol-Version: {PROTOCOL_VERSION}\r\n"));
        }
        if let Some(authorization) = &self.authorization {
            head.push_str(&format!("Authorization: {authorization}\r\n"));
        }
        head.push_str("\r\n");
        head.push_str(body);
        // One retry on a fresh connection if a kept-alive one was closed by the server.
        for attempt in 0..2 {
            let fresh = self.conn.is_none();
            let result = (|| {
                let (reader, writer) = self.connection()?;
                writer.write_all(head.as_bytes())?;
                read_response(reader)
            })();
            match result {
                Ok(response) => {
                    if response
                        .header("connection")
                        .is_some_and(|v| v.eq_ignore_ascii_case("close"))
                    {
                        self.conn = None;
                    }
                    return Ok(response);
                }
                Err(e) if attempt == 0 && !fresh => {
                    let _ = e;
                    self.conn = None;
                }
                Err(e) => return Err(e),
            }
        }
        unreachable!()
    }

    /// Sends a JSON-RPC request, returns the answer message and the latency.
    pub fn request(&mut self, method: &str, params: Value) -> anyhow::Result<(Value, Duration)> {
        let id = self.next_id;
        self.next_id += 1;
        let body =
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
        let started = Instant::now();
        let response = self.post(&body)?;
        let latency = started.elapsed();
        if response.status != 200 {
            bail!(
                "HTTP {} for {method}: {}",
                response.status,
                truncate(&String::from_utf8_lossy(&response.body), 300)
            );
        }
        if let Some(session) = response.header("mcp-session-id") {
            self.session = Some(session.to_owned());
        }
        let content_type = response
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        let message = if content_type.starts_with("text/event-stream") {
            sse_answer(&response.body, id)?
        } else {
            serde_json::from_slice(&response.body).context("answer body is not JSON")?
        };
        if let Some(error) = message.get("error") {
            bail!("JSON-RPC error for {method}: {error}");
        }
        Ok((message, latency))
    }

    pub fn initialize(&mut self) -> anyhow::Result<()> {
        self.request(
            "initialize",
            json!({
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "pagerduty-mcp-bench", "version": env!("CARGO_PKG_VERSION")},
            }),
        )?;
        self.initialized = true;
        let body = json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string();
        let response = self.post(&body)?;
        if !(200..300).contains(&response.status) {
            bail!("HTTP {} for notifications/initialized", response.status);
        }
        Ok(())
    }

    /// A checked tools/call (see [`check_tool_result`]); the latency.
    pub fn call_tool(&mut self, tool: &str, arguments: &Value) -> anyhow::Result<Duration> {
        let (message, latency) =
            self.request("tools/call", json!({"name": tool, "arguments": arguments}))?;
        check_tool_result("http", tool, &message["result"])?;
        Ok(latency)
    }
}

fn read_response(reader: &mut BufReader<TcpStream>) -> anyhow::Result<Response> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        bail!("connection closed");
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("bad status line {line:?}"))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if get("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| anyhow!("bad chunk size {line:?}"))?;
            if size == 0 {
                // trailers until the empty line
                loop {
                    line.clear();
                    if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..])?;
            line.clear();
            reader.read_line(&mut line)?; // CRLF after the chunk
        }
    } else if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(len, 0);
        reader.read_exact(&mut body)?;
    } else if !(status == 202 || status == 204 || status == 304) {
        reader.read_to_end(&mut body)?;
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// The JSON-RPC message with `id` in an SSE body.
fn sse_answer(body: &[u8], id: u64) -> anyhow::Result<Value> {
    let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
    for event in text.split("\n\n") {
        let data: Vec<&str> = event
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
            .collect();
        if data.is_empty() {
            continue;
        }
        let Ok(message) = serde_json::from_str::<Value>(&data.join("\n")) else {
            continue;
        };
        if message.get("id").and_then(Value::as_u64) == Some(id) {
            return Ok(message);
        }
    }
    bail!(
        "no answer with id {id} in the event stream: {}",
        truncate(&text, 300)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_answer_skips_priming_events_and_other_ids() {
        let body = b"id: 0\nretry: 3000\ndata:\n\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"x\"}\n\n\
                     data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}\r\n\r\n";
        assert_eq!(sse_answer(body, 7).unwrap()["id"], 7);
        assert!(sse_answer(body, 8).is_err());
    }

    /// Against a live MCP server: `BENCH_HTTP_ADDR=127.0.0.1:PORT cargo test -p
    /// pagerduty-mcp-bench -- --ignored live` (calls get_incident).
    #[test]
    #[ignore]
    fn live() {
        let addr = std::env::var("BENCH_HTTP_ADDR").expect("set BENCH_HTTP_ADDR");
        let mut c = HttpMcp::new(&addr, "/mcp");
        c.initialize().unwrap();
        let id = std::env::var("BENCH_HTTP_INCIDENT").unwrap_or_else(|_| "Q1".into());
        for _ in 0..5 {
            let latency = c
                .call_tool("get_incident", &json!({"incident_id": id}))
                .unwrap();
            eprintln!("get_incident over HTTP: {latency:?}");
        }
    }
}

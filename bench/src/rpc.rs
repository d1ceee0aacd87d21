//! A raw MCP client over stdio: newline-delimited JSON-RPC on the child's pipes,
//! no SDK in between. A reader thread timestamps every line as it arrives, so a
//! latency is "request written → answer line read", nothing more.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use serde_json::{Value, json};

/// The protocol version both servers are asked for (both accept it).
pub const PROTOCOL_VERSION: &str = "2025-06-18";

/// How long any one answer may take before the server counts as broken.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// How to start a server process.
#[derive(Debug, Clone)]
pub struct Launch {
    pub program: PathBuf,
    pub args: Vec<String>,
    /// The complete environment (the process gets nothing else).
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    /// stderr is appended here.
    pub log: PathBuf,
}

impl Launch {
    pub fn command(&self) -> anyhow::Result<Command> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("opening {}", self.log.display()))?;
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.cwd)
            .stderr(Stdio::from(log));
        Ok(cmd)
    }

    pub fn with_args(&self, extra: &[&str]) -> Launch {
        let mut l = self.clone();
        l.args.extend(extra.iter().map(|s| s.to_string()));
        l
    }

    pub fn with_env(&self, key: &str, value: &str) -> Launch {
        let mut l = self.clone();
        l.env.retain(|(k, _)| k != key);
        l.env.push((key.into(), value.into()));
        l
    }
}

/// One answer line and when it was read.
struct Line {
    at: Instant,
    text: String,
}

/// A server process spoken to over its stdin/stdout.
pub struct StdioServer {
    pub name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
    next_id: u64,
    /// When `spawn` was called.
    pub spawned_at: Instant,
}

/// A JSON-RPC answer.
pub struct Answer {
    /// The whole message.
    pub message: Value,
    /// Bytes of the answer line on the pipe (without the newline).
    pub line_bytes: usize,
    /// Request written → answer read.
    pub latency: Duration,
    /// When the answer was read.
    pub at: Instant,
}

/// A tools/call answer that was checked: not a JSON-RPC error, not `isError`,
/// with a text block holding a JSON object.
pub struct ToolAnswer {
    pub answer: Answer,
    /// The tool result JSON text (content[0].text).
    pub text: String,
    pub json: Value,
}

impl StdioServer {
    pub fn spawn(name: &str, launch: &Launch) -> anyhow::Result<StdioServer> {
        let spawned_at = Instant::now();
        let mut child = launch
            .command()?
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {name}: {}", launch.program.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = channel();
        thread::spawn(move || {
            let mut reader = BufReader::with_capacity(1 << 20, stdout);
            let mut buf = String::new();
            loop {
                buf.clear();
                match reader.read_line(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let at = Instant::now();
                        let text = buf.trim_end_matches(['\r', '\n']).to_owned();
                        if text.is_empty() {
                            continue;
                        }
                        if tx.send(Line { at, text }).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Ok(StdioServer {
            name: name.to_owned(),
            stdin: child.stdin.take(),
            child,
            lines,
            next_id: 1,
            spawned_at,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn write(&mut self, message: &Value) -> anyhow::Result<Instant> {
        let mut line = serde_json::to_vec(message)?;
        line.push(b'\n');
        let stdin = self.stdin.as_mut().ok_or_else(|| anyhow!("stdin closed"))?;
        let sent = Instant::now();
        stdin
            .write_all(&line)
            .and_then(|()| stdin.flush())
            .with_context(|| format!("{}: writing to the server (did it exit?)", self.name))?;
        Ok(sent)
    }

    pub fn notify(&mut self, method: &str, params: Option<Value>) -> anyhow::Result<()> {
        let mut msg = json!({"jsonrpc": "2.0", "method": method});
        if let Some(p) = params {
            msg["params"] = p;
        }
        self.write(&msg).map(drop)
    }

    /// Sends a request and waits for its answer (skipping notifications).
    pub fn request(&mut self, method: &str, params: Value) -> anyhow::Result<Answer> {
        let id = self.next_id;
        self.next_id += 1;
        let sent =
            self.write(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        loop {
            let line = match self.lines.recv_timeout(ANSWER_TIMEOUT) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => {
                    bail!(
                        "{}: no answer to {method} within {ANSWER_TIMEOUT:?}",
                        self.name
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    bail!(
                        "{}: the server closed stdout before answering {method} (see its log)",
                        self.name
                    )
                }
            };
            let message: Value = serde_json::from_str(&line.text).with_context(|| {
                format!(
                    "{}: not JSON on stdout: {}",
                    self.name,
                    truncate(&line.text, 300)
                )
            })?;
            if message.get("id").and_then(Value::as_u64) != Some(id)
                || message.get("method").is_some()
            {
                continue; // a notification or a request from the server
            }
            if let Some(error) = message.get("error") {
                bail!("{}: JSON-RPC error for {method}: {error}", self.name);
            }
            if message.get("result").is_none() {
                bail!(
                    "{}: answer to {method} without a result: {}",
                    self.name,
                    truncate(&line.text, 300)
                );
            }
            return Ok(Answer {
                line_bytes: line.text.len(),
                latency: line.at - sent,
                at: line.at,
                message,
            });
        }
    }

    /// `initialize` + `notifications/initialized`; the answer's read time.
    pub fn initialize(&mut self) -> anyhow::Result<Answer> {
        let answer = self.request(
            "initialize",
            json!({
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "pagerduty-mcp-bench", "version": env!("CARGO_PKG_VERSION")},
            }),
        )?;
        let version = answer.message["result"]["protocolVersion"]
            .as_str()
            .unwrap_or("");
        if version.is_empty() {
            bail!("{}: initialize answered no protocolVersion", self.name);
        }
        self.notify("notifications/initialized", None)?;
        Ok(answer)
    }

    /// `tools/list`: the answer and the tool names.
    pub fn list_tools(&mut self) -> anyhow::Result<(Answer, Vec<String>)> {
        let answer = self.request("tools/list", json!({}))?;
        let names: Vec<String> = answer.message["result"]["tools"]
            .as_array()
            .ok_or_else(|| anyhow!("{}: tools/list answered no tools array", self.name))?
            .iter()
            .filter_map(|t| t["name"].as_str().map(str::to_owned))
            .collect();
        Ok((answer, names))
    }

    /// `tools/call`, checked (see [`ToolAnswer`]).
    pub fn call_tool(&mut self, tool: &str, arguments: &Value) -> anyhow::Result<ToolAnswer> {
        let answer = self.request("tools/call", json!({"name": tool, "arguments": arguments}))?;
        let (text, json) = check_tool_result(&self.name, tool, &answer.message["result"])?;
        Ok(ToolAnswer { answer, text, json })
    }

    /// Closes stdin and waits for the process to exit (kills it after `grace`).
    pub fn close(mut self, grace: Duration) {
        drop(self.stdin.take());
        let deadline = Instant::now() + grace;
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return;
                }
            }
        }
    }
}

impl Drop for StdioServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Checks a tools/call result: not `isError`, a text block with a JSON object.
pub fn check_tool_result(
    server: &str,
    tool: &str,
    result: &Value,
) -> anyhow::Result<(String, Value)> {
    let text = result["content"]
        .as_array()
        .and_then(|blocks| blocks.iter().find(|b| b["type"] == "text"))
        .and_then(|b| b["text"].as_str())
        .ok_or_else(|| {
            anyhow!(
                "{server}: {tool} answered no text content: {}",
                truncate(&result.to_string(), 300)
            )
        })?
        .to_owned();
    if result["isError"] == Value::Bool(true) {
        bail!(
            "{server}: {tool} answered an error: {}",
            truncate(&text, 500)
        );
    }
    let json: Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{server}: {tool} answered text that is not JSON: {}",
            truncate(&text, 300)
        )
    })?;
    if !json.is_object() {
        bail!("{server}: {tool} answered JSON that is not an object");
    }
    Ok((text, json))
}

pub fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        s.to_owned()
    } else {
        let mut end = n;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    }
}

/// The lines of a log file that mention `needle` (for reading the host's timings).
pub fn log_lines(path: &Path, needle: &str) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_owned)
        .collect()
}

//! A JSON-RPC client over a child process's stdin and stdout: newline-delimited
//! messages, as MCP's stdio transport frames them.
//!
//! A reader thread drains stdout (and another stderr) as the child writes, so the
//! child never blocks on a full pipe and every wait can have a timeout.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long an answer, or the exit after stdin is closed, may take by default: a
/// debug build of the server under a loaded machine is slow, a hung one never answers.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// A child process spoken to in JSON-RPC over stdio. Killed when dropped.
pub struct StdioClient {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Lines read while waiting for another id, in order.
    unclaimed: Vec<String>,
    stderr: Option<JoinHandle<String>>,
    timeout: Duration,
}

/// How a session ended: what the child wrote that no request claimed, and its exit.
#[derive(Debug)]
pub struct Transcript {
    /// The stdout lines not returned as answers, in order, newline-terminated.
    pub stdout: String,
    /// All of stderr.
    pub stderr: String,
    /// The exit status.
    pub status: ExitStatus,
}

impl StdioClient {
    /// Spawns `command` with its stdin, stdout and stderr piped to this client.
    pub fn spawn(mut command: Command) -> StdioClient {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{:?} does not start: {e}", command.get_program()));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let stderr = std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        });
        StdioClient {
            stdin: child.stdin.take(),
            child,
            lines,
            unclaimed: Vec::new(),
            stderr: Some(stderr),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Sets how long an answer, or the exit in [`StdioClient::finish`], may take.
    pub fn with_timeout(mut self, timeout: Duration) -> StdioClient {
        self.timeout = timeout;
        self
    }

    /// The child's process id (to read its `/proc` entries, say).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Writes `line` and a newline as is: for malformed traffic.
    pub fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.write_all(b"\n"))
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("writing to the child's stdin (did it exit?): {e}"));
    }

    /// Writes one message (a request, a notification, anything) without waiting.
    pub fn send(&mut self, message: &Value) {
        self.send_line(&message.to_string());
    }

    /// Sends the notification `method` (with no params).
    pub fn notify(&mut self, method: &str) {
        self.send(&json!({"jsonrpc": "2.0", "method": method}));
    }

    /// Sends `message`, a request with an `id`, and returns the answer with that id.
    pub fn request(&mut self, message: &Value) -> Value {
        let id = message
            .get("id")
            .cloned()
            .unwrap_or_else(|| panic!("a request has an id: {message}"));
        self.send(message);
        self.answer(&id)
    }

    /// The answer with `id`: read from stdout until it comes, within the timeout.
    /// Other messages read meanwhile (notifications, other answers) are kept for
    /// [`StdioClient::finish`].
    pub fn answer(&mut self, id: &Value) -> Value {
        let deadline = Instant::now() + self.timeout;
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(wait) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no answer with id {id} within {:?}", self.timeout)
                }
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "the child closed stdout before answering id {id}; it wrote:\n{}",
                    self.unclaimed.join("\n")
                ),
            };
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout carries only JSON-RPC: {line:.300}: {e}"));
            let is_answer = message.get("method").is_none()
                && (message.get("result").is_some() || message.get("error").is_some());
            if is_answer && message.get("id") == Some(id) {
                return message;
            }
            self.unclaimed.push(line);
        }
    }

    /// Closes stdin, waits (within the timeout) for the child to exit and returns
    /// what it wrote that no request claimed, its stderr and its exit status.
    pub fn finish(mut self) -> Transcript {
        drop(self.stdin.take());
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match self.child.try_wait().expect("the child can be waited for") {
                Some(status) => break status,
                None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                None => panic!(
                    "the child did not exit within {:?} of its stdin closing",
                    self.timeout
                ),
            }
        };
        // The reader thread ends at end of file, which follows the exit.
        let mut stdout = String::new();
        for line in self.unclaimed.drain(..).chain(self.lines.iter()) {
            stdout.push_str(&line);
            stdout.push('\n');
        }
        let stderr = self
            .stderr
            .take()
            .map(|reader| reader.join().unwrap_or_default())
            .unwrap_or_default();
        Transcript {
            stdout,
            stderr,
            status,
        }
    }
}

impl Drop for StdioClient {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A child that answers each line with `{"id": <line's id>, "result": ...}` after
    /// first writing a notification, and says goodbye on stderr at end of input.
    fn echo_server() -> Command {
        let mut command = Command::new("python3");
        command.args([
            "-c",
            r#"
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if "id" not in message:
        continue
    print(json.dumps({"jsonrpc": "2.0", "method": "note"}), flush=True)
    print(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": message.get("params")}), flush=True)
print("bye", file=sys.stderr)
"#,
        ]);
        command
    }

    #[test]
    fn answers_are_matched_by_id_and_the_rest_is_kept() {
        let mut client = StdioClient::spawn(echo_server());
        client.notify("notifications/initialized");
        let answer =
            client.request(&json!({"jsonrpc": "2.0", "id": 7, "method": "m", "params": [1]}));
        assert_eq!(answer["result"], json!([1]));
        // Two requests in flight, claimed in the other order.
        client.send(&json!({"jsonrpc": "2.0", "id": "a", "method": "m", "params": "A"}));
        client.send(&json!({"jsonrpc": "2.0", "id": "b", "method": "m", "params": "B"}));
        assert_eq!(client.answer(&json!("b"))["result"], "B");
        let transcript = client.finish();
        assert!(transcript.status.success());
        assert_eq!(transcript.stderr, "bye\n");
        let kept: Vec<Value> = transcript
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(kept.len(), 4, "{kept:?}");
        assert!(kept.iter().any(|m| m["id"] == "a"), "{kept:?}");
    }

    #[test]
    #[should_panic(expected = "no answer with id 1 within")]
    fn a_missing_answer_times_out() {
        let mut command = Command::new("sleep");
        command.arg("30");
        let mut client = StdioClient::spawn(command).with_timeout(Duration::from_millis(200));
        client.request(&json!({"jsonrpc": "2.0", "id": 1, "method": "m"}));
    }
}

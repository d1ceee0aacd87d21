//! The stdio framing in front of rmcp: one JSON-RPC message per line.
//!
//! rmcp drops lines it cannot decode without a word, so a client with a bug would
//! wait forever. Here every line is looked at first: a line that is not JSON gets a
//! JSON-RPC parse error (-32700), a line that is JSON but not a request object, or
//! longer than [`MAX_LINE_BYTES`], an invalid-request error (-32600); none of them
//! reaches rmcp, and the server keeps serving. Every other line passes through as is.

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The longest line accepted (4 MiB); longer ones are answered with -32600 and skipped.
pub const MAX_LINE_BYTES: usize = 4 << 20;

/// Buffer between the framing tasks and rmcp.
const PIPE_BYTES: usize = 1 << 16;

/// The pipes rmcp serves on, and the task that copies its output to the real output.
pub struct GuardedStdio {
    /// What rmcp reads: the checked lines.
    pub to_server: DuplexStream,
    /// What rmcp writes: copied to the real output line by line.
    pub from_server: DuplexStream,
    /// Ends when rmcp's output and the input have both ended; await it to flush.
    pub done: JoinHandle<()>,
}

/// Puts the framing between `input`/`output` (stdin/stdout) and rmcp.
pub fn guard<R, W>(input: R, output: W) -> GuardedStdio
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (to_server, mut server_input) = tokio::io::duplex(PIPE_BYTES);
    let (server_output, from_server) = tokio::io::duplex(PIPE_BYTES);
    let (lines, mut outgoing) = mpsc::channel::<Vec<u8>>(64);

    let errors = lines.clone();
    let reader = tokio::spawn(async move {
        let mut input = BufReader::new(input);
        loop {
            match read_line(&mut input).await {
                Ok(Line::End) | Err(_) => break,
                Ok(Line::TooLong) => {
                    let _ = errors
                        .send(error_line(
                            -32600,
                            "Invalid Request: line longer than 4 MiB",
                        ))
                        .await;
                }
                Ok(Line::Text(line)) => match check(&line) {
                    Ok(()) => {
                        let forwarded = async {
                            server_input.write_all(&line).await?;
                            server_input.write_all(b"\n").await
                        };
                        if forwarded.await.is_err() {
                            break;
                        }
                    }
                    Err(answer) => {
                        let _ = errors.send(answer).await;
                    }
                },
            }
        }
        // Dropping the pipe tells rmcp the input ended.
        drop(server_input);
    });

    let copier = tokio::spawn(async move {
        let mut server_output = BufReader::new(server_output);
        let mut line = Vec::new();
        loop {
            line.clear();
            match server_output.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if lines.send(std::mem::take(&mut line)).await.is_err() {
                        break;
                    }
                }
            }
        }
    });

    let done = tokio::spawn(async move {
        let mut output = output;
        while let Some(mut line) = outgoing.recv().await {
            if !line.ends_with(b"\n") {
                line.push(b'\n');
            }
            if output.write_all(&line).await.is_err() || output.flush().await.is_err() {
                break;
            }
        }
        let _ = reader.await;
        let _ = copier.await;
    });

    GuardedStdio {
        to_server,
        from_server,
        done,
    }
}

enum Line {
    Text(Vec<u8>),
    TooLong,
    End,
}

/// Reads one line without its newline, never holding more than [`MAX_LINE_BYTES`].
async fn read_line<R: AsyncRead + Unpin>(input: &mut BufReader<R>) -> std::io::Result<Line> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buffer = input.fill_buf().await?;
        if buffer.is_empty() {
            return Ok(match (too_long, line.is_empty()) {
                (true, _) => Line::TooLong,
                (false, true) => Line::End,
                (false, false) => Line::Text(line),
            });
        }
        let (chunk, found_newline) = match buffer.iter().position(|&b| b == b'\n') {
            Some(i) => (&buffer[..i], true),
            None => (buffer, false),
        };
        let taken = chunk.len() + usize::from(found_newline);
        if !too_long {
            if line.len() + chunk.len() > MAX_LINE_BYTES {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        input.consume(taken);
        if found_newline {
            if too_long {
                return Ok(Line::TooLong);
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                line.clear();
                continue;
            }
            return Ok(Line::Text(line));
        }
    }
}

/// `Ok` for a line rmcp should see; else the error line to answer with.
fn check(line: &[u8]) -> Result<(), Vec<u8>> {
    match serde_json::from_slice::<Value>(line) {
        Err(e) => Err(error_line(-32700, &format!("Parse error: {e}"))),
        Ok(Value::Object(_)) => Ok(()),
        Ok(Value::Array(_)) => Err(error_line(
            -32600,
            "Invalid Request: JSON-RPC batches are not supported by MCP",
        )),
        Ok(_) => Err(error_line(
            -32600,
            "Invalid Request: expected a JSON-RPC message object",
        )),
    }
}

fn error_line(code: i64, message: &str) -> Vec<u8> {
    let mut line =
        json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}})
            .to_string()
            .into_bytes();
    line.push(b'\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// Feeds `input` through the framing with an echoing "server" and returns the output.
    async fn run(input: Vec<u8>) -> String {
        let (mut client, stdin) = tokio::io::duplex(1 << 20);
        let (stdout, mut client_out) = tokio::io::duplex(1 << 24);
        let guarded = guard(stdin, stdout);
        let GuardedStdio {
            to_server,
            from_server,
            done,
        } = guarded;
        // The "server" echoes each line back.
        let echo = tokio::spawn(async move {
            let mut from_client = BufReader::new(to_server);
            let mut to_client = from_server;
            let mut line = String::new();
            while from_client.read_line(&mut line).await.unwrap() > 0 {
                to_client
                    .write_all(format!("echo {line}").as_bytes())
                    .await
                    .unwrap();
                line.clear();
            }
        });
        client.write_all(&input).await.unwrap();
        drop(client);
        echo.await.unwrap();
        done.await.unwrap();
        let mut out = String::new();
        client_out.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn requests_pass_and_garbage_gets_json_rpc_errors() {
        let out = run(b"{\"id\":1}\nnot json\n\n[1,2]\n7\n{\"id\":2}\n".to_vec()).await;
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.contains(&"echo {\"id\":1}"), "{out}");
        assert!(lines.contains(&"echo {\"id\":2}"), "{out}");
        let errors: Vec<Value> = lines
            .iter()
            .filter(|l| !l.starts_with("echo"))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let codes: Vec<i64> = errors
            .iter()
            .map(|e| e["error"]["code"].as_i64().unwrap())
            .collect();
        assert_eq!(codes.iter().filter(|c| **c == -32700).count(), 1, "{out}");
        assert_eq!(codes.iter().filter(|c| **c == -32600).count(), 2, "{out}");
        assert!(
            errors
                .iter()
                .all(|e| e["id"].is_null() && e["jsonrpc"] == "2.0")
        );
    }

    #[tokio::test]
    async fn oversized_lines_are_refused_and_the_next_line_still_served() {
        let mut input = vec![b'x'; MAX_LINE_BYTES + 10];
        input.extend_from_slice(b"\n{\"id\":3}\n");
        let out = run(input).await;
        assert!(
            out.contains("\"code\":-32600") && out.contains("4 MiB"),
            "{out:.300}"
        );
        assert!(out.contains("echo {\"id\":3}"), "{out:.300}");
    }

    #[tokio::test]
    async fn a_last_line_without_newline_still_counts() {
        let out = run(b"{\"id\":4}".to_vec()).await;
        assert_eq!(out, "echo {\"id\":4}\n");
    }
}

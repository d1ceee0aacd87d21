//! The stdio framing in front of rmcp: one JSON-RPC message per line.
//!
//! rmcp answers some lines it cannot decode without their `id`, and others not
//! at all, so a client with a bug would wait forever. Here every line is looked
//! at first ([`crate::jsonrpc::check`]): a line that is not JSON gets a JSON-RPC
//! parse error (-32700), a line that is JSON but not a valid JSON-RPC message,
//! or longer than [`MAX_LINE_BYTES`], an invalid-request error (-32600) carrying
//! the request's `id` when it could be read; none of them reaches rmcp, and the
//! server keeps serving. Every other line passes through as is.
//!
//! JSON-RPC ids must be unique among the requests in flight: a request with the
//! id of one not yet answered (nor cancelled) gets -32600 with that id and does
//! not reach rmcp (which would let it replace the first, and leave one of the
//! two unanswered). The ids in flight are those passed on and not yet seen in
//! an answer on the way out.

use rmcp::model::RequestId;
use serde::Deserialize;
use serde::de::IgnoredAny;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::jsonrpc::{self, ErrorAnswer, InFlight, Message};

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
    let in_flight = InFlight::<RequestId>::default();

    let errors = lines.clone();
    let answered = in_flight.clone();
    let reader = tokio::spawn(async move {
        let mut input = BufReader::new(input);
        loop {
            match read_line(&mut input).await {
                Ok(Line::End) | Err(_) => break,
                Ok(Line::TooLong) => {
                    let _ = errors
                        .send(error_line(&ErrorAnswer::new(
                            None,
                            jsonrpc::INVALID_REQUEST,
                            "Invalid Request: line longer than 4 MiB",
                        )))
                        .await;
                }
                Ok(Line::Text(line)) => match check(&line, &in_flight) {
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
                    if let Some(id) = answered_id(&line) {
                        answered.end(&id);
                    }
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

/// `Ok` for a line rmcp should see; else the error line to answer with. A
/// request passed on is recorded in `in_flight`; a `notifications/cancelled`
/// ends the flight of the request it cancels (rmcp sends no answer to it).
fn check(line: &[u8], in_flight: &InFlight<RequestId>) -> Result<(), Vec<u8>> {
    match jsonrpc::check(line) {
        Err(answer) => Err(error_line(&answer)),
        Ok(Message::Request { id, .. }) => {
            if in_flight.start(id.clone()) {
                Ok(())
            } else {
                Err(error_line(&jsonrpc::duplicate_id(&id)))
            }
        }
        Ok(Message::Notification {
            cancels: Some(cancelled),
        }) => {
            in_flight.end(&cancelled);
            Ok(())
        }
        Ok(Message::Notification { cancels: None } | Message::Reply) => Ok(()),
    }
}

/// The id of an answer (a response or an error) rmcp wrote; `None` for its
/// requests and notifications.
fn answered_id(line: &[u8]) -> Option<RequestId> {
    #[derive(Deserialize)]
    struct Outgoing {
        id: Option<RequestId>,
        method: Option<IgnoredAny>,
    }
    let outgoing: Outgoing = serde_json::from_slice(line).ok()?;
    match outgoing.method {
        Some(_) => None,
        None => outgoing.id,
    }
}

fn error_line(answer: &ErrorAnswer) -> Vec<u8> {
    let mut line = answer.to_json().to_string().into_bytes();
    line.push(b'\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use tokio::io::{AsyncReadExt, DuplexStream, Lines};

    /// A "server" behind the framing: it answers a request of method `answer`
    /// with an empty result, and echoes every other line as `echo <line>`.
    fn spawn_server(to_server: DuplexStream, from_server: DuplexStream) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut from_client = BufReader::new(to_server);
            let mut to_client = from_server;
            let mut line = String::new();
            while from_client.read_line(&mut line).await.unwrap() > 0 {
                let message: Option<Value> = serde_json::from_str(&line).ok();
                let out = match message {
                    Some(m) if m["method"] == "answer" => {
                        format!(
                            "{}\n",
                            json!({"jsonrpc": "2.0", "id": m["id"], "result": {}})
                        )
                    }
                    _ => format!("echo {line}"),
                };
                to_client.write_all(out.as_bytes()).await.unwrap();
                line.clear();
            }
        })
    }

    /// Feeds `input` through the framing and returns the output.
    async fn run(input: Vec<u8>) -> String {
        let (mut client, stdin) = tokio::io::duplex(1 << 20);
        let (stdout, mut client_out) = tokio::io::duplex(1 << 24);
        let GuardedStdio {
            to_server,
            from_server,
            done,
        } = guard(stdin, stdout);
        let server = spawn_server(to_server, from_server);
        client.write_all(&input).await.unwrap();
        drop(client);
        server.await.unwrap();
        done.await.unwrap();
        let mut out = String::new();
        client_out.read_to_string(&mut out).await.unwrap();
        out
    }

    fn request(id: Value, method: &str) -> String {
        json!({"jsonrpc": "2.0", "id": id, "method": method}).to_string()
    }

    #[tokio::test]
    async fn requests_pass_and_garbage_gets_json_rpc_errors() {
        let input = [
            request(json!(1), "m"),
            "not json".into(),
            String::new(),
            "[1,2]".into(),
            "7".into(),
            r#"{"jsonrpc":"2.0","id":5,"method":"m","params":7}"#.into(),
            r#"{"id":6,"method":"m"}"#.into(),
            request(json!(2), "m"),
        ]
        .join("\n");
        let out = run(format!("{input}\n").into_bytes()).await;
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines.contains(&format!("echo {}", request(json!(1), "m")).as_str()),
            "{out}"
        );
        assert!(
            lines.contains(&format!("echo {}", request(json!(2), "m")).as_str()),
            "{out}"
        );
        let errors: Vec<Value> = lines
            .iter()
            .filter(|l| !l.starts_with("echo"))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let with_id = |id: Option<i64>| {
            errors
                .iter()
                .filter(|e| e["id"] == id.map_or(Value::Null, |n| json!(n)))
                .map(|e| e["error"]["code"].as_i64().unwrap())
                .collect::<Vec<_>>()
        };
        let mut anonymous = with_id(None);
        anonymous.sort();
        assert_eq!(anonymous, [-32700, -32600, -32600], "{out}");
        // The id is read whenever it can be.
        assert_eq!(with_id(Some(5)), [-32600], "{out}");
        assert_eq!(with_id(Some(6)), [-32600], "{out}");
        assert!(errors.iter().all(|e| e["jsonrpc"] == "2.0"));
    }

    #[tokio::test]
    async fn oversized_lines_are_refused_and_the_next_line_still_served() {
        let mut input = vec![b'x'; MAX_LINE_BYTES + 10];
        input.extend_from_slice(format!("\n{}\n", request(json!(3), "m")).as_bytes());
        let out = run(input).await;
        assert!(
            out.contains("\"code\":-32600") && out.contains("4 MiB"),
            "{out:.300}"
        );
        assert!(
            out.contains(&format!("echo {}", request(json!(3), "m"))),
            "{out:.300}"
        );
    }

    #[tokio::test]
    async fn a_last_line_without_newline_still_counts() {
        let out = run(request(json!(4), "m").into_bytes()).await;
        assert_eq!(out, format!("echo {}\n", request(json!(4), "m")));
    }

    /// A client talking to the framing line by line.
    struct Client {
        input: DuplexStream,
        output: Lines<BufReader<DuplexStream>>,
    }

    impl Client {
        fn start() -> Client {
            let (input, stdin) = tokio::io::duplex(1 << 16);
            let (stdout, output) = tokio::io::duplex(1 << 16);
            let guarded = guard(stdin, stdout);
            spawn_server(guarded.to_server, guarded.from_server);
            Client {
                input,
                output: BufReader::new(output).lines(),
            }
        }

        async fn send(&mut self, line: String) -> String {
            self.input
                .write_all(format!("{line}\n").as_bytes())
                .await
                .unwrap();
            self.output.next_line().await.unwrap().unwrap()
        }
    }

    #[tokio::test]
    async fn an_id_in_flight_is_refused_until_answered_or_cancelled() {
        let mut client = Client::start();
        // Id 1 reaches the server, which does not answer it (it echoes).
        let first = client.send(request(json!(1), "m")).await;
        assert!(first.starts_with("echo "), "{first}");
        let duplicate: Value =
            serde_json::from_str(&client.send(request(json!(1), "m")).await).unwrap();
        assert_eq!(duplicate["id"], 1, "{duplicate}");
        assert_eq!(duplicate["error"]["code"], -32600, "{duplicate}");
        assert!(
            duplicate["error"]["message"]
                .as_str()
                .unwrap()
                .contains("still being answered")
        );
        // The same number as a string is another id.
        assert!(
            client
                .send(request(json!("1"), "m"))
                .await
                .starts_with("echo ")
        );
        // Cancelled: free again.
        let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                            "params": {"requestId": 1}});
        assert!(client.send(cancel.to_string()).await.starts_with("echo "));
        assert!(
            client
                .send(request(json!(1), "m"))
                .await
                .starts_with("echo ")
        );
        // Answered: free again.
        let answer: Value =
            serde_json::from_str(&client.send(request(json!(7), "answer")).await).unwrap();
        assert_eq!(answer["id"], 7, "{answer}");
        let again: Value =
            serde_json::from_str(&client.send(request(json!(7), "answer")).await).unwrap();
        assert!(again["result"].is_object(), "{again}");
    }

    #[test]
    fn answers_are_told_from_requests() {
        assert_eq!(
            answered_id(br#"{"jsonrpc":"2.0","id":3,"result":{}}"#),
            Some(RequestId::Number(3))
        );
        assert_eq!(
            answered_id(br#"{"jsonrpc":"2.0","id":"a","error":{"code":1,"message":""}}"#),
            Some(RequestId::String("a".into()))
        );
        assert_eq!(
            answered_id(br#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#),
            None
        );
        assert_eq!(
            answered_id(br#"{"jsonrpc":"2.0","method":"notifications/x"}"#),
            None
        );
        assert_eq!(answered_id(b"echo"), None);
    }
}

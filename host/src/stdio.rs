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
//!
//! rmcp serves on a [`StdioTransport`]: its own line transport reads the checked
//! lines, and what it sends is written by the transport here, tool results
//! verbatim ([`crate::verbatim`]).

use std::future::Future;

use rmcp::model::{
    ClientJsonRpcMessage, JsonRpcMessage, JsonRpcResponse, RequestId, ServerJsonRpcMessage,
    ServerResult,
};
use rmcp::service::RoleServer;
use rmcp::transport::Transport;
use rmcp::transport::async_rw::AsyncRwTransport;
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
    /// Where answers written without `from_server` go ([`StdioTransport`]).
    pub answers: Answers,
}

/// The output queue and the ids in flight, for a transport that writes answers
/// itself: its lines are queued like those copied from `from_server`.
#[derive(Clone)]
pub struct Answers {
    lines: mpsc::Sender<Vec<u8>>,
    in_flight: InFlight<RequestId>,
}

impl GuardedStdio {
    /// The transport rmcp serves on, and the task to await (to flush) once it ended.
    pub fn into_transport(self) -> (StdioTransport, JoinHandle<()>) {
        let transport = StdioTransport {
            read: AsyncRwTransport::new(self.to_server, self.from_server),
            answers: self.answers,
        };
        (transport, self.done)
    }
}

/// rmcp's transport over the guarded stdio. Reading is rmcp's own line transport
/// over the checked lines (its answers to lines it cannot parse go out through
/// `from_server`); every message rmcp sends is encoded here and queued directly:
/// a [`crate::verbatim`] tool result as that module writes it, anything else as
/// rmcp's codec writes it (compact JSON, one line). An answer's id leaves the ids
/// in flight before its line is queued, as the copier does.
pub struct StdioTransport {
    read: AsyncRwTransport<RoleServer, DuplexStream, DuplexStream>,
    answers: Answers,
}

impl Transport<RoleServer> for StdioTransport {
    type Error = std::io::Error;

    fn send(
        &mut self,
        message: ServerJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let line = encode(&message);
        let answered = match message {
            JsonRpcMessage::Response(response) => Some(response.id),
            JsonRpcMessage::Error(error) => error.id,
            JsonRpcMessage::Request(_) | JsonRpcMessage::Notification(_) => None,
        };
        let Answers { lines, in_flight } = self.answers.clone();
        async move {
            let line = line?;
            if let Some(id) = answered {
                in_flight.end(&id);
            }
            lines.send(line).await.map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the output has closed")
            })
        }
    }

    fn receive(&mut self) -> impl Future<Output = Option<ClientJsonRpcMessage>> + Send {
        Transport::<RoleServer>::receive(&mut self.read)
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        Transport::<RoleServer>::close(&mut self.read)
    }
}

/// One message as a line (with its newline).
fn encode(message: &ServerJsonRpcMessage) -> Result<Vec<u8>, serde_json::Error> {
    let mut line = Vec::new();
    let verbatim = match message {
        JsonRpcMessage::Response(JsonRpcResponse {
            id,
            result: ServerResult::CallToolResult(result),
            ..
        }) => crate::verbatim::write(id, result, &mut line),
        _ => false,
    };
    if !verbatim {
        serde_json::to_writer(&mut line, message)?;
    }
    line.push(b'\n');
    Ok(line)
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
    let answers = Answers {
        lines: lines.clone(),
        in_flight: in_flight.clone(),
    };

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
        answers,
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
            ..
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

    #[tokio::test]
    async fn the_transport_writes_answers_verbatim_and_frees_their_ids() {
        let (mut client, stdin) = tokio::io::duplex(1 << 16);
        let (stdout, output) = tokio::io::duplex(1 << 16);
        let (mut transport, _done) = guard(stdin, stdout).into_transport();
        let mut output = BufReader::new(output).lines();
        let call = r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"t"}}"#;
        client
            .write_all(format!("{call}\n").as_bytes())
            .await
            .unwrap();
        let Some(JsonRpcMessage::Request(request)) = transport.receive().await else {
            panic!("the call did not reach rmcp");
        };
        assert_eq!(request.id, RequestId::Number(9));

        // While 9 is in flight, another 9 is refused by the guard.
        client
            .write_all(format!("{call}\n").as_bytes())
            .await
            .unwrap();
        let refused: Value =
            serde_json::from_str(&output.next_line().await.unwrap().unwrap()).unwrap();
        assert_eq!(refused["error"]["code"], -32600, "{refused}");

        let envelope = r#"{"metadata":{"count":1},"users":[{"id":"P1","name":"A \"B\""}]}"#;
        let result = crate::verbatim::result(envelope.to_owned(), false).unwrap();
        let answer = JsonRpcMessage::Response(JsonRpcResponse {
            jsonrpc: rmcp::model::JsonRpcVersion2_0,
            id: RequestId::Number(9),
            result: ServerResult::CallToolResult(result),
        });
        transport.send(answer).await.unwrap();
        let line = output.next_line().await.unwrap().unwrap();
        let expected = serde_json::to_string(&ServerJsonRpcMessage::Response(JsonRpcResponse {
            jsonrpc: rmcp::model::JsonRpcVersion2_0,
            id: RequestId::Number(9),
            result: ServerResult::CallToolResult(pagerduty_mcp_protocol::tools::call_tool_result(
                envelope, false,
            )),
        }))
        .unwrap();
        assert_eq!(line, expected);
        assert!(!line.contains(crate::verbatim::MARK), "{line}");

        // Answered: 9 is free again and reaches rmcp.
        client
            .write_all(format!("{call}\n").as_bytes())
            .await
            .unwrap();
        assert!(matches!(
            transport.receive().await,
            Some(JsonRpcMessage::Request(_))
        ));
        // Other messages are written as rmcp's codec writes them.
        let ping = ServerJsonRpcMessage::Request(rmcp::model::JsonRpcRequest {
            jsonrpc: rmcp::model::JsonRpcVersion2_0,
            id: RequestId::Number(1),
            request: rmcp::model::ServerRequest::PingRequest(Default::default()),
        });
        transport.send(ping.clone()).await.unwrap();
        let line = output.next_line().await.unwrap().unwrap();
        assert_eq!(line, serde_json::to_string(&ping).unwrap());
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

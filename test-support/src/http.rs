//! Posting JSON-RPC to an MCP Streamable HTTP endpoint and reading the answer.
//!
//! Every request goes on a fresh HTTP/1.1 connection with exactly the headers given
//! (plus `Host`, and the JSON content type and `Accept` when there is a body), so a
//! test controls what the server sees: origins, hosts, tokens, session ids.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// How long one exchange may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body, as text.
    pub body: String,
}

impl Reply {
    /// The JSON-RPC messages of a JSON body or of an SSE stream's `data:` lines.
    pub fn messages(&self) -> Vec<Value> {
        let json = self
            .headers
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/json"));
        if json {
            return vec![serde_json::from_str(&self.body).expect("a JSON body")];
        }
        self.body
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(str::trim)
            .filter(|data| !data.is_empty())
            .map(|data| serde_json::from_str(data).expect("JSON in an SSE event"))
            .collect()
    }

    /// The one JSON-RPC answer with `id`; panics if there is none.
    pub fn answer(&self, id: u64) -> Value {
        self.messages()
            .into_iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("no answer with id {id} in {self:?}"))
    }

    /// The value of header `name`, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends one `method` request to `url` with `headers` and, if given, a JSON `body`;
/// panics if the server does not answer within [`TIMEOUT`].
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Reply {
    let uri: http::Uri = url.parse().unwrap_or_else(|e| panic!("{url}: {e}"));
    let authority = uri
        .authority()
        .expect("an absolute URL")
        .as_str()
        .to_owned();
    let mut builder = http::Request::builder().method(method).uri(uri.path());
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        builder = builder.header("host", &authority);
    }
    if body.is_some() {
        builder = builder
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = builder
        .body(Full::new(Bytes::from(body)))
        .expect("a valid request");
    let exchange = async {
        let stream = tokio::net::TcpStream::connect(&authority)
            .await
            .unwrap_or_else(|e| panic!("connecting to {authority}: {e}"));
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("an HTTP/1.1 handshake");
        tokio::spawn(connection);
        let response = sender
            .send_request(request)
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("the whole body")
            .to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {url}: no answer within {TIMEOUT:?}"))
}

/// POSTs the JSON-RPC message `body` to `url` with `headers`.
pub async fn post(url: &str, headers: &[(&str, &str)], body: &Value) -> Reply {
    send("POST", url, headers, Some(body)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(content_type: &str, body: &str) -> Reply {
        let mut headers = http::HeaderMap::new();
        headers.insert("content-type", content_type.parse().unwrap());
        Reply {
            status: 200,
            headers,
            body: body.to_owned(),
        }
    }

    #[test]
    fn answers_are_found_in_json_and_in_sse_bodies() {
        let json_reply = reply(
            "application/json",
            r#"{"jsonrpc":"2.0","id":3,"result":{}}"#,
        );
        assert_eq!(json_reply.answer(3)["result"], json!({}));
        let sse = reply(
            "text/event-stream",
            "id: 0\nretry: 3000\ndata:\n\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"x\"}\n\n\
             data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"ok\":true}}\n\n",
        );
        assert_eq!(sse.messages().len(), 2);
        assert_eq!(sse.answer(7)["result"]["ok"], true);
    }

    #[test]
    #[should_panic(expected = "no answer with id 8")]
    fn a_missing_answer_panics() {
        reply(
            "application/json",
            r#"{"jsonrpc":"2.0","id":7,"result":{}}"#,
        )
        .answer(8);
    }

    #[tokio::test]
    async fn posts_json_with_the_given_headers() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/mcp", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !String::from_utf8_lossy(&request).contains("\"id\":1}") {
                let n = stream.read(&mut buffer).await.unwrap();
                assert!(n > 0, "the request ended early");
                request.extend_from_slice(&buffer[..n]);
            }
            let body = r#"{"jsonrpc":"2.0","id":1,"result":{}}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nmcp-session-id: s1\r\n\
                 content-length: {}\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(answer.as_bytes()).await.unwrap();
            String::from_utf8(request).unwrap().to_ascii_lowercase()
        });
        let reply = post(
            &url,
            &[("origin", "http://localhost")],
            &json!({"jsonrpc": "2.0", "id": 1}),
        )
        .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("mcp-session-id"), Some("s1"));
        assert_eq!(reply.answer(1)["result"], json!({}));
        let request = server.await.unwrap();
        assert!(request.starts_with("post /mcp http/1.1"), "{request}");
        for header in [
            "origin: http://localhost",
            "accept: application/json, text/event-stream",
            "content-type: application/json",
        ] {
            assert!(request.contains(header), "{header} in {request}");
        }
    }
}

//! Test support: a tiny blocking HTTP/1.1 client (no dependencies) and helpers.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use fake_pagerduty::{FakePagerDuty, Options, USER_TOKEN};
use serde_json::Value;
use test_support::{Exchange, spec};
use time::macros::datetime;

/// The fixed "now" the tests run against.
pub const NOW: time::OffsetDateTime = datetime!(2026-11-24 07:00 UTC);

/// A fake with the default seed, relative to [`NOW`].
pub fn fake() -> FakePagerDuty {
    FakePagerDuty::spawn(Options {
        now: Some(NOW),
        ..Options::default()
    })
    .expect("fake starts")
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Percent-encodes a query component (everything but unreserved characters).
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `path?k=v&...` with encoded keys and values.
pub fn url(path: &str, query: &[(&str, &str)]) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let qs: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    format!("{path}?{}", qs.join("&"))
}

/// The headers every PagerDuty request carries (the spec declares them required).
pub fn default_headers(token: Option<&str>) -> Vec<(String, String)> {
    let mut h = vec![
        (
            "Accept".to_string(),
            "application/vnd.pagerduty+json;version=2".to_string(),
        ),
        ("Content-Type".to_string(), "application/json".to_string()),
    ];
    if let Some(t) = token {
        h.push(("Authorization".to_string(), format!("Token token={t}")));
    }
    h
}

/// Sends one request and reads the whole answer.
pub fn send(
    base: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: Option<&str>,
) -> Resp {
    let addr = base.strip_prefix("http://").expect("http base URL");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut req =
        format!("{method} {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() || method == "PUT" || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
    out
}

/// A client bound to one fake and token.
pub struct Client {
    pub base: String,
    pub token: Option<String>,
}

impl Client {
    pub fn new(fake: &FakePagerDuty) -> Client {
        Client {
            base: fake.base_url(),
            token: Some(USER_TOKEN.to_string()),
        }
    }

    pub fn with_token(fake: &FakePagerDuty, token: Option<&str>) -> Client {
        Client {
            base: fake.base_url(),
            token: token.map(str::to_string),
        }
    }

    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Resp {
        send(
            &self.base,
            "GET",
            &url(path, query),
            &default_headers(self.token.as_deref()),
            None,
        )
    }

    /// GET expecting 200; returns the JSON body.
    pub fn ok(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let r = self.get(path, query);
        assert_eq!(
            r.status,
            200,
            "GET {} -> {}: {}",
            url(path, query),
            r.status,
            r.body
        );
        r.json()
    }

    pub fn write(&self, method: &str, path: &str, from: Option<&str>, body: &str) -> Resp {
        send(&self.base, method, path, &self.headers(from), Some(body))
    }

    /// The client's headers, plus `From` when given.
    fn headers(&self, from: Option<&str>) -> Vec<(String, String)> {
        let mut headers = default_headers(self.token.as_deref());
        if let Some(f) = from {
            headers.push(("From".to_string(), f.to_string()));
        }
        headers
    }

    /// Sends a request and checks its answer against PagerDuty's spec (a
    /// bodiless answer as no body), and the request too when `check_request`
    /// (off for deliberately invalid requests). Returns the answer and the
    /// problems found.
    pub fn send_checked(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        from: Option<&str>,
        body: Option<&str>,
        check_request: bool,
    ) -> (Resp, Vec<String>) {
        let query_owned: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let headers = self.headers(from);
        let r = send(&self.base, method, &url(path, query), &headers, body);
        let exchange = Exchange {
            method,
            path,
            query: &query_owned,
            headers: &headers,
            request_body: body,
            status: r.status,
            response_body: &r.body,
        };
        let mut problems = Vec::new();
        if check_request {
            problems.extend(exchange.request_problems());
        }
        if r.body.is_empty() {
            // An answer without a body (204, or a 405 the spec documents bodiless).
            if let Err(errors) = spec().check_response(method, path, r.status, &Value::Null) {
                problems.extend(errors);
            }
        } else {
            problems.extend(exchange.response_problems());
        }
        (r, problems)
    }
}

/// IDs of the items of a list answer.
pub fn ids(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .unwrap_or_else(|| panic!("no list {key} in {body}"))
        .iter()
        .map(|v| v["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

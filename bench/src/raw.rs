//! The raw request: the PagerDuty request a tool makes, sent straight to the fake
//! (a new connection each time, as the sandbox's HTTP client makes one per request),
//! timed from connecting until the whole body is read. Next to a call's time it
//! shows how much of the call is the server's own work.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// `GET path_and_query` on the fake at `base` (`http://host:port`) with `token`:
/// the time and the body's size.
pub fn get(base: &str, path_and_query: &str, token: &str) -> anyhow::Result<(Duration, usize)> {
    let (elapsed, body) = fetch(base, path_and_query, token)?;
    Ok((elapsed, body.len()))
}

/// [`get`], with the body.
pub fn fetch(base: &str, path_and_query: &str, token: &str) -> anyhow::Result<(Duration, Vec<u8>)> {
    let authority = base
        .strip_prefix("http://")
        .with_context(|| format!("not an http:// URL: {base}"))?
        .trim_end_matches('/');
    let started = Instant::now();
    let mut stream =
        TcpStream::connect(authority).with_context(|| format!("connecting to {authority}"))?;
    write!(
        stream,
        "GET {path_and_query} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Token token={token}\r\n\
         Accept: application/vnd.pagerduty+json;version=2\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::with_capacity(256 << 10);
    stream.read_to_end(&mut response)?;
    let elapsed = started.elapsed();
    let Some(head_end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        bail!("GET {path_and_query}: no HTTP header in the answer");
    };
    if !response.starts_with(b"HTTP/1.1 200") {
        let head = String::from_utf8_lossy(&response[..head_end]);
        bail!(
            "GET {path_and_query}: {}",
            head.lines().next().unwrap_or("")
        );
    }
    Ok((elapsed, response.split_off(head_end + 4)))
}

/// The query of `list_incidents` with `team_ids` and `limit` 100, as the tool
/// writes it (statuses, teams, order, then the page; encoded as the tools encode
/// queries, with `form_urlencoded`).
pub fn list_incidents_path(teams: &[String]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for status in ["triggered", "acknowledged", "resolved"] {
        query.append_pair("statuses[]", status);
    }
    for team in teams {
        query.append_pair("team_ids[]", team);
    }
    query
        .append_pair("sort_by", "created_at:desc")
        .append_pair("limit", "100")
        .append_pair("offset", "0");
    format!("/incidents?{}", query.finish())
}

/// `get_incident`'s request.
pub fn get_incident_path(id: &str) -> String {
    format!("/incidents/{id}")
}

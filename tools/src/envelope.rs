//! The result envelope of `docs/conventions.md`: `{"metadata": {...}, "<resources>": [...]}`
//! on success, `{"metadata": {...}, "error": {"message", "code"}}` on failure, and the
//! output cap that keeps an answer within a model's context.

use crate::config::DEFAULT_MAX_OUTPUT_BYTES;
use crate::error::{CUT_MARKER, ErrorCode, ToolError};
use serde_json::{Map, Value, json};

/// What a tool produced, before it becomes an envelope.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    /// The projected resources.
    pub items: Vec<Value>,
    /// Projected resources already written as JSON ([`crate::streamed`]), after
    /// `items`.
    pub rendered: Vec<String>,
    /// More results exist than were returned.
    pub has_more: bool,
    /// The list was cut (offset cap or output cap).
    pub truncated: bool,
    /// Extra metadata keys (e.g. `status_counts`).
    pub extra: Map<String, Value>,
    /// A sentence appended to the description (e.g. the time window searched).
    pub note: Option<String>,
}

impl Output {
    /// An output of `items`.
    pub fn items(items: Vec<Value>) -> Self {
        Output {
            items,
            ..Output::default()
        }
    }

    /// An output of one item.
    pub fn one(item: Value) -> Self {
        Output::items(vec![item])
    }
}

/// How to narrow a query that has more results than were returned.
const NARROW: &str = "Narrow the query with filters (or a shorter time window) or raise 'limit' (at most 1000) to see more.";

/// The success envelope for `resource` (the plural key), cut to `max_bytes` of JSON.
/// Items are dropped from the end until it fits; `RESPONSE_TOO_LARGE` when not even
/// one does.
pub fn success(resource: &str, mut output: Output, max_bytes: usize) -> Result<String, ToolError> {
    // Each item is serialized once: its size decides the cut, its text goes into
    // the envelope as it is.
    let mut items: Vec<String> = output.items.iter().map(Value::to_string).collect();
    items.extend(std::mem::take(&mut output.rendered));
    let total = items.len();
    let mut keep = total;
    let frame = loop {
        let items_bytes: usize =
            items[..keep].iter().map(String::len).sum::<usize>() + keep.saturating_sub(1);
        let frame = render(resource, &output, keep, total);
        // The frame renders an empty list ("[]"); the items and commas go inside it.
        if frame.len() + items_bytes <= max_bytes {
            break frame;
        }
        if keep <= 1 {
            return Err(ToolError::new(
                ErrorCode::ResponseTooLarge,
                format!(
                    "The answer exceeds the output cap of {max_bytes} bytes even with one result; narrow the filters or ask for a single resource"
                ),
            ));
        }
        // Drop from the end: estimate how many must go, at least one.
        let over = frame.len() + items_bytes - max_bytes;
        let mut dropped = 0;
        let mut freed = 0;
        while freed < over && dropped < keep - 1 {
            freed += items[keep - 1 - dropped].len() + 1;
            dropped += 1;
        }
        keep -= dropped.max(1);
    };
    // The list is the envelope's last member, so the frame ends with `[]}`.
    let Some(head) = frame.strip_suffix("[]}") else {
        // Not reached: serde_json keeps insertion order here.
        return Err(ToolError::new(
            ErrorCode::InternalError,
            "the envelope's list is not its last member",
        ));
    };
    let items_bytes: usize = items[..keep].iter().map(String::len).sum();
    let mut envelope = String::with_capacity(head.len() + items_bytes + keep + 3);
    envelope.push_str(head);
    envelope.push('[');
    for (i, item) in items[..keep].iter().enumerate() {
        if i > 0 {
            envelope.push(',');
        }
        envelope.push_str(item);
    }
    envelope.push_str("]}");
    Ok(envelope)
}

/// The envelope of `keep` of `total` results, with an empty list (the items are
/// spliced into it).
fn render(resource: &str, output: &Output, keep: usize, total: usize) -> String {
    let cut = keep < total;
    let has_more = output.has_more || cut;
    let truncated = output.truncated || cut;
    let noun = if keep == 1 { "result" } else { "results" };
    let mut description = format!("Found {keep} {noun} for resource type {resource}");
    if let Some(note) = &output.note {
        description.push_str(". ");
        description.push_str(note);
    }
    if cut {
        description.push_str(&format!(
            ". The answer was cut to {keep} of {total} results to fit the output cap. {NARROW}"
        ));
    } else if has_more {
        description.push_str(&format!(". More results exist. {NARROW}"));
    }
    let mut metadata = Map::new();
    metadata.insert("count".into(), json!(keep));
    metadata.insert("description".into(), json!(description));
    if has_more {
        metadata.insert("has_more".into(), json!(true));
    }
    if truncated {
        metadata.insert("truncated".into(), json!(true));
    }
    for (k, v) in &output.extra {
        metadata.insert(k.clone(), v.clone());
    }
    let mut envelope = Map::new();
    envelope.insert("metadata".into(), Value::Object(metadata));
    envelope.insert(resource.to_string(), Value::Array(Vec::new()));
    Value::Object(envelope).to_string()
}

/// The error envelope for `error`, within the default output cap.
pub fn failure(error: &ToolError) -> String {
    failure_within(error, DEFAULT_MAX_OUTPUT_BYTES)
}

/// The error envelope for `error` in at most `max_bytes` bytes of JSON: a message too
/// long to fit is cut and ends with [`CUT_MARKER`]. A cap below the envelope with an
/// empty message (at most 141 bytes) cannot be met; the configuration never sets one
/// ([`crate::config::MIN_MAX_OUTPUT_BYTES`]), and then the message is left empty.
pub fn failure_within(error: &ToolError, max_bytes: usize) -> String {
    let code = error.code.as_string();
    let render = |message: &str| {
        json!({
            "metadata": {"count": 0, "description": "Error occurred while processing request"},
            "error": {"message": message, "code": code}
        })
        .to_string()
    };
    // Escaping never shortens a text: a message longer than the cap is not rendered whole.
    if error.message.len() < max_bytes {
        let whole = render(&error.message);
        if whole.len() <= max_bytes {
            return whole;
        }
    }
    let room = max_bytes.saturating_sub(render("").len());
    let marker = if room >= CUT_MARKER.len() {
        CUT_MARKER
    } else {
        ""
    };
    // Keep the longest prefix whose escaped JSON fits beside the marker.
    let budget = room - marker.len();
    let mut used = 0;
    let mut end = 0;
    for (i, c) in error.message.char_indices() {
        used += escaped_len(c);
        if used > budget {
            break;
        }
        end = i + c.len_utf8();
    }
    let cut = render(&format!("{}{marker}", &error.message[..end]));
    if cut.len() <= max_bytes {
        cut
    } else {
        render("")
    }
}

/// The bytes `c` takes inside a JSON string as `serde_json` writes it.
fn escaped_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        c if u32::from(c) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// The JSON Schema of a tool's envelope (success or error) for `resource`.
pub fn output_schema(resource: &str) -> Value {
    json!({
        "type": "object",
        "properties": {
            "metadata": {
                "type": "object",
                "properties": {
                    "count": {"type": "integer", "description": "Number of results returned"},
                    "description": {"type": "string"},
                    "has_more": {"type": "boolean", "description": "More results exist than were returned"},
                    "truncated": {"type": "boolean", "description": "The list was cut (output cap or PagerDuty's offset cap)"}
                },
                "required": ["count", "description"]
            },
            resource: {"type": "array", "items": {"type": "object"}},
            "error": {
                "type": "object",
                "properties": {"message": {"type": "string"}, "code": {"type": "string"}},
                "required": ["message", "code"]
            }
        },
        "required": ["metadata"]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn success_envelope_has_count_description_and_list() {
        let v = parse(
            &success(
                "incidents",
                Output::items(vec![json!({"id": "P1"}), json!({"id": "P2"})]),
                400_000,
            )
            .unwrap(),
        );
        assert_eq!(
            v,
            json!({"metadata": {"count": 2, "description": "Found 2 results for resource type incidents"},
            "incidents": [{"id": "P1"}, {"id": "P2"}]})
        );
    }

    #[test]
    fn has_more_says_how_to_narrow() {
        let out = Output {
            has_more: true,
            ..Output::items(vec![json!({"id": "P1"})])
        };
        let v = parse(&success("users", out, 400_000).unwrap());
        assert_eq!(v["metadata"]["has_more"], true);
        assert!(
            v["metadata"]["description"]
                .as_str()
                .unwrap()
                .contains("Narrow the query")
        );
        assert!(v["metadata"].get("truncated").is_none());
    }

    #[test]
    fn output_cap_drops_items_from_the_end() {
        let items: Vec<Value> = (0..100)
            .map(|i| json!({"id": format!("P{i:03}"), "pad": "x".repeat(100)}))
            .collect();
        for cap in [1_000, 5_000, 9_999] {
            let s = success("incidents", Output::items(items.clone()), cap).unwrap();
            assert!(s.len() <= cap, "{} > {cap}", s.len());
            let v = parse(&s);
            let n = v["incidents"].as_array().unwrap().len();
            assert!(n > 0 && n < 100);
            assert_eq!(v["metadata"]["count"], n);
            assert_eq!(v["incidents"][0]["id"], "P000");
            assert_eq!(v["metadata"]["truncated"], true);
            assert_eq!(v["metadata"]["has_more"], true);
            // As many as fit: one more would not.
            let one_more = success(
                "incidents",
                Output::items(items[..n + 1].to_vec()),
                usize::MAX,
            )
            .unwrap();
            assert!(
                one_more.len() > cap - 200,
                "cut too much at cap {cap}: kept {n}"
            );
        }
    }

    #[test]
    fn too_large_when_not_one_item_fits() {
        let e = success(
            "incidents",
            Output::items(vec![json!({"pad": "x".repeat(1000)})]),
            500,
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::ResponseTooLarge);
    }

    #[test]
    fn empty_answer_fits() {
        let v = parse(&success("teams", Output::default(), 400_000).unwrap());
        assert_eq!(v["metadata"]["count"], 0);
        assert_eq!(v["teams"], json!([]));
    }

    #[test]
    fn failure_envelope_matches_the_contract() {
        let e = ToolError::new(
            ErrorCode::InvalidId("USER"),
            "Invalid user ID provided: 'P@X'",
        );
        assert_eq!(
            parse(&failure(&e)),
            json!({"metadata": {"count": 0, "description": "Error occurred while processing request"},
            "error": {"message": "Invalid user ID provided: 'P@X'", "code": "INVALID_USER_ID"}})
        );
    }

    #[test]
    fn an_error_envelope_never_exceeds_the_cap() {
        let messages = [
            "x".repeat(2_000_000),
            "\"\\\n\u{1}é€😀".repeat(300_000),
            "short".to_string(),
        ];
        for message in &messages {
            let e = ToolError::new(ErrorCode::UpstreamError, message.clone());
            for cap in (crate::config::MIN_MAX_OUTPUT_BYTES..600).chain([1_000, 4_096, 400_000]) {
                let s = failure_within(&e, cap);
                assert!(s.len() <= cap, "{} > {cap}", s.len());
                let v = parse(&s);
                assert_eq!(v["error"]["code"], "UPSTREAM_ERROR");
                let text = v["error"]["message"].as_str().unwrap();
                if text != message {
                    assert!(text.ends_with(CUT_MARKER), "{text}");
                    assert!(message.starts_with(text.trim_end_matches(CUT_MARKER)));
                    // As much as fits: a few more bytes of the message would not.
                    assert!(s.len() + 6 > cap, "cut too much: {} of {cap}", s.len());
                }
            }
        }
        // The host's envelopes keep the default cap.
        let e = ToolError::new(ErrorCode::InternalError, "y".repeat(1_000_000));
        assert!(failure(&e).len() <= crate::config::DEFAULT_MAX_OUTPUT_BYTES);
    }
}

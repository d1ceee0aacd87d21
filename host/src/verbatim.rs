//! Tool results written into the stdio answer line as the component wrote them.
//!
//! rmcp's [`CallToolResult`] carries `structuredContent` as a [`serde_json::Value`], so
//! an envelope (JSON text from the component) would be parsed into a tree of maps,
//! serialized again and dropped: for a `list_incidents` of 100 incidents (60 KB)
//! that was about a quarter of the call's instructions (`bench/RESULTS.md`). The
//! stdio transport writes its answers itself ([`crate::stdio::StdioTransport`]), so
//! there the handler gives it the envelope untouched: [`result`] checks it once and
//! hands it over as the result's one text block, marked [`MARK`] in `_meta`; [`write`]
//! writes that result with the same text as `structuredContent`.
//!
//! Invariants: [`write`]'s line is byte for byte what rmcp writes for the parsed
//! result ([`pagerduty_mcp_protocol::tools::call_tool_result`]) of a compact envelope
//! (tested), and only text that is one JSON object on one line is written verbatim.
//! The mark never reaches a client: only the stdio transport's handler makes it, and
//! that transport writes every marked result.

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, MetaObject, RequestId};
use serde::de::IgnoredAny;

/// The `_meta` key marking a result whose text block is its envelope, to be written
/// as `structuredContent` too. A name of this server's own namespace, so no other
/// meaning can collide with it.
pub const MARK: &str = "pagerduty-mcp/envelope-verbatim";

/// `envelope` as a marked result (see the module), if it is one JSON object on one
/// line without surrounding whitespace; else the envelope back, for the parsed path
/// (which also turns a malformed envelope into an `INTERNAL_ERROR` tool error).
pub fn result(envelope: String, is_error: bool) -> Result<CallToolResult, String> {
    // Checked here, once: `write` copies the text into the answer line as JSON,
    // so it must be exactly one value (a component's text is not trusted to be)
    // and must not end the line early.
    let one_object = envelope.starts_with('{')
        && envelope.ends_with('}')
        && !envelope.as_bytes().contains(&b'\n')
        && serde_json::from_str::<IgnoredAny>(&envelope).is_ok();
    if !one_object {
        return Err(envelope);
    }
    let mut result = CallToolResult::success(vec![ContentBlock::text(envelope)]);
    result.is_error = Some(is_error);
    let mut meta = JsonObject::new();
    meta.insert(MARK.to_owned(), true.into());
    result.meta = Some(MetaObject(meta));
    Ok(result)
}

/// The envelope of a result [`result`] made, if `result` is one.
fn envelope(result: &CallToolResult) -> Option<&str> {
    let meta = result.meta.as_ref()?;
    if meta.0.len() != 1 || meta.0.get(MARK) != Some(&true.into()) {
        return None;
    }
    match result.content.as_slice() {
        [ContentBlock::Text(text)] if text.meta.is_none() && text.annotations.is_none() => {
            Some(&text.text)
        }
        _ => None,
    }
}

/// Writes the JSON-RPC answer `id` → `result` to `line` (without the newline), if
/// `result` is marked; `false` (nothing written) otherwise.
pub fn write(id: &RequestId, result: &CallToolResult, line: &mut Vec<u8>) -> bool {
    let Some(envelope) = envelope(result) else {
        return false;
    };
    line.reserve(envelope.len() * 2 + 128);
    // rmcp's field order and skip rules (`JsonRpcResponse`, `CallToolResult`,
    // `TextContent`), with `structuredContent` spliced in.
    line.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    json(line, id);
    line.extend_from_slice(br#","result":{"#);
    if let Some(result_type) = &result.result_type {
        line.extend_from_slice(br#""resultType":"#);
        json(line, result_type);
        line.push(b',');
    }
    line.extend_from_slice(br#""content":[{"type":"text","text":"#);
    json(line, &envelope);
    line.extend_from_slice(br#"}],"structuredContent":"#);
    line.extend_from_slice(envelope.as_bytes());
    if let Some(is_error) = result.is_error {
        line.extend_from_slice(br#","isError":"#);
        json(line, &is_error);
    }
    line.extend_from_slice(b"}}");
    true
}

/// Appends `value` to `line` as compact JSON, as rmcp's codec writes it.
fn json<T: serde::Serialize + ?Sized>(line: &mut Vec<u8>, value: &T) {
    // A string, an id or a bool serialized into memory cannot fail.
    serde_json::to_writer(&mut *line, value).expect("serializable");
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::ServerResult;
    use rmcp::model::{JsonRpcResponse, JsonRpcVersion2_0, ResultType, ServerJsonRpcMessage};

    /// rmcp's line for the parsed result of `envelope`.
    fn rmcp_line(id: &RequestId, envelope: &str, is_error: bool, legacy: bool) -> Vec<u8> {
        let mut result = pagerduty_mcp_protocol::tools::call_tool_result(envelope, is_error);
        if legacy {
            result.result_type = None;
        }
        let message = ServerJsonRpcMessage::Response(JsonRpcResponse {
            jsonrpc: JsonRpcVersion2_0,
            id: id.clone(),
            result: ServerResult::CallToolResult(result),
        });
        serde_json::to_vec(&message).unwrap()
    }

    fn our_line(id: &RequestId, envelope: &str, is_error: bool, legacy: bool) -> Vec<u8> {
        let mut result = result(envelope.to_owned(), is_error).expect("verbatim");
        if legacy {
            result.result_type = None;
        }
        let mut line = Vec::new();
        assert!(write(id, &result, &mut line));
        line
    }

    #[test]
    fn the_line_is_what_rmcp_writes_for_the_parsed_envelope() {
        let envelopes = [
            r#"{"metadata":{"count":0},"users":[]}"#.to_owned(),
            r#"{"error":{"code":"NOT_FOUND","message":"no incident \"Q1\"\n\ttab \u0001 é ☃ 😀 </script>"}}"#
                .to_owned(),
            serde_json::json!({
                "metadata": {"count": 2, "description": "Found 2", "more": false, "ratio": 0.25},
                "incidents": [
                    {"id": "Q1", "title": "a \\ b / c", "n": -3, "big": u64::MAX, "f": 1.5e300,
                     "z": null, "t": true, "nested": [[], {}, [1, [2, {"x": "y"}]]]},
                    {"id": "Q2", "title": "\u{2028}\u{2029}\u{7f}\u{0}"}
                ]
            })
            .to_string(),
        ];
        let ids = [
            RequestId::Number(0),
            RequestId::Number(-7),
            RequestId::String("a\"b".into()),
        ];
        for envelope in &envelopes {
            for id in &ids {
                for is_error in [false, true] {
                    for legacy in [false, true] {
                        let ours = our_line(id, envelope, is_error, legacy);
                        let rmcp = rmcp_line(id, envelope, is_error, legacy);
                        assert_eq!(
                            String::from_utf8(ours).unwrap(),
                            String::from_utf8(rmcp).unwrap(),
                            "{envelope} {id:?} {is_error} {legacy}"
                        );
                    }
                }
            }
        }
        // Another result type is written as it is.
        let mut result = result("{}".to_owned(), false).unwrap();
        result.result_type = Some(ResultType::INPUT_REQUIRED);
        let mut line = Vec::new();
        assert!(write(&RequestId::Number(1), &result, &mut line));
        let line: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(line["result"]["resultType"], "input_required");
    }

    #[test]
    fn only_one_object_on_one_line_is_taken() {
        for bad in [
            "",
            "[]",
            "\"{}\"",
            " {}",
            "{} ",
            "{}{}",
            r#"{"a":1}},"b":{"#,
            "{\"a\":\n1}",
            r#"{"a":"#,
            "{\"a\":\"\u{1}\"}",
            "{\"a\":1,}",
        ] {
            assert_eq!(result(bad.to_owned(), false).unwrap_err(), bad);
        }
        assert!(result("{\"a\" : [ 1 ]}".to_owned(), false).is_ok());
    }

    #[test]
    fn unmarked_results_are_left_to_rmcp() {
        let id = RequestId::Number(1);
        let mut line = Vec::new();
        let plain = pagerduty_mcp_protocol::tools::call_tool_result("{}", false);
        assert!(!write(&id, &plain, &mut line));
        let mut other_meta = result("{}".to_owned(), false).unwrap();
        other_meta
            .meta
            .as_mut()
            .unwrap()
            .0
            .insert("x".into(), 1.into());
        assert!(!write(&id, &other_meta, &mut line));
        let mut two_blocks = result("{}".to_owned(), false).unwrap();
        two_blocks.content.push(ContentBlock::text("more"));
        assert!(!write(&id, &two_blocks, &mut line));
        assert!(line.is_empty());
    }
}

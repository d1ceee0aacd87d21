//! JSON-RPC 2.0 exactness in front of rmcp, shared by the native host's stdio
//! framing and HTTP request checks and by the MCP server component.
//!
//! rmcp answers some malformed messages without the request's `id` (stdio),
//! with a plain-text HTTP 415 (HTTP), or not at all. [`check`] looks at a
//! message first and says what it is, or the JSON-RPC error to answer with,
//! carrying the request's `id` whenever it can be read:
//!
//! * not JSON: -32700 (parse error), `id` null;
//! * a batch (array) or not an object: -32600 (invalid request), `id` null;
//! * an object that is not a valid JSON-RPC 2.0 message (no `"jsonrpc": "2.0"`,
//!   an `id` that is neither a string nor an integer, a `method` that is not a
//!   string, `params` that are not an object, ...): -32600 with its `id` if
//!   that could be read.
//!
//! A request of a method this server serves whose `params` do not fit the
//! method (`tools/call` with `arguments` that are not an object, say) parses
//! in rmcp as a custom request and would be answered -32601 (method not
//! found); [`custom_request_error`], called by the MCP handler, answers -32602
//! (invalid params) instead, saying what is wrong ([`invalid_params`]).
//!
//! [`InFlight`] keeps the ids of the requests being answered, so that a second
//! request with the id of one still in flight gets an error
//! ([`duplicate_id`]) instead of silence (rmcp lets the second replace the
//! first, and one of the two answers is never sent).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, ClientJsonRpcMessage, ClientNotification, ClientRequest,
    InitializeRequestParams, JsonRpcMessage, PaginatedRequestParams, RequestId,
};
use serde_json::{Value, json};

/// JSON-RPC: invalid JSON was received.
pub const PARSE_ERROR: i32 = -32700;
/// JSON-RPC: the JSON sent is not a valid request object.
pub const INVALID_REQUEST: i32 = -32600;
/// JSON-RPC: the method does not exist or is not available.
pub const METHOD_NOT_FOUND: i32 = -32601;
/// JSON-RPC: invalid method parameters.
pub const INVALID_PARAMS: i32 = -32602;

/// The methods this server answers whose `params` may not fit (the handler
/// gets them as custom requests): -32602 for them, not -32601.
pub const HANDLED_METHODS: [&str; 3] = ["server/discover", "tools/list", "tools/call"];

/// The methods of requests whose unfit `params` [`check`] reports
/// ([`Message::Request::params_unfit`]): those of [`HANDLED_METHODS`], and
/// `initialize` (of the legacy revisions, answered by rmcp's handshake; a
/// stateless 2026-07-28 `initialize` is a removed method, -32601).
pub const SERVED_METHODS: [&str; 4] = ["initialize", "server/discover", "tools/list", "tools/call"];

/// A JSON-RPC error answered before rmcp sees the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorAnswer {
    /// The request's id, when it could be read (else `null` on the wire).
    pub id: Option<RequestId>,
    /// The JSON-RPC error code.
    pub code: i32,
    /// The message, for a person.
    pub message: String,
}

impl ErrorAnswer {
    /// An error answer with `code` and `message` to the request with `id`.
    pub fn new(id: Option<RequestId>, code: i32, message: impl Into<String>) -> ErrorAnswer {
        ErrorAnswer {
            id,
            code,
            message: message.into(),
        }
    }

    /// The JSON-RPC error response.
    pub fn to_json(&self) -> Value {
        json!({
            "jsonrpc": "2.0",
            "id": self.id.as_ref().map_or(Value::Null, id_json),
            "error": {"code": self.code, "message": self.message},
        })
    }
}

/// A request id as JSON.
pub fn id_json(id: &RequestId) -> Value {
    match id {
        RequestId::Number(n) => json!(n),
        RequestId::String(s) => json!(s.as_ref()),
    }
}

/// What a well-formed client message is, as far as the framing cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A request, to be answered once.
    Request {
        /// Its id.
        id: RequestId,
        /// Its method.
        method: String,
        /// A method this server serves, whose `params` do not fit it (rmcp
        /// sees a custom request; the handler answers -32602).
        params_unfit: bool,
    },
    /// A notification (no answer).
    Notification {
        /// The request a `notifications/cancelled` cancels.
        cancels: Option<RequestId>,
    },
    /// A response or an error answering one of the server's requests.
    Reply,
}

impl Message {
    /// The id of a request.
    pub fn request_id(&self) -> Option<&RequestId> {
        match self {
            Message::Request { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// Checks one JSON-RPC message (a stdio line or an HTTP body): what it is, or
/// the error to answer with.
pub fn check(bytes: &[u8]) -> Result<Message, ErrorAnswer> {
    match serde_json::from_slice::<ClientJsonRpcMessage>(bytes) {
        Ok(message) => Ok(classify(message)),
        Err(_) => Err(refusal(bytes)),
    }
}

/// The error answering `bytes` that are not a JSON-RPC message of MCP: -32700
/// for text that is not JSON, else -32600 saying what is wrong (with the
/// request's id when readable).
pub fn refusal(bytes: &[u8]) -> ErrorAnswer {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => invalid_message(&value),
        Err(e) => ErrorAnswer::new(None, PARSE_ERROR, format!("Parse error: {e}")),
    }
}

fn classify(message: ClientJsonRpcMessage) -> Message {
    match message {
        JsonRpcMessage::Request(request) => {
            let (method, params_unfit) = match &request.request {
                ClientRequest::CustomRequest(custom) => (
                    custom.method.clone(),
                    SERVED_METHODS.contains(&custom.method.as_str()),
                ),
                other => (other.method().to_owned(), false),
            };
            Message::Request {
                id: request.id,
                method,
                params_unfit,
            }
        }
        JsonRpcMessage::Notification(notification) => Message::Notification {
            cancels: match notification.notification {
                ClientNotification::CancelledNotification(cancelled) => cancelled.params.request_id,
                _ => None,
            },
        },
        JsonRpcMessage::Response(_) | JsonRpcMessage::Error(_) => Message::Reply,
    }
}

/// The -32600 answer to JSON that is not a valid JSON-RPC message, with the
/// request's id when it can be read.
fn invalid_message(value: &Value) -> ErrorAnswer {
    let object = match value {
        Value::Object(object) => object,
        Value::Array(_) => {
            return ErrorAnswer::new(
                None,
                INVALID_REQUEST,
                "Invalid Request: JSON-RPC batches are not supported by MCP",
            );
        }
        _ => {
            return ErrorAnswer::new(
                None,
                INVALID_REQUEST,
                "Invalid Request: expected a JSON-RPC message object",
            );
        }
    };
    let id = object
        .get("id")
        .and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok());
    let why = if object.get("jsonrpc") != Some(&json!("2.0")) {
        "`jsonrpc` must be \"2.0\"".to_owned()
    } else if object.get("id").is_some_and(|v| !v.is_null()) && id.is_none() {
        "`id` must be a string or an integer".to_owned()
    } else if object.get("id").is_some_and(Value::is_null) {
        "`id` must be a string or an integer, not null".to_owned()
    } else if object.get("method").is_some_and(|m| !m.is_string()) {
        "`method` must be a string".to_owned()
    } else if object.get("params").is_some_and(|p| !p.is_object()) {
        "`params` must be an object".to_owned()
    } else if object.contains_key("method") {
        "not a valid JSON-RPC 2.0 request or notification".to_owned()
    } else if object.contains_key("result") && object.contains_key("error") {
        "a response has either `result` or `error`, not both".to_owned()
    } else {
        "expected `method` (a request or notification), or `result` or `error` with an `id` \
         (a response)"
            .to_owned()
    };
    ErrorAnswer::new(id, INVALID_REQUEST, format!("Invalid Request: {why}"))
}

/// The JSON-RPC error for a request rmcp could not parse into one of MCP's
/// methods, as the MCP handler answers it: -32602 (invalid params) saying
/// what is wrong for a method it serves ([`HANDLED_METHODS`]), -32601 (method
/// not found) otherwise, `initialize` included (in a session it is answered
/// once, by rmcp; the 2026-07-28 revision removed it).
pub fn custom_request_error(method: &str, params: Option<&Value>) -> (i32, String) {
    if !HANDLED_METHODS.contains(&method) {
        return (METHOD_NOT_FOUND, format!("Method not found: {method}"));
    }
    (INVALID_PARAMS, invalid_params(method, params))
}

/// [`custom_request_error`] as rmcp's error, for a handler's `on_custom_request`.
pub fn custom_request_answer(method: &str, params: Option<&Value>) -> rmcp::ErrorData {
    let (code, message) = custom_request_error(method, params);
    rmcp::ErrorData::new(rmcp::model::ErrorCode(code), message, None)
}

/// The message of -32602 for `params` that do not fit `method`.
pub fn invalid_params(method: &str, params: Option<&Value>) -> String {
    format!(
        "Invalid params for {method}: {}",
        params_problem(method, params)
    )
}

/// What is wrong with `params` for `method`.
fn params_problem(method: &str, params: Option<&Value>) -> String {
    let Some(params) = params else {
        return "`params` are missing".to_owned();
    };
    let Some(object) = params.as_object() else {
        return "`params` must be an object".to_owned();
    };
    if method == "tools/call" {
        if !object.get("name").is_some_and(Value::is_string) {
            return "`params.name` must be a string, the name of the tool".to_owned();
        }
        if let Some(arguments) = object.get("arguments")
            && !(arguments.is_object() || arguments.is_null())
        {
            return format!(
                "`params.arguments` must be an object (the tool's arguments by name), not {}",
                kind(arguments)
            );
        }
    }
    let value = params.clone();
    let error = match method {
        "tools/call" => serde_json::from_value::<CallToolRequestParams>(value).err(),
        "tools/list" => serde_json::from_value::<PaginatedRequestParams>(value).err(),
        "initialize" => serde_json::from_value::<InitializeRequestParams>(value).err(),
        _ => None,
    };
    match error {
        Some(error) => error.to_string(),
        None => "they do not match the method's parameters".to_owned(),
    }
}

/// "an array", "a string", ... for a message.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The answer to a request whose id is that of a request still in flight.
pub fn duplicate_id(id: &RequestId) -> ErrorAnswer {
    ErrorAnswer::new(
        Some(id.clone()),
        INVALID_REQUEST,
        format!(
            "Invalid Request: a request with id {} is still being answered; use a new id for \
             each request",
            id_json(id)
        ),
    )
}

/// The ids of the requests in flight (keyed by `K`: the id alone on stdio, the
/// session and the id over HTTP). Cheap to clone.
#[derive(Debug)]
pub struct InFlight<K> {
    /// Each key in flight with the number of the flight, so that a guard of an
    /// earlier flight never ends a later one with the same key.
    ids: Arc<Mutex<(HashMap<K, u64>, u64)>>,
}

impl<K> Clone for InFlight<K> {
    fn clone(&self) -> Self {
        InFlight {
            ids: self.ids.clone(),
        }
    }
}

impl<K> Default for InFlight<K> {
    fn default() -> Self {
        InFlight {
            ids: Arc::default(),
        }
    }
}

impl<K: Eq + Hash + Clone> InFlight<K> {
    fn ids(&self) -> std::sync::MutexGuard<'_, (HashMap<K, u64>, u64)> {
        self.ids.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records `key` as in flight: the flight's number, or `None` if it already was.
    fn take_off(&self, key: K) -> Option<u64> {
        let mut ids = self.ids();
        let (flights, next) = &mut *ids;
        if flights.contains_key(&key) {
            return None;
        }
        *next += 1;
        flights.insert(key, *next);
        Some(*next)
    }

    /// Records `key` as in flight; `false` if it already was.
    pub fn start(&self, key: K) -> bool {
        self.take_off(key).is_some()
    }

    /// Records `key` as in flight until the returned guard is dropped (or
    /// [`InFlight::end`]); `None` if it already was.
    pub fn guard(&self, key: K) -> Option<InFlightGuard<K>> {
        let flight = self.take_off(key.clone())?;
        Some(InFlightGuard {
            in_flight: self.clone(),
            key,
            flight,
        })
    }

    /// Records that `key` was answered (or cancelled).
    pub fn end(&self, key: &K) {
        self.ids().0.remove(key);
    }

    /// How many are in flight.
    pub fn len(&self) -> usize {
        self.ids().0.len()
    }

    /// Whether none is in flight.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Ends its key's flight when dropped (unless it ended already and the key
/// took off again).
#[derive(Debug)]
pub struct InFlightGuard<K: Eq + Hash + Clone> {
    in_flight: InFlight<K>,
    key: K,
    flight: u64,
}

impl<K: Eq + Hash + Clone> Drop for InFlightGuard<K> {
    fn drop(&mut self) {
        let mut ids = self.in_flight.ids();
        if ids.0.get(&self.key) == Some(&self.flight) {
            ids.0.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(line: &str) -> ErrorAnswer {
        check(line.as_bytes()).expect_err(line)
    }

    #[test]
    fn well_formed_messages_are_classified() {
        let message =
            check(br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x"}}"#)
                .unwrap();
        assert_eq!(
            message,
            Message::Request {
                id: RequestId::Number(7),
                method: "tools/call".into(),
                params_unfit: false
            }
        );
        let message = check(
            br#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x","arguments":[1]}}"#,
        )
        .unwrap();
        assert_eq!(
            message,
            Message::Request {
                id: RequestId::String("a".into()),
                method: "tools/call".into(),
                params_unfit: true
            }
        );
        let message = check(br#"{"jsonrpc":"2.0","id":8,"method":"no/such"}"#).unwrap();
        assert!(matches!(
            message,
            Message::Request {
                params_unfit: false,
                ..
            }
        ));
        let message = check(
            br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}"#,
        )
        .unwrap();
        assert_eq!(
            message,
            Message::Notification {
                cancels: Some(RequestId::Number(3))
            }
        );
        let message = check(br#"{"jsonrpc":"2.0","id":1,"result":{}}"#).unwrap();
        assert_eq!(message, Message::Reply);
    }

    #[test]
    fn malformed_messages_get_errors_with_the_id_when_readable() {
        let e = error("{bad");
        assert_eq!((e.code, e.id.clone()), (PARSE_ERROR, None));
        assert!(e.to_json()["id"].is_null());
        for batch in ["[1]", "[]", r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#] {
            let e = error(batch);
            assert_eq!((e.code, e.id.clone()), (INVALID_REQUEST, None), "{batch}");
            assert!(e.message.contains("batch"), "{e:?}");
        }
        for scalar in ["7", "\"x\"", "null"] {
            assert_eq!(error(scalar).code, INVALID_REQUEST);
        }
        for (line, id, needle) in [
            (r#"{"id":3,"method":"tools/list"}"#, Some(3), "jsonrpc"),
            (
                r#"{"jsonrpc":"1.0","id":3,"method":"tools/list"}"#,
                Some(3),
                "jsonrpc",
            ),
            (
                r#"{"jsonrpc":"2.0","id":{"a":1},"method":"tools/list"}"#,
                None,
                "`id`",
            ),
            (
                r#"{"jsonrpc":"2.0","id":null,"method":"tools/list"}"#,
                None,
                "null",
            ),
            (
                r#"{"jsonrpc":"2.0","id":4,"method":5}"#,
                Some(4),
                "`method`",
            ),
            (
                r#"{"jsonrpc":"2.0","id":6,"method":"tools/list","params":7}"#,
                Some(6),
                "`params`",
            ),
            (r#"{"jsonrpc":"2.0","id":9}"#, Some(9), "expected"),
        ] {
            let e = error(line);
            assert_eq!(e.code, INVALID_REQUEST, "{line}");
            assert_eq!(e.id, id.map(RequestId::Number), "{line}");
            assert!(e.message.contains(needle), "{line}: {e:?}");
            assert_eq!(e.to_json()["id"], id.map_or(Value::Null, |n| json!(n)));
        }
        let e = error(r#"{"jsonrpc":"2.0","id":"x-1","method":"tools/list","params":[]}"#);
        assert_eq!(e.to_json()["id"], "x-1");
    }

    #[test]
    fn unfit_params_of_served_methods_are_invalid_params() {
        let (code, message) =
            custom_request_error("tools/call", Some(&json!({"name": "x", "arguments": [1]})));
        assert_eq!(code, INVALID_PARAMS);
        assert!(
            message.contains("`params.arguments` must be an object")
                && message.contains("an array"),
            "{message}"
        );
        let (code, message) = custom_request_error("tools/call", Some(&json!({"name": 5})));
        assert_eq!(code, INVALID_PARAMS);
        assert!(message.contains("`params.name`"), "{message}");
        let (code, message) = custom_request_error("tools/call", None);
        assert_eq!(code, INVALID_PARAMS);
        assert!(message.contains("missing"), "{message}");
        let (code, message) = custom_request_error("no/such", None);
        assert_eq!(code, METHOD_NOT_FOUND);
        assert!(message.contains("no/such"), "{message}");
        // A stateless `initialize` (removed in 2026-07-28) is not found.
        assert_eq!(
            custom_request_error("initialize", Some(&json!({"_meta": {}}))).0,
            METHOD_NOT_FOUND
        );
        let message = invalid_params("initialize", Some(&json!({"protocolVersion": 5})));
        assert!(
            message.starts_with("Invalid params for initialize: "),
            "{message}"
        );
    }

    #[test]
    fn in_flight_ids_are_refused_until_answered() {
        let in_flight = InFlight::default();
        let guard = in_flight.guard(1).unwrap();
        assert!(in_flight.guard(1).is_none());
        assert!(in_flight.start(2));
        assert!(!in_flight.start(2));
        in_flight.end(&2);
        assert!(in_flight.start(2));
        drop(guard);
        let again = in_flight.guard(1).unwrap();
        // A guard of an earlier flight does not end a later one.
        in_flight.end(&1);
        let later = in_flight.guard(1).unwrap();
        drop(again);
        assert!(in_flight.guard(1).is_none());
        drop(later);
        in_flight.end(&2);
        assert!(in_flight.is_empty());
        let answer = duplicate_id(&RequestId::String("abc".into()));
        assert_eq!(answer.to_json()["id"], "abc");
        assert_eq!(answer.code, INVALID_REQUEST);
    }
}

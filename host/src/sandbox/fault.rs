//! Why a call ended without a result, and the tool error it becomes.
//!
//! A passed deadline, a hit memory limit or a trap is classified into a
//! [`Fault`], which the call path turns into a tool error in the envelope of the
//! tool contract ([`pagerduty_tools::envelope::failure`]), so the client gets a
//! documented error code and the sandbox keeps serving: `NETWORK_ERROR` for the
//! deadline (the usual cause is a slow PagerDuty), `INTERNAL_ERROR` for the rest.

use std::time::Duration;

use pagerduty_tools::envelope;
use pagerduty_tools::error::{ErrorCode, ToolError};
use wasmtime::Trap;

use super::{CallOutcome, Inner, StoreState};

/// Why a call did not produce a result.
#[derive(Debug)]
pub(super) enum Fault {
    /// The deadline passed.
    Deadline(Duration),
    /// The instance tried to grow its memory beyond the limit.
    Memory(usize),
    /// The guest trapped (or another runtime error occurred).
    Trap(String),
}

impl Fault {
    /// The fault behind `error`, from what the store recorded (the deadline or
    /// the memory limit hit) before the error's own kind.
    pub(super) fn classify(error: wasmtime::Error, state: &StoreState, inner: &Inner) -> Fault {
        if state.deadline_hit || matches!(error.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
            return Fault::Deadline(inner.call_deadline);
        }
        if state.limiter.memory_limit_hit {
            return Fault::Memory(inner.memory_limit_bytes);
        }
        let text = match error.downcast_ref::<Trap>() {
            Some(trap) => format!("wasm trap: {trap}"),
            None => format!("{error:#}"),
        };
        Fault::Trap(text.lines().next().unwrap_or_default().to_owned())
    }

    /// One sentence for the client and the log.
    pub(super) fn message(&self) -> String {
        match self {
            Fault::Deadline(d) => format!(
                "the tool call exceeded its deadline of {}",
                format_duration(*d)
            ),
            Fault::Memory(limit) => {
                format!(
                    "the tool call exceeded the sandbox memory limit of {}",
                    format_bytes(*limit)
                )
            }
            Fault::Trap(text) => format!("the tool crashed in the sandbox ({text})"),
        }
    }

    fn code(&self) -> ErrorCode {
        match self {
            Fault::Deadline(_) => ErrorCode::NetworkError,
            Fault::Memory(_) | Fault::Trap(_) => ErrorCode::InternalError,
        }
    }

    /// The tool error result the client gets.
    pub(super) fn into_outcome(self) -> CallOutcome {
        error_outcome(self.code(), &self.message())
    }
}

/// A tool error result (`is_error`) with `code` and `message`, in the envelope
/// of the tool contract.
pub fn error_outcome(code: ErrorCode, message: &str) -> CallOutcome {
    CallOutcome {
        structured_content: envelope::failure(&ToolError::new(code, message)),
        is_error: true,
    }
}

/// `60s`, `1.5s`, `250ms`.
pub(super) fn format_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d >= Duration::from_secs(1) {
        format!("{}s", d.as_secs_f64())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// `64 MiB`, or bytes when not a whole number of MiB.
pub(super) fn format_bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn formats() {
        assert_eq!(format_duration(Duration::from_secs(60)), "60s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_bytes(64 << 20), "64 MiB");
        assert_eq!(format_bytes(1000), "1000 bytes");
    }

    #[test]
    fn error_envelope_escapes_and_keeps_order() {
        let outcome = error_outcome(ErrorCode::InternalError, "a \"quoted\"\nmessage");
        assert_eq!(
            outcome.structured_content,
            r#"{"metadata":{"count":0,"description":"Error occurred while processing request"},"error":{"message":"a \"quoted\"\nmessage","code":"INTERNAL_ERROR"}}"#
        );
        let v: Value = serde_json::from_str(&outcome.structured_content).unwrap();
        assert_eq!(v["error"]["message"], "a \"quoted\"\nmessage");
    }

    #[test]
    fn faults_become_documented_codes() {
        let deadline = Fault::Deadline(Duration::from_secs(60)).into_outcome();
        assert!(deadline.is_error);
        let v: Value = serde_json::from_str(&deadline.structured_content).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"metadata":{"count":0,"description":"Error occurred while processing request"},
                   "error":{"message":"the tool call exceeded its deadline of 60s","code":"NETWORK_ERROR"}})
        );
        for fault in [
            Fault::Memory(64 << 20),
            Fault::Trap("wasm trap: unreachable".into()),
        ] {
            let outcome = fault.into_outcome();
            let v: Value = serde_json::from_str(&outcome.structured_content).unwrap();
            assert_eq!(v["error"]["code"], "INTERNAL_ERROR", "{v}");
        }
    }
}

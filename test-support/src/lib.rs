//! # test-support
//!
//! What the integration tests of the workspace share instead of each keeping a copy:
//!
//! * [`spec()`] — PagerDuty's OpenAPI document, the pinned one, loaded once per test
//!   binary through spec-check's one loader ([`spec_check::Spec::load_pinned`]);
//! * [`Exchange`] — one request and its answer, and the walk that checks both against
//!   that document ([`assert_conform`] for a whole recording);
//! * [`error_code`] — the `error.code` of a tool result envelope;
//! * [`stdio::StdioClient`] — JSON-RPC over a child process's stdin/stdout, with a
//!   timeout on every answer;
//! * [`http`] — posting JSON-RPC to a Streamable HTTP endpoint and reading the answer,
//!   JSON or SSE.
//!
//! A dev-dependency only: nothing here belongs in a shipped binary.

#![warn(missing_docs)]

mod envelope;
mod exchange;
pub mod http;
pub mod stdio;

pub use envelope::error_code;
pub use exchange::{Exchange, assert_conform, spec};

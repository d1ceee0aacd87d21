//! The host of the PagerDuty MCP server.
//!
//! The PagerDuty tools are a WASI 0.2 component (the `server` world of
//! `wit/world.wit`, built from `components/tools` and embedded in the binary),
//! whose logic and MCP mapping live in `pagerduty-tools`. This crate runs
//! that component in a wasmtime sandbox and speaks the Model Context Protocol:
//!
//! * [`sandbox`] — the engine, the compiled-component cache, per-call isolated
//!   instances with memory and time limits, a bounded number of them at once
//!   ([`Sandbox`]).
//! * [`egress`] — the outgoing-request policy: only the API host, the token
//!   added by the host (the guest never sees it).
//! * [`mcp`] — the rmcp server handler mapping `tools/list` and `tools/call`
//!   to the component.
//! * [`http`] — the Streamable HTTP transport (`--http`): binding rules, Host
//!   and Origin validation, graceful shutdown.
//! * [`http_auth`] — HTTP client authentication: an access token, or each
//!   request's own PagerDuty token.
//! * [`http_cancel`] — an HTTP client that goes away before its answer
//!   cancels the call it was waiting for.
//! * [`http_sessions`] — legacy sessions capped overall and per client, and
//!   closed when idle.
//! * [`http_conn`] — the accept loop: a connection cap, header and idle
//!   timeouts.
//! * [`http_check`] — the checks of a JSON-RPC POST before rmcp: body limits,
//!   400 with JSON-RPC errors, duplicate ids, session admission.
//! * [`jsonrpc`] — JSON-RPC message checks shared by stdio and HTTP.
//! * [`stdio`] — the stdio transport: its framing guard, and the transport
//!   that writes rmcp's answers.
//! * [`verbatim`] — tool results written into the stdio answer as the
//!   component wrote them (no parsing into a `Value` and back).
//! * [`cli`] — the `pagerduty-mcp` command line (stdio or HTTP server, `tools`,
//!   `call`, `--demo`).
//! * [`demo`] — the in-process fake PagerDuty behind `--demo`.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use pagerduty_mcp_host::{Sandbox, SandboxConfig};
//!
//! let sandbox = Sandbox::new(SandboxConfig {
//!     token: Some(std::env::var("PAGERDUTY_API_TOKEN")?),
//!     ..SandboxConfig::default()
//! })?;
//! for tool in sandbox.list_tools().await? {
//!     println!("{}", tool.name);
//! }
//! match sandbox.call_tool("get_current_user", "{}").await? {
//!     Ok(outcome) => println!("{} (error: {})", outcome.structured_content, outcome.is_error),
//!     Err(rejected) => eprintln!("not called: {rejected:?}"),
//! }
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod cli;
pub mod demo;
pub mod docs;
pub mod egress;
pub mod http;
pub mod http_auth;
pub mod http_cancel;
pub mod http_check;
pub mod http_conn;
pub mod http_sessions;
pub use pagerduty_mcp_protocol::jsonrpc;
pub mod mcp;
pub mod sandbox;
pub mod stdio;
pub mod verbatim;

pub use egress::{ApiToken, AuthScheme};
pub use mcp::McpServer;
pub use sandbox::{
    Annotations, Busy, CallError, CallOutcome, Cancelled, Sandbox, SandboxConfig, ToolInfo,
};

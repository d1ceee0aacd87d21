//! The PagerDuty MCP server as a WASI 0.2 component: the `http-server` world of
//! `wit/world.wit`, for any engine that runs `wasi:http/proxy` components
//! (`wasmtime serve -Scli`, Spin, wasmCloud).
//!
//! It serves MCP Streamable HTTP at `POST /mcp`, statelessly ([`stateless`], which
//! answers as rmcp's own service does with sessions off and JSON responses): the
//! 2026-07-28 revision (`server/discover`, per-request `_meta`) and the earlier
//! revisions' `initialize` without a session; `GET` and `DELETE /mcp` are
//! 405 with `Allow: POST` (no streams, no sessions). Each request must carry its
//! caller's PagerDuty token, which that request's PagerDuty calls carry and nothing
//! else sees.
//!
//! * [`front`]: one HTTP request in, one response out (path, token, settings),
//!   plain Rust so it is tested natively.
//! * [`stateless`]: MCP over HTTP without sessions: the request checks and the
//!   JSON-RPC method dispatch.
//! * [`server`]: the MCP methods over the `pagerduty-tools` catalog.
//! * `guest` (wasm32 only): `wasi:http/incoming-handler` ↔ [`front::handle`].
//!
//! The tool logic is `pagerduty-tools`, the same as the `server` world's; the
//! configuration is the same environment ([`pagerduty_tools::config::vars`]) plus
//! [`pagerduty_mcp_protocol::origin::ALLOWED_ORIGINS_VAR`] and
//! [`pagerduty_mcp_protocol::origin::ALLOWED_HOSTS_VAR`].

#![warn(missing_docs)]

pub mod front;
pub mod server;
pub mod stateless;

#[cfg(target_arch = "wasm32")]
mod guest;

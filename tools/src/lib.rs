//! The PagerDuty MCP tools, as a WASI 0.2 component.
//!
//! The component exports the `pagerduty:mcp/tools` interface (`wit/world.wit`): a host
//! lists the tools and calls them with JSON arguments; each call validates its
//! arguments, sends PagerDuty REST API v2 requests through wasi:http, projects the
//! answer to what an on-call engineer needs, and returns the envelope of
//! `shared/TOOLS.md`.
//!
//! The logic is plain Rust behind a small HTTP seam ([`http::Transport`]), so it
//! compiles and is unit-tested natively; only [`http::WasiHttp`] and the export glue
//! below are wasm32-only.
//!
//! Reading order: [`catalog`] (what a tool is, the call path) → [`tools`] (one file per
//! resource) → [`args`], [`context`], [`client`], [`projection`], [`envelope`].

pub mod args;
pub mod catalog;
pub mod client;
pub mod config;
pub mod context;
pub mod envelope;
pub mod error;
pub mod http;
pub mod mcp;
pub mod projection;
pub mod tools;
pub mod toolsets;

#[cfg(test)]
mod testing;

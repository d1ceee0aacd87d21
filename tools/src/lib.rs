//! The PagerDuty MCP tool logic, shared by every component and host.
//!
//! A host lists the tools and calls them with JSON arguments; each call validates its
//! arguments, sends PagerDuty REST API v2 requests through a [`http::Transport`],
//! projects the answer to what an on-call engineer needs, and returns the envelope of
//! the tool contract (`docs/conventions.md`).
//!
//! This crate has no WIT world bindings: `components/tools` exports it as the `server`
//! world, and a component that speaks MCP itself can reuse it whole ([`mcp`] is the
//! mapping to MCP). It builds natively (unit tests use a scripted transport) and for
//! wasm32, where [`http::WasiHttp`] sends requests through wasi:http.
//!
//! Reading order: [`catalog`] (what a tool is, the call path) → [`tools`] (one file per
//! resource) → [`toolsets`] (what is offered) → [`args`], [`context`], [`client`],
//! [`streamed`], [`projection`], [`envelope`] → [`mcp`].

#![warn(missing_docs)]

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
pub mod streamed;
pub mod tools;
pub mod toolsets;

#[cfg(test)]
mod testing;

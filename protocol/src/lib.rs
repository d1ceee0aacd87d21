//! What the project's MCP servers share about the wire: the native host
//! (`host/`, rmcp over stdio and HTTP) and the MCP server component
//! (`components/http`, rmcp inside `wasi:http/incoming-handler`).
//!
//! * [`jsonrpc`]: JSON-RPC 2.0 checks in front of rmcp (what a message is, or the
//!   error to answer with, carrying the request's `id`).
//! * [`origin`]: the allowed browser origins and their configuration.
//! * [`credential`]: the caller's PagerDuty token in an `Authorization` header.
//! * [`tools`]: the tools crate's MCP mapping as rmcp types.

#![warn(missing_docs)]

pub mod credential;
pub mod jsonrpc;
pub mod origin;
pub mod tools;

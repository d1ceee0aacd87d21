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
pub mod projection;
pub mod tools;

#[cfg(test)]
mod testing;

#[cfg(target_arch = "wasm32")]
mod component {
    //! The export glue: WIT types in, catalog calls, WIT types out.

    use crate::catalog::{self, Access, CallFault};
    use crate::config::Config;
    use crate::http::WasiHttp;

    wit_bindgen::generate!({ path: "wit", world: "server" });

    use exports::pagerduty::mcp::tools::{Annotations, CallError, CallResult, Guest, Tool};

    struct Component;

    impl Guest for Component {
        fn list_tools() -> Vec<Tool> {
            catalog::available_tools(&Config::from_env())
                .into_iter()
                .map(|t| Tool {
                    name: t.name.to_string(),
                    title: t.title.to_string(),
                    description: t.description.to_string(),
                    input_schema: t.input_schema().to_string(),
                    output_schema: t.output_schema().to_string(),
                    annotations: match t.access {
                        Access::Read => Annotations {
                            read_only: true,
                            destructive: false,
                            idempotent: true,
                            open_world: true,
                        },
                        Access::Write {
                            destructive,
                            idempotent,
                        } => Annotations {
                            read_only: false,
                            destructive,
                            idempotent,
                            open_world: true,
                        },
                    },
                })
                .collect()
        }

        fn call_tool(name: String, arguments: String) -> Result<CallResult, CallError> {
            let now = time::OffsetDateTime::now_utc();
            match catalog::call_tool(&name, &arguments, &WasiHttp, &Config::from_env(), now) {
                Ok(outcome) => Ok(CallResult {
                    structured_content: outcome.json,
                    is_error: outcome.is_error,
                }),
                Err(CallFault::UnknownTool(name)) => Err(CallError::UnknownTool(name)),
                Err(CallFault::InvalidArguments(why)) => Err(CallError::InvalidArguments(why)),
            }
        }
    }

    export!(Component);
}

//! The PagerDuty tools as a WASI 0.2 component: the `server` world of `wit/world.wit`.
//!
//! Only the export glue lives here (WIT types in, catalog calls, WIT types out); the tool
//! logic is the `pagerduty-tools` crate, which a second world reuses unchanged. Built for
//! `wasm32-wasip2` only; on other targets this crate is empty.

#![cfg(target_arch = "wasm32")]

use pagerduty_tools::catalog::{self, Access, CallFault};
use pagerduty_tools::config::Config;
use pagerduty_tools::http::WasiHttp;

wit_bindgen::generate!({ path: "../../wit", world: "server" });

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

//! The PagerDuty tools as a WASI 0.2 component: the `server` world of `wit/world.wit`.
//!
//! Only the export glue lives here (WIT types in, catalog calls, WIT types out); the tool
//! logic is the `pagerduty-tools` crate, which a second world reuses unchanged. Built for
//! `wasm32-wasip2` only; on other targets this crate is empty.

#![cfg(target_arch = "wasm32")]
#![warn(missing_docs)]

use pagerduty_tools::catalog::{self, CallFault, ToolDescription};
use pagerduty_tools::config::Config;
use pagerduty_tools::http::WasiHttp;
use pagerduty_tools::toolsets::Toolset as CatalogToolset;

/// The generated bindings of the `server` world (in their own module, so the lint on
/// missing docs does not apply to generated items).
#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({ path: "../../wit", world: "server" });
}

use bindings::exports::pagerduty::mcp::tools::{
    Annotations, CallError, CallResult, CatalogTool, Guest, Tool, Toolset,
};

struct Component;

/// This instance's configuration, or the message of an unusable one.
fn config() -> Result<Config, String> {
    Config::from_env().map_err(|e| e.to_string())
}

fn to_wit(t: ToolDescription) -> Tool {
    let a = t.annotations;
    Tool {
        name: t.name,
        title: t.title,
        description: t.description,
        toolset: t.toolset,
        input_schema: t.input_schema,
        output_schema: t.output_schema,
        annotations: Annotations {
            read_only: a.read_only,
            destructive: a.destructive,
            idempotent: a.idempotent,
            open_world: a.open_world,
        },
    }
}

impl Guest for Component {
    fn list_tools() -> Result<Vec<Tool>, String> {
        Ok(catalog::available_tools(&config()?)
            .into_iter()
            .map(|t| to_wit(t.describe()))
            .collect())
    }

    fn list_toolsets() -> Result<Vec<Toolset>, String> {
        let selection = config()?.selection;
        Ok(CatalogToolset::ALL
            .into_iter()
            .map(|set| Toolset {
                name: set.name().to_string(),
                description: set.description().to_string(),
                on_by_default: set.on_by_default(),
                selected: selection.selects(set),
                tools: catalog::all_tools()
                    .filter(|t| t.toolset == set)
                    .map(|t| CatalogTool {
                        name: t.name.to_string(),
                        title: t.title.to_string(),
                        write: t.is_write(),
                        offered: selection.offers(t),
                    })
                    .collect(),
            })
            .collect())
    }

    fn call_tool(name: String, arguments: String) -> Result<CallResult, CallError> {
        let config = config().map_err(CallError::InvalidConfiguration)?;
        let now = time::OffsetDateTime::now_utc();
        match catalog::call_tool(&name, &arguments, &WasiHttp, &config, now) {
            Ok(outcome) => Ok(CallResult {
                structured_content: outcome.json,
                is_error: outcome.is_error,
            }),
            Err(CallFault::UnknownTool(name)) => Err(CallError::UnknownTool(name)),
            Err(CallFault::InvalidArguments(why)) => Err(CallError::InvalidArguments(why)),
            Err(CallFault::InvalidConfiguration(why)) => Err(CallError::InvalidConfiguration(why)),
        }
    }
}

bindings::export!(Component with_types_in bindings);

//! `cargo run -p component-build --bin build-components`: builds both components of
//! the workspace and writes them to `target/components/`:
//!
//! * `pagerduty_mcp_tools.wasm`, the `server` world (the tools interface, run by the
//!   native host, or by any component host; `wasmtime run --invoke` calls it);
//! * `pagerduty_mcp_http.wasm`, the `http-server` world (a complete MCP server for
//!   any `wasi:http` engine: `wasmtime serve -Scli`, Spin, wasmCloud).
//!
//! Prints one line per component (path, bytes, SHA-256) and fails when a component
//! is not under the size budget ([`SIZE_BUDGET`]), so the README's test command
//! holds every change to it.

use std::path::Path;
use std::process::ExitCode;

use component_build::{Crate, build};

/// The components, by package name.
const PACKAGES: [&str; 2] = ["pagerduty-mcp-tools", "pagerduty-mcp-http"];

/// Every component must weigh less (each under 1 MiB: small enough to ship to
/// an edge engine and to instantiate per request cheaply).
const SIZE_BUDGET: u64 = 1 << 20;

fn main() -> ExitCode {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("component-build lives inside the workspace");
    let target = workspace.join("target");
    let out = target.join("components");
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("error: cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    let mut over_budget = false;
    for package in PACKAGES {
        // The nested target dir the host's build script uses too, so the tools
        // component is built once and the shared crates once for both.
        let built = match build(workspace, Crate::Member(package), &target.join("component")) {
            Ok(built) => built,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let Some(name) = built.wasm.file_name() else {
            eprintln!("error: {} has no file name", built.wasm.display());
            return ExitCode::FAILURE;
        };
        let dest = out.join(name);
        let bytes = match std::fs::copy(&built.wasm, &dest) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("error: cannot copy to {}: {e}", dest.display());
                return ExitCode::FAILURE;
            }
        };
        println!("{} {bytes} bytes sha256:{}", dest.display(), built.sha256);
        if bytes >= SIZE_BUDGET {
            eprintln!(
                "error: {} is {bytes} bytes ({:.2} MiB), not under the {} MiB budget",
                dest.display(),
                bytes as f64 / SIZE_BUDGET as f64,
                SIZE_BUDGET >> 20
            );
            over_budget = true;
        }
    }
    if over_budget {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

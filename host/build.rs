//! Builds the PagerDuty tools component (`components/tools`, package
//! `pagerduty-mcp-tools`) for `wasm32-wasip2` with [`component_build`] and hands its
//! path and SHA-256 to the host crate (`include_bytes!`, the compiled-component cache
//! key). The nested build uses its own target directory, `<workspace>/target/component`.
//!
//! Set `PAGERDUTY_COMPONENT_WASM=/path/to/pagerduty_mcp_tools.wasm` to embed a
//! prebuilt component instead of building one.

use std::env;
use std::path::PathBuf;

use component_build::{Component, Crate, fail};

const PACKAGE: &str = "pagerduty-mcp-tools";

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .expect("the host crate lives inside the workspace")
        .to_path_buf();

    println!("cargo:rerun-if-env-changed=PAGERDUTY_COMPONENT_WASM");
    for path in ["tools", "components", "wit", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(path).display());
    }

    let component = match env::var_os("PAGERDUTY_COMPONENT_WASM") {
        Some(path) if !path.is_empty() => {
            let path = PathBuf::from(path);
            println!("cargo:rerun-if-changed={}", path.display());
            Component::from_file(&path)
        }
        _ => component_build::build(
            &workspace,
            Crate::Member(PACKAGE),
            &workspace.join("target").join("component"),
        ),
    }
    .unwrap_or_else(|e| fail(&e.to_string()));

    println!(
        "cargo:rustc-env=PAGERDUTY_COMPONENT_PATH={}",
        component.wasm.display()
    );
    println!(
        "cargo:rustc-env=PAGERDUTY_COMPONENT_SHA256={}",
        component.sha256
    );
}

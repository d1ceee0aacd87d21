//! Properties of the built component itself.

use wasmtime::component::Component;
use wasmtime::{Config, Engine};

/// The component imports only WASI 0.2 interfaces (cli, io, clocks, random, http),
/// and exports only `pagerduty:mcp/tools`.
#[test]
fn imports_only_wasi_0_2_and_exports_the_tools() {
    let mut config = Config::new();
    config.wasm_component_model(true);
    let engine = Engine::new(&config).unwrap();
    let component =
        Component::new(&engine, pagerduty_mcp_host::sandbox::EMBEDDED_COMPONENT).unwrap();
    let ty = component.component_type();
    let imports: Vec<String> = ty
        .imports(&engine)
        .map(|(name, _)| name.to_string())
        .collect();
    assert!(!imports.is_empty());
    let allowed = [
        "wasi:cli/",
        "wasi:io/",
        "wasi:clocks/",
        "wasi:random/",
        "wasi:http/",
    ];
    for name in &imports {
        assert!(
            allowed.iter().any(|p| name.starts_with(p)),
            "unexpected import {name}"
        );
        assert!(name.contains("@0.2."), "not a WASI 0.2 import: {name}");
    }
    assert!(
        !imports.iter().any(|n| n.starts_with("wasi:filesystem/")),
        "no filesystem access: {imports:?}"
    );
    assert!(
        !imports.iter().any(|n| n.starts_with("wasi:sockets/")),
        "no raw sockets: {imports:?}"
    );
    let exports: Vec<String> = ty
        .exports(&engine)
        .map(|(name, _)| name.to_string())
        .collect();
    assert_eq!(exports, ["pagerduty:mcp/tools@0.2.0"]);
    println!("component imports: {imports:#?}");
}

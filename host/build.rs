//! Builds the PagerDuty tools component (`components/tools`, package
//! `pagerduty-mcp-tools`) for `wasm32-wasip2` with [`component_build`] and hands its
//! path and SHA-256 to the host crate (`include_bytes!`, the compiled-component cache
//! key). The nested build uses its own target directory, `<workspace>/target/component`.
//!
//! It then precompiles the component for the build's target with the engine settings
//! of `src/sandbox/engine_config.rs` (included below, so host and build agree), and
//! hands the artifact's path to the host crate too: a start needs neither Cranelift
//! nor a writable cache. The artifact is compiled for the target's baseline CPU (no
//! feature detection on the build machine), so it loads on any CPU of the target's
//! architecture. When precompiling is impossible (a target this Cranelift cannot
//! compile for), the build warns and embeds no artifact; the host then compiles at
//! start-up, as it does when the engine refuses the artifact.
//!
//! Set `PAGERDUTY_COMPONENT_WASM=/path/to/pagerduty_mcp_tools.wasm` to embed a
//! prebuilt component instead of building one.
//!
//! Built from the crate `cargo package` makes (`scripts/package`), there is no
//! workspace around the host: the package ships the component as
//! `component/pagerduty_mcp_tools.wasm` with its SHA-256 in `component/SHA256`
//! (`sha256sum` format), and the build embeds it only if the digest matches.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use component_build::{Component, Crate, fail};

#[path = "src/sandbox/engine_config.rs"]
mod engine_config;

const PACKAGE: &str = "pagerduty-mcp-tools";

/// The component's file name, built or shipped.
const WASM: &str = "pagerduty_mcp_tools.wasm";

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

    // A package made by `cargo package` has no workspace around it (see above).
    let in_workspace = workspace.join("components/tools/Cargo.toml").is_file();
    let component = match env::var_os("PAGERDUTY_COMPONENT_WASM") {
        Some(path) if !path.is_empty() => {
            let path = PathBuf::from(path);
            println!("cargo:rerun-if-changed={}", path.display());
            Component::from_file(&path)
        }
        _ if !in_workspace => {
            let shipped = manifest_dir.join("component");
            println!("cargo:rerun-if-changed={}", shipped.display());
            Component::shipped(&shipped, WASM)
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

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let artifact = out_dir.join("pagerduty_mcp_tools.cwasm");
    let target = env::var("TARGET").expect("cargo sets TARGET");
    if let Err(e) = precompile(&component.wasm, &target, &artifact) {
        println!(
            "cargo:warning=not embedding a precompiled component for {target} \
             (pagerduty-mcp will compile it at start-up): {e}"
        );
        // An empty file: no artifact.
        fs::write(&artifact, b"").unwrap_or_else(|e| fail(&format!("writing {artifact:?}: {e}")));
    }
    println!(
        "cargo:rustc-env=PAGERDUTY_PRECOMPILED_PATH={}",
        artifact.display()
    );
}

/// Compiles the component at `wasm` for `target` with the host's engine settings
/// into `out` (what `Component::serialize` would give at run time).
fn precompile(wasm: &Path, target: &str, out: &Path) -> Result<(), String> {
    let mut config = engine_config::engine_config();
    // An explicit target: the baseline CPU of its architecture, not this machine's.
    config.target(target).map_err(|e| e.to_string())?;
    let engine = wasmtime::Engine::new(&config).map_err(|e| format!("{e:#}"))?;
    let bytes = fs::read(wasm).map_err(|e| format!("reading {}: {e}", wasm.display()))?;
    let artifact = engine
        .precompile_component(&bytes)
        .map_err(|e| format!("{e:#}"))?;
    fs::write(out, artifact).map_err(|e| format!("writing {}: {e}", out.display()))
}

//! Builds the PagerDuty tools component (the workspace's root package) for
//! `wasm32-wasip2` and hands its path to the host crate for `include_bytes!`.
//!
//! The nested build uses its own target directory (`<workspace>/target/component`):
//! sharing the outer build's directory would deadlock on cargo's target-dir lock.
//! Everything the outer cargo sets for this build script (flags for the host
//! target, profile overrides, the target dir, ...) is removed from the nested
//! build's environment so that it behaves like a plain
//! `cargo build -p pagerduty-mcp-tools --target wasm32-wasip2 --release`.
//!
//! Set `PAGERDUTY_COMPONENT_WASM=/path/to/pagerduty_mcp_tools.wasm` to embed a
//! prebuilt component instead of building one.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

const TARGET: &str = "wasm32-wasip2";
const PACKAGE: &str = "pagerduty-mcp-tools";
const ARTIFACT: &str = "pagerduty_mcp_tools.wasm";

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

    let wasm = match env::var_os("PAGERDUTY_COMPONENT_WASM") {
        Some(path) if !path.is_empty() => {
            let path = PathBuf::from(path);
            println!("cargo:rerun-if-changed={}", path.display());
            path
        }
        _ => build_component(&workspace),
    };

    let bytes = fs::read(&wasm).unwrap_or_else(|e| {
        fail(&format!(
            "cannot read the component {}: {e}",
            wasm.display()
        ))
    });
    let digest = Sha256::digest(&bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();

    println!(
        "cargo:rustc-env=PAGERDUTY_COMPONENT_PATH={}",
        wasm.display()
    );
    println!("cargo:rustc-env=PAGERDUTY_COMPONENT_SHA256={hex}");
}

/// Runs the nested cargo build and returns the path of the built component.
fn build_component(workspace: &Path) -> PathBuf {
    ensure_target_installed();

    let target_dir = workspace.join("target").join("component");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));

    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args([
            "build",
            "--package",
            PACKAGE,
            "--target",
            TARGET,
            "--release",
            "--target-dir",
        ])
        .arg(&target_dir);
    scrub_env(&mut cmd);

    // The build script's stdout is read by cargo for directives: send the nested
    // build's output to stderr, where cargo shows it when the build fails.
    cmd.stdout(stdout_to_stderr()).stderr(Stdio::inherit());

    let status = cmd
        .status()
        .unwrap_or_else(|e| fail(&format!("cannot run cargo to build the component: {e}")));
    if !status.success() {
        fail(&format!(
            "building the component failed ({status}); run `cargo build -p {PACKAGE} --target {TARGET} --release` to see why"
        ));
    }

    let wasm = target_dir.join(TARGET).join("release").join(ARTIFACT);
    if !wasm.is_file() {
        fail(&format!(
            "the component build succeeded but {} is missing",
            wasm.display()
        ));
    }
    wasm
}

/// Removes the variables the outer cargo sets for this build script that would
/// change what the nested build does.
fn scrub_env(cmd: &mut Command) {
    // Kept: where cargo lives and how it reaches the network, and the jobserver
    // (so the nested build shares the outer build's job slots).
    const KEEP: &[&str] = &["CARGO_HOME", "CARGO_MAKEFLAGS"];
    const KEEP_PREFIXES: &[&str] = &[
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
    ];
    const REMOVE: &[&str] = &[
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "TARGET",
        "HOST",
        "OUT_DIR",
        "PROFILE",
        "OPT_LEVEL",
        "DEBUG",
        "NUM_JOBS",
        "RUSTC_LINKER",
        "__CARGO_FIX_PLZ",
    ];
    for (key, _) in env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let cargo_var = key.starts_with("CARGO_") || key.starts_with("DEP_");
        let keep = KEEP.contains(&key) || KEEP_PREFIXES.iter().any(|p| key.starts_with(p));
        if (cargo_var && !keep) || REMOVE.contains(&key) {
            cmd.env_remove(key);
        }
    }
}

/// Installs the `wasm32-wasip2` standard library through rustup when it is missing.
fn ensure_target_installed() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let Ok(out) = Command::new(&rustc).args(["--print", "sysroot"]).output() else {
        return; // The nested cargo will report a missing rustc itself.
    };
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if sysroot
        .join("lib")
        .join("rustlib")
        .join(TARGET)
        .join("lib")
        .is_dir()
    {
        return;
    }
    println!("cargo:warning=installing the {TARGET} target with `rustup target add {TARGET}`");
    let installed = Command::new("rustup")
        .args(["target", "add", TARGET])
        .stdout(stdout_to_stderr())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !installed {
        fail(&format!(
            "the {TARGET} target is not installed; fix: rustup target add {TARGET}"
        ));
    }
}

/// A `Stdio` that writes to this process's stderr.
fn stdout_to_stderr() -> Stdio {
    let _ = std::io::stderr().flush();
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
            return Stdio::from(fd);
        }
    }
    Stdio::null()
}

/// Stops the build with a one-line message.
fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    println!("cargo:warning={message}");
    std::process::exit(1);
}

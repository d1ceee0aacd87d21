//! Builds the hostile test guest (`guests/hostile`) for wasm32-wasip2 and hands its
//! path to the tests. A nested cargo with its own target dir, as in host/build.rs.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let guest = manifest_dir.join("guests/hostile");
    let workspace = manifest_dir.parent().unwrap().to_path_buf();
    let target_dir = workspace.join("target/guests");
    println!("cargo:rerun-if-changed={}", guest.join("src").display());
    println!(
        "cargo:rerun-if-changed={}",
        guest.join("Cargo.toml").display()
    );
    println!("cargo:rerun-if-changed={}", workspace.join("wit").display());

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(guest.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("CARGO_") && key != "CARGO_HOME"
            || key == "RUSTFLAGS"
            || key == "RUSTC_WRAPPER"
        {
            command.env_remove(key);
        }
    }
    let status = command.status().expect("cargo runs");
    assert!(
        status.success(),
        "building the hostile guest failed (is the wasm32-wasip2 target installed? `rustup target add wasm32-wasip2`)"
    );
    let wasm = target_dir.join("wasm32-wasip2/release/hostile_guest.wasm");
    println!("cargo:rustc-env=HOSTILE_GUEST_WASM={}", wasm.display());
}

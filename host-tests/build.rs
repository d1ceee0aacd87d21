//! Builds the hostile test guest (`guests/hostile`, not a workspace member) for
//! `wasm32-wasip2` with [`component_build`], in its own target directory
//! (`<workspace>/target/guests`), and hands its path to the tests.

use std::path::PathBuf;

use component_build::{Crate, fail};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let guest = manifest_dir.join("guests").join("hostile");
    let workspace = manifest_dir.parent().unwrap().to_path_buf();
    println!("cargo:rerun-if-changed={}", guest.join("src").display());
    println!(
        "cargo:rerun-if-changed={}",
        guest.join("Cargo.toml").display()
    );
    println!("cargo:rerun-if-changed={}", workspace.join("wit").display());

    let manifest = guest.join("Cargo.toml");
    let built = component_build::build(
        &workspace,
        Crate::Standalone {
            manifest: &manifest,
            package: "hostile-guest",
        },
        &workspace.join("target").join("guests"),
    )
    .unwrap_or_else(|e| fail(&e.to_string()));
    println!(
        "cargo:rustc-env=HOSTILE_GUEST_WASM={}",
        built.wasm.display()
    );
}

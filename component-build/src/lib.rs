//! Builds a WASI 0.2 component (`wasm32-wasip2`; the tools component with the
//! `component-fast` profile, for speed, the MCP server component with
//! `component-small`, for size, the others with `release`) with a
//! nested cargo, and returns the path of the `.wasm` file and its SHA-256.
//!
//! One build step for every component of this workspace: `host/build.rs` builds the
//! tools component it embeds, `host-tests/build.rs` the hostile test guest, and release
//! tooling can call [`build`] the same way. Three things make a nested build behave:
//!
//! * **Its own target directory**, a subdirectory of `<workspace>/target` per nested
//!   build (e.g. `target/component`, `target/guests`). Sharing the outer build's target
//!   directory would deadlock on cargo's lock, and a release build would wait on a
//!   debug build's lock (and vice versa).
//! * **A scrubbed environment.** Cargo sets many variables for a build script (the
//!   host target, profile settings, `RUSTFLAGS` for the host, the outer target
//!   directory, `clippy-driver` as the workspace wrapper under `cargo clippy`, ...);
//!   they are removed so the nested build behaves like a plain
//!   `cargo build --target wasm32-wasip2 --profile …` run from the workspace. Kept: where
//!   cargo lives and how it reaches registries, and the jobserver, so the nested
//!   build shares the outer build's job slots.
//! * **The target installed on demand**: when the `wasm32-wasip2` standard library is
//!   missing, `rustup target add wasm32-wasip2` is run once.
//!
//! The nested cargo's output goes to stderr: a build script's stdout is read by cargo
//! as directives, and cargo shows a build script's stderr when it fails.
//!
//! ```no_run
//! // In a build script:
//! let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
//! let built = component_build::build(
//!     workspace,
//!     component_build::Crate::Member("pagerduty-mcp-tools"),
//!     &workspace.join("target").join("component"),
//! )
//! .unwrap_or_else(|e| component_build::fail(&e.to_string()));
//! println!("cargo:rustc-env=COMPONENT_PATH={}", built.wasm.display());
//! println!("cargo:rustc-env=COMPONENT_SHA256={}", built.sha256);
//! ```

use std::env;
use std::ffi::OsString;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest as _, Sha256};

/// The target every component is built for.
pub const TARGET: &str = "wasm32-wasip2";

/// Which crate to build; it must have a `cdylib` library target.
#[derive(Debug, Clone, Copy)]
pub enum Crate<'a> {
    /// A member of the workspace, by package name (`cargo build --package NAME`).
    Member(&'a str),
    /// A crate outside the workspace (with a `[workspace]` table of its own), by its
    /// manifest (`cargo build --manifest-path PATH`) and package name.
    Standalone {
        /// The crate's `Cargo.toml`.
        manifest: &'a Path,
        /// Its package name, which names the `.wasm` file.
        package: &'a str,
    },
}

impl Crate<'_> {
    fn package(&self) -> &str {
        match self {
            Crate::Member(package) | Crate::Standalone { package, .. } => package,
        }
    }

    /// The `cargo build` arguments selecting the crate.
    fn selector(&self) -> Vec<OsString> {
        match self {
            Crate::Member(package) => vec!["--package".into(), (*package).into()],
            Crate::Standalone { manifest, .. } => {
                vec!["--manifest-path".into(), manifest.as_os_str().to_owned()]
            }
        }
    }
}

/// A built (or prebuilt) component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// The `.wasm` file.
    pub wasm: PathBuf,
    /// SHA-256 of its contents, lowercase hex.
    pub sha256: String,
}

impl Component {
    /// A component file that already exists (e.g. a prebuilt one), with its digest.
    pub fn from_file(wasm: &Path) -> Result<Component, Error> {
        let bytes = std::fs::read(wasm)
            .map_err(|e| Error(format!("cannot read the component {}: {e}", wasm.display())))?;
        Ok(Component {
            wasm: wasm.to_owned(),
            sha256: hex(&Sha256::digest(&bytes)),
        })
    }
}

impl Component {
    /// The component file `name` shipped in `dir` (as a package ships a prebuilt
    /// component), once its digest is the one `dir/SHA256` records for `name`
    /// (`sha256sum` format: `<hex>  <name>`, or `<hex> *<name>`).
    pub fn shipped(dir: &Path, name: &str) -> Result<Component, Error> {
        let sums = dir.join("SHA256");
        let recorded = std::fs::read_to_string(&sums)
            .map_err(|e| Error(format!("cannot read {}: {e}", sums.display())))?;
        let expected = recorded
            .lines()
            .find_map(|line| {
                let (digest, file) = line.split_once(' ')?;
                (file.trim_start_matches([' ', '*']) == name).then_some(digest)
            })
            .ok_or_else(|| Error(format!("{} records no digest for {name}", sums.display())))?;
        let component = Component::from_file(&dir.join(name))?;
        if !component.sha256.eq_ignore_ascii_case(expected) {
            return Err(Error(format!(
                "the shipped component {} has SHA-256 {}, but {} records {expected}",
                component.wasm.display(),
                component.sha256,
                sums.display()
            )));
        }
        Ok(component)
    }
}

/// Why a build failed: one line for the user, naming the command to run by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// The profile a component is built with: [`FAST_PROFILE`] for the tools component,
/// whose code runs on every call's data, [`SMALL_PROFILE`] for the MCP server
/// component, which must stay under its 1 MiB budget, `release` for the others.
pub fn profile_of(krate: Crate<'_>) -> &'static str {
    match krate.package() {
        "pagerduty-mcp-tools" => FAST_PROFILE,
        "pagerduty-mcp-http" => SMALL_PROFILE,
        _ => "release",
    }
}

/// The workspace profile that builds for speed (`opt-level = 3`, see `Cargo.toml`).
pub const FAST_PROFILE: &str = "component-fast";

/// The workspace profile that builds for the smallest code (`opt-level = "z"`).
pub const SMALL_PROFILE: &str = "component-small";

/// Builds `krate` for [`TARGET`] with its profile ([`profile_of`]) with a nested
/// cargo run from `workspace` (so it sees the same `.cargo/config.toml` as the outer
/// build), into `target_dir`, and returns the `.wasm` file with its SHA-256.
///
/// `target_dir` must be this build's own directory (see the crate docs), e.g.
/// `<workspace>/target/component`.
pub fn build(workspace: &Path, krate: Crate<'_>, target_dir: &Path) -> Result<Component, Error> {
    let profile = profile_of(krate);
    ensure_target_installed()?;

    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .arg("build")
        .args(krate.selector())
        .args(["--target", TARGET, "--profile", profile, "--target-dir"])
        .arg(target_dir);
    scrub_env(&mut command);
    command.stdout(stdout_to_stderr()).stderr(Stdio::inherit());

    let package = krate.package();
    let status = command
        .status()
        .map_err(|e| Error(format!("cannot run cargo to build {package}: {e}")))?;
    if !status.success() {
        let selector: Vec<_> = krate
            .selector()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        return Err(Error(format!(
            "building {package} failed ({status}); run `cargo build {} --target {TARGET} --profile {profile}` to see why",
            selector.join(" ")
        )));
    }

    let wasm = target_dir
        .join(TARGET)
        .join(profile)
        .join(format!("{}.wasm", package.replace('-', "_")));
    if !wasm.is_file() {
        return Err(Error(format!(
            "the build of {package} succeeded but {} is missing",
            wasm.display()
        )));
    }
    Component::from_file(&wasm)
}

/// Stops a build script with a one-line message (as a cargo warning and on stderr).
pub fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    println!("cargo:warning={message}");
    std::process::exit(1);
}

/// Removes the variables the outer cargo sets for a build script that would change
/// what the nested build does.
fn scrub_env(command: &mut Command) {
    for (key, _) in env::vars_os() {
        if let Some(key) = key.to_str()
            && is_scrubbed(key)
        {
            command.env_remove(key);
        }
    }
}

/// Whether the nested build must not inherit the variable `key`: every `CARGO_*` and
/// `DEP_*` variable but where cargo lives, how it reaches registries and the
/// jobserver, plus the per-target settings cargo gives build scripts.
fn is_scrubbed(key: &str) -> bool {
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
    let cargo_var = key.starts_with("CARGO_") || key.starts_with("DEP_");
    let kept = KEEP.contains(&key) || KEEP_PREFIXES.iter().any(|p| key.starts_with(p));
    (cargo_var && !kept) || REMOVE.contains(&key)
}

/// Installs the [`TARGET`] standard library through rustup when it is missing.
fn ensure_target_installed() -> Result<(), Error> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let Ok(out) = Command::new(&rustc).args(["--print", "sysroot"]).output() else {
        return Ok(()); // The nested cargo reports a missing rustc itself.
    };
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if sysroot
        .join("lib")
        .join("rustlib")
        .join(TARGET)
        .join("lib")
        .is_dir()
    {
        return Ok(());
    }
    let note = format!("installing the {TARGET} target with `rustup target add {TARGET}`");
    // Cargo shows a build script's warnings even when it succeeds.
    if env::var_os("OUT_DIR").is_some() {
        println!("cargo:warning={note}");
    } else {
        eprintln!("{note}");
    }
    let installed = Command::new("rustup")
        .args(["target", "add", TARGET])
        .stdout(stdout_to_stderr())
        .status()
        .is_ok_and(|s| s.success());
    if installed {
        Ok(())
    } else {
        Err(Error(format!(
            "the {TARGET} target is not installed; fix: rustup target add {TARGET}"
        )))
    }
}

/// A `Stdio` that writes to this process's stderr.
fn stdout_to_stderr() -> Stdio {
    let _ = std::io::stderr().flush();
    #[cfg(unix)]
    {
        use std::os::fd::AsFd as _;
        if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
            return Stdio::from(fd);
        }
    }
    Stdio::null()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory with `wasm` as `c.wasm` and `sums` as its `SHA256`.
    fn shipped_dir(name: &str, wasm: &[u8], sums: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("component-build-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("c.wasm"), wasm).unwrap();
        std::fs::write(dir.join("SHA256"), sums).unwrap();
        dir
    }

    #[test]
    fn a_shipped_component_is_taken_only_with_the_digest_recorded_for_it() {
        let digest = hex(&Sha256::digest(b"component"));
        for sums in [
            format!("{digest}  c.wasm\n"),
            format!("{digest} *c.wasm\n"),
            format!("{}  other.wasm\n{digest}  c.wasm\n", "0".repeat(64)),
            format!("{}  c.wasm\n", digest.to_uppercase()),
        ] {
            let dir = shipped_dir("ok", b"component", &sums);
            let component =
                Component::shipped(&dir, "c.wasm").unwrap_or_else(|e| panic!("{sums}: {e}"));
            assert_eq!(component.sha256, digest);
            assert_eq!(component.wasm, dir.join("c.wasm"));
        }
        let cases = [
            (
                "changed",
                b"c0mponent".as_slice(),
                format!("{digest}  c.wasm\n"),
                "has SHA-256",
            ),
            (
                "unnamed",
                b"component".as_slice(),
                format!("{digest}  other.wasm\n"),
                "records no digest for c.wasm",
            ),
            (
                "empty",
                b"component".as_slice(),
                String::new(),
                "records no digest",
            ),
        ];
        for (name, wasm, sums, needle) in cases {
            let dir = shipped_dir(name, wasm, &sums);
            let error = Component::shipped(&dir, "c.wasm").unwrap_err();
            assert!(error.0.contains(needle), "{name}: {error}");
        }
        let missing = std::env::temp_dir().join("component-build-no-such-dir");
        let error = Component::shipped(&missing, "c.wasm").unwrap_err();
        assert!(error.0.contains("cannot read"), "{error}");
    }

    #[test]
    fn the_outer_builds_settings_are_scrubbed() {
        for key in [
            "CARGO_TARGET_DIR",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_CFG_TARGET_OS",
            "CARGO_PROFILE_DEV_DEBUG",
            "DEP_Z_INCLUDE",
            "RUSTFLAGS",
            "RUSTC_WORKSPACE_WRAPPER",
            "TARGET",
            "OUT_DIR",
            "PROFILE",
        ] {
            assert!(is_scrubbed(key), "{key}");
        }
        for key in [
            "CARGO_HOME",
            "CARGO_MAKEFLAGS",
            "CARGO_NET_OFFLINE",
            "CARGO_HTTP_PROXY",
            "CARGO_REGISTRIES_CRATES_IO_PROTOCOL",
            "PATH",
            "HOME",
            "RUSTC",
            "RUSTC_WRAPPER",
        ] {
            assert!(!is_scrubbed(key), "{key}");
        }
    }

    #[test]
    fn artifact_digest() {
        let dir = std::env::temp_dir().join(format!("component-build-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let wasm = dir.join("empty.wasm");
        std::fs::write(&wasm, b"").unwrap();
        let component = Component::from_file(&wasm);
        let missing = Component::from_file(&dir.join("missing.wasm"));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            component.unwrap().sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(missing.unwrap_err().0.contains("missing.wasm"));
    }
}

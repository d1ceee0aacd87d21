//! The compiled component through the binary: it starts from the artifact
//! precompiled into it, with no cache and no compiler. With that turned off
//! (`PAGERDUTY_MCP_PRECOMPILED=off`, as for a component the binary has no
//! artifact of), a warm start loads the verified cached artifact without
//! compiling; a tampered artifact or an unsafe cache directory is not used,
//! with a warning, and the server still starts (docs/SECURITY.md, "The
//! compiled-component cache"; the attacks one by one are the unit tests of
//! `host/src/sandbox/cache.rs`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common;

/// The key file of a cache directory.
const KEY_FILE: &str = "mac.key";

/// Log lines of the cache (`RUST_LOG=pagerduty_mcp_host=debug`).
const LOADED: &str = "loaded the precompiled component";
const COMPILED: &str = "compiled the component";

fn artifacts(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .collect()
}

/// A fresh cache directory holding a copy of the shared cache's artifact and
/// key; and the artifact's path.
fn warm_copy(name: &str) -> (PathBuf, PathBuf) {
    let shared = common::shared_cache();
    let found = artifacts(shared);
    assert_eq!(found.len(), 1, "{found:?}");
    let dir = common::scratch_dir(name);
    let artifact = dir.join(found[0].file_name().unwrap());
    // fs::copy keeps the modes (0600).
    fs::copy(&found[0], &artifact).unwrap();
    fs::copy(shared.join(KEY_FILE), dir.join(KEY_FILE)).unwrap();
    (dir, artifact)
}

/// `pagerduty-mcp --demo tools` with the cache in `dir` and without the
/// embedded artifact, logging the cache's steps; it must succeed.
fn tools(dir: &Path) -> Output {
    tools_with(dir, &[("PAGERDUTY_MCP_PRECOMPILED", "off")])
}

/// `pagerduty-mcp --demo tools` with the cache in `dir` and the variables
/// `env`, logging the cache's steps; it must succeed.
fn tools_with(dir: &Path, env: &[(&str, &str)]) -> Output {
    let output = common::pagerduty_mcp()
        .env("PAGERDUTY_MCP_CACHE_DIR", dir)
        .envs(env.iter().copied())
        .env("RUST_LOG", "pagerduty_mcp_host=debug")
        .args(["--demo", "tools"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_first_start_runs_the_embedded_artifact_without_cache_or_compiler() {
    let dir = common::scratch_dir("cache-embedded");
    for env in [&[][..], &[("PAGERDUTY_MCP_PRECOMPILED", "on")][..]] {
        let output = tools_with(&dir, env);
        let log = stderr(&output);
        assert!(log.contains(LOADED) && log.contains("embedded"), "{log}");
        assert!(!log.contains(COMPILED), "{log}");
        assert!(!log.contains("WARN"), "{log}");
        assert!(String::from_utf8_lossy(&output.stdout).contains("list_incidents"));
        // The cache was not needed: nothing written.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0, "{log}");
    }
    // A cache directory that cannot exist (below a regular file), as on a
    // read-only file system: not even looked at.
    fs::write(dir.join("file"), b"").unwrap();
    let log = stderr(&tools_with(&dir.join("file/cache"), &[]));
    assert!(log.contains(LOADED) && !log.contains("WARN"), "{log}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn without_the_embedded_artifact_a_first_start_compiles_and_caches() {
    let dir = common::scratch_dir("cache-first");
    let output = tools(&dir);
    let log = stderr(&output);
    assert!(log.contains(COMPILED), "{log}");
    assert!(!log.contains("embedded"), "{log}");
    assert_eq!(artifacts(&dir).len(), 1, "{log}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_warm_start_loads_the_verified_artifact_without_compiling() {
    let (dir, artifact) = warm_copy("cache-warm");
    let modified = fs::metadata(&artifact).unwrap().modified().unwrap();
    let output = tools(&dir);
    let log = stderr(&output);
    assert!(log.contains(LOADED), "{log}");
    assert!(!log.contains(COMPILED), "{log}");
    assert!(!log.contains("WARN"), "{log}");
    // Used as it is: not rewritten, nothing added.
    assert_eq!(
        fs::metadata(&artifact).unwrap().modified().unwrap(),
        modified
    );
    assert_eq!(artifacts(&dir), [artifact]);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_tampered_artifact_is_not_loaded_but_recompiled() {
    let (dir, artifact) = warm_copy("cache-tampered");
    let expected = tools(&dir).stdout;

    // Flip bytes of its machine code (the middle of the file).
    let mut bytes = fs::read(&artifact).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 16] {
        *b ^= 0xff;
    }
    fs::write(&artifact, &bytes).unwrap();
    let output = tools(&dir);
    let log = stderr(&output);
    assert!(
        log.contains("not loading the cached compiled component")
            && log.contains("its MAC does not verify"),
        "{log}"
    );
    assert!(log.contains(COMPILED), "{log}");
    assert!(!log.contains(LOADED), "{log}");
    // The recompiled component works, and replaced the tampered file.
    assert_eq!(output.stdout, expected);
    assert_ne!(fs::read(&artifact).unwrap(), bytes);
    let log = stderr(&tools(&dir));
    assert!(log.contains(LOADED), "{log}");
    let _ = fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn a_symlinked_cache_directory_is_refused_but_the_server_starts() {
    let (real, artifact) = warm_copy("cache-real");
    let expected = tools(&real).stdout;
    let modified = fs::metadata(&artifact).unwrap().modified().unwrap();

    let holder = common::scratch_dir("cache-link");
    let link = holder.join("cache");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let output = tools(&link);
    let log = stderr(&output);
    assert!(
        log.contains("not using the compiled-component cache")
            && log.contains("it is a symbolic link"),
        "{log}"
    );
    // Compiled in memory: the valid artifact behind the link was not loaded,
    // and nothing there changed.
    assert!(log.contains(COMPILED) && !log.contains(LOADED), "{log}");
    assert_eq!(output.stdout, expected);
    assert_eq!(
        fs::metadata(&artifact).unwrap().modified().unwrap(),
        modified
    );
    assert_eq!(artifacts(&real), [artifact]);
    let _ = fs::remove_dir_all(&real);
    let _ = fs::remove_dir_all(&holder);
}

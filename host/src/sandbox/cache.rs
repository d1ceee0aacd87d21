//! The compiled-component cache: a component is compiled once per process,
//! and its compiled artifact kept on disk for the next process.
//!
//! Compiling the component with Cranelift takes seconds; loading a precompiled
//! artifact takes milliseconds. The artifact is stored as
//! `<cache dir>/<key>.cwasm`, where the key is a SHA-256 over the component's
//! SHA-256 (computed at build time for the embedded component), the engine's
//! [`precompile_compatibility_hash`](Engine::precompile_compatibility_hash)
//! (wasmtime version, compiler settings, host CPU features) and this crate's
//! version. The cache directory is `$PAGERDUTY_MCP_CACHE_DIR` if set (the value
//! `off` disables the cache), else `$XDG_CACHE_HOME/pagerduty-mcp`, else
//! `$HOME/.cache/pagerduty-mcp`; it is created with mode 0700 and ignored when
//! group- or world-writable or owned by another user. Files are written to a
//! temporary name and renamed, so readers never see partial files. An
//! unreadable or incompatible artifact is recompiled and replaced; any cache
//! failure only costs compile time. At most [`CACHE_KEEP`] artifacts are kept
//! (newest first).

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Instant, SystemTime};

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// How many compiled artifacts the on-disk cache keeps.
pub const CACHE_KEEP: usize = 8;

/// The variable naming the cache directory (`off` disables the cache).
const CACHE_DIR_VAR: &str = "PAGERDUTY_MCP_CACHE_DIR";

/// The compiled component: from this process's memory, the disk cache, or
/// compiled (and then cached). `sha256` is the component's digest when known
/// (computed at build time for the embedded one).
pub(super) fn component(
    engine: &Engine,
    wasm: &[u8],
    sha256: Option<&str>,
) -> anyhow::Result<Component> {
    static LOADED: OnceLock<Mutex<HashMap<String, Component>>> = OnceLock::new();
    let digest = match sha256 {
        Some(d) => d.to_owned(),
        None => hex(&Sha256::digest(wasm)),
    };
    let key = cache_key(engine, &digest);
    // Held while loading so that concurrent sandboxes compile a component once.
    let mut loaded = LOADED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(component) = loaded.get(&key) {
        return Ok(component.clone());
    }
    let dir = cache_dir(|name| std::env::var_os(name));
    let (component, _) = load_or_compile(engine, wasm, &key, dir.as_deref())?;
    loaded.insert(key, component.clone());
    Ok(component)
}

/// Where a component came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A precompiled artifact in the cache directory.
    Disk,
    /// Compiled in this process (and then stored, if there is a directory).
    Compiled,
}

/// The component with cache key `key` from `<dir>/<key>.cwasm`, else compiled
/// from `wasm` and stored there; `dir` is `None` when caching is off.
fn load_or_compile(
    engine: &Engine,
    wasm: &[u8],
    key: &str,
    dir: Option<&Path>,
) -> anyhow::Result<(Component, Origin)> {
    let path = dir.map(|d| d.join(format!("{key}.cwasm")));
    if let Some(path) = &path
        && path.is_file()
    {
        let started = Instant::now();
        // SAFETY: the file was written by `Component::serialize` of this same
        // engine configuration (the key covers the compatibility hash) into a
        // private (0700) directory, via write-then-rename so it is never
        // partial; wasmtime additionally checks the header and version.
        match unsafe { Component::deserialize_file(engine, path) } {
            Ok(component) => {
                tracing::debug!(
                    path = %path.display(),
                    ms = started.elapsed().as_secs_f64() * 1000.0,
                    "loaded the precompiled component"
                );
                return Ok((component, Origin::Disk));
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), "ignoring an unusable precompiled component: {error:#}");
                let _ = fs::remove_file(path);
            }
        }
    }

    let started = Instant::now();
    let component = Component::new(engine, wasm)
        .map_err(anyhow::Error::from)
        .context("compiling the component")?;
    tracing::info!(
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "compiled the component"
    );
    if let (Some(dir), Some(path)) = (dir, &path) {
        match store_artifact(&component, dir, path) {
            Ok(()) => {
                tracing::debug!(path = %path.display(), "cached the precompiled component");
                prune_cache(dir, path);
            }
            Err(error) => {
                tracing::warn!(dir = %dir.display(), "could not cache the precompiled component: {error:#}")
            }
        }
    }
    Ok((component, Origin::Compiled))
}

/// Writes the compiled `component` to `path` in `dir`, through a temporary
/// file renamed into place.
fn store_artifact(component: &Component, dir: &Path, path: &Path) -> anyhow::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let bytes = component.serialize().map_err(anyhow::Error::from)?;
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("component"),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    Ok(result?)
}

/// Keeps the [`CACHE_KEEP`] newest artifacts (always including `keep`).
fn prune_cache(dir: &Path, keep: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut artifacts: Vec<(SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm") && p != keep)
        .filter_map(|p| Some((fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    artifacts.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
    for (_, old) in artifacts.into_iter().skip(CACHE_KEEP.saturating_sub(1)) {
        let _ = fs::remove_file(old);
    }
}

/// The cache key of the component with digest `component_sha256` compiled by
/// `engine` (see the module docs).
fn cache_key(engine: &Engine, component_sha256: &str) -> String {
    let mut compat = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compat);
    let mut h = Sha256::new();
    h.update(component_sha256.as_bytes());
    h.update(compat.finish().to_le_bytes());
    h.update(concat!("pagerduty-mcp-host ", env!("CARGO_PKG_VERSION")).as_bytes());
    hex(&h.finalize()[..16])
}

/// The cache directory named by the environment (`var` reads a variable),
/// created if needed; `None` when caching is off or the directory is unusable.
fn cache_dir(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let dir = match var(CACHE_DIR_VAR) {
        Some(v) if v == "off" || v.is_empty() => return None,
        Some(v) => PathBuf::from(v),
        None => match var("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            Some(xdg) => PathBuf::from(xdg).join("pagerduty-mcp"),
            None => PathBuf::from(var("HOME").filter(|v| !v.is_empty())?)
                .join(".cache")
                .join("pagerduty-mcp"),
        },
    };
    if let Err(error) = create_private_dir(&dir) {
        tracing::debug!(dir = %dir.display(), "not caching the compiled component: {error}");
        return None;
    }
    Some(dir)
}

/// Creates `dir` (mode 0700 on Unix) and checks that only this user can
/// write to it: nobody else may plant an artifact that would be loaded.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let meta = fs::metadata(dir)?;
        let uid = geteuid();
        if meta.mode() & 0o022 != 0 || meta.uid() != uid {
            return Err(std::io::Error::other(
                "the directory is writable by others or not owned by this user",
            ));
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir)
    }
}

#[cfg(unix)]
unsafe extern "C" {
    /// The effective user id (POSIX; no preconditions, cannot fail).
    safe fn geteuid() -> u32;
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


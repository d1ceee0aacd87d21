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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The smallest component: compiles in milliseconds.
    const EMPTY_COMPONENT: &str = "(component)";
    /// Another component, so another key.
    const OTHER_COMPONENT: &str = "(component (core module))";

    /// A fresh directory under the system temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let dir = std::env::temp_dir().join(format!(
                "pagerduty-mcp-cache-test-{}-{}-{name}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&dir);
            TempDir(dir)
        }

        /// A private cache directory inside it.
        fn cache(&self) -> PathBuf {
            let dir = self.0.join("cache");
            create_private_dir(&dir).unwrap();
            dir
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn engine() -> &'static Engine {
        super::super::engine().unwrap()
    }

    fn key_of(wasm: &str) -> String {
        cache_key(engine(), &hex(&Sha256::digest(wasm.as_bytes())))
    }

    fn artifacts(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_second_load_comes_from_disk() {
        let tmp = TempDir::new("hit");
        let dir = tmp.cache();
        let key = key_of(EMPTY_COMPONENT);
        let load = || load_or_compile(engine(), EMPTY_COMPONENT.as_bytes(), &key, Some(&dir));

        let (_, origin) = load().unwrap();
        assert_eq!(origin, Origin::Compiled);
        // Only the artifact: the temporary file was renamed into place.
        assert_eq!(artifacts(&dir), [format!("{key}.cwasm")]);
        let (_, origin) = load().unwrap();
        assert_eq!(origin, Origin::Disk);
    }

    #[test]
    fn without_a_directory_every_load_compiles() {
        let key = key_of(EMPTY_COMPONENT);
        for _ in 0..2 {
            let (_, origin) =
                load_or_compile(engine(), EMPTY_COMPONENT.as_bytes(), &key, None).unwrap();
            assert_eq!(origin, Origin::Compiled);
        }
    }

    #[test]
    fn a_corrupt_artifact_is_recompiled_and_replaced() {
        let tmp = TempDir::new("corrupt");
        let dir = tmp.cache();
        let key = key_of(EMPTY_COMPONENT);
        let path = dir.join(format!("{key}.cwasm"));
        for garbage in [
            &b""[..],
            b"not a compiled component",
            b"\x7fELF\x02\x01\x01",
        ] {
            fs::write(&path, garbage).unwrap();
            let (_, origin) =
                load_or_compile(engine(), EMPTY_COMPONENT.as_bytes(), &key, Some(&dir)).unwrap();
            assert_eq!(origin, Origin::Compiled, "{garbage:?}");
            assert_ne!(
                fs::read(&path).unwrap(),
                garbage,
                "the artifact was replaced"
            );
            let (_, origin) =
                load_or_compile(engine(), EMPTY_COMPONENT.as_bytes(), &key, Some(&dir)).unwrap();
            assert_eq!(origin, Origin::Disk);
        }
    }

    #[test]
    fn the_key_follows_the_component_digest() {
        let a = cache_key(engine(), "a".repeat(64).as_str());
        assert_eq!(a, cache_key(engine(), "a".repeat(64).as_str()));
        assert_ne!(a, cache_key(engine(), "b".repeat(64).as_str()));
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(key_of(EMPTY_COMPONENT), key_of(OTHER_COMPONENT));
    }

    #[test]
    fn pruning_keeps_the_newest_artifacts_and_the_current_one() {
        let tmp = TempDir::new("prune");
        let dir = tmp.cache();
        let now = SystemTime::now();
        let total = CACHE_KEEP + 4;
        // artifact 0 is the newest, artifact total-1 the oldest.
        for i in 0..total {
            let path = dir.join(format!("{i:02}.cwasm"));
            let file = fs::File::create(&path).unwrap();
            file.set_modified(now - Duration::from_secs(60 * i as u64))
                .unwrap();
        }
        fs::write(dir.join("notes.txt"), "not an artifact").unwrap();
        // The current artifact is kept even when it is the oldest.
        let current = dir.join(format!("{:02}.cwasm", total - 1));
        prune_cache(&dir, &current);

        let mut expected: Vec<String> = (0..CACHE_KEEP - 1)
            .map(|i| format!("{i:02}.cwasm"))
            .collect();
        expected.push(format!("{:02}.cwasm", total - 1));
        expected.push("notes.txt".into());
        expected.sort();
        assert_eq!(artifacts(&dir), expected);
    }

    #[test]
    fn the_directory_comes_from_the_environment() {
        let tmp = TempDir::new("env");
        let root = tmp.0.clone();
        let env = |pairs: Vec<(&'static str, PathBuf)>| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.clone().into_os_string())
            }
        };
        let explicit = root.join("explicit");
        assert_eq!(
            cache_dir(env(vec![
                (CACHE_DIR_VAR, explicit.clone()),
                ("XDG_CACHE_HOME", root.join("xdg")),
            ])),
            Some(explicit.clone())
        );
        assert!(explicit.is_dir());
        for off in ["off", ""] {
            assert_eq!(
                cache_dir(env(vec![
                    (CACHE_DIR_VAR, PathBuf::from(off)),
                    ("HOME", root.join("home")),
                ])),
                None,
                "{off:?}"
            );
        }
        assert_eq!(
            cache_dir(env(vec![
                ("XDG_CACHE_HOME", root.join("xdg")),
                ("HOME", root.join("home")),
            ])),
            Some(root.join("xdg").join("pagerduty-mcp"))
        );
        assert_eq!(
            cache_dir(env(vec![
                ("XDG_CACHE_HOME", PathBuf::new()),
                ("HOME", root.join("home")),
            ])),
            Some(root.join("home").join(".cache").join("pagerduty-mcp"))
        );
        assert_eq!(cache_dir(env(vec![])), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_directory_is_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let tmp = TempDir::new("private");
        let dir = tmp.0.join("a").join("b");
        create_private_dir(&dir).unwrap();
        let mode = fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
        // A directory others can write to is refused, and so not used.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        assert!(create_private_dir(&dir).is_err());
        let var = |name: &str| (name == CACHE_DIR_VAR).then(|| dir.clone().into_os_string());
        assert_eq!(cache_dir(var), None);
    }
}

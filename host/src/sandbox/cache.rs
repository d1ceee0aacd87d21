//! The compiled component: loaded once per process, from the artifact
//! precompiled into this binary, else from an on-disk cache, else compiled
//! (and then kept on disk for the next process).
//!
//! Compiling the component with Cranelift takes seconds; loading a precompiled
//! artifact takes a fraction of a millisecond. The embedded component's
//! artifact is built with the binary (`host/build.rs`), so a first start in a
//! fresh container is as fast as any other and needs no writable directory;
//! it is used unless `PAGERDUTY_MCP_PRECOMPILED=off` or wasmtime refuses it
//! (another CPU architecture's features, say). The cache below serves the rest:
//! components given at run time, and binaries built without an artifact.
//!
//! Loading an artifact runs its machine code in the host, outside the sandbox,
//! so a cached artifact is loaded only when this program wrote it, for this
//! component and this engine, and nobody changed it since (docs/SECURITY.md,
//! "The compiled-component cache"):
//!
//! * **The directory** is `$PAGERDUTY_MCP_CACHE_DIR` if set (the value `off`
//!   disables the cache), else `$XDG_CACHE_HOME/pagerduty-mcp`, else
//!   `$HOME/.cache/pagerduty-mcp`. It is created with mode 0700 and opened once,
//!   without following a symbolic link; it is refused (a warning, and the
//!   component is compiled in memory) when it is a symbolic link, not a
//!   directory, owned by another user, or writable by group or others. Every
//!   file below is then reached through that open directory (`openat`), never
//!   by path again.
//! * **The key** is `mac.key` in the directory: 32 random bytes from the
//!   operating system, created once with mode 0600 (written to a temporary
//!   file, then linked into place, so concurrent starts agree on one key). A key
//!   file that is a symbolic link, not a regular file, owned by another user,
//!   readable or writable by group or others, or not 32 bytes long makes the
//!   whole directory refused.
//! * **An artifact** is `<identity>.cwasm`, where the identity is a SHA-256
//!   over the component's SHA-256 (computed at build time for the embedded
//!   component), the engine's
//!   [`precompile_compatibility_hash`](Engine::precompile_compatibility_hash)
//!   (wasmtime version, compiler settings, host CPU features) and this crate's
//!   version; the name holds its first 16 bytes. The file is a header
//!   ([`MAGIC`], the full identity, a keyed BLAKE3 MAC under the key over the
//!   magic, the identity and the artifact) followed by the bytes of
//!   [`Component::serialize`].
//! * **Loading** opens the artifact without following a symbolic link, checks
//!   that it is a regular file of this user that group and others cannot write,
//!   reads it once, checks the magic, the identity and the MAC over exactly the
//!   bytes read, and deserializes those same bytes: the path is not read again
//!   after the check. On Linux the bytes are read by the kernel into a sealed
//!   memory file (`memfd`, no change possible once sealed) that is verified and
//!   then mapped by wasmtime ([`load_sealed`]); elsewhere, or when that is not
//!   possible, into this process's memory ([`load_in_memory`]).
//! * **Failures** never fail the start: the artifact is not loaded (a warning
//!   says why), the component is compiled in memory, and the artifact is
//!   rewritten when the file found is a regular file of this user; a symbolic
//!   link, another type of file or another user's file is left alone (and not
//!   replaced). Artifacts are written to a new temporary file (`O_EXCL`, mode
//!   0600), synced and renamed into place, so readers never see partial files.
//! * **Pruning** keeps the [`CACHE_KEEP`] newest artifacts (always including the
//!   current one) among the files this program wrote: a name of the artifact
//!   scheme whose header and MAC verify under the key. Any other file is left
//!   alone.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File};
use std::hash::{Hash as _, Hasher};
use std::io::{self, Read as _, Write as _};
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

/// The key file in the cache directory.
const KEY_FILE: &str = "mac.key";

/// Bytes in the key.
const KEY_LEN: usize = 32;

/// The first bytes of every artifact this program writes (format version 1).
const MAGIC: &[u8; 8] = b"pdmcpcw1";

/// The header: [`MAGIC`], the identity, the MAC.
const HEADER_LEN: usize = MAGIC.len() + 32 + 32;

/// The largest artifact read (the tools component's is a few MiB).
const MAX_ARTIFACT_BYTES: u64 = 512 << 20;

/// The components in this process's memory. Held while loading, so that
/// concurrent sandboxes load or compile a component once.
fn loaded() -> std::sync::MutexGuard<'static, HashMap<Identity, Component>> {
    static LOADED: OnceLock<Mutex<HashMap<Identity, Component>>> = OnceLock::new();
    LOADED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// The compiled component: from this process's memory, the artifact
/// precompiled at build time, the disk cache, or compiled (and then cached).
/// `sha256` is the component's digest when known (computed at build time for
/// the embedded one); `embedded`: `wasm` is the embedded component, whose
/// artifact this binary carries ([`super::embedded`]).
pub(super) fn component(
    engine: &Engine,
    wasm: &[u8],
    sha256: Option<&str>,
    embedded: bool,
) -> anyhow::Result<Component> {
    let digest = match sha256 {
        Some(d) => d.to_owned(),
        None => hex(&Sha256::digest(wasm)),
    };
    let identity = Identity::new(engine, &digest);
    let mut loaded = loaded();
    if let Some(component) = loaded.get(&identity) {
        return Ok(component.clone());
    }
    if embedded
        && embedded_enabled(|name| std::env::var_os(name))
        && let Some(component) = load_embedded(engine)
    {
        loaded.insert(identity, component.clone());
        return Ok(component);
    }
    let dir = cache_dir_path(|name| std::env::var_os(name)).and_then(|path| {
        CacheDir::open(&path)
            .inspect_err(|problem| {
                tracing::warn!(
                    "not using the compiled-component cache {}: {problem}; compiling the \
                     component in memory (set {CACHE_DIR_VAR} to another directory, or to \
                     `off`)",
                    path.display()
                )
            })
            .ok()
    });
    let (component, _) = load_or_compile(engine, wasm, &identity, dir.as_ref())?;
    loaded.insert(identity, component.clone());
    Ok(component)
}

/// The variable that turns off the artifact precompiled at build time (`off`):
/// for measuring and testing the cache and the compiler.
const PRECOMPILED_VAR: &str = "PAGERDUTY_MCP_PRECOMPILED";

/// Whether the artifact precompiled at build time may be used (`var` reads a
/// variable): unless [`PRECOMPILED_VAR`] is `off`.
fn embedded_enabled(var: impl Fn(&str) -> Option<OsString>) -> bool {
    var(PRECOMPILED_VAR).is_none_or(|v| v != "off")
}

/// The component precompiled into this binary ([`super::embedded`]) when the
/// engine accepts it (wasmtime checks its version, the compiler settings and
/// that this CPU has every feature the code uses); `None`, with the reason
/// logged, when it does not: then the cache or the compiler provides it.
fn load_embedded(engine: &Engine) -> Option<Component> {
    let started = Instant::now();
    match super::embedded::component(engine) {
        Ok(component) => {
            tracing::debug!(
                source = "embedded",
                ms = started.elapsed().as_secs_f64() * 1000.0,
                "loaded the precompiled component"
            );
            Some(component)
        }
        Err(error) => {
            tracing::info!(
                "not using the precompiled component in this binary ({error:#}); using the \
                 compiled-component cache"
            );
            None
        }
    }
}

/// What [`load_or_compile`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CacheOutcome {
    /// A verified artifact was loaded from the cache directory.
    Loaded,
    /// The component was compiled in this process.
    Compiled {
        /// Why the file found under the artifact's name was not loaded (`None`:
        /// there was none, or there is no cache directory).
        rejected: Option<Problem>,
        /// Whether the new artifact was written to the cache directory.
        stored: bool,
    },
}

/// Why a cache directory, key or artifact is not used.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    /// No ownership and mode checks on this system.
    Unsupported,
    /// A symbolic link (never followed).
    Symlink,
    /// Not the expected type of file (`expected`: "a directory", "a regular file").
    WrongType(&'static str),
    /// Owned by another user.
    Owner { uid: u32, euid: u32 },
    /// Group or others have some of the `forbidden` permission bits.
    Mode { mode: u32, forbidden: u32 },
    /// The key file does not hold [`KEY_LEN`] bytes.
    KeyLength(u64),
    /// The key file's problem (the directory is then not used).
    Key(Box<Problem>),
    /// Larger than [`MAX_ARTIFACT_BYTES`].
    TooLarge(u64),
    /// No header of ours: not written by this program.
    NotOurs,
    /// Our header, for another component or engine configuration.
    OtherIdentity,
    /// The MAC does not verify: modified, or written with another key.
    Mac,
    /// Verified, but wasmtime cannot load it.
    Unusable(String),
    /// An I/O error.
    Io(String),
}

impl Problem {
    /// Whether the file found under the artifact's name may be replaced: only
    /// a regular file of this user.
    fn replaceable(&self) -> bool {
        matches!(
            self,
            Problem::Mode { .. }
                | Problem::TooLarge(_)
                | Problem::NotOurs
                | Problem::OtherIdentity
                | Problem::Mac
                | Problem::Unusable(_)
        )
    }
}

impl From<io::Error> for Problem {
    fn from(error: io::Error) -> Problem {
        Problem::Io(error.to_string())
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unsupported => {
                f.write_str("this system has no file ownership and modes to check")
            }
            Problem::Symlink => f.write_str("it is a symbolic link (not followed)"),
            Problem::WrongType(expected) => write!(f, "it is not {expected}"),
            Problem::Owner { uid, euid } => {
                write!(f, "it is owned by uid {uid}, not by this user (uid {euid})")
            }
            Problem::Mode { mode, forbidden } => {
                let access = if forbidden & 0o044 != 0 {
                    "read or write"
                } else {
                    "write"
                };
                write!(f, "its mode {mode:04o} lets group or others {access} it")
            }
            Problem::KeyLength(len) => write!(f, "it holds {len} bytes, not {KEY_LEN}"),
            Problem::Key(problem) => write!(f, "its key file {KEY_FILE}: {problem}"),
            Problem::TooLarge(len) => write!(f, "it is too large ({len} bytes)"),
            Problem::NotOurs => f.write_str("it was not written by pagerduty-mcp"),
            Problem::OtherIdentity => {
                f.write_str("it was compiled from another component or for another engine")
            }
            Problem::Mac => {
                f.write_str("its MAC does not verify: it was modified, or written with another key")
            }
            Problem::Unusable(error) => write!(f, "wasmtime cannot load it: {error}"),
            Problem::Io(error) => f.write_str(error),
        }
    }
}

/// What an artifact is compiled from and for: a SHA-256 over the component's
/// digest, the engine's compatibility hash and this crate's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Identity([u8; 32]);

impl Identity {
    /// The identity of the component with digest `component_sha256` compiled
    /// by `engine`.
    fn new(engine: &Engine, component_sha256: &str) -> Identity {
        /// Feeds what is hashed into a SHA-256.
        struct Feed<'a>(&'a mut Sha256);
        impl Hasher for Feed<'_> {
            fn write(&mut self, bytes: &[u8]) {
                self.0.update(bytes);
            }
            fn finish(&self) -> u64 {
                unreachable!("only fed")
            }
        }
        let mut h = Sha256::new();
        h.update(b"pagerduty-mcp compiled component\0");
        h.update(component_sha256.as_bytes());
        h.update(b"\0");
        engine
            .precompile_compatibility_hash()
            .hash(&mut Feed(&mut h));
        h.update(concat!("\0pagerduty-mcp-host ", env!("CARGO_PKG_VERSION")).as_bytes());
        Identity(h.finalize().into())
    }

    /// The artifact's file name: the first 16 bytes in hex, `.cwasm`.
    fn file_name(&self) -> String {
        format!("{}.cwasm", hex(&self.0[..16]))
    }
}

/// Whether `name` is of the artifact naming scheme (32 lowercase hex digits,
/// `.cwasm`).
fn is_artifact_name(name: &str) -> bool {
    name.strip_suffix(".cwasm").is_some_and(|stem| {
        stem.len() == 32
            && stem
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The secret key of a cache directory.
struct Key([u8; KEY_LEN]);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    /// The MAC of an artifact file: over the header's first part (magic and
    /// identity) and the artifact.
    fn mac(&self, magic_and_identity: &[u8], artifact: &[u8]) -> blake3::Hasher {
        let mut mac = blake3::Hasher::new_keyed(&self.0);
        mac.update(magic_and_identity);
        mac.update(artifact);
        mac
    }

    /// The header of the artifact `artifact` of `identity`.
    fn header(&self, identity: &Identity, artifact: &[u8]) -> [u8; HEADER_LEN] {
        let mut header = [0; HEADER_LEN];
        header[..MAGIC.len()].copy_from_slice(MAGIC);
        header[MAGIC.len()..MAGIC.len() + 32].copy_from_slice(&identity.0);
        let mac = self.mac(&header[..MAGIC.len() + 32], artifact).finalize();
        header[MAGIC.len() + 32..].copy_from_slice(mac.as_bytes());
        header
    }

    /// The artifact in `file` (the bytes of an artifact file) when its header
    /// is ours, names `expected` (any identity when `None`) and its MAC
    /// verifies; and the identity it names.
    fn verify<'a>(
        &self,
        file: &'a [u8],
        expected: Option<&Identity>,
    ) -> Result<(Identity, &'a [u8]), Problem> {
        let header: &[u8; HEADER_LEN] = file
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(Problem::NotOurs)?;
        let identity = read_header(header, expected)?;
        let artifact = &file[HEADER_LEN..];
        verify_mac(self.mac(&header[..MAGIC.len() + 32], artifact), header)?;
        Ok((identity, artifact))
    }
}

/// Whether `mac` (over everything the header's MAC covers) is the MAC
/// recorded in `header`; compared in constant time ([`blake3::Hash`]'s `==`).
fn verify_mac(mac: blake3::Hasher, header: &[u8; HEADER_LEN]) -> Result<(), Problem> {
    let mut recorded = [0; 32];
    recorded.copy_from_slice(&header[MAGIC.len() + 32..]);
    if mac.finalize() == blake3::Hash::from_bytes(recorded) {
        Ok(())
    } else {
        Err(Problem::Mac)
    }
}

/// The identity `header` names when it is a header of ours naming `expected`
/// (any identity when `None`); its MAC is not checked here.
fn read_header(
    header: &[u8; HEADER_LEN],
    expected: Option<&Identity>,
) -> Result<Identity, Problem> {
    if !header.starts_with(MAGIC) {
        return Err(Problem::NotOurs);
    }
    let identity = Identity(
        header[MAGIC.len()..MAGIC.len() + 32]
            .try_into()
            .expect("32 bytes"),
    );
    if expected.is_some_and(|expected| *expected != identity) {
        return Err(Problem::OtherIdentity);
    }
    Ok(identity)
}

/// An open, checked cache directory and its key.
#[derive(Debug)]
struct CacheDir {
    /// For messages only: files are reached through `dir`.
    path: PathBuf,
    dir: File,
    key: Key,
}

impl CacheDir {
    /// Creates `path` if needed (mode 0700), opens it without following a
    /// symbolic link, checks it and reads (or creates) its key.
    fn open(path: &Path) -> Result<CacheDir, Problem> {
        if !cfg!(unix) {
            return Err(Problem::Unsupported);
        }
        let created = sys::create_private_dir(path);
        let dir = match sys::open_dir(path) {
            Ok(dir) => dir,
            Err(error) => {
                return Err(match fs::symlink_metadata(path) {
                    Ok(meta) if meta.file_type().is_symlink() => Problem::Symlink,
                    Ok(meta) if !meta.is_dir() => Problem::WrongType("a directory"),
                    _ => created.err().unwrap_or(error).into(),
                });
            }
        };
        let meta = dir.metadata()?;
        if !meta.is_dir() {
            return Err(Problem::WrongType("a directory"));
        }
        check_owner_and_mode(&meta, 0o022)?;
        let key = read_or_create_key(&dir).map_err(|p| Problem::Key(Box::new(p)))?;
        Ok(CacheDir {
            path: path.to_owned(),
            dir,
            key,
        })
    }

    /// The bytes of the artifact file `name` (opened and checked by
    /// [`open_checked`]: a regular file of this user that group and others
    /// cannot write) and when it was last modified; `None` when there is none.
    fn read_artifact(&self, name: &str) -> Result<Option<(Vec<u8>, SystemTime)>, Problem> {
        let Some((file, meta)) = open_checked(&self.dir, name, 0o022)? else {
            return Ok(None);
        };
        if meta.len() > MAX_ARTIFACT_BYTES {
            return Err(Problem::TooLarge(meta.len()));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.take(MAX_ARTIFACT_BYTES + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_ARTIFACT_BYTES {
            return Err(Problem::TooLarge(bytes.len() as u64));
        }
        Ok(Some((bytes, meta.modified()?)))
    }

    /// Writes `component` as the artifact of `identity`, through a new
    /// temporary file (mode 0600) synced and renamed into place.
    fn store(&self, identity: &Identity, component: &Component) -> anyhow::Result<()> {
        let artifact = component.serialize().map_err(anyhow::Error::from)?;
        let header = self.key.header(identity, &artifact);
        let name = identity.file_name();
        write_new(&self.dir, &name, false, |file| {
            file.write_all(&header)?;
            file.write_all(&artifact)
        })?;
        Ok(())
    }

    /// Keeps the [`CACHE_KEEP`] newest artifacts this program wrote, always
    /// including `keep` (a file name); every other file is left alone.
    fn prune(&self, keep: &str) {
        let Ok(names) = sys::names(&self.dir) else {
            return;
        };
        let mut ours: Vec<(SystemTime, String)> = names
            .into_iter()
            .filter(|name| is_artifact_name(name) && name != keep)
            .filter_map(|name| {
                let (bytes, modified) = self.read_artifact(&name).ok()??;
                let (identity, _) = self.key.verify(&bytes, None).ok()?;
                (identity.file_name() == name).then_some((modified, name))
            })
            .collect();
        ours.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
        for (_, old) in ours.into_iter().skip(CACHE_KEEP.saturating_sub(1)) {
            match sys::remove(&self.dir, &old) {
                Ok(()) => tracing::debug!(name = %old, "removed an old compiled component"),
                Err(error) => {
                    tracing::debug!(name = %old, "could not remove an old compiled component: {error}")
                }
            }
        }
    }
}

/// Opens `name` in `dir` for reading without following a symbolic link, and
/// checks that it is a regular file of this user on which group and others
/// have none of the `forbidden` permission bits; `None` when there is no file
/// of that name.
fn open_checked(
    dir: &File,
    name: &str,
    forbidden: u32,
) -> Result<Option<(File, fs::Metadata)>, Problem> {
    let file = match sys::open_read(dir, name) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(if sys::is_symlink(dir, name) {
                Problem::Symlink
            } else {
                error.into()
            });
        }
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Problem::WrongType("a regular file"));
    }
    check_owner_and_mode(&meta, forbidden)?;
    Ok(Some((file, meta)))
}

/// Writes the file `name` in `dir` through a temporary file: created
/// (`O_EXCL`, mode 0600, no symbolic link followed), filled by `write`,
/// synced, and renamed into place (`link` false: replaces `name`) or linked
/// (`link` true: fails if `name` exists).
fn write_new(
    dir: &File,
    name: &str,
    link: bool,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let tmp = format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut file = sys::create_new(dir, &tmp)?;
    let result = (|| {
        write(&mut file)?;
        file.sync_all()?;
        if link {
            sys::link(dir, &tmp, name)
        } else {
            sys::rename(dir, &tmp, name)
        }
    })();
    if result.is_err() || link {
        let _ = sys::remove(dir, &tmp);
    }
    result
}

/// The key of the cache directory `dir`: read from [`KEY_FILE`] (checked: a
/// regular file of this user, no access for group or others, [`KEY_LEN`]
/// bytes), or created there from the operating system's random source.
fn read_or_create_key(dir: &File) -> Result<Key, Problem> {
    // Twice at most: a concurrent start may create the key between our
    // attempts to read and to create it.
    for _ in 0..2 {
        if let Some((mut file, meta)) = open_checked(dir, KEY_FILE, 0o077)? {
            if meta.len() != KEY_LEN as u64 {
                return Err(Problem::KeyLength(meta.len()));
            }
            let mut key = [0; KEY_LEN];
            file.read_exact(&mut key)?;
            return Ok(Key(key));
        }
        let mut key = [0; KEY_LEN];
        getrandom::fill(&mut key).map_err(|e| Problem::Io(format!("no random bytes: {e}")))?;
        match write_new(dir, KEY_FILE, true, |file| file.write_all(&key)) {
            Ok(()) => {
                tracing::debug!("created the key of the compiled-component cache");
                return Ok(Key(key));
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(Problem::Io("the key file keeps changing".into()))
}

/// Checks that `meta` is of a file owned by this user, with none of the
/// `forbidden` permission bits.
fn check_owner_and_mode(meta: &fs::Metadata, forbidden: u32) -> Result<(), Problem> {
    let (uid, mode) = sys::owner_and_mode(meta)?;
    check_owner_and_mode_of(uid, mode, sys::euid(), forbidden)
}

/// [`check_owner_and_mode`] for a file of owner `uid` and mode `mode` checked
/// by user `euid`.
fn check_owner_and_mode_of(uid: u32, mode: u32, euid: u32, forbidden: u32) -> Result<(), Problem> {
    if uid != euid {
        return Err(Problem::Owner { uid, euid });
    }
    if mode & forbidden != 0 {
        return Err(Problem::Mode {
            mode: mode & 0o7777,
            forbidden,
        });
    }
    Ok(())
}

/// The component of `identity` from its artifact in `dir`, read once and
/// verified; `None` when there is no file of the artifact's name. Through a
/// sealed memory file where the system has them ([`load_sealed`]), else
/// through this process's memory ([`load_in_memory`]).
fn load_verified(
    engine: &Engine,
    identity: &Identity,
    dir: &CacheDir,
) -> Result<Option<Component>, Problem> {
    match load_sealed(engine, identity, dir) {
        Ok(loaded) => Ok(loaded),
        Err(Sealed::Refused(problem)) => Err(problem),
        Err(Sealed::Unavailable(error)) => {
            tracing::debug!("loading the compiled component through memory: {error:#}");
            load_in_memory(engine, identity, dir)
        }
    }
}

/// Why [`load_sealed`] did not load a component.
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
enum Sealed {
    /// The artifact is not loaded, for this reason.
    Refused(Problem),
    /// This way of loading does not work here (or wasmtime refused the
    /// artifact, which [`load_in_memory`] then tells apart).
    Unavailable(anyhow::Error),
}

impl From<Problem> for Sealed {
    fn from(problem: Problem) -> Sealed {
        Sealed::Refused(problem)
    }
}

/// [`load_verified`] through a sealed memory file (Linux): the artifact is
/// copied by the kernel from the checked, open file into a new `memfd`, which
/// is then sealed against any change; its MAC is computed over that sealed
/// copy, and wasmtime maps the same copy (through `/proc/self/fd`). Every byte
/// loaded is a byte verified, like [`load_in_memory`], without copying the
/// artifact twice through fresh memory (half a millisecond or more less at
/// start-up: page faults are slow on small virtual machines).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn load_sealed(
    engine: &Engine,
    identity: &Identity,
    dir: &CacheDir,
) -> Result<Option<Component>, Sealed> {
    use std::os::unix::fs::FileExt as _;

    let Some((file, meta)) = open_checked(&dir.dir, &identity.file_name(), 0o022)? else {
        return Ok(None);
    };
    if meta.len() > MAX_ARTIFACT_BYTES {
        return Err(Problem::TooLarge(meta.len()).into());
    }
    let mut header = [0; HEADER_LEN];
    file.read_exact_at(&mut header, 0)
        .map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => Problem::NotOurs,
            _ => e.into(),
        })?;
    read_header(&header, Some(identity))?;
    let unavailable = |e: io::Error| Sealed::Unavailable(e.into());
    let copy =
        sys::sealed_copy(&file, HEADER_LEN as u64, MAX_ARTIFACT_BYTES).map_err(|e| {
            match e.kind() {
                io::ErrorKind::FileTooLarge => Sealed::Refused(Problem::TooLarge(meta.len())),
                _ => unavailable(e),
            }
        })?;
    let mut mac = dir.key.mac(&header[..MAGIC.len() + 32], &[]);
    let mut buf = vec![0; 64 << 10];
    let mut at = 0;
    loop {
        let n = copy.read_at(&mut buf, at).map_err(unavailable)?;
        if n == 0 {
            break;
        }
        mac.update(&buf[..n]);
        at += n as u64;
    }
    verify_mac(mac, &header)?;
    let path = sys::fd_path(&copy);
    // SAFETY: wasmtime runs these bytes as machine code. They are the sealed
    // copy just verified (nobody can change it any more, the artifact's path
    // is not read again), and their MAC verified under this user's key
    // (readable only by this user, in a directory only this user can write),
    // bound to this component and engine: they are what
    // `Component::serialize` of this component gave when this program stored
    // it.
    let component = unsafe { Component::deserialize_file(engine, &path) }
        .map_err(|e| Sealed::Unavailable(anyhow::Error::from(e)))?;
    Ok(Some(component))
}

/// Without sealed memory files: never available.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn load_sealed(_: &Engine, _: &Identity, _: &CacheDir) -> Result<Option<Component>, Sealed> {
    Err(Sealed::Unavailable(anyhow::anyhow!(
        "no sealed memory files on this system"
    )))
}

/// [`load_verified`] through this process's memory: the artifact file is read
/// once into memory, verified there, and deserialized from those same bytes.
fn load_in_memory(
    engine: &Engine,
    identity: &Identity,
    dir: &CacheDir,
) -> Result<Option<Component>, Problem> {
    let Some((bytes, _)) = dir.read_artifact(&identity.file_name())? else {
        return Ok(None);
    };
    let (_, artifact) = dir.key.verify(&bytes, Some(identity))?;
    // SAFETY: wasmtime runs these bytes as machine code. They are the bytes
    // just read (the path is not read again), and their MAC verified under
    // this user's key (readable only by this user, in a directory only this
    // user can write), bound to this component and engine: they are what
    // `Component::serialize` of this component gave when this program stored
    // it.
    match unsafe { Component::deserialize(engine, artifact) } {
        Ok(component) => Ok(Some(component)),
        Err(error) => Err(Problem::Unusable(format!("{error:#}"))),
    }
}

/// The component of `identity` from its verified artifact in `dir`, else
/// compiled from `wasm` and stored there; `dir` is `None` when caching is off.
fn load_or_compile(
    engine: &Engine,
    wasm: &[u8],
    identity: &Identity,
    dir: Option<&CacheDir>,
) -> anyhow::Result<(Component, CacheOutcome)> {
    let name = identity.file_name();
    let mut rejected = None;
    if let Some(dir) = dir {
        let started = Instant::now();
        match load_verified(engine, identity, dir) {
            Ok(Some(component)) => {
                tracing::debug!(
                    path = %dir.path.join(&name).display(),
                    ms = started.elapsed().as_secs_f64() * 1000.0,
                    "loaded the precompiled component"
                );
                return Ok((component, CacheOutcome::Loaded));
            }
            Ok(None) => {}
            Err(problem) => {
                tracing::warn!(
                    "not loading the cached compiled component {}: {problem}; compiling it{}",
                    dir.path.join(&name).display(),
                    if problem.replaceable() {
                        " again"
                    } else {
                        " in memory (that file is left alone)"
                    }
                );
                rejected = Some(problem);
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
    let mut stored = false;
    if let Some(dir) = dir
        && rejected.as_ref().is_none_or(Problem::replaceable)
    {
        match dir.store(identity, &component) {
            Ok(()) => {
                tracing::debug!(path = %dir.path.join(&name).display(), "cached the compiled component");
                stored = true;
                dir.prune(&name);
            }
            Err(error) => {
                tracing::warn!(dir = %dir.path.display(), "could not cache the compiled component: {error:#}")
            }
        }
    }
    Ok((component, CacheOutcome::Compiled { rejected, stored }))
}

/// The cache directory named by the environment (`var` reads a variable);
/// `None` when caching is off or there is no home directory.
fn cache_dir_path(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    match var(CACHE_DIR_VAR) {
        Some(v) if v == "off" || v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => match var("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            Some(xdg) => Some(PathBuf::from(xdg).join("pagerduty-mcp")),
            None => Some(
                PathBuf::from(var("HOME").filter(|v| !v.is_empty())?)
                    .join(".cache")
                    .join("pagerduty-mcp"),
            ),
        },
    }
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

/// The file operations of the cache, relative to an open directory and never
/// following a symbolic link.
#[cfg(unix)]
mod sys {
    use std::fs::{self, File};
    use std::io;
    use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
    use std::path::Path;

    use rustix::fs::{AtFlags, FileType, Mode, OFlags};

    use super::Problem;

    /// The effective user id.
    pub(super) fn euid() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    /// The owner and mode of a file.
    pub(super) fn owner_and_mode(meta: &fs::Metadata) -> Result<(u32, u32), Problem> {
        Ok((meta.uid(), meta.mode()))
    }

    /// Creates `path` and its missing parents, mode 0700 (an existing
    /// directory is left as it is).
    pub(super) fn create_private_dir(path: &Path) -> io::Result<()> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
    }

    /// Opens the directory `path`, failing if its last component is a
    /// symbolic link.
    pub(super) fn open_dir(path: &Path) -> io::Result<File> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        Ok(rustix::fs::openat(rustix::fs::CWD, path, flags, Mode::empty())?.into())
    }

    /// Opens `name` in `dir` for reading, failing if it is a symbolic link
    /// (and not waiting if it is a FIFO).
    pub(super) fn open_read(dir: &File, name: &str) -> io::Result<File> {
        let flags =
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY;
        Ok(rustix::fs::openat(dir, name, flags, Mode::empty())?.into())
    }

    /// Whether `name` in `dir` is a symbolic link.
    pub(super) fn is_symlink(dir: &File, name: &str) -> bool {
        rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|st| FileType::from_raw_mode(st.st_mode as _) == FileType::Symlink)
    }

    /// Creates the new file `name` in `dir` for writing, mode 0600; fails if
    /// anything (a symbolic link included) exists under that name.
    pub(super) fn create_new(dir: &File, name: &str) -> io::Result<File> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mode = Mode::RUSR | Mode::WUSR;
        Ok(rustix::fs::openat(dir, name, flags, mode)?.into())
    }

    /// Renames `from` to `to` in `dir`, replacing `to`.
    pub(super) fn rename(dir: &File, from: &str, to: &str) -> io::Result<()> {
        Ok(rustix::fs::renameat(dir, from, dir, to)?)
    }

    /// Links `from` as `to` in `dir`; fails if `to` exists.
    pub(super) fn link(dir: &File, from: &str, to: &str) -> io::Result<()> {
        Ok(rustix::fs::linkat(dir, from, dir, to, AtFlags::empty())?)
    }

    /// Removes the file `name` from `dir`.
    pub(super) fn remove(dir: &File, name: &str) -> io::Result<()> {
        Ok(rustix::fs::unlinkat(dir, name, AtFlags::empty())?)
    }

    /// A copy of `file` from `offset` to its end (at most `max` bytes, else
    /// `FileTooLarge`) in a new memory file, sealed: its size and content can
    /// no longer change.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(super) fn sealed_copy(file: &File, mut offset: u64, max: u64) -> io::Result<File> {
        use rustix::fs::{MemfdFlags, SealFlags};
        let copy = File::from(rustix::fs::memfd_create(
            "pagerduty-mcp-component",
            MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
        )?);
        let start = offset;
        loop {
            let left = (max + 1).saturating_sub(offset - start).min(1 << 30);
            let n = rustix::fs::sendfile(&copy, file, Some(&mut offset), left as usize)?;
            if n == 0 {
                break;
            }
            if offset - start > max {
                return Err(io::ErrorKind::FileTooLarge.into());
            }
        }
        rustix::fs::fcntl_add_seals(
            &copy,
            SealFlags::SEAL | SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE,
        )?;
        Ok(copy)
    }

    /// A path that opens `file` again (Linux's `/proc/self/fd`).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(super) fn fd_path(file: &File) -> std::path::PathBuf {
        use std::os::fd::AsRawFd as _;
        format!("/proc/self/fd/{}", file.as_raw_fd()).into()
    }

    /// The names in `dir` that are UTF-8.
    pub(super) fn names(dir: &File) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in rustix::fs::Dir::read_from(dir)? {
            let entry = entry?;
            if let Ok(name) = std::str::from_utf8(entry.file_name().to_bytes())
                && name != "."
                && name != ".."
            {
                names.push(name.to_owned());
            }
        }
        Ok(names)
    }
}

/// Without Unix ownership and modes there is nothing to check a cache
/// directory against: it is never used.
#[cfg(not(unix))]
mod sys {
    use std::fs::{self, File};
    use std::io;
    use std::path::Path;

    use super::Problem;

    fn unsupported<T>() -> io::Result<T> {
        Err(io::ErrorKind::Unsupported.into())
    }

    pub(super) fn euid() -> u32 {
        0
    }

    pub(super) fn owner_and_mode(_: &fs::Metadata) -> Result<(u32, u32), Problem> {
        Err(Problem::Unsupported)
    }

    pub(super) fn create_private_dir(_: &Path) -> io::Result<()> {
        unsupported()
    }

    pub(super) fn open_dir(_: &Path) -> io::Result<File> {
        unsupported()
    }

    pub(super) fn open_read(_: &File, _: &str) -> io::Result<File> {
        unsupported()
    }

    pub(super) fn is_symlink(_: &File, _: &str) -> bool {
        false
    }

    pub(super) fn create_new(_: &File, _: &str) -> io::Result<File> {
        unsupported()
    }

    pub(super) fn rename(_: &File, _: &str, _: &str) -> io::Result<()> {
        unsupported()
    }

    pub(super) fn link(_: &File, _: &str, _: &str) -> io::Result<()> {
        unsupported()
    }

    pub(super) fn remove(_: &File, _: &str) -> io::Result<()> {
        unsupported()
    }

    pub(super) fn names(_: &File) -> io::Result<Vec<String>> {
        unsupported()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    use std::time::Duration;

    /// The smallest component: compiles in milliseconds.
    const EMPTY_COMPONENT: &str = "(component)";
    /// Another component, so another identity.
    const OTHER_COMPONENT: &str = "(component (core module))";
    /// A component that does something: `answer` returns 42.
    const ANSWER_COMPONENT: &str = r#"(component
        (core module $m (func (export "f") (result i32) i32.const 42))
        (core instance $i (instantiate $m))
        (func $f (result u32) (canon lift (core func $i "f")))
        (export "answer" (func $f)))"#;

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
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        /// The path of a private cache directory inside it.
        fn cache_path(&self) -> PathBuf {
            self.0.join("cache")
        }

        /// A private cache directory inside it, open.
        fn cache(&self) -> CacheDir {
            CacheDir::open(&self.cache_path()).unwrap()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn engine() -> &'static Engine {
        super::super::engine(1).unwrap().0
    }

    fn identity_of(wasm: &str) -> Identity {
        Identity::new(engine(), &hex(&Sha256::digest(wasm.as_bytes())))
    }

    fn load(wasm: &str, dir: Option<&CacheDir>) -> (Component, CacheOutcome) {
        load_or_compile(engine(), wasm.as_bytes(), &identity_of(wasm), dir).unwrap()
    }

    fn outcome(wasm: &str, dir: &CacheDir) -> CacheOutcome {
        load(wasm, Some(dir)).1
    }

    fn compiled(rejected: Option<Problem>, stored: bool) -> CacheOutcome {
        CacheOutcome::Compiled { rejected, stored }
    }

    /// The path of the artifact of `wasm` in `dir`.
    fn artifact_path(dir: &CacheDir, wasm: &str) -> PathBuf {
        dir.path.join(identity_of(wasm).file_name())
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn set_mode(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().mode() & 0o7777
    }

    fn is_root() -> bool {
        sys::euid() == 0
    }

    /// Calls `answer` of an instance of `component`.
    fn answer(component: &Component) -> u32 {
        let mut store = wasmtime::Store::new(engine(), ());
        store.set_epoch_deadline(1 << 40);
        let linker = wasmtime::component::Linker::new(engine());
        let instance = linker.instantiate(&mut store, component).unwrap();
        let f = instance
            .get_typed_func::<(), (u32,)>(&mut store, "answer")
            .unwrap();
        f.call(&mut store, ()).unwrap().0
    }

    #[test]
    fn the_second_load_comes_from_disk() {
        let tmp = TempDir::new("hit");
        let dir = tmp.cache();
        assert_eq!(outcome(EMPTY_COMPONENT, &dir), compiled(None, true));
        // The artifact (0600) and the key (0600): the temporary files were
        // renamed or linked into place and removed.
        let name = identity_of(EMPTY_COMPONENT).file_name();
        let mut expected = vec![name.clone(), KEY_FILE.to_owned()];
        expected.sort();
        assert_eq!(names(&dir.path), expected);
        assert_eq!(mode(&dir.path.join(&name)), 0o600);
        assert_eq!(mode(&dir.path.join(KEY_FILE)), 0o600);
        assert_eq!(mode(&dir.path), 0o700);
        assert_eq!(outcome(EMPTY_COMPONENT, &dir), CacheOutcome::Loaded);

        // Another process (another open of the directory) loads it too.
        let again = tmp.cache();
        assert_eq!(outcome(EMPTY_COMPONENT, &again), CacheOutcome::Loaded);
    }

    #[test]
    fn a_loaded_component_works() {
        let tmp = TempDir::new("works");
        let dir = tmp.cache();
        let (component, first) = load(ANSWER_COMPONENT, Some(&dir));
        assert_eq!(first, compiled(None, true));
        assert_eq!(answer(&component), 42);
        let (component, second) = load(ANSWER_COMPONENT, Some(&dir));
        assert_eq!(second, CacheOutcome::Loaded);
        assert_eq!(answer(&component), 42);
    }

    /// Both ways of loading ([`load_sealed`], [`load_in_memory`]) load a
    /// valid artifact and refuse the same files for the same reasons.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn both_ways_of_loading_verify_the_same() {
        let tmp = TempDir::new("both");
        let dir = tmp.cache();
        let identity = identity_of(ANSWER_COMPONENT);
        let path = artifact_path(&dir, ANSWER_COMPONENT);
        outcome(ANSWER_COMPONENT, &dir);
        let good = fs::read(&path).unwrap();

        let sealed = || match load_sealed(engine(), &identity, &dir) {
            Ok(loaded) => Ok(loaded),
            Err(Sealed::Refused(problem)) => Err(problem),
            Err(Sealed::Unavailable(error)) => panic!("no sealed copy: {error:#}"),
        };
        let in_memory = || load_in_memory(engine(), &identity, &dir);
        assert_eq!(answer(&sealed().unwrap().unwrap()), 42);
        assert_eq!(answer(&in_memory().unwrap().unwrap()), 42);

        let flip = |at: usize| {
            let mut bad = good.clone();
            bad[at] ^= 0x80;
            bad
        };
        let other = {
            let mut other = good.clone();
            other[MAGIC.len()] ^= 1;
            other
        };
        for (bad, problem) in [
            (flip(good.len() / 2), Problem::Mac),
            (flip(HEADER_LEN), Problem::Mac),
            (flip(good.len() - 1), Problem::Mac),
            (flip(HEADER_LEN - 1), Problem::Mac),
            (good[..good.len() - 1].to_vec(), Problem::Mac),
            ([&good[..], b"x"].concat(), Problem::Mac),
            (other, Problem::OtherIdentity),
            (flip(0), Problem::NotOurs),
            (good[..HEADER_LEN - 1].to_vec(), Problem::NotOurs),
            (Vec::new(), Problem::NotOurs),
        ] {
            fs::write(&path, &bad).unwrap();
            assert_eq!(sealed().err(), Some(problem.clone()), "{}", bad.len());
            assert_eq!(in_memory().err(), Some(problem), "{}", bad.len());
        }
        fs::remove_file(&path).unwrap();
        assert!(sealed().unwrap().is_none());
        assert!(in_memory().unwrap().is_none());
    }

    #[test]
    fn without_a_directory_every_load_compiles() {
        for _ in 0..2 {
            assert_eq!(load(EMPTY_COMPONENT, None).1, compiled(None, false));
        }
    }

    #[test]
    fn a_tampered_artifact_is_not_loaded_but_recompiled() {
        let tmp = TempDir::new("tampered");
        let dir = tmp.cache();
        let path = artifact_path(&dir, ANSWER_COMPONENT);
        outcome(ANSWER_COMPONENT, &dir);
        let good = fs::read(&path).unwrap();
        // One flipped bit anywhere: in the magic, the identity, the MAC, the
        // start, the middle and the end of the artifact (its machine code).
        let len = good.len();
        for at in [0, 10, 50, HEADER_LEN, HEADER_LEN + 100, len / 2, len - 1] {
            let mut bad = good.clone();
            bad[at] ^= 0x01;
            fs::write(&path, &bad).unwrap();
            let (component, result) = load(ANSWER_COMPONENT, Some(&dir));
            let expected = match at {
                0 => Problem::NotOurs,
                10 => Problem::OtherIdentity,
                _ => Problem::Mac,
            };
            assert_eq!(result, compiled(Some(expected), true), "byte {at}");
            assert_eq!(answer(&component), 42);
            assert_eq!(fs::read(&path).unwrap(), good, "rewritten, byte {at}");
            assert_eq!(outcome_of_load(&dir), CacheOutcome::Loaded);
        }
        // Cut short, or a byte added.
        for bad in [&good[..len - 1], &[&good[..], b"\0"].concat()] {
            fs::write(&path, bad).unwrap();
            assert_eq!(
                outcome(ANSWER_COMPONENT, &dir),
                compiled(Some(Problem::Mac), true)
            );
        }
        // The rewritten artifact is a new file of mode 0600.
        assert_eq!(mode(&path), 0o600);

        fn outcome_of_load(dir: &CacheDir) -> CacheOutcome {
            let (component, result) = load(ANSWER_COMPONENT, Some(dir));
            assert_eq!(answer(&component), 42);
            result
        }
    }

    #[test]
    fn a_corrupt_or_foreign_file_is_recompiled_and_replaced() {
        let tmp = TempDir::new("corrupt");
        let dir = tmp.cache();
        let path = artifact_path(&dir, EMPTY_COMPONENT);
        // A plain wasmtime artifact of this very component, without our header.
        let plain = Component::new(engine(), EMPTY_COMPONENT)
            .unwrap()
            .serialize()
            .unwrap();
        for garbage in [
            &b""[..],
            b"not a compiled component",
            b"\x7fELF\x02\x01\x01",
            &plain,
        ] {
            fs::write(&path, garbage).unwrap();
            assert_eq!(
                outcome(EMPTY_COMPONENT, &dir),
                compiled(Some(Problem::NotOurs), true),
                "{:?}",
                &garbage[..garbage.len().min(16)]
            );
            assert_ne!(fs::read(&path).unwrap(), garbage, "the file was replaced");
            assert_eq!(outcome(EMPTY_COMPONENT, &dir), CacheOutcome::Loaded);
        }
    }

    #[test]
    fn another_components_artifact_under_our_name_is_refused() {
        let tmp = TempDir::new("other");
        let dir = tmp.cache();
        let ours = artifact_path(&dir, ANSWER_COMPONENT);
        let theirs = artifact_path(&dir, OTHER_COMPONENT);
        outcome(OTHER_COMPONENT, &dir);
        let other = fs::read(&theirs).unwrap();

        // Its valid artifact, moved under our name: its header names it.
        fs::write(&ours, &other).unwrap();
        assert_eq!(
            outcome(ANSWER_COMPONENT, &dir),
            compiled(Some(Problem::OtherIdentity), true)
        );

        // The same bytes with our identity written into the header: the MAC
        // binds the artifact to its identity.
        let mut forged = other.clone();
        let ours_id = identity_of(ANSWER_COMPONENT);
        forged[MAGIC.len()..MAGIC.len() + 32].copy_from_slice(&ours_id.0);
        fs::write(&ours, &forged).unwrap();
        let (component, result) = load(ANSWER_COMPONENT, Some(&dir));
        assert_eq!(result, compiled(Some(Problem::Mac), true));
        assert_eq!(answer(&component), 42);

        // Our own artifact, from another cache directory (another key).
        let elsewhere = TempDir::new("other-key");
        let other_dir = elsewhere.cache();
        outcome(ANSWER_COMPONENT, &other_dir);
        fs::copy(artifact_path(&other_dir, ANSWER_COMPONENT), &ours).unwrap();
        assert_eq!(
            outcome(ANSWER_COMPONENT, &dir),
            compiled(Some(Problem::Mac), true)
        );
        assert_eq!(outcome(ANSWER_COMPONENT, &dir), CacheOutcome::Loaded);
    }

    #[test]
    fn the_identity_follows_the_component_and_the_engine() {
        let a = Identity::new(engine(), &"a".repeat(64));
        assert_eq!(a, Identity::new(engine(), &"a".repeat(64)));
        assert_ne!(a, Identity::new(engine(), &"b".repeat(64)));
        assert_ne!(identity_of(EMPTY_COMPONENT), identity_of(OTHER_COMPONENT));
        // Another engine configuration: another identity.
        let mut config = wasmtime::Config::new();
        config
            .wasm_component_model(true)
            .cranelift_opt_level(wasmtime::OptLevel::None);
        let other_engine = Engine::new(&config).unwrap();
        assert_ne!(a, Identity::new(&other_engine, &"a".repeat(64)));

        let name = a.file_name();
        assert!(is_artifact_name(&name), "{name}");
        assert_eq!(name.len(), 32 + ".cwasm".len());
        for not_ours in [
            "foo.cwasm",
            "0123456789abcdef0123456789ABCDEF.cwasm",
            "0123456789abcdef0123456789abcdef.cwasm.tmp",
            "0123456789abcdef0123456789abcde.cwasm",
            "mac.key",
        ] {
            assert!(!is_artifact_name(not_ours), "{not_ours}");
        }
    }

    #[test]
    fn a_symlinked_artifact_is_refused_and_left_alone() {
        let tmp = TempDir::new("symlink-artifact");
        let dir = tmp.cache();
        let path = artifact_path(&dir, EMPTY_COMPONENT);
        outcome(EMPTY_COMPONENT, &dir);
        // A valid artifact, reached through a symbolic link.
        let target = tmp.0.join("elsewhere.cwasm");
        fs::rename(&path, &target).unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let before = fs::read(&target).unwrap();
        for _ in 0..2 {
            assert_eq!(
                outcome(EMPTY_COMPONENT, &dir),
                compiled(Some(Problem::Symlink), false)
            );
        }
        assert!(fs::symlink_metadata(&path).unwrap().is_symlink());
        assert_eq!(fs::read(&target).unwrap(), before);
    }

    #[test]
    fn other_types_of_file_are_refused_and_left_alone() {
        let tmp = TempDir::new("types");
        let dir = tmp.cache();
        let path = artifact_path(&dir, EMPTY_COMPONENT);
        fs::create_dir(&path).unwrap();
        assert_eq!(
            outcome(EMPTY_COMPONENT, &dir),
            compiled(Some(Problem::WrongType("a regular file")), false)
        );
        assert!(path.is_dir());
        fs::remove_dir(&path).unwrap();
        // A FIFO does not make the start wait for a writer.
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        assert_eq!(
            outcome(EMPTY_COMPONENT, &dir),
            compiled(Some(Problem::WrongType("a regular file")), false)
        );
    }

    #[test]
    fn a_group_or_world_writable_artifact_is_refused_and_replaced() {
        let tmp = TempDir::new("writable-artifact");
        let dir = tmp.cache();
        let path = artifact_path(&dir, EMPTY_COMPONENT);
        outcome(EMPTY_COMPONENT, &dir);
        for writable in [0o620, 0o602, 0o666] {
            set_mode(&path, writable);
            assert_eq!(
                outcome(EMPTY_COMPONENT, &dir),
                compiled(
                    Some(Problem::Mode {
                        mode: writable,
                        forbidden: 0o022
                    }),
                    true
                )
            );
            assert_eq!(mode(&path), 0o600);
        }
        // Readable by others is fine: the artifact is no secret.
        set_mode(&path, 0o644);
        assert_eq!(outcome(EMPTY_COMPONENT, &dir), CacheOutcome::Loaded);
    }

    #[test]
    fn files_of_another_user_are_refused() {
        // The check itself, for any user.
        assert_eq!(check_owner_and_mode_of(1000, 0o600, 1000, 0o077), Ok(()));
        assert_eq!(
            check_owner_and_mode_of(1001, 0o600, 1000, 0o077),
            Err(Problem::Owner {
                uid: 1001,
                euid: 1000
            })
        );
        assert_eq!(
            check_owner_and_mode_of(0, 0o700, 1000, 0o022),
            Err(Problem::Owner { uid: 0, euid: 1000 })
        );
        assert_eq!(
            check_owner_and_mode_of(1000, 0o100640, 1000, 0o077),
            Err(Problem::Mode {
                mode: 0o640,
                forbidden: 0o077
            })
        );
        assert_eq!(check_owner_and_mode_of(1000, 0o40755, 1000, 0o022), Ok(()));

        // Real files, when this test may give them away (root).
        if !is_root() {
            return;
        }
        const OTHER: u32 = 4242;
        let chown = |path: &Path| std::os::unix::fs::chown(path, Some(OTHER), None).unwrap();
        let other = Problem::Owner {
            uid: OTHER,
            euid: 0,
        };

        let tmp = TempDir::new("owner");
        let dir = tmp.cache();
        let path = artifact_path(&dir, EMPTY_COMPONENT);
        outcome(EMPTY_COMPONENT, &dir);
        chown(&path);
        let before = fs::read(&path).unwrap();
        assert_eq!(
            outcome(EMPTY_COMPONENT, &dir),
            compiled(Some(other.clone()), false)
        );
        assert_eq!(fs::metadata(&path).unwrap().uid(), OTHER, "left alone");
        assert_eq!(fs::read(&path).unwrap(), before);

        chown(&dir.path.join(KEY_FILE));
        assert_eq!(
            CacheDir::open(&dir.path).unwrap_err(),
            Problem::Key(Box::new(other.clone()))
        );

        chown(&dir.path);
        assert_eq!(CacheDir::open(&dir.path).unwrap_err(), other);
    }

    #[test]
    fn a_symlinked_cache_directory_is_refused() {
        let tmp = TempDir::new("symlink-dir");
        let real = tmp.cache();
        outcome(EMPTY_COMPONENT, &real);
        let link = tmp.0.join("link");
        std::os::unix::fs::symlink(&real.path, &link).unwrap();
        assert_eq!(CacheDir::open(&link).unwrap_err(), Problem::Symlink);
        // Also when it does not lead anywhere.
        let dangling = tmp.0.join("dangling");
        std::os::unix::fs::symlink(tmp.0.join("nowhere"), &dangling).unwrap();
        assert_eq!(CacheDir::open(&dangling).unwrap_err(), Problem::Symlink);
        assert!(!tmp.0.join("nowhere").exists());
        // A directory below a symbolic link is fine: only its own entry is
        // checked (and then reached through the open directory).
        let below = link.join("sub");
        let opened = CacheDir::open(&below).unwrap();
        assert_eq!(outcome(EMPTY_COMPONENT, &opened), compiled(None, true));
        // A file is not a directory.
        let file = tmp.0.join("file");
        fs::write(&file, "").unwrap();
        assert_eq!(
            CacheDir::open(&file).unwrap_err(),
            Problem::WrongType("a directory")
        );
    }

    #[test]
    fn a_group_or_world_writable_cache_directory_is_refused() {
        let tmp = TempDir::new("private");
        let path = tmp.0.join("a").join("b");
        CacheDir::open(&path).unwrap();
        assert_eq!(mode(&path), 0o700);
        for writable in [0o770, 0o707, 0o777, 0o1777] {
            set_mode(&path, writable);
            assert_eq!(
                CacheDir::open(&path).unwrap_err(),
                Problem::Mode {
                    mode: writable,
                    forbidden: 0o022
                }
            );
        }
        // Readable by others is fine: the key is not.
        set_mode(&path, 0o755);
        CacheDir::open(&path).unwrap();
    }

    #[test]
    fn the_key_is_private_and_checked() {
        let tmp = TempDir::new("key");
        let dir = tmp.cache();
        let key = dir.path.join(KEY_FILE);
        assert_eq!(mode(&key), 0o600);
        assert_eq!(fs::read(&key).unwrap().len(), KEY_LEN);
        assert_eq!(fs::read(&key).unwrap(), dir.key.0);
        // The same key on the next open.
        assert_eq!(tmp.cache().key.0, dir.key.0);
        // Another directory, another key.
        let other = TempDir::new("key2");
        assert_ne!(other.cache().key.0, dir.key.0);

        let refused = |p: Problem| Problem::Key(Box::new(p));
        for open in [0o640, 0o604, 0o660, 0o606] {
            set_mode(&key, open);
            assert_eq!(
                CacheDir::open(&dir.path).unwrap_err(),
                refused(Problem::Mode {
                    mode: open,
                    forbidden: 0o077
                })
            );
        }
        set_mode(&key, 0o400);
        tmp.cache();
        set_mode(&key, 0o600);

        let good = fs::read(&key).unwrap();
        fs::write(&key, &good[..31]).unwrap();
        assert_eq!(
            CacheDir::open(&dir.path).unwrap_err(),
            refused(Problem::KeyLength(31))
        );
        fs::write(&key, &good).unwrap();

        // A symbolic link to a key is refused, and not replaced.
        let elsewhere = tmp.0.join("key");
        fs::rename(&key, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &key).unwrap();
        assert_eq!(
            CacheDir::open(&dir.path).unwrap_err(),
            refused(Problem::Symlink)
        );
        assert!(fs::symlink_metadata(&key).unwrap().is_symlink());
        assert_eq!(fs::read(&elsewhere).unwrap(), good);

        // Not a regular file.
        fs::remove_file(&key).unwrap();
        fs::create_dir(&key).unwrap();
        assert_eq!(
            CacheDir::open(&dir.path).unwrap_err(),
            refused(Problem::WrongType("a regular file"))
        );
    }

    #[test]
    fn concurrent_starts_agree_on_one_key() {
        let tmp = TempDir::new("key-race");
        let path = tmp.cache_path();
        let keys: Vec<[u8; KEY_LEN]> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| CacheDir::open(&path).unwrap().key.0))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| *k == keys[0]));
        assert_eq!(names(&path), [KEY_FILE]);
    }

    #[test]
    fn pruning_removes_only_our_oldest_artifacts() {
        let tmp = TempDir::new("prune");
        let dir = tmp.cache();
        let now = SystemTime::now();
        let age = |path: &Path, minutes: u64| {
            File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_modified(now - Duration::from_secs(60 * minutes))
                .unwrap();
        };
        let seal = |dir: &CacheDir, identity: &Identity, minutes: u64| {
            let artifact = b"an artifact".as_slice();
            let name = identity.file_name();
            let header = dir.key.header(identity, artifact);
            fs::write(dir.path.join(&name), [&header[..], artifact].concat()).unwrap();
            age(&dir.path.join(&name), minutes);
            name
        };
        let identity = |i: u8| Identity(Sha256::digest([i]).into());

        // Ours: artifact 0 is the newest, artifact total-1 the oldest.
        let total = CACHE_KEEP + 4;
        let ours: Vec<String> = (0..total)
            .map(|i| seal(&dir, &identity(i as u8), i as u64))
            .collect();
        // Not ours, all older than any of ours.
        let old = 1000;
        let mut theirs = vec!["foo.cwasm".to_owned(), "notes.txt".to_owned()];
        for name in &theirs {
            fs::write(dir.path.join(name), "not an artifact").unwrap();
            age(&dir.path.join(name), old);
        }
        // Named like ours, but not ours: garbage, a plain wasmtime artifact.
        let garbage = identity(200).file_name();
        fs::write(dir.path.join(&garbage), "garbage").unwrap();
        age(&dir.path.join(&garbage), old);
        let plain = identity(201).file_name();
        fs::write(
            dir.path.join(&plain),
            Component::new(engine(), EMPTY_COMPONENT)
                .unwrap()
                .serialize()
                .unwrap(),
        )
        .unwrap();
        age(&dir.path.join(&plain), old);
        // Our format, written with another directory's key.
        let other_tmp = TempDir::new("prune-other");
        let other_dir = other_tmp.cache();
        let other_key = seal(&other_dir, &identity(202), old);
        fs::rename(other_dir.path.join(&other_key), dir.path.join(&other_key)).unwrap();
        // Ours, but renamed: its header names another identity.
        let renamed = identity(203).file_name();
        let sealed = seal(&dir, &identity(204), old);
        fs::rename(dir.path.join(&sealed), dir.path.join(&renamed)).unwrap();
        // A symbolic link to one of ours, named like ours.
        let link = identity(205).file_name();
        std::os::unix::fs::symlink(dir.path.join(&ours[total - 2]), dir.path.join(&link)).unwrap();
        theirs.extend([
            garbage,
            plain,
            other_key,
            renamed,
            link,
            KEY_FILE.to_owned(),
        ]);

        // The current artifact is kept even when it is the oldest.
        let current = ours[total - 1].clone();
        dir.prune(&current);

        let mut expected: Vec<String> = ours[..CACHE_KEEP - 1].to_vec();
        expected.push(current);
        expected.extend(theirs);
        expected.sort();
        assert_eq!(names(&dir.path), expected);
    }

    #[test]
    fn the_directory_comes_from_the_environment() {
        let root = PathBuf::from("/root-of-test");
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
            cache_dir_path(env(vec![
                (CACHE_DIR_VAR, explicit.clone()),
                ("XDG_CACHE_HOME", root.join("xdg")),
            ])),
            Some(explicit.clone())
        );
        for off in ["off", ""] {
            assert_eq!(
                cache_dir_path(env(vec![
                    (CACHE_DIR_VAR, PathBuf::from(off)),
                    ("HOME", root.join("home")),
                ])),
                None,
                "{off:?}"
            );
        }
        assert_eq!(
            cache_dir_path(env(vec![
                ("XDG_CACHE_HOME", root.join("xdg")),
                ("HOME", root.join("home")),
            ])),
            Some(root.join("xdg").join("pagerduty-mcp"))
        );
        assert_eq!(
            cache_dir_path(env(vec![
                ("XDG_CACHE_HOME", PathBuf::new()),
                ("HOME", root.join("home")),
            ])),
            Some(root.join("home").join(".cache").join("pagerduty-mcp"))
        );
        assert_eq!(cache_dir_path(env(vec![])), None);
    }

    #[test]
    fn problems_read_well() {
        for (problem, text) in [
            (
                Problem::Mode {
                    mode: 0o775,
                    forbidden: 0o022,
                },
                "its mode 0775 lets group or others write it",
            ),
            (
                Problem::Key(Box::new(Problem::Mode {
                    mode: 0o640,
                    forbidden: 0o077,
                })),
                "its key file mac.key: its mode 0640 lets group or others read or write it",
            ),
            (Problem::Symlink, "it is a symbolic link (not followed)"),
        ] {
            assert_eq!(problem.to_string(), text);
        }
    }
}

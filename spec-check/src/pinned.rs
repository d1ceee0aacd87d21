//! The one loader of PagerDuty's OpenAPI document.
//!
//! The project is checked against one exact document, recorded in `openapi.lock`
//! (repository, path, commit, SHA-256, size). Whatever the source, the bytes must
//! hash to the recorded SHA-256, so every test run checks against the same document
//! and a stale or edited copy is an error rather than a quiet change of contract.
//!
//! Sources, first present wins (a present source with the wrong hash is an error,
//! never a reason to try the next one):
//!
//! 1. the file named by `$PAGERDUTY_OPENAPI` (it must exist once set);
//! 2. `shared/pagerduty-api/openapiv3.json` beside the repository checkout;
//! 3. `target/openapi/openapiv3-<commit>.json`, the copy `scripts/fetch-openapi`
//!    downloads (`$CARGO_TARGET_DIR` instead of `target` when set).
//!
//! The loader itself never touches the network: downloading is the test command's
//! job (`scripts/fetch-openapi`), so a test run is reproducible offline.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context as _, bail};
use sha2::{Digest as _, Sha256};

/// Environment variable naming a copy of the pinned document to use instead of the
/// one beside the repository or the downloaded one. Its SHA-256 is verified too.
pub const OPENAPI_PATH_ENV: &str = "PAGERDUTY_OPENAPI";

/// The provenance record, compiled in so the loader and the lock file cannot disagree.
const LOCK: &str = include_str!("../openapi.lock");

/// Where the repository is checked out: spec-check is one of its top-level crates.
const WORKSPACE_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The exact OpenAPI document the project is checked against (from `openapi.lock`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedDocument {
    /// GitHub repository it is published in, `owner/name`.
    pub repository: String,
    /// Path of the document inside that repository.
    pub path: String,
    /// The commit of that repository the document is taken from.
    pub commit: String,
    /// SHA-256 of the document's bytes, lower-case hex.
    pub sha256: String,
    /// Size of the document in bytes.
    pub size: u64,
}

impl PinnedDocument {
    /// Where GitHub serves the document at its commit (what `scripts/fetch-openapi`
    /// downloads unless `PAGERDUTY_OPENAPI_URL` says otherwise).
    pub fn url(&self) -> String {
        format!(
            "https://raw.githubusercontent.com/{}/{}/{}",
            self.repository, self.commit, self.path
        )
    }

    /// The file name of the downloaded copy in `target/openapi/`.
    pub fn cache_file_name(&self) -> String {
        format!("openapiv3-{}.json", self.commit)
    }

    /// Parses the `key=value` lines of a lock file (`#` comments and blank lines ignored).
    fn parse(text: &str) -> anyhow::Result<PinnedDocument> {
        let mut fields = std::collections::HashMap::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .with_context(|| format!("not a key=value line: {line:?}"))?;
            fields.insert(key.trim(), value.trim().to_owned());
        }
        let mut field = |key: &str| {
            fields
                .remove(key)
                .with_context(|| format!("no `{key}` line"))
        };
        let document = PinnedDocument {
            repository: field("repository")?,
            path: field("path")?,
            commit: field("commit")?,
            sha256: field("sha256")?,
            size: field("size")?.parse().context("`size` is not a number")?,
        };
        let is_hex = |s: &str, len: usize| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        anyhow::ensure!(
            is_hex(&document.commit, 40),
            "`commit` is not 40 lower-case hex digits"
        );
        anyhow::ensure!(
            is_hex(&document.sha256, 64),
            "`sha256` is not 64 lower-case hex digits"
        );
        anyhow::ensure!(
            document.repository.split('/').count() == 2,
            "`repository` is not owner/name"
        );
        Ok(document)
    }

    /// Checks that `bytes`, read from `path`, are this document.
    fn verify(&self, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
        let actual = sha256_hex(bytes);
        if actual != self.sha256 {
            bail!(
                "{}: not the pinned OpenAPI document ({} {} at commit {}): \
                 SHA-256 is {actual}, expected {} (size {} bytes, expected {})",
                path.display(),
                self.repository,
                self.path,
                self.commit,
                self.sha256,
                bytes.len(),
                self.size
            );
        }
        Ok(())
    }
}

/// The pinned document's provenance, as recorded in `spec-check/openapi.lock`.
pub fn pinned_document() -> &'static PinnedDocument {
    static PINNED: OnceLock<PinnedDocument> = OnceLock::new();
    PINNED.get_or_init(|| {
        PinnedDocument::parse(LOCK)
            .unwrap_or_else(|e| panic!("spec-check/openapi.lock is malformed: {e:#}"))
    })
}

/// The path of the pinned document, found as the module documentation says and
/// verified (it is read and hashed).
pub fn openapi_path() -> anyhow::Result<PathBuf> {
    read_pinned_openapi().map(|(path, _)| path)
}

/// The pinned document's bytes and the path they were read from, verified.
pub fn read_pinned_openapi() -> anyhow::Result<(PathBuf, Vec<u8>)> {
    Sources::from_environment().read(pinned_document())
}

/// The pinned document, parsed as JSON (as published, without spec-check's fixes).
pub fn pinned_openapi_json() -> anyhow::Result<serde_json::Value> {
    let (path, bytes) = read_pinned_openapi()?;
    serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
}

/// The places the document may be, in order of preference.
#[derive(Debug)]
struct Sources {
    /// `$PAGERDUTY_OPENAPI`, if set.
    explicit: Option<PathBuf>,
    /// The copy beside the repository checkout.
    shared: PathBuf,
    /// The downloaded copy.
    cache: PathBuf,
}

impl Sources {
    fn from_environment() -> Sources {
        let root = Path::new(WORKSPACE_ROOT);
        // Relative like cargo's own reading of it, from the workspace root where the
        // test command runs cargo.
        let target = match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
            Some(dir) => root.join(dir),
            None => root.join("target"),
        };
        Sources {
            explicit: std::env::var_os(OPENAPI_PATH_ENV)
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
            shared: root.join("../shared/pagerduty-api/openapiv3.json"),
            cache: target
                .join("openapi")
                .join(pinned_document().cache_file_name()),
        }
    }

    fn read(&self, pinned: &PinnedDocument) -> anyhow::Result<(PathBuf, Vec<u8>)> {
        let path = match &self.explicit {
            Some(path) => path,
            None if self.shared.is_file() => &self.shared,
            None if self.cache.is_file() => &self.cache,
            None => bail!("{}", self.not_found(pinned)),
        };
        let bytes = std::fs::read(path).with_context(|| {
            if self.explicit.is_some() {
                format!("{OPENAPI_PATH_ENV}={}: cannot read it", path.display())
            } else {
                format!("reading {}", path.display())
            }
        })?;
        pinned.verify(path, &bytes)?;
        Ok((path.clone(), bytes))
    }

    fn not_found(&self, pinned: &PinnedDocument) -> String {
        format!(
            "PagerDuty's OpenAPI document is not available (looked for {} and {}). \
             Run `scripts/fetch-openapi` to download it from {} and verify it, or set \
             {OPENAPI_PATH_ENV} to a copy of it (SHA-256 {}).",
            self.shared.display(),
            self.cache.display(),
            pinned.url(),
            pinned.sha256
        )
    }
}

/// Lower-case hex SHA-256 of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document whose bytes are `b"hello"`.
    fn hello() -> PinnedDocument {
        PinnedDocument {
            repository: "example/schemas".into(),
            path: "openapi.json".into(),
            commit: "0".repeat(40),
            sha256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".into(),
            size: 5,
        }
    }

    /// A scratch directory of its own for one test.
    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("spec-check-pinned-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn sources(dir: &Path, explicit: Option<&str>) -> Sources {
        Sources {
            explicit: explicit.map(|name| dir.join(name)),
            shared: dir.join("shared.json"),
            cache: dir.join("cache.json"),
        }
    }

    #[test]
    fn the_lock_file_parses_and_names_the_document() {
        let pinned = pinned_document();
        assert_eq!(pinned.repository, "PagerDuty/api-schema");
        assert_eq!(pinned.path, "reference/REST/openapiv3.json");
        assert_eq!(pinned.size, 2_766_749);
        assert_eq!(
            pinned.url(),
            format!(
                "https://raw.githubusercontent.com/PagerDuty/api-schema/{}/reference/REST/openapiv3.json",
                pinned.commit
            )
        );
    }

    #[test]
    fn a_malformed_lock_file_is_rejected() {
        let lock = LOCK.replace("commit=", "commit=x");
        let error = PinnedDocument::parse(&lock).unwrap_err().to_string();
        assert!(error.contains("commit"), "{error}");
        let lock = LOCK.replace("size=", "# size=");
        let error = PinnedDocument::parse(&lock).unwrap_err().to_string();
        assert!(error.contains("no `size` line"), "{error}");
    }

    #[test]
    fn sha256_hex_is_the_standard_digest() {
        assert_eq!(sha256_hex(b"hello"), hello().sha256);
    }

    #[test]
    fn an_explicit_path_wins_and_is_verified() {
        let dir = scratch("explicit");
        std::fs::write(dir.join("mine.json"), b"hello").unwrap();
        std::fs::write(dir.join("shared.json"), b"other").unwrap();
        let (path, bytes) = sources(&dir, Some("mine.json")).read(&hello()).unwrap();
        assert_eq!((path, bytes), (dir.join("mine.json"), b"hello".to_vec()));

        std::fs::write(dir.join("mine.json"), b"hellO").unwrap();
        let error = sources(&dir, Some("mine.json"))
            .read(&hello())
            .unwrap_err()
            .to_string();
        let named = dir.join("mine.json").display().to_string();
        assert!(error.contains(&named), "names the file: {error}");
        assert!(
            error.contains(&hello().sha256),
            "the expected hash: {error}"
        );
        assert!(
            error.contains(&sha256_hex(b"hellO")),
            "the actual hash: {error}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_explicit_path_is_an_error_not_a_fallback() {
        let dir = scratch("missing");
        std::fs::write(dir.join("shared.json"), b"hello").unwrap();
        let error = format!(
            "{:#}",
            sources(&dir, Some("absent.json"))
                .read(&hello())
                .unwrap_err()
        );
        assert!(error.contains(OPENAPI_PATH_ENV), "{error}");
        assert!(error.contains("absent.json"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_shared_copy_comes_before_the_download_and_a_bad_one_is_an_error() {
        let dir = scratch("order");
        std::fs::write(dir.join("cache.json"), b"hello").unwrap();
        let (path, _) = sources(&dir, None).read(&hello()).unwrap();
        assert_eq!(path, dir.join("cache.json"));

        std::fs::write(dir.join("shared.json"), b"hello").unwrap();
        let (path, _) = sources(&dir, None).read(&hello()).unwrap();
        assert_eq!(path, dir.join("shared.json"));

        // A wrong shared copy is not silently passed over for the good download.
        std::fs::write(dir.join("shared.json"), b"stale").unwrap();
        let error = sources(&dir, None).read(&hello()).unwrap_err().to_string();
        assert!(error.contains("shared.json"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn nothing_available_says_how_to_get_it() {
        let dir = scratch("none");
        let error = sources(&dir, None).read(&hello()).unwrap_err().to_string();
        assert!(error.contains("scripts/fetch-openapi"), "{error}");
        assert!(error.contains(OPENAPI_PATH_ENV), "{error}");
        assert!(error.contains(&hello().url()), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

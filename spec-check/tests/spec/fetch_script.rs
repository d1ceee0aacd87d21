//! `scripts/fetch-openapi` against a document served on 127.0.0.1 (through
//! `PAGERDUTY_OPENAPI_URL`): the right bytes are kept where the loader looks, wrong
//! ones are refused and leave nothing behind, and a kept copy is not downloaded again.
//!
//! The script runs in a scratch copy of the repository layout (the script and
//! `spec-check/openapi.lock`, no `shared/` beside it), so it has to download.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Serves one body, whatever the request, and counts the requests.
struct DocumentServer {
    url: String,
    body: Arc<Mutex<Vec<u8>>>,
    requests: Arc<AtomicUsize>,
}

impl DocumentServer {
    fn start() -> DocumentServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/reference/REST/openapiv3.json",
            listener.local_addr().unwrap()
        );
        let body = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(AtomicUsize::new(0));
        let (served, count) = (body.clone(), requests.clone());
        // Runs until the test binary exits.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                count.fetch_add(1, Ordering::SeqCst);
                let body = served.lock().unwrap().clone();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream
                    .write_all(head.as_bytes())
                    .and_then(|()| stream.write_all(&body));
            }
        });
        DocumentServer {
            url,
            body,
            requests,
        }
    }

    fn serve(&self, body: Vec<u8>) {
        *self.body.lock().unwrap() = body;
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// A scratch repository with the real script and lock file and nothing beside it.
fn scratch_repository(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("fetch-openapi-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let repo = dir.join("repo");
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for file in ["scripts/fetch-openapi", "spec-check/openapi.lock"] {
        std::fs::create_dir_all(repo.join(file).parent().unwrap()).unwrap();
        std::fs::copy(real.join(file), repo.join(file)).unwrap();
    }
    repo
}

/// Runs the script of `repo` downloading from `url`, with none of the developer's
/// variables that would change where it looks or how it connects, and with `path`
/// as `PATH` if given.
fn fetch_with_path(repo: &Path, url: &str, path: Option<&Path>) -> Output {
    // Found on the test's own PATH: a child's PATH also decides where its program is found.
    let mut command = Command::new(on_path("bash").expect("bash is installed"));
    if let Some(path) = path {
        command.env("PATH", path);
    }
    command
        .arg(repo.join("scripts/fetch-openapi"))
        .env("PAGERDUTY_OPENAPI_URL", url)
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1");
    for var in [
        "PAGERDUTY_OPENAPI",
        "CARGO_TARGET_DIR",
        "http_proxy",
        "HTTP_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        command.env_remove(var);
    }
    command.output().expect("bash runs")
}

/// Where `name` is on this process's `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|file| file.is_file())
}

fn fetch(repo: &Path, url: &str) -> Output {
    fetch_with_path(repo, url, None)
}

/// A directory of links to the commands the script uses, curl left out, for a `PATH`
/// on which the script must download with python3.
fn commands_without_curl(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for name in [
        "dirname",
        "cut",
        "mkdir",
        "wc",
        "tr",
        "mv",
        "rm",
        "sha256sum",
        "shasum",
    ] {
        if let Some(found) = on_path(name) {
            std::os::unix::fs::symlink(found, bin.join(name)).unwrap();
        }
    }
    // python3 may be a version manager's shim that needs the rest of PATH: link the
    // interpreter itself.
    let python = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 runs");
    let python = String::from_utf8(python.stdout).unwrap();
    std::os::unix::fs::symlink(python.trim(), bin.join("python3")).unwrap();
    assert!(!bin.join("curl").exists());
    bin
}

/// The files in `repo`'s download directory.
fn downloads(repo: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(repo.join("target/openapi")) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn fetch_openapi_keeps_the_pinned_document_and_refuses_anything_else() {
    let (_, document) = spec_check::read_pinned_openapi().unwrap_or_else(|e| panic!("{e:#}"));
    let pinned = spec_check::pinned_document();
    let repo = scratch_repository("curl");
    let server = DocumentServer::start();
    let stderr = |output: &Output| String::from_utf8_lossy(&output.stderr).into_owned();

    // One byte changed, same size: only the hash can tell.
    let mut tampered = document.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x20;
    server.serve(tampered);
    let output = fetch(&repo, &server.url);
    assert!(!output.status.success(), "accepted a tampered document");
    assert!(
        stderr(&output).contains(&pinned.sha256) && stderr(&output).contains("SHA-256"),
        "says which hash it expected: {}",
        stderr(&output)
    );
    assert_eq!(
        downloads(&repo),
        Vec::<PathBuf>::new(),
        "nothing left behind"
    );

    // A short answer (an error page, a cut connection).
    server.serve(document[..1000].to_vec());
    let output = fetch(&repo, &server.url);
    assert!(!output.status.success(), "accepted a short document");
    assert!(stderr(&output).contains("bytes"), "{}", stderr(&output));
    assert_eq!(
        downloads(&repo),
        Vec::<PathBuf>::new(),
        "nothing left behind"
    );

    // The document itself: kept under the name the loader looks for.
    server.serve(document.clone());
    let output = fetch(&repo, &server.url);
    assert!(output.status.success(), "{}", stderr(&output));
    let cached = repo.join("target/openapi").join(pinned.cache_file_name());
    assert_eq!(downloads(&repo), vec![cached.clone()]);
    assert!(
        std::fs::read(&cached).unwrap() == document,
        "kept as served"
    );
    assert_eq!(server.requests(), 3);

    // Once kept, it is verified, not downloaded again.
    server.serve(b"{}".to_vec());
    let output = fetch(&repo, &server.url);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(server.requests(), 3, "downloaded again");

    // A kept copy that went bad is an error, not silently replaced or used.
    std::fs::write(&cached, b"{}").unwrap();
    let output = fetch(&repo, &server.url);
    assert!(!output.status.success(), "used a bad kept copy");
    assert!(
        stderr(&output).contains(&cached.display().to_string()),
        "names the file: {}",
        stderr(&output)
    );

    let _ = std::fs::remove_dir_all(repo.parent().unwrap());
}

#[test]
fn fetch_openapi_downloads_with_python_when_there_is_no_curl() {
    let (_, document) = spec_check::read_pinned_openapi().unwrap_or_else(|e| panic!("{e:#}"));
    let repo = scratch_repository("python");
    let bin = commands_without_curl(repo.parent().unwrap());
    let server = DocumentServer::start();
    let stderr = |output: &Output| String::from_utf8_lossy(&output.stderr).into_owned();

    let mut tampered = document.clone();
    tampered[0] = b' ';
    server.serve(tampered);
    let output = fetch_with_path(&repo, &server.url, Some(&bin));
    assert!(!output.status.success(), "accepted a tampered document");
    assert!(stderr(&output).contains("SHA-256"), "{}", stderr(&output));
    assert_eq!(
        downloads(&repo),
        Vec::<PathBuf>::new(),
        "nothing left behind"
    );

    server.serve(document.clone());
    let output = fetch_with_path(&repo, &server.url, Some(&bin));
    assert!(output.status.success(), "{}", stderr(&output));
    let cached = repo
        .join("target/openapi")
        .join(spec_check::pinned_document().cache_file_name());
    assert!(
        std::fs::read(&cached).unwrap() == document,
        "kept as served"
    );
    assert_eq!(server.requests(), 2);

    let _ = std::fs::remove_dir_all(repo.parent().unwrap());
}

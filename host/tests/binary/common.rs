//! Shared by the integration tests of the binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::json;
use test_support::stdio::StdioClient;

use crate::http::LEGACY;

/// The environment variables `pagerduty-mcp` reads, but for its cache directory
/// (set by [`pagerduty_mcp`]).
const ENV_VARS: &[&str] = &[
    "PAGERDUTY_API_TOKEN",
    "PAGERDUTY_API_KEY",
    "PAGERDUTY_USER_API_KEY",
    "PAGERDUTY_API_HOST",
    "PAGERDUTY_ENABLE_WRITE_TOOLS",
    "PAGERDUTY_USER_EMAIL",
    "PAGERDUTY_MAX_OUTPUT_BYTES",
    "PAGERDUTY_REQUEST_TIMEOUT",
    "PAGERDUTY_MCP_MAX_CONCURRENT_CALLS",
    "PAGERDUTY_MCP_QUEUE_TIMEOUT",
    "PAGERDUTY_MCP_HTTP_TOKEN",
    "PAGERDUTY_MCP_ALLOWED_ORIGINS",
    "PAGERDUTY_MCP_ALLOWED_HOSTS",
    "PAGERDUTY_MCP_MAX_SESSIONS",
    "PAGERDUTY_MCP_MAX_SESSIONS_PER_CLIENT",
    "PAGERDUTY_MCP_SESSION_IDLE_TIMEOUT",
    "PAGERDUTY_MCP_MAX_CONNECTIONS",
    "PAGERDUTY_MCP_HEADER_TIMEOUT",
    "PAGERDUTY_MCP_IDLE_TIMEOUT",
    "PAGERDUTY_MCP_PRECOMPILED",
    "RUST_LOG",
];

/// The built binary, with none of the variables it reads inherited from the
/// developer's shell, so a test sees exactly the environment it sets, and with the
/// component cache shared by this run's tests (never the user's own cache).
pub fn pagerduty_mcp() -> Command {
    let mut cmd = without_inherited_env();
    cmd.env("PAGERDUTY_MCP_CACHE_DIR", shared_cache());
    cmd
}

/// [`pagerduty_mcp`] run by `sh` after the shell command `setup` (e.g.
/// `ulimit -n 160`); arguments added to it go to the binary.
pub fn pagerduty_mcp_after(setup: &str) -> Command {
    let mut cmd = clean(Command::new("sh"));
    cmd.args([
        "-c",
        &format!("{setup} && exec \"$0\" \"$@\""),
        env!("CARGO_BIN_EXE_pagerduty-mcp"),
    ]);
    cmd.env("PAGERDUTY_MCP_CACHE_DIR", shared_cache());
    cmd
}

fn without_inherited_env() -> Command {
    clean(Command::new(env!("CARGO_BIN_EXE_pagerduty-mcp")))
}

fn clean(mut cmd: Command) -> Command {
    for var in ENV_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// A fresh, empty directory for one test (a component cache, a token file), under
/// cargo's scratch directory for integration tests rather than the system temp dir,
/// so a run leaves nothing behind that `cargo clean` does not remove. The process id
/// keeps two concurrent runs apart.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("pagerduty-mcp-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the scratch directory can be created");
    dir
}

/// The component cache shared by the tests of this run, warmed once: compiling the
/// component takes a while in debug builds. (The binary starts from its embedded
/// precompiled component and leaves the cache alone unless told not to, as here.)
pub fn shared_cache() -> &'static Path {
    static SHARED: OnceLock<PathBuf> = OnceLock::new();
    SHARED.get_or_init(|| {
        remove_stale_scratch_dirs();
        let dir = scratch_dir("shared");
        let output = without_inherited_env()
            .env("PAGERDUTY_MCP_CACHE_DIR", &dir)
            .env("PAGERDUTY_MCP_PRECOMPILED", "off")
            .args(["--demo", "tools"])
            .output()
            .expect("the binary runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        dir
    })
}

/// Removes the scratch directories of earlier runs (older than an hour).
fn remove_stale_scratch_dirs() {
    let Ok(entries) = std::fs::read_dir(env!("CARGO_TARGET_TMPDIR")) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .file_name()
            .to_string_lossy()
            .starts_with("pagerduty-mcp-test-")
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().unwrap_or_default() > Duration::from_secs(3600));
        if stale {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// `command` (a [`pagerduty_mcp`]) spoken to over stdio, initialized in the
/// [`LEGACY`] protocol (the `initialize` handshake) as the client `client_name`, with a 60 s timeout per answer.
pub fn initialized_stdio(command: Command, client_name: &str) -> StdioClient {
    let mut client = StdioClient::spawn(command).with_timeout(Duration::from_secs(60));
    let answer = client.request(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": LEGACY, "capabilities": {},
                   "clientInfo": {"name": client_name, "version": "1"}}}));
    assert!(answer["result"].is_object(), "{answer}");
    client.notify("notifications/initialized");
    client
}

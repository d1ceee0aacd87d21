//! Shared by the integration tests of the binary.

use std::process::Command;

/// The environment variables `pagerduty-mcp` reads, but for its cache directory
/// (each test picks its own).
const ENV_VARS: &[&str] = &[
    "PAGERDUTY_API_TOKEN",
    "PAGERDUTY_API_KEY",
    "PAGERDUTY_USER_API_KEY",
    "PAGERDUTY_API_HOST",
    "PAGERDUTY_ENABLE_WRITE_TOOLS",
    "PAGERDUTY_USER_EMAIL",
    "PAGERDUTY_MAX_OUTPUT_BYTES",
    "PAGERDUTY_REQUEST_TIMEOUT",
    "PAGERDUTY_MCP_HTTP_TOKEN",
    "PAGERDUTY_MCP_ALLOWED_ORIGINS",
    "PAGERDUTY_MCP_ALLOWED_HOSTS",
    "RUST_LOG",
];

/// The built binary, with none of the variables it reads inherited from the
/// developer's shell, so a test sees exactly the environment it sets.
pub fn pagerduty_mcp() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pagerduty-mcp"));
    for var in ENV_VARS {
        cmd.env_remove(var);
    }
    cmd
}

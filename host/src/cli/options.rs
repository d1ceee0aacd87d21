//! The command line's flags: every option with its environment variable,
//! default and help text, and the parsers that check values as they are read.
//!
//! The variables the component also reads are named by the component's
//! contract ([`pagerduty_tools::config::vars`]), so a flag and the guest
//! environment it ends up in cannot drift apart.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use pagerduty_tools::config::vars;

use super::config::{MAX_CONCURRENT_CALLS_VAR, QUEUE_TIMEOUT_VAR, REQUEST_TIMEOUT_VAR};
use crate::egress::{ApiBase, AuthScheme};
use crate::http::{ALLOWED_HOSTS_VAR, ALLOWED_ORIGINS_VAR};
use crate::http_conn::{
    DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT, HEADER_TIMEOUT_VAR, IDLE_TIMEOUT_VAR,
    MAX_CONNECTIONS_VAR,
};
use crate::http_sessions::{
    DEFAULT_MAX_SESSIONS, DEFAULT_MAX_SESSIONS_PER_CLIENT, DEFAULT_SESSION_IDLE_TIMEOUT,
    MAX_SESSIONS_PER_CLIENT_VAR, MAX_SESSIONS_VAR, SESSION_IDLE_TIMEOUT_VAR,
};
use crate::sandbox::{DEFAULT_API_BASE, DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_QUEUE_TIMEOUT};

/// Options shared by all subcommands (each may come before or after the subcommand).
#[derive(Debug, Args)]
pub struct Options {
    /// PagerDuty API base URL (http or https, no path); `https://api.eu.pagerduty.com` for EU accounts.
    // The variable's value is not shown in --help, and a refused value is shown
    // redacted (`ApiHostParser`): a token pasted into the URL is never echoed.
    #[arg(
        long,
        global = true,
        env = vars::API_HOST,
        hide_env_values = true,
        value_name = "URL",
        default_value = DEFAULT_API_BASE,
        value_parser = ApiHostParser,
    )]
    pub api_host: ApiBase,

    /// How the token is sent: `token` (Token token=...) or `bearer` (OAuth). Default: bearer for
    /// tokens starting with pdus+_, token otherwise.
    #[arg(long, global = true, value_enum, value_name = "SCHEME", default_value_t = AuthSchemeArg::Auto)]
    pub auth_scheme: AuthSchemeArg,

    /// The toolsets offered, comma-separated, or `all` (default: incidents, oncall, services,
    /// people). `--help` lists them.
    #[arg(
        long,
        global = true,
        env = vars::TOOLSETS,
        value_name = "NAMES",
        help_heading = "Tool selection"
    )]
    pub toolsets: Option<String>,

    /// Single tools offered in addition to the toolsets, comma-separated. `--help` lists them.
    #[arg(
        long,
        global = true,
        env = vars::TOOLS,
        value_name = "NAMES",
        help_heading = "Tool selection"
    )]
    pub tools: Option<String>,

    /// Offer write tools: the bare flag (or `=true`) for every write tool of the offered
    /// toolsets, `=a,b` for exactly those write tools (offered even outside the toolsets).
    #[arg(
        long,
        global = true,
        env = vars::ENABLE_WRITE_TOOLS,
        value_name = "true|NAMES",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        help_heading = "Tool selection"
    )]
    pub enable_write_tools: Option<String>,

    /// The `From` email for write tools (default: the token's user).
    #[arg(
        long,
        global = true,
        env = vars::USER_EMAIL,
        value_name = "EMAIL"
    )]
    pub user_email: Option<String>,

    /// Timeout in seconds for each PagerDuty HTTP request.
    #[arg(
        long,
        global = true,
        env = REQUEST_TIMEOUT_VAR,
        value_name = "SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=3600),
    )]
    pub request_timeout: u64,

    /// The most tool calls run at once, each in its own sandbox instance of at most 64 MiB (so
    /// guests use at most N × 64 MiB); further calls wait for one to finish (see --queue-timeout).
    #[arg(
        long,
        global = true,
        env = MAX_CONCURRENT_CALLS_VAR,
        value_name = "N",
        default_value_t = DEFAULT_MAX_CONCURRENT_CALLS as u32,
        value_parser = clap::value_parser!(u32).range(1..=1024),
    )]
    pub max_concurrent_calls: u32,

    /// Seconds a tool call waits for a free slot when --max-concurrent-calls are running; then it
    /// fails with the JSON-RPC error -32005 (server busy). 0: fail at once.
    #[arg(
        long,
        global = true,
        env = QUEUE_TIMEOUT_VAR,
        value_name = "SECONDS",
        default_value_t = DEFAULT_QUEUE_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(0..=3600),
    )]
    pub queue_timeout: u64,

    /// Largest tool result in bytes of JSON; longer lists are cut (default: the component's, 400000).
    #[arg(
        long,
        global = true,
        env = vars::MAX_OUTPUT_BYTES,
        value_name = "BYTES",
        value_parser = clap::value_parser!(u64).range(1..),
    )]
    pub max_output_bytes: Option<u64>,

    /// Log filter for stderr, e.g. `debug` or `pagerduty_mcp_host=debug` (default: RUST_LOG, else
    /// `info` when serving and `warn` otherwise).
    #[arg(long, global = true, value_name = "FILTER")]
    pub log_level: Option<String>,

    /// Run against a built-in fake PagerDuty on a loopback port (no token needed).
    #[arg(long, global = true)]
    pub demo: bool,

    /// Serve MCP over Streamable HTTP at http://ADDR/mcp instead of stdio. ADDR is IP:PORT or a
    /// port on 127.0.0.1; port 0 picks a free port (the address is printed on stderr).
    #[arg(
        long,
        global = true,
        value_name = "ADDR",
        value_parser = parse_http_addr,
        help_heading = "HTTP transport"
    )]
    pub http: Option<SocketAddr>,

    /// Allow --http on a non-loopback address. Also needs an access token
    /// (PAGERDUTY_MCP_HTTP_TOKEN or --http-token-file) or --per-request-token.
    #[arg(
        long,
        global = true,
        requires = "http",
        help_heading = "HTTP transport"
    )]
    pub allow_remote: bool,

    /// Require clients to send `Authorization: Bearer <token>`, the token being the first line of
    /// this file (at least 16 characters). Default: the PAGERDUTY_MCP_HTTP_TOKEN environment
    /// variable, if set; optional on loopback.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        requires = "http",
        conflicts_with = "per_request_token",
        help_heading = "HTTP transport"
    )]
    pub http_token_file: Option<PathBuf>,

    /// Take the PagerDuty token from each HTTP request (`Authorization: Token token=<API key>` or
    /// `Bearer <OAuth token>`; 401 without) and use it for that request's PagerDuty calls only.
    /// The server's own token (PAGERDUTY_API_TOKEN) is then neither needed nor used.
    #[arg(
        long,
        global = true,
        requires = "http",
        help_heading = "HTTP transport"
    )]
    pub per_request_token: bool,

    /// A web origin allowed to call the server (repeatable or comma-separated; replaces the
    /// defaults), e.g. `https://app.example.com` or `http://localhost:3000`; without a port, any
    /// port. Requests with another Origin header get 403; requests without one are allowed.
    #[arg(
        long = "allowed-origin",
        global = true,
        env = ALLOWED_ORIGINS_VAR,
        value_name = "ORIGIN",
        value_delimiter = ',',
        value_parser = parse_origin_arg,
        help_heading = "HTTP transport"
    )]
    pub allowed_origins: Vec<String>,

    /// A `Host` header value accepted (repeatable or comma-separated), e.g. mcp.example.com or
    /// mcp.example.com:8443. Default: localhost, 127.0.0.1 and ::1 on a loopback address, any
    /// host with --allow-remote on another address. Other hosts get 403 (DNS rebinding).
    #[arg(
        long = "allowed-host",
        global = true,
        env = ALLOWED_HOSTS_VAR,
        value_name = "HOST",
        value_delimiter = ',',
        help_heading = "HTTP transport"
    )]
    pub allowed_hosts: Vec<String>,

    /// The most legacy (`initialize`) sessions open at once; past it, `initialize` gets 503.
    /// Stateless (2026-07-28) requests need no session.
    #[arg(
        long,
        global = true,
        env = MAX_SESSIONS_VAR,
        value_name = "N",
        default_value_t = DEFAULT_MAX_SESSIONS as u64,
        value_parser = clap::value_parser!(u64).range(1..=1_000_000),
        help_heading = "HTTP limits"
    )]
    pub max_sessions: u64,

    /// The most sessions one client (access token, PagerDuty token, or IP address without
    /// authentication) may have open; past it, `initialize` gets 429.
    #[arg(
        long,
        global = true,
        env = MAX_SESSIONS_PER_CLIENT_VAR,
        value_name = "N",
        default_value_t = DEFAULT_MAX_SESSIONS_PER_CLIENT as u64,
        value_parser = clap::value_parser!(u64).range(1..=1_000_000),
        help_heading = "HTTP limits"
    )]
    pub max_sessions_per_client: u64,

    /// Close a session after this many seconds without a request (the client then starts a new
    /// one).
    #[arg(
        long,
        global = true,
        env = SESSION_IDLE_TIMEOUT_VAR,
        value_name = "SECONDS",
        default_value_t = DEFAULT_SESSION_IDLE_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=7 * 86_400),
        help_heading = "HTTP limits"
    )]
    pub session_idle_timeout: u64,

    /// The most HTTP connections open at once; more wait to be accepted (default: 1024, or less
    /// to fit the open-file limit).
    #[arg(
        long,
        global = true,
        env = MAX_CONNECTIONS_VAR,
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..=1_000_000),
        help_heading = "HTTP limits"
    )]
    pub max_connections: Option<u64>,

    /// Close a connection whose request headers have not arrived within this many seconds.
    #[arg(
        long,
        global = true,
        env = HEADER_TIMEOUT_VAR,
        value_name = "SECONDS",
        default_value_t = DEFAULT_HEADER_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=3600),
        help_heading = "HTTP limits"
    )]
    pub header_timeout: u64,

    /// Close a kept-alive connection after this many seconds without a request (keep it above a
    /// load balancer's idle timeout).
    #[arg(
        long,
        global = true,
        env = IDLE_TIMEOUT_VAR,
        value_name = "SECONDS",
        default_value_t = DEFAULT_IDLE_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=86_400),
        help_heading = "HTTP limits"
    )]
    pub idle_timeout: u64,
}

/// `--auth-scheme` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthSchemeArg {
    /// Bearer for OAuth tokens (pdus+_...), Token otherwise.
    Auto,
    /// `Authorization: Token token=<token>`.
    Token,
    /// `Authorization: Bearer <token>`.
    Bearer,
}

impl AuthSchemeArg {
    /// The scheme to use for `token`.
    pub fn resolve(self, token: &str) -> AuthScheme {
        match self {
            AuthSchemeArg::Auto => AuthScheme::detect(token),
            AuthSchemeArg::Token => AuthScheme::Token,
            AuthSchemeArg::Bearer => AuthScheme::Bearer,
        }
    }
}

/// Parses `--api-host` / `PAGERDUTY_API_HOST`. A refused value is a clap
/// error of our own wording, not clap's `invalid value '<value>'`, which would
/// quote the value as given: the message shows it redacted
/// ([`ApiBase::parse`]), so a token pasted into the URL is never printed.
#[derive(Debug, Clone, Copy)]
struct ApiHostParser;

impl clap::builder::TypedValueParser for ApiHostParser {
    type Value = ApiBase;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<ApiBase, clap::Error> {
        let refused = |why: String| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("--api-host / {}: {why}\n", vars::API_HOST),
            )
            .with_cmd(cmd)
        };
        let text = value
            .to_str()
            .ok_or_else(|| refused("the API host is not valid UTF-8".to_owned()))?;
        ApiBase::parse(text).map_err(|e| refused(format!("{e:#}")))
    }
}

fn parse_http_addr(text: &str) -> Result<SocketAddr, String> {
    crate::http::parse_listen_addr(text)
}

fn parse_origin_arg(text: &str) -> Result<String, String> {
    crate::http::parse_origin(text)
}

/// `command` with the tool-selection flags' long help listing the valid names,
/// taken from the catalog (the same one the embedded component is built from),
/// so the help never needs editing when a tool or toolset is added.
pub fn with_catalog_help(command: clap::Command) -> clap::Command {
    use pagerduty_tools::catalog;
    use pagerduty_tools::toolsets::Toolset;
    let toolsets: Vec<String> = Toolset::ALL
        .iter()
        .map(|t| {
            let default = if t.on_by_default() { " (default)" } else { "" };
            format!("  {}{default}: {}", t.name(), t.description())
        })
        .collect();
    let tools: Vec<&str> = catalog::all_tools()
        .filter(|t| !t.is_write())
        .map(|t| t.name)
        .collect();
    let writes: Vec<&str> = catalog::all_tools()
        .filter(|t| t.is_write())
        .map(|t| t.name)
        .collect();
    command
        .mut_arg("toolsets", |arg| {
            arg.long_help(format!(
                "The toolsets offered, comma-separated, or `all`. Unknown names are a start-up error.\n{}",
                toolsets.join("\n")
            ))
        })
        .mut_arg("tools", |arg| {
            arg.long_help(format!(
                "Single tools offered in addition to the toolsets, comma-separated (write tools also \
                 need --enable-write-tools). Read tools: {}.",
                tools.join(", ")
            ))
        })
        .mut_arg("enable_write_tools", |arg| {
            arg.long_help(format!(
                "Offer write tools: the bare flag (or `=true`) for every write tool of the offered \
                 toolsets, `=a,b` for exactly those write tools (offered even outside the selected \
                 toolsets). Default: none. Write tools: {}.",
                writes.join(", ")
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::super::testing::parse;

    #[test]
    fn invalid_values_are_rejected() {
        for args in [
            &["--api-host", "https://api.pagerduty.com/v2"][..],
            &["--api-host", "ftp://api.pagerduty.com"],
            &["--api-host", "api.pagerduty.com"],
            &["--api-host", "https://api.pagerduty.com?x=1"],
            &["--request-timeout", "0"],
            &["--request-timeout", "abc"],
            &["--max-output-bytes", "0"],
            &["--max-sessions", "0"],
            &["--max-sessions-per-client", "x"],
            &["--session-idle-timeout", "0"],
            &["--max-connections", "0"],
            &["--header-timeout", "0"],
            &["--idle-timeout", "-1"],
            &["--max-concurrent-calls", "0"],
            &["--max-concurrent-calls", "1025"],
            &["--queue-timeout", "-1"],
            &["--queue-timeout", "3601"],
            &["--auth-scheme", "basic"],
            &["--token", "abc"],
            &["call"],
        ] {
            assert!(parse(args).is_err(), "{args:?} should be rejected");
        }
        let err = parse(&["--api-host", "https://api.pagerduty.com/v2"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("path"), "{err}");
    }
}

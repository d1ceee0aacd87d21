//! The command line: `pagerduty-mcp [serve]`, `pagerduty-mcp tools`,
//! `pagerduty-mcp call`.
//!
//! Configuration comes from flags or their environment variables; the API
//! token only from the environment (`PAGERDUTY_API_TOKEN`, else
//! `PAGERDUTY_API_KEY`, else `PAGERDUTY_USER_API_KEY`), never from a flag and
//! never logged. `--demo` runs everything against an in-process fake PagerDuty.
//!
//! Serving is on stdio, or with `--http ADDR` over Streamable HTTP
//! ([`crate::http`]); the HTTP access token likewise comes only from the
//! environment (`PAGERDUTY_MCP_HTTP_TOKEN`) or a file, never from a flag value.
//!
//! Logs go to stderr; stdout carries MCP (or the subcommand's output).

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::demo::Demo;
use crate::egress::{ApiBase, AuthScheme};
use crate::http::{
    ALLOWED_HOSTS_VAR, ALLOWED_ORIGINS_VAR, DEFAULT_ALLOWED_ORIGINS, HttpConfig, HttpServer,
};
use crate::http_auth::{ACCESS_TOKEN_VAR, AccessToken, HttpAuth};
use crate::mcp::{self, McpServer};
use crate::sandbox::{DEFAULT_API_BASE, Sandbox, SandboxConfig};

/// The environment variables the API token is read from, in order of precedence.
pub const TOKEN_VARS: [&str; 3] = [
    "PAGERDUTY_API_TOKEN",
    "PAGERDUTY_API_KEY",
    "PAGERDUTY_USER_API_KEY",
];

const AFTER_HELP: &str = "\
Authentication:
  The API token is read from the environment only: PAGERDUTY_API_TOKEN, else PAGERDUTY_API_KEY,
  else PAGERDUTY_USER_API_KEY. REST API keys are sent as `Token token=...`; OAuth tokens
  (prefix pdus+_) as `Bearer ...`. The token never enters the WebAssembly sandbox: the host adds
  it to requests bound for the API host, and the sandbox can reach no other host.

Streamable HTTP (--http):
  MCP is served at http://ADDR/mcp, for both the session (initialize) and the stateless
  (2026-07-28) protocol revisions; `listening on http://IP:PORT/mcp` is printed on stderr.
  Only loopback addresses unless --allow-remote, and a non-loopback address also needs
  authentication: either an access token that clients send as `Authorization: Bearer <token>`
  (from PAGERDUTY_MCP_HTTP_TOKEN or --http-token-file), or --per-request-token, where each
  request carries its caller's own PagerDuty token (`Authorization: Token token=<API key>` or
  `Authorization: Bearer <OAuth token>`) and the server needs none of its own. Requests with an
  Origin header not in --allowed-origin get 403 (default: http://localhost, http://127.0.0.1 and
  http://[::1], any port).

Examples:
  PAGERDUTY_API_TOKEN=... pagerduty-mcp                 serve MCP on stdio
  PAGERDUTY_API_TOKEN=... pagerduty-mcp --http 127.0.0.1:8000
                                                         serve MCP at http://127.0.0.1:8000/mcp
  pagerduty-mcp --http 0.0.0.0:8000 --allow-remote --per-request-token
                                                         a shared server; callers bring their tokens
  pagerduty-mcp --demo tools                             list the tools (against a fake PagerDuty)
  pagerduty-mcp --demo call get_current_user
  pagerduty-mcp call list_incidents '{\"statuses\":[\"triggered\"],\"limit\":5}'

Files:
  The compiled sandbox code is cached in $XDG_CACHE_HOME/pagerduty-mcp (default ~/.cache/pagerduty-mcp);
  set PAGERDUTY_MCP_CACHE_DIR to use another directory, or to `off` to disable the cache.

MCP client configuration (e.g. Claude Desktop):
  {\"mcpServers\": {\"pagerduty\": {\"command\": \"pagerduty-mcp\",
                                 \"env\": {\"PAGERDUTY_API_TOKEN\": \"...\"}}}}";

/// PagerDuty MCP server: PagerDuty tools for AI assistants, run in a WebAssembly sandbox.
///
/// Without a subcommand, serves the Model Context Protocol on stdin/stdout (or over Streamable
/// HTTP with --http).
#[derive(Debug, Parser)]
#[command(name = "pagerduty-mcp", version, after_long_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    /// Options shared by all subcommands.
    #[command(flatten)]
    pub options: Options,

    /// What to do (default: serve MCP on stdio).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options shared by all subcommands (each may come before or after the subcommand).
#[derive(Debug, Args)]
pub struct Options {
    /// PagerDuty API base URL (http or https, no path); `https://api.eu.pagerduty.com` for EU accounts.
    #[arg(
        long,
        global = true,
        env = "PAGERDUTY_API_HOST",
        value_name = "URL",
        default_value = DEFAULT_API_BASE,
        value_parser = parse_api_host,
    )]
    pub api_host: ApiBase,

    /// How the token is sent: `token` (Token token=...) or `bearer` (OAuth). Default: bearer for
    /// tokens starting with pdus+_, token otherwise.
    #[arg(long, global = true, value_enum, value_name = "SCHEME", default_value_t = AuthSchemeArg::Auto)]
    pub auth_scheme: AuthSchemeArg,

    /// Offer the write tools (acknowledge_incident, resolve_incident, add_incident_note).
    #[arg(
        long,
        global = true,
        env = "PAGERDUTY_ENABLE_WRITE_TOOLS",
        action = ArgAction::SetTrue,
        value_parser = BoolishValueParser::new(),
    )]
    pub enable_write_tools: bool,

    /// The `From` email for write tools (default: the token's user).
    #[arg(
        long,
        global = true,
        env = "PAGERDUTY_USER_EMAIL",
        value_name = "EMAIL"
    )]
    pub user_email: Option<String>,

    /// Timeout in seconds for each PagerDuty HTTP request.
    #[arg(
        long,
        global = true,
        env = "PAGERDUTY_REQUEST_TIMEOUT",
        value_name = "SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=3600),
    )]
    pub request_timeout: u64,

    /// Largest tool result in bytes of JSON; longer lists are cut (default: the component's, 400000).
    #[arg(
        long,
        global = true,
        env = "PAGERDUTY_MAX_OUTPUT_BYTES",
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

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the Model Context Protocol on stdin/stdout, or over HTTP with --http (the default).
    Serve,
    /// List the tools.
    Tools {
        /// Print the tools as JSON (as MCP tools/list shows them) instead of a table.
        #[arg(long)]
        json: bool,
        /// Print the tool reference (docs/tools.md) as Markdown: every tool, write
        /// tools included, with an example call and its result on the demo data.
        /// Needs no token; ignores --api-host.
        #[arg(long, conflicts_with = "json")]
        markdown: bool,
    },
    /// Call one tool and print its result envelope as JSON; exits 1 on a tool error.
    Call {
        /// The tool name, e.g. list_incidents.
        tool: String,
        /// The arguments as a JSON object (default `{}`; `-` reads them from stdin).
        arguments: Option<String>,
    },
}

fn parse_api_host(text: &str) -> Result<ApiBase, String> {
    ApiBase::parse(text).map_err(|e| format!("{e:#}"))
}

fn parse_http_addr(text: &str) -> Result<SocketAddr, String> {
    crate::http::parse_listen_addr(text)
}

fn parse_origin_arg(text: &str) -> Result<String, String> {
    crate::http::parse_origin(text)
}

/// The API token from the environment, with the name of the variable it came
/// from: the first non-blank of [`TOKEN_VARS`].
pub fn token_from_env(get: impl Fn(&str) -> Option<String>) -> Option<(String, &'static str)> {
    TOKEN_VARS.iter().find_map(|&name| {
        let value = get(name)?;
        let value = value.trim();
        (!value.is_empty()).then(|| (value.to_owned(), name))
    })
}

/// A failure that ends the process with a message and an exit code.
#[derive(Debug)]
pub struct Failure {
    /// The exit code: 2 for configuration and usage errors, 1 otherwise.
    pub code: u8,
    /// The one-line message printed to stderr.
    pub message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: message.into(),
        }
    }
    fn runtime(error: anyhow::Error) -> Failure {
        Failure {
            code: 1,
            message: format!("{error:#}"),
        }
    }
}

/// Builds the sandbox configuration from the options and the environment
/// (`get` reads environment variables). Fails with exit code 2 when no token is
/// set and `demo` is off. With `--per-request-token` the sandbox gets no token
/// at all: every call brings its own.
pub fn sandbox_config(
    options: &Options,
    get: impl Fn(&str) -> Option<String>,
) -> Result<SandboxConfig, Failure> {
    if options.per_request_token {
        if let Some((_, var)) = token_from_env(&get) {
            tracing::info!(
                "--per-request-token: ignoring {var}; each request brings its own token"
            );
        }
        return Ok(sandbox_config_with(
            options,
            None,
            options.api_host.as_str(),
        ));
    }
    let Some((token, _var)) = token_from_env(get) else {
        return Err(Failure::usage(format!(
            "no PagerDuty API token: set {} (or {} / {}), or use --demo",
            TOKEN_VARS[0], TOKEN_VARS[1], TOKEN_VARS[2]
        )));
    };
    Ok(sandbox_config_with(
        options,
        Some((token.as_str(), options.auth_scheme.resolve(&token))),
        options.api_host.as_str(),
    ))
}

/// The sandbox configuration for `api_base` and `token` (with its scheme),
/// the rest from the options.
fn sandbox_config_with(
    options: &Options,
    token: Option<(&str, AuthScheme)>,
    api_base: &str,
) -> SandboxConfig {
    SandboxConfig {
        api_base: api_base.to_owned(),
        auth_scheme: token.map(|(_, scheme)| scheme).unwrap_or_default(),
        token: token.map(|(token, _)| token.to_owned()),
        enable_write_tools: options.enable_write_tools,
        user_email: options.user_email.clone().filter(|e| !e.trim().is_empty()),
        max_output_bytes: options
            .max_output_bytes
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        request_timeout: Duration::from_secs(options.request_timeout),
        ..SandboxConfig::default()
    }
}

/// The HTTP transport's configuration from the options and the environment
/// (`get` reads environment variables), `None` without `--http`. Fails with
/// exit code 2 on an unusable access token or a refused binding.
pub fn http_config(
    options: &Options,
    get: impl Fn(&str) -> Option<String>,
) -> Result<Option<HttpConfig>, Failure> {
    let Some(addr) = options.http else {
        return Ok(None);
    };
    let env_token = get(ACCESS_TOKEN_VAR).filter(|t| !t.trim().is_empty());
    let auth = if options.per_request_token {
        if env_token.is_some() {
            return Err(Failure::usage(format!(
                "{ACCESS_TOKEN_VAR} is set, but with --per-request-token the Authorization header \
                 carries each caller's PagerDuty token: unset one of them"
            )));
        }
        HttpAuth::PerRequestToken
    } else if let Some(path) = &options.http_token_file {
        HttpAuth::AccessToken(
            AccessToken::from_file(path).map_err(|e| Failure::usage(format!("{e:#}")))?,
        )
    } else if let Some(token) = env_token {
        HttpAuth::AccessToken(
            AccessToken::new(&token)
                .map_err(|e| Failure::usage(format!("{ACCESS_TOKEN_VAR}: {e:#}")))?,
        )
    } else {
        HttpAuth::None
    };
    let allowed_origins = if options.allowed_origins.is_empty() {
        DEFAULT_ALLOWED_ORIGINS.map(str::to_owned).to_vec()
    } else {
        options.allowed_origins.clone()
    };
    let allowed_hosts: Vec<String> = options
        .allowed_hosts
        .iter()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .collect();
    let config = HttpConfig {
        addr,
        allow_remote: options.allow_remote,
        auth,
        allowed_origins,
        allowed_hosts: (!allowed_hosts.is_empty()).then_some(allowed_hosts),
    };
    config.validate().map_err(Failure::usage)?;
    Ok(Some(config))
}

/// The configuration variables clap reads; set but empty counts as unset.
const CONFIG_VARS: [&str; 7] = [
    "PAGERDUTY_API_HOST",
    "PAGERDUTY_ENABLE_WRITE_TOOLS",
    "PAGERDUTY_USER_EMAIL",
    "PAGERDUTY_REQUEST_TIMEOUT",
    "PAGERDUTY_MAX_OUTPUT_BYTES",
    ALLOWED_ORIGINS_VAR,
    ALLOWED_HOSTS_VAR,
];

/// Parses the command line and runs; the process's `main`.
pub fn main() -> ExitCode {
    // MCP client configurations often carry `"VAR": ""` for options left at
    // their default: treat those as unset rather than as invalid values.
    for var in CONFIG_VARS {
        if std::env::var_os(var).is_some_and(|v| v.is_empty()) {
            // SAFETY: called at the start of `main`, before any other thread exists.
            unsafe { std::env::remove_var(var) };
        }
    }
    let cli = Cli::parse();
    init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pagerduty-mcp: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(run(cli));
    // Do not wait for a blocking stdin read when shutting down.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("pagerduty-mcp: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    let serving = matches!(cli.command, None | Some(Command::Serve));
    // rmcp logs every message at info; keep it to warnings unless asked.
    let default = if serving { "info,rmcp=warn" } else { "warn" };
    let filter = match &cli.options.log_level {
        Some(level) => EnvFilter::try_new(level).unwrap_or_else(|e| {
            eprintln!("pagerduty-mcp: ignoring --log-level {level:?}: {e}");
            EnvFilter::new(default)
        }),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default)),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let Cli { options, command } = cli;
    if let Some(Command::Tools { markdown: true, .. }) = command {
        let markdown = crate::docs::tools_markdown()
            .await
            .map_err(Failure::runtime)?;
        print!("{markdown}");
        return Ok(ExitCode::SUCCESS);
    }
    let serving = matches!(command, None | Some(Command::Serve));
    if options.http.is_some() && !serving {
        return Err(Failure::usage(
            "--http applies only when serving (no subcommand, or `serve`)",
        ));
    }
    let transport = match http_config(&options, |name| std::env::var(name).ok())? {
        Some(config) => Transport::Http(config),
        None => Transport::Stdio,
    };
    // Keep the fake PagerDuty alive for the whole run.
    let (config, _demo) = if options.demo {
        let demo = Demo::start()
            .map_err(|e| Failure::runtime(e.context("starting the demo PagerDuty")))?;
        tracing::info!(api_host = %demo.base_url(), "demo mode: using the built-in fake PagerDuty");
        // With per-request tokens the callers bring the fake's tokens.
        let token =
            (!options.per_request_token).then(|| (demo.token(), AuthScheme::detect(demo.token())));
        let config = sandbox_config_with(&options, token, demo.base_url());
        (config, Some(demo))
    } else {
        (
            sandbox_config(&options, |name| std::env::var(name).ok())?,
            None,
        )
    };

    let sandbox = Sandbox::new(config).map_err(Failure::runtime)?;
    match command.unwrap_or(Command::Serve) {
        Command::Serve => serve(McpServer::new(sandbox), transport).await,
        Command::Tools { json, .. } => list_tools(&sandbox, json).await,
        Command::Call { tool, arguments } => call_tool(&sandbox, &tool, arguments).await,
    }
}

/// How MCP is served: stdio, or Streamable HTTP (`--http <addr>`) from clones
/// of the same [`McpServer`].
enum Transport {
    Stdio,
    Http(HttpConfig),
}

async fn serve(server: McpServer, transport: Transport) -> Result<ExitCode, Failure> {
    // Ask the component for its tools while the client is still connecting.
    let warm = server.clone();
    tokio::spawn(async move {
        let _ = warm.tools().await;
    });
    match transport {
        Transport::Stdio => {
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "serving MCP on stdio");
            mcp::serve_stdio(server).await.map_err(Failure::runtime)?;
        }
        Transport::Http(config) => {
            let http = HttpServer::bind(server, &config)
                .await
                .map_err(Failure::runtime)?;
            let auth = match &config.auth {
                HttpAuth::None => "none",
                HttpAuth::AccessToken(_) => "access token",
                HttpAuth::PerRequestToken => "per-request PagerDuty token",
            };
            tracing::info!(
                version = env!("CARGO_PKG_VERSION"),
                url = %http.url(),
                auth,
                "serving MCP over Streamable HTTP"
            );
            // A fixed line for scripts (port 0 picks the port).
            eprintln!("pagerduty-mcp: listening on {}", http.url());
            http.serve(shutdown_signal())
                .await
                .map_err(Failure::runtime)?;
            tracing::info!("HTTP server stopped");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn list_tools(sandbox: &Sandbox, json: bool) -> Result<ExitCode, Failure> {
    let tools = sandbox.list_tools().await.map_err(Failure::runtime)?;
    let text = if json {
        let tools: Vec<_> = tools.iter().map(mcp::to_mcp_tool).collect();
        let text = serde_json::to_string_pretty(&tools).map_err(|e| Failure::runtime(e.into()))?;
        format!("{text}\n")
    } else {
        tools_table(&tools)
    };
    print_stdout(&text, ExitCode::SUCCESS)
}

/// Writes `text` to stdout and returns `code`; a closed pipe (`| head`) is not an error.
fn print_stdout(text: &str, code: ExitCode) -> Result<ExitCode, Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(code),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(code),
        Err(e) => Err(Failure::runtime(
            anyhow::Error::new(e).context("writing to stdout"),
        )),
    }
}

/// Re-indents JSON text (two spaces), keeping the key order of the original.
/// The input must be valid JSON.
pub fn pretty_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                // Keep empty containers on one line.
                while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                    chars.next();
                }
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(c);
                    out.push(close);
                } else {
                    out.push(c);
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// The human-readable tool table: name, read-only/write, title.
pub fn tools_table(tools: &[crate::sandbox::ToolInfo]) -> String {
    let width = tools
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(0)
        .max("TOOL".len());
    let mut text = format!("{:<width$}  {:<9}  TITLE\n", "TOOL", "ACCESS");
    for tool in tools {
        let access = if tool.annotations.read_only {
            "read-only"
        } else {
            "write"
        };
        text.push_str(&format!(
            "{:<width$}  {:<9}  {}\n",
            tool.name, access, tool.title
        ));
    }
    text
}

async fn call_tool(
    sandbox: &Sandbox,
    tool: &str,
    arguments: Option<String>,
) -> Result<ExitCode, Failure> {
    let arguments = match arguments.as_deref() {
        None => "{}".to_owned(),
        Some("-") => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| {
                Failure::usage(format!("cannot read the arguments from stdin: {e}"))
            })?;
            text
        }
        Some(text) => text.to_owned(),
    };
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&arguments) {
        return Err(Failure::usage(format!(
            "the arguments are not valid JSON: {e}"
        )));
    }
    match sandbox
        .call_tool(tool, &arguments)
        .await
        .map_err(Failure::runtime)?
    {
        Ok(outcome) => {
            let (_, text, is_error) = mcp::envelope(&outcome);
            let code = if is_error {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
            print_stdout(&format!("{}\n", pretty_json(&text)), code)
        }
        Err(error) => Err(Failure::usage(
            mcp::call_error_to_mcp(tool, error).message.into_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("pagerduty-mcp").chain(args.iter().copied()))
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    // Clap reads env vars for defaults; the tests below avoid the ones it reads
    // by passing flags explicitly where it matters.

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_subcommand_means_serve() {
        let cli = parse(&[]).unwrap();
        assert!(cli.command.is_none());
        assert!(!cli.options.demo);
    }

    #[test]
    fn subcommands_and_global_flags() {
        let cli = parse(&["--demo", "tools", "--json"]).unwrap();
        assert!(cli.options.demo);
        assert!(matches!(
            cli.command,
            Some(Command::Tools { json: true, .. })
        ));

        let cli = parse(&["call", "get_incident", r#"{"incident_id":"P1"}"#, "--demo"]).unwrap();
        assert!(cli.options.demo);
        match cli.command {
            Some(Command::Call { tool, arguments }) => {
                assert_eq!(tool, "get_incident");
                assert_eq!(arguments.as_deref(), Some(r#"{"incident_id":"P1"}"#));
            }
            other => panic!("{other:?}"),
        }

        let cli = parse(&["call", "get_current_user"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Call {
                arguments: None,
                ..
            })
        ));

        let cli = parse(&[
            "--api-host",
            "https://api.eu.pagerduty.com/",
            "--auth-scheme",
            "bearer",
            "--enable-write-tools",
            "--user-email",
            "me@example.com",
            "--request-timeout",
            "5",
            "--max-output-bytes",
            "1000",
            "--log-level",
            "debug",
            "serve",
        ])
        .unwrap();
        let o = &cli.options;
        assert_eq!(o.api_host.as_str(), "https://api.eu.pagerduty.com");
        assert_eq!(o.auth_scheme, AuthSchemeArg::Bearer);
        assert!(o.enable_write_tools);
        assert_eq!(o.user_email.as_deref(), Some("me@example.com"));
        assert_eq!(o.request_timeout, 5);
        assert_eq!(o.max_output_bytes, Some(1000));
        assert_eq!(o.log_level.as_deref(), Some("debug"));
        assert!(matches!(cli.command, Some(Command::Serve)));
    }

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

    #[test]
    fn token_precedence() {
        assert_eq!(token_from_env(env(&[])), None);
        assert_eq!(
            token_from_env(env(&[
                ("PAGERDUTY_USER_API_KEY", "c"),
                ("PAGERDUTY_API_KEY", "b"),
                ("PAGERDUTY_API_TOKEN", "a")
            ])),
            Some(("a".into(), "PAGERDUTY_API_TOKEN"))
        );
        assert_eq!(
            token_from_env(env(&[
                ("PAGERDUTY_USER_API_KEY", "c"),
                ("PAGERDUTY_API_KEY", "b")
            ])),
            Some(("b".into(), "PAGERDUTY_API_KEY"))
        );
        assert_eq!(
            token_from_env(env(&[("PAGERDUTY_USER_API_KEY", "c")])),
            Some(("c".into(), "PAGERDUTY_USER_API_KEY"))
        );
        // Blank values do not count.
        assert_eq!(
            token_from_env(env(&[
                ("PAGERDUTY_API_TOKEN", "  "),
                ("PAGERDUTY_API_KEY", " b ")
            ])),
            Some(("b".into(), "PAGERDUTY_API_KEY"))
        );
    }

    #[test]
    fn missing_token_is_a_usage_error_naming_the_variable() {
        let cli = parse(&["--api-host", "https://api.pagerduty.com"]).unwrap();
        let failure = sandbox_config(&cli.options, env(&[])).unwrap_err();
        assert_eq!(failure.code, 2);
        assert!(
            failure.message.contains("PAGERDUTY_API_TOKEN"),
            "{}",
            failure.message
        );
        assert!(!failure.message.contains('\n'));
    }

    #[test]
    fn auth_scheme_auto_detection() {
        let cli = parse(&["--api-host", "https://api.pagerduty.com"]).unwrap();
        let config =
            sandbox_config(&cli.options, env(&[("PAGERDUTY_API_TOKEN", "pdus+_oauth")])).unwrap();
        assert_eq!(config.auth_scheme, AuthScheme::Bearer);
        let config =
            sandbox_config(&cli.options, env(&[("PAGERDUTY_API_TOKEN", "u+restkey")])).unwrap();
        assert_eq!(config.auth_scheme, AuthScheme::Token);
        assert_eq!(config.token.as_deref(), Some("u+restkey"));

        let cli = parse(&[
            "--api-host",
            "https://api.pagerduty.com",
            "--auth-scheme",
            "bearer",
        ])
        .unwrap();
        let config =
            sandbox_config(&cli.options, env(&[("PAGERDUTY_API_TOKEN", "u+restkey")])).unwrap();
        assert_eq!(config.auth_scheme, AuthScheme::Bearer);

        let cli = parse(&[
            "--api-host",
            "https://api.pagerduty.com",
            "--auth-scheme",
            "token",
        ])
        .unwrap();
        let config = sandbox_config(&cli.options, env(&[("PAGERDUTY_API_TOKEN", "abc")])).unwrap();
        assert_eq!(config.auth_scheme, AuthScheme::Token);
    }

    #[test]
    fn config_carries_the_options() {
        let cli = parse(&[
            "--api-host",
            "http://127.0.0.1:9/",
            "--request-timeout",
            "7",
            "--max-output-bytes",
            "5000",
            "--user-email",
            "me@example.com",
            "--enable-write-tools",
        ])
        .unwrap();
        let config = sandbox_config(&cli.options, env(&[("PAGERDUTY_API_KEY", "k")])).unwrap();
        assert_eq!(config.api_base, "http://127.0.0.1:9");
        assert_eq!(config.request_timeout, Duration::from_secs(7));
        assert_eq!(config.max_output_bytes, Some(5000));
        assert_eq!(config.user_email.as_deref(), Some("me@example.com"));
        assert!(config.enable_write_tools);
    }

    #[test]
    fn http_options() {
        let cli = parse(&["--api-host", "https://api.pagerduty.com"]).unwrap();
        assert!(http_config(&cli.options, env(&[])).unwrap().is_none());

        let cli = parse(&[
            "--api-host",
            "https://api.pagerduty.com",
            "serve",
            "--http",
            "8000",
            "--allowed-origin",
            "https://a.example.com,http://localhost:3000",
            "--allowed-origin",
            "null",
            "--allowed-host",
            "mcp.example.com",
        ])
        .unwrap();
        let config = http_config(&cli.options, env(&[])).unwrap().unwrap();
        assert_eq!(config.addr, "127.0.0.1:8000".parse().unwrap());
        assert!(matches!(config.auth, HttpAuth::None));
        assert_eq!(
            config.allowed_origins,
            ["https://a.example.com", "http://localhost:3000", "null"]
        );
        assert_eq!(
            config.allowed_hosts.as_deref(),
            Some(&["mcp.example.com".to_owned()][..])
        );

        // Defaults; the access token from the environment.
        let cli = parse(&[
            "--api-host",
            "https://api.pagerduty.com",
            "--http",
            "127.0.0.1:0",
        ])
        .unwrap();
        let config = http_config(
            &cli.options,
            env(&[(ACCESS_TOKEN_VAR, "0123456789abcdef0123")]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(config.allowed_origins, DEFAULT_ALLOWED_ORIGINS);
        assert!(config.allowed_hosts.is_none());
        match &config.auth {
            HttpAuth::AccessToken(token) => assert!(token.matches("0123456789abcdef0123")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn http_binding_rules_are_usage_errors() {
        let remote = [
            "--api-host",
            "https://api.pagerduty.com",
            "--http",
            "0.0.0.0:8000",
        ];
        let cli = parse(&remote).unwrap();
        let failure = http_config(&cli.options, env(&[])).unwrap_err();
        assert_eq!(failure.code, 2);
        assert!(
            failure.message.contains("--allow-remote"),
            "{}",
            failure.message
        );

        let cli = parse(&[&remote[..], &["--allow-remote"]].concat()).unwrap();
        let failure = http_config(&cli.options, env(&[])).unwrap_err();
        assert_eq!(failure.code, 2);
        assert!(
            failure.message.contains("without authentication"),
            "{}",
            failure.message
        );

        let cli =
            parse(&[&remote[..], &["--allow-remote", "--per-request-token"]].concat()).unwrap();
        let config = http_config(&cli.options, env(&[])).unwrap().unwrap();
        assert!(matches!(config.auth, HttpAuth::PerRequestToken));
        // ... and then the server needs no token of its own, and ignores one.
        let sandbox = sandbox_config(&cli.options, env(&[])).unwrap();
        assert!(sandbox.token.is_none());
        let sandbox = sandbox_config(
            &cli.options,
            env(&[("PAGERDUTY_API_TOKEN", "server-token")]),
        )
        .unwrap();
        assert!(sandbox.token.is_none());
        // An access token in the environment contradicts per-request tokens.
        let failure = http_config(
            &cli.options,
            env(&[(ACCESS_TOKEN_VAR, "0123456789abcdef0123")]),
        )
        .unwrap_err();
        assert_eq!(failure.code, 2);

        let cli = parse(&[&remote[..], &["--allow-remote"]].concat()).unwrap();
        let failure = http_config(&cli.options, env(&[(ACCESS_TOKEN_VAR, "short")])).unwrap_err();
        assert_eq!(failure.code, 2);
        assert!(!failure.message.contains("short\""), "{}", failure.message);
        assert!(
            http_config(
                &cli.options,
                env(&[(ACCESS_TOKEN_VAR, "0123456789abcdef0123")])
            )
            .is_ok()
        );

        // The HTTP-only flags need --http; there is no flag taking a token value.
        for args in [
            &["--allow-remote"][..],
            &["--per-request-token"],
            &["--http-token-file", "/dev/null"],
            &[
                "--http",
                "127.0.0.1:0",
                "--http-token-file",
                "x",
                "--per-request-token",
            ],
            &["--http", "127.0.0.1:0", "--http-token", "abc"],
            &["--http", "127.0.0.1"],
            &["--http", "127.0.0.1:0", "--allowed-origin", "example.com"],
        ] {
            assert!(parse(args).is_err(), "{args:?} should be rejected");
        }
    }

    #[test]
    fn pretty_json_keeps_key_order() {
        let text = r#"{"metadata":{"count":1,"description":"a, b: {c}"},"users":[{"id":"P1","tags":[],"o":{ }}],"e":"q\"x\\"}"#;
        let expected = r#"{
  "metadata": {
    "count": 1,
    "description": "a, b: {c}"
  },
  "users": [
    {
      "id": "P1",
      "tags": [],
      "o": {}
    }
  ],
  "e": "q\"x\\"
}"#;
        let pretty = pretty_json(text);
        assert_eq!(pretty, expected);
        let a: serde_json::Value = serde_json::from_str(text).unwrap();
        let b: serde_json::Value = serde_json::from_str(&pretty).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn table_lists_access_and_title() {
        use crate::sandbox::{Annotations, ToolInfo};
        let tool = |name: &str, read_only: bool, title: &str| ToolInfo {
            name: name.into(),
            title: title.into(),
            description: String::new(),
            input_schema: "{}".into(),
            output_schema: "{}".into(),
            annotations: Annotations {
                read_only,
                destructive: false,
                idempotent: read_only,
                open_world: true,
            },
        };
        let table = tools_table(&[
            tool("get_current_user", true, "Current user"),
            tool("resolve_incident", false, "Resolve"),
        ]);
        let lines: Vec<_> = table.lines().collect();
        assert_eq!(lines[0], "TOOL              ACCESS     TITLE");
        assert_eq!(lines[1], "get_current_user  read-only  Current user");
        assert_eq!(lines[2], "resolve_incident  write      Resolve");
    }
}

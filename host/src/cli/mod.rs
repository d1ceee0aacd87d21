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
//!
//! Files: `mod.rs` the [`Cli`] and the dispatch ([`main`], [`run`]),
//! `options.rs` the flags and their parsers, `config.rs` options + environment →
//! [`SandboxConfig`](crate::sandbox::SandboxConfig) / [`HttpConfig`](crate::http::HttpConfig),
//! `serve.rs` stdio and HTTP serving, `commands.rs` the `tools` and `call`
//! subcommands.

mod commands;
mod config;
mod options;
mod serve;

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

pub use self::commands::tools_table;
use self::config::{CONFIG_VARS, sandbox_config_with};
pub use self::config::{TOKEN_VARS, http_config, sandbox_config, token_from_env};
pub use self::options::{AuthSchemeArg, Options};
use self::serve::{Transport, serve};
use crate::demo::Demo;
use crate::egress::AuthScheme;
use crate::mcp::McpServer;
use crate::sandbox::Sandbox;
use pagerduty_tools::toolsets::Selection;

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
  Limits: at most --max-sessions legacy sessions (1000) and --max-sessions-per-client per client
  (100); a session idle for --session-idle-timeout (600 s) is closed; an `initialize` past a
  limit gets 503 or 429 with Retry-After. At most --max-connections connections (1024, fewer
  under a low open-file limit); request headers must arrive within --header-timeout (10 s), and
  a connection idle for --idle-timeout (60 s) is closed.

Examples:
  PAGERDUTY_API_TOKEN=... pagerduty-mcp                 serve MCP on stdio
  PAGERDUTY_API_TOKEN=... pagerduty-mcp --http 127.0.0.1:8000
                                                         serve MCP at http://127.0.0.1:8000/mcp
  pagerduty-mcp --http 0.0.0.0:8000 --allow-remote --per-request-token
                                                         a shared server; callers bring their tokens
  pagerduty-mcp --demo tools                             list the toolsets and tools (against a fake PagerDuty)
  pagerduty-mcp --toolsets incidents,oncall --enable-write-tools=acknowledge_incident
                                                         two toolsets and one write tool
  pagerduty-mcp --demo call get_current_user
  pagerduty-mcp call list_incidents '{\"statuses\":[\"triggered\"],\"limit\":5}'

Files:
  The sandbox code comes precompiled inside this binary: no start writes or reads a file for it.
  Where that code does not fit this machine (or with PAGERDUTY_MCP_PRECOMPILED=off), it is
  compiled and cached in $XDG_CACHE_HOME/pagerduty-mcp (default ~/.cache/pagerduty-mcp);
  set PAGERDUTY_MCP_CACHE_DIR to use another directory, or to `off` to disable the cache. The
  directory must be yours and not writable by others; each file in it is verified (a MAC under
  its key file mac.key) before it is loaded, else the code is compiled anew.

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
        /// Print the README's tool table (Markdown): every tool of the catalog with its
        /// toolset, kind and summary. Needs no token.
        #[arg(long, conflicts_with_all = ["json", "markdown"])]
        readme_table: bool,
    },
    /// Call one tool and print its result envelope as JSON; exits 1 on a tool error.
    Call {
        /// The tool name, e.g. list_incidents.
        tool: String,
        /// The arguments as a JSON object (default `{}`; `-` reads them from stdin).
        arguments: Option<String>,
    },
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
    let matches = options::with_catalog_help(Cli::command()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
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

/// Logs to stderr (stdout carries MCP or the subcommand's output), filtered by
/// `--log-level`, else `RUST_LOG`, else a default that keeps a server's log short.
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
    if let Some(Command::Tools {
        readme_table: true, ..
    }) = command
    {
        let table = crate::docs::readme_table_markdown()
            .await
            .map_err(Failure::runtime)?;
        print!("{table}");
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(Command::Tools { markdown: true, .. }) = command {
        let markdown = crate::docs::tools_markdown()
            .await
            .map_err(Failure::runtime)?;
        print!("{markdown}");
        return Ok(ExitCode::SUCCESS);
    }
    // The selection lives in the component; the same parser, linked here, rejects an
    // unknown name before anything starts (in microseconds, not an instance's time).
    let selection = Selection::parse(
        options.toolsets.as_deref(),
        options.tools.as_deref(),
        options.enable_write_tools.as_deref(),
    )
    .map_err(|e| {
        Failure::usage(format!(
            "invalid tool selection (--toolsets, --tools, --enable-write-tools): {e}"
        ))
    })?;
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
        Command::Serve => {
            let instructions = pagerduty_tools::mcp::instructions(&selection);
            serve(McpServer::new(sandbox, instructions), transport).await
        }
        Command::Tools { json, .. } => commands::list_tools(&sandbox, json).await,
        Command::Call { tool, arguments } => commands::call_tool(&sandbox, &tool, arguments).await,
    }
}

/// Helpers for the unit tests of the command line.
///
/// Clap reads environment variables for defaults; the tests avoid the ones it
/// reads by passing flags explicitly where it matters.
#[cfg(test)]
mod testing {
    use clap::Parser as _;

    use super::Cli;

    /// Parses `args` as the arguments after the program name.
    pub(super) fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("pagerduty-mcp").chain(args.iter().copied()))
    }

    /// An environment of `vars` only.
    pub(super) fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::parse;
    use super::*;

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
        options::with_catalog_help(Cli::command()).debug_assert();
    }

    #[test]
    fn every_tool_the_help_names_is_in_the_catalog() {
        let words: Vec<&str> = AFTER_HELP
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .collect();
        let named: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| {
                ["get_", "list_", "acknowledge_", "resolve_", "add_"]
                    .iter()
                    .any(|p| w.starts_with(p))
            })
            .collect();
        assert!(named.len() >= 3, "{named:?}");
        for name in named {
            assert!(
                pagerduty_tools::catalog::find(name).is_some(),
                "the help names '{name}', which is not a tool"
            );
        }
    }

    #[test]
    fn the_selection_help_lists_the_catalog() {
        let help = options::with_catalog_help(Cli::command())
            .render_long_help()
            .to_string();
        for name in ["schedules_v3", "list_team_members", "add_incident_note"] {
            assert!(help.contains(name), "--help does not name {name}");
        }
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
        assert_eq!(o.enable_write_tools.as_deref(), Some("true"));
        assert_eq!(o.user_email.as_deref(), Some("me@example.com"));
        assert_eq!(o.request_timeout, 5);
        assert_eq!(o.max_output_bytes, Some(1000));
        assert_eq!(o.log_level.as_deref(), Some("debug"));
        assert!(matches!(cli.command, Some(Command::Serve)));
    }
}

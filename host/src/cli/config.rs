//! From the options and the environment to the configuration of the sandbox
//! ([`SandboxConfig`]) and of the HTTP transport ([`HttpConfig`]).
//!
//! The API token and the HTTP access token come only from the environment
//! (never from a flag value, which other users could read in the process
//! list); the other variables are read by clap as the flags' defaults.

use std::time::Duration;

use pagerduty_tools::config::vars;

use super::{Failure, Options};
use crate::egress::AuthScheme;
use crate::http::{ALLOWED_HOSTS_VAR, ALLOWED_ORIGINS_VAR, DEFAULT_ALLOWED_ORIGINS, HttpConfig};
use crate::http_auth::{ACCESS_TOKEN_VAR, AccessToken, HttpAuth};
use crate::http_conn::{
    ConnectionLimits, HEADER_TIMEOUT_VAR, IDLE_TIMEOUT_VAR, MAX_CONNECTIONS_VAR,
};
use crate::http_sessions::{
    MAX_SESSIONS_PER_CLIENT_VAR, MAX_SESSIONS_VAR, SESSION_IDLE_TIMEOUT_VAR, SessionLimits,
};
use crate::sandbox::{SandboxConfig, ToolSelection};

/// The environment variables the API token is read from, in order of precedence.
pub const TOKEN_VARS: [&str; 3] = [
    "PAGERDUTY_API_TOKEN",
    "PAGERDUTY_API_KEY",
    "PAGERDUTY_USER_API_KEY",
];

/// The variable of `--request-timeout` (a host setting: the component never
/// sees it).
pub(super) const REQUEST_TIMEOUT_VAR: &str = "PAGERDUTY_REQUEST_TIMEOUT";

/// The variable of `--max-concurrent-calls`.
pub(super) const MAX_CONCURRENT_CALLS_VAR: &str = "PAGERDUTY_MCP_MAX_CONCURRENT_CALLS";

/// The variable of `--queue-timeout`.
pub(super) const QUEUE_TIMEOUT_VAR: &str = "PAGERDUTY_MCP_QUEUE_TIMEOUT";

/// The configuration variables clap reads; set but empty counts as unset.
pub(super) const CONFIG_VARS: [&str; 17] = [
    vars::API_HOST,
    vars::TOOLSETS,
    vars::TOOLS,
    vars::ENABLE_WRITE_TOOLS,
    vars::USER_EMAIL,
    REQUEST_TIMEOUT_VAR,
    MAX_CONCURRENT_CALLS_VAR,
    QUEUE_TIMEOUT_VAR,
    vars::MAX_OUTPUT_BYTES,
    ALLOWED_ORIGINS_VAR,
    ALLOWED_HOSTS_VAR,
    MAX_SESSIONS_VAR,
    MAX_SESSIONS_PER_CLIENT_VAR,
    SESSION_IDLE_TIMEOUT_VAR,
    MAX_CONNECTIONS_VAR,
    HEADER_TIMEOUT_VAR,
    IDLE_TIMEOUT_VAR,
];

/// The API token from the environment, with the name of the variable it came
/// from: the first non-blank of [`TOKEN_VARS`].
pub fn token_from_env(get: impl Fn(&str) -> Option<String>) -> Option<(String, &'static str)> {
    TOKEN_VARS.iter().find_map(|&name| {
        let value = get(name)?;
        let value = value.trim();
        (!value.is_empty()).then(|| (value.to_owned(), name))
    })
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
pub(super) fn sandbox_config_with(
    options: &Options,
    token: Option<(&str, AuthScheme)>,
    api_base: &str,
) -> SandboxConfig {
    SandboxConfig {
        api_base: api_base.to_owned(),
        auth_scheme: token.map(|(_, scheme)| scheme).unwrap_or_default(),
        token: token.map(|(token, _)| token.to_owned()),
        selection: ToolSelection {
            toolsets: options.toolsets.clone(),
            tools: options.tools.clone(),
            write_tools: options.enable_write_tools.clone(),
        },
        user_email: options.user_email.clone().filter(|e| !e.trim().is_empty()),
        max_output_bytes: options
            .max_output_bytes
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        request_timeout: Duration::from_secs(options.request_timeout),
        max_concurrent_calls: options.max_concurrent_calls as usize,
        queue_timeout: Duration::from_secs(options.queue_timeout),
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
        sessions: SessionLimits {
            max_sessions: to_usize(options.max_sessions),
            max_per_client: to_usize(options.max_sessions_per_client),
            idle_timeout: Duration::from_secs(options.session_idle_timeout),
        },
        connections: ConnectionLimits {
            max_connections: options.max_connections.map(to_usize),
            header_timeout: Duration::from_secs(options.header_timeout),
            idle_timeout: Duration::from_secs(options.idle_timeout),
        },
    };
    config.validate().map_err(Failure::usage)?;
    Ok(Some(config))
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{env, parse};
    use super::*;

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
            "--max-concurrent-calls",
            "3",
            "--queue-timeout",
            "0",
        ])
        .unwrap();
        let config = sandbox_config(&cli.options, env(&[("PAGERDUTY_API_KEY", "k")])).unwrap();
        assert_eq!(config.api_base, "http://127.0.0.1:9");
        assert_eq!(config.max_concurrent_calls, 3);
        assert_eq!(config.queue_timeout, Duration::ZERO);
        assert_eq!(config.request_timeout, Duration::from_secs(7));
        assert_eq!(config.max_output_bytes, Some(5000));
        assert_eq!(config.user_email.as_deref(), Some("me@example.com"));
        assert_eq!(config.selection, ToolSelection::with_writes());

        let cli = parse(&["--api-host", "https://api.pagerduty.com"]).unwrap();
        let config = sandbox_config(&cli.options, env(&[("PAGERDUTY_API_KEY", "k")])).unwrap();
        assert_eq!(config.max_concurrent_calls, 8);
        assert_eq!(config.queue_timeout, Duration::from_secs(10));
    }

    #[test]
    fn tool_selection_flags_pass_through_to_the_component() {
        let cli = parse(&[
            "--toolsets",
            "people,oncall",
            "--tools",
            "get_incident",
            "--enable-write-tools=resolve_incident",
            "tools",
        ])
        .unwrap();
        let config = sandbox_config(&cli.options, env(&[("PAGERDUTY_API_KEY", "k")])).unwrap();
        assert_eq!(
            config.selection,
            ToolSelection {
                toolsets: Some("people,oncall".into()),
                tools: Some("get_incident".into()),
                write_tools: Some("resolve_incident".into()),
            }
        );
        // The bare flag means `true` and does not swallow the next word.
        let cli = parse(&["--enable-write-tools", "tools"]).unwrap();
        assert_eq!(cli.options.enable_write_tools.as_deref(), Some("true"));
        assert!(matches!(
            cli.command,
            Some(super::super::Command::Tools { .. })
        ));
        let cli = parse(&["tools"]).unwrap();
        assert_eq!(cli.options.enable_write_tools, None);
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
        assert_eq!(config.sessions, SessionLimits::default());
        assert_eq!(config.connections, ConnectionLimits::default());
        match &config.auth {
            HttpAuth::AccessToken(token) => assert!(token.matches("0123456789abcdef0123")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn http_limits_from_flags_and_environment() {
        let cli = parse(&[
            "--http",
            "127.0.0.1:0",
            "--max-sessions",
            "5",
            "--max-sessions-per-client",
            "2",
            "--session-idle-timeout",
            "1",
            "--header-timeout",
            "3",
        ])
        .unwrap();
        let config = http_config(&cli.options, env(&[])).unwrap().unwrap();
        assert_eq!(
            config.sessions,
            SessionLimits {
                max_sessions: 5,
                max_per_client: 2,
                idle_timeout: Duration::from_secs(1)
            }
        );
        assert_eq!(config.connections.header_timeout, Duration::from_secs(3));
        assert_eq!(
            config.connections.idle_timeout,
            crate::http_conn::DEFAULT_IDLE_TIMEOUT
        );
        assert_eq!(config.connections.max_connections, None);
        let cli = parse(&[
            "--http",
            "127.0.0.1:0",
            "--max-connections",
            "8",
            "--idle-timeout",
            "2",
        ])
        .unwrap();
        let config = http_config(&cli.options, env(&[])).unwrap().unwrap();
        assert_eq!(config.connections.max_connections, Some(8));
        assert_eq!(config.connections.idle_timeout, Duration::from_secs(2));
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
}

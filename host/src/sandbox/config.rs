//! What a [`Sandbox`](super::Sandbox) is configured with, and the guest
//! environment that follows from it.
//!
//! The guest's environment is the component's configuration contract
//! ([`pagerduty_tools::config::vars`], defined once in the tools crate); the
//! token is never part of it.

use std::fmt;
use std::time::Duration;

use pagerduty_tools::config::{DEFAULT_API_HOST, DEFAULT_CALL_DEADLINE, redact_url, vars};

use crate::egress::{ApiBase, AuthScheme};

/// The default API base URL.
pub const DEFAULT_API_BASE: &str = DEFAULT_API_HOST;

/// How many instances run at once by default ([`SandboxConfig::max_concurrent_calls`]):
/// with the default memory cap, at most 8 × 64 MiB = 512 MiB of guest memory.
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 8;

/// How long a call waits for a free instance by default ([`SandboxConfig::queue_timeout`]).
pub const DEFAULT_QUEUE_TIMEOUT: Duration = Duration::from_secs(10);

/// The default memory cap of one instance ([`SandboxConfig::memory_limit_bytes`]).
pub const DEFAULT_MEMORY_LIMIT_BYTES: usize = 64 << 20;

/// Everything a [`Sandbox`](super::Sandbox) needs to know.
#[derive(Clone)]
pub struct SandboxConfig {
    /// The PagerDuty API base URL (`http`/`https`, host, optional port, no path).
    /// The only destination the component may send requests to; it receives it
    /// as `PAGERDUTY_API_HOST`.
    pub api_base: String,
    /// The API token the host adds to outgoing requests. Never given to the guest.
    pub token: Option<String>,
    /// How the token is sent (tokens starting `pdus+_` always use `Bearer`).
    pub auth_scheme: AuthScheme,
    /// Which tools the component offers (toolsets, extra tools, enabled writes).
    pub selection: ToolSelection,
    /// The `From` address for write tools (`PAGERDUTY_USER_EMAIL`), if configured.
    pub user_email: Option<String>,
    /// The output cap in bytes (`PAGERDUTY_MAX_OUTPUT_BYTES`), if configured.
    pub max_output_bytes: Option<usize>,
    /// Connect / first-byte / between-bytes timeout for each HTTP request
    /// (where the guest sets none). Default 30 s.
    pub request_timeout: Duration,
    /// The longest one `list_tools` / `call_tool` may take. Default 60 s.
    pub call_deadline: Duration,
    /// The most linear memory one call's instance may use (all its memories
    /// together). Default 64 MiB.
    pub memory_limit_bytes: usize,
    /// The most instances that exist at once: tool calls and the tool and
    /// toolset listings each run in one. Together with the memory cap this
    /// bounds the guests' memory: `max_concurrent_calls × memory_limit_bytes`.
    /// Default [`DEFAULT_MAX_CONCURRENT_CALLS`]; at least 1.
    pub max_concurrent_calls: usize,
    /// How long a call waits for a free instance when all
    /// [`max_concurrent_calls`](Self::max_concurrent_calls) are in use before
    /// it fails with [`Busy`](super::Busy) (zero: it does not wait). Default
    /// [`DEFAULT_QUEUE_TIMEOUT`]. The wait is not part of the call deadline.
    pub queue_timeout: Duration,
}

/// Which tools the component offers, as the settings the component reads
/// (`PAGERDUTY_TOOLSETS`, `PAGERDUTY_TOOLS`, `PAGERDUTY_ENABLE_WRITE_TOOLS`).
/// The host passes them through unparsed: the selection lives in the
/// component, so every host of it behaves the same; an unusable value is the
/// component's configuration error, which [`Sandbox::new`](super::Sandbox::new)
/// callers see from [`Sandbox::list_tools`](super::Sandbox::list_tools).
/// `None` leaves a setting at the component's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolSelection {
    /// The toolsets offered, comma-separated, or `all`.
    pub toolsets: Option<String>,
    /// Individual tools offered in addition, comma-separated.
    pub tools: Option<String>,
    /// `true` for every offered write tool, or a list of write tool names.
    pub write_tools: Option<String>,
}

impl ToolSelection {
    /// The default toolsets with every write tool among them enabled.
    pub fn with_writes() -> ToolSelection {
        ToolSelection {
            write_tools: Some("true".into()),
            ..ToolSelection::default()
        }
    }

    /// Every tool of the catalog, write tools included (for docs and tests).
    pub fn everything() -> ToolSelection {
        ToolSelection {
            toolsets: Some("all".into()),
            tools: None,
            write_tools: Some("true".into()),
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            api_base: DEFAULT_API_BASE.to_owned(),
            token: None,
            auth_scheme: AuthScheme::Token,
            selection: ToolSelection::default(),
            user_email: None,
            max_output_bytes: None,
            request_timeout: Duration::from_secs(30),
            call_deadline: DEFAULT_CALL_DEADLINE,
            memory_limit_bytes: DEFAULT_MEMORY_LIMIT_BYTES,
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS,
            queue_timeout: DEFAULT_QUEUE_TIMEOUT,
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("api_base", &redact_url(&self.api_base))
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("auth_scheme", &self.auth_scheme)
            .field("selection", &self.selection)
            .field("user_email", &self.user_email)
            .field("max_output_bytes", &self.max_output_bytes)
            .field("request_timeout", &self.request_timeout)
            .field("call_deadline", &self.call_deadline)
            .field("memory_limit_bytes", &self.memory_limit_bytes)
            .field("max_concurrent_calls", &self.max_concurrent_calls)
            .field("queue_timeout", &self.queue_timeout)
            .finish()
    }
}

impl SandboxConfig {
    /// The guest's whole environment: API host, the call deadline in
    /// milliseconds (`PAGERDUTY_CALL_DEADLINE_MS`, so the component can stop
    /// retrying before the host stops it), and the optional tool selection,
    /// email and output cap. Never the token.
    pub fn guest_env(&self, base: &ApiBase) -> Vec<(String, String)> {
        let mut env = vec![
            (vars::API_HOST.to_owned(), base.as_str().to_owned()),
            (
                vars::CALL_DEADLINE_MS.to_owned(),
                self.call_deadline.as_millis().to_string(),
            ),
        ];
        let selection = [
            (vars::TOOLSETS, &self.selection.toolsets),
            (vars::TOOLS, &self.selection.tools),
            (vars::ENABLE_WRITE_TOOLS, &self.selection.write_tools),
        ];
        for (name, value) in selection {
            if let Some(value) = value {
                env.push((name.to_owned(), value.clone()));
            }
        }
        if let Some(email) = &self.user_email {
            env.push((vars::USER_EMAIL.to_owned(), email.clone()));
        }
        if let Some(max) = self.max_output_bytes {
            env.push((vars::MAX_OUTPUT_BYTES.to_owned(), max.to_string()));
        }
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_env_never_contains_the_token() {
        let config = SandboxConfig {
            token: Some("SECRET".into()),
            user_email: Some("a@example.com".into()),
            max_output_bytes: Some(1000),
            selection: ToolSelection {
                toolsets: Some("people".into()),
                tools: None,
                write_tools: Some("true".into()),
            },
            ..SandboxConfig::default()
        };
        let base = ApiBase::parse("https://api.pagerduty.com/").unwrap();
        let env = config.guest_env(&base);
        // Spelled out: these names are the contract with the component.
        assert_eq!(
            env,
            [
                (
                    "PAGERDUTY_API_HOST".to_owned(),
                    "https://api.pagerduty.com".to_owned()
                ),
                ("PAGERDUTY_CALL_DEADLINE_MS".to_owned(), "60000".to_owned()),
                ("PAGERDUTY_TOOLSETS".to_owned(), "people".to_owned()),
                ("PAGERDUTY_ENABLE_WRITE_TOOLS".to_owned(), "true".to_owned()),
                (
                    "PAGERDUTY_USER_EMAIL".to_owned(),
                    "a@example.com".to_owned()
                ),
                ("PAGERDUTY_MAX_OUTPUT_BYTES".to_owned(), "1000".to_owned()),
            ]
        );
        assert!(
            env.iter()
                .all(|(name, _)| vars::ALL.contains(&name.as_str())),
            "{env:?}"
        );
        assert!(!format!("{config:?}").contains("SECRET"));
        let config = SandboxConfig {
            api_base: "https://u:SECRET@api.pagerduty.com?token=SECRET".into(),
            ..config
        };
        assert!(!format!("{config:?}").contains("SECRET"));
    }
}

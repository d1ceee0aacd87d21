//! The component's configuration, read from its environment.
//!
//! The host decides what the guest's environment holds; the token is never among it.
//!
//! [`redact_url`] is how every message of the host and the component shows an API
//! host URL: a token pasted into one (`https://TOKEN@api.pagerduty.com`,
//! `?token=...`) never reaches stderr, a log line or a tool result.

use crate::toolsets::{Selection, SelectionError};

/// The environment contract between a host and the component: the names of the
/// variables the component reads. A host sets them in the guest's environment (never
/// the token); the native host's flags of the same names map onto them. Defined here
/// once so host and component cannot drift apart.
pub mod vars {
    /// The API base URL the component sends requests to.
    pub const API_HOST: &str = "PAGERDUTY_API_HOST";
    /// `true` for every write tool of the offered tools, or a comma-separated list of
    /// write tool names (exactly those, offered even outside the selected toolsets).
    pub const ENABLE_WRITE_TOOLS: &str = "PAGERDUTY_ENABLE_WRITE_TOOLS";
    /// The toolsets offered (comma-separated; `all` for every toolset).
    pub const TOOLSETS: &str = "PAGERDUTY_TOOLSETS";
    /// Individual tools offered in addition to the toolsets (comma-separated).
    pub const TOOLS: &str = "PAGERDUTY_TOOLS";
    /// The `From` address for writes (optional; default: the token's user).
    pub const USER_EMAIL: &str = "PAGERDUTY_USER_EMAIL";
    /// The output cap in bytes of JSON (optional).
    pub const MAX_OUTPUT_BYTES: &str = "PAGERDUTY_MAX_OUTPUT_BYTES";
    /// How long the host lets one call run, in milliseconds; retries stay within it.
    pub const CALL_DEADLINE_MS: &str = "PAGERDUTY_CALL_DEADLINE_MS";
    /// Every variable of the contract, for hosts that forward or clear them.
    pub const ALL: [&str; 7] = [
        API_HOST,
        ENABLE_WRITE_TOOLS,
        TOOLSETS,
        TOOLS,
        USER_EMAIL,
        MAX_OUTPUT_BYTES,
        CALL_DEADLINE_MS,
    ];
}

/// Where PagerDuty is when nothing says otherwise.
pub const DEFAULT_API_HOST: &str = "https://api.pagerduty.com";

/// The default output cap in bytes of JSON (`docs/conventions.md`, "Output cap").
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 400_000;

/// The smallest output cap: an error envelope needs 141 bytes with an empty message
/// (`envelope::failure_within`), so smaller values are raised to this one and every
/// result, errors included, fits the cap.
pub const MIN_MAX_OUTPUT_BYTES: usize = 200;

/// The host's default per-call deadline.
pub const DEFAULT_CALL_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// What a tool call needs to know about its surroundings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The API base URL without a trailing slash, e.g. `https://api.pagerduty.com`.
    pub api_host: String,
    /// Which tools are offered: toolsets, extra tools, enabled writes.
    pub selection: Selection,
    /// The `From` address for writes; when `None` the current user's email is used.
    pub user_email: Option<String>,
    /// The output cap in bytes of JSON (at least [`MIN_MAX_OUTPUT_BYTES`] when read
    /// from the environment).
    pub max_output_bytes: usize,
    /// How long the host lets one call run (`PAGERDUTY_CALL_DEADLINE_MS`).
    pub call_deadline: std::time::Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            api_host: DEFAULT_API_HOST.to_string(),
            selection: Selection::default(),
            user_email: None,
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
            call_deadline: DEFAULT_CALL_DEADLINE,
        }
    }
}

impl Config {
    /// Reads the variables of [`vars`] through `lookup` (the process environment in the
    /// component, a map in tests). Unset, blank or unparsable values fall back to
    /// defaults, except the tool selection: unknown toolset or tool names are an error,
    /// which hosts report at start-up. An output cap below [`MIN_MAX_OUTPUT_BYTES`] is
    /// raised to it.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, SelectionError> {
        let value = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let defaults = Config::default();
        let selection = Selection::parse(
            value(vars::TOOLSETS).as_deref(),
            value(vars::TOOLS).as_deref(),
            value(vars::ENABLE_WRITE_TOOLS).as_deref(),
        )?;
        Ok(Config {
            api_host: value(vars::API_HOST)
                .map(|h| h.trim_end_matches('/').to_string())
                .unwrap_or(defaults.api_host),
            selection,
            user_email: value(vars::USER_EMAIL),
            max_output_bytes: value(vars::MAX_OUTPUT_BYTES)
                .and_then(|v| v.parse().ok())
                .filter(|n: &usize| *n > 0)
                .map_or(defaults.max_output_bytes, |n| n.max(MIN_MAX_OUTPUT_BYTES)),
            call_deadline: value(vars::CALL_DEADLINE_MS)
                .and_then(|v| v.parse().ok())
                .filter(|ms: &u64| *ms > 0)
                .map_or(defaults.call_deadline, std::time::Duration::from_millis),
        })
    }

    /// The time requests and retries of one call may take: nine tenths of the host's
    /// deadline, so the call ends with a clear error before the host stops it.
    pub fn call_budget(&self) -> std::time::Duration {
        self.call_deadline.mul_f64(0.9)
    }

    /// The configuration of this process's environment.
    pub fn from_env() -> Result<Config, SelectionError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }
}

/// What a redacted secret is shown as.
pub const REDACTED: &str = "***";

/// `url` fit for a message or a log line: credentials, query values and the
/// fragment's values replaced by [`REDACTED`]; the scheme, host, port and path
/// kept, and the names of query and fragment parameters.
///
/// * Credentials: everything between the scheme's `//` and the last `@` becomes
///   `***` (`https://u:TOKEN@host` → `https://***@host`). The last `@` of the whole
///   text counts, not only one before the path, so a password holding `/`, `?` or
///   `#` (which leaves the URL unparseable) is hidden whole; a text without a
///   scheme is treated the same (`TOKEN@host` → `***@host`).
/// * Query and fragment: each `&`-separated `name=value` becomes `name=***`; a
///   part without `=` could be the secret itself and becomes `***`
///   (`?token=abc&x` → `?token=***&***`, `#abc` → `#***`).
///
/// Works on any text, a valid URL or not: it is meant for the messages that
/// refuse one. Some text is hidden that holds no secret (a path with an `@`),
/// never the reverse for these parts.
pub fn redact_url(url: &str) -> String {
    // The scheme: letters, digits, `+`, `-`, `.`, starting with a letter, then `:`.
    let scheme_len = url
        .find(':')
        .filter(|&i| {
            let scheme = &url[..i];
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        })
        .map_or(0, |i| i + 1);
    let (scheme, rest) = url.split_at(scheme_len);
    let slashes = rest.len() - rest.trim_start_matches(['/', '\\']).len();
    let (slashes, rest) = rest.split_at(slashes);
    let mut out = String::with_capacity(url.len());
    out.push_str(scheme);
    out.push_str(slashes);
    let rest = match rest.rfind('@') {
        Some(at) => {
            out.push_str(REDACTED);
            &rest[at..]
        }
        None => rest,
    };
    // `#` ends the query; a `?` after the `#` is part of the fragment.
    let (before_fragment, fragment) = match rest.find('#') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (location, query) = match before_fragment.find('?') {
        Some(i) => (&before_fragment[..i], Some(&before_fragment[i + 1..])),
        None => (before_fragment, None),
    };
    out.push_str(location);
    if let Some(query) = query {
        out.push('?');
        out.push_str(&redact_values(query));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(&redact_values(fragment));
    }
    out
}

/// `a=1&b` → `a=***&***`: the names of `name=value` parts kept, everything else
/// hidden (empty parts stay empty).
fn redact_values(parameters: &str) -> String {
    parameters
        .split('&')
        .map(|part| match part.split_once('=') {
            _ if part.is_empty() => String::new(),
            Some((name, "")) => format!("{name}="),
            Some((name, _)) => format!("{name}={REDACTED}"),
            None => REDACTED.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `text` with every `http://` or `https://` URL in it passed through
/// [`redact_url`] (a URL ends at whitespace, a quote or an angle bracket, and
/// punctuation ending it, such as `.` or `)`, is left out): for
/// messages from elsewhere (an HTTP library's error) that may quote a URL.
pub fn redact_urls_in(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    let mut from = 0;
    while let Some(found) = ["http://", "https://"]
        .iter()
        .filter_map(|scheme| lower[from..].find(scheme))
        .min()
    {
        let start = from + found;
        let end = text[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
            .unwrap_or(text.len() - start);
        // Punctuation closing a sentence or a parenthesis is not part of the URL.
        let len = text[start..start + end]
            .trim_end_matches(['.', ',', ';', ':', '!', ')', ']', '}'])
            .len();
        out.push_str(&text[done..start]);
        out.push_str(&redact_url(&text[start..start + len]));
        done = start + len;
        from = done;
    }
    out.push_str(&text[done..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn redact_url_hides_credentials_query_and_fragment_values() {
        for (url, shown) in [
            // Nothing to hide.
            ("https://api.pagerduty.com", "https://api.pagerduty.com"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/"),
            (
                "https://api.pagerduty.com/v2",
                "https://api.pagerduty.com/v2",
            ),
            ("", ""),
            ("not a url", "not a url"),
            // Credentials.
            (
                "https://TOKEN@api.pagerduty.com",
                "https://***@api.pagerduty.com",
            ),
            (
                "https://u:TOKEN@api.pagerduty.com/",
                "https://***@api.pagerduty.com/",
            ),
            (
                "https://:TOKEN@api.pagerduty.com",
                "https://***@api.pagerduty.com",
            ),
            (
                "https://a@b:TOKEN@api.pagerduty.com",
                "https://***@api.pagerduty.com",
            ),
            ("https://u:TO/KEN@host", "https://***@host"),
            ("https://u:TO?KEN@host", "https://***@host"),
            ("https://u:TO#KEN@host", "https://***@host"),
            ("HTTPS://u:TOKEN@host:8443/x", "HTTPS://***@host:8443/x"),
            ("https:\\\\u:TOKEN@host", "https:\\\\***@host"),
            ("https:u:TOKEN@host", "https:***@host"),
            ("TOKEN@api.pagerduty.com", "***@api.pagerduty.com"),
            ("u:TOKEN@api.pagerduty.com", "u:***@api.pagerduty.com"),
            ("ftp://u:TOKEN@host", "ftp://***@host"),
            // Query values.
            (
                "https://api.pagerduty.com?token=TOKEN",
                "https://api.pagerduty.com?token=***",
            ),
            (
                "https://host/?a=1&token=TOKEN&flag&empty=",
                "https://host/?a=***&token=***&***&empty=",
            ),
            ("https://host?TOKEN", "https://host?***"),
            ("https://host?", "https://host?"),
            ("https://host?a=b=TOKEN", "https://host?a=***"),
            // Fragment values.
            ("https://host#TOKEN", "https://host#***"),
            (
                "https://host#access_token=TOKEN&state=x",
                "https://host#access_token=***&state=***",
            ),
            ("https://host?q=TOKEN#f=TOKEN", "https://host?q=***#f=***"),
            ("https://host#f?q=TOKEN", "https://host#f?q=***"),
            // All at once.
            (
                "https://u:TOKEN@host:1/p?token=TOKEN#TOKEN",
                "https://***@host:1/p?token=***#***",
            ),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
            if url.contains("TOKEN") {
                assert!(!redact_url(url).contains("TOKEN"), "{url}");
                assert!(!redact_url(url).contains("TO"), "{url}");
            }
        }
    }

    #[test]
    fn redact_urls_in_text() {
        assert_eq!(
            redact_urls_in(
                "error sending request for url (https://u:TOKEN@host/x?token=TOKEN): refused; \
                 also \"http://TOKEN@h\" and HTTP://h?k=TOKEN."
            ),
            "error sending request for url (https://***@host/x?token=***): refused; \
             also \"http://***@h\" and HTTP://h?k=***."
        );
        assert_eq!(redact_urls_in("no url here"), "no url here");
        assert_eq!(redact_urls_in("https://"), "https://");
        // Non-ASCII text around a URL stays intact.
        assert_eq!(redact_urls_in("é https://a@h é"), "é https://***@h é");
    }

    fn config(pairs: &[(&str, &str)]) -> Config {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned()).unwrap()
    }

    #[test]
    fn defaults_when_unset() {
        assert_eq!(config(&[]), Config::default());
    }

    #[test]
    fn reads_every_setting() {
        let c = config(&[
            ("PAGERDUTY_API_HOST", "http://127.0.0.1:9000/"),
            ("PAGERDUTY_ENABLE_WRITE_TOOLS", "TRUE"),
            ("PAGERDUTY_USER_EMAIL", "a@example.com"),
            ("PAGERDUTY_MAX_OUTPUT_BYTES", "1000"),
            ("PAGERDUTY_CALL_DEADLINE_MS", "5000"),
        ]);
        assert_eq!(c.call_deadline, std::time::Duration::from_secs(5));
        assert_eq!(c.api_host, "http://127.0.0.1:9000");
        assert_eq!(c.selection.writes, crate::toolsets::Writes::All);
        assert_eq!(c.user_email.as_deref(), Some("a@example.com"));
        assert_eq!(c.max_output_bytes, 1000);
    }

    #[test]
    fn unknown_toolsets_are_an_error_not_a_fallback() {
        let e = Config::from_lookup(|name| (name == vars::TOOLSETS).then(|| "oncal".to_string()))
            .unwrap_err();
        assert!(e.0.contains("'oncal'"), "{e}");
    }

    #[test]
    fn bad_values_fall_back() {
        let c = config(&[
            ("PAGERDUTY_ENABLE_WRITE_TOOLS", "no"),
            ("PAGERDUTY_MAX_OUTPUT_BYTES", "x"),
        ]);
        assert_eq!(c.selection.writes, crate::toolsets::Writes::None);
        assert_eq!(c.max_output_bytes, DEFAULT_MAX_OUTPUT_BYTES);
    }
}

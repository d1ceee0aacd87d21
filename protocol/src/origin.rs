//! Which browser origins may use an MCP endpoint: the configuration both MCP
//! servers read (the native host's `--allowed-origin`, the component's
//! environment) and how it becomes rmcp's allow-list.

/// The environment variable with the allowed origins (comma-separated).
pub const ALLOWED_ORIGINS_VAR: &str = "PAGERDUTY_MCP_ALLOWED_ORIGINS";

/// The environment variable with the allowed `Host` names (comma-separated).
pub const ALLOWED_HOSTS_VAR: &str = "PAGERDUTY_MCP_ALLOWED_HOSTS";

/// The origins allowed by default: local web pages on any port.
pub const DEFAULT_ALLOWED_ORIGINS: [&str; 3] =
    ["http://localhost", "http://127.0.0.1", "http://[::1]"];

/// `http://localhost` → `http://localhost:*`: an origin without a port matches
/// any port (what rmcp does today for such entries, without its deprecation).
pub fn any_port(origin: &str) -> String {
    let origin = origin.trim().trim_end_matches('/');
    let Some((_, rest)) = origin.split_once("://") else {
        return origin.to_owned(); // e.g. `null`
    };
    let has_port = match rest.rfind(']') {
        Some(end) => rest[end..].contains(':'),
        None => rest.contains(':'),
    };
    if has_port {
        origin.to_owned()
    } else {
        format!("{origin}:*")
    }
}

/// Checks one allowed origin: `null`, or `http(s)://host[:port|:*]`.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    if text == "null" {
        return Ok(text.to_owned());
    }
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(format!(
            "invalid origin {text:?}: expected scheme://host[:port], e.g. https://app.example.com"
        ));
    };
    if !matches!(scheme, "http" | "https") {
        return Err(format!(
            "invalid origin {text:?}: the scheme must be http or https"
        ));
    }
    let authority = rest.strip_suffix(":*").unwrap_or(rest);
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return Err(format!(
            "invalid origin {text:?}: expected scheme://host[:port] with no path"
        ));
    }
    if authority.parse::<http::uri::Authority>().is_err() {
        return Err(format!("invalid origin {text:?}: not a valid host[:port]"));
    }
    Ok(text.to_owned())
}

/// The allowed origins of a comma-separated list ([`ALLOWED_ORIGINS_VAR`]), each
/// checked by [`parse_origin`]; [`DEFAULT_ALLOWED_ORIGINS`] when `list` is unset or
/// blank. The error names the first invalid entry.
pub fn parse_origin_list(list: Option<&str>) -> Result<Vec<String>, String> {
    let entries: Vec<&str> = list
        .into_iter()
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    if entries.is_empty() {
        return Ok(DEFAULT_ALLOWED_ORIGINS.map(str::to_owned).to_vec());
    }
    entries.into_iter().map(parse_origin).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(any_port("http://localhost"), "http://localhost:*");
        assert_eq!(any_port("http://localhost:3000"), "http://localhost:3000");
        assert_eq!(any_port("http://[::1]"), "http://[::1]:*");
        assert_eq!(any_port("http://[::1]:8080"), "http://[::1]:8080");
        assert_eq!(
            any_port("https://app.example.com/"),
            "https://app.example.com:*"
        );
        assert_eq!(any_port("null"), "null");
        for ok in [
            "https://app.example.com",
            "http://localhost:3000",
            "http://localhost:*",
            "null",
            "http://[::1]",
        ] {
            assert!(parse_origin(ok).is_ok(), "{ok}");
        }
        for bad in [
            "app.example.com",
            "ftp://x",
            "https://",
            "https://a/b",
            "https://u@a",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn origin_lists_default_to_localhost_and_name_a_bad_entry() {
        assert_eq!(parse_origin_list(None).unwrap(), DEFAULT_ALLOWED_ORIGINS);
        assert_eq!(
            parse_origin_list(Some(" , ")).unwrap(),
            DEFAULT_ALLOWED_ORIGINS
        );
        assert_eq!(
            parse_origin_list(Some("https://a.example, http://localhost:3000")).unwrap(),
            ["https://a.example", "http://localhost:3000"]
        );
        let err = parse_origin_list(Some("https://a.example,ftp://b")).unwrap_err();
        assert!(err.contains("ftp://b"), "{err}");
    }
}

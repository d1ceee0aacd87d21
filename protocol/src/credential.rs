//! The caller's PagerDuty credential in an `Authorization` header, as PagerDuty's
//! hosted MCP server takes it: `Token token=<REST API key>` or `Bearer <OAuth
//! token>`. Read by the native host (`--per-request-token`) and by the MCP server
//! component, which sends it on with that request's PagerDuty calls only.

use std::fmt;

/// How PagerDuty expects the credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: Token token=<key>` (REST API keys).
    Token,
    /// `Authorization: Bearer <token>` (OAuth access tokens).
    Bearer,
}

/// A caller's PagerDuty credential. Its `Debug` output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    token: String,
    scheme: Scheme,
}

impl Credential {
    /// The token itself (a secret: never log it).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// How it was presented, and so how PagerDuty gets it.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The `Authorization` header value for PagerDuty (a secret: never log it).
    pub fn authorization(&self) -> String {
        match self.scheme {
            Scheme::Token => format!("Token token={}", self.token),
            Scheme::Bearer => format!("Bearer {}", self.token),
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credential({:?}, <redacted>)", self.scheme)
    }
}

/// The PagerDuty credential in an `Authorization` header value: `Token
/// token=<t>` or `Bearer <t>`, schemes matched case-insensitively. `None` for
/// anything else, an empty token or one with spaces or control characters.
pub fn parse_authorization(authorization: &str) -> Option<Credential> {
    let (scheme, rest) = authorization.trim().split_once(' ')?;
    let rest = rest.trim();
    let (token, scheme) = if scheme.eq_ignore_ascii_case("token") {
        let (key, value) = rest.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("token") {
            return None;
        }
        (value.trim(), Scheme::Token)
    } else if scheme.eq_ignore_ascii_case("bearer") {
        (rest, Scheme::Bearer)
    } else {
        return None;
    };
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    Some(Credential {
        token: token.to_owned(),
        scheme,
    })
}

/// The answer's text when a request carries no usable credential.
pub const MISSING_CREDENTIAL: &str = "Unauthorized: send your PagerDuty token as \
    `Authorization: Token token=<API key>` or `Authorization: Bearer <OAuth token>`";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_schemes_parse_and_anything_else_is_refused() {
        let key = parse_authorization("token  TOKEN=u+abc ").unwrap();
        assert_eq!((key.token(), key.scheme()), ("u+abc", Scheme::Token));
        assert_eq!(key.authorization(), "Token token=u+abc");
        let oauth = parse_authorization("Bearer pdus+xyz").unwrap();
        assert_eq!(oauth.authorization(), "Bearer pdus+xyz");
        for bad in [
            "",
            "Token",
            "Token u+abc",
            "Token key=u+abc",
            "Token token=",
            "Bearer ",
            "Bearer a b",
            "Basic dXNlcjpwYXNz",
        ] {
            assert_eq!(parse_authorization(bad), None, "{bad:?}");
        }
        assert!(!format!("{key:?}").contains("abc"));
    }
}

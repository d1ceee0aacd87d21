//! Query-string parsing with PagerDuty's conventions.
//!
//! Array parameters are repeated keys with brackets (`statuses[]=triggered&statuses[]=resolved`);
//! values are percent-decoded (`+` is a space, so a literal `+` in a timestamp
//! offset must be sent as `%2B`, as with the real API).

use std::ops::RangeInclusive;

use time::OffsetDateTime;

use crate::errors::{ApiError, ApiResult};
use crate::timefmt;
use crate::tz::Zone;

/// Decoded query parameters, in order, repeated keys kept.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// The `(name, value)` pairs as sent.
    pub pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (without the `?`).
    pub fn parse(raw: Option<&str>) -> Query {
        Query {
            pairs: parse_pairs(raw.unwrap_or("")),
        }
    }

    /// The last value of a scalar parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// All values of an array parameter (`name` should include the `[]`).
    pub fn all(&self, name: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (k, v) in &self.pairs {
            if k == name && !v.is_empty() && !out.contains(v) {
                out.push(v.clone());
            }
        }
        out
    }

    /// All values of an enum-valued array parameter; any value outside `allowed` is a 400.
    pub fn enum_list(&self, name: &str, allowed: &[&str]) -> ApiResult<Vec<String>> {
        let values = self.all(name);
        for v in &values {
            if !allowed.contains(&v.as_str()) {
                return Err(ApiError::invalid_enum(name, v, allowed));
            }
        }
        Ok(values)
    }

    /// A boolean parameter (`true`/`false`); anything else is a 400.
    pub fn bool(&self, name: &str) -> ApiResult<Option<bool>> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(ApiError::invalid_input(format!(
                "{name} must be true or false, got '{v}'"
            ))),
        }
    }

    /// An integer parameter within `range`, `default` when absent or empty;
    /// anything else is a 400 saying the parameter must be `expected`.
    pub fn integer_in(
        &self,
        name: &str,
        default: u64,
        range: RangeInclusive<u64>,
        expected: &str,
    ) -> ApiResult<u64> {
        match self.get(name) {
            None | Some("") => Ok(default),
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    ApiError::invalid_input(format!("{name} must be {expected}, got '{v}'"))
                }),
        }
    }

    /// A timestamp parameter; unparseable values are a 400.
    pub fn time(&self, name: &str) -> ApiResult<Option<OffsetDateTime>> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) => timefmt::parse(v).map(Some).ok_or_else(|| {
                ApiError::invalid_input(format!(
                    "Invalid '{name}' parameter: '{v}' is not an ISO 8601 date"
                ))
            }),
        }
    }

    /// The `time_zone` parameter; unknown zones are a 400.
    pub fn time_zone(&self) -> ApiResult<Option<Zone>> {
        match self.get("time_zone") {
            None | Some("") => Ok(None),
            Some(v) => Zone::find(v).map(Some).ok_or_else(|| {
                ApiError::invalid_input(format!("time_zone '{v}' is not a valid time zone"))
            }),
        }
    }

    /// The `include[]` values, validated against the operation's enum.
    pub fn includes(&self, allowed: &[&str]) -> ApiResult<Includes> {
        Ok(Includes(self.enum_list("include[]", allowed)?))
    }

    /// The case-insensitive `query` filter, if any.
    pub fn text_filter(&self) -> Option<String> {
        self.get("query")
            .filter(|q| !q.is_empty())
            .map(str::to_lowercase)
    }
}

/// The validated `include[]` values of a request.
#[derive(Debug, Clone, Default)]
pub struct Includes(pub Vec<String>);

impl Includes {
    /// Whether `include[]=<name>` was sent.
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|v| v == name)
    }
}

/// Splits and percent-decodes `a=1&b%5B%5D=2`.
pub fn parse_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Decodes `%XX` escapes and `+` (as a space); invalid escapes are kept as is.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_arrays_and_escapes() {
        let q = Query::parse(Some(
            "statuses%5B%5D=triggered&statuses[]=acknowledged&since=2026-11-24T07%3A00%3A00%2B01%3A00&query=a+b&x=%zz&y=%4",
        ));
        assert_eq!(q.all("statuses[]"), vec!["triggered", "acknowledged"]);
        assert_eq!(q.get("since"), Some("2026-11-24T07:00:00+01:00"));
        assert_eq!(q.get("query"), Some("a b"));
        assert_eq!(q.get("x"), Some("%zz"));
        assert_eq!(q.get("y"), Some("%4"));
    }

    #[test]
    fn enum_values_checked() {
        let q = Query::parse(Some("urgencies[]=medium"));
        let err = q.enum_list("urgencies[]", &["high", "low"]).unwrap_err();
        assert_eq!(err.status, 400);
    }
}

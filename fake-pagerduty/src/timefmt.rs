//! Timestamp formatting and parsing the way PagerDuty does it.

use time::format_description::well_known::{Iso8601, Rfc3339};
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::tz::Zone;

/// ISO 8601 in UTC with a `Z` suffix and whole seconds, e.g. `2026-11-24T07:00:00Z`.
pub fn utc(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    t.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_default()
}

/// ISO 8601 in the given zone's local offset, e.g. `2026-11-24T02:00:00-05:00`
/// (UTC zones keep the `Z` form).
pub fn in_zone(t: OffsetDateTime, zone: Option<&Zone>) -> String {
    match zone {
        None => utc(t),
        Some(z) => {
            let local = z.to_local(t);
            if local.offset() == UtcOffset::UTC {
                return utc(t);
            }
            local
                .format(format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
                ))
                .unwrap_or_else(|_| utc(t))
        }
    }
}

/// Parses a timestamp parameter: RFC 3339 / ISO 8601 with an offset, or a bare
/// date (midnight UTC). `None` when it cannot be parsed.
pub fn parse(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Iso8601::DEFAULT) {
        return Some(t);
    }
    if let Ok(d) = Date::parse(s, format_description!("[year]-[month]-[day]")) {
        return Some(PrimitiveDateTime::new(d, time::Time::MIDNIGHT).assume_utc());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_utc_with_z() {
        assert_eq!(
            utc(datetime!(2026-11-24 07:00:00.5 +01:00)),
            "2026-11-24T06:00:00Z"
        );
    }

    #[test]
    fn formats_in_zone() {
        let z = Zone::find("America/New_York").unwrap();
        assert_eq!(
            in_zone(datetime!(2026-11-24 07:00 UTC), Some(&z)),
            "2026-11-24T02:00:00-05:00"
        );
    }

    #[test]
    fn parses_variants() {
        assert_eq!(
            parse("2026-11-24T07:00:00Z"),
            Some(datetime!(2026-11-24 07:00 UTC))
        );
        assert_eq!(
            parse("2026-11-24T08:00:00+01:00"),
            Some(datetime!(2026-11-24 07:00 UTC))
        );
        assert_eq!(parse("2026-11-24"), Some(datetime!(2026-11-24 00:00 UTC)));
        assert_eq!(parse("2026-11-24T07:00:00 01:00"), None);
        assert_eq!(parse("yesterday"), None);
    }
}

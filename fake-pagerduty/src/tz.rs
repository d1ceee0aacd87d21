//! A small time-zone table (no tz database needed).
//!
//! PagerDuty accepts IANA names and Rails' ActiveSupport names for `time_zone`.
//! The fake knows the common ones, with their standard offset and daylight
//! saving rule, which is enough to render schedules and timestamps in a zone.

use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// When a zone observes daylight saving time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dst {
    /// No daylight saving.
    None,
    /// United States: 2nd Sunday of March 02:00 local to 1st Sunday of November 02:00 local.
    Us,
    /// European Union: last Sunday of March 01:00 UTC to last Sunday of October 01:00 UTC.
    Eu,
    /// South-east Australia: 1st Sunday of October 02:00 to 1st Sunday of April 03:00 local.
    AuSouth,
}

/// A time zone the fake understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    /// The canonical IANA name.
    pub name: &'static str,
    std_minutes: i32,
    dst: Dst,
}

const ZONES: &[(&str, &str, i32, Dst)] = &[
    // (accepted name, canonical IANA name, standard offset in minutes, DST rule)
    ("UTC", "UTC", 0, Dst::None),
    ("Etc/UTC", "Etc/UTC", 0, Dst::None),
    ("GMT", "Etc/UTC", 0, Dst::None),
    ("America/New_York", "America/New_York", -300, Dst::Us),
    (
        "Eastern Time (US & Canada)",
        "America/New_York",
        -300,
        Dst::Us,
    ),
    ("America/Chicago", "America/Chicago", -360, Dst::Us),
    (
        "Central Time (US & Canada)",
        "America/Chicago",
        -360,
        Dst::Us,
    ),
    ("America/Denver", "America/Denver", -420, Dst::Us),
    (
        "Mountain Time (US & Canada)",
        "America/Denver",
        -420,
        Dst::Us,
    ),
    ("America/Phoenix", "America/Phoenix", -420, Dst::None),
    ("Arizona", "America/Phoenix", -420, Dst::None),
    ("America/Los_Angeles", "America/Los_Angeles", -480, Dst::Us),
    (
        "Pacific Time (US & Canada)",
        "America/Los_Angeles",
        -480,
        Dst::Us,
    ),
    ("America/Toronto", "America/Toronto", -300, Dst::Us),
    ("America/Sao_Paulo", "America/Sao_Paulo", -180, Dst::None),
    ("Brasilia", "America/Sao_Paulo", -180, Dst::None),
    ("Europe/London", "Europe/London", 0, Dst::Eu),
    ("London", "Europe/London", 0, Dst::Eu),
    ("Europe/Dublin", "Europe/Dublin", 0, Dst::Eu),
    ("Dublin", "Europe/Dublin", 0, Dst::Eu),
    ("Europe/Lisbon", "Europe/Lisbon", 0, Dst::Eu),
    ("Europe/Berlin", "Europe/Berlin", 60, Dst::Eu),
    ("Berlin", "Europe/Berlin", 60, Dst::Eu),
    ("Europe/Paris", "Europe/Paris", 60, Dst::Eu),
    ("Paris", "Europe/Paris", 60, Dst::Eu),
    ("Europe/Amsterdam", "Europe/Amsterdam", 60, Dst::Eu),
    ("Amsterdam", "Europe/Amsterdam", 60, Dst::Eu),
    ("Europe/Madrid", "Europe/Madrid", 60, Dst::Eu),
    ("Madrid", "Europe/Madrid", 60, Dst::Eu),
    ("Europe/Warsaw", "Europe/Warsaw", 60, Dst::Eu),
    ("Warsaw", "Europe/Warsaw", 60, Dst::Eu),
    ("Europe/Stockholm", "Europe/Stockholm", 60, Dst::Eu),
    ("Europe/Athens", "Europe/Athens", 120, Dst::Eu),
    ("Europe/Kyiv", "Europe/Kyiv", 120, Dst::Eu),
    ("Asia/Dubai", "Asia/Dubai", 240, Dst::None),
    ("Abu Dhabi", "Asia/Dubai", 240, Dst::None),
    ("Asia/Kolkata", "Asia/Kolkata", 330, Dst::None),
    ("Kolkata", "Asia/Kolkata", 330, Dst::None),
    ("Mumbai", "Asia/Kolkata", 330, Dst::None),
    ("New Delhi", "Asia/Kolkata", 330, Dst::None),
    ("Chennai", "Asia/Kolkata", 330, Dst::None),
    ("Asia/Singapore", "Asia/Singapore", 480, Dst::None),
    ("Singapore", "Asia/Singapore", 480, Dst::None),
    ("Asia/Shanghai", "Asia/Shanghai", 480, Dst::None),
    ("Beijing", "Asia/Shanghai", 480, Dst::None),
    ("Asia/Tokyo", "Asia/Tokyo", 540, Dst::None),
    ("Tokyo", "Asia/Tokyo", 540, Dst::None),
    ("Asia/Seoul", "Asia/Seoul", 540, Dst::None),
    ("Australia/Brisbane", "Australia/Brisbane", 600, Dst::None),
    ("Brisbane", "Australia/Brisbane", 600, Dst::None),
    ("Australia/Sydney", "Australia/Sydney", 600, Dst::AuSouth),
    ("Sydney", "Australia/Sydney", 600, Dst::AuSouth),
    (
        "Australia/Melbourne",
        "Australia/Melbourne",
        600,
        Dst::AuSouth,
    ),
    ("Melbourne", "Australia/Melbourne", 600, Dst::AuSouth),
];

impl Zone {
    /// UTC.
    pub const UTC: Zone = Zone {
        name: "UTC",
        std_minutes: 0,
        dst: Dst::None,
    };

    /// Looks a zone up by IANA or ActiveSupport name.
    pub fn find(name: &str) -> Option<Zone> {
        ZONES
            .iter()
            .find(|(accepted, ..)| accepted.eq_ignore_ascii_case(name))
            .map(|&(_, name, std_minutes, dst)| Zone {
                name,
                std_minutes,
                dst,
            })
    }

    /// The UTC offset in force at the instant `t`.
    pub fn offset_at(&self, t: OffsetDateTime) -> UtcOffset {
        let minutes = self.std_minutes + if self.in_dst(t) { 60 } else { 0 };
        UtcOffset::from_whole_seconds(minutes * 60).unwrap_or(UtcOffset::UTC)
    }

    /// `t` expressed in this zone's local offset.
    pub fn to_local(&self, t: OffsetDateTime) -> OffsetDateTime {
        t.to_offset(self.offset_at(t))
    }

    /// The instant at which the local wall-clock time `local` occurs
    /// (for a time skipped or repeated by a DST change, the standard-time reading).
    pub fn from_local(&self, local: PrimitiveDateTime) -> OffsetDateTime {
        let std = UtcOffset::from_whole_seconds(self.std_minutes * 60).unwrap_or(UtcOffset::UTC);
        let guess = local.assume_offset(std);
        let offset = self.offset_at(guess);
        local.assume_offset(offset).to_offset(UtcOffset::UTC)
    }

    fn in_dst(&self, t: OffsetDateTime) -> bool {
        let t = t.to_offset(UtcOffset::UTC);
        let year = t.year();
        let std = Duration::minutes(i64::from(self.std_minutes));
        match self.dst {
            Dst::None => false,
            Dst::Us => {
                // 02:00 local standard time -> UTC; ends 02:00 local daylight time (01:00 standard).
                let start = at(nth_weekday(year, Month::March, Weekday::Sunday, 2), 2) - std;
                let end = at(nth_weekday(year, Month::November, Weekday::Sunday, 1), 1) - std;
                t >= start && t < end
            }
            Dst::Eu => {
                let start = at(last_weekday(year, Month::March, Weekday::Sunday), 1);
                let end = at(last_weekday(year, Month::October, Weekday::Sunday), 1);
                t >= start && t < end
            }
            Dst::AuSouth => {
                // Southern hemisphere: DST spans the new year.
                let end = at(nth_weekday(year, Month::April, Weekday::Sunday, 1), 2) - std;
                let start = at(nth_weekday(year, Month::October, Weekday::Sunday, 1), 2) - std;
                t < end || t >= start
            }
        }
    }
}

fn at(date: Date, hour: u8) -> OffsetDateTime {
    PrimitiveDateTime::new(date, Time::from_hms(hour, 0, 0).unwrap_or(Time::MIDNIGHT)).assume_utc()
}

fn nth_weekday(year: i32, month: Month, weekday: Weekday, n: u8) -> Date {
    let first = Date::from_calendar_date(year, month, 1).unwrap_or(Date::MIN);
    let mut d = first;
    while d.weekday() != weekday {
        d = d.next_day().unwrap_or(d);
    }
    d + Duration::weeks(i64::from(n) - 1)
}

fn last_weekday(year: i32, month: Month, weekday: Weekday) -> Date {
    let next_month_first = if month == Month::December {
        Date::from_calendar_date(year + 1, Month::January, 1)
    } else {
        Date::from_calendar_date(year, month.next(), 1)
    }
    .unwrap_or(Date::MAX);
    let mut d = next_month_first - Duration::days(1);
    while d.weekday() != weekday {
        d = d.previous_day().unwrap_or(d);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn new_york_offsets() {
        let z = Zone::find("America/New_York").unwrap();
        assert_eq!(
            z.offset_at(datetime!(2026-01-15 12:00 UTC)).whole_hours(),
            -5
        );
        assert_eq!(
            z.offset_at(datetime!(2026-07-15 12:00 UTC)).whole_hours(),
            -4
        );
        // 2026-03-08 is the 2nd Sunday of March: DST starts at 07:00 UTC.
        assert_eq!(
            z.offset_at(datetime!(2026-03-08 06:59 UTC)).whole_hours(),
            -5
        );
        assert_eq!(
            z.offset_at(datetime!(2026-03-08 07:00 UTC)).whole_hours(),
            -4
        );
    }

    #[test]
    fn berlin_and_sydney() {
        let b = Zone::find("Berlin").unwrap();
        assert_eq!(b.name, "Europe/Berlin");
        assert_eq!(
            b.offset_at(datetime!(2026-07-01 00:00 UTC)).whole_hours(),
            2
        );
        assert_eq!(
            b.offset_at(datetime!(2026-12-01 00:00 UTC)).whole_hours(),
            1
        );
        let s = Zone::find("Australia/Sydney").unwrap();
        assert_eq!(
            s.offset_at(datetime!(2026-01-01 00:00 UTC)).whole_hours(),
            11
        );
        assert_eq!(
            s.offset_at(datetime!(2026-07-01 00:00 UTC)).whole_hours(),
            10
        );
    }

    #[test]
    fn local_round_trip() {
        let z = Zone::find("America/Los_Angeles").unwrap();
        let local = PrimitiveDateTime::new(
            Date::from_calendar_date(2026, Month::November, 24).unwrap(),
            Time::from_hms(9, 0, 0).unwrap(),
        );
        assert_eq!(z.from_local(local), datetime!(2026-11-24 17:00 UTC));
    }

    #[test]
    fn unknown_zone() {
        assert!(Zone::find("Mars/Olympus_Mons").is_none());
    }
}

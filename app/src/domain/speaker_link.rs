//! When a speaker's secret link stops working: a while after the event's
//! last day, so a leaked link is not a key for ever, yet a speaker can still
//! look back at what moved. A link issued after that (an organiser re-sending
//! one late) gets the same grace from the moment it was issued.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::time::local_to_utc_lenient;

/// How long a link keeps working after the event's last day ends (or after
/// it was issued, when that is later).
pub const GRACE: TimeDelta = TimeDelta::days(7);

/// The instant a link issued at `issued_at` for an event whose last day is
/// `last_day` (in `tz`) expires.
pub fn expires_at(last_day: NaiveDate, tz: Tz, issued_at: DateTime<Utc>) -> DateTime<Utc> {
    let day_after = last_day.checked_add_days(Days::new(1)).unwrap_or(last_day);
    let event_over = local_to_utc_lenient(tz, day_after.and_time(NaiveTime::MIN));
    event_over.max(issued_at) + GRACE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_link_expires_a_week_after_the_last_day_ends_in_the_event_zone() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        // Midnight after the 23rd in Moscow (UTC+3) is 21:00 UTC on the 23rd.
        assert_eq!(
            expires_at(day, chrono_tz::Europe::Moscow, at("2026-11-01T10:00:00Z")),
            at("2026-11-30T21:00:00Z")
        );
        assert_eq!(
            expires_at(day, chrono_tz::UTC, at("2026-11-01T10:00:00Z")),
            at("2026-12-01T00:00:00Z")
        );
    }

    #[test]
    fn a_link_issued_after_the_event_still_gets_the_grace() {
        let day = NaiveDate::from_ymd_opt(2025, 1, 10).unwrap();
        assert_eq!(
            expires_at(day, chrono_tz::UTC, at("2026-03-01T12:00:00Z")),
            at("2026-03-08T12:00:00Z")
        );
    }
}

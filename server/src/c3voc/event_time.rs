//! When an event starts and how long it lasts, from `date` or the day's
//! date plus `start`, and `duration` or `end`.

use app::domain::time::local_to_utc;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use super::node::Node;

/// What an event needs from the day it is listed under.
pub(crate) struct Day {
    pub tz: Tz,
    pub date: Option<NaiveDate>,
    /// Local time the day begins; an HH:MM start earlier than this belongs
    /// to the next calendar date (frab days run past midnight).
    pub starts_at: Option<NaiveTime>,
}

/// The member that made an event unusable, and why.
pub(crate) type Bad = (&'static str, String);

/// `date` (an instant with offset; without one it is local time), else the
/// day's date plus the `start` wall-clock time in the event zone.
pub(crate) fn start_of(ev: &Node, day: &Day) -> Result<DateTime<Utc>, Bad> {
    if let Some(date) = ev.str_of("date") {
        let date = date.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(date) {
            // The store keeps whole seconds; dropping the fraction here keeps
            // a re-import of the same file a no-op.
            return Ok(truncate(t.with_timezone(&Utc)));
        }
        let naive = [
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(date, f).ok());
        return match naive {
            Some(local) => local_to_utc(day.tz, local).map_err(|e| ("date", e.to_string())),
            None => Err((
                "date",
                format!("date {date:?} is not an ISO 8601 date-time"),
            )),
        };
    }
    let start = ev.str_of("start").unwrap_or_default();
    let Some(time) = parse_clock(start) else {
        return Err(("start", format!("start {start:?} is not HH:MM")));
    };
    let Some(mut date) = day.date else {
        return Err((
            "date",
            "no date, and the day has none to combine with start".into(),
        ));
    };
    if day.starts_at.is_some_and(|s| time < s) {
        date = date.succ_opt().unwrap_or(date);
    }
    local_to_utc(day.tz, date.and_time(time)).map_err(|e| ("start", e.to_string()))
}

fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    t - Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos()))
}

/// `HH:MM` or `HH:MM:SS`.
pub(crate) fn parse_clock(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .ok()
}

/// Minutes from `duration`, else from `end`.
pub(crate) fn duration_of(ev: &Node, start: DateTime<Utc>) -> Result<i64, Bad> {
    if let Some(d) = ev.str_of("duration") {
        return match parse_duration(d) {
            Some(0) => Err(("duration", format!("duration {d:?} is zero"))),
            Some(minutes) => Ok(minutes),
            None => Err((
                "duration",
                format!("duration {d:?} has minutes or seconds over 59"),
            )),
        };
    }
    let end = ev.str_of("end").unwrap_or_default();
    match DateTime::parse_from_rfc3339(end.trim()) {
        Ok(t) if t > start => Ok((t.with_timezone(&Utc) - start).num_minutes().max(1)),
        Ok(_) => Err(("end", format!("end {end:?} is not after the start"))),
        Err(_) => Err(("end", format!("end {end:?} is not an ISO 8601 date-time"))),
    }
}

/// The union of the JSON schema's duration pattern (`^[0-9]+:[0-9]{2}$`)
/// and the XSD's (which adds `HH:MM:SS`).
pub(crate) fn duration_shape(s: &str) -> bool {
    let digits = |p: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    match s.trim().split(':').collect::<Vec<_>>()[..] {
        [h, m] => digits(h, 1..=usize::MAX) && digits(m, 2..=2),
        [h, m, sec] => digits(h, 1..=2) && digits(m, 2..=2) && digits(sec, 1..=2),
        _ => false,
    }
}

/// Minutes of a duration of the right shape; seconds are dropped (the
/// schedule works in minutes). `None` for minutes or seconds over 59.
fn parse_duration(s: &str) -> Option<i64> {
    let mut parts = s.trim().split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, sec) = (
        parts.next()??,
        parts.next()??,
        parts.next().unwrap_or(Some(0))?,
    );
    (m < 60 && sec < 60)
        .then(|| h.checked_mul(60)?.checked_add(m))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::{duration_shape, parse_duration};

    #[test]
    fn durations_are_hours_and_minutes() {
        let cases = [
            ("0:45", 45),
            ("01:30", 90),
            ("00:45:00", 45),
            ("100:00", 6000),
        ];
        for (s, want) in cases {
            assert!(duration_shape(s), "{s}");
            assert_eq!(parse_duration(s), Some(want), "{s}");
        }
        for bad in ["1:5", "abc", "1h30", "-1:00", "1:00:00:00", "", "100:00:00"] {
            assert!(!duration_shape(bad), "{bad}");
        }
        assert_eq!(
            parse_duration("00:75"),
            None,
            "right shape, impossible minutes"
        );
    }
}

//! Time-zone rules. Instants are UTC everywhere; an event's IANA zone is
//! applied only to read or write wall-clock times, and DST gaps and folds
//! are resolved here, once.

use chrono::{
    DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// Why a wall-clock time could not be turned into an instant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("unknown time zone {0:?} (expected an IANA name such as Europe/Moscow)")]
    UnknownZone(String),
    #[error("{0} does not exist in {1}: the clocks skip it (DST change)")]
    SkippedByDst(NaiveDateTime, Tz),
    #[error("invalid time {0:?} (expected HH:MM)")]
    BadTime(String),
}

pub fn parse_zone(name: &str) -> Result<Tz, TimeError> {
    name.parse::<Tz>()
        .map_err(|_| TimeError::UnknownZone(name.to_owned()))
}

/// The instant a wall-clock time in `tz` stands for. In a DST fold (the
/// hour that happens twice) the earlier instant wins, as calendar apps do;
/// a time inside a DST gap does not exist and is refused.
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> Result<DateTime<Utc>, TimeError> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(early, _) => Ok(early.with_timezone(&Utc)),
        LocalResult::None => Err(TimeError::SkippedByDst(local, tz)),
    }
}

/// Parses `HH:MM` (or `H:MM`).
pub fn parse_hhmm(s: &str) -> Result<NaiveTime, TimeError> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| TimeError::BadTime(s.to_owned()))
}

/// An instant given as `HH:MM` (on `day`, in `tz`), as a local date and
/// time in `tz` (`2026-12-05 22:00`, or `2026-12-05T22:00` as an HTML
/// `datetime-local` field sends it), or as an RFC 3339 date-time: the forms
/// organisers, their browsers and scripts use.
pub fn parse_when(s: &str, tz: Tz, day: NaiveDate) -> Result<DateTime<Utc>, TimeError> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(s, format) {
            return local_to_utc(tz, local);
        }
    }
    local_to_utc(tz, day.and_time(parse_hhmm(s)?))
}

/// Wall-clock `HH:MM` of an instant in a zone.
pub fn format_hhmm(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

/// The calendar date of an instant in a zone.
pub fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The UTC offset in effect at `t`, as `+03:00`.
pub fn offset_label(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz).format("%:z").to_string()
}

/// Minutes a local day really lasts (1380 or 1500 on DST-change days).
pub fn day_length_minutes(tz: Tz, date: NaiveDate) -> i64 {
    let start = local_to_utc_lenient(tz, date.and_time(NaiveTime::MIN));
    let next = local_to_utc_lenient(tz, date.succ_opt().unwrap_or(date).and_time(NaiveTime::MIN));
    (next - start).num_minutes()
}

/// Like [`local_to_utc`] but a time inside a DST gap moves forward by the
/// gap, which is what a "midnight" that does not exist should mean.
pub fn local_to_utc_lenient(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    local_to_utc(tz, local).unwrap_or_else(|_| {
        let later = local + chrono::Duration::hours(1);
        local_to_utc(tz, later).unwrap_or_else(|_| Utc.from_utc_datetime(&local))
    })
}

/// What a zone says at an instant: its UTC offset, whether that is
/// daylight-saving time, and its abbreviation (`CET`; may be empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observance {
    pub offset_secs: i32,
    pub dst: bool,
    pub name: String,
}

/// The observance of `tz` at `t`.
pub fn observance(tz: Tz, t: DateTime<Utc>) -> Observance {
    let o = tz.offset_from_utc_datetime(&t.naive_utc());
    Observance {
        offset_secs: o.fix().local_minus_utc(),
        dst: o.dst_offset() != Duration::zero(),
        name: o.abbreviation().unwrap_or_default().to_owned(),
    }
}

/// A change of observance: `after` is in force from `at` (to the second).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub at: DateTime<Utc>,
    pub before: Observance,
    pub after: Observance,
}

/// Every transition of `tz` after `from` up to `to`, in order. chrono-tz
/// does not expose its transition table, so the zone is probed once a day
/// and each change is bisected to the second; no zone changes twice within
/// a day. The one place that scans zones: countdown screens (their offset
/// table) and calendars (their VTIMEZONE) both use it.
pub fn transitions(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Transition> {
    let second = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or(DateTime::<Utc>::MIN_UTC);
    let (mut t, to) = (from.timestamp(), to.timestamp());
    let mut out = Vec::new();
    let mut cur = observance(tz, second(t));
    while t < to {
        let next = (t + 86_400).min(to);
        if observance(tz, second(next)) != cur {
            // Whole seconds: `hi` ends as the first one of the new observance.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if observance(tz, second(mid)) == cur {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let after = observance(tz, second(hi));
            out.push(Transition {
                at: second(hi),
                before: cur,
                after: after.clone(),
            });
            cur = after;
        }
        t = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn transitions_are_found_to_the_second_with_what_changed() {
        let tz = parse_zone("Europe/Berlin").unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let found = transitions(tz, at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"));
        let summary: Vec<(String, i32, bool, &str)> = found
            .iter()
            .map(|t| {
                (
                    t.at.to_rfc3339(),
                    t.after.offset_secs,
                    t.after.dst,
                    t.after.name.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("2026-03-29T01:00:00+00:00".to_owned(), 7200, true, "CEST"),
                ("2026-10-25T01:00:00+00:00".to_owned(), 3600, false, "CET"),
            ]
        );
        assert_eq!(found[1].before.offset_secs, 7200);
        let moscow = parse_zone("Europe/Moscow").unwrap();
        assert!(
            transitions(
                moscow,
                at("2026-01-01T00:00:00Z"),
                at("2027-01-01T00:00:00Z")
            )
            .is_empty()
        );
    }

    #[test]
    fn moscow_has_no_dst_and_is_utc_plus_three() {
        let tz = parse_zone("Europe/Moscow").unwrap();
        let t = local_to_utc(tz, dt("2026-03-29 17:00")).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-29T14:00:00+00:00");
        assert_eq!(format_hhmm(tz, t), "17:00");
    }

    #[test]
    fn spring_forward_gap_is_refused_and_fold_takes_the_earlier_instant() {
        let tz = parse_zone("Europe/Berlin").unwrap();
        // 2026-03-29 02:30 does not exist in Berlin.
        assert!(matches!(
            local_to_utc(tz, dt("2026-03-29 02:30")),
            Err(TimeError::SkippedByDst(..))
        ));
        // 2026-10-25 02:30 happens twice; the first is still CEST (+02:00).
        let t = local_to_utc(tz, dt("2026-10-25 02:30")).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-10-25T00:30:00+00:00");
    }

    #[test]
    fn dst_change_days_are_23_and_25_hours_long() {
        let tz = parse_zone("Europe/Berlin").unwrap();
        let spring = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let autumn = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        assert_eq!(day_length_minutes(tz, spring), 23 * 60);
        assert_eq!(day_length_minutes(tz, autumn), 25 * 60);
        assert_eq!(day_length_minutes(tz, spring.succ_opt().unwrap()), 24 * 60);
    }

    #[test]
    fn when_takes_wall_clock_on_the_day_or_a_full_timestamp() {
        let tz = parse_zone("Europe/Moscow").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(
            parse_when("17:25", tz, day).unwrap().to_rfc3339(),
            "2026-11-23T14:25:00+00:00"
        );
        assert_eq!(
            parse_when("2026-11-23T18:15:00+03:00", tz, day)
                .unwrap()
                .to_rfc3339(),
            "2026-11-23T15:15:00+00:00"
        );
        assert!(parse_when("quarter past", tz, day).is_err());
        // A local date and time, in the event's zone, whatever `day` is.
        for local in ["2026-12-05 22:00", "2026-12-05T22:00"] {
            assert_eq!(
                parse_when(local, tz, day).unwrap().to_rfc3339(),
                "2026-12-05T19:00:00+00:00"
            );
        }
        // A wall-clock time a DST change skips is refused, not guessed.
        let berlin = parse_zone("Europe/Berlin").unwrap();
        assert!(parse_when("2026-03-29 02:30", berlin, day).is_err());
    }

    #[test]
    fn unknown_zone_and_bad_time_are_named_errors() {
        assert_eq!(
            parse_zone("Mars/Olympus"),
            Err(TimeError::UnknownZone("Mars/Olympus".into()))
        );
        assert!(parse_hhmm("25:00").is_err());
        assert_eq!(
            parse_hhmm("9:05").unwrap(),
            NaiveTime::from_hms_opt(9, 5, 0).unwrap()
        );
    }
}

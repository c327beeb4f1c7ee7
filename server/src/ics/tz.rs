//! The VTIMEZONE of an event's zone, from the zone's transitions as
//! `domain::time::transitions` finds them. Only the observances around the event are
//! written (as one-off components, no RRULE): the one in force when it
//! starts, any change during it, and the next one, which is all a calendar
//! app needs to place the sessions and show both STANDARD and DAYLIGHT.

use app::domain::time::{Observance, local_to_utc_lenient, observance, transitions};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;

use super::text::push_line;

/// How far before and after the event to look for transitions: a zone with
/// DST has one within a year either side.
const SEARCH_DAYS: i64 = 400;

/// `+0300`, `-0930`, or with seconds for historical offsets.
fn offset_text(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

fn push_component(out: &mut String, start: NaiveDateTime, from: &Observance, to: &Observance) {
    // A zone with no DST at all is written as STANDARD, whatever it says.
    let kind = if to.dst { "DAYLIGHT" } else { "STANDARD" };
    push_line(out, &format!("BEGIN:{kind}"));
    push_line(out, &format!("DTSTART:{}", start.format("%Y%m%dT%H%M%S")));
    push_line(
        out,
        &format!("TZOFFSETFROM:{}", offset_text(from.offset_secs)),
    );
    push_line(out, &format!("TZOFFSETTO:{}", offset_text(to.offset_secs)));
    if !to.name.is_empty() {
        push_line(out, &format!("TZNAME:{}", super::text::escape(&to.name)));
    }
    push_line(out, &format!("END:{kind}"));
}

/// Appends the VTIMEZONE for `tz` covering the local dates `first..=last`.
pub(super) fn push_vtimezone(out: &mut String, tz: Tz, first: NaiveDate, last: NaiveDate) {
    let start = local_to_utc_lenient(tz, first.and_time(NaiveTime::MIN));
    let end_date = last.succ_opt().unwrap_or(last);
    let end = local_to_utc_lenient(tz, end_date.and_time(NaiveTime::MIN));
    let all = transitions(
        tz,
        start - Duration::days(SEARCH_DAYS),
        end + Duration::days(SEARCH_DAYS),
    );
    let before = all.iter().rposition(|t| t.at <= start);
    let after = all.iter().position(|t| t.at >= end);
    let lo = before.unwrap_or(0);
    let hi = after.map_or(all.len(), |i| i + 1);
    let picked = all.get(lo..hi).unwrap_or_default();

    push_line(out, "BEGIN:VTIMEZONE");
    push_line(out, &format!("TZID:{}", tz.name()));
    if before.is_none() {
        // Nothing changes just before the event: one observance from 1970
        // covers it (and everything up to the first picked transition).
        let o = observance(tz, start);
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)
            .unwrap_or_default()
            .and_time(NaiveTime::MIN);
        let base = Observance { dst: false, ..o };
        push_component(out, epoch, &base, &base);
    }
    for t in picked {
        let local = t.at.naive_utc() + Duration::seconds(i64::from(t.before.offset_secs));
        push_component(out, local, &t.before, &t.after);
    }
    push_line(out, "END:VTIMEZONE");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(tz: &str, first: &str, last: &str) -> Vec<String> {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut out = String::new();
        push_vtimezone(&mut out, tz.parse().unwrap(), d(first), d(last));
        out.split("\r\n").map(str::to_owned).collect()
    }

    #[test]
    fn berlin_in_autumn_gets_the_changes_around_the_event() {
        let l = lines("Europe/Berlin", "2026-10-24", "2026-10-25");
        let starts: Vec<&str> = l
            .iter()
            .filter(|x| x.starts_with("DTSTART"))
            .map(String::as_str)
            .collect();
        assert_eq!(
            starts,
            [
                "DTSTART:20260329T020000",
                "DTSTART:20261025T030000",
                "DTSTART:20270328T020000"
            ]
        );
        assert!(
            l.contains(&"BEGIN:STANDARD".to_owned()) && l.contains(&"BEGIN:DAYLIGHT".to_owned())
        );
        assert!(l.contains(&"TZNAME:CET".to_owned()));
    }

    #[test]
    fn moscow_has_one_standard_observance() {
        let l = lines("Europe/Moscow", "2026-11-23", "2026-11-23");
        assert_eq!(
            l.iter().filter(|x| x.starts_with("BEGIN:STANDARD")).count(),
            1
        );
        assert!(!l.iter().any(|x| x.starts_with("BEGIN:DAYLIGHT")));
        assert!(l.contains(&"TZOFFSETFROM:+0300".to_owned()));
        assert!(l.contains(&"TZOFFSETTO:+0300".to_owned()));
        assert_eq!(offset_text(-(9 * 3600 + 30 * 60)), "-0930");
    }
}

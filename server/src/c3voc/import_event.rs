//! One C3VOC event → one [`Session`]. Where the file breaks the schema in
//! a way Marquee depends on (a missing guid or title, a wrong JSON type, a
//! duration or start that does not match the schema's pattern) it is not a
//! C3VOC schedule and the import stops. A value that passes the schema's
//! types and patterns but is unusable (a guid that is no UUID or repeats, a
//! zero duration, an unreadable date, a start the clocks skip) drops just
//! that event, noted with its path: real frab/pretalx exports have those.

use std::collections::HashMap;

use app::domain::schedule::{Session, SessionKind};
use app::domain::time::local_to_utc;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use super::node::{Node, Want, check_types, field, index, members, require_str, wrong};
use super::persons::{self, Speakers};
use super::report::{FormatError, Notes};

/// Every event member the schema requires or Marquee reads, with its types.
const EVENT: &[(&str, Want)] = &[
    ("guid", Want::Str),
    ("id", Want::PosInt),
    ("date", Want::Str),
    ("start", Want::Str),
    ("end", Want::Str),
    ("duration", Want::Str),
    ("room", Want::Str),
    ("slug", Want::Str),
    ("url", Want::Str),
    ("title", Want::Str),
    ("subtitle", Want::StrOrNull),
    ("track", Want::StrOrNull),
    ("type", Want::Str),
    ("language", Want::StrOrNull),
    ("abstract", Want::StrOrNull),
    ("description", Want::StrOrNull),
    ("persons", Want::Arr),
    ("links", Want::Arr),
    ("attachments", Want::Arr),
];

/// A member whose value must also fit the schema's pattern: its name, what
/// the error says is expected, and the check.
type Shape = (&'static str, &'static str, fn(&str) -> bool);

const PATTERNS: [Shape; 2] = [
    (
        "duration",
        "a duration such as \"00:45\" ([H]H:MM)",
        duration_shape,
    ),
    ("start", "a time such as \"09:30\" (HH:MM)", |s| {
        parse_clock(s).is_some()
    }),
];

/// What an event needs from the day it is listed under.
pub(crate) struct Day {
    pub tz: Tz,
    pub date: Option<NaiveDate>,
    /// Local time the day begins; an HH:MM start earlier than this belongs
    /// to the next calendar date (frab days run past midnight).
    pub starts_at: Option<NaiveTime>,
}

/// Sessions and speakers gathered so far, and the notes about them.
#[derive(Default)]
pub(crate) struct Collector {
    pub sessions: Vec<Session>,
    /// guid → path of the event that first used it.
    guids: HashMap<String, String>,
    pub speakers: Speakers,
    pub notes: Notes,
}

/// Reads one event into `c`; `Err` only for a structural problem.
pub(crate) fn read_event(
    ev: &Node,
    path: &str,
    day: &Day,
    track: &str,
    c: &mut Collector,
) -> Result<(), FormatError> {
    members(ev, path, "an event object")?;
    check_types(ev, path, EVENT)?;
    let persons = persons::checked(ev, path)?;
    let guid = require_str(ev, path, "guid", "a UUID string")?;
    let title = require_str(ev, path, "title", "a string")?;
    if ev.get("duration").is_none() && ev.get("end").is_none() {
        return Err(wrong(
            field(path, "duration"),
            "a duration such as \"00:45\"",
            None,
        ));
    }
    if ev.get("date").is_none() && ev.get("start").is_none() {
        return Err(wrong(
            field(path, "date"),
            "a date-time such as \"2020-12-14T09:00:00+01:00\"",
            None,
        ));
    }
    for (member, want, fits) in PATTERNS {
        if let Some(s) = ev.str_of(member)
            && !fits(s)
        {
            return Err(wrong(field(path, member), want, ev.get(member)));
        }
    }

    let Some(session) = read_values(ev, path, day, track, guid, title, &mut c.notes) else {
        return Ok(());
    };
    if let Some(first) = c.guids.get(&session.guid) {
        let why = format!("duplicate guid, first used at {first}; event skipped");
        c.notes.push(field(path, "guid"), why);
        return Ok(());
    }
    c.guids.insert(session.guid.clone(), path.to_owned());
    let at = c.sessions.len();
    c.sessions.push(session);
    for (k, p) in persons.iter().enumerate() {
        let pp = index(&field(path, "persons"), k);
        c.speakers.read(p, &pp, &mut c.sessions, at, &mut c.notes);
    }
    Ok(())
}

/// The session an event stands for, or `None` (noted) when a value is
/// unusable. Speakers are added by the caller.
fn read_values(
    ev: &Node,
    path: &str,
    day: &Day,
    track: &str,
    guid: &str,
    title: &str,
    notes: &mut Notes,
) -> Option<Session> {
    let skip = |notes: &mut Notes, member: &str, why: String| {
        notes.push(field(path, member), format!("{why}; event skipped"));
    };
    let Ok(uuid) = uuid::Uuid::parse_str(guid.trim()) else {
        skip(notes, "guid", format!("guid {guid:?} is not a UUID"));
        return None;
    };
    let clean_title = title.trim();
    if clean_title.is_empty() {
        skip(notes, "title", "empty title".into());
        return None;
    }
    let start = match start_of(ev, day) {
        Ok(t) => t,
        Err((member, why)) => {
            skip(notes, member, why);
            return None;
        }
    };
    let duration_min = match duration_of(ev, start) {
        Ok(d) => d,
        Err((member, why)) => {
            skip(notes, member, why);
            return None;
        }
    };
    if clean_title != title {
        notes.push(
            field(path, "title"),
            "title had surrounding whitespace; trimmed",
        );
    }
    let text = |name: &str| ev.str_of(name).map(str::trim).filter(|s| !s.is_empty());
    Some(Session {
        guid: uuid.hyphenated().to_string(),
        title: clean_title.to_owned(),
        abstract_md: text("abstract")
            .or_else(|| text("description"))
            .unwrap_or("")
            .to_owned(),
        kind: SessionKind::from_type_label(text("type").unwrap_or("")),
        start,
        duration_min,
        track: track.to_owned(),
        language: text("language").map(str::to_owned),
        pinned: false,
        speakers: vec![],
    })
}

/// The member that made an event unusable, and why.
type Bad = (&'static str, String);

/// `date` (an instant with offset; without one it is local time), else the
/// day's date plus the `start` wall-clock time in the event zone.
fn start_of(ev: &Node, day: &Day) -> Result<DateTime<Utc>, Bad> {
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
fn parse_clock(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .ok()
}

/// Minutes from `duration`, else from `end`.
fn duration_of(ev: &Node, start: DateTime<Utc>) -> Result<i64, Bad> {
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
fn duration_shape(s: &str) -> bool {
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

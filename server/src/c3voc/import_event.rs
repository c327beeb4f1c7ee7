//! One C3VOC event → one [`Session`]. Where the file breaks the schema in
//! a way Marquee depends on (a missing guid or title, a wrong JSON type, a
//! duration or start that does not match the schema's pattern) it is not a
//! C3VOC schedule and the import stops. A value that passes the schema's
//! types and patterns but is unusable (a guid that is no UUID or repeats, a
//! zero duration, an unreadable date, a start the clocks skip) drops just
//! that event, noted with its path: real frab/pretalx exports have those.

use std::collections::HashMap;

use app::domain::schedule::{Session, SessionKind};

use super::event_time::{Day, duration_of, duration_shape, parse_clock, start_of};
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
        cancelled: false,
    })
}

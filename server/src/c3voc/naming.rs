//! Names, ids and URLs the exports derive from a schedule: all pure and
//! stable, so the same schedule always exports the same bytes.

use std::collections::{HashMap, HashSet};

use app::domain::schedule::Schedule;
use chrono::{DateTime, Offset, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

/// An instant as ISO 8601 with the zone's offset at that instant. Offsets
/// with seconds (local mean time before a zone's first standard offset,
/// Moscow's +02:30:17) cannot be written in RFC 3339, whose `%:z` would
/// drop them and shift the instant; those instants are written in UTC.
pub(crate) fn iso(tz: Tz, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&tz);
    if local.offset().fix().local_minus_utc() % 60 != 0 {
        return t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
    }
    local.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// Minutes as `HH:MM`.
pub(crate) fn duration(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A stable room guid: the same event and track always give the same one.
pub(crate) fn room_guid(event: &str, track: &str) -> String {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("marquee:room:{event}/{track}").as_bytes(),
    )
    .hyphenated()
    .to_string()
}

/// The event slug made to fit both schemas' acronym patterns (ASCII, at
/// least four characters, dashes only before a `-2xxx-name` suffix).
pub(crate) fn acronym(slug: &str) -> String {
    let valid_json = |s: &str| {
        let b = s.as_bytes();
        let word = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_';
        b.len() >= 4 && (word(&b[0]) || b[0] == b'-') && b[1..].iter().all(word)
    };
    if valid_json(slug) {
        return slug.to_owned();
    }
    let mut a = ascii_slug(slug, '_');
    while a.len() < 4 {
        a.push('_');
    }
    a
}

/// Lower-case ASCII letters and digits, every other run folded into `sep`.
pub(crate) fn ascii_slug(s: &str, sep: char) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with(sep) {
            out.push(sep);
        }
    }
    out.trim_end_matches(sep).to_owned()
}

/// Positive 31-bit ids (what 32-bit clients can hold) hashed from the guid,
/// with collisions resolved in guid order so they stay unique and stable.
pub(crate) fn event_ids(schedule: &Schedule) -> HashMap<&str, u32> {
    let mut guids: Vec<&str> = schedule.sessions.iter().map(|s| s.guid.as_str()).collect();
    guids.sort_unstable();
    let mut used = HashSet::new();
    let mut ids = HashMap::new();
    for g in guids {
        // FNV-1a: tiny, and fixed forever, unlike std's hasher.
        let hash = g.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        let mut id = (hash % 0x7fff_ffff) as u32 + 1;
        while !used.insert(id) {
            id = id % 0x7fff_ffff + 1;
        }
        ids.insert(g, id);
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acronyms_fit_the_schema_patterns() {
        assert_eq!(acronym("democon"), "democon");
        assert_eq!(acronym("camp-2019"), "camp_2019");
        assert_eq!(acronym("зал"), "____");
        assert_eq!(acronym("ab"), "ab__");
    }

    #[test]
    fn slugs_and_urls_are_ascii() {
        assert_eq!(
            ascii_slug(" Die 5G-Überwachung!  ", '-'),
            "die-5g-berwachung"
        );
        assert_eq!(duration(90), "01:30");
    }
}

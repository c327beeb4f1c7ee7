//! Test schedules: the evening of the stream outage, in Moscow.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

use crate::domain::schedule::{Event, Schedule, Session, SessionKind, Speaker, Track};
use crate::domain::time::{local_to_utc, parse_zone};

pub(crate) const DAY: &str = "2026-11-23";

pub(crate) fn tz() -> Tz {
    parse_zone("Europe/Moscow").unwrap()
}

/// `HH:MM` on [`DAY`] in Moscow.
pub(crate) fn at(hhmm: &str) -> DateTime<Utc> {
    local(tz(), &format!("{DAY} {hhmm}"))
}

pub(crate) fn local(tz: Tz, s: &str) -> DateTime<Utc> {
    local_to_utc(
        tz,
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap(),
    )
    .unwrap()
}

pub(crate) fn session(
    guid: &str,
    track: &str,
    start: DateTime<Utc>,
    dur: i64,
    who: &[&str],
) -> Session {
    Session {
        guid: guid.into(),
        title: format!("Talk {guid}"),
        abstract_md: String::new(),
        kind: SessionKind::Talk,
        start,
        duration_min: dur,
        track: track.into(),
        language: None,
        pinned: false,
        speakers: who.iter().map(|w| (*w).to_owned()).collect(),
        cancelled: false,
    }
}

pub(crate) fn talk(guid: &str, track: &str, hhmm: &str, dur: i64, who: &[&str]) -> Session {
    session(guid, track, at(hhmm), dur, who)
}

pub(crate) fn brk(guid: &str, track: &str, hhmm: &str, dur: i64) -> Session {
    Session {
        kind: SessionKind::Break,
        title: format!("Break {guid}"),
        ..talk(guid, track, hhmm, dur, &[])
    }
}

pub(crate) fn pinned(mut s: Session) -> Session {
    s.pinned = true;
    s
}

pub(crate) fn schedule_in(
    zone: &str,
    dates: (&str, &str),
    tracks: usize,
    sessions: Vec<Session>,
) -> Schedule {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    Schedule {
        event: Event {
            slug: "conf".into(),
            name: "Conf".into(),
            time_zone: zone.into(),
            start_date: d(dates.0),
            end_date: d(dates.1),
        },
        tracks: (1..=tracks)
            .map(|i| Track {
                slug: format!("track-{i}"),
                name: format!("Track {i}"),
                color: "#000000".into(),
                stream_url: None,
                position: i as i64,
            })
            .collect(),
        speakers: ["anna", "dmitri", "li", "marie"]
            .iter()
            .map(|k| Speaker {
                key: (*k).into(),
                name: format!("Speaker {k}"),
                email: None,
            })
            .collect(),
        sessions,
        version: 7,
    }
}

pub(crate) fn schedule(tracks: usize, sessions: Vec<Session>) -> Schedule {
    schedule_in("Europe/Moscow", (DAY, DAY), tracks, sessions)
}

/// The evening: talks running when the player dies at 17:00, a pinned
/// keynote closing track 1, a coffee break in track 2.
pub(crate) fn evening() -> Schedule {
    schedule(
        2,
        vec![
            talk("a1", "track-1", "16:40", 40, &["anna"]),
            talk("a2", "track-1", "17:25", 40, &["dmitri"]),
            talk("a3", "track-1", "18:10", 40, &["li"]),
            pinned(talk("key", "track-1", "19:00", 60, &["marie"])),
            talk("b1", "track-2", "16:50", 30, &["li"]),
            brk("coffee", "track-2", "17:20", 30),
            talk("b2", "track-2", "17:50", 40, &["anna"]),
            talk("b3", "track-2", "18:35", 40, &["dmitri"]),
        ],
    )
}

//! A small two-track conference on 2026-11-23 in Moscow, shared by the
//! store test crates, and shorthands for shifting it.

#![allow(dead_code, reason = "each test crate uses a different subset")]

use app::domain::schedule::{Event, Schedule, Session, SessionKind, Speaker, Track};
use app::domain::shift::{ShiftChange, ShiftRequest, TrackSelection};
use app::domain::time::{local_to_utc, parse_zone};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::backends::Db;

/// Moscow wall-clock time on the event's day.
pub fn msk(hhmm: &str) -> DateTime<Utc> {
    let tz = parse_zone("Europe/Moscow").unwrap();
    let s = format!("2026-11-23 {hhmm}");
    local_to_utc(
        tz,
        NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M").unwrap(),
    )
    .unwrap()
}

pub fn talk(guid: &str, track: &str, hhmm: &str, who: &[&str]) -> Session {
    Session {
        guid: guid.into(),
        title: format!("Talk {guid}"),
        abstract_md: String::new(),
        kind: SessionKind::Talk,
        start: msk(hhmm),
        duration_min: 40,
        track: track.into(),
        language: None,
        pinned: false,
        speakers: who.iter().map(|w| (*w).to_owned()).collect(),
        cancelled: false,
    }
}

pub fn fixture() -> Schedule {
    let mut key = talk("key", "track-1", "17:00", &["anna"]);
    key.pinned = true;
    let track = |i: i64| Track {
        slug: format!("track-{i}"),
        name: format!("Track {i}"),
        color: "#112233".into(),
        stream_url: None,
        position: i,
    };
    Schedule {
        event: Event {
            slug: "conf".into(),
            name: "Conf".into(),
            time_zone: "Europe/Moscow".into(),
            start_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        },
        tracks: vec![track(1), track(2)],
        speakers: vec![Speaker {
            key: "anna".into(),
            name: "Anna".into(),
            email: None,
        }],
        sessions: vec![
            key,
            talk("a1", "track-1", "17:50", &[]),
            talk("a2", "track-1", "18:40", &["anna"]),
            talk("b1", "track-2", "17:30", &[]),
            talk("b2", "track-2", "19:00", &["anna"]),
        ],
        version: 0,
    }
}

pub async fn imported(db: &Db) -> Schedule {
    db.store
        .import_schedule(&fixture(), "test", "setup")
        .await
        .unwrap();
    db.store.load_schedule("conf").await.unwrap().unwrap()
}

pub fn shift(tracks: &[&str], from: &str, minutes: i64) -> ShiftRequest {
    ShiftRequest {
        tracks: TrackSelection::Some(tracks.iter().map(|t| (*t).to_owned()).collect()),
        from: msk(from),
        change: ShiftChange::ByMinutes(minutes),
        until: None,
        include_pinned: false,
    }
}

//! The demo conference `make run` loads: one evening, four tracks, talks
//! from 17:00 to 22:00 Moscow time with a shared break, an opening keynote,
//! and a speaker who talks in two tracks (so shifts can clash).

use app::domain::schedule::{Event, Schedule, Session, SessionKind, Speaker, Track};
use app::domain::slug::slugify;
use app::domain::time::{local_to_utc, parse_hhmm};
use chrono::{NaiveDate, Utc};
use uuid::Uuid;

pub const ZONE: &str = "Europe/Moscow";

pub fn today_in_moscow() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Moscow)
        .date_naive()
}

const SPEAKERS: [&str; 18] = [
    "Anna Volkova",
    "Dmitri Sokolov",
    "Li Wei",
    "Camille Laurent",
    "Irina Morozova",
    "Jonas Becker",
    "Priya Raman",
    "Sergei Kuznetsov",
    "Zhang Min",
    "Élodie Martin",
    "Olga Smirnova",
    "Tomás García",
    "Yuki Tanaka",
    "Nikolai Orlov",
    "Fatima Haddad",
    "Marc Dubois",
    "Chen Jing",
    "Aleksandr Petrov",
];

/// (track, start, minutes, kind, title, speaker indexes)
type Slot = (
    usize,
    &'static str,
    i64,
    SessionKind,
    &'static str,
    &'static [usize],
);

const SLOTS: [Slot; 24] = [
    (
        0,
        "17:00",
        45,
        SessionKind::Keynote,
        "Keeping the show on when everything is on fire",
        &[0],
    ),
    (
        1,
        "17:00",
        40,
        SessionKind::Talk,
        "Low-latency streaming with SRT and WebRTC",
        &[1],
    ),
    (
        2,
        "17:00",
        40,
        SessionKind::Talk,
        "Designing schedules people can read on a phone",
        &[2],
    ),
    (
        3,
        "17:00",
        40,
        SessionKind::Talk,
        "Accessible captions for live events",
        &[3],
    ),
    (
        0,
        "17:50",
        40,
        SessionKind::Talk,
        "Postmortems without blame",
        &[4],
    ),
    (
        1,
        "17:50",
        40,
        SessionKind::Talk,
        "Scaling server-sent events to ten thousand screens",
        &[5, 6],
    ),
    (
        2,
        "17:50",
        40,
        SessionKind::Talk,
        "Time zones, DST and the talk that happened twice",
        &[7],
    ),
    (
        3,
        "17:50",
        40,
        SessionKind::Talk,
        "Web Push from zero to production",
        &[8],
    ),
    (
        0,
        "18:40",
        40,
        SessionKind::Talk,
        "Running a hybrid conference on a shoestring",
        &[9],
    ),
    (
        1,
        "18:40",
        40,
        SessionKind::Talk,
        "OBS browser sources for fun and profit",
        &[10],
    ),
    (
        2,
        "18:40",
        40,
        SessionKind::Talk,
        "SQLite in production: a field report",
        &[11],
    ),
    (
        3,
        "18:40",
        40,
        SessionKind::Talk,
        "Rust on the server and in the browser",
        &[0],
    ),
    (0, "19:20", 30, SessionKind::Break, "Break", &[]),
    (1, "19:20", 30, SessionKind::Break, "Break", &[]),
    (2, "19:20", 30, SessionKind::Break, "Break", &[]),
    (3, "19:20", 30, SessionKind::Break, "Break", &[]),
    (
        0,
        "19:50",
        40,
        SessionKind::Talk,
        "Incident communication that people trust",
        &[12],
    ),
    (
        1,
        "19:50",
        40,
        SessionKind::Talk,
        "Measuring stream health from the viewer's side",
        &[13],
    ),
    (
        2,
        "19:50",
        40,
        SessionKind::Talk,
        "Calendars that move when talks move",
        &[14],
    ),
    (
        3,
        "19:50",
        40,
        SessionKind::Talk,
        "Translating a conference into four languages",
        &[15],
    ),
    (
        0,
        "20:40",
        40,
        SessionKind::Talk,
        "What we learned running volunteer tech teams",
        &[16],
    ),
    (
        1,
        "20:40",
        40,
        SessionKind::Talk,
        "Fallback players and the art of graceful failure",
        &[17, 1],
    ),
    (
        2,
        "20:40",
        40,
        SessionKind::Other,
        "Lightning talks",
        &[2, 9, 13],
    ),
    (
        3,
        "21:20",
        40,
        SessionKind::Talk,
        "Closing panel: the next conference",
        &[0, 3, 12],
    ),
];

pub fn conference(slug: &str, date: NaiveDate) -> Schedule {
    let tz = app::domain::time::parse_zone(ZONE).expect("static zone");
    let colors = ["#2563eb", "#db2777", "#059669", "#d97706"];
    let tracks = (0..4)
        .map(|i| {
            let name = format!("Track {}", i + 1);
            Track {
                slug: slugify(&name),
                name,
                color: colors[i].to_owned(),
                stream_url: Some(format!("https://stream.example.org/{slug}/track-{}", i + 1)),
                position: i as i64,
            }
        })
        .collect::<Vec<_>>();
    let speaker_key = |i: usize| {
        Uuid::new_v5(
            &Uuid::NAMESPACE_OID,
            format!("{slug}/speaker/{i}").as_bytes(),
        )
        .to_string()
    };
    let speakers = SPEAKERS
        .iter()
        .enumerate()
        .map(|(i, name)| Speaker {
            key: speaker_key(i),
            name: (*name).to_owned(),
            email: None,
        })
        .collect();
    let sessions = SLOTS
        .iter()
        .enumerate()
        .map(|(i, (track, start, minutes, kind, title, who))| {
            let local = date.and_time(parse_hhmm(start).expect("static time"));
            Session {
                guid: Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("{slug}/session/{i}").as_bytes()).to_string(),
                title: (*title).to_owned(),
                abstract_md: if *kind == SessionKind::Break {
                    String::new()
                } else {
                    format!("**{title}.** A talk at the Marquee demo conference.\n\nQuestions in the chat of *Track {}*.", track + 1)
                },
                kind: *kind,
                start: local_to_utc(tz, local).expect("Moscow has no DST"),
                duration_min: *minutes,
                track: tracks[*track].slug.clone(),
                language: Some(if i % 5 == 2 { "ru" } else { "en" }.to_owned()),
                pinned: *kind == SessionKind::Keynote,
                speakers: who.iter().map(|w| speaker_key(*w)).collect(),
                cancelled: false,
            }
        })
        .collect();
    Schedule {
        event: Event {
            slug: slug.to_owned(),
            name: "Marquee Demo Conference".to_owned(),
            time_zone: ZONE.to_owned(),
            start_date: date,
            end_date: date,
        },
        tracks,
        speakers,
        sessions,
        version: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn demo_has_four_tracks_a_keynote_breaks_and_a_speaker_in_two_tracks() {
        let s = conference("demo", NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(s.tracks.len(), 4);
        assert_eq!(s.tracks[1].slug, "track-2");
        assert!(
            s.sessions
                .iter()
                .any(|x| x.kind == SessionKind::Keynote && x.pinned)
        );
        assert_eq!(
            s.sessions
                .iter()
                .filter(|x| x.kind == SessionKind::Break)
                .count(),
            4
        );
        let first = s.sessions.iter().map(|x| x.start).min().unwrap();
        let last = s.sessions.iter().map(|x| x.end()).max().unwrap();
        assert_eq!(
            app::domain::time::format_hhmm(chrono_tz::Europe::Moscow, first),
            "17:00"
        );
        assert_eq!(
            app::domain::time::format_hhmm(chrono_tz::Europe::Moscow, last),
            "22:00"
        );
        let anna = &s.speakers[0].key;
        let tracks: HashSet<_> = s
            .sessions
            .iter()
            .filter(|x| x.speakers.contains(anna))
            .map(|x| &x.track)
            .collect();
        assert!(tracks.len() >= 2, "Anna talks in {tracks:?}");
        let guids: HashSet<_> = s.sessions.iter().map(|x| &x.guid).collect();
        assert_eq!(guids.len(), s.sessions.len(), "guids are unique");
    }

    #[test]
    fn sessions_in_a_track_do_not_overlap() {
        let s = conference("demo", NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        for t in &s.tracks {
            let v = s.track_sessions(&t.slug);
            for w in v.windows(2) {
                assert!(
                    w[0].end() <= w[1].start,
                    "{} overlaps {}",
                    w[0].title,
                    w[1].title
                );
            }
        }
    }
}

use chrono::NaiveDateTime;

use super::*;
use crate::domain::schedule::{Event, SessionKind, Speaker, Track};
use crate::domain::time::{local_to_utc, parse_zone};

pub(super) fn local(tz: Tz, s: &str) -> DateTime<Utc> {
    local_to_utc(
        tz,
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap(),
    )
    .unwrap()
}

pub(super) fn talk(
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

fn pinned(mut s: Session) -> Session {
    s.pinned = true;
    s
}

pub(super) fn schedule(
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
        speakers: ["anna", "dmitri", "li"]
            .iter()
            .map(|k| Speaker {
                key: (*k).into(),
                name: format!("Speaker {k}"),
                email: None,
            })
            .collect(),
        sessions,
        version: 1,
    }
}

fn req(tracks: &[&str], from: DateTime<Utc>, change: ShiftChange) -> ShiftRequest {
    ShiftRequest {
        tracks: TrackSelection::Some(tracks.iter().map(|t| (*t).to_owned()).collect()),
        from,
        change,
        until: None,
        include_pinned: false,
    }
}

/// Like the demo: a pinned keynote, Anna talking in two tracks.
fn demo_like() -> (Schedule, Tz) {
    let tz = parse_zone("Europe/Moscow").unwrap();
    let t = |s: &str| local(tz, &format!("2026-11-23 {s}"));
    let s = schedule(
        "Europe/Moscow",
        ("2026-11-23", "2026-11-23"),
        2,
        vec![
            pinned(talk("key", "track-1", t("17:00"), 45, &["anna"])),
            talk("a1", "track-1", t("17:50"), 40, &["dmitri"]),
            talk("a2", "track-1", t("18:40"), 40, &["anna"]),
            pinned(talk("brk", "track-1", t("19:30"), 30, &[])),
            talk("b1", "track-2", t("17:00"), 40, &["li"]),
            talk("b2", "track-2", t("19:00"), 40, &["anna"]),
            talk("b3", "track-2", t("20:00"), 40, &["li"]),
        ],
    );
    (s, tz)
}

#[test]
fn a_speaker_in_two_tracks_clashes_and_pinned_items_stay() {
    let (s, tz) = demo_like();
    let from = local(tz, "2026-11-23 17:25");
    let p = preview_shift(&s, tz, &req(&["track-1"], from, ShiftChange::ByMinutes(50))).unwrap();
    let guids: Vec<&str> = p.moved.iter().map(|m| m.guid.as_str()).collect();
    assert_eq!(
        guids,
        ["a1", "a2"],
        "the running keynote and the pinned break stay"
    );
    assert_eq!(p.delta_min, 50);
    assert_eq!(
        p.conflicts,
        vec![
            Conflict::OverlapsPinned {
                guid: "a2".into(),
                pinned_guid: "brk".into()
            },
            Conflict::SpeakerClash {
                speaker_key: "anna".into(),
                speaker_name: "Speaker anna".into(),
                a_guid: "a2".into(),
                b_guid: "b2".into()
            },
        ]
    );
    assert!(p.conflicts[1].message().contains("Speaker anna"));
    assert_eq!(p.summary(&s), "2 sessions in track-1 moved +50 min");
    let json = serde_json::to_value(&p.conflicts[0]).unwrap();
    assert_eq!(json["kind"], "overlaps_pinned");

    let shifted = apply_preview(&s, &p);
    assert_eq!(
        shifted.session("a2").unwrap().start,
        local(tz, "2026-11-23 19:30")
    );
    assert_eq!(
        shifted.session("brk").unwrap().start,
        s.session("brk").unwrap().start
    );
}

#[test]
fn start_at_sets_the_delta_from_the_first_moved_session() {
    let tz = parse_zone("Europe/Moscow").unwrap();
    let s = schedule(
        "Europe/Moscow",
        ("2026-11-23", "2026-11-23"),
        1,
        vec![
            talk("x", "track-1", local(tz, "2026-11-23 17:25"), 30, &[]),
            talk("y", "track-1", local(tz, "2026-11-23 18:00"), 30, &[]),
        ],
    );
    let to = ShiftChange::StartAt(local(tz, "2026-11-23 18:15"));
    let p = preview_shift(
        &s,
        tz,
        &req(&["track-1"], local(tz, "2026-11-23 17:25"), to),
    )
    .unwrap();
    assert_eq!(p.delta_min, 50);
    assert_eq!(p.moved[1].new_start, local(tz, "2026-11-23 18:50"));
}

#[test]
fn late_sessions_cross_midnight_and_the_day_end() {
    let tz = parse_zone("Europe/Moscow").unwrap();
    let s = schedule(
        "Europe/Moscow",
        ("2026-11-23", "2026-11-24"),
        2,
        vec![
            talk("late", "track-1", local(tz, "2026-11-23 23:30"), 20, &[]),
            talk("other", "track-2", local(tz, "2026-11-23 23:00"), 55, &[]),
        ],
    );
    let from = local(tz, "2026-11-23 23:00");
    let p = preview_shift(&s, tz, &req(&["track-1"], from, ShiftChange::ByMinutes(45))).unwrap();
    assert_eq!(
        p.conflicts,
        vec![
            Conflict::CrossesMidnight {
                guid: "late".into()
            },
            Conflict::PastDayEnd {
                guid: "late".into()
            },
        ]
    );
}

#[test]
fn a_dst_change_day_in_berlin_warns_and_has_a_25_hour_scope() {
    let tz = parse_zone("Europe/Berlin").unwrap();
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let s = schedule(
        "Europe/Berlin",
        ("2026-10-24", "2026-10-25"),
        1,
        vec![
            // 02:00 CEST; an hour later in UTC it is 02:00 CET again.
            talk("fold", "track-1", at("2026-10-25T00:00:00Z"), 30, &[]),
            talk("noon", "track-1", at("2026-10-25T11:00:00Z"), 30, &[]),
            // 23:30 CET on the 25th: still that local day.
            talk("late", "track-1", at("2026-10-25T22:30:00Z"), 20, &[]),
            // 00:00 CET on the 26th: outside the default scope.
            talk("next", "track-1", at("2026-10-25T23:00:00Z"), 20, &[]),
        ],
    );
    let r = req(
        &["track-1"],
        at("2026-10-24T23:00:00Z"),
        ShiftChange::ByMinutes(60),
    );
    let p = preview_shift(&s, tz, &r).unwrap();
    let guids: Vec<&str> = p.moved.iter().map(|m| m.guid.as_str()).collect();
    assert_eq!(guids, ["fold", "noon", "late"]);
    assert!(p.conflicts.contains(&Conflict::CrossesDst {
        guid: "fold".into()
    }));
    assert!(!p.conflicts.contains(&Conflict::CrossesDst {
        guid: "noon".into()
    }));
    assert!(p.conflicts.contains(&Conflict::CrossesMidnight {
        guid: "late".into()
    }));
}

#[test]
fn bad_requests_are_refused_naming_the_field() {
    let (s, tz) = demo_like();
    let from = local(tz, "2026-11-23 17:25");
    let by = ShiftChange::ByMinutes(10);
    let field = |r: ShiftRequest| preview_shift(&s, tz, &r).unwrap_err().field();
    assert_eq!(field(req(&["nope"], from, by)), "tracks");
    assert_eq!(field(req(&[], from, by)), "tracks");
    assert_eq!(
        field(req(&["track-1"], from, ShiftChange::ByMinutes(0))),
        "by_minutes"
    );
    assert_eq!(
        field(req(&["track-1"], from, ShiftChange::ByMinutes(1441))),
        "by_minutes"
    );
    assert_eq!(
        field(req(
            &["track-1"],
            from,
            ShiftChange::StartAt(s.sessions[1].start)
        )),
        "to"
    );
    let far = ShiftChange::StartAt(from + Duration::days(2));
    assert_eq!(field(req(&["track-1"], from, far)), "to");
    assert_eq!(
        field(req(&["track-1"], local(tz, "2026-11-25 10:00"), by)),
        "from"
    );
    assert_eq!(
        field(req(&["track-1"], local(tz, "2026-11-23 23:00"), by)),
        "from"
    );
    let mut r = req(&["track-1"], from, by);
    r.until = Some(from);
    assert_eq!(field(r), "until");
    assert!(
        preview_shift(
            &s,
            tz,
            &req(&["track-1"], local(tz, "2026-11-24 10:00"), by)
        )
        .is_err()
    );
    assert_eq!(
        serde_json::from_str::<TrackSelection>("\"all\"").unwrap(),
        TrackSelection::All
    );
    assert_eq!(
        serde_json::from_str::<TrackSelection>("[\"all\"]").unwrap(),
        TrackSelection::All
    );
    assert_eq!(
        serde_json::from_str::<TrackSelection>("[\"all\", \"track-1\"]").unwrap(),
        TrackSelection::Some(vec!["all".into(), "track-1".into()])
    );
}

#[test]
fn revert_against_a_changed_schedule_skips_sessions_moved_since() {
    let (s, tz) = demo_like();
    let from = local(tz, "2026-11-23 17:25");
    let p = preview_shift(&s, tz, &req(&["track-1"], from, ShiftChange::ByMinutes(50))).unwrap();
    let mut shifted = apply_preview(&s, &p);
    shifted.sessions[1].start += Duration::minutes(5); // a1 moved again by hand
    let back = preview_revert(&shifted, tz, &p);
    assert_eq!(back.moved.len(), 1);
    assert_eq!(back.moved[0].guid, "a2");
    assert_eq!(back.delta_min, -50);
    assert_eq!(
        back.conflicts[0],
        Conflict::MovedSince { guid: "a1".into() }
    );
}

use super::*;
use crate::domain::replan::change::EditField;
use crate::domain::replan::conflicts::{Conflict, ConflictSpeaker};
use crate::domain::replan::fixtures::{at, evening, tz};
use crate::domain::shift::{ShiftChange, ShiftRequest, preview_shift};

fn plan(from: &str, by: ShiftBy) -> ShiftPlan {
    ShiftPlan {
        tracks: TrackSelection::All,
        from: at(from),
        by,
        until: None,
        interrupted: InterruptedMode::Restart,
        pinned: PinnedPolicy::FlowAround,
    }
}

fn start_of(p: &ChangePreview, guid: &str) -> (DateTime<Utc>, i64) {
    let e = p.edit(guid).unwrap_or_else(|| panic!("{guid} not edited"));
    (e.after.start, e.after.duration_min)
}

fn conflict(kind: ConflictKind, guid: &str, other: Option<&str>) -> Conflict {
    Conflict {
        kind,
        guid: guid.into(),
        other: other.map(Into::into),
        field: EditField::Start,
        speaker: None,
    }
}

#[test]
fn the_old_shift_left_the_interrupted_talks_in_the_past() {
    let s = evening();
    let old = preview_shift(
        &s,
        tz(),
        &ShiftRequest {
            tracks: TrackSelection::All,
            from: at("17:00"),
            change: ShiftChange::StartAt(at("18:15")),
            until: None,
            include_pinned: false,
        },
    )
    .unwrap();
    assert!(!old.moved.iter().any(|m| m.guid == "a1" || m.guid == "b1"));

    let p = plan_shift(&s, tz(), &plan("17:00", ShiftBy::RestartAt(at("18:15")))).unwrap();
    let interrupted: Vec<(&str, i64)> = p
        .interrupted()
        .map(|e| (e.guid.as_str(), e.interrupted.as_ref().unwrap().ran_min))
        .collect();
    assert_eq!(interrupted, [("a1", 20), ("b1", 10)]);
}

#[test]
fn every_track_restarts_at_the_instant_and_interrupted_talks_start_over() {
    let s = evening();
    let p = plan_shift(&s, tz(), &plan("17:00", ShiftBy::RestartAt(at("18:15")))).unwrap();
    let guids: Vec<&str> = p.edits.iter().map(|e| e.guid.as_str()).collect();
    assert_eq!(guids, ["a1", "b1", "coffee", "a2", "b2", "a3", "b3"]);
    assert_eq!(start_of(&p, "a1"), (at("18:15"), 40), "from the beginning");
    assert_eq!(start_of(&p, "b1"), (at("18:15"), 30));
    // The changeovers stay; a2 would meet the pinned keynote, so it
    // follows it and a3 follows a2.
    assert_eq!(start_of(&p, "a2"), (at("20:00"), 40));
    assert_eq!(start_of(&p, "a3"), (at("20:45"), 40));
    assert_eq!(start_of(&p, "coffee"), (at("18:45"), 30));
    assert_eq!(start_of(&p, "b3"), (at("20:00"), 40));
    assert!(p.edit("key").is_none(), "pinned keynote stays");
    assert_eq!(
        p.conflicts,
        vec![
            conflict(ConflictKind::PastDayEnd, "a2", None),
            Conflict {
                speaker: Some(ConflictSpeaker {
                    key: "dmitri".into(),
                    name: "Speaker dmitri".into()
                }),
                ..conflict(ConflictKind::SpeakerClash, "a2", Some("b3"))
            },
            conflict(ConflictKind::PastDayEnd, "a3", None),
            conflict(ConflictKind::PastDayEnd, "b3", None),
        ]
    );
    assert_eq!(p.summary(&s), "7 moved, 2 interrupted in track-1, track-2");
    assert_eq!(p.base_version, 7);
}

#[test]
fn resumed_talks_continue_with_the_minutes_left() {
    let s = evening();
    let mut r = plan("17:00", ShiftBy::ByMinutes(75));
    r.interrupted = InterruptedMode::Resume;
    let p = plan_shift(&s, tz(), &r).unwrap();
    assert_eq!(
        start_of(&p, "a1"),
        (at("18:15"), 20),
        "40 min talk, 20 min ran"
    );
    assert_eq!(
        p.edit("a1").unwrap().interrupted,
        Some(Interruption {
            at: at("17:00"),
            ran_min: 20,
            mode: InterruptedMode::Resume
        })
    );
    assert_eq!(start_of(&p, "b1"), (at("18:15"), 20));
    // Everything behind is 75 minutes later, as asked.
    assert_eq!(start_of(&p, "b2"), (at("19:05"), 40));
    assert_eq!(start_of(&p, "b3"), (at("19:50"), 40));
    assert_eq!(p.shortened().count(), 0, "resuming is not shortening");
}

#[test]
fn by_minutes_restarts_an_interrupted_talk_that_long_after_the_interruption() {
    let s = evening();
    let p = plan_shift(&s, tz(), &plan("17:00", ShiftBy::ByMinutes(30))).unwrap();
    assert_eq!(start_of(&p, "a1"), (at("17:30"), 40));
    // Starting over costs a1's 20 minutes on top of the 30.
    assert_eq!(start_of(&p, "a2"), (at("18:15"), 40));
}

#[test]
fn a_restart_before_the_interruption_is_refused_naming_the_field() {
    let s = evening();
    let field = |r: ShiftPlan| plan_shift(&s, tz(), &r).unwrap_err().field();
    assert_eq!(
        field(plan("17:00", ShiftBy::RestartAt(at("16:59")))),
        "restart_at"
    );
    assert_eq!(field(plan("17:00", ShiftBy::ByMinutes(-10))), "by_minutes");
    assert_eq!(field(plan("17:00", ShiftBy::ByMinutes(0))), "by_minutes");
    assert_eq!(field(plan("17:00", ShiftBy::ByMinutes(1441))), "by_minutes");
    let mut r = plan("17:00", ShiftBy::ByMinutes(10));
    r.tracks = TrackSelection::Some(vec!["nope".into()]);
    assert_eq!(field(r), "tracks");
    assert_eq!(
        field(plan("23:59", ShiftBy::ByMinutes(10))),
        "from",
        "nothing to move"
    );
}

#[test]
fn pinned_sessions_are_flowed_around_reported_refused_or_moved() {
    let s = evening();
    let with = |pinned| {
        let mut r = plan("17:00", ShiftBy::RestartAt(at("18:15")));
        r.pinned = pinned;
        plan_shift(&s, tz(), &r)
    };
    let flowed = with(PinnedPolicy::FlowAround).unwrap();
    assert!(!flowed.has_conflict(ConflictKind::OverlapsPinned));

    let reported = with(PinnedPolicy::Report).unwrap();
    assert_eq!(start_of(&reported, "a2"), (at("19:00"), 40));
    let pinned: Vec<(&str, Option<&str>)> = reported
        .conflicts
        .iter()
        .filter(|c| c.kind == ConflictKind::OverlapsPinned)
        .map(|c| (c.guid.as_str(), c.other.as_deref()))
        .collect();
    assert_eq!(pinned, [("a2", Some("key")), ("a3", Some("key"))]);
    assert!(reported.edit("key").is_none());

    let refused = with(PinnedPolicy::Refuse).unwrap_err();
    assert_eq!(
        refused,
        ReplanError::PinnedOverlap {
            field: "pinned",
            guid: "a2".into(),
            pinned_guid: "key".into()
        }
    );

    let moved = with(PinnedPolicy::Move).unwrap();
    assert_eq!(start_of(&moved, "key"), (at("20:35"), 60));
}

#[test]
fn a_shift_into_sessions_that_stay_is_a_room_overlap() {
    let s = evening();
    let mut r = plan("17:21", ShiftBy::ByMinutes(30));
    r.tracks = TrackSelection::Some(vec!["track-1".into()]);
    r.until = Some(at("18:00"));
    let p = plan_shift(&s, tz(), &r).unwrap();
    assert_eq!(p.edits.len(), 1);
    assert_eq!(
        p.conflicts,
        [conflict(ConflictKind::RoomOverlap, "a2", Some("a3"))]
    );

    let mut back = plan("18:10", ShiftBy::ByMinutes(-20));
    back.tracks = TrackSelection::Some(vec!["track-1".into()]);
    let p = plan_shift(&s, tz(), &back).unwrap();
    assert_eq!(start_of(&p, "a3"), (at("17:50"), 40));
    assert_eq!(
        p.conflicts,
        [conflict(ConflictKind::RoomOverlap, "a3", Some("a2"))]
    );
}

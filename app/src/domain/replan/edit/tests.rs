use super::*;
use crate::domain::replan::apply::apply_change;
use crate::domain::replan::change::EditField;
use crate::domain::replan::fixtures::{at, evening, tz};

fn move_req(guid: &str) -> MoveRequest {
    MoveRequest {
        guid: guid.into(),
        start: None,
        track: None,
        duration_min: None,
        allow_pinned_overlap: false,
    }
}

/// Each conflict as (kind, other session, field).
fn kinds(p: &ChangePreview) -> Vec<(ConflictKind, Option<&str>, EditField)> {
    p.conflicts
        .iter()
        .map(|c| (c.kind, c.other.as_deref(), c.field))
        .collect()
}

#[test]
fn a_talk_moves_to_another_room_and_time() {
    let s = evening();
    let p = plan_move(
        &s,
        tz(),
        &MoveRequest {
            start: Some(at("20:00")),
            track: Some("track-1".into()),
            ..move_req("b3")
        },
    )
    .unwrap();
    assert_eq!(p.kind, ChangeKind::Move);
    let e = &p.edits[0];
    assert_eq!(
        (e.before.start, e.before.track.as_str()),
        (at("18:35"), "track-2")
    );
    assert_eq!(
        (e.after.start, e.after.track.as_str()),
        (at("20:00"), "track-1")
    );
    assert!(e.is_move());
    // Right after the keynote: no overlap, but later than the day ended.
    assert_eq!(
        kinds(&p),
        [(ConflictKind::PastDayEnd, None, EditField::Start)]
    );
}

#[test]
fn landing_on_a_pinned_session_is_refused_unless_allowed() {
    let s = evening();
    let req = MoveRequest {
        start: Some(at("19:30")),
        ..move_req("a3")
    };
    assert_eq!(
        plan_move(&s, tz(), &req).unwrap_err(),
        ReplanError::PinnedOverlap {
            field: "start",
            guid: "a3".into(),
            pinned_guid: "key".into()
        }
    );
    let allowed = plan_move(
        &s,
        tz(),
        &MoveRequest {
            allow_pinned_overlap: true,
            ..req
        },
    )
    .unwrap();
    assert_eq!(
        kinds(&allowed),
        [
            (ConflictKind::PastDayEnd, None, EditField::Start),
            (ConflictKind::OverlapsPinned, Some("key"), EditField::Start),
        ]
    );
}

#[test]
fn a_room_or_length_change_that_overlaps_names_that_field() {
    let s = evening();
    let room = plan_move(
        &s,
        tz(),
        &MoveRequest {
            track: Some("track-1".into()),
            ..move_req("b2")
        },
    )
    .unwrap();
    assert_eq!(
        kinds(&room),
        [
            (ConflictKind::RoomOverlap, Some("a2"), EditField::Track),
            (ConflictKind::RoomOverlap, Some("a3"), EditField::Track),
        ]
    );
    let longer = plan_move(
        &s,
        tz(),
        &MoveRequest {
            duration_min: Some(50),
            ..move_req("a2")
        },
    )
    .unwrap();
    assert_eq!(
        kinds(&longer),
        [(ConflictKind::RoomOverlap, Some("a3"), EditField::Duration)]
    );
}

#[test]
fn a_swap_trades_start_and_room_and_keeps_lengths() {
    let s = evening();
    let p = plan_swap(
        &s,
        tz(),
        &SwapRequest {
            a: "b2".into(),
            b: "a2".into(),
            allow_pinned_overlap: false,
        },
    )
    .unwrap();
    let after: Vec<(&str, DateTime<Utc>, &str)> = p
        .edits
        .iter()
        .map(|e| (e.guid.as_str(), e.after.start, e.after.track.as_str()))
        .collect();
    assert_eq!(
        after,
        [
            ("a2", at("17:50"), "track-2"),
            ("b2", at("17:25"), "track-1")
        ]
    );
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);
}

#[test]
fn cancelling_frees_the_slot_and_restoring_reports_what_moved_in() {
    let s = evening();
    let cancel = plan_cancel(&s, tz(), "a2").unwrap();
    assert_eq!(cancel.cancelled().count(), 1);
    assert!(cancel.conflicts.is_empty());
    assert_eq!(cancel.summary(&s), "1 cancelled in track-1");
    let s = apply_change(&s, &cancel).unwrap();
    assert!(s.session("a2").unwrap().cancelled);

    let into_slot = plan_move(
        &s,
        tz(),
        &MoveRequest {
            start: Some(at("17:25")),
            ..move_req("a3")
        },
    )
    .unwrap();
    assert!(into_slot.conflicts.is_empty(), "{:?}", into_slot.conflicts);
    let s = apply_change(&s, &into_slot).unwrap();

    let restore = plan_restore(&s, tz(), "a2").unwrap();
    assert_eq!(restore.restored().count(), 1);
    assert_eq!(
        kinds(&restore),
        [(ConflictKind::RoomOverlap, Some("a3"), EditField::Cancelled)]
    );
    let s = apply_change(&s, &restore).unwrap();
    assert!(!s.session("a2").unwrap().cancelled);
    assert_eq!(s.version, 10);
}

#[test]
fn bad_edits_are_refused_naming_the_field() {
    let s = evening();
    let field = |r: Result<ChangePreview, ReplanError>| r.unwrap_err().field();
    assert_eq!(field(plan_move(&s, tz(), &move_req("nope"))), "guid");
    assert_eq!(
        field(plan_move(&s, tz(), &move_req("a2"))),
        "start",
        "changes nothing"
    );
    let to = |m: MoveRequest| plan_move(&s, tz(), &m);
    assert_eq!(
        field(to(MoveRequest {
            track: Some("track-9".into()),
            ..move_req("a2")
        })),
        "track"
    );
    for bad in [0, -5, 1441] {
        assert_eq!(
            field(to(MoveRequest {
                duration_min: Some(bad),
                ..move_req("a2")
            })),
            "duration_min"
        );
    }
    assert_eq!(
        field(to(MoveRequest {
            start: Some(at("17:00") + chrono::Duration::days(3)),
            ..move_req("a2")
        })),
        "start"
    );
    let swap = |a: &str, b: &str| {
        plan_swap(
            &s,
            tz(),
            &SwapRequest {
                a: a.into(),
                b: b.into(),
                allow_pinned_overlap: false,
            },
        )
    };
    assert_eq!(field(swap("a2", "a2")), "b");
    assert_eq!(field(swap("a2", "nope")), "b");
    assert_eq!(field(swap("nope", "a2")), "a");
    assert_eq!(field(plan_restore(&s, tz(), "a2")), "guid", "not cancelled");
    let cancelled = apply_change(&s, &plan_cancel(&s, tz(), "a2").unwrap()).unwrap();
    assert_eq!(field(plan_cancel(&cancelled, tz(), "a2")), "guid");
    assert_eq!(field(plan_move(&cancelled, tz(), &move_req("a2"))), "guid");
}

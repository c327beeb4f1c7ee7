//! The change model end to end: version checks, apply and revert, the
//! request envelope, amending a decision and keeping speakers' answers.

use std::collections::HashMap;

use chrono::Duration;

use super::fixtures::{at, evening, tz};
use super::*;
use crate::domain::shift::TrackSelection;

fn restart(from: &str, hhmm: &str) -> ShiftPlan {
    ShiftPlan {
        tracks: TrackSelection::All,
        from: at(from),
        by: ShiftBy::RestartAt(at(hhmm)),
        until: None,
        interrupted: InterruptedMode::Restart,
        pinned: PinnedPolicy::FlowAround,
    }
}

#[test]
fn a_stale_request_or_preview_is_refused_naming_version() {
    let s = evening();
    let req = |version| ChangeRequest {
        version,
        op: ChangeOp::Cancel { guid: "a2".into() },
    };
    let err = plan_change(&s, tz(), &req(6)).unwrap_err();
    assert_eq!(
        err,
        ReplanError::Stale {
            previewed: 6,
            current: 7
        }
    );
    assert_eq!(err.field(), "version");
    let p = plan_change(&s, tz(), &req(7)).unwrap();

    // Another organiser published first: the schedule is version 8 now.
    let other = plan_shift(&s, tz(), &restart("17:00", "18:00")).unwrap();
    let newer = apply_change(&s, &other).unwrap();
    assert_eq!(apply_change(&newer, &p).unwrap_err().field(), "version");

    // Same version number, but a2 is no longer where the preview saw it.
    let mut drifted = s.clone();
    drifted.sessions[1].start += Duration::minutes(5);
    assert_eq!(
        apply_change(&drifted, &p).unwrap_err(),
        ReplanError::SessionChanged { guid: "a2".into() }
    );
}

#[test]
fn applying_makes_the_next_version_and_reverting_restores() {
    let s = evening();
    let p = plan_shift(&s, tz(), &restart("17:00", "18:15")).unwrap();
    let shifted = apply_change(&s, &p).unwrap();
    assert_eq!(shifted.version, 8);
    for e in &p.edits {
        assert_eq!(Slot::of(shifted.session(&e.guid).unwrap()), e.after);
    }
    let back = apply_change(&shifted, &revert_change(&p)).unwrap();
    assert_eq!(back.sessions, s.sessions);
    assert_eq!(back.version, 9);
}

#[test]
fn a_revert_leaves_sessions_changed_since_and_says_so() {
    let s = evening();
    let p = plan_shift(&s, tz(), &restart("17:00", "18:15")).unwrap();
    let mut shifted = apply_change(&s, &p).unwrap();
    let a2 = shifted
        .sessions
        .iter_mut()
        .find(|x| x.guid == "a2")
        .unwrap();
    a2.start += Duration::minutes(5);
    let back = preview_revert(&shifted, tz(), &p);
    assert!(back.edit("a2").is_none());
    assert_eq!(back.edits.len(), p.edits.len() - 1);
    assert_eq!(back.conflicts[0].kind, ConflictKind::MovedSince);
    assert_eq!(back.conflicts[0].guid, "a2");
    assert_eq!(back.base_version, 8);
    let restored = apply_change(&shifted, &back).unwrap();
    assert_eq!(restored.session("a1"), s.session("a1"));
}

#[test]
fn requests_read_from_json_with_their_defaults() {
    let shift: ChangeRequest = serde_json::from_str(
        r#"{"version": 7, "op": "shift", "tracks": "all", "from": "2026-11-23T14:00:00Z",
            "by": {"restart_at": "2026-11-23T15:15:00Z"}}"#,
    )
    .unwrap();
    assert_eq!(
        shift,
        ChangeRequest {
            version: 7,
            op: ChangeOp::Shift(restart("17:00", "18:15"))
        }
    );
    let catch_up: ChangeRequest = serde_json::from_str(
        r#"{"version": 7, "op": "catch_up", "tracks": ["track-2"], "from": "2026-11-23T14:00:00Z",
            "delay_min": 30, "goal": {"end_later": 10}, "strategy": "shorten_breaks"}"#,
    )
    .unwrap();
    let ChangeOp::CatchUp(c) = &catch_up.op else {
        panic!("{catch_up:?}")
    };
    assert_eq!(c.request.goal, CatchUpGoal::EndLater(10));
    assert_eq!(c.request.rules, CatchUpRules::default());
    assert_eq!(c.strategy, CatchUpStrategy::ShortenBreaks);
    for req in [
        shift,
        catch_up,
        ChangeRequest {
            version: 3,
            op: ChangeOp::Move(MoveRequest {
                guid: "a3".into(),
                start: Some(at("19:30")),
                track: None,
                duration_min: Some(30),
                allow_pinned_overlap: true,
            }),
        },
        ChangeRequest {
            version: 3,
            op: ChangeOp::Swap(SwapRequest {
                a: "a2".into(),
                b: "b2".into(),
                allow_pinned_overlap: false,
            }),
        },
        ChangeRequest {
            version: 3,
            op: ChangeOp::Restore { guid: "a2".into() },
        },
    ] {
        let json = serde_json::to_string(&req).unwrap();
        assert_eq!(
            serde_json::from_str::<ChangeRequest>(&json).unwrap(),
            req,
            "{json}"
        );
    }
    let bad = serde_json::from_str::<ChangeRequest>(r#"{"version": 1, "op": "teleport"}"#);
    assert!(bad.unwrap_err().to_string().contains("teleport"));
}

#[test]
fn a_preview_reads_as_json_the_pages_and_api_can_use() {
    let s = evening();
    let p = plan_shift(&s, tz(), &restart("17:00", "18:15")).unwrap();
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["kind"], "shift");
    assert_eq!(json["base_version"], 7);
    assert_eq!(json["edits"][0]["guid"], "a1");
    assert_eq!(json["edits"][0]["interrupted"]["mode"], "restart");
    assert_eq!(json["edits"][0]["before"]["duration_min"], 40);
    assert_eq!(json["conflicts"][1]["kind"], "speaker_clash");
    assert_eq!(json["conflicts"][1]["field"], "start");
    assert_eq!(json["conflicts"][1]["speaker"]["key"], "dmitri");
    assert!(
        json.get("steps").is_none(),
        "only amended changes have steps"
    );
    let back: ChangePreview = serde_json::from_value(json).unwrap();
    assert_eq!(back, p);
}

#[test]
fn a_second_decision_is_one_change_with_its_steps() {
    let s = evening();
    let first = plan_shift(&s, tz(), &restart("17:00", "18:00")).unwrap();
    let published = apply_change(&s, &first).unwrap();
    // 17:50: "to be safe, 18:15".
    let second = plan_shift(&published, tz(), &restart("17:50", "18:15")).unwrap();
    let now = apply_change(&published, &second).unwrap();

    let amended = amend_change(&published, &first, &second).unwrap();
    assert_eq!(amended.kind, ChangeKind::Shift);
    assert_eq!(amended.base_version, 7);
    assert_eq!(amended.steps.len(), 2);
    assert_eq!(amended.steps[1].base_version, 8);
    let a1 = amended.edit("a1").unwrap();
    assert_eq!(
        (a1.before.start, a1.after.start),
        (at("16:40"), at("18:15"))
    );
    assert_eq!(
        a1.interrupted.as_ref().unwrap().ran_min,
        20,
        "from the first step"
    );
    // One change from the original times lands where the two did.
    assert_eq!(apply_change(&s, &amended).unwrap().sessions, now.sessions);
    assert_eq!(amended.conflicts, second.conflicts);

    // Amending again keeps the earlier steps.
    let third = plan_shift(&now, tz(), &restart("18:00", "18:20")).unwrap();
    let again = amend_change(&now, &amended, &third).unwrap();
    assert_eq!(again.steps.len(), 3);
}

#[test]
fn only_the_latest_change_of_a_session_can_be_amended() {
    let s = evening();
    let first = plan_shift(&s, tz(), &restart("17:00", "18:00")).unwrap();
    // A move previewed on the schedule before `first`: a1 is not where
    // `first` left it.
    let stale = plan_move(
        &s,
        tz(),
        &MoveRequest {
            guid: "a1".into(),
            start: Some(at("21:00")),
            track: None,
            duration_min: None,
            allow_pinned_overlap: false,
        },
    )
    .unwrap();
    let err = amend_change(&s, &first, &stale).unwrap_err();
    assert_eq!(err, ReplanError::NotAmendable { guid: "a1".into() });
    assert_eq!(err.field(), "amends");
}

#[test]
fn a_session_moved_there_and_back_drops_out_of_the_amended_change() {
    let s = evening();
    let req = |guid: &str, hhmm: &str| MoveRequest {
        guid: guid.into(),
        start: Some(at(hhmm)),
        track: None,
        duration_min: None,
        allow_pinned_overlap: false,
    };
    let first = plan_move(&s, tz(), &req("b3", "20:00")).unwrap();
    let moved = apply_change(&s, &first).unwrap();
    let back = plan_move(&moved, tz(), &req("b3", "18:35")).unwrap();
    let amended = amend_change(&moved, &first, &back).unwrap();
    assert!(amended.edits.is_empty());
    assert_eq!(amended.steps.len(), 2);
}

#[test]
fn answers_that_fit_the_amended_times_are_kept() {
    let s = evening();
    let first = plan_shift(&s, tz(), &restart("17:00", "18:00")).unwrap();
    let published = apply_change(&s, &first).unwrap();
    let second = plan_shift(&published, tz(), &restart("17:50", "18:15")).unwrap();
    let amended = amend_change(&published, &first, &second).unwrap();

    let asked = |guids: &[&str]| -> Vec<AskedSlot> {
        guids
            .iter()
            .map(|g| AskedSlot {
                guid: (*g).into(),
                slot: first.edit(g).unwrap().after.clone(),
            })
            .collect()
    };
    let answer = |reply, availability, guids: &[&str]| {
        SpeakerAnswer::new(reply, None, availability, asked(guids), at("17:35")).unwrap()
    };
    let answers = HashMap::from([
        // "Not at 18:00; I can from 18:10": 18:15 fits.
        (
            "anna".to_owned(),
            answer(
                Reply::Decline,
                Availability::From(at("18:10")),
                &["a1", "b2"],
            ),
        ),
        (
            "li".to_owned(),
            answer(Reply::Confirm, Availability::AsAsked, &["a3", "b1"]),
        ),
        (
            "dmitri".to_owned(),
            answer(Reply::Decline, Availability::NotToday, &["a2", "b3"]),
        ),
    ]);
    assert_eq!(
        carry_answers(&s, tz(), &amended, &answers),
        [
            ("anna".to_owned(), Standing::Confirmed),
            ("dmitri".to_owned(), Standing::Declined),
            ("li".to_owned(), Standing::AskAgain),
        ]
    );
    assert_eq!(
        carry_answers(&s, tz(), &amended, &HashMap::new())
            .iter()
            .map(|(_, st)| *st)
            .collect::<Vec<_>>(),
        [Standing::AskAgain; 3],
        "nobody answered: everyone is asked"
    );
}

#[test]
fn the_amend_window_is_a_short_time_after_publishing() {
    let w = AMEND_WINDOW_MIN;
    assert!(within_amend_window(at("17:27"), at("17:50"), w));
    assert!(within_amend_window(at("17:27"), at("19:27"), w));
    assert!(!within_amend_window(at("17:27"), at("19:28"), w));
    assert!(!within_amend_window(at("17:27"), at("17:26"), w));
    assert!(within_amend_window(at("17:27"), at("17:57"), 30));
    assert!(!within_amend_window(at("17:27"), at("17:58"), 30));
    assert!(!within_amend_window(at("17:27"), at("17:27"), -1), "never");
}

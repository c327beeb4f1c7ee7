use chrono::Duration;

use super::*;
use crate::domain::replan::apply::apply_change;
use crate::domain::replan::conflicts::ConflictKind;
use crate::domain::replan::fixtures::{
    at, brk, evening, pinned, schedule, schedule_in, session, talk, tz,
};
use crate::domain::schedule::{Session, SessionKind};
use crate::domain::time::{format_hhmm, parse_zone};

/// One track: a talk, a 30-minute coffee break, a talk, a 20-minute gap,
/// a talk; the day ends 19:50.
fn day() -> Schedule {
    schedule(
        1,
        vec![
            talk("t1", "track-1", "17:00", 40, &["anna"]),
            brk("coffee", "track-1", "17:40", 30),
            talk("t2", "track-1", "18:10", 40, &["dmitri"]),
            talk("t3", "track-1", "19:10", 40, &["li"]),
        ],
    )
}

fn request(delay_min: i64, goal: CatchUpGoal) -> CatchUpRequest {
    CatchUpRequest {
        tracks: TrackSelection::All,
        from: at("17:00"),
        delay_min,
        interrupted: InterruptedMode::Restart,
        goal,
        rules: CatchUpRules {
            min_break_min: 10,
            qa_cut_min: 5,
        },
    }
}

fn strategies(p: &CatchUpPlan) -> Vec<CatchUpStrategy> {
    p.alternatives.iter().map(|a| a.strategy).collect()
}

fn slot(a: &CatchUpAlternative, guid: &str) -> (DateTime<Utc>, i64) {
    let e = a
        .change
        .edit(guid)
        .unwrap_or_else(|| panic!("{guid} not edited"));
    (e.after.start, e.after.duration_min)
}

#[test]
fn a_delay_absorbed_by_breaks_ends_the_day_on_time() {
    let s = day();
    let p = plan_catch_up(&s, tz(), &request(25, CatchUpGoal::EndOnTime)).unwrap();
    assert_eq!(
        strategies(&p),
        [
            CatchUpStrategy::EverythingLater,
            CatchUpStrategy::ShortenBreaks
        ],
        "breaks are enough: Q&A is not offered"
    );
    let later = &p.alternatives[0];
    assert_eq!(later.change.kind, ChangeKind::Shift);
    assert_eq!(later.cost.tracks[0].late_by_min(), 25);
    assert!(!later.reaches_goal);
    assert_eq!(later.shortfall_min, 25);

    let breaks = &p.alternatives[1];
    assert_eq!(breaks.change.kind, ChangeKind::CatchUp);
    assert!(breaks.reaches_goal);
    assert_eq!(slot(breaks, "t1"), (at("17:25"), 40));
    assert_eq!(
        slot(breaks, "coffee"),
        (at("18:05"), 10),
        "down to the minimum"
    );
    assert_eq!(slot(breaks, "t2"), (at("18:15"), 40));
    assert!(breaks.change.edit("t3").is_none(), "back on time: t3 stays");
    assert_eq!(
        breaks.cost,
        CatchUpCost {
            tracks: vec![TrackCost {
                track: "track-1".into(),
                old_end: at("19:50"),
                new_end: at("19:50"),
                // 20 of the coffee break, 5 of the gap before t3.
                break_min_lost: 25,
                talk_min_cut: 0,
            }],
            shortened: vec![],
            speakers: vec!["anna".into(), "dmitri".into()],
        }
    );
}

#[test]
fn q_and_a_is_cut_only_for_what_breaks_cannot_absorb() {
    let s = day();
    let p = plan_catch_up(&s, tz(), &request(40, CatchUpGoal::EndOnTime)).unwrap();
    assert_eq!(
        strategies(&p),
        [
            CatchUpStrategy::EverythingLater,
            CatchUpStrategy::ShortenBreaks,
            CatchUpStrategy::ShortenBreaksAndQa
        ]
    );
    let breaks = p.alternative(CatchUpStrategy::ShortenBreaks).unwrap();
    assert!(!breaks.reaches_goal);
    assert_eq!(breaks.shortfall_min, 10, "30 minutes of breaks for 40 lost");
    assert_eq!(breaks.cost.tracks[0].break_min_lost, 30);

    let qa = p.alternative(CatchUpStrategy::ShortenBreaksAndQa).unwrap();
    assert!(qa.reaches_goal);
    let cut: Vec<(&str, i64)> = qa
        .cost
        .shortened
        .iter()
        .map(|x| (x.guid.as_str(), x.minutes))
        .collect();
    assert_eq!(cut, [("t1", 5), ("t2", 5)]);
    assert_eq!(qa.cost.tracks[0].talk_min_cut, 10);
    assert_eq!(qa.cost.tracks[0].new_end, at("19:50"));
    let shorter: Vec<&str> = qa.change.shortened().map(|e| e.guid.as_str()).collect();
    assert_eq!(
        shorter,
        ["t1", "coffee", "t2"],
        "the preview lists breaks too"
    );
}

#[test]
fn ending_n_minutes_later_gives_up_only_what_that_needs() {
    let s = day();
    let p = plan_catch_up(&s, tz(), &request(40, CatchUpGoal::EndLater(10))).unwrap();
    assert_eq!(
        strategies(&p),
        [
            CatchUpStrategy::EverythingLater,
            CatchUpStrategy::ShortenBreaks
        ]
    );
    let breaks = &p.alternatives[1];
    assert!(breaks.reaches_goal);
    assert_eq!(breaks.cost.tracks[0].late_by_min(), 10);
    assert_eq!(breaks.cost.tracks[0].break_min_lost, 30);

    let small = plan_catch_up(&s, tz(), &request(8, CatchUpGoal::EndLater(10))).unwrap();
    assert_eq!(
        strategies(&small),
        [CatchUpStrategy::EverythingLater],
        "8 late is within 10: nothing to give up"
    );
    assert!(small.alternatives[0].reaches_goal);
}

#[test]
fn everything_later_is_the_plain_shift() {
    let s = day();
    let p = plan_catch_up(&s, tz(), &request(25, CatchUpGoal::EverythingLater)).unwrap();
    assert_eq!(strategies(&p), [CatchUpStrategy::EverythingLater]);
    assert!(p.alternatives[0].reaches_goal);
    let shift = plan_shift(
        &s,
        tz(),
        &ShiftPlan {
            tracks: TrackSelection::All,
            from: at("17:00"),
            by: ShiftBy::ByMinutes(25),
            until: None,
            interrupted: InterruptedMode::Restart,
            pinned: PinnedPolicy::FlowAround,
        },
    )
    .unwrap();
    assert_eq!(p.alternatives[0].change, shift);
}

#[test]
fn a_pinned_lunch_stays_and_q_and_a_lets_the_talk_before_it_fit() {
    let s = schedule(
        1,
        vec![
            talk("t1", "track-1", "17:00", 40, &[]),
            talk("t2", "track-1", "17:45", 40, &[]),
            pinned(brk("lunch", "track-1", "18:30", 60)),
            talk("t3", "track-1", "19:30", 40, &[]),
        ],
    );
    let p = plan_catch_up(&s, tz(), &request(15, CatchUpGoal::EndOnTime)).unwrap();
    // Shortening breaks alone changes nothing here (a 5-minute changeover,
    // a pinned lunch), so it is not offered as a separate alternative.
    assert_eq!(
        strategies(&p),
        [
            CatchUpStrategy::EverythingLater,
            CatchUpStrategy::ShortenBreaksAndQa
        ]
    );
    let later = &p.alternatives[0];
    assert_eq!(
        slot(later, "t2"),
        (at("19:30"), 40),
        "flows after the lunch"
    );
    assert_eq!(later.cost.tracks[0].late_by_min(), 40);
    let qa = &p.alternatives[1];
    assert_eq!(slot(qa, "t1"), (at("17:15"), 35));
    assert_eq!(slot(qa, "t2"), (at("17:55"), 35));
    assert!(qa.change.edit("lunch").is_none() && qa.change.edit("t3").is_none());
    assert!(qa.reaches_goal);
    assert!(!qa.change.has_conflict(ConflictKind::OverlapsPinned));
}

#[test]
fn the_evening_offers_a_plan_per_track_with_interrupted_talks() {
    let s = evening();
    let p = plan_catch_up(&s, tz(), &request(30, CatchUpGoal::EndOnTime)).unwrap();
    for a in &p.alternatives {
        let tracks: Vec<&str> = a.cost.tracks.iter().map(|t| t.track.as_str()).collect();
        assert_eq!(tracks, ["track-1", "track-2"]);
        let interrupted: Vec<&str> = a.change.interrupted().map(|e| e.guid.as_str()).collect();
        assert_eq!(interrupted, ["a1", "b1"]);
        assert!(a.change.edit("key").is_none(), "{:?}", a.strategy);
        assert_eq!(apply_change(&s, &a.change).unwrap().version, 8);
    }
    // Track 2 has a coffee break to give; track 1 only its keynote wall.
    let breaks = p.alternative(CatchUpStrategy::ShortenBreaks).unwrap();
    assert!(breaks.cost.tracks[1].break_min_lost > 0);
    assert!(breaks.cost.tracks[1].late_by_min() < p.alternatives[0].cost.tracks[1].late_by_min());
}

#[test]
fn on_the_autumn_dst_night_the_day_still_ends_on_time_in_real_time() {
    let berlin = parse_zone("Europe/Berlin").unwrap();
    let z = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    // 02:00 CEST; the coffee break spans the hour that repeats; 02:10 CET.
    let s = schedule_in(
        "Europe/Berlin",
        ("2026-10-24", "2026-10-25"),
        1,
        vec![
            session("t1", "track-1", z("2026-10-25T00:00:00Z"), 40, &[]),
            Session {
                kind: SessionKind::Break,
                ..session("coffee", "track-1", z("2026-10-25T00:40:00Z"), 30, &[])
            },
            session("t2", "track-1", z("2026-10-25T01:10:00Z"), 40, &[]),
        ],
    );
    let req = CatchUpRequest {
        from: z("2026-10-25T00:00:00Z"),
        ..request(20, CatchUpGoal::EndOnTime)
    };
    let p = plan_catch_up(&s, berlin, &req).unwrap();
    let breaks = p.alternative(CatchUpStrategy::ShortenBreaks).unwrap();
    assert!(breaks.reaches_goal);
    assert_eq!(breaks.cost.tracks[0].new_end, z("2026-10-25T01:50:00Z"));
    assert_eq!(format_hhmm(berlin, breaks.cost.tracks[0].new_end), "02:50");
    assert_eq!(slot(breaks, "coffee"), (z("2026-10-25T01:00:00Z"), 10));
    // t1 now ends after the clocks went back: its wall-clock end moves by
    // 20 - 60 minutes, which the organiser is told.
    let dst: Vec<&str> = breaks
        .change
        .conflicts
        .iter()
        .filter(|c| c.kind == ConflictKind::CrossesDst)
        .map(|c| c.guid.as_str())
        .collect();
    assert_eq!(dst, ["t1", "coffee"]);
    let later = &p.alternatives[0];
    assert_eq!(
        later.cost.tracks[0].late_by_min(),
        20,
        "20 real minutes, not 80"
    );
    assert_eq!(
        later.cost.tracks[0].new_end - later.cost.tracks[0].old_end,
        Duration::minutes(20)
    );
}

#[test]
fn bad_catch_up_requests_are_refused_naming_the_field() {
    let s = day();
    let field = |r: CatchUpRequest| plan_catch_up(&s, tz(), &r).unwrap_err().field();
    assert_eq!(field(request(0, CatchUpGoal::EndOnTime)), "delay_min");
    assert_eq!(field(request(1441, CatchUpGoal::EndOnTime)), "delay_min");
    assert_eq!(field(request(10, CatchUpGoal::EndLater(-5))), "goal");
    let mut r = request(10, CatchUpGoal::EndOnTime);
    r.rules.min_break_min = -1;
    assert_eq!(field(r.clone()), "min_break_min");
    r.rules = CatchUpRules {
        min_break_min: 10,
        qa_cut_min: -1,
    };
    assert_eq!(field(r), "qa_cut_min");
    let mut r = request(10, CatchUpGoal::EndOnTime);
    r.tracks = TrackSelection::Some(vec![]);
    assert_eq!(field(r), "tracks");
}

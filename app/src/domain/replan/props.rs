//! Properties of every re-plan, on random schedules over the Berlin DST
//! night: apply does what the preview says and revert restores; pinned
//! sessions never move (unless a shift moves them); no room overlap or
//! speaker clash appears without a conflict naming it; talk time is kept
//! unless Q&A cutting was chosen; breaks keep the minimum; the catch-up
//! planner's day never ends later than its goal when it says it reaches
//! it, never later than "everything later", and reaches the goal exactly
//! when the breaks can hold the delay; one-talk edits change only the
//! talks they name, never land on a pinned session unless allowed, and
//! keep talk time unless a length was asked; the catch-up planner never
//! makes two talks share a room.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::fixtures::{schedule_in, session};
use super::rules::{break_capacity, gap_capacity, has_qa_buffer, is_break, qa_capacity};
use super::*;
use crate::domain::schedule::{Schedule, Session, SessionKind};
use crate::domain::shift::TrackSelection;
use crate::domain::time::{local_date, parse_zone};

fn base() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-10-24T20:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn berlin() -> chrono_tz::Tz {
    parse_zone("Europe/Berlin").unwrap()
}

/// (gap before, length, kind 0..10, pinned, cancelled, speakers mask)
type SlotSpec = (i64, i64, u8, bool, bool, usize);

fn arb_slot() -> impl Strategy<Value = SlotSpec> {
    (
        0i64..40,
        5i64..90,
        0u8..10,
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.05),
        0usize..8,
    )
}

fn build(
    tracks: &[Vec<SlotSpec>],
    start: DateTime<Utc>,
    zone: &str,
    dates: (&str, &str),
) -> Schedule {
    let mut sessions = Vec::new();
    for (ti, slots) in tracks.iter().enumerate() {
        let mut t = start;
        for (si, &(gap, dur, kind, pin, cancelled, who)) in slots.iter().enumerate() {
            t += Duration::minutes(gap);
            let keys: Vec<&str> = ["anna", "dmitri", "li"]
                .into_iter()
                .enumerate()
                .filter(|(i, _)| who & (1 << i) != 0)
                .map(|(_, k)| k)
                .collect();
            let mut s = session(
                &format!("t{ti}s{si}"),
                &format!("track-{}", ti + 1),
                t,
                dur,
                &keys,
            );
            s.kind = match kind {
                0..=1 => SessionKind::Break,
                2 => SessionKind::Keynote,
                _ => SessionKind::Talk,
            };
            s.pinned = pin;
            s.cancelled = cancelled;
            sessions.push(s);
            t += Duration::minutes(dur);
        }
    }
    schedule_in(zone, dates, tracks.len(), sessions)
}

fn arb_schedule() -> impl Strategy<Value = Schedule> {
    prop::collection::vec(prop::collection::vec(arb_slot(), 1..8), 3).prop_map(|tracks| {
        build(
            &tracks,
            base(),
            "Europe/Berlin",
            ("2026-10-24", "2026-10-25"),
        )
    })
}

fn arb_tracks() -> impl Strategy<Value = TrackSelection> {
    (0usize..8).prop_map(|mask| {
        let picked: Vec<String> = (0..3)
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| format!("track-{}", i + 1))
            .collect();
        if picked.is_empty() {
            TrackSelection::All
        } else {
            TrackSelection::Some(picked)
        }
    })
}

fn arb_mode() -> impl Strategy<Value = InterruptedMode> {
    prop_oneof![
        Just(InterruptedMode::Restart),
        Just(InterruptedMode::Resume)
    ]
}

fn arb_shift() -> impl Strategy<Value = ShiftPlan> {
    let by = prop_oneof![
        (-300i64..300).prop_map(|m| ShiftBy::ByMinutes(if m == 0 { 5 } else { m })),
        (0i64..600).prop_map(|m| ShiftBy::RestartAt(base() + Duration::minutes(m))),
    ];
    let pinned = prop_oneof![
        Just(PinnedPolicy::FlowAround),
        Just(PinnedPolicy::Report),
        Just(PinnedPolicy::Refuse),
        Just(PinnedPolicy::Move),
    ];
    (
        arb_tracks(),
        0i64..480,
        by,
        prop::option::of(1i64..600),
        arb_mode(),
        pinned,
    )
        .prop_map(|(tracks, from, by, until, interrupted, pinned)| {
            let from = base() + Duration::minutes(from);
            ShiftPlan {
                tracks,
                from,
                by,
                until: until.map(|m| from + Duration::minutes(m)),
                interrupted,
                pinned,
            }
        })
}

/// A one-talk edit by indexes into the schedule's sessions (taken modulo
/// their count): move (minutes from the base, track, new length), swap,
/// cancel or restore; whether a pinned overlap is allowed.
#[derive(Debug, Clone)]
enum EditSpec {
    Move(usize, Option<i64>, Option<usize>, Option<i64>),
    Swap(usize, usize),
    Cancel(usize),
    Restore(usize),
}

fn arb_edit() -> impl Strategy<Value = (EditSpec, bool)> {
    let spec = prop_oneof![
        (
            0usize..64,
            prop::option::of(0i64..600),
            prop::option::of(0usize..3),
            prop::option::of(5i64..120)
        )
            .prop_map(|(i, m, t, d)| EditSpec::Move(i, m, t, d)),
        (0usize..64, 0usize..64).prop_map(|(a, b)| EditSpec::Swap(a, b)),
        (0usize..64).prop_map(EditSpec::Cancel),
        (0usize..64).prop_map(EditSpec::Restore),
    ];
    (spec, prop::bool::weighted(0.3))
}

fn plan_edit(s: &Schedule, spec: &EditSpec, allow: bool) -> Result<ChangePreview, ReplanError> {
    let n = s.sessions.len();
    let guid = |i: usize| s.sessions[i % n].guid.clone();
    match spec {
        EditSpec::Move(i, m, t, d) => plan_move(
            s,
            berlin(),
            &MoveRequest {
                guid: guid(*i),
                start: m.map(|m| base() + Duration::minutes(m)),
                track: t.map(|t| format!("track-{}", t + 1)),
                duration_min: *d,
                allow_pinned_overlap: allow,
            },
        ),
        EditSpec::Swap(a, b) => plan_swap(
            s,
            berlin(),
            &SwapRequest {
                a: guid(*a),
                b: guid(*b),
                allow_pinned_overlap: allow,
            },
        ),
        EditSpec::Cancel(i) => plan_cancel(s, berlin(), &guid(*i)),
        EditSpec::Restore(i) => plan_restore(s, berlin(), &guid(*i)),
    }
}

/// Pairs of live sessions sharing a room at the same time.
fn room_overlaps(sch: &Schedule) -> Vec<(String, String)> {
    let live: Vec<&Session> = sch.sessions.iter().filter(|x| !x.cancelled).collect();
    let mut out = Vec::new();
    for (i, a) in live.iter().enumerate() {
        for b in &live[i + 1..] {
            if a.track == b.track && a.start < b.end() && b.start < a.end() {
                out.push((a.guid.clone(), b.guid.clone()));
            }
        }
    }
    out
}

fn arb_catch_up() -> impl Strategy<Value = CatchUpRequest> {
    let goal = prop_oneof![
        Just(CatchUpGoal::EndOnTime),
        (0i64..60).prop_map(CatchUpGoal::EndLater),
        Just(CatchUpGoal::EverythingLater),
    ];
    (
        arb_tracks(),
        0i64..480,
        1i64..180,
        arb_mode(),
        goal,
        0i64..20,
        0i64..10,
    )
        .prop_map(
            |(tracks, from, delay_min, interrupted, goal, min_break_min, qa_cut_min)| {
                CatchUpRequest {
                    tracks,
                    from: base() + Duration::minutes(from),
                    delay_min,
                    interrupted,
                    goal,
                    rules: CatchUpRules {
                        min_break_min,
                        qa_cut_min,
                    },
                }
            },
        )
}

/// What must hold for any change: apply matches the preview, revert
/// restores, and every new overlap or clash is reported.
fn check_change(s: &Schedule, p: &ChangePreview) -> Result<Schedule, TestCaseError> {
    let applied = apply_change(s, p).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let edits: HashMap<&str, &SessionEdit> = p.edits.iter().map(|e| (e.guid.as_str(), e)).collect();
    for (old, new) in s.sessions.iter().zip(&applied.sessions) {
        match edits.get(old.guid.as_str()) {
            Some(e) => {
                prop_assert_eq!(&Slot::of(old), &e.before);
                prop_assert_eq!(&Slot::of(new), &e.after);
                prop_assert_ne!(&e.before, &e.after);
            }
            None => prop_assert_eq!(old, new),
        }
    }
    let back = apply_change(&applied, &revert_change(p))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back.sessions, &s.sessions);

    let reported = |kinds: &[ConflictKind], a: &str, b: &str| {
        p.conflicts.iter().any(|c| {
            kinds.contains(&c.kind)
                && c.other
                    .as_deref()
                    .is_some_and(|o| (c.guid == a && o == b) || (c.guid == b && o == a))
        })
    };
    let live = |sch: &Schedule, i: usize| -> Option<Slot> {
        Some(Slot::of(&sch.sessions[i])).filter(|x| !x.cancelled)
    };
    for i in 0..s.sessions.len() {
        for j in (i + 1)..s.sessions.len() {
            let (Some(x), Some(y)) = (live(&applied, i), live(&applied, j)) else {
                continue;
            };
            if !x.overlaps(&y) {
                continue;
            }
            let (a, b) = (&s.sessions[i], &s.sessions[j]);
            let before = live(s, i).zip(live(s, j));
            let was = |same: &dyn Fn(&Slot, &Slot) -> bool| {
                before
                    .as_ref()
                    .is_some_and(|(bx, by)| bx.overlaps(by) && same(bx, by))
            };
            if x.track == y.track && !was(&|bx, by| bx.track == by.track) {
                prop_assert!(
                    reported(
                        &[ConflictKind::RoomOverlap, ConflictKind::OverlapsPinned],
                        &a.guid,
                        &b.guid
                    ),
                    "silent room overlap {} / {}: {:?}",
                    a.guid,
                    b.guid,
                    p.conflicts
                );
            }
            let shared = a.speakers.iter().any(|k| b.speakers.contains(k));
            if shared && !was(&|_, _| true) {
                prop_assert!(
                    reported(&[ConflictKind::SpeakerClash], &a.guid, &b.guid),
                    "silent speaker clash {} / {}",
                    a.guid,
                    b.guid
                );
            }
        }
    }
    Ok(applied)
}

/// Minutes of talks (not breaks) that run.
fn talk_minutes(sch: &Schedule) -> i64 {
    sch.sessions
        .iter()
        .filter(|x| !is_break(x) && !x.cancelled)
        .map(|x| x.duration_min)
        .sum()
}

/// Minutes resumed talks had already run: talk time given before.
fn resumed_ran(p: &ChangePreview) -> i64 {
    p.interrupted()
        .filter_map(|e| e.interrupted.as_ref())
        .filter(|i| i.mode == InterruptedMode::Resume)
        .map(|i| i.ran_min)
        .sum()
}

/// The end of a track's day, as the planner defines it: its sessions
/// that started on `day` in the original schedule or ran at `from`.
fn track_end(
    orig: &Schedule,
    now: &Schedule,
    track: &str,
    day: chrono::NaiveDate,
    from: DateTime<Utc>,
) -> DateTime<Utc> {
    let tz = parse_zone(&orig.event.time_zone).unwrap();
    orig.sessions
        .iter()
        .zip(&now.sessions)
        .filter(|(o, _)| o.track == track && !o.cancelled)
        .filter(|(o, _)| local_date(tz, o.start) == day || o.is_live(from))
        .map(|(_, n)| n.end())
        .max()
        .expect("the planner only reports tracks with sessions that day")
}

proptest! {
    #[test]
    fn shifts_keep_the_rules_and_revert(s in arb_schedule(), r in arb_shift()) {
        let Ok(p) = plan_shift(&s, berlin(), &r) else { return Ok(()) };
        let applied = check_change(&s, &p)?;
        prop_assert_eq!(talk_minutes(&applied) + resumed_ran(&p), talk_minutes(&s));
        let from = shift::minute(r.from);
        for (old, new) in s.sessions.iter().zip(&applied.sessions) {
            if old.pinned && r.pinned != PinnedPolicy::Move {
                prop_assert_eq!(old, new, "{} is pinned", &old.guid);
            }
            if old.end() <= from || old.cancelled {
                prop_assert_eq!(old, new, "{} was over or cancelled", &old.guid);
            }
            if old.start < from && old != new {
                prop_assert!(p.edit(&old.guid).unwrap().interrupted.is_some());
            }
            let resumed = p
                .edit(&old.guid)
                .and_then(|e| e.interrupted.as_ref())
                .is_some_and(|i| i.mode == InterruptedMode::Resume);
            if !resumed {
                prop_assert_eq!(old.duration_min, new.duration_min, "a shift keeps lengths");
            }
        }
        if r.pinned == PinnedPolicy::FlowAround {
            prop_assert!(!p.has_conflict(ConflictKind::OverlapsPinned), "{:?}", p.conflicts);
        }
        // Moved sessions keep their order in each track.
        for t in &s.tracks {
            let order = |sch: &Schedule| -> Vec<String> {
                sch.track_sessions(&t.slug).into_iter().filter(|x| p.edit(&x.guid).is_some()).map(|x| x.guid.clone()).collect()
            };
            prop_assert_eq!(order(&s), order(&applied));
        }
    }

    #[test]
    fn one_talk_edits_touch_only_what_they_name_and_respect_pins(
        s in arb_schedule(),
        (spec, allow) in arb_edit(),
    ) {
        let Ok(p) = plan_edit(&s, &spec, allow) else { return Ok(()) };
        let applied = check_change(&s, &p)?;
        let named: Vec<String> = p.edits.iter().map(|e| e.guid.clone()).collect();
        prop_assert!(named.len() <= 2, "{:?}", named);
        for (old, new) in s.sessions.iter().zip(&applied.sessions) {
            if !named.contains(&old.guid) {
                prop_assert_eq!(old, new, "{} was not named", &old.guid);
            }
        }
        // Landing on a pinned session that stays is refused unless
        // allowed (a restore puts a talk back where it was: reported).
        let restore = matches!(spec, EditSpec::Restore(_));
        if !allow && !restore {
            prop_assert!(!p.has_conflict(ConflictKind::OverlapsPinned), "{:?}", p.conflicts);
            for x in applied.sessions.iter().filter(|x| named.contains(&x.guid) && !x.cancelled) {
                for y in applied.sessions.iter().filter(|y| y.pinned && !y.cancelled && !named.contains(&y.guid)) {
                    prop_assert!(
                        x.track != y.track || x.end() <= y.start || y.end() <= x.start,
                        "{} landed on pinned {}", &x.guid, &y.guid
                    );
                }
            }
        }
        // Talk time is kept unless a length was asked (or a talk was
        // cancelled or restored, which is what those do).
        let asked_length = matches!(spec, EditSpec::Move(_, _, _, Some(_)));
        let kind_changes = matches!(spec, EditSpec::Cancel(_) | EditSpec::Restore(_));
        if !asked_length && !kind_changes {
            prop_assert_eq!(talk_minutes(&applied), talk_minutes(&s));
        }
    }

    #[test]
    fn catch_up_never_puts_two_talks_in_one_room_at_once(s in arb_schedule(), r in arb_catch_up()) {
        let tz = berlin();
        let Ok(plan) = plan_catch_up(&s, tz, &r) else { return Ok(()) };
        let before = room_overlaps(&s);
        // The planner re-plans the day of `from` (and what runs then);
        // pushed past midnight into the next day's sessions, "everything
        // later" reports the overlap (checked in `check_change`) rather
        // than re-planning that day too.
        let day = local_date(tz, r.from);
        let from = shift::minute(r.from);
        let in_day = |g: &str| s.session(g).is_some_and(|x| local_date(tz, x.start) == day || x.is_live(from));
        for a in &plan.alternatives {
            let applied = apply_change(&s, &a.change).unwrap();
            let new: Vec<_> = room_overlaps(&applied)
                .into_iter()
                .filter(|o| !before.contains(o) && in_day(&o.0) && in_day(&o.1))
                .collect();
            prop_assert!(new.is_empty(), "{:?} makes room overlaps {:?}: {:?}", a.strategy, new, a.change.conflicts);
        }
    }

    #[test]
    fn catch_up_alternatives_keep_the_rules(s in arb_schedule(), r in arb_catch_up()) {
        let tz = berlin();
        let Ok(plan) = plan_catch_up(&s, tz, &r) else { return Ok(()) };
        prop_assert_eq!(plan.alternatives[0].strategy, CatchUpStrategy::EverythingLater);
        let day = local_date(tz, r.from);
        let from = shift::minute(r.from);
        let allowed = match r.goal {
            CatchUpGoal::EndOnTime => Some(0),
            CatchUpGoal::EndLater(n) => Some(n),
            CatchUpGoal::EverythingLater => None,
        };
        let later = apply_change(&s, &plan.alternatives[0].change).unwrap();
        for a in &plan.alternatives {
            let applied = check_change(&s, &a.change)?;
            let cut_allowed = a.strategy == CatchUpStrategy::ShortenBreaksAndQa;
            for (old, new) in s.sessions.iter().zip(&applied.sessions) {
                if old.pinned {
                    prop_assert_eq!(old, new, "{} is pinned", &old.guid);
                }
                let interrupted = a.change.edit(&old.guid).and_then(|e| e.interrupted.as_ref());
                let cut = old.duration_min - new.duration_min;
                if is_break(old) {
                    prop_assert!(cut >= 0 && cut <= break_capacity(old.duration_min, r.rules.min_break_min));
                } else if let Some(i) = interrupted {
                    let left = if i.mode == InterruptedMode::Resume { i.ran_min } else { 0 };
                    prop_assert_eq!(cut, left);
                } else if cut_allowed && has_qa_buffer(old) {
                    prop_assert!(cut >= 0 && cut <= qa_capacity(old.duration_min, r.rules.qa_cut_min));
                } else {
                    prop_assert_eq!(cut, 0, "{} shortened by {:?}", &old.guid, a.strategy);
                }
            }
            if !cut_allowed {
                prop_assert_eq!(talk_minutes(&applied) + resumed_ran(&a.change), talk_minutes(&s));
            }
            for t in &a.cost.tracks {
                let measured = track_end(&s, &applied, &t.track, day, from);
                prop_assert_eq!(t.new_end, measured);
                prop_assert_eq!(t.old_end, track_end(&s, &s, &t.track, day, from));
                prop_assert!(measured <= track_end(&s, &later, &t.track, day, from), "later than everything later");
                if let Some(allowed) = allowed {
                    prop_assert!(t.late_by_min() - allowed <= a.shortfall_min);
                    if a.reaches_goal {
                        prop_assert!(measured <= t.old_end + Duration::minutes(allowed), "{:?} ends late", a.strategy);
                    }
                }
            }
        }
    }

    #[test]
    fn breaks_reach_the_goal_exactly_when_they_can_hold_the_delay(
        slots in prop::collection::vec((0i64..40, 5i64..60, 0u8..10), 1..7),
        delay in 1i64..120,
        slack in 0i64..30,
        min_break in 0i64..20,
    ) {
        // One track, nothing pinned or interrupted: every minute of break
        // capacity can take lateness, so the arithmetic is the oracle.
        let spec: Vec<SlotSpec> = slots.iter().map(|&(g, d, k)| (g, d, k, false, false, 0)).collect();
        let start = DateTime::parse_from_rfc3339("2026-11-23T07:00:00Z").unwrap().with_timezone(&Utc);
        let s = build(&[spec], start, "Europe/Moscow", ("2026-11-23", "2026-11-23"));
        let items: Vec<&Session> = s.sessions.iter().collect();
        let mut capacity: i64 = items.iter().filter(|x| is_break(x)).map(|x| break_capacity(x.duration_min, min_break)).sum();
        for w in items.windows(2) {
            let gap = (w[1].start - w[0].end()).num_minutes();
            let beside = w.iter().filter(|x| is_break(x)).map(|x| x.duration_min).max().unwrap_or(0);
            capacity += gap_capacity(gap, beside, min_break);
        }
        let req = CatchUpRequest {
            tracks: TrackSelection::All,
            from: start,
            delay_min: delay,
            interrupted: InterruptedMode::Restart,
            goal: CatchUpGoal::EndLater(slack),
            rules: CatchUpRules { min_break_min: min_break, qa_cut_min: 0 },
        };
        let plan = plan_catch_up(&s, parse_zone("Europe/Moscow").unwrap(), &req).unwrap();
        let best = plan.alternative(CatchUpStrategy::ShortenBreaks).unwrap_or(&plan.alternatives[0]);
        let need = (delay - slack).max(0);
        prop_assert_eq!(best.reaches_goal, capacity >= need, "capacity {} need {}", capacity, need);
        prop_assert_eq!(best.shortfall_min, (need - capacity).max(0));
        prop_assert!(best.cost.tracks[0].break_min_lost <= need, "gave up more than needed");
        // Between two talks, breaks and gaps keep the minimum (or what
        // they had, if less).
        let applied = apply_change(&s, &best.change).unwrap();
        let talks: Vec<(&Session, &Session)> = s
            .sessions
            .iter()
            .zip(&applied.sessions)
            .filter(|(o, _)| !is_break(o))
            .collect();
        for w in talks.windows(2) {
            let before = (w[1].0.start - w[0].0.end()).num_minutes();
            let after = (w[1].1.start - w[0].1.end()).num_minutes();
            prop_assert!(after >= before.min(min_break), "{} min break left of {}", after, before);
        }
    }
}

//! Properties of every shift: reverting restores, durations and order are
//! kept, nothing before `from` and no pinned session moves.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::tests::{schedule, talk};
use super::*;
use crate::domain::time::parse_zone;

/// A Berlin schedule spanning the night of the 2026 autumn DST change.
fn arb_schedule() -> impl Strategy<Value = Schedule> {
    let slot = (0i64..40, 5i64..90, prop::bool::weighted(0.2), 0usize..8);
    prop::collection::vec(prop::collection::vec(slot, 1..7), 3).prop_map(|tracks| {
        let base = DateTime::parse_from_rfc3339("2026-10-24T20:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut sessions = Vec::new();
        for (ti, slots) in tracks.iter().enumerate() {
            let mut t = base;
            for (si, &(gap, dur, pin, who)) in slots.iter().enumerate() {
                t += Duration::minutes(gap);
                let keys: Vec<&str> = ["anna", "dmitri", "li"]
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| who & (1 << i) != 0)
                    .map(|(_, k)| k)
                    .collect();
                let mut s = talk(
                    &format!("t{ti}s{si}"),
                    &format!("track-{}", ti + 1),
                    t,
                    dur,
                    &keys,
                );
                s.pinned = pin;
                sessions.push(s);
                t += Duration::minutes(dur);
            }
        }
        schedule(
            "Europe/Berlin",
            ("2026-10-24", "2026-10-25"),
            tracks.len(),
            sessions,
        )
    })
}

fn arb_request() -> impl Strategy<Value = ShiftRequest> {
    (
        0i64..480,
        -600i64..600,
        0usize..8,
        any::<bool>(),
        prop::option::of(1i64..1000),
    )
        .prop_map(|(from, delta, mask, include_pinned, until)| {
            let base = DateTime::parse_from_rfc3339("2026-10-24T20:00:00Z")
                .unwrap()
                .with_timezone(&Utc);
            let from = base + Duration::minutes(from);
            let picked: Vec<String> = (0..3)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| format!("track-{}", i + 1))
                .collect();
            ShiftRequest {
                tracks: if picked.is_empty() {
                    TrackSelection::All
                } else {
                    TrackSelection::Some(picked)
                },
                from,
                change: ShiftChange::ByMinutes(if delta == 0 { 5 } else { delta }),
                until: until.map(|m| from + Duration::minutes(m)),
                include_pinned,
            }
        })
}

proptest! {
    #[test]
    fn shifting_keeps_the_rules_and_reverting_restores(s in arb_schedule(), r in arb_request()) {
        let tz = parse_zone("Europe/Berlin").unwrap();
        let Ok(p) = preview_shift(&s, tz, &r) else { return Ok(()) };
        let shifted = apply_preview(&s, &p);
        prop_assert_eq!(&apply_preview(&shifted, &revert_preview(&p)), &s);
        let moved: HashSet<&str> = p.moved.iter().map(|m| m.guid.as_str()).collect();
        for (old, new) in s.sessions.iter().zip(&shifted.sessions) {
            prop_assert_eq!(old.duration_min, new.duration_min);
            if old.start < r.from {
                prop_assert_eq!(old.start, new.start, "{} started before from", old.guid);
            }
            if old.pinned && !r.include_pinned {
                prop_assert_eq!(old.start, new.start, "{} is pinned", old.guid);
            }
            let expected = if moved.contains(old.guid.as_str()) { p.delta_min } else { 0 };
            prop_assert_eq!((new.start - old.start).num_minutes(), expected);
        }
        // Moved sessions keep their order within each track.
        for t in &s.tracks {
            let order = |sch: &Schedule| -> Vec<String> {
                sch.track_sessions(&t.slug).into_iter().filter(|x| moved.contains(x.guid.as_str())).map(|x| x.guid.clone()).collect()
            };
            prop_assert_eq!(order(&s), order(&shifted));
        }
    }
}

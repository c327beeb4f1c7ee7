//! Re-planning benchmark: the pure planner (no store) on one conference
//! day, at the story's size (4 tracks) and at FOSDEM's (100 tracks).
//! Each track runs 09:00–19:00: 30–50 minute talks with 5–15 minute
//! changeovers, coffee breaks at about 11:00 and 16:00, a pinned lunch at
//! 13:00; one session in ten has a speaker from another track. The delay
//! hits at 10:30, so talks are interrupted in every track. Plain
//! `fn main`, no criterion:
//!
//! ```text
//! cargo bench -p app --bench replan
//! ```
//!
//! `REPLAN_BENCH_ITERS` (default 200) sets the iterations per case.

use std::time::{Duration, Instant};

use app::domain::replan::{
    CatchUpGoal, CatchUpRequest, CatchUpRules, InterruptedMode, PinnedPolicy, ShiftBy, ShiftPlan,
    apply_change, plan_catch_up, plan_shift,
};
use app::domain::schedule::{Event, Schedule, Session, SessionKind, Speaker, Track};
use app::domain::shift::TrackSelection;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

const ZONE: &str = "Europe/Brussels";

/// SplitMix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

fn tz() -> Tz {
    ZONE.parse().expect("zone")
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 2, 6).unwrap()
}

fn at(minute_of_day: i64) -> DateTime<Utc> {
    let naive = day().and_time(NaiveTime::MIN) + chrono::Duration::minutes(minute_of_day);
    tz().from_local_datetime(&naive)
        .single()
        .expect("no DST change in February")
        .with_timezone(&Utc)
}

fn session(guid: String, track: &str, kind: SessionKind, start: i64, dur: i64) -> Session {
    Session {
        title: guid.clone(),
        guid,
        abstract_md: String::new(),
        kind,
        start: at(start),
        duration_min: dur,
        track: track.into(),
        language: None,
        pinned: false,
        speakers: vec![],
        cancelled: false,
    }
}

fn generate(tracks: usize) -> Schedule {
    let mut rng = Rng(0x0005_EED0_4E91);
    let mut sessions = Vec::new();
    for t in 0..tracks {
        let slug = format!("room-{t:03}");
        let mut now = 9 * 60;
        let mut n = 0;
        let mut coffee = [11 * 60, 16 * 60].into_iter().peekable();
        let mut lunch_done = false;
        while now < 19 * 60 {
            // The longest talk and changeover would reach 13:00: lunch.
            if !lunch_done && now + 55 > 13 * 60 {
                let mut lunch = session(
                    format!("{slug}-lunch"),
                    &slug,
                    SessionKind::Break,
                    13 * 60,
                    60,
                );
                lunch.pinned = true;
                sessions.push(lunch);
                now = 14 * 60;
                lunch_done = true;
                continue;
            }
            if coffee.peek().is_some_and(|c| now >= *c) {
                coffee.next();
                let dur = rng.range(4, 6) * 5;
                sessions.push(session(
                    format!("{slug}-coffee{n}"),
                    &slug,
                    SessionKind::Break,
                    now,
                    dur,
                ));
                now += dur;
                continue;
            }
            let dur = rng.range(6, 10) * 5;
            let mut s = session(format!("{slug}-{n:02}"), &slug, SessionKind::Talk, now, dur);
            let speaker = if rng.next().is_multiple_of(10) {
                (rng.next() % (tracks as u64 * 20)) as usize
            } else {
                t * 20 + n
            };
            s.speakers = vec![format!("sp-{speaker:05}")];
            sessions.push(s);
            n += 1;
            now += dur + rng.range(1, 3) * 5;
        }
    }
    let mut keys: Vec<String> = sessions.iter().flat_map(|s| s.speakers.clone()).collect();
    keys.sort();
    keys.dedup();
    Schedule {
        event: Event {
            slug: "bench".into(),
            name: "Re-planning benchmark".into(),
            time_zone: ZONE.into(),
            start_date: day(),
            end_date: day(),
        },
        tracks: (0..tracks)
            .map(|i| Track {
                slug: format!("room-{i:03}"),
                name: format!("Room {i}"),
                color: "#336699".into(),
                stream_url: None,
                position: i as i64,
            })
            .collect(),
        speakers: keys
            .into_iter()
            .map(|key| Speaker {
                name: key.clone(),
                key,
                email: None,
            })
            .collect(),
        sessions,
        version: 1,
    }
}

fn time<T>(iters: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut samples = Vec::with_capacity(iters);
    let mut last = None;
    for _ in 0..iters {
        let t = Instant::now();
        last = Some(std::hint::black_box(f()));
        samples.push(t.elapsed());
    }
    samples.sort();
    let p95 = samples[((samples.len() * 95).div_ceil(100)).clamp(1, samples.len()) - 1];
    (
        samples[samples.len() / 2],
        p95,
        last.expect("at least one iteration"),
    )
}

fn main() {
    let iters = std::env::var("REPLAN_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    println!("| case | sessions | median | p95 | notes |");
    println!("|---|---:|---:|---:|---|");
    for tracks in [4, 100] {
        let s = generate(tracks);
        let n = s.sessions.len();
        let shift = ShiftPlan {
            tracks: TrackSelection::All,
            from: at(10 * 60 + 30),
            by: ShiftBy::RestartAt(at(11 * 60 + 15)),
            until: None,
            interrupted: InterruptedMode::Restart,
            pinned: PinnedPolicy::FlowAround,
        };
        let (med, p95, p) = time(iters, || plan_shift(&s, tz(), &shift).expect("shift"));
        println!(
            "| {tracks} tracks: `plan_shift`, restart at 11:15 | {n} | {med:.2?} | {p95:.2?} | {} edits, {} interrupted, {} conflicts |",
            p.edits.len(),
            p.interrupted().count(),
            p.conflicts.len()
        );
        let (med, p95, _) = time(iters, || apply_change(&s, &p).expect("apply"));
        println!(
            "| {tracks} tracks: `apply_change` of it | {n} | {med:.2?} | {p95:.2?} | clones the schedule |"
        );
        let req = CatchUpRequest {
            tracks: TrackSelection::All,
            from: at(10 * 60 + 30),
            delay_min: 40,
            interrupted: InterruptedMode::Restart,
            goal: CatchUpGoal::EndOnTime,
            rules: CatchUpRules::default(),
        };
        let (med, p95, plan) = time(iters, || plan_catch_up(&s, tz(), &req).expect("catch-up"));
        let notes: Vec<String> = plan
            .alternatives
            .iter()
            .map(|a| {
                let reached = a
                    .cost
                    .tracks
                    .iter()
                    .filter(|t| t.late_by_min() <= 0)
                    .count();
                format!("{}: {reached}/{tracks} on time", a.strategy.as_str())
            })
            .collect();
        println!(
            "| {tracks} tracks: `plan_catch_up`, 40 min at 10:30, end on time | {n} | {med:.2?} | {p95:.2?} | {} |",
            notes.join("; ")
        );
    }
}

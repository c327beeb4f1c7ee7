//! Schedule-shift benchmark at FOSDEM scale: 5 days, 100 tracks (rooms),
//! 1,500 sessions, ~1,200 speakers, imported into a fresh SQLite file.
//!
//! Measures the initial import, the pure `preview_shift` / `apply_preview`,
//! `Store::apply_shift` (the whole transaction: version bump, session
//! updates, version/shift rows, change log) and the public read-model
//! rebuild. Plain `fn main`, no criterion:
//!
//! ```text
//! CARGO_TARGET_DIR=target/bench-shift cargo bench -p server --bench shift --features app/ssr
//! ```
//!
//! `SHIFT_BENCH_ITERS` (default 2000) sets the pure-preview iterations,
//! `SHIFT_BENCH_APPLIES` (default 20) the number of store shifts per case.

use std::time::{Duration, Instant};

use app::domain::schedule::{Event, Schedule, Session, SessionKind, Speaker, Track};
use app::domain::shift::{ShiftChange, ShiftRequest, TrackSelection, apply_preview, preview_shift};
use app::read_model::{EventView, ScheduleHistory};
use app::store::{StatusSnapshot, Store};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

const SLUG: &str = "fosdem-bench";
const ZONE: &str = "Europe/Brussels";
const DAYS: u32 = 5;
const TRACKS: usize = 100;
const PER_TRACK: usize = 15;
const SPEAKERS: usize = 1_200;

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

fn day(i: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 2, 1).unwrap() + chrono::Duration::days(i64::from(i))
}

fn local(d: NaiveDate, minute_of_day: i64) -> DateTime<Utc> {
    let naive = d.and_time(NaiveTime::MIN) + chrono::Duration::minutes(minute_of_day);
    tz().from_local_datetime(&naive)
        .single()
        .expect("no DST change in February")
        .with_timezone(&Utc)
}

/// Each track runs 3 sessions a day in three blocks of 200 minutes
/// (09:00–12:20, 12:20–15:40, 15:40–19:00), each 30–50 min at a random
/// 5-minute offset inside its block, so gaps vary. Speaker `i` gives
/// session `i` for the first 1,200 sessions; the other 300 go to a random
/// speaker of another track (so 300 people speak in two tracks), and every
/// tenth session has a co-speaker. Track 0 opens each day with a pinned
/// keynote, and a few afternoon sessions are pinned too.
fn generate() -> Schedule {
    let mut rng = Rng(0x005E_EDF0_5DE4);
    let tracks: Vec<Track> = (0..TRACKS)
        .map(|i| Track {
            slug: format!("room-{i:03}"),
            name: format!("Devroom {i}"),
            color: format!("#{:06x}", rng.next() & 0xFF_FFFF),
            stream_url: Some(format!("https://video.example.org/room-{i:03}.m3u8")),
            position: i as i64,
        })
        .collect();
    let speakers: Vec<Speaker> = (0..SPEAKERS)
        .map(|i| Speaker {
            key: format!("sp-{i:04}"),
            name: format!("Speaker Number {i}"),
            email: (i % 3 == 0).then(|| format!("speaker{i}@example.org")),
        })
        .collect();

    // Slots in (track, day, block) order, then shuffled so speaker index
    // and track are unrelated.
    let mut slots: Vec<(usize, u32, i64)> = Vec::with_capacity(TRACKS * PER_TRACK);
    for t in 0..TRACKS {
        for d in 0..DAYS {
            for b in 0..3 {
                slots.push((t, d, b));
            }
        }
    }
    assert_eq!(slots.len(), TRACKS * PER_TRACK);
    for i in (1..slots.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        slots.swap(i, j);
    }

    let mut sessions = Vec::with_capacity(slots.len());
    let mut speaker_track = vec![usize::MAX; SPEAKERS];
    for (n, &(t, d, b)) in slots.iter().enumerate() {
        let duration = rng.range(6, 10) * 5; // 30–50 min
        let block_start = 9 * 60 + b * 200;
        let start = if t == 0 && b == 0 {
            9 * 60 // the day's keynote
        } else {
            block_start + rng.range(0, (200 - duration) / 5) * 5
        };
        let first = if n < SPEAKERS {
            speaker_track[n] = t;
            n
        } else {
            loop {
                let k = (rng.next() % SPEAKERS as u64) as usize;
                if speaker_track[k] != t {
                    break k;
                }
            }
        };
        let mut billed = vec![speakers[first].key.clone()];
        if n % 10 == 0 {
            let co = (first + 1 + (rng.next() % (SPEAKERS as u64 - 1)) as usize) % SPEAKERS;
            billed.push(speakers[co].key.clone());
        }
        let keynote = t == 0 && b == 0;
        let pinned = keynote || (t % 25 == 7 && b == 2);
        sessions.push(Session {
            guid: format!("s-{n:05}"),
            title: format!("Talk {n} in room {t}"),
            abstract_md: format!(
                "An abstract of **talk {n}**: a paragraph or two of markdown, as in a \
                 real FOSDEM export, with a [link](https://example.org/{n})."
            ),
            kind: if keynote {
                SessionKind::Keynote
            } else {
                SessionKind::Talk
            },
            start: local(day(d), start),
            duration_min: duration,
            track: tracks[t].slug.clone(),
            language: Some("en".into()),
            pinned,
            speakers: billed,
            cancelled: false,
        });
    }
    Schedule {
        event: Event {
            slug: SLUG.into(),
            name: "FOSDEM-scale benchmark".into(),
            time_zone: ZONE.into(),
            start_date: day(0),
            end_date: day(DAYS - 1),
        },
        tracks,
        speakers,
        sessions,
        version: 0,
    }
}

fn request(from_minute: i64, minutes: i64) -> ShiftRequest {
    ShiftRequest {
        tracks: TrackSelection::All,
        from: local(day(2), from_minute),
        change: ShiftChange::ByMinutes(minutes),
        until: None,
        include_pinned: false,
    }
}

struct Stats {
    n: usize,
    median: Duration,
    p95: Duration,
    min: Duration,
    max: Duration,
}

fn stats(mut v: Vec<Duration>) -> Stats {
    assert!(!v.is_empty());
    v.sort();
    let at = |q: f64| v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1];
    let median = if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2
    };
    Stats {
        n: v.len(),
        median,
        p95: at(0.95),
        min: v[0],
        max: v[v.len() - 1],
    }
}

fn fmt(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1_000.0 {
        format!("{us:.1} µs")
    } else if us < 1_000_000.0 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Row {
    what: String,
    stats: Stats,
    note: String,
}

fn row(rows: &mut Vec<Row>, what: &str, samples: Vec<Duration>, note: String) {
    let stats = stats(samples);
    eprintln!(
        "  {what}: median {} p95 {} ({} runs)",
        fmt(stats.median),
        fmt(stats.p95),
        stats.n
    );
    rows.push(Row {
        what: what.into(),
        stats,
        note,
    });
}

fn connect_url(dir: &std::path::Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(name).display())
}

async fn bench() -> Vec<Row> {
    let iters = env_usize("SHIFT_BENCH_ITERS", 2_000);
    let applies = env_usize("SHIFT_BENCH_APPLIES", 20);
    let tz = tz();
    let mut rows = Vec::new();
    let dir = tempfile::tempdir().expect("tempdir");

    let generated = generate();
    let two_tracks = {
        let mut n = vec![0usize; SPEAKERS];
        for s in &generated.sessions {
            for k in &s.speakers {
                n[k[3..].parse::<usize>().unwrap()] += 1;
            }
        }
        n.iter().filter(|&&c| c >= 2).count()
    };
    eprintln!(
        "generated: {} tracks, {} sessions, {} speakers ({} in two or more sessions), {} pinned",
        generated.tracks.len(),
        generated.sessions.len(),
        generated.speakers.len(),
        two_tracks,
        generated.sessions.iter().filter(|s| s.pinned).count()
    );

    // (3) Initial import: a fresh SQLite file each time; only
    // `import_schedule` is timed (connect + migrations are not).
    let mut imports = Vec::new();
    for i in 0..5 {
        let store = Store::connect(&connect_url(dir.path(), &format!("import-{i}.db")))
            .await
            .expect("connect");
        let t = Instant::now();
        let out = store
            .import_schedule(&generated, "bench", "initial import")
            .await
            .expect("import");
        imports.push(t.elapsed());
        assert!(out.created_event);
        assert_eq!(out.diff.added.len(), generated.sessions.len());
        store.close().await;
    }
    row(
        &mut rows,
        "initial import, 1,500 sessions (fresh file)",
        imports,
        "Store::import_schedule".into(),
    );

    let store = Store::connect(&connect_url(dir.path(), "shift.db"))
        .await
        .expect("connect");
    store
        .import_schedule(&generated, "bench", "initial import")
        .await
        .expect("import");
    let schedule = store
        .load_schedule(SLUG)
        .await
        .expect("load")
        .expect("event exists");
    assert_eq!(schedule.sessions.len(), TRACKS * PER_TRACK);

    // (1) The pure preview, and applying it in memory.
    let cases = [
        ("all tracks, day 3 from 13:00", request(13 * 60, 30)),
        ("all tracks, day 3 whole day", request(0, 30)),
        ("all tracks, day 3 from 17:50", request(17 * 60 + 50, 30)),
    ];
    for (i, (label, req)) in cases.iter().enumerate() {
        let p = preview_shift(&schedule, tz, req).expect("preview");
        let mut samples = Vec::with_capacity(iters);
        for _ in 0..iters {
            let t = Instant::now();
            let p = preview_shift(&schedule, tz, req).expect("preview");
            samples.push(t.elapsed());
            std::hint::black_box(p);
        }
        row(
            &mut rows,
            &format!("preview_shift, {label}, +30"),
            samples,
            format!("{} moved, {} warnings", p.moved.len(), p.conflicts.len()),
        );
        if i == 0 {
            let mut samples = Vec::with_capacity(iters);
            for _ in 0..iters {
                let t = Instant::now();
                let s = apply_preview(&schedule, &p);
                samples.push(t.elapsed());
                std::hint::black_box(s);
            }
            row(
                &mut rows,
                &format!("apply_preview, {label}, +30"),
                samples,
                format!("{} moved (clones the schedule)", p.moved.len()),
            );
        }
    }

    // (2) The store transaction, alternating +30/−30 so the schedule stays
    // where it started. Each shift adds a version, a shift row and a change.
    for (label, from) in [
        ("all tracks, day 3 from 13:00", 13 * 60),
        ("all tracks, day 3 whole day", 0),
    ] {
        let mut samples = Vec::with_capacity(applies);
        let mut moved = Vec::new();
        let mut warnings = Vec::new();
        for i in 0..applies {
            let sign = if i % 2 == 0 { 1 } else { -1 };
            let req = request(from, 30 * sign);
            let t = Instant::now();
            let applied = store
                .apply_shift(SLUG, &req, "bench", "bench")
                .await
                .expect("apply_shift");
            samples.push(t.elapsed());
            moved.push(applied.preview.moved.len());
            warnings.push(applied.preview.conflicts.len());
        }
        moved.sort();
        moved.dedup();
        warnings.sort();
        warnings.dedup();
        row(
            &mut rows,
            &format!("Store::apply_shift, {label}, ±30"),
            samples,
            format!("{moved:?} moved per shift, {warnings:?} warnings"),
        );
    }
    let after = store.load_schedule(SLUG).await.unwrap().unwrap();
    let same = after
        .sessions
        .iter()
        .zip(&schedule.sessions)
        .all(|(a, b)| a.guid == b.guid && a.start == b.start);
    assert!(
        applies % 2 == 1 || same,
        "an even number of ±30 shifts returns every session home"
    );

    // Read-model rebuild: EventView::new alone (with empty status and
    // history), then what AppState::refresh_event does after every write.
    let mut samples = Vec::with_capacity(iters / 10);
    for _ in 0..(iters / 10).max(20) {
        let s = after.clone();
        let t = Instant::now();
        let v = EventView::new(
            s,
            StatusSnapshot::default(),
            ScheduleHistory::default(),
            0,
            Utc::now(),
            Utc::now(),
        );
        samples.push(t.elapsed());
        std::hint::black_box(v);
    }
    row(
        &mut rows,
        "EventView::new (default status/history)",
        samples,
        "wraps the loaded data (no fingerprint any more)".into(),
    );

    let mut loads = Vec::new();
    let mut refreshes = Vec::new();
    let mut shift_count = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let s = store.load_schedule(SLUG).await.unwrap().unwrap();
        loads.push(t.elapsed());
        std::hint::black_box(s);

        let now = Utc::now();
        let t = Instant::now();
        let data = store.load_event_data(SLUG, now).await.unwrap().unwrap();
        shift_count = data.shifts.len();
        let v = EventView::from_data(data, now);
        refreshes.push(t.elapsed());
        std::hint::black_box(v);
    }
    row(
        &mut rows,
        "Store::load_schedule",
        loads,
        "1,500 sessions from SQLite".into(),
    );
    row(
        &mut rows,
        "full read-model refresh (as refresh_event)",
        refreshes,
        format!(
            "one read transaction: schedule, status, versions, {shift_count} shifts, sequences, answers, links"
        ),
    );
    store.close().await;
    rows
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let rows = rt.block_on(bench());

    let w = rows
        .iter()
        .map(|r| r.what.chars().count())
        .max()
        .unwrap_or(0);
    println!();
    println!(
        "| {:<w$} | {:>5} | {:>10} | {:>10} | {:>10} | {:>10} | notes",
        "measurement", "runs", "median", "p95", "min", "max"
    );
    println!(
        "|-{}-|-{}:|-{}:|-{}:|-{}:|-{}:|------",
        "-".repeat(w),
        "-".repeat(4),
        "-".repeat(9),
        "-".repeat(9),
        "-".repeat(9),
        "-".repeat(9)
    );
    for r in &rows {
        println!(
            "| {:<w$} | {:>5} | {:>10} | {:>10} | {:>10} | {:>10} | {}",
            r.what,
            r.stats.n,
            fmt(r.stats.median),
            fmt(r.stats.p95),
            fmt(r.stats.min),
            fmt(r.stats.max),
            r.note
        );
    }
}

//! The iCalendar feeds, checked by an independent parser: Python's
//! `icalendar` (installed in tools/venv by `make test`). Instants are
//! resolved through the feed's own VTIMEZONE, not the system's zone data.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use app::domain::schedule::{Event, Schedule, Session, SessionKind, Speaker, Track};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use server::ics::{CalendarFilter, event_calendar};

const CHECK: &str = r#"
import datetime, json, re, sys
import icalendar

cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
zones = {str(z["TZID"]): z for z in cal.walk("VTIMEZONE")}
utc = datetime.timezone.utc

# X- properties are TEXT by default (RFC 5545 3.8.8.2) but icalendar keeps them raw.
def text(prop):
    raw = prop.to_ical().decode()
    return re.sub(r"\\([\\,;nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), raw)

def instant(ev, name):
    prop = ev[name]
    tzid = prop.params.get("TZID")
    if tzid is None:
        return prop.dt.astimezone(utc).isoformat(), None, None
    own = zones[tzid].to_tz(lookup_tzid=False)
    local = prop.dt.replace(tzinfo=None)
    return local.replace(tzinfo=own).astimezone(utc).isoformat(), tzid, local.strftime("%H:%M")

events = []
for ev in cal.walk("VEVENT"):
    missing = [k for k in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY") if k not in ev]
    if missing:
        sys.exit(f"VEVENT {ev.get('UID')} lacks {missing}")
    start, tzid, local = instant(ev, "DTSTART")
    end, _, _ = instant(ev, "DTEND")
    events.append({
        "uid": str(ev["UID"]), "tzid": tzid, "local": local, "start": start, "end": end,
        "sequence": int(ev["SEQUENCE"]), "summary": str(ev["SUMMARY"]),
        "description": str(ev.get("DESCRIPTION", "")), "location": str(ev.get("LOCATION", "")),
        "url": str(ev.get("URL", "")), "categories": [str(c) for c in ev["CATEGORIES"].cats],
    })
print(json.dumps({
    "version": str(cal["VERSION"]), "prodid": str(cal["PRODID"]),
    "calscale": str(cal["CALSCALE"]), "calname": text(cal["X-WR-CALNAME"]),
    "zones": {k: sorted({c.name for c in z.subcomponents}) for k, z in zones.items()},
    "events": events,
}))
"#;

/// The Python with `icalendar`: `$PYTHON_ICALENDAR`, else tools/venv.
fn python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let configured = std::env::var("PYTHON_ICALENDAR").unwrap_or("tools/venv/bin/python".into());
    let path = root.join(configured);
    assert!(
        path.exists(),
        "{} not found: run `make test` (it installs Python's icalendar in tools/venv), \
         or point PYTHON_ICALENDAR at a Python that has it",
        path.display()
    );
    path
}

/// Writes the calendar out, checks its raw form, and parses it in Python.
fn parse(ics: &str) -> Value {
    for line in ics.split_terminator("\r\n") {
        assert!(line.len() <= 75, "unfolded line: {line:?}");
        assert!(!line.contains('\n'), "bare newline in {line:?}");
    }
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cal.ics");
    std::fs::write(&file, ics).unwrap();
    let out = Command::new(python())
        .arg("-c")
        .arg(CHECK)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python: {}\n{ics}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn the_demo_calendar_keeps_moscow_wall_clock_times_and_sequences() {
    let s = server::demo::conference("demo", NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
    let first = s
        .sessions
        .iter()
        .min_by_key(|x| (x.start, &x.guid))
        .unwrap();
    let sequences = HashMap::from([(first.guid.clone(), 3)]);
    let ics = event_calendar(
        &s,
        &sequences,
        CalendarFilter::All,
        "https://m.example/e/demo",
    );
    assert_eq!(
        ics,
        event_calendar(
            &s,
            &sequences,
            CalendarFilter::All,
            "https://m.example/e/demo"
        )
    );
    let cal = parse(&ics);
    assert_eq!(cal["version"], "2.0");
    assert_eq!(cal["calscale"], "GREGORIAN");
    assert_eq!(cal["calname"], s.event.name);
    assert_eq!(
        cal["zones"]["Europe/Moscow"],
        serde_json::json!(["STANDARD"])
    );
    let events = cal["events"].as_array().unwrap();
    assert_eq!(events.len(), s.sessions.len());
    let e = events
        .iter()
        .find(|e| e["uid"] == format!("{}@marquee", first.guid))
        .unwrap();
    assert_eq!(
        (e["tzid"].as_str(), e["local"].as_str()),
        (Some("Europe/Moscow"), Some("17:00"))
    );
    assert_eq!(e["start"], "2026-11-23T14:00:00+00:00");
    assert_eq!(e["sequence"], 3);
    assert_eq!(e["summary"], first.title);
    assert_eq!(e["categories"], serde_json::json!([first.kind.as_str()]));
    assert_eq!(e["location"], s.track(&first.track).unwrap().name);
    assert_eq!(
        e["url"],
        format!("https://m.example/e/demo/talk/{}", first.guid)
    );
    assert!(
        events
            .iter()
            .filter(|x| x["uid"] != e["uid"])
            .all(|x| x["sequence"] == 0)
    );

    let track = &s.tracks[1];
    let cal = parse(&event_calendar(
        &s,
        &sequences,
        CalendarFilter::Track(track.slug.clone()),
        "https://m.example",
    ));
    assert_eq!(cal["calname"], format!("{} — {}", s.event.name, track.name));
    let n = s.sessions.iter().filter(|x| x.track == track.slug).count();
    assert_eq!(cal["events"].as_array().unwrap().len(), n);

    let anna = &s.speakers[0];
    let cal = parse(&event_calendar(
        &s,
        &sequences,
        CalendarFilter::Speaker(anna.key.clone()),
        "",
    ));
    let mine: Vec<&Session> = s
        .sessions
        .iter()
        .filter(|x| x.speakers.contains(&anna.key))
        .collect();
    let events = cal["events"].as_array().unwrap();
    assert_eq!(events.len(), mine.len());
    assert!(
        events
            .iter()
            .all(|e| e["description"].as_str().unwrap().starts_with(&anna.name))
    );
}

#[test]
fn a_dst_day_in_berlin_has_both_observances_and_exact_instants() {
    let session = |guid: &str, start: &str, title: &str| {
        Session {
        guid: guid.into(),
        title: title.into(),
        abstract_md: "Line one\nline two; with, separators \\ and a very long tail that must be folded somewhere".into(),
        kind: SessionKind::Talk,
        start: at(start),
        duration_min: 30,
        track: "main".into(),
        language: None,
        pinned: false,
        speakers: vec!["jonas".into()],
        cancelled: false,
    }
    };
    let s = Schedule {
        event: Event {
            slug: "herbst".into(),
            name: "Herbst, Konferenz; 2026".into(),
            time_zone: "Europe/Berlin".into(),
            start_date: NaiveDate::from_ymd_opt(2026, 10, 24).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2026, 10, 25).unwrap(),
        },
        tracks: vec![Track {
            slug: "main".into(),
            name: "Großer Saal".into(),
            color: "#000000".into(),
            stream_url: None,
            position: 1,
        }],
        speakers: vec![Speaker {
            key: "jonas".into(),
            name: "Jonas Becker".into(),
            email: None,
        }],
        sessions: vec![
            // 02:30 CEST and, an hour later, 02:30 CET: the same wall clock.
            session("first", "2026-10-25T00:30:00Z", "Erste Halbzeit"),
            session(
                "second",
                "2026-10-25T01:30:00Z",
                "Zweite Halbzeit — 🕑 Wiederholung der Stunde",
            ),
            session("before", "2026-10-24T15:00:00Z", "Samstag"),
        ],
        version: 7,
    };
    let cal = parse(&event_calendar(
        &s,
        &HashMap::new(),
        CalendarFilter::All,
        "https://m.example",
    ));
    assert_eq!(cal["calname"], s.event.name);
    assert_eq!(
        cal["zones"]["Europe/Berlin"],
        serde_json::json!(["DAYLIGHT", "STANDARD"])
    );
    let by_uid = |g: &str| {
        cal["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["uid"] == format!("{g}@marquee"))
            .unwrap()
            .clone()
    };
    for g in ["first", "second", "before"] {
        let e = by_uid(g);
        let want = s.session(g).unwrap();
        assert_eq!(e["start"], want.start.to_rfc3339(), "{g}");
        assert_eq!(e["end"], want.end().to_rfc3339(), "{g}");
        assert_eq!(e["summary"], want.title);
        assert_eq!(e["location"], "Großer Saal");
        assert_eq!(
            e["description"],
            format!("Jonas Becker\n\n{}", want.abstract_md)
        );
    }
    assert_eq!(by_uid("before")["local"], "17:00");
    assert_eq!(by_uid("first")["local"], "02:30");
}

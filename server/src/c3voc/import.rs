//! A parsed document (JSON, or XML translated to the same tree) → a
//! [`Schedule`]: the conference, its rooms as tracks, and every event.

use std::collections::HashMap;

use app::domain::schedule::{Event, Schedule, Session};
use app::domain::slug::slugify;
use app::domain::time::{local_date, parse_zone};
use chrono::{DateTime, NaiveDate};

use super::event_time::Day;
use super::import_event::{Collector, read_event};
use super::node::{
    Node, Want, check_types, field, index, items, key, members, require, require_str, wrong,
};
use super::report::{FormatError, ImportReport, Notes};
use super::rooms::Rooms;

const CONF: &str = "schedule.conference";
const ROOMS_OBJECT: &str = "an object mapping room names to lists of events";

const SCHEDULE: &[(&str, Want)] = &[
    ("version", Want::Str),
    ("base_url", Want::Str),
    ("conference", Want::Obj),
];
const CONFERENCE: &[(&str, Want)] = &[
    ("acronym", Want::Str),
    ("title", Want::Str),
    ("start", Want::Str),
    ("end", Want::Str),
    ("daysCount", Want::Int),
    ("timeslot_duration", Want::Str),
    ("time_zone_name", Want::Str),
    ("rooms", Want::Arr),
    ("tracks", Want::Arr),
    ("days", Want::Arr),
];
/// `rooms` is checked where it is read, with a more telling message.
const DAY: &[(&str, Want)] = &[
    ("index", Want::Int),
    ("date", Want::Str),
    ("day_start", Want::Str),
    ("day_end", Want::Str),
];

pub(crate) fn import(
    root: &Node,
    event_slug: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, FormatError> {
    members(root, "$", "an object with a \"schedule\" member")?;
    let sched = require(root, "", "schedule", "an object")?;
    members(sched, "schedule", "an object")?;
    check_types(sched, "schedule", SCHEDULE)?;
    let conf = require(sched, "schedule", "conference", "an object")?;
    check_types(conf, CONF, CONFERENCE)?;
    let title = require_str(conf, CONF, "title", "a string")?;
    let want_zone = "an IANA time zone name such as \"Europe/Berlin\"";
    let zone = require_str(conf, CONF, "time_zone_name", want_zone)?;
    let tz = parse_zone(zone.trim())
        .map_err(|e| FormatError::new(field(CONF, "time_zone_name"), e.to_string()))?;
    let days_path = field(CONF, "days");
    let days = items(require(conf, CONF, "days", "an array of days")?, &days_path)?;

    let mut c = Collector::default();
    if sched.get("rooms").is_some() {
        let why = "rooms belong in schedule.conference.rooms; ignored";
        c.notes.push("schedule.rooms", why);
    }
    let mut rooms = Rooms::declared(conf, &mut c.notes)?;
    let total = count_events(days);
    progress(0, total);
    let mut done = 0;
    let mut day_dates = Vec::new();
    for (i, d) in days.iter().enumerate() {
        let dp = index(&days_path, i);
        members(d, &dp, "a day object")?;
        check_types(d, &dp, DAY)?;
        let date = d
            .str_of("date")
            .and_then(|s| date_of(s, &field(&dp, "date"), &mut c.notes));
        day_dates.extend(date);
        let starts_at = d
            .str_of("day_start")
            .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
            .map(|t| t.with_timezone(&tz).time());
        let day = Day {
            tz,
            date,
            starts_at,
        };
        let rp = field(&dp, "rooms");
        for (name, events) in members(require(d, &dp, "rooms", ROOMS_OBJECT)?, &rp, ROOMS_OBJECT)? {
            let ep = key(&rp, name);
            let events = items(events, &ep)?;
            let track = rooms.add(name, None, &ep, &mut c.notes);
            for (j, ev) in events.iter().enumerate() {
                read_event(ev, &index(&ep, j), &day, &track, &mut c)?;
                done += 1;
                progress(done, total);
            }
        }
    }

    let Collector {
        mut sessions,
        speakers,
        mut notes,
        ..
    } = c;
    let mut speakers = speakers.settle(&mut sessions, &mut notes);
    let mut dates = day_dates;
    if dates.is_empty() {
        dates.extend(sessions.iter().map(|s| local_date(tz, s.start)));
    }
    let (start_date, end_date) = event_dates(conf, &dates, &mut notes)?;
    let (slug, name) = event_names(conf, title, event_slug, &mut notes)?;
    let tracks = rooms.into_tracks();
    let position: HashMap<&str, i64> = tracks
        .iter()
        .map(|t| (t.slug.as_str(), t.position))
        .collect();
    // The order the store loads them in, so an import compares equal to
    // what it becomes once stored.
    let order = |s: &Session| {
        (
            s.start,
            position.get(s.track.as_str()).copied(),
            s.track.clone(),
            s.guid.clone(),
        )
    };
    sessions.sort_by_cached_key(order);
    speakers.sort_by(|a, b| (&a.name, &a.key).cmp(&(&b.name, &b.key)));

    let time_zone = tz.name().to_owned();
    let event = Event {
        slug,
        name,
        time_zone,
        start_date,
        end_date,
    };
    let schedule = Schedule {
        event,
        tracks,
        speakers,
        sessions,
        version: 0,
    };
    Ok(ImportReport {
        schedule,
        skipped: notes.0,
    })
}

/// `conference.start`/`end`, else the first and last day with a date.
fn event_dates(
    conf: &Node,
    dates: &[NaiveDate],
    notes: &mut Notes,
) -> Result<(NaiveDate, NaiveDate), FormatError> {
    let mut given = |member: &str| {
        conf.str_of(member)
            .and_then(|s| date_of(s, &field(CONF, member), notes))
    };
    let (start, end) = (given("start"), given("end"));
    let start = start
        .or_else(|| dates.iter().min().copied())
        .ok_or_else(|| {
            let want = "a date such as \"2020-12-14\" (no day has one either)";
            wrong(field(CONF, "start"), want, None)
        })?;
    let end = end.or_else(|| dates.iter().max().copied()).unwrap_or(start);
    if end < start {
        let why = format!("end {end} is before start {start}; set to the start date");
        notes.push(field(CONF, "end"), why);
        return Ok((start, start));
    }
    Ok((start, end))
}

/// The event's slug (`event_slug`, else the acronym, else the title,
/// slugified) and name (the title, else the acronym).
fn event_names(
    conf: &Node,
    title: &str,
    event_slug: &str,
    notes: &mut Notes,
) -> Result<(String, String), FormatError> {
    let acronym = conf
        .str_of("acronym")
        .map(str::trim)
        .filter(|a| !a.is_empty());
    let slug = [
        event_slug.trim().to_owned(),
        acronym.map(slugify).unwrap_or_default(),
        slugify(title),
    ]
    .into_iter()
    .find(|s| !s.is_empty())
    .ok_or_else(|| {
        wrong(
            field(CONF, "acronym"),
            "an acronym to name the event by",
            None,
        )
    })?;
    let mut name = title.trim().to_owned();
    if name.is_empty() {
        name = acronym.unwrap_or(&slug).to_owned();
        notes.push(field(CONF, "title"), format!("empty title; {name:?} used"));
    }
    Ok((slug, name))
}

/// The calendar date at the front of a date or date-time string.
fn date_of(s: &str, path: &str, notes: &mut Notes) -> Option<NaiveDate> {
    let parsed = s
        .trim()
        .get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    if parsed.is_none() {
        notes.push(path, format!("{s:?} is not a date (YYYY-MM-DD); ignored"));
    }
    parsed
}

/// How many events the document lists, for progress reports.
fn count_events(days: &[Node]) -> usize {
    let lists = days.iter().filter_map(|d| match d.get("rooms") {
        Some(Node::Obj(rooms)) => Some(rooms),
        _ => None,
    });
    lists
        .flatten()
        .map(|(_, evs)| if let Node::Arr(a) = evs { a.len() } else { 0 })
        .sum()
}

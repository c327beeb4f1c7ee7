//! Schedule → C3VOC JSON (schema.json). Plain structs rather than
//! `serde_json::Value`, so members come out in a fixed, readable order
//! whatever features serde_json is built with.

use app::domain::schedule::{Schedule, Session};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::export::Layout;
use super::naming::duration;

#[derive(Serialize)]
struct Doc<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    generator: Generator,
    schedule: Sched<'a>,
}

#[derive(Serialize)]
struct Generator {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Sched<'a> {
    version: String,
    base_url: &'a str,
    conference: Conference<'a>,
}

#[derive(Serialize)]
struct Conference<'a> {
    acronym: &'a str,
    title: &'a str,
    start: String,
    end: String,
    #[serde(rename = "daysCount")]
    days_count: usize,
    timeslot_duration: &'static str,
    time_zone_name: &'a str,
    rooms: Vec<Room<'a>>,
    tracks: Vec<Track<'a>>,
    days: Vec<Day<'a>>,
}

#[derive(Serialize)]
struct Room<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    slug: Option<&'a str>,
    guid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct Track<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    color: Option<&'a str>,
}

#[derive(Serialize)]
struct Day<'a> {
    index: usize,
    date: String,
    day_start: &'a str,
    day_end: &'a str,
    rooms: Rooms<'a>,
}

/// Room name → events, in room order (a map type would sort the names).
struct Rooms<'a>(Vec<(&'a str, Vec<Event<'a>>)>);

impl Serialize for Rooms<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, events) in &self.0 {
            map.serialize_entry(name, events)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct Event<'a> {
    guid: String,
    id: u32,
    date: String,
    start: String,
    end: String,
    duration: String,
    room: &'a str,
    slug: String,
    url: String,
    title: &'a str,
    subtitle: &'static str,
    track: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    language: Option<&'a str>,
    #[serde(rename = "abstract")]
    abstract_md: &'a str,
    description: &'static str,
    recording_license: &'static str,
    do_not_record: bool,
    persons: Vec<Person<'a>>,
    links: [(); 0],
    attachments: [(); 0],
}

/// Exactly one of the schema's two person shapes: pretalx (`name`, here
/// with `guid`) or frab (`id` + `public_name`).
#[derive(Serialize)]
struct Person<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    guid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_name: Option<&'a str>,
}

/// Slugs the JSON schema accepts for rooms.
fn schema_slug(s: &str) -> Option<&str> {
    let ok = s.len() >= 2
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        && s.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric());
    ok.then_some(s)
}

pub(crate) fn export(schedule: &Schedule, base_url: &str) -> String {
    let l = Layout::new(schedule, base_url);
    let days = l
        .days
        .iter()
        .map(|d| Day {
            index: d.index,
            date: d.date.to_string(),
            day_start: &d.start,
            day_end: &d.end,
            rooms: Rooms(
                l.rooms
                    .iter()
                    .zip(&d.rooms)
                    .map(|(r, list)| (r.name, events(&l, r.name, list)))
                    .collect(),
            ),
        })
        .collect();
    let doc = Doc {
        schema: "https://c3voc.de/schedule/schema.json",
        generator: Generator {
            name: "marquee",
            version: env!("CARGO_PKG_VERSION"),
        },
        schedule: Sched {
            version: schedule.version.to_string(),
            base_url,
            conference: Conference {
                acronym: &l.acronym,
                title: &schedule.event.name,
                start: schedule.event.start_date.to_string(),
                end: schedule.event.end_date.to_string(),
                days_count: l.days.len(),
                timeslot_duration: "00:05",
                time_zone_name: &schedule.event.time_zone,
                rooms: l
                    .rooms
                    .iter()
                    .map(|r| Room {
                        name: r.name,
                        slug: schema_slug(r.slug),
                        guid: &r.guid,
                        url: r.stream_url,
                    })
                    .collect(),
                tracks: l
                    .rooms
                    .iter()
                    .map(|r| Track {
                        name: r.name,
                        color: r.color.as_deref(),
                    })
                    .collect(),
                days,
            },
        },
    };
    // Serialising plain structs of strings and numbers cannot fail.
    let mut out = serde_json::to_string_pretty(&doc).expect("schedule serialises to JSON");
    out.push('\n');
    out
}

fn events<'a>(l: &Layout<'a>, room: &'a str, sessions: &[&'a Session]) -> Vec<Event<'a>> {
    sessions
        .iter()
        .map(|&s| Event {
            guid: l.guid(s),
            id: l.id(s),
            date: l.iso(s.start),
            start: l.hhmm(s.start),
            end: l.iso(s.end()),
            duration: duration(s.duration_min),
            room,
            slug: l.slug(s),
            url: l.url(s),
            title: &s.title,
            subtitle: "",
            track: room,
            kind: s.kind.as_str(),
            language: s.language.as_deref(),
            abstract_md: &s.abstract_md,
            description: "",
            recording_license: "",
            do_not_record: false,
            persons: l
                .persons(s)
                .into_iter()
                .map(|p| match p.id {
                    Some(id) => Person {
                        guid: None,
                        id: Some(id),
                        name: None,
                        public_name: Some(p.name),
                    },
                    None => Person {
                        guid: p.guid,
                        id: None,
                        name: Some(p.name),
                        public_name: None,
                    },
                })
                .collect(),
            links: [],
            attachments: [],
        })
        .collect()
}

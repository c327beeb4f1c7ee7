//! What both exports share: the schedule laid out as C3VOC sees it (rooms,
//! local calendar days, events with ids, slugs and URLs), computed once and
//! deterministically so that the same schedule always gives the same bytes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use app::domain::schedule::{Schedule, Session};
use app::domain::time::{format_hhmm, local_date, local_to_utc_lenient, parse_zone};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::naming::{acronym, ascii_slug, event_ids, iso, room_guid};
use super::rooms::hex_color;
use crate::site_urls;

/// One room (a Marquee track) as exported.
pub(crate) struct Room<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub guid: String,
    /// `#rrggbb`, or `None` when the stored colour is not one.
    pub color: Option<String>,
    pub stream_url: Option<&'a str>,
}

pub(crate) struct Day<'a> {
    pub index: usize,
    pub date: NaiveDate,
    pub start: String,
    pub end: String,
    /// Sessions per room, in the order of [`Layout::rooms`].
    pub rooms: Vec<Vec<&'a Session>>,
}

/// A speaker as C3VOC wants it: frab-style `id` + `public_name`, or
/// pretalx-style `guid` + `name`, chosen so that importing it gives back the
/// same speaker key.
pub(crate) struct Person<'a> {
    pub guid: Option<&'a str>,
    pub id: Option<i64>,
    pub name: &'a str,
}

pub(crate) struct Layout<'a> {
    pub schedule: &'a Schedule,
    pub tz: Tz,
    pub acronym: String,
    pub rooms: Vec<Room<'a>>,
    pub days: Vec<Day<'a>>,
    ids: HashMap<&'a str, u32>,
    names: HashMap<&'a str, &'a str>,
    base_url: String,
}

/// Days wider than this are listed only where they have sessions, so a
/// mistyped end year cannot produce a document of empty days.
const MAX_LISTED_DAYS: i64 = 400;

impl<'a> Layout<'a> {
    pub fn new(schedule: &'a Schedule, base_url: &str) -> Self {
        // The store only keeps valid zones; UTC keeps an export total anyway.
        let tz = parse_zone(&schedule.event.time_zone).unwrap_or(Tz::UTC);
        let mut rooms: Vec<Room<'a>> = schedule
            .tracks
            .iter()
            .map(|t| Room {
                name: &t.name,
                slug: &t.slug,
                guid: room_guid(&schedule.event.slug, &t.slug),
                color: hex_color(&t.color),
                stream_url: t.stream_url.as_deref(),
            })
            .collect();
        rooms.sort_by_key(|r| (schedule.track(r.slug).map(|t| t.position), r.slug));
        // A session whose track is missing still gets exported, in a room
        // named after the slug, rather than silently vanishing.
        for s in &schedule.sessions {
            if !rooms.iter().any(|r| r.slug == s.track) {
                let guid = room_guid(&schedule.event.slug, &s.track);
                rooms.push(Room {
                    name: &s.track,
                    slug: &s.track,
                    guid,
                    color: None,
                    stream_url: None,
                });
            }
        }

        // A cancelled talk stays on Marquee's own pages (struck through) but
        // leaves the C3VOC document, as pretalx does: the recording and
        // streaming tools that read it must not plan for a talk that will
        // not happen, and the schema has no field to say so.
        let exported = || schedule.sessions.iter().filter(|s| !s.cancelled);
        let mut dates: BTreeSet<NaiveDate> = exported().map(|s| local_date(tz, s.start)).collect();
        let (first, last) = (schedule.event.start_date, schedule.event.end_date);
        if (last - first).num_days() <= MAX_LISTED_DAYS {
            dates.extend(first.iter_days().take_while(|d| *d <= last));
        } else {
            dates.extend([first, last]);
        }
        let mut by_day: BTreeMap<NaiveDate, Vec<Vec<&'a Session>>> = dates
            .iter()
            .map(|d| (*d, vec![Vec::new(); rooms.len()]))
            .collect();
        for s in exported() {
            let room = rooms
                .iter()
                .position(|r| r.slug == s.track)
                .unwrap_or_default();
            if let Some(day) = by_day.get_mut(&local_date(tz, s.start)) {
                day[room].push(s);
            }
        }
        let days = by_day
            .into_iter()
            .enumerate()
            .map(|(i, (date, mut per_room))| {
                for list in &mut per_room {
                    list.sort_by(|a, b| (a.start, &a.guid).cmp(&(b.start, &b.guid)));
                }
                let midnight = |d: NaiveDate| local_to_utc_lenient(tz, d.and_time(NaiveTime::MIN));
                let next = midnight(date.succ_opt().unwrap_or(date));
                let last_end = per_room
                    .iter()
                    .flatten()
                    .map(|s| s.end())
                    .max()
                    .unwrap_or(next);
                let (start, end) = (iso(tz, midnight(date)), iso(tz, last_end.max(next)));
                Day {
                    index: i + 1,
                    date,
                    start,
                    end,
                    rooms: per_room,
                }
            })
            .collect();

        Layout {
            schedule,
            tz,
            acronym: acronym(&schedule.event.slug),
            rooms,
            days,
            ids: event_ids(schedule),
            names: schedule
                .speakers
                .iter()
                .map(|s| (s.key.as_str(), s.name.as_str()))
                .collect(),
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    pub fn iso(&self, t: DateTime<Utc>) -> String {
        iso(self.tz, t)
    }

    pub fn hhmm(&self, t: DateTime<Utc>) -> String {
        format_hhmm(self.tz, t)
    }

    pub fn id(&self, s: &Session) -> u32 {
        self.ids.get(s.guid.as_str()).copied().unwrap_or(1)
    }

    /// The session's guid as a UUID; a guid that is not one (possible for
    /// schedules not made by an import) is replaced by a stable v5 UUID.
    pub fn guid(&self, s: &Session) -> String {
        let name = format!("marquee:session:{}", s.guid);
        let fallback = || Uuid::new_v5(&Uuid::NAMESPACE_URL, name.as_bytes());
        Uuid::parse_str(&s.guid)
            .unwrap_or_else(|_| fallback())
            .hyphenated()
            .to_string()
    }

    /// `<acronym>-<id>[-<ascii title>]`, which fits the schema's slug pattern.
    pub fn slug(&self, s: &Session) -> String {
        let mut slug = format!("{}-{}", self.acronym, self.id(s));
        let words = ascii_slug(&s.title, '-');
        let words = words
            .get(..48)
            .map_or(words.as_str(), |w| w.trim_end_matches('-'));
        if !words.is_empty() {
            slug.push('-');
            slug.push_str(words);
        }
        slug
    }

    /// The session's page on this site. `base_url` may be the event's URL
    /// (`{origin}/e/{event}`, what the export route passes) or the origin.
    pub fn url(&self, s: &Session) -> String {
        let slug = &self.schedule.event.slug;
        site_urls::talk(site_urls::origin(&self.base_url, slug), slug, &s.guid)
    }

    /// Whether `base_url` is absolute http(s), as the XML schema's URL
    /// elements require.
    pub fn http_base(&self) -> Option<&str> {
        let b = self.base_url.as_str();
        (b.starts_with("http://") || b.starts_with("https://")).then_some(b)
    }

    pub fn persons(&self, s: &'a Session) -> Vec<Person<'a>> {
        s.speakers
            .iter()
            .map(|key| {
                let name = self.names.get(key.as_str()).copied().unwrap_or(key);
                match (
                    Uuid::parse_str(key).is_ok(),
                    key.strip_prefix("id:").and_then(|i| i.parse().ok()),
                ) {
                    (true, _) => Person {
                        guid: Some(key),
                        id: None,
                        name,
                    },
                    (false, Some(id)) => Person {
                        guid: None,
                        id: Some(id),
                        name,
                    },
                    _ => Person {
                        guid: None,
                        id: None,
                        name,
                    },
                }
            })
            .collect()
    }
}

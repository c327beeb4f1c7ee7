//! iCalendar (RFC 5545) feeds of a schedule: the whole event, one track or
//! one speaker. Output is deterministic (no clock reads, stable order), so
//! the routes can derive ETags from the schedule and calendar apps polling a
//! subscription get 304s until something changes. Times are written in the
//! event's zone with a VTIMEZONE, so the wall-clock times organisers chose
//! survive even in apps with an outdated time-zone database.

mod text;
mod tz;

use std::collections::HashMap;

use app::domain::schedule::{Schedule, Session};
use app::domain::time::local_to_utc;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;

use text::{escape, push_line};

use crate::site_urls;

/// Which sessions a calendar holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarFilter {
    All,
    /// Sessions of the track with this slug.
    Track(String),
    /// Sessions this speaker (by key) appears in.
    Speaker(String),
}

/// The calendar of `schedule`'s sessions matching `filter`. `sequences`
/// maps guids to iCalendar SEQUENCE numbers (missing: 0); `base_url` is the
/// site's origin or the event's URL (`{origin}/e/{event}`), as for the
/// C3VOC exports. An unknown track or speaker gives an empty calendar.
pub fn event_calendar(
    schedule: &Schedule,
    sequences: &HashMap<String, i64>,
    filter: CalendarFilter,
    base_url: &str,
) -> String {
    let ev = &schedule.event;
    // Stored zones were validated on import; UTC keeps a bad one readable.
    let zone: Tz = ev.time_zone.parse().unwrap_or(Tz::UTC);
    let name = match &filter {
        CalendarFilter::All => ev.name.clone(),
        CalendarFilter::Track(slug) => {
            let track = schedule.track(slug).map_or(slug.as_str(), |t| &t.name);
            format!("{} — {track}", ev.name)
        }
        CalendarFilter::Speaker(key) => {
            let who = schedule.speaker(key).map_or(key.as_str(), |s| &s.name);
            format!("{} — {who}", ev.name)
        }
    };
    let mut sessions: Vec<&Session> = schedule
        .sessions
        .iter()
        .filter(|s| match &filter {
            CalendarFilter::All => true,
            CalendarFilter::Track(slug) => &s.track == slug,
            CalendarFilter::Speaker(key) => s.speakers.contains(key),
        })
        .collect();
    let position = |s: &Session| schedule.track(&s.track).map_or(i64::MAX, |t| t.position);
    sessions.sort_by(|a, b| (a.start, position(a), &a.guid).cmp(&(b.start, position(b), &b.guid)));

    let mut out = String::new();
    push_line(&mut out, "BEGIN:VCALENDAR");
    push_line(&mut out, "VERSION:2.0");
    push_line(&mut out, "PRODID:-//Marquee//Marquee schedule//EN");
    push_line(&mut out, "CALSCALE:GREGORIAN");
    push_line(&mut out, "METHOD:PUBLISH");
    push_line(&mut out, &format!("X-WR-CALNAME:{}", escape(&name)));
    push_line(&mut out, &format!("X-WR-TIMEZONE:{}", zone.name()));
    push_line(&mut out, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
    push_line(&mut out, "X-PUBLISHED-TTL:PT1H");
    tz::push_vtimezone(&mut out, zone, ev.start_date, ev.end_date);
    let stamp = dtstamp(schedule);
    let origin = site_urls::origin(base_url, &ev.slug);
    for s in sessions {
        push_event(&mut out, schedule, s, zone, stamp, origin, sequences);
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

/// DTSTAMP must not depend on the clock (ETags would change on every
/// request): midnight UTC before the event's first day, plus one second per
/// schedule version, so it is fixed per version and grows with it.
fn dtstamp(schedule: &Schedule) -> DateTime<Utc> {
    let day = schedule.event.start_date.pred_opt().unwrap_or_default();
    day.and_time(NaiveTime::MIN).and_utc() + Duration::seconds(schedule.version.max(0))
}

/// `;TZID=Zone:local` for an instant, or UTC (`:…Z`) when the local time
/// would be misread: in the repeated hour of a DST fold a local time means
/// its first occurrence (RFC 5545 §3.3.5), so the second one is written in
/// UTC.
fn date_time(zone: Tz, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&zone).naive_local();
    if local_to_utc(zone, local) == Ok(t) {
        format!(";TZID={}:{}", zone.name(), local.format("%Y%m%dT%H%M%S"))
    } else {
        format!(":{}", t.format("%Y%m%dT%H%M%SZ"))
    }
}

fn push_event(
    out: &mut String,
    schedule: &Schedule,
    s: &Session,
    zone: Tz,
    stamp: DateTime<Utc>,
    origin: &str,
    sequences: &HashMap<String, i64>,
) {
    let ev = &schedule.event;
    push_line(out, "BEGIN:VEVENT");
    push_line(out, &format!("UID:{}@marquee", escape(&s.guid)));
    push_line(out, &format!("DTSTAMP:{}", stamp.format("%Y%m%dT%H%M%SZ")));
    push_line(out, &format!("DTSTART{}", date_time(zone, s.start)));
    push_line(out, &format!("DTEND{}", date_time(zone, s.end())));
    push_line(
        out,
        &format!("SEQUENCE:{}", sequences.get(&s.guid).copied().unwrap_or(0)),
    );
    // Kept, not dropped: a calendar only removes an event it is told is
    // cancelled (with a higher SEQUENCE, which the cancel raised).
    if s.cancelled {
        push_line(out, "STATUS:CANCELLED");
    }
    push_line(out, &format!("SUMMARY:{}", escape(&s.title)));
    let names: Vec<&str> = s
        .speakers
        .iter()
        .map(|k| schedule.speaker(k).map_or(k.as_str(), |sp| &sp.name))
        .collect();
    let mut description = String::new();
    if !names.is_empty() {
        description = format!("{}\n\n", names.join(", "));
    }
    description.push_str(s.abstract_md.trim());
    if !description.trim().is_empty() {
        push_line(out, &format!("DESCRIPTION:{}", escape(description.trim())));
    }
    if let Some(track) = schedule.track(&s.track) {
        push_line(out, &format!("LOCATION:{}", escape(&track.name)));
    }
    // URL takes an absolute URI; without a known origin there is none.
    if origin.starts_with("http://") || origin.starts_with("https://") {
        push_line(
            out,
            &format!("URL:{}", site_urls::talk(origin, &ev.slug, &s.guid)),
        );
    }
    push_line(out, &format!("CATEGORIES:{}", s.kind.as_str()));
    push_line(out, "END:VEVENT");
}

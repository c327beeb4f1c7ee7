//! `/e/{event}`: tracks side by side on a time axis, a "now" line, live and
//! up-next marks, event time with an opt-in switch to the viewer's time.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use rust_i18n::t;

use super::layout;
use super::request;
use crate::components::{LocalTime, NowLine, ZoneScope};
use crate::domain::agenda::{self, DayAgenda, SLOT_MINUTES};
use crate::domain::schedule::{Schedule, SessionKind, SessionMark};
use crate::domain::time::{format_hhmm, local_date, offset_label};
use crate::read_model::EventView;

pub fn render() -> AnyView {
    let lang = request::lang();
    let (slug, view) = match layout::route_event() {
        Ok(found) => found,
        Err(page) => return page,
    };
    let now = request::now();
    request::set_public_cache(&view, now);
    let s = &view.schedule;
    let days = agenda::days(s, view.tz);
    let requested = request::query("day").and_then(|d| d.parse::<NaiveDate>().ok());
    let day = agenda::pick_day(&days, requested, local_date(view.tz, now));
    let marks = GridMarks {
        was: s
            .sessions
            .iter()
            .filter_map(|x| {
                view.history
                    .was(&x.guid, x.start)
                    .map(|w| (x.guid.clone(), w))
            })
            .collect(),
        flagged: HashSet::new(),
    };
    let grid = day
        .and_then(|d| agenda::lay_out(s, view.tz, d))
        .map(|a| grid(&view, s, &a, &marks, now, lang).into_any())
        .unwrap_or_else(|| {
            view! { <p>{t!("schedule.no_sessions", locale = lang).to_string()}</p> }.into_any()
        });
    let zone = format!("{} ({})", s.event.time_zone, offset_label(view.tz, now));
    let body = view! {
        <div class="schedule-head">
            <h1>{s.event.name.clone()}</h1>
            <p class="muted" id="live-version" data-live="version">
                {t!("schedule.version", locale = lang, version = s.version).to_string()}
                " · "
                <a href=format!("/e/{slug}/schedule.json")>"JSON"</a>
                " · "
                <a href=format!("/e/{slug}/schedule.xml")>"XML"</a>
                " · "
                <a href=format!("/e/{slug}/schedule.ics")>{t!("schedule.calendar", locale = lang).to_string()}</a>
            </p>
        </div>
        {day_tabs(&slug, &days, day, lang)}
        <ZoneScope
            event_label=t!("schedule.times_in", locale = lang, zone = zone).to_string()
            local_label=t!("schedule.your_time", locale = lang, zone = "{zone}").to_string()
            show_local=t!("schedule.show_local", locale = lang).to_string()
            show_event=t!("schedule.show_event", locale = lang).to_string()
        >
            <div id="live-agenda" data-live="agenda">{grid}</div>
        </ZoneScope>
        {super::updates_panel::updates_panel(&view, lang)}
    };
    layout::frame(
        format!("{} — {}", t!("nav.schedule", locale = lang), s.event.name),
        Some(view.clone()),
        body.into_any(),
    )
}

fn day_tabs(
    slug: &str,
    days: &[NaiveDate],
    current: Option<NaiveDate>,
    lang: &str,
) -> Option<impl IntoView + use<>> {
    (days.len() > 1).then(|| {
        let links = days
            .iter()
            .map(|d| {
                let cur = Some(*d) == current;
                view! {
                    <a href=format!("/e/{slug}?day={d}") aria-current=cur.then_some("page")>
                        {d.format("%a %d.%m").to_string()}
                    </a>
                }
            })
            .collect_view();
        view! { <nav class="day-tabs" aria-label=t!("schedule.days", locale = lang).to_string()>{links}</nav> }
    })
}

/// A session's time as an island that can switch zones.
pub fn time_of(view: &EventView, t: chrono::DateTime<Utc>) -> impl IntoView + use<> {
    view! { <LocalTime utc_ms=t.timestamp_millis() text=format_hhmm(view.tz, t) iso=t.to_rfc3339() /> }
}

fn kind_label(kind: SessionKind, lang: &str) -> String {
    t!(format!("kind.{}", kind.as_str()), locale = lang).to_string()
}

fn speaker_names(s: &Schedule, keys: &[String]) -> String {
    keys.iter()
        .filter_map(|k| s.speaker(k).map(|p| p.name.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Extra marks on the grid: where moved sessions were ("was 17:25"), and
/// sessions to flag (conflicts in a shift preview).
#[derive(Default)]
pub struct GridMarks {
    pub was: HashMap<String, DateTime<Utc>>,
    pub flagged: HashSet<String>,
}

/// The day's grid for `s` (the live schedule, or a shift preview of it).
pub fn grid(
    view: &EventView,
    s: &Schedule,
    a: &DayAgenda<'_>,
    marks: &GridMarks,
    now: DateTime<Utc>,
    lang: &str,
) -> impl IntoView + use<> {
    let slug = &s.event.slug;
    let heads = s
        .tracks
        .iter()
        .map(|t| {
            view! {
                <div class="track-head" style=format!("--track-color:{}", t.color)>
                    {t.name.clone()}
                </div>
            }
        })
        .collect_view();
    let ticks = a
        .ticks
        .iter()
        .map(|(row, label)| view! { <div class="tick" style=format!("--row:{row}")>{label.clone()}</div> })
        .collect_view();
    // A talk on a track whose stream an open incident names is paused,
    // not live: the audience cannot see it.
    let incidents = super::screen::incidents(view);
    let items = a
        .items
        .iter()
        .map(|it| {
            let x = it.session;
            let track = s.track(&x.track);
            let color = track.map(|t| t.color.clone()).unwrap_or_default();
            let mut mark = s.mark(x, now);
            let paused = mark == SessionMark::Live && incidents.iter().any(|i| i.stream_down(&x.track));
            if paused {
                mark = SessionMark::Later;
            }
            let badge = match mark {
                _ if x.cancelled => Some(("badge badge-cancelled", t!("schedule.cancelled", locale = lang).to_string())),
                _ if paused => Some(("badge badge-paused", t!("schedule.paused", locale = lang).to_string())),
                SessionMark::Live => Some(("badge badge-live", t!("schedule.live_now", locale = lang).to_string())),
                SessionMark::UpNext => Some(("badge badge-next", t!("schedule.up_next", locale = lang).to_string())),
                _ => None,
            };
            let was = marks.was.get(&x.guid).map(|w| {
                view! { <span class="was" data-testid="was">{t!("schedule.was", locale = lang, time = format_hhmm(view.tz, *w)).to_string()}" →"</span> }
            });
            let class = format!(
                "slot kind-{}{}{}{}{}{}",
                x.kind.as_str(),
                if x.cancelled { " is-cancelled" } else { "" },
                if mark == SessionMark::Live { " is-live" } else { "" },
                if mark == SessionMark::Past { " is-past" } else { "" },
                if marks.was.contains_key(&x.guid) { " is-moved" } else { "" },
                if marks.flagged.contains(&x.guid) { " is-flagged" } else { "" }
            );
            view! {
                <article
                    class=class
                    data-guid=x.guid.clone()
                    style=format!(
                        "--col:{};--row:{};--span:{};--track-color:{}",
                        it.column,
                        it.row,
                        it.span,
                        color,
                    )
                >
                    <a href=format!("/e/{slug}/talk/{}", x.guid)>
                        <span class="slot-time">{was}{time_of(view, x.start)}"–"{time_of(view, x.end())}</span>
                        {badge.map(|(c, l)| view! { <span class=c>{l}</span> })}
                        <span class="slot-title">{x.title.clone()}</span>
                        <span class="slot-speakers">{speaker_names(s, &x.speakers)}</span>
                        <span class="slot-meta">
                            <span class="slot-track">{track.map(|t| t.name.clone())}</span>
                            {(!matches!(x.kind, SessionKind::Talk | SessionKind::Break)).then(|| view! { <span class="slot-kind">{kind_label(x.kind, lang)}</span> })}
                        </span>
                    </a>
                </article>
            }
        })
        .collect_view();
    view! {
        <div class="agenda" style=format!("--tracks:{};--slots:{}", s.tracks.len().max(1), a.slots)>
            <div class="agenda-heads" aria-hidden="true">
                <div class="tick-head"></div>
                {heads}
            </div>
            <div class="agenda-body">
                {ticks}
                <NowLine
                    day_start_ms=a.start.timestamp_millis()
                    day_end_ms=a.end.timestamp_millis()
                    slot_minutes=SLOT_MINUTES
                    // To the minute, so the page's bytes (and ETag) hold
                    // within it; the island moves the line in the browser.
                    initial=a.now_position(crate::cache_policy::minute_of(now))
                    label=t!("schedule.now", locale = lang).to_string()
                />
                {items}
            </div>
        </div>
    }
}

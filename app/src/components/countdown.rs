//! The countdown island of the screen pages. The server renders it at its
//! own clock (its data comes from `pages::screen_data_for`); in the
//! browser it recomputes the state every second with the same pure
//! `state_at`, on the server's clock (offset measured against
//! `/api/v1/time`), and replaces its data from `/e/{event}/screen.json`
//! whenever the live stream announces a change or the local day turns.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::live::Link;
use crate::domain::screen::{
    ScreenData, ScreenSession, ScreenState, ScreenTrack, Zone, format_duration, state_at,
};

/// The screen's texts, translated on the server. `{time}` (a countdown)
/// and `{at}` (a wall-clock time) are filled in per second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenLabels {
    pub up_next: String,
    pub live_now: String,
    /// A talk is on but its stream is down.
    pub paused: String,
    pub break_time: String,
    pub delayed: String,
    pub done: String,
    pub starts_in: String,
    pub running: String,
    pub next_at: String,
    pub new_start: String,
    pub tomorrow: String,
    /// Heading when nothing is on today and the first session is later.
    pub coming_up: String,
    /// `{date}` and `{at}`: when a session of a later day starts.
    pub on_date: String,
    /// How a date reads: `{weekday}`, `{day}`, `{month}`, `{year}`.
    pub date: String,
    /// January first, in the form `{month}` takes in `date`.
    pub months: Vec<String>,
    /// Monday first.
    pub weekdays: Vec<String>,
    pub reconnecting: String,
    pub clock: String,
}

impl ScreenLabels {
    /// "Monday 23 November", as this language writes a date.
    fn date_of(&self, d: NaiveDate) -> String {
        let pick = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
        self.date
            .replace(
                "{weekday}",
                &pick(&self.weekdays, d.weekday().num_days_from_monday() as usize),
            )
            .replace("{day}", &d.day().to_string())
            .replace("{month}", &pick(&self.months, d.month0() as usize))
            .replace("{year}", &d.year().to_string())
    }

    /// When a session of a later day starts: "Tomorrow at 17:00", or with
    /// its date further ahead.
    fn later_day(&self, d: &ScreenData, today: NaiveDate, start: DateTime<Utc>) -> String {
        let day = d.offsets.day(start);
        let at = d.offsets.hhmm(start);
        if today.succ_opt() == Some(day) {
            self.tomorrow.replace("{at}", &at)
        } else {
            self.on_date
                .replace("{date}", &self.date_of(day))
                .replace("{at}", &at)
        }
    }
}

/// One track's panel as plain text: computing it is pure, so the server's
/// HTML and the first browser render are the same.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Panel {
    slug: String,
    name: String,
    color: String,
    state: &'static str,
    heading: String,
    title: String,
    speakers: String,
    times: String,
    /// Text before the countdown, the countdown, text after it.
    count: (String, String, String),
    note: String,
}

fn fill_time(template: &str, time: String) -> (String, String, String) {
    match template.split_once("{time}") {
        Some((a, b)) => (a.to_owned(), time, b.to_owned()),
        None => (template.to_owned(), time, String::new()),
    }
}

fn panel(t: &ScreenTrack, d: &ScreenData, now: DateTime<Utc>, l: &ScreenLabels) -> Panel {
    let at = |x: DateTime<Utc>| d.offsets.hhmm(x);
    let mut p = Panel {
        slug: t.slug.clone(),
        name: t.name.clone(),
        color: t.color.clone(),
        ..Panel::default()
    };
    let show = |p: &mut Panel, s: &ScreenSession| {
        p.title = s.title.clone();
        p.speakers = s.speakers.clone();
    };
    match state_at(&t.sessions, &d.incidents, &t.slug, now, &d.offsets) {
        ScreenState::UpNext { session, starts_in } => {
            (p.state, p.heading) = ("up-next", l.up_next.clone());
            show(&mut p, &session);
            p.times = format!("{}–{}", at(session.start), at(session.end()));
            p.count = fill_time(&l.starts_in, format_duration(starts_in));
        }
        ScreenState::LiveNow { session, elapsed } => {
            (p.state, p.heading) = ("live", l.live_now.clone());
            show(&mut p, &session);
            p.times = format!("{}–{}", at(session.start), at(session.end()));
            p.count = fill_time(&l.running, format_duration(elapsed));
            // The room is live; a stream incident still deserves a line.
            if let Some(i) = d.incidents.iter().find(|i| i.affects(&t.slug)) {
                p.note = format!("{}: {}", i.name, i.message);
            }
        }
        ScreenState::Paused {
            session,
            elapsed,
            incident,
        } => {
            (p.state, p.heading) = ("paused", l.paused.clone());
            show(&mut p, &session);
            p.times = format!("{}–{}", at(session.start), at(session.end()));
            p.count = fill_time(&l.running, format_duration(elapsed));
            p.note = format!("{}: {}", incident.name, incident.message);
        }
        ScreenState::Break { next } => {
            (p.state, p.heading) = ("break", l.break_time.clone());
            if let Some((s, wait)) = next {
                show(&mut p, &s);
                p.times = l.next_at.replace("{at}", &at(s.start));
                p.count = fill_time(&l.starts_in, format_duration(wait));
            }
        }
        ScreenState::Delayed { incident, next } => {
            (p.state, p.heading) = ("delayed", format!("{} — {}", l.delayed, incident.name));
            p.note = incident.message;
            if let Some((s, wait)) = next {
                show(&mut p, &s);
                p.times = l.new_start.replace("{at}", &at(s.start));
                p.count = fill_time(&l.starts_in, format_duration(wait));
            }
        }
        ScreenState::DoneForToday { next } => {
            (p.state, p.heading) = ("done", l.done.clone());
            if let Some(s) = next {
                show(&mut p, &s);
                p.times = l.later_day(d, d.offsets.day(now), s.start);
            }
        }
        ScreenState::Upcoming { session, starts_in } => {
            (p.state, p.heading) = ("upcoming", l.coming_up.clone());
            show(&mut p, &session);
            p.times = l.later_day(d, d.offsets.day(now), session.start);
            // A countdown in days reads badly; the date says it.
            if starts_in < chrono::Duration::days(1) {
                p.count = fill_time(&l.starts_in, format_duration(starts_in));
            }
        }
    }
    p
}

fn panel_view(p: Panel) -> impl IntoView {
    // Empty parts are `hidden` rather than left out, so every state has the
    // same elements and a tick only patches text.
    let (no_title, no_speakers, no_times) = (
        p.title.is_empty(),
        p.speakers.is_empty(),
        p.times.is_empty(),
    );
    let (no_count, no_note) = (p.count.1.is_empty(), p.note.is_empty());
    view! {
        <section
            class=format!("screen-panel is-{}", p.state)
            data-state=p.state
            data-track=p.slug
            data-testid="screen-panel"
            style=format!("--track-color:{}", p.color)
        >
            <p class="screen-track">{p.name}</p>
            <p class="screen-heading" data-testid="screen-heading">{p.heading}</p>
            <h2 class="screen-title" data-testid="screen-title" hidden=no_title>{p.title}</h2>
            <p class="screen-speakers" data-testid="screen-speakers" hidden=no_speakers>{p.speakers}</p>
            <p class="screen-times" data-testid="screen-times" hidden=no_times>{p.times}</p>
            <p class="screen-count" data-testid="screen-countdown" hidden=no_count>
                {p.count.0}<strong>{p.count.1}</strong>{(!p.count.2.is_empty()).then_some(p.count.2)}
            </p>
            <p class="screen-note" data-testid="screen-note" hidden=no_note>{p.note}</p>
        </section>
    }
}

/// Grid columns for `n` panels: 1, 2 (up to 4), 3 (up to 9), ….
fn columns(n: usize) -> usize {
    (1..).find(|c| c * c >= n).unwrap_or(1)
}

#[island]
pub fn Countdown(
    /// Event slug, for the live stream and data URLs.
    event: String,
    /// One track, or every track (the lobby).
    track: Option<String>,
    data: ScreenData,
    labels: ScreenLabels,
) -> impl IntoView {
    // The first render uses the server's render time, so it matches the
    // server's HTML; the clock takes over in an effect.
    let now_s = RwSignal::new(data.server_now_ms.div_euclid(1000));
    let data = RwSignal::new(data);
    let link = RwSignal::new(Link::Connecting);
    let reconnecting = labels.reconnecting.clone();
    let clock_label = labels.clock.clone();
    let screen = Memo::new(move |_| {
        let now = DateTime::from_timestamp(now_s.get(), 0).unwrap_or_default();
        data.with(|d| {
            let panels: Vec<Panel> = d.tracks.iter().map(|t| panel(t, d, now, &labels)).collect();
            (d.event.clone(), d.offsets.hhmm(now), panels)
        })
    });
    Effect::new(move |_| browser::start(&event, track.as_deref(), data, now_s, link));
    view! {
        <div
            class="screen-inner"
            data-testid="screen"
            data-now-ms=move || (now_s.get() * 1000).to_string()
            data-link=move || link.get().as_str()
        >
            <header class="screen-bar">
                <span class="screen-event">{move || screen.with(|s| s.0.clone())}</span>
                <span class="screen-link" role="status" hidden=move || link.get() != Link::Reconnecting>
                    {reconnecting}
                </span>
                // A label a screen reader reads before the digits (an
                // aria-label on a plain span is not read reliably).
                <span class="visually-hidden">{clock_label}</span>
                <span class="screen-clock" data-testid="screen-clock">
                    {move || screen.with(|s| s.1.clone())}
                </span>
            </header>
            <div class="screen-grid" style=move || format!("--cols:{}", screen.with(|s| columns(s.2.len())))>
                {move || screen.with(|s| s.2.clone()).into_iter().map(panel_view).collect_view()}
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::SessionKind;
    use crate::domain::screen::Offsets;

    fn labels() -> ScreenLabels {
        let words = |s: &str| s.split(", ").map(str::to_owned).collect();
        ScreenLabels {
            up_next: "Up next".into(),
            live_now: "Live now".into(),
            paused: "Paused — technical difficulties".into(),
            break_time: "Break".into(),
            delayed: "Delayed".into(),
            done: "No more sessions today".into(),
            starts_in: "Starts in {time}".into(),
            running: "Running for {time}".into(),
            next_at: "Next at {at}".into(),
            new_start: "New start: {at}".into(),
            tomorrow: "Tomorrow at {at}".into(),
            coming_up: "Coming up".into(),
            on_date: "{date} at {at}".into(),
            date: "{weekday} {day} {month}".into(),
            months: words(
                "January, February, March, April, May, June, July, August, September, \
                 October, November, December",
            ),
            weekdays: words("Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday"),
            reconnecting: "Reconnecting…".into(),
            clock: "Current time".into(),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// Track 2 in Moscow: a talk on Monday the 23rd and one on Wednesday.
    fn data() -> ScreenData {
        let talk = |title: &str, start: &str| ScreenSession {
            title: title.into(),
            speakers: String::new(),
            kind: SessionKind::Talk,
            start: at(start),
            duration_min: 40,
        };
        ScreenData {
            event: "Demo".into(),
            tz: "Europe/Moscow".into(),
            offsets: Offsets(vec![(0, 3 * 3600)]),
            day: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            server_now_ms: 0,
            tracks: vec![ScreenTrack {
                slug: "track-2".into(),
                name: "Track 2".into(),
                color: "#000".into(),
                sessions: vec![
                    talk("Opening", "2026-11-23T14:00:00Z"),
                    talk("Closing", "2026-11-25T14:00:00Z"),
                ],
            }],
            incidents: vec![],
        }
    }

    #[test]
    fn ahead_of_the_event_the_panel_names_the_first_session_and_its_date() {
        let d = data();
        let p = panel(&d.tracks[0], &d, at("2026-11-20T09:00:00Z"), &labels());
        assert_eq!(
            (p.state, p.heading.as_str(), p.title.as_str()),
            ("upcoming", "Coming up", "Opening")
        );
        assert_eq!(p.times, "Monday 23 November at 17:00");
        assert_eq!(p.count, Default::default(), "no countdown in days");
        let eve = panel(&d.tracks[0], &d, at("2026-11-22T19:00:00Z"), &labels());
        assert_eq!(eve.times, "Tomorrow at 17:00");
        assert_eq!(eve.count.1, "19:00:00");
        // After the opening day's talk, the next one is two days away.
        let done = panel(&d.tracks[0], &d, at("2026-11-23T18:00:00Z"), &labels());
        assert_eq!((done.state, done.title.as_str()), ("done", "Closing"));
        assert_eq!(done.times, "Wednesday 25 November at 17:00");
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::time::Duration;

    use chrono::{DateTime, NaiveDate};
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::{JsFuture, spawn_local};
    use web_sys::EventSource;

    use super::Link;
    use crate::domain::change::ChangeKind;
    use crate::domain::screen::{ScreenData, Zone};

    /// How often the clock is read. The shown second is always recomputed
    /// from `Date.now() + offset`, never counted up, so it cannot drift;
    /// this only bounds how late a digit turns.
    const TICK: Duration = Duration::from_millis(250);
    /// Re-measure the offset now and then: device clocks get corrected.
    const RESYNC: Duration = Duration::from_secs(600);
    /// How often a dead live stream (closed by an HTTP error) is reopened.
    const WATCHDOG: Duration = Duration::from_secs(5);
    /// Retry a day's data this often when fetching it failed.
    const DAY_RETRY_MS: f64 = 10_000.0;

    type Callback = Closure<dyn FnMut(web_sys::Event)>;

    struct Screen {
        data_url: String,
        data: RwSignal<ScreenData>,
        now_s: RwSignal<i64>,
        /// Server clock minus browser clock, in ms.
        offset: Cell<f64>,
        busy: Cell<bool>,
        again: Cell<bool>,
        /// The day last asked for because the local date turned, and when.
        day_asked: Cell<(Option<NaiveDate>, f64)>,
    }

    pub fn start(
        event: &str,
        track: Option<&str>,
        data: RwSignal<ScreenData>,
        now_s: RwSignal<i64>,
        link: RwSignal<Link>,
    ) {
        let render_ms = data.with_untracked(|d| d.server_now_ms) as f64;
        let track_param = track.map(|t| format!("track={t}&")).unwrap_or_default();
        let s = Rc::new(Screen {
            data_url: format!("/e/{event}/screen.json?{track_param}"),
            data,
            now_s,
            // Until measured, the render time is the best guess (late by
            // the page's load time).
            offset: Cell::new(render_ms - js_sys::Date::now()),
            busy: Cell::new(false),
            again: Cell::new(false),
            day_asked: Cell::new((None, 0.0)),
        });
        let ticker = s.clone();
        set_interval(move || ticker.tick(), TICK);
        sync(s.clone());
        let syncer = s.clone();
        set_interval(move || sync(syncer.clone()), RESYNC);
        follow(&format!("/e/{event}/live"), s, link);
    }

    impl Screen {
        /// The day the data is for.
        fn data_day(&self) -> NaiveDate {
            self.data.with_untracked(|d| d.day)
        }

        /// The event's local date at `sec`.
        fn today(&self, sec: i64) -> Option<NaiveDate> {
            let t = DateTime::from_timestamp(sec, 0)?;
            Some(self.data.with_untracked(|d| d.offsets.day(t)))
        }

        fn tick(self: &Rc<Self>) {
            let ms = js_sys::Date::now() + self.offset.get();
            let sec = (ms / 1000.0).floor() as i64;
            if sec != self.now_s.get_untracked() {
                self.now_s.set(sec);
            }
            // Past local midnight (or once the clock is corrected onto
            // another day) the sessions must be the new day's.
            let today = self.today(sec);
            if today.is_some() && today != Some(self.data_day()) {
                let (asked, when) = self.day_asked.get();
                if asked != today || ms - when > DAY_RETRY_MS {
                    self.day_asked.set((today, ms));
                    self.refresh();
                }
            }
        }

        /// One fetch at a time; changes meanwhile coalesce into one more.
        fn refresh(self: &Rc<Self>) {
            if self.busy.replace(true) {
                self.again.set(true);
                return;
            }
            let s = self.clone();
            spawn_local(async move {
                loop {
                    s.again.set(false);
                    let day = s.today(s.now_s.get_untracked()).unwrap_or(s.data_day());
                    let fresh = get_text(&format!("{}day={day}", s.data_url))
                        .await
                        .ok()
                        .and_then(|t| serde_json::from_str::<ScreenData>(&t).ok());
                    // Replaced whole, never appended: memory stays flat.
                    if let Some(d) = fresh {
                        s.data.set(d);
                    }
                    if !s.again.get() {
                        break;
                    }
                }
                s.busy.set(false);
            });
        }
    }

    #[derive(serde::Deserialize)]
    struct TimeReply {
        now_ms: f64,
    }

    /// Measures the offset to the server's clock: of three round trips the
    /// shortest, taking the server's reading as of its midpoint.
    fn sync(s: Rc<Screen>) {
        spawn_local(async move {
            let mut best: Option<(f64, f64)> = None;
            for _ in 0..3 {
                let t0 = js_sys::Date::now();
                let Ok(text) = get_text("/api/v1/time").await else {
                    continue;
                };
                let t1 = js_sys::Date::now();
                let Ok(r) = serde_json::from_str::<TimeReply>(&text) else {
                    continue;
                };
                let sample = (t1 - t0, r.now_ms - (t0 + t1) / 2.0);
                if best.is_none_or(|b| sample.0 < b.0) {
                    best = Some(sample);
                }
            }
            if let Some((_, offset)) = best {
                s.offset.set(offset);
                s.tick();
            }
        });
    }

    async fn get_text(url: &str) -> Result<String, JsValue> {
        let window = web_sys::window().ok_or("no window")?;
        let init = web_sys::RequestInit::new();
        init.set_cache(web_sys::RequestCache::NoStore);
        let resp: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
            .await?
            .dyn_into()?;
        if !resp.ok() {
            return Err(JsValue::from_str("HTTP error"));
        }
        JsFuture::from(resp.text()?)
            .await?
            .as_string()
            .ok_or_else(|| "not text".into())
    }

    /// The live stream with its listeners, made once and re-attached when
    /// the stream has to be reopened, so reconnects allocate nothing new.
    struct Feed {
        url: String,
        es: RefCell<Option<EventSource>>,
        listeners: Vec<(&'static str, Callback)>,
    }

    impl Feed {
        fn open(&self) {
            let Ok(es) = EventSource::new(&self.url) else {
                return;
            };
            for (kind, cb) in &self.listeners {
                let f = cb.as_ref().unchecked_ref();
                match *kind {
                    "open" => es.set_onopen(Some(f)),
                    "error" => es.set_onerror(Some(f)),
                    k => {
                        let _ = es.add_event_listener_with_callback(k, f);
                    }
                }
            }
            if let Some(old) = self.es.replace(Some(es)) {
                old.close();
            }
        }

        fn closed(&self) -> bool {
            self.es
                .borrow()
                .as_ref()
                .is_none_or(|e| e.ready_state() == EventSource::CLOSED)
        }
    }

    fn follow(url: &str, s: Rc<Screen>, link: RwSignal<Link>) {
        let on_hello = {
            let s = s.clone();
            move |_| {
                link.set(Link::Live);
                // Changes between the data's fetch and this (re)connect
                // were not streamed to us: fetch the data on every hello,
                // the first too (the load's fetch may have been answered
                // before a change the stream, not yet open, then missed).
                // It also measures the clock again.
                sync(s.clone());
                s.refresh();
            }
        };
        let mut listeners: Vec<(&'static str, Callback)> = vec![
            ("open", Closure::new(move |_| link.set(Link::Live))),
            ("error", Closure::new(move |_| link.set(Link::Reconnecting))),
            ("hello", Closure::new(on_hello)),
        ];
        let kinds = ChangeKind::ALL
            .into_iter()
            .filter(|k| k.shown_on_screens())
            .map(ChangeKind::as_str);
        for kind in kinds.chain(["resync"]) {
            let s = s.clone();
            listeners.push((kind, Closure::new(move |_| s.refresh())));
        }
        let feed = Rc::new(Feed {
            url: url.to_owned(),
            es: RefCell::new(None),
            listeners,
        });
        feed.open();
        set_interval(
            move || {
                if feed.closed() {
                    feed.open();
                }
            },
            WATCHDOG,
        );
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use leptos::prelude::RwSignal;

    use crate::domain::screen::ScreenData;

    pub fn start(
        _: &str,
        _: Option<&str>,
        _: RwSignal<ScreenData>,
        _: RwSignal<i64>,
        _: RwSignal<super::Link>,
    ) {
    }
}

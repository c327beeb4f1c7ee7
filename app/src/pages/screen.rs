//! `/e/{event}/screen/{track}` (one track) and `/e/{event}/screen` (the
//! lobby: every track in a grid): full-screen countdowns for stream
//! overlays and venue displays. No shared frame, no navigation, nothing to
//! click: a bare 16:9 layout whose state the server renders at its clock
//! (enough without JavaScript, refreshed by a `<noscript>` meta refresh),
//! then the `Countdown` island keeps it current. Organisers find every
//! screen's URL, with the options, at `/admin/e/{event}/screens`.

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use leptos_meta::{Body, Html, Title};
use leptos_router::hooks::use_params_map;
use rust_i18n::t;

use super::request;
use crate::components::{Countdown, ScreenLabels};
use crate::domain::screen::{ScreenData, ScreenIncident, screen_data};
use crate::domain::status::IncidentStatus;
use crate::domain::time::local_date;
use crate::markdown;
use crate::read_model::EventView;

/// The countdown island's data (its props, and `/e/{event}/screen.json`)
/// from the read model: `track` (or all), for local `day` (default: today
/// at `now`); `None` for an unknown track.
pub fn screen_data_for(
    view: &EventView,
    track: Option<&str>,
    day: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Option<ScreenData> {
    let day = day.unwrap_or_else(|| local_date(view.tz, now));
    screen_data(&view.schedule, view.tz, incidents(view), track, day, now)
}

/// What screens announce: open incidents and running maintenance, each
/// with the tracks it reaches and its latest words as plain text.
pub(super) fn incidents(view: &EventView) -> Vec<ScreenIncident> {
    view.status
        .incidents
        .iter()
        .filter(|i| !i.status.is_closed() && i.status != IncidentStatus::Scheduled)
        .map(|i| ScreenIncident {
            name: i.name.clone(),
            message: i
                .updates
                .iter()
                .map(|u| markdown::to_plain(&u.body_md))
                .find(|t| !t.is_empty())
                .unwrap_or_default(),
            reach: view.status.reach_of(i),
        })
        .collect()
}

/// `?theme=`: `dark` or `light`; anything else is the system's.
pub(super) fn parse_theme(v: Option<&str>) -> Option<&'static str> {
    match v {
        Some("dark") => Some("dark"),
        Some("light") => Some("light"),
        _ => None,
    }
}

/// `?scale=`, bounded so a typo cannot make the screen unreadable or huge.
pub(super) fn parse_scale(v: Option<&str>) -> Option<f64> {
    v.and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite())
        .map(|s| s.clamp(0.25, 4.0))
}

/// How a screen looks, from its query string.
struct Look {
    transparent: bool,
    /// `dark`, `light`, or `auto` (the system's).
    theme: &'static str,
    scale: f64,
}

impl Look {
    fn from_query() -> Self {
        let on =
            |k: &str| request::query(k).is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes"));
        Self {
            transparent: on("transparent"),
            theme: parse_theme(request::query("theme").as_deref()).unwrap_or("auto"),
            scale: parse_scale(request::query("scale").as_deref()).unwrap_or(1.0),
        }
    }

    fn html_class(&self) -> String {
        format!(
            "screen-html theme-{}{}",
            self.theme,
            if self.transparent {
                " is-transparent"
            } else {
                ""
            }
        )
    }
}

fn labels(lang: &str) -> ScreenLabels {
    let l = |k: &str| t!(k, locale = lang).to_string();
    let time = |k: &str| t!(k, locale = lang, time = "{time}").to_string();
    let at = |k: &str| t!(k, locale = lang, at = "{at}").to_string();
    let list = |k: &str| l(k).split(',').map(|w| w.trim().to_owned()).collect();
    ScreenLabels {
        up_next: l("screen.up_next"),
        live_now: l("screen.live_now"),
        paused: l("screen.paused"),
        break_time: l("screen.break"),
        delayed: l("screen.delayed"),
        done: l("screen.done"),
        starts_in: time("screen.starts_in"),
        running: time("screen.running"),
        next_at: at("screen.next_at"),
        new_start: at("screen.new_start"),
        tomorrow: at("screen.tomorrow"),
        coming_up: l("screen.coming_up"),
        on_date: t!(
            "screen.on_date",
            locale = lang,
            date = "{date}",
            at = "{at}"
        )
        .to_string(),
        date: l("screen.date"),
        months: list("screen.months"),
        weekdays: list("screen.weekdays"),
        reconnecting: l("screen.reconnecting"),
        clock: l("screen.clock"),
    }
}

/// A bare page (no frame) saying what is missing, with a 404.
fn missing(message: String, lang: &str) -> AnyView {
    request::set_status(http::StatusCode::NOT_FOUND);
    view! {
        <Title text=t!("error.not_found", locale = lang).to_string() />
        <main class="screen screen-missing">
            <h1>{t!("error.not_found", locale = lang).to_string()}</h1>
            <p>{message}</p>
        </main>
    }
    .into_any()
}

pub fn render() -> AnyView {
    let params = use_params_map().read_untracked().clone();
    let slug = params.get("event").unwrap_or_default();
    let track = params.get("track");
    let lang = request::lang();
    let Some(view) = request::state().read_model.get(&slug) else {
        return missing(t!("error.no_event", locale = lang).to_string(), lang);
    };
    // Whole seconds, exactly as the island counts, so hydration matches.
    let now = DateTime::from_timestamp(super::request::now().timestamp(), 0).unwrap_or_default();
    let Some(data) = screen_data_for(&view, track.as_deref(), None, now) else {
        let name = track.unwrap_or_default();
        return missing(
            t!("screen.no_track", locale = lang, track = name).to_string(),
            lang,
        );
    };
    // Time-dependent and carrying the server's clock: never cached.
    request::set_no_store();
    let look = Look::from_query();
    let title = match data.tracks.as_slice() {
        [one] if track.is_some() => format!("{} — {}", one.name, data.event),
        _ => format!(
            "{} — {}",
            t!("screen.all_tracks", locale = lang),
            data.event
        ),
    };
    let class = format!(
        "screen theme-{}{}{}",
        look.theme,
        if look.transparent {
            " is-transparent"
        } else {
            ""
        },
        if track.is_none() {
            " is-lobby"
        } else {
            " is-single"
        },
    );
    view! {
        <Title text=title />
        <Html {..} class=look.html_class() />
        <Body {..} class="screen-body" />
        // Without JavaScript the page reloads itself; with it, `noscript`
        // is inert and the island does the updating.
        <noscript><meta http-equiv="refresh" content="30" /></noscript>
        <main class=class style=format!("--scale:{}", look.scale)>
            <Countdown event=slug track=track data=data labels=labels(lang) />
        </main>
    }
    .into_any()
}

//! `/e/{event}/talk/{guid}`: one session with its abstract.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use rust_i18n::t;

use super::layout;
use super::request;
use super::schedule::time_of;
use crate::components::ZoneScope;
use crate::domain::schedule::SessionMark;
use crate::domain::time::offset_label;
use crate::markdown;

pub fn render() -> AnyView {
    let guid = use_params_map()
        .read_untracked()
        .get("guid")
        .unwrap_or_default();
    let lang = request::lang();
    let (slug, view) = match layout::route_event() {
        Ok(found) => found,
        Err(page) => return page,
    };
    let s = &view.schedule;
    let Some(x) = s.session(&guid) else {
        return layout::not_found_with(t!("error.no_session", locale = lang).to_string());
    };
    let now = request::now();
    request::set_public_cache(&view, now);
    let track = s
        .track(&x.track)
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let speakers = x
        .speakers
        .iter()
        .filter_map(|k| s.speaker(k))
        .map(|p| view! { <li>{p.name.clone()}</li> })
        .collect_view();
    let paused = super::screen::incidents(&view)
        .iter()
        .any(|i| i.stream_down(&x.track));
    let badge = match s.mark(x, now) {
        _ if x.cancelled => Some(t!("schedule.cancelled", locale = lang).to_string()),
        SessionMark::Live if paused => Some(t!("schedule.paused", locale = lang).to_string()),
        SessionMark::Live => Some(t!("schedule.live_now", locale = lang).to_string()),
        SessionMark::UpNext => Some(t!("schedule.up_next", locale = lang).to_string()),
        _ => None,
    };
    let zone = format!("{} ({})", s.event.time_zone, offset_label(view.tz, x.start));
    let facts = view! {
                <dl class="facts">
                    <dt>{t!("session.track", locale = lang).to_string()}</dt>
                    <dd>{track}</dd>
                    <dt>{t!("nav.schedule", locale = lang).to_string()}</dt>
                    <dd>
                        {x.start.with_timezone(&view.tz).format("%Y-%m-%d ").to_string()}
                        {view.history.was(&x.guid, x.start).map(|w| view! {
                            <span class="was" data-testid="was">{t!("schedule.was", locale = lang, time = crate::domain::time::format_hhmm(view.tz, w)).to_string()}" → "</span>
                        })}
                        {time_of(&view, x.start)}"–"{time_of(&view, x.end())}
                        " · "{t!("session.minutes", locale = lang, count = x.duration_min).to_string()}
                    </dd>
                    {x.language.clone().map(|l| view! {
                        <dt>{t!("session.language", locale = lang).to_string()}</dt>
                        <dd>{l}</dd>
                    })}
                </dl>
    }
    .into_any();
    let body = view! {
        <article class="session-page">
            <p><a href=format!("/e/{slug}")>"← "{t!("session.back", locale = lang).to_string()}</a></p>
            <h1>{x.title.clone()}</h1>
            {badge.map(|b| view! { <p class="badge badge-live">{b}</p> })}
            <ZoneScope
                event_label=t!("schedule.times_in", locale = lang, zone = zone).to_string()
                local_label=t!("schedule.your_time", locale = lang, zone = "{zone}").to_string()
                show_local=t!("schedule.show_local", locale = lang).to_string()
                show_event=t!("schedule.show_event", locale = lang).to_string()
            >
                {facts}
            </ZoneScope>
            <h2>{t!("session.speakers", locale = lang).to_string()}</h2>
            <ul class="speakers">{speakers}</ul>
            <div class="abstract" inner_html=markdown::to_html(&x.abstract_md)></div>
        </article>
    };
    layout::frame(
        format!("{} — {}", x.title, s.event.name),
        Some(view.clone()),
        body.into_any(),
    )
}

//! `/s/{token}`: a speaker's own page — their sessions (with "was → now"
//! when moved) and a countdown to the next one. The server's middleware
//! resolved the secret link into a `SpeakerScope`; without one, 404.

use chrono::Utc;
use leptos::prelude::*;
use rust_i18n::t;

use super::{layout, request};
use crate::components::StartsIn;
use crate::domain::time::format_hhmm;

/// Which speaker's page this request may show (set by the middleware).
#[derive(Debug, Clone)]
pub struct SpeakerScope {
    pub event_slug: String,
    pub speaker_key: String,
}

pub fn render() -> AnyView {
    let lang = request::lang();
    let scope = request::extension::<SpeakerScope>();
    let view = scope
        .as_ref()
        .and_then(|s| request::state().read_model.get(&s.event_slug));
    let (Some(scope), Some(view)) = (scope, view) else {
        return layout::not_found_with(String::new());
    };
    let Some(speaker) = view.schedule.speaker(&scope.speaker_key).cloned() else {
        return layout::not_found_with(String::new());
    };
    if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
        r.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("private, no-store"),
        );
        r.insert_header(
            http::header::REFERRER_POLICY,
            http::HeaderValue::from_static("no-referrer"),
        );
    }
    let now = Utc::now();
    let slug = view.schedule.event.slug.clone();
    let mut mine: Vec<_> = view
        .schedule
        .sessions
        .iter()
        .filter(|s| s.speakers.contains(&speaker.key))
        .collect();
    mine.sort_by_key(|s| s.start);
    let next = mine.iter().find(|s| s.end() > now).map(|s| {
        view! {
            <StartsIn
                target_ms=s.start.timestamp_millis()
                server_ms=now.timestamp_millis()
                template=t!("speaker.on_in", locale = lang).to_string()
                now_text=t!("speaker.on_now", locale = lang).to_string()
            />
            <p class="muted">{s.title.clone()}</p>
        }
    });
    let none = next
        .is_none()
        .then(|| view! { <p>{t!("speaker.none", locale = lang).to_string()}</p> });
    let rows = mine
        .iter()
        .map(|s| {
            let track = view.schedule.track(&s.track).map(|t| t.name.clone()).unwrap_or_default();
            let was = view.history.was(&s.guid, s.start).map(|w| {
                view! { <span class="was">{t!("schedule.was", locale = lang, time = format_hhmm(view.tz, w)).to_string()}" → "</span> }
            });
            view! {
                <li data-guid=s.guid.clone()>
                    {was}
                    <strong>{format!("{}–{}", format_hhmm(view.tz, s.start), format_hhmm(view.tz, s.end()))}</strong>
                    {format!(" {} · ", s.start.with_timezone(&view.tz).format("%Y-%m-%d"))}
                    <a href=format!("/e/{slug}/talk/{}", s.guid)>{s.title.clone()}</a>
                    {format!(" · {track}")}
                </li>
            }
        })
        .collect_view();
    let body = view! {
        <h1>{t!("speaker.hello", locale = lang, name = speaker.name.clone()).to_string()}</h1>
        <section class="card">
            <div id="live-speaker" data-live="speaker">
                {next}
                {none}
                <h2>{t!("speaker.sessions", locale = lang).to_string()}</h2>
                <ul class="plain">{rows}</ul>
            </div>
        </section>
        <p class="muted small">{t!("speaker.private", locale = lang).to_string()}</p>
    };
    layout::frame(speaker.name.clone(), Some(view.clone()), body.into_any())
}

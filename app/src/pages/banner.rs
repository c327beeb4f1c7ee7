//! The open-incident banner every public page of an event carries, naming
//! the tracks an incident affects. It sits in a `[data-live]` region, so
//! open pages pick up new incidents and updates without a reload.

use leptos::prelude::*;
use rust_i18n::t;

use super::status_labels;
use crate::domain::status::{IncidentReach, IncidentStatus};
use crate::markdown;
use crate::read_model::EventView;
use crate::store::IncidentRecord;

/// Incidents to announce: open ones, running maintenance, and maintenance
/// due within the next 24 hours (the notice beforehand).
pub fn announced(view: &EventView) -> Vec<&IncidentRecord> {
    let soon = super::request::now() + chrono::Duration::hours(24);
    view.status
        .incidents
        .iter()
        .filter(|i| {
            !i.status.is_closed()
                && (i.status != IncidentStatus::Scheduled
                    || i.scheduled_for.is_some_and(|f| f <= soon))
        })
        .collect()
}

/// What the incident reaches, in words: "Track 1, Track 2", "all streams"
/// or "the whole event"; nothing when it reaches no track (the website
/// alone). The same rule as screens and push: [`IncidentReach`].
pub fn affected_tracks(view: &EventView, incident: &IncidentRecord, lang: &str) -> Option<String> {
    let tracks = match view.status.reach_of(incident) {
        IncidentReach::Event => return Some(t!("banner.whole_event", locale = lang).to_string()),
        IncidentReach::NoTrack => return None,
        IncidentReach::Tracks(t) => t,
    };
    let all = &view.schedule.tracks;
    if all.len() > 1 && all.iter().all(|t| tracks.contains(&t.slug)) {
        return Some(t!("banner.all_streams", locale = lang).to_string());
    }
    let names: Vec<&str> = all
        .iter()
        .filter(|t| tracks.contains(&t.slug))
        .map(|t| t.name.as_str())
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

pub fn banner(view: &EventView, lang: &str) -> AnyView {
    let slug = view.schedule.event.slug.clone();
    let items = announced(view)
        .into_iter()
        .map(|i| {
            let latest = i.updates.first().map(|u| markdown::to_html(&u.body_md)).unwrap_or_default();
            let window = i.scheduled_for.zip(i.scheduled_until).map(|(a, b)| {
                let fmt = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&view.tz).format("%Y-%m-%d %H:%M").to_string();
                view! { <p class="banner-window">{format!("{} – {}", fmt(a), fmt(b))}</p> }
            });
            let affects = affected_tracks(view, i, lang).map(|w| {
                view! { <p class="banner-affects">{t!("banner.affects", locale = lang, what = w).to_string()}</p> }
            });
            view! {
                <div class=format!("banner impact-{}", i.impact.as_str()) data-incident=i.id role="alert">
                    <p class="banner-title">
                        <strong>{i.name.clone()}</strong>
                        " — "
                        <span class="banner-status">{status_labels::incident(i.status, lang)}</span>
                    </p>
                    {window}
                    {affects}
                    <div class="banner-body" inner_html=latest></div>
                    <a href=format!("/e/{slug}/status")>{t!("banner.details", locale = lang).to_string()}</a>
                </div>
            }
        })
        .collect_view();
    view! { <div id="live-banner" data-live="banner" class="banners">{items}</div> }.into_any()
}

//! `/e/{event}/status`: overall status, components with 90-day uptime bars,
//! open incidents with their timelines, upcoming maintenance, past
//! incidents. All server-rendered; live regions refresh it in place.

use chrono::{DateTime, Duration, Utc};
use leptos::prelude::*;
use rust_i18n::t;

use super::layout;
use super::request;
use super::status_labels;
use crate::domain::status::{ComponentStatus, overall_indicator, uptime_days, uptime_percent};
use crate::read_model::EventView;
use crate::store::{ComponentRecord, IncidentRecord};

pub const UPTIME_DAYS: u32 = 90;

pub fn render() -> AnyView {
    let lang = request::lang();
    let (_, view) = match layout::route_event() {
        Ok(found) => found,
        Err(page) => return page,
    };
    let now = request::now();
    request::set_public_cache(&view, now);
    let body = view! {
        <h1>{format!("{} — {}", view.schedule.event.name, t!("status.title", locale = lang))}</h1>
        <div id="status-main" data-live="status">{status_body(&view, now, lang)}</div>
        {super::updates_panel::updates_panel(&view, lang)}
    };
    layout::frame(
        format!(
            "{} — {}",
            t!("status.title", locale = lang),
            view.schedule.event.name
        ),
        Some(view.clone()),
        body.into_any(),
    )
}

/// Wall-clock time in the event's zone with the date, for timelines.
fn when(view: &EventView, t: DateTime<Utc>) -> impl IntoView + use<> {
    let local = t.with_timezone(&view.tz);
    view! { <time datetime=t.to_rfc3339()>{local.format("%Y-%m-%d %H:%M").to_string()}</time> }
}

fn status_body(view: &EventView, now: DateTime<Utc>, lang: &str) -> AnyView {
    let st = &view.status;
    let statuses: Vec<ComponentStatus> = st.components.iter().map(|c| c.status).collect();
    let open: Vec<&IncidentRecord> = st
        .incidents
        .iter()
        .filter(|i| !i.status.is_closed() && !i.is_maintenance)
        .collect();
    let indicator = overall_indicator(
        &statuses,
        &open.iter().map(|i| i.impact).collect::<Vec<_>>(),
    );
    let stale = (!request::state().db_available()).then(|| {
        view! { <p class="stale" role="status">{t!("status.stale", locale = lang, time = view.built_at.with_timezone(&view.tz).format("%H:%M:%S").to_string()).to_string()}</p> }
    });
    let maintenance: Vec<&IncidentRecord> = st
        .incidents
        .iter()
        .filter(|i| i.is_maintenance && !i.status.is_closed())
        .collect();
    let past: Vec<&IncidentRecord> = st
        .incidents
        .iter()
        .filter(|i| {
            i.status.is_closed() && i.resolved_at.is_some_and(|r| r > now - Duration::days(90))
        })
        .collect();
    view! {
        {stale}
        <section class=format!("overall indicator-{}", indicator.as_str()) data-testid="overall">
            <p>{status_labels::indicator(indicator, lang)}</p>
            <p class="muted small">{t!("status.updated", locale = lang, time = view.changed_at.with_timezone(&view.tz).format("%H:%M:%S").to_string()).to_string()}</p>
        </section>
        {(!open.is_empty()).then(|| view! {
            <section aria-labelledby="h-open">
                <h2 id="h-open">{t!("status.open_incidents", locale = lang).to_string()}</h2>
                {open.iter().map(|i| incident_card(view, i, lang)).collect_view()}
            </section>
        })}
        {(!maintenance.is_empty()).then(|| view! {
            <section aria-labelledby="h-maint">
                <h2 id="h-maint">{t!("status.maintenance", locale = lang).to_string()}</h2>
                {maintenance.iter().map(|i| incident_card(view, i, lang)).collect_view()}
            </section>
        })}
        <section aria-labelledby="h-components">
            <h2 id="h-components">{t!("status.components", locale = lang).to_string()}</h2>
            <ul class="components">
                {st.components.iter().map(|c| component_row(view, c, now, lang)).collect_view()}
            </ul>
        </section>
        <section aria-labelledby="h-past">
            <h2 id="h-past">{t!("status.past_incidents", locale = lang).to_string()}</h2>
            {if past.is_empty() {
                view! { <p class="muted">{t!("status.no_past", locale = lang).to_string()}</p> }.into_any()
            } else {
                past.iter().map(|i| incident_card(view, i, lang)).collect_view().into_any()
            }}
        </section>
    }
    .into_any()
}

fn incident_card(view: &EventView, i: &IncidentRecord, lang: &str) -> impl IntoView + use<> {
    let updates = i
        .updates
        .iter()
        .map(|u| {
            // Text, never markup: the organiser typed a name, not HTML.
            let signed = u.signature.clone().map(|name| {
                view! { <p class="signature" data-testid="signature">{t!("status.signed", locale = lang, name = name).to_string()}</p> }
            });
            view! {
                <li>
                    <strong>{status_labels::update_of(i, u, lang)}</strong>
                    " · "
                    {when(view, u.created_at)}
                    <div class="update-body" inner_html=crate::markdown::to_html(&u.body_md)></div>
                    {signed}
                </li>
            }
        })
        .collect_view();
    let window = i.scheduled_for.zip(i.scheduled_until).map(|(a, b)| {
        view! { <p class="muted">{when(view, a)}" – "{when(view, b)}</p> }
    });
    let affects = super::banner::affected_tracks(view, i, lang)
        .map(|w| view! { <p class="muted">{t!("banner.affects", locale = lang, what = w).to_string()}</p> });
    let postmortem = i.postmortem_md.as_ref().map(|md| {
        view! {
            <section class="postmortem" data-testid="postmortem">
                <h4>{t!("team.postmortem", locale = lang).to_string()}</h4>
                <div class="update-body" inner_html=crate::markdown::to_html(md)></div>
            </section>
        }
    });
    view! {
        <article class=format!("incident impact-{}", i.impact.as_str()) id=format!("incident-{}", i.id) data-incident=i.id>
            <h3>
                {i.name.clone()}
                " "
                <span class="pill">{status_labels::impact(i.impact, lang)}</span>
                " "
                <span class="pill" data-testid="incident-status">{status_labels::incident_of(i, lang)}</span>
            </h3>
            {window}
            {affects}
            {postmortem}
            <ol class="timeline">{updates}</ol>
        </article>
    }
}

fn component_row(
    view: &EventView,
    c: &ComponentRecord,
    now: DateTime<Utc>,
    lang: &str,
) -> impl IntoView + use<> {
    let history = view.status.history.get(&c.id).cloned().unwrap_or_default();
    let days = uptime_days(&history, view.tz, now, UPTIME_DAYS);
    // A monitored component shows what its checks measured, not only
    // what its status said.
    let measured = view.status.measured.get(&c.id).cloned().unwrap_or_default();
    let pct = match crate::domain::monitor::measured_percent(&measured) {
        Some(p) => t!(
            "monitors.measured_uptime",
            locale = lang,
            pct = format!("{p:.2}")
        )
        .to_string(),
        None => uptime_percent(&days)
            .map(|p| t!("status.uptime", locale = lang, pct = format!("{p:.2}")).to_string())
            .unwrap_or_else(|| t!("status.no_data", locale = lang).to_string()),
    };
    let bars = days
        .iter()
        .map(|d| {
            let (level, tip) = match d.worst {
                None => ("none", t!("status.no_data", locale = lang).to_string()),
                Some(w) => {
                    let mut parts = Vec::new();
                    for (status, min) in [
                        (ComponentStatus::MajorOutage, d.major_min),
                        (ComponentStatus::PartialOutage, d.partial_min),
                        (ComponentStatus::DegradedPerformance, d.degraded_min),
                    ] {
                        if min > 0 {
                            parts.push(format!(
                                "{} {}",
                                status_labels::component(status, lang),
                                t!("status.minutes_down", locale = lang, min = min)
                            ));
                        }
                    }
                    let tip = if parts.is_empty() { t!("status.no_downtime", locale = lang).to_string() } else { parts.join(", ") };
                    (w.as_str(), tip)
                }
            };
            let checked = measured.iter().find(|m| m.date == d.date).map(|m| {
                t!("monitors.measured_day", locale = lang, ok = m.checks - m.failures, checks = m.checks).to_string()
            });
            let label = match checked {
                Some(c) => format!("{}: {tip}; {c}", d.date),
                None => format!("{}: {tip}", d.date),
            };
            view! { <li class=format!("bar lvl-{level}") tabindex="0" aria-label=label.clone() data-tip=label></li> }
        })
        .collect_view();
    view! {
        <li class="component" data-component=c.id data-status=c.status.as_str()>
            <div class="component-head">
                <span class="component-name">{c.name.clone()}</span>
                <span class=format!("component-status st-{}", c.status.as_str())>{status_labels::component(c.status, lang)}</span>
            </div>
            <ol class="uptime" aria-label=pct.clone()>{bars}</ol>
            <div class="uptime-legend muted small">
                <span>{t!("status.days_ago", locale = lang).to_string()}</span>
                <span>{pct}</span>
                <span>{t!("status.today", locale = lang).to_string()}</span>
            </div>
        </li>
    }
}

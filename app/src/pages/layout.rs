//! The frame every page shares: skip link, header with navigation and the
//! language switcher, footer; and the not-found page.

use leptos::prelude::*;
use leptos_meta::Title;
use rust_i18n::t;

use std::sync::Arc;

use super::request;
use crate::components::{LangSwitch, LiveRegions};
use crate::domain::access::Action;
use crate::read_model::EventView;

/// Every page of an event carries the event's navigation, its open-incident
/// banner and the live link that keeps both current.
pub fn frame(title: String, event: Option<Arc<EventView>>, body: AnyView) -> AnyView {
    let lang = request::lang();
    let user = request::current_user();
    let (brand_href, brand) = match &event {
        Some(e) => (
            format!("/e/{}", e.schedule.event.slug),
            e.schedule.event.name.clone(),
        ),
        None => ("/".to_owned(), "Marquee".to_owned()),
    };
    let event_links = event.as_ref().map(|e| {
        let slug = &e.schedule.event.slug;
        view! {
            <a href=format!("/e/{slug}")>{t!("nav.schedule", locale = lang).to_string()}</a>
            <a href=format!("/e/{slug}/status")>{t!("nav.status", locale = lang).to_string()}</a>
            <a href=format!("/e/{slug}/changes")>{t!("nav.changes", locale = lang).to_string()}</a>
        }
    });
    let live = event.as_ref().map(|e| {
        view! {
            <LiveRegions
                event=e.schedule.event.slug.clone()
                after=e.seq
                live_label=t!("live.on", locale = lang).to_string()
                reconnecting_label=t!("live.reconnecting", locale = lang).to_string()
            />
        }
    });
    let banner = event.as_ref().map(|e| super::banner::banner(e, lang));
    let account = if let Some(u) = user {
        view! {
            <a href="/admin">{t!("nav.admin", locale = lang).to_string()}</a>
            <form method="post" action="/logout" class="inline-form">
                <input type="hidden" name="csrf" value=u.csrf_token />
                <button type="submit" class="link-button">{t!("nav.logout", locale = lang).to_string()}</button>
            </form>
        }
        .into_any()
    } else {
        view! { <a href="/login">{t!("nav.login", locale = lang).to_string()}</a> }.into_any()
    };
    view! {
        <Title text=title />
        <a class="skip-link" href="#main">{t!("nav.skip", locale = lang).to_string()}</a>
        <header class="topbar">
            <a class="brand" href=brand_href>{brand}</a>
            <nav class="topnav" aria-label="Marquee">
                {event_links}
                {account}
                {live}
            </nav>
            <LangSwitch
                current=lang.to_owned()
                action=request::path()
                label=t!("nav.language", locale = lang).to_string()
                apply=t!("nav.apply", locale = lang).to_string()
            />
        </header>
        <main id="main" tabindex="-1">
            {banner}
            {body}
        </main>
        <footer class="footer">"Marquee"</footer>
    }
    .into_any()
}

/// The event named by the route's `:event`, with its slug, from the read
/// model; or, when there is none, the 404 page to render instead.
pub fn route_event() -> Result<(String, Arc<EventView>), AnyView> {
    let slug = leptos_router::hooks::use_params_map()
        .read_untracked()
        .get("event")
        .unwrap_or_default();
    match request::state().read_model.get(&slug) {
        Some(view) => Ok((slug, view)),
        None => Err(not_found_with(
            t!("error.no_event", locale = request::lang()).to_string(),
        )),
    }
}

/// An organiser page's user and event: signed in (else off to the login
/// page), allowed to see this event (else a 403), the event known (else a
/// 404), and the answer never cached.
pub fn admin_route_event() -> Result<(request::CurrentUser, String, Arc<EventView>), AnyView> {
    let Some(user) = request::current_user() else {
        leptos_axum::redirect("/login");
        return Err(().into_any());
    };
    let slug = leptos_router::hooks::use_params_map()
        .read_untracked()
        .get("event")
        .unwrap_or_default();
    request::set_no_store();
    // Before the 404: someone without access learns nothing of which
    // events exist.
    if let Err(denied) = user.check(Action::View, &slug) {
        return Err(forbidden(denied.to_string()));
    }
    let (slug, view) = route_event()?;
    Ok((user, slug, view))
}

/// A 403 page: signed in, but this is not theirs to see.
pub fn forbidden(message: String) -> AnyView {
    let lang = request::lang();
    request::set_status(http::StatusCode::FORBIDDEN);
    frame(
        t!("error.forbidden", locale = lang).to_string(),
        None,
        view! {
            <section class="notice" data-testid="forbidden">
                <h1>{t!("error.forbidden", locale = lang).to_string()}</h1>
                <p>{message}</p>
                <p><a href="/admin">{t!("nav.admin", locale = lang).to_string()}</a></p>
            </section>
        }
        .into_any(),
    )
}

/// A 404 page with a message and a way back.
pub fn not_found_with(message: String) -> AnyView {
    let lang = request::lang();
    request::set_status(http::StatusCode::NOT_FOUND);
    frame(
        t!("error.not_found", locale = lang).to_string(),
        None,
        view! {
            <section class="notice">
                <h1>{t!("error.not_found", locale = lang).to_string()}</h1>
                <p>{message}</p>
                <p><a href="/">{t!("error.home", locale = lang).to_string()}</a></p>
            </section>
        }
        .into_any(),
    )
}

pub fn not_found() -> AnyView {
    not_found_with(String::new())
}

//! `/admin`: the organiser area. The server's auth middleware has already
//! resolved the session cookie; without a user this redirects to `/login`.

use leptos::prelude::*;
use rust_i18n::t;

use super::{layout, request};
use crate::domain::access::{Action, Role};

pub fn render() -> AnyView {
    let lang = request::lang();
    let Some(user) = request::current_user() else {
        leptos_axum::redirect("/login");
        return ().into_any();
    };
    request::set_no_store();
    let events: Vec<_> = request::state()
        .read_model
        .all()
        .into_iter()
        .filter(|v| user.access.may(Action::View, &v.schedule.event.slug))
        .collect();
    let list = if events.is_empty() {
        view! { <p>{t!("admin.no_events", locale = lang).to_string()}</p> }.into_any()
    } else {
        events
            .iter()
            .map(|v| {
                let s = &v.schedule;
                let tracks = s
                    .tracks
                    .iter()
                    .map(|tr| {
                        let count = s.sessions.iter().filter(|x| x.track == tr.slug).count();
                        view! {
                            <tr>
                                <td><span class="swatch" style=format!("--track-color:{}", tr.color)></span>{tr.name.clone()}</td>
                                <td><code>{tr.slug.clone()}</code></td>
                                <td>{count}</td>
                                <td>{tr.stream_url.clone().unwrap_or_default()}</td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! {
                    <section class="card" data-event=s.event.slug.clone()>
                        <h2><a href=format!("/e/{}", s.event.slug)>{s.event.name.clone()}</a></h2>
                        <p class="row">
                            <a class="button" href=format!("/admin/e/{}", s.event.slug)>{t!("admin.manage", locale = lang).to_string()}</a>
                            <a class="button" href=format!("/admin/e/{}/shift", s.event.slug)>{t!("shift.title", locale = lang).to_string()}</a>
                        </p>
                        <p class="muted" data-testid="role">{t!("admin.your_role", locale = lang, role = role_label(user.access.role_on(&s.event.slug), lang)).to_string()}</p>
                        <p class="muted">
                            {format!("{} – {} · ", s.event.start_date, s.event.end_date)}
                            {t!("admin.time_zone", locale = lang).to_string()}": "{s.event.time_zone.clone()}" · "
                            {t!("schedule.version", locale = lang, version = s.version).to_string()}
                        </p>
                        <table class="table">
                            <thead>
                                <tr>
                                    <th scope="col">{t!("admin.tracks", locale = lang).to_string()}</th>
                                    <th scope="col">"slug"</th>
                                    <th scope="col">{t!("admin.sessions", locale = lang).to_string()}</th>
                                    <th scope="col">{t!("admin.stream", locale = lang).to_string()}</th>
                                </tr>
                            </thead>
                            <tbody>{tracks}</tbody>
                        </table>
                    </section>
                }
            })
            .collect_view()
            .into_any()
    };
    let body = view! {
        <h1>{t!("admin.title", locale = lang).to_string()}</h1>
        <p class="muted" data-testid="signed-in-as">{t!("admin.signed_in_as", locale = lang, email = user.email).to_string()}</p>
        <h2>{t!("admin.events", locale = lang).to_string()}</h2>
        {list}
    };
    layout::frame(
        t!("admin.title", locale = lang).to_string(),
        None,
        body.into_any(),
    )
}

/// A role's name in the page's language.
pub fn role_label(role: Option<Role>, lang: &str) -> String {
    match role {
        Some(r) => t!(format!("role.{}", r.as_str()), locale = lang).to_string(),
        None => "-".to_owned(),
    }
}

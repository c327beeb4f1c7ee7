//! The dashboard's closed incidents with their postmortems: markdown the
//! team writes once an incident is over, shown on the incident on the
//! public status page and as `postmortem_body` in the Statuspage JSON.
//! Communicators and owners edit; others read.

use leptos::prelude::*;
use rust_i18n::t;

use super::request::CurrentUser;
use crate::domain::access::Action;
use crate::read_model::EventView;

pub fn section(view: &EventView, user: &CurrentUser, lang: &str) -> impl IntoView + use<> {
    let slug = view.schedule.event.slug.clone();
    let may_edit = user.access.may(Action::Incidents, &slug);
    let closed = view
        .status
        .incidents
        .iter()
        .filter(|i| i.status.is_closed() && !i.is_maintenance)
        .map(|i| {
            let id = format!("pm-{}", i.id);
            let text = i.postmortem_md.clone().unwrap_or_default();
            let editor = may_edit.then(|| {
                view! {
                    <form method="post" action=format!("/admin/e/{slug}/incidents/{}/postmortem", i.id) class="stack">
                        <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                        <label for=id.clone()>{t!("team.postmortem", locale = lang).to_string()}</label>
                        <textarea id=id.clone() name="body" rows="4">{text.clone()}</textarea>
                        <p class="muted small">{t!("team.postmortem_hint", locale = lang).to_string()}</p>
                        <button type="submit">{t!("team.postmortem_save", locale = lang).to_string()}</button>
                    </form>
                }
            });
            let shown = (!may_edit && !text.is_empty()).then(|| {
                view! { <div class="update-body" inner_html=crate::markdown::to_html(&text)></div> }
            });
            view! {
                <article class="incident" data-closed-incident=i.id>
                    <h3>{i.name.clone()}</h3>
                    {editor}
                    {shown}
                </article>
            }
        })
        .collect::<Vec<_>>();
    (!closed.is_empty()).then(|| {
        view! {
            <section class="card" aria-labelledby="h-closed">
                <h2 id="h-closed">{t!("team.closed_incidents", locale = lang).to_string()}</h2>
                {closed}
            </section>
        }
    })
}

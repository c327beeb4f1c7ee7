//! "Get updates" on the public status and schedule pages: every way to
//! hear of a change in one place. Push needs JavaScript (its control shows
//! itself when the browser can); the e-mail form (only when this server
//! has an SMTP server) and the feeds work without it.

use leptos::prelude::*;
use rust_i18n::t;

use super::request;
use crate::read_model::EventView;

pub fn updates_panel(view: &EventView, lang: &'static str) -> AnyView {
    let tr = |k: &str| t!(k, locale = lang).to_string();
    let slug = view.schedule.event.slug.clone();
    let email = request::state().email_enabled.then(|| {
        let tracks = view
            .schedule
            .tracks
            .iter()
            .map(|track| {
                view! {
                    <label class="check">
                        <input type="checkbox" name="track" value=track.slug.clone() />
                        " "{track.name.clone()}
                    </label>
                }
            })
            .collect_view();
        let langs = crate::i18n::LANGS
            .iter()
            .map(|(code, name)| view! { <option value={*code} selected={*code == lang}>{*name}</option> })
            .collect_view();
        view! {
            <form id="email-form" method="post" action=format!("/e/{slug}/email") class="email-form">
                <h3 id="email-heading">{tr("email.heading")}</h3>
                <p>
                    <label for="email-address">{tr("email.address_label")}</label>" "
                    <input id="email-address" type="email" name="address" required autocomplete="email" />
                </p>
                <fieldset>
                    <legend>{tr("push.scope_legend")}</legend>
                    <label class="check"><input type="radio" name="scope" value="all" checked /> " "{tr("push.scope_all")}</label>
                    <label class="check"><input type="radio" name="scope" value="tracks" /> " "{tr("push.scope_tracks")}</label>
                    <div>{tracks}</div>
                </fieldset>
                <p>
                    <label for="email-lang">{tr("email.lang_label")}</label>" "
                    <select id="email-lang" name="lang">{langs}</select>
                </p>
                <p>
                    <label for="email-zone">{tr("email.zone_label")}</label>" "
                    <input id="email-zone" name="time_zone" value=view.schedule.event.time_zone.clone() />
                </p>
                <button type="submit">{tr("email.subscribe")}</button>
            </form>
        }
    });
    view! {
        <section id="updates" class="card updates" aria-labelledby="updates-heading">
            <h2 id="updates-heading">{tr("updates.heading")}</h2>
            {super::push_control::push_control(view, lang, None)}
            {email}
            <h3>{tr("updates.feeds")}</h3>
            <ul class="feeds">
                <li><a href=format!("/e/{slug}/incidents.atom")>{tr("updates.incidents_atom")}</a></li>
                <li><a href=format!("/e/{slug}/changes.atom")>{tr("updates.changes_atom")}</a></li>
                <li><a href=format!("/e/{slug}/schedule.ics")>{tr("updates.calendar")}</a></li>
            </ul>
        </section>
    }
    .into_any()
}

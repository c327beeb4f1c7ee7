//! The "Notify me" control on public pages. It is rendered hidden: only
//! `/push.js` (progressive enhancement, next to the service worker) shows
//! it, once it knows this browser can receive Web Push. Every string it
//! may show is rendered here, in the page's language, as data attributes.

use leptos::prelude::*;
use rust_i18n::t;

use crate::read_model::EventView;

/// The control for an event page; `speaker_token` on a speaker's own page
/// (their subscription then covers their sessions, no choice to make).
pub fn push_control(
    view: &EventView,
    lang: &'static str,
    speaker_token: Option<String>,
) -> AnyView {
    let tr = |k: &str| t!(k, locale = lang).to_string();
    let slug = view.schedule.event.slug.clone();
    let scope = speaker_token.is_none().then(|| {
        let tracks = view
            .schedule
            .tracks
            .iter()
            .map(|tr| {
                view! {
                    <label class="check">
                        <input type="checkbox" name="track" value=tr.slug.clone() />
                        " "{tr.name.clone()}
                    </label>
                }
            })
            .collect_view();
        view! {
            <fieldset class="push-scope">
                <legend>{tr("push.scope_legend")}</legend>
                <label class="check"><input type="radio" name="scope" value="all" checked /> " "{tr("push.scope_all")}</label>
                <label class="check"><input type="radio" name="scope" value="tracks" /> " "{tr("push.scope_tracks")}</label>
                <div class="push-tracks">{tracks}</div>
                <label class="check"><input type="radio" name="scope" value="sessions" /> " "{tr("push.scope_sessions")}</label>
            </fieldset>
        }
    });
    let intro = speaker_token
        .is_some()
        .then(|| view! { <p class="muted">{tr("speaker.push_intro")}</p> });
    view! {
        <section
            id="push"
            class="card push"
            hidden
            aria-labelledby="push-heading"
            data-event=slug
            data-lang=lang
            data-speaker=speaker_token.unwrap_or_default()
            data-msg-on=tr("push.msg_on")
            data-msg-off=tr("push.msg_off")
            data-msg-denied=tr("push.msg_denied")
            data-msg-unsupported=tr("push.msg_unsupported")
            data-msg-error=tr("push.msg_error")
            data-msg-no-stars=tr("push.msg_no_stars")
            data-msg-no-tracks=tr("push.msg_no_tracks")
            data-star=tr("push.star")
            data-unstar=tr("push.unstar")
        >
            <h2 id="push-heading">{tr("push.heading")}</h2>
            {intro}
            <form id="push-form">
                {scope}
                <button type="submit" id="push-subscribe">{tr("push.subscribe")}</button>
                " "
                <button type="button" id="push-unsubscribe" class="secondary" hidden>{tr("push.unsubscribe")}</button>
                <p id="push-status" role="status" aria-live="polite"></p>
            </form>
        </section>
    }
    .into_any()
}

//! `/admin/e/{event}/speakers`: each speaker, whether they have a secret
//! link (and since when), and a button that issues a new one (revoking the
//! old). A new link's URL is shown once, to the organiser who issued it:
//! only its hash is stored, so it cannot be shown again later.

use leptos::prelude::*;
use rust_i18n::t;

use super::{layout, request};
use crate::components::CopyButton;
use crate::domain::access::Action;
use crate::store::SpeakerLangs;

pub fn render() -> AnyView {
    let (user, slug, view) = match layout::admin_route_event() {
        Ok(x) => x,
        Err(v) => return v,
    };
    let lang = request::lang();
    let fresh: Vec<(String, String)> = request::state()
        .issued_links
        .lock()
        .map(|mut m| m.remove(&user.csrf_token).unwrap_or_default())
        .unwrap_or_default();
    let may_issue = user.access.may(Action::Speakers, &slug);
    // The language each speaker is mailed in, as stored (the server puts
    // it on the request): the form shows it rather than the first one.
    let langs = request::extension::<SpeakerLangs>().unwrap_or_default();
    let mut speakers = view.schedule.speakers.clone();
    speakers.sort_by(|a, b| a.name.cmp(&b.name));
    let rows = speakers
        .iter()
        .map(|s| {
            let talks = view.schedule.sessions.iter().filter(|x| x.speakers.contains(&s.key)).count();
            let status = match view.history.links.get(&s.key) {
                Some(at) => t!("speakers.link_since", locale = lang, when = at.with_timezone(&view.tz).format("%Y-%m-%d %H:%M").to_string()).to_string(),
                None => t!("speakers.no_link", locale = lang).to_string(),
            };
            let shown = fresh.iter().rev().find(|(k, _)| *k == s.key).map(|(_, url)| {
                let id = format!("link-{}", s.key);
                view! {
                    <div class="fresh-link">
                        <label for=id.clone()>{t!("speakers.new_link", locale = lang).to_string()}</label>
                        <input id=id.clone() class="screen-url" readonly value=url.clone() />
                        <CopyButton
                            target=id
                            label=t!("screen.copy", locale = lang).to_string()
                            done=t!("screen.copied", locale = lang).to_string()
                        />
                    </div>
                }
            });
            view! {
                <tr data-speaker=s.key.clone()>
                    <td>{s.name.clone()}</td>
                    <td>{talks}</td>
                    <td>{status}{shown}</td>
                    <td>{mail_form(s, langs.0.get(&s.key).map(String::as_str), &slug, &user.csrf_token, may_issue, lang)}</td>
                    <td>
                        {may_issue.then(|| view! {
                            <form method="post" action=format!("/admin/e/{slug}/speakers/{}/link", s.key) class="inline-form">
                                <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                                <button type="submit">{t!("speakers.issue", locale = lang).to_string()}</button>
                            </form>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let body = view! {
        <h1>{t!("speakers.title", locale = lang).to_string()}</h1>
        <p class="muted">{t!("speakers.intro", locale = lang).to_string()}</p>
        <div class="table-wrap">
            <table class="board">
                <thead>
                    <tr>
                        <th scope="col">{t!("board.speaker", locale = lang).to_string()}</th>
                        <th scope="col">{t!("speakers.sessions", locale = lang).to_string()}</th>
                        <th scope="col">{t!("speakers.link", locale = lang).to_string()}</th>
                        <th scope="col">{t!("email.speaker_label", locale = lang).to_string()}</th>
                        <th scope="col"><span class="visually-hidden">{t!("speakers.issue", locale = lang).to_string()}</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    };
    layout::frame(
        t!("speakers.title", locale = lang).to_string(),
        Some(view.clone()),
        body.into_any(),
    )
}

/// The address (and language) a speaker is mailed at; a form for those
/// who may manage speakers, else just whether there is one.
fn mail_form(
    s: &crate::domain::schedule::Speaker,
    stored_lang: Option<&str>,
    slug: &str,
    csrf: &str,
    may_edit: bool,
    lang: &'static str,
) -> AnyView {
    let current = s.email.clone().unwrap_or_default();
    if !may_edit {
        return current.into_any();
    }
    let id = format!("email-{}", s.key);
    let langs = crate::i18n::LANGS
        .iter()
        .map(|(code, name)| {
            view! { <option value={*code} selected=stored_lang == Some(*code)>{*name}</option> }
        })
        .collect_view();
    view! {
        <form method="post" action=format!("/admin/e/{slug}/speakers/{}/email", s.key) class="inline-form">
            <input type="hidden" name="csrf" value=csrf.to_owned() />
            <label class="visually-hidden" for=id.clone()>{t!("email.address_label", locale = lang).to_string()}</label>
            <input id=id.clone() type="email" name="email" value=current autocomplete="off" />
            <label class="visually-hidden" for=format!("{id}-lang")>{t!("email.lang_label", locale = lang).to_string()}</label>
            <select id=format!("{id}-lang") name="lang">{langs}</select>
            <button type="submit">{t!("email.save", locale = lang).to_string()}</button>
        </form>
    }
    .into_any()
}

//! `/admin/e/{event}/templates`: the event's own incident templates. A
//! template stored under a built-in's key (`stream_down`, `delayed`)
//! replaces it for this event; others are added to the dashboard's choice
//! and to `marquee incident open --template`. Communicators and owners
//! edit them; everyone on the team sees them.

use leptos::prelude::*;
use rust_i18n::t;

use super::team::{TemplatesData, team_nav};
use super::{layout, request};
use crate::domain::access::Action;

/// The dashboard's template choice: the event's own templates, then the
/// built-ins they do not replace. (The stored ones come on the request.)
pub fn choices(lang: &str) -> impl IntoView + use<> {
    let TemplatesData(own) =
        request::extension::<TemplatesData>().unwrap_or(TemplatesData(Vec::new()));
    let builtin = BUILT_IN
        .into_iter()
        .filter(|k| !own.iter().any(|t| t.key == *k))
        .map(|k| {
            (
                k.to_owned(),
                t!(format!("template.{k}.title"), locale = lang).to_string(),
            )
        });
    own.iter()
        .map(|t| (t.key.clone(), t.title.clone()))
        .chain(builtin)
        .map(|(key, title)| view! { <option value=key>{title}</option> })
        .collect_view()
}

/// The built-in templates the dashboard offers to open an incident with.
const BUILT_IN: [&str; 2] = ["stream_down", "delayed"];

pub fn render() -> AnyView {
    let (user, slug, view) = match layout::admin_route_event() {
        Ok(x) => x,
        Err(v) => return v,
    };
    let lang = request::lang();
    let may_edit = user.access.may(Action::Incidents, &slug);
    let TemplatesData(templates) =
        request::extension::<TemplatesData>().unwrap_or(TemplatesData(Vec::new()));
    let error = request::form_error().map(|m| {
        view! { <p class="error" role="alert" data-testid="form-error">{t!("admin.error", locale = lang, message = m).to_string()}</p> }
    });
    let form = |key: String, title: String, body: String, n: usize| {
        let id = |f: &str| format!("tpl-{n}-{f}");
        let delete = (!key.is_empty()).then(|| {
            view! {
                <form method="post" action=format!("/admin/e/{slug}/templates/{key}/delete") class="inline-form">
                    <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                    <button type="submit" class="danger">{t!("templates.delete", locale = lang).to_string()}</button>
                </form>
            }
        });
        view! {
            <form method="post" action=format!("/admin/e/{slug}/templates") class="stack" data-template=key.clone()>
                <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                <label for=id("key")>{t!("templates.key", locale = lang).to_string()}</label>
                <input id=id("key") name="key" value=key.clone() required pattern="[a-z0-9][a-z0-9_-]*" readonly=!key.is_empty() />
                <label for=id("title")>{t!("templates.title_field", locale = lang).to_string()}</label>
                <input id=id("title") name="title" value=title required maxlength="200" />
                <label for=id("body")>{t!("templates.body", locale = lang).to_string()}</label>
                <textarea id=id("body") name="body" rows="4" required>{body}</textarea>
                <button type="submit">{t!("templates.save", locale = lang).to_string()}</button>
            </form>
            {delete}
        }
    };
    let list = templates
        .iter()
        .enumerate()
        .map(|(n, tpl)| {
            if may_edit {
                form(tpl.key.clone(), tpl.title.clone(), tpl.body_md.clone(), n).into_any()
            } else {
                view! {
                    <article data-template=tpl.key.clone()>
                        <h3>{tpl.title.clone()}" "<code>{tpl.key.clone()}</code></h3>
                        <div class="update-body" inner_html=crate::markdown::to_html(&tpl.body_md)></div>
                    </article>
                }
                .into_any()
            }
        })
        .collect_view();
    let add = may_edit.then(|| {
        view! {
            <section aria-labelledby="h-new-template">
                <h2 id="h-new-template">{t!("templates.new", locale = lang).to_string()}</h2>
                {form(String::new(), String::new(), String::new(), templates.len())}
            </section>
        }
    });
    let body = view! {
        <h1>{format!("{} — {}", view.schedule.event.name, t!("team.templates", locale = lang))}</h1>
        {team_nav(&slug, lang)}
        {error}
        <p class="muted">{t!("templates.intro", locale = lang).to_string()}</p>
        {list}
        {add}
    };
    layout::frame(
        t!("team.templates", locale = lang).to_string(),
        Some(view.clone()),
        body.into_any(),
    )
}

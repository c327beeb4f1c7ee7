//! `/admin/e/{event}/screens`: every countdown screen's URL, for whoever
//! sets up OBS or the venue displays. A GET form picks the options (theme,
//! language, transparent, scale) and the URLs below follow them; each has a
//! Copy button once hydrated, and stays selectable without JavaScript.

use leptos::prelude::*;
use rust_i18n::t;

use super::layout;
use super::request;
use super::screen::{parse_scale, parse_theme};
use crate::components::CopyButton;
use crate::i18n::LANGS;
use crate::read_model::EventView;

/// The screen options chosen in the form, as they go into a screen URL.
#[derive(Debug, Clone, PartialEq, Default)]
struct ScreenOptions {
    theme: Option<&'static str>,
    lang: Option<&'static str>,
    transparent: bool,
    /// `None` for the default size (1).
    scale: Option<f64>,
}

impl ScreenOptions {
    /// From this page's query; anything unknown is left out, so every URL
    /// shown is one the screen understands. `screen_lang`, not `lang`:
    /// `lang` is this page's own language.
    fn from_query() -> Self {
        let lang = request::query("screen_lang")
            .and_then(|l| LANGS.iter().map(|(c, _)| *c).find(|c| *c == l));
        // The screen's own parsing, so the URL says what you get.
        let scale = parse_scale(request::query("scale").as_deref())
            .filter(|s| (s - 1.0).abs() > f64::EPSILON);
        Self {
            theme: parse_theme(request::query("theme").as_deref()),
            lang,
            transparent: request::query("transparent").is_some_and(|v| v == "1"),
            scale,
        }
    }

    /// `?theme=dark&lang=ru…`, or nothing for the defaults.
    fn query(&self) -> String {
        let mut parts = Vec::new();
        if self.transparent {
            parts.push("transparent=1".to_owned());
        }
        if let Some(t) = self.theme {
            parts.push(format!("theme={t}"));
        }
        if let Some(l) = self.lang {
            parts.push(format!("lang={l}"));
        }
        if let Some(s) = self.scale {
            parts.push(format!("scale={s}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

pub fn render() -> AnyView {
    let lang = request::lang();
    let (_, slug, view) = match layout::admin_route_event() {
        Ok(found) => found,
        Err(page) => return page,
    };
    let opts = ScreenOptions::from_query();
    let body = view! {
        <h1>{format!("{} — {}", view.schedule.event.name, t!("screen.help_title", locale = lang))}</h1>
        <p><a href=format!("/admin/e/{slug}")>{t!("admin.manage", locale = lang).to_string()}</a></p>
        <p>{t!("screen.help_intro", locale = lang).to_string()}</p>
        {form(&opts, &slug, lang)}
        {url_table(&view, &opts, lang)}
    };
    layout::frame(
        t!("screen.help_title", locale = lang).to_string(),
        Some(view.clone()),
        body.into_any(),
    )
}

fn form(opts: &ScreenOptions, slug: &str, lang: &'static str) -> impl IntoView + use<> {
    let themes = [
        ("", t!("screen.theme_auto", locale = lang).to_string()),
        ("dark", t!("screen.theme_dark", locale = lang).to_string()),
        ("light", t!("screen.theme_light", locale = lang).to_string()),
    ]
    .map(|(v, label)| view! { <option value=v selected=opts.theme.unwrap_or("") == v>{label}</option> });
    let langs = std::iter::once(("", t!("screen.lang_default", locale = lang).to_string()))
        .chain(LANGS.iter().map(|(c, n)| (*c, (*n).to_owned())))
        .map(|(v, label)| view! { <option value=v selected=opts.lang.unwrap_or("") == v>{label}</option> })
        .collect_view();
    let scale = opts.scale.unwrap_or(1.0).to_string();
    view! {
        <form method="get" action=format!("/admin/e/{slug}/screens") class="screen-options" data-testid="screen-options">
            <input type="hidden" name="lang" value=lang />
            <label for="screen-theme">{t!("screen.form_theme", locale = lang).to_string()}</label>
            <select id="screen-theme" name="theme">{themes}</select>
            <label for="screen-lang">{t!("screen.form_lang", locale = lang).to_string()}</label>
            <select id="screen-lang" name="screen_lang">{langs}</select>
            <label for="screen-scale">{t!("screen.form_scale", locale = lang).to_string()}</label>
            <input id="screen-scale" name="scale" type="number" min="0.25" max="4" step="0.05" value=scale />
            <label class="check">
                <input type="checkbox" name="transparent" value="1" checked=opts.transparent />
                {t!("screen.form_transparent", locale = lang).to_string()}
            </label>
            <button type="submit">{t!("screen.form_apply", locale = lang).to_string()}</button>
        </form>
    }
}

fn url_table(view: &EventView, opts: &ScreenOptions, lang: &'static str) -> impl IntoView + use<> {
    let s = &view.schedule;
    let base = format!("{}/e/{}/screen", request::state().public_url, s.event.slug);
    let query = opts.query();
    let row = |i: usize, name: String, url: String| {
        let id = format!("screen-url-{i}");
        view! {
            <tr>
                <th scope="row"><label for=id.clone()>{name}</label></th>
                <td><input id=id.clone() class="screen-url" readonly value=url.clone() /></td>
                <td>
                    <CopyButton
                        target=id
                        label=t!("screen.copy", locale = lang).to_string()
                        done=t!("screen.copied", locale = lang).to_string()
                    />
                    " "
                    <a href=url target="_blank" rel="noopener">{t!("screen.open", locale = lang).to_string()}</a>
                </td>
            </tr>
        }
    };
    let rows = std::iter::once((
        t!("screen.all_tracks", locale = lang).to_string(),
        format!("{base}{query}"),
    ))
    .chain(
        s.tracks
            .iter()
            .map(|tr| (tr.name.clone(), format!("{base}/{}{query}", tr.slug))),
    )
    .enumerate()
    .map(|(i, (name, url))| row(i, name, url))
    .collect_view();
    let options = ["transparent", "theme", "lang", "scale"]
        .map(|o| view! { <li>{t!(format!("screen.opt_{o}"), locale = lang).to_string()}</li> });
    view! {
        <table class="screen-urls" data-testid="screen-urls">
            <tbody>{rows}</tbody>
        </table>
        <h2>{t!("screen.help_options", locale = lang).to_string()}</h2>
        <ul>{options.into_iter().collect_view()}</ul>
    }
}

//! `/admin/e/{event}/talks`: re-plan one talk — move it (time and/or
//! track), swap two, cancel or restore one. Every form is a GET that shows
//! the preview (what changes, the warnings) without JavaScript; "Apply"
//! posts exactly what was previewed, with the schedule version it was
//! previewed on and the CSRF token, to `/admin/e/{event}/change`.

use leptos::prelude::*;
use rust_i18n::t;

use super::conflict_text::conflict_text;
use super::layout;
use super::request::{self, CurrentUser};
use crate::change_input::{ChangeForm, parse};
use crate::domain::access::Action;
use crate::domain::replan::{ChangePreview, Slot, plan_change};
use crate::domain::schedule::{Session, SessionKind};
use crate::domain::time::format_hhmm;
use crate::read_model::EventView;

pub fn render() -> AnyView {
    let lang = request::lang();
    let (user, _, view) = match layout::admin_route_event() {
        Ok(found) => found,
        Err(page) => return page,
    };
    let form: ChangeForm = request::query_as();
    // A step of an open proposal is planned on the schedule it would make.
    let amending = super::proposal::amending(&view, &form.amends);
    let base = amending.as_ref().map_or(&view.schedule, |(_, s)| s);
    let outcome = (!form.op.trim().is_empty()).then(|| {
        form.input(true)
            .and_then(|i| parse(base, &i))
            .and_then(|cmd| plan_change(base, view.tz, &cmd.request).map_err(Into::into))
    });
    let error = request::form_error()
        .or_else(|| match &outcome {
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
        .map(|m| view! { <p class="error" role="alert" data-testid="change-error">{t!("admin.error", locale = lang, message = m).to_string()}</p> });
    let amends = amending.as_ref().map(|(id, _)| *id);
    let preview = match outcome {
        Some(Ok(c)) => Some(preview_part(&view, &c, &form, amends, &user, lang)),
        _ => None,
    };
    let body = view! {
        <h1>{format!("{} — {}", view.schedule.event.name, t!("replan.title", locale = lang))}</h1>
        {error}
        {super::proposal::amending_note(&view, amends, lang)}
        {preview}
        {super::proposal::open_list(&view, lang)}
        {swap_form(&view, lang)}
        {talks(&view, &user, lang)}
    };
    layout::frame(
        t!("replan.title", locale = lang).to_string(),
        Some(view.clone()),
        body.into_any(),
    )
}

fn slot_text(view: &EventView, s: &Slot, lang: &str) -> String {
    if s.cancelled {
        return t!("schedule.cancelled", locale = lang).to_string();
    }
    let track = view
        .schedule
        .track(&s.track)
        .map_or(s.track.as_str(), |t| t.name.as_str());
    format!(
        "{} {}–{}",
        track,
        format_hhmm(view.tz, s.start),
        format_hhmm(view.tz, s.end())
    )
}

fn preview_part(
    view: &EventView,
    c: &ChangePreview,
    form: &ChangeForm,
    amends: Option<i64>,
    user: &CurrentUser,
    lang: &str,
) -> AnyView {
    let slug = view.schedule.event.slug.clone();
    let edits = c
        .edits
        .iter()
        .map(|e| {
            view! {
                <li>
                    <strong>{e.title.clone()}</strong>": "
                    {slot_text(view, &e.before, lang)}" → "{slot_text(view, &e.after, lang)}
                </li>
            }
        })
        .collect_view();
    let conflicts = (!c.conflicts.is_empty()).then(|| {
        let items = c
            .conflicts
            .iter()
            .map(|x| view! { <li>{conflict_text(&view.schedule, x, lang)}</li> })
            .collect_view();
        view! { <h3>{t!("shift.conflicts", locale = lang).to_string()}</h3><ul class="conflicts" data-testid="conflicts">{items}</ul> }
    });
    let apply = user.access.may(Action::Schedule, &slug).then(|| {
        view! {
            <form method="post" action=format!("/admin/e/{slug}/change") class="stack">
                <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                <input type="hidden" name="op" value=form.op.clone() />
                <input type="hidden" name="version" value=c.base_version.to_string() />
                <input type="hidden" name="guid" value=form.guid.clone() />
                <input type="hidden" name="start" value=form.start.clone() />
                <input type="hidden" name="track" value=form.track.clone() />
                <input type="hidden" name="a" value=form.a.clone() />
                <input type="hidden" name="b" value=form.b.clone() />
                <input type="hidden" name="amends" value=amends.map(|a| a.to_string()).unwrap_or_default() />
                <label for="reason">{t!("shift.reason", locale = lang).to_string()}</label>
                <input id="reason" name="reason" required maxlength="500" />
                {super::proposal::submit_buttons(amends, "apply-change", "propose-change", lang)}
            </form>
        }
    });
    view! {
        <section class="card" data-testid="change-preview">
            <h2>{t!("shift.preview", locale = lang).to_string()}</h2>
            <ul>{edits}</ul>
            {conflicts}
            {apply}
        </section>
    }
    .into_any()
}

/// The sessions a one-talk change is about: not breaks.
fn talks_of(view: &EventView) -> Vec<&Session> {
    view.schedule
        .sessions
        .iter()
        .filter(|s| s.kind != SessionKind::Break)
        .collect()
}

fn swap_form(view: &EventView, lang: &str) -> impl IntoView + use<> {
    let slug = &view.schedule.event.slug;
    let options = || {
        talks_of(view)
            .into_iter()
            .filter(|s| !s.cancelled)
            .map(|s| {
                let label = format!(
                    "{} · {} · {}",
                    format_hhmm(view.tz, s.start),
                    s.track,
                    s.title
                );
                view! { <option value=s.guid.clone()>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <form method="get" action=format!("/admin/e/{slug}/talks") class="card stack" data-testid="swap-form">
            <h2>{t!("replan.swap", locale = lang).to_string()}</h2>
            <input type="hidden" name="op" value="swap" />
            <label for="swap-a">{t!("replan.swap_a", locale = lang).to_string()}</label>
            <select id="swap-a" name="a">{options()}</select>
            <label for="swap-b">{t!("replan.swap_b", locale = lang).to_string()}</label>
            <select id="swap-b" name="b">{options()}</select>
            <button type="submit">{t!("shift.preview", locale = lang).to_string()}</button>
        </form>
    }
}

fn talks(view: &EventView, user: &CurrentUser, lang: &str) -> impl IntoView + use<> {
    let slug = view.schedule.event.slug.clone();
    let may_pin = user.access.may(Action::Schedule, &slug);
    // Breaks too: lunch is what organisers pin most.
    let rows = view
        .schedule
        .sessions
        .iter()
        .map(|s| {
            let tracks = view
                .schedule
                .tracks
                .iter()
                .map(|t| view! { <option value=t.slug.clone() selected={t.slug == s.track}>{t.name.clone()}</option> })
                .collect_view();
            let guid = s.guid.clone();
            let start_id = format!("start-{guid}");
            let track_id = format!("track-{guid}");
            let actions = if s.cancelled {
                view! {
                    <a class="button" href=op_link(&slug, "restore", &guid) data-testid="restore">{t!("replan.restore", locale = lang).to_string()}</a>
                }
                .into_any()
            } else {
                view! {
                    <form method="get" action=format!("/admin/e/{slug}/talks") class="inline-form" data-testid="move-form">
                        <input type="hidden" name="op" value="move" />
                        <input type="hidden" name="guid" value=guid.clone() />
                        <label for=start_id.clone() class="visually-hidden">{t!("replan.new_start", locale = lang).to_string()}</label>
                        <input id=start_id type="time" name="start" value=format_hhmm(view.tz, s.start) />
                        <label for=track_id.clone() class="visually-hidden">{t!("session.track", locale = lang).to_string()}</label>
                        <select id=track_id name="track">{tracks}</select>
                        <button type="submit" data-testid="preview-move">{t!("replan.move", locale = lang).to_string()}</button>
                    </form>
                    " "
                    <a class="button" href=op_link(&slug, "cancel", &guid) data-testid="cancel">{t!("replan.cancel", locale = lang).to_string()}</a>
                }
                .into_any()
            };
            let state = s.cancelled.then(|| view! { <span class="badge badge-cancelled">{t!("schedule.cancelled", locale = lang).to_string()}</span> });
            let pinned = s.pinned.then(|| view! { <span class="pill" data-testid="pinned">{t!("replan.pinned", locale = lang).to_string()}</span> });
            // Pinned sessions keep their time when a shift moves the rest.
            let pin = may_pin.then(|| view! {
                <form method="post" action=format!("/admin/e/{slug}/pin") class="inline-form">
                    <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                    <input type="hidden" name="guid" value=s.guid.clone() />
                    <input type="hidden" name="pinned" value=if s.pinned { "0" } else { "1" } />
                    <button type="submit" data-testid="pin">
                        {if s.pinned { t!("replan.unpin", locale = lang) } else { t!("replan.pin", locale = lang) }.to_string()}
                    </button>
                </form>
            });
            view! {
                <tr data-guid=s.guid.clone() class=if s.cancelled { "is-cancelled" } else { "" }>
                    <td>{format_hhmm(view.tz, s.start)}"–"{format_hhmm(view.tz, s.end())}</td>
                    <td>{view.schedule.track(&s.track).map(|t| t.name.clone())}</td>
                    <td><span class="slot-title">{s.title.clone()}</span>" "{state}{pinned}</td>
                    <td>{actions}" "{pin}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>{t!("replan.talks", locale = lang).to_string()}</h2>
            <div class="table-wrap">
                <table class="table" data-testid="talks">
                    <thead>
                        <tr>
                            <th scope="col">{t!("replan.time", locale = lang).to_string()}</th>
                            <th scope="col">{t!("session.track", locale = lang).to_string()}</th>
                            <th scope="col">{t!("replan.talk", locale = lang).to_string()}</th>
                            <th scope="col">{t!("replan.actions", locale = lang).to_string()}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}

/// A preview link for `op` on one talk; guids are imported text, so
/// they are encoded.
fn op_link(slug: &str, op: &str, guid: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("op", op)
        .append_pair("guid", guid)
        .finish();
    format!("/admin/e/{slug}/talks?{query}")
}

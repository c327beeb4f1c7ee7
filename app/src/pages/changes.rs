//! `/e/{event}/changes`: the public changelog — every schedule version,
//! why it happened and what moved, newest first.

use leptos::prelude::*;
use rust_i18n::t;

use super::{layout, request};
use crate::domain::time::format_hhmm;
use crate::read_model::EventView;
use crate::store::ShiftRecord;

/// The earlier changes folded into the change that created `version`,
/// oldest first (empty unless it amended one).
fn steps_of(view: &EventView, version: i64) -> Vec<&ShiftRecord> {
    let shifts = &view.history.shifts;
    let mut out = Vec::new();
    let mut at = shifts.iter().find(|s| s.version == version);
    while let Some(s) = at {
        at = shifts.iter().find(|x| x.amended_into == Some(s.shift_id));
        if let Some(earlier) = at {
            out.push(earlier);
        }
    }
    out.reverse();
    out
}

pub fn render() -> AnyView {
    let lang = request::lang();
    let (slug, view) = match layout::route_event() {
        Ok(found) => found,
        Err(page) => return page,
    };
    request::set_public_cache(&view, request::now());
    let versions = view
        .history
        .versions
        .iter()
        .map(|v| {
            let moved = view
                .history
                .shifts
                .iter()
                .filter(|s| s.version == v.version)
                .flat_map(|s| s.preview.moved.iter())
                .map(|m| {
                    let track = view.schedule.track(&m.track).map(|t| t.name.clone()).unwrap_or_else(|| m.track.clone());
                    view! {
                        <li>
                            <a href=format!("/e/{slug}/talk/{}", m.guid)>{m.title.clone()}</a>
                            {format!(" · {track} · {} → {} ({:+} min)", format_hhmm(view.tz, m.old_start), format_hhmm(view.tz, m.new_start), m.delta_min)}
                        </li>
                    }
                })
                .collect_view();
            // An amended change (18:00, then 18:15) is one entry: its
            // earlier decisions are listed as its steps.
            let steps = steps_of(&view, v.version)
                .into_iter()
                .map(|s| {
                    let at = s.created_at.with_timezone(&view.tz).format("%H:%M").to_string();
                    view! { <li>{t!("changes.step", locale = lang, time = at, summary = s.summary.clone(), reason = s.reason.clone()).to_string()}</li> }
                })
                .collect::<Vec<_>>();
            let steps = (!steps.is_empty()).then(|| view! { <ol class="steps muted" data-testid="steps">{steps}</ol> });
            let when = v.created_at.with_timezone(&view.tz).format("%Y-%m-%d %H:%M").to_string();
            view! {
                <article class="change" id=format!("v{}", v.version) data-version=v.version>
                    <h2>
                        {t!(format!("changes.kind.{}", v.kind), locale = lang).to_string()}
                        " · "
                        {t!("schedule.version", locale = lang, version = v.version).to_string()}
                    </h2>
                    <p class="muted"><time datetime=v.created_at.to_rfc3339()>{when}</time>" · "{v.summary.clone()}</p>
                    <p>{v.reason.clone()}</p>
                    {steps}
                    <ul>{moved}</ul>
                </article>
            }
        })
        .collect_view();
    let empty = view
        .history
        .versions
        .is_empty()
        .then(|| view! { <p>{t!("changes.empty", locale = lang).to_string()}</p> });
    let body = view! {
        <h1>{t!("changes.title", locale = lang).to_string()}</h1>
        <p><a href=format!("/e/{slug}/changes.atom")>"Atom"</a></p>
        <div id="live-changes" data-live="changes">{empty}{versions}</div>
    };
    layout::frame(
        format!(
            "{} — {}",
            t!("changes.title", locale = lang),
            view.schedule.event.name
        ),
        Some(view.clone()),
        body.into_any(),
    )
}

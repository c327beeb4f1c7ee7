//! `/admin/e/{event}/shifts/{id}`: the confirmation board of one applied
//! shift — each speaker whose session it moved, and whether they have
//! confirmed, declined or not answered yet. A live region: answers appear
//! without a reload.

use leptos::prelude::*;
use rust_i18n::t;

use super::layout;
use crate::domain::speaker::Answer;
use crate::domain::time::format_hhmm;
use crate::read_model::EventView;

pub fn render() -> AnyView {
    let (_user, slug, view) = match layout::admin_route_event() {
        Ok(x) => x,
        Err(v) => return v,
    };
    let lang = super::request::lang();
    let id = leptos_router::hooks::use_params_map()
        .read_untracked()
        .get("id")
        .and_then(|s| s.parse::<i64>().ok());
    let Some(id) = id.filter(|id| view.history.shifts.iter().any(|s| s.shift_id == *id)) else {
        return layout::not_found_with(format!("no shift in event {slug}"));
    };
    let body = view! {
        <h1>{t!("board.title", locale = lang, id = id).to_string()}</h1>
        <p><a href=format!("/admin/e/{slug}/shift")>{t!("shift.history", locale = lang).to_string()}</a></p>
        <div id="board-live" data-live="board">
            {board(&view, id, lang)}
            {super::reach::list(crate::store::NoticeOf::Shift(id), lang)}
        </div>
    };
    layout::frame(
        t!("board.title", locale = lang, id = id).to_string(),
        Some(view.clone()),
        body.into_any(),
    )
}

/// One row per speaker of a moved session, in the order their first moved
/// session starts.
fn board(view: &EventView, shift_id: i64, lang: &str) -> AnyView {
    let Some(shift) = view.history.shifts.iter().find(|s| s.shift_id == shift_id) else {
        return ().into_any();
    };
    let mut speakers: Vec<(String, Vec<String>)> = Vec::new();
    for m in &shift.preview.moved {
        let Some(session) = view.schedule.session(&m.guid) else {
            continue;
        };
        let line = format!(
            "{} ({} → {})",
            m.title,
            format_hhmm(view.tz, m.old_start),
            format_hhmm(view.tz, m.new_start)
        );
        for key in &session.speakers {
            match speakers.iter_mut().find(|(k, _)| k == key) {
                Some((_, lines)) => lines.push(line.clone()),
                None => speakers.push((key.clone(), vec![line.clone()])),
            }
        }
    }
    if speakers.is_empty() {
        return view! { <p>{t!("board.none", locale = lang).to_string()}</p> }.into_any();
    }
    let now = super::request::now();
    let answer_of = |key: &str| {
        view.history
            .answers
            .get(&(shift_id, key.to_owned()))
            .copied()
    };
    let count = |a: Option<Answer>| speakers.iter().filter(|(k, _)| answer_of(k) == a).count();
    let counts = t!(
        "board.counts",
        locale = lang,
        confirmed = count(Some(Answer::Confirmed)),
        declined = count(Some(Answer::Declined)),
        waiting = count(None)
    )
    .to_string();
    let rows = speakers
        .iter()
        .map(|(key, lines)| {
            let name = view
                .schedule
                .speaker(key)
                .map_or_else(|| key.clone(), |s| s.name.clone());
            let (class, label) = match answer_of(key) {
                Some(Answer::Confirmed) => ("pill ok", t!("board.confirmed", locale = lang)),
                Some(Answer::Declined) => ("pill bad", t!("board.declined", locale = lang)),
                None => ("pill", t!("board.no_answer", locale = lang)),
            };
            let state = answer_of(key).map_or("none", Answer::as_str);
            let detail = view.history.answer_details.get(&(shift_id, key.clone()));
            let said = detail.map(|a| {
                let mut parts = Vec::new();
                if let Some(r) = &a.reason {
                    parts.push(format!("“{r}”"));
                }
                let avail = super::proposal::availability_text(view, a, lang);
                if !avail.is_empty() {
                    parts.push(avail);
                }
                view! { <span class="muted" data-testid="answer-detail">{parts.join(" · ")}</span> }
            });
            // A decline offers the re-plan, prefilled with what they can do.
            let replan = detail
                .filter(|_| answer_of(key) == Some(Answer::Declined))
                .map(|a| super::proposal::replan_links(view, &view.schedule, a, None, lang));
            let since = match answer_of(key) {
                None => t!(
                    "board.asked_ago",
                    locale = lang,
                    n = (now - shift.created_at).num_minutes().max(0)
                )
                .to_string(),
                Some(_) => String::new(),
            };
            view! {
                <tr data-speaker=key.clone() data-answer=state>
                    <td>{name}</td>
                    <td>{lines.join("; ")}</td>
                    <td><span class=class>{label.to_string()}</span>" "{said}</td>
                    <td class="muted small">{since}</td>
                    <td>{replan}</td>
                </tr>
            }
        })
        .collect_view();
    let slug = view.schedule.event.slug.clone();
    let user = super::request::current_user();
    let remind = (count(None) > 0
        && user.as_ref().is_some_and(|u| u.access.may(crate::domain::access::Action::Schedule, &slug)))
    .then(|| {
        let csrf = user.as_ref().map(|u| u.csrf_token.clone()).unwrap_or_default();
        view! {
            <form method="post" action=format!("/admin/e/{slug}/shifts/{shift_id}/remind") class="inline-form">
                <input type="hidden" name="csrf" value=csrf />
                <button type="submit" data-testid="remind">{t!("proposal.remind", locale = lang).to_string()}</button>
            </form>
        }
    });
    view! {
        <p data-testid="board-counts">{counts}</p>
        {remind}
        <div class="table-wrap">
            <table class="board">
                <thead>
                    <tr>
                        <th scope="col">{t!("board.speaker", locale = lang).to_string()}</th>
                        <th scope="col">{t!("board.sessions", locale = lang).to_string()}</th>
                        <th scope="col">{t!("board.answer", locale = lang).to_string()}</th>
                        <th scope="col">{t!("board.asked", locale = lang).to_string()}</th>
                        <th scope="col">{t!("board.replan", locale = lang).to_string()}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

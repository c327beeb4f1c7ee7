//! `/s/{token}`: a speaker's own page — their sessions (with "was → now"
//! when moved) and a countdown to the next one. The server's middleware
//! resolved the secret link into a `SpeakerScope`; without one, 404.

use leptos::prelude::*;
use rust_i18n::t;

use super::{layout, request};
use crate::components::StartsIn;
use crate::domain::notice::paused_talks;
use crate::domain::shift::ShiftKind;
use crate::domain::speaker::Answer;
use crate::domain::status::IncidentReach;
use crate::domain::time::format_hhmm;
use crate::read_model::EventView;

/// Which speaker's page this request may show (set by the middleware).
#[derive(Debug, Clone)]
pub struct SpeakerScope {
    pub event_slug: String,
    pub speaker_key: String,
}

/// Set by the middleware instead of a scope when the link is right but
/// has expired (see `domain::speaker_link`).
#[derive(Debug, Clone, Copy)]
pub struct SpeakerLinkExpired;

pub fn render() -> AnyView {
    let lang = request::lang();
    if request::extension::<SpeakerLinkExpired>().is_some() {
        return expired(lang);
    }
    let scope = request::extension::<SpeakerScope>();
    let view = scope
        .as_ref()
        .and_then(|s| request::state().read_model.get(&s.event_slug));
    let (Some(scope), Some(view)) = (scope, view) else {
        return layout::not_found_with(String::new());
    };
    let Some(speaker) = view.schedule.speaker(&scope.speaker_key).cloned() else {
        return layout::not_found_with(String::new());
    };
    if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
        r.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("private, no-store"),
        );
        r.insert_header(
            http::header::REFERRER_POLICY,
            http::HeaderValue::from_static("no-referrer"),
        );
    }
    // The server's clock (tests fix it), as on every other page.
    let now = request::now();
    let slug = view.schedule.event.slug.clone();
    let mut mine: Vec<_> = view
        .schedule
        .sessions
        .iter()
        .filter(|s| s.speakers.contains(&speaker.key))
        .collect();
    mine.sort_by_key(|s| s.start);
    let next = mine.iter().find(|s| s.end() > now).map(|s| {
        view! {
            <StartsIn
                target_ms=s.start.timestamp_millis()
                server_ms=now.timestamp_millis()
                template=t!("speaker.on_in", locale = lang).to_string()
                now_text=t!("speaker.on_now", locale = lang).to_string()
            />
            <p class="muted">{s.title.clone()}</p>
        }
    });
    // A stream incident holds this speaker's track up: said first, before
    // anything about their slot.
    let paused = super::screen::incidents(&view)
        .into_iter()
        .filter_map(|i| match &i.reach {
            IncidentReach::Tracks(tracks) => paused_talks(&view.schedule, tracks, now)
                .into_iter()
                .find(|t| t.speakers.contains(&speaker.key))
                .map(|t| (i.name.clone(), t.title)),
            _ => None,
        })
        .map(|(incident, title)| {
            view! {
                <section class="notice" role="status" data-testid="paused">
                    <p>{t!("speaker.paused", locale = lang, incident = incident, title = title).to_string()}</p>
                </section>
            }
        })
        .collect_view();
    let none = next
        .is_none()
        .then(|| view! { <p>{t!("speaker.none", locale = lang).to_string()}</p> });
    let rows = mine
        .iter()
        .map(|s| {
            let track = view.schedule.track(&s.track).map(|t| t.name.clone()).unwrap_or_default();
            let was = view.history.was(&s.guid, s.start).map(|w| {
                view! { <span class="was">{t!("schedule.was", locale = lang, time = format_hhmm(view.tz, w)).to_string()}" → "</span> }
            });
            view! {
                <li data-guid=s.guid.clone()>
                    {was}
                    <strong>{format!("{}–{}", format_hhmm(view.tz, s.start), format_hhmm(view.tz, s.end()))}</strong>
                    {format!(" {} · ", s.start.with_timezone(&view.tz).format("%Y-%m-%d"))}
                    <a href=format!("/e/{slug}/talk/{}", s.guid)>{s.title.clone()}</a>
                    {format!(" · {track}")}
                </li>
            }
        })
        .collect_view();
    let token = leptos_router::hooks::use_params_map()
        .read_untracked()
        .get("token")
        .unwrap_or_default();
    let proposed = proposed_slots(&view, &speaker.key, &token, lang);
    let questions = moved_slots(&view, &speaker.key, &token, lang);
    let body = view! {
        <h1>{t!("speaker.hello", locale = lang, name = speaker.name.clone()).to_string()}</h1>
        <div id="live-paused" data-live="paused">{paused}</div>
        <div id="live-answers" data-live="answers">{proposed}{questions}</div>
        <section class="card">
            <div id="live-speaker" data-live="speaker">
                {next}
                {none}
                <h2>{t!("speaker.sessions", locale = lang).to_string()}</h2>
                <ul class="plain">{rows}</ul>
            </div>
        </section>
        {super::push_control::push_control(&view, lang, Some(token.clone()))}
        <p class="muted small">{t!("speaker.private", locale = lang).to_string()}</p>
    };
    layout::frame(speaker.name.clone(), Some(view.clone()), body.into_any())
}

/// "This link has expired": 410, so a leaked old link says clearly that it
/// opens nothing any more, and asks the speaker to ask for a new one.
fn expired(lang: &'static str) -> AnyView {
    request::set_status(http::StatusCode::GONE);
    request::set_no_store();
    layout::frame(
        t!("speaker.expired_title", locale = lang).to_string(),
        None,
        view! {
            <section class="notice" data-testid="link-expired">
                <h1>{t!("speaker.expired_title", locale = lang).to_string()}</h1>
                <p>{t!("speaker.expired_body", locale = lang).to_string()}</p>
            </section>
        }
        .into_any(),
    )
}

/// The answer form of one question (`field` is `shift_id` or
/// `proposal_id`): confirm, or decline saying why and what they can do
/// instead ("I can from HH:MM", "not today"). Plain forms: the link's
/// token authorises them, no script needed.
fn answer_form(token: &str, field: &'static str, id: i64, lang: &str) -> impl IntoView + use<> {
    let from_id = format!("from-{field}-{id}");
    let reason_id = format!("reason-{field}-{id}");
    let today_id = format!("today-{field}-{id}");
    let today_for = today_id.clone();
    view! {
        <form method="post" action=format!("/s/{token}/answer") class="stack answer-form">
            <input type="hidden" name=field value=id />
            <div>
                <button type="submit" name="answer" value="confirm" data-testid="confirm">{t!("speaker.confirm", locale = lang).to_string()}</button>
            </div>
            <details>
                <summary>{t!("speaker.cannot", locale = lang).to_string()}</summary>
                <label for=reason_id.clone()>{t!("speaker.reason", locale = lang).to_string()}</label>
                <input id=reason_id name="reason" maxlength="500" />
                <label for=from_id.clone()>{t!("speaker.can_from", locale = lang).to_string()}</label>
                <input id=from_id type="time" name="available_from" />
                <label for=today_for>
                    <input id=today_id type="checkbox" name="not_today" value="1" />
                    " "{t!("speaker.not_today", locale = lang).to_string()}
                </label>
                <button type="submit" name="answer" value="decline" class="secondary" data-testid="decline">{t!("speaker.decline", locale = lang).to_string()}</button>
            </details>
        </form>
    }
}

/// Each open proposal that asks this speaker: the proposed new time (not
/// public yet), their answer so far, and the answer form.
fn proposed_slots(view: &EventView, speaker: &str, token: &str, lang: &'static str) -> AnyView {
    use crate::domain::replan::{ProposalState, Reply};
    view.history
        .proposals
        .iter()
        .filter(|p| p.state == ProposalState::Proposed)
        .filter_map(|p| {
            let ask = p.asks.iter().find(|a| a.speaker_key == speaker)?;
            let talks = p
                .change
                .edits
                .iter()
                .filter(|e| !e.after.cancelled)
                .filter(|e| {
                    view.schedule
                        .session(&e.guid)
                        .is_some_and(|x| x.speakers.iter().any(|k| k == speaker))
                })
                .map(|e| {
                    view! {
                        <p>
                            <strong>{e.title.clone()}</strong>
                            <br />
                            {t!("speaker.proposed_ask", locale = lang, old = format_hhmm(view.tz, e.before.start), new = format_hhmm(view.tz, e.after.start)).to_string()}
                        </p>
                    }
                })
                .collect_view();
            let said = ask.answer.as_ref().map(|a| {
                let (key, word) = match a.reply {
                    Reply::Confirm => ("speaker.answered_confirmed", "confirmed"),
                    Reply::Decline => ("speaker.answered_declined", "declined"),
                };
                let avail = super::proposal::availability_text(view, a, lang);
                view! { <p class="answer" data-answer=word>{t!(key, locale = lang).to_string()}" "{avail}</p> }
            });
            Some(view! {
                <section class="card ask" data-proposal=p.proposal_id>
                    <p class="muted small">{t!("speaker.proposal_note", locale = lang).to_string()}</p>
                    {talks}
                    {said}
                    {answer_form(token, "proposal_id", p.proposal_id, lang)}
                </section>
            })
        })
        .collect_view()
        .into_any()
}

/// For each shift (not undone) that moved one of this speaker's sessions:
/// "Your slot moved 17:25 → 18:15. Can you make it?", their answer so far,
/// and the two answers as plain forms (the link's token authorises them).
fn moved_slots(view: &EventView, speaker: &str, token: &str, lang: &'static str) -> AnyView {
    let asks = view
        .history
        .shifts
        .iter()
        .filter(|s| s.kind == ShiftKind::Shift && s.reverted_by.is_none() && s.amended_into.is_none())
        .filter_map(|s| {
            // Every talk of theirs this shift moved: they answer for all.
            let mine: Vec<_> = s
                .preview
                .moved
                .iter()
                .filter(|m| {
                    view.schedule
                        .session(&m.guid)
                        .is_some_and(|x| x.speakers.iter().any(|k| k == speaker))
                })
                .collect();
            if mine.is_empty() {
                return None;
            }
            let talks = mine
                .iter()
                .map(|m| {
                    view! {
                        <p>
                            <strong>{m.title.clone()}</strong>
                            <br />
                            {t!("speaker.moved_ask", locale = lang, old = format_hhmm(view.tz, m.old_start), new = format_hhmm(view.tz, m.new_start)).to_string()}
                        </p>
                    }
                })
                .collect_view();
            let answer = view.history.answers.get(&(s.shift_id, speaker.to_owned())).copied();
            let said = answer.map(|a| {
                let key = match a {
                    Answer::Confirmed => "speaker.answered_confirmed",
                    Answer::Declined => "speaker.answered_declined",
                };
                view! { <p class="answer" data-answer=a.as_str()>{t!(key, locale = lang).to_string()}</p> }
            });
            Some(view! {
                <section class="card ask" data-shift=s.shift_id>
                    {talks}
                    {said}
                    {answer_form(token, "shift_id", s.shift_id, lang)}
                </section>
            })
        })
        .collect_view();
    asks.into_any()
}

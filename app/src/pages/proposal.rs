//! `/admin/e/{event}/proposals/{id}`: one proposal — what it would change,
//! the board of the speakers it asks (answered, waiting and declined, with
//! the time since asked, the reason and what they can do instead), and the
//! organiser's buttons: publish (on the version it was made on), discard,
//! remind. A declined speaker's row offers a move prefilled with the time
//! they can make, or cancelling the talk. A live region: answers appear
//! without a reload.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use rust_i18n::t;

use super::layout;
use super::request::{self, CurrentUser};
use crate::domain::access::Action;
use crate::domain::replan::{
    Ask, AskStatus, Availability, BoardTally, ChangeOp, InterruptedMode, PinnedPolicy,
    ProposalState, SpeakerAnswer, plan_steps, replan_offer,
};
use crate::domain::schedule::Schedule;
use crate::domain::shift::TrackSelection;
use crate::domain::time::format_hhmm;
use crate::read_model::EventView;
use crate::store::ProposalRecord;

pub fn render() -> AnyView {
    let (user, slug, view) = match layout::admin_route_event() {
        Ok(x) => x,
        Err(v) => return v,
    };
    let lang = request::lang();
    let id = leptos_router::hooks::use_params_map()
        .read_untracked()
        .get("id")
        .and_then(|s| s.parse::<i64>().ok());
    let Some(p) = id.and_then(|id| view.history.proposals.iter().find(|p| p.proposal_id == id))
    else {
        return layout::not_found_with(format!("no proposal in event {slug}"));
    };
    let error = request::form_error().map(|m| view! { <p class="error" role="alert" data-testid="proposal-error">{t!("admin.error", locale = lang, message = m).to_string()}</p> });
    let title = t!("proposal.title", locale = lang, id = p.proposal_id).to_string();
    let body = view! {
        <h1>{title.clone()}</h1>
        {error}
        <p><a href=format!("/admin/e/{slug}/shift")>{t!("shift.history", locale = lang).to_string()}</a></p>
        <div id="proposal-live" data-live="board">
            {summary(&view, p, &user, lang)}
            {board(&view, p, lang)}
            {super::reach::list(crate::store::NoticeOf::Proposal(p.proposal_id), lang)}
        </div>
    };
    layout::frame(title, Some(view.clone()), body.into_any())
}

fn state_label(s: ProposalState, lang: &str) -> String {
    match s {
        ProposalState::Proposed => t!("proposal.state_proposed", locale = lang),
        ProposalState::Published => t!("proposal.state_published", locale = lang),
        ProposalState::Discarded => t!("proposal.state_discarded", locale = lang),
    }
    .to_string()
}

/// The change, its warnings, and the buttons that decide it.
/// "Change the shift": the shift form as a step of this proposal, filled
/// in from its latest shift (tracks, interruption, pinned and interrupted
/// choices), so a new decision (18:15, not 18:00) is only a new "restart
/// at". "Restart at" is left empty: nothing is previewed before it is
/// given.
fn amend_href(view: &EventView, p: &ProposalRecord) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("amends", &p.proposal_id.to_string());
    let last = p.ops.iter().rev().find_map(|op| match op {
        ChangeOp::Shift(plan) => Some(plan),
        _ => None,
    });
    if let Some(plan) = last {
        match &plan.tracks {
            TrackSelection::All => {
                q.append_pair("tracks", "all");
            }
            TrackSelection::Some(tracks) => {
                for t in tracks {
                    q.append_pair("tracks", t);
                }
            }
        }
        q.append_pair("from", &format_hhmm(view.tz, plan.from));
        if plan.pinned == PinnedPolicy::Move {
            q.append_pair("include_pinned", "on");
        }
        if plan.interrupted == InterruptedMode::Resume {
            q.append_pair("interrupted", "resume");
        }
    }
    format!("/admin/e/{}/shift?{}", view.schedule.event.slug, q.finish())
}

fn summary(view: &EventView, p: &ProposalRecord, user: &CurrentUser, lang: &str) -> AnyView {
    let slug = view.schedule.event.slug.clone();
    let slot = |s: &crate::domain::replan::Slot| {
        if s.cancelled {
            return t!("schedule.cancelled", locale = lang).to_string();
        }
        let track = view
            .schedule
            .track(&s.track)
            .map_or(s.track.as_str(), |t| t.name.as_str());
        format!("{track} {}", format_hhmm(view.tz, s.start))
    };
    let edits = p
        .change
        .edits
        .iter()
        .map(|e| view! { <li data-guid=e.guid.clone()><strong>{e.title.clone()}</strong>": "{slot(&e.before)}" → "{slot(&e.after)}</li> })
        .collect_view();
    let conflicts = (!p.change.conflicts.is_empty()).then(|| {
        let items = p
            .change
            .conflicts
            .iter()
            .map(|c| view! { <li>{c.message()}</li> })
            .collect_view();
        view! { <h3>{t!("shift.conflicts", locale = lang).to_string()}</h3><ul class="conflicts">{items}</ul> }
    });
    let open = p.state == ProposalState::Proposed;
    let may = user.access.may(Action::Schedule, &slug);
    let waiting = p.asks.iter().any(|a| a.answer.is_none());
    let action = |what: &str| format!("/admin/e/{slug}/proposals/{}/{what}", p.proposal_id);
    let buttons = (open && may).then(|| {
        let remind = waiting.then(|| view! {
            <form method="post" action=action("remind") class="inline-form">
                <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                <button type="submit" data-testid="remind">{t!("proposal.remind", locale = lang).to_string()}</button>
            </form>
        });
        view! {
            <div class="actions">
                <form method="post" action=action("publish") class="inline-form">
                    <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                    <input type="hidden" name="version" value=p.version.to_string() />
                    <button type="submit" class="primary" data-testid="publish">{t!("proposal.publish", locale = lang).to_string()}</button>
                </form>
                " "
                <form method="post" action=action("discard") class="inline-form">
                    <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                    <button type="submit" class="secondary" data-testid="discard">{t!("proposal.discard", locale = lang).to_string()}</button>
                </form>
                " "
                {remind}
                " "
                <a class="button" href=amend_href(view, p) data-testid="amend-shift">{t!("proposal.amend_shift", locale = lang).to_string()}</a>
            </div>
        }
    });
    let published = p.shift_id.map(|id| view! {
        <p><a href=format!("/admin/e/{slug}/shifts/{id}") data-testid="published-as">{t!("proposal.published_as", locale = lang, id = id).to_string()}</a></p>
    });
    view! {
        <section class="card" data-testid="proposal" data-state=p.state.as_str()>
            <p>
                <span class="pill" data-testid="proposal-state">{state_label(p.state, lang)}</span>
                {format!(" v{} · {} · {}", p.version, p.summary, p.reason)}
            </p>
            <p class="muted small">{t!("proposal.propose_hint", locale = lang).to_string()}</p>
            <ul>{edits}</ul>
            {conflicts}
            {buttons}
            {published}
        </section>
    }
    .into_any()
}

/// "can from 19:30" / "not today" / nothing.
pub(super) fn availability_text(view: &EventView, a: &SpeakerAnswer, lang: &str) -> String {
    match a.availability {
        Availability::From(t) => t!(
            "board.can_from",
            locale = lang,
            time = format_hhmm(view.tz, t)
        )
        .to_string(),
        Availability::NotToday => t!("board.not_today", locale = lang).to_string(),
        Availability::AsAsked => String::new(),
    }
}

/// For a declined speaker: per talk, a move prefilled with what they can
/// do (the re-plan page previews it at once) and a cancel.
pub(super) fn replan_links(
    view: &EventView,
    planned: &Schedule,
    a: &SpeakerAnswer,
    amends: Option<i64>,
    lang: &str,
) -> AnyView {
    let slug = view.schedule.event.slug.clone();
    a.slots
        .iter()
        .map(|s| {
            let link = |pairs: &[(&str, &str)]| {
                let mut q = form_urlencoded::Serializer::new(String::new());
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
                if let Some(id) = amends {
                    q.append_pair("amends", &id.to_string());
                }
                format!("/admin/e/{slug}/talks?{}", q.finish())
            };
            let title = view
                .schedule
                .session(&s.guid)
                .map_or_else(|| s.guid.clone(), |x| x.title.clone());
            let mv = replan_offer(planned, view.tz, &s.guid, a).map(|at| {
                let hhmm = format_hhmm(view.tz, at);
                let href = link(&[("op", "move"), ("guid", &s.guid), ("start", &hhmm)]);
                view! { <a class="button" href=href data-testid="replan-move">{t!("board.move_to", locale = lang, time = hhmm.clone()).to_string()}</a>" " }
            });
            let cancel = link(&[("op", "cancel"), ("guid", &s.guid)]);
            view! {
                <span class="replan" data-guid=s.guid.clone()>
                    {format!("{title}: ")}
                    {mv}
                    <a class="button secondary" href=cancel data-testid="replan-cancel">{t!("board.cancel_talk", locale = lang).to_string()}</a>
                </span>
            }
        })
        .collect_view()
        .into_any()
}

fn since(now: DateTime<Utc>, a: &Ask, lang: &str) -> String {
    let asked = t!(
        "board.asked_ago",
        locale = lang,
        n = a.minutes_since_asked(now)
    )
    .to_string();
    match a.reminded_at {
        Some(r) => format!(
            "{asked} · {}",
            t!(
                "board.reminded_ago",
                locale = lang,
                n = (now - r).num_minutes().max(0)
            )
        ),
        None => asked,
    }
}

/// One row per speaker asked.
fn board(view: &EventView, p: &ProposalRecord, lang: &str) -> AnyView {
    if p.asks.is_empty() {
        return view! { <p>{t!("board.none", locale = lang).to_string()}</p> }.into_any();
    }
    let now = request::now();
    // While open, a declined talk is re-planned on the schedule the
    // proposal would make (its "end of the day" is after the shift).
    let projected = (p.state == ProposalState::Proposed)
        .then(|| plan_steps(&view.schedule, view.tz, &p.ops).ok())
        .flatten()
        .map(|(_, s)| s);
    let planned = projected.as_ref().unwrap_or(&view.schedule);
    let tally = BoardTally::of(&p.asks);
    let counts = t!(
        "board.counts",
        locale = lang,
        confirmed = tally.confirmed,
        declined = tally.declined,
        waiting = tally.waiting
    )
    .to_string();
    let rows = p
        .asks
        .iter()
        .map(|a| {
            let name = view
                .schedule
                .speaker(&a.speaker_key)
                .map_or_else(|| a.speaker_key.clone(), |s| s.name.clone());
            let talks: Vec<String> = p
                .change
                .edits
                .iter()
                .filter(|e| {
                    view.schedule
                        .session(&e.guid)
                        .is_some_and(|s| s.speakers.contains(&a.speaker_key))
                })
                .map(|e| {
                    format!(
                        "{} ({} → {})",
                        e.title,
                        format_hhmm(view.tz, e.before.start),
                        format_hhmm(view.tz, e.after.start)
                    )
                })
                .collect();
            let (class, label, state) = match a.status() {
                AskStatus::Confirmed => {
                    ("pill ok", t!("board.confirmed", locale = lang), "confirmed")
                }
                AskStatus::Declined => {
                    ("pill bad", t!("board.declined", locale = lang), "declined")
                }
                AskStatus::Waiting => ("pill", t!("board.no_answer", locale = lang), "none"),
            };
            let detail = a.answer.as_ref().map(|ans| {
                let mut parts = Vec::new();
                if let Some(r) = &ans.reason {
                    parts.push(format!("“{r}”"));
                }
                let avail = availability_text(view, ans, lang);
                if !avail.is_empty() {
                    parts.push(avail);
                }
                view! { <span class="muted" data-testid="answer-detail">{parts.join(" · ")}</span> }
            });
            let replan = a
                .answer
                .as_ref()
                .filter(|_| {
                    a.status() == AskStatus::Declined && p.state != ProposalState::Discarded
                })
                .map(|ans| {
                    let open = (p.state == ProposalState::Proposed).then_some(p.proposal_id);
                    replan_links(view, planned, ans, open, lang)
                });
            view! {
                <tr data-speaker=a.speaker_key.clone() data-answer=state>
                    <td>{name}</td>
                    <td>{talks.join("; ")}</td>
                    <td><span class=class>{label.to_string()}</span>" "{detail}</td>
                    <td class="muted small">{since(now, a, lang)}</td>
                    <td>{replan}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p data-testid="board-counts">{counts}</p>
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

/// The open proposal `raw` (a form's `amends`) names, and the schedule
/// its steps would make: what a further step is planned on.
pub fn amending(view: &EventView, raw: &str) -> Option<(i64, Schedule)> {
    let id = raw.trim().parse::<i64>().ok()?;
    let p = view
        .history
        .proposals
        .iter()
        .find(|p| p.proposal_id == id && p.state == ProposalState::Proposed)?;
    plan_steps(&view.schedule, view.tz, &p.ops)
        .ok()
        .map(|(_, s)| (id, s))
}

/// "Adding a step to proposal N" above a form, with the way back.
pub fn amending_note(view: &EventView, amends: Option<i64>, lang: &str) -> AnyView {
    let slug = view.schedule.event.slug.clone();
    match amends {
        Some(id) => view! {
            <p class="notice" data-testid="amending">
                {t!("proposal.amending", locale = lang, id = id).to_string()}" "
                <a href=format!("/admin/e/{slug}/proposals/{id}")>{t!("proposal.title", locale = lang, id = id).to_string()}</a>
            </p>
            <input type="hidden" name="amends" value=id.to_string() />
        }
        .into_any(),
        None => ().into_any(),
    }
}

/// A preview's submit buttons: "Apply" at once and "Propose to speakers
/// first" — or, for a step of an open proposal, only "Add to proposal".
pub fn submit_buttons(
    amends: Option<i64>,
    apply_id: &'static str,
    propose_id: &'static str,
    lang: &str,
) -> AnyView {
    match amends {
        Some(id) => view! {
            <button type="submit" name="intent" value="propose" class="primary" data-testid=propose_id>
                {t!("proposal.add_step", locale = lang, id = id).to_string()}
            </button>
            <p class="muted small">{t!("proposal.add_step_hint", locale = lang).to_string()}</p>
        }
        .into_any(),
        None => view! {
            <button type="submit" class="primary" data-testid=apply_id>{t!("shift.apply", locale = lang).to_string()}</button>
            " "
            <button type="submit" name="intent" value="propose" data-testid=propose_id>{t!("proposal.propose", locale = lang).to_string()}</button>
            <p class="muted small">{t!("proposal.propose_hint", locale = lang).to_string()}</p>
        }
        .into_any(),
    }
}

/// The open proposals, with their tallies and links: on the shift and
/// re-plan pages, so a proposal is never lost.
pub fn open_list(view: &EventView, lang: &str) -> AnyView {
    let slug = view.schedule.event.slug.clone();
    let open: Vec<&ProposalRecord> = view
        .history
        .proposals
        .iter()
        .filter(|p| p.state == ProposalState::Proposed)
        .collect();
    if open.is_empty() {
        return ().into_any();
    }
    let items = open
        .iter()
        .map(|p| {
            let tally = BoardTally::of(&p.asks);
            let counts = t!(
                "board.counts",
                locale = lang,
                confirmed = tally.confirmed,
                declined = tally.declined,
                waiting = tally.waiting
            )
            .to_string();
            view! {
                <li data-proposal=p.proposal_id>
                    <a href=format!("/admin/e/{slug}/proposals/{}", p.proposal_id)>{t!("proposal.title", locale = lang, id = p.proposal_id).to_string()}</a>
                    {format!(" · {} · {counts}", p.summary)}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card" data-testid="open-proposals">
            <h2>{t!("proposal.open", locale = lang).to_string()}</h2>
            <ul class="plain">{items}</ul>
        </section>
    }
    .into_any()
}

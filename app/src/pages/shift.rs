//! `/admin/e/{event}/shift`: shift tracks in a few clicks. The form is a
//! GET, so choosing tracks, a from-time and a quick button (+15, +30, +1 h)
//! or "restart at" shows the preview — moved sessions and conflicts drawn
//! on the day's timeline — without JavaScript; "Apply" posts it with the
//! CSRF token. Also the history, with undo.

use leptos::prelude::*;
use rust_i18n::t;

use super::conflict_text::conflict_text;
use super::layout;
use super::request::{self, CurrentUser};
use super::schedule::{GridMarks, grid};
use crate::catchup_input::{self, CatchUpForm};
use crate::domain::access::Action;
use crate::domain::agenda;
use crate::domain::replan::{
    self, CatchUpStrategy, ChangeOp, ChangePreview, ChangeRequest, InterruptedMode, plan_change,
};
use crate::domain::shift::{ShiftKind, ShiftPreview, apply_preview};
use crate::domain::time::{format_hhmm, local_date};
use crate::read_model::EventView;
use crate::shift_input::{ShiftForm, parse};

pub fn render() -> AnyView {
    let lang = request::lang();
    let (user, _, view) = match layout::admin_route_event() {
        Ok(found) => found,
        Err(page) => return page,
    };
    // The form's values, read back from the query so a preview keeps them;
    // the same reading as the POST that applies it.
    let input: ShiftForm = request::query_as();
    // A step of an open proposal is planned on the schedule it would make.
    let amending = super::proposal::amending(&view, &input.amends);
    let base = amending.as_ref().map_or(&view.schedule, |(_, s)| s);
    let outcome = input.asked().then(|| {
        input
            .input(true)
            .and_then(|i| parse(base, &i, request::now()))
            .and_then(|cmd| {
                let req = ChangeRequest {
                    version: base.version,
                    op: ChangeOp::Shift(cmd.plan),
                };
                plan_change(base, view.tz, &req).map_err(Into::into)
            })
    });
    let amends = amending.as_ref().map(|(id, _)| *id);
    let error = request::form_error()
        .or_else(|| match &outcome {
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
        .map(|m| view! { <p class="error" role="alert" data-testid="shift-error">{t!("admin.error", locale = lang, message = m).to_string()}</p> });
    let preview = match outcome {
        Some(Ok(p)) => Some(preview_part(&view, &p, &input, amends, &user, lang)),
        _ => None,
    };
    let catch_up = (preview.is_some() && input.by.trim().parse::<i64>().is_ok_and(|m| m > 0))
        .then(|| catch_up_part(&view, &input, &user, lang));
    let body = view! {
        <h1>{format!("{} — {}", view.schedule.event.name, t!("shift.title", locale = lang))}</h1>
        {error}
        {form(&view, &input, amends, lang)}
        {preview}
        {catch_up}
        {rules_part(&view, &user, lang)}
        <div id="shift-history" data-live="history">
            {super::proposal::open_list(&view, lang)}
            {history(&view, &user, lang)}
        </div>
    };
    layout::frame(
        t!("shift.title", locale = lang).to_string(),
        Some(view.clone()),
        body.into_any(),
    )
}

fn form(
    view: &EventView,
    input: &ShiftForm,
    amends: Option<i64>,
    lang: &str,
) -> impl IntoView + use<> {
    let slug = &view.schedule.event.slug;
    let all = input.tracks.iter().any(|x| x == "all");
    let chosen = |t: &str| {
        if all {
            t == "all"
        } else {
            input.tracks.iter().any(|x| x == t)
        }
    };
    let tracks = view
        .schedule
        .tracks
        .iter()
        .map(|tr| view! { <label class="check"><input type="checkbox" name="tracks" value=tr.slug.clone() checked=chosen(&tr.slug) />{tr.name.clone()}</label> })
        .collect_view();
    let quick = [15, 30, 60].map(|m| {
        view! { <button type="submit" name="by" value=m.to_string() data-testid=format!("by-{m}")>{format!("+{m} min")}</button> }
    });
    view! {
        <form method="get" action=format!("/admin/e/{slug}/shift") class="card stack" data-testid="shift-form">
            {super::proposal::amending_note(view, amends, lang)}
            <fieldset>
                <legend>{t!("shift.tracks", locale = lang).to_string()}</legend>
                <label class="check"><input type="checkbox" name="tracks" value="all" checked=chosen("all") /><strong>{t!("shift.all_tracks", locale = lang).to_string()}</strong></label>
                {tracks}
            </fieldset>
            <label for="from">{t!("shift.from", locale = lang).to_string()}</label>
            <input id="from" name="from" type="time" required value=input.from.clone() />
            <label class="check"><input type="checkbox" name="include_pinned" checked=!input.include_pinned.trim().is_empty() />{t!("shift.include_pinned", locale = lang).to_string()}</label>
            <fieldset>
                <legend>{t!("shift.interrupted", locale = lang).to_string()}</legend>
                <label class="check"><input type="radio" name="interrupted" value="restart" checked={input.interrupted.trim() != "resume"} />{t!("shift.restart", locale = lang).to_string()}</label>
                <label class="check"><input type="radio" name="interrupted" value="resume" checked={input.interrupted.trim() == "resume"} data-testid="resume" />{t!("shift.resume", locale = lang).to_string()}</label>
            </fieldset>
            <div class="row">
                <span>{t!("shift.by", locale = lang).to_string()}</span>
                {quick}
            </div>
            <div class="row">
                <label for="to">{t!("shift.restart_at", locale = lang).to_string()}</label>
                <input id="to" name="to" type="time" value=input.to.clone() />
                <button type="submit" data-testid="preview">{t!("shift.preview", locale = lang).to_string()}</button>
            </div>
        </form>
    }
}

fn preview_part(
    view: &EventView,
    change: &ChangePreview,
    input: &ShiftForm,
    amends: Option<i64>,
    user: &CurrentUser,
    lang: &str,
) -> AnyView {
    let slug = view.schedule.event.slug.clone();
    let may_apply = user.access.may(Action::Schedule, &slug);
    let p = &ShiftPreview::from_change(change);
    let shifted = replan::apply_change(&view.schedule, change)
        .unwrap_or_else(|_| apply_preview(&view.schedule, p));
    let marks = GridMarks {
        was: p
            .moved
            .iter()
            .map(|m| (m.guid.clone(), m.old_start))
            .collect(),
        flagged: change
            .conflicts
            .iter()
            .flat_map(|c| std::iter::once(c.guid.clone()).chain(c.other.clone()))
            .collect(),
    };
    let day = p.moved.first().map(|m| local_date(view.tz, m.new_start));
    let timeline = day
        .and_then(|d| agenda::lay_out(&shifted, view.tz, d))
        .map(|a| grid(view, &shifted, &a, &marks, request::now(), lang));
    let moved = p
        .moved
        .iter()
        .map(|m| view! { <li>{format!("{} · {} · {} → {}", m.track, m.title, format_hhmm(view.tz, m.old_start), format_hhmm(view.tz, m.new_start))}</li> })
        .collect_view();
    let interrupted = change.interrupted().next().is_some().then(|| {
        let items = change
            .interrupted()
            .map(|e| {
                let how = match e.interrupted.as_ref().map(|i| i.mode) {
                    Some(InterruptedMode::Resume) => t!("shift.resumes", locale = lang, time = format_hhmm(view.tz, e.after.start), minutes = e.after.duration_min),
                    _ => t!("shift.restarts", locale = lang, time = format_hhmm(view.tz, e.after.start)),
                };
                view! { <li>{format!("{} · {} · {}", e.before.track, e.title, how)}</li> }
            })
            .collect_view();
        view! { <h3>{t!("shift.interrupted_talks", locale = lang).to_string()}</h3><ul data-testid="interrupted">{items}</ul> }
    });
    let conflicts = (!change.conflicts.is_empty()).then(|| {
        let items = change.conflicts.iter().map(|c| view! { <li>{conflict_text(&view.schedule, c, lang)}</li> }).collect_view();
        view! { <h3>{t!("shift.conflicts", locale = lang).to_string()}</h3><ul class="conflicts" data-testid="conflicts">{items}</ul> }
    });
    // The POST gets exactly what was previewed, field by field.
    let hidden = input
        .tracks
        .iter()
        .map(|t| view! { <input type="hidden" name="tracks" value=t.clone() /> })
        .collect_view();
    let apply = may_apply.then(|| {
        view! {
            <form method="post" action=format!("/admin/e/{slug}/shift") class="stack">
                <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                {hidden}
                <input type="hidden" name="from" value=input.from.clone() />
                <input type="hidden" name="by" value=input.by.clone() />
                <input type="hidden" name="to" value=if input.by.trim().is_empty() { input.to.clone() } else { String::new() } />
                <input type="hidden" name="until" value=input.until.clone() />
                <input type="hidden" name="date" value=input.date.clone() />
                <input type="hidden" name="include_pinned" value=input.include_pinned.clone() />
                <input type="hidden" name="interrupted" value=input.interrupted.clone() />
                <input type="hidden" name="amends" value=amends.map(|a| a.to_string()).unwrap_or_default() />
                <label for="reason">{t!("shift.reason", locale = lang).to_string()}</label>
                <input id="reason" name="reason" required maxlength="500" />
                {super::proposal::submit_buttons(amends, "apply", "propose", lang)}
            </form>
        }
    });
    view! {
        <section class="card" data-testid="shift-preview">
            <h2>{t!("shift.preview", locale = lang).to_string()}": "{t!("shift.moves", locale = lang, count = p.moved.len()).to_string()}{format!(" ({:+} min)", p.delta_min)}</h2>
            <ul>{moved}</ul>
            {interrupted}
            {conflicts}
            {apply}
            {timeline}
        </section>
    }
    .into_any()
}

/// "Catch up instead": for a delay (a `+N min` shift), the catch-up
/// planner's alternatives with what each costs, each with its own Apply
/// form (CSRF, on the version shown). A GET field asks for a day that may
/// end N minutes later instead of on time.
fn catch_up_part(view: &EventView, input: &ShiftForm, user: &CurrentUser, lang: &str) -> AnyView {
    let slug = view.schedule.event.slug.clone();
    let asked: CatchUpForm = request::query_as();
    let form = CatchUpForm {
        tracks: input.tracks.clone(),
        from: input.from.clone(),
        delay_min: input.by.clone(),
        date: input.date.clone(),
        interrupted: input.interrupted.clone(),
        end_later_min: asked.end_later_min.clone(),
        ..CatchUpForm::default()
    };
    let plan = form
        .input(true)
        .and_then(|i| {
            catchup_input::parse(
                &view.schedule,
                &i,
                view.history.catch_up_rules,
                request::now(),
            )
        })
        .and_then(|cmd| {
            replan::plan_catch_up(&view.schedule, view.tz, &cmd.request).map_err(Into::into)
        });
    let plan = match plan {
        Ok(p) => p,
        Err(e) => {
            return view! { <section class="card" data-testid="catch-up"><p class="error" role="alert">{t!("admin.error", locale = lang, message = e.to_string()).to_string()}</p></section> }.into_any();
        }
    };
    let may_apply = user.access.may(Action::Schedule, &slug);
    let hm = |t| format_hhmm(view.tz, t);
    let track_name = |s: &str| {
        view.schedule
            .tracks
            .iter()
            .find(|t| t.slug == s)
            .map_or_else(|| s.to_owned(), |t| t.name.clone())
    };
    let hidden = |f: &CatchUpForm| {
        let tracks = f
            .tracks
            .iter()
            .map(|t| view! { <input type="hidden" name="tracks" value=t.clone() /> })
            .collect_view();
        view! {
            {tracks}
            <input type="hidden" name="from" value=f.from.clone() />
            <input type="hidden" name="delay_min" value=f.delay_min.clone() />
            <input type="hidden" name="date" value=f.date.clone() />
            <input type="hidden" name="interrupted" value=f.interrupted.clone() />
        }
    };
    let items = plan
        .alternatives
        .iter()
        .map(|a| {
            let name = a.strategy.as_str();
            let title = match a.strategy {
                CatchUpStrategy::EverythingLater => t!("catchup.everything_later", locale = lang),
                CatchUpStrategy::ShortenBreaks => t!("catchup.shorten_breaks", locale = lang),
                CatchUpStrategy::ShortenBreaksAndQa => {
                    t!("catchup.shorten_breaks_and_qa", locale = lang)
                }
            }
            .to_string();
            let tracks = a
                .cost
                .tracks
                .iter()
                .map(|c| {
                    view! { <li>{t!("catchup.track_cost", locale = lang, track = track_name(&c.track), end = hm(c.new_end), was = hm(c.old_end), breaks = c.break_min_lost, talks = c.talk_min_cut).to_string()}</li> }
                })
                .collect_view();
            let shortened = a
                .cost
                .shortened
                .iter()
                .map(|s| view! { <li>{t!("catchup.shortened_talk", locale = lang, title = s.title.clone(), minutes = s.minutes).to_string()}</li> })
                .collect_view();
            let misses = (!a.reaches_goal).then(|| {
                view! { <p class="warn">{t!("catchup.misses", locale = lang, minutes = a.shortfall_min).to_string()}</p> }
            });
            let apply = may_apply.then(|| {
                let id = format!("catchup-reason-{name}");
                view! {
                    <form method="post" action=format!("/admin/e/{slug}/catch-up") class="stack">
                        <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                        {hidden(&form)}
                        <input type="hidden" name="end_later_min" value=form.end_later_min.clone() />
                        <input type="hidden" name="strategy" value=name />
                        <input type="hidden" name="version" value=view.schedule.version.to_string() />
                        <label for=id.clone()>{t!("shift.reason", locale = lang).to_string()}</label>
                        <input id=id name="reason" required maxlength="500" />
                        <button type="submit" data-testid=format!("catch-up-apply-{name}")>{t!("catchup.apply", locale = lang).to_string()}</button>
                    </form>
                }
            });
            view! {
                <li class="card" data-testid=format!("catch-up-{name}")>
                    <h3>{title}</h3>
                    {misses}
                    <ul>{tracks}</ul>
                    <p>{t!("catchup.costs", locale = lang, shortened = a.cost.shortened.len(), speakers = a.cost.speakers.len()).to_string()}</p>
                    <ul>{shortened}</ul>
                    {apply}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card stack" data-testid="catch-up">
            <h2>{t!("catchup.title", locale = lang).to_string()}</h2>
            <p>{t!("catchup.intro", locale = lang).to_string()}</p>
            <form method="get" action=format!("/admin/e/{slug}/shift") class="row">
                {hidden(&form)}
                <input type="hidden" name="by" value=input.by.clone() />
                <label for="end_later_min">{t!("catchup.end_later", locale = lang).to_string()}</label>
                <input id="end_later_min" name="end_later_min" type="number" min="0" max="1440" value=form.end_later_min.clone() />
                <button type="submit">{t!("catchup.ask", locale = lang).to_string()}</button>
            </form>
            <ul class="plain stack">{items}</ul>
        </section>
    }
    .into_any()
}

/// The event's catch-up rules: what "Catch up instead" may take from
/// breaks and Q&A. Schedulers change them here, before the night.
fn rules_part(view: &EventView, user: &CurrentUser, lang: &str) -> impl IntoView + use<> {
    let slug = view.schedule.event.slug.clone();
    let rules = view.history.catch_up_rules;
    let form = user.access.may(Action::Schedule, &slug).then(|| {
        view! {
            <form method="post" action=format!("/admin/e/{slug}/catch-up-rules") class="row">
                <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                <label for="rule-min-break">{t!("catchup.rule_min_break", locale = lang).to_string()}</label>
                <input id="rule-min-break" name="min_break_min" type="number" min="0" max="1440" required value=rules.min_break_min.to_string() />
                <label for="rule-qa-cut">{t!("catchup.rule_qa_cut", locale = lang).to_string()}</label>
                <input id="rule-qa-cut" name="qa_cut_min" type="number" min="0" max="1440" required value=rules.qa_cut_min.to_string() />
                <button type="submit" data-testid="catch-up-rules-save">{t!("catchup.rules_save", locale = lang).to_string()}</button>
            </form>
        }
    });
    view! {
        <section class="card stack" data-testid="catch-up-rules">
            <h2>{t!("catchup.rules_title", locale = lang).to_string()}</h2>
            <p data-testid="catch-up-rules-now">{t!("catchup.rules_now", locale = lang, min_break = rules.min_break_min, qa_cut = rules.qa_cut_min).to_string()}</p>
            {form}
        </section>
    }
}

fn history(view: &EventView, user: &CurrentUser, lang: &str) -> impl IntoView + use<> {
    let slug = view.schedule.event.slug.clone();
    let may_undo = user.access.may(Action::Schedule, &slug);
    let rows = view
        .history
        .shifts
        .iter()
        .map(|s| {
            let undo = (may_undo && s.kind == ShiftKind::Shift && s.reverted_by.is_none() && s.amended_into.is_none()).then(|| {
                view! {
                    <form method="post" action=format!("/admin/e/{slug}/shifts/{}/revert", s.shift_id) class="inline-form">
                        <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                        <button type="submit" data-testid="undo">{t!("shift.undo", locale = lang).to_string()}</button>
                    </form>
                }
            });
            let undone = s.reverted_by.map(|_| view! { <span class="pill">{t!("shift.undone", locale = lang).to_string()}</span> });
            let amended = s.amended_into.map(|by| view! { <span class="pill" data-testid="amended">{t!("shift.amended_by", locale = lang, id = by).to_string()}</span>" " });
            let board = (s.kind == ShiftKind::Shift).then(|| view! {
                <a href=format!("/admin/e/{slug}/shifts/{}", s.shift_id)>{t!("board.link", locale = lang).to_string()}</a>
                " "
            });
            view! {
                <li data-shift=s.shift_id>
                    {format!("{} · v{} · {} · {} · {} ", s.created_at.with_timezone(&view.tz).format("%H:%M"), s.version, s.kind.as_str(), s.summary, s.reason)}
                    {undone}
                    {amended}
                    {board}
                    {undo}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>{t!("shift.history", locale = lang).to_string()}</h2>
            <ul class="plain">{rows}</ul>
        </section>
    }
}

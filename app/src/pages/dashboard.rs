//! `/admin/e/{event}`: the organiser's status dashboard. Plain forms (work
//! without JS, CSRF token in each), built for speed under stress: a
//! template, "all streams", post. Its lists are live regions.

use leptos::prelude::*;
use rust_i18n::t;

use crate::store::NoticeOf;

use super::request::{self, CurrentUser};
use super::{layout, status_labels};
use crate::domain::access::Action;
use crate::domain::status::{ComponentStatus, Impact, IncidentStatus};
use crate::read_model::EventView;
use crate::store::IncidentRecord;

pub fn render() -> AnyView {
    let lang = request::lang();
    let (user, slug, view) = match layout::admin_route_event() {
        Ok(found) => found,
        Err(page) => return page,
    };
    let error = request::form_error().map(|m| {
        view! { <p class="error" role="alert" data-testid="form-error">{t!("admin.error", locale = lang, message = m).to_string()}</p> }
    });
    let body = view! {
        <h1>{format!("{} — {}", view.schedule.event.name, t!("admin.manage", locale = lang))}</h1>
        {error}
        <p>
            <a class="button" href=format!("/admin/e/{slug}/shift")>{t!("shift.title", locale = lang).to_string()}</a>
            " "
            <a class="button" href=format!("/admin/e/{slug}/talks") data-testid="replan-link">{t!("replan.title", locale = lang).to_string()}</a>
            " "
            <a class="button" href=format!("/admin/e/{slug}/screens")>{t!("admin.screens", locale = lang).to_string()}</a>
            " "
            <a class="button" href=format!("/admin/e/{slug}/speakers")>{t!("admin.speakers", locale = lang).to_string()}</a>
            " "
            <a class="button" href=format!("/admin/e/{slug}/webhooks")>{t!("webhook.title", locale = lang).to_string()}</a>
            " "
            <a class="button" href=format!("/admin/e/{slug}/email") data-testid="email-link">{t!("email_admin.title", locale = lang).to_string()}</a>
            " "
            <a class="button" href=format!("/admin/e/{slug}/monitors") data-testid="monitors-link">{t!("monitors.title", locale = lang).to_string()}</a>
            <a class="button" href=format!("/admin/e/{slug}/team") data-testid="team-link">{t!("team.title", locale = lang).to_string()}</a>
        </p>
        {super::webhooks_admin::disabled_notice(&slug, &user, lang)}
        {user.access.may(Action::Incidents, &slug).then(|| open_form(&view, &user, lang))}
        <div id="admin-live" data-live="admin">
            {super::monitors_admin::drafts_card(&view, &user, lang)}
            {live_part(&view, &user, lang)}
        </div>
        {super::postmortems::section(&view, &user, lang)}
    };
    layout::frame(
        t!("admin.manage", locale = lang).to_string(),
        Some(view.clone()),
        body.into_any(),
    )
}

fn options<T: Copy + PartialEq>(
    all: &[T],
    selected: Option<T>,
    value: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> String,
) -> AnyView {
    all.iter()
        .map(|s| view! { <option value=value(*s) selected=Some(*s) == selected>{label(*s)}</option> })
        .collect_view()
        .into_any()
}

fn open_form(view: &EventView, user: &CurrentUser, lang: &str) -> impl IntoView + use<> {
    let slug = &view.schedule.event.slug;
    let view_zone = view.schedule.event.time_zone.clone();
    let templates = super::templates_admin::choices(lang);
    let components = view
        .status
        .components
        .iter()
        .map(|c| {
            view! {
                <label class="check">
                    <input type="checkbox" name="components" value=c.id.to_string() />
                    {c.name.clone()}
                </label>
            }
        })
        .collect_view();
    let incident_statuses = [
        IncidentStatus::Investigating,
        IncidentStatus::Identified,
        IncidentStatus::Monitoring,
    ];
    view! {
        <section class="card" aria-labelledby="h-open-incident">
            <h2 id="h-open-incident">{t!("admin.open_incident", locale = lang).to_string()}</h2>
            <form method="post" action=format!("/admin/e/{slug}/incidents") class="stack" data-testid="open-incident">
                <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                <input type="hidden" name="lang" value=lang.to_owned() />
                <label for="template">{t!("admin.template", locale = lang).to_string()}</label>
                <select id="template" name="template">
                    <option value="">{t!("admin.template_none", locale = lang).to_string()}</option>
                    {templates}
                </select>
                <label for="name">{t!("admin.incident_name", locale = lang).to_string()}</label>
                <input id="name" name="name" maxlength="200" />
                <label for="body">{t!("admin.message", locale = lang).to_string()}</label>
                <textarea id="body" name="body" rows="3"></textarea>
                <p class="muted small">{t!("admin.template_hint", locale = lang).to_string()}</p>
                {signature_field("signature".to_owned(), lang)}
                <fieldset>
                    <legend>{t!("admin.affected", locale = lang).to_string()}</legend>
                    <label class="check">
                        <input type="checkbox" name="components" value="all-streams" />
                        <strong>{t!("admin.all_streams", locale = lang).to_string()}</strong>
                    </label>
                    {components}
                </fieldset>
                <fieldset>
                    <legend>{t!("admin.maintenance_window", locale = lang).to_string()}</legend>
                    <p class="muted small">{t!("admin.maintenance_hint", locale = lang, zone = view_zone.clone()).to_string()}</p>
                    <div class="row">
                        <label>
                            {t!("admin.starts", locale = lang).to_string()}
                            <input type="datetime-local" name="scheduled_for" data-testid="scheduled-for" />
                        </label>
                        <label>
                            {t!("admin.ends", locale = lang).to_string()}
                            <input type="datetime-local" name="scheduled_until" data-testid="scheduled-until" />
                        </label>
                    </div>
                </fieldset>
                <div class="row">
                    <label>
                        {t!("admin.component_status", locale = lang).to_string()}
                        <select name="component_status">
                            {options(&ComponentStatus::ALL, Some(ComponentStatus::MajorOutage), |s| s.as_str(), |s| status_labels::component(s, lang))}
                        </select>
                    </label>
                    <label>
                        {t!("admin.impact", locale = lang).to_string()}
                        <select name="impact">
                            {options(&[Impact::None, Impact::Minor, Impact::Major, Impact::Critical], Some(Impact::Major), |s| s.as_str(), |s| status_labels::impact(s, lang))}
                        </select>
                    </label>
                    <label>
                        {t!("admin.status", locale = lang).to_string()}
                        <select name="status">
                            {options(&incident_statuses, Some(IncidentStatus::Investigating), |s| s.as_str(), |s| status_labels::incident(s, lang))}
                        </select>
                    </label>
                </div>
                <button type="submit" class="primary">{t!("admin.post", locale = lang).to_string()}</button>
            </form>
        </section>
    }
}

fn live_part(view: &EventView, user: &CurrentUser, lang: &str) -> impl IntoView + use<> {
    let open: Vec<&IncidentRecord> = view
        .status
        .incidents
        .iter()
        .filter(|i| !i.status.is_closed())
        .collect();
    let slug = view.schedule.event.slug.clone();
    // A role that cannot write sees the state, not the forms.
    let may_incidents = user.access.may(Action::Incidents, &slug);
    let may_components = user.access.may(Action::Components, &slug);
    let incidents = if open.is_empty() {
        view! { <p class="muted">{t!("admin.no_open", locale = lang).to_string()}</p> }.into_any()
    } else if !may_incidents {
        open.iter()
            .map(|i| view! {
                <article class="incident" data-incident=i.id>
                    <h3>{i.name.clone()}" "<span class="pill">{status_labels::incident(i.status, lang)}</span></h3>
                    {super::reach::list(NoticeOf::Incident(i.id), lang)}
                </article>
            })
            .collect_view()
            .into_any()
    } else {
        open.iter()
            .map(|i| {
                view! {
                    {incident_forms(view, i, user, lang)}
                    {super::reach::list(NoticeOf::Incident(i.id), lang)}
                }
            })
            .collect_view()
            .into_any()
    };
    let components = view
        .status
        .components
        .iter()
        .map(|c| {
            if !may_components {
                return view! {
                    <li data-component=c.id>
                        <span class="component-name">{c.name.clone()}</span>
                        " · "{status_labels::component(c.status, lang)}
                    </li>
                }
                .into_any();
            }
            view! {
                <li>
                    <form method="post" action=format!("/admin/e/{slug}/components/{}", c.id) class="row" data-component=c.id>
                        <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                        <span class="component-name">{c.name.clone()}</span>
                        <label class="visually-hidden" for=format!("cs-{}", c.id)>{t!("admin.status", locale = lang).to_string()}</label>
                        <select id=format!("cs-{}", c.id) name="status">
                            {options(&ComponentStatus::ALL, Some(c.status), |s| s.as_str(), |s| status_labels::component(s, lang))}
                        </select>
                        <button type="submit">{t!("admin.save", locale = lang).to_string()}</button>
                    </form>
                </li>
            }
            .into_any()
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>{t!("status.open_incidents", locale = lang).to_string()}</h2>
            {incidents}
        </section>
        <section class="card">
            <h2>{t!("status.components", locale = lang).to_string()}</h2>
            <ul class="plain">{components}</ul>
        </section>
    }
}

/// The optional public signature of an update: unsigned unless the
/// organiser types one (who wrote it is in the audit log either way).
fn signature_field(id: String, lang: &str) -> impl IntoView + use<> {
    let hint = format!("{id}-hint");
    view! {
        <label for=id.clone()>{t!("admin.signature", locale = lang).to_string()}</label>
        <input id=id name="signature" maxlength="80" aria-describedby=hint.clone() data-testid="signature-input" />
        <p id=hint class="muted small">{t!("admin.signature_hint", locale = lang).to_string()}</p>
    }
}

fn incident_forms(
    view: &EventView,
    i: &IncidentRecord,
    user: &CurrentUser,
    lang: &str,
) -> impl IntoView + use<> {
    let slug = &view.schedule.event.slug;
    let action = format!("/admin/e/{slug}/incidents/{}/updates", i.id);
    let statuses: Vec<IncidentStatus> = if i.is_maintenance {
        vec![
            IncidentStatus::Scheduled,
            IncidentStatus::InProgress,
            IncidentStatus::Verifying,
            IncidentStatus::Completed,
        ]
    } else {
        vec![
            IncidentStatus::Investigating,
            IncidentStatus::Identified,
            IncidentStatus::Monitoring,
            IncidentStatus::Resolved,
        ]
    };
    let resolved = if i.is_maintenance {
        IncidentStatus::Completed
    } else {
        IncidentStatus::Resolved
    };
    // A maintenance not yet closed: its window, in event time, to move (the
    // start only before it begins) or extend when it overruns.
    let local = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&view.tz)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let window = (i.is_maintenance && !i.status.is_closed()).then(|| {
        let not_started = i.status == IncidentStatus::Scheduled;
        view! {
            <div class="row">
                {not_started.then(|| view! {
                    <label>
                        {t!("admin.starts", locale = lang).to_string()}
                        <input type="datetime-local" name="scheduled_for" value=i.scheduled_for.map(local) />
                    </label>
                })}
                <label>
                    {t!("admin.ends", locale = lang).to_string()}
                    <input type="datetime-local" name="scheduled_until" value=i.scheduled_until.map(local) data-testid="ends" />
                </label>
            </div>
        }
    });
    // Only a window that has not started can be called off (a running one
    // is completed); a late click gets the refusal back.
    let cancel = (i.is_maintenance && i.status == IncidentStatus::Scheduled).then(|| {
        view! {
            <form method="post" action=format!("/admin/e/{slug}/incidents/{}/cancel", i.id) class="row">
                <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                <input type="hidden" name="lang" value=lang.to_owned() />
                <label>
                    {t!("admin.cancel_reason", locale = lang).to_string()}
                    <input type="text" name="body" maxlength="2000" data-testid="cancel-reason" />
                </label>
                <label>
                    {t!("admin.signature", locale = lang).to_string()}
                    <input type="text" name="signature" maxlength="80" />
                </label>
                <button type="submit" data-testid="cancel-maintenance">{t!("admin.cancel_maintenance", locale = lang).to_string()}</button>
            </form>
        }
    });
    view! {
        <article class="incident" data-incident=i.id>
            <h3>{i.name.clone()}" "<span class="pill">{status_labels::incident(i.status, lang)}</span></h3>
            <form method="post" action=action.clone() class="stack">
                <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                <input type="hidden" name="lang" value=lang.to_owned() />
                <label for=format!("u-{}", i.id)>{t!("admin.message", locale = lang).to_string()}</label>
                <textarea id=format!("u-{}", i.id) name="body" rows="2"></textarea>
                {signature_field(format!("sig-{}", i.id), lang)}
                {window}
                <div class="row">
                    <select name="status" aria-label=t!("admin.status", locale = lang).to_string()>
                        {options(&statuses, Some(i.status), |s| s.as_str(), |s| status_labels::incident(s, lang))}
                    </select>
                    <select name="component_status" aria-label=t!("admin.component_status", locale = lang).to_string()>
                        <option value="">{t!("admin.keep", locale = lang).to_string()}</option>
                        {options(&ComponentStatus::ALL, None, |s| s.as_str(), |s| status_labels::component(s, lang))}
                    </select>
                    <button type="submit">{t!("admin.post_update", locale = lang).to_string()}</button>
                </div>
            </form>
            <form method="post" action=action>
                <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                <input type="hidden" name="lang" value=lang.to_owned() />
                <input type="hidden" name="status" value=resolved.as_str() />
                <input type="hidden" name="template" value="resolved" />
                <button type="submit" class="primary" data-testid="resolve">{t!("admin.resolve", locale = lang).to_string()}</button>
            </form>
            {cancel}
        </article>
    }
}

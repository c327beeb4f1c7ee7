//! `/admin/e/{event}/monitors`: the event's monitors with their state and
//! last results, a form to add one, and per monitor an edit form, pause or
//! resume, and remove. Plain forms (work without JS, CSRF token in each).
//! The monitors come from the database, which pages do not read: the
//! server's middleware puts them on the request ([`MonitorPageData`]).
//! Also the dashboard's card of drafted incidents, published in one click.

use leptos::prelude::*;
use rust_i18n::t;

use super::{layout, request, status_labels};
use crate::domain::access::Action;
use crate::domain::monitor::MonitorKind;
use crate::domain::status::ComponentStatus;
use crate::pages::request::CurrentUser;
use crate::read_model::EventView;
use crate::store::{MonitorDraft, MonitorRecord};

/// What the monitor page and the dashboard show from the database.
#[derive(Debug, Clone, Default)]
pub struct MonitorPageData {
    pub monitors: Vec<MonitorRecord>,
    pub drafts: Vec<MonitorDraft>,
}

const DOWN_STATUSES: [ComponentStatus; 3] = [
    ComponentStatus::DegradedPerformance,
    ComponentStatus::PartialOutage,
    ComponentStatus::MajorOutage,
];

pub fn render() -> AnyView {
    let (user, slug, view) = match layout::admin_route_event() {
        Ok(x) => x,
        Err(v) => return v,
    };
    let lang = request::lang();
    let data = request::extension::<MonitorPageData>().unwrap_or_default();
    let may_edit = user.access.may(Action::Components, &slug);
    let error = request::form_error().map(|m| {
        view! { <p class="error" role="alert" data-testid="form-error">{t!("admin.error", locale = lang, message = m).to_string()}</p> }
    });
    let rows = if data.monitors.is_empty() {
        view! { <p class="muted">{t!("monitors.none", locale = lang).to_string()}</p> }.into_any()
    } else {
        data.monitors
            .iter()
            .map(|m| monitor_card(&view, m, &user, may_edit, lang))
            .collect_view()
            .into_any()
    };
    let body = view! {
        <h1>{t!("monitors.title", locale = lang).to_string()}</h1>
        <p class="muted">{t!("monitors.intro", locale = lang).to_string()}</p>
        {error}
        <div id="admin-live" data-live="admin">{rows}</div>
        {may_edit.then(|| view! {
            <section class="card" aria-labelledby="h-add-monitor">
                <h2 id="h-add-monitor">{t!("monitors.add", locale = lang).to_string()}</h2>
                {monitor_form(&view, None, &user, lang)}
            </section>
        })}
    };
    layout::frame(
        t!("monitors.title", locale = lang).to_string(),
        Some(view.clone()),
        body.into_any(),
    )
}

fn component_name(view: &EventView, id: i64) -> String {
    view.status
        .components
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.name.clone())
        .unwrap_or_default()
}

fn monitor_card(
    view: &EventView,
    m: &MonitorRecord,
    user: &CurrentUser,
    may_edit: bool,
    lang: &str,
) -> impl IntoView + use<> {
    let slug = view.schedule.event.slug.clone();
    let state_key = if m.paused {
        "monitors.paused"
    } else if m.down {
        "monitors.down"
    } else {
        "monitors.up"
    };
    let state = t!(state_key, locale = lang).to_string();
    // The pause button sets the opposite of what is.
    let (pause_to, pause_key) = if m.paused {
        ("false", "monitors.resume")
    } else {
        ("true", "monitors.pause")
    };
    let pause_label = t!(pause_key, locale = lang).to_string();
    let last = match (m.last_checked_at, m.last_ok) {
        (Some(at), Some(ok)) => {
            let when = at.with_timezone(&view.tz).format("%H:%M:%S").to_string();
            let verdict = if ok { "✓" } else { "✗" };
            let ms = m
                .last_latency_ms
                .map(|l| format!(" · {l} ms"))
                .unwrap_or_default();
            format!("{when} {verdict}{ms} {}", m.last_detail)
        }
        _ => t!("monitors.never", locale = lang).to_string(),
    };
    // Oldest first, as a strip of ✓ and ✗ with a text equivalent.
    let strip: String = m
        .recent
        .chars()
        .map(|c| if c == '1' { '✓' } else { '✗' })
        .collect();
    let failed = m.recent.chars().filter(|c| *c == '0').count();
    let strip_label = t!(
        "monitors.recent",
        locale = lang,
        failed = failed,
        total = m.recent.len()
    )
    .to_string();
    let base = format!("/admin/e/{slug}/monitors/{}", m.id);
    let actions = may_edit.then(|| {
        view! {
            <div class="row">
                <form method="post" action=format!("{base}/pause") class="inline-form">
                    <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                    <input type="hidden" name="paused" value=pause_to />
                    <button type="submit">{pause_label.clone()}</button>
                </form>
                <form method="post" action=format!("{base}/delete") class="inline-form">
                    <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                    <button type="submit">{t!("monitors.remove", locale = lang).to_string()}</button>
                </form>
            </div>
            <details>
                <summary>{t!("monitors.edit", locale = lang).to_string()}</summary>
                {monitor_form(view, Some(m), user, lang)}
            </details>
        }
    });
    view! {
        <article class="card" data-monitor=m.id data-down=m.down.to_string()>
            <h2>{m.name.clone()}" "<span class="pill" data-testid="monitor-state">{state}</span></h2>
            <p>
                {component_name(view, m.component_id)}" · "{m.kind.as_str().to_uppercase()}" · "
                <code>{m.target.clone()}</code>
            </p>
            <p class="small">
                {t!("monitors.rule", locale = lang, failures = m.failures, window = m.window, recoveries = m.recoveries, interval = m.interval_secs).to_string()}
                " → "{status_labels::component(m.down_status, lang)}
            </p>
            <p data-testid="monitor-last">{t!("monitors.last", locale = lang).to_string()}": "{last}</p>
            <p aria-label=strip_label.clone() title=strip_label>{strip}</p>
            {actions}
        </article>
    }
}

fn monitor_form(
    view: &EventView,
    m: Option<&MonitorRecord>,
    user: &CurrentUser,
    lang: &str,
) -> impl IntoView + use<> {
    let slug = &view.schedule.event.slug;
    let action = match m {
        Some(m) => format!("/admin/e/{slug}/monitors/{}", m.id),
        None => format!("/admin/e/{slug}/monitors"),
    };
    // Ids unique per form: the add form and each edit form on one page.
    let key = m.map_or("new".to_owned(), |m| m.id.to_string());
    let id = |f: &str| format!("mon-{key}-{f}");
    let comp = m.map(|m| m.component_id);
    let components = view
        .status
        .components
        .iter()
        .map(|c| view! { <option value=c.id.to_string() selected=Some(c.id) == comp>{c.name.clone()}</option> })
        .collect_view();
    let kind = m.map_or(MonitorKind::Http, |m| m.kind);
    let kinds = MonitorKind::ALL
        .map(|k| view! { <option value=k.as_str() selected=k == kind>{t!(format!("monitors.kind_{}", k.as_str()), locale = lang).to_string()}</option> });
    let down = m.map_or(ComponentStatus::MajorOutage, |m| m.down_status);
    let downs = DOWN_STATUSES
        .map(|s| view! { <option value=s.as_str() selected=s == down>{status_labels::component(s, lang)}</option> });
    let num = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let field = |name: &'static str, label: &'static str, value: String, kind: &'static str| {
        let fid = id(name);
        view! {
            <label for=fid.clone()>{t!(label, locale = lang).to_string()}</label>
            <input id=fid name=name type=kind value=value />
        }
    };
    let cid = id("component");
    let kid = id("kind");
    let did = id("down");
    let draft_id = id("draft");
    let draft_for = draft_id.clone();
    view! {
        <form method="post" action=action class="stack" data-testid=format!("monitor-form-{key}")>
            <input type="hidden" name="csrf" value=user.csrf_token.clone() />
            <label for=cid.clone()>{t!("monitors.component", locale = lang).to_string()}</label>
            <select id=cid name="component_id">{components}</select>
            {field("name", "monitors.name", m.map(|m| m.name.clone()).unwrap_or_default(), "text")}
            <label for=kid.clone()>{t!("monitors.kind", locale = lang).to_string()}</label>
            <select id=kid name="kind">{kinds}</select>
            {field("target", "monitors.target", m.map(|m| m.target.clone()).unwrap_or_default(), "text")}
            <p class="muted small">{t!("monitors.target_hint", locale = lang).to_string()}</p>
            <div class="row">
                {field("interval_secs", "monitors.interval", num(m.map(|m| m.interval_secs)), "number")}
                {field("timeout_ms", "monitors.timeout", num(m.map(|m| m.timeout_ms)), "number")}
            </div>
            <div class="row">
                {field("failures", "monitors.failures", num(m.map(|m| m.failures)), "number")}
                {field("window", "monitors.window", num(m.map(|m| m.window)), "number")}
                {field("recoveries", "monitors.recoveries", num(m.map(|m| m.recoveries)), "number")}
            </div>
            <label for=did.clone()>{t!("monitors.down_status", locale = lang).to_string()}</label>
            <select id=did name="down_status">{downs}</select>
            <div class="row">
                {field("expect_status", "monitors.expect_status", m.map(|m| m.expect_status.clone()).unwrap_or_default(), "text")}
                {field("keyword", "monitors.keyword", m.and_then(|m| m.keyword.clone()).unwrap_or_default(), "text")}
                {field("max_latency_ms", "monitors.max_latency", num(m.and_then(|m| m.max_latency_ms)), "number")}
                {field("stale_secs", "monitors.stale", num(m.map(|m| m.stale_secs)), "number")}
            </div>
            <label class="check" for=draft_for>
                <input id=draft_id type="checkbox" name="draft_incident" value="true" checked=m.is_some_and(|m| m.draft_incident) />
                {t!("monitors.draft_incident", locale = lang).to_string()}
            </label>
            <button type="submit" class="primary">{t!("monitors.save", locale = lang).to_string()}</button>
        </form>
    }
}

/// The dashboard's card: incidents monitors drafted, each published (or
/// discarded) in one click. Nothing when there are none.
pub fn drafts_card(view: &EventView, user: &CurrentUser, lang: &str) -> impl IntoView + use<> {
    let slug = view.schedule.event.slug.clone();
    let drafts = request::extension::<MonitorPageData>()
        .map(|d| d.drafts)
        .unwrap_or_default();
    let may = user.access.may(Action::Incidents, &slug);
    (!drafts.is_empty()).then(|| {
        let items = drafts
            .iter()
            .map(|d| {
                let base = format!("/admin/e/{slug}/monitor-drafts/{}", d.id);
                view! {
                    <li data-draft=d.id>
                        <strong>{d.name.clone()}</strong>" — "{d.body_md.clone()}
                        {may.then(|| view! {
                            <form method="post" action=format!("{base}/publish") class="inline-form">
                                <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                                <button type="submit" class="primary">{t!("monitors.publish", locale = lang).to_string()}</button>
                            </form>
                            <form method="post" action=format!("{base}/discard") class="inline-form">
                                <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                                <button type="submit">{t!("monitors.discard", locale = lang).to_string()}</button>
                            </form>
                        })}
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="card" aria-labelledby="h-drafts" data-testid="monitor-drafts">
                <h2 id="h-drafts">{t!("monitors.drafts", locale = lang).to_string()}</h2>
                <ul>{items}</ul>
            </section>
        }
    })
}

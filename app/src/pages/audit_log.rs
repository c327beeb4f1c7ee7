//! `/admin/e/{event}/audit`: every organiser write on the event, newest
//! first, fifty a page: when (event time), who, what, on what, the outcome
//! and from where. Owners only (it names people and their addresses);
//! the same entries download as JSON (`audit.json`).

use leptos::prelude::*;
use rust_i18n::t;

use super::team::{AuditData, team_nav};
use super::{layout, request};
use crate::domain::access::Action;

pub fn render() -> AnyView {
    let (user, slug, view) = match layout::admin_route_event() {
        Ok(x) => x,
        Err(v) => return v,
    };
    let lang = request::lang();
    if let Err(denied) = user.check(Action::Members, &slug) {
        return layout::forbidden(denied.to_string());
    }
    let Some(data) = request::extension::<AuditData>() else {
        return layout::not_found();
    };
    let tz = view.tz;
    let rows = data
        .entries
        .iter()
        .map(|e| {
            let outcome = if e.ok {
                t!("audit.ok", locale = lang).to_string()
            } else if e.status == crate::domain::audit::ATTEMPTED {
                t!("audit.attempted", locale = lang).to_string()
            } else {
                t!("audit.refused", locale = lang, status = e.status).to_string()
            };
            view! {
                <tr data-audit=e.id data-kind=e.kind.clone() data-ok=e.ok.to_string()>
                    <td><time datetime=e.at.to_rfc3339()>{e.at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()}</time></td>
                    <td>{format!("{} ({})", e.actor, e.actor_kind)}</td>
                    <td><code>{e.kind.clone()}</code>" "{e.summary.clone()}</td>
                    <td>{e.target.clone().unwrap_or_default()}</td>
                    <td>{outcome}</td>
                    <td>{e.client_ip.clone().unwrap_or_default()}<br /><span class="muted small">{e.user_agent.clone().unwrap_or_default()}</span></td>
                </tr>
            }
        })
        .collect_view();
    let pages = (data.total + data.per_page - 1) / data.per_page;
    let prev = (data.page > 1).then(|| {
        view! { <a rel="prev" href=format!("/admin/e/{slug}/audit?page={}", data.page - 1)>{t!("audit.newer", locale = lang).to_string()}</a> }
    });
    let next = (data.page < pages).then(|| {
        view! { <a rel="next" href=format!("/admin/e/{slug}/audit?page={}", data.page + 1)>{t!("audit.older", locale = lang).to_string()}</a> }
    });
    let body = view! {
        <h1>{format!("{} — {}", view.schedule.event.name, t!("team.audit", locale = lang))}</h1>
        {team_nav(&slug, lang)}
        <p class="muted">{t!("audit.intro", locale = lang).to_string()}</p>
        <p><a href=format!("/admin/e/{slug}/audit.json?page={}", data.page) data-testid="audit-json" download>{t!("audit.export", locale = lang).to_string()}</a></p>
        <div class="table-wrap">
            <table class="board" data-testid="audit">
                <caption>{t!("audit.caption", locale = lang, page = data.page, pages = pages.max(1), total = data.total).to_string()}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t!("audit.when", locale = lang).to_string()}</th>
                        <th scope="col">{t!("audit.who", locale = lang).to_string()}</th>
                        <th scope="col">{t!("audit.what", locale = lang).to_string()}</th>
                        <th scope="col">{t!("audit.target", locale = lang).to_string()}</th>
                        <th scope="col">{t!("audit.outcome", locale = lang).to_string()}</th>
                        <th scope="col">{t!("audit.from", locale = lang).to_string()}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <nav class="pager" aria-label=t!("audit.pages", locale = lang).to_string()>{prev}" "{next}</nav>
    };
    layout::frame(
        t!("team.audit", locale = lang).to_string(),
        Some(view.clone()),
        body.into_any(),
    )
}

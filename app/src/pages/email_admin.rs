//! `/admin/e/{event}/email`: the organiser's e-mail channel. Whether an
//! SMTP server is configured (where and how, never its credentials), the
//! event's subscribers and deliveries by state, and the recent deliveries
//! (notice, time, outcome, attempts, class of error) with the recipient
//! masked (`a***@example.org`), for those who may manage the event's
//! channels. Server-only, like the webhooks page; the data comes from the
//! request (`EmailBoard`, put there by the server).

use leptos::prelude::*;
use rust_i18n::t;

use super::{layout, request};
use crate::domain::access::Action;
use crate::store::EmailBoard;

fn tr(key: &str, lang: &str) -> String {
    t!(key, locale = lang).to_string()
}

pub fn render() -> AnyView {
    let (user, slug, view) = match layout::admin_route_event() {
        Ok(x) => x,
        Err(v) => return v,
    };
    request::set_no_store();
    let lang = request::lang();
    let board = request::extension::<EmailBoard>().unwrap_or_default();
    let may_log = user.access.may(Action::Webhooks, &slug);
    let smtp = match &board.smtp {
        Some(s) => view! {
            <p data-testid="smtp-state" data-configured="true">
                {t!(
                    "email_admin.smtp_on",
                    locale = lang,
                    host = s.host,
                    port = s.port,
                    tls = s.tls,
                    from = s.from,
                    n = s.connections
                ).to_string()}
                " "
                {tr(if s.auth { "email_admin.smtp_auth" } else { "email_admin.smtp_no_auth" }, lang)}
            </p>
        }
        .into_any(),
        None => view! {
            <p class="muted" data-testid="smtp-state" data-configured="false">{tr("email_admin.smtp_off", lang)}</p>
        }
        .into_any(),
    };
    let count_row = |key: &str, testid: &'static str, n: i64| {
        view! {
            <tr>
                <th scope="row">{tr(key, lang)}</th>
                <td data-testid=testid>{n}</td>
            </tr>
        }
    };
    let s = board.subscribers;
    let d = &board.deliveries;
    let subscribers = view! {
        <table class="board" data-testid="email-subscribers">
            <tbody>
                {count_row("email_admin.confirmed", "subscribers-confirmed", s.confirmed)}
                {count_row("email_admin.pending", "subscribers-pending", s.pending)}
                {count_row("email_admin.unsubscribed", "subscribers-unsubscribed", s.unsubscribed)}
                {count_row("email_admin.speakers_with_address", "speakers-with-address", board.speakers_with_address)}
            </tbody>
        </table>
    };
    let deliveries = view! {
        <table class="board" data-testid="email-deliveries">
            <tbody>
                {count_row("email_admin.state_pending", "deliveries-pending", d.pending)}
                {count_row("email_admin.state_sent", "deliveries-sent", d.sent)}
                {count_row("email_admin.state_failed", "deliveries-failed", d.failed)}
                {count_row("email_admin.state_gone", "deliveries-gone", d.gone)}
                {count_row("email_admin.state_expired", "deliveries-expired", d.expired)}
            </tbody>
        </table>
    };
    let rows = board
        .log
        .iter()
        .map(|e| {
            let to = if e.to_speaker {
                t!("email_admin.to_speaker", locale = lang, to = e.recipient).to_string()
            } else {
                e.recipient.clone()
            };
            view! {
                <tr data-testid="email-delivery" data-state=e.state.clone()>
                    <td>{e.at.with_timezone(&view.tz).format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                    <td>{format!("#{} {}", e.notice_id, e.notice_kind)}</td>
                    <td data-testid="email-recipient">{to}</td>
                    <td>{tr(&format!("email_admin.state_{}", e.state), lang)}</td>
                    <td>{e.attempts}</td>
                    <td class="wrap">{e.error.clone().unwrap_or_else(|| "—".to_owned())}</td>
                </tr>
            }
        })
        .collect_view();
    let log = if may_log {
        view! {
            {board.log.is_empty().then(|| view! { <p>{tr("email_admin.log_empty", lang)}</p> })}
            <div class="table-wrap">
                <table class="board" data-testid="email-log">
                    <thead>
                        <tr>
                            <th scope="col">{tr("email_admin.at", lang)}</th>
                            <th scope="col">{tr("email_admin.notice", lang)}</th>
                            <th scope="col">{tr("email_admin.recipient", lang)}</th>
                            <th scope="col">{tr("email_admin.outcome", lang)}</th>
                            <th scope="col">{tr("email_admin.attempts", lang)}</th>
                            <th scope="col">{tr("email_admin.error", lang)}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    } else {
        view! { <p class="muted">{tr("email_admin.log_hidden", lang)}</p> }.into_any()
    };
    let body = view! {
        <h1>{tr("email_admin.title", lang)}</h1>
        <p class="muted">{tr("email_admin.intro", lang)}</p>
        {smtp}
        <h2>{tr("email_admin.subscribers", lang)}</h2>
        {subscribers}
        <h2>{tr("email_admin.deliveries", lang)}</h2>
        {deliveries}
        <h2>{tr("email_admin.log", lang)}</h2>
        {log}
    };
    layout::frame(
        tr("email_admin.title", lang),
        Some(view.clone()),
        body.into_any(),
    )
}

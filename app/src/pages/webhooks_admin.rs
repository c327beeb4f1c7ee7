//! `/admin/e/{event}/webhooks`: the event's outgoing webhooks, a form to
//! add one, test / re-enable / remove buttons, and the delivery log. Plain
//! forms with the session's CSRF token. A new signing key is shown once,
//! to the organiser who made it. The dashboard shows a notice for each
//! webhook that was disabled after failing ([`disabled_notice`]).

use leptos::prelude::*;
use rust_i18n::t;

use super::{layout, request};
use crate::components::CopyButton;
use crate::domain::access::Action;
use crate::domain::webhook::{Preset, WebhookKind};
use crate::store::{WebhookBoard, WebhookRecord};

fn kind_label(k: WebhookKind, lang: &str) -> String {
    t!(format!("webhook.kind_{}", k.as_str()), locale = lang).to_string()
}

fn target(h: &WebhookRecord, lang: &str) -> String {
    match h.preset {
        Preset::Telegram => {
            t!("webhook.telegram_target", locale = lang, chat = h.chat_id).to_string()
        }
        _ => h.url.clone(),
    }
}

/// On the dashboard: each disabled webhook, why, and a button that turns
/// it back on (for those who may).
pub fn disabled_notice(slug: &str, user: &request::CurrentUser, lang: &str) -> Option<AnyView> {
    let board = request::extension::<WebhookBoard>()?;
    let off: Vec<&WebhookRecord> = board.hooks.iter().filter(|h| !h.enabled).collect();
    if off.is_empty() {
        return None;
    }
    let may = user.access.may(Action::Webhooks, slug);
    let items = off
        .into_iter()
        .map(|h| {
            let name = if h.name.is_empty() { target(h, lang) } else { h.name.clone() };
            view! {
                <li data-webhook=h.id.to_string()>
                    {t!("webhook.disabled_notice", locale = lang, name = name, n = h.consecutive_failures).to_string()}
                    " "
                    {may.then(|| enable_button(slug, h.id, &user.csrf_token, lang))}
                </li>
            }
        })
        .collect_view();
    Some(
        view! {
            <div class="error" role="alert" data-testid="webhook-disabled">
                <ul>{items}</ul>
                <a href=format!("/admin/e/{slug}/webhooks")>{t!("webhook.title", locale = lang).to_string()}</a>
            </div>
        }
        .into_any(),
    )
}

fn action_button(slug: &str, id: i64, csrf: &str, action: &str, label: String) -> AnyView {
    view! {
        <form method="post" action=format!("/admin/e/{slug}/webhooks/{id}/{action}") class="inline-form">
            <input type="hidden" name="csrf" value=csrf.to_owned() />
            <button type="submit" data-action=action.to_owned()>{label}</button>
        </form>
    }
    .into_any()
}

fn enable_button(slug: &str, id: i64, csrf: &str, lang: &str) -> AnyView {
    action_button(
        slug,
        id,
        csrf,
        "enable",
        t!("webhook.enable", locale = lang).to_string(),
    )
}

pub fn render() -> AnyView {
    let (user, slug, view) = match layout::admin_route_event() {
        Ok(x) => x,
        Err(v) => return v,
    };
    request::set_no_store();
    let lang = request::lang();
    let board = request::extension::<WebhookBoard>().unwrap_or_default();
    let may = user.access.may(Action::Webhooks, &slug);
    let error = request::form_error().map(|m| {
        view! { <p class="error" role="alert" data-testid="form-error">{t!("admin.error", locale = lang, message = m).to_string()}</p> }
    });
    let fresh = request::state()
        .webhooks
        .issued
        .lock()
        .map(|mut m| m.remove(&user.csrf_token))
        .unwrap_or_default()
        .map(|(_, secret)| {
            view! {
                <div class="fresh-link" data-testid="webhook-secret">
                    <label for="webhook-secret">{t!("webhook.secret_once", locale = lang).to_string()}</label>
                    <input id="webhook-secret" class="screen-url" readonly value=secret />
                    <CopyButton
                        target="webhook-secret".to_owned()
                        label=t!("screen.copy", locale = lang).to_string()
                        done=t!("screen.copied", locale = lang).to_string()
                    />
                </div>
            }
        });
    let rows = board
        .hooks
        .iter()
        .map(|h| {
            let kinds = h.kinds.iter().map(|k| kind_label(*k, lang)).collect::<Vec<_>>().join(", ");
            let state = if h.enabled {
                t!("webhook.enabled", locale = lang).to_string()
            } else {
                t!(
                    "webhook.disabled",
                    locale = lang,
                    reason = h.disabled_reason.clone().unwrap_or_default()
                )
                .to_string()
            };
            let csrf = user.csrf_token.clone();
            view! {
                <tr data-webhook=h.id.to_string()>
                    <td>{h.name.clone()}</td>
                    <td>{h.preset.as_str()}</td>
                    <td class="wrap">{target(h, lang)}</td>
                    <td>{kinds}</td>
                    <td data-testid="webhook-state">{state}</td>
                    <td>
                        {may.then(|| view! {
                            {action_button(&slug, h.id, &csrf, "test", t!("webhook.test", locale = lang).to_string())}
                            {(!h.enabled).then(|| enable_button(&slug, h.id, &csrf, lang))}
                            {action_button(&slug, h.id, &csrf, "remove", t!("webhook.remove", locale = lang).to_string())}
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let names = |id: i64| {
        board
            .hooks
            .iter()
            .find(|h| h.id == id)
            .map(|h| {
                if h.name.is_empty() {
                    target(h, lang)
                } else {
                    h.name.clone()
                }
            })
            .unwrap_or_default()
    };
    let log = board
        .log
        .iter()
        .map(|a| {
            let result = match (a.status, &a.error) {
                (Some(s), None) => format!("HTTP {s}"),
                (_, Some(e)) => e.clone(),
                (None, None) => "—".to_owned(),
            };
            view! {
                <tr data-testid="webhook-attempt">
                    <td>{a.at.with_timezone(&view.tz).format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                    <td>{names(a.webhook_id)}</td>
                    <td>{a.event_type.clone()}</td>
                    <td>{a.attempt}</td>
                    <td class="wrap">{result}</td>
                    <td>{format!("{} ms", a.latency_ms)}</td>
                    <td>{a.state.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let body = view! {
        <h1>{t!("webhook.title", locale = lang).to_string()}</h1>
        <p class="muted">{t!("webhook.intro", locale = lang).to_string()}</p>
        {error}
        {fresh}
        {board.hooks.is_empty().then(|| view! { <p>{t!("webhook.none", locale = lang).to_string()}</p> })}
        <div class="table-wrap">
            <table class="board" data-testid="webhooks">
                <thead>
                    <tr>
                        <th scope="col">{t!("webhook.name", locale = lang).to_string()}</th>
                        <th scope="col">{t!("webhook.preset", locale = lang).to_string()}</th>
                        <th scope="col">{t!("webhook.target", locale = lang).to_string()}</th>
                        <th scope="col">{t!("webhook.kinds", locale = lang).to_string()}</th>
                        <th scope="col">{t!("webhook.state", locale = lang).to_string()}</th>
                        <th scope="col"><span class="visually-hidden">{t!("webhook.actions", locale = lang).to_string()}</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {may.then(|| add_form(&slug, &user.csrf_token, lang))}
        <h2>{t!("webhook.log", locale = lang).to_string()}</h2>
        {board.log.is_empty().then(|| view! { <p>{t!("webhook.log_empty", locale = lang).to_string()}</p> })}
        <div class="table-wrap">
            <table class="board" data-testid="webhook-log">
                <thead>
                    <tr>
                        <th scope="col">{t!("webhook.at", locale = lang).to_string()}</th>
                        <th scope="col">{t!("webhook.name", locale = lang).to_string()}</th>
                        <th scope="col">{t!("webhook.type", locale = lang).to_string()}</th>
                        <th scope="col">{t!("webhook.attempt", locale = lang).to_string()}</th>
                        <th scope="col">{t!("webhook.result", locale = lang).to_string()}</th>
                        <th scope="col">{t!("webhook.latency", locale = lang).to_string()}</th>
                        <th scope="col">{t!("webhook.delivery_state", locale = lang).to_string()}</th>
                    </tr>
                </thead>
                <tbody>{log}</tbody>
            </table>
        </div>
    };
    layout::frame(
        t!("webhook.title", locale = lang).to_string(),
        Some(view.clone()),
        body.into_any(),
    )
}

fn add_form(slug: &str, csrf: &str, lang: &str) -> AnyView {
    let presets = Preset::ALL
        .iter()
        .map(|p| view! { <option value=p.as_str()>{p.as_str()}</option> })
        .collect_view();
    let kinds = WebhookKind::ALL
        .iter()
        .map(|k| {
            let id = format!("webhook-kind-{}", k.as_str());
            let label_for = id.clone();
            view! {
                <label for=label_for>
                    <input type="checkbox" id=id name="kinds" value=k.as_str() checked=*k != WebhookKind::SpeakerAnswers />
                    " " {kind_label(*k, lang)}
                </label>
            }
        })
        .collect_view();
    let langs = crate::i18n::LANGS
        .iter()
        .map(|(code, name)| view! { <option value=*code selected=*code == lang>{*name}</option> })
        .collect_view();
    view! {
        <h2>{t!("webhook.add", locale = lang).to_string()}</h2>
        <form method="post" action=format!("/admin/e/{slug}/webhooks") class="stack" data-testid="webhook-add">
            <input type="hidden" name="csrf" value=csrf.to_owned() />
            <label for="webhook-name">{t!("webhook.name", locale = lang).to_string()}</label>
            <input id="webhook-name" name="name" maxlength="100" />
            <label for="webhook-preset">{t!("webhook.preset", locale = lang).to_string()}</label>
            <select id="webhook-preset" name="preset">{presets}</select>
            <label for="webhook-url">{t!("webhook.url", locale = lang).to_string()}</label>
            <input id="webhook-url" name="url" type="url" placeholder="https://" />
            <fieldset>
                <legend>{t!("webhook.kinds", locale = lang).to_string()}</legend>
                {kinds}
            </fieldset>
            <label for="webhook-lang">{t!("webhook.lang", locale = lang).to_string()}</label>
            <select id="webhook-lang" name="lang">{langs}</select>
            <p class="muted">{t!("webhook.telegram_hint", locale = lang).to_string()}</p>
            <label for="webhook-chat">{t!("webhook.chat_id", locale = lang).to_string()}</label>
            <input id="webhook-chat" name="chat_id" />
            <label for="webhook-bot">{t!("webhook.bot_token", locale = lang).to_string()}</label>
            <input id="webhook-bot" name="bot_token" type="password" autocomplete="off" />
            <button type="submit">{t!("webhook.add", locale = lang).to_string()}</button>
        </form>
    }
    .into_any()
}

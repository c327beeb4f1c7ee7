//! The pages a mail links to, and the panel's no-JS subscribe form. Each
//! link's token is its credential (only its hash is stored), so these
//! need no sign-in or CSRF token; GET only shows a form and POST acts,
//! because mail scanners open every link in a message.

use std::sync::Arc;

use app::auth::{hash_token, new_token};
use app::domain::email::html_escape;
use app::domain::notice::Notice;
use app::error::{AppError, Result};
use app::i18n::tr;
use app::state::AppState;
use app::store::Answer;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;

use super::email_api::{EmailContext, EmailSubscribeInput, accept, choice, subscribe_and_confirm};
use crate::client_ip::ClientIp;
use crate::limits::Limits;

/// The page's language from `Accept-Language` (these pages have no
/// language switch: the mail's reader chose it already).
pub fn page_lang(headers: &HeaderMap) -> &'static str {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    app::i18n::negotiate(None, accept)
}

/// A small standalone page in the site's stylesheet. Never cached or
/// stored: its URL holds a token.
pub fn page(status: StatusCode, lang: &str, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{t}</title><link rel=\"stylesheet\" href=\"/pkg/marquee.css\"></head>\
         <body><main id=\"main\" class=\"email-page\"><h1>{t}</h1>{body}</main></body></html>",
        t = html_escape(title)
    );
    let mut res = (status, axum::response::Html(html)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn invalid_link(lang: &str) -> Response {
    page(
        StatusCode::NOT_FOUND,
        lang,
        &tr("email.manage_title", lang),
        &format!(
            "<p role=\"alert\">{}</p>",
            html_escape(&tr("email.link_invalid", lang))
        ),
    )
}

/// The panel's form (repeated `track` fields).
#[derive(Debug, Deserialize)]
pub struct SubscribeForm {
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub track: Vec<String>,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
}

impl SubscribeForm {
    fn tracks(&self) -> Vec<String> {
        match self.scope.as_deref() {
            Some("tracks") => self.track.clone(),
            _ => vec!["all".into()],
        }
    }
}

/// A refused form: the field and why, on a page with a way back.
fn refused(lang: &str, e: AppError, back: &str) -> Response {
    match e {
        AppError::Invalid { field, message } => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            lang,
            &tr("email.heading", lang),
            &format!(
                "<p role=\"alert\"><strong>{}</strong>: {}</p><p><a href=\"{}\">←</a></p>",
                html_escape(&field),
                html_escape(&message),
                html_escape(back)
            ),
        ),
        other => other.into_response(),
    }
}

/// `POST /e/{event}/email`: the panel's form, without JavaScript.
pub async fn subscribe_form(
    State(state): State<AppState>,
    ctx: Option<Extension<EmailContext>>,
    Extension(limits): Extension<Arc<Limits>>,
    Path(slug): Path<String>,
    ip: ClientIp,
    Form(f): Form<SubscribeForm>,
) -> Response {
    let lang = f
        .lang
        .as_deref()
        .and_then(app::i18n::supported)
        .unwrap_or("en");
    let Some(Extension(ctx)) = ctx else {
        return AppError::not_found("e-mail updates (no mail server configured)").into_response();
    };
    let input = EmailSubscribeInput {
        address: f.address.clone(),
        tracks: f.tracks(),
        lang: f.lang.clone(),
        time_zone: f.time_zone.clone(),
    };
    let back = format!("/e/{slug}/status#updates");
    let done = match accept(&state, &slug, &input) {
        Ok(sub) => subscribe_and_confirm(&state, &ctx, &limits, ip, sub).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => page(
            StatusCode::OK,
            lang,
            &tr("email.check_inbox_title", lang),
            &format!(
                "<p role=\"status\">{}</p>",
                html_escape(&tr("email.check_inbox", lang))
            ),
        ),
        Err(e) => refused(lang, e, &back),
    }
}

/// A form with one button that POSTs to `action`.
fn button_form(action: &str, label: &str, name_value: Option<(&str, &str)>) -> String {
    let (name, value) = name_value.unwrap_or(("go", "1"));
    format!(
        "<form method=\"post\" action=\"{}\"><button type=\"submit\" name=\"{name}\" \
         value=\"{value}\">{}</button></form>",
        html_escape(action),
        html_escape(label)
    )
}

/// `GET /email/confirm/{token}`: the confirm button (nothing changes yet).
pub async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let lang = page_lang(&headers);
    let pending = state
        .store
        .email_pending(&hash_token(&token), state.clock.now())
        .await?;
    if pending.is_none() {
        return Ok(invalid_link(lang));
    }
    Ok(page(
        StatusCode::OK,
        lang,
        &tr("email.confirm_title", lang),
        &button_form(
            &format!("/email/confirm/{token}"),
            &tr("email.confirm_button", lang),
            None,
        ),
    ))
}

/// `POST /email/confirm/{token}`: confirms once, then opens the manage
/// page through a new link of its own.
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let (plain, hash) = new_token("mqe");
    let done = state
        .store
        .email_confirm(&hash_token(&token), &hash, state.clock.now())
        .await?;
    Ok(match done {
        Some(_) => Redirect::to(&format!("/email/manage/{plain}?done=confirmed")).into_response(),
        None => invalid_link(page_lang(&headers)),
    })
}

#[derive(Debug, Deserialize)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

/// `GET /email/manage/{token}`: tracks, language, zone; and the way out.
pub async fn manage_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<Done>,
    headers: HeaderMap,
) -> Result<Response> {
    let Some(sub) = state.store.email_subscription(&hash_token(&token)).await? else {
        return Ok(invalid_link(page_lang(&headers)));
    };
    let lang = app::i18n::supported(&sub.lang).unwrap_or("en");
    let note = match q.done.as_deref() {
        Some("confirmed") => Some(tr("email.confirmed", lang)),
        Some("saved") => Some(tr("email.saved", lang)),
        _ => None,
    }
    .map(|m| {
        format!(
            "<p role=\"status\" class=\"notice\">{}</p>",
            html_escape(&m)
        )
    })
    .unwrap_or_default();
    let tracks = state
        .read_model
        .get(&sub.event_slug)
        .map(|v| v.schedule.tracks.clone())
        .unwrap_or_default();
    let mut boxes = String::new();
    for t in &tracks {
        boxes.push_str(&format!(
            "<label class=\"check\"><input type=\"checkbox\" name=\"track\" value=\"{}\"{}> {}</label> ",
            html_escape(&t.slug),
            if sub.tracks.contains(&t.slug) { " checked" } else { "" },
            html_escape(&t.name)
        ));
    }
    let mut langs = String::new();
    for (code, name) in app::i18n::LANGS {
        langs.push_str(&format!(
            "<option value=\"{code}\"{}>{name}</option>",
            if code == lang { " selected" } else { "" }
        ));
    }
    let checked = |on: bool| if on { " checked" } else { "" };
    let body = format!(
        "{note}<form method=\"post\" action=\"/email/manage/{token}\" class=\"card\">\
         <fieldset><legend>{legend}</legend>\
         <label class=\"check\"><input type=\"radio\" name=\"scope\" value=\"all\"{all}> {all_l}</label>\
         <label class=\"check\"><input type=\"radio\" name=\"scope\" value=\"tracks\"{some}> {some_l}</label>\
         <div>{boxes}</div></fieldset>\
         <p><label for=\"email-lang\">{lang_l}</label> <select id=\"email-lang\" name=\"lang\">{langs}</select></p>\
         <p><label for=\"email-zone\">{zone_l}</label> <input id=\"email-zone\" name=\"time_zone\" value=\"{zone}\"></p>\
         <button type=\"submit\">{save}</button></form>\
         <h2>{end_t}</h2>{end}",
        token = html_escape(&token),
        legend = html_escape(&tr("push.scope_legend", lang)),
        all = checked(sub.all_tracks),
        all_l = html_escape(&tr("push.scope_all", lang)),
        some = checked(!sub.all_tracks),
        some_l = html_escape(&tr("push.scope_tracks", lang)),
        lang_l = html_escape(&tr("email.lang_label", lang)),
        zone_l = html_escape(&tr("email.zone_label", lang)),
        zone = html_escape(&sub.time_zone),
        save = html_escape(&tr("email.save", lang)),
        end_t = html_escape(&tr("email.end_title", lang)),
        end = button_form(
            &format!("/email/unsubscribe/{token}"),
            &tr("email.end", lang),
            None
        ),
    );
    Ok(page(
        StatusCode::OK,
        lang,
        &tr("email.manage_title", lang),
        &body,
    ))
}

/// `POST /email/manage/{token}`: saves the choice (same checks as
/// subscribing; a refusal names the field and changes nothing).
pub async fn manage_save(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(f): Form<SubscribeForm>,
) -> Result<Response> {
    let hash = hash_token(&token);
    let Some(sub) = state.store.email_subscription(&hash).await? else {
        return Ok(invalid_link(page_lang(&headers)));
    };
    let lang = app::i18n::supported(&sub.lang).unwrap_or("en");
    let back = format!("/email/manage/{token}");
    let Some(view) = state.read_model.get(&sub.event_slug) else {
        return Ok(invalid_link(lang));
    };
    let c = match choice(
        &view,
        &f.tracks(),
        f.lang.as_deref(),
        f.time_zone.as_deref(),
    ) {
        Ok(c) => c,
        Err(e) => return Ok(refused(lang, e, &back)),
    };
    if !state
        .store
        .email_update(&hash, &c, state.clock.now())
        .await?
    {
        return Ok(invalid_link(lang));
    }
    Ok(Redirect::to(&format!("{back}?done=saved")).into_response())
}

/// `GET /email/unsubscribe/{token}`: the button (a scanner's GET ends
/// nothing); mail clients use the one-click POST directly.
pub async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let lang = page_lang(&headers);
    if state
        .store
        .email_subscription(&hash_token(&token))
        .await?
        .is_none()
    {
        return Ok(invalid_link(lang));
    }
    Ok(page(
        StatusCode::OK,
        lang,
        &tr("email.end_title", lang),
        &button_form(
            &format!("/email/unsubscribe/{token}"),
            &tr("email.end", lang),
            None,
        ),
    ))
}

/// `GET /email/answer/{token}`: a speaker's confirm/decline form.
pub async fn answer_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let lang = page_lang(&headers);
    let Some(target) = state.store.email_answer_link(&hash_token(&token)).await? else {
        return Ok(invalid_link(lang));
    };
    let detail = serde_json::from_str::<Notice>(&target.notice_json)
        .ok()
        .and_then(|n| {
            let who = app::domain::push::Audience {
                speaker: Some(target.speaker_key.clone()),
                ..Default::default()
            };
            let tz = state
                .read_model
                .get(&target.event_slug)
                .map_or(chrono_tz::UTC, |v| v.tz);
            n.render(&who, lang, tz)
        })
        .map(|m| format!("<p>{}</p>", html_escape(&m.body)))
        .unwrap_or_default();
    let action = format!("/email/answer/{token}");
    let body = format!(
        "{detail}<div class=\"actions\">{}{}</div>",
        button_form(
            &action,
            &tr("speaker.confirm", lang),
            Some(("answer", "confirm"))
        ),
        button_form(
            &action,
            &tr("speaker.decline", lang),
            Some(("answer", "decline"))
        ),
    );
    Ok(page(
        StatusCode::OK,
        lang,
        &tr("email.answer_title", lang),
        &body,
    ))
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    answer: String,
}

/// `POST /email/answer/{token}`: records the answer, as the speaker page
/// would (a later answer replaces an earlier one).
pub async fn answer(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(f): Form<AnswerForm>,
) -> Result<Response> {
    let lang = page_lang(&headers);
    let Some(target) = state.store.email_answer_link(&hash_token(&token)).await? else {
        return Ok(invalid_link(lang));
    };
    let answer = Answer::parse(&f.answer)
        .ok_or_else(|| AppError::invalid("answer", "must be \"confirm\" or \"decline\""))?;
    let Ok(Notice::SpeakerMove { shift_id, .. }) = serde_json::from_str(&target.notice_json) else {
        return Ok(invalid_link(lang));
    };
    state
        .store
        .record_speaker_answer(
            &target.event_slug,
            &target.speaker_key,
            shift_id,
            answer,
            state.clock.now(),
        )
        .await?;
    state.after_write(&target.event_slug).await?;
    Ok(page(
        StatusCode::OK,
        lang,
        &tr("email.answer_title", lang),
        &format!(
            "<p role=\"status\">{}</p>",
            html_escape(&tr("email.answered", lang))
        ),
    ))
}

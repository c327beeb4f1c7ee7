//! Subscribing by e-mail: the JSON API and the no-JS form of the "Get
//! updates" panel share one check ([`accept`]); both send the double
//! opt-in mail at once. Without an SMTP server both answer 404 (the panel
//! does not offer it then). An address is never logged: the row's id is.

use std::collections::BTreeSet;
use std::sync::Arc;

use app::auth::new_token;
use app::domain::email::{check_address, confirmation};
use app::error::{AppError, Result};
use app::i18n::tr;
use app::state::AppState;
use app::store::{EmailChoice, NewEmailSubscriber, SubscribeOutcome};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;

use super::email_pages::{page, page_lang};
use super::status_api::read_json;
use crate::client_ip::ClientIp;
use crate::email::{Mailer, Outgoing};
use crate::limits::Limits;

/// What the mail routes share: the mailer when SMTP is configured.
#[derive(Clone)]
pub struct EmailContext {
    pub mailer: Mailer,
    pub confirm_hours: i64,
}

/// Most tracks one subscription may name.
const MAX_TRACKS: usize = 500;

/// `POST /api/v1/events/{event}/email/subscriptions`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailSubscribeInput {
    /// Where to send; a confirmation link goes there first.
    pub address: String,
    /// `["all"]` or track slugs.
    #[serde(default)]
    pub tracks: Vec<String>,
    /// en, ru, zh or fr (default en).
    #[serde(default)]
    pub lang: Option<String>,
    /// An IANA zone (default: the event's).
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// Checks a subscribe request against the event; every refusal names
/// its field.
pub(super) fn accept(
    state: &AppState,
    slug: &str,
    input: &EmailSubscribeInput,
) -> Result<NewEmailSubscriber> {
    let view = state
        .read_model
        .get(slug)
        .ok_or_else(|| AppError::not_found(format!("event {slug}")))?;
    let address = check_address(&input.address).map_err(|why| AppError::invalid("address", why))?;
    let c = choice(
        &view,
        &input.tracks,
        input.lang.as_deref(),
        input.time_zone.as_deref(),
    )?;
    Ok(NewEmailSubscriber {
        event_slug: slug.to_owned(),
        address,
        all_tracks: c.all_tracks,
        tracks: c.tracks,
        lang: c.lang,
        time_zone: c.time_zone,
    })
}

/// Checks what a subscriber chooses (tracks, language, zone) against the
/// event, for subscribing and for the manage page alike.
pub(super) fn choice(
    view: &app::read_model::EventView,
    tracks_in: &[String],
    lang: Option<&str>,
    time_zone: Option<&str>,
) -> Result<EmailChoice> {
    if tracks_in.len() > MAX_TRACKS {
        return Err(AppError::invalid("tracks", format!("at most {MAX_TRACKS}")));
    }
    let all_tracks = tracks_in.iter().any(|t| t == "all");
    let mut tracks = BTreeSet::new();
    if !all_tracks {
        for (i, t) in tracks_in.iter().enumerate() {
            if view.schedule.track(t).is_none() {
                return Err(AppError::invalid(
                    format!("tracks[{i}]"),
                    format!("no track {t:?} in this event"),
                ));
            }
            tracks.insert(t.clone());
        }
        if tracks.is_empty() {
            return Err(AppError::invalid(
                "tracks",
                "choose [\"all\"] or some tracks to hear about",
            ));
        }
    }
    let lang = match lang.filter(|l| !l.is_empty()) {
        None => "en",
        Some(l) => app::i18n::supported(l).ok_or_else(|| {
            AppError::invalid("lang", format!("{l:?} is not one of en, ru, zh, fr"))
        })?,
    };
    let time_zone = match time_zone.map(str::trim) {
        None | Some("") => view.schedule.event.time_zone.clone(),
        Some(z) => {
            z.parse::<chrono_tz::Tz>().map_err(|_| {
                AppError::invalid("time_zone", format!("{z:?} is not an IANA time zone"))
            })?;
            z.to_owned()
        }
    };
    Ok(EmailChoice {
        all_tracks,
        tracks,
        lang: lang.to_owned(),
        time_zone,
    })
}

/// Stores the request and sends the confirmation mail. The same answer
/// whether the address was new, pending or already subscribed.
pub(super) async fn subscribe_and_confirm(
    state: &AppState,
    ctx: &EmailContext,
    limits: &Limits,
    ip: ClientIp,
    sub: NewEmailSubscriber,
) -> Result<()> {
    limits.new_subscription(ip)?;
    let _db = limits.anon_db().await?;
    let now = state.clock.now();
    let expires = now + chrono::Duration::hours(ctx.confirm_hours.max(1));
    let (plain, hash) = new_token("mqc");
    let SubscribeOutcome::Pending(id) = state
        .store
        .email_subscribe(&sub, &hash, expires, now)
        .await?
    else {
        return Ok(());
    };
    let view = state.read_model.get(&sub.event_slug);
    let name = view
        .as_ref()
        .map_or(sub.event_slug.clone(), |v| v.schedule.event.name.clone());
    let tz: chrono_tz::Tz = sub.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let url = format!("{}/email/confirm/{plain}", state.public_url);
    let text = confirmation(&name, &sub.lang, tz, &url, expires);
    let sent = ctx
        .mailer
        .send(Outgoing {
            to: &sub.address,
            text: &text,
            message_id: format!("<c{id}.{}@{}>", now.timestamp(), ctx.mailer.domain),
            thread: None,
            unsubscribe: None,
            tz,
            date: now,
        })
        .await;
    match sent {
        Ok(()) => {
            tracing::info!(subscriber = id, "e-mail confirmation sent");
            Ok(())
        }
        Err(e) if e.permanent => {
            tracing::info!(subscriber = id, detail = %e.detail, "e-mail confirmation refused");
            Err(AppError::invalid(
                "address",
                "the mail server refused this address",
            ))
        }
        Err(e) => {
            tracing::warn!(subscriber = id, detail = %e.detail, "e-mail confirmation not sent");
            Err(AppError::Unavailable(
                "the mail server cannot be reached; try again in a few minutes".into(),
            ))
        }
    }
}

/// `POST /api/v1/events/{event}/email/subscriptions`: 202 once the
/// confirmation mail is sent; 404 when this server sends no mail.
pub async fn subscribe(
    State(state): State<AppState>,
    ctx: Option<Extension<EmailContext>>,
    Extension(limits): Extension<Arc<Limits>>,
    Path(slug): Path<String>,
    ip: ClientIp,
    body: Body,
) -> Result<Response> {
    let Some(Extension(ctx)) = ctx else {
        return Err(AppError::not_found(
            "e-mail updates (no mail server configured)",
        ));
    };
    let input: EmailSubscribeInput = read_json(body).await?;
    let sub = accept(&state, &slug, &input)?;
    subscribe_and_confirm(&state, &ctx, &limits, ip, sub).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "status": "confirmation_sent" })),
    )
        .into_response())
}

/// `POST /email/unsubscribe/{token}`: RFC 8058 one-click. The token in
/// the URL is the credential, so no cookie or CSRF token is asked; the
/// body (`List-Unsubscribe=One-Click`) is not needed. 200 also when the
/// subscription had ended already; 404 for a link that never existed.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response> {
    let lang = page_lang(&headers);
    let known = state
        .store
        .email_unsubscribe(&app::auth::hash_token(&token), state.clock.now())
        .await?;
    if !known {
        return Ok(page(
            StatusCode::NOT_FOUND,
            lang,
            &tr("email.end_title", lang),
            &format!("<p role=\"alert\">{}</p>", tr("email.link_invalid", lang)),
        ));
    }
    Ok(page(
        StatusCode::OK,
        lang,
        &tr("email.end", lang),
        &format!("<p role=\"status\">{}</p>", tr("email.ended", lang)),
    ))
}

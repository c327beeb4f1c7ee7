//! Web Push endpoints: the public VAPID key, subscribing and unsubscribing
//! (no login: a subscription is the browser's own capability), and a
//! speaker's answer to a moved slot, authorised by their secret link.

use std::collections::BTreeSet;

use app::auth::hash_token;
use app::domain::push::{Audience, check_subscription};
use app::error::{AppError, Result};
use app::state::AppState;
use app::store::{Answer, NewSubscription};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::status_api::read_json;

/// `GET /api/v1/push/key`: what `pushManager.subscribe` needs.
pub async fn key(State(state): State<AppState>) -> Result<Response> {
    let key = crate::push::vapid::ensure_key(&state.store).await?;
    let mut res = Json(json!({ "public_key": key.public_key, "key_id": key.id })).into_response();
    // It changes on `marquee vapid rotate`: always revalidate.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-cache".parse().expect("static header"),
    );
    Ok(res)
}

/// `PushSubscription.toJSON()` (its `expirationTime` is ignored: push
/// services answer 404/410 once a subscription has expired).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BrowserSubscription {
    pub endpoint: String,
    pub keys: SubscriptionKeys,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SubscriptionKeys {
    pub p256dh: String,
    pub auth: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeInput {
    pub subscription: BrowserSubscription,
    pub event: String,
    #[serde(default)]
    pub tracks: Vec<String>,
    #[serde(default)]
    pub sessions: Vec<String>,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    /// A speaker's secret link token, when subscribing from `/s/{token}`.
    #[serde(default)]
    pub speaker: Option<String>,
}

/// Most tracks or starred sessions one subscription may name.
const MAX_CHOICES: usize = 500;

/// `POST /api/v1/push/subscriptions`. A refused subscription is a 400
/// (what browsers' push code and its libraries expect of this endpoint),
/// with the usual body naming the field.
pub async fn subscribe(State(state): State<AppState>, body: Body) -> Response {
    match store_subscription(&state, body).await {
        Ok(created) => created.into_response(),
        Err(e @ AppError::Invalid { .. }) => {
            (StatusCode::BAD_REQUEST, Json(e.body())).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn store_subscription(state: &AppState, body: Body) -> Result<(StatusCode, Json<Value>)> {
    let input: SubscribeInput = read_json(body).await?;
    let sub = &input.subscription;
    check_subscription(&sub.endpoint, &sub.keys.p256dh, &sub.keys.auth)
        .map_err(|e| AppError::invalid(e.field, e.message))?;
    let view = state
        .read_model
        .get(&input.event)
        .ok_or_else(|| AppError::invalid("event", format!("no event {:?}", input.event)))?;
    let speaker = match input.speaker.as_deref().filter(|s| !s.is_empty()) {
        Some(token) => {
            let link = state
                .store
                .find_speaker_link(&hash_token(token))
                .await?
                .filter(|l| l.event_slug == input.event && l.is_live(chrono::Utc::now()))
                .ok_or_else(|| {
                    AppError::invalid("speaker", "not a valid speaker link for this event")
                })?;
            Some(link.speaker_key)
        }
        None => None,
    };
    if input.tracks.len() > MAX_CHOICES || input.sessions.len() > MAX_CHOICES {
        return Err(AppError::invalid(
            "tracks",
            format!("at most {MAX_CHOICES} tracks and sessions"),
        ));
    }
    let all_tracks = input.tracks.iter().any(|t| t == "all");
    let mut tracks = BTreeSet::new();
    if !all_tracks {
        for (i, t) in input.tracks.iter().enumerate() {
            if view.schedule.track(t).is_none() {
                return Err(AppError::invalid(
                    format!("tracks[{i}]"),
                    format!("no track {t:?} in this event"),
                ));
            }
            tracks.insert(t.clone());
        }
    }
    let mut sessions = BTreeSet::new();
    let mut session_tracks = BTreeSet::new();
    for (i, g) in input.sessions.iter().enumerate() {
        let Some(found) = view.schedule.session(g) else {
            return Err(AppError::invalid(
                format!("sessions[{i}]"),
                format!("no session {g:?} in this event"),
            ));
        };
        sessions.insert(g.clone());
        session_tracks.insert(found.track.clone());
    }
    if speaker.is_none() && !all_tracks && tracks.is_empty() && sessions.is_empty() {
        return Err(AppError::invalid(
            "tracks",
            "choose [\"all\"], some tracks, or some sessions to hear about",
        ));
    }
    let lang = match input.lang.as_deref() {
        None => "en",
        Some(l) => app::i18n::supported(l).ok_or_else(|| {
            AppError::invalid("lang", format!("{l:?} is not one of en, ru, zh, fr"))
        })?,
    };
    let time_zone = match input.time_zone.as_deref() {
        None | Some("") => view.schedule.event.time_zone.clone(),
        Some(z) => {
            z.parse::<chrono_tz::Tz>().map_err(|_| {
                AppError::invalid("time_zone", format!("{z:?} is not an IANA time zone"))
            })?;
            z.to_owned()
        }
    };
    let key = crate::push::vapid::ensure_key(&state.store).await?;
    let id = state
        .store
        .upsert_subscription(&NewSubscription {
            event_slug: input.event.clone(),
            endpoint: sub.endpoint.clone(),
            p256dh: sub.keys.p256dh.trim_end_matches('=').to_owned(),
            auth: sub.keys.auth.trim_end_matches('=').to_owned(),
            vapid_key_id: key.id,
            audience: Audience {
                all_tracks,
                tracks: tracks.clone(),
                sessions: sessions.clone(),
                session_tracks,
                speaker: speaker.clone(),
            },
            lang: lang.to_owned(),
            time_zone: time_zone.clone(),
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": id,
            "event": input.event,
            "tracks": if all_tracks { vec!["all".to_owned()] } else { tracks.into_iter().collect() },
            "sessions": sessions,
            "speaker": speaker.is_some(),
            "lang": lang,
            "time_zone": time_zone,
            "key_id": key.id,
        })),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct UnsubscribeInput {
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub subscription: Option<EndpointOnly>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EndpointOnly {
    pub endpoint: String,
}

/// `DELETE /api/v1/push/subscriptions` with `{"endpoint": …}` (or the
/// whole `{"subscription": …}`): 204, or 404 when it was not known.
pub async fn unsubscribe(State(state): State<AppState>, body: Body) -> Result<StatusCode> {
    let input: UnsubscribeInput = read_json(body).await?;
    let endpoint = input
        .endpoint
        .or(input.subscription.map(|s| s.endpoint))
        .ok_or_else(|| AppError::invalid("endpoint", "give the subscription's endpoint"))?;
    if state.store.delete_subscription(&endpoint).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("subscription"))
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AnswerInput {
    pub shift_id: i64,
    pub answer: String,
}

/// `POST /s/{token}/answer`: a speaker confirms or declines a moved slot,
/// from the page (form; answered with a redirect back) or from the
/// notification's buttons (JSON). The token in the path is the credential,
/// so a cross-site form cannot forge it.
pub async fn answer(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let input: AnswerInput = if json_body {
        read_json(body).await?
    } else {
        let bytes = axum::body::to_bytes(body, 4096)
            .await
            .map_err(|_| AppError::TooLarge { limit: 4096 })?;
        let mut shift_id = None;
        let mut answer = None;
        for (k, v) in form_urlencoded::parse(&bytes) {
            match k.as_ref() {
                "shift_id" => {
                    shift_id = Some(
                        v.parse::<i64>()
                            .map_err(|_| AppError::invalid("shift_id", "not a number"))?,
                    )
                }
                "answer" => answer = Some(v.into_owned()),
                _ => {}
            }
        }
        AnswerInput {
            shift_id: shift_id.ok_or_else(|| AppError::invalid("shift_id", "missing"))?,
            answer: answer.ok_or_else(|| AppError::invalid("answer", "missing"))?,
        }
    };
    let link = state
        .store
        .find_speaker_link(&hash_token(&token))
        .await?
        .filter(|l| l.is_live(chrono::Utc::now()))
        .ok_or_else(|| {
            AppError::not_found("speaker link (wrong, expired, or replaced by a newer one)")
        })?;
    let answer = Answer::parse(&input.answer)
        .ok_or_else(|| AppError::invalid("answer", "must be \"confirm\" or \"decline\""))?;
    state
        .store
        .record_speaker_answer(
            &link.event_slug,
            &link.speaker_key,
            input.shift_id,
            answer,
            chrono::Utc::now(),
        )
        .await?;
    state.after_write(&link.event_slug).await?;
    if json_body {
        Ok(Json(json!({ "shift_id": input.shift_id, "answer": answer.as_str() })).into_response())
    } else {
        Ok(Redirect::to(&format!("/s/{token}?answered={}", answer.as_str())).into_response())
    }
}

//! Web Push endpoints: the public VAPID key, subscribing and unsubscribing
//! (no login: a subscription is the browser's own capability), and a
//! speaker's answer to a moved slot, authorised by their secret link.

use std::collections::BTreeSet;
use std::sync::Arc;

use app::auth::hash_token;
use app::domain::address::OutboundPolicy;
use app::domain::push::{Audience, check_subscription};
use app::domain::replan::Reply;
use app::error::{AppError, Result};
use app::state::AppState;
use app::store::{Answer, AnswerIn, NewSubscription};
use axum::body::Body;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::status_api::read_json;
use crate::client_ip::ClientIp;
use crate::limits::Limits;
use crate::push::vapid::KeyCache;

/// What the push handlers share besides the app state.
#[derive(Clone)]
pub struct PushContext {
    pub limits: Arc<Limits>,
    pub keys: Arc<KeyCache>,
    pub policy: OutboundPolicy,
}

/// `GET /api/v1/push/key`: what `pushManager.subscribe` needs, from
/// memory (see [`KeyCache`]).
pub async fn key(
    State(state): State<AppState>,
    Extension(push): Extension<PushContext>,
) -> Result<Response> {
    let key = push.keys.get(&state.store).await?;
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
pub async fn subscribe(
    State(state): State<AppState>,
    Extension(push): Extension<PushContext>,
    ip: ClientIp,
    body: Body,
) -> Response {
    match store_subscription(&state, &push, ip, body).await {
        Ok(created) => created.into_response(),
        Err(e @ AppError::Invalid { .. }) => {
            (StatusCode::BAD_REQUEST, Json(e.body())).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn store_subscription(
    state: &AppState,
    push: &PushContext,
    ip: ClientIp,
    body: Body,
) -> Result<(StatusCode, Json<Value>)> {
    let input: SubscribeInput = read_json(body).await?;
    let sub = &input.subscription;
    check_subscription(&sub.endpoint, &sub.keys.p256dh, &sub.keys.auth)
        .map_err(|e| AppError::invalid(e.field, e.message))?;
    crate::outbound::check_url(&sub.endpoint, push.policy)
        .map_err(|r| AppError::invalid("subscription.endpoint", r.0))?;
    let view = state
        .read_model
        .get(&input.event)
        .ok_or_else(|| AppError::invalid("event", format!("no event {:?}", input.event)))?;
    push.limits.new_subscription(ip)?;
    let _db = push.limits.anon_db().await?;
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
    let key = push.keys.get(&state.store).await?;
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
    pub auth: Option<String>,
    #[serde(default)]
    pub subscription: Option<EndpointAndAuth>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EndpointAndAuth {
    pub endpoint: String,
    #[serde(default)]
    pub keys: Option<AuthOnly>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AuthOnly {
    pub auth: String,
}

/// `DELETE /api/v1/push/subscriptions` with `{"endpoint", "auth"}` (or
/// the whole `{"subscription": …}`): 204, or 404 when no subscription has
/// that endpoint and auth secret. The secret proves the caller is the
/// browser that subscribed (an endpoint alone may leak, e.g. in a log).
pub async fn unsubscribe(
    State(state): State<AppState>,
    Extension(push): Extension<PushContext>,
    body: Body,
) -> Result<StatusCode> {
    let input: UnsubscribeInput = read_json(body).await?;
    let (endpoint, auth) = match input.subscription {
        Some(s) => (Some(s.endpoint), s.keys.map(|k| k.auth)),
        None => (input.endpoint, input.auth),
    };
    let endpoint = endpoint
        .ok_or_else(|| AppError::invalid("endpoint", "give the subscription's endpoint"))?;
    let auth = auth.filter(|a| !a.is_empty()).ok_or_else(|| {
        AppError::invalid("auth", "give the subscription's auth secret (keys.auth)")
    })?;
    let _db = push.limits.anon_db().await?;
    if state.store.delete_subscription(&endpoint, &auth).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("subscription"))
    }
}

/// A speaker's answer: to an applied change (`shift_id`) or to a
/// proposal (`proposal_id`), exactly one of them.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AnswerInput {
    pub shift_id: Option<i64>,
    pub proposal_id: Option<i64>,
    /// `confirm` or `decline`.
    pub answer: String,
    /// Why (at most 500 characters), mostly with a decline.
    pub reason: Option<String>,
    /// "I can from HH:MM" on the talk's day (event time).
    pub available_from: Option<String>,
    /// "Not today"; not with `available_from`, not with `confirm`.
    #[serde(default)]
    pub not_today: bool,
}

/// The speaker page's answer form; fields are checked one by one so a
/// refusal names the field, as the JSON body's do.
#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    shift_id: String,
    #[serde(default)]
    proposal_id: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    available_from: String,
    /// `1` when ticked.
    #[serde(default)]
    not_today: String,
}

fn id_field(raw: &str, field: &str) -> Result<Option<i64>> {
    match raw.trim() {
        "" => Ok(None),
        id => id
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid(field, "not a number")),
    }
}

impl AnswerForm {
    fn input(self) -> Result<AnswerInput> {
        let shift_id = id_field(&self.shift_id, "shift_id")?;
        let proposal_id = id_field(&self.proposal_id, "proposal_id")?;
        if self.answer.trim().is_empty() {
            return Err(AppError::invalid("answer", "missing"));
        }
        Ok(AnswerInput {
            shift_id,
            proposal_id,
            answer: self.answer,
            reason: Some(self.reason),
            available_from: Some(self.available_from),
            not_today: !self.not_today.trim().is_empty(),
        })
    }
}

/// `POST /s/{token}/answer`: a speaker confirms or declines a moved slot,
/// from the page (form; answered with a redirect back) or from the
/// notification's buttons (JSON). The token in the path is the credential,
/// so a cross-site form cannot forge it.
pub async fn answer(
    State(state): State<AppState>,
    Extension(push): Extension<PushContext>,
    Path(token): Path<String>,
    req: Request,
) -> Result<Response> {
    let json_body = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let input: AnswerInput = if json_body {
        read_json(req.into_body()).await?
    } else {
        let Form(f) = Form::<AnswerForm>::from_request(req, &state)
            .await
            .map_err(|e| AppError::invalid("body", e.body_text()))?;
        f.input()?
    };
    let _db = push.limits.anon_db().await?;
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
    let said = AnswerIn {
        reply: match answer {
            Answer::Confirmed => Reply::Confirm,
            Answer::Declined => Reply::Decline,
        },
        reason: input.reason.clone(),
        available_from: input.available_from.clone(),
        not_today: input.not_today,
    };
    let now = state.clock.now();
    match (input.shift_id, input.proposal_id) {
        (Some(id), None) => {
            state
                .store
                .record_speaker_answer_in(&link.event_slug, &link.speaker_key, id, &said, now)
                .await?
        }
        (None, Some(id)) => {
            state
                .store
                .answer_proposal(&link.event_slug, &link.speaker_key, id, &said, now)
                .await?
        }
        (None, None) => return Err(AppError::invalid("shift_id", "missing")),
        (Some(_), Some(_)) => {
            return Err(AppError::invalid(
                "proposal_id",
                "answer one question at a time: shift_id or proposal_id",
            ));
        }
    }
    state.after_write(&link.event_slug).await?;
    if json_body {
        Ok(Json(json!({
            "shift_id": input.shift_id,
            "proposal_id": input.proposal_id,
            "answer": answer.as_str(),
        }))
        .into_response())
    } else {
        Ok(Redirect::to(&format!("/s/{token}?answered={}", answer.as_str())).into_response())
    }
}

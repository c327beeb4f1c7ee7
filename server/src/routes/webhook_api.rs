//! Outgoing webhooks over the API: list and add (`…/webhooks`), remove
//! (`DELETE …/webhooks/{id}`), send a test, turn a disabled one back on,
//! and read the delivery log. Reading needs `view`; everything else the
//! `webhooks` right (owners and communicators).

use app::domain::access::Action;
use app::domain::webhook::WebhookInput;
use app::error::{AppError, Result};
use app::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{ApiCaller, ApiPath, EventAndId};
use super::status_api::read_json;
use crate::services::webhook;

/// What `POST …/webhooks` takes.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookCreateInput {
    /// A label for the organisers.
    #[serde(default)]
    pub name: String,
    /// Where to POST (https; not for `telegram`).
    #[serde(default)]
    pub url: String,
    /// standard, slack, discord, mattermost or telegram.
    pub preset: String,
    /// Any of incidents, maintenance, changes, speaker_answers.
    pub kinds: Vec<String>,
    /// The messages' language: en (default), ru, zh or fr.
    #[serde(default)]
    pub lang: String,
    /// Telegram: the chat id (a number or `@channel`).
    #[serde(default)]
    pub chat_id: String,
    /// Telegram: the bot token.
    #[serde(default)]
    pub bot_token: String,
}

impl From<WebhookCreateInput> for WebhookInput {
    fn from(i: WebhookCreateInput) -> Self {
        WebhookInput {
            name: i.name,
            url: i.url,
            preset: i.preset,
            kinds: i.kinds,
            lang: i.lang,
            chat_id: i.chat_id,
            bot_token: i.bot_token,
        }
    }
}

/// A whole number from the query, or 422 naming it.
fn query_int(query: Option<&str>, name: &str) -> Result<Option<i64>> {
    let raw = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find_map(|(k, v)| (k == name).then(|| v.into_owned()));
    raw.map(|v| {
        v.parse::<i64>()
            .map_err(|_| AppError::invalid(name, "must be a whole number"))
    })
    .transpose()
}

pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
) -> Result<Json<Value>> {
    caller.check(Action::View, &event)?;
    let hooks = state.store.list_webhooks(&event).await?;
    Ok(Json(json!({ "webhooks": hooks })))
}

pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<Value>)> {
    let input: WebhookCreateInput = read_json(body).await?;
    caller.check(Action::Webhooks, &event)?;
    let made = webhook::add(&state, &event, &input.into()).await?;
    let mut out = json!({ "webhook": made.webhook });
    if let Some(secret) = made.signing_secret {
        out["secret"] = json!(secret);
    }
    Ok((StatusCode::CREATED, Json(out)))
}

pub async fn remove(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
) -> Result<StatusCode> {
    caller.check(Action::Webhooks, &event)?;
    state.store.remove_webhook(&event, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn test(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
) -> Result<(StatusCode, Json<Value>)> {
    caller.check(Action::Webhooks, &event)?;
    webhook::send_test(&state, &event, id).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "queued": true }))))
}

pub async fn enable(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
) -> Result<Json<Value>> {
    caller.check(Action::Webhooks, &event)?;
    let hook = webhook::enable(&state, &event, id).await?;
    Ok(Json(json!({ "webhook": hook })))
}

pub async fn log(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>> {
    caller.check(Action::View, &event)?;
    let webhook = query_int(query.as_deref(), "webhook")?;
    let limit = query_int(query.as_deref(), "limit")?
        .unwrap_or(100)
        .clamp(1, 1000);
    let entries = state.store.webhook_log(&event, webhook, limit).await?;
    Ok(Json(json!({ "attempts": entries })))
}

//! The write API (`/api/v1/...`), authenticated with bearer tokens from
//! `marquee token create`. Every error is JSON naming the field.

use app::auth::hash_token;
use app::domain::access::{Action, Principal};
use app::domain::slug::is_valid_slug;
use app::error::{AppError, Result};
use app::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header;
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::audit::AuditActorSlot;
use crate::c3voc;
use app::domain::audit::{Actor, ActorKind};

/// A caller that presented a live bearer token (not revoked, not expired).
pub struct ApiCaller {
    pub name: String,
    /// What the token may do, on which events.
    pub access: Principal,
}

impl ApiCaller {
    /// The authorisation rule for this token; a refusal is a 403.
    pub fn check(&self, action: Action, event: &str) -> Result<()> {
        Ok(self.access.check(action, event)?)
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AppError::Unauthorized)?;
        let found = state
            .store
            .find_api_token(&hash_token(token), chrono::Utc::now())
            .await?;
        // The audit layer's record names the token (never its value).
        if let (Some(t), Some(slot)) = (&found, parts.extensions.get::<AuditActorSlot>()) {
            slot.set(Actor {
                kind: ActorKind::Token,
                name: t.name.clone(),
            });
        }
        found
            .map(|t| ApiCaller {
                access: t.principal(),
                name: t.name,
            })
            .ok_or(AppError::Unauthorized)
    }
}

/// Path parameters, read like `Path` but refused like every other input: a
/// 422 in the usual JSON naming the parameter (axum's own rejection is a
/// plain-text 400, which API clients cannot parse).
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let field = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key } => key.clone(),
                    _ => "path".to_owned(),
                };
                Err(AppError::invalid(field, e.body_text()))
            }
            Err(e) => Err(AppError::invalid("path", e.body_text())),
        }
    }
}

/// `/…/{event}/…/{id}…`: an event's slug and a numeric id.
#[derive(Debug, Deserialize)]
pub struct EventAndId {
    pub event: String,
    pub id: i64,
}

#[derive(Deserialize)]
pub struct ImportQuery {
    reason: Option<String>,
}

/// `POST /api/v1/events/{event}/import` with a schedule.json or .xml body.
/// Creates the event if needed; an unchanged file changes nothing.
pub async fn import(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> Result<Json<Value>> {
    if !is_valid_slug(&event) {
        return Err(AppError::invalid(
            "event",
            "must be lower-case letters, digits and single dashes",
        ));
    }
    caller.check(
        match state.read_model.get(&event) {
            Some(_) => Action::Import,
            None => Action::CreateEvent,
        },
        &event,
    )?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::invalid(
            "body",
            "empty; send a C3VOC schedule.json or schedule.xml",
        ));
    }
    // Up to 32 MiB of JSON or XML: parsed on the blocking pool, so a big
    // import does not hold a runtime worker that pages and streams need.
    let slug = event.clone();
    let report = tokio::task::spawn_blocking(move || c3voc::parse(&body, &slug, &mut |_, _| {}))
        .await
        .map_err(|e| AppError::Internal(format!("import parser: {e}")))?
        .map_err(|e| AppError::invalid(e.path, e.message))?;
    let reason = q.reason.unwrap_or_else(|| "import through the API".into());
    let out = state
        .store
        .import_schedule(&report.schedule, &format!("token:{}", caller.name), &reason)
        .await?;
    state.after_write(&event).await?;
    tracing::info!(event, version = out.version, summary = %out.diff.summary(), caller = caller.name, "schedule imported");
    Ok(Json(json!({
        "event": event,
        "version": out.version,
        "created_event": out.created_event,
        "changed": !out.diff.is_empty(),
        "summary": out.diff.summary(),
        "diff": out.diff,
        "sessions": report.schedule.sessions.len(),
        "skipped": report.skipped,
    })))
}

pub async fn not_found() -> AppError {
    AppError::not_found("API endpoint")
}

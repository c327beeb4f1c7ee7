//! `POST /api/v1/events/{event}/shifts` (preview with `dry_run`, or apply)
//! and `POST …/shifts/{id}/revert`. The same request parsing serves the CLI
//! and the organiser's shift page, so all three refuse the same things the
//! same way.

use app::domain::access::Action;
use app::domain::shift::{ShiftPreview, preview_shift};
use app::error::{AppError, Result};
pub use app::shift_input::{ShiftInput, build_request};
use app::state::AppState;
use app::store::AppliedShift;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::api::{ApiCaller, ApiPath, EventAndId};
use super::status_api::read_json;

/// What a preview returns: the moved sessions, the warnings, a summary.
#[derive(Debug, Serialize)]
pub struct PreviewBody {
    pub dry_run: bool,
    pub summary: String,
    pub preview: ShiftPreview,
}

pub fn preview(state: &AppState, slug: &str, input: &ShiftInput) -> Result<PreviewBody> {
    let view = state
        .read_model
        .get(slug)
        .ok_or_else(|| AppError::not_found(format!("event {slug:?}")))?;
    let req = build_request(&view.schedule, input)?;
    let preview = preview_shift(&view.schedule, view.tz, &req)?;
    Ok(PreviewBody {
        dry_run: true,
        summary: preview.summary(&view.schedule),
        preview,
    })
}

pub async fn apply(
    state: &AppState,
    slug: &str,
    input: &ShiftInput,
    actor: &str,
) -> Result<AppliedShift> {
    let view = state
        .read_model
        .get(slug)
        .ok_or_else(|| AppError::not_found(format!("event {slug:?}")))?;
    if input.reason.trim().is_empty() {
        return Err(AppError::invalid(
            "reason",
            "say why (attendees see it in the changelog)",
        ));
    }
    let req = build_request(&view.schedule, input)?;
    let applied = state
        .store
        .apply_shift(slug, &req, actor, input.reason.trim())
        .await?;
    state.after_write(slug).await?;
    tracing::info!(
        event = slug,
        version = applied.version,
        moved = applied.preview.moved.len(),
        delta = applied.preview.delta_min,
        actor,
        "shift applied"
    );
    Ok(applied)
}

pub async fn post_shift(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<Value>)> {
    let input: ShiftInput = read_json(body).await?;
    caller.check(
        if input.dry_run {
            Action::View
        } else {
            Action::Schedule
        },
        &event,
    )?;
    if input.dry_run {
        return Ok((
            StatusCode::OK,
            Json(serde_json::to_value(preview(&state, &event, &input)?).unwrap_or_default()),
        ));
    }
    let applied = apply(&state, &event, &input, &format!("token:{}", caller.name)).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "dry_run": false, "shift_id": applied.shift_id, "version": applied.version, "preview": applied.preview }),
        ),
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevertInput {
    #[serde(default)]
    pub reason: String,
}

pub async fn post_revert(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    caller.check(Action::Schedule, &event)?;
    let input: RevertInput = if body.iter().all(u8::is_ascii_whitespace) {
        RevertInput::default()
    } else {
        read_json(Body::from(body)).await?
    };
    let reason = if input.reason.trim().is_empty() {
        format!("revert of shift {id}")
    } else {
        input.reason
    };
    let applied = state
        .store
        .revert_shift(&event, id, &format!("token:{}", caller.name), &reason)
        .await?;
    state.after_write(&event).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "shift_id": applied.shift_id, "version": applied.version, "preview": applied.preview }),
        ),
    ))
}

pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
) -> Result<Json<Value>> {
    caller.check(Action::View, &event)?;
    Ok(Json(
        json!({ "shifts": state.store.list_shifts(&event).await? }),
    ))
}

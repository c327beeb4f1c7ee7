//! `POST /api/v1/events/{event}/shifts` (preview with `dry_run`, or apply)
//! and `POST …/shifts/{id}/revert`. What they do is `services::shift`,
//! shared with the organiser's shift page; `marquee shift` parses with the
//! same `app::shift_input`, so all three refuse the same things.

use app::domain::access::Action;
use app::domain::shift::ShiftPreview;
use app::error::Result;
use app::shift_input::ShiftInput;
use app::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{ApiCaller, ApiPath, EventAndId};
use super::proposal_api::proposal_json;
use super::status_api::read_json;
use crate::services::proposal;
use crate::services::shift::{apply, preview, revert};

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
    if input.propose {
        let p = proposal::propose_shift(&state, &event, &input, &format!("token:{}", caller.name))
            .await?;
        return Ok((StatusCode::CREATED, Json(proposal_json(&p))));
    }
    let applied = apply(&state, &event, &input, &format!("token:{}", caller.name)).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "dry_run": false,
            "shift_id": applied.shift_id,
            "version": applied.version,
            "preview": ShiftPreview::from_change(&applied.change),
            "change": applied.change,
        })),
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
    let applied = revert(
        &state,
        &event,
        id,
        &format!("token:{}", caller.name),
        &reason,
    )
    .await?;
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

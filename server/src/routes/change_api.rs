//! `POST /api/v1/events/{event}/changes`: move, swap, cancel or restore
//! one talk (preview with `dry_run`, or apply). Undo is the shift revert
//! (`POST …/shifts/{shift_id}/revert`): a change is stored as a shift row.

use app::change_input::ChangeInput;
use app::domain::access::Action;
use app::error::Result;
use app::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::api::ApiCaller;
use super::status_api::read_json;
use crate::services::change::{apply, preview};

pub async fn post_change(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<Value>)> {
    let input: ChangeInput = read_json(body).await?;
    caller.check(
        if input.dry_run {
            Action::View
        } else {
            Action::Schedule
        },
        &event,
    )?;
    if input.dry_run {
        let body = preview(&state, &event, &input).await?;
        return Ok((StatusCode::OK, Json(json!(body))));
    }
    let applied = apply(&state, &event, &input, &format!("token:{}", caller.name)).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "dry_run": false,
            "shift_id": applied.shift_id,
            "version": applied.version,
            "change": applied.change,
        })),
    ))
}

//! `POST /api/v1/events/{event}/changes`: move, swap, cancel or restore
//! one talk (preview with `dry_run`, or apply). Undo is the shift revert
//! (`POST …/shifts/{shift_id}/revert`): a change is stored as a shift row.
//! `op: "catch_up"` applies one alternative of the catch-up planner, whose
//! alternatives `POST /api/v1/events/{event}/catch-up` lists.

use app::catchup_input::{CatchUpInput, CatchUpRulesInput};
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
use super::proposal_api::proposal_json;
use super::status_api::read_json;
use crate::services::change::{apply, preview};
use crate::services::{catchup, proposal};

/// `POST …/catch-up`: the alternatives for a delay, each with its cost
/// and edits, and the version to apply one on; changes nothing.
pub async fn post_catch_up(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<Value>)> {
    let input: CatchUpInput = read_json(body).await?;
    caller.check(Action::View, &event)?;
    let body = catchup::preview(&state, &event, &input).await?;
    Ok((StatusCode::OK, Json(json!(body))))
}

/// `GET …/catch-up-rules`: the event's catch-up rules (the planner's
/// defaults for what a request leaves out).
pub async fn get_catch_up_rules(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
) -> Result<Json<Value>> {
    caller.check(Action::View, &event)?;
    let rules = state.store.catch_up_rules(&event).await?;
    Ok(Json(json!(rules)))
}

/// `PATCH …/catch-up-rules`: changes the fields given; answers the rules
/// now in force.
pub async fn patch_catch_up_rules(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
    body: Body,
) -> Result<Json<Value>> {
    let input: CatchUpRulesInput = read_json(body).await?;
    caller.check(Action::Schedule, &event)?;
    let rules =
        catchup::set_rules(&state, &event, &input, &format!("token:{}", caller.name)).await?;
    Ok(Json(json!(rules)))
}

/// `op: "catch_up"` at `…/changes`: a preview of the chosen alternative
/// (`dry_run`), or applying it.
async fn post_catch_up_change(
    state: &AppState,
    caller: &ApiCaller,
    event: &str,
    input: CatchUpInput,
) -> Result<(StatusCode, Json<Value>)> {
    if input.dry_run {
        caller.check(Action::View, event)?;
        let body = catchup::preview(state, event, &input).await?;
        return Ok((StatusCode::OK, Json(json!(body))));
    }
    caller.check(Action::Schedule, event)?;
    let applied = catchup::apply(state, event, &input, &format!("token:{}", caller.name)).await?;
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

pub async fn post_change(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<Value>)> {
    let raw: Value = read_json(body).await?;
    if raw.get("op").and_then(Value::as_str) == Some("catch_up") {
        let input: CatchUpInput = from_value(raw)?;
        return post_catch_up_change(&state, &caller, &event, input).await;
    }
    let input: ChangeInput = from_value(raw)?;
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
    if input.propose {
        let p = proposal::propose_change(&state, &event, &input, &format!("token:{}", caller.name))
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
            "change": applied.change,
        })),
    ))
}

/// `raw` as `T`, a mismatch naming the field like [`read_json`] does.
fn from_value<T: serde::de::DeserializeOwned>(raw: Value) -> Result<T> {
    serde_path_to_error::deserialize(raw).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path.is_empty() {
            "body".to_owned()
        } else {
            path
        };
        app::error::AppError::invalid(field, e.into_inner().to_string())
    })
}

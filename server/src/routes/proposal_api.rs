//! Proposals over the API: `POST …/changes` or `…/shifts` with
//! `"propose": true` saves one (speakers asked, attendees see nothing);
//! `GET …/proposals` lists them with the answers; `POST
//! …/proposals/{id}/publish` (with the `version` it was made on),
//! `…/discard` and `…/remind` decide or nudge. Publishing stale or twice
//! is 409 naming the field, and changes nothing.

use app::domain::access::Action;
use app::error::{AppError, Result};
use app::state::AppState;
use app::store::ProposalRecord;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{ApiCaller, ApiPath, EventAndId};
use super::status_api::read_json;
use crate::services::proposal;

/// What `POST …/proposals/{id}/publish` takes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    /// The schedule version the proposal was made on (its `version`):
    /// refused with 409 when the schedule changed since.
    pub version: Option<i64>,
}

/// A proposal as the API answers it: the record, and the board's counts.
pub fn proposal_json(p: &ProposalRecord) -> Value {
    let tally = app::domain::replan::BoardTally::of(&p.asks);
    json!({ "proposal": p, "tally": tally })
}

pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
) -> Result<Json<Value>> {
    caller.check(Action::View, &event)?;
    let all = state.store.list_proposals(&event).await?;
    let items: Vec<Value> = all.iter().map(proposal_json).collect();
    Ok(Json(json!({ "proposals": items })))
}

pub async fn publish(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    body: Body,
) -> Result<(StatusCode, Json<Value>)> {
    let input: PublishInput = read_json(body).await?;
    caller.check(Action::Schedule, &event)?;
    let version = input.version.ok_or_else(|| {
        AppError::invalid(
            "version",
            "required: the schedule version the proposal was made on",
        )
    })?;
    let applied = proposal::publish(
        &state,
        &event,
        id,
        version,
        &format!("token:{}", caller.name),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "proposal_id": id,
            "shift_id": applied.shift_id,
            "version": applied.version,
            "change": applied.change,
        })),
    ))
}

pub async fn discard(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
) -> Result<Json<Value>> {
    caller.check(Action::Schedule, &event)?;
    let p = proposal::discard(&state, &event, id, &format!("token:{}", caller.name)).await?;
    Ok(Json(proposal_json(&p)))
}

pub async fn remind(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
) -> Result<Json<Value>> {
    caller.check(Action::Schedule, &event)?;
    let reminded = proposal::remind(&state, &event, id).await?;
    Ok(Json(json!({ "proposal_id": id, "reminded": reminded })))
}

/// `POST …/shifts/{id}/remind`: the speakers an applied change asked and
/// who have not answered are asked again.
pub async fn remind_change(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
) -> Result<Json<Value>> {
    caller.check(Action::Schedule, &event)?;
    let reminded = proposal::remind_change(&state, &event, id).await?;
    Ok(Json(json!({ "shift_id": id, "reminded": reminded })))
}

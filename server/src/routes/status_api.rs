//! The JSON API's incident and component writes (bearer token). What they
//! do is `services::status`, shared with the organiser's dashboard forms.

use app::domain::access::Action;
use app::error::{AppError, Result};
use app::state::AppState;
use app::store::{ComponentRecord, NewComponent};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::api::{ApiCaller, ApiPath, EventAndId};
use super::statuspage;
use crate::services::status::{
    CancelInput, ComponentPatchInput, IncidentInput, UpdateInput, cancel_maintenance,
    open_incident, patch_component, update_incident,
};

/// Largest JSON body the status API accepts.
pub const JSON_LIMIT: usize = 64 * 1024;

/// Reads a JSON body; errors name the offending field (`components[1]`).
pub async fn read_json<T: DeserializeOwned>(body: Body) -> Result<T> {
    let bytes = axum::body::to_bytes(body, JSON_LIMIT)
        .await
        .map_err(|_| AppError::TooLarge { limit: JSON_LIMIT })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::invalid("body", "empty; send a JSON object"));
    }
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." || path.is_empty() {
            "body".to_owned()
        } else {
            path
        };
        AppError::invalid(field, inner.to_string())
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub group: Option<String>,
}

/// The incident, or the maintenance (which Statuspage lists apart, with
/// its window), as the v2 JSON shows it.
pub(super) fn incident_json(state: &AppState, slug: &str, id: i64) -> Value {
    let Some(v) = state.read_model.get(slug) else {
        return Value::Null;
    };
    let id = id.to_string();
    [
        ("incidents", "incidents"),
        ("scheduled-maintenances", "scheduled_maintenances"),
    ]
    .into_iter()
    .find_map(|(doc, key)| {
        statuspage::document(&v, doc, &state.public_url).and_then(|d| {
            d[key]
                .as_array()?
                .iter()
                .find(|i| i["id"].as_str() == Some(id.as_str()))
                .cloned()
        })
    })
    .unwrap_or(Value::Null)
}

pub async fn post_incident(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<Value>)> {
    caller.check(Action::Incidents, &event)?;
    let input: IncidentInput = read_json(body).await?;
    let rec = open_incident(&state, &event, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(incident_json(&state, &event, rec.id)),
    ))
}

pub async fn post_update(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    body: Body,
) -> Result<(StatusCode, Json<Value>)> {
    caller.check(Action::Incidents, &event)?;
    let input: UpdateInput = read_json(body).await?;
    let rec = update_incident(&state, &event, id, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(incident_json(&state, &event, rec.id)),
    ))
}

/// Calls off a maintenance that has not started; an empty body is fine
/// (the default text in English).
pub async fn post_cancel(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    body: Body,
) -> Result<Json<Value>> {
    caller.check(Action::Incidents, &event)?;
    let bytes = axum::body::to_bytes(body, JSON_LIMIT)
        .await
        .map_err(|_| AppError::TooLarge { limit: JSON_LIMIT })?;
    let input: CancelInput = if bytes.iter().all(u8::is_ascii_whitespace) {
        CancelInput::default()
    } else {
        read_json(Body::from(bytes)).await?
    };
    let rec = cancel_maintenance(&state, &event, id, input).await?;
    Ok(Json(incident_json(&state, &event, rec.id)))
}

pub async fn patch_component_api(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    body: Body,
) -> Result<Json<ComponentRecord>> {
    caller.check(Action::Components, &event)?;
    let input: ComponentPatchInput = read_json(body).await?;
    Ok(Json(patch_component(&state, &event, id, input).await?))
}

pub async fn post_component(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<ComponentRecord>)> {
    caller.check(Action::Components, &event)?;
    let input: ComponentInput = read_json(body).await?;
    let rec = state
        .store
        .create_component(
            &event,
            NewComponent {
                name: input.name,
                description: input.description,
                group_name: input.group,
            },
            Utc::now(),
        )
        .await?;
    state.after_write(&event).await?;
    Ok((StatusCode::CREATED, Json(rec)))
}

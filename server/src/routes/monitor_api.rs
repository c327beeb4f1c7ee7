//! The monitors' JSON API (bearer token): list, add, show with recent
//! results, edit (pause), remove; and the incidents monitors drafted,
//! published or discarded in one call. What they do is
//! `services::monitor`, shared with the dashboard's forms.

use app::domain::access::Action;
use app::domain::address::OutboundPolicy;
use app::error::Result;
use app::state::AppState;
use app::store::MonitorRecord;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::{Value, json};

use super::api::{ApiCaller, ApiPath, EventAndId};
use super::status_api::read_json;
use crate::services::event_view;
use crate::services::monitor::{MonitorInput, add_monitor, edit_monitor, publish_draft};

/// The outbound rule for monitor targets, set by `marquee serve` from
/// `MARQUEE_MONITOR_ALLOW_LOOPBACK`; absent, the strict rule applies.
#[derive(Debug, Clone, Copy, Default)]
pub struct MonitorPolicy(pub OutboundPolicy);

fn policy_of(p: Option<Extension<MonitorPolicy>>) -> OutboundPolicy {
    p.map(|Extension(MonitorPolicy(p))| p).unwrap_or_default()
}

/// How many recent checks `GET …/monitors/{id}` shows.
const RECENT_RESULTS: i64 = 50;

pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
) -> Result<Json<Value>> {
    caller.check(Action::View, &event)?;
    event_view(&state, &event)?;
    let monitors = state.store.list_monitors(&event).await?;
    Ok(Json(json!({ "monitors": monitors })))
}

pub async fn post(
    State(state): State<AppState>,
    caller: ApiCaller,
    policy: Option<Extension<MonitorPolicy>>,
    Path(event): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<MonitorRecord>)> {
    caller.check(Action::Components, &event)?;
    let input: MonitorInput = read_json(body).await?;
    let rec = add_monitor(&state, &event, input, policy_of(policy)).await?;
    Ok((StatusCode::CREATED, Json(rec)))
}

pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
) -> Result<Json<Value>> {
    caller.check(Action::View, &event)?;
    let monitor = state.store.get_monitor(&event, id).await?;
    let results = state.store.monitor_results(id, RECENT_RESULTS).await?;
    Ok(Json(json!({ "monitor": monitor, "results": results })))
}

pub async fn patch(
    State(state): State<AppState>,
    caller: ApiCaller,
    policy: Option<Extension<MonitorPolicy>>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    body: Body,
) -> Result<Json<MonitorRecord>> {
    caller.check(Action::Components, &event)?;
    let input: MonitorInput = read_json(body).await?;
    Ok(Json(
        edit_monitor(&state, &event, id, input, policy_of(policy)).await?,
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
) -> Result<StatusCode> {
    caller.check(Action::Components, &event)?;
    state.store.delete_monitor(&event, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_drafts(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
) -> Result<Json<Value>> {
    caller.check(Action::View, &event)?;
    event_view(&state, &event)?;
    let drafts = state.store.list_monitor_drafts(&event).await?;
    Ok(Json(json!({ "drafts": drafts })))
}

pub async fn publish(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
) -> Result<(StatusCode, Json<Value>)> {
    caller.check(Action::Incidents, &event)?;
    let rec = publish_draft(&state, &event, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(super::status_api::incident_json(&state, &event, rec.id)),
    ))
}

pub async fn discard(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
) -> Result<StatusCode> {
    caller.check(Action::Incidents, &event)?;
    state
        .store
        .discard_monitor_draft(&event, id, state.clock.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The routes for the OpenAPI document (`super::openapi` lists them).
pub(super) mod doc {
    #![expect(dead_code, reason = "declarations for the OpenAPI document only")]

    use app::error::ErrorBody;

    use crate::services::monitor::MonitorInput;

    #[utoipa::path(
        get, path = "/api/v1/events/{event}/monitors", tag = "write",
        params(("event" = String, Path)),
        responses(
            (status = 200, description = "`{\"monitors\": [...]}` with each one's state and last result", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn list_monitors() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/monitors", tag = "write",
        params(("event" = String, Path)),
        request_body = MonitorInput,
        responses(
            (status = 201, description = "the monitor; its first check is due at once", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
            (status = 422, description = "refused, naming the field (`target`, `interval_secs`, `failures`, ...)", body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn post_monitor() {}

    #[utoipa::path(
        get, path = "/api/v1/events/{event}/monitors/{id}", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        responses(
            (status = 200, description = "`{\"monitor\", \"results\"}`: the latest checks, newest first", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn show_monitor() {}

    #[utoipa::path(
        patch, path = "/api/v1/events/{event}/monitors/{id}", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        request_body = MonitorInput,
        responses(
            (status = 200, description = "the monitor (`paused` pauses it)", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
            (status = 422, description = "refused, naming the field", body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn patch_monitor() {}

    #[utoipa::path(
        delete, path = "/api/v1/events/{event}/monitors/{id}", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        responses(
            (status = 204, description = "removed; the component keeps its status"),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn delete_monitor() {}

    #[utoipa::path(
        get, path = "/api/v1/events/{event}/monitor-drafts", tag = "write",
        params(("event" = String, Path)),
        responses(
            (status = 200, description = "`{\"drafts\": [...]}`: incidents monitors drafted, not yet published", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn list_drafts() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/monitor-drafts/{id}/publish", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        responses(
            (status = 201, description = "the incident, as incidents.json lists it", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
            (status = 409, description = "already published or discarded", body = ErrorBody),
            (status = 422, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn publish_draft() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/monitor-drafts/{id}/discard", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        responses(
            (status = 204, description = "discarded; nothing was published"),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
            (status = 409, description = "already published or discarded", body = ErrorBody),
            (status = 422, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn discard_draft() {}
}

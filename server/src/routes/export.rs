//! `/e/{event}/schedule.json` and `.xml`, from the in-memory read model,
//! with ETag/304 so calendar apps and CDNs can poll cheaply.

use app::cache_policy::Freshness;
use app::error::AppError;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use super::conditional::cacheable;
use crate::c3voc;

pub async fn schedule_json(state: State<AppState>, path: Path<String>) -> Response {
    export(
        state,
        path,
        "application/json; charset=utf-8",
        c3voc::export_json,
    )
}

pub async fn schedule_xml(state: State<AppState>, path: Path<String>) -> Response {
    export(
        state,
        path,
        "application/xml; charset=utf-8",
        c3voc::export_xml,
    )
}

fn export(
    State(state): State<AppState>,
    Path(event): Path<String>,
    content_type: &'static str,
    render: fn(&app::domain::schedule::Schedule, &str) -> String,
) -> Response {
    let Some(view) = state.read_model.get(&event) else {
        return AppError::not_found(format!("event {event:?}")).into_response();
    };
    let body = render(&view.schedule, &format!("{}/e/{event}", state.public_url));
    cacheable(Freshness::timeless(state.clock.now()), content_type, body)
}

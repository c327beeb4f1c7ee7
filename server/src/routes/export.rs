//! `/e/{event}/schedule.json` and `.xml`, from the in-memory read model,
//! with ETag/304 so calendar apps and CDNs can poll cheaply.

use app::error::AppError;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::c3voc;

pub async fn schedule_json(
    state: State<AppState>,
    path: Path<String>,
    headers: HeaderMap,
) -> Response {
    export(
        state,
        path,
        headers,
        "json",
        "application/json; charset=utf-8",
        c3voc::export_json,
    )
}

pub async fn schedule_xml(
    state: State<AppState>,
    path: Path<String>,
    headers: HeaderMap,
) -> Response {
    export(
        state,
        path,
        headers,
        "xml",
        "application/xml; charset=utf-8",
        c3voc::export_xml,
    )
}

fn export(
    State(state): State<AppState>,
    Path(event): Path<String>,
    headers: HeaderMap,
    kind: &str,
    content_type: &'static str,
    render: fn(&app::domain::schedule::Schedule, &str) -> String,
) -> Response {
    let Some(view) = state.read_model.get(&event) else {
        return AppError::not_found(format!("event {event:?}")).into_response();
    };
    let etag = format!("\"{}-{kind}\"", view.fingerprint);
    let cache = HeaderValue::from_static("public, max-age=30, stale-while-revalidate=60");
    let etag_value = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\""));
    if if_none_match(&headers, &etag) {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    let body = render(&view.schedule, &format!("{}/e/{event}", state.public_url));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response()
}

/// Whether an `If-None-Match` header matches `etag` (weak comparison).
pub fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

//! What the countdown screens fetch: the server's clock (`/api/v1/time`),
//! which they follow instead of the device's, and a screen's data
//! (`/e/{event}/screen.json`), the island's props in the same shape, built
//! from the read model only. Both are time-dependent: never cached.

use app::error::{AppError, Result};
use app::pages::screen_data_for;
use app::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;

fn no_store(body: impl IntoResponse) -> Response {
    let mut res = body.into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `GET /api/v1/time`: `{"now_ms": <server epoch ms>}`.
pub async fn time() -> Response {
    no_store(Json(
        serde_json::json!({ "now_ms": Utc::now().timestamp_millis() }),
    ))
}

#[derive(Debug, Deserialize)]
pub struct ScreenQuery {
    track: Option<String>,
    /// `YYYY-MM-DD`, the local day the browser's (server-synced) clock is
    /// on; default: today at the server's clock.
    day: Option<String>,
}

/// `GET /e/{event}/screen.json[?track=slug][&day=YYYY-MM-DD]`.
pub async fn screen_json(
    State(state): State<AppState>,
    Path(event): Path<String>,
    Query(q): Query<ScreenQuery>,
) -> Result<Response> {
    let view = state
        .read_model
        .get(&event)
        .ok_or_else(|| AppError::not_found(format!("event {event:?}")))?;
    let day = q
        .day
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.parse::<NaiveDate>()
                .map_err(|_| AppError::invalid("day", "expected YYYY-MM-DD"))
        })
        .transpose()?;
    let track = q.track.filter(|t| !t.is_empty());
    let data = screen_data_for(&view, track.as_deref(), day, state.clock.now())
        .ok_or_else(|| AppError::not_found(format!("track {:?}", track.unwrap_or_default())))?;
    Ok(no_store(Json(data)))
}

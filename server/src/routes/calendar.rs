//! iCalendar feeds: `/e/{event}/schedule.ics`, `/e/{event}/tracks/{track}.ics`
//! and `/e/{event}/speakers/{key}.ics`, from the read model, with stable
//! UIDs and SEQUENCE raised on each move so calendar apps update events in
//! place. (axum cannot match `{track}.ics` inside a segment, so the suffix
//! is checked here.)

use app::error::AppError;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::export::if_none_match;
use crate::ics::{CalendarFilter, event_calendar};

fn serve(state: &AppState, event: &str, filter: CalendarFilter, headers: &HeaderMap) -> Response {
    let Some(v) = state.read_model.get(event) else {
        return AppError::not_found(format!("event {event:?}")).into_response();
    };
    let exists = match &filter {
        CalendarFilter::All => true,
        CalendarFilter::Track(t) => v.schedule.track(t).is_some(),
        CalendarFilter::Speaker(k) => v.schedule.speaker(k).is_some(),
    };
    if !exists {
        return AppError::not_found("calendar").into_response();
    }
    let etag = format!(
        "\"{}-ics-{:x}\"",
        v.fingerprint,
        fxhash(&format!("{filter:?}"))
    );
    let etag_v = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\""));
    let cache = HeaderValue::from_static("public, max-age=60, stale-while-revalidate=300");
    if if_none_match(headers, &etag) {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_v), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    let body = event_calendar(
        &v.schedule,
        &v.history.sequences,
        filter,
        &format!("{}/e/{event}", state.public_url),
    );
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (header::ETAG, etag_v),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response()
}

/// A small stable hash so each calendar of an event has its own ETag.
fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub async fn event(
    State(state): State<AppState>,
    Path(event): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(&state, &event, CalendarFilter::All, &headers)
}

pub async fn track(
    State(state): State<AppState>,
    Path((event, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    match file.strip_suffix(".ics") {
        Some(t) => serve(
            &state,
            &event,
            CalendarFilter::Track(t.to_owned()),
            &headers,
        ),
        None => AppError::not_found("calendar").into_response(),
    }
}

pub async fn speaker(
    State(state): State<AppState>,
    Path((event, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    match file.strip_suffix(".ics") {
        Some(k) => serve(
            &state,
            &event,
            CalendarFilter::Speaker(k.to_owned()),
            &headers,
        ),
        None => AppError::not_found("calendar").into_response(),
    }
}

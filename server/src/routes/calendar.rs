//! iCalendar feeds: `/e/{event}/schedule.ics`, `/e/{event}/tracks/{track}.ics`
//! and `/e/{event}/speakers/{key}.ics`, from the read model, with stable
//! UIDs and SEQUENCE raised on each move so calendar apps update events in
//! place. (axum cannot match `{track}.ics` inside a segment, so the suffix
//! is checked here.)

use app::cache_policy::Freshness;
use app::error::AppError;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use super::conditional::cacheable;
use crate::ics::{CalendarFilter, event_calendar};

fn serve(state: &AppState, event: &str, filter: CalendarFilter) -> Response {
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
    let body = event_calendar(
        &v.schedule,
        &v.history.sequences,
        filter,
        &format!("{}/e/{event}", state.public_url),
    );
    cacheable(
        Freshness::timeless(state.clock.now()),
        "text/calendar; charset=utf-8",
        body,
    )
}

pub async fn event(State(state): State<AppState>, Path(event): Path<String>) -> Response {
    serve(&state, &event, CalendarFilter::All)
}

pub async fn track(
    State(state): State<AppState>,
    Path((event, file)): Path<(String, String)>,
) -> Response {
    match file.strip_suffix(".ics") {
        Some(t) => serve(&state, &event, CalendarFilter::Track(t.to_owned())),
        None => AppError::not_found("calendar").into_response(),
    }
}

pub async fn speaker(
    State(state): State<AppState>,
    Path((event, file)): Path<(String, String)>,
) -> Response {
    match file.strip_suffix(".ics") {
        Some(k) => serve(&state, &event, CalendarFilter::Speaker(k.to_owned())),
        None => AppError::not_found("calendar").into_response(),
    }
}

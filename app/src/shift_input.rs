//! Shift requests as people write them (API JSON, CLI flags, the
//! organiser's form), turned into domain requests with the field at fault
//! named — one parser, so all three refuse the same things the same way.

use chrono::{NaiveDate, Utc};
use serde::Deserialize;

use crate::domain::schedule::Schedule;
use crate::domain::shift::{ShiftChange, ShiftRequest, TrackSelection};
use crate::domain::time::{local_date, parse_when, parse_zone};
use crate::error::{AppError, Result};

/// A shift as people write it: times as `HH:MM` on the event's day (or
/// RFC 3339), tracks as `"all"` or slugs, exactly one of `by_minutes`/`to`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftInput {
    /// `"all"` or a list of track slugs.
    #[schema(value_type = Option<Object>, example = json!(["track-2"]))]
    pub tracks: Option<TrackSelection>,
    pub from: Option<String>,
    pub by_minutes: Option<i64>,
    pub to: Option<String>,
    pub until: Option<String>,
    /// The day `HH:MM` times are on (default: today if the event runs today,
    /// else its first day).
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub include_pinned: bool,
}

/// Turns input into a domain request, naming the field at fault.
pub fn build_request(schedule: &Schedule, input: &ShiftInput) -> Result<ShiftRequest> {
    let tz = parse_zone(&schedule.event.time_zone)?;
    let today = local_date(tz, Utc::now());
    let ev = &schedule.event;
    let day = input
        .date
        .unwrap_or(if ev.start_date <= today && today <= ev.end_date {
            today
        } else {
            ev.start_date
        });
    let when = |field: &str, s: &str| {
        parse_when(s, tz, day).map_err(|e| AppError::invalid(field, e.to_string()))
    };
    let tracks = input
        .tracks
        .clone()
        .ok_or_else(|| AppError::invalid("tracks", "required: \"all\" or a list of track slugs"))?;
    let from = when(
        "from",
        input
            .from
            .as_deref()
            .ok_or_else(|| AppError::invalid("from", "required (HH:MM)"))?,
    )?;
    let change = match (input.by_minutes, input.to.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(AppError::invalid(
                "to",
                "give either by_minutes or to, not both",
            ));
        }
        (None, None) => {
            return Err(AppError::invalid(
                "by_minutes",
                "required: by_minutes (±minutes) or to (new start, HH:MM)",
            ));
        }
        (Some(m), None) => ShiftChange::ByMinutes(m),
        (None, Some(t)) => ShiftChange::StartAt(when("to", t)?),
    };
    let until = input
        .until
        .as_deref()
        .map(|u| when("until", u))
        .transpose()?;
    Ok(ShiftRequest {
        tracks,
        from,
        change,
        until,
        include_pinned: input.include_pinned,
    })
}

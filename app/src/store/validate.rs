//! Checks an incoming schedule before anything is written, so a bad file is
//! refused with a field that names the culprit instead of a constraint error.

use std::collections::HashSet;

use chrono::{DurationRound, TimeDelta};

use crate::domain::schedule::Schedule;
use crate::domain::time::parse_zone;
use crate::error::{AppError, Result};

/// Validates `incoming` and returns the copy that will be stored: instants
/// are kept in whole seconds, so sub-second parts are dropped up front and a
/// re-import of the same file still diffs as empty.
pub(super) fn normalised(incoming: &Schedule) -> Result<Schedule> {
    let ev = &incoming.event;
    if ev.slug.trim().is_empty() {
        return Err(AppError::invalid("event.slug", "must not be empty"));
    }
    if ev.name.trim().is_empty() {
        return Err(AppError::invalid("event.name", "must not be empty"));
    }
    parse_zone(&ev.time_zone).map_err(|e| AppError::invalid("event.time_zone", e.to_string()))?;
    if ev.end_date < ev.start_date {
        return Err(AppError::invalid(
            "event.end_date",
            format!("{} is before the start date {}", ev.end_date, ev.start_date),
        ));
    }

    let mut tracks = HashSet::new();
    for (i, t) in incoming.tracks.iter().enumerate() {
        if t.slug.is_empty() {
            return Err(AppError::invalid(
                format!("tracks[{i}].slug"),
                "must not be empty",
            ));
        }
        if !tracks.insert(t.slug.as_str()) {
            return Err(AppError::invalid(
                format!("tracks[{i}].slug"),
                format!("duplicate track {:?}", t.slug),
            ));
        }
    }
    let mut speakers = HashSet::new();
    for (i, s) in incoming.speakers.iter().enumerate() {
        if s.key.is_empty() || !speakers.insert(s.key.as_str()) {
            return Err(AppError::invalid(
                format!("speakers[{i}].key"),
                format!("empty or duplicate speaker key {:?}", s.key),
            ));
        }
    }

    let mut guids = HashSet::new();
    for (i, s) in incoming.sessions.iter().enumerate() {
        if s.guid.is_empty() {
            return Err(AppError::invalid(
                format!("sessions[{i}].guid"),
                "must not be empty",
            ));
        }
        let at = |field: &str| format!("sessions[{}].{field}", s.guid);
        if !guids.insert(s.guid.as_str()) {
            return Err(AppError::invalid(at("guid"), "duplicate session guid"));
        }
        if !tracks.contains(s.track.as_str()) {
            return Err(AppError::invalid(
                at("track"),
                format!("unknown track {:?}", s.track),
            ));
        }
        if s.duration_min < 0 {
            return Err(AppError::invalid(
                at("duration_min"),
                "must not be negative",
            ));
        }
        let mut billed = HashSet::new();
        for key in &s.speakers {
            if !speakers.contains(key.as_str()) {
                return Err(AppError::invalid(
                    at("speakers"),
                    format!("unknown speaker {key:?}"),
                ));
            }
            if !billed.insert(key.as_str()) {
                return Err(AppError::invalid(
                    at("speakers"),
                    format!("speaker {key:?} listed twice"),
                ));
            }
        }
    }

    let mut out = incoming.clone();
    for s in &mut out.sessions {
        s.start = s
            .start
            .duration_trunc(TimeDelta::seconds(1))
            .map_err(|e| AppError::invalid(format!("sessions[{}].start", s.guid), e.to_string()))?;
    }
    Ok(out)
}

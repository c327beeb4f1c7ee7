//! Re-planning one talk: move it (time, room, length), swap two, cancel or
//! restore one. The organiser names the session, so a pinned one may be
//! edited; landing on a pinned session that stays is refused unless
//! allowed.

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::change::{ChangeKind, ChangePreview, SessionEdit, Slot};
use super::conflicts::ConflictKind;
use super::error::ReplanError;
use super::shift::minute;
use crate::domain::schedule::{Schedule, Session};
use crate::domain::shift::{MAX_SHIFT_MIN, allowed_dates};
use crate::domain::time::local_date;

/// Move one session: any of start, room (track) and length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveRequest {
    pub guid: String,
    /// New start (seconds dropped); `None` keeps it.
    #[serde(default)]
    pub start: Option<DateTime<Utc>>,
    /// New track slug; `None` keeps it.
    #[serde(default)]
    pub track: Option<String>,
    /// New length in minutes; `None` keeps it.
    #[serde(default)]
    pub duration_min: Option<i64>,
    /// Accept an overlap with a pinned session (reported, not refused).
    #[serde(default)]
    pub allow_pinned_overlap: bool,
}

/// Swap two sessions: each takes the other's start and room and keeps
/// its own length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapRequest {
    pub a: String,
    pub b: String,
    #[serde(default)]
    pub allow_pinned_overlap: bool,
}

/// What moving one session would do. Refused for an unknown or cancelled
/// session, an unknown track, a length outside 1..=1440, a start outside
/// the event's dates, a move that changes nothing, or an overlap with a
/// pinned session that was not allowed.
pub fn plan_move(
    schedule: &Schedule,
    tz: Tz,
    req: &MoveRequest,
) -> Result<ChangePreview, ReplanError> {
    let s = live_session(schedule, &req.guid, "guid")?;
    let mut after = Slot::of(s);
    if let Some(start) = req.start {
        check_date(schedule, tz, start)?;
        after.start = minute(start);
    }
    if let Some(track) = &req.track {
        if schedule.track(track).is_none() {
            return Err(ReplanError::UnknownTrack {
                track: track.clone(),
            });
        }
        after.track.clone_from(track);
    }
    if let Some(minutes) = req.duration_min {
        if !(1..=MAX_SHIFT_MIN).contains(&minutes) {
            return Err(ReplanError::BadDuration { minutes });
        }
        after.duration_min = minutes;
    }
    if after == Slot::of(s) {
        return Err(ReplanError::NoChange { field: "start" });
    }
    let edits = vec![edit(s, after)];
    refuse_pinned(
        ChangePreview::new(ChangeKind::Move, schedule, tz, edits),
        req.allow_pinned_overlap,
    )
}

/// What swapping two sessions would do. Refused for unknown, cancelled or
/// identical sessions, two sessions in the same slot, or an overlap with a
/// pinned session that was not allowed.
pub fn plan_swap(
    schedule: &Schedule,
    tz: Tz,
    req: &SwapRequest,
) -> Result<ChangePreview, ReplanError> {
    let a = live_session(schedule, &req.a, "a")?;
    let b = live_session(schedule, &req.b, "b")?;
    if a.guid == b.guid {
        return Err(ReplanError::SameSession);
    }
    let in_place_of = |s: &Session, o: &Session| Slot {
        start: o.start,
        track: o.track.clone(),
        ..Slot::of(s)
    };
    let edits: Vec<SessionEdit> = [(a, in_place_of(a, b)), (b, in_place_of(b, a))]
        .into_iter()
        .filter(|(s, after)| Slot::of(s) != *after)
        .map(|(s, after)| edit(s, after))
        .collect();
    if edits.is_empty() {
        return Err(ReplanError::NoChange { field: "b" });
    }
    refuse_pinned(
        ChangePreview::new(ChangeKind::Swap, schedule, tz, edits),
        req.allow_pinned_overlap,
    )
}

/// Cancelling a session: it keeps its slot (shown as cancelled) and the
/// slot no longer counts for overlaps or clashes.
pub fn plan_cancel(schedule: &Schedule, tz: Tz, guid: &str) -> Result<ChangePreview, ReplanError> {
    let s = live_session(schedule, guid, "guid")?;
    let after = Slot {
        cancelled: true,
        ..Slot::of(s)
    };
    Ok(ChangePreview::new(
        ChangeKind::Cancel,
        schedule,
        tz,
        vec![edit(s, after)],
    ))
}

/// Restoring a cancelled session to its slot; whatever moved into the
/// slot meanwhile is reported as an overlap.
pub fn plan_restore(schedule: &Schedule, tz: Tz, guid: &str) -> Result<ChangePreview, ReplanError> {
    let s = find(schedule, guid, "guid")?;
    if !s.cancelled {
        return Err(ReplanError::NotCancelled { guid: guid.into() });
    }
    let after = Slot {
        cancelled: false,
        ..Slot::of(s)
    };
    Ok(ChangePreview::new(
        ChangeKind::Restore,
        schedule,
        tz,
        vec![edit(s, after)],
    ))
}

fn edit(s: &Session, after: Slot) -> SessionEdit {
    SessionEdit {
        guid: s.guid.clone(),
        title: s.title.clone(),
        before: Slot::of(s),
        after,
        interrupted: None,
    }
}

fn find<'a>(
    schedule: &'a Schedule,
    guid: &str,
    field: &'static str,
) -> Result<&'a Session, ReplanError> {
    schedule
        .session(guid)
        .ok_or_else(|| ReplanError::UnknownSession {
            field,
            guid: guid.into(),
        })
}

fn live_session<'a>(
    schedule: &'a Schedule,
    guid: &str,
    field: &'static str,
) -> Result<&'a Session, ReplanError> {
    let s = find(schedule, guid, field)?;
    if s.cancelled {
        return Err(ReplanError::Cancelled {
            field,
            guid: guid.into(),
        });
    }
    Ok(s)
}

fn check_date(schedule: &Schedule, tz: Tz, start: DateTime<Utc>) -> Result<(), ReplanError> {
    let ev = &schedule.event;
    let date = local_date(tz, start);
    if !allowed_dates(ev).contains(&date) {
        return Err(ReplanError::OutsideEvent {
            field: "start",
            date,
            start: ev.start_date,
            end: ev.end_date,
        });
    }
    Ok(())
}

fn refuse_pinned(preview: ChangePreview, allowed: bool) -> Result<ChangePreview, ReplanError> {
    if allowed {
        return Ok(preview);
    }
    match preview
        .conflicts
        .iter()
        .find(|c| c.kind == ConflictKind::OverlapsPinned)
    {
        Some(c) => Err(ReplanError::PinnedOverlap {
            field: c.field.as_str(),
            guid: c.guid.clone(),
            pinned_guid: c.other.clone().unwrap_or_default(),
        }),
        None => Ok(preview),
    }
}

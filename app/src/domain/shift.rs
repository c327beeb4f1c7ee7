//! Shifting part of a schedule ("tracks 1 and 2 run 50 minutes late from
//! 17:25"). A preview says what would move and what that would break; the
//! breakage is only warned about, because organisers know things we do not
//! (a speaker who can run between halls). Applying is a separate step so the
//! store can re-run the preview inside its transaction. Pure: no I/O, no
//! clock reads.

mod conflicts;
#[cfg(test)]
mod props;
mod selection;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::ops::RangeInclusive;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub use conflicts::Conflict;
pub use selection::TrackSelection;
pub(crate) use selection::selected_tracks;

use super::replan::{ChangePreview, ConflictKind};
use super::schedule::{Event, Schedule, Session};
use super::time::{local_date, local_to_utc_lenient};

/// What a stored shift did: move sessions, or undo an earlier shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftKind {
    Shift,
    Revert,
}

impl ShiftKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shift => "shift",
            Self::Revert => "revert",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Shift, Self::Revert]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// The largest shift, either way: more is a new schedule, not a delay.
pub const MAX_SHIFT_MIN: i64 = 24 * 60;

/// How far the sessions move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftChange {
    /// Later (positive) or earlier (negative) by this many minutes.
    ByMinutes(i64),
    /// The new start of the first session that moves; the others follow it.
    /// Seconds are dropped: shifts are whole minutes.
    StartAt(DateTime<Utc>),
}

/// What an organiser asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftRequest {
    pub tracks: TrackSelection,
    /// Sessions starting at or after this instant move; running and finished
    /// ones never do.
    pub from: DateTime<Utc>,
    pub change: ShiftChange,
    /// Sessions starting at or after this stay; `None` means the end of the
    /// local day of `from` in the event's zone.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    /// Whether pinned sessions (keynotes, fixed breaks) move too.
    #[serde(default)]
    pub include_pinned: bool,
}

/// One session a shift moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedSession {
    pub guid: String,
    pub title: String,
    pub track: String,
    pub old_start: DateTime<Utc>,
    pub new_start: DateTime<Utc>,
    pub delta_min: i64,
}

/// What a shift would do: the sessions it moves (earliest first) and the
/// warnings. Stored with the shift, so it can be reverted later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftPreview {
    pub moved: Vec<MovedSession>,
    pub conflicts: Vec<Conflict>,
    pub delta_min: i64,
}

impl ShiftPreview {
    /// The change in the older shift shape: the sessions that run at another
    /// time, and the warnings that shape can say. Room overlaps have no word
    /// there; the change itself has them.
    pub fn from_change(change: &ChangePreview) -> Self {
        let moved: Vec<MovedSession> = change
            .edits
            .iter()
            .filter(|e| !e.after.cancelled && e.before.start != e.after.start)
            .map(|e| MovedSession {
                guid: e.guid.clone(),
                title: e.title.clone(),
                track: e.after.track.clone(),
                old_start: e.before.start,
                new_start: e.after.start,
                delta_min: e.delta_min(),
            })
            .collect();
        let conflicts = change
            .conflicts
            .iter()
            .filter_map(|c| {
                let guid = c.guid.clone();
                Some(match c.kind {
                    ConflictKind::PastDayEnd => Conflict::PastDayEnd { guid },
                    ConflictKind::CrossesMidnight => Conflict::CrossesMidnight { guid },
                    ConflictKind::CrossesDst => Conflict::CrossesDst { guid },
                    ConflictKind::MovedSince => Conflict::MovedSince { guid },
                    ConflictKind::OverlapsPinned => Conflict::OverlapsPinned {
                        guid,
                        pinned_guid: c.other.clone()?,
                    },
                    ConflictKind::SpeakerClash => {
                        let sp = c.speaker.as_ref()?;
                        Conflict::SpeakerClash {
                            speaker_key: sp.key.clone(),
                            speaker_name: sp.name.clone(),
                            a_guid: guid,
                            b_guid: c.other.clone()?,
                        }
                    }
                    ConflictKind::RoomOverlap => return None,
                })
            })
            .collect();
        let delta_min = moved.first().map_or(0, |m| m.delta_min);
        Self {
            moved,
            conflicts,
            delta_min,
        }
    }
}

/// Why a shift request was refused; [`ShiftError::field`] names the request
/// field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShiftError {
    #[error("choose at least one track")]
    NoTracks,
    #[error("unknown track {0:?}")]
    UnknownTrack(String),
    #[error("{date} is outside the event's dates ({start} to {end}, give or take a day)")]
    FromOutsideEvent {
        date: NaiveDate,
        start: NaiveDate,
        end: NaiveDate,
    },
    #[error("the end of the shifted window must come after its start")]
    UntilNotAfterFrom,
    #[error("a shift of 0 minutes changes nothing")]
    ZeroDelta { field: &'static str },
    #[error("a shift can move sessions by at most 24 hours ({minutes} minutes asked)")]
    TooLarge { field: &'static str, minutes: i64 },
    #[error("no session of the chosen tracks starts in that window")]
    NothingToMove,
}

impl ShiftError {
    /// The request field the error is about: `tracks`, `from`, `by_minutes`,
    /// `to` or `until`.
    pub fn field(&self) -> &'static str {
        match self {
            Self::NoTracks | Self::UnknownTrack(_) => "tracks",
            Self::FromOutsideEvent { .. } | Self::NothingToMove => "from",
            Self::UntilNotAfterFrom => "until",
            Self::ZeroDelta { field } | Self::TooLarge { field, .. } => field,
        }
    }
}

impl ShiftPreview {
    /// `3 sessions in track-1, track-2 moved +50 min`, tracks in the
    /// schedule's order.
    pub fn summary(&self, schedule: &Schedule) -> String {
        let tracks: Vec<&str> = schedule
            .tracks
            .iter()
            .map(|t| t.slug.as_str())
            .filter(|t| self.moved.iter().any(|m| m.track == *t))
            .collect();
        let n = self.moved.len();
        format!(
            "{n} session{} in {} moved {:+} min",
            if n == 1 { "" } else { "s" },
            tracks.join(", "),
            self.delta_min
        )
    }
}

/// Works out which sessions a request moves and what that would break.
pub fn preview_shift(
    schedule: &Schedule,
    tz: Tz,
    req: &ShiftRequest,
) -> Result<ShiftPreview, ShiftError> {
    let tracks = selection::selected_tracks(schedule, &req.tracks)?;
    let until = shift_window_end(schedule, tz, req.from, req.until)?;
    if let ShiftChange::ByMinutes(m) = req.change {
        check_delta(m, "by_minutes")?;
    }

    let position: HashMap<&str, i64> = schedule
        .tracks
        .iter()
        .map(|t| (t.slug.as_str(), t.position))
        .collect();
    let mut moving: Vec<&Session> = schedule
        .sessions
        .iter()
        .filter(|s| tracks.contains(s.track.as_str()) && !s.cancelled)
        .filter(|s| s.start >= req.from && s.start < until)
        .filter(|s| req.include_pinned || !s.pinned)
        .collect();
    moving.sort_by_key(|s| (s.start, position.get(s.track.as_str()), &s.track, &s.guid));
    let Some(earliest) = moving.first() else {
        return Err(ShiftError::NothingToMove);
    };
    let delta_min = match req.change {
        ShiftChange::ByMinutes(m) => m,
        ShiftChange::StartAt(target) => {
            let m = (target - earliest.start).num_minutes();
            check_delta(m, "to")?;
            m
        }
    };

    let moved: Vec<MovedSession> = moving
        .iter()
        .map(|s| MovedSession {
            guid: s.guid.clone(),
            title: s.title.clone(),
            track: s.track.clone(),
            old_start: s.start,
            new_start: s.start + Duration::minutes(delta_min),
            delta_min,
        })
        .collect();
    let conflicts = conflicts::detect(schedule, tz, &moved);
    Ok(ShiftPreview {
        moved,
        conflicts,
        delta_min,
    })
}

/// The schedule with the preview's moves applied. A session that is gone or
/// no longer at the preview's `old_start` is left where it is; the order of
/// `sessions` is kept.
pub fn apply_preview(schedule: &Schedule, preview: &ShiftPreview) -> Schedule {
    let moves: HashMap<&str, &MovedSession> =
        preview.moved.iter().map(|m| (m.guid.as_str(), m)).collect();
    let mut out = schedule.clone();
    for s in &mut out.sessions {
        if let Some(m) = moves.get(s.guid.as_str())
            && s.start == m.old_start
        {
            s.start = m.new_start;
        }
    }
    out
}

/// The moves that undo `p`: every session goes from its new start back to
/// its old one. Warnings are not carried over (see [`preview_revert`]).
pub fn revert_preview(p: &ShiftPreview) -> ShiftPreview {
    ShiftPreview {
        moved: p
            .moved
            .iter()
            .map(|m| MovedSession {
                old_start: m.new_start,
                new_start: m.old_start,
                delta_min: -m.delta_min,
                ..m.clone()
            })
            .collect(),
        conflicts: Vec::new(),
        delta_min: -p.delta_min,
    }
}

/// Reverting a stored shift against today's schedule: only sessions still
/// at their shifted start move back; the others (moved again or removed
/// since) stay and are reported as [`Conflict::MovedSince`]. Warnings are
/// recomputed for the moves that remain.
pub fn preview_revert(schedule: &Schedule, tz: Tz, stored: &ShiftPreview) -> ShiftPreview {
    let mut back = revert_preview(stored);
    let mut stale = Vec::new();
    back.moved.retain(|m| {
        let still = schedule
            .session(&m.guid)
            .is_some_and(|s| s.start == m.old_start);
        if !still {
            stale.push(Conflict::MovedSince {
                guid: m.guid.clone(),
            });
        }
        still
    });
    back.conflicts = stale;
    back.conflicts
        .extend(conflicts::detect(schedule, tz, &back.moved));
    back
}

/// The end of the window a shift from `from` moves: `until`, or the end of
/// the local day of `from`. Refuses a `from` outside the event's dates
/// (give or take a day) and an `until` not after `from`. Shared with
/// `domain::replan`, so both read a window the same way.
pub(crate) fn shift_window_end(
    schedule: &Schedule,
    tz: Tz,
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
) -> Result<DateTime<Utc>, ShiftError> {
    let ev = &schedule.event;
    let date = local_date(tz, from);
    if !allowed_dates(ev).contains(&date) {
        return Err(ShiftError::FromOutsideEvent {
            date,
            start: ev.start_date,
            end: ev.end_date,
        });
    }
    let until = until.unwrap_or_else(|| {
        let next = date.succ_opt().unwrap_or(date);
        local_to_utc_lenient(tz, next.and_time(NaiveTime::MIN))
    });
    if until <= from {
        return Err(ShiftError::UntilNotAfterFrom);
    }
    Ok(until)
}

/// The local dates a change may touch: the event's, give or take a day
/// (an evening session can end after midnight).
pub(crate) fn allowed_dates(ev: &Event) -> RangeInclusive<NaiveDate> {
    let first = ev.start_date.pred_opt().unwrap_or(ev.start_date);
    let last = ev.end_date.succ_opt().unwrap_or(ev.end_date);
    first..=last
}

/// Refuses a zero shift and one of more than [`MAX_SHIFT_MIN`], naming
/// `field`.
pub(crate) fn check_delta(minutes: i64, field: &'static str) -> Result<(), ShiftError> {
    if minutes == 0 {
        Err(ShiftError::ZeroDelta { field })
    } else if minutes.abs() > MAX_SHIFT_MIN {
        Err(ShiftError::TooLarge { field, minutes })
    } else {
        Ok(())
    }
}

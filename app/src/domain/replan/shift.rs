//! A shift that knows about the interruption: talks running at `from` are
//! interrupted and move too (restarting or resuming), every chosen track
//! can restart at one instant, and pinned sessions are flowed around,
//! reported or refused.

#[cfg(test)]
mod tests;

use chrono::{DateTime, Duration, DurationRound, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::change::{ChangeKind, ChangePreview, InterruptedMode, Interruption, SessionEdit, Slot};
use super::conflicts::ConflictKind;
use super::error::ReplanError;
use super::lane::{Budget, Lane, LaneItem, Placed};
use super::rules::{PinnedPolicy, is_interruptible};
use crate::domain::schedule::Schedule;
use crate::domain::shift::{
    MAX_SHIFT_MIN, ShiftError, TrackSelection, check_delta, selected_tracks, shift_window_end,
};

/// How far a shift moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftBy {
    /// Later (positive) or earlier (negative) by this many minutes. An
    /// interrupted talk goes on this long after the interruption.
    ByMinutes(i64),
    /// Every chosen track restarts at this instant: its first moving
    /// session (the interrupted talk, or the first one after `from`)
    /// starts then and the rest follow. Seconds are dropped.
    RestartAt(DateTime<Utc>),
}

/// What an organiser asks for: "tracks 1–4 stopped at 17:00, restart at
/// 18:15".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftPlan {
    pub tracks: TrackSelection,
    /// The interruption. Talks running then are interrupted and move;
    /// sessions starting at or after it move; finished ones stay.
    pub from: DateTime<Utc>,
    pub by: ShiftBy,
    /// Sessions starting at or after this stay; `None` means the end of
    /// the local day of `from` in the event's zone.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub interrupted: InterruptedMode,
    #[serde(default)]
    pub pinned: PinnedPolicy,
}

impl ShiftPlan {
    fn by_field(&self) -> &'static str {
        match self.by {
            ShiftBy::ByMinutes(_) => "by_minutes",
            ShiftBy::RestartAt(_) => "restart_at",
        }
    }
}

/// What `plan` would move, and what that would break. Refused (naming the
/// field) for unknown tracks, a window outside the event, a zero or
/// oversized move, an interrupted talk restarting before the interruption,
/// nothing to move, or, with [`PinnedPolicy::Refuse`], an overlap with a
/// pinned session.
pub fn plan_shift(
    schedule: &Schedule,
    tz: Tz,
    plan: &ShiftPlan,
) -> Result<ChangePreview, ReplanError> {
    let lanes = lanes(schedule, tz, plan)?;
    let placed: Vec<Vec<Placed>> = lanes
        .iter()
        .map(|l| l.place(l.first_delay_min(), Budget::default()))
        .collect();
    let edits = edits_from(&lanes, &placed, plan);
    if edits.is_empty() {
        return Err(ShiftError::NothingToMove.into());
    }
    let preview = ChangePreview::new(ChangeKind::Shift, schedule, tz, edits);
    if plan.pinned == PinnedPolicy::Refuse
        && let Some(c) = preview
            .conflicts
            .iter()
            .find(|c| c.kind == ConflictKind::OverlapsPinned)
    {
        return Err(ReplanError::PinnedOverlap {
            field: "pinned",
            guid: c.guid.clone(),
            pinned_guid: c.other.clone().unwrap_or_default(),
        });
    }
    Ok(preview)
}

/// The interruption instant in whole minutes.
pub(super) fn minute(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::minutes(1)).unwrap_or(t)
}

/// Each chosen track's lane, in the schedule's track order; tracks with
/// nothing to move are left out.
pub(super) fn lanes<'a>(
    schedule: &'a Schedule,
    tz: Tz,
    plan: &ShiftPlan,
) -> Result<Vec<Lane<'a>>, ReplanError> {
    let chosen = selected_tracks(schedule, &plan.tracks)?;
    let until = shift_window_end(schedule, tz, plan.from, plan.until)?;
    let from = minute(plan.from);
    let field = plan.by_field();
    if let ShiftBy::ByMinutes(m) = plan.by {
        check_delta(m, field)?;
    }
    let mut tracks: Vec<_> = schedule
        .tracks
        .iter()
        .filter(|t| chosen.contains(t.slug.as_str()))
        .collect();
    tracks.sort_by_key(|t| (t.position, t.slug.as_str()));

    let mut lanes = Vec::new();
    for track in tracks {
        let mut sessions: Vec<_> = schedule
            .sessions
            .iter()
            .filter(|s| s.track == track.slug && !s.cancelled)
            .collect();
        sessions.sort_by_key(|s| (s.start, s.guid.as_str()));
        let moves = |s| plan.pinned.moves(s);
        let items: Vec<LaneItem> = sessions
            .iter()
            .filter(|s| s.start < until)
            .filter(|s| s.start >= from || (s.is_live(from) && is_interruptible(s) && moves(s)))
            .map(|s| {
                let interrupted = s.start < from;
                let ran = (from - s.start).num_minutes();
                let resume = interrupted && plan.interrupted == InterruptedMode::Resume;
                LaneItem {
                    session: s,
                    stays: !moves(s),
                    interrupted,
                    duration_min: if resume {
                        (s.duration_min - ran).max(1)
                    } else {
                        s.duration_min
                    },
                }
            })
            .collect();
        let Some(first) = items.iter().find(|i| !i.stays) else {
            continue;
        };
        let first_start = match plan.by {
            ShiftBy::ByMinutes(m) if first.interrupted => from + Duration::minutes(m),
            ShiftBy::ByMinutes(m) => first.session.start + Duration::minutes(m),
            ShiftBy::RestartAt(t) => minute(t),
        };
        let delta = (first_start - first.session.start).num_minutes();
        if delta.abs() > MAX_SHIFT_MIN {
            return Err(ShiftError::TooLarge {
                field,
                minutes: delta,
            }
            .into());
        }
        if first.interrupted && first_start < from {
            return Err(ReplanError::RestartBeforeInterruption { field, at: from });
        }
        if delta == 0 {
            continue;
        }
        let walls = if plan.pinned == PinnedPolicy::FlowAround {
            sessions.iter().copied().filter(|s| !moves(s)).collect()
        } else {
            Vec::new()
        };
        lanes.push(Lane {
            track: &track.slug,
            items,
            walls,
            first_start,
        });
    }
    Ok(lanes)
}

/// The edits a layout makes: every moving item whose start or length
/// changes, interrupted talks always.
pub(super) fn edits_from(
    lanes: &[Lane],
    placed: &[Vec<Placed>],
    plan: &ShiftPlan,
) -> Vec<SessionEdit> {
    let from = minute(plan.from);
    let mut edits = Vec::new();
    for (lane, places) in lanes.iter().zip(placed) {
        for p in places {
            let item = &lane.items[p.index];
            let s = item.session;
            if p.start == s.start && p.duration_min == s.duration_min && !item.interrupted {
                continue;
            }
            edits.push(SessionEdit {
                guid: s.guid.clone(),
                title: s.title.clone(),
                before: Slot::of(s),
                after: Slot {
                    start: p.start,
                    duration_min: p.duration_min,
                    track: lane.track.to_owned(),
                    cancelled: false,
                },
                interrupted: item.interrupted.then(|| Interruption {
                    at: from,
                    ran_min: (from - s.start).num_minutes(),
                    mode: plan.interrupted,
                }),
            });
        }
    }
    edits
}

//! Applying and reverting a change, and the version check that keeps two
//! organisers from both publishing on a stale schedule.

use std::collections::HashMap;

use chrono_tz::Tz;

use super::change::{ChangeKind, ChangePreview, SessionEdit, Slot};
use super::conflicts::Conflict;
use super::error::ReplanError;
use crate::domain::schedule::Schedule;

/// Refuses a change previewed on another schedule version than `current`:
/// two organisers publishing at once cannot both succeed on a stale
/// schedule. The error's field is `version`.
pub fn check_version(previewed: i64, current: i64) -> Result<(), ReplanError> {
    if previewed == current {
        Ok(())
    } else {
        Err(ReplanError::Stale { previewed, current })
    }
}

/// The schedule after `change`, as the next version (`version + 1`).
/// Refused, changing nothing, when the schedule is not the version the
/// change was previewed on or an edited session is gone or no longer in
/// its `before` slot. The order of `sessions` is kept.
pub fn apply_change(schedule: &Schedule, change: &ChangePreview) -> Result<Schedule, ReplanError> {
    check_version(change.base_version, schedule.version)?;
    let mut out = schedule.clone();
    let index: HashMap<&str, usize> = schedule
        .sessions
        .iter()
        .enumerate()
        .map(|(i, s)| (s.guid.as_str(), i))
        .collect();
    for e in &change.edits {
        let i = *index
            .get(e.guid.as_str())
            .ok_or_else(|| ReplanError::SessionChanged {
                guid: e.guid.clone(),
            })?;
        let s = &mut out.sessions[i];
        if Slot::of(s) != e.before {
            return Err(ReplanError::SessionChanged {
                guid: e.guid.clone(),
            });
        }
        e.after.write_to(s);
    }
    out.version += 1;
    Ok(out)
}

/// The change that undoes `change` on the version it created: every
/// session goes back to its `before` slot. Warnings are not carried over
/// (see [`preview_revert`] for a revert against today's schedule).
pub fn revert_change(change: &ChangePreview) -> ChangePreview {
    ChangePreview {
        kind: ChangeKind::Revert,
        base_version: change.base_version + 1,
        edits: change.edits.iter().map(SessionEdit::reversed).collect(),
        conflicts: Vec::new(),
        steps: Vec::new(),
    }
}

/// Reverting a stored change against today's schedule: only sessions
/// still in the slot the change gave them go back; the others (changed
/// again or removed since) stay and are reported as
/// [`ConflictKind::MovedSince`]. Warnings are recomputed for what remains;
/// `edits` is empty when nothing can go back.
pub fn preview_revert(schedule: &Schedule, tz: Tz, stored: &ChangePreview) -> ChangePreview {
    let mut stale = Vec::new();
    let edits: Vec<SessionEdit> = stored
        .edits
        .iter()
        .filter(|e| {
            let still = schedule
                .session(&e.guid)
                .is_some_and(|s| Slot::of(s) == e.after);
            if !still {
                stale.push(Conflict::moved_since(e));
            }
            still
        })
        .map(SessionEdit::reversed)
        .collect();
    let mut back = ChangePreview::new(ChangeKind::Revert, schedule, tz, edits);
    stale.append(&mut back.conflicts);
    back.conflicts = stale;
    back
}

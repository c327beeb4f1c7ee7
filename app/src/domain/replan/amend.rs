//! Amending: a second decision about talks that moved a short time ago
//! (restart at 18:00, then 18:15) is one change to attendees — one
//! changelog entry with its steps, one notice replacing the first — and
//! speakers whose answer still fits are not asked again.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::answer::{AskedSlot, SpeakerAnswer, Standing, standing_for};
use super::change::{ChangePreview, ChangeStep, SessionEdit, sort_edits};
use super::error::ReplanError;
use crate::domain::schedule::Schedule;

/// How long after a change was applied a new one may amend it, unless
/// configured otherwise (`MARQUEE_AMEND_WINDOW_MINUTES`).
pub const AMEND_WINDOW_MIN: i64 = 120;

/// Whether a change applied at `applied_at` may still be amended at `now`,
/// `window_min` minutes at most after it (negative: never).
pub fn within_amend_window(applied_at: DateTime<Utc>, now: DateTime<Utc>, window_min: i64) -> bool {
    now >= applied_at && now - applied_at <= Duration::minutes(window_min)
}

/// `published` and `next` (previewed on the schedule `published` made)
/// as one change from the times before `published`: per session the net
/// edit (sessions back where they were drop out), both decisions as
/// `steps`, and `next`'s conflicts (they judge the same final schedule).
/// Its kind and base version are `published`'s; `schedule` (today's) only
/// orders the edits. The store applies `next` as usual and keeps this as
/// the record that replaces `published` (changelog, notice Topic, undo:
/// reverting it restores the times before both). Refused (field
/// `amends`) when a session `next` edits is not where `published` left it.
pub fn amend_change(
    schedule: &Schedule,
    published: &ChangePreview,
    next: &ChangePreview,
) -> Result<ChangePreview, ReplanError> {
    let first: HashMap<&str, &SessionEdit> = published
        .edits
        .iter()
        .map(|e| (e.guid.as_str(), e))
        .collect();
    let mut net: BTreeMap<&str, SessionEdit> = published
        .edits
        .iter()
        .map(|e| (e.guid.as_str(), e.clone()))
        .collect();
    for e in &next.edits {
        match first.get(e.guid.as_str()) {
            Some(p) if p.after != e.before => {
                return Err(ReplanError::NotAmendable {
                    guid: e.guid.clone(),
                });
            }
            Some(p) => {
                let merged = net.get_mut(e.guid.as_str()).expect("from published");
                merged.after = e.after.clone();
                merged.interrupted = p.interrupted.clone().or_else(|| e.interrupted.clone());
            }
            None => {
                net.insert(&e.guid, e.clone());
            }
        }
    }
    let mut edits: Vec<SessionEdit> = net.into_values().filter(|e| e.before != e.after).collect();
    sort_edits(schedule, &mut edits);
    Ok(ChangePreview {
        kind: published.kind,
        base_version: published.base_version,
        edits,
        conflicts: next.conflicts.clone(),
        steps: steps_of(published)
            .into_iter()
            .chain(steps_of(next))
            .collect(),
    })
}

fn steps_of(c: &ChangePreview) -> Vec<ChangeStep> {
    if c.steps.is_empty() {
        vec![ChangeStep {
            kind: c.kind,
            base_version: c.base_version,
            edits: c.edits.clone(),
        }]
    } else {
        c.steps.clone()
    }
}

/// For each speaker of the sessions `change` edits (sorted by key): where
/// their earlier answer leaves them on the new slots, or
/// [`Standing::AskAgain`] when they have none. Speakers whose sessions
/// were all cancelled are left out: they are told, not asked.
pub fn carry_answers(
    schedule: &Schedule,
    tz: Tz,
    change: &ChangePreview,
    answers: &HashMap<String, SpeakerAnswer>,
) -> Vec<(String, Standing)> {
    let mut slots: BTreeMap<&str, Vec<AskedSlot>> = BTreeMap::new();
    for e in &change.edits {
        let Some(s) = schedule.session(&e.guid) else {
            continue;
        };
        for key in &s.speakers {
            slots.entry(key).or_default().push(AskedSlot {
                guid: e.guid.clone(),
                slot: e.after.clone(),
            });
        }
    }
    slots
        .into_iter()
        .filter_map(|(key, new)| {
            let standing = match answers.get(key) {
                Some(a) => standing_for(a, &new, tz)?,
                None if new.iter().all(|n| n.slot.cancelled) => return None,
                None => Standing::AskAgain,
            };
            Some((key.to_owned(), standing))
        })
        .collect()
}

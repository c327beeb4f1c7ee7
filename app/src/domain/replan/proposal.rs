//! Propose, then publish: a change saved as a proposal asks the speakers
//! it moves before attendees see anything; the organiser then publishes it
//! (the answers carry over) or discards it. Publishing carries the
//! schedule version the proposal was made on, so a proposal made stale by
//! another change is refused, and of two publishes at once only the first
//! succeeds (the second finds it no longer open).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::amend::amend_change;
use super::answer::{AskedSlot, Availability, SpeakerAnswer};
use super::apply::apply_change;
use super::change::ChangePreview;
use super::error::ReplanError;
use super::{ChangeOp, ChangeRequest, plan_change};
use crate::domain::schedule::Schedule;
use crate::domain::time::local_date;

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalState {
    /// Speakers are being asked; attendees see nothing.
    Proposed,
    /// Applied as an ordinary change.
    Published,
    /// Dropped; nothing changed.
    Discarded,
}

impl ProposalState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Published => "published",
            Self::Discarded => "discarded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Proposed, Self::Published, Self::Discarded]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// Why a proposal cannot be published or discarded; both are conflicts
/// with what happened since (409), naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposalError {
    #[error("proposal {id} was already {}; nothing changed", state.as_str())]
    NotOpen { id: i64, state: ProposalState },
    #[error(
        "the schedule changed since proposal {id} was made (version {base}, now {current}); \
         propose again"
    )]
    Stale { id: i64, base: i64, current: i64 },
    #[error("proposal {id} was made on version {base}, not {sent}; reload it")]
    WrongVersion { id: i64, base: i64, sent: i64 },
}

impl ProposalError {
    /// `proposal_id` (no longer open) or `version` (stale).
    pub fn field(&self) -> &'static str {
        match self {
            Self::NotOpen { .. } => "proposal_id",
            Self::Stale { .. } | Self::WrongVersion { .. } => "version",
        }
    }
}

/// Whether proposal `id` (in `state`, made on `base`) may be published
/// now that the schedule is at `current`, by a request that previewed it
/// on `sent`. Checked in this order: open, the version sent, the schedule.
pub fn check_publish(
    id: i64,
    state: ProposalState,
    base: i64,
    sent: i64,
    current: i64,
) -> Result<(), ProposalError> {
    if state != ProposalState::Proposed {
        return Err(ProposalError::NotOpen { id, state });
    }
    if sent != base {
        return Err(ProposalError::WrongVersion { id, base, sent });
    }
    if current != base {
        return Err(ProposalError::Stale { id, base, current });
    }
    Ok(())
}

/// Whether proposal `id` may be discarded: only while it is open.
pub fn check_discard(id: i64, state: ProposalState) -> Result<(), ProposalError> {
    match state {
        ProposalState::Proposed => Ok(()),
        state => Err(ProposalError::NotOpen { id, state }),
    }
}

/// A proposal's steps (each a change as asked: 18:00, then 18:15, then
/// one declined talk to the end of the day) planned one after the other
/// from `schedule`, the version it was made on: one change from the times
/// before it (net edits, each step kept in `steps`, the warnings of the
/// final schedule), and the schedule it would make. Refused like the step
/// at fault; empty `ops` is no change (field `op`).
pub fn plan_steps(
    schedule: &Schedule,
    tz: Tz,
    ops: &[ChangeOp],
) -> Result<(ChangePreview, Schedule), ReplanError> {
    let mut current = schedule.clone();
    let mut combined: Option<ChangePreview> = None;
    for op in ops {
        let req = ChangeRequest {
            version: current.version,
            op: op.clone(),
        };
        let step = plan_change(&current, tz, &req)?;
        let next = apply_change(&current, &step)?;
        combined = Some(match combined {
            None => step,
            Some(prev) => amend_change(schedule, &prev, &step)?,
        });
        current = next;
    }
    combined
        .map(|c| (c, current))
        .ok_or(ReplanError::NoChange { field: "op" })
}

/// Who `change` asks, sorted by key, each with the new slots of their
/// talks it edits: the speakers of every edited session that still runs.
/// A speaker whose talks are all cancelled is told, not asked.
pub fn asks_for(schedule: &Schedule, change: &ChangePreview) -> Vec<(String, Vec<AskedSlot>)> {
    let mut by_key: BTreeMap<String, Vec<AskedSlot>> = BTreeMap::new();
    for e in change.edits.iter().filter(|e| !e.after.cancelled) {
        let Some(s) = schedule.session(&e.guid) else {
            continue;
        };
        for key in &s.speakers {
            by_key.entry(key.clone()).or_default().push(AskedSlot {
                guid: e.guid.clone(),
                slot: e.after.clone(),
            });
        }
    }
    by_key.into_iter().collect()
}

/// What the board offers for a declined talk: a move to the start the
/// speaker said they can from, or (a plain "no") to the end of the day in
/// its room; nothing to move to after "not today" (cancel instead).
pub fn replan_offer(
    schedule: &Schedule,
    tz: Tz,
    guid: &str,
    answer: &SpeakerAnswer,
) -> Option<DateTime<Utc>> {
    let talk = schedule.session(guid)?;
    match answer.availability {
        Availability::From(t) => Some(t),
        Availability::NotToday => None,
        Availability::AsAsked => {
            let day = local_date(tz, talk.start);
            schedule
                .sessions
                .iter()
                .filter(|s| s.track == talk.track && !s.cancelled && s.guid != talk.guid)
                .filter(|s| local_date(tz, s.start) == day)
                .map(|s| s.end())
                .max()
                .filter(|end| *end > talk.start)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::replan::fixtures::{at, evening, tz};
    use crate::domain::replan::{
        ChangeKind, MoveRequest, Reply, ShiftBy, ShiftPlan, plan_cancel, plan_move,
    };

    #[test]
    fn only_an_open_proposal_on_the_current_version_publishes() {
        use ProposalState::*;
        assert_eq!(check_publish(1, Proposed, 7, 7, 7), Ok(()));
        let e = check_publish(1, Proposed, 7, 7, 8).unwrap_err();
        assert_eq!(e.field(), "version");
        assert!(e.to_string().contains("version 7, now 8"), "{e}");
        assert_eq!(
            check_publish(1, Proposed, 7, 6, 7).unwrap_err().field(),
            "version"
        );
        // Published already (the other organiser's publish won): refused
        // before the version is even looked at.
        let e = check_publish(1, Published, 7, 7, 8).unwrap_err();
        assert_eq!(e.field(), "proposal_id");
        assert!(e.to_string().contains("already published"), "{e}");
        assert_eq!(
            check_publish(1, Discarded, 7, 7, 7).unwrap_err().field(),
            "proposal_id"
        );
        assert_eq!(check_discard(1, Proposed), Ok(()));
        assert!(check_discard(1, Discarded).is_err());
        assert!(check_discard(1, Published).is_err());
    }

    #[test]
    fn states_round_trip() {
        for s in [
            ProposalState::Proposed,
            ProposalState::Published,
            ProposalState::Discarded,
        ] {
            assert_eq!(ProposalState::parse(s.as_str()), Some(s));
        }
        assert_eq!(ProposalState::parse("applied"), None);
    }

    #[test]
    fn the_speakers_of_moved_talks_are_asked_and_of_cancelled_ones_told() {
        let s = evening();
        let moved = plan_move(
            &s,
            tz(),
            &MoveRequest {
                guid: "b3".into(),
                start: Some(at("21:00")),
                track: None,
                duration_min: None,
                allow_pinned_overlap: true,
            },
        )
        .unwrap();
        let asks = asks_for(&s, &moved);
        assert_eq!(asks.len(), 1);
        assert_eq!(asks[0].0, "dmitri");
        assert_eq!(asks[0].1[0].guid, "b3");
        assert_eq!(asks[0].1[0].slot.start, at("21:00"));
        let cancelled = plan_cancel(&s, tz(), "b3").unwrap();
        assert!(asks_for(&s, &cancelled).is_empty(), "told, not asked");
    }

    #[test]
    fn a_decline_offers_the_stated_time_or_the_end_of_the_day() {
        let s = evening();
        let said = |availability| {
            SpeakerAnswer::new(Reply::Decline, None, availability, vec![], at("17:40")).unwrap()
        };
        assert_eq!(
            replan_offer(&s, tz(), "a2", &said(Availability::From(at("19:30")))),
            Some(at("19:30"))
        );
        // Track 1 ends with the pinned keynote, 19:00–20:00.
        assert_eq!(
            replan_offer(&s, tz(), "a2", &said(Availability::AsAsked)),
            Some(at("20:00"))
        );
        assert_eq!(
            replan_offer(&s, tz(), "a2", &said(Availability::NotToday)),
            None
        );
        assert_eq!(
            replan_offer(&s, tz(), "nope", &said(Availability::AsAsked)),
            None
        );
    }

    fn restart(from: &str, to: &str) -> ChangeOp {
        ChangeOp::Shift(ShiftPlan {
            tracks: crate::domain::shift::TrackSelection::All,
            from: at(from),
            by: ShiftBy::RestartAt(at(to)),
            until: None,
            interrupted: Default::default(),
            pinned: Default::default(),
        })
    }

    #[test]
    fn steps_make_one_change_from_the_times_before_it() {
        let s = evening();
        let first = vec![restart("17:00", "18:00")];
        let (one, after_one) = plan_steps(&s, tz(), &first).unwrap();
        assert!(one.steps.is_empty(), "one step is a plain change");
        assert_eq!(one.edit("a1").unwrap().after.start, at("18:00"));
        // 18:00, then 18:15 on what the first step would make: one change
        // from the original times, both decisions kept as steps.
        let mut ops = first.clone();
        ops.push(restart("17:00", "18:15"));
        let (two, after_two) = plan_steps(&s, tz(), &ops).unwrap();
        assert_eq!(two.base_version, s.version);
        assert_eq!(two.steps.len(), 2);
        let a1 = two.edit("a1").unwrap();
        assert_eq!(a1.before.start, at("16:40"), "from the time before both");
        assert_eq!(a1.after.start, at("18:15"));
        assert_eq!(after_two.version, s.version + 2);
        assert_eq!(
            after_two.session("a1").unwrap().start,
            at("18:15"),
            "the schedule it would make"
        );
        assert_eq!(after_one.session("a1").unwrap().start, at("18:00"));
        // Then the declined talk to the end of the day: a third step.
        ops.push(ChangeOp::Move(MoveRequest {
            guid: "b3".into(),
            start: Some(at("21:00")),
            track: None,
            duration_min: None,
            allow_pinned_overlap: true,
        }));
        let (three, _) = plan_steps(&s, tz(), &ops).unwrap();
        assert_eq!(three.steps.len(), 3);
        assert_eq!(three.steps[2].kind, ChangeKind::Move);
        assert_eq!(three.edit("b3").unwrap().after.start, at("21:00"));
        assert_eq!(three.edit("a1").unwrap().after.start, at("18:15"));
        // A step refused is refused whole; no steps is no change.
        let mut bad = ops.clone();
        bad.push(ChangeOp::Cancel {
            guid: "nope".into(),
        });
        assert_eq!(plan_steps(&s, tz(), &bad).unwrap_err().field(), "guid");
        assert_eq!(plan_steps(&s, tz(), &[]).unwrap_err().field(), "op");
    }
}

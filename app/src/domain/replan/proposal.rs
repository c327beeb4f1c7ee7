//! Propose, then publish: a change saved as a proposal asks the speakers
//! it moves before attendees see anything; the organiser then publishes it
//! (the answers carry over) or discards it. Publishing carries the
//! schedule version the proposal was made on, so a proposal made stale by
//! another change is refused, and of two publishes at once only the first
//! succeeds (the second finds it no longer open).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::answer::AskedSlot;
use super::change::ChangePreview;
use crate::domain::schedule::Schedule;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::replan::fixtures::{at, evening, tz};
    use crate::domain::replan::{MoveRequest, plan_cancel, plan_move};

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
}

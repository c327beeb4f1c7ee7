//! Re-planning a schedule during an incident. Why one model: a shift that
//! takes the interrupted talks along, a one-talk move, a swap, a cancel or
//! restore and each catch-up alternative all end in the same places
//! (preview, conflicts, atomic apply, undo, versions, changelog, `.ics`
//! SEQUENCE, notifications). So each is reduced to per-session edits from
//! an old slot to a new one ([`ChangePreview`]); the store writes,
//! reverts and amends them one way, and conflicts are judged on the
//! schedule they produce, not on how they were asked for. A slot is start,
//! length, track (the room: one stream or hall) and the cancelled flag,
//! so apply and revert are exact inverses and a stale preview is caught
//! per session as well as by its version.
//!
//! What is pinned, what a break is and what may be shortened is decided
//! in [`rules`] only. Pure: no I/O, no clock reads (`now` and the
//! interruption instant are passed in); compiled for wasm and native.
//!
//! For the store: take a [`ChangeRequest`], call [`plan_change`] inside the
//! write transaction (it checks the version and re-plans on the current
//! schedule), write `edits[*].after`, bump the version, keep the
//! [`ChangePreview`] as JSON; [`preview_revert`] and [`amend_change`]
//! work from that JSON.

mod amend;
mod answer;
mod apply;
mod catchup;
mod change;
mod conflicts;
mod edit;
mod error;
mod lane;
mod proposal;
pub mod rules;
mod shift;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub use amend::{AMEND_WINDOW_MIN, amend_change, carry_answers, within_amend_window};
pub use answer::{
    AnswerError, Ask, AskStatus, AskedSlot, Availability, BoardTally, MAX_REASON_CHARS,
    REMINDER_EVERY_MIN, Reply, SpeakerAnswer, Standing, availability_of, standing_for,
};
pub use apply::{apply_change, check_version, preview_revert, revert_change};
pub use catchup::{
    CatchUpAlternative, CatchUpCost, CatchUpGoal, CatchUpPlan, CatchUpRequest, CatchUpRules,
    CatchUpStrategy, Shortened, TrackCost, plan_catch_up,
};
pub use change::{
    ChangeKind, ChangePreview, ChangeStep, EditField, InterruptedMode, Interruption, SessionEdit,
    Slot,
};
pub use conflicts::{Conflict, ConflictKind, ConflictSpeaker};
pub use edit::{MoveRequest, SwapRequest, plan_cancel, plan_move, plan_restore, plan_swap};
pub use error::ReplanError;
pub use proposal::{
    ProposalError, ProposalState, asks_for, check_discard, check_publish, plan_steps, replan_offer,
};
pub use rules::PinnedPolicy;
pub use shift::{ShiftBy, ShiftPlan, plan_shift};

use super::schedule::Schedule;

/// A change as the API, the forms and the CLI send it: what to do, and
/// the schedule version the organiser previewed it on. JSON:
/// `{"version": 7, "op": "shift", "tracks": "all", "from": "…", "by":
/// {"restart_at": "…"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRequest {
    pub version: i64,
    #[serde(flatten)]
    pub op: ChangeOp,
}

/// What to do; JSON tag `op`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ChangeOp {
    Shift(ShiftPlan),
    Move(MoveRequest),
    Swap(SwapRequest),
    Cancel {
        guid: String,
    },
    Restore {
        guid: String,
    },
    /// One alternative of the catch-up planner.
    CatchUp(CatchUpChoice),
}

/// The catch-up alternative an organiser picked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatchUpChoice {
    #[serde(flatten)]
    pub request: CatchUpRequest,
    pub strategy: CatchUpStrategy,
}

/// Plans `req` on `schedule`: refused (naming the field, changing
/// nothing) when the schedule is no longer the version it was previewed
/// on, or when the operation itself is refused.
pub fn plan_change(
    schedule: &Schedule,
    tz: Tz,
    req: &ChangeRequest,
) -> Result<ChangePreview, ReplanError> {
    check_version(req.version, schedule.version)?;
    match &req.op {
        ChangeOp::Shift(p) => plan_shift(schedule, tz, p),
        ChangeOp::Move(m) => plan_move(schedule, tz, m),
        ChangeOp::Swap(s) => plan_swap(schedule, tz, s),
        ChangeOp::Cancel { guid } => plan_cancel(schedule, tz, guid),
        ChangeOp::Restore { guid } => plan_restore(schedule, tz, guid),
        ChangeOp::CatchUp(c) => plan_catch_up(schedule, tz, &c.request)?
            .alternatives
            .into_iter()
            .find(|a| a.strategy == c.strategy)
            .map(|a| a.change)
            .ok_or(ReplanError::NoSuchAlternative {
                strategy: c.strategy.as_str(),
            }),
    }
}

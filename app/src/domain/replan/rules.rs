//! Which sessions a re-plan treats how, in one place so the shift, the
//! one-talk edits and the catch-up planner cannot disagree.
//!
//! - **Pinned** (`Session::pinned`): fixed to its time by the organiser
//!   (keynote, lunch, a fixed-time session). Shifts and the catch-up
//!   planner never move it unless a shift says [`PinnedPolicy::Move`];
//!   other sessions flow around it or the collision is reported or
//!   refused. A one-talk edit may move it: the organiser named it.
//! - **Break** (`SessionKind::Break`): never interrupted (there is nothing
//!   to restart); the catch-up planner may shorten it down to the event's
//!   minimum break, never below its own length. An import may pin all its
//!   breaks ([`pin_breaks`]).
//! - **Idle gap** between two sessions: a break too. It may shrink as far
//!   as the time between two talks keeps the minimum break (or its own
//!   length, if shorter: a changeover stays): all of it next to a break
//!   session of at least the minimum, beside a shorter one only what is
//!   beyond topping that up.
//! - **Q&A buffer**: the last minutes of a talk or keynote, which the
//!   catch-up planner may cut when the event allows it; never of a pinned
//!   or interrupted session, and never more than half the talk.

use serde::{Deserialize, Serialize};

use crate::domain::schedule::{Session, SessionKind};

/// What a shift does with pinned sessions in its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinnedPolicy {
    /// They stay; a session that would overlap one starts after it, and
    /// the sessions behind it follow.
    #[default]
    FlowAround,
    /// They stay; overlaps with them are reported as conflicts.
    Report,
    /// They stay; a shift that would overlap one is refused.
    Refuse,
    /// They move like every other session.
    Move,
}

impl PinnedPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FlowAround => "flow_around",
            Self::Report => "report",
            Self::Refuse => "refuse",
            Self::Move => "move",
        }
    }

    /// Whether a session with this `pinned` flag moves with a shift.
    pub fn moves(self, s: &Session) -> bool {
        self == Self::Move || !s.pinned
    }
}

pub fn is_break(s: &Session) -> bool {
    s.kind == SessionKind::Break
}

/// Whether a session running at an interruption is an interrupted talk
/// (and moves with the shift) rather than something left as it ran.
pub fn is_interruptible(s: &Session) -> bool {
    !is_break(s) && !s.cancelled
}

/// Whether the catch-up planner may cut the end of this session when it
/// is not interrupted.
pub fn has_qa_buffer(s: &Session) -> bool {
    matches!(s.kind, SessionKind::Talk | SessionKind::Keynote) && !s.pinned
}

/// Pins every break, as an import does when asked to keep breaks fixed;
/// returns how many it pinned.
pub fn pin_breaks(sessions: &mut [Session]) -> usize {
    let mut n = 0;
    for s in sessions.iter_mut().filter(|s| is_break(s) && !s.pinned) {
        s.pinned = true;
        n += 1;
    }
    n
}

/// Minutes of an idle gap that may be given up, beside break sessions
/// whose longest is `break_len` minutes (0: between two talks).
pub(super) fn gap_capacity(gap: i64, break_len: i64, min_break: i64) -> i64 {
    (gap - (min_break - break_len).max(0)).max(0)
}

/// Minutes a break session may lose.
pub(super) fn break_capacity(duration: i64, min_break: i64) -> i64 {
    (duration - min_break).max(0)
}

/// Minutes of Q&A that may be cut from a talk of `duration`.
pub(super) fn qa_capacity(duration: i64, qa_cut: i64) -> i64 {
    qa_cut.min(duration / 2).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::replan::fixtures::{at, session};

    #[test]
    fn breaks_keep_the_minimum_and_changeovers_between_talks_stay() {
        assert_eq!(break_capacity(30, 10), 20);
        assert_eq!(break_capacity(5, 10), 0, "never below its own length");
        assert_eq!(gap_capacity(30, 0, 10), 20, "an implicit break");
        assert_eq!(gap_capacity(5, 0, 10), 0, "a changeover stays");
        assert_eq!(gap_capacity(5, 15, 10), 5, "the break session is the break");
        assert_eq!(
            gap_capacity(5, 8, 10),
            3,
            "what tops a short break up stays"
        );
        assert_eq!(qa_capacity(40, 5), 5);
        assert_eq!(qa_capacity(6, 5), 3, "never more than half the talk");
    }

    #[test]
    fn only_unpinned_talks_have_q_and_a_and_breaks_are_never_interrupted() {
        let mut talk = session("t", "track-1", at("17:00"), 40, &[]);
        let mut brk = session("b", "track-1", at("17:40"), 20, &[]);
        brk.kind = SessionKind::Break;
        assert!(has_qa_buffer(&talk) && is_interruptible(&talk));
        assert!(!has_qa_buffer(&brk) && !is_interruptible(&brk));
        talk.pinned = true;
        assert!(!has_qa_buffer(&talk));
        assert!(PinnedPolicy::Move.moves(&talk));
        assert!(!PinnedPolicy::FlowAround.moves(&talk));
        let mut all = vec![talk, brk];
        assert_eq!(pin_breaks(&mut all), 1);
        assert!(all[1].pinned);
        assert_eq!(pin_breaks(&mut all), 0, "already pinned");
    }
}

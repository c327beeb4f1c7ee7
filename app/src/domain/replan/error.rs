//! Why a re-plan was refused. Every error names the request field at
//! fault ([`ReplanError::field`]) so the API, the form and the CLI can
//! point at it; a refused request changes nothing.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::shift::ShiftError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplanError {
    /// The shift rules' own refusals (tracks, window, size of the move).
    #[error(transparent)]
    Shift(#[from] ShiftError),
    #[error(
        "the schedule changed since this was previewed (version {previewed}, now {current}); \
         preview again"
    )]
    Stale { previewed: i64, current: i64 },
    #[error("session {guid} changed or was removed since this was previewed; preview again")]
    SessionChanged { guid: String },
    #[error("there is no session {guid:?}")]
    UnknownSession { field: &'static str, guid: String },
    #[error("unknown track {track:?}")]
    UnknownTrack { track: String },
    #[error("session {guid} is cancelled; restore it first")]
    Cancelled { field: &'static str, guid: String },
    #[error("session {guid} is not cancelled")]
    NotCancelled { guid: String },
    #[error("this changes nothing")]
    NoChange { field: &'static str },
    #[error("a session lasts 1 to 1440 minutes ({minutes} asked)")]
    BadDuration { minutes: i64 },
    #[error("{date} is outside the event's dates ({start} to {end}, give or take a day)")]
    OutsideEvent {
        field: &'static str,
        date: NaiveDate,
        start: NaiveDate,
        end: NaiveDate,
    },
    #[error("session {guid} would overlap pinned session {pinned_guid}")]
    PinnedOverlap {
        field: &'static str,
        guid: String,
        pinned_guid: String,
    },
    #[error("interrupted talks cannot restart before the interruption ({at})")]
    RestartBeforeInterruption {
        field: &'static str,
        at: DateTime<Utc>,
    },
    #[error("choose two different sessions to swap")]
    SameSession,
    #[error("a delay is 1 to 1440 minutes ({minutes} asked)")]
    BadDelay { minutes: i64 },
    #[error("{field} cannot be negative")]
    Negative { field: &'static str },
    #[error("no {strategy} alternative was offered for this delay")]
    NoSuchAlternative { strategy: &'static str },
    #[error(
        "session {guid} changed after the change being amended; only the latest change of a \
         session can be amended"
    )]
    NotAmendable { guid: String },
}

impl ReplanError {
    /// The request field the error is about (`version`, `tracks`, `from`,
    /// `by_minutes`, `restart_at`, `until`, `pinned`, `guid`, `a`, `b`,
    /// `start`, `track`, `duration_min`, `delay_min`, `min_break_min`,
    /// `qa_cut_min`, `goal`, `strategy`, `amends`).
    pub fn field(&self) -> &'static str {
        match self {
            Self::Shift(e) => e.field(),
            Self::Stale { .. } | Self::SessionChanged { .. } => "version",
            Self::UnknownSession { field, .. }
            | Self::Cancelled { field, .. }
            | Self::NoChange { field }
            | Self::OutsideEvent { field, .. }
            | Self::PinnedOverlap { field, .. }
            | Self::RestartBeforeInterruption { field, .. }
            | Self::Negative { field } => field,
            Self::NotCancelled { .. } => "guid",
            Self::UnknownTrack { .. } => "track",
            Self::BadDuration { .. } => "duration_min",
            Self::SameSession => "b",
            Self::BadDelay { .. } => "delay_min",
            Self::NoSuchAlternative { .. } => "strategy",
            Self::NotAmendable { .. } => "amends",
        }
    }
}

//! The change model: every re-plan is a list of per-session edits, each
//! from the slot the session had to the slot it gets. Storing both ends
//! makes apply, revert and amend exact, and lets apply notice a session
//! that changed since the preview (see `apply`).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::conflicts::{self, Conflict, ConflictKind};
use crate::domain::schedule::{Schedule, Session};

/// Where, when, how long and whether a session runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub duration_min: i64,
    /// Track slug: the room (stream or hall) the session runs in.
    pub track: String,
    #[serde(default)]
    pub cancelled: bool,
}

impl Slot {
    /// The slot `s` has now.
    pub fn of(s: &Session) -> Self {
        Self {
            start: s.start,
            duration_min: s.duration_min,
            track: s.track.clone(),
            cancelled: s.cancelled,
        }
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.start + Duration::minutes(self.duration_min)
    }

    /// Whether the two run at the same time (ends are exclusive).
    pub fn overlaps(&self, other: &Slot) -> bool {
        self.start < other.end() && other.start < self.end()
    }

    pub(super) fn write_to(&self, s: &mut Session) {
        s.start = self.start;
        s.duration_min = self.duration_min;
        s.track.clone_from(&self.track);
        s.cancelled = self.cancelled;
    }
}

/// What happens to a talk that was running at the interruption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterruptedMode {
    /// It starts again from the beginning, full length.
    #[default]
    Restart,
    /// It continues with the minutes it had left.
    Resume,
}

impl InterruptedMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Restart => "restart",
            Self::Resume => "resume",
        }
    }
}

/// A talk that was running when the change's interruption happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interruption {
    /// The interruption instant (the shift's `from`), whole minutes.
    pub at: DateTime<Utc>,
    /// Minutes the talk had run by then.
    pub ran_min: i64,
    pub mode: InterruptedMode,
}

/// The part of a session an edit changes, named as the request and the
/// session name it (`start`, `duration_min`, `track`, `cancelled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditField {
    Start,
    #[serde(rename = "duration_min")]
    Duration,
    Track,
    Cancelled,
}

impl EditField {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Duration => "duration_min",
            Self::Track => "track",
            Self::Cancelled => "cancelled",
        }
    }
}

/// One session's edit: from `before` to `after`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEdit {
    pub guid: String,
    pub title: String,
    pub before: Slot,
    pub after: Slot,
    /// Set when the session was running at the interruption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<Interruption>,
}

impl SessionEdit {
    pub fn is_cancel(&self) -> bool {
        !self.before.cancelled && self.after.cancelled
    }

    pub fn is_restore(&self) -> bool {
        self.before.cancelled && !self.after.cancelled
    }

    /// Runs at another time or in another room afterwards.
    pub fn is_move(&self) -> bool {
        !self.after.cancelled
            && (self.before.start != self.after.start || self.before.track != self.after.track)
    }

    /// Minutes later (negative: earlier) it starts.
    pub fn delta_min(&self) -> i64 {
        (self.after.start - self.before.start).num_minutes()
    }

    /// Minutes shorter it gets (negative: longer). An interrupted talk
    /// that resumes is shorter by the minutes it had already run.
    pub fn shortened_min(&self) -> i64 {
        self.before.duration_min - self.after.duration_min
    }

    /// What the edit changes first, in the order cancelled, start, track,
    /// duration: the field a conflict caused by it is about.
    pub fn field(&self) -> EditField {
        if self.before.cancelled != self.after.cancelled {
            EditField::Cancelled
        } else if self.before.start != self.after.start {
            EditField::Start
        } else if self.before.track != self.after.track {
            EditField::Track
        } else {
            EditField::Duration
        }
    }

    pub(super) fn reversed(&self) -> Self {
        Self {
            guid: self.guid.clone(),
            title: self.title.clone(),
            before: self.after.clone(),
            after: self.before.clone(),
            interrupted: None,
        }
    }
}

/// How a change came about. JSON and the store use [`ChangeKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Shift,
    CatchUp,
    Move,
    Swap,
    Cancel,
    Restore,
    Revert,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shift => "shift",
            Self::CatchUp => "catch_up",
            Self::Move => "move",
            Self::Swap => "swap",
            Self::Cancel => "cancel",
            Self::Restore => "restore",
            Self::Revert => "revert",
        }
    }
}

/// One decision inside an amended change (18:00, then 18:15): what it
/// asked for, on which version, with its own edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeStep {
    pub kind: ChangeKind,
    pub base_version: i64,
    pub edits: Vec<SessionEdit>,
}

/// What a change would do, and once applied what it did: the one preview
/// type of every re-plan. Store it with the version it creates; it is
/// enough to revert or amend it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePreview {
    pub kind: ChangeKind,
    /// The schedule version this was previewed on; applying it to any
    /// other version is refused ([`check_version`]).
    pub base_version: i64,
    /// Edits, earliest old start first, then in track order.
    pub edits: Vec<SessionEdit>,
    /// Warnings, in the order of `edits`.
    pub conflicts: Vec<Conflict>,
    /// For an amended change: each decision in order. Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<ChangeStep>,
}

impl ChangePreview {
    pub(super) fn new(
        kind: ChangeKind,
        schedule: &Schedule,
        tz: Tz,
        mut edits: Vec<SessionEdit>,
    ) -> Self {
        sort_edits(schedule, &mut edits);
        let conflicts = conflicts::detect(schedule, tz, &edits);
        Self {
            kind,
            base_version: schedule.version,
            edits,
            conflicts,
            steps: Vec::new(),
        }
    }

    /// Sessions that run at another time or in another room.
    pub fn moved(&self) -> impl Iterator<Item = &SessionEdit> {
        self.edits.iter().filter(|e| e.is_move())
    }

    /// Talks that were running at the interruption.
    pub fn interrupted(&self) -> impl Iterator<Item = &SessionEdit> {
        self.edits.iter().filter(|e| e.interrupted.is_some())
    }

    pub fn cancelled(&self) -> impl Iterator<Item = &SessionEdit> {
        self.edits.iter().filter(|e| e.is_cancel())
    }

    pub fn restored(&self) -> impl Iterator<Item = &SessionEdit> {
        self.edits.iter().filter(|e| e.is_restore())
    }

    /// Sessions made shorter, other than interrupted talks that resume.
    pub fn shortened(&self) -> impl Iterator<Item = &SessionEdit> {
        self.edits
            .iter()
            .filter(|e| e.interrupted.is_none() && !e.after.cancelled && e.shortened_min() > 0)
    }

    pub fn edit(&self, guid: &str) -> Option<&SessionEdit> {
        self.edits.iter().find(|e| e.guid == guid)
    }

    /// Keys of the speakers of every edited session, sorted: who to tell
    /// or ask.
    pub fn speakers(&self, schedule: &Schedule) -> Vec<String> {
        let edited: BTreeSet<&str> = self.edits.iter().map(|e| e.guid.as_str()).collect();
        let keys: BTreeSet<&str> = schedule
            .sessions
            .iter()
            .filter(|s| edited.contains(s.guid.as_str()))
            .flat_map(|s| s.speakers.iter().map(String::as_str))
            .collect();
        keys.into_iter().map(str::to_owned).collect()
    }

    /// Whether a conflict of this kind is reported.
    pub fn has_conflict(&self, kind: ConflictKind) -> bool {
        self.conflicts.iter().any(|c| c.kind == kind)
    }

    /// `4 moved, 1 interrupted, 1 cancelled in track-1, track-2`: one
    /// English line for logs and the changelog's default text, tracks in
    /// the schedule's order.
    pub fn summary(&self, schedule: &Schedule) -> String {
        let mut parts = Vec::new();
        let mut count = |n: usize, what: &str| {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        };
        count(self.moved().count(), "moved");
        count(self.interrupted().count(), "interrupted");
        count(self.shortened().count(), "shortened");
        count(self.cancelled().count(), "cancelled");
        count(self.restored().count(), "restored");
        let tracks: Vec<&str> = schedule
            .tracks
            .iter()
            .map(|t| t.slug.as_str())
            .filter(|t| {
                self.edits
                    .iter()
                    .any(|e| e.before.track == *t || e.after.track == *t)
            })
            .collect();
        if parts.is_empty() {
            return "no change".into();
        }
        format!("{} in {}", parts.join(", "), tracks.join(", "))
    }
}

/// The canonical order of edits: earliest old start first, then by the
/// old track's position, then guid, so previews read the same everywhere.
pub(super) fn sort_edits(schedule: &Schedule, edits: &mut [SessionEdit]) {
    let position: HashMap<&str, i64> = schedule
        .tracks
        .iter()
        .map(|t| (t.slug.as_str(), t.position))
        .collect();
    edits.sort_by(|a, b| {
        let key = |e: &SessionEdit| {
            (
                e.before.start,
                position.get(e.before.track.as_str()).copied(),
            )
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a.before.track.cmp(&b.before.track))
            .then_with(|| a.guid.cmp(&b.guid))
    });
}

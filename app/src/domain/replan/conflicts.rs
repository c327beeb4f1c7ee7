//! What a change would break, judged on the schedule it produces, so every
//! kind of edit is checked the same way. Warnings, not refusals: only a
//! human knows whether a speaker can run between rooms. (A change that
//! asks to refuse a pinned overlap turns that one into an error.)

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::change::{EditField, SessionEdit, Slot};
use crate::domain::schedule::{Schedule, Session};
use crate::domain::time::local_date;

/// What kind of problem. JSON and i18n keys use [`ConflictKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Two sessions in one room (track) at once; `other` is the one met.
    RoomOverlap,
    /// Like a room overlap, but `other` is pinned and stays.
    OverlapsPinned,
    /// A speaker in two sessions at once; `other` is the second one.
    SpeakerClash,
    /// Ends later than it did and than the day's last session did.
    PastDayEnd,
    /// Starts on another local date than it did.
    CrossesMidnight,
    /// The UTC offset at the new start or end differs from the old one,
    /// so wall clocks move by more or less than the instants do.
    CrossesDst,
    /// Revert only: changed again or removed since, so it stays.
    MovedSince,
}

impl ConflictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RoomOverlap => "room_overlap",
            Self::OverlapsPinned => "overlaps_pinned",
            Self::SpeakerClash => "speaker_clash",
            Self::PastDayEnd => "past_day_end",
            Self::CrossesMidnight => "crosses_midnight",
            Self::CrossesDst => "crosses_dst",
            Self::MovedSince => "moved_since",
        }
    }
}

/// The speaker a clash is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictSpeaker {
    pub key: String,
    pub name: String,
}

/// One problem a change would cause, naming the edited session, the
/// other session involved (if any) and the edited field that causes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub kind: ConflictKind,
    /// The edited session.
    pub guid: String,
    /// The other session: the one overlapped or clashed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
    pub field: EditField,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<ConflictSpeaker>,
}

impl Conflict {
    fn about(kind: ConflictKind, edit: &SessionEdit) -> Self {
        Self {
            kind,
            guid: edit.guid.clone(),
            other: None,
            field: edit.field(),
            speaker: None,
        }
    }

    pub(super) fn moved_since(edit: &SessionEdit) -> Self {
        Self::about(ConflictKind::MovedSince, edit)
    }

    /// One English sentence for logs and the CLI (pages translate by
    /// `kind`).
    pub fn message(&self) -> String {
        let g = &self.guid;
        let other = self.other.as_deref().unwrap_or("?");
        match self.kind {
            ConflictKind::RoomOverlap => {
                format!("session {g} would overlap session {other} in the same room")
            }
            ConflictKind::OverlapsPinned => {
                format!("session {g} would overlap pinned session {other}, which stays")
            }
            ConflictKind::SpeakerClash => format!(
                "{} would be in two sessions at once ({g} and {other})",
                self.speaker
                    .as_ref()
                    .map_or("a speaker", |s| s.name.as_str())
            ),
            ConflictKind::PastDayEnd => {
                format!("session {g} would end after the day's last session used to")
            }
            ConflictKind::CrossesMidnight => format!("session {g} would start on another day"),
            ConflictKind::CrossesDst => format!(
                "session {g} would cross a daylight-saving change: its wall-clock time moves \
                 by a different amount"
            ),
            ConflictKind::MovedSince => {
                format!("session {g} was changed or removed since, so it stays where it is")
            }
        }
    }
}

/// The warnings for `edits` applied to `before` (the schedule as it is),
/// in the order of `edits`; each pair of sessions is reported once.
pub(super) fn detect(before: &Schedule, tz: Tz, edits: &[SessionEdit]) -> Vec<Conflict> {
    let edited: HashMap<&str, &Slot> = edits.iter().map(|e| (e.guid.as_str(), &e.after)).collect();
    let after: Vec<(&Session, Slot)> = before
        .sessions
        .iter()
        .map(|s| {
            let slot = edited
                .get(s.guid.as_str())
                .map_or_else(|| Slot::of(s), |x| (*x).clone());
            (s, slot)
        })
        .filter(|(_, slot)| !slot.cancelled)
        .collect();
    // Each local day's latest end before the change.
    let mut day_end: HashMap<NaiveDate, DateTime<Utc>> = HashMap::new();
    for s in before.sessions.iter().filter(|s| !s.cancelled) {
        let end = day_end.entry(local_date(tz, s.start)).or_insert(s.end());
        *end = (*end).max(s.end());
    }

    // Indexes into `after` by room and by speaker, in schedule order, so a
    // change of a thousand sessions is not checked against every session.
    let mut by_track: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_speaker: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (s, slot)) in after.iter().enumerate() {
        by_track.entry(slot.track.as_str()).or_default().push(i);
        for key in &s.speakers {
            by_speaker.entry(key.as_str()).or_default().push(i);
        }
    }
    let sessions: HashMap<&str, &Session> = before
        .sessions
        .iter()
        .map(|s| (s.guid.as_str(), s))
        .collect();

    let mut out = Vec::new();
    let mut pairs = BTreeSet::new();
    let mut clashes = BTreeSet::new();
    for e in edits.iter().filter(|e| !e.after.cancelled) {
        let Some(s) = sessions.get(e.guid.as_str()) else {
            continue;
        };
        let (old, new) = (&e.before, &e.after);
        let day = local_date(tz, old.start);
        if local_date(tz, new.start) != day {
            out.push(Conflict::about(ConflictKind::CrossesMidnight, e));
        }
        if new.end() > old.end() && day_end.get(&day).is_some_and(|end| new.end() > *end) {
            out.push(Conflict::about(ConflictKind::PastDayEnd, e));
        }
        let timing_changed = old.start != new.start || old.duration_min != new.duration_min;
        if timing_changed
            && (offset(tz, new.start) != offset(tz, old.start)
                || offset(tz, new.end()) != offset(tz, old.end()))
        {
            out.push(Conflict::about(ConflictKind::CrossesDst, e));
        }
        let room = by_track
            .get(new.track.as_str())
            .map_or(&[][..], Vec::as_slice);
        for (o, slot) in room.iter().map(|&i| &after[i]) {
            if o.guid == e.guid || !slot.overlaps(new) {
                continue;
            }
            if pairs.insert(ordered(&e.guid, &o.guid)) {
                let kind = if o.pinned && !edited.contains_key(o.guid.as_str()) {
                    ConflictKind::OverlapsPinned
                } else {
                    ConflictKind::RoomOverlap
                };
                out.push(Conflict {
                    other: Some(o.guid.clone()),
                    ..Conflict::about(kind, e)
                });
            }
        }
        for key in &s.speakers {
            let theirs = by_speaker.get(key.as_str()).map_or(&[][..], Vec::as_slice);
            for (o, slot) in theirs.iter().map(|&i| &after[i]) {
                if o.guid == e.guid || !slot.overlaps(new) {
                    continue;
                }
                let (a, b) = ordered(&e.guid, &o.guid);
                if clashes.insert((key.as_str(), a, b)) {
                    let name = before
                        .speaker(key)
                        .map_or_else(|| key.clone(), |sp| sp.name.clone());
                    out.push(Conflict {
                        other: Some(o.guid.clone()),
                        speaker: Some(ConflictSpeaker {
                            key: key.clone(),
                            name,
                        }),
                        ..Conflict::about(ConflictKind::SpeakerClash, e)
                    });
                }
            }
        }
    }
    out
}

fn ordered<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b { (a, b) } else { (b, a) }
}

fn offset(tz: Tz, t: DateTime<Utc>) -> FixedOffset {
    tz.offset_from_utc_datetime(&t.naive_utc()).fix()
}

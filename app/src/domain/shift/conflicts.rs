//! What a shift would break. These are warnings for the organiser to weigh,
//! never reasons to refuse: only a human knows whether a speaker can make it.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::MovedSession;
use crate::domain::schedule::{Schedule, Session};
use crate::domain::time::local_date;

/// One problem a shift would cause. JSON carries a `kind` tag
/// (`speaker_clash`, `past_day_end`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Conflict {
    /// A speaker would be in two sessions at once (`a_guid` is a moved one).
    SpeakerClash {
        speaker_key: String,
        speaker_name: String,
        a_guid: String,
        b_guid: String,
    },
    /// The session would end after the latest end its day had before.
    PastDayEnd { guid: String },
    /// The session would overlap a pinned session of its track that stays.
    OverlapsPinned { guid: String, pinned_guid: String },
    /// The session would start on another local date.
    CrossesMidnight { guid: String },
    /// The UTC offset at the new start or end differs from the old one, so
    /// wall clocks move by more or less than the shift.
    CrossesDst { guid: String },
    /// Revert only: the session was moved again or removed after the shift,
    /// so it is left where it is.
    MovedSince { guid: String },
}

impl Conflict {
    /// One English sentence for the organiser.
    pub fn message(&self) -> String {
        match self {
            Self::SpeakerClash {
                speaker_name,
                a_guid,
                b_guid,
                ..
            } => format!("{speaker_name} would be in two sessions at once ({a_guid} and {b_guid})"),
            Self::PastDayEnd { guid } => {
                format!("session {guid} would end after the day's last session used to")
            }
            Self::OverlapsPinned { guid, pinned_guid } => {
                format!("session {guid} would overlap pinned session {pinned_guid}, which stays")
            }
            Self::CrossesMidnight { guid } => {
                format!("session {guid} would start on another day")
            }
            Self::CrossesDst { guid } => format!(
                "session {guid} would cross a daylight-saving change: \
                 its wall-clock time moves by a different amount"
            ),
            Self::MovedSince { guid } => {
                format!("session {guid} was moved or removed since, so it stays where it is")
            }
        }
    }
}

/// The warnings for `moved`, applied to `before` (the schedule as it is),
/// in the order of `moved`.
pub(super) fn detect(before: &Schedule, tz: Tz, moved: &[MovedSession]) -> Vec<Conflict> {
    let new_start: HashMap<&str, DateTime<Utc>> = moved
        .iter()
        .map(|m| (m.guid.as_str(), m.new_start))
        .collect();
    let interval = |s: &Session| {
        let start = new_start.get(s.guid.as_str()).copied().unwrap_or(s.start);
        (start, start + Duration::minutes(s.duration_min))
    };
    let overlaps = |a: (DateTime<Utc>, DateTime<Utc>), b: (DateTime<Utc>, DateTime<Utc>)| {
        a.0 < b.1 && b.0 < a.1
    };
    // Each local day's latest end before the shift.
    let mut day_end: HashMap<NaiveDate, DateTime<Utc>> = HashMap::new();
    for s in &before.sessions {
        let end = day_end.entry(local_date(tz, s.start)).or_insert(s.end());
        *end = (*end).max(s.end());
    }

    let mut out = Vec::new();
    let mut clashes = BTreeSet::new();
    for m in moved {
        let Some(s) = before.session(&m.guid) else {
            continue;
        };
        let (start, end) = interval(s);
        let day = local_date(tz, m.old_start);
        let guid = || m.guid.clone();
        if local_date(tz, start) != day {
            out.push(Conflict::CrossesMidnight { guid: guid() });
        }
        if day_end.get(&day).is_some_and(|e| end > *e) {
            out.push(Conflict::PastDayEnd { guid: guid() });
        }
        let old_end = m.old_start + Duration::minutes(s.duration_min);
        if offset(tz, start) != offset(tz, m.old_start) || offset(tz, end) != offset(tz, old_end) {
            out.push(Conflict::CrossesDst { guid: guid() });
        }
        for p in &before.sessions {
            if p.pinned
                && p.track == s.track
                && p.guid != s.guid
                && !new_start.contains_key(p.guid.as_str())
                && overlaps((start, end), interval(p))
            {
                out.push(Conflict::OverlapsPinned {
                    guid: guid(),
                    pinned_guid: p.guid.clone(),
                });
            }
        }
        for key in &s.speakers {
            for o in &before.sessions {
                if o.guid == s.guid
                    || !o.speakers.contains(key)
                    || !overlaps((start, end), interval(o))
                {
                    continue;
                }
                // Two moved sessions clashing would otherwise be listed twice.
                let pair = (
                    key.clone(),
                    s.guid.clone().min(o.guid.clone()),
                    s.guid.clone().max(o.guid.clone()),
                );
                if clashes.insert(pair) {
                    out.push(Conflict::SpeakerClash {
                        speaker_key: key.clone(),
                        speaker_name: before
                            .speaker(key)
                            .map_or_else(|| key.clone(), |sp| sp.name.clone()),
                        a_guid: guid(),
                        b_guid: o.guid.clone(),
                    });
                }
            }
        }
    }
    out
}

fn offset(tz: Tz, t: DateTime<Utc>) -> FixedOffset {
    tz.offset_from_utc_datetime(&t.naive_utc()).fix()
}

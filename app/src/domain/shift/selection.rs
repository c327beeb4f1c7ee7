//! Which tracks a shift applies to, and how that reads in JSON.

use std::collections::HashSet;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ShiftError;
use crate::domain::schedule::Schedule;

/// Which tracks a shift applies to. JSON: `"all"` or a list of track slugs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackSelection {
    All,
    Some(Vec<String>),
}

/// The slugs `sel` names, each checked against the schedule.
pub(crate) fn selected_tracks<'a>(
    schedule: &'a Schedule,
    sel: &'a TrackSelection,
) -> Result<HashSet<&'a str>, ShiftError> {
    match sel {
        TrackSelection::All => Ok(schedule.tracks.iter().map(|t| t.slug.as_str()).collect()),
        TrackSelection::Some(v) if v.is_empty() => Err(ShiftError::NoTracks),
        TrackSelection::Some(v) => v
            .iter()
            .map(|slug| match schedule.track(slug) {
                Some(t) => Ok(t.slug.as_str()),
                None => Err(ShiftError::UnknownTrack(slug.clone())),
            })
            .collect(),
    }
}

impl Serialize for TrackSelection {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::All => s.serialize_str("all"),
            Self::Some(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for TrackSelection {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Word(String),
            List(Vec<String>),
        }
        match Repr::deserialize(d)? {
            Repr::Word(w) if w == "all" => Ok(Self::All),
            Repr::Word(w) => Err(D::Error::custom(format!(
                "expected \"all\" or a list of track slugs, got {w:?}"
            ))),
            // `["all"]` is how the push subscription API spells it; accept
            // the same here rather than surprise someone using both.
            Repr::List(v) if v.len() == 1 && v[0] == "all" => Ok(Self::All),
            Repr::List(v) => Ok(Self::Some(v)),
        }
    }
}

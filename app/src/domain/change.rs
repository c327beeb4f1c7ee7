//! What an event's change-log entry is about: the store writes these
//! kinds, the live stream names its events after them, and the islands
//! listen for them. One list, so a new kind cannot leave a page silently
//! not live.

/// The kind of a change-log entry (and of its live-stream event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// An import, shift or revert: the schedule has a new version.
    Schedule,
    /// A component was added, renamed or changed status.
    Component,
    /// An incident or maintenance was opened or updated.
    Incident,
    /// A speaker answered a shift that moved their talk.
    SpeakerAnswer,
}

impl ChangeKind {
    pub const ALL: [Self; 4] = [
        Self::Schedule,
        Self::Component,
        Self::Incident,
        Self::SpeakerAnswer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Component => "component",
            Self::Incident => "incident",
            Self::SpeakerAnswer => "speaker_answer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether a countdown screen shows anything this kind changes
    /// (speakers' answers appear only on organisers' pages).
    pub fn shown_on_screens(self) -> bool {
        self != Self::SpeakerAnswer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_words() {
        for k in ChangeKind::ALL {
            assert_eq!(ChangeKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ChangeKind::parse("resync"), None);
        assert!(!ChangeKind::SpeakerAnswer.shown_on_screens());
        assert!(ChangeKind::Incident.shown_on_screens());
    }
}

//! A re-planning warning as the organiser reads it: translated, and naming
//! sessions by their titles (organisers do not know guids). The shift page
//! and the one-talk change page both list warnings through this.

use rust_i18n::t;

use crate::domain::replan::{Conflict, ConflictKind};
use crate::domain::schedule::Schedule;

/// The warning in `lang`, with each session named by its quoted title (its
/// guid when the session is gone).
pub fn conflict_text(schedule: &Schedule, c: &Conflict, lang: &str) -> String {
    let title = |guid: &str| match schedule.session(guid) {
        Some(s) => format!("“{}”", s.title),
        None => guid.to_owned(),
    };
    let a = title(&c.guid);
    let b = c.other.as_deref().map(title).unwrap_or_default();
    let speaker = c
        .speaker
        .as_ref()
        .map(|s| s.name.clone())
        .unwrap_or_default();
    match c.kind {
        ConflictKind::RoomOverlap => t!("conflict.room_overlap", locale = lang, a = a, b = b),
        ConflictKind::OverlapsPinned => t!("conflict.overlaps_pinned", locale = lang, a = a, b = b),
        ConflictKind::SpeakerClash => {
            t!(
                "conflict.speaker_clash",
                locale = lang,
                speaker = speaker,
                a = a,
                b = b
            )
        }
        ConflictKind::PastDayEnd => t!("conflict.past_day_end", locale = lang, a = a),
        ConflictKind::CrossesMidnight => t!("conflict.crosses_midnight", locale = lang, a = a),
        ConflictKind::CrossesDst => t!("conflict.crosses_dst", locale = lang, a = a),
        ConflictKind::MovedSince => t!("conflict.moved_since", locale = lang, a = a),
    }
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::replan::{ConflictSpeaker, EditField};

    fn schedule() -> Schedule {
        let mut s = crate::domain::replan::fixtures::evening();
        s.sessions[0].title = "Opening".into();
        s
    }

    #[test]
    fn names_sessions_by_title_in_each_language() {
        let s = schedule();
        let (a, b) = (s.sessions[0].guid.clone(), s.sessions[1].guid.clone());
        let c = Conflict {
            kind: ConflictKind::SpeakerClash,
            guid: a.clone(),
            other: Some(b.clone()),
            field: EditField::Start,
            speaker: Some(ConflictSpeaker {
                key: "k".into(),
                name: "Zoë".into(),
            }),
        };
        let mut seen = std::collections::HashSet::new();
        for lang in ["en", "ru", "zh", "fr"] {
            let text = conflict_text(&s, &c, lang);
            assert!(text.contains("“Opening”"), "{lang}: {text}");
            assert!(
                text.contains(&format!("“{}”", s.sessions[1].title)),
                "{lang}: {text}"
            );
            assert!(text.contains("Zoë") && !text.contains(&a), "{lang}: {text}");
            assert!(
                !text.contains("%{"),
                "{lang}: unfilled placeholder in {text}"
            );
            seen.insert(text);
        }
        assert_eq!(seen.len(), 4, "each language has its own sentence");
    }

    #[test]
    fn a_vanished_session_is_named_by_its_guid() {
        let c = Conflict {
            kind: ConflictKind::MovedSince,
            guid: "gone-guid".into(),
            other: None,
            field: EditField::Start,
            speaker: None,
        };
        assert!(conflict_text(&schedule(), &c, "fr").contains("gone-guid"));
    }
}

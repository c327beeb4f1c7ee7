//! The conference schedule: events, tracks, sessions and speakers, and what
//! an attendee needs to know about them at a given instant.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// What kind of slot a session is; breaks are drawn differently and never
/// get "live now" marks for a speaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SessionKind {
    #[default]
    Talk,
    Keynote,
    Break,
    Other,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Talk => "talk",
            Self::Keynote => "keynote",
            Self::Break => "break",
            Self::Other => "other",
        }
    }

    /// Maps the free-text `type` of C3VOC/frab/pretalx files to a kind.
    pub fn from_type_label(label: &str) -> Self {
        let l = label.to_ascii_lowercase();
        if l.contains("keynote") {
            Self::Keynote
        } else if l.contains("break")
            || l.contains("pause")
            || l.contains("lunch")
            || l.contains("coffee")
        {
            Self::Break
        } else if l.is_empty()
            || l.contains("talk")
            || l.contains("lecture")
            || l.contains("vortrag")
            || l.contains("presentation")
        {
            Self::Talk
        } else {
            Self::Other
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "talk" => Some(Self::Talk),
            "keynote" => Some(Self::Keynote),
            "break" => Some(Self::Break),
            "other" => Some(Self::Other),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub slug: String,
    pub name: String,
    /// IANA zone name, e.g. `Europe/Moscow`.
    pub time_zone: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Track {
    pub slug: String,
    pub name: String,
    /// CSS colour, `#rrggbb`.
    pub color: String,
    pub stream_url: Option<String>,
    pub position: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Speaker {
    /// Stable key: the person's guid from the imported file, or a derived one.
    pub key: String,
    pub name: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub guid: String,
    pub title: String,
    /// Markdown; sanitised when rendered.
    pub abstract_md: String,
    pub kind: SessionKind,
    pub start: DateTime<Utc>,
    pub duration_min: i64,
    pub track: String,
    pub language: Option<String>,
    pub pinned: bool,
    /// Speaker keys, in billing order.
    pub speakers: Vec<String>,
    /// Called off but kept, so it can be restored and its slot shown as
    /// free; see `domain::replan`.
    #[serde(default)]
    pub cancelled: bool,
}

impl Session {
    pub fn end(&self) -> DateTime<Utc> {
        self.start + Duration::minutes(self.duration_min)
    }

    /// Running now; a cancelled session never is.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        !self.cancelled && self.start <= now && now < self.end()
    }
}

/// A whole event's schedule as one value: what an import produces, what the
/// store loads and what the read model and exports are built from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub event: Event,
    pub tracks: Vec<Track>,
    pub speakers: Vec<Speaker>,
    pub sessions: Vec<Session>,
    /// Schedule version number; 0 before the first import.
    pub version: i64,
}

impl Schedule {
    pub fn track(&self, slug: &str) -> Option<&Track> {
        self.tracks.iter().find(|t| t.slug == slug)
    }

    pub fn speaker(&self, key: &str) -> Option<&Speaker> {
        self.speakers.iter().find(|s| s.key == key)
    }

    pub fn session(&self, guid: &str) -> Option<&Session> {
        self.sessions.iter().find(|s| s.guid == guid)
    }

    /// Keeps the pins of `stored` on the sessions that are in both: a pin
    /// is an organiser's decision and no import format carries one, so a
    /// re-import from pretalx or frab must not unpin the keynote that the
    /// next shift would then move. An import may still pin (never unpin).
    pub fn keep_pins_of(&mut self, stored: &Schedule) {
        let pinned: std::collections::HashSet<&str> = stored
            .sessions
            .iter()
            .filter(|s| s.pinned)
            .map(|s| s.guid.as_str())
            .collect();
        for s in &mut self.sessions {
            s.pinned |= pinned.contains(s.guid.as_str());
        }
    }

    /// Sessions of one track in start order.
    pub fn track_sessions(&self, track: &str) -> Vec<&Session> {
        let mut v: Vec<&Session> = self.sessions.iter().filter(|s| s.track == track).collect();
        v.sort_by_key(|s| s.start);
        v
    }

    /// The session on after the current one (or the first upcoming one) in a
    /// track, skipping breaks: what an "up next" mark points to.
    pub fn next_in_track(&self, track: &str, now: DateTime<Utc>) -> Option<&Session> {
        self.track_sessions(track)
            .into_iter()
            .find(|s| s.start > now && s.kind != SessionKind::Break && !s.cancelled)
    }

    /// How a session relates to `now`, for the live/next marks.
    pub fn mark(&self, session: &Session, now: DateTime<Utc>) -> SessionMark {
        if session.is_live(now) {
            SessionMark::Live
        } else if session.end() <= now {
            SessionMark::Past
        } else if self.next_in_track(&session.track, now).map(|s| &s.guid) == Some(&session.guid) {
            SessionMark::UpNext
        } else {
            SessionMark::Later
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionMark {
    Past,
    Live,
    UpNext,
    Later,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn session(guid: &str, track: &str, h: u32, m: u32, dur: i64, kind: SessionKind) -> Session {
        Session {
            guid: guid.into(),
            title: guid.into(),
            abstract_md: String::new(),
            kind,
            start: Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap(),
            duration_min: dur,
            track: track.into(),
            language: None,
            pinned: false,
            speakers: vec![],
            cancelled: false,
        }
    }

    fn schedule() -> Schedule {
        Schedule {
            event: Event {
                slug: "conf".into(),
                name: "Conf".into(),
                time_zone: "UTC".into(),
                start_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                end_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            },
            tracks: vec![],
            speakers: vec![],
            sessions: vec![
                session("a", "t1", 14, 0, 30, SessionKind::Talk),
                session("b", "t1", 14, 30, 15, SessionKind::Break),
                session("c", "t1", 14, 45, 30, SessionKind::Talk),
                session("d", "t1", 15, 15, 30, SessionKind::Talk),
            ],
            version: 1,
        }
    }

    #[test]
    fn an_import_keeps_the_organisers_pins_and_may_add_its_own() {
        let mut stored = schedule();
        stored.sessions[0].pinned = true; // "a", pinned by an organiser
        let mut incoming = schedule();
        incoming.sessions.retain(|s| s.guid != "d");
        incoming.sessions[2].pinned = true; // "c", pinned by the import
        incoming.keep_pins_of(&stored);
        let pinned: Vec<&str> = incoming
            .sessions
            .iter()
            .filter(|s| s.pinned)
            .map(|s| s.guid.as_str())
            .collect();
        assert_eq!(pinned, ["a", "c"]);
    }

    #[test]
    fn marks_live_past_and_up_next_skipping_breaks() {
        let s = schedule();
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 14, 10, 0).unwrap();
        let marks: Vec<_> = s.sessions.iter().map(|x| s.mark(x, now)).collect();
        assert_eq!(
            marks,
            vec![
                SessionMark::Live,
                SessionMark::Later,
                SessionMark::UpNext,
                SessionMark::Later
            ]
        );
        let later = Utc.with_ymd_and_hms(2026, 11, 23, 14, 30, 0).unwrap();
        assert_eq!(
            s.mark(&s.sessions[0], later),
            SessionMark::Past,
            "end is exclusive"
        );
        assert_eq!(s.mark(&s.sessions[1], later), SessionMark::Live);
    }

    #[test]
    fn type_labels_map_to_kinds() {
        assert_eq!(
            SessionKind::from_type_label("Keynote"),
            SessionKind::Keynote
        );
        assert_eq!(
            SessionKind::from_type_label("Coffee break"),
            SessionKind::Break
        );
        assert_eq!(SessionKind::from_type_label("Talk"), SessionKind::Talk);
        assert_eq!(SessionKind::from_type_label("Workshop"), SessionKind::Other);
    }
}

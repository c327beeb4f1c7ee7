//! What an import changes: the difference between the stored schedule and an
//! incoming one, keyed by session guid, so that re-importing the same file is
//! a no-op and a changed file updates in place with a readable changelog.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::schedule::{Schedule, Session};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleDiff {
    pub event_changed: bool,
    pub tracks_changed: bool,
    pub speakers_changed: bool,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<SessionChange>,
}

/// One session that exists on both sides but differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionChange {
    pub guid: String,
    pub title: String,
    /// Names of the fields that differ (`start`, `track`, `title`…).
    pub fields: Vec<String>,
    pub old_start: DateTime<Utc>,
    pub new_start: DateTime<Utc>,
}

impl ScheduleDiff {
    pub fn is_empty(&self) -> bool {
        !self.event_changed
            && !self.tracks_changed
            && !self.speakers_changed
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
    }

    /// A one-line English summary for logs and the changelog's default text.
    pub fn summary(&self) -> String {
        let moved = self
            .changed
            .iter()
            .filter(|c| c.fields.iter().any(|f| f == "start"))
            .count();
        format!(
            "{} added, {} removed, {} changed ({} moved)",
            self.added.len(),
            self.removed.len(),
            self.changed.len(),
            moved
        )
    }
}

fn changed_fields(old: &Session, new: &Session) -> Vec<String> {
    let mut f = Vec::new();
    let mut check = |name: &str, differs: bool| {
        if differs {
            f.push(name.to_owned());
        }
    };
    check("title", old.title != new.title);
    check("abstract", old.abstract_md != new.abstract_md);
    check("kind", old.kind != new.kind);
    check("start", old.start != new.start);
    check("duration", old.duration_min != new.duration_min);
    check("track", old.track != new.track);
    check("language", old.language != new.language);
    check("pinned", old.pinned != new.pinned);
    check("speakers", old.speakers != new.speakers);
    f
}

/// Compares two schedules of the same event. Order of tracks, speakers and
/// sessions in the inputs does not matter.
pub fn diff_schedules(old: &Schedule, new: &Schedule) -> ScheduleDiff {
    let olds: BTreeMap<&str, &Session> =
        old.sessions.iter().map(|s| (s.guid.as_str(), s)).collect();
    let news: BTreeMap<&str, &Session> =
        new.sessions.iter().map(|s| (s.guid.as_str(), s)).collect();

    let mut diff = ScheduleDiff {
        event_changed: old.event != new.event,
        tracks_changed: sorted(&old.tracks, |t| t.slug.clone())
            != sorted(&new.tracks, |t| t.slug.clone()),
        speakers_changed: sorted(&old.speakers, |s| s.key.clone())
            != sorted(&new.speakers, |s| s.key.clone()),
        ..ScheduleDiff::default()
    };
    for (guid, n) in &news {
        match olds.get(guid) {
            None => diff.added.push((*guid).to_owned()),
            Some(o) => {
                let fields = changed_fields(o, n);
                if !fields.is_empty() {
                    diff.changed.push(SessionChange {
                        guid: (*guid).to_owned(),
                        title: n.title.clone(),
                        fields,
                        old_start: o.start,
                        new_start: n.start,
                    });
                }
            }
        }
    }
    diff.removed = olds
        .keys()
        .filter(|g| !news.contains_key(*g))
        .map(|g| (*g).to_owned())
        .collect();
    diff
}

fn sorted<T: Clone, K: Ord>(items: &[T], key: impl Fn(&T) -> K) -> Vec<T> {
    let mut v = items.to_vec();
    v.sort_by_key(|x| key(x));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::{Event, SessionKind};
    use chrono::{Duration, NaiveDate, TimeZone};

    fn base() -> Schedule {
        let start = Utc.with_ymd_and_hms(2026, 11, 23, 14, 0, 0).unwrap();
        Schedule {
            event: Event {
                slug: "c".into(),
                name: "C".into(),
                time_zone: "Europe/Moscow".into(),
                start_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                end_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            },
            tracks: vec![],
            speakers: vec![],
            sessions: (0..3)
                .map(|i| Session {
                    guid: format!("g{i}"),
                    title: format!("T{i}"),
                    abstract_md: String::new(),
                    kind: SessionKind::Talk,
                    start: start + Duration::minutes(30 * i),
                    duration_min: 30,
                    track: "t".into(),
                    language: None,
                    pinned: false,
                    speakers: vec![],
                    cancelled: false,
                })
                .collect(),
            version: 1,
        }
    }

    #[test]
    fn identical_schedules_in_any_order_have_an_empty_diff() {
        let a = base();
        let mut b = base();
        b.sessions.reverse();
        let d = diff_schedules(&a, &b);
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn added_removed_and_moved_sessions_are_reported_by_guid() {
        let a = base();
        let mut b = base();
        b.sessions.remove(0);
        b.sessions[0].start += Duration::minutes(15);
        let mut extra = b.sessions[1].clone();
        extra.guid = "new".into();
        b.sessions.push(extra);
        let d = diff_schedules(&a, &b);
        assert_eq!(d.added, vec!["new"]);
        assert_eq!(d.removed, vec!["g0"]);
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.changed[0].guid, "g1");
        assert_eq!(d.changed[0].fields, vec!["start"]);
        assert_eq!(d.summary(), "1 added, 1 removed, 1 changed (1 moved)");
    }
}

//! The public read model: every event's schedule held in memory, rebuilt on
//! each write. Public pages and exports read only from here, so they stay
//! fast under load and keep serving (with the time of the last good state)
//! when the database is unreachable.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::schedule::Schedule;
use crate::domain::time::parse_zone;
use crate::store::{EventData, ScheduleVersion, ShiftRecord, StatusSnapshot};

/// One event as the public sees it.
#[derive(Debug)]
pub struct EventView {
    pub schedule: Schedule,
    /// Components, their history, incidents and maintenance.
    pub status: StatusSnapshot,
    /// Schedule versions (newest first), shifts, iCalendar sequences.
    pub history: ScheduleHistory,
    pub tz: Tz,
    /// The change-log position the view was read at; only grows, so a view
    /// can never be replaced by an older one (see [`ReadModel::put`]).
    pub seq: i64,
    /// When the newest change it includes was written: the "updated" time
    /// pages and documents show, the same on every instance and restart.
    pub changed_at: DateTime<Utc>,
    /// When this view was built from the database (what a page says it
    /// shows while the database is away).
    pub built_at: DateTime<Utc>,
}

impl EventView {
    pub fn new(
        schedule: Schedule,
        status: StatusSnapshot,
        history: ScheduleHistory,
        seq: i64,
        changed_at: DateTime<Utc>,
        built_at: DateTime<Utc>,
    ) -> Self {
        let tz = parse_zone(&schedule.event.time_zone).unwrap_or(chrono_tz::UTC);
        Self {
            schedule,
            status,
            history,
            tz,
            seq,
            changed_at,
            built_at,
        }
    }

    /// The view of what one read transaction loaded.
    pub fn from_data(d: EventData, built_at: DateTime<Utc>) -> Self {
        let history = ScheduleHistory {
            versions: d.versions,
            shifts: d.shifts,
            sequences: d.sequences,
            answers: d.answers,
            answer_details: d.answer_details,
            proposals: d.proposals,
            catch_up_rules: d.catch_up_rules,
            links: d
                .links
                .into_iter()
                .map(|l| (l.speaker_key, l.created_at))
                .collect(),
        };
        Self::new(d.schedule, d.status, history, d.seq, d.changed_at, built_at)
    }
}

/// What changed in the schedule over time, for the changelog, calendars
/// and "was → now" marks.
#[derive(Debug, Clone, Default)]
pub struct ScheduleHistory {
    pub versions: Vec<ScheduleVersion>,
    pub shifts: Vec<ShiftRecord>,
    pub sequences: HashMap<String, i64>,
    /// Speakers' answers to shifts: (shift id, speaker key) → answer.
    pub answers: HashMap<(i64, String), crate::store::Answer>,
    /// Their reasons and "I can from …" / "not today", where given.
    pub answer_details: HashMap<(i64, String), crate::domain::replan::SpeakerAnswer>,
    /// Speakers with a live secret link → when it was issued.
    pub links: HashMap<String, DateTime<Utc>>,
    /// Proposals, newest first: never shown to attendees.
    pub proposals: Vec<crate::store::ProposalRecord>,
    /// The organisers' catch-up rules (how short breaks may become, how
    /// much Q&A may be cut): the planner's defaults for this event.
    pub catch_up_rules: crate::domain::replan::CatchUpRules,
}

impl ScheduleHistory {
    /// Where a session was before the latest shift that moved it and still
    /// holds (not reverted, and the session is still at the shifted time).
    pub fn was(&self, guid: &str, current_start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.shifts
            .iter()
            .filter(|s| {
                s.kind == crate::domain::shift::ShiftKind::Shift
                    && s.reverted_by.is_none()
                    && s.amended_into.is_none()
            })
            .flat_map(|s| s.preview.moved.iter())
            .find(|m| m.guid == guid && m.new_start == current_start)
            .map(|m| m.old_start)
    }
}

#[derive(Debug, Default)]
pub struct ReadModel {
    events: RwLock<HashMap<String, Arc<EventView>>>,
    /// One lock per event, held around each refresh, so refreshes of one
    /// event run one at a time and each reads what the one before wrote.
    refreshing: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl ReadModel {
    pub fn get(&self, slug: &str) -> Option<Arc<EventView>> {
        self.events.read().ok()?.get(slug).cloned()
    }

    /// Adds one event's view, or replaces the one held unless that is
    /// newer (a higher change-log position): a refresh that read before a
    /// write and finishes after the refresh of that write must not win.
    /// Returns whether `view` was kept.
    pub fn put(&self, view: EventView) -> bool {
        let mut m = self.events.write().unwrap_or_else(|e| e.into_inner());
        if m.get(&view.schedule.event.slug)
            .is_some_and(|held| held.seq > view.seq)
        {
            return false;
        }
        m.insert(view.schedule.event.slug.clone(), Arc::new(view));
        true
    }

    /// The lock that serialises refreshes of `slug`.
    pub fn refresh_lock(&self, slug: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut m = self.refreshing.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(slug.to_owned()).or_default().clone()
    }

    /// All events, ordered by start date then slug.
    pub fn all(&self) -> Vec<Arc<EventView>> {
        let mut v: Vec<_> = self
            .events
            .read()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        v.sort_by(|a, b| {
            (a.schedule.event.start_date, &a.schedule.event.slug)
                .cmp(&(b.schedule.event.start_date, &b.schedule.event.slug))
        });
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::Event;

    fn view(seq: i64, version: i64) -> EventView {
        let schedule = Schedule {
            event: Event {
                slug: "ev".into(),
                name: "Ev".into(),
                time_zone: "UTC".into(),
                start_date: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                end_date: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            },
            tracks: vec![],
            speakers: vec![],
            sessions: vec![],
            version,
        };
        let t = DateTime::UNIX_EPOCH;
        EventView::new(
            schedule,
            StatusSnapshot::default(),
            ScheduleHistory::default(),
            seq,
            t,
            t,
        )
    }

    #[test]
    fn an_older_view_never_replaces_a_newer_one() {
        let rm = ReadModel::default();
        assert!(rm.put(view(7, 2)));
        assert!(!rm.put(view(5, 1)), "the older view must be refused");
        assert_eq!(rm.get("ev").unwrap().schedule.version, 2);
        // The same position again (a write the change log does not count,
        // such as a speaker link) replaces it.
        assert!(rm.put(view(7, 3)));
        assert_eq!(rm.get("ev").unwrap().schedule.version, 3);
        assert!(rm.put(view(8, 4)));
        assert_eq!(rm.get("ev").unwrap().seq, 8);
    }

    #[test]
    fn one_refresh_lock_per_event() {
        let rm = ReadModel::default();
        assert!(Arc::ptr_eq(&rm.refresh_lock("a"), &rm.refresh_lock("a")));
        assert!(!Arc::ptr_eq(&rm.refresh_lock("a"), &rm.refresh_lock("b")));
    }
}

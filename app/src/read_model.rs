//! The public read model: every event's schedule held in memory, rebuilt on
//! each write. Public pages and exports read only from here, so they stay
//! fast under load and keep serving (with the time of the last good state)
//! when the database is unreachable.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};

use crate::domain::schedule::Schedule;
use crate::domain::time::parse_zone;
use crate::store::{ScheduleVersion, ShiftRecord, StatusSnapshot};

/// One event as the public sees it.
#[derive(Debug)]
pub struct EventView {
    pub schedule: Schedule,
    /// Components, their history, incidents and maintenance.
    pub status: StatusSnapshot,
    /// Schedule versions (newest first), shifts, iCalendar sequences.
    pub history: ScheduleHistory,
    pub tz: Tz,
    /// When this view was built from the database.
    pub built_at: DateTime<Utc>,
    /// Changes whenever anything in the schedule changes; the basis of ETags.
    pub fingerprint: String,
}

impl EventView {
    pub fn new(
        schedule: Schedule,
        status: StatusSnapshot,
        history: ScheduleHistory,
        built_at: DateTime<Utc>,
    ) -> Self {
        let tz = parse_zone(&schedule.event.time_zone).unwrap_or(chrono_tz::UTC);
        let mut hasher = Sha256::new();
        hasher.update(serde_json::to_vec(&schedule).unwrap_or_default());
        hasher.update(serde_json::to_vec(&status).unwrap_or_default());
        hasher.update(serde_json::to_vec(&history.versions).unwrap_or_default());
        let fingerprint = hex::encode(&hasher.finalize()[..12]);
        Self {
            schedule,
            status,
            history,
            tz,
            built_at,
            fingerprint,
        }
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
    /// Speakers with a live secret link → when it was issued.
    pub links: HashMap<String, DateTime<Utc>>,
}

impl ScheduleHistory {
    /// Where a session was before the latest shift that moved it and still
    /// holds (not reverted, and the session is still at the shifted time).
    pub fn was(&self, guid: &str, current_start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.shifts
            .iter()
            .filter(|s| s.kind == crate::domain::shift::ShiftKind::Shift && s.reverted_by.is_none())
            .flat_map(|s| s.preview.moved.iter())
            .find(|m| m.guid == guid && m.new_start == current_start)
            .map(|m| m.old_start)
    }
}

#[derive(Debug, Default)]
pub struct ReadModel {
    events: RwLock<HashMap<String, Arc<EventView>>>,
}

impl ReadModel {
    pub fn get(&self, slug: &str) -> Option<Arc<EventView>> {
        self.events.read().ok()?.get(slug).cloned()
    }

    /// Replaces (or adds) one event's view.
    pub fn put(&self, view: EventView) {
        if let Ok(mut m) = self.events.write() {
            m.insert(view.schedule.event.slug.clone(), Arc::new(view));
        }
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

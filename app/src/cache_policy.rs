//! How long a public response may be reused, in one place. A page's
//! content depends on the clock as well as on the data: "Live now" appears
//! at a talk's start, "up next" moves at its end, the default day and the
//! uptime bars turn at midnight in the event's zone. So every public
//! response gets a `max-age` that ends no later than the next instant its
//! content could change, and an *epoch* (that instant) that goes into its
//! ETag: a validator from before the boundary never matches after it, and
//! no browser, CDN or proxy keeps "Live now" a second too long.

use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::domain::status::ComponentStatus;
use crate::domain::time::{local_date, local_to_utc_lenient, transitions};
use crate::read_model::EventView;

/// The longest any public response may be reused without asking: a write
/// can change it at any moment, so this bounds how late it is seen.
pub const MAX_AGE_SECS: i64 = 5;
/// How long a cache may serve a stale copy while it revalidates (never
/// past the next boundary).
pub const STALE_SECS: i64 = 30;
/// The internal response header through which a handler hands the epoch
/// to the conditional-GET layer, which removes it before the response
/// leaves the server.
pub const EPOCH_HEADER: &str = "x-marquee-epoch";

/// One response's reuse policy as of `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// The next instant the content may change by the clock alone; `None`
    /// for content that only a write changes.
    pub until: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

impl Freshness {
    /// For anything an event's pages show at `now` (pages, status JSON).
    pub fn for_view(view: &EventView, now: DateTime<Utc>) -> Self {
        Self {
            until: next_change(view, now),
            now,
        }
    }

    /// For documents that do not depend on the clock (exports, calendars,
    /// feeds): only a write changes them.
    pub fn timeless(now: DateTime<Utc>) -> Self {
        Self { until: None, now }
    }

    /// Whole seconds until the boundary, if there is one.
    fn remaining(&self) -> Option<i64> {
        self.until.map(|u| (u - self.now).num_seconds().max(0))
    }

    pub fn max_age(&self) -> i64 {
        self.remaining()
            .map_or(MAX_AGE_SECS, |r| r.min(MAX_AGE_SECS))
    }

    /// The `Cache-Control` value. Stale copies are allowed only while the
    /// boundary is still ahead of their whole lifetime.
    pub fn cache_control(&self) -> String {
        let max_age = self.max_age();
        let stale = self
            .remaining()
            .map_or(STALE_SECS, |r| (r - max_age).clamp(0, STALE_SECS));
        if stale > 0 {
            format!("public, max-age={max_age}, stale-while-revalidate={stale}")
        } else {
            format!("public, max-age={max_age}")
        }
    }

    /// What goes into the ETag beside the bytes: the boundary the content
    /// is valid until (0 when there is none). The same on every instance.
    pub fn epoch(&self) -> i64 {
        self.until.map_or(0, |u| u.timestamp())
    }
}

/// The next instant after `now` at which anything an event's public pages
/// render could change without a write: a session's start or end (live,
/// up-next and past marks), maintenance announced a day ahead, starting
/// and ending, a closed incident leaving the 90-day list, midnight in the
/// event's zone (default day, uptime bars) or a change of its UTC offset
/// before then, and the next minute while the "now" line is drawn (an
/// event day) or an outage's minutes are counted.
pub fn next_change(view: &EventView, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let sessions = view
        .schedule
        .sessions
        .iter()
        .flat_map(|s| [s.start, s.end()]);
    let incidents = view.status.incidents.iter().flat_map(|i| {
        [
            i.scheduled_for.map(|f| f - Duration::hours(24)),
            i.scheduled_for,
            i.scheduled_until,
            i.resolved_at.map(|r| r + Duration::days(90)),
        ]
        .into_iter()
        .flatten()
    });
    let today = local_date(view.tz, now);
    let midnight = local_to_utc_lenient(
        view.tz,
        (today + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default(),
    );
    // A change of UTC offset before midnight (pages print the offset).
    let offset_change = transitions(view.tz, now, midnight).first().map(|t| t.at);
    let event = &view.schedule.event;
    let counting = view.status.components.iter().any(|c| {
        matches!(
            c.status,
            ComponentStatus::MajorOutage
                | ComponentStatus::PartialOutage
                | ComponentStatus::DegradedPerformance
        )
    });
    let minute = ((event.start_date..=event.end_date).contains(&today) || counting)
        .then(|| next_minute(now));
    sessions
        .chain(incidents)
        .chain([midnight])
        .chain(offset_change)
        .chain(minute)
        .filter(|t| *t > now)
        .min()
}

/// The start of the next whole minute after `now`.
pub fn next_minute(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(Duration::minutes(1)).unwrap_or(now) + Duration::minutes(1)
}

/// `now` to the whole minute: what a page draws the "now" line at, so its
/// bytes stay the same within the minute (the browser moves the line).
pub fn minute_of(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(Duration::minutes(1)).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use super::*;
    use crate::domain::schedule::{Event, Schedule, Session, SessionKind};
    use crate::read_model::ScheduleHistory;
    use crate::store::StatusSnapshot;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, s).unwrap()
    }

    /// An event on `day` with one 30-minute talk starting at `talk`.
    fn view(day: NaiveDate, talk: DateTime<Utc>) -> EventView {
        let talk = Session {
            guid: "t1".into(),
            title: "Talk".into(),
            abstract_md: String::new(),
            kind: SessionKind::Talk,
            start: talk,
            duration_min: 30,
            track: "main".into(),
            language: None,
            pinned: false,
            speakers: vec![],
            cancelled: false,
        };
        let schedule = Schedule {
            event: Event {
                slug: "ev".into(),
                name: "Ev".into(),
                time_zone: "UTC".into(),
                start_date: day,
                end_date: day,
            },
            tracks: vec![],
            speakers: vec![],
            sessions: vec![talk],
            version: 1,
        };
        EventView::new(
            schedule,
            StatusSnapshot::default(),
            ScheduleHistory::default(),
            1,
            DateTime::UNIX_EPOCH,
            DateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn before_a_talk_the_policy_ends_at_its_start() {
        // Listed the day before the event (no "now" line), so the talk's
        // start is the next boundary…
        let v = view(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), at(10, 0, 0));
        let f = Freshness::for_view(&v, at(9, 59, 58));
        assert_eq!(f.until, Some(at(10, 0, 0)));
        assert_eq!(f.max_age(), 2);
        assert_eq!(f.cache_control(), "public, max-age=2");
        let after = Freshness::for_view(&v, at(10, 0, 1));
        assert_ne!(
            f.epoch(),
            after.epoch(),
            "the validator changes at the start"
        );
        // …then its end.
        assert_eq!(after.until, Some(at(10, 30, 0)));
        assert_eq!(
            after.cache_control(),
            "public, max-age=5, stale-while-revalidate=30"
        );
    }

    #[test]
    fn on_an_event_day_the_minute_is_a_boundary() {
        let v = view(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(), at(10, 0, 0));
        let f = Freshness::for_view(&v, at(8, 15, 30));
        assert_eq!(f.until, Some(at(8, 16, 0)));
        assert_eq!(
            f.cache_control(),
            "public, max-age=5, stale-while-revalidate=25"
        );
    }

    #[test]
    fn after_everything_only_midnight_is_left() {
        let v = view(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(), at(10, 0, 0));
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let f = Freshness::for_view(&v, now);
        assert_eq!(
            f.until,
            Some(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap())
        );
        assert_eq!(Freshness::timeless(now).epoch(), 0);
        assert_eq!(
            Freshness::timeless(now).cache_control(),
            "public, max-age=5, stale-while-revalidate=30"
        );
    }

    #[test]
    fn a_change_of_offset_is_a_boundary() {
        let mut v = view(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), at(10, 0, 0));
        v.tz = chrono_tz::Europe::Berlin;
        // 2026-03-29 01:00 UTC: Berlin goes from +01:00 to +02:00.
        let now = Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap();
        assert_eq!(
            next_change(&v, now),
            Some(Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap())
        );
    }

    #[test]
    fn minutes_truncate() {
        assert_eq!(minute_of(at(8, 15, 59)), at(8, 15, 0));
        assert_eq!(next_minute(at(8, 15, 0)), at(8, 16, 0));
    }
}

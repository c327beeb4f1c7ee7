//! One day of a schedule laid out on a time grid: which local days exist,
//! where each session sits (column = track, rows = 5-minute slots) and
//! where the hour ticks go. The grid is linear in real time, so on a DST
//! day a repeated hour simply shows its wall-clock labels twice.

use chrono::{DateTime, Duration, DurationRound, NaiveDate, Utc};
use chrono_tz::Tz;

use super::schedule::{Schedule, Session};
use super::time::{format_hhmm, local_date};

pub const SLOT_MINUTES: i64 = 5;

#[derive(Debug, Clone, PartialEq)]
pub struct DayAgenda<'a> {
    pub day: NaiveDate,
    /// First slot's instant (the earliest start, floored to the hour).
    pub start: DateTime<Utc>,
    /// End of the last slot (the latest end, ceiled to the hour).
    pub end: DateTime<Utc>,
    pub slots: i64,
    pub items: Vec<AgendaItem<'a>>,
    /// (slot index, wall-clock label) every 30 minutes.
    pub ticks: Vec<(i64, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgendaItem<'a> {
    pub session: &'a Session,
    /// 0-based track column.
    pub column: usize,
    /// 0-based first slot.
    pub row: i64,
    /// Slots covered (at least 1).
    pub span: i64,
}

/// The local calendar days on which sessions start, in order.
pub fn days(schedule: &Schedule, tz: Tz) -> Vec<NaiveDate> {
    let mut d: Vec<NaiveDate> = schedule
        .sessions
        .iter()
        .map(|s| local_date(tz, s.start))
        .collect();
    d.sort();
    d.dedup();
    d
}

/// The day to show: the requested one if it has sessions, else today (in
/// the event's zone) if it has, else the first day.
pub fn pick_day(
    days: &[NaiveDate],
    requested: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<NaiveDate> {
    requested
        .filter(|d| days.contains(d))
        .or_else(|| days.contains(&today).then_some(today))
        .or_else(|| days.first().copied())
}

pub fn lay_out(schedule: &Schedule, tz: Tz, day: NaiveDate) -> Option<DayAgenda<'_>> {
    let mut sessions: Vec<&Session> = schedule
        .sessions
        .iter()
        .filter(|s| local_date(tz, s.start) == day)
        .collect();
    if sessions.is_empty() {
        return None;
    }
    let col = |s: &Session| {
        schedule
            .tracks
            .iter()
            .position(|t| t.slug == s.track)
            .unwrap_or(0)
    };
    sessions.sort_by_key(|s| (s.start, col(s)));
    let hour = Duration::hours(1);
    let first = sessions.iter().map(|s| s.start).min()?;
    let last = sessions.iter().map(|s| s.end()).max()?;
    let start = first.duration_trunc(hour).ok()?;
    let mut end = last.duration_trunc(hour).ok()?;
    if end < last {
        end += hour;
    }
    let slot = Duration::minutes(SLOT_MINUTES);
    let slots = ((end - start).num_minutes() / SLOT_MINUTES).max(1);
    let items = sessions
        .into_iter()
        .map(|s| AgendaItem {
            session: s,
            column: col(s),
            row: (s.start - start).num_minutes() / SLOT_MINUTES,
            span: ((s.duration_min + SLOT_MINUTES - 1) / SLOT_MINUTES).max(1),
        })
        .collect();
    let ticks = (0..slots)
        .step_by(6)
        .map(|i| (i, format_hhmm(tz, start + slot * i as i32)))
        .collect();
    Some(DayAgenda {
        day,
        start,
        end,
        slots,
        items,
        ticks,
    })
}

impl DayAgenda<'_> {
    /// Where "now" falls, in slots from the top, if it is within the day.
    /// Where "now" falls on the grid, in thousandths of a slot (integers:
    /// formatting a float would pull Rust's float printer into the wasm).
    pub fn now_position(&self, now: DateTime<Utc>) -> Option<i64> {
        (self.start <= now && now < self.end)
            .then(|| (now - self.start).num_milliseconds() / (SLOT_MINUTES * 60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::{Event, SessionKind, Track};
    use crate::domain::time::{local_to_utc, parse_zone};

    fn schedule_on(tz_name: &str, times: &[(&str, &str, i64)]) -> Schedule {
        let tz = parse_zone(tz_name).unwrap();
        let sessions = times
            .iter()
            .enumerate()
            .map(|(i, (track, local, dur))| Session {
                guid: format!("g{i}"),
                title: format!("S{i}"),
                abstract_md: String::new(),
                kind: SessionKind::Talk,
                start: local_to_utc(
                    tz,
                    chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap(),
                )
                .unwrap(),
                duration_min: *dur,
                track: (*track).into(),
                language: None,
                pinned: false,
                speakers: vec![],
                cancelled: false,
            })
            .collect();
        Schedule {
            event: Event {
                slug: "e".into(),
                name: "E".into(),
                time_zone: tz_name.into(),
                start_date: NaiveDate::from_ymd_opt(2026, 10, 24).unwrap(),
                end_date: NaiveDate::from_ymd_opt(2026, 10, 25).unwrap(),
            },
            tracks: ["t1", "t2"]
                .iter()
                .enumerate()
                .map(|(i, s)| Track {
                    slug: (*s).into(),
                    name: (*s).into(),
                    color: "#000000".into(),
                    stream_url: None,
                    position: i as i64,
                })
                .collect(),
            speakers: vec![],
            sessions,
            version: 1,
        }
    }

    #[test]
    fn sessions_get_track_columns_and_slot_rows_from_the_floored_hour() {
        let s = schedule_on(
            "Europe/Moscow",
            &[
                ("t1", "2026-10-24 17:00", 30),
                ("t2", "2026-10-24 17:25", 50),
            ],
        );
        let tz = parse_zone("Europe/Moscow").unwrap();
        let a = lay_out(&s, tz, NaiveDate::from_ymd_opt(2026, 10, 24).unwrap()).unwrap();
        assert_eq!(a.slots, 24, "17:00–19:00");
        assert_eq!(
            (a.items[0].column, a.items[0].row, a.items[0].span),
            (0, 0, 6)
        );
        assert_eq!(
            (a.items[1].column, a.items[1].row, a.items[1].span),
            (1, 5, 10)
        );
        assert_eq!(a.ticks[0], (0, "17:00".to_owned()));
        assert_eq!(a.ticks[1], (6, "17:30".to_owned()));
    }

    #[test]
    fn on_the_autumn_dst_day_the_repeated_hour_gets_its_own_rows() {
        // Berlin, 2026-10-25: 02:00–03:00 happens twice.
        let s = schedule_on(
            "Europe/Berlin",
            &[
                ("t1", "2026-10-25 01:30", 30),
                ("t1", "2026-10-25 03:00", 30),
            ],
        );
        let tz = parse_zone("Europe/Berlin").unwrap();
        let a = lay_out(&s, tz, NaiveDate::from_ymd_opt(2026, 10, 25).unwrap()).unwrap();
        // 01:00 CEST to 04:00 CET is four real hours.
        assert_eq!(a.slots, 48);
        assert_eq!(
            a.items[1].row, 36,
            "03:00 CET is three real hours after 01:00 CEST"
        );
        let labels: Vec<&str> = a.ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "01:00", "01:30", "02:00", "02:30", "02:00", "02:30", "03:00", "03:30"
            ]
        );
    }

    #[test]
    fn pick_day_prefers_request_then_today_then_first() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 11, n).unwrap();
        let days = [d(23), d(24)];
        assert_eq!(pick_day(&days, Some(d(24)), d(23)), Some(d(24)));
        assert_eq!(pick_day(&days, Some(d(30)), d(24)), Some(d(24)));
        assert_eq!(pick_day(&days, None, d(1)), Some(d(23)));
        assert_eq!(pick_day(&[], None, d(1)), None);
    }

    #[test]
    fn now_position_is_thousandths_of_a_slot_inside_the_day_only() {
        let s = schedule_on("UTC", &[("t1", "2026-10-24 10:00", 60)]);
        let a = lay_out(
            &s,
            chrono_tz::UTC,
            NaiveDate::from_ymd_opt(2026, 10, 24).unwrap(),
        )
        .unwrap();
        let at = |h, m| chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 10, 24, h, m, 30).unwrap();
        assert_eq!(a.now_position(at(10, 7)), Some(1500));
        assert_eq!(a.now_position(at(11, 0)), None);
        assert_eq!(a.now_position(at(9, 59)), None);
    }
}

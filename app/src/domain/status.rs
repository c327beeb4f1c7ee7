//! Incident and component status, with Statuspage's vocabulary so its
//! widgets and tools work against our API: five component levels, the
//! incident lifecycle, impact, scheduled maintenance, and the page-wide
//! indicator. Pure: `now` is always passed in.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::time::local_date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    Operational,
    UnderMaintenance,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
}

impl ComponentStatus {
    pub const ALL: [Self; 5] = [
        Self::Operational,
        Self::DegradedPerformance,
        Self::PartialOutage,
        Self::MajorOutage,
        Self::UnderMaintenance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operational => "operational",
            Self::DegradedPerformance => "degraded_performance",
            Self::PartialOutage => "partial_outage",
            Self::MajorOutage => "major_outage",
            Self::UnderMaintenance => "under_maintenance",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// How bad it is, for "worst of" and uptime (maintenance is not an outage).
    pub fn severity(self) -> u8 {
        match self {
            Self::Operational | Self::UnderMaintenance => 0,
            Self::DegradedPerformance => 1,
            Self::PartialOutage => 2,
            Self::MajorOutage => 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
    Postmortem,
    // Scheduled maintenance lifecycle (Statuspage models it as incidents).
    Scheduled,
    InProgress,
    Verifying,
    Completed,
}

impl IncidentStatus {
    pub const ALL: [Self; 9] = [
        Self::Investigating,
        Self::Identified,
        Self::Monitoring,
        Self::Resolved,
        Self::Postmortem,
        Self::Scheduled,
        Self::InProgress,
        Self::Verifying,
        Self::Completed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Investigating => "investigating",
            Self::Identified => "identified",
            Self::Monitoring => "monitoring",
            Self::Resolved => "resolved",
            Self::Postmortem => "postmortem",
            Self::Scheduled => "scheduled",
            Self::InProgress => "in_progress",
            Self::Verifying => "verifying",
            Self::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn is_maintenance(self) -> bool {
        matches!(
            self,
            Self::Scheduled | Self::InProgress | Self::Verifying | Self::Completed
        )
    }

    /// Over: shown under "past incidents", no banner.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Resolved | Self::Postmortem | Self::Completed)
    }

    fn rank(self) -> u8 {
        match self {
            Self::Investigating | Self::Scheduled => 0,
            Self::Identified | Self::InProgress => 1,
            Self::Monitoring | Self::Verifying => 2,
            Self::Resolved | Self::Completed => 3,
            Self::Postmortem => 4,
        }
    }
}

/// Why a status change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("an incident cannot go from {from} to {to}")]
    Backwards {
        from: &'static str,
        to: &'static str,
    },
    #[error(
        "{to} is a maintenance status; incidents use investigating, identified, monitoring, resolved, postmortem"
    )]
    WrongKind { to: &'static str },
    #[error("a postmortem can only follow a resolved incident")]
    PostmortemBeforeResolved,
}

/// Checks an incident update's new status. Forward moves and staying put
/// (a plain update) are allowed; steps may be skipped (straight to
/// resolved); going back is refused, except reopening a resolved incident
/// as investigating or identified, which real incidents need.
pub fn check_transition(from: IncidentStatus, to: IncidentStatus) -> Result<(), LifecycleError> {
    if from.is_maintenance() != to.is_maintenance() {
        return Err(LifecycleError::WrongKind { to: to.as_str() });
    }
    if to == IncidentStatus::Postmortem
        && from != IncidentStatus::Resolved
        && from != IncidentStatus::Postmortem
    {
        return Err(LifecycleError::PostmortemBeforeResolved);
    }
    let reopen = from == IncidentStatus::Resolved
        && matches!(
            to,
            IncidentStatus::Investigating | IncidentStatus::Identified
        );
    if to.rank() < from.rank() && !reopen {
        return Err(LifecycleError::Backwards {
            from: from.as_str(),
            to: to.as_str(),
        });
    }
    Ok(())
}

/// Why a new incident or maintenance was refused, with the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpeningError {
    #[error("must be after scheduled_for")]
    EndsBeforeItStarts,
    #[error("a maintenance needs an end as well as a start")]
    NoEnd,
    #[error("a maintenance needs a start as well as an end")]
    NoStart,
    #[error("a maintenance cannot be in progress before its scheduled start")]
    InProgressTooEarly,
    #[error("a maintenance starts as scheduled or in_progress")]
    NotAMaintenanceStart,
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
}

impl OpeningError {
    /// The input field the refusal is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::EndsBeforeItStarts | Self::NoEnd => "scheduled_until",
            Self::NoStart => "scheduled_for",
            Self::InProgressTooEarly | Self::NotAMaintenanceStart | Self::Lifecycle(_) => "status",
        }
    }
}

/// A maintenance's scheduled start and end.
pub type Window = (DateTime<Utc>, DateTime<Utc>);

/// Checks what a new incident may start as, or (with both ends of a
/// window) a new maintenance; returns the window. A maintenance starts as
/// `scheduled`, or `in_progress` once its start has come; an incident as
/// anything the first step may move to (not postmortem, nor a maintenance
/// status). Times compare to the second, as they are stored.
pub fn check_opening(
    status: IncidentStatus,
    scheduled_for: Option<DateTime<Utc>>,
    scheduled_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Option<Window>, OpeningError> {
    let window = match (scheduled_for, scheduled_until) {
        (Some(from), Some(until)) if until.timestamp() <= from.timestamp() => {
            return Err(OpeningError::EndsBeforeItStarts);
        }
        (Some(from), Some(until)) => Some((from, until)),
        (Some(_), None) => return Err(OpeningError::NoEnd),
        (None, Some(_)) => return Err(OpeningError::NoStart),
        (None, None) => None,
    };
    match window {
        Some((from, _)) => match status {
            IncidentStatus::Scheduled => {}
            IncidentStatus::InProgress if from.timestamp() <= now.timestamp() => {}
            IncidentStatus::InProgress => return Err(OpeningError::InProgressTooEarly),
            _ => return Err(OpeningError::NotAMaintenanceStart),
        },
        None => check_transition(IncidentStatus::Investigating, status)?,
    }
    Ok(window)
}

/// Why a maintenance's window cannot change as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RescheduleError {
    #[error("only a scheduled maintenance has a window to change")]
    NotAMaintenance,
    #[error("a closed maintenance keeps its window")]
    Closed,
    #[error("the maintenance has started; only its end can change")]
    StartedAlready,
    #[error("must be after scheduled_for")]
    EndsBeforeItStarts,
    #[error("must be in the future: the maintenance would end before it is told")]
    EndsInThePast,
}

impl RescheduleError {
    /// The input field the refusal is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::NotAMaintenance | Self::Closed => "status",
            Self::StartedAlready => "scheduled_for",
            Self::EndsBeforeItStarts | Self::EndsInThePast => "scheduled_until",
        }
    }
}

/// The window a maintenance gets when an update moves it (`new_for`,
/// `new_until`; either may be absent and keeps its value): a maintenance
/// that has not started may move both ends; one in progress or verifying
/// can only be extended or cut short (its start is history); a closed one,
/// or an incident that never had a window, cannot change. The end must
/// stay after the start and after `now`, so nobody is told of an end that
/// has already passed (complete it instead). `status` is the status the
/// update leaves the maintenance in.
pub fn check_reschedule(
    status: IncidentStatus,
    old: Option<Window>,
    new_for: Option<DateTime<Utc>>,
    new_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Window, RescheduleError> {
    let (old_for, old_until) = old.ok_or(RescheduleError::NotAMaintenance)?;
    if status.is_closed() {
        return Err(RescheduleError::Closed);
    }
    if !status.is_maintenance() {
        return Err(RescheduleError::NotAMaintenance);
    }
    let started = status != IncidentStatus::Scheduled;
    if started && new_for.is_some_and(|f| f != old_for) {
        return Err(RescheduleError::StartedAlready);
    }
    let (from, until) = (new_for.unwrap_or(old_for), new_until.unwrap_or(old_until));
    if until <= from {
        return Err(RescheduleError::EndsBeforeItStarts);
    }
    if until <= now {
        return Err(RescheduleError::EndsInThePast);
    }
    Ok((from, until))
}

/// The status word a notice (push, e-mail, webhook) and the status page
/// use for a cancelled maintenance. It is stored as `completed` with a
/// `cancelled_at` time: Statuspage's vocabulary, which the v2 JSON keeps,
/// has no such status, and a previous version must still read every row.
pub const CANCELLED: &str = "cancelled";

/// Why a maintenance cannot be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CancelError {
    #[error("only a scheduled maintenance can be cancelled; this is an incident (resolve it)")]
    NotAMaintenance,
    #[error("the maintenance has started; complete it instead")]
    Started,
    #[error("the maintenance was cancelled already")]
    Cancelled,
    #[error("the maintenance is over already")]
    Closed,
}

impl CancelError {
    /// 409 (the maintenance moved on) or 422 (it never was one).
    pub fn is_conflict(self) -> bool {
        self != Self::NotAMaintenance
    }
}

/// Checks that a maintenance may be cancelled: only one that has not
/// started, as Statuspage does (a window under way is completed, early if
/// need be, so its history says what happened). A `scheduled` window whose
/// start has passed counts as started even before the timer moves it.
/// `cancelled` says whether it was cancelled already.
pub fn check_cancel(
    is_maintenance: bool,
    status: IncidentStatus,
    scheduled_for: Option<DateTime<Utc>>,
    cancelled: bool,
    now: DateTime<Utc>,
) -> Result<(), CancelError> {
    if !is_maintenance {
        return Err(CancelError::NotAMaintenance);
    }
    if cancelled {
        return Err(CancelError::Cancelled);
    }
    if status.is_closed() {
        return Err(CancelError::Closed);
    }
    let due = scheduled_for.is_some_and(|f| f.timestamp() <= now.timestamp());
    if status != IncidentStatus::Scheduled || due {
        return Err(CancelError::Started);
    }
    Ok(())
}

/// The longest weekly series of maintenance windows one request makes.
pub const MAX_WEEKLY: usize = 52;

/// `window` and the same wall-clock window in `tz` on each of the next
/// `count - 1` weeks: a window at 22:00–23:00 stays at 22:00 local across
/// a DST change, so its instants move by an hour there. A week whose start
/// or end falls in a DST gap is refused, naming it.
pub fn weekly_windows(tz: Tz, window: Window, count: usize) -> Result<Vec<Window>, String> {
    if count == 0 || count > MAX_WEEKLY {
        return Err(format!("between 1 and {MAX_WEEKLY} weeks"));
    }
    let (from, until) = (from_utc_local(tz, window.0), from_utc_local(tz, window.1));
    (0..count)
        .map(|week| {
            let shift = Duration::weeks(week as i64);
            let at = |local: chrono::NaiveDateTime| {
                super::time::local_to_utc(tz, local + shift)
                    .map_err(|e| format!("week {}: {e}", week + 1))
            };
            Ok((at(from)?, at(until)?))
        })
        .collect()
}

fn from_utc_local(tz: Tz, t: DateTime<Utc>) -> chrono::NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

/// When an incident was last put under monitoring and when it was
/// resolved (or completed), as stored with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamps<T> {
    pub monitoring_at: Option<T>,
    pub resolved_at: Option<T>,
}

impl<T> Default for Stamps<T> {
    fn default() -> Self {
        Self {
            monitoring_at: None,
            resolved_at: None,
        }
    }
}

/// The stamps after an incident moves from `from` (`None`: it is being
/// opened) to `to` at `now`. Entering monitoring (or verifying) stamps it;
/// closing stamps the resolution; a reopened incident is open again, so
/// both are cleared to be stamped anew; a postmortem keeps the
/// resolution's time.
pub fn stamps_after<T: Copy>(
    from: Option<IncidentStatus>,
    to: IncidentStatus,
    now: T,
    before: Stamps<T>,
) -> Stamps<T> {
    let was_closed = from.is_some_and(IncidentStatus::is_closed);
    if was_closed && !to.is_closed() {
        return Stamps::default();
    }
    let entering_monitoring =
        from != Some(to) && matches!(to, IncidentStatus::Monitoring | IncidentStatus::Verifying);
    Stamps {
        monitoring_at: if entering_monitoring {
            Some(now)
        } else {
            before.monitoring_at
        },
        resolved_at: if !was_closed && to.is_closed() {
            Some(now)
        } else {
            before.resolved_at
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    None,
    Minor,
    Major,
    Critical,
    /// Statuspage's indicator for "only maintenance is going on".
    Maintenance,
}

impl Impact {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Minor => "minor",
            Self::Major => "major",
            Self::Critical => "critical",
            Self::Maintenance => "maintenance",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::None,
            Self::Minor,
            Self::Major,
            Self::Critical,
            Self::Maintenance,
        ]
        .into_iter()
        .find(|i| i.as_str() == s)
    }
}

/// The page-wide indicator: the worst of open incidents' impact and of
/// component statuses, as Statuspage computes it.
pub fn overall_indicator(components: &[ComponentStatus], open_impacts: &[Impact]) -> Impact {
    let from_components = match components.iter().map(|c| c.severity()).max().unwrap_or(0) {
        3 => Impact::Critical,
        2 => Impact::Major,
        1 => Impact::Minor,
        _ => Impact::None,
    };
    let from_incidents = open_impacts
        .iter()
        .copied()
        .filter(|i| *i != Impact::Maintenance)
        .max()
        .unwrap_or(Impact::None);
    let worst = from_components.max(from_incidents);
    if worst == Impact::None && components.contains(&ComponentStatus::UnderMaintenance) {
        Impact::Maintenance
    } else {
        worst
    }
}

/// Which tracks an incident reaches, decided from the components it names.
/// The one rule behind who is pushed a notice, which countdown screens
/// turn to "delayed" and what the banner's "Affects:" line says, so the
/// three always agree.
///
/// Serialised as `{"tracks": [...]}` plus `"no_track": true` for
/// [`IncidentReach::NoTrack`]: the push outbox stored `{"tracks": []}` for
/// whole-event incidents before this type existed, and still reads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ReachWire", into = "ReachWire")]
pub enum IncidentReach {
    /// It names no component: the whole event, every track.
    Event,
    /// The tracks whose stream components it names, sorted, each once.
    /// Other components named with them (the website) do not widen it: the
    /// streams say where. (A `Vec`: screens' wasm carries this type, and
    /// has no B-tree code otherwise.)
    Tracks(Vec<String>),
    /// It names only components that are no track's stream (the website,
    /// the ticket shop): no track's programme is affected.
    NoTrack,
}

impl IncidentReach {
    /// From the track of each component an incident names; `None` for a
    /// component that is no track's stream.
    pub fn of<'a>(named: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        let mut any = false;
        let mut tracks = BTreeSet::new();
        for track in named {
            any = true;
            if let Some(t) = track {
                tracks.insert(t.to_owned());
            }
        }
        match (any, tracks.is_empty()) {
            (false, _) => Self::Event,
            (true, false) => Self::Tracks(tracks.into_iter().collect()),
            (true, true) => Self::NoTrack,
        }
    }

    /// Whether the incident concerns `track`.
    pub fn covers(&self, track: &str) -> bool {
        match self {
            Self::Event => true,
            Self::Tracks(t) => t.iter().any(|x| x == track),
            Self::NoTrack => false,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct ReachWire {
    tracks: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    no_track: bool,
}

impl From<ReachWire> for IncidentReach {
    fn from(w: ReachWire) -> Self {
        match (w.tracks.is_empty(), w.no_track) {
            (false, _) => Self::Tracks(w.tracks),
            (true, false) => Self::Event,
            (true, true) => Self::NoTrack,
        }
    }
}

impl From<IncidentReach> for ReachWire {
    fn from(r: IncidentReach) -> Self {
        match r {
            IncidentReach::Event => Self {
                tracks: vec![],
                no_track: false,
            },
            IncidentReach::Tracks(tracks) => Self {
                tracks,
                no_track: false,
            },
            IncidentReach::NoTrack => Self {
                tracks: vec![],
                no_track: true,
            },
        }
    }
}

/// One recorded status of a component from `at` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub at: DateTime<Utc>,
    pub status: ComponentStatus,
}

/// One day of a component's history for the uptime bars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UptimeDay {
    pub date: NaiveDate,
    /// Worst status seen that day (None: no data yet — before the component existed).
    pub worst: Option<ComponentStatus>,
    /// Minutes spent in partial or major outage, and degraded.
    pub major_min: i64,
    pub partial_min: i64,
    pub degraded_min: i64,
}

/// The last `days` local days (oldest first) of a component whose history
/// is `changes` (sorted by time, the first being its creation). Uptime
/// counts major outage fully and partial outage at 30%, like Statuspage.
pub fn uptime_days(
    changes: &[StatusChange],
    tz: Tz,
    now: DateTime<Utc>,
    days: u32,
) -> Vec<UptimeDay> {
    let today = local_date(tz, now);
    let first_day = today - Duration::days(i64::from(days) - 1);
    let mut out: Vec<UptimeDay> = (0..days)
        .map(|i| UptimeDay {
            date: first_day + Duration::days(i64::from(i)),
            worst: None,
            major_min: 0,
            partial_min: 0,
            degraded_min: 0,
        })
        .collect();
    for (i, c) in changes.iter().enumerate() {
        let end = changes.get(i + 1).map(|n| n.at).unwrap_or(now).min(now);
        let mut t = c.at;
        // Walk the interval minute-accurately, day by day.
        while t < end {
            let date = local_date(tz, t);
            let next_midnight = super::time::local_to_utc_lenient(
                tz,
                (date + Duration::days(1))
                    .and_hms_opt(0, 0, 0)
                    .unwrap_or_default(),
            );
            let slice_end = end.min(next_midnight.max(t + Duration::minutes(1)));
            if let Some(day) = out.iter_mut().find(|d| d.date == date) {
                let m = (slice_end - t).num_minutes();
                day.worst = Some(match day.worst {
                    Some(w)
                        if w.severity() >= c.status.severity()
                            && !(w == ComponentStatus::Operational
                                && c.status == ComponentStatus::UnderMaintenance) =>
                    {
                        w
                    }
                    _ => c.status,
                });
                match c.status {
                    ComponentStatus::MajorOutage => day.major_min += m,
                    ComponentStatus::PartialOutage => day.partial_min += m,
                    ComponentStatus::DegradedPerformance => day.degraded_min += m,
                    _ => {}
                }
            }
            t = slice_end;
        }
    }
    out
}

/// Uptime percentage over the days that have data.
pub fn uptime_percent(days: &[UptimeDay]) -> Option<f64> {
    let with_data: Vec<&UptimeDay> = days.iter().filter(|d| d.worst.is_some()).collect();
    if with_data.is_empty() {
        return None;
    }
    let total = with_data.len() as f64 * 1440.0;
    let down: f64 = with_data
        .iter()
        .map(|d| d.major_min as f64 + d.partial_min as f64 * 0.3)
        .sum();
    Some(((total - down) / total * 100.0).clamp(0.0, 100.0))
}

#[cfg(test)]
mod tests {

    mod cancel {
        use super::super::*;
        use IncidentStatus::*;

        fn t(h: u32) -> DateTime<Utc> {
            chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 1, h, 0, 0).unwrap()
        }

        #[test]
        fn only_a_maintenance_that_has_not_started_is_cancelled() {
            assert_eq!(
                check_cancel(true, Scheduled, Some(t(22)), false, t(20)),
                Ok(())
            );
            assert_eq!(
                check_cancel(false, Investigating, None, false, t(20)),
                Err(CancelError::NotAMaintenance)
            );
            for running in [InProgress, Verifying] {
                assert_eq!(
                    check_cancel(true, running, Some(t(18)), false, t(20)),
                    Err(CancelError::Started)
                );
            }
            // Its start has come though the timer has not moved it yet.
            assert_eq!(
                check_cancel(true, Scheduled, Some(t(20)), false, t(20)),
                Err(CancelError::Started)
            );
            assert_eq!(
                check_cancel(true, Completed, Some(t(18)), false, t(20)),
                Err(CancelError::Closed)
            );
            assert_eq!(
                check_cancel(true, Completed, Some(t(22)), true, t(20)),
                Err(CancelError::Cancelled)
            );
            assert!(!CancelError::NotAMaintenance.is_conflict());
            assert!(CancelError::Started.is_conflict());
        }
    }

    mod weekly {
        use super::super::*;

        #[test]
        fn a_weekly_window_keeps_its_wall_clock_time_across_a_dst_change() {
            let tz: Tz = "Europe/Berlin".parse().unwrap();
            // Sunday 18 October 2026, 22:00–23:00 CEST (UTC+2); DST ends on
            // the 25th, so the second week is CET (UTC+1).
            let from = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 10, 18, 20, 0, 0).unwrap();
            let w = weekly_windows(tz, (from, from + Duration::hours(1)), 3).unwrap();
            assert_eq!(w.len(), 3);
            assert_eq!(w[0].0, from);
            assert_eq!(w[1].0, from + Duration::weeks(1) + Duration::hours(1));
            assert_eq!(w[2].1 - w[2].0, Duration::hours(1));
            for (f, _) in &w {
                assert_eq!(f.with_timezone(&tz).format("%H:%M").to_string(), "22:00");
            }
        }

        #[test]
        fn a_week_in_a_dst_gap_and_silly_counts_are_refused() {
            let tz: Tz = "Europe/Berlin".parse().unwrap();
            // 02:30 on 22 March 2026 (CET); a week later the clocks skip it.
            let from = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 3, 22, 1, 30, 0).unwrap();
            let e = weekly_windows(tz, (from, from + Duration::hours(1)), 2).unwrap_err();
            assert!(e.starts_with("week 2:"), "{e}");
            assert!(weekly_windows(tz, (from, from + Duration::hours(1)), 0).is_err());
            assert!(weekly_windows(tz, (from, from + Duration::hours(1)), MAX_WEEKLY + 1).is_err());
        }
    }

    mod reschedule {
        use super::super::*;
        use IncidentStatus::*;

        fn t(h: u32, m: u32) -> DateTime<Utc> {
            chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 5, h, m, 0).unwrap()
        }
        const W: Option<Window> = None;

        fn window() -> Option<Window> {
            Some((t(20, 0), t(22, 0)))
        }

        #[test]
        fn a_scheduled_maintenance_moves_both_ends() {
            assert_eq!(
                check_reschedule(
                    Scheduled,
                    window(),
                    Some(t(21, 0)),
                    Some(t(23, 30)),
                    t(19, 0)
                ),
                Ok((t(21, 0), t(23, 30)))
            );
            // One end alone keeps the other.
            assert_eq!(
                check_reschedule(Scheduled, window(), None, Some(t(22, 30)), t(19, 0)),
                Ok((t(20, 0), t(22, 30)))
            );
        }

        #[test]
        fn a_running_maintenance_is_extended_or_cut_but_keeps_its_start() {
            assert_eq!(
                check_reschedule(InProgress, window(), None, Some(t(23, 0)), t(21, 50)),
                Ok((t(20, 0), t(23, 0)))
            );
            assert_eq!(
                check_reschedule(
                    Verifying,
                    window(),
                    Some(t(20, 0)),
                    Some(t(21, 55)),
                    t(21, 50)
                ),
                Ok((t(20, 0), t(21, 55)))
            );
            assert_eq!(
                check_reschedule(InProgress, window(), Some(t(20, 30)), None, t(21, 0)),
                Err(RescheduleError::StartedAlready)
            );
        }

        #[test]
        fn refusals_name_their_field() {
            let e =
                check_reschedule(Scheduled, window(), Some(t(23, 0)), None, t(19, 0)).unwrap_err();
            assert_eq!(
                (e, e.field()),
                (RescheduleError::EndsBeforeItStarts, "scheduled_until")
            );
            let e = check_reschedule(InProgress, window(), None, Some(t(21, 0)), t(21, 30))
                .unwrap_err();
            assert_eq!(
                (e, e.field()),
                (RescheduleError::EndsInThePast, "scheduled_until")
            );
            let e =
                check_reschedule(Completed, window(), None, Some(t(23, 0)), t(21, 0)).unwrap_err();
            assert_eq!((e, e.field()), (RescheduleError::Closed, "status"));
            let e = check_reschedule(Investigating, W, None, Some(t(23, 0)), t(21, 0)).unwrap_err();
            assert_eq!((e, e.field()), (RescheduleError::NotAMaintenance, "status"));
        }
    }
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn vocabularies_round_trip_through_their_strings() {
        for c in ComponentStatus::ALL {
            assert_eq!(ComponentStatus::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for s in IncidentStatus::ALL {
            assert_eq!(IncidentStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ComponentStatus::parse("broken"), None);
    }

    #[test]
    fn the_lifecycle_moves_forward_and_refuses_going_back() {
        use IncidentStatus::*;
        assert!(check_transition(Investigating, Identified).is_ok());
        assert!(
            check_transition(Investigating, Resolved).is_ok(),
            "skipping is fine"
        );
        assert!(
            check_transition(Monitoring, Monitoring).is_ok(),
            "a plain update"
        );
        assert!(check_transition(Resolved, Postmortem).is_ok());
        assert!(
            check_transition(Resolved, Investigating).is_ok(),
            "reopening"
        );
        assert_eq!(
            check_transition(Monitoring, Investigating),
            Err(LifecycleError::Backwards {
                from: "monitoring",
                to: "investigating"
            })
        );
        assert_eq!(
            check_transition(Identified, Postmortem),
            Err(LifecycleError::PostmortemBeforeResolved)
        );
        assert!(matches!(
            check_transition(Investigating, InProgress),
            Err(LifecycleError::WrongKind { .. })
        ));
        assert!(check_transition(Scheduled, InProgress).is_ok());
        assert!(check_transition(Completed, InProgress).is_err());
    }

    #[test]
    fn a_maintenance_needs_a_whole_window_and_a_maintenance_start() {
        use IncidentStatus::*;
        let at = |h| Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap();
        let now = at(12);
        assert_eq!(check_opening(Investigating, None, None, now), Ok(None));
        assert_eq!(
            check_opening(Scheduled, Some(at(14)), Some(at(15)), now),
            Ok(Some((at(14), at(15))))
        );
        let refused = |s, f, u| check_opening(s, f, u, now).unwrap_err();
        let e = refused(Scheduled, Some(at(15)), Some(at(14)));
        assert_eq!(
            (e.field(), e),
            ("scheduled_until", OpeningError::EndsBeforeItStarts)
        );
        assert_eq!(
            refused(Scheduled, Some(at(14)), None).field(),
            "scheduled_until"
        );
        assert_eq!(
            refused(Scheduled, None, Some(at(14))).field(),
            "scheduled_for"
        );
        assert_eq!(
            refused(InProgress, Some(at(14)), Some(at(15))),
            OpeningError::InProgressTooEarly
        );
        assert!(check_opening(InProgress, Some(at(11)), Some(at(15)), now).is_ok());
        assert_eq!(
            refused(Investigating, Some(at(14)), Some(at(15))),
            OpeningError::NotAMaintenanceStart
        );
        let e = refused(Postmortem, None, None);
        assert_eq!(e.field(), "status");
        assert!(e.to_string().contains("postmortem"), "{e}");
    }

    #[test]
    fn stamps_follow_monitoring_resolution_and_reopening() {
        use IncidentStatus::*;
        let none = Stamps::default();
        let opened = stamps_after(None, Monitoring, 1, none);
        assert_eq!(
            opened,
            Stamps {
                monitoring_at: Some(1),
                resolved_at: None
            }
        );
        let again = stamps_after(Some(Monitoring), Monitoring, 2, opened);
        assert_eq!(again, opened, "a plain update stamps nothing");
        let resolved = stamps_after(Some(Monitoring), Resolved, 3, opened);
        assert_eq!(
            resolved,
            Stamps {
                monitoring_at: Some(1),
                resolved_at: Some(3)
            }
        );
        assert_eq!(
            stamps_after(Some(Resolved), Postmortem, 4, resolved),
            resolved
        );
        assert_eq!(stamps_after(Some(Resolved), Identified, 5, resolved), none);
        let verifying = stamps_after(Some(InProgress), Verifying, 6, none);
        assert_eq!(verifying.monitoring_at, Some(6));
        assert_eq!(stamps_after(None, Resolved, 7, none).resolved_at, Some(7));
    }

    #[test]
    fn the_indicator_is_the_worst_of_components_and_incidents() {
        use ComponentStatus::*;
        assert_eq!(
            overall_indicator(&[Operational, Operational], &[]),
            Impact::None
        );
        assert_eq!(
            overall_indicator(&[Operational, PartialOutage], &[Impact::Minor]),
            Impact::Major
        );
        assert_eq!(
            overall_indicator(&[Operational], &[Impact::Critical]),
            Impact::Critical
        );
        assert_eq!(overall_indicator(&[MajorOutage], &[]), Impact::Critical);
        assert_eq!(
            overall_indicator(&[UnderMaintenance, Operational], &[]),
            Impact::Maintenance
        );
        assert_eq!(
            overall_indicator(&[UnderMaintenance, DegradedPerformance], &[]),
            Impact::Minor
        );
    }

    #[test]
    fn an_incident_reaches_the_tracks_whose_streams_it_names() {
        let website_and_track_2 = IncidentReach::of([None, Some("track-2")]);
        assert_eq!(
            website_and_track_2,
            IncidentReach::Tracks(vec!["track-2".to_owned()])
        );
        assert!(website_and_track_2.covers("track-2"));
        assert!(!website_and_track_2.covers("track-1"));
        let whole_event = IncidentReach::of([]);
        assert_eq!(whole_event, IncidentReach::Event);
        assert!(whole_event.covers("track-1") && whole_event.covers("track-2"));
        let website_only = IncidentReach::of([None]);
        assert_eq!(website_only, IncidentReach::NoTrack);
        assert!(!website_only.covers("track-1"));
    }

    #[test]
    fn reach_reads_what_the_outbox_stored_before_it_existed() {
        let old: IncidentReach = serde_json::from_str(r#"{"tracks": []}"#).unwrap();
        assert_eq!(old, IncidentReach::Event);
        let old: IncidentReach = serde_json::from_str(r#"{"tracks": ["t1"]}"#).unwrap();
        assert_eq!(old, IncidentReach::Tracks(vec!["t1".to_owned()]));
        for r in [
            IncidentReach::Event,
            IncidentReach::NoTrack,
            IncidentReach::of([Some("b"), Some("a")]),
        ] {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<IncidentReach>(&json).unwrap(), r);
        }
    }

    #[test]
    fn uptime_days_split_outages_at_local_midnight() {
        let tz: Tz = "Europe/Moscow".parse().unwrap();
        let at = |d, h, m| Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap();
        // Created operational on the 20th; major outage 20:00–22:00 UTC on
        // the 21st, which is 23:00–01:00 in Moscow: 60 min on each day.
        let changes = [
            StatusChange {
                at: at(20, 0, 0),
                status: ComponentStatus::Operational,
            },
            StatusChange {
                at: at(21, 20, 0),
                status: ComponentStatus::MajorOutage,
            },
            StatusChange {
                at: at(21, 22, 0),
                status: ComponentStatus::Operational,
            },
            StatusChange {
                at: at(23, 10, 0),
                status: ComponentStatus::PartialOutage,
            },
        ];
        let days = uptime_days(&changes, tz, at(23, 12, 0), 5);
        assert_eq!(days.len(), 5);
        assert_eq!(days[0].date, NaiveDate::from_ymd_opt(2026, 11, 19).unwrap());
        assert_eq!(days[0].worst, None, "before the component existed");
        assert_eq!(days[1].worst, Some(ComponentStatus::Operational));
        assert_eq!(
            (days[2].date.to_string(), days[2].major_min),
            ("2026-11-21".into(), 60)
        );
        assert_eq!(
            (days[3].date.to_string(), days[3].major_min),
            ("2026-11-22".into(), 60)
        );
        assert_eq!(days[3].worst, Some(ComponentStatus::MajorOutage));
        assert_eq!(days[4].partial_min, 120);
        assert_eq!(days[4].worst, Some(ComponentStatus::PartialOutage));
        let pct = uptime_percent(&days).unwrap();
        let expected = (4.0 * 1440.0 - 120.0 - 120.0 * 0.3) / (4.0 * 1440.0) * 100.0;
        assert!((pct - expected).abs() < 1e-9, "{pct} vs {expected}");
    }
}

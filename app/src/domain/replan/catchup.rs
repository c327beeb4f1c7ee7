//! The catch-up planner: for a delay, alternatives besides "everything
//! later". The delay is taken out of breaks (down to the event's minimum)
//! and, if allowed, Q&A buffers, earliest first, so the day still ends on
//! time or at most N minutes late; each alternative says what it costs.
//! Per track, the smallest budget that reaches the goal is found by
//! bisection (lateness only falls as the budget grows), so nothing is
//! given up that is not needed. Deterministic: same input, same plan.

#[cfg(test)]
mod tests;

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::change::{ChangeKind, ChangePreview, InterruptedMode};
use super::error::ReplanError;
use super::lane::{Budget, Lane, Placed};
use super::rules::PinnedPolicy;
use super::shift::{ShiftBy, ShiftPlan, edits_from, lanes, minute, plan_shift};
use crate::domain::schedule::{Schedule, Session};
use crate::domain::shift::{MAX_SHIFT_MIN, TrackSelection};
use crate::domain::time::local_date;

/// An event's rules for catching up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatchUpRules {
    /// The shortest a break may become.
    pub min_break_min: i64,
    /// How many minutes at the end of a talk are Q&A that may be cut; 0:
    /// talks are never shortened.
    pub qa_cut_min: i64,
}

impl Default for CatchUpRules {
    fn default() -> Self {
        Self {
            min_break_min: 10,
            qa_cut_min: 5,
        }
    }
}

/// When the day should end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatchUpGoal {
    /// Each track ends no later than it was going to.
    EndOnTime,
    /// Each track ends at most this many minutes later.
    EndLater(i64),
    /// No catching up: the plain shift.
    EverythingLater,
}

impl CatchUpGoal {
    /// Minutes each track may end late; `None`: any.
    fn allowed_min(self) -> Option<i64> {
        match self {
            Self::EndOnTime => Some(0),
            Self::EndLater(n) => Some(n),
            Self::EverythingLater => None,
        }
    }
}

/// "Tracks 1–4 lost 40 minutes at 17:00; end on time."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatchUpRequest {
    pub tracks: TrackSelection,
    /// When the delay began: talks running then are interrupted.
    pub from: DateTime<Utc>,
    /// Minutes lost.
    pub delay_min: i64,
    #[serde(default)]
    pub interrupted: InterruptedMode,
    pub goal: CatchUpGoal,
    #[serde(default)]
    pub rules: CatchUpRules,
}

/// How an alternative catches up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatchUpStrategy {
    /// Nothing is given up: the plain shift.
    EverythingLater,
    /// Breaks get shorter.
    ShortenBreaks,
    /// Breaks get shorter, then Q&A is cut.
    ShortenBreaksAndQa,
}

impl CatchUpStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EverythingLater => "everything_later",
            Self::ShortenBreaks => "shorten_breaks",
            Self::ShortenBreaksAndQa => "shorten_breaks_and_qa",
        }
    }
}

/// What an alternative costs one track.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackCost {
    pub track: String,
    /// The end of the track's day (its last session that local day).
    pub old_end: DateTime<Utc>,
    pub new_end: DateTime<Utc>,
    /// Break minutes given up.
    pub break_min_lost: i64,
    /// Talk minutes cut.
    pub talk_min_cut: i64,
}

impl TrackCost {
    /// Minutes the day ends later (negative: earlier).
    pub fn late_by_min(&self) -> i64 {
        (self.new_end - self.old_end).num_minutes()
    }
}

/// A talk an alternative shortens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortened {
    pub guid: String,
    pub title: String,
    pub track: String,
    pub minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatchUpCost {
    /// Per affected track, in the schedule's order.
    pub tracks: Vec<TrackCost>,
    pub shortened: Vec<Shortened>,
    /// Keys of the speakers whose sessions move or get shorter, sorted.
    pub speakers: Vec<String>,
}

/// One way to handle the delay; applies like a shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatchUpAlternative {
    pub strategy: CatchUpStrategy,
    /// Every track ends within the goal.
    pub reaches_goal: bool,
    /// Minutes the latest track still ends past the goal (0 when reached).
    pub shortfall_min: i64,
    pub cost: CatchUpCost,
    pub change: ChangePreview,
}

/// The alternatives for a delay: always "everything later" first, then
/// (for a goal other than everything later) shortening breaks, then
/// breaks and Q&A when breaks alone miss the goal and the rules allow
/// cutting. An alternative that would do the same as an earlier one is
/// left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatchUpPlan {
    pub goal: CatchUpGoal,
    pub alternatives: Vec<CatchUpAlternative>,
}

impl CatchUpPlan {
    pub fn alternative(&self, strategy: CatchUpStrategy) -> Option<&CatchUpAlternative> {
        self.alternatives.iter().find(|a| a.strategy == strategy)
    }
}

/// Plans the alternatives for a delay; refused (naming the field) for a
/// delay outside 1..=1440 minutes, negative rules or goal, and what a
/// shift of the same delay refuses.
pub fn plan_catch_up(
    schedule: &Schedule,
    tz: Tz,
    req: &CatchUpRequest,
) -> Result<CatchUpPlan, ReplanError> {
    if !(1..=MAX_SHIFT_MIN).contains(&req.delay_min) {
        return Err(ReplanError::BadDelay {
            minutes: req.delay_min,
        });
    }
    for (field, v) in [
        ("min_break_min", req.rules.min_break_min),
        ("qa_cut_min", req.rules.qa_cut_min),
        ("goal", req.goal.allowed_min().unwrap_or(0)),
    ] {
        if v < 0 {
            return Err(ReplanError::Negative { field });
        }
    }
    let shift = ShiftPlan {
        tracks: req.tracks.clone(),
        from: req.from,
        by: ShiftBy::ByMinutes(req.delay_min),
        until: None,
        interrupted: req.interrupted,
        pinned: PinnedPolicy::FlowAround,
    };
    let lanes = lanes(schedule, tz, &shift)?;
    let (day, from) = (local_date(tz, req.from), minute(req.from));
    let ends = lanes
        .iter()
        .map(|l| DayEnds::of(schedule, tz, l, day, from))
        .collect();
    let planner = Planner {
        schedule,
        tz,
        shift: &shift,
        lanes,
        ends,
        allowed: req.goal.allowed_min(),
        rules: req.rules,
    };

    let later = plan_shift(schedule, tz, &shift)?;
    let everything_later: Vec<Vec<Placed>> = planner
        .lanes
        .iter()
        .map(|l| l.place(l.first_delay_min(), Budget::default()))
        .collect();
    let mut alternatives =
        vec![planner.alternative(CatchUpStrategy::EverythingLater, &everything_later, later)];
    if let Some(allowed) = planner.allowed {
        let breaks = planner.search(allowed, false);
        let breaks_alt = planner.alternative_of(CatchUpStrategy::ShortenBreaks, &breaks);
        let missed = !breaks_alt.reaches_goal;
        alternatives.push(breaks_alt);
        if missed && req.rules.qa_cut_min > 0 {
            let qa = planner.search(allowed, true);
            alternatives.push(planner.alternative_of(CatchUpStrategy::ShortenBreaksAndQa, &qa));
        }
    }
    let mut unique: Vec<CatchUpAlternative> = Vec::new();
    for a in alternatives {
        if !unique.iter().any(|u| u.change.edits == a.change.edits) {
            unique.push(a);
        }
    }
    Ok(CatchUpPlan {
        goal: req.goal,
        alternatives: unique,
    })
}

struct Planner<'a> {
    schedule: &'a Schedule,
    tz: Tz,
    shift: &'a ShiftPlan,
    lanes: Vec<Lane<'a>>,
    /// Per lane.
    ends: Vec<DayEnds>,
    allowed: Option<i64>,
    rules: CatchUpRules,
}

/// More than any lane can give up: a day's minutes, twice.
const UNLIMITED: i64 = 2 * 24 * 60;

impl Planner<'_> {
    fn budget(&self, breaks: i64, qa: i64) -> Budget {
        Budget {
            breaks,
            qa,
            min_break: self.rules.min_break_min,
            qa_cut: self.rules.qa_cut_min,
        }
    }

    /// Per lane, the layout with the least given up that ends within
    /// `allowed` minutes of the track's old end: the least break budget,
    /// or with `qa`, all breaks and the least Q&A budget. When even all
    /// of it misses, all of it.
    fn search(&self, allowed: i64, qa: bool) -> Vec<Vec<Placed>> {
        self.lanes
            .iter()
            .zip(&self.ends)
            .map(|(lane, ends)| {
                let layout = |budget: i64| {
                    let b = if qa {
                        self.budget(UNLIMITED, budget)
                    } else {
                        self.budget(budget, 0)
                    };
                    lane.place(0, b)
                };
                let fits = |p: &[Placed]| (ends.after(p) - ends.old).num_minutes() <= allowed;
                let (mut lo, mut hi) = (0, UNLIMITED);
                if !fits(&layout(hi)) {
                    return layout(hi);
                }
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if fits(&layout(mid)) {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                layout(lo)
            })
            .collect()
    }

    fn alternative_of(
        &self,
        strategy: CatchUpStrategy,
        placed: &[Vec<Placed>],
    ) -> CatchUpAlternative {
        let edits = edits_from(&self.lanes, placed, self.shift);
        let change = ChangePreview::new(ChangeKind::CatchUp, self.schedule, self.tz, edits);
        self.alternative(strategy, placed, change)
    }

    fn alternative(
        &self,
        strategy: CatchUpStrategy,
        placed: &[Vec<Placed>],
        change: ChangePreview,
    ) -> CatchUpAlternative {
        let mut tracks = Vec::new();
        let mut shortened = Vec::new();
        for ((lane, ends), places) in self.lanes.iter().zip(&self.ends).zip(placed) {
            tracks.push(TrackCost {
                track: lane.track.to_owned(),
                old_end: ends.old,
                new_end: ends.after(places),
                break_min_lost: places.iter().map(|p| p.break_taken).sum(),
                talk_min_cut: places.iter().map(|p| p.qa_cut).sum(),
            });
            for p in places.iter().filter(|p| p.qa_cut > 0) {
                let s = lane.items[p.index].session;
                shortened.push(Shortened {
                    guid: s.guid.clone(),
                    title: s.title.clone(),
                    track: s.track.clone(),
                    minutes: p.qa_cut,
                });
            }
        }
        let speakers = change.speakers(self.schedule);
        let shortfall_min = match self.allowed {
            Some(allowed) => tracks
                .iter()
                .map(|t| t.late_by_min() - allowed)
                .max()
                .unwrap_or(0)
                .max(0),
            None => 0,
        };
        CatchUpAlternative {
            strategy,
            reaches_goal: shortfall_min == 0,
            shortfall_min,
            cost: CatchUpCost {
                tracks,
                shortened,
                speakers,
            },
            change,
        }
    }
}

/// The end of a lane's track's day: its last session that starts on the
/// local day of the delay or runs when the delay begins (a talk
/// interrupted just after midnight belongs to that evening).
struct DayEnds {
    old: DateTime<Utc>,
    /// The same for the sessions of that day the lane does not move.
    staying: Option<DateTime<Utc>>,
}

impl DayEnds {
    fn of(schedule: &Schedule, tz: Tz, lane: &Lane, day: NaiveDate, from: DateTime<Utc>) -> Self {
        let moving: HashSet<&str> = lane
            .items
            .iter()
            .filter(|i| !i.stays)
            .map(|i| i.session.guid.as_str())
            .collect();
        let of_day: Vec<&Session> = schedule
            .sessions
            .iter()
            .filter(|s| s.track == lane.track && !s.cancelled)
            .filter(|s| local_date(tz, s.start) == day || s.is_live(from))
            .collect();
        Self {
            old: of_day
                .iter()
                .map(|s| s.end())
                .max()
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            staying: of_day
                .iter()
                .filter(|s| !moving.contains(s.guid.as_str()))
                .map(|s| s.end())
                .max(),
        }
    }

    /// The end once the lane's moving sessions are `placed` (all of them).
    fn after(&self, placed: &[Placed]) -> DateTime<Utc> {
        placed
            .iter()
            .map(|p| p.start + Duration::minutes(p.duration_min))
            .chain(self.staying)
            .max()
            .unwrap_or(self.old)
    }
}

//! Laying out one track's moving sessions after a delay. Each keeps its
//! order and the changeover before it, never starts before its floor, and
//! (when asked) flows around pinned sessions that stay and gives up break
//! time or Q&A to catch up. The shift and the catch-up planner share it,
//! so "everything later" and "absorb" differ only in floor and budget.

use chrono::{DateTime, Duration, Utc};

use super::rules::{break_capacity, gap_capacity, has_qa_buffer, is_break, qa_capacity};
use crate::domain::schedule::Session;

/// One session of the lane, in start order.
#[derive(Debug, Clone)]
pub(super) struct LaneItem<'a> {
    pub session: &'a Session,
    /// Stays where it is (pinned, and the policy keeps pinned sessions).
    pub stays: bool,
    /// Was running at the interruption.
    pub interrupted: bool,
    /// Its length once moved: its own, or what is left of it when an
    /// interrupted talk resumes.
    pub duration_min: i64,
}

/// The sessions of one track a shift or catch-up moves.
#[derive(Debug, Clone)]
pub(super) struct Lane<'a> {
    pub track: &'a str,
    /// Moving and staying sessions of the window, in start order.
    pub items: Vec<LaneItem<'a>>,
    /// Pinned sessions of the track that stay (at any time), when moving
    /// sessions flow around them; empty when overlaps are only reported.
    pub walls: Vec<&'a Session>,
    /// Where the first moving session starts.
    pub first_start: DateTime<Utc>,
}

/// How many minutes of breaks and of Q&A the layout may give up, and the
/// event's rules for them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Budget {
    pub breaks: i64,
    pub qa: i64,
    pub min_break: i64,
    pub qa_cut: i64,
}

/// Where one moving item of the lane ends up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Placed {
    /// Index into [`Lane::items`].
    pub index: usize,
    pub start: DateTime<Utc>,
    pub duration_min: i64,
    /// Break minutes given up before and inside it.
    pub break_taken: i64,
    /// Q&A minutes cut from it.
    pub qa_cut: i64,
}

impl Lane<'_> {
    /// How much later the first moving session ends than it used to: the
    /// shift's delay for the sessions behind it.
    pub fn first_delay_min(&self) -> i64 {
        self.items.iter().find(|i| !i.stays).map_or(0, |i| {
            let new_end = self.first_start + Duration::minutes(i.duration_min);
            (new_end - i.session.end()).num_minutes()
        })
    }

    /// Lays out the moving items. Each later one starts at the latest of
    /// its old start plus `floor_min`, and the previous one's new end plus
    /// the changeover it had (less break time given up); then, if it
    /// would overlap a wall, after that wall. Lateness is taken out of
    /// breaks and Q&A as it arrives, earliest first, within `budget`.
    pub fn place(&self, floor_min: i64, budget: Budget) -> Vec<Placed> {
        let mut left = budget;
        let mut out = Vec::new();
        let mut cursor: Option<DateTime<Utc>> = None;
        // The earlier item that ended last: changeovers are measured from it.
        let mut prev: Option<&Session> = None;
        for (index, item) in self.items.iter().enumerate() {
            let s = item.session;
            if item.stays {
                prev = latest(prev, s);
                continue;
            }
            let floor = s.start + Duration::minutes(floor_min);
            let (mut start, gap, mut gap_taken) = match (cursor, prev) {
                (Some(c), Some(p)) => {
                    let gap = (s.start - p.end()).num_minutes().max(0);
                    let late = (c + Duration::minutes(gap) - floor).num_minutes();
                    let beside = [p, s]
                        .iter()
                        .filter(|x| is_break(x))
                        .map(|x| x.duration_min)
                        .max()
                        .unwrap_or(0);
                    let cap = gap_capacity(gap, beside, budget.min_break);
                    let take = late.min(cap).min(left.breaks).max(0);
                    (floor.max(c + Duration::minutes(gap - take)), gap, take)
                }
                (Some(c), None) => (floor.max(c), 0, 0),
                (None, _) => (self.first_start, 0, 0),
            };
            let (shrink, cut) = loop {
                let late = (start - floor).num_minutes().max(0);
                let shrink = if is_break(s) {
                    late.min(break_capacity(item.duration_min, budget.min_break))
                        .min(left.breaks - gap_taken)
                        .max(0)
                } else {
                    0
                };
                let cut = if !item.interrupted && has_qa_buffer(s) {
                    late.min(qa_capacity(item.duration_min, budget.qa_cut))
                        .min(left.qa)
                        .max(0)
                } else {
                    0
                };
                let end = start + Duration::minutes(item.duration_min - shrink - cut);
                let wall_end = self
                    .walls
                    .iter()
                    .filter(|w| w.start < end && start < w.end())
                    .map(|w| w.end())
                    .max();
                match wall_end {
                    // A wall's end is after `start`, so this terminates.
                    Some(e) => start = e,
                    None => break (shrink, cut),
                }
            };
            if let Some(c) = cursor {
                // Pushed past a wall, the gap given up did not help.
                gap_taken = gap_taken.min((gap - (start - c).num_minutes()).max(0));
            }
            left.breaks -= gap_taken + shrink;
            left.qa -= cut;
            let duration_min = item.duration_min - shrink - cut;
            cursor = Some(start + Duration::minutes(duration_min));
            prev = latest(prev, s);
            out.push(Placed {
                index,
                start,
                duration_min,
                break_taken: gap_taken + shrink,
                qa_cut: cut,
            });
        }
        out
    }
}

fn latest<'a>(prev: Option<&'a Session>, s: &'a Session) -> Option<&'a Session> {
    match prev {
        Some(p) if p.end() >= s.end() => Some(p),
        _ => Some(s),
    }
}

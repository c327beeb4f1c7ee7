//! Catch-up requests as people write them — the API's JSON (the preview
//! at `…/catch-up` and `op: "catch_up"` at `…/changes`) and `marquee
//! catch-up` flags — turned into one checked [`CatchUpCommand`], the field
//! at fault named. Tracks, `from` and its day are read exactly as a shift
//! reads them (`shift_input`), so a delay means the same in both.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::domain::replan::{
    CatchUpChoice, CatchUpGoal, CatchUpRequest, CatchUpRules, CatchUpStrategy, ChangeOp,
    ChangeRequest, InterruptedMode,
};
use crate::domain::schedule::Schedule;
use crate::domain::shift::TrackSelection;
use crate::error::{AppError, Result};
use crate::shift_input::{self, ShiftInput};

/// When the day should end, as people choose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GoalChoice {
    /// Each track ends no later than planned (the default).
    EndOnTime,
    /// Each track ends at most `end_later_min` minutes later.
    EndLater,
    /// No catching up: only the plain shift is offered.
    EverythingLater,
}

/// A delay to catch up, as people write it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatchUpInput {
    /// Only `"catch_up"` (what `…/changes` dispatches on); ignored by the
    /// preview.
    pub op: Option<String>,
    /// `"all"` or a list of track slugs.
    #[schema(value_type = Option<Object>, example = json!("all"))]
    pub tracks: Option<TrackSelection>,
    /// When the delay began, `HH:MM` on the event's day or RFC 3339.
    pub from: Option<String>,
    /// Minutes lost (1..=1440).
    pub delay_min: Option<i64>,
    /// The day `HH:MM` is on (default as for a shift).
    pub date: Option<NaiveDate>,
    /// Default `end_on_time`; `end_later_min` alone means `end_later`.
    pub goal: Option<GoalChoice>,
    pub end_later_min: Option<i64>,
    /// Talks running at `from`: `restart` (default) or `resume`.
    #[schema(value_type = Option<String>, example = "restart")]
    pub interrupted: Option<InterruptedMode>,
    /// The shortest a break may become (default 10).
    pub min_break_min: Option<i64>,
    /// Q&A minutes at the end of a talk that may be cut (default 5; 0:
    /// talks are never shortened).
    pub qa_cut_min: Option<i64>,
    /// To apply: `everything_later`, `shorten_breaks` or
    /// `shorten_breaks_and_qa` (one of the previewed alternatives).
    #[schema(value_type = Option<String>, example = "shorten_breaks")]
    pub strategy: Option<CatchUpStrategy>,
    /// The schedule version the alternatives were previewed on; required
    /// to apply.
    pub version: Option<i64>,
    /// Why, for the changelog; required to apply.
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub dry_run: bool,
}

/// A checked catch-up: the request and, to apply, the chosen alternative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatchUpCommand {
    pub request: CatchUpRequest,
    pub strategy: Option<CatchUpStrategy>,
    pub version: Option<i64>,
    pub reason: String,
}

impl CatchUpCommand {
    /// The change that applies the chosen alternative; refused (naming
    /// the field) without a strategy, a version or a reason.
    pub fn change(&self) -> Result<ChangeRequest> {
        let strategy = self.strategy.ok_or_else(|| {
            AppError::invalid(
                "strategy",
                "required: everything_later, shorten_breaks or shorten_breaks_and_qa",
            )
        })?;
        let version = self.version.ok_or_else(|| {
            AppError::invalid(
                "version",
                "required: the schedule version the alternatives were previewed on",
            )
        })?;
        Ok(ChangeRequest {
            version,
            op: ChangeOp::CatchUp(CatchUpChoice {
                request: self.request.clone(),
                strategy,
            }),
        })
    }
}

/// Checks `input` against the event's schedule at `now`, naming the field
/// at fault. A reason is required unless `dry_run` or no strategy is given
/// (a preview).
pub fn parse(
    schedule: &Schedule,
    input: &CatchUpInput,
    now: DateTime<Utc>,
) -> Result<CatchUpCommand> {
    if let Some(op) = input.op.as_deref().filter(|o| o.trim() != "catch_up") {
        return Err(AppError::invalid(
            "op",
            format!("expected catch_up, got {op:?}"),
        ));
    }
    let applying = !input.dry_run && input.strategy.is_some();
    let reason = input.reason.trim();
    if applying && reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "say why (attendees see it in the changelog)",
        ));
    }
    let delay_min = input
        .delay_min
        .ok_or_else(|| AppError::invalid("delay_min", "required: the minutes lost"))?;
    if !(1..=crate::domain::shift::MAX_SHIFT_MIN).contains(&delay_min) {
        return Err(AppError::invalid(
            "delay_min",
            format!(
                "must be 1 to {} minutes",
                crate::domain::shift::MAX_SHIFT_MIN
            ),
        ));
    }
    let shift = shift_input::parse(
        schedule,
        &ShiftInput {
            tracks: input.tracks.clone(),
            from: input.from.clone(),
            by_minutes: Some(delay_min),
            date: input.date,
            dry_run: true,
            interrupted: input.interrupted,
            ..ShiftInput::default()
        },
        now,
    )?;
    let goal = match (input.goal, input.end_later_min) {
        (Some(GoalChoice::EndLater) | None, Some(n)) if n >= 0 => CatchUpGoal::EndLater(n),
        (Some(GoalChoice::EndLater) | None, Some(_)) => {
            return Err(AppError::invalid("end_later_min", "must not be negative"));
        }
        (Some(GoalChoice::EndLater), None) => {
            return Err(AppError::invalid(
                "end_later_min",
                "required with goal end_later: how many minutes later the day may end",
            ));
        }
        (Some(GoalChoice::EndOnTime) | None, None) => CatchUpGoal::EndOnTime,
        (Some(GoalChoice::EverythingLater), None) => CatchUpGoal::EverythingLater,
        (Some(_), Some(_)) => {
            return Err(AppError::invalid(
                "end_later_min",
                "only with goal end_later",
            ));
        }
    };
    let defaults = CatchUpRules::default();
    let rules = CatchUpRules {
        min_break_min: input.min_break_min.unwrap_or(defaults.min_break_min),
        qa_cut_min: input.qa_cut_min.unwrap_or(defaults.qa_cut_min),
    };
    for (field, v) in [
        ("min_break_min", rules.min_break_min),
        ("qa_cut_min", rules.qa_cut_min),
    ] {
        if v < 0 {
            return Err(AppError::invalid(field, "must not be negative"));
        }
    }
    Ok(CatchUpCommand {
        request: CatchUpRequest {
            tracks: shift.plan.tracks,
            from: shift.plan.from,
            delay_min,
            interrupted: shift.plan.interrupted,
            goal,
            rules,
        },
        strategy: input.strategy,
        version: input.version,
        reason: reason.to_owned(),
    })
}

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
use crate::domain::shift::{MAX_SHIFT_MIN, TrackSelection};
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
    /// The shortest a break may become (default: the event's rule, 10
    /// unless its organisers set another).
    pub min_break_min: Option<i64>,
    /// Q&A minutes at the end of a talk that may be cut (default: the
    /// event's rule, 5 unless set; 0: talks are never shortened).
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
/// at fault; what it leaves out of the rules comes from `event_rules` (the
/// event's stored ones). A reason is required unless `dry_run` or no
/// strategy is given (a preview).
pub fn parse(
    schedule: &Schedule,
    input: &CatchUpInput,
    event_rules: CatchUpRules,
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
        (Some(GoalChoice::EndLater) | None, Some(n)) if (0..=MAX_SHIFT_MIN).contains(&n) => {
            CatchUpGoal::EndLater(n)
        }
        (Some(GoalChoice::EndLater) | None, Some(_)) => {
            return Err(AppError::invalid(
                "end_later_min",
                format!("must be 0 to {MAX_SHIFT_MIN} minutes"),
            ));
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
    let rules = CatchUpRules {
        min_break_min: input.min_break_min.unwrap_or(event_rules.min_break_min),
        qa_cut_min: input.qa_cut_min.unwrap_or(event_rules.qa_cut_min),
    };
    check_rules(rules)?;
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

/// A change to an event's catch-up rules, as people write it: what is
/// left out stays as it is.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatchUpRulesInput {
    /// The shortest a break may become, in minutes (0..=1440).
    pub min_break_min: Option<i64>,
    /// Q&A minutes at the end of a talk that may be cut (0..=1440; 0:
    /// talks are never shortened).
    pub qa_cut_min: Option<i64>,
}

impl CatchUpRulesInput {
    /// `current` with this input's changes, checked.
    pub fn apply_to(&self, current: CatchUpRules) -> Result<CatchUpRules> {
        let rules = CatchUpRules {
            min_break_min: self.min_break_min.unwrap_or(current.min_break_min),
            qa_cut_min: self.qa_cut_min.unwrap_or(current.qa_cut_min),
        };
        check_rules(rules)?;
        Ok(rules)
    }
}

/// Whether `rules` are within bounds, naming the field at fault: what a
/// request may ask for and what an event may store alike.
pub fn check_rules(rules: CatchUpRules) -> Result<()> {
    for (field, v) in [
        ("min_break_min", rules.min_break_min),
        ("qa_cut_min", rules.qa_cut_min),
    ] {
        // Bounded like a delay: minutes beyond a day mean nothing and
        // would overflow the planner's time arithmetic.
        if !(0..=MAX_SHIFT_MIN).contains(&v) {
            return Err(AppError::invalid(
                field,
                format!("must be 0 to {MAX_SHIFT_MIN} minutes"),
            ));
        }
    }
    Ok(())
}

/// The shift page's "Catch up instead" forms as the browser sends them
/// (its GET asking for a later end, and the POST that applies one
/// alternative): repeated `tracks`, empty strings for empty fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CatchUpForm {
    /// The session's CSRF token (the POST only); its handler checks it.
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub tracks: Vec<String>,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub delay_min: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub interrupted: String,
    #[serde(default)]
    pub end_later_min: String,
    #[serde(default)]
    pub strategy: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub reason: String,
}

fn filled(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn number(s: &str, field: &str) -> Result<Option<i64>> {
    filled(s)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| AppError::invalid(field, "not a whole number"))
        })
        .transpose()
}

impl CatchUpForm {
    /// The form as input, naming the field at fault.
    pub fn input(&self, dry_run: bool) -> Result<CatchUpInput> {
        let strategy = filled(&self.strategy)
            .map(|s| {
                serde_json::from_value::<CatchUpStrategy>(serde_json::Value::String(s)).map_err(
                    |_| {
                        AppError::invalid(
                            "strategy",
                            "expected everything_later, shorten_breaks or shorten_breaks_and_qa",
                        )
                    },
                )
            })
            .transpose()?;
        let date = filled(&self.date)
            .map(|d| {
                d.parse::<NaiveDate>()
                    .map_err(|_| AppError::invalid("date", "expected YYYY-MM-DD"))
            })
            .transpose()?;
        let interrupted = match self.interrupted.trim() {
            "" | "restart" => InterruptedMode::Restart,
            "resume" => InterruptedMode::Resume,
            _ => {
                return Err(AppError::invalid(
                    "interrupted",
                    "expected restart or resume",
                ));
            }
        };
        Ok(CatchUpInput {
            tracks: shift_input::tracks_from_list(
                self.tracks.iter().filter_map(|t| filled(t)).collect(),
            ),
            from: filled(&self.from),
            delay_min: number(&self.delay_min, "delay_min")?,
            date,
            end_later_min: number(&self.end_later_min, "end_later_min")?,
            interrupted: Some(interrupted),
            strategy,
            version: number(&self.version, "version")?,
            reason: self.reason.clone(),
            dry_run,
            ..CatchUpInput::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(r: Result<impl std::fmt::Debug>) -> String {
        match r {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn the_form_names_a_bad_number_or_strategy() {
        let f = |q: &str| serde_html_form::from_str::<CatchUpForm>(q).unwrap();
        assert_eq!(field(f("delay_min=x").input(true)), "delay_min");
        assert_eq!(
            field(f("delay_min=15&strategy=teleport").input(false)),
            "strategy"
        );
        assert_eq!(field(f("delay_min=15&version=v").input(false)), "version");
        let input = f("tracks=track-1&tracks=track-2&from=18:00&delay_min=15&strategy=shorten_breaks&version=3&reason=r")
            .input(false)
            .unwrap();
        assert_eq!(input.strategy, Some(CatchUpStrategy::ShortenBreaks));
        assert_eq!(input.delay_min, Some(15));
        assert_eq!(
            input.tracks,
            Some(TrackSelection::Some(vec![
                "track-1".into(),
                "track-2".into()
            ]))
        );
    }

    #[test]
    fn a_goal_and_its_minutes_go_together() {
        let s = crate::domain::replan::fixtures::evening();
        let goal = |g: Option<GoalChoice>, n: Option<i64>| {
            let input = CatchUpInput {
                tracks: Some(TrackSelection::All),
                from: Some("17:00".into()),
                delay_min: Some(15),
                goal: g,
                end_later_min: n,
                dry_run: true,
                ..CatchUpInput::default()
            };
            parse(&s, &input, CatchUpRules::default(), Utc::now()).map(|c| c.request.goal)
        };
        assert_eq!(goal(None, None).unwrap(), CatchUpGoal::EndOnTime);
        assert_eq!(goal(None, Some(10)).unwrap(), CatchUpGoal::EndLater(10));
        assert_eq!(
            goal(Some(GoalChoice::EverythingLater), None).unwrap(),
            CatchUpGoal::EverythingLater
        );
        assert_eq!(
            field(goal(Some(GoalChoice::EndLater), None)),
            "end_later_min"
        );
        assert_eq!(field(goal(None, Some(-5))), "end_later_min");
        assert_eq!(field(goal(None, Some(i64::MAX))), "end_later_min");
        assert_eq!(
            field(goal(Some(GoalChoice::EndOnTime), Some(5))),
            "end_later_min"
        );
    }

    #[test]
    fn the_event_rules_fill_what_the_request_leaves_out() {
        let s = crate::domain::replan::fixtures::evening();
        let event_rules = CatchUpRules {
            min_break_min: 20,
            qa_cut_min: 0,
        };
        let rules = |min_break: Option<i64>, qa: Option<i64>| {
            let input = CatchUpInput {
                tracks: Some(TrackSelection::All),
                from: Some("17:00".into()),
                delay_min: Some(15),
                min_break_min: min_break,
                qa_cut_min: qa,
                dry_run: true,
                ..CatchUpInput::default()
            };
            parse(&s, &input, event_rules, Utc::now()).map(|c| c.request.rules)
        };
        assert_eq!(rules(None, None).unwrap(), event_rules);
        assert_eq!(
            rules(Some(5), None).unwrap(),
            CatchUpRules {
                min_break_min: 5,
                qa_cut_min: 0
            }
        );
        assert_eq!(field(rules(Some(-1), None)), "min_break_min");
        assert_eq!(
            field(check_rules(CatchUpRules {
                min_break_min: 10,
                qa_cut_min: MAX_SHIFT_MIN + 1
            })),
            "qa_cut_min"
        );
    }
}

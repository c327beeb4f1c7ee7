//! The catch-up planner for the API and `marquee catch-up`: the
//! alternatives for a delay (a preview), and applying one of them as a
//! change — versioned, atomic, undone by the shift revert, announced like
//! a shift — through the same store path as every other change.

use app::catchup_input::{CatchUpInput, CatchUpRulesInput, parse};
use app::domain::replan::{CatchUpGoal, CatchUpPlan, CatchUpRules};
use app::error::{AppError, Result};
use app::state::AppState;
use app::store::AppliedChange;
use serde::Serialize;

/// What a preview returns: the alternatives (each with its cost and its
/// edits) and the version to send back with the chosen one.
#[derive(Debug, Serialize)]
pub struct CatchUpPreviewBody {
    pub dry_run: bool,
    pub version: i64,
    pub goal: CatchUpGoal,
    pub alternatives: Vec<app::domain::replan::CatchUpAlternative>,
}

impl CatchUpPreviewBody {
    fn new(plan: CatchUpPlan, version: i64) -> Self {
        Self {
            dry_run: true,
            version,
            goal: plan.goal,
            alternatives: plan.alternatives,
        }
    }
}

/// The alternatives for `input` on the schedule as committed; changes
/// nothing.
pub async fn preview(
    state: &AppState,
    slug: &str,
    input: &CatchUpInput,
) -> Result<CatchUpPreviewBody> {
    let view = super::event_view(state, slug)?;
    let cmd = parse(
        &view.schedule,
        &CatchUpInput {
            dry_run: true,
            ..input.clone()
        },
        view.history.catch_up_rules,
        state.clock.now(),
    )?;
    let (plan, version) = state.store.preview_catch_up(slug, &cmd.request).await?;
    Ok(CatchUpPreviewBody::new(plan, version))
}

/// Applies the alternative `input` names (strategy, version and reason
/// required) as `actor`, then updates the public pages.
pub async fn apply(
    state: &AppState,
    slug: &str,
    input: &CatchUpInput,
    actor: &str,
) -> Result<AppliedChange> {
    let view = super::event_view(state, slug)?;
    let input = CatchUpInput {
        dry_run: false,
        ..input.clone()
    };
    if input.strategy.is_none() {
        return Err(AppError::invalid(
            "strategy",
            "required: everything_later, shorten_breaks or shorten_breaks_and_qa",
        ));
    }
    let cmd = parse(
        &view.schedule,
        &input,
        view.history.catch_up_rules,
        state.clock.now(),
    )?;
    let change = cmd.change()?;
    let applied = state
        .store
        .apply_change(slug, &change, actor, &cmd.reason)
        .await?;
    state.after_write(slug).await?;
    tracing::info!(
        event = slug,
        version = applied.version,
        strategy = cmd.strategy.map(|s| s.as_str()),
        edits = applied.change.edits.len(),
        actor,
        "catch-up applied"
    );
    Ok(applied)
}

/// Changes the event's catch-up rules (what `input` names; the rest stays)
/// as `actor`, then updates the organiser pages. Returns the rules now in
/// force.
pub async fn set_rules(
    state: &AppState,
    slug: &str,
    input: &CatchUpRulesInput,
    actor: &str,
) -> Result<CatchUpRules> {
    let current = state.store.catch_up_rules(slug).await?;
    let rules = input.apply_to(current)?;
    state.store.set_catch_up_rules(slug, rules).await?;
    state.after_write(slug).await?;
    tracing::info!(
        event = slug,
        min_break_min = rules.min_break_min,
        qa_cut_min = rules.qa_cut_min,
        actor,
        "catch-up rules set"
    );
    Ok(rules)
}

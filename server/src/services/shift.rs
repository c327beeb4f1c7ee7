//! Shifting and reverting an event's schedule, for the API and the
//! organiser's shift page. Requests are parsed by `app::shift_input`, the
//! one parser `marquee shift` uses too. Shifts go through the re-planning
//! core, so talks running at `from` move too (restarted or resumed) and
//! pinned sessions stay with the others flowing around them; the older
//! preview shape (`moved`, `conflicts`, `delta_min`) is kept beside the
//! full change.

use app::domain::replan::{ChangeOp, ChangePreview, ChangeRequest, plan_change};
use app::domain::shift::ShiftPreview;
use app::error::Result;
use app::shift_input::{ShiftInput, parse};
use app::state::AppState;
use app::store::{AppliedChange, AppliedShift};

use super::event_view;
use serde::Serialize;

/// What a preview returns: the moved sessions, the warnings, a summary,
/// and the full change (interrupted talks, room overlaps) with the
/// version it was previewed on.
#[derive(Debug, Serialize)]
pub struct PreviewBody {
    pub dry_run: bool,
    pub summary: String,
    pub version: i64,
    pub preview: ShiftPreview,
    pub change: ChangePreview,
}

/// What `input` would move, on the schedule as it is; changes nothing.
pub fn preview(state: &AppState, slug: &str, input: &ShiftInput) -> Result<PreviewBody> {
    let view = event_view(state, slug)?;
    let cmd = parse(&view.schedule, input, state.clock.now())?;
    let change = plan_change(
        &view.schedule,
        view.tz,
        &ChangeRequest {
            version: cmd.version.unwrap_or(view.schedule.version),
            op: ChangeOp::Shift(cmd.plan),
        },
    )?;
    Ok(PreviewBody {
        dry_run: true,
        summary: change.summary(&view.schedule),
        version: change.base_version,
        preview: ShiftPreview::from_change(&change),
        change,
    })
}

/// Applies `input` (its reason required) as `actor`, then updates the
/// public pages.
pub async fn apply(
    state: &AppState,
    slug: &str,
    input: &ShiftInput,
    actor: &str,
) -> Result<AppliedChange> {
    let view = event_view(state, slug)?;
    let cmd = parse(
        &view.schedule,
        &ShiftInput {
            dry_run: false,
            ..input.clone()
        },
        state.clock.now(),
    )?;
    let applied = state
        .store
        .apply_shift_plan(slug, &cmd.plan, cmd.version, actor, &cmd.reason)
        .await?;
    state.after_write(slug).await?;
    tracing::info!(
        event = slug,
        version = applied.version,
        edits = applied.change.edits.len(),
        interrupted = applied.change.interrupted().count(),
        actor,
        "shift applied"
    );
    Ok(applied)
}

/// Undoes shift `id` as `actor`, then updates the public pages.
pub async fn revert(
    state: &AppState,
    slug: &str,
    id: i64,
    actor: &str,
    reason: &str,
) -> Result<AppliedShift> {
    let applied = state.store.revert_shift(slug, id, actor, reason).await?;
    state.after_write(slug).await?;
    Ok(applied)
}

//! Shifting and reverting an event's schedule, for the API and the
//! organiser's shift page. Requests are parsed by `app::shift_input`, the
//! one parser `marquee shift` uses too.

use std::sync::Arc;

use app::domain::shift::{ShiftPreview, preview_shift};
use app::error::{AppError, Result};
use app::read_model::EventView;
use app::shift_input::{ShiftInput, parse};
use app::state::AppState;
use app::store::AppliedShift;
use chrono::Utc;
use serde::Serialize;

/// What a preview returns: the moved sessions, the warnings, a summary.
#[derive(Debug, Serialize)]
pub struct PreviewBody {
    pub dry_run: bool,
    pub summary: String,
    pub preview: ShiftPreview,
}

fn event_view(state: &AppState, slug: &str) -> Result<Arc<EventView>> {
    state
        .read_model
        .get(slug)
        .ok_or_else(|| AppError::not_found(format!("event {slug:?}")))
}

/// What `input` would move, on the schedule as it is; changes nothing.
pub fn preview(state: &AppState, slug: &str, input: &ShiftInput) -> Result<PreviewBody> {
    let view = event_view(state, slug)?;
    let cmd = parse(&view.schedule, input, Utc::now())?;
    let preview = preview_shift(&view.schedule, view.tz, &cmd.request)?;
    Ok(PreviewBody {
        dry_run: true,
        summary: preview.summary(&view.schedule),
        preview,
    })
}

/// Applies `input` (its reason required) as `actor`, then updates the
/// public pages.
pub async fn apply(
    state: &AppState,
    slug: &str,
    input: &ShiftInput,
    actor: &str,
) -> Result<AppliedShift> {
    let view = event_view(state, slug)?;
    let cmd = parse(
        &view.schedule,
        &ShiftInput {
            dry_run: false,
            ..input.clone()
        },
        Utc::now(),
    )?;
    let applied = state
        .store
        .apply_shift(slug, &cmd.request, actor, &cmd.reason)
        .await?;
    state.after_write(slug).await?;
    tracing::info!(
        event = slug,
        version = applied.version,
        moved = applied.preview.moved.len(),
        delta = applied.preview.delta_min,
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

//! Re-planning one talk (move, swap, cancel, restore) for the API and the
//! admin schedule's forms. Requests are parsed by `app::change_input`, the
//! one parser `marquee change` uses too; the store re-plans inside its
//! write transaction, so the preview shown here is only a preview.

use app::change_input::{ChangeInput, parse};
use app::domain::replan::ChangePreview;
use app::error::Result;
use app::state::AppState;
use app::store::AppliedChange;
use serde::Serialize;

/// What a preview returns: the edits, the warnings, a summary and the
/// version to send back to apply it.
#[derive(Debug, Serialize)]
pub struct ChangePreviewBody {
    pub dry_run: bool,
    pub version: i64,
    pub summary: String,
    pub change: ChangePreview,
}

/// What `input` would do, on the schedule as it is; changes nothing.
pub async fn preview(
    state: &AppState,
    slug: &str,
    input: &ChangeInput,
) -> Result<ChangePreviewBody> {
    let view = super::event_view(state, slug)?;
    let cmd = parse(
        &view.schedule,
        &ChangeInput {
            dry_run: true,
            ..input.clone()
        },
    )?;
    let change = state.store.preview_change(slug, &cmd.request).await?;
    Ok(ChangePreviewBody {
        dry_run: true,
        version: change.base_version,
        summary: change.summary(&view.schedule),
        change,
    })
}

/// Applies `input` (its reason and version required) as `actor`, then
/// updates the public pages.
pub async fn apply(
    state: &AppState,
    slug: &str,
    input: &ChangeInput,
    actor: &str,
) -> Result<AppliedChange> {
    let view = super::event_view(state, slug)?;
    let cmd = parse(
        &view.schedule,
        &ChangeInput {
            dry_run: false,
            ..input.clone()
        },
    )?;
    let applied = state
        .store
        .apply_change(slug, &cmd.request, actor, &cmd.reason)
        .await?;
    state.after_write(slug).await?;
    tracing::info!(
        event = slug,
        version = applied.version,
        change = applied.change.kind.as_str(),
        edits = applied.change.edits.len(),
        actor,
        "change applied"
    );
    Ok(applied)
}

/// Pins (or unpins) one session as `actor`, then updates the pages.
pub async fn set_pinned(
    state: &AppState,
    slug: &str,
    guid: &str,
    pinned: bool,
    actor: &str,
) -> Result<()> {
    state.store.set_pinned(slug, guid, pinned).await?;
    state.after_write(slug).await?;
    tracing::info!(event = slug, guid, pinned, actor, "pin set");
    Ok(())
}

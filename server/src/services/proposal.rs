//! Propose, then publish, for the API and the organiser's pages: a shift
//! or one-talk change saved as a proposal (speakers asked, attendees see
//! nothing), then published (answers carry over) or discarded. Inputs are
//! parsed by the same `app::change_input` / `app::shift_input` as applying
//! at once, so a proposal is refused exactly where an apply would be.

use app::change_input::{self, ChangeInput};
use app::domain::replan::ChangeOp;
use app::error::Result;
use app::shift_input::{self, ShiftInput};
use app::state::AppState;
use app::store::{AppliedChange, ProposalRecord};

use super::event_view;

/// Saves a one-talk change as a proposal (its reason and version
/// required, as for applying it) as `actor`.
pub async fn propose_change(
    state: &AppState,
    slug: &str,
    input: &ChangeInput,
    actor: &str,
) -> Result<ProposalRecord> {
    let view = event_view(state, slug)?;
    let cmd = change_input::parse(
        &view.schedule,
        &ChangeInput {
            dry_run: false,
            ..input.clone()
        },
    )?;
    propose(
        state,
        slug,
        Some(cmd.request.version),
        &cmd.request.op,
        actor,
        &cmd.reason,
        input.amends,
    )
    .await
}

/// Saves a shift as a proposal (its reason required) as `actor`.
pub async fn propose_shift(
    state: &AppState,
    slug: &str,
    input: &ShiftInput,
    actor: &str,
) -> Result<ProposalRecord> {
    let view = event_view(state, slug)?;
    let cmd = shift_input::parse(
        &view.schedule,
        &ShiftInput {
            dry_run: false,
            ..input.clone()
        },
        state.clock.now(),
    )?;
    propose(
        state,
        slug,
        cmd.version,
        &ChangeOp::Shift(cmd.plan),
        actor,
        &cmd.reason,
        input.amends,
    )
    .await
}

async fn propose(
    state: &AppState,
    slug: &str,
    version: Option<i64>,
    op: &ChangeOp,
    actor: &str,
    reason: &str,
    amends: Option<i64>,
) -> Result<ProposalRecord> {
    let p = state
        .store
        .propose_change(slug, version, op, actor, reason, amends, state.clock.now())
        .await?;
    state.after_write(slug).await?;
    tracing::info!(
        event = slug,
        proposal = p.proposal_id,
        asked = p.asks.len(),
        actor,
        "change proposed"
    );
    Ok(p)
}

/// Publishes proposal `id` (previewed on `version`) as `actor`.
pub async fn publish(
    state: &AppState,
    slug: &str,
    id: i64,
    version: i64,
    actor: &str,
) -> Result<AppliedChange> {
    let applied = state
        .store
        .publish_proposal(slug, id, version, actor, state.clock.now())
        .await?;
    state.after_write(slug).await?;
    tracing::info!(
        event = slug,
        proposal = id,
        version = applied.version,
        actor,
        "proposal published"
    );
    Ok(applied)
}

/// Discards open proposal `id` as `actor`.
pub async fn discard(state: &AppState, slug: &str, id: i64, actor: &str) -> Result<ProposalRecord> {
    let p = state
        .store
        .discard_proposal(slug, id, actor, state.clock.now())
        .await?;
    state.after_write(slug).await?;
    tracing::info!(event = slug, proposal = id, actor, "proposal discarded");
    Ok(p)
}

/// Reminds the speakers who have not answered proposal `id`; their keys.
pub async fn remind(state: &AppState, slug: &str, id: i64) -> Result<Vec<String>> {
    let keys = state
        .store
        .remind_proposal(slug, id, state.clock.now())
        .await?;
    state.after_write(slug).await?;
    Ok(keys)
}

/// Reminds the speakers who have not answered applied change `shift_id`;
/// their keys.
pub async fn remind_change(state: &AppState, slug: &str, shift_id: i64) -> Result<Vec<String>> {
    let keys = state
        .store
        .remind_change(slug, shift_id, state.clock.now())
        .await?;
    state.after_write(slug).await?;
    Ok(keys)
}

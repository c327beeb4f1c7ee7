//! Moving incidents along their lifecycle: the step every update takes
//! (status, timestamps, affected components, timeline, change log), and
//! scheduled maintenance starting and ending on its own.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::status::{
    ComponentRecord, components_of, incident_status, lock_event, set_component_status,
};
use super::{Store, changes, to_json, unix};
use crate::domain::change::ChangeKind;
use crate::domain::status::{ComponentStatus, IncidentStatus, Stamps, stamps_after};
use crate::error::{AppError, Result};

/// The text of the automatic update when a maintenance starts.
const MAINTENANCE_STARTED: &str = "Scheduled maintenance is in progress.";
/// The text of the automatic update when a maintenance ends.
const MAINTENANCE_COMPLETED: &str = "Scheduled maintenance has completed.";

/// The parts of a stored incident a transition needs.
pub(super) struct IncidentState {
    pub id: i64,
    pub status: IncidentStatus,
    pub scheduled_for: Option<i64>,
    pub scheduled_until: Option<i64>,
    pub monitoring_at: Option<i64>,
    pub resolved_at: Option<i64>,
}

impl Store {
    /// Moves scheduled maintenance that is due: `scheduled` with
    /// `scheduled_for <= now` to `in_progress` (affected components under
    /// maintenance), then `in_progress` with `scheduled_until <= now` to
    /// `completed` (affected components operational), each with an
    /// automatic update. Returns the slugs of the events that changed,
    /// sorted. Each event is one transaction; on an error the events done
    /// before it stay done.
    pub async fn advance_maintenance(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let now = unix(now);
        let due = sqlx::query(
            "select e.slug, i.incident_id from incident i join event e on e.event_id = i.event_id \
             where (i.status = 'scheduled' and i.scheduled_for <= $1) \
             or (i.status = 'in_progress' and i.scheduled_until <= $1)",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let mut by_event: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for row in &due {
            by_event
                .entry(row.try_get("slug")?)
                .or_default()
                .push(row.try_get("incident_id")?);
        }
        let mut changed = Vec::new();
        for (slug, mut ids) in by_event {
            ids.sort_unstable();
            let mut tx = self.pool.begin().await?;
            let ev = lock_event(&mut tx, &slug).await?;
            let mut comps = components_of(&mut tx, ev.event_id).await?;
            let mut any = false;
            for id in ids {
                // Checked again under the lock: another instance may have
                // moved it since the query above.
                let mut state = incident_state(&mut tx, ev.event_id, id).await?;
                if state.status == IncidentStatus::Scheduled
                    && state.scheduled_for.is_some_and(|f| f <= now)
                {
                    let to = IncidentStatus::InProgress;
                    transition(
                        &mut tx,
                        ev.event_id,
                        &state,
                        &comps,
                        to,
                        Entry::unsigned(MAINTENANCE_STARTED),
                        None,
                        now,
                    )
                    .await?;
                    state.status = to;
                    // The components just changed; what follows must see
                    // their status as it is now.
                    comps = components_of(&mut tx, ev.event_id).await?;
                    any = true;
                }
                if state.status == IncidentStatus::InProgress
                    && state.scheduled_until.is_some_and(|u| u <= now)
                {
                    let to = IncidentStatus::Completed;
                    transition(
                        &mut tx,
                        ev.event_id,
                        &state,
                        &comps,
                        to,
                        Entry::unsigned(MAINTENANCE_COMPLETED),
                        None,
                        now,
                    )
                    .await?;
                    comps = components_of(&mut tx, ev.event_id).await?;
                    any = true;
                }
            }
            if any {
                tx.commit().await?;
                changed.push(slug);
            } else {
                tx.rollback().await?;
            }
        }
        Ok(changed)
    }
}

/// The status an update puts the affected components in, if any. Closing
/// an incident restores them and starting a maintenance puts them under
/// maintenance unless told otherwise; a maintenance that is only scheduled
/// leaves them alone (they change when it starts).
pub(super) fn component_target(
    from: Option<IncidentStatus>,
    to: IncidentStatus,
    given: Option<ComponentStatus>,
) -> Option<ComponentStatus> {
    match to {
        IncidentStatus::Scheduled => None,
        IncidentStatus::InProgress if from != Some(to) => {
            Some(given.unwrap_or(ComponentStatus::UnderMaintenance))
        }
        // A maintenance that never started never put its components under
        // maintenance: completing (or cancelling) it leaves them alone, so
        // an outage they are in stays shown.
        IncidentStatus::Completed if from == Some(IncidentStatus::Scheduled) => given,
        IncidentStatus::Resolved | IncidentStatus::Completed
            if !from.is_some_and(IncidentStatus::is_closed) =>
        {
            Some(given.unwrap_or(ComponentStatus::Operational))
        }
        _ => given,
    }
}

/// The incident `id` of the event, or 404.
pub(super) async fn incident_state(
    conn: &mut AnyConnection,
    event_id: i64,
    id: i64,
) -> Result<IncidentState> {
    let row = sqlx::query(
        "select status, scheduled_for, scheduled_until, monitoring_at, resolved_at from incident \
         where event_id = $1 and incident_id = $2",
    )
    .bind(event_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| AppError::not_found(format!("incident {id}")))?;
    Ok(IncidentState {
        id,
        status: incident_status(&row, "status")?,
        scheduled_for: row.try_get("scheduled_for")?,
        scheduled_until: row.try_get("scheduled_until")?,
        monitoring_at: row.try_get("monitoring_at")?,
        resolved_at: row.try_get("resolved_at")?,
    })
}

/// An update's text and, when the organiser chose one, its signature
/// (both already checked).
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry<'a> {
    pub body: &'a str,
    pub signature: Option<&'a str>,
}

impl<'a> Entry<'a> {
    /// What the server writes itself (a maintenance starting or ending).
    pub fn unsigned(body: &'a str) -> Self {
        Entry {
            body,
            signature: None,
        }
    }
}

/// Moves a stored incident to `to` (already checked) and records the
/// update. `comps` are the event's components as they are now.
#[allow(clippy::too_many_arguments)]
pub(super) async fn transition(
    conn: &mut AnyConnection,
    event_id: i64,
    state: &IncidentState,
    comps: &[ComponentRecord],
    to: IncidentStatus,
    entry: Entry<'_>,
    component_status: Option<ComponentStatus>,
    now: i64,
) -> Result<()> {
    let from = state.status;
    let stamps = stamps_after(
        Some(from),
        to,
        now,
        Stamps {
            monitoring_at: state.monitoring_at,
            resolved_at: state.resolved_at,
        },
    );
    sqlx::query(
        "update incident set status = $2, updated_at = $3, monitoring_at = $4, \
         resolved_at = $5 where incident_id = $1",
    )
    .bind(state.id)
    .bind(to.as_str())
    .bind(now)
    .bind(stamps.monitoring_at)
    .bind(stamps.resolved_at)
    .execute(&mut *conn)
    .await?;
    let linked: Vec<i64> = sqlx::query(
        "select component_id from incident_component where incident_id = $1 order by component_id",
    )
    .bind(state.id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get("component_id"))
    .collect::<Result<_, _>>()?;
    let affected: Vec<&ComponentRecord> = comps.iter().filter(|c| linked.contains(&c.id)).collect();
    let target = component_target(Some(from), to, component_status);
    record_update(conn, event_id, state.id, to, entry, target, &affected, now).await
}

/// Sets the affected components to `target` (if any) and appends the
/// update and the incident's change-log entry.
#[allow(clippy::too_many_arguments)]
pub(super) async fn record_update(
    conn: &mut AnyConnection,
    event_id: i64,
    incident_id: i64,
    status: IncidentStatus,
    entry: Entry<'_>,
    target: Option<ComponentStatus>,
    affected: &[&ComponentRecord],
    now: i64,
) -> Result<()> {
    let mut changed = Vec::new();
    if let Some(to) = target {
        for c in affected {
            changed.push(set_component_status(conn, event_id, c, to, now).await?);
        }
    }
    sqlx::query(
        "insert into incident_update (incident_id, status, body_md, affected_json, created_at, \
         signature) values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(incident_id)
    .bind(status.as_str())
    .bind(entry.body)
    .bind(to_json(&changed)?)
    .bind(now)
    .bind(entry.signature)
    .execute(&mut *conn)
    .await?;
    let payload = serde_json::json!({ "incident_id": incident_id, "status": status.as_str() });
    changes::append(conn, event_id, ChangeKind::Incident, &payload, now).await?;
    super::push::enqueue_incident(conn, event_id, incident_id, status, entry.body, now).await?;
    Ok(())
}

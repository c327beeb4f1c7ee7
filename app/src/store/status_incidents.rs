//! Writing incidents and scheduled maintenance: opening them and adding
//! updates to their timeline (the shared step is in `status_timeline`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::status::{
    ComponentRecord, IncidentRecord, MAX_BODY, NewIncident, NewIncidentUpdate, checked_len,
    checked_name, checked_signature, components_of, lifecycle, lock_event,
};
use super::status_load::{IncidentFilter, load_incidents};
use super::status_timeline::{Entry, component_target, incident_state, record_update, transition};
use super::{Store, unix};
use crate::domain::status::{
    IncidentStatus, Stamps, check_cancel, check_opening, check_reschedule, check_transition,
    stamps_after,
};
use crate::error::{AppError, Result};

impl Store {
    /// Opens an incident, or schedules a maintenance when both
    /// `scheduled_for` and `scheduled_until` are given, with its first
    /// update.
    pub async fn create_incident(
        &self,
        slug: &str,
        i: NewIncident,
        now: DateTime<Utc>,
    ) -> Result<IncidentRecord> {
        let mut made = self.create_incidents(slug, vec![i], now).await?;
        made.pop()
            .ok_or_else(|| AppError::Internal("no incident created".into()))
    }

    /// Opens several incidents or maintenance windows (a weekly series) in
    /// one transaction: all of them, or none when one is refused (the
    /// error then names the field with the window's place, `[2].scheduled_for`,
    /// when there are several).
    pub async fn create_incidents(
        &self,
        slug: &str,
        all: Vec<NewIncident>,
        now: DateTime<Utc>,
    ) -> Result<Vec<IncidentRecord>> {
        let several = all.len() > 1;
        let place = |n: usize, e: AppError| match e {
            AppError::Invalid { field, message } if several => {
                AppError::invalid(format!("[{n}].{field}"), message)
            }
            other => other,
        };
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        let comps = components_of(&mut tx, ev.event_id).await?;
        let mut made = Vec::with_capacity(all.len());
        for (n, i) in all.into_iter().enumerate() {
            let id = insert_incident(&mut tx, ev.event_id, &comps, i, now)
                .await
                .map_err(|e| place(n, e))?;
            made.push(one_incident(&mut tx, ev.event_id, id).await?);
        }
        tx.commit().await?;
        Ok(made)
    }

    /// Adds an update to an incident's timeline, moving it along its
    /// lifecycle (see [`check_transition`]) and setting `monitoring_at` and
    /// `resolved_at` (cleared again when a resolved incident is reopened).
    /// On resolving or completing, the affected components go back to
    /// operational unless `component_status` says otherwise.
    pub async fn add_incident_update(
        &self,
        slug: &str,
        incident_id: i64,
        u: NewIncidentUpdate,
        now: DateTime<Utc>,
    ) -> Result<IncidentRecord> {
        let body = checked_body(&u.body_md)?;
        let signature = checked_signature(u.signature.as_deref())?;
        let now = unix(now);
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        let state = incident_state(&mut tx, ev.event_id, incident_id).await?;
        check_transition(state.status, u.status).map_err(lifecycle)?;
        if body.is_empty() && u.status == state.status {
            return Err(AppError::invalid(
                "body",
                "an update that keeps the status needs a text",
            ));
        }
        if let Some(r) = u.reschedule {
            let old = state
                .scheduled_for
                .zip(state.scheduled_until)
                .map(|(f, t)| (at(f), at(t)));
            let (from, until) =
                check_reschedule(u.status, old, r.scheduled_for, r.scheduled_until, at(now))
                    .map_err(|e| AppError::invalid(e.field(), e.to_string()))?;
            sqlx::query(
                "update incident set scheduled_for = $2, scheduled_until = $3, started_at = $2 \
                 where incident_id = $1",
            )
            .bind(incident_id)
            .bind(unix(from))
            .bind(unix(until))
            .execute(&mut *tx)
            .await?;
        }
        let comps = components_of(&mut tx, ev.event_id).await?;
        if let Some(ids) = &u.component_ids {
            let chosen = checked_components(&comps, ids)?;
            sqlx::query("delete from incident_component where incident_id = $1")
                .bind(incident_id)
                .execute(&mut *tx)
                .await?;
            for c in chosen {
                sqlx::query(
                    "insert into incident_component (incident_id, component_id) values ($1, $2)",
                )
                .bind(incident_id)
                .bind(c.id)
                .execute(&mut *tx)
                .await?;
            }
        }
        transition(
            &mut tx,
            ev.event_id,
            &state,
            &comps,
            u.status,
            Entry {
                body: &body,
                signature: signature.as_deref(),
            },
            u.component_status,
            now,
        )
        .await?;
        let record = one_incident(&mut tx, ev.event_id, incident_id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Cancels a maintenance that has not started (see [`check_cancel`]):
    /// it closes as `completed` with `cancelled_at` set and `body` as its
    /// last update, which tells everyone subscribed (the notice says
    /// "cancelled"). Its components stay as they are: it never touched
    /// them. One window of a weekly series is one maintenance; the others
    /// stay. A refusal changes nothing: 404 for an unknown id, 409 when it
    /// has started or is over, 422 for an incident.
    pub async fn cancel_maintenance(
        &self,
        slug: &str,
        incident_id: i64,
        body: &str,
        signature: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<IncidentRecord> {
        let body = checked_body(body)?;
        let signature = checked_signature(signature)?;
        if body.is_empty() {
            return Err(AppError::invalid("body", "must not be empty"));
        }
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        let state = incident_state(&mut tx, ev.event_id, incident_id).await?;
        let row = sqlx::query(
            "select case when is_maintenance then 1 else 0 end as maintenance_int, cancelled_at \
             from incident where incident_id = $1",
        )
        .bind(incident_id)
        .fetch_one(&mut *tx)
        .await?;
        let maintenance: i64 = row.try_get("maintenance_int")?;
        let cancelled: Option<i64> = row.try_get("cancelled_at")?;
        check_cancel(
            maintenance != 0,
            state.status,
            state.scheduled_for.map(at),
            cancelled.is_some(),
            now,
        )
        .map_err(|e| {
            if e.is_conflict() {
                AppError::ConflictOn {
                    field: "status".into(),
                    message: format!("{} ({})", e, state.status.as_str()),
                }
            } else {
                AppError::invalid("id", e.to_string())
            }
        })?;
        let now = unix(now);
        // Before the update, so the notice it queues reads it.
        sqlx::query("update incident set cancelled_at = $2 where incident_id = $1")
            .bind(incident_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let comps = components_of(&mut tx, ev.event_id).await?;
        transition(
            &mut tx,
            ev.event_id,
            &state,
            &comps,
            IncidentStatus::Completed,
            Entry {
                body: &body,
                signature: signature.as_deref(),
            },
            None,
            now,
        )
        .await?;
        let record = one_incident(&mut tx, ev.event_id, incident_id).await?;
        tx.commit().await?;
        Ok(record)
    }
}

/// One new incident or maintenance with its first update, inside the
/// caller's transaction; its id.
pub(super) async fn insert_incident(
    tx: &mut AnyConnection,
    event_id: i64,
    comps: &[ComponentRecord],
    i: NewIncident,
    now: DateTime<Utc>,
) -> Result<i64> {
    let name = checked_name("name", &i.name)?;
    let body = checked_body(&i.body_md)?;
    if body.is_empty() {
        return Err(AppError::invalid("body", "must not be empty"));
    }
    let signature = checked_signature(i.signature.as_deref())?;
    let window = check_opening(i.status, i.scheduled_for, i.scheduled_until, now)
        .map_err(|e| AppError::invalid(e.field(), e.to_string()))?
        .map(|(from, until)| (unix(from), unix(until)));
    let now = unix(now);
    let affected = checked_components(comps, &i.component_ids)?;
    let stamps = stamps_after(None, i.status, now, Stamps::default());
    let row = sqlx::query(
        "insert into incident (event_id, name, status, impact, is_maintenance, \
         scheduled_for, scheduled_until, created_at, updated_at, started_at, \
         monitoring_at, resolved_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11) returning incident_id",
    )
    .bind(event_id)
    .bind(&name)
    .bind(i.status.as_str())
    .bind(i.impact.as_str())
    .bind(window.is_some())
    .bind(window.map(|w| w.0))
    .bind(window.map(|w| w.1))
    .bind(now)
    // A maintenance "starts" when it is scheduled to.
    .bind(window.map_or(now, |w| w.0))
    .bind(stamps.monitoring_at)
    .bind(stamps.resolved_at)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("incident_id")?;
    for c in &affected {
        sqlx::query("insert into incident_component (incident_id, component_id) values ($1, $2)")
            .bind(id)
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
    }
    let target = component_target(None, i.status, i.component_status);
    let entry = Entry {
        body: &body,
        signature: signature.as_deref(),
    };
    record_update(
        &mut *tx, event_id, id, i.status, entry, target, &affected, now,
    )
    .await?;
    Ok(id)
}

/// Unix seconds as stored, back to an instant (the store only writes
/// instants chrono can represent).
fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// The update text: trimmed, at most [`MAX_BODY`] characters.
fn checked_body(raw: &str) -> Result<String> {
    let body = raw.trim();
    checked_len("body", body, MAX_BODY)?;
    Ok(body.to_owned())
}

/// The components `ids` name, in order and without repeats; an id that is
/// not one of the event's is refused naming its place in the list.
fn checked_components<'a>(
    comps: &'a [ComponentRecord],
    ids: &[i64],
) -> Result<Vec<&'a ComponentRecord>> {
    let by_id: HashMap<i64, &ComponentRecord> = comps.iter().map(|c| (c.id, c)).collect();
    let mut out: Vec<&ComponentRecord> = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let Some(c) = by_id.get(id) else {
            return Err(AppError::invalid(
                format!("components[{i}]"),
                format!("this event has no component {id}"),
            ));
        };
        if !out.iter().any(|x| x.id == *id) {
            out.push(c);
        }
    }
    Ok(out)
}

/// The incident as stored now (inside the writing transaction).
pub(super) async fn one_incident(
    conn: &mut AnyConnection,
    event_id: i64,
    id: i64,
) -> Result<IncidentRecord> {
    load_incidents(conn, event_id, IncidentFilter::One(id))
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found(format!("incident {id}")))
}

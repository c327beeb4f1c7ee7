//! Reading an event's status page: components, their history, incidents.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sqlx::{AnyConnection, Row};

use super::events::require_event;
use super::status::{
    AffectedComponent, HISTORY_DAYS, IncidentRecord, IncidentUpdateRecord, StatusSnapshot,
    component_status, components_of, impact, incident_status, maybe_instant,
};
use super::{Store, instant, unix};
use crate::domain::status::{IncidentStatus, StatusChange};
use crate::error::{AppError, Result};

impl Store {
    /// The event's status page as of `now`, read from one snapshot: all
    /// components, their last 90 days of history (plus the change in force
    /// when those began, so the first day is known), the incidents still
    /// open or closed within 90 days, and the change-log position it is at.
    pub async fn load_status(&self, slug: &str, now: DateTime<Utc>) -> Result<StatusSnapshot> {
        let mut tx = self.begin_read().await?;
        let ev = require_event(&mut tx, slug).await?;
        let status = status_on(&mut tx, ev.event_id, now).await?;
        tx.commit().await?;
        Ok(status)
    }
}

/// [`Store::load_status`] inside the caller's transaction.
pub(super) async fn status_on(
    conn: &mut AnyConnection,
    event_id: i64,
    now: DateTime<Utc>,
) -> Result<StatusSnapshot> {
    let cutoff = unix(now - Duration::days(HISTORY_DAYS));
    let components = components_of(&mut *conn, event_id).await?;

    let mut history: HashMap<i64, Vec<StatusChange>> = HashMap::new();
    for r in sqlx::query(
        "select h.component_id, h.status, h.at from component_status_change h \
         join component c on c.component_id = h.component_id \
         where c.event_id = $1 and h.at >= coalesce((select max(p.at) \
         from component_status_change p where p.component_id = h.component_id \
         and p.at < $2), $2) \
         order by h.component_id, h.at, h.component_status_change_id",
    )
    .bind(event_id)
    .bind(cutoff)
    .fetch_all(&mut *conn)
    .await?
    {
        history
            .entry(r.try_get("component_id")?)
            .or_default()
            .push(StatusChange {
                at: instant(&r, "at")?,
                status: component_status(&r, "status")?,
            });
    }

    let incidents = load_incidents(
        &mut *conn,
        event_id,
        IncidentFilter::OpenOrClosedSince(cutoff),
    )
    .await?;
    let last_seq: i64 =
        sqlx::query("select coalesce(max(seq), 0) as seq from change_log where event_id = $1")
            .bind(event_id)
            .fetch_one(&mut *conn)
            .await?
            .try_get("seq")?;
    let measured = super::monitor_runs::measured_days(&mut *conn, event_id, now).await?;
    Ok(StatusSnapshot {
        components,
        history,
        incidents,
        last_seq,
        measured,
    })
}

/// Which of an event's incidents to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IncidentFilter {
    /// Those still open (upcoming maintenance included), and those closed
    /// at or after this instant (unix seconds).
    OpenOrClosedSince(i64),
    /// The incident with this id.
    One(i64),
}

impl IncidentFilter {
    /// The condition over alias `i`, its one parameter being `$2`. The
    /// closed statuses come from the domain's vocabulary, never from input.
    fn sql(self) -> String {
        match self {
            Self::OpenOrClosedSince(_) => {
                let closed: Vec<String> = IncidentStatus::ALL
                    .into_iter()
                    .filter(|s| s.is_closed())
                    .map(|s| format!("'{}'", s.as_str()))
                    .collect();
                format!(
                    "i.status not in ({}) or i.resolved_at >= $2",
                    closed.join(", ")
                )
            }
            Self::One(_) => "i.incident_id = $2".to_owned(),
        }
    }

    fn arg(self) -> i64 {
        match self {
            Self::OpenOrClosedSince(t) | Self::One(t) => t,
        }
    }
}

/// The event's incidents that `filter` picks, newest first, each with its
/// components and its updates (newest first).
pub(super) async fn load_incidents(
    conn: &mut AnyConnection,
    event_id: i64,
    filter: IncidentFilter,
) -> Result<Vec<IncidentRecord>> {
    let (cond, arg) = (filter.sql(), filter.arg());
    let mut components: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in sqlx::query(&format!(
        "select ic.incident_id, ic.component_id from incident_component ic \
         join incident i on i.incident_id = ic.incident_id \
         where i.event_id = $1 and ({cond}) order by ic.component_id"
    ))
    .bind(event_id)
    .bind(arg)
    .fetch_all(&mut *conn)
    .await?
    {
        components
            .entry(r.try_get("incident_id")?)
            .or_default()
            .push(r.try_get("component_id")?);
    }

    let mut updates: HashMap<i64, Vec<IncidentUpdateRecord>> = HashMap::new();
    for r in sqlx::query(&format!(
        "select u.incident_update_id, u.incident_id, u.status, u.body_md, u.affected_json, \
         u.created_at, u.signature from incident_update u join incident i on i.incident_id = u.incident_id \
         where i.event_id = $1 and ({cond}) \
         order by u.created_at desc, u.incident_update_id desc"
    ))
    .bind(event_id)
    .bind(arg)
    .fetch_all(&mut *conn)
    .await?
    {
        let json: String = r.try_get("affected_json")?;
        let affected: Vec<AffectedComponent> = serde_json::from_str(&json)
            .map_err(|e| AppError::Internal(format!("bad stored affected_json: {e}")))?;
        updates
            .entry(r.try_get("incident_id")?)
            .or_default()
            .push(IncidentUpdateRecord {
                id: r.try_get("incident_update_id")?,
                status: incident_status(&r, "status")?,
                body_md: r.try_get("body_md")?,
                signature: r.try_get("signature")?,
                created_at: instant(&r, "created_at")?,
                affected,
            });
    }

    // SQLite reports a BOOLEAN column with a type the Any driver rejects,
    // so `is_maintenance` is read as an integer expression on both.
    sqlx::query(&format!(
        "select i.incident_id, i.name, i.status, i.impact, \
         case when i.is_maintenance then 1 else 0 end as maintenance_int, \
         i.scheduled_for, i.scheduled_until, i.created_at, i.updated_at, i.started_at, \
         i.monitoring_at, i.resolved_at, i.postmortem_md, i.cancelled_at from incident i \
         where i.event_id = $1 and ({cond}) order by i.created_at desc, i.incident_id desc"
    ))
    .bind(event_id)
    .bind(arg)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        let id: i64 = r.try_get("incident_id")?;
        let maintenance: i64 = r.try_get("maintenance_int")?;
        Ok(IncidentRecord {
            id,
            name: r.try_get("name")?,
            status: incident_status(r, "status")?,
            impact: impact(r, "impact")?,
            is_maintenance: maintenance != 0,
            scheduled_for: maybe_instant(r, "scheduled_for")?,
            scheduled_until: maybe_instant(r, "scheduled_until")?,
            created_at: instant(r, "created_at")?,
            updated_at: instant(r, "updated_at")?,
            started_at: instant(r, "started_at")?,
            monitoring_at: maybe_instant(r, "monitoring_at")?,
            resolved_at: maybe_instant(r, "resolved_at")?,
            component_ids: components.remove(&id).unwrap_or_default(),
            updates: updates.remove(&id).unwrap_or_default(),
            postmortem_md: r.try_get("postmortem_md")?,
            cancelled_at: maybe_instant(r, "cancelled_at")?,
        })
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::IncidentFilter;

    #[test]
    fn filters_name_the_closed_statuses_of_the_domain() {
        assert_eq!(
            IncidentFilter::OpenOrClosedSince(7).sql(),
            "i.status not in ('resolved', 'postmortem', 'completed') or i.resolved_at >= $2"
        );
        assert_eq!(IncidentFilter::OpenOrClosedSince(7).arg(), 7);
        assert_eq!(IncidentFilter::One(3).sql(), "i.incident_id = $2");
    }
}

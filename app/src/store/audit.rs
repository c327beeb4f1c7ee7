//! The audit log: one row per organiser write. Written by the server's
//! audit layer and the command line, read by the dashboard and its JSON
//! export. Rows hold no request body and no credential (see
//! `domain::audit` for what is kept).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{Store, instant, unix};
use crate::domain::audit::{ATTEMPTED, Actor, ActorKind, clip_summary, clip_user_agent, kind_of};
use crate::error::{AppError, Result};

/// One write as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub event_slug: Option<String>,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub method: String,
    /// The route pattern (`/api/v1/events/{event}/incidents`), or the
    /// command line's subcommand path.
    pub route: String,
    pub target: Option<String>,
    pub status: u16,
    pub ok: bool,
    pub summary: String,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One entry as the dashboard and the export show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub event: Option<String>,
    pub at: DateTime<Utc>,
    pub actor_kind: &'static str,
    pub actor: String,
    pub method: String,
    /// What was done, from the route (`incidents.updates`, `shifts.revert`).
    pub kind: String,
    pub route: String,
    pub target: Option<String>,
    pub status: u16,
    pub ok: bool,
    pub summary: String,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Store {
    /// Appends an entry (summary and user agent clipped here, so no caller
    /// can store more).
    pub async fn record_audit(&self, e: &NewAuditEntry) -> Result<()> {
        self.insert_audit(e, e.status, e.ok, &clip_summary(&e.summary))
            .await
            .map(drop)
    }

    /// Writes `e` before its write runs, as [`ATTEMPTED`] (status 0, not
    /// ok); its id, for [`Store::finish_audit`]. Should the answer never
    /// be recorded, the entry still says who tried what.
    pub async fn begin_audit(&self, e: &NewAuditEntry) -> Result<i64> {
        self.insert_audit(e, ATTEMPTED, false, "").await
    }

    /// One entry with its outcome given apart from `e`: the one insert
    /// behind a finished entry and an attempted one.
    async fn insert_audit(
        &self,
        e: &NewAuditEntry,
        status: u16,
        ok: bool,
        summary: &str,
    ) -> Result<i64> {
        let row = sqlx::query(
            "insert into audit_entry (event_slug, at, actor_kind, actor, method, route, target, \
             status, ok, summary, client_ip, user_agent) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning audit_entry_id",
        )
        .bind(e.event_slug.clone())
        .bind(unix(e.at))
        .bind(e.actor.kind.as_str())
        .bind(e.actor.name.clone())
        .bind(e.method.clone())
        .bind(e.route.clone())
        .bind(e.target.clone())
        .bind(i64::from(status))
        .bind(i64::from(ok))
        .bind(summary)
        .bind(e.client_ip.clone())
        .bind(e.user_agent.as_deref().map(clip_user_agent))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("audit_entry_id")?)
    }

    /// Gives an attempted entry its answer: who acted (a token is known
    /// only once the handler checked it), the event, status, outcome and
    /// summary.
    pub async fn finish_audit(&self, id: i64, e: &NewAuditEntry) -> Result<()> {
        sqlx::query(
            "update audit_entry set event_slug = $2, actor_kind = $3, actor = $4, status = $5, \
             ok = $6, summary = $7 where audit_entry_id = $1",
        )
        .bind(id)
        .bind(e.event_slug.clone())
        .bind(e.actor.kind.as_str())
        .bind(e.actor.name.clone())
        .bind(i64::from(e.status))
        .bind(i64::from(e.ok))
        .bind(clip_summary(&e.summary))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes an attempted entry that turned out to be no organiser's
    /// write (a bearer token that was refused: 401).
    pub async fn forget_audit(&self, id: i64) -> Result<()> {
        sqlx::query("delete from audit_entry where audit_entry_id = $1 and status = $2")
            .bind(id)
            .bind(i64::from(ATTEMPTED))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// An event's entries, newest first, `limit` of them after skipping
    /// `offset`.
    pub async fn list_audit(&self, slug: &str, offset: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "select audit_entry_id, event_slug, at, actor_kind, actor, method, route, target, \
             status, ok, summary, client_ip, user_agent from audit_entry where event_slug = $1 \
             order by at desc, audit_entry_id desc limit $2 offset $3",
        )
        .bind(slug)
        .bind(limit.clamp(1, 1000))
        .bind(offset.max(0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("actor_kind")?;
                let kind = ActorKind::parse(&kind)
                    .ok_or_else(|| AppError::Internal(format!("unknown actor kind {kind:?}")))?;
                let route: String = r.try_get("route")?;
                Ok(AuditEntry {
                    id: r.try_get("audit_entry_id")?,
                    event: r.try_get("event_slug")?,
                    at: instant(r, "at")?,
                    actor_kind: kind.as_str(),
                    actor: r.try_get("actor")?,
                    method: r.try_get("method")?,
                    kind: kind_of(&route),
                    route,
                    target: r.try_get("target")?,
                    status: u16::try_from(r.try_get::<i64, _>("status")?).unwrap_or(0),
                    ok: r.try_get::<i64, _>("ok")? != 0,
                    summary: r.try_get("summary")?,
                    client_ip: r.try_get("client_ip")?,
                    user_agent: r.try_get("user_agent")?,
                })
            })
            .collect()
    }

    /// How many entries an event has.
    pub async fn count_audit(&self, slug: &str) -> Result<i64> {
        let row = sqlx::query("select count(*) as n from audit_entry where event_slug = $1")
            .bind(slug)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }
}

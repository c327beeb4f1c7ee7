//! Monitors as the organiser manages them: add, edit, pause, remove, list
//! with their last results. Checking and what results do is
//! `monitor_runs`; the rules are `crate::domain::monitor`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::status::{checked_name, component_status, lock_event, maybe_instant};
use super::{Store, instant, unix};
use crate::domain::monitor::{MAX_TARGET, MonitorKind, MonitorSpec, StatusRange, check_spec};
use crate::domain::status::ComponentStatus;
use crate::error::{AppError, Result};

/// A monitor to add, or the whole new settings of one being edited. The
/// target has been judged by the caller (URL syntax, address rule).
#[derive(Debug, Clone, PartialEq)]
pub struct NewMonitor {
    pub component_id: i64,
    pub name: String,
    pub target: String,
    pub spec: MonitorSpec,
    pub draft_incident: bool,
    pub paused: bool,
}

/// A stored monitor with its state and last result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonitorRecord {
    pub id: i64,
    pub component_id: i64,
    pub name: String,
    pub kind: MonitorKind,
    pub target: String,
    pub interval_secs: i64,
    pub timeout_ms: i64,
    pub failures: i64,
    pub window: i64,
    pub recoveries: i64,
    pub down_status: ComponentStatus,
    pub expect_status: String,
    pub keyword: Option<String>,
    pub max_latency_ms: Option<i64>,
    pub stale_secs: i64,
    pub draft_incident: bool,
    pub paused: bool,
    /// Whether N of the last M checks failed (until K succeed in a row).
    pub down: bool,
    /// The last results, oldest first ('1' success, '0' failure).
    pub recent: String,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub last_ok: Option<bool>,
    pub last_latency_ms: Option<i64>,
    pub last_detail: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MonitorRecord {
    /// The settings as a spec (to edit some and check them again).
    pub fn spec(&self) -> MonitorSpec {
        MonitorSpec {
            kind: self.kind,
            interval_secs: self.interval_secs,
            timeout_ms: self.timeout_ms,
            failures: self.failures,
            window: self.window,
            recoveries: self.recoveries,
            down_status: self.down_status,
            expect_status: StatusRange::parse(&self.expect_status).unwrap_or(StatusRange::DEFAULT),
            keyword: self.keyword.clone(),
            max_latency_ms: self.max_latency_ms,
            stale_secs: self.stale_secs,
        }
    }
}

/// One check as kept for the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonitorResultRecord {
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub latency_ms: Option<i64>,
    pub detail: String,
}

const MONITOR_COLUMNS: &str = "select monitor_id, component_id, name, kind, target, \
     interval_secs, timeout_ms, failures, window_size, recoveries, down_status, expect_status, \
     keyword, max_latency_ms, stale_secs, draft_incident, paused, down, recent, \
     last_checked_at, last_ok, last_latency_ms, last_detail, created_at, updated_at from monitor";

fn monitor_row(row: &AnyRow) -> Result<MonitorRecord> {
    let kind: String = row.try_get("kind")?;
    Ok(MonitorRecord {
        id: row.try_get("monitor_id")?,
        component_id: row.try_get("component_id")?,
        name: row.try_get("name")?,
        kind: MonitorKind::parse(&kind)
            .ok_or_else(|| AppError::Internal(format!("unknown stored monitor kind {kind:?}")))?,
        target: row.try_get("target")?,
        interval_secs: row.try_get("interval_secs")?,
        timeout_ms: row.try_get("timeout_ms")?,
        failures: row.try_get("failures")?,
        window: row.try_get("window_size")?,
        recoveries: row.try_get("recoveries")?,
        down_status: component_status(row, "down_status")?,
        expect_status: row.try_get("expect_status")?,
        keyword: row.try_get("keyword")?,
        max_latency_ms: row.try_get("max_latency_ms")?,
        stale_secs: row.try_get("stale_secs")?,
        draft_incident: row.try_get::<i64, _>("draft_incident")? != 0,
        paused: row.try_get::<i64, _>("paused")? != 0,
        down: row.try_get::<i64, _>("down")? != 0,
        recent: row.try_get("recent")?,
        last_checked_at: maybe_instant(row, "last_checked_at")?,
        last_ok: row.try_get::<Option<i64>, _>("last_ok")?.map(|v| v != 0),
        last_latency_ms: row.try_get("last_latency_ms")?,
        last_detail: row.try_get("last_detail")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

/// Checks what the store itself can: the numbers, the name, the target's
/// length, and that the component is the event's.
async fn checked(
    conn: &mut AnyConnection,
    event_id: i64,
    m: &NewMonitor,
    except: i64,
) -> Result<String> {
    check_spec(&m.spec).map_err(|e| AppError::invalid(e.field, e.message))?;
    let name = checked_name("name", &m.name)?;
    if m.target.trim().is_empty() || m.target.len() > MAX_TARGET {
        return Err(AppError::invalid(
            "target",
            format!("must be 1 to {MAX_TARGET} characters"),
        ));
    }
    let found =
        sqlx::query("select 1 as one from component where event_id = $1 and component_id = $2")
            .bind(event_id)
            .bind(m.component_id)
            .fetch_optional(&mut *conn)
            .await?;
    if found.is_none() {
        return Err(AppError::invalid(
            "component_id",
            format!("no component {} in this event", m.component_id),
        ));
    }
    let taken = sqlx::query(
        "select 1 as one from monitor where event_id = $1 and name = $2 and monitor_id <> $3",
    )
    .bind(event_id)
    .bind(&name)
    .bind(except)
    .fetch_optional(&mut *conn)
    .await?;
    if taken.is_some() {
        return Err(AppError::invalid(
            "name",
            format!("another monitor is already called {name:?}"),
        ));
    }
    Ok(name)
}

impl Store {
    /// Adds a monitor; its first check is due at once (unless paused).
    pub async fn create_monitor(
        &self,
        slug: &str,
        m: NewMonitor,
        now: DateTime<Utc>,
    ) -> Result<MonitorRecord> {
        let now = unix(now);
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        let name = checked(&mut tx, ev.event_id, &m, 0).await?;
        let s = &m.spec;
        let row = sqlx::query(
            "insert into monitor (event_id, component_id, name, kind, target, interval_secs, \
             timeout_ms, failures, window_size, recoveries, down_status, expect_status, keyword, \
             max_latency_ms, stale_secs, draft_incident, paused, next_at, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $18, $18) returning monitor_id",
        )
        .bind(ev.event_id)
        .bind(m.component_id)
        .bind(&name)
        .bind(s.kind.as_str())
        .bind(m.target.trim())
        .bind(s.interval_secs)
        .bind(s.timeout_ms)
        .bind(s.failures)
        .bind(s.window)
        .bind(s.recoveries)
        .bind(s.down_status.as_str())
        .bind(s.expect_status.to_string())
        .bind(s.keyword.as_deref())
        .bind(s.max_latency_ms)
        .bind(s.stale_secs)
        .bind(i64::from(m.draft_incident))
        .bind(i64::from(m.paused))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("monitor_id")?;
        let rec = one(&mut tx, ev.event_id, id).await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// Replaces a monitor's settings. A changed kind, target or window
    /// starts its results afresh (old ones judged another thing); its
    /// verdict and what it holds the component in are kept, so a recovery
    /// still gives the component back.
    pub async fn update_monitor(
        &self,
        slug: &str,
        id: i64,
        m: NewMonitor,
        now: DateTime<Utc>,
    ) -> Result<MonitorRecord> {
        let now = unix(now);
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        let old = one(&mut tx, ev.event_id, id).await?;
        let name = checked(&mut tx, ev.event_id, &m, id).await?;
        let s = &m.spec;
        let fresh = old.kind != s.kind || old.target != m.target.trim() || old.window != s.window;
        sqlx::query(
            "update monitor set component_id = $2, name = $3, kind = $4, target = $5, \
             interval_secs = $6, timeout_ms = $7, failures = $8, window_size = $9, \
             recoveries = $10, down_status = $11, expect_status = $12, keyword = $13, \
             max_latency_ms = $14, stale_secs = $15, draft_incident = $16, paused = $17, \
             recent = case when $18 = 1 then '' else recent end, \
             hls_position = case when $18 = 1 then null else hls_position end, \
             next_at = case when paused = 1 and $17 = 0 then $19 else next_at end, \
             updated_at = $19 where monitor_id = $1",
        )
        .bind(id)
        .bind(m.component_id)
        .bind(&name)
        .bind(s.kind.as_str())
        .bind(m.target.trim())
        .bind(s.interval_secs)
        .bind(s.timeout_ms)
        .bind(s.failures)
        .bind(s.window)
        .bind(s.recoveries)
        .bind(s.down_status.as_str())
        .bind(s.expect_status.to_string())
        .bind(s.keyword.as_deref())
        .bind(s.max_latency_ms)
        .bind(s.stale_secs)
        .bind(i64::from(m.draft_incident))
        .bind(i64::from(m.paused))
        .bind(i64::from(fresh))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let rec = one(&mut tx, ev.event_id, id).await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// Removes a monitor. Its component keeps its status and its measured
    /// days; an open draft it wrote stays for the communicator.
    pub async fn delete_monitor(&self, slug: &str, id: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        let gone = sqlx::query("delete from monitor where event_id = $1 and monitor_id = $2")
            .bind(ev.event_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if gone.rows_affected() == 0 {
            return Err(AppError::not_found(format!("monitor {id}")));
        }
        tx.commit().await?;
        Ok(())
    }

    /// The event's monitors by name.
    pub async fn list_monitors(&self, slug: &str) -> Result<Vec<MonitorRecord>> {
        let rows = sqlx::query(&format!(
            "{MONITOR_COLUMNS} where event_id = (select event_id from event where slug = $1) \
             order by name, monitor_id"
        ))
        .bind(slug)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(monitor_row).collect()
    }

    /// One monitor of the event, or 404.
    pub async fn get_monitor(&self, slug: &str, id: i64) -> Result<MonitorRecord> {
        let row = sqlx::query(&format!(
            "{MONITOR_COLUMNS} where event_id = (select event_id from event where slug = $1) \
             and monitor_id = $2"
        ))
        .bind(slug)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| AppError::not_found(format!("monitor {id}")))?;
        monitor_row(&row)
    }

    /// A monitor's latest `limit` checks, newest first.
    pub async fn monitor_results(&self, id: i64, limit: i64) -> Result<Vec<MonitorResultRecord>> {
        let rows = sqlx::query(
            "select at, ok, latency_ms, detail from monitor_result where monitor_id = $1 \
             order by at desc, monitor_result_id desc limit $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MonitorResultRecord {
                    at: instant(r, "at")?,
                    ok: r.try_get::<i64, _>("ok")? != 0,
                    latency_ms: r.try_get("latency_ms")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }
}

async fn one(conn: &mut AnyConnection, event_id: i64, id: i64) -> Result<MonitorRecord> {
    let row = sqlx::query(&format!(
        "{MONITOR_COLUMNS} where event_id = $1 and monitor_id = $2"
    ))
    .bind(event_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| AppError::not_found(format!("monitor {id}")))?;
    monitor_row(&row)
}

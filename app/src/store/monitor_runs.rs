//! Running monitors once across instances: claiming due monitors under a
//! lease (as push deliveries are claimed), recording a check with what it
//! does to the component in one transaction, and the incidents monitors
//! draft for a communicator to publish.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;

use super::status::{
    component_status, components_of, lock_event, maybe_instant, set_component_status,
};
use super::status_incidents::{insert_incident, one_incident};
use super::{Backend, Store, instant, unix};
use crate::domain::monitor::{
    HlsMark, MeasuredDay, MonitorKind, StatusRange, Verdict, component_move, push_result, unpack,
    verdict,
};
use crate::domain::status::{ComponentStatus, Impact, IncidentStatus};
use crate::error::{AppError, Result};
use crate::store::{IncidentRecord, NewIncident};

/// A monitor taken for checking: what the check needs.
#[derive(Debug, Clone, PartialEq)]
pub struct DueMonitor {
    pub id: i64,
    pub kind: MonitorKind,
    pub target: String,
    pub timeout_ms: i64,
    pub expect_status: StatusRange,
    pub keyword: Option<String>,
    pub max_latency_ms: Option<i64>,
    pub stale_secs: i64,
    /// HLS: the last progress seen.
    pub hls_mark: Option<HlsMark>,
}

/// What one check found.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub ok: bool,
    pub latency_ms: Option<i64>,
    /// Why it failed (or a short note), shown on the dashboard.
    pub detail: String,
    pub hls_mark: Option<HlsMark>,
}

/// An incident a monitor drafted, waiting for a communicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonitorDraft {
    pub id: i64,
    pub monitor_id: Option<i64>,
    pub component_id: i64,
    pub name: String,
    pub body_md: String,
    pub component_status: ComponentStatus,
    pub created_at: DateTime<Utc>,
}

/// How long single checks are kept; older ones live on as daily counts.
pub const RESULT_KEEP_DAYS: i64 = 2;

impl Store {
    /// Takes up to `limit` due, unpaused monitors for checking, leased for
    /// `lease_secs` under `token`: another instance takes them only once
    /// the lease has run out, so each check runs once across instances.
    pub async fn claim_monitors(
        &self,
        limit: i64,
        now: DateTime<Utc>,
        lease_secs: i64,
        token: &str,
    ) -> Result<Vec<DueMonitor>> {
        let now_s = unix(now);
        // The same shapes as `claim_deliveries` (see there why).
        let sql = match self.backend {
            Backend::Postgres => {
                "with picked as materialized (select monitor_id from monitor \
                 where paused = 0 and next_at <= $1 order by next_at, monitor_id limit $3 \
                 for update skip locked) \
                 update monitor m set next_at = $2, lease_token = $4 from picked \
                 where m.monitor_id = picked.monitor_id returning m.monitor_id"
            }
            Backend::Sqlite => {
                "update monitor set next_at = $2, lease_token = $4 where monitor_id in \
                 (select monitor_id from monitor where paused = 0 and next_at <= $1 \
                  order by next_at, monitor_id limit $3) \
                 and paused = 0 and next_at <= $1 returning monitor_id"
            }
        };
        let mut tx = self.pool.begin().await?;
        let claimed = sqlx::query(sql)
            .bind(now_s)
            .bind(now_s + lease_secs.max(1))
            .bind(limit)
            .bind(token)
            .fetch_all(&mut *tx)
            .await?;
        if claimed.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        let list = claimed
            .iter()
            .map(|r| r.try_get::<i64, _>("monitor_id").map(|id| id.to_string()))
            .collect::<std::result::Result<Vec<_>, _>>()?
            .join(",");
        let rows = sqlx::query(&format!(
            "select monitor_id, kind, target, timeout_ms, expect_status, keyword, \
             max_latency_ms, stale_secs, hls_position, hls_since from monitor \
             where monitor_id in ({list}) order by monitor_id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                let expect: String = r.try_get("expect_status")?;
                let position: Option<String> = r.try_get("hls_position")?;
                let since = maybe_instant(r, "hls_since")?;
                Ok(DueMonitor {
                    id: r.try_get("monitor_id")?,
                    kind: MonitorKind::parse(&kind)
                        .ok_or_else(|| AppError::Internal(format!("monitor kind {kind:?}")))?,
                    target: r.try_get("target")?,
                    timeout_ms: r.try_get("timeout_ms")?,
                    expect_status: StatusRange::parse(&expect).unwrap_or(StatusRange::DEFAULT),
                    keyword: r.try_get("keyword")?,
                    max_latency_ms: r.try_get("max_latency_ms")?,
                    stale_secs: r.try_get("stale_secs")?,
                    hls_mark: position
                        .zip(since)
                        .map(|(position, since)| HlsMark { position, since }),
                })
            })
            .collect()
    }

    /// Records a check of a monitor held under `token` and applies its
    /// verdict, all in one transaction: the result, the day's counts, the
    /// monitor's window, and — when N of M failed or K succeeded in a row —
    /// the component's status through the same path as a manual change
    /// (history, change log), plus a draft incident if asked for. Returns
    /// the event's slug when its pages must be refreshed; nothing is
    /// written when the lease was lost to another instance.
    pub async fn record_check(
        &self,
        id: i64,
        token: &str,
        r: &CheckResult,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let now_s = unix(now);
        let mut tx = self.pool.begin().await?;
        // A write first, so SQLite takes its write lock now (waiting its
        // turn) rather than failing to upgrade a read later while another
        // result is being recorded; it also proves the lease is still ours.
        let held = sqlx::query(
            "update monitor set last_checked_at = $3 where monitor_id = $1 and lease_token = $2",
        )
        .bind(id)
        .bind(token)
        .bind(now_s)
        .execute(&mut *tx)
        .await?;
        if held.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        let row = sqlx::query(
            "select m.event_id, e.slug, e.time_zone, m.component_id, m.name, m.interval_secs, \
             m.failures, m.window_size, m.recoveries, m.down_status, m.recent, m.down, \
             m.applied_status, m.draft_incident from monitor m \
             join event e on e.event_id = m.event_id where m.monitor_id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let slug: String = row.try_get("slug")?;
        let event_id: i64 = row.try_get("event_id")?;
        let component_id: i64 = row.try_get("component_id")?;
        let (failures, window, recoveries): (i64, i64, i64) = (
            row.try_get("failures")?,
            row.try_get("window_size")?,
            row.try_get("recoveries")?,
        );
        let down_status = component_status(&row, "down_status")?;
        let was_down = row.try_get::<i64, _>("down")? != 0;
        let mut applied = row
            .try_get::<Option<String>, _>("applied_status")?
            .as_deref()
            .and_then(ComponentStatus::parse);
        let recent = push_result(
            &row.try_get::<String, _>("recent")?,
            r.ok,
            window.max(recoveries),
        );
        let v = verdict(&unpack(&recent), was_down, failures, window, recoveries);
        let mut changed = false;
        if v != Verdict::Hold {
            // The event's lock orders this with manual status changes.
            lock_event(&mut tx, &slug).await?;
            let comps = components_of(&mut tx, event_id).await?;
            let comp = comps
                .iter()
                .find(|c| c.id == component_id)
                .ok_or_else(|| AppError::Internal(format!("component {component_id} gone")))?;
            let mut mv = component_move(v, comp.status, applied, down_status);
            if v == Verdict::Recover && mv.set.is_some() {
                // Another monitor of the component still sees it down: it
                // holds the component now, and gives it back when it recovers.
                let other = sqlx::query(
                    "select monitor_id from monitor where component_id = $1 and monitor_id <> $2 \
                     and down = 1 and paused = 0 order by monitor_id limit 1",
                )
                .bind(component_id)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(other) = other {
                    sqlx::query("update monitor set applied_status = $2 where monitor_id = $1")
                        .bind(other.try_get::<i64, _>("monitor_id")?)
                        .bind(comp.status.as_str())
                        .execute(&mut *tx)
                        .await?;
                    mv.set = None;
                }
            }
            if let Some(to) = mv.set {
                set_component_status(&mut tx, event_id, comp, to, now_s).await?;
                changed = true;
            }
            applied = mv.applied;
            let monitor_name: String = row.try_get("name")?;
            if v == Verdict::Trip && row.try_get::<i64, _>("draft_incident")? != 0 {
                draft(&mut tx, event_id, id, comp, down_status, now_s).await?;
            }
            if v == Verdict::Recover {
                // A draft about an outage that is over is no longer news.
                sqlx::query(
                    "update monitor_draft set closed_at = $2 where monitor_id = $1 \
                     and closed_at is null",
                )
                .bind(id)
                .bind(now_s)
                .execute(&mut *tx)
                .await?;
            }
            tracing::info!(monitor = id, name = monitor_name, verdict = ?v, component = component_id, changed, "monitor verdict");
        }
        let down = match v {
            Verdict::Trip => true,
            Verdict::Recover => false,
            Verdict::Hold => was_down,
        };
        let interval: i64 = row.try_get("interval_secs")?;
        sqlx::query(
            "update monitor set recent = $2, down = $3, applied_status = $4, next_at = $5, \
             lease_token = null, last_checked_at = $6, last_ok = $7, last_latency_ms = $8, \
             last_detail = $9, hls_position = $10, hls_since = $11 where monitor_id = $1",
        )
        .bind(id)
        .bind(&recent)
        .bind(i64::from(down))
        .bind(applied.map(ComponentStatus::as_str))
        .bind(now_s + interval)
        .bind(now_s)
        .bind(i64::from(r.ok))
        .bind(r.latency_ms)
        .bind(&r.detail)
        .bind(r.hls_mark.as_ref().map(|m| m.position.clone()))
        .bind(r.hls_mark.as_ref().map(|m| unix(m.since)))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "insert into monitor_result (monitor_id, at, ok, latency_ms, detail) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(now_s)
        .bind(i64::from(r.ok))
        .bind(r.latency_ms)
        .bind(&r.detail)
        .execute(&mut *tx)
        .await?;
        // The event's local day, as the uptime bars count days.
        let tz: chrono_tz::Tz = row
            .try_get::<String, _>("time_zone")?
            .parse()
            .unwrap_or(chrono_tz::UTC);
        let day = now.with_timezone(&tz).date_naive().to_string();
        sqlx::query(
            "insert into monitor_day (component_id, day, checks, failures, latency_ms_total) \
             values ($1, $2, 1, $3, $4) on conflict (component_id, day) do update set \
             checks = monitor_day.checks + 1, failures = monitor_day.failures + $3, \
             latency_ms_total = monitor_day.latency_ms_total + $4",
        )
        .bind(component_id)
        .bind(&day)
        .bind(i64::from(!r.ok))
        .bind(r.latency_ms.unwrap_or(0))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(changed.then_some(slug))
    }

    /// Deletes single results older than [`RESULT_KEEP_DAYS`] and daily
    /// counts older than the bars show; how many results went.
    pub async fn prune_monitor_results(&self, now: DateTime<Utc>) -> Result<u64> {
        let gone = sqlx::query("delete from monitor_result where at < $1")
            .bind(unix(now) - RESULT_KEEP_DAYS * 86_400)
            .execute(&self.pool)
            .await?;
        let oldest = (now - chrono::Duration::days(92)).date_naive().to_string();
        sqlx::query("delete from monitor_day where day < $1")
            .bind(oldest)
            .execute(&self.pool)
            .await?;
        Ok(gone.rows_affected())
    }

    /// The event's open drafts, newest first.
    pub async fn list_monitor_drafts(&self, slug: &str) -> Result<Vec<MonitorDraft>> {
        let rows = sqlx::query(
            "select monitor_draft_id, monitor_id, component_id, name, body_md, \
             component_status, created_at from monitor_draft \
             where event_id = (select event_id from event where slug = $1) \
             and closed_at is null order by created_at desc, monitor_draft_id desc",
        )
        .bind(slug)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MonitorDraft {
                    id: r.try_get("monitor_draft_id")?,
                    monitor_id: r.try_get("monitor_id")?,
                    component_id: r.try_get("component_id")?,
                    name: r.try_get("name")?,
                    body_md: r.try_get("body_md")?,
                    component_status: component_status(r, "component_status")?,
                    created_at: instant(r, "created_at")?,
                })
            })
            .collect()
    }

    /// Publishes a draft as an incident (investigating, naming its
    /// component), in one transaction with closing the draft, so a double
    /// click opens one incident. The component's status is left as it is:
    /// the monitor has set it, or an organiser has.
    pub async fn publish_monitor_draft(
        &self,
        slug: &str,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<IncidentRecord> {
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        let d = open_draft(&mut tx, ev.event_id, id).await?;
        let comps = components_of(&mut tx, ev.event_id).await?;
        let impact = match d.component_status {
            ComponentStatus::MajorOutage => Impact::Major,
            _ => Impact::Minor,
        };
        let incident = NewIncident {
            name: d.name,
            status: IncidentStatus::Investigating,
            impact,
            body_md: d.body_md,
            component_ids: vec![d.component_id],
            component_status: None,
            scheduled_for: None,
            scheduled_until: None,
            signature: None,
        };
        let incident_id = insert_incident(&mut tx, ev.event_id, &comps, incident, now).await?;
        sqlx::query(
            "update monitor_draft set closed_at = $2, incident_id = $3 where monitor_draft_id = $1",
        )
        .bind(id)
        .bind(unix(now))
        .bind(incident_id)
        .execute(&mut *tx)
        .await?;
        let rec = one_incident(&mut tx, ev.event_id, incident_id).await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// Discards a draft: nothing is published.
    pub async fn discard_monitor_draft(
        &self,
        slug: &str,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        open_draft(&mut tx, ev.event_id, id).await?;
        sqlx::query("update monitor_draft set closed_at = $2 where monitor_draft_id = $1")
            .bind(id)
            .bind(unix(now))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Per component of the event, its checks per day over the last 90 days,
/// oldest first (days are the event's local dates as text, so they sort).
pub(super) async fn measured_days(
    conn: &mut sqlx::AnyConnection,
    event_id: i64,
    now: DateTime<Utc>,
) -> Result<HashMap<i64, Vec<MeasuredDay>>> {
    let since = (now - chrono::Duration::days(super::status::HISTORY_DAYS))
        .date_naive()
        .to_string();
    let rows = sqlx::query(
        "select d.component_id, d.day, d.checks, d.failures from monitor_day d \
         join component c on c.component_id = d.component_id \
         where c.event_id = $1 and d.day >= $2 order by d.component_id, d.day",
    )
    .bind(event_id)
    .bind(since)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: HashMap<i64, Vec<MeasuredDay>> = HashMap::new();
    for r in &rows {
        let day: String = r.try_get("day")?;
        let Ok(date) = day.parse::<NaiveDate>() else {
            continue;
        };
        out.entry(r.try_get("component_id")?)
            .or_default()
            .push(MeasuredDay {
                date,
                checks: r.try_get("checks")?,
                failures: r.try_get("failures")?,
            });
    }
    Ok(out)
}

/// An open draft of the event, 404 when unknown, 409 when already
/// published or discarded.
async fn open_draft(
    conn: &mut sqlx::AnyConnection,
    event_id: i64,
    id: i64,
) -> Result<MonitorDraft> {
    let r = sqlx::query(
        "select monitor_draft_id, monitor_id, component_id, name, body_md, component_status, \
         created_at, closed_at from monitor_draft where event_id = $1 and monitor_draft_id = $2",
    )
    .bind(event_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| AppError::not_found(format!("draft {id}")))?;
    if r.try_get::<Option<i64>, _>("closed_at")?.is_some() {
        return Err(AppError::conflict_on(
            "id",
            "this draft was already published or discarded",
        ));
    }
    Ok(MonitorDraft {
        id,
        monitor_id: r.try_get("monitor_id")?,
        component_id: r.try_get("component_id")?,
        name: r.try_get("name")?,
        body_md: r.try_get("body_md")?,
        component_status: component_status(&r, "component_status")?,
        created_at: instant(&r, "created_at")?,
    })
}

/// Writes a draft incident for a monitor that tripped, unless it has one
/// open already. The text names only the component: it becomes public as
/// it is, and the monitor's target and error may be internal.
async fn draft(
    conn: &mut sqlx::AnyConnection,
    event_id: i64,
    monitor_id: i64,
    comp: &super::ComponentRecord,
    status: ComponentStatus,
    now: i64,
) -> Result<()> {
    let open = sqlx::query(
        "select 1 as one from monitor_draft where monitor_id = $1 and closed_at is null",
    )
    .bind(monitor_id)
    .fetch_optional(&mut *conn)
    .await?;
    if open.is_some() {
        return Ok(());
    }
    let name = format!("{} is not working", comp.name);
    let body = format!(
        "We are investigating a problem with {}. Our monitoring noticed it.",
        comp.name
    );
    sqlx::query(
        "insert into monitor_draft (event_id, monitor_id, component_id, name, body_md, \
         component_status, created_at) values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(event_id)
    .bind(monitor_id)
    .bind(comp.id)
    .bind(name)
    .bind(body)
    .bind(status.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

//! Shifting and reverting part of a schedule. The pure preview is re-run
//! inside one transaction that also moves the sessions, records a version,
//! a shift row and a change, so a refused or failed shift changes nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::events::{EventRow, event_row, load_on, require_event};
use super::{Store, changes, instant, push, replan, unix};
use crate::domain::change::ChangeKind;
use crate::domain::shift::{
    ShiftError, ShiftKind, ShiftPreview, ShiftRequest, preview_revert, preview_shift,
};
use crate::domain::time::{format_hhmm, parse_zone};
use crate::error::{AppError, Result};

/// What [`Store::apply_shift`] or [`Store::revert_shift`] committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedShift {
    pub shift_id: i64,
    /// The schedule version the shift created.
    pub version: i64,
    pub preview: ShiftPreview,
}

/// One stored shift or revert, for the history and the revert button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShiftRecord {
    pub shift_id: i64,
    /// The schedule version it created.
    pub version: i64,
    pub kind: ShiftKind,
    /// For a revert: the shift it undid.
    pub reverts_shift_id: Option<i64>,
    /// For a shift: the revert that undid it, if any.
    pub reverted_by: Option<i64>,
    /// The later change that amended this one (attendees see them as one;
    /// undo that one instead).
    pub amended_into: Option<i64>,
    pub actor: String,
    pub reason: String,
    pub summary: String,
    pub preview: ShiftPreview,
    pub created_at: DateTime<Utc>,
}

impl From<ShiftError> for AppError {
    fn from(e: ShiftError) -> Self {
        AppError::invalid(e.field(), e.to_string())
    }
}

impl Store {
    /// Moves sessions as `req` asks, in one transaction, creating a schedule
    /// version of kind `shift`. Concurrent shifts of an event run one after
    /// the other, each on what the previous one committed.
    pub async fn apply_shift(
        &self,
        slug: &str,
        req: &ShiftRequest,
        actor: &str,
        reason: &str,
    ) -> Result<AppliedShift> {
        let now = unix(Utc::now());
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug, now).await?;
        let tz = parse_zone(&ev.event.time_zone)?;
        let schedule = load_on(&mut tx, &ev).await?;
        // An error here drops `tx`, which rolls the version bump back.
        let preview = preview_shift(&schedule, tz, req)?;
        let summary = format!(
            "{} from {}",
            preview.summary(&schedule),
            format_hhmm(tz, req.from)
        );
        let write = Write {
            kind: ShiftKind::Shift,
            reverts: None,
            actor,
            reason,
            summary: &summary,
            preview: &preview,
        };
        let shift_id = write.run(&mut tx, &ev, now).await?;
        push::enqueue_shift(&mut tx, &ev, &schedule, shift_id, false, &preview, now).await?;
        tx.commit().await?;
        Ok(AppliedShift {
            shift_id,
            version: ev.version,
            preview,
        })
    }

    /// Undoes shift `shift_id` in a new version of kind `revert`. Sessions
    /// moved or removed since the shift stay where they are (reported as
    /// `moved_since` conflicts). A shift is reverted at most once; reverts
    /// themselves are not reverted (apply a new shift instead).
    pub async fn revert_shift(
        &self,
        slug: &str,
        shift_id: i64,
        actor: &str,
        reason: &str,
    ) -> Result<AppliedShift> {
        let now = unix(Utc::now());
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug, now).await?;
        let row = sqlx::query(
            "select s.kind, s.preview_json, s.change_json, s.amended_into, \
             r.shift_id as reverted_by from shift s \
             left join shift r on r.reverts_shift_id = s.shift_id \
             where s.shift_id = $1 and s.event_id = $2",
        )
        .bind(shift_id)
        .bind(ev.event_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::not_found(format!("shift {shift_id} of event {slug}")))?;
        if stored_kind(&row.try_get::<String, _>("kind")?)? == ShiftKind::Revert {
            return Err(AppError::invalid(
                "shift_id",
                format!("shift {shift_id} is itself a revert; apply a new shift instead"),
            ));
        }
        if let Some(by) = row.try_get::<Option<i64>, _>("amended_into")? {
            return Err(AppError::Conflict(format!(
                "shift {shift_id} was amended by shift {by}; undo that one (it undoes both)"
            )));
        }
        if let Some(by) = row.try_get::<Option<i64>, _>("reverted_by")? {
            return Err(AppError::Conflict(format!(
                "shift {shift_id} was already reverted by shift {by}"
            )));
        }
        // A change made by the re-planning core is undone slot by slot.
        if let Some(json) = row.try_get::<Option<String>, _>("change_json")? {
            let stored = replan::parse_change(&json)?;
            let done =
                replan::revert_on(&mut tx, &ev, shift_id, &stored, actor, reason, now).await?;
            tx.commit().await?;
            return Ok(AppliedShift {
                shift_id: done.shift_id,
                version: done.version,
                preview: ShiftPreview::from_change(&done.change),
            });
        }
        let stored = parse_preview(&row.try_get::<String, _>("preview_json")?)?;
        let tz = parse_zone(&ev.event.time_zone)?;
        let schedule = load_on(&mut tx, &ev).await?;
        let preview = preview_revert(&schedule, tz, &stored);
        if preview.moved.is_empty() {
            return Err(AppError::Conflict(format!(
                "nothing to revert: every session shift {shift_id} moved was moved or removed since"
            )));
        }
        let summary = format!("revert of shift {shift_id}: {}", preview.summary(&schedule));
        let write = Write {
            kind: ShiftKind::Revert,
            reverts: Some(shift_id),
            actor,
            reason,
            summary: &summary,
            preview: &preview,
        };
        let new_id = write.run(&mut tx, &ev, now).await?;
        push::enqueue_shift(&mut tx, &ev, &schedule, new_id, true, &preview, now).await?;
        tx.commit().await?;
        Ok(AppliedShift {
            shift_id: new_id,
            version: ev.version,
            preview,
        })
    }

    /// An event's shifts and reverts, newest first.
    pub async fn list_shifts(&self, slug: &str) -> Result<Vec<ShiftRecord>> {
        let mut tx = self.begin_read().await?;
        let ev = require_event(&mut tx, slug).await?;
        let shifts = shifts_on(&mut tx, ev.event_id).await?;
        tx.commit().await?;
        Ok(shifts)
    }

    /// Each session's iCalendar SEQUENCE (how often its start changed),
    /// keyed by guid.
    pub async fn session_sequences(&self, slug: &str) -> Result<HashMap<String, i64>> {
        let mut tx = self.begin_read().await?;
        let ev = require_event(&mut tx, slug).await?;
        let sequences = sequences_on(&mut tx, ev.event_id).await?;
        tx.commit().await?;
        Ok(sequences)
    }
}

/// An event's shifts and reverts, newest first, inside the caller's
/// transaction.
pub(super) async fn shifts_on(conn: &mut AnyConnection, event_id: i64) -> Result<Vec<ShiftRecord>> {
    let rows = sqlx::query(
        "select s.shift_id, s.schedule_version, s.kind, s.reverts_shift_id, \
         r.shift_id as reverted_by, s.amended_into, s.actor, s.reason, s.preview_json, \
         s.created_at, v.summary from shift s \
         left join shift r on r.reverts_shift_id = s.shift_id \
         left join schedule_version v \
         on v.event_id = s.event_id and v.version = s.schedule_version \
         where s.event_id = $1 order by s.schedule_version desc",
    )
    .bind(event_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ShiftRecord {
                shift_id: r.try_get("shift_id")?,
                version: r.try_get("schedule_version")?,
                kind: stored_kind(&r.try_get::<String, _>("kind")?)?,
                reverts_shift_id: r.try_get("reverts_shift_id")?,
                reverted_by: r.try_get("reverted_by")?,
                amended_into: r.try_get("amended_into")?,
                actor: r.try_get("actor")?,
                reason: r.try_get("reason")?,
                summary: r
                    .try_get::<Option<String>, _>("summary")?
                    .unwrap_or_default(),
                preview: parse_preview(&r.try_get::<String, _>("preview_json")?)?,
                created_at: instant(r, "created_at")?,
            })
        })
        .collect()
}

/// Each session's iCalendar SEQUENCE, keyed by guid, inside the caller's
/// transaction.
pub(super) async fn sequences_on(
    conn: &mut AnyConnection,
    event_id: i64,
) -> Result<HashMap<String, i64>> {
    let rows = sqlx::query("select guid, sequence from session where event_id = $1")
        .bind(event_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("guid")?, r.try_get("sequence")?)))
        .collect()
}

/// Bumps the event's schedule version, which locks its row (SQLite: takes
/// the write lock) so concurrent shifts and imports of one event serialise.
pub(super) async fn lock_event(conn: &mut AnyConnection, slug: &str, now: i64) -> Result<EventRow> {
    let row = sqlx::query(
        "update event set schedule_version = schedule_version + 1, updated_at = $2 \
         where slug = $1 \
         returning event_id, slug, name, time_zone, start_date, end_date, schedule_version, \
         min_break_min, qa_cut_min",
    )
    .bind(slug)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| AppError::not_found(format!("event {slug}")))?;
    event_row(&row)
}

/// A stored shift kind; an unknown word means something else wrote it.
pub(super) fn stored_kind(s: &str) -> Result<ShiftKind> {
    ShiftKind::parse(s)
        .ok_or_else(|| AppError::Internal(format!("unknown stored shift kind {s:?}")))
}

fn parse_preview(json: &str) -> Result<ShiftPreview> {
    serde_json::from_str(json)
        .map_err(|e| AppError::Internal(format!("stored shift preview is unreadable: {e}")))
}

/// Everything a shift or revert writes besides the version bump.
struct Write<'a> {
    kind: ShiftKind,
    reverts: Option<i64>,
    actor: &'a str,
    reason: &'a str,
    summary: &'a str,
    preview: &'a ShiftPreview,
}

impl Write<'_> {
    /// Moves the sessions (raising their sequence), then records the
    /// version, the shift row and a change; returns the shift's id.
    async fn run(&self, conn: &mut AnyConnection, ev: &EventRow, now: i64) -> Result<i64> {
        for m in &self.preview.moved {
            sqlx::query(
                "update session set start_at = $3, sequence = sequence + 1, updated_at = $4 \
                 where event_id = $1 and guid = $2",
            )
            .bind(ev.event_id)
            .bind(&m.guid)
            .bind(unix(m.new_start))
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
        let json =
            serde_json::to_string(self.preview).map_err(|e| AppError::Internal(e.to_string()))?;
        sqlx::query(
            "insert into schedule_version \
             (event_id, version, kind, actor, reason, summary, changes_json, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(ev.event_id)
        .bind(ev.version)
        .bind(self.kind.as_str())
        .bind(self.actor)
        .bind(self.reason)
        .bind(self.summary)
        .bind(&json)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        let row = sqlx::query(
            "insert into shift (event_id, schedule_version, kind, reverts_shift_id, actor, \
             reason, preview_json, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8) \
             returning shift_id",
        )
        .bind(ev.event_id)
        .bind(ev.version)
        .bind(self.kind.as_str())
        .bind(self.reverts)
        .bind(self.actor)
        .bind(self.reason)
        .bind(&json)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        let shift_id: i64 = row.try_get("shift_id")?;
        let mut payload = serde_json::json!({
            "version": ev.version,
            "kind": self.kind.as_str(),
            "shift_id": shift_id,
        });
        if let Some(reverted) = self.reverts {
            payload["reverts_shift_id"] = reverted.into();
        }
        changes::append(conn, ev.event_id, ChangeKind::Schedule, &payload, now).await?;
        Ok(shift_id)
    }
}

//! The per-event change log: one ordered sequence of everything written to
//! an event, so readers (live pages, caches) can tell what they have missed.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::events::require_event;
use super::{Store, instant};
use crate::domain::change::ChangeKind;
use crate::error::Result;

/// One change-log entry, as live pages receive it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeRecord {
    /// Gap-free, increasing per event; the SSE event id.
    pub seq: i64,
    /// What changed: a [`ChangeKind`]'s word (kept as stored, so a kind
    /// written by a newer version still reaches pages).
    pub kind: String,
    /// A small JSON object naming what changed.
    pub payload_json: String,
    pub created_at: DateTime<Utc>,
}

/// Appends an entry to an event's change log and returns its sequence
/// number. Call it inside the transaction that made the change, after the
/// event row is locked, so numbers are gap-free and never reused.
pub(super) async fn append(
    conn: &mut AnyConnection,
    event_id: i64,
    kind: ChangeKind,
    payload: &serde_json::Value,
    now: i64,
) -> Result<i64> {
    let row = sqlx::query(
        "insert into change_log (event_id, seq, kind, payload_json, created_at) \
         select $1, coalesce(max(seq), 0) + 1, $2, $3, $4 from change_log where event_id = $1 \
         returning seq",
    )
    .bind(event_id)
    .bind(kind.as_str())
    .bind(payload.to_string())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let seq: i64 = row.try_get("seq")?;
    notify(conn, event_id, seq).await?;
    Ok(seq)
}

/// Tells the other instances that the event's view changed without a
/// change-log entry (a speaker link issued: organiser pages show it).
/// Inside the writing transaction, like [`append`].
pub(super) async fn touch(conn: &mut AnyConnection, event_id: i64) -> Result<()> {
    notify(conn, event_id, 0).await
}

/// On PostgreSQL every instance listens (see `server::notify`): the
/// notification goes out when this transaction commits and never if it
/// rolls back, so no instance hears of a change it cannot read yet. SQLite
/// serves one instance, which refreshes itself after each write.
async fn notify(conn: &mut AnyConnection, event_id: i64, seq: i64) -> Result<()> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query(
            "select pg_notify($1, cast($2 as text) || ' ' || slug) from event where event_id = $3",
        )
        .bind(CHANGE_CHANNEL)
        .bind(seq)
        .bind(event_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The PostgreSQL `NOTIFY` channel of committed changes. The payload is
/// `"{seq} {slug}"`: the change-log position first, so a listener can skip
/// what it already has (0: no entry, refresh the view anyway), then the
/// event (split on the first space, whatever the slug holds).
pub const CHANGE_CHANNEL: &str = "marquee_change";

/// Reads a [`CHANGE_CHANNEL`] payload: (seq, slug).
pub fn parse_change_payload(payload: &str) -> Option<(i64, &str)> {
    let (seq, slug) = payload.split_once(' ')?;
    (!slug.is_empty()).then_some(())?;
    Some((seq.parse().ok()?, slug))
}

impl Store {
    /// The sequence number of the event's newest change-log entry; 0 when it
    /// has none.
    pub async fn last_change_seq(&self, slug: &str) -> Result<i64> {
        let mut tx = self.begin_read().await?;
        let ev = require_event(&mut tx, slug).await?;
        let row =
            sqlx::query("select coalesce(max(seq), 0) as seq from change_log where event_id = $1")
                .bind(ev.event_id)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(row.try_get("seq")?)
    }

    /// The event's change-log entries after `seq` (for resuming a live
    /// stream), oldest first, at most `limit` of them.
    pub async fn changes_since(
        &self,
        slug: &str,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<ChangeRecord>> {
        let mut tx = self.begin_read().await?;
        let ev = require_event(&mut tx, slug).await?;
        let rows = sqlx::query(
            "select seq, kind, payload_json, created_at from change_log \
             where event_id = $1 and seq > $2 order by seq limit $3",
        )
        .bind(ev.event_id)
        .bind(seq)
        .bind(limit.max(0))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(ChangeRecord {
                    seq: r.try_get("seq")?,
                    kind: r.try_get("kind")?,
                    payload_json: r.try_get("payload_json")?,
                    created_at: instant(r, "created_at")?,
                })
            })
            .collect()
    }
}

//! Importing a whole schedule: diff against what is stored, then apply the
//! difference in one transaction that also records a version and a change.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use chrono::{DateTime, Utc};

use super::events::{EventRow, event_row, load_on};
use super::status_components::sync_streams;
use super::{Store, changes, unix, validate};
use crate::domain::change::ChangeKind;
use crate::domain::diff::{ScheduleDiff, diff_schedules};
use crate::domain::schedule::{Event, Schedule, Session};
use crate::error::{AppError, Result};

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    /// The schedule version after the import (unchanged when `diff` is empty).
    pub version: i64,
    /// Whether this import created the event.
    pub created_event: bool,
    pub diff: ScheduleDiff,
}

impl Store {
    /// Replaces an event's schedule with `incoming`, creating the event if
    /// needed. An empty diff writes nothing; otherwise the changes, the
    /// tracks' stream components (see [`Store::sync_track_components`]), a
    /// new version (kind `import`) and a change-log entry are committed
    /// together, or nothing is. Every importer (the API, `marquee import`,
    /// `marquee demo`) therefore leaves the same state.
    pub async fn import_schedule(
        &self,
        incoming: &Schedule,
        actor: &str,
        reason: &str,
    ) -> Result<ImportOutcome> {
        self.import_schedule_at(incoming, actor, reason, Utc::now())
            .await
    }

    /// [`Store::import_schedule`] as of `now` (what it stamps and records).
    pub async fn import_schedule_at(
        &self,
        incoming: &Schedule,
        actor: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<ImportOutcome> {
        let mut incoming = validate::normalised(incoming)?;
        let now = unix(now);
        let mut tx = self.pool.begin().await?;

        // Writing the event row first takes its lock (SQLite: the database's
        // write lock), so concurrent imports of one event run one after the
        // other and each diffs against what the previous one committed.
        let (locked, created) = lock_event(&mut tx, &incoming.event, now).await?;
        let (event_id, version) = (locked.event_id, locked.version);
        let stored = if created {
            // An empty stand-in whose event differs, so a new event always
            // gets version 1 even when its schedule is empty.
            Schedule {
                event: Event {
                    name: String::new(),
                    ..incoming.event.clone()
                },
                tracks: vec![],
                speakers: vec![],
                sessions: vec![],
                version: 0,
            }
        } else {
            load_on(&mut tx, &locked).await?
        };
        incoming.keep_pins_of(&stored);
        let diff = diff_schedules(&stored, &incoming);
        if diff.is_empty() {
            // Undoes the version bump: an identical re-import changes nothing.
            tx.rollback().await?;
            return Ok(ImportOutcome {
                version: version - 1,
                created_event: false,
                diff,
            });
        }

        apply(&mut tx, event_id, &incoming, &diff, now).await?;
        sqlx::query(
            "insert into schedule_version \
             (event_id, version, kind, actor, reason, summary, changes_json, created_at) \
             values ($1, $2, 'import', $3, $4, $5, $6, $7)",
        )
        .bind(event_id)
        .bind(version)
        .bind(actor)
        .bind(reason)
        .bind(diff.summary())
        .bind(serde_json::to_string(&diff).map_err(|e| AppError::Internal(e.to_string()))?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let payload = serde_json::json!({ "version": version, "kind": "import" });
        changes::append(&mut tx, event_id, ChangeKind::Schedule, &payload, now).await?;
        // The tracks' stream components follow in the same transaction, so
        // no importer can leave a track without one.
        sync_streams(&mut tx, event_id, now).await?;
        tx.commit().await?;
        Ok(ImportOutcome {
            version,
            created_event: created,
            diff,
        })
    }
}

/// Bumps the event's schedule version (locking its row) or creates the event
/// at version 1. Returns the stored event with its new version, and whether
/// it was created.
async fn lock_event(conn: &mut AnyConnection, ev: &Event, now: i64) -> Result<(EventRow, bool)> {
    // Two rounds: if another import creates the event between our UPDATE and
    // INSERT, the INSERT does nothing and the second UPDATE finds the row.
    for _ in 0..2 {
        let bumped = sqlx::query(
            "update event set schedule_version = schedule_version + 1 where slug = $1 \
             returning event_id, slug, name, time_zone, start_date, end_date, schedule_version, \
         min_break_min, qa_cut_min",
        )
        .bind(&ev.slug)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = bumped {
            return Ok((event_row(&row)?, false));
        }
        let created = sqlx::query(
            "insert into event \
             (slug, name, time_zone, start_date, end_date, schedule_version, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, 1, $6, $6) on conflict (slug) do nothing \
             returning event_id",
        )
        .bind(&ev.slug)
        .bind(&ev.name)
        .bind(&ev.time_zone)
        .bind(ev.start_date.to_string())
        .bind(ev.end_date.to_string())
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = created {
            let event_id = row.try_get("event_id")?;
            return Ok((
                EventRow {
                    event_id,
                    event: ev.clone(),
                    version: 1,
                    catch_up_rules: Default::default(),
                },
                true,
            ));
        }
    }
    Err(AppError::Internal(format!(
        "could not create or lock event {}",
        ev.slug
    )))
}

/// Writes the difference: event fields, tracks, speakers, added and changed
/// sessions, then deletes what the incoming schedule no longer has.
async fn apply(
    conn: &mut AnyConnection,
    event_id: i64,
    s: &Schedule,
    diff: &ScheduleDiff,
    now: i64,
) -> Result<()> {
    let ev = &s.event;
    sqlx::query(
        "update event set name = $2, time_zone = $3, start_date = $4, end_date = $5, \
         updated_at = $6 where event_id = $1",
    )
    .bind(event_id)
    .bind(&ev.name)
    .bind(&ev.time_zone)
    .bind(ev.start_date.to_string())
    .bind(ev.end_date.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;

    let mut track_ids = HashMap::new();
    for t in &s.tracks {
        let row = sqlx::query(
            "insert into track (event_id, slug, name, color, stream_url, position) \
             values ($1, $2, $3, $4, $5, $6) on conflict (event_id, slug) do update set \
             name = excluded.name, color = excluded.color, stream_url = excluded.stream_url, \
             position = excluded.position returning track_id",
        )
        .bind(event_id)
        .bind(&t.slug)
        .bind(&t.name)
        .bind(&t.color)
        .bind(t.stream_url.as_deref())
        .bind(t.position)
        .fetch_one(&mut *conn)
        .await?;
        track_ids.insert(t.slug.as_str(), row.try_get::<i64, _>("track_id")?);
    }

    let mut speaker_ids = HashMap::new();
    for sp in &s.speakers {
        let row = sqlx::query(
            "insert into speaker (event_id, key, name, email) values ($1, $2, $3, $4) \
             on conflict (event_id, key) do update set name = excluded.name, \
             email = excluded.email returning speaker_id",
        )
        .bind(event_id)
        .bind(&sp.key)
        .bind(&sp.name)
        .bind(sp.email.as_deref())
        .fetch_one(&mut *conn)
        .await?;
        speaker_ids.insert(sp.key.as_str(), row.try_get::<i64, _>("speaker_id")?);
    }

    // Unchanged sessions are left alone; only added and changed ones are
    // written, with their speaker billing rewritten.
    let touched: HashSet<&str> = diff
        .added
        .iter()
        .map(String::as_str)
        .chain(diff.changed.iter().map(|c| c.guid.as_str()))
        .collect();
    for session in s
        .sessions
        .iter()
        .filter(|x| touched.contains(x.guid.as_str()))
    {
        upsert_session(conn, event_id, session, &track_ids, &speaker_ids, now).await?;
    }
    for guid in &diff.removed {
        sqlx::query("delete from session where event_id = $1 and guid = $2")
            .bind(event_id)
            .bind(guid)
            .execute(&mut *conn)
            .await?;
    }

    // Tracks and speakers the file no longer has; validation guarantees no
    // remaining session refers to them.
    for (table, key, kept) in [
        (
            "track",
            "slug",
            track_ids.keys().copied().collect::<HashSet<_>>(),
        ),
        ("speaker", "key", speaker_ids.keys().copied().collect()),
    ] {
        let rows = sqlx::query(&format!(
            "select {table}_id, {key} from {table} where event_id = $1"
        ))
        .bind(event_id)
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            let name: String = row.try_get(key)?;
            if !kept.contains(name.as_str()) {
                let id: i64 = row.try_get(format!("{table}_id").as_str())?;
                sqlx::query(&format!("delete from {table} where {table}_id = $1"))
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    Ok(())
}

async fn upsert_session(
    conn: &mut AnyConnection,
    event_id: i64,
    s: &Session,
    track_ids: &HashMap<&str, i64>,
    speaker_ids: &HashMap<&str, i64>,
    now: i64,
) -> Result<()> {
    let row = sqlx::query(
        "insert into session (event_id, guid, title, abstract_md, kind, start_at, duration_min, \
         track_id, language, pinned, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
         on conflict (event_id, guid) do update set title = excluded.title, \
         sequence = session.sequence + case when session.start_at <> excluded.start_at \
         or session.duration_min <> excluded.duration_min then 1 else 0 end, \
         abstract_md = excluded.abstract_md, kind = excluded.kind, start_at = excluded.start_at, \
         duration_min = excluded.duration_min, track_id = excluded.track_id, \
         language = excluded.language, pinned = excluded.pinned, updated_at = excluded.updated_at \
         returning session_id",
    )
    .bind(event_id)
    .bind(&s.guid)
    .bind(&s.title)
    .bind(&s.abstract_md)
    .bind(s.kind.as_str())
    .bind(unix(s.start))
    .bind(s.duration_min)
    .bind(track_ids[s.track.as_str()])
    .bind(s.language.as_deref())
    .bind(s.pinned)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let session_id: i64 = row.try_get("session_id")?;

    sqlx::query("delete from session_speaker where session_id = $1")
        .bind(session_id)
        .execute(&mut *conn)
        .await?;
    for (position, key) in s.speakers.iter().enumerate() {
        sqlx::query(
            "insert into session_speaker (session_id, speaker_id, position) values ($1, $2, $3)",
        )
        .bind(session_id)
        .bind(speaker_ids[key.as_str()])
        .bind(position as i64)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

//! Reading events, whole schedules and their version history.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Store, instant};
use crate::domain::replan::CatchUpRules;
use crate::domain::schedule::{Event, Schedule, Session, SessionKind, Speaker, Track};
use crate::error::{AppError, Result};

/// One entry of an event's schedule history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleVersion {
    pub version: i64,
    /// `import`, `shift` or `revert`.
    pub kind: String,
    pub actor: String,
    pub reason: String,
    pub summary: String,
    pub created_at: DateTime<Utc>,
}

/// An event row: the domain event plus its key and schedule version.
pub(super) struct EventRow {
    pub event_id: i64,
    pub event: Event,
    pub version: i64,
    /// The organisers' catch-up rules (the defaults where none are set).
    pub catch_up_rules: CatchUpRules,
}

const EVENT_COLUMNS: &str = "select event_id, slug, name, time_zone, start_date, end_date, \
     schedule_version, min_break_min, qa_cut_min from event";

fn date(row: &AnyRow, col: &str) -> Result<NaiveDate> {
    let s: String = row.try_get(col)?;
    NaiveDate::parse_from_str(&s, "%Y-%m-%d")
        .map_err(|e| AppError::Internal(format!("{col}: bad stored date {s:?}: {e}")))
}

pub(super) fn event_row(row: &AnyRow) -> Result<EventRow> {
    Ok(EventRow {
        event_id: row.try_get("event_id")?,
        event: Event {
            slug: row.try_get("slug")?,
            name: row.try_get("name")?,
            time_zone: row.try_get("time_zone")?,
            start_date: date(row, "start_date")?,
            end_date: date(row, "end_date")?,
        },
        version: row.try_get("schedule_version")?,
        catch_up_rules: {
            let default = CatchUpRules::default();
            CatchUpRules {
                min_break_min: row
                    .try_get::<Option<i64>, _>("min_break_min")?
                    .unwrap_or(default.min_break_min),
                qa_cut_min: row
                    .try_get::<Option<i64>, _>("qa_cut_min")?
                    .unwrap_or(default.qa_cut_min),
            }
        },
    })
}

/// The event with this slug, if any.
pub(super) async fn find_event(conn: &mut AnyConnection, slug: &str) -> Result<Option<EventRow>> {
    let row = sqlx::query(&format!("{EVENT_COLUMNS} where slug = $1"))
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(event_row).transpose()
}

/// Like [`find_event`], but an unknown slug is a 404.
pub(super) async fn require_event(conn: &mut AnyConnection, slug: &str) -> Result<EventRow> {
    find_event(conn, slug)
        .await?
        .ok_or_else(|| AppError::not_found(format!("event {slug}")))
}

/// Loads everything stored for one event, in the documented order.
pub(super) async fn load_on(conn: &mut AnyConnection, ev: &EventRow) -> Result<Schedule> {
    let tracks = sqlx::query(
        "select slug, name, color, stream_url, position from track \
         where event_id = $1 order by position, slug",
    )
    .bind(ev.event_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(Track {
            slug: r.try_get("slug")?,
            name: r.try_get("name")?,
            color: r.try_get("color")?,
            stream_url: r.try_get("stream_url")?,
            position: r.try_get("position")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;

    let speakers =
        sqlx::query("select key, name, email from speaker where event_id = $1 order by name, key")
            .bind(ev.event_id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| {
                Ok(Speaker {
                    key: r.try_get("key")?,
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;

    let mut billing: HashMap<i64, Vec<String>> = HashMap::new();
    for r in sqlx::query(
        "select ss.session_id, sp.key from session_speaker ss \
         join speaker sp on sp.speaker_id = ss.speaker_id \
         where sp.event_id = $1 order by ss.session_id, ss.position",
    )
    .bind(ev.event_id)
    .fetch_all(&mut *conn)
    .await?
    {
        billing
            .entry(r.try_get("session_id")?)
            .or_default()
            .push(r.try_get("key")?);
    }

    // SQLite reports a BOOLEAN column with a type the Any driver rejects, so
    // `pinned` and `cancelled` are read as integer expressions on both
    // backends.
    let sessions = sqlx::query(
        "select s.session_id, s.guid, s.title, s.abstract_md, s.kind, s.start_at, \
         s.duration_min, t.slug as track_slug, s.language, \
         case when s.pinned then 1 else 0 end as pinned_int, \
         case when s.cancelled then 1 else 0 end as cancelled_int \
         from session s join track t on t.track_id = s.track_id \
         where s.event_id = $1 order by s.start_at, t.position, t.slug, s.guid",
    )
    .bind(ev.event_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        let kind: String = r.try_get("kind")?;
        let session_id: i64 = r.try_get("session_id")?;
        let pinned: i64 = r.try_get("pinned_int")?;
        let cancelled: i64 = r.try_get("cancelled_int")?;
        Ok(Session {
            guid: r.try_get("guid")?,
            title: r.try_get("title")?,
            abstract_md: r.try_get("abstract_md")?,
            kind: SessionKind::parse(&kind).ok_or_else(|| {
                AppError::Internal(format!("unknown stored session kind {kind:?}"))
            })?,
            start: instant(r, "start_at")?,
            duration_min: r.try_get("duration_min")?,
            track: r.try_get("track_slug")?,
            language: r.try_get("language")?,
            pinned: pinned != 0,
            speakers: billing.remove(&session_id).unwrap_or_default(),
            cancelled: cancelled != 0,
        })
    })
    .collect::<Result<Vec<_>>>()?;

    Ok(Schedule {
        event: ev.event.clone(),
        tracks,
        speakers,
        sessions,
        version: ev.version,
    })
}

impl Store {
    /// All events, ordered by start date, then slug.
    pub async fn list_events(&self) -> Result<Vec<Event>> {
        let rows = sqlx::query(&format!("{EVENT_COLUMNS} order by start_date, slug"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(event_row(r)?.event)).collect()
    }

    /// One event's whole schedule, read from a single snapshot; `None` for
    /// an unknown slug. Tracks come by position, sessions by start then
    /// track, speakers by name.
    pub async fn load_schedule(&self, slug: &str) -> Result<Option<Schedule>> {
        let mut tx = self.begin_read().await?;
        let schedule = match find_event(&mut tx, slug).await? {
            Some(ev) => Some(load_on(&mut tx, &ev).await?),
            None => None,
        };
        tx.commit().await?;
        Ok(schedule)
    }

    /// Every event's schedule (what the read model is built from at start).
    pub async fn load_all(&self) -> Result<Vec<Schedule>> {
        let mut tx = self.begin_read().await?;
        let rows = sqlx::query(&format!("{EVENT_COLUMNS} order by start_date, slug"))
            .fetch_all(&mut *tx)
            .await?;
        let mut all = Vec::with_capacity(rows.len());
        for row in &rows {
            all.push(load_on(&mut tx, &event_row(row)?).await?);
        }
        tx.commit().await?;
        Ok(all)
    }

    /// An event's schedule history, newest first.
    pub async fn schedule_versions(&self, slug: &str) -> Result<Vec<ScheduleVersion>> {
        let mut tx = self.begin_read().await?;
        let ev = require_event(&mut tx, slug).await?;
        let versions = versions_on(&mut tx, ev.event_id).await?;
        tx.commit().await?;
        Ok(versions)
    }
}

/// An event's schedule history, newest first, inside the caller's transaction.
pub(super) async fn versions_on(
    conn: &mut AnyConnection,
    event_id: i64,
) -> Result<Vec<ScheduleVersion>> {
    let rows = sqlx::query(
        "select version, kind, actor, reason, summary, created_at from schedule_version \
         where event_id = $1 and amended_into is null order by version desc",
    )
    .bind(event_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ScheduleVersion {
                version: r.try_get("version")?,
                kind: r.try_get("kind")?,
                actor: r.try_get("actor")?,
                reason: r.try_get("reason")?,
                summary: r.try_get("summary")?,
                created_at: instant(r, "created_at")?,
            })
        })
        .collect()
}

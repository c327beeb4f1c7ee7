//! What the team writes and reads after an incident: postmortems, the
//! event's own incident templates, and the facts of the post-event report
//! that only the database holds (when pages and pushes got each change).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::changes;
use super::status::{MAX_BODY, checked_len, lock_event};
use super::{Store, instant, unix};
use crate::domain::change::ChangeKind;
use crate::error::{AppError, Result};

/// Longest template title.
pub const TEMPLATE_TITLE_MAX: usize = 200;

/// An incident template of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentTemplate {
    /// What forms and `--template` name it by (a slug).
    pub key: String,
    pub title: String,
    pub body_md: String,
}

/// Report facts from the database, keyed for the server to join.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportTimes {
    /// Incident id → first change-log entry about it.
    pub incident_pages: HashMap<i64, DateTime<Utc>>,
    /// Shift id → first change-log entry about it.
    pub shift_pages: HashMap<i64, DateTime<Utc>>,
    /// Notice id → last successful delivery.
    pub last_delivered: HashMap<i64, DateTime<Utc>>,
    /// (shift id, speaker key, answer, when).
    pub answers: Vec<(i64, String, String, DateTime<Utc>)>,
}

impl Store {
    /// Sets (or with a blank text clears) an incident's postmortem; open
    /// pages learn it from the change log like any incident change.
    pub async fn set_postmortem(
        &self,
        slug: &str,
        incident_id: i64,
        md: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let md = md.trim();
        checked_len("postmortem", md, MAX_BODY)?;
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        let done = sqlx::query(
            "update incident set postmortem_md = $3, updated_at = $4 \
             where incident_id = $1 and event_id = $2",
        )
        .bind(incident_id)
        .bind(ev.event_id)
        .bind((!md.is_empty()).then(|| md.to_owned()))
        .bind(unix(now))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(AppError::not_found(format!("incident {incident_id}")));
        }
        let payload = serde_json::json!({ "incident_id": incident_id, "postmortem": true });
        changes::append(
            &mut tx,
            ev.event_id,
            ChangeKind::Incident,
            &payload,
            unix(now),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An event's own templates, by key.
    pub async fn list_templates(&self, slug: &str) -> Result<Vec<IncidentTemplate>> {
        let rows = sqlx::query(
            "select t.template_key, t.title, t.body_md from incident_template t \
             join event e on e.event_id = t.event_id where e.slug = $1 order by t.template_key",
        )
        .bind(slug)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(IncidentTemplate {
                    key: r.try_get("template_key")?,
                    title: r.try_get("title")?,
                    body_md: r.try_get("body_md")?,
                })
            })
            .collect()
    }

    /// Adds or replaces one of an event's templates.
    pub async fn save_template(
        &self,
        slug: &str,
        t: &IncidentTemplate,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let key_ok = t.key.len() <= 64
            && t.key
                .starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && t.key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !key_ok {
            return Err(AppError::invalid(
                "key",
                "use lowercase letters, digits, dashes and underscores (like stream_down)",
            ));
        }
        let title = t.title.trim();
        if title.is_empty() {
            return Err(AppError::invalid("title", "required"));
        }
        checked_len("title", title, TEMPLATE_TITLE_MAX)?;
        let body = t.body_md.trim();
        if body.is_empty() {
            return Err(AppError::invalid("body", "required"));
        }
        checked_len("body", body, MAX_BODY)?;
        let done = sqlx::query(
            "insert into incident_template (event_id, template_key, title, body_md, created_at, updated_at) \
             select event_id, $2, $3, $4, $5, $5 from event where slug = $1 \
             on conflict (event_id, template_key) do update set title = excluded.title, \
             body_md = excluded.body_md, updated_at = excluded.updated_at",
        )
        .bind(slug)
        .bind(&t.key)
        .bind(title)
        .bind(body)
        .bind(unix(now))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(AppError::not_found(format!("event {slug}")));
        }
        Ok(())
    }

    /// Deletes one of an event's templates.
    pub async fn delete_template(&self, slug: &str, key: &str) -> Result<()> {
        let done = sqlx::query(
            "delete from incident_template where template_key = $2 \
             and event_id = (select event_id from event where slug = $1)",
        )
        .bind(slug)
        .bind(key)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(AppError::not_found(format!("template {key:?}")));
        }
        Ok(())
    }

    /// When open pages and pushes got each change of an event, and the
    /// speakers' answers.
    pub async fn report_times(&self, slug: &str) -> Result<ReportTimes> {
        let mut out = ReportTimes::default();
        let changes = sqlx::query(
            "select c.kind, c.payload_json, c.created_at from change_log c \
             join event e on e.event_id = c.event_id where e.slug = $1 and c.kind in ($2, $3) \
             order by c.seq",
        )
        .bind(slug)
        .bind(ChangeKind::Incident.as_str())
        .bind(ChangeKind::Schedule.as_str())
        .fetch_all(&self.pool)
        .await?;
        for r in &changes {
            let payload: String = r.try_get("payload_json")?;
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&payload) else {
                continue;
            };
            let at = instant(r, "created_at")?;
            if let Some(id) = v.get("incident_id").and_then(|v| v.as_i64()) {
                out.incident_pages.entry(id).or_insert(at);
            }
            if let Some(id) = v.get("shift_id").and_then(|v| v.as_i64()) {
                out.shift_pages.entry(id).or_insert(at);
            }
        }
        let sent = sqlx::query(
            "select d.push_notice_id, max(d.updated_at) as last from push_delivery d \
             join push_notice n on n.push_notice_id = d.push_notice_id \
             join event e on e.event_id = n.event_id \
             where e.slug = $1 and d.state = 'sent' group by d.push_notice_id",
        )
        .bind(slug)
        .fetch_all(&self.pool)
        .await?;
        for r in &sent {
            out.last_delivered
                .insert(r.try_get("push_notice_id")?, instant(r, "last")?);
        }
        let answers = sqlx::query(
            "select a.shift_id, a.speaker_key, a.answer, a.answered_at from speaker_answer a \
             join shift s on s.shift_id = a.shift_id join event e on e.event_id = s.event_id \
             where e.slug = $1 order by a.answered_at",
        )
        .bind(slug)
        .fetch_all(&self.pool)
        .await?;
        for r in &answers {
            out.answers.push((
                r.try_get("shift_id")?,
                r.try_get("speaker_key")?,
                r.try_get("answer")?,
                instant(r, "answered_at")?,
            ));
        }
        Ok(out)
    }
}

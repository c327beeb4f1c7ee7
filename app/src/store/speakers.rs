//! Speakers' side of the store: their secret links (`/s/{token}`; issuing
//! one revokes the previous and cuts off the push subscriptions made with
//! it; links expire a while after the event, see `domain::speaker_link`;
//! only token hashes are stored) and their answers to shifts that moved
//! their talks.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{AnyConnection, Row};

use super::events::{find_event, load_on, require_event};
use super::proposals::AnswerIn;
use super::status::lock_event;
use super::{Store, changes, instant, push, to_json, unix};
use crate::domain::change::ChangeKind;
use crate::domain::replan::{AskedSlot, ChangePreview, Reply, Slot, SpeakerAnswer, asks_for};
use crate::domain::shift::ShiftPreview;
use crate::domain::speaker::Answer;
use crate::domain::speaker_link;
use crate::domain::time::parse_zone;
use crate::error::{AppError, Result};

/// Whose page a speaker link opens, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeakerLink {
    pub event_slug: String,
    pub speaker_key: String,
    pub expires_at: DateTime<Utc>,
}

impl SpeakerLink {
    /// Whether the link still opens the page (and may subscribe, answer).
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

/// Whether a speaker has a live link, and since when (for the admin list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeakerLinkInfo {
    pub speaker_key: String,
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// Stores a new link for a speaker, revoking the old one, atomically.
    pub async fn issue_speaker_link(
        &self,
        slug: &str,
        speaker_key: &str,
        token_hash: &str,
    ) -> Result<()> {
        self.issue_speaker_link_at(slug, speaker_key, token_hash, Utc::now())
            .await
    }

    /// [`Store::issue_speaker_link`] as if issued at `now` (the link's
    /// expiry counts from it when that is after the event).
    pub async fn issue_speaker_link_at(
        &self,
        slug: &str,
        speaker_key: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let now = unix(now);
        let mut tx = self.pool.begin().await?;
        // The event's lock first (a write): on SQLite a transaction that
        // reads first cannot wait for the write lock, and fails at once
        // with "database is locked" when another writer got in between.
        let event_id = lock_event(&mut tx, slug).await?.event_id;
        let known = sqlx::query("select 1 from speaker where event_id = $1 and key = $2")
            .bind(event_id)
            .bind(speaker_key)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(AppError::invalid(
                "speaker",
                format!("no speaker {speaker_key:?} in event {slug:?}"),
            ));
        }
        sqlx::query("update speaker_link set revoked_at = $3 where event_id = $1 and speaker_key = $2 and revoked_at is null")
            .bind(event_id)
            .bind(speaker_key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        // Every subscription of this speaker was made with an older link
        // (there is one live link at a time): whoever holds a leaked one
        // must hear nothing more. Marked gone like a 404/410 endpoint, so
        // the worker skips it; the speaker re-subscribes with the new link.
        sqlx::query(
            "update push_subscription set gone_at = $3 \
             where event_id = $1 and speaker_key = $2 and gone_at is null",
        )
        .bind(event_id)
        .bind(speaker_key)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("insert into speaker_link (event_id, speaker_key, token_hash, created_at) values ($1, $2, $3, $4)")
            .bind(event_id)
            .bind(speaker_key)
            .bind(token_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        changes::touch(&mut tx, event_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The not revoked link with this token hash, expired or not (the page
    /// tells an expired link from a wrong one; see [`SpeakerLink::is_live`]).
    pub async fn find_speaker_link(&self, token_hash: &str) -> Result<Option<SpeakerLink>> {
        let row = sqlx::query(
            "select e.slug, e.end_date, e.time_zone, l.speaker_key, l.created_at \
             from speaker_link l join event e on e.event_id = l.event_id \
             where l.token_hash = $1 and l.revoked_at is null",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| -> Result<SpeakerLink> {
            let end: String = r.try_get("end_date")?;
            let end = NaiveDate::parse_from_str(&end, "%Y-%m-%d")
                .map_err(|e| AppError::Internal(format!("event end_date {end:?}: {e}")))?;
            let zone: String = r.try_get("time_zone")?;
            let tz = zone.parse::<chrono_tz::Tz>().unwrap_or(chrono_tz::UTC);
            let issued =
                DateTime::from_timestamp(r.try_get::<i64, _>("created_at")?, 0).unwrap_or_default();
            Ok(SpeakerLink {
                event_slug: r.try_get("slug")?,
                speaker_key: r.try_get("speaker_key")?,
                expires_at: speaker_link::expires_at(end, tz, issued),
            })
        })
        .transpose()
    }

    /// Speakers of an event that have a live link.
    pub async fn speaker_links(&self, slug: &str) -> Result<Vec<SpeakerLinkInfo>> {
        let mut tx = self.begin_read().await?;
        let links = match find_event(&mut tx, slug).await? {
            Some(ev) => links_on(&mut tx, ev.event_id).await?,
            None => vec![],
        };
        tx.commit().await?;
        Ok(links)
    }

    /// Records a speaker's plain answer to a shift; see
    /// [`Store::record_speaker_answer_in`].
    pub async fn record_speaker_answer(
        &self,
        slug: &str,
        speaker_key: &str,
        shift_id: i64,
        answer: Answer,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let reply = match answer {
            Answer::Confirmed => Reply::Confirm,
            Answer::Declined => Reply::Decline,
        };
        self.record_speaker_answer_in(slug, speaker_key, shift_id, &AnswerIn::plain(reply), now)
            .await
    }

    /// Records a speaker's answer to a shift, with its reason and what
    /// they can do instead (a later answer replaces an earlier one), and
    /// tells open boards. Refused when the shift moved none of the
    /// speaker's sessions, or the answer is refused (naming the field).
    pub async fn record_speaker_answer_in(
        &self,
        slug: &str,
        speaker_key: &str,
        shift_id: i64,
        input: &AnswerIn,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let at = now;
        let now = unix(now);
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        let row =
            sqlx::query("select preview_json from shift where shift_id = $1 and event_id = $2")
                .bind(shift_id)
                .bind(ev.event_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| {
                    AppError::invalid("shift_id", format!("no shift {shift_id} in event {slug}"))
                })?;
        let preview: ShiftPreview =
            serde_json::from_str(&row.try_get::<String, _>("preview_json")?)
                .map_err(|e| AppError::Internal(format!("shift {shift_id}: {e}")))?;
        let guids: Vec<&str> = preview.moved.iter().map(|m| m.guid.as_str()).collect();
        // What the shift gave their talks is where they are now, unless
        // they moved again since (then that is what the answer is about).
        let schedule = load_on(&mut tx, &ev).await?;
        let slots: Vec<AskedSlot> = schedule
            .sessions
            .iter()
            .filter(|s| guids.contains(&s.guid.as_str()))
            .filter(|s| s.speakers.iter().any(|k| k == speaker_key))
            .map(|s| AskedSlot {
                guid: s.guid.clone(),
                slot: Slot::of(s),
            })
            .collect();
        if slots.is_empty() {
            return Err(AppError::invalid(
                "shift_id",
                format!("shift {shift_id} did not move any of your sessions"),
            ));
        }
        let tz = parse_zone(&ev.event.time_zone)?;
        let detail = input.to_answer(slots, tz, at)?;
        let answer = match input.reply {
            Reply::Confirm => Answer::Confirmed,
            Reply::Decline => Answer::Declined,
        };
        sqlx::query(
            "insert into speaker_answer (shift_id, speaker_key, answer, answered_at, answer_json) \
             values ($1, $2, $3, $4, $5) on conflict (shift_id, speaker_key) do update \
             set answer = excluded.answer, answered_at = excluded.answered_at, \
             answer_json = excluded.answer_json",
        )
        .bind(shift_id)
        .bind(speaker_key)
        .bind(answer.as_str())
        .bind(now)
        .bind(to_json(&detail)?)
        .execute(&mut *tx)
        .await?;
        let payload = serde_json::json!({ "shift_id": shift_id, "answer": answer.as_str() });
        changes::append(
            &mut tx,
            ev.event_id,
            ChangeKind::SpeakerAnswer,
            &payload,
            now,
        )
        .await?;
        super::webhook::enqueue_speaker_answer(
            &mut tx,
            &ev,
            &schedule,
            speaker_key,
            &guids,
            answer.as_str(),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reminds the speakers who have not answered change `shift_id` yet
    /// (one notice asking them again, nothing to attendees); returns their
    /// keys, sorted. Refused for an undo, or a change made before answers
    /// were tracked per change.
    pub async fn remind_change(
        &self,
        slug: &str,
        shift_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let now = unix(now);
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        let row = sqlx::query(
            "select kind, change_json, created_at from shift where shift_id = $1 and event_id = $2",
        )
        .bind(shift_id)
        .bind(ev.event_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::not_found(format!("shift {shift_id} of event {slug}")))?;
        let json = match (
            row.try_get::<String, _>("kind")?.as_str(),
            row.try_get::<Option<String>, _>("change_json")?,
        ) {
            ("shift", Some(json)) => json,
            _ => {
                return Err(AppError::invalid(
                    "shift_id",
                    format!("shift {shift_id} asks no speaker (an undo, or an older shift)"),
                ));
            }
        };
        let change: ChangePreview = serde_json::from_str(&json)
            .map_err(|e| AppError::Internal(format!("shift {shift_id}: {e}")))?;
        let asked_at: i64 = row.try_get("created_at")?;
        let answered: Vec<String> =
            sqlx::query("select speaker_key from speaker_answer where shift_id = $1")
                .bind(shift_id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get("speaker_key"))
                .collect::<std::result::Result<_, _>>()?;
        let schedule = load_on(&mut tx, &ev).await?;
        let waiting: Vec<String> = asks_for(&schedule, &change)
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| !answered.contains(k))
            .collect();
        for key in &waiting {
            sqlx::query(
                "insert into change_ask (shift_id, speaker_key, asked_at, reminded_at) \
                 values ($1, $2, $3, $4) on conflict (shift_id, speaker_key) \
                 do update set reminded_at = excluded.reminded_at",
            )
            .bind(shift_id)
            .bind(key)
            .bind(asked_at)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let moves = push::change_moves(&schedule, &change);
        push::enqueue_speaker_reminder(&mut tx, &ev, shift_id, moves, waiting.clone(), now).await?;
        if !waiting.is_empty() {
            let payload = serde_json::json!({ "shift_id": shift_id, "reminded": waiting.len() });
            changes::append(
                &mut tx,
                ev.event_id,
                ChangeKind::SpeakerAnswer,
                &payload,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(waiting)
    }

    /// The full answers (reason, availability) to shift `shift_id`, by
    /// speaker key; plain answers given before have none.
    pub async fn speaker_answer_details(
        &self,
        shift_id: i64,
    ) -> Result<HashMap<String, SpeakerAnswer>> {
        let rows = sqlx::query(
            "select speaker_key, answer_json from speaker_answer \
             where shift_id = $1 and answer_json is not null",
        )
        .bind(shift_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let json: String = r.try_get("answer_json")?;
                let a = serde_json::from_str(&json)
                    .map_err(|e| AppError::Internal(format!("shift {shift_id} answer: {e}")))?;
                Ok((r.try_get("speaker_key")?, a))
            })
            .collect()
    }

    /// Every speaker answer of an event, for the read model.
    pub async fn event_speaker_answers(
        &self,
        slug: &str,
    ) -> Result<HashMap<(i64, String), Answer>> {
        let mut tx = self.begin_read().await?;
        let ev = require_event(&mut tx, slug).await?;
        let answers = answers_on(&mut tx, ev.event_id).await?;
        tx.commit().await?;
        Ok(answers)
    }

    /// Speakers' answers to a shift: speaker key → (answer, when).
    pub async fn speaker_answers(
        &self,
        shift_id: i64,
    ) -> Result<HashMap<String, (Answer, DateTime<Utc>)>> {
        let rows = sqlx::query(
            "select speaker_key, answer, answered_at from speaker_answer where shift_id = $1",
        )
        .bind(shift_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let a = stored_answer(&r.try_get::<String, _>("answer")?)?;
                Ok((r.try_get("speaker_key")?, (a, instant(r, "answered_at")?)))
            })
            .collect()
    }
}

/// Every speaker answer of an event, inside the caller's transaction.
pub(super) async fn answers_on(
    conn: &mut AnyConnection,
    event_id: i64,
) -> Result<HashMap<(i64, String), Answer>> {
    let rows = sqlx::query(
        "select a.shift_id, a.speaker_key, a.answer from speaker_answer a \
         join shift s on s.shift_id = a.shift_id where s.event_id = $1",
    )
    .bind(event_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let a = stored_answer(&r.try_get::<String, _>("answer")?)?;
            Ok(((r.try_get("shift_id")?, r.try_get("speaker_key")?), a))
        })
        .collect()
}

/// The full answers (reason, availability) to an event's changes, inside
/// the caller's transaction: (shift id, speaker key) → answer.
pub(super) async fn answer_details_on(
    conn: &mut AnyConnection,
    event_id: i64,
) -> Result<HashMap<(i64, String), SpeakerAnswer>> {
    let rows = sqlx::query(
        "select a.shift_id, a.speaker_key, a.answer_json from speaker_answer a \
         join shift s on s.shift_id = a.shift_id \
         where s.event_id = $1 and a.answer_json is not null",
    )
    .bind(event_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let json: String = r.try_get("answer_json")?;
            let a = serde_json::from_str(&json)
                .map_err(|e| AppError::Internal(format!("stored answer: {e}")))?;
            Ok(((r.try_get("shift_id")?, r.try_get("speaker_key")?), a))
        })
        .collect()
}

/// Speakers of an event that have a live link, inside the caller's
/// transaction.
pub(super) async fn links_on(
    conn: &mut AnyConnection,
    event_id: i64,
) -> Result<Vec<SpeakerLinkInfo>> {
    let rows = sqlx::query(
        "select speaker_key, created_at from speaker_link \
         where event_id = $1 and revoked_at is null order by speaker_key",
    )
    .bind(event_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SpeakerLinkInfo {
                speaker_key: r.try_get("speaker_key")?,
                created_at: instant(r, "created_at")?,
            })
        })
        .collect()
}

/// An answer as stored; an unknown word means something else wrote it.
fn stored_answer(s: &str) -> Result<Answer> {
    Answer::parse(s).ok_or_else(|| AppError::Internal(format!("unknown stored answer {s:?}")))
}

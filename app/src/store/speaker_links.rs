//! Secret speaker links (`/s/{token}`). Issuing a link revokes the
//! speaker's previous one and cuts off the push subscriptions made with it;
//! links expire a while after the event (see `domain::speaker_link`). Only
//! token hashes are stored.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::{Store, unix};
use crate::domain::speaker_link;
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
        let event_id: i64 = sqlx::query("select event_id from event where slug = $1")
            .bind(slug)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| AppError::not_found(format!("event {slug:?}")))?
            .try_get("event_id")?;
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
        let rows = sqlx::query(
            "select l.speaker_key, l.created_at from speaker_link l join event e on e.event_id = l.event_id \
             where e.slug = $1 and l.revoked_at is null order by l.speaker_key",
        )
        .bind(slug)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SpeakerLinkInfo {
                    speaker_key: r.try_get("speaker_key")?,
                    created_at: DateTime::from_timestamp(r.try_get::<i64, _>("created_at")?, 0)
                        .unwrap_or_default(),
                })
            })
            .collect()
    }
}

//! Secret speaker links (`/s/{token}`). Issuing a link revokes the
//! speaker's previous one; only token hashes are stored.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, unix};
use crate::error::{AppError, Result};

/// Whose page a speaker link opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeakerLink {
    pub event_slug: String,
    pub speaker_key: String,
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
        let now = unix(Utc::now());
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

    /// The live (not revoked) link with this token hash.
    pub async fn find_speaker_link(&self, token_hash: &str) -> Result<Option<SpeakerLink>> {
        let row = sqlx::query(
            "select e.slug, l.speaker_key from speaker_link l join event e on e.event_id = l.event_id \
             where l.token_hash = $1 and l.revoked_at is null",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| -> Result<SpeakerLink> {
            Ok(SpeakerLink {
                event_slug: r.try_get("slug")?,
                speaker_key: r.try_get("speaker_key")?,
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

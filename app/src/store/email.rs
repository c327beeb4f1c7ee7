//! E-mail subscribers: double opt-in, the links that manage and end a
//! subscription, and a speaker's answer links. Only hashes of tokens are
//! stored; an address is read only to send to it. The outbox side (fan-out,
//! leases, attempts) is in `email/delivery.rs`.

mod board;
mod delivery;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::error::{AppError, Result};
use crate::store::{Store, to_json, unix};

pub use board::{EmailBoard, EmailLogEntry, SpeakerLangs, SubscriberCounts};
pub use delivery::{DueEmail, EmailCounts, EmailOutcome, EmailRecipient, NewEmailLink};

/// A manage/unsubscribe link older than this stops working once a newer
/// one of the same subscriber exists (every mail carries a fresh one, so
/// the latest mail's links always work).
pub const KEEP_LINK_DAYS: i64 = 90;
/// The links of an ended subscription are kept this long, so a mail
/// client retrying a one-click unsubscribe (RFC 8058) is still answered.
pub const KEEP_ENDED_LINK_DAYS: i64 = 30;

/// A subscription as the form or API accepted it (already checked).
#[derive(Debug, Clone)]
pub struct NewEmailSubscriber {
    pub event_slug: String,
    pub address: String,
    pub all_tracks: bool,
    pub tracks: BTreeSet<String>,
    pub lang: String,
    pub time_zone: String,
}

/// What a subscribe request did. Both answer the visitor alike, so the
/// form tells nobody whether an address is subscribed already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// New or not yet confirmed: a confirmation mail is to be sent.
    Pending(i64),
    /// Confirmed and running: nothing changes, nothing is sent.
    AlreadyActive,
}

/// A confirmed, running subscription, as its manage page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSubscription {
    pub subscriber_id: i64,
    pub event_slug: String,
    pub all_tracks: bool,
    pub tracks: BTreeSet<String>,
    pub lang: String,
    pub time_zone: String,
}

/// The choice a manage page saves.
#[derive(Debug, Clone)]
pub struct EmailChoice {
    pub all_tracks: bool,
    pub tracks: BTreeSet<String>,
    pub lang: String,
    pub time_zone: String,
}

/// What a speaker's answer link is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerLinkTarget {
    pub event_slug: String,
    pub speaker_key: String,
    /// The notice's JSON (a `Notice::SpeakerMove` names the shift).
    pub notice_json: String,
}

impl Store {
    /// Records a subscription waiting for its confirmation (`confirm_hash`,
    /// valid until `expires_at`). Asking again before confirming replaces
    /// the choice and the token (the older link stops working); asking for
    /// a running subscription changes nothing, so nobody can alter another
    /// person's subscription by typing their address.
    pub async fn email_subscribe(
        &self,
        s: &NewEmailSubscriber,
        confirm_hash: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<SubscribeOutcome> {
        // One statement (see `upsert_subscription` for the SQLite reason).
        let row = sqlx::query(
            "insert into email_subscriber (event_id, address, all_tracks, tracks_json, lang, \
             time_zone, confirm_hash, confirm_expires_at, created_at, updated_at) \
             select e.event_id, $2, $3, $4, $5, $6, $7, $8, $9, $9 from event e where e.slug = $1 \
             on conflict (event_id, address) do update set all_tracks = excluded.all_tracks, \
             tracks_json = excluded.tracks_json, lang = excluded.lang, \
             time_zone = excluded.time_zone, confirm_hash = excluded.confirm_hash, \
             confirm_expires_at = excluded.confirm_expires_at, confirmed_at = null, \
             ended_at = null, updated_at = excluded.updated_at \
             where email_subscriber.confirmed_at is null or email_subscriber.ended_at is not null \
             returning email_subscriber_id",
        )
        .bind(&s.event_slug)
        .bind(&s.address)
        .bind(i64::from(s.all_tracks))
        .bind(to_json(&s.tracks)?)
        .bind(&s.lang)
        .bind(&s.time_zone)
        .bind(confirm_hash)
        .bind(unix(expires_at))
        .bind(unix(now))
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = row {
            return Ok(SubscribeOutcome::Pending(
                row.try_get("email_subscriber_id")?,
            ));
        }
        let known = sqlx::query("select 1 as x from event where slug = $1")
            .bind(&s.event_slug)
            .fetch_optional(&self.pool)
            .await?;
        match known {
            Some(_) => Ok(SubscribeOutcome::AlreadyActive),
            None => Err(AppError::not_found(format!("event {}", s.event_slug))),
        }
    }

    /// The event of a confirmation token that still works, if it does (the
    /// page that shows the confirm button asks this; it changes nothing).
    pub async fn email_pending(
        &self,
        confirm_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "select e.slug from email_subscriber s join event e on e.event_id = s.event_id \
             where s.confirm_hash = $1 and s.confirm_expires_at > $2",
        )
        .bind(confirm_hash)
        .bind(unix(now))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get::<String, _>("slug")).transpose()?)
    }

    /// Confirms the subscription of `confirm_hash` (once: the token is
    /// cleared) and stores `link_hash` as a link to its manage page.
    /// `None` when the token is unknown, used or expired.
    pub async fn email_confirm(
        &self,
        confirm_hash: &str,
        link_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let now = unix(now);
        let mut tx = self.pool.begin().await?;
        let Some(row) = sqlx::query(
            "update email_subscriber set confirmed_at = $2, confirm_hash = null, \
             confirm_expires_at = null, updated_at = $2 \
             where confirm_hash = $1 and confirm_expires_at > $2 \
             returning email_subscriber_id, event_id",
        )
        .bind(confirm_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let id: i64 = row.try_get("email_subscriber_id")?;
        let event_id: i64 = row.try_get("event_id")?;
        sqlx::query(
            "insert into email_link (token_hash, email_subscriber_id, created_at) values ($1, $2, $3)",
        )
        .bind(link_hash)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let slug: String = sqlx::query("select slug from event where event_id = $1")
            .bind(event_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("slug")?;
        tx.commit().await?;
        Ok(Some(slug))
    }

    /// The running subscription a manage link opens.
    pub async fn email_subscription(&self, link_hash: &str) -> Result<Option<EmailSubscription>> {
        let row = sqlx::query(
            "select s.email_subscriber_id, e.slug, s.all_tracks, s.tracks_json, s.lang, \
             s.time_zone from email_link l \
             join email_subscriber s on s.email_subscriber_id = l.email_subscriber_id \
             join event e on e.event_id = s.event_id \
             where l.token_hash = $1 and s.confirmed_at is not null and s.ended_at is null",
        )
        .bind(link_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let tracks: String = r.try_get("tracks_json")?;
        Ok(Some(EmailSubscription {
            subscriber_id: r.try_get("email_subscriber_id")?,
            event_slug: r.try_get("slug")?,
            all_tracks: r.try_get::<i64, _>("all_tracks")? != 0,
            tracks: serde_json::from_str(&tracks)
                .map_err(|e| AppError::Internal(format!("email_subscriber.tracks_json: {e}")))?,
            lang: r.try_get("lang")?,
            time_zone: r.try_get("time_zone")?,
        }))
    }

    /// Saves a new choice for the running subscription of `link_hash`;
    /// false when the link opens none.
    pub async fn email_update(
        &self,
        link_hash: &str,
        c: &EmailChoice,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "update email_subscriber set all_tracks = $2, tracks_json = $3, lang = $4, \
             time_zone = $5, updated_at = $6 where email_subscriber_id = \
             (select email_subscriber_id from email_link where token_hash = $1) \
             and confirmed_at is not null and ended_at is null",
        )
        .bind(link_hash)
        .bind(i64::from(c.all_tracks))
        .bind(to_json(&c.tracks)?)
        .bind(&c.lang)
        .bind(&c.time_zone)
        .bind(unix(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Ends the subscription of `link_hash` and drops what is queued for
    /// it, atomically. True when the link is known (ending twice is fine:
    /// RFC 8058 clients may retry); false for a forged link.
    pub async fn email_unsubscribe(&self, link_hash: &str, now: DateTime<Utc>) -> Result<bool> {
        let now = unix(now);
        let mut tx = self.pool.begin().await?;
        let Some(row) = sqlx::query(
            "update email_subscriber set ended_at = coalesce(ended_at, $2), updated_at = $2 \
             where email_subscriber_id = \
             (select email_subscriber_id from email_link where token_hash = $1) \
             returning email_subscriber_id",
        )
        .bind(link_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(false);
        };
        let id: i64 = row.try_get("email_subscriber_id")?;
        sqlx::query(
            "update email_delivery set state = 'gone', updated_at = $2 \
             where email_subscriber_id = $1 and state = 'pending'",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Whom a speaker's answer link speaks for, and about which notice.
    pub async fn email_answer_link(&self, token_hash: &str) -> Result<Option<AnswerLinkTarget>> {
        let row = sqlx::query(
            "select e.slug, a.speaker_key, n.payload_json from email_answer_link a \
             join event e on e.event_id = a.event_id \
             join push_notice n on n.push_notice_id = a.push_notice_id where a.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(AnswerLinkTarget {
            event_slug: r.try_get("slug")?,
            speaker_key: r.try_get("speaker_key")?,
            notice_json: r.try_get("payload_json")?,
        }))
    }

    /// Forgets links that no longer serve (one is stored per mail sent, so
    /// they grow by the size of the audience with every notice): those of
    /// subscriptions ended [`KEEP_ENDED_LINK_DAYS`] ago, and those older
    /// than [`KEEP_LINK_DAYS`] that a newer link of the same subscriber
    /// replaces. Returns the rows deleted.
    pub async fn prune_email_links(&self, now: DateTime<Utc>) -> Result<u64> {
        let day = 24 * 3600;
        let ended = sqlx::query(
            "delete from email_link where email_subscriber_id in \
             (select email_subscriber_id from email_subscriber where ended_at < $1)",
        )
        .bind(unix(now) - KEEP_ENDED_LINK_DAYS * day)
        .execute(&self.pool)
        .await?
        .rows_affected();
        let replaced = sqlx::query(
            "delete from email_link where created_at < $1 and exists \
             (select 1 from email_link n where n.email_subscriber_id = email_link.email_subscriber_id \
              and n.created_at > email_link.created_at)",
        )
        .bind(unix(now) - KEEP_LINK_DAYS * day)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(ended + replaced)
    }

    /// Sets the address and language a speaker is mailed at (the admin
    /// page); `None` clears the address.
    pub async fn set_speaker_email(
        &self,
        slug: &str,
        speaker_key: &str,
        address: Option<&str>,
        lang: Option<&str>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "update speaker set email = $3, lang = $4 where key = $2 and event_id = \
             (select event_id from event where slug = $1)",
        )
        .bind(slug)
        .bind(speaker_key)
        .bind(address)
        .bind(lang)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

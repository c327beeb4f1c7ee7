//! Browser subscriptions: what each endpoint asked to hear about.

use chrono::Utc;
use sqlx::Row;

use crate::domain::push::Audience;
use crate::error::{AppError, Result};
use crate::store::{Store, to_json, unix};

/// A subscription as the API accepted it (already checked).
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub event_slug: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub vapid_key_id: i64,
    pub audience: Audience,
    pub lang: String,
    pub time_zone: String,
}

impl Store {
    /// Stores a subscription, or replaces what an endpoint asked for (a
    /// browser re-subscribing or changing its choice); returns its id.
    pub async fn upsert_subscription(&self, s: &NewSubscription) -> Result<i64> {
        let now = unix(Utc::now());
        // One statement, not a read then a write: on SQLite a transaction
        // that reads first cannot wait for the write lock (it fails at once
        // with "database is locked" when another subscribe got in first),
        // and a burst of attendees subscribing is exactly that.
        let row = sqlx::query(
            "insert into push_subscription (event_id, endpoint, p256dh, auth, vapid_key_id, \
             all_tracks, tracks_json, sessions_json, session_tracks_json, speaker_key, lang, \
             time_zone, created_at, updated_at) \
             select e.event_id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13 \
             from event e where e.slug = $1 \
             on conflict (endpoint) do update set event_id = excluded.event_id, \
             p256dh = excluded.p256dh, auth = excluded.auth, vapid_key_id = excluded.vapid_key_id, \
             all_tracks = excluded.all_tracks, tracks_json = excluded.tracks_json, \
             sessions_json = excluded.sessions_json, \
             session_tracks_json = excluded.session_tracks_json, speaker_key = excluded.speaker_key, \
             lang = excluded.lang, time_zone = excluded.time_zone, \
             updated_at = excluded.updated_at, gone_at = null, failing_since = null \
             where push_subscription.auth = excluded.auth \
             returning push_subscription_id",
        )
        .bind(&s.event_slug)
        .bind(&s.endpoint)
        .bind(&s.p256dh)
        .bind(&s.auth)
        .bind(s.vapid_key_id)
        .bind(i64::from(s.audience.all_tracks))
        .bind(to_json(&s.audience.tracks)?)
        .bind(to_json(&s.audience.sessions)?)
        .bind(to_json(&s.audience.session_tracks)?)
        .bind(&s.audience.speaker)
        .bind(&s.lang)
        .bind(&s.time_zone)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            // Either the event is unknown, or the endpoint is subscribed
            // with another auth secret: only its owner may change it.
            let taken = sqlx::query("select 1 as x from push_subscription where endpoint = $1")
                .bind(&s.endpoint)
                .fetch_optional(&self.pool)
                .await?
                .is_some();
            return Err(if taken {
                AppError::invalid(
                    "subscription.keys.auth",
                    "does not match the subscription already stored for this endpoint",
                )
            } else {
                AppError::not_found(format!("event {}", s.event_slug))
            });
        };
        Ok(row.try_get("push_subscription_id")?)
    }

    /// Forgets a subscription (the browser unsubscribed), given its
    /// endpoint and its auth secret, which only the browser holds; false
    /// when no subscription has both.
    pub async fn delete_subscription(&self, endpoint: &str, auth: &str) -> Result<bool> {
        let done = sqlx::query("delete from push_subscription where endpoint = $1 and auth = $2")
            .bind(endpoint)
            .bind(auth.trim_end_matches('='))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

//! Outgoing webhooks: the organiser's list, the delivery log they read,
//! and (in `delivery`) the fan-out from the outbox, leases and attempts.

mod delivery;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::domain::webhook::{Payload, Preset, ValidWebhook, WebhookKind};
use crate::error::{AppError, Result};
use crate::store::events::require_event;
use crate::store::status::lock_event;
use crate::store::{Store, instant, to_json, unix};

pub(super) use delivery::enqueue_speaker_answer;
pub use delivery::{DueWebhook, WebhookOutcome};

/// A webhook as organisers see it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WebhookRecord {
    pub id: i64,
    pub name: String,
    /// Empty for Telegram (its URL holds the bot token).
    pub url: String,
    #[schema(value_type = String)]
    pub preset: Preset,
    #[schema(value_type = Vec<String>)]
    pub kinds: Vec<WebhookKind>,
    pub lang: String,
    pub chat_id: String,
    pub enabled: bool,
    pub consecutive_failures: i64,
    #[schema(value_type = Option<String>)]
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    #[schema(value_type = Option<String>)]
    pub last_success_at: Option<DateTime<Utc>>,
    #[schema(value_type = String)]
    pub created_at: DateTime<Utc>,
}

/// One attempt in the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WebhookLogEntry {
    pub webhook_id: i64,
    #[schema(value_type = String)]
    pub at: DateTime<Utc>,
    /// The Standard Webhooks event type (`incident.updated`, …).
    pub event_type: String,
    pub attempt: i64,
    /// The receiver's HTTP status; absent when it could not be reached.
    pub status: Option<i64>,
    pub error: Option<String>,
    pub latency_ms: i64,
    /// The delivery's state now: pending (a retry is due), sent, failed
    /// (given up) or dropped (the webhook was disabled).
    pub state: String,
}

/// What the webhooks page and the dashboard show, loaded per request by
/// the server's middleware (pages render from memory).
#[derive(Debug, Clone, Default)]
pub struct WebhookBoard {
    pub hooks: Vec<WebhookRecord>,
    /// Newest first.
    pub log: Vec<WebhookLogEntry>,
}

const COLUMNS: &str = "webhook_id, name, url, preset, kinds_json, lang, chat_id, enabled, \
     consecutive_failures, disabled_at, disabled_reason, last_success_at, created_at";

fn record(r: &AnyRow) -> Result<WebhookRecord> {
    let preset: String = r.try_get("preset")?;
    let kinds: String = r.try_get("kinds_json")?;
    let opt = |col: &str| -> Result<Option<DateTime<Utc>>> {
        Ok(r.try_get::<Option<i64>, _>(col)?
            .and_then(|s| DateTime::from_timestamp(s, 0)))
    };
    Ok(WebhookRecord {
        id: r.try_get("webhook_id")?,
        name: r.try_get("name")?,
        url: r.try_get("url")?,
        preset: Preset::parse(&preset)
            .ok_or_else(|| AppError::Internal(format!("unknown stored preset {preset:?}")))?,
        kinds: serde_json::from_str(&kinds)
            .map_err(|e| AppError::Internal(format!("webhook.kinds_json: {e}")))?,
        lang: r.try_get("lang")?,
        chat_id: r.try_get("chat_id")?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        consecutive_failures: r.try_get("consecutive_failures")?,
        disabled_at: opt("disabled_at")?,
        disabled_reason: r.try_get("disabled_reason")?,
        last_success_at: opt("last_success_at")?,
        created_at: instant(r, "created_at")?,
    })
}

impl Store {
    /// Adds a webhook to event `slug`; `secret` is the signing key or the
    /// bot token (empty for the other presets).
    pub async fn create_webhook(
        &self,
        slug: &str,
        hook: &ValidWebhook,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<WebhookRecord> {
        let mut tx = self.pool.begin().await?;
        // A write first: on SQLite a transaction that reads and then
        // writes fails at once ("database is locked") when another
        // connection wrote in between; this one waits for the lock.
        let ev = lock_event(&mut tx, slug).await?;
        let row = sqlx::query(&format!(
            "insert into webhook (event_id, name, url, preset, kinds_json, lang, chat_id, secret, \
             created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
             returning {COLUMNS}"
        ))
        .bind(ev.event_id)
        .bind(&hook.name)
        .bind(&hook.url)
        .bind(hook.preset.as_str())
        .bind(to_json(&hook.kinds)?)
        .bind(&hook.lang)
        .bind(&hook.chat_id)
        .bind(secret)
        .bind(unix(now))
        .fetch_one(&mut *tx)
        .await?;
        let rec = record(&row)?;
        tx.commit().await?;
        Ok(rec)
    }

    /// The event's webhooks, oldest first.
    pub async fn list_webhooks(&self, slug: &str) -> Result<Vec<WebhookRecord>> {
        let mut tx = self.begin_read().await?;
        let ev = require_event(&mut tx, slug).await?;
        let rows = sqlx::query(&format!(
            "select {COLUMNS} from webhook where event_id = $1 order by webhook_id"
        ))
        .bind(ev.event_id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(record).collect()
    }

    /// Removes a webhook with its deliveries and log; 404 when the event
    /// has no such webhook.
    pub async fn remove_webhook(&self, slug: &str, id: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        // Children first: SQLite enforces foreign keys only when asked to.
        for sql in [
            "delete from webhook_attempt where webhook_id = $1 \
             and exists (select 1 from webhook where webhook_id = $1 and event_id = $2)",
            "delete from webhook_delivery where webhook_id = $1 \
             and exists (select 1 from webhook where webhook_id = $1 and event_id = $2)",
        ] {
            sqlx::query(sql)
                .bind(id)
                .bind(ev.event_id)
                .execute(&mut *tx)
                .await?;
        }
        let done = sqlx::query("delete from webhook where webhook_id = $1 and event_id = $2")
            .bind(id)
            .bind(ev.event_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(AppError::not_found(format!("webhook {id}")));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Turns a disabled webhook back on, its failure count reset.
    pub async fn enable_webhook(
        &self,
        slug: &str,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<WebhookRecord> {
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        let row = sqlx::query(&format!(
            "update webhook set enabled = 1, consecutive_failures = 0, disabled_at = null, \
             disabled_reason = null, updated_at = $3 where webhook_id = $1 and event_id = $2 \
             returning {COLUMNS}"
        ))
        .bind(id)
        .bind(ev.event_id)
        .bind(unix(now))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::not_found(format!("webhook {id}")))?;
        let rec = record(&row)?;
        tx.commit().await?;
        Ok(rec)
    }

    /// Queues a test message to one webhook (enabled or not: a test is how
    /// an organiser checks a fixed receiver before turning it back on).
    pub async fn queue_webhook_test(
        &self,
        slug: &str,
        id: i64,
        msg_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        let payload = Payload::Test {
            event: slug.to_owned(),
        };
        let done = sqlx::query(
            "insert into webhook_delivery (webhook_id, msg_id, payload_json, state, next_at, \
             created_at, updated_at) select webhook_id, $3, $4, 'pending', $5, $5, $5 \
             from webhook where webhook_id = $1 and event_id = $2",
        )
        .bind(id)
        .bind(ev.event_id)
        .bind(msg_id)
        .bind(to_json(&payload)?)
        .bind(unix(now))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(AppError::not_found(format!("webhook {id}")));
        }
        tx.commit().await?;
        Ok(())
    }

    /// The newest `limit` attempts to the event's webhooks (or one of
    /// them), newest first.
    pub async fn webhook_log(
        &self,
        slug: &str,
        webhook: Option<i64>,
        limit: i64,
    ) -> Result<Vec<WebhookLogEntry>> {
        let mut tx = self.begin_read().await?;
        let ev = require_event(&mut tx, slug).await?;
        let rows = sqlx::query(
            "select a.webhook_id, a.at, a.attempt, a.status, a.error, a.latency_ms, d.state, \
             d.payload_json from webhook_attempt a \
             join webhook_delivery d on d.webhook_delivery_id = a.webhook_delivery_id \
             join webhook w on w.webhook_id = a.webhook_id \
             where w.event_id = $1 and ($2 is null or a.webhook_id = $2) \
             order by a.webhook_attempt_id desc limit $3",
        )
        .bind(ev.event_id)
        .bind(webhook)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload_json")?;
                let event_type = serde_json::from_str::<Payload>(&payload)
                    .map(|p| p.event_type())
                    .unwrap_or("unknown");
                Ok(WebhookLogEntry {
                    webhook_id: r.try_get("webhook_id")?,
                    at: instant(r, "at")?,
                    event_type: event_type.to_owned(),
                    attempt: r.try_get("attempt")?,
                    status: r.try_get("status")?,
                    error: r.try_get("error")?,
                    latency_ms: r.try_get("latency_ms")?,
                    state: r.try_get("state")?,
                })
            })
            .collect()
    }
}

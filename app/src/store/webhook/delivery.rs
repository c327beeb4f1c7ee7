//! Webhook deliveries: the fan-out of outbox notices to the webhooks that
//! want them, leases for the sending worker, every attempt, and the
//! automatic disable after repeated failure.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use crate::domain::notice::Notice;
use crate::domain::schedule::Schedule;
use crate::domain::webhook::{Payload, Preset, SpeakerAnswer, WebhookKind};
use crate::error::{AppError, Result};
use crate::store::events::EventRow;
use crate::store::lease::{self, Queue};
use crate::store::{Backend, Store, to_json, unix};

/// One message the worker must send now, with what it needs to send it.
#[derive(Clone)]
pub struct DueWebhook {
    pub delivery_id: i64,
    pub webhook_id: i64,
    pub msg_id: String,
    pub payload_json: String,
    /// Attempts made before this one.
    pub attempts: i64,
    pub url: String,
    pub preset: Preset,
    /// The signing key or the bot token.
    pub secret: String,
    pub chat_id: String,
    pub lang: String,
    pub event: String,
    pub time_zone: String,
}

impl std::fmt::Debug for DueWebhook {
    // The secret stays out of every log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DueWebhook")
            .field("delivery_id", &self.delivery_id)
            .field("webhook_id", &self.webhook_id)
            .field("msg_id", &self.msg_id)
            .field("preset", &self.preset)
            .finish_non_exhaustive()
    }
}

/// How one attempt ended.
#[derive(Debug, Clone)]
pub struct WebhookOutcome {
    pub delivery_id: i64,
    pub webhook_id: i64,
    /// This attempt's number (1 for the first).
    pub attempt: i64,
    pub ok: bool,
    /// When to try again; `None` with `ok` false: given up.
    pub retry_at: Option<DateTime<Utc>>,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub latency_ms: i64,
}

/// Queues a message to every enabled webhook of the event that wants
/// `kind`, created by `created_at` (inside the caller's transaction).
async fn queue_for_event(
    conn: &mut AnyConnection,
    event_id: i64,
    notice_id: Option<i64>,
    payload: &Payload,
    created_at: i64,
    now: i64,
) -> Result<usize> {
    let Some(kind) = payload.kind() else {
        return Ok(0);
    };
    let hooks = sqlx::query(
        "select webhook_id, kinds_json from webhook where event_id = $1 and enabled = 1 \
         and created_at <= $2 order by webhook_id",
    )
    .bind(event_id)
    .bind(created_at)
    .fetch_all(&mut *conn)
    .await?;
    let json = to_json(payload)?;
    let mut queued = 0;
    for h in hooks {
        let id: i64 = h.try_get("webhook_id")?;
        let kinds: Vec<WebhookKind> = serde_json::from_str(&h.try_get::<String, _>("kinds_json")?)
            .map_err(|e| AppError::Internal(format!("webhook {id}: kinds: {e}")))?;
        if !kinds.contains(&kind) {
            continue;
        }
        sqlx::query(
            "insert into webhook_delivery (webhook_id, push_notice_id, msg_id, payload_json, \
             state, next_at, created_at, updated_at) values ($1, $2, $3, $4, 'pending', $5, $5, $5) \
             on conflict (webhook_id, push_notice_id) do nothing",
        )
        .bind(id)
        .bind(notice_id)
        .bind(format!("msg_{}", uuid::Uuid::new_v4().simple()))
        .bind(&json)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        queued += 1;
    }
    Ok(queued)
}

/// Queues a speaker's answer to the sessions `guids` of `schedule` for
/// the webhooks that want answers (inside the transaction that records
/// the answer): to an applied change, or to open proposal `proposal`.
#[allow(clippy::too_many_arguments)]
pub(in crate::store) async fn enqueue_speaker_answer(
    conn: &mut AnyConnection,
    ev: &EventRow,
    schedule: &Schedule,
    speaker_key: &str,
    guids: &[&str],
    answer: &str,
    proposal: Option<i64>,
    now: i64,
) -> Result<()> {
    let speaker = schedule
        .speakers
        .iter()
        .find(|s| s.key == speaker_key)
        .map_or_else(|| speaker_key.to_owned(), |s| s.name.clone());
    let title = schedule
        .sessions
        .iter()
        .filter(|s| guids.contains(&s.guid.as_str()) && s.speakers.iter().any(|k| k == speaker_key))
        .map(|s| s.title.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let payload = Payload::SpeakerAnswer(SpeakerAnswer {
        event: ev.event.slug.clone(),
        speaker,
        title,
        answer: answer.to_owned(),
        proposal,
    });
    queue_for_event(conn, ev.event_id, None, &payload, now, now).await?;
    Ok(())
}

impl Store {
    /// One fan-out step: takes the oldest notice webhooks have not looked
    /// at, queues it for each webhook that wants it and marks it, in one
    /// transaction (a crash repeats at most this step). Returns whether
    /// there was a notice.
    pub async fn webhook_fan_out_step(&self, now: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        // As the push fan-out: the write first takes the lock; PostgreSQL
        // instances skip a notice another one is marking.
        let lock = match self.backend {
            Backend::Postgres => " for update skip locked",
            Backend::Sqlite => "",
        };
        let Some(n) = sqlx::query(&format!(
            "update push_notice set webhook_fanned_out_at = $1 where push_notice_id = \
             (select push_notice_id from push_notice where webhook_fanned_out_at is null \
              order by push_notice_id limit 1{lock}) and webhook_fanned_out_at is null \
             returning push_notice_id, event_id, payload_json, created_at"
        ))
        .bind(unix(now))
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(false);
        };
        let notice_id: i64 = n.try_get("push_notice_id")?;
        // A notice this version cannot read is no webhook's business.
        if let Ok(notice) = serde_json::from_str::<Notice>(&n.try_get::<String, _>("payload_json")?)
        {
            let payload = Payload::Notice { notice };
            queue_for_event(
                &mut tx,
                n.try_get("event_id")?,
                Some(notice_id),
                &payload,
                n.try_get("created_at")?,
                unix(now),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Takes up to `limit` due deliveries, leased for `lease_secs` under
    /// `token` (see [`Store::claim_deliveries`], the same scheme).
    pub async fn claim_webhook_deliveries(
        &self,
        limit: i64,
        now: DateTime<Utc>,
        lease_secs: i64,
        token: &str,
    ) -> Result<Vec<DueWebhook>> {
        let now_s = unix(now);
        let mut tx = self.pool.begin().await?;
        let ids = lease::claim(
            &mut tx,
            self.backend,
            Queue::Webhook,
            limit,
            now_s,
            lease_secs,
            token,
        )
        .await?;
        if ids.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        // Integers only: safe to inline.
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let rows = sqlx::query(&format!(
            "select d.webhook_delivery_id, d.msg_id, d.payload_json, d.attempts, w.webhook_id, \
             w.url, w.preset, w.secret, w.chat_id, w.lang, e.slug, e.time_zone \
             from webhook_delivery d join webhook w on w.webhook_id = d.webhook_id \
             join event e on e.event_id = w.event_id \
             where d.webhook_delivery_id in ({list}) order by d.webhook_delivery_id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let preset: String = r.try_get("preset")?;
                Ok(DueWebhook {
                    delivery_id: r.try_get("webhook_delivery_id")?,
                    webhook_id: r.try_get("webhook_id")?,
                    msg_id: r.try_get("msg_id")?,
                    payload_json: r.try_get("payload_json")?,
                    attempts: r.try_get("attempts")?,
                    url: r.try_get("url")?,
                    preset: Preset::parse(&preset).ok_or_else(|| {
                        AppError::Internal(format!("unknown stored preset {preset:?}"))
                    })?,
                    secret: r.try_get("secret")?,
                    chat_id: r.try_get("chat_id")?,
                    lang: r.try_get("lang")?,
                    event: r.try_get("slug")?,
                    time_zone: r.try_get("time_zone")?,
                })
            })
            .collect()
    }

    /// Records attempts in one transaction: each delivery's new state, a
    /// log row, and the webhook's failure count. A webhook that has failed
    /// `disable_after` attempts in a row is disabled, and what was still
    /// queued for it is dropped (old news by the time it is fixed).
    /// Returns the webhooks disabled now.
    pub async fn record_webhook_attempts(
        &self,
        outcomes: &[WebhookOutcome],
        disable_after: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        let now_s = unix(now);
        let mut disabled = Vec::new();
        if outcomes.is_empty() {
            return Ok(disabled);
        }
        let mut tx = self.pool.begin().await?;
        for o in outcomes {
            let (state, next_at) = match (o.ok, o.retry_at) {
                (true, _) => ("sent", now_s),
                (false, Some(at)) => ("pending", unix(at)),
                (false, None) => ("failed", now_s),
            };
            sqlx::query(
                "update webhook_delivery set state = $2, next_at = $3, attempts = $4, \
                 last_status = $5, updated_at = $6, \
                 lease_token = case when $2 = 'pending' then null else lease_token end \
                 where webhook_delivery_id = $1 and state = 'pending'",
            )
            .bind(o.delivery_id)
            .bind(state)
            .bind(next_at)
            .bind(o.attempt)
            .bind(o.status.map(i64::from))
            .bind(now_s)
            .execute(&mut *tx)
            .await?;
            // The webhook may have been removed while this was in flight.
            sqlx::query(
                "insert into webhook_attempt (webhook_delivery_id, webhook_id, at, attempt, \
                 status, error, latency_ms) select $1, $2, $3, $4, $5, $6, $7 \
                 where exists (select 1 from webhook_delivery where webhook_delivery_id = $1)",
            )
            .bind(o.delivery_id)
            .bind(o.webhook_id)
            .bind(now_s)
            .bind(o.attempt)
            .bind(o.status.map(i64::from))
            .bind(o.error.as_deref())
            .bind(o.latency_ms)
            .execute(&mut *tx)
            .await?;
            if o.ok {
                sqlx::query(
                    "update webhook set consecutive_failures = 0, last_success_at = $2 \
                     where webhook_id = $1",
                )
                .bind(o.webhook_id)
                .bind(now_s)
                .execute(&mut *tx)
                .await?;
                continue;
            }
            let off = sqlx::query(
                "update webhook set consecutive_failures = consecutive_failures + 1, \
                 enabled = case when consecutive_failures + 1 >= $2 then 0 else enabled end, \
                 disabled_at = case when consecutive_failures + 1 >= $2 and enabled = 1 \
                   then $3 else disabled_at end, \
                 disabled_reason = case when consecutive_failures + 1 >= $2 and enabled = 1 \
                   then $4 else disabled_reason end, \
                 updated_at = $3 where webhook_id = $1 returning enabled, disabled_at",
            )
            .bind(o.webhook_id)
            .bind(disable_after.max(1))
            .bind(now_s)
            .bind(o.error.clone().unwrap_or_else(|| {
                o.status
                    .map_or_else(|| "no answer".to_owned(), |s| format!("HTTP {s}"))
            }))
            .fetch_optional(&mut *tx)
            .await?;
            let just_disabled = off.is_some_and(|r| {
                r.try_get::<i64, _>("enabled").ok() == Some(0)
                    && r.try_get::<Option<i64>, _>("disabled_at").ok() == Some(Some(now_s))
            });
            if just_disabled && !disabled.contains(&o.webhook_id) {
                sqlx::query(
                    "update webhook_delivery set state = 'dropped', updated_at = $2, \
                     lease_token = null where webhook_id = $1 and state = 'pending'",
                )
                .bind(o.webhook_id)
                .bind(now_s)
                .execute(&mut *tx)
                .await?;
                disabled.push(o.webhook_id);
            }
        }
        tx.commit().await?;
        Ok(disabled)
    }

    /// Gives back what is still leased under `token`, due at once.
    pub async fn release_webhook_leases(&self, token: &str, now: DateTime<Utc>) -> Result<u64> {
        lease::release(&self.pool, Queue::Webhook, token, unix(now)).await
    }

    /// Forgets attempts and finished deliveries older than `keep_days`
    /// (the log is for the recent past); returns the rows deleted.
    pub async fn prune_webhooks(&self, now: DateTime<Utc>, keep_days: i64) -> Result<u64> {
        let before = unix(now) - keep_days * 24 * 3600;
        let attempts = sqlx::query("delete from webhook_attempt where at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected();
        let deliveries = sqlx::query(
            "delete from webhook_delivery where state <> 'pending' and updated_at < $1 \
             and not exists (select 1 from webhook_attempt a \
             where a.webhook_delivery_id = webhook_delivery.webhook_delivery_id)",
        )
        .bind(before)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(attempts + deliveries)
    }

    /// Deliveries by state for an event's webhooks (tests, the bench).
    pub async fn webhook_delivery_counts(&self, slug: &str) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "select d.state, count(*) as n from webhook_delivery d \
             join webhook w on w.webhook_id = d.webhook_id join event e on e.event_id = w.event_id \
             where e.slug = $1 group by d.state order by d.state",
        )
        .bind(slug)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
            .collect()
    }
}

//! The webhook worker: looks at each new outbox notice once (queueing it
//! for the webhooks that want it), sends due deliveries with bounded
//! concurrency, and records every attempt. Leases, cursors and states are
//! in the database, so a crash loses nothing: leased messages come due
//! again when their lease runs out. At least once; a receiver drops a
//! repeat by its `webhook-id`.

use std::time::{Duration, Instant};

use app::domain::address::OutboundPolicy;
use app::domain::webhook::{Payload, Preset, body_for, chat_text, retry_delay};
use app::error::{AppError, Result};
use app::state::AppState;
use app::store::{DueWebhook, WebhookOutcome};
use chrono::Utc;
use futures_util::StreamExt;

use crate::config::WebhookArgs;

/// Notices looked at per round at most (the rest in the next round).
const FANOUT_PER_ROUND: usize = 200;
/// Outcomes are recorded at least this often while a batch is sent ...
const RECORD_EVERY: Duration = Duration::from_millis(50);
/// ... or every this many, whichever comes first.
const RECORD_CHUNK: usize = 64;
/// How often old log rows are pruned, and how long they are kept.
const PRUNE_EVERY: Duration = Duration::from_secs(600);
const KEEP_LOG_DAYS: i64 = 7;
/// How much of a refusal's body goes into the log.
const ERROR_BODY_BYTES: usize = 300;

pub struct Worker {
    state: AppState,
    http: reqwest::Client,
    args: WebhookArgs,
    policy: OutboundPolicy,
    /// This worker's leases.
    token: String,
}

impl Worker {
    pub fn new(state: AppState, args: WebhookArgs) -> Result<Worker> {
        let policy = OutboundPolicy {
            allow_loopback: args.webhook_allow_loopback,
        };
        let http = crate::outbound::client_builder(policy)
            .timeout(Duration::from_secs(args.webhook_timeout_secs.max(1)))
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(64)
            .user_agent(concat!("marquee-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AppError::Internal(format!("webhook HTTP client: {e}")))?;
        Ok(Worker {
            state,
            http,
            args,
            policy,
            token: uuid::Uuid::new_v4().to_string(),
        })
    }

    /// Runs until `stop` resolves, then lets the batch in flight finish
    /// and releases what it holds. Database errors are logged and retried.
    pub async fn run(self, stop: impl Future<Output = ()> + Send + 'static) {
        let stop = futures_util::FutureExt::shared(Box::pin(stop));
        let mut last_prune = tokio::time::Instant::now();
        loop {
            if stop.peek().is_some() {
                break;
            }
            if last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = tokio::time::Instant::now();
                self.prune().await;
            }
            let busy = match self.step().await {
                Ok(busy) => busy,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook worker step failed");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    _ = self.state.webhooks.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.clone() => {}
                }
            }
        }
        if let Err(e) = self
            .state
            .store
            .release_webhook_leases(&self.token, Utc::now())
            .await
        {
            tracing::warn!(error = %e, "webhook leases not released; they expire");
        }
    }

    /// Old log rows, by one instance per period.
    async fn prune(&self) {
        let store = &self.state.store;
        let now = Utc::now();
        let every = chrono::Duration::seconds(PRUNE_EVERY.as_secs() as i64);
        if matches!(store.claim_job("webhook_prune", now, every).await, Ok(true)) {
            match store.prune_webhooks(now, KEEP_LOG_DAYS).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "webhook log pruned"),
                Err(e) => tracing::debug!(error = %e, "webhook log not pruned"),
            }
        }
    }

    /// One round: fan out new notices, then send one batch. True when
    /// there was work.
    pub async fn step(&self) -> Result<bool> {
        let store = &self.state.store;
        let mut fanned = 0;
        while fanned < FANOUT_PER_ROUND && store.webhook_fan_out_step(Utc::now()).await? {
            fanned += 1;
        }
        let concurrency = self.args.webhook_concurrency.max(1);
        let due = store
            .claim_webhook_deliveries(
                (concurrency * 4) as i64,
                Utc::now(),
                self.args.webhook_lease_secs.max(1),
                &self.token,
            )
            .await?;
        if due.is_empty() {
            return Ok(fanned > 0);
        }
        let outcomes = futures_util::stream::iter(due)
            .map(|d| async move { self.deliver(&d).await })
            .buffer_unordered(concurrency);
        let chunks = tokio_stream::StreamExt::chunks_timeout(outcomes, RECORD_CHUNK, RECORD_EVERY);
        let mut chunks = std::pin::pin!(chunks);
        while let Some(chunk) = chunks.next().await {
            let chunk: Vec<WebhookOutcome> = chunk;
            let off = store
                .record_webhook_attempts(&chunk, self.args.webhook_disable_after, Utc::now())
                .await?;
            for id in off {
                tracing::warn!(
                    webhook_id = id,
                    failures = self.args.webhook_disable_after,
                    "webhook disabled after failing repeatedly"
                );
            }
        }
        Ok(true)
    }

    /// Where a delivery goes: the webhook's URL, or for Telegram the Bot
    /// API's `sendMessage` with the token in the path.
    fn target(&self, d: &DueWebhook) -> String {
        match d.preset {
            Preset::Telegram => format!(
                "{}/bot{}/sendMessage",
                self.args.webhook_telegram_api.trim_end_matches('/'),
                d.secret
            ),
            _ => d.url.clone(),
        }
    }

    async fn deliver(&self, d: &DueWebhook) -> WebhookOutcome {
        let attempt = d.attempts + 1;
        let started = Instant::now();
        let done = |status: Option<u16>, error: Option<String>, retry: bool| {
            let ok = error.is_none() && status.is_some_and(|s| (200..300).contains(&s));
            let retry_at = (!ok && retry)
                .then(|| retry_delay(attempt, self.args.webhook_retry_secs))
                .flatten()
                .map(|secs| whole_second_after(Utc::now() + chrono::Duration::seconds(secs)));
            WebhookOutcome {
                delivery_id: d.delivery_id,
                webhook_id: d.webhook_id,
                attempt,
                ok,
                retry_at,
                status,
                error,
                latency_ms: started.elapsed().as_millis() as i64,
            }
        };
        let Ok(payload) = serde_json::from_str::<Payload>(&d.payload_json) else {
            return done(None, Some("stored payload is unreadable".into()), false);
        };
        let tz = d.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let Some(text) = chat_text(&payload, &d.lang, tz, &self.state.public_url) else {
            return done(None, Some("nothing to say".into()), false);
        };
        let now = Utc::now();
        let body = body_for(d.preset, &payload, &text, &d.chat_id, now).to_string();
        let target = self.target(d);
        if let Err(refusal) = crate::outbound::check_url(&target, self.policy) {
            // Stored while the loopback switch was on: never sent to.
            return done(None, Some(format!("refused address: {}", refusal.0)), false);
        }
        let mut req = self
            .http
            .post(&target)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if d.preset == Preset::Standard {
            let ts = now.timestamp();
            let Some(sig) =
                crate::webhook::sign::signature(&d.secret, &d.msg_id, ts, body.as_bytes())
            else {
                return done(None, Some("the signing key is unreadable".into()), false);
            };
            req = req
                .header("webhook-id", &d.msg_id)
                .header("webhook-timestamp", ts.to_string())
                .header("webhook-signature", sig);
        }
        match req.body(body).send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                if res.status().is_success() {
                    return done(Some(status), None, false);
                }
                let detail = crate::outbound::read_limited(res, ERROR_BODY_BYTES).await;
                let detail = String::from_utf8_lossy(&detail);
                let detail = detail.split_whitespace().collect::<Vec<_>>().join(" ");
                let error = if detail.is_empty() {
                    format!("HTTP {status}")
                } else {
                    format!("HTTP {status}: {detail}")
                };
                done(Some(status), Some(error), true)
            }
            Err(e) if crate::outbound::is_refused(&e) => {
                done(None, Some("refused address".into()), false)
            }
            // Never the URL: a Telegram one holds the bot token.
            Err(e) => done(None, Some(describe(&e.without_url())), true),
        }
    }
}

/// A send error in a few words, with its cause (the top level of a
/// reqwest error says only "error sending request").
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out.chars().take(ERROR_BODY_BYTES).collect()
}

/// `t` rounded up to a whole second: the store keeps whole seconds, and a
/// retry time cut down to one would come up to a second before its backoff.
fn whole_second_after(t: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
    let up = i64::from(t.timestamp_subsec_nanos() > 0);
    chrono::DateTime::from_timestamp(t.timestamp() + up, 0).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_time_is_never_rounded_earlier() {
        let at = |s: &str| s.parse::<chrono::DateTime<Utc>>().unwrap();
        assert_eq!(
            whole_second_after(at("2026-12-01T10:00:00.001Z")),
            at("2026-12-01T10:00:01Z")
        );
        assert_eq!(
            whole_second_after(at("2026-12-01T10:00:00.999Z")),
            at("2026-12-01T10:00:01Z")
        );
        assert_eq!(
            whole_second_after(at("2026-12-01T10:00:05Z")),
            at("2026-12-01T10:00:05Z")
        );
    }
}

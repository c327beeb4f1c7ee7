//! The outbox worker: fans notices out into deliveries, sends due ones with
//! bounded concurrency, and records every attempt. Everything it does is
//! kept in the database (leases, cursors, states), so a crash or `kill -9`
//! at any point loses nothing: after a restart leased messages come due
//! again and the fan-out resumes at its cursor. Delivery is at least once;
//! a message in flight at a crash is sent again, and its Topic lets the
//! push service replace rather than add it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::domain::address::OutboundPolicy;

use app::domain::notice::Notice;
use app::domain::push::{DeliveryState, Next, after_attempt, ttl_secs};
use app::error::Result;
use app::state::AppState;
use app::store::{AttemptOutcome, DueDelivery};
use chrono::Utc;
use futures_util::StreamExt;
use web_push::SubscriptionInfo;

use super::send::{self, Outgoing};
use super::vapid::Signer;
use crate::config::PushArgs;

/// Subscriptions looked at per fan-out step.
const FANOUT_BATCH: i64 = 2000;
/// How often reminders are looked for (by one instance).
const REMINDER_EVERY: Duration = Duration::from_secs(30);
/// How often old attempts and dead subscriptions are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// How often this worker asks whether a periodic job is its turn.
const JOBS_EVERY: Duration = Duration::from_secs(5);
/// Outcomes are recorded at least this often while a batch is sent: what
/// a `kill -9` loses (and sends again) is at most this much of sending.
const RECORD_EVERY: Duration = Duration::from_millis(20);
/// ... or every this many outcomes, whichever comes first (one
/// transaction of a few statements each: see `Store::record_attempts`).
const RECORD_CHUNK: usize = 256;

pub struct Worker {
    state: AppState,
    http: reqwest::Client,
    signer: Signer,
    args: PushArgs,
    policy: OutboundPolicy,
    /// Sends in flight per push-service origin.
    per_origin: Mutex<HashMap<String, Arc<tokio::sync::Semaphore>>>,
    /// This worker's leases: only it renews or releases them.
    token: String,
}

impl Worker {
    pub async fn new(state: AppState, args: PushArgs) -> Result<Worker> {
        let policy = OutboundPolicy {
            allow_loopback: args.push_allow_insecure_localhost,
        };
        let http = send::client(args.push_ca_file.as_deref(), policy)?;
        let signer = Signer::new(state.store.vapid_keys().await?, &args.push_contact);
        Ok(Worker {
            state,
            http,
            signer,
            args,
            policy,
            per_origin: Mutex::default(),
            token: uuid::Uuid::new_v4().to_string(),
        })
    }

    /// A slot for one send to `endpoint`'s origin, so one slow (or
    /// hostile) push service cannot hold every slot of the worker.
    async fn origin_slot(&self, endpoint: &str) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let origin = super::vapid::origin(endpoint)?;
        let cap = self.args.push_per_origin.max(1);
        let sem = {
            let mut m = self.per_origin.lock().unwrap_or_else(|e| e.into_inner());
            if m.len() > 10_000 {
                m.retain(|_, s| s.available_permits() < cap);
            }
            m.entry(origin)
                .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(cap)))
                .clone()
        };
        sem.acquire_owned().await.ok()
    }

    /// Runs until `stop` resolves (shutdown), then returns once the batch
    /// in flight is recorded and what it did not start is released.
    /// Database errors are logged and retried a second later: the outbox
    /// waits for the database to come back.
    pub async fn run(mut self, stop: impl Future<Output = ()> + Send + 'static) {
        let stop = futures_util::FutureExt::shared(Box::pin(stop));
        let mut last_jobs = tokio::time::Instant::now() - JOBS_EVERY;
        loop {
            if stop.peek().is_some() {
                break;
            }
            let busy = match self.step(stop.clone()).await {
                Ok(busy) => busy,
                Err(e) => {
                    tracing::warn!(error = %e, "push worker step failed");
                    false
                }
            };
            if last_jobs.elapsed() >= JOBS_EVERY {
                last_jobs = tokio::time::Instant::now();
                self.periodic_jobs().await;
            }
            if !busy {
                tokio::select! {
                    _ = self.state.push_wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.clone() => {}
                }
            }
        }
        // Whatever a failed step left leased is for another instance now.
        match self
            .state
            .store
            .release_leases(&self.token, Utc::now())
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(released = n, "push leases released"),
            Err(e) => tracing::warn!(error = %e, "push leases not released; they expire"),
        }
    }

    /// Reminders and pruning, each run by one instance per period (the
    /// one that claims it first; see [`app::store::Store::claim_job`]).
    async fn periodic_jobs(&self) {
        let store = &self.state.store;
        let now = Utc::now();
        let every = |d: Duration| chrono::Duration::seconds(d.as_secs() as i64);
        match store
            .claim_job("push_reminders", now, every(REMINDER_EVERY))
            .await
        {
            Ok(true) => {
                let lead = chrono::Duration::minutes(self.args.push_reminder_minutes);
                match store.queue_reminders(now, lead).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(queued = n, "speaker reminders queued"),
                    Err(e) => tracing::debug!(error = %e, "reminders not queued"),
                }
            }
            Ok(false) => {}
            Err(e) => tracing::debug!(error = %e, "reminders not claimed"),
        }
        match store.claim_job("push_prune", now, every(PRUNE_EVERY)).await {
            Ok(true) => match store.prune_push(now).await {
                Ok(n) if n.total() > 0 => tracing::info!(?n, "push tables pruned"),
                Ok(_) => {}
                Err(e) => tracing::debug!(error = %e, "push tables not pruned"),
            },
            Ok(false) => {}
            Err(e) => tracing::debug!(error = %e, "pruning not claimed"),
        }
    }

    /// One round: a fan-out step and one batch of sends. True when there
    /// was work (so the next round follows at once). Outcomes are
    /// recorded as they come (a few at a time), and the batch's leases are
    /// renewed while it is in flight, so neither a slow batch nor a crash
    /// mid-batch sends much twice. Once `stop` resolves no new send
    /// starts; those in flight finish and the rest is released.
    pub async fn step(&mut self, stop: impl Future<Output = ()> + Send) -> Result<bool> {
        let now = Utc::now();
        let fanned = self.state.store.fan_out_step(FANOUT_BATCH, now).await?;
        let batch = (self.args.push_concurrency.max(1) * 8) as i64;
        let lease = self.args.push_lease_secs.max(1);
        let due = self
            .state
            .store
            .claim_deliveries(batch, now, lease, &self.token)
            .await?;
        let claimed = due.len();
        if due.is_empty() {
            return Ok(fanned > 0);
        }
        if due.iter().any(|d| !self.signer.knows(d.vapid_key_id)) {
            // A key made by `marquee vapid rotate` since we started.
            self.signer = Signer::new(
                self.state.store.vapid_keys().await?,
                &self.args.push_contact,
            );
        }
        let mut notices: HashMap<i64, Option<Notice>> = HashMap::new();
        for d in &due {
            notices
                .entry(d.notice_id)
                .or_insert_with(|| serde_json::from_str(&d.notice_json).ok());
        }
        let this = &*self;
        let notices = &notices;
        let store = &self.state.store;
        let token = self.token.as_str();
        let outcomes = futures_util::stream::iter(due)
            .take_until(stop)
            .map(|d| async move {
                this.deliver(&d, notices.get(&d.notice_id).and_then(Option::as_ref))
                    .await
            })
            .buffer_unordered(self.args.push_concurrency.max(1));
        // Sending and recording run side by side: while a chunk of outcomes
        // is written, the sends in flight go on and new ones start (polled
        // in one future, the sends stood still for every write).
        let (done_tx, done_rx) = tokio::sync::mpsc::unbounded_channel::<AttemptOutcome>();
        let send = async move {
            let mut outcomes = std::pin::pin!(outcomes);
            while let Some(o) = outcomes.next().await {
                if done_tx.send(o).is_err() {
                    break;
                }
            }
            Ok::<(), app::error::AppError>(())
        };
        let record = async {
            let chunks = tokio_stream::StreamExt::chunks_timeout(
                tokio_stream::wrappers::UnboundedReceiverStream::new(done_rx),
                RECORD_CHUNK,
                RECORD_EVERY,
            );
            let mut chunks = std::pin::pin!(chunks);
            let (mut attempts, mut sent) = (0usize, 0usize);
            while let Some(chunk) = chunks.next().await {
                let chunk: Vec<AttemptOutcome> = chunk;
                attempts += chunk.len();
                sent += chunk
                    .iter()
                    .filter(|o| o.state == DeliveryState::Sent)
                    .count();
                store.record_attempts(&chunk, Utc::now()).await?;
            }
            tracing::debug!(attempts, sent, "push batch");
            Ok::<usize, app::error::AppError>(attempts)
        };
        let record = async {
            let ((), attempts) = futures_util::future::try_join(send, record).await?;
            Ok::<usize, app::error::AppError>(attempts)
        };
        let renew = async {
            let every = Duration::from_millis((lease as u64 * 1000 / 3).max(100));
            loop {
                tokio::time::sleep(every).await;
                let renewed: Result<u64> = store.renew_leases(token, Utc::now(), lease).await;
                if let Err(e) = renewed {
                    tracing::debug!(error = %e, "push leases not renewed");
                }
            }
        };
        tokio::select! {
            done = record => {
                // Not all started because of a stop: the rest is for
                // another instance at once.
                if done? < claimed {
                    store.release_leases(token, Utc::now()).await?;
                }
            }
            () = renew => {}
        }
        Ok(true)
    }

    async fn deliver(&self, d: &DueDelivery, notice: Option<&Notice>) -> AttemptOutcome {
        use DeliveryState::{Expired, Failed, Gone, Pending, Sent};
        let now = Utc::now();
        let done = |state: DeliveryState, status: Option<u16>, detail: String| AttemptOutcome {
            delivery_id: d.delivery_id,
            subscription_id: d.subscription_id,
            state,
            next_at: now,
            status,
            detail,
        };
        if let Err(refusal) = crate::outbound::check_url(&d.endpoint, self.policy) {
            // Made while the loopback switch was on, or before this rule:
            // never sent to, and dropped like a subscription that is gone.
            return done(
                DeliveryState::Gone,
                None,
                format!("refused endpoint: {refusal}"),
            );
        }
        let Some(ttl) = ttl_secs(now, d.expires_at) else {
            return done(Expired, None, "expired before it could be sent".into());
        };
        let Some(notice) = notice else {
            return done(Failed, None, "stored notice is unreadable".into());
        };
        let tz = d.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let Some(message) = notice.render(&d.audience, &d.lang, tz) else {
            return done(Expired, None, "nothing in it for this subscription".into());
        };
        let payload = match serde_json::to_vec(&message) {
            Ok(p) => p,
            Err(e) => return done(Failed, None, format!("payload: {e}")),
        };
        let sub = SubscriptionInfo::new(d.endpoint.as_str(), d.p256dh.as_str(), d.auth.as_str());
        let signature = match self.signer.signature(d.vapid_key_id, &sub) {
            Ok(s) => s,
            Err(e) => return done(Failed, None, e.to_string()),
        };
        let _slot = self.origin_slot(&d.endpoint).await;
        let answer = match send::send(
            &self.http,
            Outgoing {
                sub: &sub,
                payload: &payload,
                ttl,
                urgency: d.urgency,
                topic: &d.topic,
                signature,
            },
        )
        .await
        {
            Ok(a) => a,
            Err(e) => return done(Failed, None, e.to_string()),
        };
        if answer.refused {
            return done(
                DeliveryState::Gone,
                None,
                format!("refused endpoint: {}", answer.detail),
            );
        }
        let attempts = d.attempts + 1;
        let detail = match answer.status {
            Some(s) if answer.detail.is_empty() => format!("HTTP {s}"),
            Some(s) => format!("HTTP {s}: {}", answer.detail),
            None => answer.detail.clone(),
        };
        match after_attempt(answer.status, answer.retry_after, attempts) {
            Next::Sent => done(Sent, answer.status, detail),
            Next::Gone => done(Gone, answer.status, detail),
            Next::Fail => done(Failed, answer.status, detail),
            Next::Retry(secs) => {
                let at = now + chrono::Duration::seconds(secs);
                if at >= d.expires_at {
                    done(
                        Expired,
                        answer.status,
                        format!("{detail}; expires before a retry"),
                    )
                } else {
                    AttemptOutcome {
                        next_at: at,
                        ..done(Pending, answer.status, detail)
                    }
                }
            }
        }
    }
}

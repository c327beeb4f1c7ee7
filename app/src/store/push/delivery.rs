//! Deliveries: the fan-out of each notice into one row per subscription
//! that wants it, leases for the sending worker, and every attempt.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::domain::push::{Audience, DeliveryState, NoticeScope, Urgency};
use crate::error::{AppError, Result};
use crate::store::events::require_event;
use crate::store::lease::{self, Queue};
use crate::store::{Backend, Store, instant, unix};

/// Ids bound in one `in (...)` list (well inside SQLite's and
/// PostgreSQL's limits on parameters).
const IDS_PER_STATEMENT: usize = 400;

/// `$first, $first+1, ...`: `n` numbered parameters.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One message the worker must send now.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub delivery_id: i64,
    pub subscription_id: i64,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub vapid_key_id: i64,
    pub audience: Audience,
    pub lang: String,
    pub time_zone: String,
    pub notice_id: i64,
    pub notice_json: String,
    pub topic: String,
    pub urgency: Urgency,
    pub expires_at: DateTime<Utc>,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// How one attempt ended, for [`Store::record_attempts`].
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub delivery_id: i64,
    pub subscription_id: i64,
    /// `Pending` means retry at `next_at`.
    pub state: DeliveryState,
    pub next_at: DateTime<Utc>,
    /// The push service's HTTP status; `None` when unreachable or not sent.
    pub status: Option<u16>,
    pub detail: String,
}

/// Counts of deliveries by state (tests and diagnostics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushCounts {
    pub subscriptions: i64,
    pub notices: i64,
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    pub gone: i64,
    pub expired: i64,
}

impl Store {
    /// One fan-out step: takes the oldest notice not yet fanned out and
    /// creates deliveries for up to `batch` more subscriptions of its event
    /// (those whose choice covers it), moving its cursor in the same
    /// transaction, so a crash repeats at most this step. Returns how many
    /// subscriptions it looked at; 0 when nothing is left to fan out.
    pub async fn fan_out_step(&self, batch: i64, now: DateTime<Utc>) -> Result<usize> {
        let mut tx = self.pool.begin().await?;
        // A write first: it takes SQLite's write lock (waiting for it, unlike
        // a read that later writes) and on PostgreSQL locks the notice, so
        // two instances never fan out the same notice at once.
        // On PostgreSQL a notice another instance is fanning out is
        // skipped: that one takes the next notice instead of waiting.
        let lock = match self.backend {
            Backend::Postgres => " for update skip locked",
            Backend::Sqlite => "",
        };
        let Some(n) = sqlx::query(&format!(
            "update push_notice set fanout_cursor = fanout_cursor where push_notice_id = \
             (select push_notice_id from push_notice where fanned_out_at is null \
              order by push_notice_id limit 1{lock}) and fanned_out_at is null \
             returning push_notice_id, event_id, scope_json, fanout_cursor"
        ))
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(0);
        };
        let notice_id: i64 = n.try_get("push_notice_id")?;
        let event_id: i64 = n.try_get("event_id")?;
        let cursor: i64 = n.try_get("fanout_cursor")?;
        let scope: NoticeScope = serde_json::from_str(&n.try_get::<String, _>("scope_json")?)
            .map_err(|e| AppError::Internal(format!("notice {notice_id}: scope: {e}")))?;
        let subs = sqlx::query(
            "select push_subscription_id, all_tracks, tracks_json, sessions_json, \
             session_tracks_json, speaker_key \
             from push_subscription where event_id = $1 and gone_at is null \
             and push_subscription_id > $2 order by push_subscription_id limit $3",
        )
        .bind(event_id)
        .bind(cursor)
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
        let mut wanted = Vec::new();
        let mut last = cursor;
        for r in &subs {
            let id: i64 = r.try_get("push_subscription_id")?;
            last = id;
            if audience_of(r)?.wants(&scope) {
                wanted.push(id);
            }
        }
        // A few hundred rows per statement keeps well under both engines'
        // limits on bound parameters.
        for chunk in wanted.chunks(200) {
            let mut sql = String::from(
                "insert into push_delivery (push_notice_id, push_subscription_id, state, \
                 attempts, next_at, updated_at) values ",
            );
            for (i, _) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("($1, ${}, 'pending', 0, $2, $2)", i + 3));
            }
            sql.push_str(" on conflict (push_notice_id, push_subscription_id) do nothing");
            let mut q = sqlx::query(&sql).bind(notice_id).bind(unix(now));
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        let finished = (subs.len() as i64) < batch;
        sqlx::query(
            "update push_notice set fanout_cursor = $2, fanned_out_at = $3 where push_notice_id = $1",
        )
        .bind(notice_id)
        .bind(last)
        .bind(finished.then_some(unix(now)))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        // A finished notice with no subscriber left still counts as work done.
        Ok(subs.len().max(1))
    }

    /// Takes up to `limit` due deliveries for sending, leasing them for
    /// `lease_secs` under `token`: another worker (or this one after a
    /// crash) takes them again only once the lease has run out, and only
    /// the holder of `token` renews ([`Store::renew_leases`]) or releases
    /// ([`Store::release_leases`]) them.
    pub async fn claim_deliveries(
        &self,
        limit: i64,
        now: DateTime<Utc>,
        lease_secs: i64,
        token: &str,
    ) -> Result<Vec<DueDelivery>> {
        let now_s = unix(now);
        let mut tx = self.pool.begin().await?;
        let ids = lease::claim(
            &mut tx,
            self.backend,
            Queue::Push,
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
        // Integers only; SQLite cannot `update … returning` inside a CTE,
        // so the claimed ids come back as a list.
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let rows = sqlx::query(&format!(
            "select d.push_delivery_id, d.attempts, s.push_subscription_id, s.endpoint, s.p256dh, \
             s.auth, s.vapid_key_id, s.all_tracks, s.tracks_json, s.sessions_json, \
             s.session_tracks_json, s.speaker_key, \
             s.lang, s.time_zone, n.push_notice_id, n.payload_json, n.topic, n.urgency, n.expires_at \
             from push_delivery d join push_subscription s on s.push_subscription_id = d.push_subscription_id \
             join push_notice n on n.push_notice_id = d.push_notice_id \
             where d.push_delivery_id in ({list}) order by d.push_delivery_id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let urgency: String = r.try_get("urgency")?;
                Ok(DueDelivery {
                    delivery_id: r.try_get("push_delivery_id")?,
                    subscription_id: r.try_get("push_subscription_id")?,
                    endpoint: r.try_get("endpoint")?,
                    p256dh: r.try_get("p256dh")?,
                    auth: r.try_get("auth")?,
                    vapid_key_id: r.try_get("vapid_key_id")?,
                    audience: audience_of(r)?,
                    lang: r.try_get("lang")?,
                    time_zone: r.try_get("time_zone")?,
                    notice_id: r.try_get("push_notice_id")?,
                    notice_json: r.try_get("payload_json")?,
                    topic: r.try_get("topic")?,
                    urgency: Urgency::parse(&urgency).ok_or_else(|| {
                        AppError::Internal(format!("unknown stored urgency {urgency:?}"))
                    })?,
                    expires_at: instant(r, "expires_at")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    /// Records a batch of attempts in one transaction: each delivery's new
    /// state, one `push_attempt` row per attempt, and subscriptions the push
    /// service said are gone. A handful of statements per batch, not per
    /// attempt: a burst's outcomes are nearly all alike (sent, 201), so the
    /// deliveries are updated per distinct outcome and the attempts
    /// inserted many rows at a time. Within a batch, a subscription that is
    /// gone takes its other pending deliveries with it, whatever the order.
    pub async fn record_attempts(
        &self,
        outcomes: &[AttemptOutcome],
        now: DateTime<Utc>,
    ) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let now_s = unix(now);
        // The deliveries that ended alike, by (state, next_at, status).
        type Outcome = (DeliveryState, i64, Option<i64>);
        let mut alike: Vec<(Outcome, Vec<i64>)> = Vec::new();
        for o in outcomes {
            let key = (o.state, unix(o.next_at), o.status.map(i64::from));
            match alike.iter_mut().find(|(k, _)| *k == key) {
                Some((_, ids)) => ids.push(o.delivery_id),
                None => alike.push((key, vec![o.delivery_id])),
            }
        }
        let subscriptions = |keep: fn(DeliveryState) -> bool| -> Vec<i64> {
            let set: BTreeSet<i64> = outcomes
                .iter()
                .filter(|o| keep(o.state))
                .map(|o| o.subscription_id)
                .collect();
            set.into_iter().collect()
        };
        // Delivered: whatever failed before is forgiven.
        let delivered = subscriptions(|s| s == DeliveryState::Sent);
        let failing =
            subscriptions(|s| matches!(s, DeliveryState::Failed | DeliveryState::Pending));
        let gone = subscriptions(|s| s == DeliveryState::Gone);

        let mut tx = self.pool.begin().await?;
        for ((state, next_at, status), ids) in &alike {
            for ids in ids.chunks(IDS_PER_STATEMENT) {
                // A retry is nobody's until claimed again; a finished one
                // keeps the token of the worker that sent it (diagnostics).
                let sql = format!(
                    "update push_delivery set state = $1, next_at = $2, attempts = attempts + $3, \
                     last_status = $4, updated_at = $5, \
                     lease_token = case when $1 = 'pending' then null else lease_token end \
                     where push_delivery_id in ({})",
                    placeholders(6, ids.len())
                );
                let mut q = sqlx::query(&sql)
                    .bind(state.as_str())
                    .bind(*next_at)
                    .bind(i64::from(state.was_tried()))
                    .bind(*status)
                    .bind(now_s);
                for id in ids {
                    q = q.bind(*id);
                }
                q.execute(&mut *tx).await?;
            }
        }
        for rows in outcomes.chunks(IDS_PER_STATEMENT / 4) {
            let values: Vec<String> = (0..rows.len())
                .map(|i| format!("({})", placeholders(4 * i + 1, 4)))
                .collect();
            let sql = format!(
                "insert into push_attempt (push_delivery_id, at, status, detail) values {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for o in rows {
                q = q
                    .bind(o.delivery_id)
                    .bind(now_s)
                    .bind(o.status.map(i64::from))
                    .bind(&o.detail);
            }
            q.execute(&mut *tx).await?;
        }
        // (subscriptions, statement, whether `$1` is now): the ids follow.
        let by_subscription = [
            (
                &delivered,
                "update push_subscription set failing_since = null \
                 where failing_since is not null and push_subscription_id in",
                false,
            ),
            (
                &failing,
                "update push_subscription set failing_since = $1 \
                 where failing_since is null and push_subscription_id in",
                true,
            ),
            (
                &gone,
                "update push_subscription set gone_at = $1 where push_subscription_id in",
                true,
            ),
            // Nothing else queued for a gone one will be delivered either.
            (
                &gone,
                "update push_delivery set state = 'gone', updated_at = $1 \
                 where state = 'pending' and push_subscription_id in",
                true,
            ),
        ];
        for (ids, head, with_now) in by_subscription {
            for ids in ids.chunks(IDS_PER_STATEMENT) {
                let first = if with_now { 2 } else { 1 };
                let sql = format!("{head} ({})", placeholders(first, ids.len()));
                let mut q = sqlx::query(&sql);
                if with_now {
                    q = q.bind(now_s);
                }
                for id in ids {
                    q = q.bind(*id);
                }
                q.execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Extends the lease of every delivery still held under `token` (not
    /// yet recorded) to `lease_secs` from `now`, while a batch is being
    /// sent: a slow batch never outlives its lease and gets sent twice.
    /// Returns how many were renewed.
    pub async fn renew_leases(
        &self,
        token: &str,
        now: DateTime<Utc>,
        lease_secs: i64,
    ) -> Result<u64> {
        lease::renew(&self.pool, Queue::Push, token, unix(now), lease_secs).await
    }

    /// Gives back what is still held under `token`, due at once, so
    /// another instance sends it without waiting for the lease to run out
    /// (at shutdown). Returns how many were released.
    pub async fn release_leases(&self, token: &str, now: DateTime<Utc>) -> Result<u64> {
        lease::release(&self.pool, Queue::Push, token, unix(now)).await
    }

    /// Every attempt to a subscription's endpoint, oldest first: (unix
    /// seconds, HTTP status when there was one). For tests and diagnostics.
    pub async fn attempts_for(&self, endpoint: &str) -> Result<Vec<(i64, Option<i64>)>> {
        let rows = sqlx::query(
            "select a.at, a.status from push_attempt a \
             join push_delivery d on d.push_delivery_id = a.push_delivery_id \
             join push_subscription s on s.push_subscription_id = d.push_subscription_id \
             where s.endpoint = $1 order by a.push_attempt_id",
        )
        .bind(endpoint)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("at")?, r.try_get("status")?)))
            .collect()
    }

    /// Delivery counts, for an event or (with `None`) all of them, read
    /// from one snapshot.
    pub async fn push_counts(&self, slug: Option<&str>) -> Result<PushCounts> {
        let mut tx = self.begin_read().await?;
        let event_id = match slug {
            Some(s) => Some(require_event(&mut tx, s).await?.event_id),
            None => None,
        };
        let mut c = PushCounts::default();
        let subs = sqlx::query(
            "select count(*) as n from push_subscription where gone_at is null \
             and ($1 is null or event_id = $1)",
        )
        .bind(event_id)
        .fetch_one(&mut *tx)
        .await?;
        c.subscriptions = subs.try_get("n")?;
        let notices = sqlx::query(
            "select count(*) as n from push_notice where ($1 is null or event_id = $1)",
        )
        .bind(event_id)
        .fetch_one(&mut *tx)
        .await?;
        c.notices = notices.try_get("n")?;
        let rows = sqlx::query(
            "select d.state, count(*) as n from push_delivery d \
             join push_notice n on n.push_notice_id = d.push_notice_id \
             where ($1 is null or n.event_id = $1) group by d.state",
        )
        .bind(event_id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        for r in rows {
            let n: i64 = r.try_get("n")?;
            let state: String = r.try_get("state")?;
            let slot = match DeliveryState::parse(&state) {
                Some(DeliveryState::Pending) => &mut c.pending,
                Some(DeliveryState::Sent) => &mut c.sent,
                Some(DeliveryState::Failed) => &mut c.failed,
                Some(DeliveryState::Gone) => &mut c.gone,
                Some(DeliveryState::Expired) => &mut c.expired,
                None => {
                    return Err(AppError::Internal(format!(
                        "unknown stored delivery state {state:?}"
                    )));
                }
            };
            *slot = n;
        }
        Ok(c)
    }
}

/// What a subscription row asked for. A JSON list that does not parse is
/// corrupt data: an internal error, not an empty choice.
fn audience_of(r: &AnyRow) -> Result<Audience> {
    let set = |col: &str| -> Result<BTreeSet<String>> {
        let raw: String = r.try_get(col)?;
        serde_json::from_str(&raw)
            .map_err(|e| AppError::Internal(format!("push_subscription.{col}: {e}")))
    };
    Ok(Audience {
        all_tracks: r.try_get::<i64, _>("all_tracks")? != 0,
        tracks: set("tracks_json")?,
        sessions: set("sessions_json")?,
        session_tracks: set("session_tracks_json")?,
        speaker: r.try_get("speaker_key")?,
    })
}

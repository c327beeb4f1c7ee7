//! Web Push persistence: VAPID keys, subscriptions, the outbox (notices,
//! written inside the transaction of the change that causes them), its
//! fan-out into deliveries, leases for the sending worker, every attempt,
//! and speakers' answers to moved slots.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::events::{EventRow, require_event};
use super::{Store, changes, instant, unix};
use crate::domain::notice::{Move, Notice, plain_excerpt};
use crate::domain::push::{Audience, NoticeScope, Urgency, schedule_notice_expiry};
use crate::domain::schedule::Schedule;
use crate::domain::shift::ShiftPreview;
use crate::domain::status::IncidentStatus;
use crate::error::{AppError, Result};

/// A VAPID key pair. `Debug` leaves the private half out, so it cannot end
/// up in a log by accident.
#[derive(Clone)]
pub struct VapidKeyRecord {
    pub id: i64,
    /// base64url of the raw 32-byte P-256 scalar.
    pub private_key: String,
    /// base64url of the uncompressed public point (what browsers get).
    pub public_key: String,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for VapidKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKeyRecord")
            .field("id", &self.id)
            .field("public_key", &self.public_key)
            .field("private_key", &"<hidden>")
            .finish()
    }
}

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
    /// `sent`, `pending` (retry at `next_at`), `failed`, `gone`, `expired`.
    pub state: &'static str,
    pub next_at: DateTime<Utc>,
    /// The push service's HTTP status; `None` when unreachable or not sent.
    pub status: Option<u16>,
    pub detail: String,
}

/// Counts of deliveries by state, for the admin page and tests.
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

/// Attempts and finished deliveries are kept this long, for the record.
pub const KEEP_HISTORY_DAYS: i64 = 7;
/// A subscription no delivery has reached for this long is dropped.
pub const FAILING_DAYS: i64 = 3;

/// Rows [`Store::prune_push`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneCounts {
    pub attempts: u64,
    pub deliveries: u64,
    pub notices: u64,
    pub subscriptions: u64,
}

impl PruneCounts {
    pub fn total(&self) -> u64 {
        self.attempts + self.deliveries + self.notices + self.subscriptions
    }
}

/// A speaker's answer to a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Confirmed,
    Declined,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Confirmed => "confirmed",
            Answer::Declined => "declined",
        }
    }

    /// Accepts what forms and the service worker send.
    pub fn parse(s: &str) -> Option<Answer> {
        match s {
            "confirm" | "confirmed" => Some(Answer::Confirmed),
            "decline" | "declined" => Some(Answer::Declined),
            _ => None,
        }
    }
}

fn json_set(raw: &str) -> BTreeSet<String> {
    serde_json::from_str(raw).unwrap_or_default()
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.to_string()))
}

impl Store {
    /// The key browsers subscribe with now (the newest not retired).
    pub async fn current_vapid_key(&self) -> Result<Option<VapidKeyRecord>> {
        let row = sqlx::query(
            "select vapid_key_id, private_key, public_key, created_at from vapid_key \
             where retired_at is null order by vapid_key_id desc limit 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| vapid_row(&r)).transpose()
    }

    /// Every key, retired or not, by id: subscriptions made with an old key
    /// are still signed with it.
    pub async fn vapid_keys(&self) -> Result<HashMap<i64, VapidKeyRecord>> {
        let rows =
            sqlx::query("select vapid_key_id, private_key, public_key, created_at from vapid_key")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| vapid_row(r).map(|k| (k.id, k)))
            .collect()
    }

    /// Stores a new current key; with `retire`, the previous current key is
    /// retired in the same transaction (`marquee vapid rotate`). Without it
    /// (first start), an existing key wins and is returned instead, so two
    /// instances starting together end up with one key.
    pub async fn add_vapid_key(
        &self,
        private_key: &str,
        public_key: &str,
        retire: bool,
    ) -> Result<VapidKeyRecord> {
        let now = unix(Utc::now());
        let mut tx = self.pool.begin().await?;
        if retire {
            sqlx::query("update vapid_key set retired_at = $1 where retired_at is null")
                .bind(now)
                .execute(&mut *tx)
                .await?;
        } else if let Some(r) = sqlx::query(
            "select vapid_key_id, private_key, public_key, created_at from vapid_key \
             where retired_at is null order by vapid_key_id desc limit 1",
        )
        .fetch_optional(&mut *tx)
        .await?
        {
            tx.commit().await?;
            return vapid_row(&r);
        }
        let row = sqlx::query(
            "insert into vapid_key (private_key, public_key, created_at) values ($1, $2, $3) \
             returning vapid_key_id, private_key, public_key, created_at",
        )
        .bind(private_key)
        .bind(public_key)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        vapid_row(&row)
    }

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

    /// Deletes what no longer serves: attempts and finished deliveries
    /// older than [`KEEP_HISTORY_DAYS`], expired notices fully delivered,
    /// subscriptions gone for a day and those failing for
    /// [`FAILING_DAYS`].
    pub async fn prune_push(&self, now: DateTime<Utc>) -> Result<PruneCounts> {
        let day = 24 * 3600;
        let history = unix(now) - KEEP_HISTORY_DAYS * day;
        let run = |sql: &'static str, at: i64| async move {
            Ok::<u64, AppError>(
                sqlx::query(sql)
                    .bind(at)
                    .execute(&self.pool)
                    .await?
                    .rows_affected(),
            )
        };
        Ok(PruneCounts {
            attempts: run("delete from push_attempt where at < $1", history).await?,
            deliveries: run(
                "delete from push_delivery where state <> 'pending' and updated_at < $1",
                history,
            )
            .await?,
            notices: run(
                "delete from push_notice where fanned_out_at is not null and expires_at < $1 \
                 and not exists (select 1 from push_delivery d \
                 where d.push_notice_id = push_notice.push_notice_id and d.state = 'pending')",
                history,
            )
            .await?,
            subscriptions: run(
                "delete from push_subscription where gone_at < $1",
                unix(now) - day,
            )
            .await?
                + run(
                    "delete from push_subscription where failing_since < $1",
                    unix(now) - FAILING_DAYS * day,
                )
                .await?,
        })
    }

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
        let Some(n) = sqlx::query(
            "update push_notice set fanout_cursor = fanout_cursor where push_notice_id = \
             (select push_notice_id from push_notice where fanned_out_at is null \
              order by push_notice_id limit 1) and fanned_out_at is null \
             returning push_notice_id, event_id, scope_json, fanout_cursor",
        )
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
    /// `lease_secs`: another worker (or this one after a crash) takes them
    /// again only once the lease has run out.
    pub async fn claim_deliveries(
        &self,
        limit: i64,
        now: DateTime<Utc>,
        lease_secs: i64,
    ) -> Result<Vec<DueDelivery>> {
        let now_s = unix(now);
        let mut tx = self.pool.begin().await?;
        // Re-checking `next_at` in the outer update makes a concurrent
        // claimer on PostgreSQL skip rows another one has just leased.
        let claimed = sqlx::query(
            "update push_delivery set next_at = $2 where push_delivery_id in \
             (select push_delivery_id from push_delivery where state = 'pending' and next_at <= $1 \
              order by next_at, push_delivery_id limit $3) \
             and state = 'pending' and next_at <= $1 returning push_delivery_id",
        )
        .bind(now_s)
        .bind(now_s + lease_secs)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        if claimed.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = claimed
            .iter()
            .map(|r| r.try_get("push_delivery_id"))
            .collect::<std::result::Result<_, _>>()?;
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
                    urgency: Urgency::parse(&r.try_get::<String, _>("urgency")?),
                    expires_at: instant(r, "expires_at")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    /// Records a batch of attempts in one transaction: each delivery's new
    /// state, one `push_attempt` row per attempt, and subscriptions the push
    /// service said are gone.
    pub async fn record_attempts(
        &self,
        outcomes: &[AttemptOutcome],
        now: DateTime<Utc>,
    ) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let now_s = unix(now);
        let mut tx = self.pool.begin().await?;
        for o in outcomes {
            let tried = o.state != "expired";
            sqlx::query(
                "update push_delivery set state = $2, next_at = $3, attempts = attempts + $4, \
                 last_status = $5, updated_at = $6 where push_delivery_id = $1",
            )
            .bind(o.delivery_id)
            .bind(o.state)
            .bind(unix(o.next_at))
            .bind(i64::from(tried))
            .bind(o.status.map(i64::from))
            .bind(now_s)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "insert into push_attempt (push_delivery_id, at, status, detail) values ($1, $2, $3, $4)",
            )
            .bind(o.delivery_id)
            .bind(now_s)
            .bind(o.status.map(i64::from))
            .bind(&o.detail)
            .execute(&mut *tx)
            .await?;
            match o.state {
                // Delivered: whatever failed before is forgiven.
                "sent" => {
                    sqlx::query(
                        "update push_subscription set failing_since = null \
                         where push_subscription_id = $1 and failing_since is not null",
                    )
                    .bind(o.subscription_id)
                    .execute(&mut *tx)
                    .await?;
                }
                "failed" | "pending" => {
                    sqlx::query(
                        "update push_subscription set failing_since = $2 \
                         where push_subscription_id = $1 and failing_since is null",
                    )
                    .bind(o.subscription_id)
                    .bind(now_s)
                    .execute(&mut *tx)
                    .await?;
                }
                _ => {}
            }
            if o.state == "gone" {
                sqlx::query(
                    "update push_subscription set gone_at = $2 where push_subscription_id = $1",
                )
                .bind(o.subscription_id)
                .bind(now_s)
                .execute(&mut *tx)
                .await?;
                // Nothing else queued for it will be delivered either.
                sqlx::query(
                    "update push_delivery set state = 'gone', updated_at = $2 \
                     where push_subscription_id = $1 and state = 'pending'",
                )
                .bind(o.subscription_id)
                .bind(now_s)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every attempt to a subscription's endpoint, oldest first: (unix
    /// seconds, HTTP status when there was one).
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

    /// Delivery counts, for an event or (with `None`) all of them.
    pub async fn push_counts(&self, slug: Option<&str>) -> Result<PushCounts> {
        let event_id = match slug {
            Some(s) => {
                let mut tx = self.begin_read().await?;
                let ev = require_event(&mut tx, s).await?;
                tx.commit().await?;
                Some(ev.event_id)
            }
            None => None,
        };
        let mut c = PushCounts::default();
        let subs = sqlx::query(
            "select count(*) as n from push_subscription where gone_at is null \
             and ($1 is null or event_id = $1)",
        )
        .bind(event_id)
        .fetch_one(&self.pool)
        .await?;
        c.subscriptions = subs.try_get("n")?;
        let notices = sqlx::query(
            "select count(*) as n from push_notice where ($1 is null or event_id = $1)",
        )
        .bind(event_id)
        .fetch_one(&self.pool)
        .await?;
        c.notices = notices.try_get("n")?;
        let rows = sqlx::query(
            "select d.state, count(*) as n from push_delivery d \
             join push_notice n on n.push_notice_id = d.push_notice_id \
             where ($1 is null or n.event_id = $1) group by d.state",
        )
        .bind(event_id)
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            let n: i64 = r.try_get("n")?;
            match r.try_get::<String, _>("state")?.as_str() {
                "pending" => c.pending = n,
                "sent" => c.sent = n,
                "failed" => c.failed = n,
                "gone" => c.gone = n,
                "expired" => c.expired = n,
                _ => {}
            }
        }
        Ok(c)
    }

    /// Records a speaker's answer to a shift (a later answer replaces an
    /// earlier one) and tells open boards. Refused when the shift moved
    /// none of the speaker's sessions.
    pub async fn record_speaker_answer(
        &self,
        slug: &str,
        speaker_key: &str,
        shift_id: i64,
        answer: Answer,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let now = unix(now);
        let mut tx = self.pool.begin().await?;
        let ev = super::status::lock_event(&mut tx, slug).await?;
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
        let mine = sqlx::query(
            "select s.guid from session s join session_speaker ss on ss.session_id = s.session_id \
             join speaker sp on sp.speaker_id = ss.speaker_id \
             where s.event_id = $1 and sp.key = $2",
        )
        .bind(ev.event_id)
        .bind(speaker_key)
        .fetch_all(&mut *tx)
        .await?;
        let moved_mine = mine.iter().any(|r| {
            r.try_get::<String, _>("guid")
                .is_ok_and(|g| guids.contains(&g.as_str()))
        });
        if !moved_mine {
            return Err(AppError::invalid(
                "shift_id",
                format!("shift {shift_id} did not move any of your sessions"),
            ));
        }
        sqlx::query(
            "insert into speaker_answer (shift_id, speaker_key, answer, answered_at) \
             values ($1, $2, $3, $4) on conflict (shift_id, speaker_key) do update \
             set answer = excluded.answer, answered_at = excluded.answered_at",
        )
        .bind(shift_id)
        .bind(speaker_key)
        .bind(answer.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let payload = serde_json::json!({ "shift_id": shift_id, "answer": answer.as_str() });
        changes::append(&mut tx, ev.event_id, "speaker_answer", &payload, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every speaker answer of an event, for the read model.
    pub async fn event_speaker_answers(
        &self,
        slug: &str,
    ) -> Result<HashMap<(i64, String), Answer>> {
        let mut tx = self.begin_read().await?;
        let ev = require_event(&mut tx, slug).await?;
        let rows = sqlx::query(
            "select a.shift_id, a.speaker_key, a.answer from speaker_answer a \
             join shift s on s.shift_id = a.shift_id where s.event_id = $1",
        )
        .bind(ev.event_id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let a = Answer::parse(&r.try_get::<String, _>("answer")?)
                    .ok_or_else(|| AppError::Internal("unknown stored answer".into()))?;
                Ok(((r.try_get("shift_id")?, r.try_get("speaker_key")?), a))
            })
            .collect()
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
                let a = Answer::parse(&r.try_get::<String, _>("answer")?)
                    .ok_or_else(|| AppError::Internal("unknown stored answer".into()))?;
                Ok((r.try_get("speaker_key")?, (a, instant(r, "answered_at")?)))
            })
            .collect()
    }

    /// Queues a reminder for each session starting within `lead` whose
    /// speakers have subscribed; each (session, start) only once, however
    /// often this runs. Returns how many it queued.
    pub async fn queue_reminders(
        &self,
        now: DateTime<Utc>,
        lead: chrono::Duration,
    ) -> Result<usize> {
        let rows = sqlx::query(
            "select distinct e.event_id, e.slug, s.guid, s.title, s.start_at, t.name as track_name \
             from session s join event e on e.event_id = s.event_id \
             join track t on t.track_id = s.track_id \
             join session_speaker ss on ss.session_id = s.session_id \
             join speaker sp on sp.speaker_id = ss.speaker_id \
             join push_subscription p on p.event_id = s.event_id and p.speaker_key = sp.key \
             and p.gone_at is null \
             where s.start_at > $1 and s.start_at <= $2",
        )
        .bind(unix(now))
        .bind(unix(now + lead))
        .fetch_all(&self.pool)
        .await?;
        let mut queued = 0;
        for r in rows {
            let event_id: i64 = r.try_get("event_id")?;
            let guid: String = r.try_get("guid")?;
            let start = instant(&r, "start_at")?;
            let speakers: Vec<String> = sqlx::query(
                "select sp.key from session_speaker ss join session s on s.session_id = ss.session_id \
                 join speaker sp on sp.speaker_id = ss.speaker_id \
                 where s.event_id = $1 and s.guid = $2 order by ss.position",
            )
            .bind(event_id)
            .bind(&guid)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|x| x.try_get("key"))
            .collect::<std::result::Result<_, _>>()?;
            let notice = Notice::Reminder {
                event: r.try_get("slug")?,
                guid: guid.clone(),
                title: r.try_get("title")?,
                track_name: r.try_get("track_name")?,
                start,
            };
            let mut tx = self.pool.begin().await?;
            let fresh = enqueue(
                &mut tx,
                event_id,
                &notice,
                &NoticeScope::Speakers { speakers },
                Urgency::High,
                start,
                Some(&format!("reminder:{event_id}:{guid}:{}", unix(start))),
                unix(now),
            )
            .await?;
            tx.commit().await?;
            queued += usize::from(fresh);
        }
        Ok(queued)
    }
}

fn vapid_row(r: &sqlx::any::AnyRow) -> Result<VapidKeyRecord> {
    Ok(VapidKeyRecord {
        id: r.try_get("vapid_key_id")?,
        private_key: r.try_get("private_key")?,
        public_key: r.try_get("public_key")?,
        created_at: instant(r, "created_at")?,
    })
}

fn audience_of(r: &sqlx::any::AnyRow) -> Result<Audience> {
    Ok(Audience {
        all_tracks: r.try_get::<i64, _>("all_tracks")? != 0,
        tracks: json_set(&r.try_get::<String, _>("tracks_json")?),
        sessions: json_set(&r.try_get::<String, _>("sessions_json")?),
        session_tracks: json_set(&r.try_get::<String, _>("session_tracks_json")?),
        speaker: r.try_get("speaker_key")?,
    })
}

/// Writes one notice to the outbox (inside the caller's transaction); one
/// row whatever the number of subscribers. With a `dedupe` key a repeat is
/// ignored; returns whether a row was written.
#[allow(clippy::too_many_arguments)]
pub(super) async fn enqueue(
    conn: &mut AnyConnection,
    event_id: i64,
    notice: &Notice,
    scope: &NoticeScope,
    urgency: Urgency,
    expires_at: DateTime<Utc>,
    dedupe: Option<&str>,
    now: i64,
) -> Result<bool> {
    let topic = match notice {
        // Topic (RFC 8030 §5.4): a newer message replaces a stale one still
        // waiting at the push service. At most 32 base64url characters.
        Notice::Incident { incident_id, .. } => format!("incident-{incident_id}"),
        Notice::Schedule { .. } => format!("schedule-{event_id}"),
        Notice::SpeakerMove { .. } => format!("speaker-{event_id}"),
        Notice::Reminder { guid, .. } => {
            let short: String = guid
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(20)
                .collect();
            format!("remind-{short}")
        }
    };
    let done = sqlx::query(
        "insert into push_notice (event_id, kind, scope_json, payload_json, topic, urgency, \
         expires_at, dedupe_key, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         on conflict (dedupe_key) do nothing",
    )
    .bind(event_id)
    .bind(notice.kind())
    .bind(to_json(scope)?)
    .bind(to_json(notice)?)
    .bind(topic)
    .bind(urgency.as_str())
    .bind(unix(expires_at))
    .bind(dedupe)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Queues what a shift or revert tells: attendees of the moved tracks and
/// sessions, and (for a shift) each speaker of a moved session.
pub(super) async fn enqueue_shift(
    conn: &mut AnyConnection,
    ev: &EventRow,
    schedule: &Schedule,
    shift_id: i64,
    revert: bool,
    preview: &ShiftPreview,
    now: i64,
) -> Result<()> {
    if preview.moved.is_empty() {
        return Ok(());
    }
    let moves: Vec<Move> = preview
        .moved
        .iter()
        .map(|m| Move {
            guid: m.guid.clone(),
            title: m.title.clone(),
            track: m.track.clone(),
            track_name: schedule
                .track(&m.track)
                .map_or_else(|| m.track.clone(), |t| t.name.clone()),
            speakers: schedule
                .session(&m.guid)
                .map(|s| s.speakers.clone())
                .unwrap_or_default(),
            old_start: m.old_start,
            new_start: m.new_start,
        })
        .collect();
    let now_t = DateTime::from_timestamp(now, 0).unwrap_or_default();
    let first = moves.iter().map(|m| m.new_start).min().unwrap_or(now_t);
    let mut tracks: Vec<String> = moves.iter().map(|m| m.track.clone()).collect();
    tracks.sort();
    tracks.dedup();
    let scope = NoticeScope::Schedule {
        tracks,
        sessions: moves.iter().map(|m| m.guid.clone()).collect(),
    };
    let slug = ev.event.slug.clone();
    let notice = Notice::Schedule {
        event: slug.clone(),
        shift_id,
        revert,
        moves: moves.clone(),
    };
    let expiry = schedule_notice_expiry(now_t, first);
    enqueue(
        conn,
        ev.event_id,
        &notice,
        &scope,
        Urgency::High,
        expiry,
        None,
        now,
    )
    .await?;
    let mut speakers: Vec<String> = moves.iter().flat_map(|m| m.speakers.clone()).collect();
    speakers.sort();
    speakers.dedup();
    if !revert && !speakers.is_empty() {
        let notice = Notice::SpeakerMove {
            event: slug,
            shift_id,
            moves,
        };
        // Speakers may answer until their talk starts; give the push
        // service until the first one.
        let scope = NoticeScope::Speakers { speakers };
        enqueue(
            conn,
            ev.event_id,
            &notice,
            &scope,
            Urgency::High,
            expiry,
            None,
            now,
        )
        .await?;
    }
    Ok(())
}

/// Queues the notice of an incident update. Subscribers of the tracks whose
/// streams it affects hear of it; an incident touching anything else (or
/// nothing named) concerns everyone.
pub(super) async fn enqueue_incident(
    conn: &mut AnyConnection,
    event_id: i64,
    incident_id: i64,
    status: IncidentStatus,
    body: &str,
    now: i64,
) -> Result<()> {
    let row = sqlx::query(
        "select i.name, i.impact, e.slug from incident i join event e on e.event_id = i.event_id \
         where i.incident_id = $1",
    )
    .bind(incident_id)
    .fetch_one(&mut *conn)
    .await?;
    let comps = sqlx::query(
        "select c.track_slug from incident_component ic join component c \
         on c.component_id = ic.component_id where ic.incident_id = $1",
    )
    .bind(incident_id)
    .fetch_all(&mut *conn)
    .await?;
    let tracks: Option<Vec<String>> = comps
        .iter()
        .map(|r| r.try_get::<Option<String>, _>("track_slug").ok().flatten())
        .collect();
    let tracks = tracks.unwrap_or_default();
    let impact: String = row.try_get("impact")?;
    let urgency = match (status, impact.as_str()) {
        (IncidentStatus::Resolved | IncidentStatus::Completed, _) => Urgency::Normal,
        (_, "major" | "critical") => Urgency::High,
        _ => Urgency::Normal,
    };
    let notice = Notice::Incident {
        event: row.try_get("slug")?,
        incident_id,
        name: row.try_get("name")?,
        status: status.as_str().to_owned(),
        body: plain_excerpt(body),
    };
    let now_t = DateTime::from_timestamp(now, 0).unwrap_or_default();
    let expiry = now_t + chrono::Duration::seconds(crate::domain::push::INCIDENT_TTL_SECS);
    enqueue(
        conn,
        event_id,
        &notice,
        &NoticeScope::Incident { tracks },
        urgency,
        expiry,
        None,
        now,
    )
    .await?;
    Ok(())
}

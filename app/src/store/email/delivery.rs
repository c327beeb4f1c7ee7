//! The mail side of the outbox: each push_notice fanned out into one
//! `email_delivery` per confirmed subscriber who wants it and per speaker
//! with an address it concerns (a cursor of its own in `email_fanout`),
//! leased to a sending worker like push deliveries, and retried.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::domain::push::{Audience, DeliveryState, NoticeScope};
use crate::error::{AppError, Result};
use crate::store::lease::{self, Queue};
use crate::store::{Backend, Store, instant, unix};

/// Who one delivery goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailRecipient {
    Subscriber(i64),
    Speaker(String),
}

/// One mail the worker must send now.
#[derive(Debug, Clone)]
pub struct DueEmail {
    pub delivery_id: i64,
    pub recipient: EmailRecipient,
    pub address: String,
    pub audience: Audience,
    pub lang: String,
    pub time_zone: String,
    pub event_id: i64,
    pub event_slug: String,
    pub event_name: String,
    pub notice_id: i64,
    pub notice_json: String,
    pub expires_at: DateTime<Utc>,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// A link a mail will carry, stored (hashed) before the mail leaves.
#[derive(Debug, Clone)]
pub enum NewEmailLink {
    Manage {
        token_hash: String,
        subscriber_id: i64,
    },
    Answer {
        token_hash: String,
        event_id: i64,
        speaker_key: String,
        notice_id: i64,
    },
}

/// How one attempt ended.
#[derive(Debug, Clone)]
pub struct EmailOutcome {
    pub delivery_id: i64,
    /// `Pending` means retry at `next_at`.
    pub state: DeliveryState,
    pub next_at: DateTime<Utc>,
    /// The SMTP server's answer or why nothing was sent (never the address).
    pub detail: Option<String>,
}

/// Deliveries by state (tests, the bench, diagnostics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailCounts {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    pub gone: i64,
    pub expired: i64,
}

impl Store {
    /// One fan-out step for mail: the oldest notice not yet fanned out to
    /// mail, up to `batch` more subscribers of its event, and (once they
    /// are done) its speakers with an address. The cursor moves in the same
    /// transaction. Returns how much it looked at; 0 when nothing is left.
    pub async fn email_fan_out_step(&self, batch: i64, now: DateTime<Utc>) -> Result<usize> {
        let now_s = unix(now);
        let mut tx = self.pool.begin().await?;
        // A write first (SQLite's write lock, see `fan_out_step`): notices
        // the mail side has not seen get their cursor row.
        sqlx::query(
            "insert into email_fanout (push_notice_id) select n.push_notice_id from push_notice n \
             where not exists (select 1 from email_fanout f where f.push_notice_id = n.push_notice_id) \
             on conflict (push_notice_id) do nothing",
        )
        .execute(&mut *tx)
        .await?;
        let lock = match self.backend {
            Backend::Postgres => " for update skip locked",
            Backend::Sqlite => "",
        };
        let Some(f) = sqlx::query(&format!(
            "select f.push_notice_id, f.subscriber_cursor, f.speakers_done, n.event_id, \
             n.scope_json, n.expires_at from email_fanout f \
             join push_notice n on n.push_notice_id = f.push_notice_id \
             where f.push_notice_id = (select push_notice_id from email_fanout \
             where finished_at is null order by push_notice_id limit 1{lock})"
        ))
        .fetch_optional(&mut *tx)
        .await?
        else {
            tx.commit().await?;
            return Ok(0);
        };
        let notice_id: i64 = f.try_get("push_notice_id")?;
        let event_id: i64 = f.try_get("event_id")?;
        let cursor: i64 = f.try_get("subscriber_cursor")?;
        // Notices from before mail was set up (or that waited too long)
        // are not worth a mail any more.
        if f.try_get::<i64, _>("expires_at")? <= now_s {
            finish(&mut tx, notice_id, cursor, now_s).await?;
            tx.commit().await?;
            return Ok(1);
        }
        let scope: NoticeScope = serde_json::from_str(&f.try_get::<String, _>("scope_json")?)
            .map_err(|e| AppError::Internal(format!("notice {notice_id}: scope: {e}")))?;
        let subs = sqlx::query(
            "select email_subscriber_id, all_tracks, tracks_json from email_subscriber \
             where event_id = $1 and confirmed_at is not null and ended_at is null \
             and email_subscriber_id > $2 order by email_subscriber_id limit $3",
        )
        .bind(event_id)
        .bind(cursor)
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
        let mut wanted = Vec::new();
        let mut last = cursor;
        for r in &subs {
            let id: i64 = r.try_get("email_subscriber_id")?;
            last = id;
            if audience_of(r)?.wants(&scope) {
                wanted.push(id);
            }
        }
        insert_deliveries(&mut tx, notice_id, "email_subscriber_id", &wanted, now_s).await?;
        if (subs.len() as i64) < batch {
            if let NoticeScope::Speakers { speakers } = &scope {
                let mut ids = Vec::new();
                for chunk in speakers.chunks(200) {
                    let marks: Vec<String> =
                        (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
                    let sql = format!(
                        "select speaker_id from speaker where event_id = $1 and email is not null \
                         and email <> '' and key in ({})",
                        marks.join(",")
                    );
                    let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(event_id);
                    for k in chunk {
                        q = q.bind(k);
                    }
                    ids.extend(q.fetch_all(&mut *tx).await?);
                }
                insert_deliveries(&mut tx, notice_id, "speaker_id", &ids, now_s).await?;
            }
            finish(&mut tx, notice_id, last, now_s).await?;
        } else {
            sqlx::query("update email_fanout set subscriber_cursor = $2 where push_notice_id = $1")
                .bind(notice_id)
                .bind(last)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(subs.len().max(1))
    }

    /// Takes up to `limit` due mails, leased for `lease_secs` under
    /// `token` (as [`Store::claim_deliveries`] does for push).
    pub async fn claim_emails(
        &self,
        limit: i64,
        now: DateTime<Utc>,
        lease_secs: i64,
        token: &str,
    ) -> Result<Vec<DueEmail>> {
        let now_s = unix(now);
        let mut tx = self.pool.begin().await?;
        let ids = lease::claim(
            &mut tx,
            self.backend,
            Queue::Email,
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
        // Integers only, so the list is safe to inline.
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let rows = sqlx::query(&format!(
            "select d.email_delivery_id, d.attempts, d.email_subscriber_id, sp.key as speaker_key, \
             coalesce(s.address, sp.email) as address, coalesce(s.all_tracks, 0) as all_tracks, \
             coalesce(s.tracks_json, '[]') as tracks_json, \
             coalesce(s.lang, sp.lang, 'en') as lang, coalesce(s.time_zone, e.time_zone) as time_zone, \
             e.event_id, e.slug, e.name, n.push_notice_id, n.payload_json, n.expires_at \
             from email_delivery d join push_notice n on n.push_notice_id = d.push_notice_id \
             join event e on e.event_id = n.event_id \
             left join email_subscriber s on s.email_subscriber_id = d.email_subscriber_id \
             left join speaker sp on sp.speaker_id = d.speaker_id \
             where d.email_delivery_id in ({list}) order by d.email_delivery_id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let sub: Option<i64> = r.try_get("email_subscriber_id")?;
                let speaker: Option<String> = r.try_get("speaker_key")?;
                let recipient = match (sub, speaker.clone()) {
                    (Some(id), _) => EmailRecipient::Subscriber(id),
                    (None, Some(k)) => EmailRecipient::Speaker(k),
                    (None, None) => {
                        return Err(AppError::Internal(
                            "email delivery without recipient".into(),
                        ));
                    }
                };
                let mut audience = audience_of(r)?;
                audience.speaker = match &recipient {
                    EmailRecipient::Speaker(_) => speaker,
                    EmailRecipient::Subscriber(_) => None,
                };
                Ok(DueEmail {
                    delivery_id: r.try_get("email_delivery_id")?,
                    recipient,
                    address: r.try_get("address")?,
                    audience,
                    lang: r.try_get("lang")?,
                    time_zone: r.try_get("time_zone")?,
                    event_id: r.try_get("event_id")?,
                    event_slug: r.try_get("slug")?,
                    event_name: r.try_get("name")?,
                    notice_id: r.try_get("push_notice_id")?,
                    notice_json: r.try_get("payload_json")?,
                    expires_at: instant(r, "expires_at")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    /// Stores the links a batch of mails will carry, in one transaction,
    /// before any of them is sent (a link in a sent mail always works).
    pub async fn store_email_links(
        &self,
        links: &[NewEmailLink],
        now: DateTime<Utc>,
    ) -> Result<()> {
        if links.is_empty() {
            return Ok(());
        }
        let now_s = unix(now);
        let mut tx = self.pool.begin().await?;
        let (manage, answer): (Vec<_>, Vec<_>) = links
            .iter()
            .partition(|l| matches!(l, NewEmailLink::Manage { .. }));
        for chunk in manage.chunks(300) {
            let mut sql = String::from(
                "insert into email_link (token_hash, email_subscriber_id, created_at) values ",
            );
            for i in 0..chunk.len() {
                sql.push_str(if i > 0 { "," } else { "" });
                sql.push_str(&format!("(${}, ${}, $1)", 2 * i + 2, 2 * i + 3));
            }
            let mut q = sqlx::query(&sql).bind(now_s);
            for l in chunk {
                if let NewEmailLink::Manage {
                    token_hash,
                    subscriber_id,
                } = l
                {
                    q = q.bind(token_hash).bind(*subscriber_id);
                }
            }
            q.execute(&mut *tx).await?;
        }
        for l in answer {
            if let NewEmailLink::Answer {
                token_hash,
                event_id,
                speaker_key,
                notice_id,
            } = l
            {
                sqlx::query(
                    "insert into email_answer_link (token_hash, event_id, speaker_key, \
                     push_notice_id, created_at) values ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash)
                .bind(*event_id)
                .bind(speaker_key)
                .bind(*notice_id)
                .bind(now_s)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a batch of attempts in one transaction: the mails sent (most
    /// of them) in one statement per few hundred, the rest one by one.
    pub async fn record_emails(&self, outcomes: &[EmailOutcome], now: DateTime<Utc>) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let now_s = unix(now);
        let mut tx = self.pool.begin().await?;
        let (sent, others): (Vec<&EmailOutcome>, Vec<&EmailOutcome>) = outcomes
            .iter()
            .partition(|o| o.state == DeliveryState::Sent && o.detail.is_none());
        for chunk in sent.chunks(500) {
            // Integers only: safe to inline.
            let list = chunk
                .iter()
                .map(|o| o.delivery_id.to_string())
                .collect::<Vec<_>>()
                .join(",");
            sqlx::query(&format!(
                "update email_delivery set state = 'sent', next_at = $1, attempts = attempts + 1, \
                 last_error = null, updated_at = $1 where email_delivery_id in ({list})"
            ))
            .bind(now_s)
            .execute(&mut *tx)
            .await?;
        }
        for o in others {
            sqlx::query(
                "update email_delivery set state = $2, next_at = $3, attempts = attempts + $4, \
                 last_error = $5, updated_at = $6, \
                 lease_token = case when $2 = 'pending' then null else lease_token end \
                 where email_delivery_id = $1",
            )
            .bind(o.delivery_id)
            .bind(o.state.as_str())
            .bind(unix(o.next_at))
            .bind(i64::from(o.state.was_tried()))
            .bind(o.detail.as_deref())
            .bind(now_s)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Gives back what is still leased under `token`, due at once.
    pub async fn release_email_leases(&self, token: &str, now: DateTime<Utc>) -> Result<u64> {
        lease::release(&self.pool, Queue::Email, token, unix(now)).await
    }

    /// Extends the leases still held under `token` while a batch is sent.
    pub async fn renew_email_leases(
        &self,
        token: &str,
        now: DateTime<Utc>,
        lease_secs: i64,
    ) -> Result<u64> {
        lease::renew(&self.pool, Queue::Email, token, unix(now), lease_secs).await
    }

    /// Mail deliveries by state, over all events.
    pub async fn email_counts(&self) -> Result<EmailCounts> {
        let rows = sqlx::query("select state, count(*) as n from email_delivery group by state")
            .fetch_all(&self.pool)
            .await?;
        let mut c = EmailCounts::default();
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

async fn finish(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    notice_id: i64,
    cursor: i64,
    now_s: i64,
) -> Result<()> {
    sqlx::query(
        "update email_fanout set subscriber_cursor = $2, speakers_done = 1, finished_at = $3 \
         where push_notice_id = $1",
    )
    .bind(notice_id)
    .bind(cursor)
    .bind(now_s)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One pending delivery per id in `ids` (subscriber or speaker ids, as
/// `column` says), a few hundred per statement.
async fn insert_deliveries(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    notice_id: i64,
    column: &'static str,
    ids: &[i64],
    now_s: i64,
) -> Result<()> {
    for chunk in ids.chunks(200) {
        let mut sql = format!(
            "insert into email_delivery (push_notice_id, {column}, state, attempts, next_at, \
             updated_at) values "
        );
        for i in 0..chunk.len() {
            sql.push_str(if i > 0 { "," } else { "" });
            sql.push_str(&format!("($1, ${}, 'pending', 0, $2, $2)", i + 3));
        }
        sql.push_str(&format!(
            " on conflict (push_notice_id, {column}) do nothing"
        ));
        let mut q = sqlx::query(&sql).bind(notice_id).bind(now_s);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// What a subscriber row asked for (attendees choose tracks, not talks).
fn audience_of(r: &AnyRow) -> Result<Audience> {
    let raw: String = r.try_get("tracks_json")?;
    let tracks: BTreeSet<String> = serde_json::from_str(&raw)
        .map_err(|e| AppError::Internal(format!("email_subscriber.tracks_json: {e}")))?;
    Ok(Audience {
        all_tracks: r.try_get::<i64, _>("all_tracks")? != 0,
        tracks,
        ..Audience::default()
    })
}

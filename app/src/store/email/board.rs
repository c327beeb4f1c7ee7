//! What the organiser's e-mail page shows of one event: subscribers by
//! state, deliveries by state, and the recent deliveries with the
//! recipient masked (the full address never leaves the store here), and
//! the languages speakers are mailed in (the speakers page).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::delivery::EmailCounts;
use crate::domain::email::{SmtpInfo, error_class, mask_address};
use crate::domain::notice::Notice;
use crate::domain::push::DeliveryState;
use crate::error::{AppError, Result};
use crate::store::events::require_event;
use crate::store::{Store, instant};

/// Subscribers of one event by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubscriberCounts {
    pub confirmed: i64,
    /// Asked, not confirmed yet (or never: the link may have expired).
    pub pending: i64,
    pub unsubscribed: i64,
}

/// One delivery as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailLogEntry {
    pub delivery_id: i64,
    pub notice_id: i64,
    /// [`Notice::kind`], or `unknown` for a notice this version cannot read.
    pub notice_kind: String,
    /// `a***@example.org`.
    pub recipient: String,
    pub to_speaker: bool,
    pub state: String,
    pub attempts: i64,
    /// The class of the last error ([`error_class`]).
    pub error: Option<String>,
    /// When it was last tried or given up.
    pub at: DateTime<Utc>,
}

/// Everything the e-mail page shows, put on its request by the server.
#[derive(Debug, Clone, Default)]
pub struct EmailBoard {
    /// `None`: no SMTP server configured (e-mail is off).
    pub smtp: Option<SmtpInfo>,
    pub subscribers: SubscriberCounts,
    pub speakers_with_address: i64,
    pub deliveries: EmailCounts,
    /// Most recent first; empty unless the viewer may manage channels.
    pub log: Vec<EmailLogEntry>,
}

/// The language each speaker of an event is mailed in, by key (only
/// those with one set), for the speakers page's form.
#[derive(Debug, Clone, Default)]
pub struct SpeakerLangs(pub HashMap<String, String>);

impl Store {
    /// Subscriber and delivery counts of `slug`, and (with `log_rows` >
    /// 0) its most recent deliveries.
    pub async fn email_board(&self, slug: &str, log_rows: i64) -> Result<EmailBoard> {
        let mut tx = self.begin_read().await?;
        let ev = require_event(&mut tx, slug).await?.event_id;
        let s = sqlx::query(
            "select coalesce(sum(case when ended_at is null and confirmed_at is not null \
             then 1 else 0 end), 0) as confirmed, \
             coalesce(sum(case when ended_at is null and confirmed_at is null then 1 else 0 end), 0) \
             as pending, \
             coalesce(sum(case when ended_at is not null then 1 else 0 end), 0) as ended \
             from email_subscriber where event_id = $1",
        )
        .bind(ev)
        .fetch_one(&mut *tx)
        .await?;
        let subscribers = SubscriberCounts {
            confirmed: s.try_get("confirmed")?,
            pending: s.try_get("pending")?,
            unsubscribed: s.try_get("ended")?,
        };
        let speakers_with_address: i64 = sqlx::query_scalar(
            "select count(*) from speaker where event_id = $1 and email is not null and email <> ''",
        )
        .bind(ev)
        .fetch_one(&mut *tx)
        .await?;
        let mut deliveries = EmailCounts::default();
        for r in sqlx::query(
            "select d.state, count(*) as n from email_delivery d \
             join push_notice n on n.push_notice_id = d.push_notice_id \
             where n.event_id = $1 group by d.state",
        )
        .bind(ev)
        .fetch_all(&mut *tx)
        .await?
        {
            let n: i64 = r.try_get("n")?;
            let state: String = r.try_get("state")?;
            match DeliveryState::parse(&state) {
                Some(DeliveryState::Pending) => deliveries.pending = n,
                Some(DeliveryState::Sent) => deliveries.sent = n,
                Some(DeliveryState::Failed) => deliveries.failed = n,
                Some(DeliveryState::Gone) => deliveries.gone = n,
                Some(DeliveryState::Expired) => deliveries.expired = n,
                None => {
                    return Err(AppError::Internal(format!(
                        "unknown stored delivery state {state:?}"
                    )));
                }
            }
        }
        let log = if log_rows > 0 {
            email_log(&mut tx, ev, log_rows).await?
        } else {
            Vec::new()
        };
        tx.commit().await?;
        Ok(EmailBoard {
            smtp: None,
            subscribers,
            speakers_with_address,
            deliveries,
            log,
        })
    }

    /// The languages the speakers of `slug` are mailed in.
    pub async fn speaker_langs(&self, slug: &str) -> Result<SpeakerLangs> {
        let mut tx = self.begin_read().await?;
        let ev = require_event(&mut tx, slug).await?.event_id;
        let rows = sqlx::query(
            "select key, lang from speaker where event_id = $1 and lang is not null and lang <> ''",
        )
        .bind(ev)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(SpeakerLangs(
            rows.iter()
                .map(|r| Ok((r.try_get("key")?, r.try_get("lang")?)))
                .collect::<Result<_>>()?,
        ))
    }
}

/// The most recent deliveries of event `ev` that were tried or settled
/// (a queued one waiting for its first try is in the counts only).
async fn email_log(conn: &mut AnyConnection, ev: i64, rows: i64) -> Result<Vec<EmailLogEntry>> {
    let rows = sqlx::query(
        "select d.email_delivery_id, d.state, d.attempts, d.last_error, d.updated_at, \
         d.speaker_id, n.push_notice_id, n.payload_json, \
         coalesce(s.address, sp.email, '') as address \
         from email_delivery d join push_notice n on n.push_notice_id = d.push_notice_id \
         left join email_subscriber s on s.email_subscriber_id = d.email_subscriber_id \
         left join speaker sp on sp.speaker_id = d.speaker_id \
         where n.event_id = $1 and (d.state <> 'pending' or d.attempts > 0) \
         order by d.updated_at desc, d.email_delivery_id desc limit $2",
    )
    .bind(ev)
    .bind(rows)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let notice: String = r.try_get("payload_json")?;
            let address: String = r.try_get("address")?;
            Ok(EmailLogEntry {
                delivery_id: r.try_get("email_delivery_id")?,
                notice_id: r.try_get("push_notice_id")?,
                notice_kind: serde_json::from_str::<Notice>(&notice)
                    .map_or("unknown", |n| n.kind())
                    .to_owned(),
                recipient: mask_address(&address),
                to_speaker: r.try_get::<Option<i64>, _>("speaker_id")?.is_some(),
                state: r.try_get("state")?,
                attempts: r.try_get("attempts")?,
                error: r
                    .try_get::<Option<String>, _>("last_error")?
                    .map(|e| error_class(&e))
                    .filter(|e| !e.is_empty()),
                at: instant(r, "updated_at")?,
            })
        })
        .collect()
}

//! Forgetting what no longer serves: old attempts and finished deliveries,
//! spent notices, and subscriptions that are gone or keep failing.

use chrono::{DateTime, Utc};

use crate::error::{AppError, Result};
use crate::store::{Store, unix};

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
    /// E-mail manage/unsubscribe links (see [`Store::prune_email_links`]).
    pub email_links: u64,
}

impl PruneCounts {
    pub fn total(&self) -> u64 {
        self.attempts + self.deliveries + self.notices + self.subscriptions + self.email_links
    }
}

impl Store {
    /// Deletes what no longer serves: attempts and finished deliveries
    /// older than [`KEEP_HISTORY_DAYS`], expired notices fully delivered,
    /// subscriptions gone for a day and those failing for
    /// [`FAILING_DAYS`]; and the e-mail links that no longer serve (the
    /// same job: the mail side shares the outbox).
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
            email_links: self.prune_email_links(now).await?,
        })
    }
}

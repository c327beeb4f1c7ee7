//! VAPID key pairs: the one browsers subscribe with now, and the retired
//! ones older subscriptions are still signed with.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::Result;
use crate::store::{Store, instant, unix};

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

const CURRENT: &str = "select vapid_key_id, private_key, public_key, created_at from vapid_key \
     where retired_at is null order by vapid_key_id desc limit 1";

impl Store {
    /// The key browsers subscribe with now (the newest not retired).
    pub async fn current_vapid_key(&self) -> Result<Option<VapidKeyRecord>> {
        let row = sqlx::query(CURRENT).fetch_optional(&self.pool).await?;
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
        // Every branch starts with a write: on SQLite a transaction that
        // reads first cannot wait for the write lock and fails at once with
        // "database is locked" when another writer got in between.
        if retire {
            sqlx::query("update vapid_key set retired_at = $1 where retired_at is null")
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        let inserted = sqlx::query(
            "insert into vapid_key (private_key, public_key, created_at) \
             select $1, $2, $3 where $4 = 1 or not exists \
             (select 1 from vapid_key where retired_at is null) \
             returning vapid_key_id, private_key, public_key, created_at",
        )
        .bind(private_key)
        .bind(public_key)
        .bind(now)
        .bind(i64::from(retire))
        .fetch_optional(&mut *tx)
        .await?;
        let row = match inserted {
            Some(row) => row,
            // Another key is current; this transaction holds the write lock
            // now, so it reads what is committed.
            None => sqlx::query(CURRENT).fetch_one(&mut *tx).await?,
        };
        tx.commit().await?;
        vapid_row(&row)
    }
}

fn vapid_row(r: &AnyRow) -> Result<VapidKeyRecord> {
    Ok(VapidKeyRecord {
        id: r.try_get("vapid_key_id")?,
        private_key: r.try_get("private_key")?,
        public_key: r.try_get("public_key")?,
        created_at: instant(r, "created_at")?,
    })
}

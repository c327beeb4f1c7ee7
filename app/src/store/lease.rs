//! The leased claim the three outboxes share (push, mail and webhook
//! deliveries): due rows are taken for `lease_secs` under a worker's
//! token; another worker (or this one after a crash) takes them again only
//! once the lease has run out, and only the holder of the token renews or
//! releases them. The queues differ only by table, so the SQL is written
//! once, for a closed set of tables (the names are never user input).

use sqlx::{AnyConnection, AnyPool};

use super::Backend;
use crate::error::Result;

/// A delivery table with `state`, `next_at` and `lease_token` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Queue {
    Push,
    Email,
    Webhook,
}

impl Queue {
    fn table(self) -> &'static str {
        match self {
            Queue::Push => "push_delivery",
            Queue::Email => "email_delivery",
            Queue::Webhook => "webhook_delivery",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Queue::Push => "push_delivery_id",
            Queue::Email => "email_delivery_id",
            Queue::Webhook => "webhook_delivery_id",
        }
    }
}

/// The SQL of [`claim`] for `queue` on `backend`. Binds: `$1` now, `$2`
/// the lease's end, `$3` how many, `$4` the token.
///
/// PostgreSQL: rows another worker is claiming right now are skipped
/// rather than waited for, so instances take disjoint batches side by
/// side. The pick is a materialised CTE: as an `in (…)` subquery
/// PostgreSQL may run it again per row, and with SKIP LOCKED each run
/// finds other rows, so one claim took the whole queue. SQLite has one
/// writer at a time; re-checking `next_at` in the outer update keeps a
/// row leased in between out.
fn claim_sql(backend: Backend, queue: Queue) -> String {
    let (table, id) = (queue.table(), queue.id());
    match backend {
        Backend::Postgres => format!(
            "with picked as materialized (select {id} from {table} \
             where state = 'pending' and next_at <= $1 \
             order by next_at, {id} limit $3 for update skip locked) \
             update {table} d set next_at = $2, lease_token = $4 from picked \
             where d.{id} = picked.{id} returning d.{id}"
        ),
        Backend::Sqlite => format!(
            "update {table} set next_at = $2, lease_token = $4 where {id} in \
             (select {id} from {table} where state = 'pending' and next_at <= $1 \
              order by next_at, {id} limit $3) \
             and state = 'pending' and next_at <= $1 returning {id}"
        ),
    }
}

/// Leases up to `limit` due rows of `queue` until `now_s + lease_secs`
/// under `token` (inside the caller's transaction); their ids, in no
/// promised order (the caller orders what it loads).
pub(super) async fn claim(
    conn: &mut AnyConnection,
    backend: Backend,
    queue: Queue,
    limit: i64,
    now_s: i64,
    lease_secs: i64,
    token: &str,
) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar::<_, i64>(&claim_sql(backend, queue))
        .bind(now_s)
        .bind(now_s + lease_secs)
        .bind(limit)
        .bind(token)
        .fetch_all(&mut *conn)
        .await?)
}

/// Extends the leases still held under `token` while a batch is sent.
pub(super) async fn renew(
    pool: &AnyPool,
    queue: Queue,
    token: &str,
    now_s: i64,
    lease_secs: i64,
) -> Result<u64> {
    let sql = format!(
        "update {} set next_at = $2 where lease_token = $1 and state = 'pending'",
        queue.table()
    );
    let done = sqlx::query(&sql)
        .bind(token)
        .bind(now_s + lease_secs)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// Gives back what is still leased under `token`, due at once (a worker
/// stopping).
pub(super) async fn release(pool: &AnyPool, queue: Queue, token: &str, now_s: i64) -> Result<u64> {
    let sql = format!(
        "update {} set next_at = $2, lease_token = null where lease_token = $1 and state = 'pending'",
        queue.table()
    );
    let done = sqlx::query(&sql)
        .bind(token)
        .bind(now_s)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_queue_names_its_own_table_and_key_only() {
        for q in [Queue::Push, Queue::Email, Queue::Webhook] {
            for b in [Backend::Postgres, Backend::Sqlite] {
                let sql = claim_sql(b, q);
                assert!(sql.contains(&format!("update {} ", q.table())), "{sql}");
                for other in [Queue::Push, Queue::Email, Queue::Webhook] {
                    if other != q {
                        assert!(!sql.contains(other.table()), "{sql}");
                    }
                }
            }
        }
        assert!(claim_sql(Backend::Postgres, Queue::Email).contains("skip locked"));
        assert!(!claim_sql(Backend::Sqlite, Queue::Email).contains("skip locked"));
    }
}

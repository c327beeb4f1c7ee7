//! Periodic jobs shared by every instance on one database: the one that
//! moves a job's `next_at` runs it, the others find it not due, so a job
//! runs once a period however many instances there are.

use chrono::{DateTime, Utc};

use super::{Store, unix};
use crate::error::Result;

impl Store {
    /// Whether this caller should run job `name` now: true at most once
    /// per `every` across all instances (the first to ask once it is due).
    pub async fn claim_job(
        &self,
        name: &str,
        now: DateTime<Utc>,
        every: chrono::Duration,
    ) -> Result<bool> {
        let now = unix(now);
        sqlx::query(
            "insert into job_run (name, next_at) values ($1, 0) on conflict (name) do nothing",
        )
        .bind(name)
        .execute(&self.pool)
        .await?;
        // One statement: PostgreSQL re-checks `next_at` on the row a
        // concurrent claimer just moved, so only one of them gets it.
        let done = sqlx::query("update job_run set next_at = $2 where name = $1 and next_at <= $3")
            .bind(name)
            .bind(now + every.num_seconds().max(1))
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

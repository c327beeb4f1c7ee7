//! An event's own planning rules, kept on its row: the catch-up planner's
//! shortest break and how much Q&A it may cut.

use sqlx::Row;

use super::Store;
use super::changes;
use super::events::require_event;
use crate::domain::replan::CatchUpRules;
use crate::error::{AppError, Result};

impl Store {
    /// The event's catch-up rules (the defaults where none were set).
    pub async fn catch_up_rules(&self, slug: &str) -> Result<CatchUpRules> {
        let mut conn = self.pool.acquire().await?;
        Ok(require_event(&mut conn, slug).await?.catch_up_rules)
    }

    /// Stores `rules` (already checked) as the event's; every instance's
    /// organiser pages refresh (a notification, no change-log entry:
    /// attendees see nothing of it).
    pub async fn set_catch_up_rules(&self, slug: &str, rules: CatchUpRules) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "update event set min_break_min = $2, qa_cut_min = $3 where slug = $1 \
             returning event_id",
        )
        .bind(slug)
        .bind(rules.min_break_min)
        .bind(rules.qa_cut_min)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::not_found(format!("event {slug}")))?;
        changes::touch(&mut tx, row.try_get("event_id")?).await?;
        tx.commit().await?;
        Ok(())
    }
}

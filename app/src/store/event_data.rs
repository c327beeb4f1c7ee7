//! Everything the public read model holds of one event, read in ONE
//! snapshot, so a view never mixes a schedule from before a write with a
//! status from after it, and carries the change-log position it is at.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::events::{find_event, load_on, versions_on};
use super::proposals::proposals_on;
use super::shift::{sequences_on, shifts_on};
use super::speakers::{answer_details_on, answers_on, links_on};
use super::status_load::status_on;
use super::{
    Answer, ProposalRecord, ScheduleVersion, ShiftRecord, SpeakerLinkInfo, StatusSnapshot, Store,
    instant,
};
use crate::domain::replan::CatchUpRules;
use crate::domain::schedule::Schedule;
use crate::error::Result;

/// One event as stored, at one change-log position.
#[derive(Debug, Clone)]
pub struct EventData {
    pub schedule: Schedule,
    pub status: StatusSnapshot,
    pub versions: Vec<ScheduleVersion>,
    pub shifts: Vec<ShiftRecord>,
    pub sequences: HashMap<String, i64>,
    pub answers: HashMap<(i64, String), Answer>,
    /// Answers' reasons and availability, where given.
    pub answer_details: HashMap<(i64, String), crate::domain::replan::SpeakerAnswer>,
    pub links: Vec<SpeakerLinkInfo>,
    /// Proposals, newest first (organisers' and speakers' pages only).
    pub proposals: Vec<ProposalRecord>,
    /// The organisers' catch-up rules.
    pub catch_up_rules: CatchUpRules,
    /// The newest change-log entry this data includes: only grows, so a
    /// view built from it can be told apart from an older one.
    pub seq: i64,
    /// When that entry was written (the Unix epoch when there is none):
    /// "last updated" in documents, the same on every instance.
    pub changed_at: DateTime<Utc>,
}

impl Store {
    /// One event's data from a single read transaction; `None` for an
    /// unknown slug. `now` only bounds the status history (90 days).
    pub async fn load_event_data(
        &self,
        slug: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<EventData>> {
        let mut tx = self.begin_read().await?;
        let Some(ev) = find_event(&mut tx, slug).await? else {
            tx.commit().await?;
            return Ok(None);
        };
        let schedule = load_on(&mut tx, &ev).await?;
        let status = status_on(&mut tx, ev.event_id, now).await?;
        let versions = versions_on(&mut tx, ev.event_id).await?;
        let shifts = shifts_on(&mut tx, ev.event_id).await?;
        let sequences = sequences_on(&mut tx, ev.event_id).await?;
        let answers = answers_on(&mut tx, ev.event_id).await?;
        let answer_details = answer_details_on(&mut tx, ev.event_id).await?;
        let links = links_on(&mut tx, ev.event_id).await?;
        let proposals = proposals_on(&mut tx, &ev).await?;
        let last = sqlx::query(
            "select seq, created_at from change_log where event_id = $1 \
             order by seq desc limit 1",
        )
        .bind(ev.event_id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        let (seq, changed_at) = match last {
            Some(r) => (r.try_get("seq")?, instant(&r, "created_at")?),
            None => (0, DateTime::UNIX_EPOCH),
        };
        Ok(Some(EventData {
            schedule,
            status,
            versions,
            shifts,
            sequences,
            answers,
            answer_details,
            links,
            proposals,
            catch_up_rules: ev.catch_up_rules,
            seq,
            changed_at,
        }))
    }
}

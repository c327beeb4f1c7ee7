//! Reach: how many subscribers each notice of a shift (or change) or an
//! incident was for, and where their deliveries stand — for the shift
//! board and the incident's admin page. Notices carry the shift or
//! incident in their payload, not in a column, so the event's notices of
//! that kind are read and matched here (one event's notices are few).

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::super::events::require_event;
use crate::domain::notice::Notice;
use crate::domain::push::DeliveryState;
use crate::error::{AppError, Result};
use crate::store::{Store, instant};

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeOf {
    /// A shift or change (its attendee and speaker notices).
    Shift(i64),
    Incident(i64),
    /// A proposal (its questions to speakers, reminders, withdrawal).
    Proposal(i64),
}

/// One notice's reach. `targeted` counts the subscriptions the fan-out has
/// matched so far; the states split them.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct NoticeReach {
    pub notice_id: i64,
    /// `schedule`, `speaker_move`, `incident`, `track_paused`,
    /// `speaker_proposal` or `proposal_withdrawn`.
    pub kind: String,
    pub created_at: DateTime<Utc>,
    /// Whether the fan-out is done (else more may be targeted).
    pub fanned_out: bool,
    pub targeted: i64,
    pub delivered: i64,
    pub pending: i64,
    /// Given up, or the subscription is gone.
    pub failed: i64,
    pub expired: i64,
}

impl Store {
    /// The reach of each notice about `of` in event `slug`, oldest first,
    /// read from one snapshot.
    pub async fn notice_reach(&self, slug: &str, of: NoticeOf) -> Result<Vec<NoticeReach>> {
        Ok(self
            .event_reach(slug)
            .await?
            .into_iter()
            .filter(|(about, _)| *about == of)
            .map(|(_, n)| n)
            .collect())
    }

    /// The reach of every shift, change and incident notice of event
    /// `slug`, oldest first, each with what it is about.
    pub async fn event_reach(&self, slug: &str) -> Result<Vec<(NoticeOf, NoticeReach)>> {
        let mut tx = self.begin_read().await?;
        let event_id = require_event(&mut tx, slug).await?.event_id;
        let rows = sqlx::query(
            "select n.push_notice_id, n.kind, n.payload_json, n.created_at, n.fanned_out_at, \
             d.state, count(d.push_delivery_id) as c \
             from push_notice n left join push_delivery d on d.push_notice_id = n.push_notice_id \
             where n.event_id = $1 and n.kind in ('schedule', 'speaker_move', 'incident', \
             'track_paused', 'speaker_proposal', 'proposal_withdrawn') \
             group by n.push_notice_id, n.kind, n.payload_json, n.created_at, n.fanned_out_at, d.state \
             order by n.push_notice_id",
        )
        .bind(event_id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut out: Vec<(NoticeOf, NoticeReach)> = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("push_notice_id")?;
            if out.last().is_none_or(|(_, n)| n.notice_id != id) {
                let payload: String = r.try_get("payload_json")?;
                let notice: Notice = serde_json::from_str(&payload)
                    .map_err(|e| AppError::Internal(format!("push_notice {id}: {e}")))?;
                let about = match notice {
                    Notice::Schedule { shift_id, .. } | Notice::SpeakerMove { shift_id, .. } => {
                        NoticeOf::Shift(shift_id)
                    }
                    Notice::Incident { incident_id, .. }
                    | Notice::TrackPaused { incident_id, .. } => NoticeOf::Incident(incident_id),
                    Notice::SpeakerProposal { proposal_id, .. }
                    | Notice::ProposalWithdrawn { proposal_id, .. } => {
                        NoticeOf::Proposal(proposal_id)
                    }
                    Notice::Reminder { .. } => continue,
                };
                out.push((
                    about,
                    NoticeReach {
                        notice_id: id,
                        kind: r.try_get("kind")?,
                        created_at: instant(&r, "created_at")?,
                        fanned_out: r.try_get::<Option<i64>, _>("fanned_out_at")?.is_some(),
                        ..NoticeReach::default()
                    },
                ));
            }
            let Some((_, n)) = out.last_mut().filter(|(_, n)| n.notice_id == id) else {
                continue;
            };
            let c: i64 = r.try_get("c")?;
            let Some(state) = r.try_get::<Option<String>, _>("state")? else {
                continue;
            };
            n.targeted += c;
            match DeliveryState::parse(&state) {
                Some(DeliveryState::Sent) => n.delivered += c,
                Some(DeliveryState::Pending) => n.pending += c,
                Some(DeliveryState::Failed | DeliveryState::Gone) => n.failed += c,
                Some(DeliveryState::Expired) => n.expired += c,
                None => {
                    return Err(AppError::Internal(format!(
                        "unknown stored delivery state {state:?}"
                    )));
                }
            }
        }
        Ok(out)
    }
}

/// An event's notice reach, put on an organiser page's request by the
/// server (pages render from the read model, which does not hold it).
#[derive(Debug, Clone, Default)]
pub struct EventReach(pub Vec<(NoticeOf, NoticeReach)>);

impl EventReach {
    /// The notices about `of`, oldest first.
    pub fn of(&self, of: NoticeOf) -> impl Iterator<Item = &NoticeReach> {
        self.0.iter().filter(move |(a, _)| *a == of).map(|(_, n)| n)
    }
}

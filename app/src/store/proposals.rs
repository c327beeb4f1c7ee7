//! Proposals: a change saved to ask the speakers it moves before attendees
//! see anything (see `domain::replan::proposal`). Proposing writes no
//! schedule version, so public pages, feeds, calendars and the attendees'
//! live stream stay as they are; only a speaker notice and a
//! `speaker_answer` change-log entry (organisers' boards) are written.
//! Publishing re-plans the stored request on the version it was made on
//! and writes it like a change applied at once; the answers given to the
//! proposal become the change's answers.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::events::{EventRow, load_on, require_event};
use super::replan::{AppliedChange, amend_of, committed, write};
use super::{Store, changes, instant, push, shift, status, to_json, unix};
use crate::domain::change::ChangeKind as LogKind;
use crate::domain::replan::{
    AnswerError, Ask, AskedSlot, ChangeOp, ChangePreview, ProposalError, ProposalState, Reply,
    SpeakerAnswer, Standing, asks_for, availability_of, carry_answers, check_discard,
    check_publish, check_version, plan_steps,
};
use crate::domain::schedule::Schedule;
use crate::domain::speaker::Answer;
use crate::domain::time::parse_zone;
use crate::error::{AppError, Result};

/// One stored proposal with who was asked and what they said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposalRecord {
    pub proposal_id: i64,
    pub state: ProposalState,
    /// The schedule version it was made on: what a publish must carry.
    pub version: i64,
    pub actor: String,
    pub reason: String,
    pub summary: String,
    /// Each step as asked (one, or more once amended).
    pub ops: Vec<ChangeOp>,
    /// What the steps together would change.
    pub change: ChangePreview,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    /// Once published: the change (`shift` row) it became.
    pub shift_id: Option<i64>,
    /// One per speaker asked, by key.
    pub asks: Vec<Ask>,
}

impl From<ProposalError> for AppError {
    fn from(e: ProposalError) -> Self {
        AppError::conflict_on(e.field(), e.to_string())
    }
}

/// What a speaker answers, as the page or the notification sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerIn {
    pub reply: Reply,
    pub reason: Option<String>,
    /// "I can from HH:MM", on the day of their first talk asked about.
    pub available_from: Option<String>,
    pub not_today: bool,
}

impl AnswerIn {
    /// A plain yes or no.
    pub fn plain(reply: Reply) -> Self {
        Self {
            reply,
            reason: None,
            available_from: None,
            not_today: false,
        }
    }

    /// The checked answer about `slots` (not empty), given at `now`.
    pub fn to_answer(
        &self,
        slots: Vec<AskedSlot>,
        tz: chrono_tz::Tz,
        now: DateTime<Utc>,
    ) -> Result<SpeakerAnswer> {
        let first = slots.iter().map(|s| s.slot.start).min().unwrap_or(now);
        let bad = |e: AnswerError| AppError::invalid(e.field(), e.to_string());
        let availability =
            availability_of(self.available_from.as_deref(), self.not_today, first, tz)
                .map_err(bad)?;
        SpeakerAnswer::new(self.reply, self.reason.as_deref(), availability, slots, now)
            .map_err(bad)
    }
}

impl Store {
    /// Saves `op` (on `version` when given, else the version committed
    /// now) as a proposal and asks the speakers of the talks it moves; the
    /// schedule does not change. Refused like [`Store::apply_change`].
    /// With `amends`, `op` is added as a step to that open proposal
    /// instead (planned on the schedule its steps would make; 18:00, then
    /// 18:15): speakers whose answer still fits keep it, the others are
    /// asked again.
    #[allow(clippy::too_many_arguments)]
    pub async fn propose_change(
        &self,
        slug: &str,
        version: Option<i64>,
        op: &ChangeOp,
        actor: &str,
        reason: &str,
        amends: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<ProposalRecord> {
        let now = unix(now);
        let mut tx = self.pool.begin().await?;
        // The event's write lock without a new version: a proposal is not
        // a schedule change.
        let ev = status::lock_event(&mut tx, slug).await?;
        let tz = parse_zone(&ev.event.time_zone)?;
        let schedule = load_on(&mut tx, &ev).await?;
        if let Some(id) = amends {
            let record = amend_on(&mut tx, &ev, &schedule, id, op, now).await?;
            tx.commit().await?;
            return Ok(record);
        }
        check_version(version.unwrap_or(schedule.version), schedule.version)?;
        let ops = vec![op.clone()];
        let (change, _) = plan_steps(&schedule, tz, &ops)?;
        if change.edits.is_empty() {
            return Err(AppError::invalid("op", "this changes nothing"));
        }
        let row = sqlx::query(
            "insert into proposal (event_id, base_version, state, op_json, change_json, actor, \
             reason, created_at) values ($1, $2, 'proposed', $3, $4, $5, $6, $7) \
             returning proposal_id",
        )
        .bind(ev.event_id)
        .bind(schedule.version)
        .bind(to_json(&ops)?)
        .bind(to_json(&change)?)
        .bind(actor)
        .bind(reason)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("proposal_id")?;
        let asked: Vec<String> = asks_for(&schedule, &change)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        for key in &asked {
            sqlx::query(
                "insert into proposal_ask (proposal_id, speaker_key, asked_at) values ($1, $2, $3)",
            )
            .bind(id)
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let moves = push::change_moves(&schedule, &change);
        push::enqueue_proposal(&mut tx, &ev, id, moves, asked, false, now).await?;
        log(&mut tx, &ev, id, "proposed", now).await?;
        let record = one_on(&mut tx, &ev, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Publishes proposal `id`, previewed on `version`: re-planned on the
    /// schedule as committed and written like a change applied at once
    /// (a new version, history, notices); speakers who answered the
    /// proposal keep their answer and are not asked again. Refused (409)
    /// when it is no longer open or the schedule changed since; of two
    /// publishes at once the second finds it published.
    pub async fn publish_proposal(
        &self,
        slug: &str,
        id: i64,
        version: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<AppliedChange> {
        let now = unix(now);
        let mut tx = self.pool.begin().await?;
        let ev = shift::lock_event(&mut tx, slug, now).await?;
        let tz = parse_zone(&ev.event.time_zone)?;
        let schedule = committed(&mut tx, &ev).await?;
        let row = proposal_row(&mut tx, &ev, id).await?;
        let state = stored_state(&row.try_get::<String, _>("state")?)?;
        let base: i64 = row.try_get("base_version")?;
        check_publish(id, state, base, version, schedule.version)?;
        let ops = parse_ops(id, &row.try_get::<String, _>("op_json")?)?;
        let reason: String = row.try_get("reason")?;
        // The same steps on the same version plan the same change.
        let (change, _) = plan_steps(&schedule, tz, &ops)?;
        let asks = asks_on(&mut tx, id).await?;
        let answered: Vec<String> = asks
            .iter()
            .filter(|a| a.answer.is_some())
            .map(|a| a.speaker_key.clone())
            .collect();
        // A proposal about talks the latest change moved amends it too.
        let amend = amend_of(&mut tx, &ev, &schedule, &change, now, self.amend_window_min).await?;
        let record = amend.as_ref().map_or(&change, |a| &a.record);
        let mut told: Vec<String> = answered.clone();
        told.extend(
            amend
                .iter()
                .flat_map(|a| a.carried.iter().map(|(k, _)| k.clone())),
        );
        let shift_id = write(
            &mut tx, &ev, &schedule, &change, record, None, actor, &reason, &told, now,
        )
        .await?;
        if let Some(a) = &amend {
            a.finish(&mut tx, &ev, shift_id, &answered).await?;
        }
        let change = record.clone();
        for a in &asks {
            sqlx::query(
                "insert into change_ask (shift_id, speaker_key, asked_at, reminded_at) \
                 values ($1, $2, $3, $4)",
            )
            .bind(shift_id)
            .bind(&a.speaker_key)
            .bind(unix(a.asked_at))
            .bind(a.reminded_at.map(unix))
            .execute(&mut *tx)
            .await?;
            let Some(answer) = &a.answer else { continue };
            let plain = match answer.reply {
                Reply::Confirm => Answer::Confirmed,
                Reply::Decline => Answer::Declined,
            };
            sqlx::query(
                "insert into speaker_answer (shift_id, speaker_key, answer, answered_at, \
                 answer_json) values ($1, $2, $3, $4, $5)",
            )
            .bind(shift_id)
            .bind(&a.speaker_key)
            .bind(plain.as_str())
            .bind(unix(answer.answered_at))
            .bind(to_json(answer)?)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "update proposal set state = 'published', decided_at = $2, decided_by = $3, \
             shift_id = $4 where proposal_id = $1",
        )
        .bind(id)
        .bind(now)
        .bind(actor)
        .bind(shift_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(AppliedChange {
            shift_id,
            version: ev.version,
            change,
        })
    }

    /// Drops open proposal `id`; the schedule stays as it is and the
    /// speakers it asked are told so. Refused (409) once it was published
    /// or discarded.
    pub async fn discard_proposal(
        &self,
        slug: &str,
        id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ProposalRecord> {
        let now = unix(now);
        let mut tx = self.pool.begin().await?;
        let ev = status::lock_event(&mut tx, slug).await?;
        let row = proposal_row(&mut tx, &ev, id).await?;
        check_discard(id, stored_state(&row.try_get::<String, _>("state")?)?)?;
        sqlx::query(
            "update proposal set state = 'discarded', decided_at = $2, decided_by = $3 \
             where proposal_id = $1",
        )
        .bind(id)
        .bind(now)
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        log(&mut tx, &ev, id, "discarded", now).await?;
        // The speakers it asked are waiting on a question that is gone:
        // they keep their slots, and hear so in the same transaction.
        let change = parse_change(id, &row.try_get::<String, _>("change_json")?)?;
        let asked: Vec<String> = asks_on(&mut tx, id)
            .await?
            .into_iter()
            .map(|a| a.speaker_key)
            .collect();
        let schedule = load_on(&mut tx, &ev).await?;
        // Each talk's slot as it stands now (the schedule may have changed
        // since the proposal was made on it).
        let moves = push::change_moves(&schedule, &change)
            .into_iter()
            .map(|mut m| {
                if let Some(now_at) = schedule.session(&m.guid) {
                    m.old_start = now_at.start;
                    m.track_name = schedule
                        .track(&now_at.track)
                        .map_or_else(|| now_at.track.clone(), |t| t.name.clone());
                    m.track = now_at.track.clone();
                }
                m
            })
            .collect();
        push::enqueue_withdrawal(&mut tx, &ev, id, moves, asked, now).await?;
        let record = one_on(&mut tx, &ev, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Records `speaker_key`'s answer to open proposal `id` (a later
    /// answer replaces an earlier one) and tells open boards. Refused when
    /// the proposal asked them nothing or is no longer open.
    pub async fn answer_proposal(
        &self,
        slug: &str,
        speaker_key: &str,
        id: i64,
        answer: &AnswerIn,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let at = unix(now);
        let mut tx = self.pool.begin().await?;
        let ev = status::lock_event(&mut tx, slug).await?;
        let row = proposal_row(&mut tx, &ev, id)
            .await
            .map_err(|_| AppError::invalid("proposal_id", format!("no proposal {id}")))?;
        let state = stored_state(&row.try_get::<String, _>("state")?)?;
        if state != ProposalState::Proposed {
            return Err(ProposalError::NotOpen { id, state }.into());
        }
        let change = parse_change(id, &row.try_get::<String, _>("change_json")?)?;
        let schedule = load_on(&mut tx, &ev).await?;
        let slots = asks_for(&schedule, &change)
            .into_iter()
            .find(|(k, _)| k == speaker_key)
            .map(|(_, s)| s)
            .ok_or_else(|| {
                AppError::invalid(
                    "proposal_id",
                    format!("proposal {id} does not move any of your talks"),
                )
            })?;
        let tz = parse_zone(&ev.event.time_zone)?;
        let answer = answer.to_answer(slots, tz, now)?;
        let done = sqlx::query(
            "update proposal_ask set answer_json = $3, answered_at = $4 \
             where proposal_id = $1 and speaker_key = $2",
        )
        .bind(id)
        .bind(speaker_key)
        .bind(to_json(&answer)?)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(AppError::invalid(
                "proposal_id",
                format!("proposal {id} did not ask you"),
            ));
        }
        log(&mut tx, &ev, id, "answered", at).await?;
        // The team's chat hears of answers to proposals as of answers to
        // applied changes: this is when the organiser waits for them most.
        let plain = match answer.reply {
            Reply::Confirm => Answer::Confirmed,
            Reply::Decline => Answer::Declined,
        };
        let guids: Vec<&str> = answer.slots.iter().map(|s| s.guid.as_str()).collect();
        super::webhook::enqueue_speaker_answer(
            &mut tx,
            &ev,
            &schedule,
            speaker_key,
            &guids,
            plain.as_str(),
            Some(id),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reminds the speakers who have not answered open proposal `id` yet
    /// (one notice to them); returns their keys, sorted.
    pub async fn remind_proposal(
        &self,
        slug: &str,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let now = unix(now);
        let mut tx = self.pool.begin().await?;
        let ev = status::lock_event(&mut tx, slug).await?;
        let row = proposal_row(&mut tx, &ev, id).await?;
        let state = stored_state(&row.try_get::<String, _>("state")?)?;
        if state != ProposalState::Proposed {
            return Err(ProposalError::NotOpen { id, state }.into());
        }
        let change = parse_change(id, &row.try_get::<String, _>("change_json")?)?;
        let mut waiting: Vec<String> = asks_on(&mut tx, id)
            .await?
            .into_iter()
            .filter(|a| a.answer.is_none())
            .map(|a| a.speaker_key)
            .collect();
        waiting.sort();
        for key in &waiting {
            sqlx::query(
                "update proposal_ask set reminded_at = $3 where proposal_id = $1 and speaker_key = $2",
            )
            .bind(id)
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let schedule = load_on(&mut tx, &ev).await?;
        let moves = push::change_moves(&schedule, &change);
        push::enqueue_proposal(&mut tx, &ev, id, moves, waiting.clone(), true, now).await?;
        if !waiting.is_empty() {
            log(&mut tx, &ev, id, "reminded", now).await?;
        }
        tx.commit().await?;
        Ok(waiting)
    }

    /// An event's proposals, newest first.
    pub async fn list_proposals(&self, slug: &str) -> Result<Vec<ProposalRecord>> {
        let mut tx = self.begin_read().await?;
        let ev = require_event(&mut tx, slug).await?;
        let out = proposals_on(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(out)
    }
}

/// Adds `op` as a step to open proposal `id` on the locked event (whose
/// committed schedule is `schedule`) and re-asks whoever's answer no
/// longer fits.
async fn amend_on(
    conn: &mut AnyConnection,
    ev: &EventRow,
    schedule: &Schedule,
    id: i64,
    op: &ChangeOp,
    now: i64,
) -> Result<ProposalRecord> {
    let tz = parse_zone(&ev.event.time_zone)?;
    let row = proposal_row(conn, ev, id)
        .await
        .map_err(|_| AppError::invalid("amends", format!("no proposal {id}")))?;
    let state = stored_state(&row.try_get::<String, _>("state")?)?;
    let base: i64 = row.try_get("base_version")?;
    // Only an open proposal on today's schedule takes another step.
    check_publish(id, state, base, base, schedule.version)
        .map_err(|e| AppError::conflict_on("amends", e.to_string()))?;
    let mut ops = parse_ops(id, &row.try_get::<String, _>("op_json")?)?;
    ops.push(op.clone());
    let (change, _) = plan_steps(schedule, tz, &ops)?;
    if change.edits.is_empty() {
        return Err(AppError::invalid(
            "op",
            "with this step the proposal changes nothing; discard it instead",
        ));
    }
    sqlx::query("update proposal set op_json = $2, change_json = $3 where proposal_id = $1")
        .bind(id)
        .bind(to_json(&ops)?)
        .bind(to_json(&change)?)
        .execute(&mut *conn)
        .await?;
    let before = asks_on(conn, id).await?;
    let answers: HashMap<String, SpeakerAnswer> = before
        .iter()
        .filter_map(|a| a.answer.clone().map(|x| (a.speaker_key.clone(), x)))
        .collect();
    let standings = carry_answers(schedule, tz, &change, &answers);
    let mut ask_again = Vec::new();
    for (key, standing) in &standings {
        let had = before.iter().any(|a| &a.speaker_key == key);
        match standing {
            Standing::Confirmed | Standing::Declined => continue,
            Standing::AskAgain if had => {
                sqlx::query(
                    "update proposal_ask set asked_at = $3, reminded_at = null, answer_json = null, \
                     answered_at = null where proposal_id = $1 and speaker_key = $2",
                )
                .bind(id)
                .bind(key)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
            Standing::AskAgain => {
                sqlx::query(
                    "insert into proposal_ask (proposal_id, speaker_key, asked_at) \
                     values ($1, $2, $3)",
                )
                .bind(id)
                .bind(key)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
        }
        ask_again.push(key.clone());
    }
    // Speakers the proposal no longer moves are not asked any more.
    for a in &before {
        if !standings.iter().any(|(k, _)| *k == a.speaker_key) {
            sqlx::query("delete from proposal_ask where proposal_id = $1 and speaker_key = $2")
                .bind(id)
                .bind(&a.speaker_key)
                .execute(&mut *conn)
                .await?;
        }
    }
    let moves = push::change_moves(schedule, &change);
    push::enqueue_proposal(conn, ev, id, moves, ask_again, false, now).await?;
    log(conn, ev, id, "amended", now).await?;
    one_on(conn, ev, id).await
}

/// An event's proposals, newest first, inside the caller's transaction.
pub(super) async fn proposals_on(
    conn: &mut AnyConnection,
    ev: &EventRow,
) -> Result<Vec<ProposalRecord>> {
    let ids: Vec<i64> = sqlx::query(
        "select proposal_id from proposal where event_id = $1 order by proposal_id desc",
    )
    .bind(ev.event_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get("proposal_id"))
    .collect::<std::result::Result<_, _>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(one_on(conn, ev, id).await?);
    }
    Ok(out)
}

async fn proposal_row(
    conn: &mut AnyConnection,
    ev: &EventRow,
    id: i64,
) -> Result<sqlx::any::AnyRow> {
    sqlx::query(
        "select proposal_id, base_version, state, op_json, change_json, actor, reason, \
         created_at, decided_at, decided_by, shift_id from proposal \
         where proposal_id = $1 and event_id = $2",
    )
    .bind(id)
    .bind(ev.event_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| AppError::not_found(format!("proposal {id} of event {}", ev.event.slug)))
}

async fn one_on(conn: &mut AnyConnection, ev: &EventRow, id: i64) -> Result<ProposalRecord> {
    let r = proposal_row(conn, ev, id).await?;
    let change = parse_change(id, &r.try_get::<String, _>("change_json")?)?;
    let schedule = load_on(conn, ev).await?;
    let decided_at = r
        .try_get::<Option<i64>, _>("decided_at")?
        .map(|s| DateTime::from_timestamp(s, 0).unwrap_or_default());
    Ok(ProposalRecord {
        proposal_id: id,
        state: stored_state(&r.try_get::<String, _>("state")?)?,
        version: r.try_get("base_version")?,
        actor: r.try_get("actor")?,
        reason: r.try_get("reason")?,
        summary: change.summary(&schedule),
        ops: parse_ops(id, &r.try_get::<String, _>("op_json")?)?,
        created_at: instant(&r, "created_at")?,
        decided_at,
        decided_by: r.try_get("decided_by")?,
        shift_id: r.try_get("shift_id")?,
        asks: asks_on(conn, id).await?,
        change,
    })
}

/// Who proposal `id` asked, by key, with their answers.
async fn asks_on(conn: &mut AnyConnection, id: i64) -> Result<Vec<Ask>> {
    let rows = sqlx::query(
        "select speaker_key, asked_at, reminded_at, answer_json from proposal_ask \
         where proposal_id = $1 order by speaker_key",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let answer = r
                .try_get::<Option<String>, _>("answer_json")?
                .map(|j| {
                    serde_json::from_str::<SpeakerAnswer>(&j)
                        .map_err(|e| AppError::Internal(format!("proposal {id} answer: {e}")))
                })
                .transpose()?;
            Ok(Ask {
                speaker_key: r.try_get("speaker_key")?,
                asked_at: instant(r, "asked_at")?,
                reminded_at: r
                    .try_get::<Option<i64>, _>("reminded_at")?
                    .and_then(|s| DateTime::from_timestamp(s, 0)),
                answer,
            })
        })
        .collect()
}

/// A change-log entry the organisers' boards (not attendees) react to.
async fn log(conn: &mut AnyConnection, ev: &EventRow, id: i64, what: &str, now: i64) -> Result<()> {
    let payload = serde_json::json!({ "proposal_id": id, "proposal": what });
    changes::append(conn, ev.event_id, LogKind::SpeakerAnswer, &payload, now).await?;
    Ok(())
}

fn parse_ops(id: i64, json: &str) -> Result<Vec<ChangeOp>> {
    serde_json::from_str(json)
        .map_err(|e| AppError::Internal(format!("proposal {id} steps are unreadable: {e}")))
}

fn parse_change(id: i64, json: &str) -> Result<ChangePreview> {
    serde_json::from_str(json)
        .map_err(|e| AppError::Internal(format!("proposal {id} is unreadable: {e}")))
}

fn stored_state(s: &str) -> Result<ProposalState> {
    ProposalState::parse(s)
        .ok_or_else(|| AppError::Internal(format!("unknown stored proposal state {s:?}")))
}

//! Writing the re-planning core's changes (move, swap, cancel, restore,
//! shift, catch-up): [`plan_change`] runs inside the write transaction, on
//! the schedule as committed, so a change previewed on an older version is
//! refused there and changes nothing. Each change is stored as a `shift`
//! row whose `change_json` holds its [`ChangePreview`] (every slot before
//! and after), which is what a revert undoes; `preview_json` keeps the
//! moves in the older shift shape so history pages read both alike.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::Row;

use super::events::{EventRow, load_on, require_event};
use super::shift::lock_event;
use super::{Store, changes, instant, push, to_json, unix};
use crate::domain::change::ChangeKind as LogKind;
use crate::domain::replan::{
    AskedSlot, Availability, CatchUpPlan, CatchUpRequest, ChangeKind, ChangeOp, ChangePreview,
    ChangeRequest, ReplanError, Reply, ShiftPlan, SpeakerAnswer, Standing, amend_change,
    carry_answers, plan_catch_up, plan_change, preview_revert, within_amend_window,
};
use crate::domain::schedule::Schedule;
use crate::domain::shift::{ShiftKind, ShiftPreview};
use crate::domain::time::parse_zone;
use crate::error::{AppError, Result};

/// What [`Store::apply_change`] or a revert of a change committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedChange {
    /// The `shift` row it was stored as (what `…/shifts/{id}/revert` takes).
    pub shift_id: i64,
    /// The schedule version it created.
    pub version: i64,
    pub change: ChangePreview,
}

impl From<ReplanError> for AppError {
    fn from(e: ReplanError) -> Self {
        AppError::invalid(e.field(), e.to_string())
    }
}

impl Store {
    /// What `req` would do on the schedule as committed now; changes
    /// nothing. Refused like [`Store::apply_change`] (a stale `version`
    /// included).
    pub async fn preview_change(&self, slug: &str, req: &ChangeRequest) -> Result<ChangePreview> {
        let mut tx = self.begin_read().await?;
        let ev = require_event(&mut tx, slug).await?;
        let schedule = load_on(&mut tx, &ev).await?;
        tx.commit().await?;
        let tz = parse_zone(&ev.event.time_zone)?;
        Ok(plan_change(&schedule, tz, req)?)
    }

    /// The catch-up alternatives for `req` on the schedule as committed
    /// now, and that schedule's version (to send back with the chosen
    /// alternative); changes nothing.
    pub async fn preview_catch_up(
        &self,
        slug: &str,
        req: &CatchUpRequest,
    ) -> Result<(CatchUpPlan, i64)> {
        let mut tx = self.begin_read().await?;
        let ev = require_event(&mut tx, slug).await?;
        let schedule = load_on(&mut tx, &ev).await?;
        tx.commit().await?;
        let tz = parse_zone(&ev.event.time_zone)?;
        Ok((plan_catch_up(&schedule, tz, req)?, schedule.version))
    }

    /// Plans and applies `req` in one transaction: the sessions get their
    /// new slots (raising their calendar sequence), the version goes up,
    /// the change is recorded (history, change log) and attendees and
    /// speakers of moved sessions are notified. A refused request (stale
    /// `version`, unknown session, …) changes nothing.
    pub async fn apply_change(
        &self,
        slug: &str,
        req: &ChangeRequest,
        actor: &str,
        reason: &str,
    ) -> Result<AppliedChange> {
        self.apply_on(slug, Some(req.version), &req.op, actor, reason)
            .await
    }

    /// A shift through the re-planning core (interrupted talks included),
    /// on `version` when given, else on whatever is committed when it
    /// runs: the older shift API carries no version.
    pub async fn apply_shift_plan(
        &self,
        slug: &str,
        plan: &ShiftPlan,
        version: Option<i64>,
        actor: &str,
        reason: &str,
    ) -> Result<AppliedChange> {
        self.apply_on(slug, version, &ChangeOp::Shift(plan.clone()), actor, reason)
            .await
    }

    async fn apply_on(
        &self,
        slug: &str,
        version: Option<i64>,
        op: &ChangeOp,
        actor: &str,
        reason: &str,
    ) -> Result<AppliedChange> {
        let now = unix(Utc::now());
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug, now).await?;
        let tz = parse_zone(&ev.event.time_zone)?;
        let schedule = committed(&mut tx, &ev).await?;
        let req = ChangeRequest {
            version: version.unwrap_or(schedule.version),
            op: op.clone(),
        };
        // An error here drops `tx`, which rolls the version bump back.
        let change = plan_change(&schedule, tz, &req)?;
        if change.edits.is_empty() {
            return Err(AppError::invalid("op", "this changes nothing"));
        }
        let amend = amend_of(&mut tx, &ev, &schedule, &change, now, self.amend_window_min).await?;
        let record = amend.as_ref().map_or(&change, |a| &a.record);
        let answered: Vec<String> = amend
            .iter()
            .flat_map(|a| a.carried.iter().map(|(k, _)| k.clone()))
            .collect();
        let shift_id = write(
            &mut tx, &ev, &schedule, &change, record, None, actor, reason, &answered, now,
        )
        .await?;
        if let Some(a) = &amend {
            a.finish(&mut tx, &ev, shift_id, &[]).await?;
        }
        tx.commit().await?;
        Ok(AppliedChange {
            shift_id,
            version: ev.version,
            change: record.clone(),
        })
    }
}

impl Store {
    /// Pins or unpins session `guid`: a pinned session keeps its time when
    /// a shift moves the others around it. Not a new schedule version (no
    /// session moves); the change log still says so, so every instance
    /// and open page refreshes. Unknown session: 404.
    pub async fn set_pinned(&self, slug: &str, guid: &str, pinned: bool) -> Result<()> {
        let now = unix(Utc::now());
        let mut tx = self.pool.begin().await?;
        // Locks the event row (SQLite: the write lock) so the change log's
        // numbers stay gap-free, without raising the version.
        let row = sqlx::query(
            "update event set updated_at = $2 where slug = $1 returning event_id, schedule_version",
        )
        .bind(slug)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::not_found(format!("event {slug}")))?;
        let event_id: i64 = row.try_get("event_id")?;
        let version: i64 = row.try_get("schedule_version")?;
        let done = sqlx::query(
            "update session set pinned = $3, updated_at = $4 where event_id = $1 and guid = $2",
        )
        .bind(event_id)
        .bind(guid)
        .bind(pinned)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(AppError::not_found(format!(
                "session {guid} of event {slug}"
            )));
        }
        let payload = serde_json::json!({
            "version": version,
            "kind": "pin",
            "guid": guid,
            "pinned": pinned,
        });
        changes::append(&mut tx, event_id, LogKind::Schedule, &payload, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The schedule as the last commit left it: `lock_event` has already
/// raised the stored version for the change being written.
pub(super) async fn committed(conn: &mut AnyConnection, ev: &EventRow) -> Result<Schedule> {
    let mut schedule = load_on(conn, ev).await?;
    schedule.version = ev.version - 1;
    Ok(schedule)
}

/// Undoes stored change `shift_id` (its `change_json` is `stored`) on the
/// locked event: sessions still where it put them go back, the others
/// stay and are reported as `moved_since`.
pub(super) async fn revert_on(
    conn: &mut AnyConnection,
    ev: &EventRow,
    shift_id: i64,
    stored: &ChangePreview,
    actor: &str,
    reason: &str,
    now: i64,
) -> Result<AppliedChange> {
    let tz = parse_zone(&ev.event.time_zone)?;
    let schedule = committed(conn, ev).await?;
    let change = preview_revert(&schedule, tz, stored);
    if change.edits.is_empty() {
        return Err(AppError::Conflict(format!(
            "nothing to revert: every session change {shift_id} touched was changed or removed since"
        )));
    }
    let new_id = write(
        conn,
        ev,
        &schedule,
        &change,
        &change,
        Some(shift_id),
        actor,
        reason,
        &[],
        now,
    )
    .await?;
    Ok(AppliedChange {
        shift_id: new_id,
        version: ev.version,
        change,
    })
}

/// A change that amends the latest one: what it amends, the one change
/// both make (`record`), and the earlier answers that still hold.
pub(super) struct Amend {
    shift_id: i64,
    version: i64,
    pub record: ChangePreview,
    /// Speaker key → their answer to the amended change, kept because it
    /// still fits the new slots (confirmed or declined).
    pub carried: Vec<(String, SpeakerAnswer)>,
}

/// Whether `change` (planned on `schedule`, the committed one) amends the
/// latest change: that change is the last version, a shift made by the
/// re-planning core, not undone nor amended, applied at most
/// `window_min` minutes before `now`, and `change` edits a session it
/// edited (still where it left it). Otherwise `None`: a change of its own.
pub(super) async fn amend_of(
    conn: &mut AnyConnection,
    ev: &EventRow,
    schedule: &Schedule,
    change: &ChangePreview,
    now: i64,
    window_min: i64,
) -> Result<Option<Amend>> {
    let row = sqlx::query(
        "select s.shift_id, s.schedule_version, s.change_json, s.created_at from shift s \
         where s.event_id = $1 and s.kind = 'shift' and s.change_json is not null \
         and s.amended_into is null \
         and not exists (select 1 from shift r where r.reverts_shift_id = s.shift_id) \
         order by s.schedule_version desc limit 1",
    )
    .bind(ev.event_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let version: i64 = row.try_get("schedule_version")?;
    let applied = instant(&row, "created_at")?;
    let now_t = DateTime::from_timestamp(now, 0).unwrap_or_default();
    if version != schedule.version || !within_amend_window(applied, now_t, window_min) {
        return Ok(None);
    }
    let shift_id: i64 = row.try_get("shift_id")?;
    let Some(json) = row.try_get::<Option<String>, _>("change_json")? else {
        return Ok(None);
    };
    let earlier = parse_change(&json)?;
    if !change.edits.iter().any(|e| earlier.edit(&e.guid).is_some()) {
        return Ok(None);
    }
    let Ok(record) = amend_change(schedule, &earlier, change) else {
        return Ok(None);
    };
    let tz = parse_zone(&ev.event.time_zone)?;
    let answers = answers_with_slots(conn, shift_id, schedule, &earlier).await?;
    let kept: Vec<String> = carry_answers(schedule, tz, &record, &answers)
        .into_iter()
        .filter(|(_, s)| *s != Standing::AskAgain)
        .map(|(k, _)| k)
        .collect();
    let carried = answers
        .into_iter()
        .filter(|(k, _)| kept.contains(k))
        .collect();
    Ok(Some(Amend {
        shift_id,
        version,
        record,
        carried,
    }))
}

impl Amend {
    /// Marks the amended change and its version as folded into
    /// `new_shift_id` (the changelog shows one change), and gives the new
    /// change the answers that still hold, except those of `skip`.
    pub(super) async fn finish(
        &self,
        conn: &mut AnyConnection,
        ev: &EventRow,
        new_shift_id: i64,
        skip: &[String],
    ) -> Result<()> {
        sqlx::query("update shift set amended_into = $2 where shift_id = $1")
            .bind(self.shift_id)
            .bind(new_shift_id)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "update schedule_version set amended_into = $3 where event_id = $1 and version = $2",
        )
        .bind(ev.event_id)
        .bind(self.version)
        .bind(ev.version)
        .execute(&mut *conn)
        .await?;
        for (key, answer) in self.carried.iter().filter(|(k, _)| !skip.contains(k)) {
            let plain = match answer.reply {
                Reply::Confirm => "confirmed",
                Reply::Decline => "declined",
            };
            sqlx::query(
                "insert into speaker_answer (shift_id, speaker_key, answer, answered_at, \
                 answer_json) values ($1, $2, $3, $4, $5)",
            )
            .bind(new_shift_id)
            .bind(key)
            .bind(plain)
            .bind(unix(answer.answered_at))
            .bind(to_json(answer)?)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// The answers to shift `shift_id` (stored `change`), each with the slots
/// it was about: plain answers given before answers had details are taken
/// as about the slots the change gave the speaker's talks.
async fn answers_with_slots(
    conn: &mut AnyConnection,
    shift_id: i64,
    schedule: &Schedule,
    change: &ChangePreview,
) -> Result<HashMap<String, SpeakerAnswer>> {
    let rows = sqlx::query(
        "select speaker_key, answer, answered_at, answer_json from speaker_answer \
         where shift_id = $1",
    )
    .bind(shift_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = HashMap::new();
    for r in rows {
        let key: String = r.try_get("speaker_key")?;
        let answer = match r.try_get::<Option<String>, _>("answer_json")? {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| AppError::Internal(format!("shift {shift_id} answer: {e}")))?,
            None => {
                let reply = match r.try_get::<String, _>("answer")?.as_str() {
                    "confirmed" => Reply::Confirm,
                    _ => Reply::Decline,
                };
                let slots = change
                    .edits
                    .iter()
                    .filter(|e| {
                        schedule
                            .session(&e.guid)
                            .is_some_and(|s| s.speakers.contains(&key))
                    })
                    .map(|e| AskedSlot {
                        guid: e.guid.clone(),
                        slot: e.after.clone(),
                    })
                    .collect();
                SpeakerAnswer {
                    reply,
                    reason: None,
                    availability: Availability::AsAsked,
                    slots,
                    answered_at: instant(&r, "answered_at")?,
                }
            }
        };
        out.insert(key, answer);
    }
    Ok(out)
}

/// Reads a stored `change_json`.
pub(super) fn parse_change(json: &str) -> Result<ChangePreview> {
    serde_json::from_str(json)
        .map_err(|e| AppError::Internal(format!("stored change is unreadable: {e}")))
}

/// Writes every edit's `after` slot of `change`, then the version, the
/// `shift` row, the change log entry and the push notices of `record` (the
/// same change, or for an amendment the one change it makes with the
/// change it amends); returns the shift row's id. Speakers in `answered`
/// already answered (a published proposal, an amended change whose answer
/// still fits): they are not asked again.
#[allow(clippy::too_many_arguments)]
pub(super) async fn write(
    conn: &mut AnyConnection,
    ev: &EventRow,
    before: &Schedule,
    change: &ChangePreview,
    record: &ChangePreview,
    reverts: Option<i64>,
    actor: &str,
    reason: &str,
    answered: &[String],
    now: i64,
) -> Result<i64> {
    for e in &change.edits {
        let done = sqlx::query(
            "update session set start_at = $3, duration_min = $4, cancelled = $6, \
             track_id = (select track_id from track where event_id = $1 and slug = $5), \
             sequence = sequence + 1, updated_at = $7 \
             where event_id = $1 and guid = $2",
        )
        .bind(ev.event_id)
        .bind(&e.guid)
        .bind(unix(e.after.start))
        .bind(e.after.duration_min)
        .bind(&e.after.track)
        .bind(e.after.cancelled)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() != 1 {
            return Err(ReplanError::SessionChanged {
                guid: e.guid.clone(),
            }
            .into());
        }
    }
    let change = record;
    let kind = if change.kind == ChangeKind::Revert {
        ShiftKind::Revert
    } else {
        ShiftKind::Shift
    };
    let legacy = ShiftPreview::from_change(change);
    let legacy_json =
        serde_json::to_string(&legacy).map_err(|e| AppError::Internal(e.to_string()))?;
    let change_json =
        serde_json::to_string(change).map_err(|e| AppError::Internal(e.to_string()))?;
    let summary = match reverts {
        Some(id) => format!("revert of change {id}: {}", change.summary(before)),
        None => format!("{}: {}", change.kind.as_str(), change.summary(before)),
    };
    sqlx::query(
        "insert into schedule_version \
         (event_id, version, kind, actor, reason, summary, changes_json, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(ev.event_id)
    .bind(ev.version)
    .bind(kind.as_str())
    .bind(actor)
    .bind(reason)
    .bind(&summary)
    .bind(&change_json)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query(
        "insert into shift (event_id, schedule_version, kind, reverts_shift_id, actor, \
         reason, preview_json, change_json, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning shift_id",
    )
    .bind(ev.event_id)
    .bind(ev.version)
    .bind(kind.as_str())
    .bind(reverts)
    .bind(actor)
    .bind(reason)
    .bind(&legacy_json)
    .bind(&change_json)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let shift_id: i64 = row.try_get("shift_id")?;
    let mut payload = serde_json::json!({
        "version": ev.version,
        "kind": kind.as_str(),
        "change": change.kind.as_str(),
        "shift_id": shift_id,
    });
    if let Some(reverted) = reverts {
        payload["reverts_shift_id"] = reverted.into();
    }
    changes::append(conn, ev.event_id, LogKind::Schedule, &payload, now).await?;
    push::enqueue_change(
        conn,
        ev,
        before,
        shift_id,
        reverts.is_some(),
        change,
        answered,
        now,
    )
    .await?;
    Ok(shift_id)
}

//! The outbox: notices written inside the transaction of the change that
//! causes them (a shift, an incident update) or by the reminder sweep. One
//! row per notice, however many subscribe; the fan-out does the rest.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use crate::domain::notice::{Move, Notice, excerpt, paused_talks};
use crate::domain::push::{NoticeScope, Urgency, schedule_notice_expiry, topic};
use crate::domain::replan::ChangePreview;
use crate::domain::schedule::Schedule;
use crate::domain::shift::ShiftPreview;
use crate::domain::status::{CANCELLED, Impact, IncidentReach, IncidentStatus};
use crate::error::{AppError, Result};
use crate::markdown;
use crate::store::events::EventRow;
use crate::store::{Store, instant, to_json, unix};

/// A notice to queue, with who it is for and how it travels.
pub(in crate::store) struct NewNotice<'a> {
    pub event_id: i64,
    pub notice: &'a Notice,
    pub scope: &'a NoticeScope,
    pub urgency: Urgency,
    /// When it stops being worth delivering.
    pub expires_at: DateTime<Utc>,
    /// With a key, queueing the same notice again is a no-op.
    pub dedupe: Option<&'a str>,
}

/// Writes one notice to the outbox (inside the caller's transaction); one
/// row whatever the number of subscribers. Returns whether a row was
/// written (false: a repeat of a `dedupe` key).
pub(in crate::store) async fn enqueue(
    conn: &mut AnyConnection,
    n: &NewNotice<'_>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "insert into push_notice (event_id, kind, scope_json, payload_json, topic, urgency, \
         expires_at, dedupe_key, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         on conflict (dedupe_key) do nothing",
    )
    .bind(n.event_id)
    .bind(n.notice.kind())
    .bind(to_json(n.scope)?)
    .bind(to_json(n.notice)?)
    .bind(topic(n.notice, n.event_id))
    .bind(n.urgency.as_str())
    .bind(unix(n.expires_at))
    .bind(n.dedupe)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Queues what a shift or revert tells: attendees of the moved tracks and
/// sessions, and (for a shift) each speaker of a moved session.
pub(in crate::store) async fn enqueue_shift(
    conn: &mut AnyConnection,
    ev: &EventRow,
    schedule: &Schedule,
    shift_id: i64,
    revert: bool,
    preview: &ShiftPreview,
    now: i64,
) -> Result<()> {
    let moves: Vec<Move> = preview
        .moved
        .iter()
        .map(|m| Move {
            guid: m.guid.clone(),
            title: m.title.clone(),
            track: m.track.clone(),
            track_name: schedule
                .track(&m.track)
                .map_or_else(|| m.track.clone(), |t| t.name.clone()),
            speakers: schedule
                .session(&m.guid)
                .map(|s| s.speakers.clone())
                .unwrap_or_default(),
            old_start: m.old_start,
            new_start: m.new_start,
            cancelled: false,
        })
        .collect();
    enqueue_moves(conn, ev, shift_id, revert, moves, &[], now).await
}

/// Queues what a re-planning change tells, like [`enqueue_shift`]: every
/// session that runs at another time or in another room, is cancelled or
/// is restored. Speakers are asked about new times; of a cancelled talk
/// they are told (the message asks nothing). Speakers in `answered` are
/// not asked again (they answered the proposal this change publishes).
#[allow(clippy::too_many_arguments)]
pub(in crate::store) async fn enqueue_change(
    conn: &mut AnyConnection,
    ev: &EventRow,
    schedule: &Schedule,
    shift_id: i64,
    revert: bool,
    change: &ChangePreview,
    answered: &[String],
    now: i64,
) -> Result<()> {
    let moves = change_moves(schedule, change);
    enqueue_moves(conn, ev, shift_id, revert, moves, answered, now).await
}

/// What a message needs of each session `change` moves, cancels or
/// restores.
pub(in crate::store) fn change_moves(schedule: &Schedule, change: &ChangePreview) -> Vec<Move> {
    change
        .edits
        .iter()
        .filter(|e| e.is_move() || e.is_cancel() || e.is_restore())
        .map(|e| Move {
            guid: e.guid.clone(),
            title: e.title.clone(),
            track: e.after.track.clone(),
            track_name: schedule
                .track(&e.after.track)
                .map_or_else(|| e.after.track.clone(), |t| t.name.clone()),
            speakers: schedule
                .session(&e.guid)
                .map(|s| s.speakers.clone())
                .unwrap_or_default(),
            old_start: e.before.start,
            new_start: e.after.start,
            cancelled: e.after.cancelled,
        })
        .collect()
}

/// Asks `speakers` about the slots proposal `proposal_id` would give
/// their talks (or reminds them): a notice to them alone, nothing to
/// attendees.
pub(in crate::store) async fn enqueue_proposal(
    conn: &mut AnyConnection,
    ev: &EventRow,
    proposal_id: i64,
    moves: Vec<Move>,
    speakers: Vec<String>,
    reminder: bool,
    now: i64,
) -> Result<()> {
    if moves.is_empty() || speakers.is_empty() {
        return Ok(());
    }
    let first = first_start(&moves, now)?;
    let notice = Notice::SpeakerProposal {
        event: ev.event.slug.clone(),
        proposal_id,
        moves,
        reminder,
    };
    enqueue_for_speakers(conn, ev, &notice, first, speakers, now).await
}

/// Tells `speakers` that proposal `proposal_id` was discarded: their talks
/// keep the slots they had (each move's old start). Worth delivering until
/// the first of those starts.
pub(in crate::store) async fn enqueue_withdrawal(
    conn: &mut AnyConnection,
    ev: &EventRow,
    proposal_id: i64,
    moves: Vec<Move>,
    speakers: Vec<String>,
    now: i64,
) -> Result<()> {
    if moves.is_empty() || speakers.is_empty() {
        return Ok(());
    }
    let now_t = at(now)?;
    let first = moves.iter().map(|m| m.old_start).min().unwrap_or(now_t);
    let notice = Notice::ProposalWithdrawn {
        event: ev.event.slug.clone(),
        proposal_id,
        moves,
    };
    enqueue_for_speakers(conn, ev, &notice, first, speakers, now).await
}

/// Asks `speakers` again about the slots change `shift_id` gave their
/// talks (a reminder: they have not answered); nothing to attendees.
pub(in crate::store) async fn enqueue_speaker_reminder(
    conn: &mut AnyConnection,
    ev: &EventRow,
    shift_id: i64,
    moves: Vec<Move>,
    speakers: Vec<String>,
    now: i64,
) -> Result<()> {
    if moves.is_empty() || speakers.is_empty() {
        return Ok(());
    }
    let first = first_start(&moves, now)?;
    let notice = Notice::SpeakerMove {
        event: ev.event.slug.clone(),
        shift_id,
        moves,
    };
    enqueue_for_speakers(conn, ev, &notice, first, speakers, now).await
}

/// The earliest new start among `moves` (now when there is none).
fn first_start(moves: &[Move], now: i64) -> Result<DateTime<Utc>> {
    let now_t = at(now)?;
    Ok(moves.iter().map(|m| m.new_start).min().unwrap_or(now_t))
}

/// A question about moved slots to `speakers` alone (nothing to attendees),
/// worth delivering until the first moved talk starts.
async fn enqueue_for_speakers(
    conn: &mut AnyConnection,
    ev: &EventRow,
    notice: &Notice,
    first: DateTime<Utc>,
    speakers: Vec<String>,
    now: i64,
) -> Result<()> {
    enqueue(
        conn,
        &NewNotice {
            event_id: ev.event_id,
            notice,
            scope: &NoticeScope::Speakers { speakers },
            urgency: Urgency::High,
            expires_at: schedule_notice_expiry(at(now)?, first),
            dedupe: None,
        },
        now,
    )
    .await?;
    Ok(())
}

async fn enqueue_moves(
    conn: &mut AnyConnection,
    ev: &EventRow,
    shift_id: i64,
    revert: bool,
    moves: Vec<Move>,
    answered: &[String],
    now: i64,
) -> Result<()> {
    if moves.is_empty() {
        return Ok(());
    }
    let now_t = at(now)?;
    let first = moves.iter().map(|m| m.new_start).min().unwrap_or(now_t);
    let mut tracks: Vec<String> = moves.iter().map(|m| m.track.clone()).collect();
    tracks.sort();
    tracks.dedup();
    let scope = NoticeScope::Schedule {
        tracks,
        sessions: moves.iter().map(|m| m.guid.clone()).collect(),
    };
    let slug = ev.event.slug.clone();
    let notice = Notice::Schedule {
        event: slug.clone(),
        shift_id,
        revert,
        moves: moves.clone(),
    };
    // Speakers may answer until their talk starts; give the push service
    // until the first one, as for attendees.
    let expires_at = schedule_notice_expiry(now_t, first);
    let base = NewNotice {
        event_id: ev.event_id,
        notice: &notice,
        scope: &scope,
        urgency: Urgency::High,
        expires_at,
        dedupe: None,
    };
    enqueue(conn, &base, now).await?;
    let mut speakers: Vec<String> = moves.iter().flat_map(|m| m.speakers.clone()).collect();
    speakers.sort();
    speakers.dedup();
    speakers.retain(|k| !answered.contains(k));
    if !revert && !speakers.is_empty() {
        let notice = Notice::SpeakerMove {
            event: slug,
            shift_id,
            moves,
        };
        let scope = NoticeScope::Speakers { speakers };
        let to_speakers = NewNotice {
            notice: &notice,
            scope: &scope,
            ..base
        };
        enqueue(conn, &to_speakers, now).await?;
    }
    Ok(())
}

/// Queues the notice of an incident update, for whoever follows a track
/// the incident reaches (see [`IncidentReach`]). The body is the update's
/// markdown as one short plain line.
pub(in crate::store) async fn enqueue_incident(
    conn: &mut AnyConnection,
    event_id: i64,
    incident_id: i64,
    status: IncidentStatus,
    body_md: &str,
    now: i64,
) -> Result<()> {
    let now_t = at(now)?;
    let row = sqlx::query(
        "select i.name, i.impact, i.cancelled_at, e.slug from incident i \
         join event e on e.event_id = i.event_id where i.incident_id = $1",
    )
    .bind(incident_id)
    .fetch_one(&mut *conn)
    .await?;
    let named: Vec<Option<String>> = sqlx::query(
        "select c.track_slug from incident_component ic join component c \
         on c.component_id = ic.component_id where ic.incident_id = $1",
    )
    .bind(incident_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get("track_slug"))
    .collect::<std::result::Result<_, _>>()?;
    let reach = IncidentReach::of(named.iter().map(Option::as_deref));
    let impact: String = row.try_get("impact")?;
    let impact = Impact::parse(&impact)
        .ok_or_else(|| AppError::Internal(format!("unknown stored impact {impact:?}")))?;
    let notice = Notice::Incident {
        event: row.try_get("slug")?,
        incident_id,
        name: row.try_get("name")?,
        // A cancelled maintenance is stored as completed; subscribers are
        // told it was cancelled.
        status: match row.try_get::<Option<i64>, _>("cancelled_at")? {
            Some(_) if status == IncidentStatus::Completed => CANCELLED.to_owned(),
            _ => status.as_str().to_owned(),
        },
        body: excerpt(&markdown::to_plain(body_md)),
    };
    let incident = NewNotice {
        event_id,
        notice: &notice,
        scope: &NoticeScope::Incident(reach.clone()),
        urgency: Urgency::of_incident(status, impact),
        expires_at: now_t + chrono::Duration::seconds(crate::domain::push::INCIDENT_TTL_SECS),
        dedupe: None,
    };
    enqueue(conn, &incident, now).await?;
    tell_paused_speakers(
        conn,
        &row.try_get::<String, _>("slug")?,
        incident_id,
        &notice,
        status,
        &reach,
        now_t,
        now,
    )
    .await
}

/// While an incident holds a track's stream down, the speakers of the talk
/// running there and of the next one are told (once per incident and set
/// of talks: the dedupe key names them), so they do not learn it from the
/// audience.
#[allow(clippy::too_many_arguments)]
async fn tell_paused_speakers(
    conn: &mut AnyConnection,
    slug: &str,
    incident_id: i64,
    incident: &Notice,
    status: IncidentStatus,
    reach: &IncidentReach,
    now_t: DateTime<Utc>,
    now: i64,
) -> Result<()> {
    let (IncidentReach::Tracks(tracks), Notice::Incident { name, .. }) = (reach, incident) else {
        return Ok(());
    };
    if status.is_closed() || status.is_maintenance() {
        return Ok(());
    }
    let ev = crate::store::events::require_event(conn, slug).await?;
    let schedule = crate::store::events::load_on(conn, &ev).await?;
    let talks = paused_talks(&schedule, tracks, now_t);
    if talks.is_empty() {
        return Ok(());
    }
    let mut speakers: Vec<String> = talks.iter().flat_map(|t| t.speakers.clone()).collect();
    speakers.sort();
    speakers.dedup();
    let guids: Vec<&str> = talks.iter().map(|t| t.guid.as_str()).collect();
    let dedupe = format!("paused:{incident_id}:{}", guids.join(","));
    let notice = Notice::TrackPaused {
        event: slug.to_owned(),
        incident_id,
        incident: name.clone(),
        talks,
    };
    enqueue(
        conn,
        &NewNotice {
            event_id: ev.event_id,
            notice: &notice,
            scope: &NoticeScope::Speakers { speakers },
            urgency: Urgency::High,
            expires_at: now_t + chrono::Duration::seconds(crate::domain::push::INCIDENT_TTL_SECS),
            dedupe: Some(&dedupe),
        },
        now,
    )
    .await?;
    Ok(())
}

/// The instant of unix seconds `secs` (the store's `now`).
fn at(secs: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| AppError::Internal(format!("timestamp {secs} out of range")))
}

impl Store {
    /// Queues a reminder for each session starting within `lead` whose
    /// speakers have subscribed to push or have an e-mail address; each
    /// (session, start) only once, however often this runs. Returns how
    /// many it queued.
    pub async fn queue_reminders(
        &self,
        now: DateTime<Utc>,
        lead: chrono::Duration,
    ) -> Result<usize> {
        let rows = sqlx::query(
            "select distinct e.event_id, e.slug, s.guid, s.title, s.start_at, t.name as track_name \
             from session s join event e on e.event_id = s.event_id \
             join track t on t.track_id = s.track_id \
             join session_speaker ss on ss.session_id = s.session_id \
             join speaker sp on sp.speaker_id = ss.speaker_id \
             where s.start_at > $1 and s.start_at <= $2 \
             and (exists (select 1 from push_subscription p where p.event_id = s.event_id \
             and p.speaker_key = sp.key and p.gone_at is null) \
             or coalesce(sp.email, '') <> '')",
        )
        .bind(unix(now))
        .bind(unix(now + lead))
        .fetch_all(&self.pool)
        .await?;
        let mut queued = 0;
        for r in rows {
            let event_id: i64 = r.try_get("event_id")?;
            let guid: String = r.try_get("guid")?;
            let start = instant(&r, "start_at")?;
            let speakers: Vec<String> = sqlx::query(
                "select sp.key from session_speaker ss join session s on s.session_id = ss.session_id \
                 join speaker sp on sp.speaker_id = ss.speaker_id \
                 where s.event_id = $1 and s.guid = $2 order by ss.position",
            )
            .bind(event_id)
            .bind(&guid)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|x| x.try_get("key"))
            .collect::<std::result::Result<_, _>>()?;
            let notice = Notice::Reminder {
                event: r.try_get("slug")?,
                guid: guid.clone(),
                title: r.try_get("title")?,
                track_name: r.try_get("track_name")?,
                start,
            };
            let dedupe = format!("reminder:{event_id}:{guid}:{}", unix(start));
            let mut tx = self.pool.begin().await?;
            let fresh = enqueue(
                &mut tx,
                &NewNotice {
                    event_id,
                    notice: &notice,
                    scope: &NoticeScope::Speakers { speakers },
                    urgency: Urgency::High,
                    expires_at: start,
                    dedupe: Some(&dedupe),
                },
                unix(now),
            )
            .await?;
            tx.commit().await?;
            queued += usize::from(fresh);
        }
        Ok(queued)
    }
}

//! The status page's store: components with their status history, and
//! incidents (scheduled maintenance included) with their updates. This file
//! holds the types and the helpers the `status_*` siblings share; every
//! write takes the event's row lock first, so status writes, imports and the
//! change log of one event are serialised.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::events::{EventRow, event_row};
use super::{changes, instant};
use crate::domain::change::ChangeKind;
use crate::domain::status::{ComponentStatus, Impact, IncidentReach, IncidentStatus, StatusChange};
use crate::error::{AppError, Result};

/// A component of an event's status page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentRecord {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub group_name: Option<String>,
    pub position: i64,
    pub status: ComponentStatus,
    /// The track whose stream this is (automatic components only).
    pub track: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A component an incident update set a status on; `old_status` equals
/// `new_status` when it already had that status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffectedComponent {
    pub component_id: i64,
    pub name: String,
    pub old_status: ComponentStatus,
    pub new_status: ComponentStatus,
}

/// One update of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentUpdateRecord {
    pub id: i64,
    pub status: IncidentStatus,
    pub body_md: String,
    /// Who signed it, as the organiser chose to show it (plain text); an
    /// update is unsigned unless they did.
    pub signature: Option<String>,
    pub created_at: DateTime<Utc>,
    pub affected: Vec<AffectedComponent>,
}

/// An incident or a scheduled maintenance, with its timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentRecord {
    pub id: i64,
    pub name: String,
    pub status: IncidentStatus,
    pub impact: Impact,
    pub is_maintenance: bool,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub scheduled_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the incident was opened; for maintenance, `scheduled_for`.
    pub started_at: DateTime<Utc>,
    pub monitoring_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The affected components, ascending.
    pub component_ids: Vec<i64>,
    /// Newest first.
    pub updates: Vec<IncidentUpdateRecord>,
    /// What the team learnt, markdown (sanitised when shown).
    pub postmortem_md: Option<String>,
    /// When a maintenance was called off before it started; it is then
    /// `completed` (see [`crate::domain::status::CANCELLED`]).
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// Everything an event's status page shows, read from one snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatusSnapshot {
    /// Ungrouped components first, then groups by name; by position within.
    pub components: Vec<ComponentRecord>,
    /// Per component, oldest first: the last 90 days plus the change in
    /// force when they began.
    pub history: HashMap<i64, Vec<StatusChange>>,
    /// Open incidents and maintenance (upcoming included) and those closed
    /// within the last 90 days, newest first.
    pub incidents: Vec<IncidentRecord>,
    /// The change-log sequence number this snapshot includes.
    pub last_seq: i64,
    /// Per monitored component, oldest first: its checks per local day
    /// within the last 90 days (the bars' measured uptime).
    pub measured: HashMap<i64, Vec<crate::domain::monitor::MeasuredDay>>,
}

impl StatusSnapshot {
    /// The tracks `incident` reaches, from the components it names (see
    /// [`IncidentReach`]): what its banner line, the screens and push use.
    pub fn reach_of(&self, incident: &IncidentRecord) -> IncidentReach {
        IncidentReach::of(incident.component_ids.iter().map(|id| {
            self.components
                .iter()
                .find(|c| c.id == *id)
                .and_then(|c| c.track.as_deref())
        }))
    }
}

/// A component to add by hand.
#[derive(Debug, Clone, PartialEq)]
pub struct NewComponent {
    pub name: String,
    pub description: String,
    /// Blank means ungrouped.
    pub group_name: Option<String>,
}

/// Changes to a component; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComponentPatch {
    pub status: Option<ComponentStatus>,
    pub name: Option<String>,
    pub description: Option<String>,
}

/// An incident to open, or a maintenance to schedule (both `scheduled_*`
/// set). A maintenance starts as `scheduled`, or `in_progress` when
/// `scheduled_for` has come; while scheduled its components are left alone
/// (`component_status` is ignored) and go under maintenance when it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    pub name: String,
    pub status: IncidentStatus,
    pub impact: Impact,
    pub body_md: String,
    pub component_ids: Vec<i64>,
    /// Sets the affected components to this status.
    pub component_status: Option<ComponentStatus>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub scheduled_until: Option<DateTime<Utc>>,
    /// Signs the first update on the public pages (one line, at most 80 characters; blank: unsigned).
    pub signature: Option<String>,
}

/// A new entry on an incident's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncidentUpdate {
    pub status: IncidentStatus,
    /// May be blank only when the status changes.
    pub body_md: String,
    /// Sets the affected components to this status; on resolving or
    /// completing they otherwise go back to operational, and on a
    /// maintenance starting they go under maintenance.
    pub component_status: Option<ComponentStatus>,
    /// Replaces the affected set when given.
    pub component_ids: Option<Vec<i64>>,
    /// A maintenance's new start and/or end (extended, moved, cut short);
    /// checked by [`crate::domain::status::check_reschedule`].
    pub reschedule: Option<Reschedule>,
    /// Signs this update on the public pages (one line, at most 80 characters; blank: unsigned).
    pub signature: Option<String>,
}

/// New ends for a maintenance's window; an absent one keeps its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reschedule {
    pub scheduled_for: Option<DateTime<Utc>>,
    pub scheduled_until: Option<DateTime<Utc>>,
}

/// The longest component, group or incident name, in characters.
pub(super) const MAX_NAME: usize = 200;
/// The longest component description, in characters.
pub(super) const MAX_DESCRIPTION: usize = 2_000;
/// The longest incident update text, in characters.
pub(super) const MAX_BODY: usize = 20_000;
/// The longest signature, in characters: a name and a role, not a text.
pub(super) const MAX_SIGNATURE: usize = 80;
/// How far back the status page looks (uptime bars, past incidents).
pub(super) const HISTORY_DAYS: i64 = 90;

/// Takes the event's row lock for this transaction with a write that
/// changes nothing (portable: SQLite has no `FOR UPDATE`, and there the
/// write takes the database's write lock). Change-log numbers rely on it.
pub(super) async fn lock_event(conn: &mut AnyConnection, slug: &str) -> Result<EventRow> {
    let row = sqlx::query(
        "update event set updated_at = updated_at where slug = $1 \
         returning event_id, slug, name, time_zone, start_date, end_date, schedule_version, \
         min_break_min, qa_cut_min",
    )
    .bind(slug)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => event_row(&row),
        None => Err(AppError::not_found(format!("event {slug}"))),
    }
}

/// A required name: trimmed, 1 to [`MAX_NAME`] characters.
pub(super) fn checked_name(field: &str, raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    checked_len(field, name, MAX_NAME)?;
    Ok(name.to_owned())
}

/// An update's public signature ("Ana, stream team"): trimmed, one line,
/// at most [`MAX_SIGNATURE`] characters; blank means unsigned. Pages show
/// it as text, never as markdown.
pub(super) fn checked_signature(raw: Option<&str>) -> Result<Option<String>> {
    let Some(sig) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if sig.chars().any(char::is_control) {
        return Err(AppError::invalid("signature", "must be one line"));
    }
    checked_len("signature", sig, MAX_SIGNATURE)?;
    Ok(Some(sig.to_owned()))
}

/// Fails when `text` is longer than `max` characters.
pub(super) fn checked_len(field: &str, text: &str, max: usize) -> Result<()> {
    if text.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// The lifecycle's refusal as the `status` field's error.
pub(super) fn lifecycle(e: crate::domain::status::LifecycleError) -> AppError {
    AppError::invalid("status", e.to_string())
}

/// A stored vocabulary word parsed back; an unknown one means the
/// database was written by something else, hence internal.
fn stored<T>(what: &str, s: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    parse(s).ok_or_else(|| AppError::Internal(format!("unknown stored {what} {s:?}")))
}

/// The component status in column `col`.
pub(super) fn component_status(row: &AnyRow, col: &str) -> Result<ComponentStatus> {
    stored(
        "component status",
        &row.try_get::<String, _>(col)?,
        ComponentStatus::parse,
    )
}

/// The incident status in column `col`.
pub(super) fn incident_status(row: &AnyRow, col: &str) -> Result<IncidentStatus> {
    stored(
        "incident status",
        &row.try_get::<String, _>(col)?,
        IncidentStatus::parse,
    )
}

/// The impact in column `col`.
pub(super) fn impact(row: &AnyRow, col: &str) -> Result<Impact> {
    stored("impact", &row.try_get::<String, _>(col)?, Impact::parse)
}

/// The optional instant stored as unix seconds in column `col`.
pub(super) fn maybe_instant(row: &AnyRow, col: &str) -> Result<Option<DateTime<Utc>>> {
    row.try_get::<Option<i64>, _>(col)?
        .map(|secs| {
            DateTime::from_timestamp(secs, 0)
                .ok_or_else(|| AppError::Internal(format!("{col}: timestamp {secs} out of range")))
        })
        .transpose()
}

/// The start of every component query; [`component_row`] reads its rows.
pub(super) const COMPONENT_COLUMNS: &str = "select component_id, name, description, group_name, \
     position, status, track_slug, created_at, updated_at from component";

/// A component from a row of [`COMPONENT_COLUMNS`].
pub(super) fn component_row(row: &AnyRow) -> Result<ComponentRecord> {
    Ok(ComponentRecord {
        id: row.try_get("component_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        group_name: row.try_get("group_name")?,
        position: row.try_get("position")?,
        status: component_status(row, "status")?,
        track: row.try_get("track_slug")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

/// The event's components in page order: ungrouped first, then groups by
/// name, by position within. Sorted here rather than in SQL so both
/// engines agree whatever their collation.
pub(super) async fn components_of(
    conn: &mut AnyConnection,
    event_id: i64,
) -> Result<Vec<ComponentRecord>> {
    let mut all = sqlx::query(&format!("{COMPONENT_COLUMNS} where event_id = $1"))
        .bind(event_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(component_row)
        .collect::<Result<Vec<_>>>()?;
    all.sort_by(|a, b| {
        (
            a.group_name.is_some(),
            &a.group_name,
            a.position,
            &a.name,
            a.id,
        )
            .cmp(&(
                b.group_name.is_some(),
                &b.group_name,
                b.position,
                &b.name,
                b.id,
            ))
    });
    Ok(all)
}

/// The change-log payload of a component write.
pub(super) fn component_payload(id: i64, status: ComponentStatus) -> serde_json::Value {
    serde_json::json!({ "component_id": id, "status": status.as_str() })
}

/// Records that a component exists from `now` with `status`: the first
/// entry of its history, which uptime bars start from.
pub(super) async fn record_status(
    conn: &mut AnyConnection,
    component_id: i64,
    status: ComponentStatus,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "insert into component_status_change (component_id, status, at) values ($1, $2, $3)",
    )
    .bind(component_id)
    .bind(status.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sets a component's status. Only a real change is written (status, its
/// history and a change-log entry); either way the old and new status are
/// returned for an incident update's list.
pub(super) async fn set_component_status(
    conn: &mut AnyConnection,
    event_id: i64,
    c: &ComponentRecord,
    to: ComponentStatus,
    now: i64,
) -> Result<AffectedComponent> {
    if c.status != to {
        sqlx::query("update component set status = $2, updated_at = $3 where component_id = $1")
            .bind(c.id)
            .bind(to.as_str())
            .bind(now)
            .execute(&mut *conn)
            .await?;
        record_status(conn, c.id, to, now).await?;
        changes::append(
            conn,
            event_id,
            ChangeKind::Component,
            &component_payload(c.id, to),
            now,
        )
        .await?;
    }
    Ok(AffectedComponent {
        component_id: c.id,
        name: c.name.clone(),
        old_status: c.status,
        new_status: to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_one_trimmed_line_or_nothing() {
        assert_eq!(checked_signature(None).unwrap(), None);
        assert_eq!(checked_signature(Some("  ")).unwrap(), None);
        assert_eq!(
            checked_signature(Some(" Ana, stream team "))
                .unwrap()
                .as_deref(),
            Some("Ana, stream team")
        );
        for bad in ["Ana\nline two", "Ana\u{7}", &"x".repeat(MAX_SIGNATURE + 1)] {
            match checked_signature(Some(bad)) {
                Err(AppError::Invalid { field, .. }) => assert_eq!(field, "signature"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
        let longest = "é".repeat(MAX_SIGNATURE);
        assert_eq!(checked_signature(Some(&longest)).unwrap(), Some(longest));
    }
}

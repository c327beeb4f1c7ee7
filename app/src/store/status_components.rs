//! Writing status-page components: the automatic per-track stream
//! components, and components added and changed by hand.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::status::{
    COMPONENT_COLUMNS, ComponentPatch, ComponentRecord, MAX_DESCRIPTION, MAX_NAME, NewComponent,
    checked_len, checked_name, component_payload, component_row, components_of, lock_event,
    record_status, set_component_status,
};
use super::{Store, changes, unix};
use crate::domain::change::ChangeKind;
use crate::domain::status::ComponentStatus;
use crate::error::{AppError, Result};

/// The group the automatic stream components are put in.
const STREAMS_GROUP: &str = "Streams";

/// A track as far as its stream component cares.
struct TrackRow {
    slug: String,
    name: String,
    position: i64,
}

impl Store {
    /// Makes sure each track of the event has its stream component (see
    /// [`sync_streams`]). Every import does this in its own transaction;
    /// this is for events stored before that, at start.
    pub async fn sync_track_components(&self, slug: &str, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        sync_streams(&mut tx, ev.event_id, unix(now)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a component (operational) at the end of its group.
    pub async fn create_component(
        &self,
        slug: &str,
        c: NewComponent,
        now: DateTime<Utc>,
    ) -> Result<ComponentRecord> {
        let name = checked_name("name", &c.name)?;
        let description = c.description.trim().to_owned();
        checked_len("description", &description, MAX_DESCRIPTION)?;
        let group = c
            .group_name
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(str::to_owned);
        if let Some(g) = &group {
            checked_len("group_name", g, MAX_NAME)?;
        }
        let now = unix(now);
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        let comps = components_of(&mut tx, ev.event_id).await?;
        name_is_free(&comps, &name, None)?;
        let position = comps
            .iter()
            .filter(|x| x.group_name == group)
            .map(|x| x.position)
            .max()
            .unwrap_or(0)
            + 1;
        let id = insert(
            &mut tx,
            ev.event_id,
            &name,
            &description,
            group.as_deref(),
            position,
            None,
            now,
        )
        .await?;
        let record = fetch(&mut tx, ev.event_id, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Changes a component's name, description or status. A status change
    /// is recorded in its history only when the status really changes; a
    /// patch that changes nothing writes nothing. Stream components are
    /// named after their track and cannot be renamed here.
    pub async fn update_component(
        &self,
        slug: &str,
        id: i64,
        p: ComponentPatch,
        now: DateTime<Utc>,
    ) -> Result<ComponentRecord> {
        let name = p
            .name
            .as_deref()
            .map(|n| checked_name("name", n))
            .transpose()?;
        let description = p.description.as_deref().map(str::trim);
        if let Some(d) = description {
            checked_len("description", d, MAX_DESCRIPTION)?;
        }
        let now = unix(now);
        let mut tx = self.pool.begin().await?;
        let ev = lock_event(&mut tx, slug).await?;
        let comps = components_of(&mut tx, ev.event_id).await?;
        let Some(old) = comps.iter().find(|c| c.id == id) else {
            return Err(AppError::not_found(format!("component {id}")));
        };
        let mut new = old.clone();
        if let Some(name) = name.filter(|n| *n != old.name) {
            if let Some(track) = &old.track {
                return Err(AppError::invalid(
                    "name",
                    format!("the stream of track {track} is named after it; rename the track"),
                ));
            }
            name_is_free(&comps, &name, Some(id))?;
            new.name = name;
        }
        if let Some(d) = description {
            new.description = d.to_owned();
        }
        let status = p.status.filter(|s| *s != old.status);
        if new.name != old.name || new.description != old.description {
            sqlx::query(
                "update component set name = $2, description = $3, updated_at = $4 \
                 where component_id = $1",
            )
            .bind(id)
            .bind(&new.name)
            .bind(&new.description)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            // One change-log entry per call: a status change logs its own.
            if status.is_none() {
                let payload = component_payload(id, old.status);
                changes::append(&mut tx, ev.event_id, ChangeKind::Component, &payload, now).await?;
            }
        }
        if let Some(status) = status {
            set_component_status(&mut tx, ev.event_id, &new, status, now).await?;
        }
        let record = fetch(&mut tx, ev.event_id, id).await?;
        tx.commit().await?;
        Ok(record)
    }
}

/// Makes sure each track of the event has a stream component (group
/// "Streams", name "<track name> stream", `track` set, position = the
/// track's), inside the caller's transaction, which holds the event's lock.
/// Idempotent: nothing is written when all is in place. Renames follow
/// track renames; components of deleted tracks are kept (with their
/// history) but detached, and re-attached if the track comes back.
pub(super) async fn sync_streams(conn: &mut AnyConnection, event_id: i64, now: i64) -> Result<()> {
    let tracks = sqlx::query(
        "select slug, name, position from track where event_id = $1 order by position, slug",
    )
    .bind(event_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(TrackRow {
            slug: r.try_get("slug")?,
            name: r.try_get("name")?,
            position: r.try_get("position")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let mut comps = components_of(conn, event_id).await?;

    // Components of deleted tracks first, so a track that comes back
    // (below) can find its old component among the detached ones.
    for c in &mut comps {
        let gone = c
            .track
            .as_ref()
            .is_some_and(|t| !tracks.iter().any(|x| &x.slug == t));
        if gone {
            c.track = None;
            write_component(conn, event_id, c, now).await?;
        }
    }
    // Twice: a name a track wants may be freed only by a later track's
    // rename (two tracks swapping names); the second round then gives it
    // the plain name. Normally the second round writes nothing.
    for _ in 0..2 {
        for t in &tracks {
            sync_one(conn, event_id, t, &mut comps, now).await?;
        }
    }
    Ok(())
}

/// Creates, re-attaches or updates the stream component of one track.
async fn sync_one(
    conn: &mut AnyConnection,
    event_id: i64,
    t: &TrackRow,
    comps: &mut Vec<ComponentRecord>,
    now: i64,
) -> Result<()> {
    let plain = format!("{} stream", t.name);
    let mine = comps
        .iter()
        .position(|c| c.track.as_deref() == Some(t.slug.as_str()))
        // A track that comes back gets its old component (and history).
        .or_else(|| {
            comps
                .iter()
                .position(|c| c.track.is_none() && c.name == plain)
        });
    let except = mine.map(|i| comps[i].id);
    // Two tracks may share a name; the slug tells their streams apart.
    let name = [plain.clone(), format!("{plain} ({})", t.slug)]
        .into_iter()
        .chain((2..).map(|n| format!("{plain} ({}) {n}", t.slug)))
        .find(|n| !comps.iter().any(|c| &c.name == n && Some(c.id) != except))
        .unwrap_or(plain);
    match mine {
        Some(i) => {
            let c = &mut comps[i];
            if c.name != name || c.position != t.position || c.track.as_deref() != Some(&t.slug) {
                c.name = name;
                c.position = t.position;
                c.track = Some(t.slug.clone());
                write_component(conn, event_id, c, now).await?;
            }
        }
        None => {
            let id = insert(
                conn,
                event_id,
                &name,
                "",
                Some(STREAMS_GROUP),
                t.position,
                Some(&t.slug),
                now,
            )
            .await?;
            comps.push(fetch(conn, event_id, id).await?);
        }
    }
    Ok(())
}

/// Refuses a name another component of the event already has.
fn name_is_free(comps: &[ComponentRecord], name: &str, except: Option<i64>) -> Result<()> {
    if comps.iter().any(|c| c.name == name && Some(c.id) != except) {
        return Err(AppError::invalid(
            "name",
            format!("another component is already called {name:?}"),
        ));
    }
    Ok(())
}

/// Inserts an operational component with the first entry of its history
/// and a change-log entry; returns its id.
#[allow(clippy::too_many_arguments)]
async fn insert(
    conn: &mut AnyConnection,
    event_id: i64,
    name: &str,
    description: &str,
    group: Option<&str>,
    position: i64,
    track: Option<&str>,
    now: i64,
) -> Result<i64> {
    let status = ComponentStatus::Operational;
    let row = sqlx::query(
        "insert into component (event_id, name, description, group_name, position, status, \
         track_slug, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         returning component_id",
    )
    .bind(event_id)
    .bind(name)
    .bind(description)
    .bind(group)
    .bind(position)
    .bind(status.as_str())
    .bind(track)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = row.try_get("component_id")?;
    record_status(conn, id, status, now).await?;
    changes::append(
        conn,
        event_id,
        ChangeKind::Component,
        &component_payload(id, status),
        now,
    )
    .await?;
    Ok(id)
}

/// Writes a component's name, description, position and track (not its
/// status) and appends a change-log entry.
async fn write_component(
    conn: &mut AnyConnection,
    event_id: i64,
    c: &ComponentRecord,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "update component set name = $2, description = $3, position = $4, track_slug = $5, \
         updated_at = $6 where component_id = $1",
    )
    .bind(c.id)
    .bind(&c.name)
    .bind(&c.description)
    .bind(c.position)
    .bind(c.track.as_deref())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    changes::append(
        conn,
        event_id,
        ChangeKind::Component,
        &component_payload(c.id, c.status),
        now,
    )
    .await?;
    Ok(())
}

/// The component as stored now (inside the writing transaction).
async fn fetch(conn: &mut AnyConnection, event_id: i64, id: i64) -> Result<ComponentRecord> {
    let row = sqlx::query(&format!(
        "{COMPONENT_COLUMNS} where event_id = $1 and component_id = $2"
    ))
    .bind(event_id)
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    component_row(&row)
}

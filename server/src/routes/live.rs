//! `GET /e/{event}/live`: the event's change log as Server-Sent Events.
//! Resumes after `Last-Event-ID` from the database (when reachable), then
//! follows the live hub; a heartbeat comment every 15 s keeps proxies from
//! closing idle streams, and `X-Accel-Buffering: no` stops nginx buffering.
//! Streams are capped per client address and end when the server shuts
//! down, with a `reconnect` frame that sets the browser's retry delay.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use app::error::AppError;
use app::state::AppState;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use crate::client_ip::ClientIp;
use crate::limits::Limits;

/// How many missed changes a reconnecting client is replayed at most;
/// beyond that it is told to reload.
const REPLAY_LIMIT: i64 = 200;

/// How soon a browser whose stream ended at a shutdown reconnects (the SSE
/// `retry` field; browsers wait about 3 s by default).
const RECONNECT_AFTER: Duration = Duration::from_millis(500);

pub async fn live(
    State(state): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ip: ClientIp,
    Path(event): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if state.read_model.get(&event).is_none() {
        return AppError::not_found(format!("event {event:?}")).into_response();
    }
    // Counted while the stream is open (the ticket lives in the stream).
    let ticket = match limits.open_stream(ip) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    // Subscribe first, then read the backlog, so nothing falls in between.
    let rx = state.live.subscribe(&event);
    // A reconnect's `Last-Event-ID`, else the position the page was
    // rendered at (`?after=`): a change written between the render and
    // this first connection is replayed instead of missed.
    let last_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .or_else(|| rendered_at(&uri));
    let mut backlog = Vec::new();
    let mut resync = false;
    // From memory when this instance holds every change since: no query,
    // so the crowd that a draining instance sends here at once does not
    // queue for the anonymous share of the database and get `resync`.
    let recent = last_id
        .and_then(|id| state.live.recent_since(&event, id))
        .filter(|r| r.len() as i64 <= REPLAY_LIMIT);
    if let Some(recent) = recent {
        backlog = recent
            .into_iter()
            .map(|e| (e.seq, e.kind, e.data))
            .collect();
    } else if let Some(id) = last_id {
        let replayed = match limits.anon_db().await {
            Ok(_db) => {
                state
                    .store
                    .changes_since(&event, id, REPLAY_LIMIT + 1)
                    .await
            }
            Err(e) => Err(e),
        };
        match replayed {
            Ok(rows) if rows.len() as i64 > REPLAY_LIMIT => resync = true,
            Ok(rows) => {
                backlog = rows
                    .into_iter()
                    .map(|c| (c.seq, c.kind, c.payload_json))
                    .collect()
            }
            // The database is away (or its anonymous share is taken): the
            // client gets live events from now on and a resync hint so it
            // refetches what it shows.
            Err(_) => resync = true,
        }
    }
    let after = backlog
        .last()
        .map(|(seq, _, _)| *seq)
        .or(last_id)
        .unwrap_or(0);
    let published = state.live.last_published(&event);
    // The hello has an id, so a browser always has a Last-Event-ID to come
    // back with, even when its stream ends (an instance draining) before
    // any change reached it: without one it would resume from "now" and
    // miss what was written while it reconnected. A resuming client keeps
    // the id it sent (its replay follows); a new one, or one told to
    // resync (it refetches what it shows), starts from what this instance
    // has published (later changes reach it live: it subscribed first).
    let resume_from = match last_id {
        Some(id) if !resync => id,
        _ => published.max(last_id.unwrap_or(0)),
    };
    let hello = Event::default()
        .event("hello")
        .id(resume_from.to_string())
        .data(format!("{{\"resync\":{resync},\"seq\":{published}}}"));
    let replay = backlog.into_iter().map(|(seq, kind, data)| {
        let data = public_data(&kind, data);
        Event::default().id(seq.to_string()).event(kind).data(data)
    });
    let live = BroadcastStream::new(rx).filter_map(move |msg| async move {
        match msg {
            Ok(e) if e.seq > after => {
                let data = public_data(&e.kind, e.data);
                Some(
                    Event::default()
                        .id(e.seq.to_string())
                        .event(e.kind)
                        .data(data),
                )
            }
            Ok(_) => None,
            // Lagged: this client missed changes; tell it to resync.
            Err(_) => Some(Event::default().event("resync").data("{}")),
        }
    });
    // Ends when the server shuts down, so draining does not wait for it,
    // with a last frame asking the browser to come back soon: it does, to
    // another instance behind the proxy, with `Last-Event-ID`, and gets
    // what it missed from the change log.
    let bye = Event::default()
        .event("reconnect")
        .retry(RECONNECT_AFTER)
        .data("{}");
    let events: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> = Box::pin(
        stream::iter(std::iter::once(hello).chain(replay))
            .chain(live)
            .take_until(limits.shutting_down())
            .chain(stream::once(async move { bye }))
            .map(move |e| {
                let _counted = &ticket;
                Ok(e)
            }),
    );
    let mut res = Sse::new(events)
        .keep_alive(
            KeepAlive::new()
                .interval(Duration::from_secs(15))
                .text("heartbeat"),
        )
        .into_response();
    res.headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// What anyone following the stream may read of an entry. Speakers'
/// answers and proposals are the organisers' business: the event only
/// tells open boards to refetch (attendees learn nothing from it).
fn public_data(kind: &str, data: String) -> String {
    if kind == app::domain::change::ChangeKind::SpeakerAnswer.as_str() {
        "{}".to_owned()
    } else {
        data
    }
}

/// The change-log position a page says it was rendered at (`?after=N`,
/// what the `LiveRegions` island connects with); anything else in
/// the query, or a value that is not a position, is ignored.
fn rendered_at(uri: &Uri) -> Option<i64> {
    form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(k, _)| k == "after")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .filter(|n| *n >= 0)
}

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
use app::live::{change_frame, sse_frame};
use app::state::AppState;
use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use tokio_stream::wrappers::{BroadcastStream, IntervalStream};

use crate::client_ip::ClientIp;
use crate::limits::Limits;

/// How many missed changes a reconnecting client is replayed at most;
/// beyond that it is told to reload.
const REPLAY_LIMIT: i64 = 200;

/// How often an open stream carries a comment when nothing else happens.
const HEARTBEAT: Duration = Duration::from_secs(15);

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
    let mut backlog: Vec<(i64, Bytes)> = Vec::new();
    let mut resync = false;
    // From memory when this instance holds every change since: no query,
    // so the crowd that a draining instance sends here at once does not
    // queue for the anonymous share of the database and get `resync`.
    let recent = last_id
        .and_then(|id| state.live.recent_since(&event, id))
        .filter(|r| r.len() as i64 <= REPLAY_LIMIT);
    if let Some(recent) = recent {
        backlog = recent.into_iter().map(|e| (e.seq, e.frame)).collect();
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
                    .map(|c| (c.seq, change_frame(c.seq, &c.kind, &c.payload_json)))
                    .collect()
            }
            // The database is away (or its anonymous share is taken): the
            // client gets live events from now on and a resync hint so it
            // refetches what it shows.
            Err(_) => resync = true,
        }
    }
    let after = backlog.last().map(|(seq, _)| *seq).or(last_id).unwrap_or(0);
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
    let hello = sse_frame(
        Some(resume_from),
        "hello",
        &format!("{{\"resync\":{resync},\"seq\":{published}}}"),
        None,
    );
    // Each change's frame was encoded once, when it was announced: every
    // stream sends the same shared bytes.
    let live = BroadcastStream::new(rx).filter_map(move |msg| async move {
        match msg {
            Ok(e) if e.seq > after => Some(e.frame),
            Ok(_) => None,
            // Lagged: this client missed changes; tell it to resync.
            Err(_) => Some(sse_frame(None, "resync", "{}", None)),
        }
    });
    let replay = backlog.into_iter().map(|(_, frame)| frame);
    let frames = stream::iter(std::iter::once(hello).chain(replay)).chain(live);
    // A comment every HEARTBEAT keeps proxies from closing an idle stream.
    // Each stream's beats start at a random point of the period and do not
    // follow its events: reset by each change (as a keep-alive usually
    // is), every open stream would beat in the same instant, HEARTBEAT
    // after each change: 10,000 writes at once, in the way of the next.
    let phase = HEARTBEAT
        .mul_f64(rand::random::<f64>())
        .max(Duration::from_millis(1));
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + phase, HEARTBEAT);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let heartbeats = IntervalStream::new(ticks).map(|_| Bytes::from_static(b":heartbeat\n\n"));
    // Ends when the server shuts down, so draining does not wait for it,
    // with a last frame asking the browser to come back soon: it does, to
    // another instance behind the proxy, with `Last-Event-ID`, and gets
    // what it missed from the change log.
    let bye = sse_frame(None, "reconnect", "{}", Some(RECONNECT_AFTER));
    let body = stream::select(frames, heartbeats)
        .take_until(limits.shutting_down())
        .chain(stream::once(async move { bye }))
        .map(move |frame| {
            // Counted while the stream is open.
            let _counted = &ticket;
            Ok::<_, Infallible>(frame)
        });
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                HeaderName::from_static("x-accel-buffering"),
                HeaderValue::from_static("no"),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
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

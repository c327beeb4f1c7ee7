//! Changes made by other instances, at once: on PostgreSQL every committed
//! change sends a `NOTIFY` (see `app::store::CHANGE_CHANNEL`, sent inside
//! the writing transaction), and each instance listens, refreshes the
//! event's view and fans the change out to its own SSE clients. The
//! poller in `cli::serve` stays as the safety net: a notification sent
//! while the listening connection was down is lost, so after every
//! reconnection everything is re-synced, and the poller catches whatever
//! slips through anyway.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::state::AppState;
use app::store::{CHANGE_CHANNEL, parse_change_payload};
use sqlx::postgres::PgListener;
use tokio::sync::Notify;

/// Longest wait between two attempts to reconnect the listener.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Listens until the process ends; reconnects by itself.
pub async fn listen(state: AppState, url: String) {
    let refresher = Refresher::new(state.clone());
    let mut backoff = Duration::from_millis(250);
    loop {
        match connect(&url).await {
            Ok(mut listener) => {
                tracing::info!("listening for changes made by other instances");
                backoff = Duration::from_millis(250);
                // Whatever was written while nobody listened.
                resync(&state).await;
                loop {
                    match listener.try_recv().await {
                        Ok(Some(n)) => refresher.heard(n.payload()),
                        // The connection was lost and made again: what was
                        // sent in between is lost, so catch up.
                        Ok(None) => {
                            tracing::warn!("change listener reconnected; re-syncing");
                            resync(&state).await;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "change listener lost its connection");
                            break;
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "change listener cannot connect"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn connect(url: &str) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANGE_CHANNEL).await?;
    Ok(listener)
}

/// What the poller does on each tick, once: every event checked.
async fn resync(state: &AppState) {
    let result: app::error::Result<()> = async {
        for event in state.store.list_events().await? {
            state.poll_event(&event.slug).await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        tracing::debug!(error = %e, "re-sync failed; the poller will catch up");
    }
}

/// One task per event, woken by notifications: a burst of them for one
/// event while a refresh runs costs one more refresh, not one each, and a
/// slow event never holds up the others.
struct Refresher {
    state: AppState,
    events: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Refresher {
    fn new(state: AppState) -> Arc<Self> {
        Arc::new(Self {
            state,
            events: Mutex::default(),
        })
    }

    fn heard(self: &Arc<Self>, payload: &str) {
        let Some((seq, slug)) = parse_change_payload(payload) else {
            tracing::debug!(payload, "unreadable change notification");
            return;
        };
        // This instance made the change (or already caught up with it).
        if seq > 0 && seq <= self.state.live.last_published(slug) {
            return;
        }
        let wake = {
            let mut m = self.events.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(w) = m.get(slug) {
                w.clone()
            } else {
                let w = Arc::new(Notify::new());
                m.insert(slug.to_owned(), w.clone());
                tokio::spawn(refresh_loop(self.state.clone(), slug.to_owned(), w.clone()));
                w
            }
        };
        // Stores one permit when the task is busy: it runs once more.
        wake.notify_one();
    }
}

async fn refresh_loop(state: AppState, slug: String, wake: Arc<Notify>) {
    loop {
        wake.notified().await;
        // Refreshes the view (also for a change-log-less touch), then
        // announces what is new, in order, to this instance's streams.
        if let Err(e) = state.after_write(&slug).await {
            tracing::debug!(error = %e, event = slug, "refresh after a notification failed");
        }
    }
}

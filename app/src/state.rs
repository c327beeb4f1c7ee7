//! What every handler and server function gets: the store, the in-memory
//! read model, the live hub and the settings that matter at request time.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::clock::Clock;
use crate::error::Result;
use crate::live::LiveHub;
use crate::read_model::{EventView, ReadModel};
use crate::store::Store;

/// Per organiser session: (speaker key, URL) of links just issued.
pub type IssuedLinks = HashMap<String, Vec<(String, String)>>;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub read_model: Arc<ReadModel>,
    pub live: Arc<LiveHub>,
    /// "Now" for pages, cache lifetimes and refreshes; tests move it.
    pub clock: Clock,
    /// Absolute base URL used in exports and links (`MARQUEE_PUBLIC_URL`).
    pub public_url: Arc<str>,
    /// Whether cookies get the `Secure` flag (true when public_url is https).
    pub secure_cookies: bool,
    /// Woken after each committed write, so the push worker sends what
    /// the write queued without waiting for its next poll.
    pub push_wake: Arc<tokio::sync::Notify>,
    /// The same for the mail worker (a `Notify` wakes one waiter).
    #[from_ref(skip)]
    pub email_wake: Arc<tokio::sync::Notify>,
    /// Whether an SMTP server is configured: pages offer e-mail only then.
    #[from_ref(skip)]
    pub email_enabled: bool,
    /// Speaker links just issued from the admin area, shown once to the
    /// organiser who issued them (keyed by their session's CSRF token) and
    /// never stored in plain: speaker key and URL.
    pub issued_links: Arc<std::sync::Mutex<IssuedLinks>>,
    /// Why an organiser's last form was refused, shown once on the page
    /// the form redirects to (keyed by their session's CSRF token). Kept
    /// here rather than in the URL, so no link can make an organiser page
    /// say what its author wants (`?error=` text was reflected).
    pub form_errors: Arc<std::sync::Mutex<HashMap<String, String>>>,
    /// Set by the poller: false while the database cannot be reached, so
    /// public pages can say they show the last known state.
    db_ok: Arc<AtomicBool>,
    /// Outgoing webhooks' share of the state.
    pub webhooks: WebhookState,
}

/// What outgoing webhooks need at request time and in their worker.
#[derive(Clone, Default)]
pub struct WebhookState {
    /// Woken after each committed write, like `push_wake`.
    pub wake: Arc<tokio::sync::Notify>,
    /// The address rule for webhook URLs (the deployment's configuration).
    pub policy: crate::domain::address::OutboundPolicy,
    /// Signing keys just created, shown once to the organiser who made
    /// them (keyed by their session's CSRF token): webhook id and secret.
    pub issued: Arc<std::sync::Mutex<HashMap<String, (i64, String)>>>,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, store: Store, public_url: &str) -> Self {
        Self {
            leptos_options,
            store,
            read_model: Arc::new(ReadModel::default()),
            live: Arc::new(LiveHub::default()),
            clock: Clock::system(),
            secure_cookies: public_url.starts_with("https://"),
            db_ok: Arc::new(AtomicBool::new(true)),
            push_wake: Arc::new(tokio::sync::Notify::new()),
            email_wake: Arc::new(tokio::sync::Notify::new()),
            email_enabled: false,
            issued_links: Arc::default(),
            form_errors: Arc::default(),
            webhooks: WebhookState::default(),
            public_url: public_url.trim_end_matches('/').into(),
        }
    }

    /// Keeps `message` for the organiser whose session has `csrf`.
    pub fn set_form_error(&self, csrf: &str, message: String) {
        let mut m = self.form_errors.lock().unwrap_or_else(|e| e.into_inner());
        // One per session; a bound in case sessions pile up unread.
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(csrf.to_owned(), message);
    }

    /// The message kept for this session, once.
    pub fn take_form_error(&self, csrf: &str) -> Option<String> {
        let mut m = self.form_errors.lock().unwrap_or_else(|e| e.into_inner());
        m.remove(csrf)
    }

    pub fn db_available(&self) -> bool {
        self.db_ok.load(Ordering::Relaxed)
    }

    pub fn set_db_available(&self, ok: bool) {
        if self.db_ok.swap(ok, Ordering::Relaxed) != ok {
            tracing::warn!(available = ok, "database availability changed");
        }
    }

    /// Reloads one event from the database into the read model, read in
    /// one snapshot. Refreshes of one event run one at a time, and a view
    /// never replaces a newer one, so the read model cannot go backwards.
    pub async fn refresh_event(&self, slug: &str) -> Result<()> {
        let lock = self.read_model.refresh_lock(slug);
        let _one_at_a_time = lock.lock().await;
        self.refresh_locked(slug).await
    }

    /// [`AppState::refresh_event`] for a caller holding the event's lock.
    async fn refresh_locked(&self, slug: &str) -> Result<()> {
        let now = self.clock.now();
        if let Some(data) = self.store.load_event_data(slug, now).await? {
            self.read_model.put(EventView::from_data(data, now));
        }
        Ok(())
    }

    /// Loads every event; done once at start.
    pub async fn refresh_all(&self) -> Result<()> {
        for event in self.store.list_events().await? {
            self.store
                .sync_track_components(&event.slug, self.clock.now())
                .await?;
            self.refresh_event(&event.slug).await?;
            // Open pages only need changes from now on: from what the view
            // holds (a change written meanwhile is announced when read).
            let seq = self.read_model.get(&event.slug).map_or(0, |v| v.seq);
            self.live.mark_published(&event.slug, seq);
        }
        Ok(())
    }

    /// After a committed write: rebuild the event's public view, then tell
    /// every open page what changed (in change-log order). Readers never
    /// see a change announced before the read model has it.
    pub async fn after_write(&self, slug: &str) -> Result<()> {
        self.push_wake.notify_one();
        self.webhooks.wake.notify_one();
        self.email_wake.notify_one();
        // Held over refresh and announcement, so announcements of one
        // event go out in order and never ahead of the view.
        let lock = self.read_model.refresh_lock(slug);
        let _one_at_a_time = lock.lock().await;
        self.refresh_locked(slug).await?;
        self.publish_pending(slug).await
    }

    /// Broadcasts change-log rows not yet announced on this instance, up
    /// to the position the read model's view includes. A change committed
    /// after that view was read waits for the refresh that reads it:
    /// announced now, it would send open pages to fetch a view that lacks
    /// it, and on another instance its notification, seen as announced
    /// already, would refresh nothing, leaving the pages stale until the
    /// next change (seen in `multi_instance.rs` under load).
    pub async fn publish_pending(&self, slug: &str) -> Result<()> {
        let Some(upto) = self.read_model.get(slug).map(|v| v.seq) else {
            return Ok(());
        };
        let changes = self
            .store
            .changes_since(slug, self.live.last_published(slug), 500)
            .await?;
        for c in changes.into_iter().take_while(|c| c.seq <= upto) {
            self.live.publish(slug, c.seq, &c.kind, &c.payload_json);
        }
        Ok(())
    }

    /// Picks up writes this instance did not make (another instance, or the
    /// CLI): one cheap query per event; refresh and announce when behind.
    pub async fn poll_event(&self, slug: &str) -> Result<()> {
        if self.store.last_change_seq(slug).await? > self.live.last_published(slug) {
            self.after_write(slug).await?;
        }
        Ok(())
    }
}

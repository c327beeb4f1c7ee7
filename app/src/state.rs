//! What every handler and server function gets: the store, the in-memory
//! read model and the settings that matter at request time.

use std::sync::Arc;

use axum::extract::FromRef;
use chrono::Utc;
use leptos::prelude::LeptosOptions;

use crate::error::Result;
use crate::read_model::{EventView, ReadModel};
use crate::store::Store;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub read_model: Arc<ReadModel>,
    /// Absolute base URL used in exports and links (`MARQUEE_PUBLIC_URL`).
    pub public_url: Arc<str>,
    /// Whether cookies get the `Secure` flag (true when public_url is https).
    pub secure_cookies: bool,
}

impl AppState {
    /// Reloads one event from the database into the read model.
    pub async fn refresh_event(&self, slug: &str) -> Result<()> {
        if let Some(schedule) = self.store.load_schedule(slug).await? {
            self.read_model.put(EventView::new(schedule, Utc::now()));
        }
        Ok(())
    }

    /// Loads every event; done once at start.
    pub async fn refresh_all(&self) -> Result<()> {
        for schedule in self.store.load_all().await? {
            self.read_model.put(EventView::new(schedule, Utc::now()));
        }
        Ok(())
    }
}

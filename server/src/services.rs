//! What the write paths do, apart from HTTP. The JSON API and the
//! organiser's forms call the same service: parse, let the domain decide
//! and the store persist, then refresh the read model and tell open pages.
//! (`marquee` subcommands share the parsing and the store, not this: they
//! have no read model or open pages to tell.)

pub mod catchup;
pub mod change;
pub mod monitor;
pub mod proposal;
pub mod shift;
pub mod status;
pub mod templates;
pub mod webhook;

use std::sync::Arc;

use app::error::{AppError, Result};
use app::read_model::EventView;
use app::state::AppState;

/// The event's current view, or 404 naming it: where every write path
/// starts (what it parses against and what it previews on).
pub fn event_view(state: &AppState, slug: &str) -> Result<Arc<EventView>> {
    state
        .read_model
        .get(slug)
        .ok_or_else(|| AppError::not_found(format!("event {slug:?}")))
}

//! Puts the event's notice reach on the request of the organiser pages
//! that show it (the dashboard with its incidents, a shift's or a
//! proposal's board):
//! pages render synchronously from the read model, and reach lives only
//! in the delivery table. Only for a signed-in user; a page still checks
//! access before showing anything.

use app::pages::request::CurrentUser;
use app::state::AppState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// The event of a page that shows reach: `/admin/e/{event}`,
/// `/admin/e/{event}/shifts/{id}` and `/admin/e/{event}/proposals/{id}`.
fn reach_page(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/admin/e/")?;
    let mut parts = rest.trim_end_matches('/').split('/');
    let event = parts.next().filter(|e| !e.is_empty())?;
    match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => Some(event),
        (Some("shifts" | "proposals"), Some(_), None) => Some(event),
        _ => None,
    }
}

pub async fn attach(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if req.method() == Method::GET
        && req.extensions().get::<CurrentUser>().is_some()
        && let Some(event) = reach_page(req.uri().path()).map(str::to_owned)
    {
        match state.store.event_reach(&event).await {
            Ok(r) => {
                req.extensions_mut().insert(app::store::EventReach(r));
            }
            // The page still renders (its reach left out); the cause is logged.
            Err(e) => tracing::warn!(event, error = %e, "notice reach not loaded"),
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::reach_page;

    #[test]
    fn only_the_dashboard_and_the_boards_load_reach() {
        assert_eq!(reach_page("/admin/e/demo"), Some("demo"));
        assert_eq!(reach_page("/admin/e/demo/shifts/3"), Some("demo"));
        assert_eq!(reach_page("/admin/e/demo/proposals/4"), Some("demo"));
        assert_eq!(reach_page("/admin/e/demo/proposals/4/publish"), None);
        assert_eq!(reach_page("/admin/e/demo/shift"), None);
        assert_eq!(reach_page("/admin/e/demo/shifts/3/revert"), None);
        assert_eq!(reach_page("/admin"), None);
    }
}

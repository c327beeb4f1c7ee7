//! Puts the event's webhooks and their delivery log on the request of the
//! pages that show them (the webhooks page; the dashboard, for its notice
//! of disabled webhooks): pages render synchronously, and webhooks live
//! only in the database. Only for a signed-in user; the page still checks
//! access before showing anything.

use app::pages::request::CurrentUser;
use app::state::AppState;
use app::store::WebhookBoard;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// Attempts the webhooks page lists.
const LOG_ROWS: i64 = 100;

/// The event of a page that shows webhooks, and whether it shows the log.
fn webhook_page(path: &str) -> Option<(&str, bool)> {
    let rest = path.strip_prefix("/admin/e/")?;
    let mut parts = rest.trim_end_matches('/').split('/');
    let event = parts.next().filter(|e| !e.is_empty())?;
    match (parts.next(), parts.next()) {
        (None, _) => Some((event, false)),
        (Some("webhooks"), None) => Some((event, true)),
        _ => None,
    }
}

pub async fn attach(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if req.method() == Method::GET
        && req.extensions().get::<CurrentUser>().is_some()
        && let Some((event, with_log)) = webhook_page(req.uri().path())
    {
        let event = event.to_owned();
        let board = async {
            let hooks = state.store.list_webhooks(&event).await?;
            let log = if with_log {
                state.store.webhook_log(&event, None, LOG_ROWS).await?
            } else {
                Vec::new()
            };
            Ok::<_, app::error::AppError>(WebhookBoard { hooks, log })
        };
        match board.await {
            Ok(b) => {
                req.extensions_mut().insert(b);
            }
            // An unknown event is the page's 404 to tell; anything else is logged.
            Err(app::error::AppError::NotFound { .. }) => {}
            Err(e) => tracing::warn!(event, error = %e, "webhooks not loaded"),
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::webhook_page;

    #[test]
    fn only_the_dashboard_and_the_webhooks_page_load_webhooks() {
        assert_eq!(webhook_page("/admin/e/demo"), Some(("demo", false)));
        assert_eq!(webhook_page("/admin/e/demo/webhooks"), Some(("demo", true)));
        assert_eq!(webhook_page("/admin/e/demo/webhooks/3/test"), None);
        assert_eq!(webhook_page("/admin/e/demo/shift"), None);
        assert_eq!(webhook_page("/admin"), None);
    }
}

//! Puts what the organiser's e-mail page shows on its request (pages
//! render synchronously; counts and the delivery log live only in the
//! database): the SMTP server as configured (never its credentials), the
//! event's subscribers and deliveries by state, and, for those who may
//! manage the event's channels, the recent deliveries with masked
//! recipients. The speakers page gets the language each speaker is mailed
//! in, so its form shows the stored one. Only for a signed-in user; the
//! pages still check access before showing anything.

use app::domain::access::Action;
use app::pages::request::CurrentUser;
use app::state::AppState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use super::email_api::EmailContext;

/// Deliveries the e-mail page lists.
const LOG_ROWS: i64 = 100;

/// Which page of which event asks for mail data.
#[derive(Debug, PartialEq, Eq)]
enum Page<'a> {
    Email(&'a str),
    Speakers(&'a str),
}

fn page(path: &str) -> Option<Page<'_>> {
    let rest = path.strip_prefix("/admin/e/")?;
    let mut parts = rest.trim_end_matches('/').split('/');
    let event = parts.next().filter(|e| !e.is_empty())?;
    match (parts.next(), parts.next()) {
        (Some("email"), None) => Some(Page::Email(event)),
        (Some("speakers"), None) => Some(Page::Speakers(event)),
        _ => None,
    }
}

pub async fn attach(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let user = req.extensions().get::<CurrentUser>();
    if req.method() != Method::GET || user.is_none() {
        return next.run(req).await;
    }
    let may_log = |event: &str| user.is_some_and(|u| u.access.may(Action::Webhooks, event));
    match page(req.uri().path()) {
        Some(Page::Email(event)) => {
            let event = event.to_owned();
            let rows = if may_log(&event) { LOG_ROWS } else { 0 };
            let smtp = req
                .extensions()
                .get::<EmailContext>()
                .map(|c| c.mailer.info().clone());
            match state.store.email_board(&event, rows).await {
                Ok(mut board) => {
                    board.smtp = smtp;
                    req.extensions_mut().insert(board);
                }
                // An unknown event is the page's 404 to tell.
                Err(app::error::AppError::NotFound { .. }) => {}
                Err(e) => tracing::warn!(event, error = %e, "e-mail board not loaded"),
            }
        }
        Some(Page::Speakers(event)) => {
            let event = event.to_owned();
            match state.store.speaker_langs(&event).await {
                Ok(langs) => {
                    req.extensions_mut().insert(langs);
                }
                Err(app::error::AppError::NotFound { .. }) => {}
                Err(e) => tracing::warn!(event, error = %e, "speaker languages not loaded"),
            }
        }
        None => {}
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::{Page, page};

    #[test]
    fn only_the_email_and_speakers_pages_load_mail_data() {
        assert_eq!(page("/admin/e/demo/email"), Some(Page::Email("demo")));
        assert_eq!(
            page("/admin/e/demo/speakers/"),
            Some(Page::Speakers("demo"))
        );
        assert_eq!(page("/admin/e/demo/speakers/anna/email"), None);
        assert_eq!(page("/admin/e/demo"), None);
        assert_eq!(page("/email/manage/x"), None);
    }
}

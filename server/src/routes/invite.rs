//! `POST /invite/{token}`: taking up an invitation. Someone new creates an
//! account (e-mail and password, argon2id like `marquee user add`); an
//! organiser already signed in joins with their account. Either way the
//! link is used once, atomically with the role it gives; a used, expired
//! or forged link changes nothing. (The page itself, `GET`, is
//! `app::pages::invite`.)

use app::auth::{constant_time_eq, hash_password, hash_token};
use app::error::AppError;
use app::pages::request::CurrentUser;
use app::state::AppState;
use app::store::Joiner;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::login::{LoginContext, same_origin};
use crate::audit::{AuditActorSlot, AuditEvent, AuditNote};
use app::domain::audit::{Actor, ActorKind};
use app::domain::email::html_escape;

#[derive(Deserialize)]
pub struct AcceptForm {
    /// The session's token, when an organiser joins with their account.
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn accept(
    State(state): State<AppState>,
    Extension(ctx): Extension<LoginContext>,
    user: Option<Extension<CurrentUser>>,
    slot: Option<Extension<AuditActorSlot>>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<AcceptForm>,
) -> Response {
    let hash = hash_token(&token);
    let now = state.clock.now();
    let signed_in = user.is_some();
    let joiner = user
        .as_ref()
        .map_or_else(|| f.email.trim().to_lowercase(), |u| u.email.clone());
    let result = match user {
        Some(Extension(u)) => {
            if !constant_time_eq(&u.csrf_token, &f.csrf) {
                return AppError::Forbidden("invalid CSRF token".into()).into_response();
            }
            match state.store.find_user(&u.email).await {
                Ok(Some(found)) => {
                    let joiner = Joiner::Existing {
                        user_id: found.user_id,
                        email: &u.email,
                    };
                    state.store.accept_invitation(&hash, joiner, now).await
                }
                Ok(None) => Err(AppError::Unauthorized),
                Err(e) => Err(e),
            }
        }
        None => {
            // No session to carry a CSRF token: the browser's own word
            // that the form is ours, as for signing in.
            if !same_origin(&headers, &ctx.public_origin) {
                return AppError::Forbidden("cross-site form refused".into()).into_response();
            }
            new_account(&state, &hash, &f.email, f.password, now).await
        }
    };
    // Who joined (or tried to): the audit log names them.
    if let Some(Extension(slot)) = &slot {
        slot.set(Actor {
            kind: ActorKind::User,
            name: app::domain::audit::clip_summary(&joiner),
        });
    }
    match result {
        Ok((slug, role)) => {
            tracing::info!(event = slug, signed_in, "invitation taken up");
            // Someone new signs in with the account they just made.
            let next = if signed_in {
                format!("/admin/e/{slug}")
            } else {
                "/login".to_owned()
            };
            let mut res = Redirect::to(&next).into_response();
            res.extensions_mut().insert(AuditEvent(slug));
            res.extensions_mut()
                .insert(AuditNote(format!("joined as {role}")));
            res
        }
        Err(e) => refused(e, &headers, &token),
    }
}

async fn new_account(
    state: &AppState,
    hash: &str,
    email: &str,
    password: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(String, app::domain::access::Role), AppError> {
    let email = email.trim().to_lowercase();
    if !email.contains('@') || email.len() > 254 || email.chars().any(char::is_whitespace) {
        return Err(AppError::invalid(
            "email",
            "an e-mail address, like ada@example.org",
        ));
    }
    // The link first, so a forged link costs no password hashing.
    let found = state.store.find_invitation(hash).await?;
    let inv = found.ok_or_else(|| {
        app::store::invitation_refusal(app::domain::invitation::InvitationRefused::Unknown)
    })?;
    app::domain::invitation::check_usable(inv.expires_at, inv.used_at, now)
        .map_err(app::store::invitation_refusal)?;
    let phc = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(format!("hashing: {e}")))??;
    let joiner = Joiner::NewAccount {
        email: &email,
        password_hash: &phc,
    };
    state.store.accept_invitation(hash, joiner, now).await
}

/// A refusal: the usual JSON for scripts; for a browser's form, a short
/// page saying what is wrong, with the same status.
fn refused(e: AppError, headers: &HeaderMap, token: &str) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if !wants_html || matches!(e, AppError::Internal(_) | AppError::Unavailable(_)) {
        return e.into_response();
    }
    let status = e.status();
    let lang = app::i18n::negotiate(
        axum_extra::extract::cookie::CookieJar::from_headers(headers)
            .get("lang")
            .map(|c| c.value()),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let back = html_escape(&app::i18n::tr("invite.back", lang)).into_owned();
    let message = html_escape(&e.body().error.message).into_owned();
    let page = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{message}</title><link rel=\"stylesheet\" href=\"/pkg/marquee.css\"></head>\
         <body><main class=\"login\"><p class=\"error\" role=\"alert\" data-testid=\"invite-error\">{message}</p>\
         <p><a href=\"/invite/{token}\">{back}</a></p></main></body></html>",
        token = html_escape(token),
    );
    (
        if status.is_client_error() {
            status
        } else {
            StatusCode::BAD_REQUEST
        },
        Html(page),
    )
        .into_response()
}

//! Organiser sign-in with a server-side session: the cookie holds a random
//! token, the database only its SHA-256. Forms are CSRF-safe: sign-in
//! checks Origin, every signed-in form carries the session's CSRF token,
//! and the cookie is HttpOnly + SameSite=Lax.

use app::auth::{constant_time_eq, hash_token, new_token, verify_password};
use app::error::AppError;
use app::pages::request::CurrentUser;
use app::state::AppState;
use axum::Form;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use serde::Deserialize;

const COOKIE: &str = "marquee_session";
const SESSION_HOURS: i64 = 12;

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

/// A cross-site form post carries a foreign Origin; refuse it. Requests
/// without Origin (curl, old browsers) fall back to SameSite protection.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin.split_once("://").map(|(_, h)| h) == Some(host)
}

fn session_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !same_origin(&headers) {
        return AppError::Forbidden("cross-site sign-in refused".into()).into_response();
    }
    let email = form.email.trim().to_lowercase();
    let user = match state.store.find_user(&email).await {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    // Verify against a dummy hash for unknown users so timing does not
    // reveal which emails have accounts.
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let ok = match &user {
        Some(u) => verify_password(&form.password, &u.password_hash),
        None => {
            let dummy = DUMMY.get_or_init(|| {
                app::auth::hash_password("not-a-real-password").unwrap_or_default()
            });
            verify_password(&form.password, dummy);
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        tracing::info!(email = %email, "sign-in refused");
        return Redirect::to("/login?error=1").into_response();
    };
    let (token, token_hash) = new_token("ms");
    let (csrf, _) = new_token("csrf");
    let expires = Utc::now() + Duration::hours(SESSION_HOURS);
    if let Err(e) = state
        .store
        .create_login_session(user.user_id, &token_hash, &csrf, expires)
        .await
    {
        return e.into_response();
    }
    tracing::info!(email = %email, "organiser signed in");
    let mut res = Redirect::to("/admin").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&token, SESSION_HOURS * 3600, state.secure_cookies),
    );
    res
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    let Some(token) = cookie_value(&headers, COOKIE) else {
        return Redirect::to("/").into_response();
    };
    let hash = hash_token(&token);
    match state.store.find_login_session(&hash, Utc::now()).await {
        Ok(Some(s)) if constant_time_eq(&s.csrf_token, &form.csrf) => {
            if let Err(e) = state.store.delete_login_session(&hash).await {
                return e.into_response();
            }
        }
        Ok(Some(_)) => return AppError::Forbidden("invalid CSRF token".into()).into_response(),
        Ok(None) => {}
        Err(e) => return e.into_response(),
    }
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", 0, state.secure_cookies),
    );
    res
}

/// Resolves the session cookie into a `CurrentUser` for organiser pages
/// only; public pages never touch the database.
pub async fn resolve_user(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let path = path.as_str();
    let wants_user =
        path == "/admin" || path.starts_with("/admin/") || path == "/logout" || path == "/login";
    let admin_area = path == "/admin" || path.starts_with("/admin/");
    if let Some(token) = path.strip_prefix("/s/")
        && let Ok(Some(link)) = state.store.find_speaker_link(&hash_token(token)).await
    {
        if link.is_live(Utc::now()) {
            req.extensions_mut()
                .insert(app::pages::speaker::SpeakerScope {
                    event_slug: link.event_slug,
                    speaker_key: link.speaker_key,
                });
        } else {
            req.extensions_mut()
                .insert(app::pages::speaker::SpeakerLinkExpired);
        }
    }
    if wants_user {
        if let Some(token) = cookie_value(req.headers(), COOKIE)
            && let Ok(Some(s)) = state
                .store
                .find_login_session(&hash_token(&token), Utc::now())
                .await
        {
            req.extensions_mut().insert(CurrentUser {
                email: s.email,
                csrf_token: s.csrf_token,
                access: s.access,
            });
        }
        if admin_area && req.extensions().get::<CurrentUser>().is_none() {
            return Redirect::to("/login").into_response();
        }
    }
    next.run(req).await
}

/// `?lang=xx` on any page also sets a `lang` cookie, so the choice sticks.
pub async fn remember_language(req: Request, next: Next) -> Response {
    let chosen = req
        .uri()
        .query()
        .and_then(|q| form_urlencoded_lang(q).and_then(|l| app::i18n::supported(&l)));
    let mut res = next.run(req).await;
    if let Some(l) = chosen
        && let Ok(v) =
            HeaderValue::from_str(&format!("lang={l}; Path=/; Max-Age=31536000; SameSite=Lax"))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    if res.status() == StatusCode::OK && res.headers().get(header::CACHE_CONTROL).is_none() {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    res
}

fn form_urlencoded_lang(q: &str) -> Option<String> {
    q.split('&')
        .find_map(|kv| kv.strip_prefix("lang=").map(str::to_owned))
}
